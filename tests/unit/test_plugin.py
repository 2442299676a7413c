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

import argparse
from importlib import metadata
import types

import fixtures
from oslotest import base

from osmigrateclient import plugin


class TestPlugin(base.BaseTestCase):
    def test_constants(self):
        self.assertEqual('migrate', plugin.API_NAME)
        self.assertEqual('1', plugin.DEFAULT_API_VERSION)
        self.assertEqual('os_migrate_api_version', plugin.API_VERSION_OPTION)
        self.assertEqual(
            {'1': 'osmigrateclient.plugin.Client'}, plugin.API_VERSIONS
        )

    def parse(self, argv):
        parser = argparse.ArgumentParser()
        self.assertIs(parser, plugin.build_option_parser(parser))
        return parser.parse_args(argv)

    def test_option_default(self):
        self.useFixture(fixtures.EnvironmentVariable('OS_MIGRATE_API_VERSION'))
        args = self.parse([])
        self.assertEqual('1', getattr(args, plugin.API_VERSION_OPTION))

    def test_option_env(self):
        self.useFixture(
            fixtures.EnvironmentVariable('OS_MIGRATE_API_VERSION', '7')
        )
        self.assertEqual('7', self.parse([]).os_migrate_api_version)
        self.assertEqual(
            '1',
            self.parse(
                ['--os-migrate-api-version', '1']
            ).os_migrate_api_version,
        )

    def test_make_client(self):
        instance = types.SimpleNamespace(_api_version={'migrate': '1'})
        client = plugin.make_client(instance)
        self.assertIsInstance(client, plugin.Client)
        self.assertEqual('1', client.api_version)

    def test_client_default_version(self):
        self.assertEqual('1', plugin.Client().api_version)

    def test_entry_points(self):
        extensions = {
            ep.name: ep.value
            for ep in metadata.entry_points(group='openstack.cli.extension')
        }
        self.assertEqual('osmigrateclient.plugin', extensions['migrate'])
        commands = {
            ep.name: ep.value
            for ep in metadata.entry_points(group='openstack.migrate.v1')
        }
        self.assertEqual(
            'osmigrateclient.v1.validate:Validate',
            commands['migrate_validate'],
        )
