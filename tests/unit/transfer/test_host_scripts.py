#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

import os
import subprocess

import fixtures
from oslotest import base

from osmigrateclient.transfer import blockcopy
from osmigrateclient.transfer import copy_scripts
from osmigrateclient.transfer import host_scripts


class TestToolsScript(base.BaseTestCase):
    def test_tools_script_names_groups(self):
        script = host_scripts.tools_script()
        self.assertIn(
            '{ command -v nbdkit >/dev/null; } || echo nbdkit',
            script,
        )


def _sh(shell, script, env):
    return subprocess.run(
        [shell, '-c', script], env=env, capture_output=True, text=True
    )


class TestLinkKey(base.BaseTestCase):
    """The scripts run for real, on a temporary home."""

    def setUp(self):
        super().setUp()
        self.home = self.useFixture(fixtures.TempDir()).path
        self.keys = os.path.join(self.home, '.ssh', 'authorized_keys')
        bin_dir = os.path.join(self.home, 'bin')
        os.mkdir(bin_dir)
        # nbdcopy that says what it was given
        with open(os.path.join(bin_dir, 'nbdcopy'), 'w') as f:
            f.write('#!/bin/sh\necho "nbdcopy $*"\n')
        os.chmod(os.path.join(bin_dir, 'nbdcopy'), 0o755)
        self.env = {
            'HOME': self.home,
            'PATH': bin_dir + ':' + os.environ['PATH'],
        }

    def test_authorize_once_and_replace(self):
        os.mkdir(os.path.dirname(self.keys))
        with open(self.keys, 'w') as f:
            f.write('ssh-ed25519 MIGRATOR m\nssh-ed25519 LINK old\n')
        line = host_scripts.link_key_line('ssh-ed25519 LINK', '10.0.0.9')
        for _ in range(2):
            done = _sh(
                'sh',
                host_scripts.authorize_script(line, 'ssh-ed25519 LINK'),
                self.env,
            )
            self.assertEqual(0, done.returncode, done.stderr)
            with open(self.keys) as f:
                self.assertEqual(
                    'ssh-ed25519 MIGRATOR m\n' + line + '\n', f.read()
                )
        self.assertEqual(0o600, os.stat(self.keys).st_mode & 0o777)
        done = _sh(
            'sh', host_scripts.unauthorize_script('ssh-ed25519 LINK'), self.env
        )
        self.assertEqual(0, done.returncode, done.stderr)
        with open(self.keys) as f:
            self.assertEqual('ssh-ed25519 MIGRATOR m\n', f.read())

    def test_authorize_in_an_empty_home(self):
        line = host_scripts.link_key_line('ssh-ed25519 LINK', '10.0.0.9')
        done = _sh(
            'sh',
            host_scripts.authorize_script(line, 'ssh-ed25519 LINK'),
            self.env,
        )
        self.assertEqual(0, done.returncode, done.stderr)
        with open(self.keys) as f:
            self.assertEqual(line + '\n', f.read())
        done = _sh(
            'sh', host_scripts.unauthorize_script('ssh-ed25519 LINK'), self.env
        )
        self.assertEqual(0, done.returncode, done.stderr)
        with open(self.keys) as f:
            self.assertEqual('', f.read())

    def test_from_must_be_an_address(self):
        self.assertRaises(
            ValueError,
            host_scripts.link_key_line,
            'ssh-ed25519 K',
            '10.0.0.1",x="',
        )

    def _forced(self, shell, command):
        """What sshd runs for the link key: the forced command, with the
        client's command in SSH_ORIGINAL_COMMAND."""
        line = host_scripts.link_key_line('ssh-ed25519 LINK', '10.0.0.9')
        # sshd takes the option's text with \" made "
        forced = line.split('command="', 1)[1].rsplit('" ssh-ed25519', 1)[0]
        forced = forced.replace('\\"', '"')
        self.assertEqual(host_scripts.LINK_COMMAND, forced)
        return _sh(shell, forced, dict(self.env, SSH_ORIGINAL_COMMAND=command))

    def test_forced_command_runs_the_copy_only(self):
        volume = blockcopy.Volume('/dev/disk/by-id/virtio-0a1b-c', '/dev/x', 1)
        allowed = [
            'true',
            copy_scripts.shlex.join(
                copy_scripts.push_command(volume, 50123, 'ab12')
            ),
            copy_scripts.shlex.join(
                copy_scripts.push_command(
                    volume._replace(dest_is_zero=True), 50123, 'ab12'
                )
            ),
        ]
        refused = [
            'id',
            'sh -c id',
            allowed[1] + '; id',
            allowed[1] + '\nid',
            allowed[1] + ' $(id)',
            '-e ' + allowed[1],
            '-n ' + allowed[1],
            allowed[1].replace('/dev/disk', '/etc/../dev/disk') + "'",
            'nbdcopy --progress=1 --flush /dev/vdb nbd://192.0.2.1:1/ab',
            'nbdcopy --progress=1 --flush nbd://127.0.0.1:1/ab /dev/vdb',
            'nbdcopy --progress=1 --flush /dev/vdb /dev/vdc',
        ]
        for shell in ('sh', 'bash'):
            for command in allowed:
                done = self._forced(shell, command)
                self.assertEqual(0, done.returncode, (command, done.stderr))
                if command != 'true':
                    self.assertEqual(command + '\n', done.stdout)
            for command in refused:
                done = self._forced(shell, command)
                self.assertEqual(1, done.returncode, command)
                self.assertEqual('', done.stdout, command)
                self.assertIn('command refused', done.stderr)
