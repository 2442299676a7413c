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


#: a deploy with the options every host needs
DEPLOY = (
    cmd_mod.DeployConversionHost,
    '--flavor',
    'm1.tiny',
    '--network',
    'net',
)


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
        columns, rows = self.run_cmd(*DEPLOY, '--name', 'c')
        self.assertEqual(cmd_mod.LIST_COLUMNS, columns)
        self.assertEqual(
            [
                (
                    1,
                    'src',
                    'c-src',
                    's-c-src',
                    '10.100.0.5',
                    'ACTIVE',
                    0,
                    'yes',
                ),
                (
                    1,
                    'dst',
                    'c-dst',
                    's-c-dst',
                    '10.200.0.5',
                    'ACTIVE',
                    0,
                    'yes',
                ),
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
                ('dst', 'c-dst', 'link key on c-src'),
                ('dst', 'c-dst', 'server s-c-dst'),
                ('dst', 'c-dst', 'security group g-c-dst'),
                ('dst', 'c-dst', 'keypair c-dst'),
            ],
            deleted,
        )
        # ... and its security group admits the destination host no more.
        self.assertEqual(
            ['169.254.100.1/32'],
            [r.remote_ip_prefix for r in self.conns['src'].rules],
        )
        _, listed = self.run_cmd(cmd_mod.ListConversionHost)
        self.assertEqual(
            (1, 'dst', '', '', '', 'not deployed', '-', 'no'), listed[1]
        )

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

    def _names(self, rows):
        return [(r[0], r[1], r[2]) for r in rows]

    def test_pool(self):
        deploy = DEPLOY + (
            '--name',
            'c',
            '--availability-zone',
            'az1',
            '--availability-zone',
            'az2',
        )
        _, rows = self.run_cmd(*deploy, '--count', '2')
        self.assertEqual(
            [
                (1, 'src', 'c-src-1'),
                (1, 'dst', 'c-dst-1'),
                (2, 'src', 'c-src-2'),
                (2, 'dst', 'c-dst-2'),
            ],
            self._names(rows),
        )
        self.assertEqual(['yes'] * 4, [r[-1] for r in rows])
        self.assertEqual(
            ['az1', 'az2'],
            [
                c[1]['availability_zone']
                for c in self.conns['dst'].calls
                if c[0] == 'create_server'
            ],
        )
        _, listed = self.run_cmd(cmd_mod.ListConversionHost)
        self.assertEqual(rows, listed)

        # Again: nothing changes.
        calls = [list(c.calls) for c in self.conns.values()]
        hosts_yml = ch.hosts_path(self.dir)
        with open(hosts_yml) as f:
            before = f.read()
        _, again = self.run_cmd(*deploy, '--count', '2')
        self.assertEqual(rows, again)
        self.assertEqual(calls, [c.calls for c in self.conns.values()])
        with open(hosts_yml) as f:
            self.assertEqual(before, f.read())

        # Fewer: refused, nothing changes.
        e = self.assertRaises(
            exceptions.CommandError, self.run_cmd, *deploy, '--count', '1'
        )
        self.assertEqual(
            'the pool of %s has 2 pairs of conversion hosts, more than '
            '--count 1: remove the ones you no longer want with "openstack '
            'migrate conversion host delete --host NAME" (hosts: c-src-1, '
            'c-dst-1, c-src-2, c-dst-2)' % hosts_yml,
            str(e),
        )
        self.assertEqual(calls, [c.calls for c in self.conns.values()])

        # One pair goes by name.
        _, deleted = self.run_cmd(
            cmd_mod.DeleteConversionHost,
            '--host',
            'c-dst-1',
            '--host',
            'c-src-1',
        )
        self.assertEqual(
            [
                ('src', 'c-src-1', 'server s-c-src-1'),
                ('src', 'c-src-1', 'security group g-c-src-1'),
                ('src', 'c-src-1', 'keypair c-src-1'),
                ('dst', 'c-dst-1', 'server s-c-dst-1'),
                ('dst', 'c-dst-1', 'security group g-c-dst-1'),
                ('dst', 'c-dst-1', 'keypair c-dst-1'),
            ],
            deleted,
        )
        _, listed = self.run_cmd(cmd_mod.ListConversionHost)
        self.assertEqual(rows[2:], listed)

        # More: the free pair number first, in its zone.
        _, rows = self.run_cmd(*deploy, '--count', '3')
        self.assertEqual(
            [
                (1, 'src', 'c-src-1'),
                (1, 'dst', 'c-dst-1'),
                (2, 'src', 'c-src-2'),
                (2, 'dst', 'c-dst-2'),
                (3, 'src', 'c-src-3'),
                (3, 'dst', 'c-dst-3'),
            ],
            self._names(rows),
        )
        self.assertEqual(
            ['az1', 'az2', 'az1', 'az1'],
            [
                c[1]['availability_zone']
                for c in self.conns['src'].calls
                if c[0] == 'create_server'
            ],
        )

        _, deleted = self.run_cmd(cmd_mod.DeleteConversionHost)
        self.assertEqual(18, len(deleted))
        for cloud in self.conns.values():
            self.assertEqual({}, cloud.servers)
            self.assertEqual({}, cloud.groups)
            self.assertEqual({}, cloud.keypairs)
        self.assertEqual({}, ch.load_hosts(self.dir))

    def test_pool_of_one_grows(self):
        # A pool of one (or the one pair of an earlier version) keeps its
        # hosts' names when it grows.
        _, one = self.run_cmd(*DEPLOY)
        _, two = self.run_cmd(*DEPLOY, '--count', '2')
        self.assertEqual(one, two[:2])
        self.assertEqual(
            [
                (2, 'src', 'osmigrate-conv-src-2'),
                (2, 'dst', 'osmigrate-conv-dst-2'),
            ],
            self._names(two[2:]),
        )

    def test_unknown_host(self):
        e = self.assertRaises(
            exceptions.CommandError,
            self.run_cmd,
            cmd_mod.DeleteConversionHost,
            '--host',
            'nope',
        )
        self.assertEqual(
            'no conversion host named nope in %s (hosts: none)'
            % ch.hosts_path(self.dir),
            str(e),
        )

    def test_server_brings_one_host(self):
        e = self.assertRaises(
            exceptions.CommandError,
            self.run_cmd,
            cmd_mod.DeployConversionHost,
            '--side',
            'src',
            '--server',
            'mine',
            '--count',
            '2',
        )
        self.assertEqual(
            '--server brings one host: it needs --count 1', str(e)
        )
