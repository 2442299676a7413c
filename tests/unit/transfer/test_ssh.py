#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

import os
import shutil
import signal
import stat
import subprocess
import sys
import time

import fixtures
from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient.transfer import ssh

CONSOLE = """\
[   12.1] cloud-init[801]: Generating public/private ed25519 key pair.
-----BEGIN SSH HOST KEY KEYS-----
ecdsa-sha2-nistp256 AAAAold root@conv
-----END SSH HOST KEY KEYS-----
[   40.0] reboot
ci-info: -----BEGIN SSH HOST KEY KEYS-----
ci-info: ssh-ed25519 AAAAC3Nza root@conv
ci-info: ssh-rsa AAAAB3Nza root@conv
ci-info: -----END SSH HOST KEY KEYS-----
-----BEGIN SSH HOST KEY KEYS-----
ssh-ed25519 AAAAtruncated
"""


class TestHostKeys(base.BaseTestCase):
    def test_last_complete_block(self):
        self.assertEqual(
            ['ssh-ed25519 AAAAC3Nza', 'ssh-rsa AAAAB3Nza'],
            ssh.host_keys_from_console(CONSOLE),
        )

    def test_not_base64_dropped(self):
        console = (
            '-----BEGIN SSH HOST KEY KEYS-----\n'
            'ssh-ed25519 AAAA"x root@h\nssh-rsa AAAB/+= root@h\n'
            '-----END SSH HOST KEY KEYS-----\n'
        )
        self.assertEqual(
            ['ssh-rsa AAAB/+='], ssh.host_keys_from_console(console)
        )

    def test_no_block(self):
        self.assertEqual([], ssh.host_keys_from_console('booting\n'))

    def test_pin_replaces_the_host_lines_only(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path, 'kh')
        with open(path, 'w') as f:
            f.write('10.0.0.9 ssh-ed25519 OTHER\n10.0.0.5 ssh-rsa OLD\n')
        self.assertTrue(ssh.pin_host_keys(path, '10.0.0.5', ['ssh-ed25519 K']))
        with open(path) as f:
            self.assertEqual(
                '10.0.0.9 ssh-ed25519 OTHER\n10.0.0.5 ssh-ed25519 K\n',
                f.read(),
            )
        self.assertEqual(0o600, stat.S_IMODE(os.stat(path).st_mode))
        self.assertFalse(
            ssh.pin_host_keys(path, '10.0.0.5', ['ssh-ed25519 K'])
        )

    def test_pin_nothing_fails(self):
        self.assertRaises(
            exceptions.MigrateError, ssh.pin_host_keys, '/x', '10.0.0.5', []
        )


class TestCommands(base.BaseTestCase):
    def test_ssh_argv(self):
        host = ssh.Host('192.0.2.7', '/d/conversion/ssh.key', '/d/kh')
        self.assertEqual(
            [
                'ssh',
                '-F',
                '/dev/null',
                '-o',
                'IdentityFile=/d/conversion/ssh.key',
                '-o',
                'IdentitiesOnly=yes',
                '-o',
                'IdentityAgent=none',
                '-o',
                'BatchMode=yes',
                '-o',
                'StrictHostKeyChecking=yes',
                '-o',
                'UserKnownHostsFile=/d/kh',
                '-o',
                'GlobalKnownHostsFile=/dev/null',
                '-o',
                'ForwardAgent=no',
                '-o',
                'ForwardX11=no',
                '-o',
                'ControlMaster=no',
                '-o',
                'ControlPath=none',
                '-o',
                'ClearAllForwardings=yes',
                '-o',
                'ConnectTimeout=10',
                '-o',
                'ServerAliveInterval=15',
                '-o',
                'ServerAliveCountMax=4',
                '-o',
                'LogLevel=ERROR',
                '-p',
                '22',
                '-l',
                'root',
                '-T',
                '--',
                '192.0.2.7',
                "head -c 5 '/dev/disk/by-id/virtio-a b'",
            ],
            ssh.ssh_argv(
                host, ['head', '-c', '5', '/dev/disk/by-id/virtio-a b']
            ),
        )

    def test_percent_in_paths_is_escaped(self):
        host = ssh.Host('192.0.2.7', '/d%h/ssh.key', '/d%d%%/kh')
        argv = ssh.ssh_argv(host, 'true')
        self.assertIn('IdentityFile=/d%%h/ssh.key', argv)
        self.assertIn('UserKnownHostsFile=/d%%d%%%%/kh', argv)
        self.assertNotIn('-i', argv)

    def test_dollar_brace_in_paths_refused(self):
        host = ssh.Host('192.0.2.7', '/d${HOME}/ssh.key', '/d/kh')
        e = self.assertRaises(
            exceptions.MigrateError, ssh.ssh_argv, host, 'true'
        )
        self.assertIn('${', str(e))

    def test_what_ssh_makes_of_the_options(self):
        # ssh itself (-G: the configuration it would use, no connection):
        # no user configuration, the known_hosts path taken literally.
        if not shutil.which('ssh'):
            self.skipTest('no ssh here')
        kh = '/tmp/a%d%h/conversion/known_hosts'
        host = ssh.Host('192.0.2.7', '/tmp/a%d%h/conversion/ssh.key', kh)
        argv = ssh.ssh_argv(host, 'true')
        at = argv.index('--')
        out = subprocess.run(
            argv[:at] + ['-G'] + argv[at : at + 2],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        for line in (
            'userknownhostsfile ' + kh,
            'forwardagent no',
            'controlmaster false',
            'clearallforwardings yes',
            'identityagent none',
        ):
            self.assertIn(line, out)
        self.assertFalse(
            [
                line
                for line in out
                if line.startswith('control')
                and 'path' in line
                and 'none' not in line
            ]
        )

    def test_key_paths(self):
        self.assertEqual('/d/conversion/ssh.key', ssh.key_path('/d'))
        self.assertEqual('/d/conversion/link-ssh.key', ssh.link_key_path('/d'))
        self.assertEqual(
            '/d/conversion/known_hosts', ssh.known_hosts_path('/d')
        )

    def test_run_failure_names_the_host(self):
        class Runner:
            def run(self, argv, timeout=None, input=None):
                return ssh.Completed(255, '', 'Host key verification failed.')

        host = ssh.Host('192.0.2.7', 'k', 'kh', name='conv-src')
        e = self.assertRaises(
            exceptions.MigrateError, ssh.run, Runner(), host, ['true']
        )
        self.assertEqual(
            "'true' on conv-src failed (exit code 255): Host key "
            'verification failed.',
            str(e),
        )

    def test_ssh_failure_is_unreachable_other_failures_are_not(self):
        class Runner:
            code = 255

            def run(self, argv, timeout=None, input=None):
                return ssh.Completed(self.code, '', 'refused')

        host = ssh.Host('192.0.2.7', 'k', 'kh', name='conv-src')
        runner = Runner()
        e = self.assertRaises(ssh.Unreachable, ssh.run, runner, host, 'true')
        self.assertIs(host, e.host)
        runner.code = 1
        e = self.assertRaises(
            exceptions.MigrateError, ssh.run, runner, host, 'true'
        )
        self.assertNotIsInstance(e, ssh.Unreachable)


class TestShared(base.BaseTestCase):
    """A copy's master connections: started, used, ended, cleaned."""

    class Runner(ssh.Runner):
        def __init__(self):
            self.started = []

        def start(self, argv, stdin=False):
            self.started.append(argv)
            # a stand-in for ssh -N: runs until it is ended
            return subprocess.Popen(
                ['sleep', '60'],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )

    def test_calls_go_through_the_master(self):
        runner = self.Runner()
        host = ssh.Host('192.0.2.7', '/d/ssh.key', '/d/kh')
        with ssh.Shared(runner) as shared:
            one = shared.host(host)
            two = shared.host(host._replace(address='192.0.2.8'))
            directory = os.path.dirname(one.control_path)
            self.assertEqual(0o700, stat.S_IMODE(os.stat(directory).st_mode))
            self.assertNotEqual(one.control_path, two.control_path)
            [master, _] = runner.started
            self.assertIn('ControlMaster=yes', master)
            self.assertIn('ControlPath=%s' % one.control_path, master)
            self.assertEqual(['-N', '-T', '--', '192.0.2.7'], master[-4:])
            argv = ssh.ssh_argv(one, 'true')
            # through the master while it answers, else on its own
            self.assertIn('ControlMaster=no', argv)
            self.assertIn('ControlPath=%s' % one.control_path, argv)
            procs = list(shared._masters)
        self.assertFalse(os.path.exists(directory))
        self.assertEqual([-signal.SIGTERM] * 2, [p.returncode for p in procs])

    def test_a_killed_migrators_sockets_go(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        self.useFixture(fixtures.MonkeyPatch('tempfile.tempdir', tmp))
        ended = subprocess.Popen(['true'])
        ended.wait()
        stale = os.path.join(tmp, 'osm-ssh-%d-abc' % ended.pid)
        live = os.path.join(tmp, 'osm-ssh-%d-def' % os.getpid())
        other = os.path.join(tmp, 'osm-ssh-xyz')
        for path in (stale, live, other):
            os.mkdir(path)
            open(os.path.join(path, '0'), 'w').close()
        with ssh.Shared(self.Runner()) as shared:
            one = shared.host(ssh.Host('192.0.2.7', '/d/ssh.key', '/d/kh'))
            self.assertEqual(
                sorted(
                    [
                        os.path.basename(live),
                        'osm-ssh-xyz',
                        os.path.basename(os.path.dirname(one.control_path)),
                    ]
                ),
                sorted(os.listdir(tmp)),
            )
            self.assertTrue(
                os.path.basename(os.path.dirname(one.control_path)).startswith(
                    'osm-ssh-%d-' % os.getpid()
                )
            )

    def test_fake_runners_share_nothing(self):
        host = ssh.Host('192.0.2.7', '/d/ssh.key', '/d/kh')
        with ssh.Shared(object()) as shared:
            self.assertIs(host, shared.host(host))


class TestDeathSignal(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        ssh.death_prefix.cache_clear()
        self.addCleanup(ssh.death_prefix.cache_clear)
        self.which = self.useFixture(
            fixtures.MockPatch('shutil.which', return_value='/usr/bin/setpriv')
        ).mock
        self.run = self.useFixture(fixtures.MockPatch('subprocess.run')).mock
        self.run.return_value.returncode = 0
        self.useFixture(fixtures.MockPatch('sys.platform', 'linux'))

    def test_setpriv_that_works(self):
        self.assertEqual(
            ('setpriv', '--pdeathsig', 'KILL'), ssh.death_prefix()
        )
        self.assertEqual(
            ['setpriv', '--pdeathsig', 'KILL', 'true'],
            self.run.call_args[0][0],
        )

    def test_setpriv_too_old(self):
        self.run.return_value.returncode = 1
        self.assertEqual((), ssh.death_prefix())

    def test_no_setpriv(self):
        self.which.return_value = None
        self.assertEqual((), ssh.death_prefix())
        self.run.assert_not_called()

    def test_not_linux(self):
        self.useFixture(fixtures.MockPatch('sys.platform', 'darwin'))
        self.assertEqual((), ssh.death_prefix())

    def test_runner_prefixes_its_processes(self):
        self.run.return_value.stdout = 'out'
        self.run.return_value.stderr = ''
        self.assertEqual(
            ssh.Completed(0, 'out', ''), ssh.Runner().run(['ssh', 'host'])
        )
        self.assertEqual(
            ['setpriv', '--pdeathsig', 'KILL', 'ssh', 'host'],
            self.run.call_args[0][0],
        )
        popen = self.useFixture(fixtures.MockPatch('subprocess.Popen')).mock
        ssh.Runner().start(['ssh', 'host'])
        self.assertEqual(
            ['setpriv', '--pdeathsig', 'KILL', 'ssh', 'host'],
            popen.call_args[0][0],
        )


class TestDeathSignalForReal(base.BaseTestCase):
    def test_a_process_dies_with_a_killed_migrator(self):
        if not ssh.death_prefix():
            self.skipTest('no setpriv --pdeathsig here')
        # A migrator that starts a long process from a thread, then is
        # killed.
        code = (
            'import threading, time\n'
            'from osmigrateclient.transfer import ssh\n'
            'def go():\n'
            "    p = ssh.Runner().start(['sleep', '60'])\n"
            '    print(p.pid, flush=True)\n'
            '    p.wait()\n'
            'threading.Thread(target=go).start()\n'
            'time.sleep(60)\n'
        )
        migrator = subprocess.Popen(
            [sys.executable, '-c', code], stdout=subprocess.PIPE, text=True
        )
        self.addCleanup(migrator.kill)
        pid = int(migrator.stdout.readline())
        # setpriv has set the signal once it has exec'd sleep.
        for _ in range(100):
            with open('/proc/%d/comm' % pid) as f:
                if f.read().strip() == 'sleep':
                    break
            time.sleep(0.1)
        migrator.kill()
        migrator.wait()
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
        self.fail('process %d outlived the killed migrator' % pid)


class LocalRunner:
    """ssh-keygen writes keys; ip route answers for a bridge."""

    def __init__(self):
        self.ran = []

    def run(self, argv, timeout=None, input=None):
        self.ran.append(argv)
        if argv[0] == 'ssh-keygen':
            path = argv[argv.index('-f') + 1]
            with open(path, 'w') as f:
                f.write('PRIVATE\n')
            with open(path + '.pub', 'w') as f:
                f.write('ssh-ed25519 AAAA%d os-migrate\n' % len(self.ran))
            return ssh.Completed(0, '', '')
        assert argv[:3] == ['ip', 'route', 'get'], argv
        return ssh.Completed(
            0, '%s dev br0 src 169.254.100.1 uid 0\n' % argv[-1], ''
        )


class TestLocal(base.BaseTestCase):
    def test_local_address(self):
        self.assertEqual(
            '169.254.100.1', ssh.local_address(LocalRunner(), '10.1.2.3')
        )

    def test_ensure_key_once(self):
        path = os.path.join(
            self.useFixture(fixtures.TempDir()).path, 'keys', 'k'
        )
        runner = LocalRunner()
        self.assertEqual('ssh-ed25519 AAAA1', ssh.ensure_key(runner, path))
        self.assertEqual('ssh-ed25519 AAAA1', ssh.ensure_key(runner, path))
        self.assertEqual(1, len(runner.ran))
        self.assertEqual(0o600, stat.S_IMODE(os.stat(path).st_mode))
