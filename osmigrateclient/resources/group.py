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

"""Keystone groups (admin), with their members.

``groups.yml`` holds each group's ``name``, ``description``,
``domain_ref`` and ``member_refs``: its users, by name and domain.  A
group is found in the destination by its name within the domain of
``domain_ref``; its domain cannot change.  Import makes the group's
members exactly the file's: missing users are added, others removed.  A
member that does not exist in the destination blocks the group (import
users first: ``import all`` does).

Keystone lists a group's members one group at a time: export makes one
call per exported group, import one per existing destination group.
Members of a read-only identity backend (LDAP) are exported, but Keystone
cannot add them to a group.
"""

import typing as ty
import weakref

from osmigrateclient.resources import _keystone as keystone
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

#: each lookup's group members, listed when first asked: group id -> user ids
_members: 'weakref.WeakKeyDictionary[refs.Lookup, dict[str, set[str]]]'
_members = weakref.WeakKeyDictionary()


def members(lookup: refs.Lookup, group: ty.Any) -> set[str]:
    """The ids of the users in ``group``, in ``lookup``'s cloud."""
    known = _members.setdefault(lookup, {})
    if group.id not in known:
        known[group.id] = {
            u.id for u in lookup.conn.identity.group_users(group)
        }
    return known[group.id]


class Group(keystone.DomainOwned):
    type = 'openstack.identity.Group'
    cli_name = 'group'
    kind = 'group'
    file_name = 'groups.yml'
    service = 'identity'
    admin_only = True
    export_what = "the source cloud's {plural}"
    import_where = 'the destination cloud'
    rank = 2
    depends_on = ('domain', 'user')
    tag_field = None

    params_fields = ('description', 'name')
    info_fields = ('domain_id', 'id')
    references = {
        'domain_ref': base.RefField('domain', 'domain_id'),
        'member_refs': base.RefField('user', 'member_ids', many=True),
    }
    sorted_fields = ()
    create_only = ('domain_ref',)

    # -- export -------------------------------------------------------------

    def list_source(self, lookup: refs.Lookup) -> list[ty.Any]:
        return list(lookup.all(self.kind))

    def from_sdk(self, lookup: refs.Lookup, obj: ty.Any) -> base.Entry:
        entry = super().from_sdk(lookup, obj)
        ids = sorted(members(lookup, obj))
        entry['_info']['member_ids'] = ids
        entry['params']['member_refs'] = base.sort_list(
            [r for r in (lookup.ref('user', i) for i in ids) if r]
        )
        return entry

    # -- import -------------------------------------------------------------

    def diff(
        self, lookup: refs.Lookup, existing: ty.Any, entry: base.Entry
    ) -> dict[str, tuple[ty.Any, ty.Any]]:
        changes = super().diff(lookup, existing, entry)
        # Compared by the users the references name, however written.
        if 'member_refs' in changes:
            wanted = self.sdk_attrs(lookup, entry['params']).get('member_ids')
            if members(lookup, existing) == set(wanted or ()):
                del changes['member_refs']
        return changes

    def create_attrs(self, lookup: refs.Lookup, entry: base.Entry) -> dict:
        attrs = super().create_attrs(lookup, entry)
        attrs.pop('member_ids', None)
        return attrs

    def after_create(
        self, lookup: refs.Lookup, obj: ty.Any, entry: base.Entry
    ) -> ty.Any:
        _members.setdefault(lookup, {})[obj.id] = set()
        self._set_members(lookup, obj, entry['params'].get('member_refs'))
        return obj

    def update(
        self, lookup: refs.Lookup, existing: ty.Any, changes: dict
    ) -> ty.Any:
        changes = dict(changes)
        wanted = changes.pop('member_refs', None)
        obj = super().update(lookup, existing, changes)
        if wanted is not None:
            self._set_members(lookup, obj, wanted[1])
        return obj

    def _set_members(
        self, lookup: refs.Lookup, group: ty.Any, wanted_refs: ty.Any
    ) -> None:
        """Make the group's members exactly the users of ``wanted_refs``."""
        wanted = set(
            self.sdk_attrs(lookup, {'member_refs': wanted_refs or []})[
                'member_ids'
            ]
        )
        have = members(lookup, group)
        identity = self.proxy(lookup)
        for user in sorted(wanted - have):
            identity.add_user_to_group(user, group)
            have.add(user)
        for user in sorted(have - wanted):
            identity.remove_user_from_group(user, group)
            have.discard(user)


RESOURCE = Group
