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


"""The writes that make a load balancer's tree in the destination what
the file says (:func:`diff_tree`): what to create, update or delete, in
an order Octavia takes, and the fields that cannot change."""

import typing as ty

from osmigrateclient.resources import _octavia_tree as octavia_tree

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
                octavia_tree.differs(f, old['attrs'].get(f), v)
                for f, v in rule['attrs'].items()
            ):
                kept.append(old)
                break
        else:
            missing.append(rule)
    return kept, missing


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
        if f not in FIXED.get(kind, ())
        and octavia_tree.differs(f, have.get(f), v)
    }


def _fixed(kind: str, where: str, have: dict, want: dict) -> list:
    return [
        (
            '%s.%s' % (where, f),
            'cannot change: the destination has %r, the file says %r'
            % (have.get(f), want[f]),
        )
        for f in FIXED.get(kind, ())
        if f in want and octavia_tree.differs(f, have.get(f), want[f])
    ]


def _fixed_vips(have: dict, want: dict) -> list:
    """The conflict of additional VIPs on other subnets: Octavia sets
    them on create only."""
    wanted = want.get('additional_vips')
    if wanted is None:
        return []
    subnets = [
        sorted(v['subnet_id'] for v in x or [])
        for x in (have.get('additional_vips'), wanted)
    ]
    if subnets[0] == subnets[1]:
        return []
    return [
        (
            'load balancer.additional_vips',
            'cannot change: the destination has them on subnets %r, the '
            'file says %r' % tuple(subnets),
        )
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
    conflicts += _fixed_vips(have['attrs'], want['attrs'])
    changed = _changed('lb', have['attrs'], want['attrs'])
    # (addresses are asked for, not enforced; the VIPs' subnets are fixed)
    changed.pop('vip_address', None)
    changed.pop('additional_vips', None)
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
                if octavia_tree.differs(
                    f, old['attrs'].get(f), new['attrs'].get(f)
                )
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
        if octavia_tree.differs(
            'type', old['attrs'].get('type'), new['attrs'].get('type')
        ):
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
