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


"""A load balancer's tree as its data file holds it: the params that an
export writes of a cloud's tree (children by name, members on servers,
certificate containers and secrets by reference), and the resolved tree
that an import makes of them (:func:`resolve_tree`)."""

import re
import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient import exceptions
from osmigrateclient.resources import _listers as listers
from osmigrateclient.resources import _octavia_members as octavia_members
from osmigrateclient.resources import _octavia_tree as octavia_tree
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

UNNAMED_CONTAINER = (
    'the certificate container (or PKCS12 secret) has no name or was not '
    'visible to the export: name it by reference'
)
UNNAMED_SECRET = (
    'the secret has no name or was not visible to the export: '  # noqa: S105
    'name it by reference'
)
UNNAMED_POOL = (
    'a pool without a name cannot be referenced: name the pool in the '
    'source and export the load balancers again'
)
UNNAMED_OTHER = (
    'what it names was not visible to the export: name it by reference'
)
#: why an export leaves a field null (its warning), by the kind it names
EXPORT_WHY = {
    octavia_tree.CONTAINER: 'a certificate container or secret without a '
    'name, or not visible',
    octavia_tree.SECRET: 'a secret without a name, or not visible',
    'pool': 'a pool without a name',
    'subnet': 'a subnet not visible',
    'security_group': 'a security group not visible',
}
#: what an import says of a field the export left null, by kind
IMPORT_WHY = {
    octavia_tree.CONTAINER: UNNAMED_CONTAINER,
    octavia_tree.SECRET: UNNAMED_SECRET,
    'pool': UNNAMED_POOL,
}


def kind_named_by(field: str) -> str:
    """The kind of what a field of ``_info.unreferenced`` names
    (``listeners[0].client_ca_tls_container_ref``: a secret)."""
    last = re.sub(r'\[\d+\]$', '', field.rsplit('.', 1)[-1])
    refs_of = dict(octavia_tree.LISTENER_TLS_REFS)
    refs_of.update(octavia_tree.POOL_TLS_REFS)
    refs_of.update(
        {
            'sni_container_refs': octavia_tree.CONTAINER,
            'subnet_ref': 'subnet',
            'vip_sg_refs': 'security_group',
        }
    )
    return refs_of.get(last, 'pool')


# -- export -----------------------------------------------------------------


def pool_params(lookup: refs.Lookup, pool: dict) -> dict:
    """The params of a pool of the source (``raw``), with its members
    and health monitor."""
    params = octavia_tree.pick(pool, octavia_tree.POOL_FIELDS)
    params['tags'] = sorted(params['tags'] or [])
    for field, kind in octavia_tree.POOL_TLS_REFS.items():
        if pool.get(field):
            params[field] = _barbican_ref(lookup, kind, pool[field])
    params['members'] = []
    for m in pool['members']:
        params['members'].append(octavia_members.member_params(lookup, m))
    hm = pool['healthmonitor']
    params['healthmonitor'] = (
        octavia_tree.pick(hm, octavia_tree.HM_FIELDS) if hm else None
    )
    return params


def listener_params(
    lookup: refs.Lookup, listener: dict, pool_names: dict
) -> dict:
    """The params of a listener of the source (``raw``), with its L7
    policies and rules; ``pool_names`` by pool id."""
    params = octavia_tree.pick(listener, octavia_tree.LISTENER_FIELDS)
    params['tags'] = sorted(params['tags'] or [])
    params['default_pool'] = pool_names.get(listener.get('default_pool_id'))
    for field, kind in octavia_tree.LISTENER_TLS_REFS.items():
        if listener.get(field):
            params[field] = _barbican_ref(lookup, kind, listener[field])
    if listener.get('sni_container_refs'):
        params['sni_container_refs'] = [
            _barbican_ref(lookup, octavia_tree.CONTAINER, href)
            for href in listener['sni_container_refs']
        ]
    params['l7policies'] = []
    for pol in listener['l7policies']:
        pparams = octavia_tree.pick(pol, octavia_tree.POLICY_FIELDS)
        pparams['tags'] = sorted(pparams['tags'] or [])
        pparams['redirect_pool'] = pool_names.get(pol.get('redirect_pool_id'))
        pparams['rules'] = [
            octavia_tree.pick(r, octavia_tree.RULE_FIELDS)
            for r in pol['rules']
        ]
        for rule in pparams['rules']:
            rule['tags'] = sorted(rule['tags'] or [])
        params['l7policies'].append(pparams)
    return params


def _barbican_ref(lookup: refs.Lookup, kind: str, href: str):
    if kind not in listers.LISTERS:
        return None
    found = lookup.ref(kind, href)
    if found is None and kind == octavia_tree.CONTAINER:
        # a certificate held as one PKCS12 secret (the secrets are listed
        # only when a container is not found)
        found = lookup.ref(octavia_tree.SECRET, href)
        if found is not None:
            found[octavia_tree.SECRET_KEY] = True
    return found


def barbican_refs(params: dict) -> list[tuple[str, str, ty.Any]]:
    """(field, kind the field names, reference) of each Barbican
    reference of a load balancer's listeners and pools that ``params``
    set, the field as ``listeners[0].sni_container_refs[1]``."""
    found = []
    for i, x in enumerate(params.get('listeners') or []):
        where = 'listeners[%d]' % i
        for field, kind in octavia_tree.LISTENER_TLS_REFS.items():
            if x.get(field) is not None:
                found.append(('%s.%s' % (where, field), kind, x[field]))
        for k, ref in enumerate(x.get('sni_container_refs') or []):
            found.append(
                (
                    '%s.sni_container_refs[%d]' % (where, k),
                    octavia_tree.CONTAINER,
                    ref,
                )
            )
    for i, pool in enumerate(params.get('pools') or []):
        for field, kind in octavia_tree.POOL_TLS_REFS.items():
            if pool.get(field) is not None:
                found.append(('pools[%d].%s' % (i, field), kind, pool[field]))
    return found


def secret_key_problem(params: dict) -> tuple[str, str] | None:
    """(field, problem) of the first Barbican reference of ``params``
    whose ``secret`` key contradicts its field, or None."""
    for field, kind, ref in barbican_refs(params):
        problem = octavia_tree.secret_key_problem(kind, ref)
        if problem:
            return '%s.%s' % (field, octavia_tree.SECRET_KEY), problem
    return None


def vip_params(lookup: refs.Lookup, tree: dict) -> dict:
    """The params of a load balancer's additional VIPs (subnet by
    reference, address asked for) and VIP security groups (by
    reference); null where the source's Octavia does not have them."""
    vips = tree.get('additional_vips')
    groups = tree.get('vip_sg_ids')
    return {
        'additional_vips': None
        if vips is None
        else [
            {
                'subnet_ref': lookup.ref('subnet', v.get('subnet_id')),
                'ip_address': v.get('ip_address'),
            }
            for v in octavia_tree.additional_vips(vips) or []
        ],
        'vip_sg_refs': None
        if groups is None
        else [lookup.ref('security_group', g) for g in groups],
    }


def unreferenced_fields(tree: dict, params: dict) -> list[str]:
    """The fields of ``params`` (exported from ``tree``) that are null
    because what they name cannot be referenced."""
    found = []
    for i, (x, p) in enumerate(
        zip(tree['listeners'], params['listeners'], strict=True)
    ):
        where = 'listeners[%d]' % i
        if x.get('default_pool_id') and p['default_pool'] is None:
            found.append(where + '.default_pool')
        for field in octavia_tree.LISTENER_TLS_REFS:
            if x.get(field) and not p.get(field):
                found.append('%s.%s' % (where, field))
        for k, ref in enumerate(p.get('sni_container_refs') or []):
            if ref is None:
                found.append('%s.sni_container_refs[%d]' % (where, k))
        for j, (pol, pp) in enumerate(
            zip(x['l7policies'], p['l7policies'], strict=True)
        ):
            if pol.get('redirect_pool_id') and pp['redirect_pool'] is None:
                found.append('%s.l7policies[%d].redirect_pool' % (where, j))
    for i, (pool, p) in enumerate(
        zip(tree['pools'], params['pools'], strict=True)
    ):
        for field in octavia_tree.POOL_TLS_REFS:
            if pool.get(field) and not p.get(field):
                found.append('pools[%d].%s' % (i, field))
    for i, v in enumerate(params.get('additional_vips') or []):
        if v['subnet_ref'] is None:
            found.append('additional_vips[%d].subnet_ref' % i)
    for i, group in enumerate(params.get('vip_sg_refs') or []):
        if group is None:
            found.append('vip_sg_refs[%d]' % i)
    return found


def list_or_none(lookup: refs.Lookup, kind: str) -> list | None:
    """The list of ``kind``, or None when the cloud refuses it."""
    try:
        return lookup.all(kind)
    except sdk_exceptions.ForbiddenException:
        return None


# -- import -----------------------------------------------------------------


def resolve_tree(
    lookup: refs.Lookup,
    params: dict,
    references: dict[str, base.RefField],
    unreferenced: ty.Any = (),
) -> tuple[dict, list[str]]:
    """The file's tree in resolved form, and remarks (members left
    out); ``references`` are the load balancer's own (its VIP's).

    :raises osmigrateclient.exceptions.UnresolvedReference: naming
        the field (``pools[0].members[1].subnet_ref``)
    """
    _refuse_unreferenced(params, unreferenced)
    remarks: list[str] = []
    lb = _lb_attrs(lookup, params, references, remarks)
    pools, by_name = _pools(lookup, params, remarks)
    listeners = _listeners(lookup, params, by_name)
    tree = {'attrs': lb, 'pools': pools, 'listeners': listeners}
    return tree, remarks


def _refuse_unreferenced(params: dict, unreferenced: ty.Any) -> None:
    """Refuse a field that the export could not write by reference
    (``_info.unreferenced``) while the file still leaves it null."""
    for field in unreferenced or ():
        value: ty.Any = params
        for part in field.replace(']', '').replace('[', '.').split('.'):
            if isinstance(value, list) and part.isdigit() and len(part) < 9:
                value = value[int(part)] if int(part) < len(value) else None
            elif isinstance(value, dict):
                value = value.get(part)
            else:
                value = None
        if value is None:
            raise exceptions.UnresolvedReference(
                IMPORT_WHY.get(kind_named_by(field), UNNAMED_OTHER),
                field=field,
            )


def _lb_attrs(
    lookup: refs.Lookup,
    params: dict,
    references: dict[str, base.RefField],
    remarks: list[str],
) -> dict:
    """The load balancer's own fields, its VIP's references, flavor and
    provider resolved."""
    lb = {f: params.get(f) for f in octavia_tree.LB_FIELDS if f != 'flavor'}
    for param, ref in references.items():
        value = params.get(param)
        if value is None:
            lb[ref.id_attr] = None
            continue
        lb[ref.id_attr] = octavia_tree.resolve(
            lookup, ref.kind, value, param
        ).id
    if params.get('vip_subnet_ref') is not None:
        # (the subnet says the network)
        lb.pop('vip_network_id', None)
    lb.update(_vip_extras(lookup, params, remarks))
    lb['flavor_id'] = None
    if params.get('flavor'):
        listed = list_or_none(lookup, octavia_tree.FLAVOR)
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
        listed = list_or_none(lookup, octavia_tree.PROVIDER)
        # (a user who may not list providers: Octavia's create says)
        known = sorted(p.name for p in listed or [])
        if listed is not None and provider not in known:
            raise exceptions.UnresolvedReference(
                'provider %r not in the destination (it has: %s)'
                % (provider, ', '.join(known)),
                field='provider',
            )
    return lb


def _vip_extras(lookup: refs.Lookup, params: dict, remarks: list[str]) -> dict:
    """The additional VIPs and the VIP security groups resolved; null,
    with a remark, where the destination's Octavia does not have them."""
    found: dict[str, ty.Any] = {'additional_vips': None, 'vip_sg_ids': None}
    for field, param, what in (
        ('additional_vips', 'additional_vips', 'additional VIPs'),
        ('vip_sg_ids', 'vip_sg_refs', 'VIP security groups'),
    ):
        value = params.get(param)
        if value is None:
            continue
        since = octavia_tree.LB_FIELD_VERSIONS[field]
        version = octavia_tree.api_version(lookup) if value else None
        if version is not None and version < since:
            remarks.append(
                '%s left out: the destination\'s Octavia API is v%d.%d, it '
                'takes %s from v%d.%d' % ((param,) + version + (what,) + since)
            )
            continue
        if field == 'vip_sg_ids':
            found[field] = [
                octavia_tree.resolve(
                    lookup, 'security_group', g, 'vip_sg_refs[%d]' % i
                ).id
                for i, g in enumerate(value)
            ]
            continue
        vips = []
        for i, v in enumerate(value):
            where = 'additional_vips[%d].subnet_ref' % i
            if v.get('subnet_ref') is None:
                raise exceptions.UnresolvedReference(
                    'missing: an additional VIP needs its subnet', field=where
                )
            subnet = octavia_tree.resolve(
                lookup, 'subnet', v['subnet_ref'], where
            )
            vips.append(
                {'subnet_id': subnet.id, 'ip_address': v.get('ip_address')}
            )
        found[field] = octavia_tree.additional_vips(vips)
    return found


def _pools(
    lookup: refs.Lookup, params: dict, remarks: list[str]
) -> tuple[list[dict], dict]:
    """The pools, with their members and health monitors, and the key of
    each pool by name."""
    pools_in = params.get('pools') or []
    keys = octavia_tree.pool_keys(pools_in)
    by_name = {p.get('name'): k for p, k in zip(pools_in, keys, strict=True)}
    pools = []
    for i, (pool, key) in enumerate(zip(pools_in, keys, strict=True)):
        where = 'pools[%d]' % i
        members = []
        for j, m in enumerate(pool.get('members') or []):
            attrs = octavia_members.resolve_member(
                lookup, m, '%s.members[%d]' % (where, j), remarks, pool
            )
            if attrs is not None:
                members.append(
                    {'key': octavia_tree.member_key(attrs), 'attrs': attrs}
                )
        _unique(members, where + '.members', 'member')
        hm = pool.get('healthmonitor')
        attrs = {f: pool.get(f) for f in octavia_tree.POOL_FIELDS}
        attrs.update(
            _tls_refs(lookup, pool, octavia_tree.POOL_TLS_REFS, where)
        )
        pools.append(
            {
                'key': key,
                'attrs': attrs,
                'members': members,
                'healthmonitor': (
                    {'attrs': {f: hm.get(f) for f in octavia_tree.HM_FIELDS}}
                    if hm
                    else None
                ),
            }
        )
    _unique(pools, 'pools', 'pool')
    return pools, by_name


def _listeners(lookup: refs.Lookup, params: dict, by_name: dict) -> list:
    """The listeners, with their L7 policies and rules."""
    listeners = []
    for i, x in enumerate(params.get('listeners') or []):
        where = 'listeners[%d]' % i
        attrs = {f: x.get(f) for f in octavia_tree.LISTENER_FIELDS}
        attrs['default_pool'] = _pool_key(x, 'default_pool', by_name, where)
        attrs.update(
            _tls_refs(lookup, x, octavia_tree.LISTENER_TLS_REFS, where)
        )
        if (
            x.get('default_tls_container_ref') is None
            and x.get('protocol') == 'TERMINATED_HTTPS'
        ):
            raise exceptions.UnresolvedReference(
                'a TERMINATED_HTTPS listener needs its certificate (a '
                'container or a secret): name it by reference',
                field=where + '.default_tls_container_ref',
            )
        if x.get('sni_container_refs') is not None:
            attrs['sni_container_refs'] = [
                octavia_tree.resolve(
                    lookup,
                    octavia_tree.named_kind(octavia_tree.CONTAINER, r),
                    r,
                    '%s.sni_container_refs[%d]' % (where, k),
                ).id
                for k, r in enumerate(x['sni_container_refs'])
            ]
        policies = []
        for j, pol in enumerate(x.get('l7policies') or []):
            pattrs = {f: pol.get(f) for f in octavia_tree.POLICY_FIELDS}
            pattrs['redirect_pool'] = _pool_key(
                pol,
                'redirect_pool',
                by_name,
                '%s.l7policies[%d]' % (where, j),
            )
            policies.append(
                {
                    'key': octavia_tree.policy_key(pattrs),
                    'attrs': pattrs,
                    'rules': [
                        {
                            'attrs': {
                                f: r.get(f) for f in octavia_tree.RULE_FIELDS
                            }
                        }
                        for r in pol.get('rules') or []
                    ],
                }
            )
        _unique(policies, where + '.l7policies', 'L7 policy of the listener')
        listeners.append(
            {
                'key': octavia_tree.listener_key(attrs),
                'attrs': attrs,
                'l7policies': policies,
            }
        )
    _unique(listeners, 'listeners', 'listener')
    return listeners


def _tls_refs(
    lookup: refs.Lookup, node: dict, fields: dict[str, str], where: str
) -> dict:
    """The Barbican hrefs of a listener's or pool's references that the
    file sets."""
    return {
        field: octavia_tree.resolve(
            lookup,
            octavia_tree.named_kind(kind, node[field]),
            node[field],
            '%s.%s' % (where, field),
        ).id
        for field, kind in fields.items()
        if node.get(field) is not None
    }


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
