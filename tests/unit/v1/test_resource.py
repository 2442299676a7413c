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

"""The multi-project options of ``export all`` / ``import all`` / ``plan``."""

import argparse
import importlib
from importlib import metadata
import inspect
import io
import os
import pkgutil
import types
from unittest import mock

import fixtures
from osc_lib import exceptions
from oslotest import base

from osmigrateclient import alltypes
from osmigrateclient import clouds
from osmigrateclient import datafile
from osmigrateclient import exceptions as migrate_exceptions
from osmigrateclient import resources
from osmigrateclient.resources import refs
from osmigrateclient import v1
from osmigrateclient.v1 import compute
from osmigrateclient.v1 import identity
from osmigrateclient.v1 import network
from osmigrateclient.v1 import resource
from osmigrateclient.v1 import volume
from osmigrateclient.v1 import workload
from tests.unit import fakes


class TestProjectOptions(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        for var in list(os.environ):
            if var.startswith('OS_'):
                self.useFixture(fixtures.EnvironmentVariable(var))
        self.dir = self.useFixture(fixtures.TempDir()).path

    def parse(self, cls, *argv):
        app = types.SimpleNamespace(stdout=io.StringIO(), options=None)
        cmd = cls(app, None)
        return cmd, cmd.get_parser('openstack migrate x').parse_args(
            ['--data-dir', self.dir] + list(argv)
        )

    def test_repeatable_and_exclusive(self):
        for cls in (resource.ExportAll, resource.ImportAll, resource.Plan):
            _, args = self.parse(cls, '--project', 'a', '--project', 'b')
            self.assertEqual(['a', 'b'], args.projects)
            self.assertTrue(resource._multi_project(args))
            with mock.patch('sys.stderr', io.StringIO()):
                self.assertRaises(
                    SystemExit,
                    self.parse,
                    cls,
                    '--project',
                    'a',
                    '--all-projects',
                )
        _, args = self.parse(resource.Plan)
        self.assertFalse(resource._multi_project(args))

    def test_not_with_side_project(self):
        cmd, args = self.parse(
            resource.ImportAll, '--project', 'a', '--dst-project', 'b'
        )
        e = self.assertRaises(
            exceptions.CommandError,
            resource._per_project,
            cmd,
            args,
            clouds.DESTINATION,
        )
        self.assertEqual(
            '--dst-project cannot go with --project or --all-projects', str(e)
        )

    def test_project_dir(self):
        self.assertEqual(
            os.path.join(self.dir, 'alpha'),
            resource._project_dir(self.dir, 'alpha'),
        )
        for bad in ('..', 'a/b', ''):
            self.assertRaises(
                exceptions.CommandError, resource._project_dir, self.dir, bad
            )

    def test_all_projects_of_the_data_dir(self):
        for name in ('beta', 'alpha'):
            datafile.write(os.path.join(self.dir, name, 'networks.yml'), [])
        os.mkdir(os.path.join(self.dir, 'empty'))
        datafile.write(os.path.join(self.dir, 'projects.yml'), [])
        found = []

        def find(conn, side, name):
            found.append((side, name))
            return types.SimpleNamespace(name=name)

        args = argparse.Namespace(all_projects=True, projects=[])
        with mock.patch.object(clouds, 'find_project', side_effect=find):
            projects = resource._chosen_projects(
                args, clouds.DESTINATION, None, self.dir
            )
        self.assertEqual(['alpha', 'beta'], [p.name for p in projects])
        self.assertEqual([('dst', 'alpha'), ('dst', 'beta')], found)


class TestOsMigrateVersion(base.BaseTestCase):
    def test_env(self):
        self.useFixture(
            fixtures.EnvironmentVariable(
                'OS_MIGRATE_OS_MIGRATE_VERSION', '1.0.5'
            )
        )
        app = types.SimpleNamespace(stdout=io.StringIO(), options=None)
        cmd = resource.ExportAll(app, None)
        args = cmd.get_parser('openstack migrate export all').parse_args([])
        self.assertEqual('1.0.5', args.os_migrate_version)

    def test_type_os_migrate_lacks(self):
        quota = resources.get('quota')
        e = self.assertRaises(
            exceptions.CommandError,
            resource._for_os_migrate,
            [quota],
            '1.0.5',
        )
        self.assertEqual(
            'os-migrate 1.0.5 has no type openstack.ProjectQuota: export '
            'quota without --os-migrate-version',
            str(e),
        )

    def test_export_all_leaves_out_what_os_migrate_lacks(self):
        types = resource._pre_workload_types()
        with self.assertLogs('osmigrateclient.v1.resource', 'WARNING') as logs:
            kept = resource._for_os_migrate(types, '1.0.5')
        self.assertEqual(
            sorted(
                t.cli_name
                for t in types
                if t.cli_name
                not in (
                    'quota',
                    'group role assignment',
                    'domain',
                    'role',
                    'group',
                    'address group',
                    'address scope',
                    'subnet pool',
                    'volume type',
                    'volume qos',
                    'network qos policy',
                    'network rbac',
                    'floating ip',
                    'port',
                    'network trunk',
                    'secret',
                    'secret container',
                    'container',
                    'loadbalancer',
                    'zone',
                    'ptr record',
                    'share type',
                    'share network',
                    'share',
                )
            ),
            sorted(t.cli_name for t in kept),
        )
        self.assertEqual(
            [
                'WARNING:osmigrateclient.v1.resource:%s not exported: '
                'os-migrate 1.0.5 has no type %s' % (t.file_name, t.type)
                for t in types
                if t not in kept
            ],
            logs.output,
        )
        self.assertEqual(24, len(logs.output))

    def test_unchecked_version(self):
        self.assertRaises(
            migrate_exceptions.MigrateError,
            resource._for_os_migrate,
            resource._pre_workload_types(),
            '2.0.0',
        )


class TestImportTightensTheDataDir(base.BaseTestCase):
    """The data dir holds user_data and metadata: an import (not a dry
    run) makes it 0700."""

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        os.chmod(self.dir, 0o755)

    def run_import(self, dry_run):
        lookup = refs.Lookup(fakes.FakeConnection(), data_dir=self.dir)
        args = argparse.Namespace(dry_run=dry_run, names=[], name_regexes=[])
        with mock.patch.object(
            resource.quota_check, 'quota_shortfalls', return_value=[]
        ):
            resource._import_into(
                types.SimpleNamespace(exit_code=0), args, [], False, lookup
            )
        return os.stat(self.dir).st_mode & 0o777

    def test_import(self):
        self.assertEqual(0o700, self.run_import(False))

    def test_dry_run_changes_nothing(self):
        self.assertEqual(0o755, self.run_import(True))

    def test_cannot_tighten(self):
        with mock.patch(
            'os.chmod',
            side_effect=PermissionError(1, 'Operation not permitted'),
        ):
            e = self.assertRaises(
                migrate_exceptions.DataFileError, self.run_import, False
            )
        self.assertEqual(
            '%s: cannot make the directory private (mode 0700): Operation '
            'not permitted; it may hold secrets: make it 0700 or use another '
            'one' % self.dir,
            str(e),
        )


class TestParallelOption(base.BaseTestCase):
    """``--parallel``: imports of the types that have a pool."""

    def parser(self, cls, name='openstack migrate import all'):
        app = types.SimpleNamespace(stdout=io.StringIO(), options=None)
        return cls(app, None).get_parser(name)

    def test_import_all(self):
        parser = self.parser(resource.ImportAll)
        self.assertEqual(
            alltypes.DEFAULT_PARALLEL, parser.parse_args([]).parallel
        )
        self.assertEqual(2, parser.parse_args(['--parallel', '2']).parallel)
        for bad in ('0', '-1', 'x'):
            with mock.patch('sys.stderr', io.StringIO()):
                self.assertRaises(
                    SystemExit, parser.parse_args, ['--parallel', bad]
                )

    def test_only_where_a_type_has_a_pool(self):
        for cls, has in (
            (network.ImportNetwork, True),
            (compute.ImportKeypair, False),
        ):
            parser = self.parser(cls, 'openstack migrate import x')
            self.assertEqual(
                has, hasattr(parser.parse_args([]), 'parallel'), cls
            )

    def test_volumes_keep_their_own(self):
        parser = self.parser(
            volume.ImportVolume, 'openstack migrate import volume'
        )
        args = parser.parse_args(['--parallel', '3'])
        self.assertEqual(3, args.volume_parallel)
        self.assertFalse(hasattr(args, 'parallel'))

    def test_given_to_the_import_not_to_a_plan(self):
        lookup = refs.Lookup(fakes.FakeConnection(), data_dir='/nowhere')
        for dry_run, given in ((False, 3), (True, 3)):
            args = argparse.Namespace(
                dry_run=dry_run, names=[], name_regexes=[], parallel=given
            )
            with (
                mock.patch.object(
                    resource.alltypes, 'import_', return_value=[]
                ) as import_,
                mock.patch.object(
                    resource.quota_check, 'quota_shortfalls', return_value=[]
                ),
            ):
                resource._import_into(
                    types.SimpleNamespace(exit_code=0), args, [], False, lookup
                )
            self.assertEqual(3, import_.call_args.kwargs['parallel'])
            self.assertEqual(dry_run, import_.call_args.kwargs['dry_run'])


def _commands():
    """``{entry point name: command class}`` of every migrate command."""
    return {
        ep.name: ep.load()
        for ep in metadata.entry_points(group='openstack.migrate.v1')
    }


class TestEntryPoints(base.BaseTestCase):
    """Each resource type has an export and an import command of its own,
    which a grep finds by its class name."""

    def test_every_type_has_both_commands(self):
        commands = _commands()
        missing, wrong = [], []
        for name in sorted(resources.by_cli_name()):
            if name == 'workload':
                # its own command family: migrate workload export|import
                continue
            for verb, verb_base in (
                ('export', resource.ExportResource),
                ('import', resource.ImportResource),
            ):
                key = 'migrate_%s_%s' % (verb, name.replace(' ', '_'))
                cls = commands.get(key)
                if cls is None:
                    missing.append(key)
                elif (
                    cls is verb_base
                    or not issubclass(cls, verb_base)
                    or cls.resource_name != name
                ):
                    wrong.append(key)
        self.assertEqual([], missing)
        self.assertEqual([], wrong)
        self.assertIs(
            workload.ImportWorkload, commands['migrate_workload_import']
        )
        self.assertEqual(
            'workload', commands['migrate_workload_export'].resource_name
        )

    def test_one_class_per_command(self):
        classes = list(_commands().values())
        self.assertEqual(len(classes), len(set(classes)))

    def test_every_type_command_has_an_entry_point(self):
        # A class of a type that setup.cfg does not name is no command.
        listed = set(_commands().values())
        bases = (resource.ExportResource, resource.ImportResource)
        unlisted = []
        for found in pkgutil.iter_modules(v1.__path__):
            module = importlib.import_module(
                '%s.%s' % (v1.__name__, found.name)
            )
            unlisted += [
                '%s.%s' % (module.__name__, name)
                for name, cls in inspect.getmembers(module, inspect.isclass)
                if issubclass(cls, bases)
                and cls not in bases
                and cls not in listed
            ]
        self.assertEqual([], unlisted)


class TestHelp(base.BaseTestCase):
    """Each type's export and import help says what it takes, and where."""

    def description(self, cls):
        return cls(mock.Mock(), None).get_description()

    def test_tenant_type(self):
        self.assertTrue(
            self.description(network.ExportSecurityGroup).startswith(
                "Export the source project's security groups into "
                'security_groups.yml.'
            )
        )
        self.assertTrue(
            self.description(network.ImportSecurityGroup).startswith(
                'Import the security groups of security_groups.yml into '
                'the destination project.'
            )
        )

    def test_admin_type_is_cloud_wide(self):
        self.assertTrue(
            self.description(identity.ExportProject).startswith(
                "Export the source cloud's projects into"
            )
        )
        self.assertIn(
            'into the destination cloud.',
            self.description(identity.ImportProject),
        )
        self.assertTrue(
            self.description(compute.ImportFlavor).startswith(
                'Import the flavors of flavors.yml into the destination cloud.'
            )
        )

    def test_volume_says_detached(self):
        self.assertTrue(
            self.description(volume.ExportVolume).startswith(
                "Export the source project's detached volumes, with their "
                'bytes, into detached_volumes.yml.'
            )
        )
        self.assertTrue(
            self.description(volume.ImportVolume).startswith(
                'Import the detached volumes of detached_volumes.yml into '
                'the destination project.'
            )
        )

    def test_plural_of_the_type(self):
        self.assertTrue(
            self.description(network.ImportFloatingIP).startswith(
                'Import the floating IPs of floating_ips.yml'
            )
        )
        self.assertTrue(
            self.description(network.ImportNetworkQosPolicy).startswith(
                'Import the network QoS policies of qos_policies.yml'
            )
        )

    def test_every_command_formats(self):
        for name, cls in sorted(_commands().items()):
            text = self.description(cls)
            self.assertNotIn('{', text, name)
            if issubclass(cls, resource._OneResource):
                self.assertIn(cls(mock.Mock(), None).resource.file_name, text)

    def test_every_summary_is_a_whole_sentence(self):
        # cliff's command list shows the description's first line
        for name, cls in sorted(_commands().items()):
            text = self.description(cls)
            summary = text.split('\n')[0]
            self.assertTrue(summary.endswith('.'), name)
            self.assertFalse(
                [line for line in text.splitlines() if line.startswith(' ')],
                name,
            )
