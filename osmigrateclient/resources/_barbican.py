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


"""What Barbican's secrets and containers share: the base of their types
(the id a file holds, the twin by name, the read ACL and its users by
reference), and what a type remembers within one run."""

import logging
import threading
import typing as ty
import weakref

from openstack import exceptions as sdk_exceptions

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient.resources import _barbican_api as barbican_api
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

LOG = logging.getLogger(__name__)

ACL_ACCESS = 'acl_project_access'
ACL_USERS = 'acl_user_refs'
ACL_USER_IDS = 'acl_user_ids'


class RunState:
    """What a Barbican type remembers within one run (one
    :class:`~osmigrateclient.resources.refs.Lookup`): not on the type,
    which one process shares between runs and threads."""

    def __init__(self) -> None:
        #: why the cloud refused to list users (asked once per run), or None
        self.users_refused: str | None = None
        #: (project, name) -> the source id of the first entry of that name
        #: that this run imported: a second one is a duplicate
        self.seen: dict[tuple[str, str], ty.Any] = {}
        #: payloads that the export could not read
        self.unread: list[str] = []
        #: per thread, the payload of the entry being applied, from plan to
        #: create
        self.applying = threading.local()


#: per Lookup, per type (its cli_name): its RunState
_RUNS: 'weakref.WeakKeyDictionary[refs.Lookup, dict[str, RunState]]' = (
    weakref.WeakKeyDictionary()
)
_RUNS_LOCK = threading.Lock()


class Barbican(base.Resource):
    """A Barbican resource with a read ACL (secrets, containers)."""

    service = 'key_manager'
    catalog_service = 'key-manager'
    tag_field = None
    sorted_fields = ()
    #: the API's collection: ``secrets`` or ``containers``
    collection: ty.ClassVar[str]
    references = {ACL_USERS: base.RefField('user', ACL_USER_IDS, many=True)}
    info_shapes = {'id': datafile.STR}
    #: null: not known (the exporter could not see it): left as it is
    none_is_unknown = (ACL_ACCESS, ACL_USERS)

    def run_state(self, lookup: refs.Lookup) -> RunState:
        """What this type remembers in the run of ``lookup``."""
        with _RUNS_LOCK:
            return _RUNS.setdefault(lookup, {}).setdefault(
                self.cli_name, RunState()
            )

    def uuid(self, obj: ty.Any) -> str | None:
        raise NotImplementedError

    def check(self, entry: base.Entry, path: str, index: int) -> None:
        super().check(entry, path, index)
        source_id = entry['_info'].get('id')
        if source_id is not None and not barbican_api.UUID.match(
            str(source_id)
        ):
            raise exceptions.DataFileError(
                'must be a Barbican id (a UUID), not %s'
                % datafile.shown(source_id),
                path=path,
                resource=datafile.label(entry, index),
                field='_info.id',
            )

    def import_identity(self, entry: base.Entry) -> str:
        return '%s:%s' % (self.type, self.name_of(entry))

    def decide(self, lookup: refs.Lookup, entry: base.Entry) -> base.Decision:
        try:
            return super().decide(lookup, entry)
        except sdk_exceptions.SDKException as e:
            # The twin's ACL (or metadata) could not be read.
            return base.Decision(
                base.BLOCKED,
                'cannot read the destination %s: %s'
                % (self.cli_name, base._api_message(e)),
            )

    # -- the ACL ------------------------------------------------------------

    def acl_of(
        self, lookup: refs.Lookup, obj: ty.Any
    ) -> tuple[bool, list[str]] | None:
        """The read ACL of ``obj``; None when the caller may not read it."""
        try:
            return barbican_api.read_acl(
                lookup.conn, self.collection, self.uuid(obj)
            )
        except sdk_exceptions.ForbiddenException:
            LOG.warning(
                '%s %r: its ACL is not readable by the caller: left out',
                self.cli_name,
                obj.name,
            )
            return None

    def user_refs(
        self, lookup: refs.Lookup, name: str, user_ids: list[str]
    ) -> list[refs.Ref] | None:
        """References to the ACL's users; None when the caller may not
        look users up (a tenant user, usually)."""
        if not user_ids:
            return []
        state = self.run_state(lookup)
        refused = state.users_refused
        if refused is None:
            try:
                found = [(i, lookup.ref('user', i)) for i in user_ids]
            except sdk_exceptions.SDKException as e:
                # Asked once per run, not once per secret.
                refused = state.users_refused = base._api_message(e)
        if refused is not None:
            LOG.warning(
                '%s %r: the users of its ACL are left out: the source cloud '
                'does not let the caller look users up (%s); export as an '
                'admin to keep them',
                self.cli_name,
                name,
                refused,
            )
            return None
        for user_id, ref in found:
            if ref is None:
                LOG.warning(
                    '%s %r: ACL user %s left out: no such user',
                    self.cli_name,
                    name,
                    user_id,
                )
        return base.sort_list([r for _, r in found if r is not None])

    def add_acl(
        self, lookup: refs.Lookup, obj: ty.Any, entry: base.Entry
    ) -> None:
        """The entry's ACL into its params and _info."""
        params, info = entry['params'], entry['_info']
        acl = self.acl_of(lookup, obj)
        if acl is None:
            params[ACL_ACCESS], params[ACL_USERS] = None, None
            return
        params[ACL_ACCESS] = acl[0]
        info[ACL_USER_IDS] = acl[1]
        params[ACL_USERS] = self.user_refs(lookup, obj.name, acl[1])

    def acl_changes(
        self, lookup: refs.Lookup, existing: ty.Any, params: dict
    ) -> dict[str, tuple[ty.Any, ty.Any]]:
        """The ACL params that differ from ``existing``'s ACL, as
        ``{param: (destination, wanted)}`` (users as destination ids)."""
        want_access = params.get(ACL_ACCESS)
        want_users = params.get(ACL_USERS)
        if want_access is None and want_users is None:
            return {}
        have = barbican_api.read_acl(
            lookup.conn, self.collection, self.uuid(existing)
        )
        changes: dict[str, tuple[ty.Any, ty.Any]] = {}
        if want_access is not None and bool(want_access) != have[0]:
            changes[ACL_ACCESS] = (have[0], bool(want_access))
        if want_users is not None:
            ids = sorted(
                self.sdk_attrs(lookup, {ACL_USERS: want_users})[ACL_USER_IDS]
            )
            if ids != have[1]:
                changes[ACL_USERS] = (have[1], ids)
        return changes

    def set_acl(self, lookup: refs.Lookup, obj: ty.Any, changes: dict) -> None:
        """Apply :meth:`acl_changes`: the rest of the ACL as it is."""
        if not changes:
            return
        if ACL_ACCESS in changes and ACL_USERS in changes:
            access, users = True, []
        else:
            access, users = barbican_api.read_acl(
                lookup.conn, self.collection, self.uuid(obj)
            )
        if ACL_ACCESS in changes:
            access = changes[ACL_ACCESS][1]
        if ACL_USERS in changes:
            users = changes[ACL_USERS][1]
        barbican_api.put_acl(
            lookup.conn, self.collection, self.uuid(obj), access, users
        )

    def new_acl(self, lookup: refs.Lookup, params: dict) -> dict:
        """The ACL changes that a new resource needs (none for
        Barbican's default: project access, no users)."""
        access = params.get(ACL_ACCESS)
        users = params.get(ACL_USERS)
        ids = (
            self.sdk_attrs(lookup, {ACL_USERS: users})[ACL_USER_IDS]
            if users
            else []
        )
        if access is not False and not ids:
            return {}
        return {
            ACL_ACCESS: (True, access is not False),
            ACL_USERS: ([], sorted(ids)),
        }

    def update(
        self, lookup: refs.Lookup, existing: ty.Any, changes: dict
    ) -> ty.Any:
        # Only the ACL can change: the rest is a conflict (create_only).
        self.set_acl(lookup, existing, changes)
        return existing
