#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at
#
#        http://www.apache.org/licenses/LICENSE-2.0
#
#   Unless required by applicable law or agreed to in writing, software
#   distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#   WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#   License for the specific language governing permissions and limitations
#   under the License.


"""A load balancer's Octavia tree: the fields of each child, the keys
that name them, a cloud's tree read in a few requests, and the resolved
form in which both sides compare.

A resolved tree is what both sides compare: the destination's (with the
ids of its objects) and the file's (references resolved to ids), as

  {'attrs': {...}, 'id': ...,
   'pools': [{'key', 'attrs', 'id', 'members': [...],
              'healthmonitor': {...} or None}],
   'listeners': [{'key', 'attrs', 'id',
                  'l7policies': [{'key', 'attrs', 'id', 'rules': [...]}]}]}

with a listener's ``default_pool`` and a policy's ``redirect_pool`` as the
pool's key.
"""

import re
import typing as ty
import weakref

from keystoneauth1 import exceptions as ksa_exceptions
from openstack import exceptions as sdk_exceptions

from openstack.load_balancer.v2 import health_monitor as sdk_hm
from openstack.load_balancer.v2 import l7_policy as sdk_l7_policy
from openstack.load_balancer.v2 import l7_rule as sdk_l7_rule
from openstack.load_balancer.v2 import member as sdk_member

from osmigrateclient import exceptions
from osmigrateclient.resources import _sdk_classes as sdk_classes
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

#: kinds of _listers.LISTERS this type lists (one request each)
LB, LISTENER, POOL, HM, POLICY = (
    'load_balancer',
    'lb_listener',
    'lb_pool',
    'lb_health_monitor',
    'lb_l7_policy',
)
FLAVOR, PROVIDER = 'lb_flavor', 'lb_provider'
CONTAINER, SECRET = 'secret_container', 'secret'

#: the fields of a listener and a pool that name a Barbican certificate
#: container or secret: in the file, references by name
LISTENER_TLS_REFS = {
    'default_tls_container_ref': CONTAINER,
    'client_ca_tls_container_ref': SECRET,
    'client_crl_container_ref': SECRET,
}
POOL_TLS_REFS = {
    'tls_container_ref': CONTAINER,
    'ca_tls_container_ref': SECRET,
    'crl_container_ref': SECRET,
}
#: the key of a reference that makes it name a secret: in a certificate
#: field (one of :data:`CONTAINER`: a listener's certificates, a pool's),
#: ``secret: true`` names a secret that holds the whole certificate as a
#: PKCS12 bundle instead of a certificate container
SECRET_KEY = 'secret'  # noqa: S105 - a key of the file, not a secret

#: the fields of each child, as Octavia's API names them
LISTENER_FIELDS = (
    'name',
    'description',
    'protocol',
    'protocol_port',
    'admin_state_up',
    'connection_limit',
    'timeout_client_data',
    'timeout_member_connect',
    'timeout_member_data',
    'timeout_tcp_inspect',
    'insert_headers',
    'allowed_cidrs',
    'tls_ciphers',
    'tls_versions',
    'alpn_protocols',
    'hsts_max_age',
    'hsts_include_subdomains',
    'hsts_preload',
    'client_authentication',
    'tags',
)
POOL_FIELDS = (
    'name',
    'description',
    'protocol',
    'lb_algorithm',
    'session_persistence',
    'admin_state_up',
    'tls_enabled',
    'tls_ciphers',
    'tls_versions',
    'alpn_protocols',
    'tags',
)
MEMBER_FIELDS = (
    'name',
    'address',
    'protocol_port',
    'weight',
    'backup',
    'monitor_address',
    'monitor_port',
    'admin_state_up',
    'tags',
)
HM_FIELDS = (
    'name',
    'type',
    'delay',
    'timeout',
    'max_retries',
    'max_retries_down',
    'http_method',
    'url_path',
    'expected_codes',
    'admin_state_up',
    'tags',
)
POLICY_FIELDS = (
    'name',
    'description',
    'action',
    'position',
    'redirect_url',
    'redirect_prefix',
    'admin_state_up',
    'tags',
)
RULE_FIELDS = (
    'type',
    'compare_type',
    'key',
    'value',
    'invert',
    'admin_state_up',
    'tags',
)
LB_FIELDS = (
    'name',
    'description',
    'admin_state_up',
    'provider',
    'flavor',
    'availability_zone',
    'vip_address',
    'tags',
)

#: list fields whose order means nothing
UNORDERED = ('tags', 'allowed_cidrs', 'vip_sg_ids')

#: the Octavia API version that brought a load balancer's field
LB_FIELD_VERSIONS = {'additional_vips': (2, 26), 'vip_sg_ids': (2, 29)}


#: the openstacksdk class of each child kind
SDK = {
    'listener': sdk_classes.LbListener,
    'pool': sdk_classes.LbPool,
    'member': sdk_member.Member,
    'healthmonitor': sdk_hm.HealthMonitor,
    'l7policy': sdk_l7_policy.L7Policy,
    'l7rule': sdk_l7_rule.L7Rule,
}


def raw(obj: ty.Any) -> dict:
    """An SDK object's fields as Octavia's API names them."""
    return obj.to_dict(computed=False, original_names=True)


def ids(value: ty.Any) -> list[str]:
    """The ids of a list of ``{id}`` (a load balancer's ``listeners``)."""
    return [v.get('id') for v in value or [] if isinstance(v, dict)]


def wanted_value(field: str, value: ty.Any) -> ty.Any:
    if field in UNORDERED and isinstance(value, list):
        return sorted(value)
    return value


def differs(field: str, have: ty.Any, want: ty.Any) -> bool:
    """Whether the file's ``want`` differs from the destination's
    ``have``; a null in the file means "not compared"."""
    if want is None:
        return False
    return not base.same(wanted_value(field, have), wanted_value(field, want))


def named_kind(kind: str, ref: ty.Any) -> str:
    """The kind that ``ref``, in a field that names a ``kind``, names: a
    certificate field's reference with ``secret: true`` names a secret."""
    if (
        kind == CONTAINER
        and isinstance(ref, dict)
        and ref.get(SECRET_KEY) is True
    ):
        return SECRET
    return kind


def secret_key_problem(kind: str, ref: ty.Any) -> str | None:
    """Why the ``secret`` key of ``ref``, in a field that names a
    ``kind``, contradicts the field; None when it does not."""
    if (
        kind == SECRET
        and isinstance(ref, dict)
        and ref.get(SECRET_KEY) is False
    ):
        return (
            'must be true or left out: this field names a secret (a CA or a '
            'revocation list), never a container'
        )
    return None


# -- keys of the children -----------------------------------------------------


def listener_key(attrs: dict) -> str:
    if attrs.get('name'):
        return attrs['name']
    return '(%s:%s)' % (attrs.get('protocol'), attrs.get('protocol_port'))


def member_key(attrs: dict) -> str:
    if attrs.get('name'):
        return attrs['name']
    return '(%s:%s)' % (attrs.get('address'), attrs.get('protocol_port'))


def policy_key(attrs: dict) -> str:
    if attrs.get('name'):
        return attrs['name']
    return '(position %s)' % attrs.get('position')


def pool_keys(pools: list[dict]) -> list[str]:
    """The key of each pool: its name; an unnamed one, by protocol and
    its rank among the unnamed pools of that protocol."""
    seen: dict[str, int] = {}
    keys = []
    for pool in pools:
        if pool.get('name'):
            keys.append(pool['name'])
            continue
        protocol = str(pool.get('protocol'))
        seen[protocol] = seen.get(protocol, 0) + 1
        keys.append('(%s pool %d)' % (protocol, seen[protocol]))
    return keys


def resolve(lookup: refs.Lookup, kind: str, ref: ty.Any, field: str):
    """What ``ref`` names in the destination.

    :raises osmigrateclient.exceptions.UnresolvedReference: naming
        ``field``
    """
    try:
        return lookup.resolve(kind, ref)
    except exceptions.UnresolvedReference as e:
        e.field = field
        raise


# -- reading a cloud's tree ---------------------------------------------------

#: per Lookup: members by pool id, rules by policy id (lists that Octavia
#: only gives per parent)
_CHILDREN: 'weakref.WeakKeyDictionary[refs.Lookup, dict]' = (
    weakref.WeakKeyDictionary()
)


def per_parent(lookup: refs.Lookup, kind: str, parent_id: str) -> list:
    """The members of a pool or the rules of a policy, listed once per
    Lookup."""
    cache = _CHILDREN.setdefault(lookup, {})
    key = (kind, parent_id)
    if key not in cache:
        proxy = lookup.conn.load_balancer
        if kind == 'member':
            cache[key] = list(proxy._list(SDK[kind], pool_id=parent_id))
        else:
            cache[key] = list(proxy._list(SDK[kind], l7policy_id=parent_id))
    return cache[key]


def forget_children(lookup: refs.Lookup) -> None:
    """Forget what was listed of the trees: a write changed them."""
    _CHILDREN.pop(lookup, None)
    for kind in (LB, LISTENER, POOL, HM, POLICY):
        lookup.relist(kind)


def read_tree(lookup: refs.Lookup, lb: ty.Any) -> dict:
    """A load balancer's tree as Octavia's API gives it (``raw``), each
    list in one request (members and rules: one per pool and policy)."""
    pools = [p for p in lookup.all(POOL) if lb.id in ids(p.loadbalancers)]
    pool_ids = {p.id for p in pools}
    hms = {}
    for hm in lookup.all(HM):
        for pool_id in ids(hm.pools):
            if pool_id in pool_ids:
                hms[pool_id] = hm
    listeners = [
        x for x in lookup.all(LISTENER) if lb.id in ids(x.load_balancers)
    ]
    listener_ids = {x.id for x in listeners}
    policies: dict[str, list] = {}
    for pol in lookup.all(POLICY):
        if pol.listener_id in listener_ids:
            policies.setdefault(pol.listener_id, []).append(pol)
    tree = raw(lb)
    tree['pools'] = []
    for pool in pools:
        node = raw(pool)
        node['members'] = [
            raw(m) for m in per_parent(lookup, 'member', pool.id)
        ]
        hm = hms.get(pool.id)
        node['healthmonitor'] = raw(hm) if hm is not None else None
        tree['pools'].append(node)
    tree['listeners'] = []
    for listener in listeners:
        node = raw(listener)
        node['l7policies'] = []
        for pol in sorted(
            policies.get(listener.id, []), key=lambda p: p.position or 0
        ):
            pnode = raw(pol)
            pnode['rules'] = [
                raw(r) for r in per_parent(lookup, 'l7rule', pol.id)
            ]
            node['l7policies'].append(pnode)
        tree['listeners'].append(node)
    return tree


#: per Lookup: its cloud's Octavia API version, asked once
_VERSIONS: 'weakref.WeakKeyDictionary[refs.Lookup, ty.Any]' = (
    weakref.WeakKeyDictionary()
)


def api_version(lookup: refs.Lookup) -> tuple[int, int] | None:
    """The highest API version that the cloud's Octavia lists in its
    version document, or None when it does not say."""
    if lookup not in _VERSIONS:
        _VERSIONS[lookup] = _ask_version(lookup.conn.load_balancer)
    return _VERSIONS[lookup]


def _ask_version(proxy: ty.Any) -> tuple[int, int] | None:
    try:
        # (the document is at the endpoint's root, above /v2 or /v2.0)
        root = re.sub(r'/v2(\.0)?/?$', '', proxy.get_endpoint()) + '/'
        listed = proxy.get(root).json()['versions']
        found = [
            re.fullmatch(r'v(\d{1,4})\.(\d{1,4})', str(v.get('id')))
            for v in listed
        ]
    except (
        sdk_exceptions.SDKException,
        ksa_exceptions.ClientException,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
    ):
        return None
    versions = [(int(m[1]), int(m[2])) for m in found if m]
    return max(versions) if versions else None


def additional_vips(value: ty.Any) -> list[dict] | None:
    """A load balancer's additional VIPs as both sides compare them:
    subnet and address, in the order of their subnets."""
    if value is None:
        return None
    vips = [
        {'subnet_id': v.get('subnet_id'), 'ip_address': v.get('ip_address')}
        for v in value
        if isinstance(v, dict)
    ]
    return sorted(vips, key=lambda v: str(v['subnet_id']))


def pick(obj: dict, fields: tuple) -> dict:
    """``fields`` of ``obj``, as plain values."""
    return {f: base.plain(obj.get(f)) for f in fields}


def resolved_from_cloud(tree: dict) -> dict:
    """The destination's tree (of :func:`read_tree`) in resolved form."""
    pools = tree['pools']
    keys = pool_keys(pools)
    key_of = {p['id']: k for p, k in zip(pools, keys, strict=True)}
    lb_attrs = pick(
        tree,
        (
            'name',
            'description',
            'admin_state_up',
            'provider',
            'flavor_id',
            'availability_zone',
            'vip_address',
            'vip_subnet_id',
            'vip_network_id',
            'vip_qos_policy_id',
            'vip_sg_ids',
            'tags',
        ),
    )
    lb_attrs['additional_vips'] = additional_vips(tree.get('additional_vips'))
    out = {'attrs': lb_attrs, 'id': tree['id'], 'pools': [], 'listeners': []}
    for pool, key in zip(pools, keys, strict=True):
        members = []
        for m in pool['members']:
            attrs = pick(m, MEMBER_FIELDS + ('subnet_id',))
            members.append(
                {'key': member_key(attrs), 'attrs': attrs, 'id': m['id']}
            )
        hm = pool['healthmonitor']
        out['pools'].append(
            {
                'key': key,
                'id': pool['id'],
                'attrs': pick(pool, POOL_FIELDS + tuple(POOL_TLS_REFS)),
                'members': members,
                'healthmonitor': (
                    {'attrs': pick(hm, HM_FIELDS), 'id': hm['id']}
                    if hm
                    else None
                ),
            }
        )
    for listener in tree['listeners']:
        attrs = pick(
            listener,
            LISTENER_FIELDS
            + tuple(LISTENER_TLS_REFS)
            + ('sni_container_refs',),
        )
        attrs['default_pool'] = key_of.get(listener.get('default_pool_id'))
        policies = []
        for pol in listener['l7policies']:
            pattrs = pick(pol, POLICY_FIELDS)
            pattrs['redirect_pool'] = key_of.get(pol.get('redirect_pool_id'))
            policies.append(
                {
                    'key': policy_key(pattrs),
                    'attrs': pattrs,
                    'id': pol['id'],
                    'rules': [
                        {'attrs': pick(r, RULE_FIELDS), 'id': r['id']}
                        for r in pol['rules']
                    ],
                }
            )
        out['listeners'].append(
            {
                'key': listener_key(attrs),
                'attrs': attrs,
                'id': listener['id'],
                'l7policies': policies,
            }
        )
    return out
