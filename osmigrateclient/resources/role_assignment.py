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

"""Role assignments of users on projects (admin).

An assignment is a (user, project, role) triple, each named by reference
(``user_ref`` and ``project_ref`` with their domain, ``role_ref``), plus
``inherited: true`` for an assignment that Keystone applies to the
project's subprojects.  It has nothing else that could change: import
assigns the role when the destination lacks the assignment and otherwise
leaves it unchanged.  Only direct assignments are exported, not the ones
that users get through their groups (see ``group role assignment``), nor
domain- or system-scoped ones.

``--name`` / ``--name-regex`` match the user's name.
"""

import typing as ty

from openstack.identity.v3 import role_assignment as sdk_role_assignment

from osmigrateclient.resources import base
from osmigrateclient.resources import refs


INHERITED = 'OS-INHERIT:inherited_to'


class RoleAssignment(base.Resource):
    type = 'openstack.identity.UserProjectRoleAssignment'
    cli_name = 'role assignment'
    export_what = (
        "the role assignments of the source cloud's users on its projects"
    )
    import_where = 'the destination cloud'
    kind = 'role_assignment'
    file_name = 'user_project_role_assignments.yml'
    service = 'identity'
    admin_only = True
    rank = 3
    depends_on = ('user', 'project', 'role')
    tag_field = None

    #: who holds the role: 'user' or 'group'
    assignee = 'user'

    params_fields = ()
    info_fields = ()
    sorted_fields = ()

    @property
    def required_params(self) -> tuple[str, ...]:  # type: ignore[override]
        return tuple(self.references)

    @property
    def info_shapes(self) -> dict:  # type: ignore[override]
        return dict.fromkeys(
            (self.assignee + '_id', 'project_id', 'role_id'), (str, int)
        )

    @property
    def references(self) -> dict[str, base.RefField]:  # type: ignore[override]
        return {
            self.assignee + '_ref': base.RefField(
                self.assignee, self.assignee + '_id'
            ),
            'project_ref': base.RefField('project', 'project_id'),
            'role_ref': base.RefField('role', 'role_id'),
        }

    # -- names and identities -----------------------------------------------

    def _names(self, entry: base.Entry) -> tuple:
        p = entry['params']

        def name(key: str) -> tuple:
            ref = p.get(key) or {}
            return ref.get('name'), ref.get('domain_name')

        return (
            name(self.assignee + '_ref')
            + name('project_ref')
            + ((p.get('role_ref') or {}).get('name'), bool(p.get('inherited')))
        )

    def name_of(self, entry: base.Entry) -> str:
        ref = entry['params'].get(self.assignee + '_ref') or {}
        return ref.get('name') or ''

    def label_of(self, entry: base.Entry) -> str:
        p = entry['params']
        return '%s on %s: %s%s' % (
            self.name_of(entry),
            (p.get('project_ref') or {}).get('name'),
            (p.get('role_ref') or {}).get('name'),
            ' (inherited)' if p.get('inherited') else '',
        )

    def import_identity(self, entry: base.Entry) -> str:
        return '%s:%r' % (self.type, self._names(entry))

    def export_key(self, entry: base.Entry) -> ty.Hashable:
        info = entry['_info']
        return (
            entry['type'],
            info.get(self.assignee + '_id'),
            info.get('project_id'),
            info.get('role_id'),
            bool(entry['params'].get('inherited')),
        )

    # -- export -------------------------------------------------------------

    def _ids(self, obj: ty.Any) -> tuple[str | None, str | None, str | None]:
        """(assignee id, project id, role id) of an SDK assignment."""
        return (
            (getattr(obj, self.assignee, None) or {}).get('id'),
            ((obj.scope or {}).get('project') or {}).get('id'),
            (obj.role or {}).get('id'),
        )

    def list_source(self, lookup: refs.Lookup) -> list[ty.Any]:
        found = []
        for obj in lookup.all(self.kind):
            assignee, project, role = self._ids(obj)
            if not (assignee and project and role):
                continue
            if None in (
                lookup.get(self.assignee, assignee),
                lookup.get('project', project),
                lookup.get('role', role),
            ):
                # A user of a read-only backend, or a stale assignment.
                continue
            found.append(obj)
        return found

    def source_name(self, lookup: refs.Lookup, obj: ty.Any) -> str:
        return lookup.get(self.assignee, self._ids(obj)[0]).name

    def from_sdk(self, lookup: refs.Lookup, obj: ty.Any) -> base.Entry:
        assignee, project, role = self._ids(obj)
        params = {
            self.assignee + '_ref': lookup.ref(self.assignee, assignee),
            'project_ref': lookup.ref('project', project),
            'role_ref': lookup.ref('role', role),
        }
        if (obj.scope or {}).get(INHERITED):
            params['inherited'] = True
        return {
            'type': self.type,
            'params': params,
            '_info': {
                self.assignee + '_id': assignee,
                'project_id': project,
                'role_id': role,
            },
            '_migration_params': {},
        }

    def export(
        self, lookup: refs.Lookup, match: ty.Callable[[str], bool]
    ) -> list[base.Entry]:
        entries = [
            self.from_sdk(lookup, obj)
            for obj in self.list_source(lookup)
            if match(self.source_name(lookup, obj))
        ]
        return sorted(entries, key=lambda e: repr(self._names(e)))

    # -- import -------------------------------------------------------------

    def find_existing(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        attrs = self.sdk_attrs(lookup, entry['params'])
        wanted = (
            attrs[self.assignee + '_id'],
            attrs['project_id'],
            attrs['role_id'],
        )
        inherited = bool(entry['params'].get('inherited'))
        for obj in lookup.all(self.kind):
            if self._ids(obj) == wanted and inherited == bool(
                (obj.scope or {}).get(INHERITED)
            ):
                return obj
        return None

    def diff(
        self, lookup: refs.Lookup, existing: ty.Any, entry: base.Entry
    ) -> dict[str, tuple[ty.Any, ty.Any]]:
        # An assignment is what it names: nothing else could differ.
        return {}

    def create(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        attrs = self.sdk_attrs(lookup, entry['params'])
        assignee = attrs[self.assignee + '_id']
        inherited = bool(entry['params'].get('inherited'))
        assign = getattr(
            self.proxy(lookup), 'assign_project_role_to_' + self.assignee
        )
        assign(
            attrs['project_id'],
            assignee,
            attrs['role_id'],
            inherited=inherited,
        )
        scope: dict[str, ty.Any] = {'project': {'id': attrs['project_id']}}
        if inherited:
            scope[INHERITED] = 'projects'
        # Keystone answers with no body: this stands for the new assignment
        # in the lookup's cache (with an id, which listed ones lack).
        return sdk_role_assignment.RoleAssignment(
            id=':'.join(
                (
                    self.assignee,
                    assignee,
                    attrs['project_id'],
                    attrs['role_id'],
                )
            ),
            scope=scope,
            role={'id': attrs['role_id']},
            **{self.assignee: {'id': assignee}},
        )


RESOURCE = RoleAssignment
