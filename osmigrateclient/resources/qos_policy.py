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

"""Neutron QoS policies with their rules; networks refer to them by name
(``qos_policy_ref``).

A policy's rules are part of its entry (``params.rules``), each with its
``type`` and the fields of that type (:data:`RULE_FIELDS`), no ids: a rule
has no name, and Neutron holds at most one of a type and direction in a
policy.  Rules have their own API calls: a new policy gets its rules right
after its create (a policy whose rules fail is deleted, so that a re-run
makes it whole); an existing one loses the rules the file does not hold,
then gets those it lacks.
"""

import typing as ty

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

#: The fields of each rule type, as Neutron names them.
RULE_FIELDS = {
    'bandwidth_limit': ('direction', 'max_burst_kbps', 'max_kbps'),
    'dscp_marking': ('dscp_mark',),
    'minimum_bandwidth': ('direction', 'min_kbps'),
    'minimum_packet_rate': ('direction', 'min_kpps'),
    'packet_rate_limit': ('direction', 'max_burst_kpps', 'max_kpps'),
}

RULE_SHAPE = {'type': datafile.STR, 'direction': datafile.STR}
RULE_SHAPE.update(
    (f, datafile.NUMBER)
    for fields in RULE_FIELDS.values()
    for f in fields
    if f != 'direction'
)


def rule_params(rule: ty.Any) -> dict[str, ty.Any]:
    """A rule of the API (a dict in the policy's ``rules``) as in a file."""
    kind = rule.get('type')
    fields = RULE_FIELDS.get(kind)
    if fields is None:
        # A type this client does not know: all but its ids, so that an
        # import names it instead of losing it.
        drop = ('id', 'qos_policy_id', 'tenant_id', 'project_id')
        return {k: v for k, v in rule.items() if k not in drop}
    params = {'type': kind}
    params.update((f, rule.get(f)) for f in fields)
    return params


class QosPolicy(base.Resource):
    type = 'openstack.network.QosPolicy'
    cli_name = 'network qos policy'
    plural_name = 'network QoS policies'
    kind = 'qos_policy'
    extension = 'qos'
    file_name = 'qos_policies.yml'
    # before the networks that use them
    rank = 8

    params_fields = (
        'description',
        'is_default',
        'is_shared',
        'name',
        'rules',
        'tags',
    )
    info_fields = (
        'created_at',
        'id',
        'project_id',
        'revision_number',
        'updated_at',
    )
    param_shapes = {'rules': [RULE_SHAPE]}
    sorted_fields = ('rules', 'tags')
    none_is_unknown = ('is_default', 'is_shared')

    def from_sdk(self, lookup: refs.Lookup, obj: ty.Any) -> base.Entry:
        entry = super().from_sdk(lookup, obj)
        entry['params']['rules'] = base.sort_list(
            [base.plain(rule_params(r)) for r in obj.rules or []]
        )
        return entry

    def create_attrs(self, lookup: refs.Lookup, entry: base.Entry) -> dict:
        attrs = super().create_attrs(lookup, entry)
        attrs.pop('rules', None)
        return attrs

    def after_create(
        self, lookup: refs.Lookup, obj: ty.Any, entry: base.Entry
    ) -> ty.Any:
        obj = super().after_create(lookup, obj, entry)
        rules = entry['params'].get('rules') or []
        if not rules:
            return obj
        self._set_rules(lookup, obj, [], rules)
        return self.proxy(lookup).get_qos_policy(obj.id)

    def update(
        self, lookup: refs.Lookup, existing: ty.Any, changes: dict
    ) -> ty.Any:
        changes = dict(changes)
        rules = changes.pop('rules', None)
        obj = (
            super().update(lookup, existing, changes) if changes else existing
        )
        if rules is None:
            return obj
        self._set_rules(lookup, existing, existing.rules or [], rules[1] or [])
        return self.proxy(lookup).get_qos_policy(existing.id)

    def _set_rules(
        self,
        lookup: refs.Lookup,
        policy: ty.Any,
        have: list[dict],
        want: list[dict],
    ) -> None:
        """Delete the rules of ``have`` (the API's) that ``want`` (the
        file's) lacks, then create the missing ones: Neutron refuses a
        second rule of a type and direction."""
        proxy = self.proxy(lookup)
        kept = []
        for rule in have:
            params = rule_params(rule)
            if params in want:
                kept.append(params)
                continue
            self._rule_call(proxy, 'delete', params['type'])(
                rule['id'], policy, ignore_missing=True
            )
        for params in want:
            if params in kept:
                continue
            fields = {
                k: v
                for k, v in params.items()
                if k != 'type' and v is not None
            }
            self._rule_call(proxy, 'create', params.get('type'))(
                policy, **fields
            )

    def _rule_call(self, proxy: ty.Any, verb: str, kind: ty.Any):
        if kind not in RULE_FIELDS:
            raise exceptions.MigrateError(
                'QoS rule type %r unknown (known: %s)'
                % (kind, ', '.join(sorted(RULE_FIELDS)))
            )
        return getattr(proxy, '%s_qos_%s_rule' % (verb, kind))


RESOURCE = QosPolicy
