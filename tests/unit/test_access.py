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

"""The admin's access group: grant, revoke, list and the journal."""

import os
import types

import fixtures
import testtools
import yaml

from osmigrateclient import access
from osmigrateclient import datadir
from osmigrateclient import exceptions

URL = 'http://keystone.example:5000/v3'


def _id(x):
    return getattr(x, 'id', x)


class FakeIdentity:
    """The Keystone calls of access grant/revoke/list, in memory."""

    def __init__(self):
        self.users = {
            'u1': types.SimpleNamespace(
                id='u1', name='admin', domain_id='default'
            )
        }
        self.roles = {'r1': types.SimpleNamespace(id='r1', name='member')}
        self.projects = {
            pid: types.SimpleNamespace(id=pid, name=name, domain_id='default')
            for pid, name in (('p1', 'alpha'), ('p2', 'beta'))
        }
        self.groups = {}
        self.members = set()  # (user id, group id)
        self.grants = set()  # (project id, group id, role id)
        self.calls = []

    def _log(self, name, *args):
        self.calls.append((name,) + tuple(_id(a) for a in args))

    def get_user(self, user):
        return self.users[_id(user)]

    def find_role(self, name):
        return next((r for r in self.roles.values() if r.name == name), None)

    def find_project(self, name_or_id, ignore_missing=True):
        return next(
            (
                p
                for p in self.projects.values()
                if name_or_id in (p.id, p.name)
            ),
            None,
        )

    def find_group(self, name, domain_id=None):
        return next(
            (
                g
                for g in self.groups.values()
                if g.name == name and g.domain_id == domain_id
            ),
            None,
        )

    def create_group(self, name, domain_id, description):
        self._log('create_group', name)
        group = types.SimpleNamespace(
            id='g%d' % (len(self.groups) + 1), name=name, domain_id=domain_id
        )
        self.groups[group.id] = group
        return group

    def delete_group(self, group, ignore_missing=True):
        self._log('delete_group', group)
        self.groups.pop(_id(group), None)
        self.members = {m for m in self.members if m[1] != _id(group)}
        self.grants = {g for g in self.grants if g[1] != _id(group)}

    def check_user_in_group(self, user, group):
        return (_id(user), _id(group)) in self.members

    def add_user_to_group(self, user, group):
        self._log('add_user_to_group', user, group)
        self.members.add((_id(user), _id(group)))

    def remove_user_from_group(self, user, group):
        self._log('remove_user_from_group', user, group)
        self.members.discard((_id(user), _id(group)))

    def validate_group_has_project_role(self, project, group, role):
        return (_id(project), _id(group), _id(role)) in self.grants

    def assign_project_role_to_group(self, project, group, role):
        self._log('assign', project, group, role)
        self.grants.add((_id(project), _id(group), _id(role)))

    def unassign_project_role_from_group(self, project, group, role):
        self._log('unassign', project, group, role)
        self.grants.discard((_id(project), _id(group), _id(role)))

    def role_assignments(self, group_id, include_names):
        return [
            types.SimpleNamespace(
                scope={
                    'project': {
                        'id': p,
                        'name': self.projects[p].name,
                    }
                },
                role={'id': r, 'name': self.roles[r].name},
            )
            for p, g, r in sorted(self.grants)
            if g == group_id
        ]


def fake_conn(identity=None, url=URL):
    return types.SimpleNamespace(
        config=types.SimpleNamespace(config={'auth': {'auth_url': url}}),
        current_user_id='u1',
        identity=identity or FakeIdentity(),
    )


class Base(testtools.TestCase):
    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.path = os.path.join(self.dir, datadir.ACCESS_JOURNAL)

    def journal(self):
        return access.Journal(self.path)

    def grant(self, conn, projects=('alpha', 'beta'), side='src', **kw):
        journal = self.journal()
        journal.group_name = 'grp'
        changes = access.grant(
            side, conn, list(projects), journal, 'grp', **kw
        )
        journal.save()
        return [tuple(c) for c in changes]


class TestGrant(Base):
    def test_grant_creates_and_records(self):
        conn = fake_conn()
        self.assertEqual(
            [
                ('src', 'created', "group 'grp'"),
                ('src', 'added', "user 'admin' to the group"),
                ('src', 'granted', "role 'member' on project 'alpha'"),
                ('src', 'granted', "role 'member' on project 'beta'"),
            ],
            self.grant(conn),
        )
        ident = conn.identity
        self.assertEqual({('u1', 'g1')}, ident.members)
        self.assertEqual(
            {('p1', 'g1', 'r1'), ('p2', 'g1', 'r1')}, ident.grants
        )
        self.assertEqual(0o600, os.stat(self.path).st_mode & 0o777)
        with open(self.path) as f:
            doc = yaml.safe_load(f)
        self.assertEqual(1, doc['os_migrate_access_version'])
        self.assertEqual('grp', doc['group_name'])
        record = doc['sides']['src']
        self.assertEqual(
            (True, True, URL, 'u1', 'admin'),
            (
                record['group_created'],
                record['member_added'],
                record['identity'],
                record['user_id'],
                record['user_name'],
            ),
        )
        self.assertEqual(
            [('p1', 'alpha', 'r1'), ('p2', 'beta', 'r1')],
            [
                (a['project_id'], a['project_name'], a['role_id'])
                for a in record['assignments']
            ],
        )

    def test_grant_again_changes_nothing(self):
        conn = fake_conn()
        self.grant(conn)
        with open(self.path) as f:
            first = f.read()
        calls = len(conn.identity.calls)
        self.assertEqual(['unchanged'] * 4, [c[1] for c in self.grant(conn)])
        self.assertEqual(calls, len(conn.identity.calls))
        with open(self.path) as f:
            self.assertEqual(first, f.read())

    def test_unknown_project_fails_others_go_on(self):
        conn = fake_conn()
        changes = self.grant(conn, projects=('nope', 'beta'))
        self.assertIn(
            (
                'src',
                'failed',
                "--src-project: project 'nope' not found in the source cloud",
            ),
            changes,
        )
        self.assertEqual({('p2', 'g1', 'r1')}, conn.identity.grants)

    def test_unknown_role(self):
        e = self.assertRaises(
            exceptions.MigrateError,
            access.grant,
            'src',
            fake_conn(),
            ['alpha'],
            self.journal(),
            'grp',
            'nope',
        )
        self.assertIn("role 'nope' not found in the src cloud", str(e))

    def test_same_identity_is_done_once(self):
        ident = FakeIdentity()
        src, dst = fake_conn(ident), fake_conn(ident, url=URL + '/')
        journal = self.journal()
        access.grant('src', src, ['alpha'], journal, 'grp')
        calls = len(ident.calls)
        changes = access.grant(
            'dst', dst, ['alpha'], journal, 'grp', earlier={'src': src}
        )
        self.assertEqual(
            [
                access.Change(
                    'dst',
                    'shared',
                    "identity service %s is the src side's: granted there"
                    % URL,
                )
            ],
            changes,
        )
        self.assertEqual(calls, len(ident.calls))
        self.assertEqual({'same_as': 'src'}, journal.sides['dst'])


class TestRevoke(Base):
    def test_revoke_removes_what_grant_added(self):
        conn = fake_conn()
        self.grant(conn)
        journal = self.journal()
        changes = access.revoke('src', conn, journal)
        journal.save()
        self.assertEqual(
            [
                ('src', 'removed', "role 'member' on project 'alpha'"),
                ('src', 'removed', "role 'member' on project 'beta'"),
                (
                    'src',
                    'removed',
                    "user 'admin' from the group (deleted with it)",
                ),
                ('src', 'deleted', "group 'grp'"),
            ],
            [tuple(c) for c in changes],
        )
        ident = conn.identity
        self.assertEqual(
            ({}, set(), set()), (ident.groups, ident.members, ident.grants)
        )
        # The group goes last, once it holds no role (Keystone then
        # revokes no token).
        self.assertEqual('delete_group', ident.calls[-1][0])
        self.assertFalse(os.path.exists(self.path))

    def test_revoke_keeps_what_existed_before(self):
        ident = FakeIdentity()
        conn = fake_conn(ident)
        group = ident.create_group('grp', 'default', '')
        ident.add_user_to_group('u1', group)
        ident.assign_project_role_to_group('p1', group, 'r1')
        self.assertEqual(
            [
                ('src', 'unchanged', "group 'grp'"),
                ('src', 'unchanged', "user 'admin' in the group"),
                ('src', 'unchanged', "role 'member' on project 'alpha'"),
                ('src', 'granted', "role 'member' on project 'beta'"),
            ],
            self.grant(conn),
        )
        journal = self.journal()
        changes = access.revoke('src', conn, journal)
        journal.save()
        self.assertEqual(
            [('src', 'removed', "role 'member' on project 'beta'")],
            [tuple(c) for c in changes],
        )
        self.assertEqual({'g1'}, set(ident.groups))
        self.assertEqual({('u1', 'g1')}, ident.members)
        self.assertEqual({('p1', 'g1', 'r1')}, ident.grants)

    def test_member_added_to_existing_group_is_removed(self):
        ident = FakeIdentity()
        conn = fake_conn(ident)
        ident.create_group('grp', 'default', '')
        self.grant(conn, projects=())
        journal = self.journal()
        changes = access.revoke('src', conn, journal)
        self.assertEqual(
            [('src', 'removed', "user 'admin' from the group")],
            [tuple(c) for c in changes],
        )
        self.assertEqual(set(), ident.members)
        self.assertEqual({'g1'}, set(ident.groups))

    def test_already_removed_is_gone(self):
        conn = fake_conn()
        self.grant(conn, projects=('alpha',))
        conn.identity.grants.clear()
        changes = access.revoke('src', conn, self.journal())
        self.assertEqual(
            ('src', 'gone', "role 'member' on project 'alpha'"),
            tuple(changes[0]),
        )

    def test_other_identity_refused(self):
        self.grant(fake_conn())
        e = self.assertRaises(
            exceptions.MigrateError,
            access.revoke,
            'src',
            fake_conn(url='http://other.example/v3'),
            self.journal(),
        )
        self.assertIn(
            'the journal records the src side at %s, but the src cloud is '
            'at http://other.example/v3' % URL,
            str(e),
        )

    def test_shared_side(self):
        journal = self.journal()
        journal.sides['dst'] = {'same_as': 'src'}
        changes = access.revoke('dst', None, journal)
        self.assertEqual('shared', changes[0].action)
        self.assertEqual({}, journal.sides)


class TestJournal(Base):
    def test_not_a_journal(self):
        with open(self.path, 'w') as f:
            f.write('resources: []\n')
        e = self.assertRaises(exceptions.DataFileError, self.journal)
        self.assertIn(self.path, str(e))
        self.assertIn('not an access journal of version 1', str(e))

    def test_wrong_shapes(self):
        head = 'os_migrate_access_version: 1\n'
        for text, message in (
            (
                'sides: {src: {assignments: 5}}\n',
                'field sides.src.assignments: must be a list, not a number',
            ),
            (
                'sides: {src: {assignments: [x]}}\n',
                'field sides.src.assignments[0]: must be a mapping, not a '
                'string',
            ),
            (
                'sides: {src: {assignments: [{role_id: r}]}}\n',
                'field sides.src.assignments[0].project_id: missing',
            ),
            (
                'sides: {src: {group: [g]}}\n',
                'field sides.src.group: must be a mapping, not a list',
            ),
            (
                'sides: {src: {projects_created: p}}\n',
                'field sides.src.projects_created: must be a list, not a '
                'string',
            ),
            (
                'group_name: [g]\nsides: {}\n',
                'field group_name: must be a string, not a list',
            ),
            (
                'sides: {src: [1]\n',
                "invalid YAML: line 3, column 1: expected ',' or '}', but got "
                "'<stream end>'",
            ),
            (
                'sides: {src: %s}\n' % ('[' * 70 + ']' * 70),
                'nested more than 64 levels deep',
            ),
        ):
            with open(self.path, 'w') as f:
                f.write(head + text)
            e = self.assertRaises(exceptions.DataFileError, self.journal)
            self.assertEqual('%s: %s' % (self.path, message), str(e))

    def test_empty_journal_is_not_written(self):
        journal = self.journal()
        journal.sides['dst'] = {'same_as': 'src'}
        journal.save()
        self.assertFalse(os.path.exists(self.path))


class TestGrants(Base):
    def test_list_with_recorded_flag(self):
        ident = FakeIdentity()
        conn = fake_conn(ident)
        group = ident.create_group('grp', 'default', '')
        ident.assign_project_role_to_group('p1', group, 'r1')
        self.grant(conn)
        self.assertEqual(
            [
                access.Grant('src', 'grp', 'alpha', 'member', False),
                access.Grant('src', 'grp', 'beta', 'member', True),
            ],
            access.grants('src', conn, 'grp', self.journal()),
        )
        self.assertEqual([], access.grants('src', conn, 'other'))
