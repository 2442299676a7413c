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

"""Temporary access of the migrating user (an admin) to the migrated projects.

In each cloud a dedicated group holds the migrating user and has the member
role on every migrated project, so that the admin, re-scoped to a project
(``--src-project`` / ``--dst-project`` / ``--project``), works there as a
member would.  :func:`grant` creates what is missing and records, in the
data directory's journal (``access_journal.yml``, mode 0600), exactly what it
added: the group if it made it, the user's membership if it added it, and
each role assignment it made.  :func:`revoke` removes what the journal
records and nothing else, so access that existed before ``grant`` stays.

When both sides use the same identity service (one Keystone serving two
regions), the destination side is the source side: it is recorded as
``same_as`` and nothing is done twice.

The destination projects that ``grant --create-projects`` makes are
:mod:`osmigrateclient.access_projects`'s; the journal keeps their names.
"""

import typing as ty

from osc_lib import exceptions as osc_exceptions

from osmigrateclient import clouds
from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient import record

JOURNAL_VERSION_KEY = 'os_migrate_access_version'
JOURNAL_VERSION = 1
DEFAULT_GROUP = 'osmigrate-access'
DEFAULT_ROLE = 'member'
GROUP_DESCRIPTION = (
    'Temporary access of the migration (openstack migrate access grant); '
    'openstack migrate access revoke removes it'
)

# Actions of the changes
CREATED, ADDED, GRANTED, UNCHANGED, SHARED = (
    'created',
    'added',
    'granted',
    'unchanged',
    'shared',
)
REMOVED, DELETED, GONE, KEPT, FAILED = (
    'removed',
    'deleted',
    'gone',
    'kept',
    'failed',
)


class Change(ty.NamedTuple):
    """One thing grant or revoke did (or found done) on one side."""

    side: str
    action: str
    what: str


def identity_of(conn: ty.Any) -> str:
    """What tells identity services apart: the auth URL, normalized."""
    auth = conn.config.config.get('auth') or {}
    return (auth.get('auth_url') or '').rstrip('/')


STR = datafile.STR
#: what the journal read from disk must look like
JOURNAL_SHAPE = {
    'group_name': STR,
    'sides': datafile.MapOf(
        {
            'identity': STR,
            'same_as': STR,
            'user_id': STR,
            'user_name': STR,
            'group': {'id': STR, 'name': STR, 'domain_id': STR},
            'group_created': datafile.SCALAR,
            'member_added': datafile.SCALAR,
            'assignments': [
                {
                    'project_id': STR,
                    'project_name': STR,
                    'role_id': STR,
                    'role_name': STR,
                }
            ],
            'projects_created': [STR],
        }
    ),
}


def _checked(doc: ty.Any, path: str) -> dict[str, ty.Any]:
    """An access journal read from ``path``, checked."""
    if (
        not isinstance(doc, dict)
        or doc.get(JOURNAL_VERSION_KEY) != JOURNAL_VERSION
        or not isinstance(doc.get('sides'), dict)
    ):
        raise exceptions.DataFileError(
            'not an access journal of version %d' % JOURNAL_VERSION,
            path=path,
            field=JOURNAL_VERSION_KEY,
        )
    datafile.check_shape(doc, JOURNAL_SHAPE, '', path)
    for side, side_record in doc['sides'].items():
        side_record = side_record or {}
        for index, item in enumerate(side_record.get('assignments') or []):
            for key in ('project_id', 'role_id'):
                if not (item or {}).get(key):
                    raise exceptions.DataFileError(
                        'missing',
                        path=path,
                        field='sides.%s.assignments[%d].%s'
                        % (side, index, key),
                    )
        doc['sides'][side] = side_record
    return doc


class Journal:
    """What ``grant`` added, by side; read from and saved to the data dir.

    A side's record::

        identity: <auth URL>         # or, alone, same_as: <other side>
        user_id: ...
        group: {id: ..., name: ..., domain_id: ...}
        group_created: true          # grant made the group
        member_added: true           # grant put the user into it
        assignments:                 # role assignments grant made
        - {project_id: ..., project_name: ..., role_id: ..., role_name: ...}
        projects_created: [...]      # destination projects (never removed)
    """

    def __init__(self, path: str) -> None:
        self.path = path
        # In the data directory itself, which may be a symbolic link.
        self._record = record.Record(path, _checked, link_ok=True)
        doc = self._record.read()
        self.group_name: str | None = doc.get('group_name')
        self.sides: dict[str, dict[str, ty.Any]] = doc.get('sides') or {}

    def side(self, name: str) -> dict[str, ty.Any]:
        return self.sides.setdefault(name, {})

    def is_empty(self) -> bool:
        return not any(
            r.get('group_created')
            or r.get('member_added')
            or r.get('assignments')
            or r.get('projects_created')
            for r in self.sides.values()
        )

    def save(self) -> None:
        """Write the journal (mode 0600); remove it once it records
        nothing."""
        if self.is_empty():
            self._record.remove()
            return
        self._record.write(
            {
                JOURNAL_VERSION_KEY: JOURNAL_VERSION,
                'group_name': self.group_name,
                'sides': self.sides,
            }
        )


def _same_as(side: str, conn: ty.Any, others: dict[str, ty.Any]) -> str | None:
    """The side handled before ``side`` that has the same identity
    service, if any."""
    for other, other_conn in others.items():
        if other != side and identity_of(other_conn) == identity_of(conn):
            return other
    return None


def _check_identity(side: str, conn: ty.Any, record: dict) -> None:
    recorded = record.get('identity')
    if recorded and recorded != identity_of(conn):
        raise exceptions.MigrateError(
            'the journal records the %s side at %s, but the %s cloud is at '
            '%s: give the clouds of the grant'
            % (side, recorded, side, identity_of(conn)),
            field='sides.%s.identity' % side,
        )


def _group(conn: ty.Any, name: str, domain_id: str) -> ty.Any:
    return conn.identity.find_group(name, domain_id=domain_id)


def grant(
    side: str,
    conn: ty.Any,
    projects: list[ty.Any],
    journal: Journal,
    group_name: str = DEFAULT_GROUP,
    role_name: str = DEFAULT_ROLE,
    earlier: dict[str, ty.Any] | None = None,
) -> list[Change]:
    """Give ``conn``'s user, through the group, ``role_name`` on each of
    ``projects`` (names, IDs or SDK projects) of one side; record in
    ``journal`` what was added.  Idempotent.

    :param earlier: the sides already granted, ``{side: conn}``: a side
        with the same identity service as one of them is not done twice
    """
    record = journal.side(side)
    other = _same_as(side, conn, earlier or {})
    if other is not None:
        journal.sides[side] = {'same_as': other}
        return [
            Change(
                side,
                SHARED,
                'identity service %s is the %s side\'s: granted there'
                % (identity_of(conn), other),
            )
        ]
    record.pop('same_as', None)
    _check_identity(side, conn, record)
    record['identity'] = identity_of(conn)
    ident = conn.identity
    changes = []
    user = ident.get_user(conn.current_user_id)
    record['user_id'] = user.id
    record['user_name'] = user.name
    role = ident.find_role(role_name)
    if role is None:
        raise exceptions.MigrateError(
            'role %r not found in the %s cloud' % (role_name, side),
            field='--role',
        )

    group = _group(conn, group_name, user.domain_id)
    known = record.get('group') or {}
    if group is None:
        group = ident.create_group(
            name=group_name,
            domain_id=user.domain_id,
            description=GROUP_DESCRIPTION,
        )
        record.update(group_created=True, member_added=False, assignments=[])
        changes.append(Change(side, CREATED, 'group %r' % group_name))
    else:
        if known.get('id') != group.id:
            # Not the group of an earlier grant: not ours to delete.
            record.update(
                group_created=False, member_added=False, assignments=[]
            )
        changes.append(Change(side, UNCHANGED, 'group %r' % group_name))
    record['group'] = {
        'id': group.id,
        'name': group.name,
        'domain_id': group.domain_id,
    }
    record.setdefault('assignments', [])

    if ident.check_user_in_group(user, group):
        changes.append(
            Change(side, UNCHANGED, 'user %r in the group' % user.name)
        )
    else:
        ident.add_user_to_group(user, group)
        record['member_added'] = True
        changes.append(Change(side, ADDED, 'user %r to the group' % user.name))

    for project in projects:
        if isinstance(project, str):
            try:
                project = clouds.find_project(conn, side, project)
            except osc_exceptions.CommandError as e:
                changes.append(Change(side, FAILED, str(e)))
                continue
        what = 'role %r on project %r' % (role.name, project.name)
        if ident.validate_group_has_project_role(project, group, role):
            changes.append(Change(side, UNCHANGED, what))
            continue
        ident.assign_project_role_to_group(project, group, role)
        record['assignments'].append(
            {
                'project_id': project.id,
                'project_name': project.name,
                'role_id': role.id,
                'role_name': role.name,
            }
        )
        changes.append(Change(side, GRANTED, what))
    return changes


def revoke(side: str, conn: ty.Any, journal: Journal) -> list[Change]:
    """Remove what ``journal`` records that grant added on one side, and
    nothing else; the side's record goes once done."""
    record = journal.sides.get(side)
    if not record:
        return []
    if 'same_as' in record:
        del journal.sides[side]
        return [
            Change(
                side,
                SHARED,
                'identity service of the %s side: revoked there'
                % record['same_as'],
            )
        ]
    _check_identity(side, conn, record)
    ident = conn.identity
    group = record.get('group') or {}
    group_id = group.get('id')
    changes = []
    for assignment in list(record.get('assignments') or []):
        what = 'role %r on project %r' % (
            assignment.get('role_name'),
            assignment.get('project_name'),
        )
        if ident.validate_group_has_project_role(
            assignment['project_id'], group_id, assignment['role_id']
        ):
            ident.unassign_project_role_from_group(
                assignment['project_id'], group_id, assignment['role_id']
            )
            changes.append(Change(side, REMOVED, what))
        else:
            changes.append(Change(side, GONE, what))
        record['assignments'].remove(assignment)
    # Last, as removing a user from a group revokes the user's tokens
    # (deleting a group that holds no role does not).
    user_id = record.get('user_id')
    member = 'user %r from the group' % record.get('user_name', user_id)
    if record.get('group_created'):
        if record.get('member_added'):
            changes.append(
                Change(side, REMOVED, member + ' (deleted with it)')
            )
        ident.delete_group(group_id, ignore_missing=True)
        changes.append(Change(side, DELETED, 'group %r' % group.get('name')))
    elif record.get('member_added'):
        if ident.check_user_in_group(user_id, group_id):
            ident.remove_user_from_group(user_id, group_id)
            changes.append(Change(side, REMOVED, member))
        else:
            changes.append(Change(side, GONE, member))
    record.update(group_created=False, member_added=False)
    for name in record.get('projects_created') or []:
        changes.append(
            Change(
                side, KEPT, 'project %r (created by grant: migrated)' % name
            )
        )
    del journal.sides[side]
    return changes


class Grant(ty.NamedTuple):
    """A role assignment of the group, as ``access list`` shows it."""

    side: str
    group: str
    project: str
    role: str
    recorded: bool


def grants(
    side: str,
    conn: ty.Any,
    group_name: str,
    journal: Journal | None = None,
) -> list[Grant]:
    """The project role assignments of the group in one side's cloud;
    ``recorded`` says whether the journal holds them (grant made them)."""
    ident = conn.identity
    user = ident.get_user(conn.current_user_id)
    group = _group(conn, group_name, user.domain_id)
    if group is None:
        return []
    record = (journal.sides.get(side) if journal else None) or {}
    if 'same_as' in record and journal is not None:
        record = journal.sides.get(record['same_as']) or {}
    made = {
        (a['project_id'], a['role_id'])
        for a in record.get('assignments') or []
        if (record.get('group') or {}).get('id') == group.id
    }
    found = []
    for assignment in ident.role_assignments(
        group_id=group.id, include_names=True
    ):
        project = (assignment.scope or {}).get('project') or {}
        role = assignment.role or {}
        if not project:
            continue
        found.append(
            Grant(
                side,
                group.name,
                project.get('name') or project.get('id'),
                role.get('name') or role.get('id'),
                (project.get('id'), role.get('id')) in made,
            )
        )
    return sorted(found)
