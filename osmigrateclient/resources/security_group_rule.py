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

"""Neutron security group rules.

Rules have no name and cannot be changed: a rule is what it allows.  Its
identity is its group and every field that decides what it allows
(direction, ethertype, protocol, port range, remote IP prefix, remote
group, remote address group); the description is not part of it.  Import
finds the destination rule with the same identity (unchanged) or creates
one; a rule that differs in any of those fields is another rule, so rules
are never updated, and never duplicated on a re-run.

``--name`` / ``--name-regex`` match the name of the rule's group.
"""

import typing as ty

from openstack.network.v2 import security_group_rule as _sdk

from osmigrateclient import exceptions
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

#: Fields compared as they are to tell two rules of a group apart.
MATCHED = (
    'direction',
    'ether_type',
    'protocol',
    'port_range_min',
    'port_range_max',
    'remote_ip_prefix',
)
#: References compared by the resource they resolve to.
MATCHED_REFS = ('remote_group_ref', 'remote_address_group_ref')

#: Prefixes that mean "from anywhere", which Neutron treats as no prefix.
_ANYWHERE = ('0.0.0.0/0', '::/0')


def _norm(field: str, value: ty.Any) -> ty.Any:
    if field == 'remote_ip_prefix' and value in _ANYWHERE:
        return None
    if field == 'protocol' and value is not None:
        return str(value).lower()
    if value == '':
        return None
    return value


class SecurityGroupRule(base.Resource):
    type = 'openstack.network.SecurityGroupRule'
    cli_name = 'security group rule'
    kind = 'security_group_rule'
    file_name = 'security_group_rules.yml'
    rank = 40
    depends_on = ('security group', 'address group')
    tag_field = None
    parallel_import = True
    bulk_class = _sdk.SecurityGroupRule

    params_fields = (
        'description',
        'direction',
        'ether_type',
        'port_range_max',
        'port_range_min',
        'protocol',
        'remote_ip_prefix',
    )
    info_fields = (
        'created_at',
        'id',
        'project_id',
        'revision_number',
        'updated_at',
    )
    references = {
        'security_group_ref': base.RefField(
            'security_group', 'security_group_id'
        ),
        'remote_group_ref': base.RefField('security_group', 'remote_group_id'),
        'remote_address_group_ref': base.RefField(
            'address_group', 'remote_address_group_id'
        ),
    }
    sorted_fields = ()

    # -- names and identities -----------------------------------------------

    def name_of(self, entry: base.Entry) -> str:
        ref = entry['params'].get('security_group_ref')
        return (ref or {}).get('name') or ''

    def label_of(self, entry: base.Entry) -> str:
        p = entry['params']
        ports = ''
        if p.get('port_range_min') is not None:
            ports = ' %s' % p['port_range_min']
            if p.get('port_range_max') != p['port_range_min']:
                ports += '-%s' % p.get('port_range_max')
        remote = p.get('remote_ip_prefix') or 'any'
        for key in MATCHED_REFS:
            if p.get(key):
                remote = '%s %r' % (key[: -len('_ref')], p[key].get('name'))
        return '%s: %s %s %s%s %s %s' % (
            self.name_of(entry),
            p.get('direction'),
            p.get('ether_type'),
            p.get('protocol') or 'any',
            ports,
            'from' if p.get('direction') == 'ingress' else 'to',
            remote,
        )

    def _key(self, entry: base.Entry) -> tuple:
        p = entry['params']
        return tuple(_norm(f, p.get(f)) for f in MATCHED) + tuple(
            (p.get(r) or {}).get('name') for r in MATCHED_REFS
        )

    def import_identity(self, entry: base.Entry) -> str:
        return '%s:%s:%r' % (self.type, self.name_of(entry), self._key(entry))

    def bulk_group(self, entry: base.Entry) -> ty.Hashable:
        # Neutron takes the rules of one group per bulk request.
        ref = entry['params'].get('security_group_ref') or {}
        return tuple(sorted(ref.items()))

    # -- export -------------------------------------------------------------

    def list_source(self, lookup: refs.Lookup) -> list[ty.Any]:
        groups = {g.id for g in lookup.owned('security_group')}
        return [
            r for r in lookup.all(self.kind) if r.security_group_id in groups
        ]

    def source_name(self, lookup: refs.Lookup, obj: ty.Any) -> str:
        group = lookup.get('security_group', obj.security_group_id)
        return group.name if group is not None else ''

    def export(
        self, lookup: refs.Lookup, match: ty.Callable[[str], bool]
    ) -> list[base.Entry]:
        entries = super().export(lookup, match)
        return sorted(
            entries, key=lambda e: (repr(self._sort_key(e)), e['_info']['id'])
        )

    def _sort_key(self, entry: base.Entry) -> tuple:
        return (self.name_of(entry),) + tuple(
            '' if v is None else str(v) for v in self._key(entry)
        )

    # -- import -------------------------------------------------------------

    def find_existing(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        attrs = self.sdk_attrs(lookup, entry['params'])
        p = entry['params']
        wanted = tuple(_norm(f, p.get(f)) for f in MATCHED) + (
            attrs.get('remote_group_id'),
            attrs.get('remote_address_group_id'),
        )
        matches = [
            r
            for r in lookup.all(self.kind)
            if r.security_group_id == attrs['security_group_id']
            and tuple(_norm(f, getattr(r, f, None)) for f in MATCHED)
            + (r.remote_group_id, r.remote_address_group_id)
            == wanted
        ]
        if len(matches) > 1:
            raise exceptions.Conflict(
                '%d identical rules in the destination group' % len(matches)
            )
        return matches[0] if matches else None

    def diff(
        self, lookup: refs.Lookup, existing: ty.Any, entry: base.Entry
    ) -> dict[str, tuple[ty.Any, ty.Any]]:
        # The twin allows the same traffic; nothing else can change.
        return {}


RESOURCE = SecurityGroupRule
