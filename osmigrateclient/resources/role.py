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

"""Keystone roles (admin): the cloud's own roles and what they imply.

``roles.yml`` holds each custom role's ``name``, ``description`` and
``implied_role_refs``: the roles it implies (Keystone's implied roles), by
name.  A role is found in the destination by its name.  Import sets
exactly the file's implied roles: missing inferences are added, others
removed.

The roles every Keystone has are not exported: those that ``keystone-manage
bootstrap`` makes (``admin``, ``manager``, ``member``, ``reader``,
``service``) and the old default ``_member_``, decided by name so that a
cloud bootstrapped before these roles became immutable is treated alike.
The destination keeps its own; a custom role may imply one of them, and
role assignments name them as any other role.  What a built-in role
implies is the destination's business.  Domain-specific roles and role
options (``immutable``) are not migrated.

Export writes implied roles before the roles that imply them, so that an
import in file order can resolve every ``implied_role_refs``.  Keystone's
SDK has no implied-role calls: they are made on the identity endpoint
directly (one listing of every inference per cloud, then one call per
inference added or removed).
"""

import typing as ty
import weakref

from openstack import exceptions as sdk_exceptions

from osmigrateclient import datafile
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

#: names of the roles that every Keystone has (see the module docstring)
BUILT_IN = frozenset(
    ['_member_', 'admin', 'manager', 'member', 'reader', 'service']
)

#: each lookup's inferences, listed once: prior role id -> implied ids
_inferences: 'weakref.WeakKeyDictionary[refs.Lookup, dict[str, set[str]]]'
_inferences = weakref.WeakKeyDictionary()


def is_built_in(name: str | None) -> bool:
    """Whether a role of this name is one that every Keystone has."""
    return name in BUILT_IN


def inferences(lookup: refs.Lookup) -> dict[str, set[str]]:
    """Prior role id -> ids of the roles it implies, in ``lookup``'s cloud.

    :raises openstack.exceptions.SDKException: the listing failed
    """
    if lookup not in _inferences:
        response = lookup.conn.identity.get('/role_inferences')
        sdk_exceptions.raise_from_response(response)
        found: dict[str, set[str]] = {}
        for rule in response.json().get('role_inferences') or []:
            prior = (rule.get('prior_role') or {}).get('id')
            if prior:
                found.setdefault(prior, set()).update(
                    r['id'] for r in rule.get('implies') or [] if r.get('id')
                )
        _inferences[lookup] = found
    return _inferences[lookup]


class Role(base.Resource):
    type = 'openstack.identity.Role'
    cli_name = 'role'
    kind = 'role'
    file_name = 'roles.yml'
    service = 'identity'
    admin_only = True
    export_what = "the source cloud's {plural}"
    import_where = 'the destination cloud'
    rank = 0
    tag_field = None
    scope = 'cloud'

    params_fields = ('description', 'name')
    info_fields = ('domain_id', 'id')
    references = {
        'implied_role_refs': base.RefField(
            'role', 'implied_role_ids', many=True
        ),
    }
    sorted_fields = ()
    param_shapes = {'implied_role_refs': [datafile.REF]}

    # -- export -------------------------------------------------------------

    def list_source(self, lookup: refs.Lookup) -> list[ty.Any]:
        return [
            r
            for r in lookup.all(self.kind)
            if not r.domain_id and not is_built_in(r.name)
        ]

    def from_sdk(self, lookup: refs.Lookup, obj: ty.Any) -> base.Entry:
        entry = super().from_sdk(lookup, obj)
        implied = sorted(inferences(lookup).get(obj.id, ()))
        entry['_info']['implied_role_ids'] = implied
        # An implied role that is not listed (domain-specific) has no name
        # to refer to: only _info keeps it.
        entry['params']['implied_role_refs'] = base.sort_list(
            [r for r in (lookup.ref('role', i) for i in implied) if r]
        )
        return entry

    def export(
        self, lookup: refs.Lookup, match: ty.Callable[[str], bool]
    ) -> list[base.Entry]:
        entries = super().export(lookup, match)
        rules = inferences(lookup)

        def depth(role_id: str, seen: frozenset = frozenset()) -> int:
            if role_id in seen:  # Keystone refuses cycles; never loop
                return 0
            below = [
                depth(i, seen | {role_id}) for i in rules.get(role_id, ())
            ]
            return 1 + max(below, default=0)

        return sorted(
            entries,
            key=lambda e: (depth(e['_info']['id']), self.name_of(e)),
        )

    # -- import -------------------------------------------------------------

    def candidates(
        self, lookup: refs.Lookup, entry: base.Entry
    ) -> list[ty.Any]:
        return [r for r in lookup.all(self.kind) if not r.domain_id]

    def diff(
        self, lookup: refs.Lookup, existing: ty.Any, entry: base.Entry
    ) -> dict[str, tuple[ty.Any, ty.Any]]:
        changes = super().diff(lookup, existing, entry)
        # Compared by what the references name, not by how they are
        # written: a hand-written {name: x} is the same role.
        if 'implied_role_refs' in changes:
            have = inferences(lookup).get(existing.id, set())
            wanted = {
                lookup.resolve('role', r).id
                for r in entry['params'].get('implied_role_refs') or []
            }
            if have == wanted:
                del changes['implied_role_refs']
        return changes

    def create_attrs(self, lookup: refs.Lookup, entry: base.Entry) -> dict:
        attrs = super().create_attrs(lookup, entry)
        attrs.pop('implied_role_ids', None)
        return attrs

    def after_create(
        self, lookup: refs.Lookup, obj: ty.Any, entry: base.Entry
    ) -> ty.Any:
        self._set_implied(
            lookup, obj, entry['params'].get('implied_role_refs') or []
        )
        return obj

    def update(
        self, lookup: refs.Lookup, existing: ty.Any, changes: dict
    ) -> ty.Any:
        changes = dict(changes)
        implied = changes.pop('implied_role_refs', None)
        obj = super().update(lookup, existing, changes)
        if implied is not None:
            self._set_implied(lookup, obj, implied[1] or [])
        return obj

    def _set_implied(
        self, lookup: refs.Lookup, obj: ty.Any, wanted_refs: list
    ) -> None:
        """Make the role imply exactly the roles of ``wanted_refs``."""
        wanted = {lookup.resolve('role', r).id for r in wanted_refs}
        rules = inferences(lookup)
        have = rules.setdefault(obj.id, set())
        identity = self.proxy(lookup)
        for implied in sorted(wanted - have):
            response = identity.put('/roles/%s/implies/%s' % (obj.id, implied))
            sdk_exceptions.raise_from_response(response)
            have.add(implied)
        for implied in sorted(have - wanted):
            response = identity.delete(
                '/roles/%s/implies/%s' % (obj.id, implied)
            )
            sdk_exceptions.raise_from_response(response)
            have.discard(implied)


RESOURCE = Role
