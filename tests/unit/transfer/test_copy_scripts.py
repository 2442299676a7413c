#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

import shlex
import subprocess

from oslotest import base

from osmigrateclient.transfer import blockcopy
from osmigrateclient.transfer import copy_scripts

LINK = blockcopy.Link('10.0.0.1')
VOL = blockcopy.Volume('/dev/vdb', '/dev/vdc', 4096, True, 'v1')
EXPORT = 'e1'


def _words(text):
    """The words bash makes of ``text`` with port=7 and dport=8."""
    out = subprocess.run(
        ['bash', '-c', 'port=7 dport=8; printf "%%s\\0" %s' % text],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split('\0')[:-1]


def _bash(script, *args):
    """Runs a script with bash -n (syntax only)."""
    return subprocess.run(
        ['bash', '-n', '-c', script, *args], capture_output=True, text=True
    )


class TestCommandLines(base.BaseTestCase):
    def test_nbdkit_serves_one_export_on_localhost(self):
        self.assertEqual(
            'nbdkit --exit-with-parent --foreground --ipaddr 127.0.0.1 '
            '--port 50000 --filter=exportname file file=/dev/vdc '
            'exportname=e1 exportname-strict=true exportname-list=error',
            ' '.join(copy_scripts.serve_command('/dev/vdc', 50000, EXPORT)),
        )

    def test_no_server_that_lists_its_export(self):
        # qemu-nbd tells its export name to any client that asks.
        script = copy_scripts.copy_script(LINK, VOL, EXPORT)
        self.assertNotIn('qemu-nbd', script)

    def test_push_command(self):
        self.assertEqual(
            'nbdcopy --progress=1 --flush --destination-is-zero /dev/vdb '
            'nbd://127.0.0.1:50001/e1',
            ' '.join(copy_scripts.push_command(VOL, 50001, EXPORT)),
        )
        self.assertEqual(
            'nbdcopy --progress=1 --flush /dev/vdb nbd://127.0.0.1:50001/e1',
            ' '.join(
                copy_scripts.push_command(
                    VOL._replace(dest_is_zero=False), 50001, EXPORT
                )
            ),
        )

    def test_link_forwards_a_source_port_back(self):
        argv = copy_scripts.link_argv(LINK, 50001, 50000)
        text = ' '.join(argv)
        self.assertEqual(['ssh', '-F', '/dev/null'], argv[:3])
        self.assertIn('IdentityFile=/root/.ssh/osm-link.key', text)
        self.assertIn(
            'UserKnownHostsFile=/root/.ssh/osm-link.known_hosts', text
        )
        self.assertIn('StrictHostKeyChecking=yes', text)
        for option in (
            'ForwardAgent=no',
            'ControlMaster=no',
            'ControlPath=none',
            'IdentityAgent=none',
        ):
            self.assertIn('-o %s' % option, text)
        # The one forwarding it is for.
        self.assertNotIn('ClearAllForwardings=yes', text)
        self.assertIn('-o LogLevel=VERBOSE', text)
        self.assertNotIn('LogLevel=ERROR', text)
        self.assertTrue(
            text.endswith(
                '-o ExitOnForwardFailure=yes -c aes128-gcm@openssh.com '
                '-p 22 -l root -T -n -R 127.0.0.1:50001:127.0.0.1:50000 '
                '-- 10.0.0.1'
            ),
            text,
        )
        self.assertNotIn('-L', argv)

    def test_shell_words(self):
        self.assertEqual(
            '-R 127.0.0.1:"$port":127.0.0.1:"$dport" '
            "'a b'\"$port\"'c d' ''",
            copy_scripts.shell_words(
                [
                    '-R',
                    '127.0.0.1:@port@:127.0.0.1:@dport@',
                    'a b@port@c d',
                    '',
                ]
            ),
        )

    def test_copy_script(self):
        script = copy_scripts.copy_script(LINK, VOL, EXPORT, ready_timeout=2)
        lines = script.splitlines()
        self.assertEqual(0, _bash(script).returncode, _bash(script).stderr)
        self.assertIn('trap end EXIT', lines)
        self.assertIn(
            'serve() { nbdkit --exit-with-parent --foreground --ipaddr '
            '127.0.0.1 --port "$dport" --filter=exportname file '
            'file=/dev/vdc exportname=e1 exportname-strict=true '
            'exportname-list=error & }',
            lines,
        )
        self.assertIn('  dport=$((49152 + RANDOM % 16384))', lines)
        self.assertIn('  for i in $(seq 20); do', lines)
        self.assertIn(
            '    timeout 10 nbdinfo --size nbd://127.0.0.1:"$dport"/e1 '
            '>/dev/null 2>&1 && break 2',
            lines,
        )
        [push] = [line for line in lines if 'nbdcopy' in line]
        self.assertTrue(
            push.endswith(
                '-T -n -R 127.0.0.1:"$port":127.0.0.1:"$dport" -- 10.0.0.1 '
                "'nbdcopy --progress=1 --flush --destination-is-zero "
                "/dev/vdb nbd://127.0.0.1:'\"$port\"/e1 2>\"$tmp/link\" &"
            ),
            push,
        )
        self.assertIn(
            '  [ "$rc" = 255 ] && grep -q "remote port forwarding failed" '
            '"$tmp/link" || break',
            lines,
        )
        self.assertEqual('exit "$rc"', lines[-1])

    def test_copy_script_quotes_devices(self):
        volume = VOL._replace(
            source_device='/dev/my disk', dest_device="/dev/it's"
        )
        script = copy_scripts.copy_script(LINK, volume, EXPORT)
        self.assertEqual(0, _bash(script).returncode)
        # What bash makes of the words, with port=7 and dport=8.
        [serve] = [
            line for line in script.splitlines() if 'serve() { nbdkit' in line
        ]
        serve = serve.split('{', 1)[1].rsplit('&', 1)[0]
        self.assertEqual(
            copy_scripts.serve_command("/dev/it's", 8, EXPORT),
            _words(serve),
        )
        [push] = [line for line in script.splitlines() if 'nbdcopy' in line]
        push = push.split(' 2>')[0]
        argv = _words(push)
        self.assertEqual(copy_scripts.link_argv(LINK, 7, 8), argv[:-1])
        self.assertEqual(
            copy_scripts.push_command(volume, 7, EXPORT), shlex.split(argv[-1])
        )

    def test_tagged_and_stop(self):
        self.assertEqual(
            ['bash', '-c', 'true', 'osm-copy-e1'],
            copy_scripts.tagged('true', EXPORT),
        )
        script = copy_scripts.stop_script('abc123')
        self.assertIn("pids=$(pgrep -f -- '[a]bc123' | paste -sd, -)", script)
        self.assertIn('pkill -P "$pids"', script)
        self.assertNotIn('abc123', script)
        self.assertEqual(0, _bash(script).returncode)

    def test_progress(self):
        self.assertEqual(42, copy_scripts.parse_progress('42/100\n'))
        self.assertIsNone(copy_scripts.parse_progress('copying'))
        self.assertEqual(123, copy_scripts.parse_received('received 123\n'))
        self.assertIsNone(copy_scripts.parse_received('received many'))
        self.assertIsNone(copy_scripts.parse_received('42/100'))
