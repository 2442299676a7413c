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

"""Octavia load balancers, each with its whole tree.

One entry per load balancer.  Its ``params`` hold the load balancer's own
fields (as Octavia's API names them: ``admin_state_up``), the VIP by
reference (``vip_subnet_ref``, ``vip_network_ref``, ``vip_qos_policy_ref``)
with the address asked for (``vip_address``), the provider by name and the
flavor by name (``flavor``); then ``pools`` (each with its ``members`` and
its ``healthmonitor``) and ``listeners`` (each with its ``l7policies``,
each with its ``rules``).  A listener's ``default_pool`` and a policy's
``redirect_pool`` name a pool of the same load balancer; a pool without a
name cannot be referenced (the reference is null, a warning says so, and
import reports the load balancer as blocked until the file names it).

A member whose address is a fixed IP of a source server's port is written
by reference: ``server_ref`` and ``network_ref`` (the port's network), its
``address`` null.  Import gives it the destination server's address on
that network; a server that the destination does not hold yet leaves the
member out, with a remark: import the load balancers again after the
workload import.  Other members keep their ``address`` and ``subnet_ref``.
TLS listeners refer to Barbican certificate containers by reference
(``default_tls_container_ref``, ``sni_container_refs``).

Import finds the destination twin by name (an unnamed load balancer, by
its VIP address), and the children of its tree by name (unnamed ones by
their natural key: a listener by protocol and port, a member by address
and port, an L7 policy by position; rules are compared whole).  What
differs is updated, what is missing made, what the file does not hold
deleted; fields that cannot change (a listener's protocol or port, a
pool's protocol, the provider, the VIP's subnet) are a conflict, except a
member's address and a health monitor's type: those are made again.  A
null field in the file is not compared (the destination keeps its value).
The VIP address is asked for; when Octavia refuses it (taken, or outside
the subnet), the load balancer gets the address Octavia gives, and the
outcome says so.

Each write waits until the load balancer is ``ACTIVE`` again (at most
``--loadbalancer-wait`` seconds); ``ERROR`` fails it.  A load balancer that
fails leaves nothing of this run behind: a new one is deleted with its
tree (cascade), an existing one loses the children this run made.
"""

import logging
import time
import typing as ty
import weakref

from openstack import exceptions as sdk_exceptions
from openstack.load_balancer.v2 import health_monitor as sdk_hm
from openstack.load_balancer.v2 import l7_policy as sdk_l7_policy
from openstack.load_balancer.v2 import l7_rule as sdk_l7_rule
from openstack.load_balancer.v2 import listener as sdk_listener
from openstack.load_balancer.v2 import member as sdk_member
from openstack.load_balancer.v2 import pool as sdk_pool

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

LOG = logging.getLogger(__name__)

STR = datafile.STR
INT = (int,)
BOOL = (bool,)
REF = datafile.REF

#: kinds of refs.LISTERS this type lists (one request each)
LB, LISTENER, POOL, HM, POLICY = (
    'load_balancer',
    'lb_listener',
    'lb_pool',
    'lb_health_monitor',
    'lb_l7_policy',
)
FLAVOR, PROVIDER = 'lb_flavor', 'lb_provider'
CONTAINER = 'secret_container'

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

#: fields that cannot change: a difference is a conflict
FIXED = {
    'lb': (
        'provider',
        'flavor_id',
        'availability_zone',
        'vip_subnet_id',
        'vip_network_id',
    ),
    'listener': ('protocol', 'protocol_port'),
    'pool': ('protocol',),
}
#: fields that cannot change: the child is made again
REMADE = {
    'member': ('address', 'protocol_port', 'subnet_id'),
    'healthmonitor': ('type',),
}
#: list fields whose order means nothing
UNORDERED = ('tags', 'allowed_cidrs')

RULE_SHAPE = {
    'type': STR,
    'compare_type': STR,
    'key': STR,
    'value': STR,
    'invert': BOOL,
    'admin_state_up': BOOL,
    'tags': [STR],
}
POLICY_SHAPE = {
    'name': STR,
    'description': STR,
    'action': STR,
    'position': INT,
    'redirect_pool': STR,
    'redirect_url': STR,
    'redirect_prefix': STR,
    'admin_state_up': BOOL,
    'tags': [STR],
    'rules': [RULE_SHAPE],
}
LISTENER_SHAPE = {
    'name': STR,
    'description': STR,
    'protocol': STR,
    'protocol_port': INT,
    'admin_state_up': BOOL,
    'connection_limit': INT,
    'timeout_client_data': INT,
    'timeout_member_connect': INT,
    'timeout_member_data': INT,
    'timeout_tcp_inspect': INT,
    'insert_headers': datafile.MapOf(STR),
    'allowed_cidrs': [STR],
    'tls_ciphers': STR,
    'tls_versions': [STR],
    'alpn_protocols': [STR],
    'hsts_max_age': INT,
    'hsts_include_subdomains': BOOL,
    'hsts_preload': BOOL,
    'tags': [STR],
    'default_pool': STR,
    'default_tls_container_ref': REF,
    'sni_container_refs': [REF],
    'l7policies': [POLICY_SHAPE],
}
MEMBER_SHAPE = {
    'name': STR,
    'address': STR,
    'protocol_port': INT,
    'weight': INT,
    'backup': BOOL,
    'monitor_address': STR,
    'monitor_port': INT,
    'admin_state_up': BOOL,
    'tags': [STR],
    'subnet_ref': REF,
    'server_ref': REF,
    'network_ref': REF,
}
HM_SHAPE = {
    'name': STR,
    'type': STR,
    'delay': INT,
    'timeout': INT,
    'max_retries': INT,
    'max_retries_down': INT,
    'http_method': STR,
    'url_path': STR,
    'expected_codes': STR,
    'admin_state_up': BOOL,
    'tags': [STR],
}
POOL_SHAPE = {
    'name': STR,
    'description': STR,
    'protocol': STR,
    'lb_algorithm': STR,
    'session_persistence': {
        'type': STR,
        'cookie_name': STR,
        'persistence_timeout': INT,
        'persistence_granularity': STR,
    },
    'admin_state_up': BOOL,
    'tls_enabled': BOOL,
    'tls_ciphers': STR,
    'tls_versions': [STR],
    'alpn_protocols': [STR],
    'tags': [STR],
    'members': [MEMBER_SHAPE],
    'healthmonitor': HM_SHAPE,
}

UNNAMED_CONTAINER = (
    'the certificate container has no name or was not visible to the '
    'export: name it by reference'
)
UNNAMED_POOL = (
    'a pool without a name cannot be referenced: name the pool in the '
    'source and export the load balancers again'
)

#: the openstacksdk class of each child kind
SDK = {
    'listener': sdk_listener.Listener,
    'pool': sdk_pool.Pool,
    'member': sdk_member.Member,
    'healthmonitor': sdk_hm.HealthMonitor,
    'l7policy': sdk_l7_policy.L7Policy,
    'l7rule': sdk_l7_rule.L7Rule,
}

#: provisioning statuses
ACTIVE, ERROR = 'ACTIVE', 'ERROR'
#: ``--loadbalancer-wait`` when not given
DEFAULT_WAIT = 600
#: seconds between two looks at a load balancer's status
POLL = 1.0


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


def match_rules(have: list[dict], want: list[dict]) -> tuple[list, list]:
    """(the destination's rules that the file's match, the file's rules
    that none matches): a rule matches when each field the file sets is
    the same."""
    kept: list[dict] = []
    missing = []
    for rule in want:
        for old in have:
            if any(old is k for k in kept):
                continue
            if not any(
                differs(f, old['attrs'].get(f), v)
                for f, v in rule['attrs'].items()
            ):
                kept.append(old)
                break
        else:
            missing.append(rule)
    return kept, missing


# -- the tree -----------------------------------------------------------------
#
# A resolved tree is what both sides compare: the destination's (with the
# ids of its objects) and the file's (references resolved to ids), as
#
#   {'attrs': {...}, 'id': ...,
#    'pools': [{'key', 'attrs', 'id', 'members': [...],
#               'healthmonitor': {...} or None}],
#    'listeners': [{'key', 'attrs', 'id',
#                   'l7policies': [{'key', 'attrs', 'id', 'rules': [...]}]}]}
#
# with a listener's ``default_pool`` and a policy's ``redirect_pool`` as the
# pool's key.


class Op(ty.NamedTuple):
    """One write of an import: ``verb`` (create, update, delete) of a
    child ``kind``; ``parent`` is the key path of its parent (a pool's key
    for a member), ``target`` the destination id it changes."""

    verb: str
    kind: str
    label: str
    attrs: dict
    parent: tuple = ()
    target: ty.Any = None
    #: a created pool's, listener's or policy's key
    key: ty.Any = None


class TreeDiff(ty.NamedTuple):
    ops: list[Op]
    #: (field, problem) of each field that cannot change
    conflicts: list[tuple[str, str]]


def _changed(kind: str, have: dict, want: dict) -> dict:
    return {
        f: v
        for f, v in want.items()
        if f not in FIXED.get(kind, ()) and differs(f, have.get(f), v)
    }


def _fixed(kind: str, where: str, have: dict, want: dict) -> list:
    return [
        (
            '%s.%s' % (where, f),
            'cannot change: the destination has %r, the file says %r'
            % (have.get(f), want[f]),
        )
        for f in FIXED.get(kind, ())
        if f in want and differs(f, have.get(f), want[f])
    ]


def _pair(have: list[dict], want: list[dict]):
    """(destination node or None, file node or None) by key."""
    by_key = {n['key']: n for n in have}
    wanted_keys = {n['key'] for n in want}
    for node in want:
        yield by_key.get(node['key']), node
    for node in have:
        if node['key'] not in wanted_keys:
            yield node, None


def diff_tree(have: dict, want: dict) -> TreeDiff:
    """The writes that make the destination's tree ``have`` the file's
    ``want`` (both resolved), in an order Octavia takes: pools and their
    members and health monitors, listeners, L7 policies and rules, then
    the listeners and pools that the file does not hold."""
    ops: list[Op] = []
    conflicts: list[tuple[str, str]] = []
    late: list[Op] = []
    conflicts += _fixed('lb', 'load balancer', have['attrs'], want['attrs'])
    changed = _changed('lb', have['attrs'], want['attrs'])
    changed.pop('vip_address', None)
    if changed:
        ops.append(
            Op('update', 'lb', 'load balancer', changed, target=have.get('id'))
        )
    for old, new in _pair(have.get('pools', []), want.get('pools', [])):
        if new is None:
            late.append(
                Op('delete', 'pool', 'pool %s' % old['key'], {}, (), old['id'])
            )
            continue
        label = 'pool %s' % new['key']
        if old is None:
            ops.append(
                Op('create', 'pool', label, new['attrs'], key=new['key'])
            )
            old = {'members': [], 'healthmonitor': None, 'attrs': {}}
        else:
            conflicts += _fixed('pool', label, old['attrs'], new['attrs'])
            attrs = _changed('pool', old['attrs'], new['attrs'])
            if attrs:
                ops.append(Op('update', 'pool', label, attrs, (), old['id']))
        parent = (new['key'],)
        ops += _diff_members(label, parent, old['members'], new['members'])
        ops += _diff_hm(label, parent, old['healthmonitor'], new)
    for old, new in _pair(
        have.get('listeners', []), want.get('listeners', [])
    ):
        if new is None:
            late.insert(
                0,
                Op(
                    'delete',
                    'listener',
                    'listener %s' % old['key'],
                    {},
                    (),
                    old['id'],
                ),
            )
            continue
        label = 'listener %s' % new['key']
        if old is None:
            ops.append(
                Op('create', 'listener', label, new['attrs'], key=new['key'])
            )
            old = {'l7policies': [], 'attrs': {}}
        else:
            conflicts += _fixed('listener', label, old['attrs'], new['attrs'])
            attrs = _changed('listener', old['attrs'], new['attrs'])
            if attrs:
                ops.append(
                    Op('update', 'listener', label, attrs, (), old['id'])
                )
        ops += _diff_policies(
            label, (new['key'],), old['l7policies'], new['l7policies']
        )
    return TreeDiff(ops + late, conflicts)


def _diff_members(pool_label, parent, have, want):
    ops = []
    for old, new in _pair(have, want):
        if old is not None and new is not None:
            remade = [
                f
                for f in REMADE['member']
                if differs(f, old['attrs'].get(f), new['attrs'].get(f))
            ]
            if remade:
                ops.append(
                    Op(
                        'delete',
                        'member',
                        'member %s of %s' % (old['key'], pool_label),
                        {},
                        parent,
                        old['id'],
                    )
                )
                old = None
        if new is None:
            ops.append(
                Op(
                    'delete',
                    'member',
                    'member %s of %s' % (old['key'], pool_label),
                    {},
                    parent,
                    old['id'],
                )
            )
            continue
        label = 'member %s of %s' % (new['key'], pool_label)
        if old is None:
            ops.append(Op('create', 'member', label, new['attrs'], parent))
            continue
        attrs = _changed('member', old['attrs'], new['attrs'])
        if attrs:
            ops.append(Op('update', 'member', label, attrs, parent, old['id']))
    return ops


def _diff_hm(pool_label, parent, old, pool):
    new = pool.get('healthmonitor')
    label = 'health monitor of %s' % pool_label
    if old is not None and new is not None:
        if differs('type', old['attrs'].get('type'), new['attrs'].get('type')):
            return [
                Op('delete', 'healthmonitor', label, {}, parent, old['id']),
                Op('create', 'healthmonitor', label, new['attrs'], parent),
            ]
        attrs = _changed('healthmonitor', old['attrs'], new['attrs'])
        if attrs:
            return [
                Op('update', 'healthmonitor', label, attrs, parent, old['id'])
            ]
        return []
    if new is not None:
        return [Op('create', 'healthmonitor', label, new['attrs'], parent)]
    # (a null health monitor is not compared: the destination's stays)
    return []


def _diff_policies(listener_label, parent, have, want):
    ops = []
    for old, new in _pair(have, want):
        if new is None:
            ops.insert(
                0,
                Op(
                    'delete',
                    'l7policy',
                    'L7 policy %s of %s' % (old['key'], listener_label),
                    {},
                    parent,
                    old['id'],
                ),
            )
            continue
        label = 'L7 policy %s of %s' % (new['key'], listener_label)
        if old is None:
            ops.append(
                Op(
                    'create',
                    'l7policy',
                    label,
                    new['attrs'],
                    parent,
                    None,
                    new['key'],
                )
            )
            old = {'rules': []}
        else:
            attrs = _changed('l7policy', old['attrs'], new['attrs'])
            if attrs:
                ops.append(
                    Op('update', 'l7policy', label, attrs, parent, old['id'])
                )
        here = parent + (new['key'],)
        kept, missing = match_rules(old['rules'], new['rules'])
        for rule in old['rules']:
            if not any(rule is k for k in kept):
                ops.append(
                    Op(
                        'delete',
                        'l7rule',
                        'L7 rule %s of %s' % (_rule_label(rule), label),
                        {},
                        here,
                        rule['id'],
                    )
                )
        for rule in missing:
            ops.append(
                Op(
                    'create',
                    'l7rule',
                    'L7 rule %s of %s' % (_rule_label(rule), label),
                    rule['attrs'],
                    here,
                )
            )
    return ops


def _rule_label(rule: dict) -> str:
    a = rule['attrs']
    return '%s %s %r' % (a.get('type'), a.get('compare_type'), a.get('value'))


# -- reading a cloud's tree ---------------------------------------------------

#: per Lookup: members by pool id, rules by policy id (lists that Octavia
#: only gives per parent)
_CHILDREN: 'weakref.WeakKeyDictionary[refs.Lookup, dict]' = (
    weakref.WeakKeyDictionary()
)


def _per_parent(lookup: refs.Lookup, kind: str, parent_id: str) -> list:
    cache = _CHILDREN.setdefault(lookup, {})
    key = (kind, parent_id)
    if key not in cache:
        proxy = lookup.conn.load_balancer
        if kind == 'member':
            cache[key] = list(proxy._list(SDK[kind], pool_id=parent_id))
        else:
            cache[key] = list(proxy._list(SDK[kind], l7policy_id=parent_id))
    return cache[key]


def _forget_children(lookup: refs.Lookup) -> None:
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
            raw(m) for m in _per_parent(lookup, 'member', pool.id)
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
                raw(r) for r in _per_parent(lookup, 'l7rule', pol.id)
            ]
            node['l7policies'].append(pnode)
        tree['listeners'].append(node)
    return tree


def _pick(obj: dict, fields: tuple) -> dict:
    return {f: base.plain(obj.get(f)) for f in fields}


def resolved_from_cloud(tree: dict) -> dict:
    """The destination's tree (of :func:`read_tree`) in resolved form."""
    pools = tree['pools']
    keys = pool_keys(pools)
    key_of = {p['id']: k for p, k in zip(pools, keys, strict=True)}
    lb_attrs = _pick(
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
            'tags',
        ),
    )
    out = {'attrs': lb_attrs, 'id': tree['id'], 'pools': [], 'listeners': []}
    for pool, key in zip(pools, keys, strict=True):
        members = []
        for m in pool['members']:
            attrs = _pick(m, MEMBER_FIELDS + ('subnet_id',))
            members.append(
                {'key': member_key(attrs), 'attrs': attrs, 'id': m['id']}
            )
        hm = pool['healthmonitor']
        out['pools'].append(
            {
                'key': key,
                'id': pool['id'],
                'attrs': _pick(pool, POOL_FIELDS),
                'members': members,
                'healthmonitor': (
                    {'attrs': _pick(hm, HM_FIELDS), 'id': hm['id']}
                    if hm
                    else None
                ),
            }
        )
    for listener in tree['listeners']:
        attrs = _pick(
            listener,
            LISTENER_FIELDS
            + ('default_tls_container_ref', 'sni_container_refs'),
        )
        attrs['default_pool'] = key_of.get(listener.get('default_pool_id'))
        policies = []
        for pol in listener['l7policies']:
            pattrs = _pick(pol, POLICY_FIELDS)
            pattrs['redirect_pool'] = key_of.get(pol.get('redirect_pool_id'))
            policies.append(
                {
                    'key': policy_key(pattrs),
                    'attrs': pattrs,
                    'id': pol['id'],
                    'rules': [
                        {'attrs': _pick(r, RULE_FIELDS), 'id': r['id']}
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


# -- members on servers -------------------------------------------------------


def server_port(lookup: refs.Lookup, address: ty.Any, subnet_id: ty.Any):
    """(server, port) whose fixed IP ``address`` (on ``subnet_id`` when
    given) is, or (None, None)."""
    if not address:
        return None, None
    found = [
        p
        for p in lookup.owned('port')
        if (p.device_owner or '').startswith('compute:')
        and any(
            f.get('ip_address') == address
            and (not subnet_id or f.get('subnet_id') == subnet_id)
            for f in p.fixed_ips or []
        )
    ]
    if len(found) != 1:
        return None, None
    server = lookup.get('server', found[0].device_id)
    if server is None:
        return None, None
    return server, found[0]


def server_address(
    lookup: refs.Lookup, server: ty.Any, network_id: str, subnet_id: ty.Any
) -> tuple[str, str] | None:
    """(address, subnet id) of ``server``'s port on the network (on the
    subnet, when given), or None."""
    for port in lookup.all('port'):
        if port.device_id != server.id or port.network_id != network_id:
            continue
        for fixed in port.fixed_ips or []:
            if not subnet_id or fixed.get('subnet_id') == subnet_id:
                return fixed.get('ip_address'), fixed.get('subnet_id')
    return None


# -- the type -----------------------------------------------------------------


class LoadBalancer(base.Resource):
    type = 'openstack.loadbalancer.LoadBalancer'
    cli_name = 'loadbalancer'
    kind = LB
    file_name = 'loadbalancers.yml'
    service = 'load_balancer'
    catalog_service = 'load-balancer'
    plural_name = 'load balancers'
    # after the networks, subnets and certificate containers they use
    rank = 80
    depends_on = (
        'network',
        'subnet',
        'network qos policy',
        'secret container',
    )
    export_what = "the source project's load balancers, each with its tree,"

    params_fields = LB_FIELDS
    info_fields = (
        'created_at',
        'flavor_id',
        'id',
        'operating_status',
        'project_id',
        'provisioning_status',
        'updated_at',
        'vip_port_id',
    )
    references = {
        'vip_subnet_ref': base.RefField('subnet', 'vip_subnet_id'),
        'vip_network_ref': base.RefField('network', 'vip_network_id'),
        'vip_qos_policy_ref': base.RefField('qos_policy', 'vip_qos_policy_id'),
    }
    info_shapes = {'unreferenced': [STR]}
    param_shapes = {
        'admin_state_up': BOOL,
        'listeners': [LISTENER_SHAPE],
        'pools': [POOL_SHAPE],
    }
    tag_field = None

    def add_arguments(self, parser: ty.Any, verb: str) -> None:
        if verb != 'import':
            return
        parser.add_argument(
            '--loadbalancer-wait',
            metavar='<seconds>',
            type=int,
            default=DEFAULT_WAIT,
            help='How long to wait for a load balancer to become ACTIVE '
            'after each change of its tree (default: %d)' % DEFAULT_WAIT,
        )

    def wait_seconds(self, lookup: refs.Lookup) -> int:
        return getattr(lookup.options, 'loadbalancer_wait', DEFAULT_WAIT)

    # -- names ----------------------------------------------------------------

    def name_of(self, entry: base.Entry) -> str:
        return entry['params'].get('name') or ''

    def label_of(self, entry: base.Entry) -> str:
        params = entry['params']
        if params.get('name'):
            return params['name']
        return '(load balancer at %s)' % params.get('vip_address')

    def import_identity(self, entry: base.Entry) -> str:
        return '%s:%s' % (self.type, self.label_of(entry))

    # -- export ---------------------------------------------------------------

    def from_sdk(self, lookup: refs.Lookup, obj: ty.Any) -> base.Entry:
        tree = read_tree(lookup, obj)
        params = _pick(tree, LB_FIELDS)
        params['tags'] = sorted(params['tags'] or [])
        params['flavor'] = None
        if tree.get('flavor_id'):
            flavors = _listed(lookup, FLAVOR)
            if flavors is None:
                LOG.warning(
                    'load balancer %s: its flavor %s is written as null: the '
                    'source does not let the caller list flavors',
                    obj.name or obj.id,
                    tree['flavor_id'],
                )
            found = [f for f in flavors or [] if f.id == tree['flavor_id']]
            params['flavor'] = found[0].name if found else None
        info = _pick(tree, self.info_fields)
        for param, ref in self.references.items():
            info[ref.id_attr] = tree.get(ref.id_attr)
            params[param] = lookup.ref(ref.kind, tree.get(ref.id_attr))
        names = {p['id']: p.get('name') or None for p in tree['pools']}
        params['pools'] = [self._pool_params(lookup, p) for p in tree['pools']]
        params['listeners'] = [
            self._listener_params(lookup, x, names) for x in tree['listeners']
        ]
        info['unreferenced'] = _unreferenced(tree, params)
        return {
            'type': self.type,
            'params': params,
            '_info': info,
            '_migration_params': {},
        }

    def _pool_params(self, lookup: refs.Lookup, pool: dict) -> dict:
        params = _pick(pool, POOL_FIELDS)
        params['tags'] = sorted(params['tags'] or [])
        params['members'] = []
        for m in pool['members']:
            member = _pick(m, MEMBER_FIELDS)
            member['tags'] = sorted(member['tags'] or [])
            member['subnet_ref'] = lookup.ref('subnet', m.get('subnet_id'))
            server, port = server_port(
                lookup, m.get('address'), m.get('subnet_id')
            )
            if server is not None:
                member['address'] = None
                member['server_ref'] = lookup.ref_to('server', server)
                member['network_ref'] = lookup.ref('network', port.network_id)
            params['members'].append(member)
        hm = pool['healthmonitor']
        params['healthmonitor'] = _pick(hm, HM_FIELDS) if hm else None
        return params

    def _listener_params(
        self, lookup: refs.Lookup, listener: dict, pool_names: dict
    ) -> dict:
        params = _pick(listener, LISTENER_FIELDS)
        params['tags'] = sorted(params['tags'] or [])
        params['default_pool'] = pool_names.get(
            listener.get('default_pool_id')
        )
        if listener.get('default_tls_container_ref'):
            params['default_tls_container_ref'] = self._container_ref(
                lookup, listener['default_tls_container_ref']
            )
        if listener.get('sni_container_refs'):
            params['sni_container_refs'] = [
                self._container_ref(lookup, href)
                for href in listener['sni_container_refs']
            ]
        params['l7policies'] = []
        for pol in listener['l7policies']:
            pparams = _pick(pol, POLICY_FIELDS)
            pparams['tags'] = sorted(pparams['tags'] or [])
            pparams['redirect_pool'] = pool_names.get(
                pol.get('redirect_pool_id')
            )
            pparams['rules'] = [_pick(r, RULE_FIELDS) for r in pol['rules']]
            for rule in pparams['rules']:
                rule['tags'] = sorted(rule['tags'] or [])
            params['l7policies'].append(pparams)
        return params

    def _container_ref(self, lookup: refs.Lookup, href: str):
        if CONTAINER not in refs.LISTERS:
            return None
        return lookup.ref(CONTAINER, href)

    def export(
        self, lookup: refs.Lookup, match: ty.Callable[[str], bool]
    ) -> list[base.Entry]:
        entries = super().export(lookup, match)
        for entry in entries:
            for field in entry['_info'].get('unreferenced') or []:
                LOG.warning(
                    'load balancer %s: params.%s: the export cannot write '
                    'it by reference (%s): it is null, and the load '
                    'balancer will not import until the file names it',
                    self.label_of(entry),
                    field,
                    'a certificate container without a name, or not visible'
                    if 'container' in field
                    else 'a pool without a name',
                )
        return entries

    # -- import: resolving the file -------------------------------------------

    def resolve_tree(
        self, lookup: refs.Lookup, params: dict, unreferenced: ty.Any = ()
    ) -> tuple[dict, list[str]]:
        """The file's tree in resolved form, and remarks (members left
        out).

        :raises osmigrateclient.exceptions.UnresolvedReference: naming
            the field (``pools[0].members[1].subnet_ref``)
        """
        for field in unreferenced or ():
            value: ty.Any = params
            for part in field.replace(']', '').replace('[', '.').split('.'):
                if (
                    isinstance(value, list)
                    and part.isdigit()
                    and len(part) < 9
                ):
                    value = (
                        value[int(part)] if int(part) < len(value) else None
                    )
                elif isinstance(value, dict):
                    value = value.get(part)
                else:
                    value = None
            if value is None:
                raise exceptions.UnresolvedReference(
                    UNNAMED_CONTAINER
                    if 'container' in field
                    else UNNAMED_POOL,
                    field=field,
                )
        remarks: list[str] = []
        lb = {f: params.get(f) for f in LB_FIELDS if f != 'flavor'}
        for param, ref in self.references.items():
            value = params.get(param)
            if value is None:
                lb[ref.id_attr] = None
                continue
            lb[ref.id_attr] = _resolve(lookup, ref.kind, value, param).id
        if params.get('vip_subnet_ref') is not None:
            # (the subnet says the network)
            lb.pop('vip_network_id', None)
        lb['flavor_id'] = None
        if params.get('flavor'):
            listed = _listed(lookup, FLAVOR)
            if listed is None:
                raise exceptions.UnresolvedReference(
                    'cannot look load balancer flavor %r up: the user may '
                    'not list flavors' % params['flavor'],
                    field='flavor',
                )
            flavors = [f for f in listed if f.name == params['flavor']]
            if len(flavors) != 1:
                raise exceptions.UnresolvedReference(
                    'load balancer flavor %r %s in the destination'
                    % (
                        params['flavor'],
                        'not found' if not flavors else 'is ambiguous',
                    ),
                    field='flavor',
                )
            lb['flavor_id'] = flavors[0].id
        provider = params.get('provider')
        if provider:
            listed = _listed(lookup, PROVIDER)
            # (a user who may not list providers: Octavia's create says)
            known = sorted(p.name for p in listed or [])
            if listed is not None and provider not in known:
                raise exceptions.UnresolvedReference(
                    'provider %r not in the destination (it has: %s)'
                    % (provider, ', '.join(known)),
                    field='provider',
                )
        pools_in = params.get('pools') or []
        keys = pool_keys(pools_in)
        by_name = {
            p.get('name'): k for p, k in zip(pools_in, keys, strict=True)
        }
        pools = []
        for i, (pool, key) in enumerate(zip(pools_in, keys, strict=True)):
            where = 'pools[%d]' % i
            members = []
            for j, m in enumerate(pool.get('members') or []):
                attrs = self._member(
                    lookup, m, '%s.members[%d]' % (where, j), remarks, pool
                )
                if attrs is not None:
                    members.append({'key': member_key(attrs), 'attrs': attrs})
            _unique(members, where + '.members', 'member')
            hm = pool.get('healthmonitor')
            pools.append(
                {
                    'key': key,
                    'attrs': {f: pool.get(f) for f in POOL_FIELDS},
                    'members': members,
                    'healthmonitor': (
                        {'attrs': {f: hm.get(f) for f in HM_FIELDS}}
                        if hm
                        else None
                    ),
                }
            )
        _unique(pools, 'pools', 'pool')
        listeners = []
        for i, x in enumerate(params.get('listeners') or []):
            where = 'listeners[%d]' % i
            attrs = {f: x.get(f) for f in LISTENER_FIELDS}
            attrs['default_pool'] = _pool_key(
                x, 'default_pool', by_name, where
            )
            ref = x.get('default_tls_container_ref')
            if ref is not None:
                attrs['default_tls_container_ref'] = _resolve(
                    lookup,
                    CONTAINER,
                    ref,
                    where + '.default_tls_container_ref',
                ).id
            elif x.get('protocol') == 'TERMINATED_HTTPS':
                raise exceptions.UnresolvedReference(
                    'a TERMINATED_HTTPS listener needs its certificate '
                    'container: name it by reference',
                    field=where + '.default_tls_container_ref',
                )
            if x.get('sni_container_refs') is not None:
                attrs['sni_container_refs'] = [
                    _resolve(
                        lookup,
                        CONTAINER,
                        r,
                        '%s.sni_container_refs[%d]' % (where, k),
                    ).id
                    for k, r in enumerate(x['sni_container_refs'])
                ]
            policies = []
            for j, pol in enumerate(x.get('l7policies') or []):
                pattrs = {f: pol.get(f) for f in POLICY_FIELDS}
                pattrs['redirect_pool'] = _pool_key(
                    pol,
                    'redirect_pool',
                    by_name,
                    '%s.l7policies[%d]' % (where, j),
                )
                policies.append(
                    {
                        'key': policy_key(pattrs),
                        'attrs': pattrs,
                        'rules': [
                            {'attrs': {f: r.get(f) for f in RULE_FIELDS}}
                            for r in pol.get('rules') or []
                        ],
                    }
                )
            _unique(
                policies, where + '.l7policies', 'L7 policy of the listener'
            )
            listeners.append(
                {
                    'key': listener_key(attrs),
                    'attrs': attrs,
                    'l7policies': policies,
                }
            )
        _unique(listeners, 'listeners', 'listener')
        tree = {'attrs': lb, 'pools': pools, 'listeners': listeners}
        return tree, remarks

    def _member(
        self,
        lookup: refs.Lookup,
        m: dict,
        where: str,
        remarks: list[str],
        pool: dict,
    ) -> dict | None:
        """A member's resolved fields, or None when its server is not in
        the destination (a remark says so)."""
        attrs = {f: m.get(f) for f in MEMBER_FIELDS}
        subnet = m.get('subnet_ref')
        attrs['subnet_id'] = (
            _resolve(lookup, 'subnet', subnet, where + '.subnet_ref').id
            if subnet is not None
            else None
        )
        server_ref = m.get('server_ref')
        if server_ref is None:
            if not m.get('address'):
                raise exceptions.UnresolvedReference(
                    'missing: a member needs an address or a server_ref',
                    field=where + '.address',
                )
            return attrs
        network_ref = m.get('network_ref')
        if network_ref is None:
            raise exceptions.UnresolvedReference(
                'missing: a member on a server needs the network of the '
                "server's port",
                field=where + '.network_ref',
            )
        network = _resolve(
            lookup, 'network', network_ref, where + '.network_ref'
        )
        label = 'member %s of pool %s' % (
            m.get('name') or '(server %s)' % server_ref.get('name'),
            pool.get('name'),
        )
        try:
            server = lookup.resolve('server', server_ref)
        except exceptions.UnresolvedReference as e:
            remarks.append(
                '%s left out: %s (import the load balancers again after '
                'the workload import)' % (label, e.problem)
            )
            return None
        found = server_address(lookup, server, network.id, attrs['subnet_id'])
        if found is None:
            remarks.append(
                '%s left out: server %r has no address on network %r'
                % (label, server.name, network.name)
            )
            return None
        attrs['address'], attrs['subnet_id'] = found
        return attrs

    # -- import: plan and apply -----------------------------------------------

    def references_in(self, params: dict) -> list[tuple[str, str, ty.Any]]:
        found = super().references_in(params)
        for i, x in enumerate(params.get('listeners') or []):
            where = 'params.listeners[%d]' % i
            if x.get('default_tls_container_ref') is not None:
                found.append(
                    (
                        where + '.default_tls_container_ref',
                        CONTAINER,
                        x['default_tls_container_ref'],
                    )
                )
            for k, ref in enumerate(x.get('sni_container_refs') or []):
                found.append(
                    ('%s.sni_container_refs[%d]' % (where, k), CONTAINER, ref)
                )
        for i, pool in enumerate(params.get('pools') or []):
            for j, m in enumerate(pool.get('members') or []):
                where = 'params.pools[%d].members[%d]' % (i, j)
                for key, kind in (
                    ('subnet_ref', 'subnet'),
                    ('server_ref', 'server'),
                    ('network_ref', 'network'),
                ):
                    if m.get(key) is not None:
                        found.append(('%s.%s' % (where, key), kind, m[key]))
        return found

    def find_existing(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        if entry['params'].get('name'):
            return super().find_existing(lookup, entry)
        address = entry['params'].get('vip_address')
        found = [
            o
            for o in lookup.owned(self.kind)
            if not o.name and o.vip_address == address
        ]
        return found[0] if found else None

    def plan(self, lookup: refs.Lookup, entry: base.Entry) -> base.Plan:
        try:
            want, remarks = self.resolve_tree(
                lookup,
                entry['params'],
                entry['_info'].get('unreferenced'),
            )
        except exceptions.UnresolvedReference as e:
            return base.Plan(base.BLOCKED, '%s: %s' % (e.field, e.problem))
        try:
            existing = self.find_existing(lookup, entry)
        except exceptions.Conflict as e:
            return base.Plan(base.CONFLICT, e.problem)
        note = '; '.join(remarks)
        if existing is None:
            return base.Plan(base.CREATE, note, None, {'want': want})
        have = resolved_from_cloud(read_tree(lookup, existing))
        found = diff_tree(have, want)
        if found.conflicts:
            return base.Plan(
                base.CONFLICT,
                '; '.join('%s: %s' % c for c in found.conflicts),
                existing,
            )
        if not found.ops:
            return base.Plan(base.UNCHANGED, note, existing)
        detail = '; '.join(
            d
            for d in (
                ', '.join('%s %s' % (o.verb, o.label) for o in found.ops),
                note,
            )
            if d
        )
        return base.Plan(
            base.UPDATE, detail, existing, {'want': want, 'have': have}
        )

    def create(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        want, _ = self.resolve_tree(lookup, entry['params'])
        proxy = self.proxy(lookup)
        attrs = {
            k: v
            for k, v in want['attrs'].items()
            if not base.is_empty(v) and k != 'vip_address'
        }
        address = want['attrs'].get('vip_address')
        lb = None
        if address:
            try:
                lb = proxy.create_load_balancer(vip_address=address, **attrs)
            except (
                sdk_exceptions.BadRequestException,
                sdk_exceptions.ConflictException,
            ) as e:
                LOG.debug('VIP address %s refused: %s', address, e)
        if lb is None:
            lb = proxy.create_load_balancer(**attrs)
        name = self.label_of(entry)
        try:
            lb = self._wait(lookup, lb, name)
            empty = {'attrs': {}, 'id': lb.id, 'pools': [], 'listeners': []}
            want['attrs'] = {}
            ops = diff_tree(empty, want).ops
            self._run(lookup, lb, name, empty, ops, [])
        except Exception:
            LOG.debug('Deleting the half-made load balancer %s', lb.id)
            try:
                proxy.delete_load_balancer(lb, cascade=True)
                proxy.wait_for_delete(lb, wait=self.wait_seconds(lookup))
            except sdk_exceptions.SDKException:
                LOG.warning(
                    'load balancer %s (%s): could not delete it after its '
                    'import failed',
                    name,
                    lb.id,
                    exc_info=True,
                )
            _forget_children(lookup)
            raise
        _forget_children(lookup)
        return proxy.get_load_balancer(lb.id)

    def update(
        self, lookup: refs.Lookup, existing: ty.Any, changes: dict
    ) -> ty.Any:
        have = changes['have']
        ops = diff_tree(have, changes['want']).ops
        made: list[tuple[Op, ty.Any, dict]] = []
        name = existing.name or existing.vip_address
        # (one that is still busy, or in ERROR, takes no write)
        self._wait(lookup, existing, name)
        try:
            self._run(lookup, existing, name, have, ops, made)
        except Exception:
            self._undo(lookup, existing, name, made)
            _forget_children(lookup)
            raise
        _forget_children(lookup)
        return self.proxy(lookup).get_load_balancer(existing.id)

    def apply(
        self, lookup: refs.Lookup, entry: base.Entry, dry_run: bool = False
    ) -> base.Outcome:
        outcome = super().apply(lookup, entry, dry_run)
        if not dry_run and outcome.action in base.DONE.values():
            # (``import all`` shows counts only: say what was left out)
            try:
                _, left = self.resolve_tree(lookup, entry['params'])
            except exceptions.MigrateError:
                left = []
            for remark in left:
                LOG.warning('load balancer %s: %s', outcome.name, remark)
        return outcome

    def remarks(self, lookup: refs.Lookup, obj: ty.Any, entry: base.Entry):
        wanted = entry['params'].get('vip_address')
        if wanted and obj.vip_address != wanted:
            return 'VIP address %s not free: the load balancer has %s' % (
                wanted,
                obj.vip_address,
            )
        return ''

    # -- the writes -----------------------------------------------------------

    def _wait(self, lookup: refs.Lookup, lb: ty.Any, name: str) -> ty.Any:
        """The load balancer once ACTIVE.

        :raises osmigrateclient.exceptions.MigrateError: it went to ERROR,
            or is not ACTIVE in time
        """
        proxy = self.proxy(lookup)
        wait = self.wait_seconds(lookup)
        deadline = time.monotonic() + wait
        while True:
            lb = proxy.get_load_balancer(lb.id)
            status = lb.provisioning_status
            if status == ACTIVE:
                return lb
            if status == ERROR:
                raise exceptions.MigrateError(
                    'load balancer %r (%s) went to provisioning status ERROR'
                    % (name, lb.id)
                )
            if time.monotonic() >= deadline:
                raise exceptions.MigrateError(
                    'load balancer %r (%s) is still %s after %d s (see '
                    '--loadbalancer-wait)' % (name, lb.id, status, wait)
                )
            time.sleep(POLL)

    def _run(
        self,
        lookup: refs.Lookup,
        lb: ty.Any,
        name: str,
        have: dict,
        ops: list[Op],
        made: list,
    ) -> None:
        """Apply ``ops`` to the load balancer's tree ``have`` (resolved),
        one write at a time, each waited for; ``made`` collects what is
        created."""
        proxy = self.proxy(lookup)
        #: key path -> destination id, of the pools, listeners, policies
        ids_of: dict[tuple, str] = {}
        for pool in have['pools']:
            ids_of[('pool', pool['key'])] = pool['id']
        for x in have['listeners']:
            ids_of[('listener', x['key'])] = x['id']
            for pol in x['l7policies']:
                ids_of[('l7policy', x['key'], pol['key'])] = pol['id']
        for op in ops:
            attrs = self._sdk_attrs(op, ids_of)
            cls = SDK.get(op.kind)
            uri = {}
            if op.kind in ('member', 'healthmonitor'):
                pool_id = ids_of[('pool',) + op.parent]
                if op.kind == 'member':
                    uri = {'pool_id': pool_id}
                elif op.verb == 'create':
                    attrs['pool_id'] = pool_id
            if op.kind == 'l7rule':
                uri = {'l7policy_id': ids_of[('l7policy',) + op.parent]}
            if op.kind == 'l7policy' and op.verb == 'create':
                attrs['listener_id'] = ids_of[('listener',) + op.parent]
            if op.kind in ('pool', 'listener') and op.verb == 'create':
                attrs['loadbalancer_id'] = lb.id
            LOG.debug('load balancer %s: %s %s', name, op.verb, op.label)
            try:
                if op.kind == 'lb':
                    proxy.update_load_balancer(lb.id, **attrs)
                    obj = None
                elif op.verb == 'create':
                    obj = proxy._create(cls, **uri, **attrs)
                    made.append((op, obj, uri))
                elif op.verb == 'update':
                    obj = proxy._update(cls, op.target, **uri, **attrs)
                else:
                    proxy._delete(cls, op.target, ignore_missing=True, **uri)
                    obj = None
            except sdk_exceptions.SDKException as e:
                raise exceptions.MigrateError(
                    '%s %s: %s' % (op.verb, op.label, base._api_message(e))
                )
            self._wait(lookup, lb, name)
            if obj is not None:
                status = proxy._get(cls, obj.id, **uri).provisioning_status
                if status == ERROR:
                    raise exceptions.MigrateError(
                        '%s %s: its provisioning status is ERROR'
                        % (op.verb, op.label)
                    )
            if op.verb == 'create' and op.key is not None:
                ids_of[(op.kind,) + op.parent + (op.key,)] = obj.id

    @staticmethod
    def _sdk_attrs(op: Op, ids_of: dict) -> dict:
        """The API fields of an op: pool keys made ids, nulls left out
        (Octavia's defaults), and empty values on create."""
        attrs = {}
        for field, value in op.attrs.items():
            if field in ('default_pool', 'redirect_pool'):
                field = field + '_id'
                value = ids_of.get(('pool', value)) if value else None
                if value is None and op.verb == 'create':
                    continue
            elif value is None or (
                op.verb == 'create' and base.is_empty(value)
            ):
                continue
            attrs[field] = wanted_value(field, value)
        return attrs

    def _undo(
        self, lookup: refs.Lookup, lb: ty.Any, name: str, made: list
    ) -> None:
        """Delete what this run made in an existing load balancer's tree,
        the last made first (best effort: the error is the import's)."""
        proxy = self.proxy(lookup)
        for op, obj, uri in reversed(made):
            try:
                self._wait(lookup, lb, name)
                proxy._delete(SDK[op.kind], obj.id, ignore_missing=True, **uri)
            except (sdk_exceptions.SDKException, exceptions.MigrateError):
                LOG.warning(
                    'load balancer %s: could not delete the %s it made',
                    name,
                    op.label,
                    exc_info=True,
                )
        try:
            self._wait(lookup, lb, name)
        except exceptions.MigrateError:
            pass


def _unreferenced(tree: dict, params: dict) -> list[str]:
    """The fields of ``params`` (exported from ``tree``) that are null
    because what they name cannot be referenced."""
    found = []
    for i, (x, p) in enumerate(
        zip(tree['listeners'], params['listeners'], strict=True)
    ):
        where = 'listeners[%d]' % i
        if x.get('default_pool_id') and p['default_pool'] is None:
            found.append(where + '.default_pool')
        if x.get('default_tls_container_ref') and not p.get(
            'default_tls_container_ref'
        ):
            found.append(where + '.default_tls_container_ref')
        for k, ref in enumerate(p.get('sni_container_refs') or []):
            if ref is None:
                found.append('%s.sni_container_refs[%d]' % (where, k))
        for j, (pol, pp) in enumerate(
            zip(x['l7policies'], p['l7policies'], strict=True)
        ):
            if pol.get('redirect_pool_id') and pp['redirect_pool'] is None:
                found.append('%s.l7policies[%d].redirect_pool' % (where, j))
    return found


def _listed(lookup: refs.Lookup, kind: str) -> list | None:
    """The list of ``kind``, or None when the cloud refuses it."""
    try:
        return lookup.all(kind)
    except sdk_exceptions.ForbiddenException:
        return None


def _unique(nodes: list[dict], where: str, what: str) -> None:
    """Refuse two children that an import could not tell apart."""
    seen: dict[str, int] = {}
    for i, node in enumerate(nodes):
        if node['key'] in seen:
            raise exceptions.UnresolvedReference(
                'duplicate: %s %s is also %s[%d]: an import cannot tell '
                'them apart' % (what, node['key'], where, seen[node['key']]),
                field='%s[%d]' % (where, i),
            )
        seen[node['key']] = i


def _resolve(lookup: refs.Lookup, kind: str, ref: ty.Any, field: str):
    try:
        return lookup.resolve(kind, ref)
    except exceptions.UnresolvedReference as e:
        e.field = field
        raise


def _pool_key(params: dict, field: str, by_name: dict, where: str):
    """The key of the pool a listener or policy names (by name)."""
    name = params.get(field)
    if not name:
        return None
    if name not in by_name:
        raise exceptions.UnresolvedReference(
            'pool %r is not a pool of this load balancer' % name,
            field='%s.%s' % (where, field),
        )
    return by_name[name]


RESOURCE = LoadBalancer
