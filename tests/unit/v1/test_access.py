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

"""``openstack migrate access grant|revoke|list``, in process."""

import io
import os
import types
from unittest import mock

import fixtures
from osc_lib import exceptions
from oslotest import base

from osmigrateclient.v1 import access as access_cmd
from tests.unit import test_access


class Base(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        for var in list(os.environ):
            if var.startswith('OS_'):
                self.useFixture(fixtures.EnvironmentVariable(var))
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.src_ident = test_access.FakeIdentity()
        self.dst_ident = test_access.FakeIdentity()
        self.conns = {
            'a': test_access.fake_conn(self.src_ident),
            'b': test_access.fake_conn(
                self.dst_ident, url='http://b.example/v3'
            ),
        }
        self.useFixture(
            fixtures.MockPatch(
                'osmigrateclient.clouds.connect',
                side_effect=lambda app, side, name, project=None: self.conns[
                    name
                ],
            )
        )

    def run_cmd(self, cls, *argv):
        app = types.SimpleNamespace(
            stdout=io.StringIO(), stderr=io.StringIO(), options=None
        )
        cmd = cls(app, None)
        parser = cmd.get_parser('openstack migrate access')
        parsed = parser.parse_args(
            ['--data-dir', self.dir, '--src-cloud', 'a', '--dst-cloud', 'b']
            + list(argv)
        )
        columns, rows = cmd.take_action(parsed)
        return cmd, columns, [tuple(r) for r in rows]


class TestGrantRevoke(Base):
    def test_both_sides_then_revoke(self):
        cmd, columns, rows = self.run_cmd(
            access_cmd.GrantAccess, '--project', 'alpha'
        )
        self.assertEqual(('Side', 'Action', 'What'), columns)
        self.assertEqual(
            [
                ('src', 'created', "group 'osmigrate-access'"),
                ('src', 'added', "user 'admin' to the group"),
                ('src', 'granted', "role 'member' on project 'alpha'"),
                ('dst', 'created', "group 'osmigrate-access'"),
                ('dst', 'added', "user 'admin' to the group"),
                ('dst', 'granted', "role 'member' on project 'alpha'"),
            ],
            rows,
        )
        self.assertEqual(0, cmd.exit_code)
        _, columns, rows = self.run_cmd(access_cmd.ListAccess)
        self.assertEqual(
            [
                ('src', 'osmigrate-access', 'alpha', 'member', True),
                ('dst', 'osmigrate-access', 'alpha', 'member', True),
            ],
            rows,
        )
        _, _, rows = self.run_cmd(access_cmd.RevokeAccess)
        self.assertEqual(
            ['removed', 'removed', 'deleted'] * 2, [r[1] for r in rows]
        )
        for ident in (self.src_ident, self.dst_ident):
            self.assertEqual(({}, set()), (ident.groups, ident.grants))
        self.assertEqual(
            [], os.listdir(self.dir), 'the journal goes with the access'
        )

    def test_missing_destination_project_fails(self):
        del self.dst_ident.projects['p1']
        cmd, _, rows = self.run_cmd(
            access_cmd.GrantAccess, '--project', 'alpha'
        )
        self.assertIn(
            (
                'dst',
                'failed',
                "--dst-project: project 'alpha' not found in the "
                'destination cloud',
            ),
            rows,
        )
        self.assertEqual(1, cmd.exit_code)

    def test_wrong_typed_projects_file_changes_nothing(self):
        path = os.path.join(self.dir, 'projects.yml')
        with open(path, 'w') as f:
            f.write(
                'os_migrate_version: 2.0.0\n'
                'resources:\n'
                '- type: openstack.identity.Project\n'
                '  params: {name: alpha, parent_ref: 5}\n'
                '  _info: {id: p1}\n'
            )
        e = self.assertRaises(
            exceptions.CommandError,
            self.run_cmd,
            access_cmd.GrantAccess,
            '--project',
            'alpha',
            '--create-projects',
        )
        self.assertEqual(
            "%s: resource 0 (openstack.identity.Project 'alpha'): field "
            'params.parent_ref: must be a mapping, not a number' % path,
            str(e),
        )
        for ident in (self.src_ident, self.dst_ident):
            self.assertEqual(({}, set()), (ident.groups, ident.grants))
        self.assertEqual(['projects.yml'], os.listdir(self.dir))

    def test_other_group_than_the_journal(self):
        self.run_cmd(access_cmd.GrantAccess, '--project', 'alpha')
        e = self.assertRaises(
            exceptions.CommandError,
            self.run_cmd,
            access_cmd.GrantAccess,
            '--project',
            'beta',
            '--group-name',
            'other',
        )
        self.assertIn(
            "access_journal.yml: records the access of group "
            "'osmigrate-access': revoke it first",
            str(e),
        )

    def test_project_or_all_projects_required(self):
        with mock.patch('sys.stderr', io.StringIO()):
            self.assertRaises(SystemExit, self.run_cmd, access_cmd.GrantAccess)

    def test_revoke_without_journal(self):
        cmd, _, rows = self.run_cmd(access_cmd.RevokeAccess)
        self.assertEqual([], rows)
        self.assertIn('Nothing to revoke', cmd.app.stderr.getvalue())
