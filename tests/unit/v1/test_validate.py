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

"""``openstack migrate validate``: in-process and through OSC's shell."""

import io
import logging
import os
import sys
import types
from unittest import mock

import fixtures
from osc_lib import exceptions
from openstackclient import shell
from oslotest import base

from osmigrateclient import datafile
from osmigrateclient.v1 import validate

NET = 'openstack.network.Network'


def net(name):
    return {
        'type': NET,
        'params': {'name': name},
        '_info': {'id': 'id-' + name},
        '_migration_params': {},
    }


class Base(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        # No cloud of the environment may be used.
        for var in list(os.environ):
            if var.startswith('OS_'):
                self.useFixture(fixtures.EnvironmentVariable(var))
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.data = os.path.join(self.dir, 'data')
        os.mkdir(self.data)

    def write_good(self):
        datafile.write(
            os.path.join(self.data, 'networks.yml'), [net('a'), net('b')]
        )

    def write_bad(self):
        self.write_good()
        datafile.write(
            os.path.join(self.data, 'more.yml'),
            [net('b'), dict(net('g'), type='openstack.compute.Gizmo')],
        )


class TestInProcess(Base):
    def run_cmd(self, argv):
        app = types.SimpleNamespace(
            stdout=io.StringIO(), stderr=io.StringIO(), options=None
        )
        cmd = validate.Validate(app, None)
        parser = cmd.get_parser('openstack migrate validate')
        parsed = parser.parse_args(argv)
        rc = cmd.run(parsed)
        return rc, app.stdout.getvalue(), app.stderr.getvalue()

    def test_good(self):
        self.write_good()
        rc, out, err = self.run_cmd(['--data-dir', self.data])
        self.assertEqual(0, rc)
        self.assertTrue(
            out.startswith('1 files, 2 resources, no problems\n'), out
        )
        self.assertEqual('', err)

    def test_good_machine_format_keeps_stdout_clean(self):
        self.write_good()
        rc, out, err = self.run_cmd(['--data-dir', self.data, '-f', 'json'])
        self.assertEqual(0, rc)
        self.assertEqual('[]', out.strip())
        self.assertEqual('1 files, 2 resources, no problems\n', err)

    def test_bad(self):
        self.write_bad()
        logger = self.useFixture(fixtures.FakeLogger(level=logging.ERROR))
        rc, out, err = self.run_cmd(['--data-dir', self.data, '-f', 'value'])
        self.assertEqual(1, rc)
        more = os.path.join(self.data, 'more.yml')
        networks = os.path.join(self.data, 'networks.yml')
        dup = (
            "duplicate: 2 resources would import as "
            "'openstack.network.Network:b'"
        )
        self.assertEqual(
            [
                "%s resource 1 (openstack.compute.Gizmo 'g') type "
                "unknown type 'openstack.compute.Gizmo'" % more,
                "%s resource 0 (openstack.network.Network 'b') params.name "
                '%s' % (more, dup),
                "%s resource 1 (openstack.network.Network 'b') params.name "
                '%s' % (networks, dup),
            ],
            out.splitlines(),
        )
        self.assertIn('3 problem(s) in %s' % self.data, logger.output)

    def test_data_dir_required(self):
        e = self.assertRaises(exceptions.CommandError, self.run_cmd, [])
        self.assertEqual(
            'a data directory is required: give --data-dir or set '
            'OS_MIGRATE_DATA_DIR',
            str(e),
        )

    def test_data_dir_from_env(self):
        self.write_good()
        self.useFixture(
            fixtures.EnvironmentVariable('OS_MIGRATE_DATA_DIR', self.data)
        )
        rc, out, _ = self.run_cmd([])
        self.assertEqual(0, rc)
        self.assertIn('1 files, 2 resources, no problems', out)

    def test_missing_data_dir(self):
        missing = os.path.join(self.dir, 'nope')
        e = self.assertRaises(
            exceptions.CommandError, self.run_cmd, ['--data-dir', missing]
        )
        self.assertEqual('%s: no such directory' % missing, str(e))

    def test_no_cloud_without_dst_cloud(self):
        self.write_good()
        with mock.patch('osmigrateclient.clouds.connect') as connect:
            rc, _, _ = self.run_cmd(['--data-dir', self.data])
        self.assertEqual(0, rc)
        connect.assert_not_called()

    def test_dst_cloud_checks_the_destination(self):
        self.write_good()
        with mock.patch('osmigrateclient.clouds.connect') as connect:
            with mock.patch(
                'osmigrateclient.validation.validate',
                return_value=([], 1, 2),
            ) as validate_:
                rc, _, _ = self.run_cmd(
                    ['--data-dir', self.data, '--dst-cloud', 'dst']
                )
        self.assertEqual(0, rc)
        self.assertEqual('dst', connect.call_args[0][2])
        self.assertEqual('dst', connect.call_args[0][1])
        lookup = validate_.call_args[0][1]
        self.assertIs(connect.return_value, lookup.conn)


class TestShell(Base):
    """Through ``openstack`` itself, without any cloud configured."""

    def setUp(self):
        super().setUp()
        self.useFixture(
            fixtures.EnvironmentVariable(
                'OS_CLIENT_CONFIG_FILE', os.path.join(self.dir, 'none.yaml')
            )
        )
        self.useFixture(fixtures.EnvironmentVariable('HOME', self.dir))
        # OSC sets up the root logger: put it back afterwards.
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        self.addCleanup(setattr, root, 'handlers', handlers)
        self.addCleanup(root.setLevel, level)

    def main(self, argv):
        out, err = io.StringIO(), io.StringIO()
        with (
            mock.patch.object(sys, 'stdout', out),
            mock.patch.object(sys, 'stderr', err),
        ):
            try:
                rc = shell.main(argv)
            except SystemExit as e:
                rc = e.code
        return rc, out.getvalue(), err.getvalue()

    def test_help(self):
        rc, out, err = self.main(['migrate', 'validate', '--help'])
        self.assertEqual(0, rc)
        self.assertIn(' migrate validate [-h]', out)
        self.assertIn('--data-dir <directory>', out)
        self.assertIn('--dst-cloud <cloud>', out)
        self.assertIn('Check the data files of a data directory', out)

    def test_openstack_help_migrate_validate(self):
        rc, out, err = self.main(['help', 'migrate', 'validate'])
        self.assertEqual(0, rc)
        self.assertIn(' migrate validate [-h]', out)

    def test_good(self):
        self.write_good()
        rc, out, err = self.main(
            ['migrate', 'validate', '--data-dir', self.data]
        )
        self.assertEqual(0, rc, err)
        self.assertTrue(
            out.startswith('1 files, 2 resources, no problems\n'), out
        )

    def test_bad(self):
        self.write_bad()
        rc, out, err = self.main(
            ['migrate', 'validate', '--data-dir', self.data, '-f', 'csv']
        )
        self.assertEqual(1, rc)
        more = os.path.join(self.data, 'more.yml')
        self.assertEqual(
            '"File","Resource","Field","Problem"',
            out.splitlines()[0],
        )
        self.assertIn(
            '"%s","resource 1 (openstack.compute.Gizmo \'g\')","type",'
            '"unknown type \'openstack.compute.Gizmo\'"' % more,
            out.splitlines(),
        )
        self.assertEqual(4, len(out.splitlines()))
        self.assertIn('3 problem(s) in %s' % self.data, err)

    def test_yaml_error_row(self):
        with open(os.path.join(self.data, 'networks.yml'), 'w') as f:
            f.write('os_migrate_version: 2.0.0\nresources: [\n')
        rc, out, err = self.main(
            ['migrate', 'validate', '--data-dir', self.data, '-f', 'value']
        )
        self.assertEqual(1, rc)
        self.assertEqual(
            "%s   invalid YAML: line 3, column 1: expected the node "
            "content, but found '<stream end>'"
            % os.path.join(self.data, 'networks.yml'),
            out.strip('\n'),
        )

    def test_empty_data_dir_fails(self):
        rc, out, err = self.main(
            ['migrate', 'validate', '--data-dir', self.data]
        )
        self.assertEqual(1, rc)
        self.assertEqual('', out)
        self.assertIn(
            '%s: no data files (*.yml or *.yaml) in the directory' % self.data,
            err,
        )
        self.assertNotIn('no problems', err)

    def test_a_file_is_not_a_directory(self):
        self.write_good()
        path = os.path.join(self.data, 'networks.yml')
        rc, out, err = self.main(['migrate', 'validate', '--data-dir', path])
        self.assertEqual(1, rc)
        self.assertIn('%s: not a directory' % path, err)

    def test_unreadable_data_dir_fails(self):
        self.write_good()
        # Root reads any directory: make the listing fail as it would.
        with mock.patch(
            'os.listdir', side_effect=PermissionError(13, 'Permission denied')
        ):
            rc, out, err = self.main(
                ['migrate', 'validate', '--data-dir', self.data]
            )
        self.assertEqual(1, rc)
        self.assertIn(
            '%s: cannot read the directory: Permission denied' % self.data,
            err,
        )
        self.assertNotIn('no problems', out + err)

    def test_wrong_types_are_problems_not_crashes(self):
        path = os.path.join(self.data, 'flavors.yml')
        with open(path, 'w') as f:
            f.write(
                'os_migrate_version: 2.0.0\n'
                'resources:\n'
                '- type: openstack.compute.Flavor\n'
                '  params: {name: f1, access_project_refs: abc}\n'
                '  _info: {id: f1}\n'
                '- type: [openstack.compute.Flavor]\n'
                '  params: {name: f2}\n'
                '  _info: {id: f2}\n'
            )
        with open(os.path.join(self.data, 'quotas.yml'), 'w') as f:
            f.write(
                'os_migrate_version: 2.0.0\n'
                'resources:\n'
                '- type: openstack.ProjectQuota\n'
                '  params: {project_ref: p1}\n'
                '  _info: {id: p1}\n'
            )
        rc, out, err = self.main(
            ['migrate', 'validate', '--data-dir', self.data, '-f', 'csv']
        )
        self.assertEqual(1, rc)
        self.assertEqual(
            [
                '"File","Resource","Field","Problem"',
                '"%s","resource 1 (\'f2\')","type","must be a string, not '
                'a list"' % path,
                '"%s","resource 0 (openstack.ProjectQuota)",'
                '"params.project_ref","must be a mapping, not a string"'
                % os.path.join(self.data, 'quotas.yml'),
            ],
            out.splitlines(),
        )
        self.assertNotIn('Traceback', err)
