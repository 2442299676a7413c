#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

"""``openstack migrate conversion host deploy|list|delete``, in process."""

import io
import os
import types

import fixtures
from osc_lib import exceptions
from oslotest import base

from osmigrateclient.transfer import conversion_host as ch
from osmigrateclient.v1 import conversion_host as cmd_mod
from tests.unit.transfer import test_conversion_host as fakes


class TestCommands(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        for var in list(os.environ):
            if var.startswith('OS_'):
                self.useFixture(fixtures.EnvironmentVariable(var))
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.conns = {
            'src': fakes.FakeCloud('10.100.0'),
            'dst': fakes.FakeCloud('10.200.0'),
        }
        self.useFixture(
            fixtures.MockPatch(
                'osmigrateclient.clouds.connect',
                side_effect=lambda app, side, name, project=None: self.conns[
                    side
                ],
            )
        )
        runner = fakes.FakeRunner()
        real = ch.Hosts.__init__

        def init(hosts, data_dir, *a, **kw):
            real(hosts, data_dir, runner, lambda: 0.0, lambda s: None)

        self.useFixture(fixtures.MockPatchObject(ch.Hosts, '__init__', init))

    def run_cmd(self, cls, *argv):
        app = types.SimpleNamespace(
            stdout=io.StringIO(), stderr=io.StringIO(), options=None
        )
        cmd = cls(app, None)
        parser = cmd.get_parser('openstack migrate conversion host')
        parsed = parser.parse_args(
            ['--data-dir', self.dir, '--src-cloud', 'a', '--dst-cloud', 'b']
            + list(argv)
        )
        columns, rows = cmd.take_action(parsed)
        return columns, list(rows)

    def test_deploy_list_delete(self):
        columns, rows = self.run_cmd(
            cmd_mod.DeployConversionHost,
            '--flavor',
            'm1.tiny',
            '--network',
            'net',
            '--name',
            'c',
        )
        self.assertEqual(cmd_mod.LIST_COLUMNS, columns)
        self.assertEqual(
            [
                ('src', 'c-src', 's-c-src', '10.100.0.5', 'ACTIVE', 'yes'),
                ('dst', 'c-dst', 's-c-dst', '10.200.0.5', 'ACTIVE', 'yes'),
            ],
            rows,
        )
        _, listed = self.run_cmd(cmd_mod.ListConversionHost)
        self.assertEqual(rows, listed)
        _, deleted = self.run_cmd(
            cmd_mod.DeleteConversionHost, '--side', 'dst'
        )
        # The source host stays: the link key comes off it.
        self.assertEqual(
            [
                ('dst', 'link key on c-src'),
                ('dst', 'server s-c-dst'),
                ('dst', 'security group g-c-dst'),
                ('dst', 'keypair c-dst'),
            ],
            deleted,
        )
        # ... and its security group admits the destination host no more.
        self.assertEqual(
            ['169.254.100.1/32'],
            [r.remote_ip_prefix for r in self.conns['src'].rules],
        )
        _, listed = self.run_cmd(cmd_mod.ListConversionHost)
        self.assertEqual(('dst', '', '', '', 'not deployed', 'no'), listed[1])

    def test_bad_hosts_file_changes_nothing(self):
        path = ch.hosts_path(self.dir)
        os.makedirs(os.path.dirname(path))
        text = 'hosts:\n  src: {name: c, address: "10.0.0.5; reboot"}\n'
        with open(path, 'w') as f:
            f.write(text)
        for cls in (
            cmd_mod.DeployConversionHost,
            cmd_mod.ListConversionHost,
            cmd_mod.DeleteConversionHost,
        ):
            e = self.assertRaises(exceptions.CommandError, self.run_cmd, cls)
            self.assertEqual(
                '%s: host src: field address: must be an IP address' % path,
                str(e),
            )
        with open(path) as f:
            self.assertEqual(text, f.read())
        self.assertEqual([], self.conns['src'].calls + self.conns['dst'].calls)

    def test_server_needs_one_side(self):
        e = self.assertRaises(
            exceptions.CommandError,
            self.run_cmd,
            cmd_mod.DeployConversionHost,
            '--server',
            'mine',
        )
        self.assertEqual('--server needs --side src|dst', str(e))
