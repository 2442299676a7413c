#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

import io

from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient.transfer import blockcopy
from osmigrateclient.transfer import image_blobs
from osmigrateclient.transfer import ssh

SRC = ssh.Host('192.0.2.1', 'k', 'kh', name='src')
DST = ssh.Host('192.0.2.2', 'k', 'kh', name='dst')
VOL = blockcopy.Volume('/dev/vdb', '/dev/vdc', 4096, True, 'v1')


class FakeProc:
    def __init__(self, rc=0, out='', err='', running=True):
        self.returncode = None if running else rc
        self._rc = rc
        self.stdout = io.StringIO(out)
        self.stderr = io.StringIO(err)
        self.ended = False

    def poll(self):
        return self.returncode

    def wait(self, timeout=None):
        self.returncode = self._rc
        return self._rc

    def terminate(self):
        self.ended = True
        self.returncode = -15

    def kill(self):
        self.terminate()


class FakeRunner:
    """Answers by what the remote command contains."""

    def __init__(self, dst_hash='abc', copy_rc=0):
        self.ran, self.started = [], []
        self.dst_hash, self.copy_rc = dst_hash, copy_rc

    def run(self, argv, timeout=None, input=None):
        self.ran.append((argv[argv.index('--') + 1], argv[-1]))
        if argv[-1].startswith('for t in'):
            return ssh.Completed(0, 'xxh128sum\nsha256sum\n', '')
        return ssh.Completed(0, '4096\n', '')

    def start(self, argv):
        host, cmd = argv[argv.index('--') + 1], argv[-1]
        if 'nbdkit' in cmd:
            proc = FakeProc()
        elif 'nbdcopy' in cmd:
            proc = FakeProc(self.copy_rc, '50/100\n100/100\n', 'boom', False)
        else:
            digest = 'abc' if host == SRC.address else self.dst_hash
            proc = FakeProc(0, digest + '  -\n', '', False)
        self.started.append((host, cmd, proc))
        return proc


def _copier(runner):
    return blockcopy.BlockCopy(
        SRC,
        DST,
        blockcopy.Link('10.0.0.1'),
        runner,
        image_blobs.Progress(stream=io.StringIO(), bar=False),
        clock=lambda: 0.0,
        pause=lambda s: None,
    )


class TestCommandLines(base.BaseTestCase):
    def test_nbdkit(self):
        self.assertEqual(
            'nbdkit --readonly --exit-with-parent --foreground --ipaddr '
            '127.0.0.1 --port 50000 --exportname e1 file file=/dev/vdb',
            ' '.join(blockcopy.export_command('/dev/vdb', 50000, 'e1')),
        )

    def test_qemu_nbd(self):
        self.assertEqual(
            'qemu-nbd --read-only --persistent --shared=2 --bind 127.0.0.1 '
            '--port 50000 --export-name e1 --format raw /dev/vdb',
            ' '.join(
                blockcopy.export_command('/dev/vdb', 50000, 'e1', 'qemu-nbd')
            ),
        )

    def test_copy_script(self):
        script = blockcopy.copy_script(
            blockcopy.Link('10.0.0.1'), 50000, 'e1', VOL
        )
        self.assertIn(
            '-N -n -L "127.0.0.1:$port:127.0.0.1:50000" -- 10.0.0.1 '
            '</dev/null &',
            script,
        )
        self.assertIn('-c aes128-gcm@openssh.com', script)
        self.assertIn('StrictHostKeyChecking=yes', script)
        self.assertEqual(
            'nbdcopy --progress=1 --flush --destination-is-zero '
            '"nbd://127.0.0.1:$port/e1" /dev/vdc',
            script.splitlines()[-1],
        )
        self.assertNotIn(
            '--destination-is-zero',
            blockcopy.copy_script(
                blockcopy.Link('10.0.0.1'),
                50000,
                'e1',
                VOL._replace(dest_is_zero=False),
            ),
        )

    def test_choose_hash(self):
        self.assertEqual(
            ('b3sum', 'blake3'),
            blockcopy.choose_hash('b3sum\nsha256sum', 'xxh128sum b3sum'),
        )
        self.assertRaises(
            exceptions.MigrateError, blockcopy.choose_hash, 'b3sum', ''
        )

    def test_progress(self):
        self.assertEqual(42, blockcopy.parse_progress('42/100\n'))
        self.assertIsNone(blockcopy.parse_progress('copying'))


class TestFlow(base.BaseTestCase):
    def test_copy_and_verify(self):
        runner = FakeRunner()
        result = _copier(runner).copy(VOL)
        self.assertEqual(('xxh128', 'abc', 4096), result[1:3] + (result[0],))
        export = runner.started[0]
        self.assertEqual(SRC.address, export[0])
        self.assertTrue(export[2].ended)
        self.assertEqual(
            [DST.address, SRC.address, DST.address],
            [s[0] for s in runner.started[1:]][:1]
            + [s[0] for s in runner.started[2:]],
        )
        self.assertIn(
            'head -c 4096 /dev/vdb | xxh128sum', runner.started[2][1]
        )
        self.assertTrue(runner.ran[-1][1].startswith('pkill -f'))

    def test_mismatch_fails(self):
        e = self.assertRaises(
            exceptions.MigrateError,
            _copier(FakeRunner(dst_hash='def')).copy,
            VOL,
        )
        self.assertEqual(
            'copy of v1 does not match: xxh128sum abc on the source, def on '
            'the destination',
            str(e),
        )

    def test_failed_copy_stops_the_export(self):
        runner = FakeRunner(copy_rc=1)
        self.assertRaises(exceptions.MigrateError, _copier(runner).copy, VOL)
        self.assertTrue(runner.started[0][2].ended)
        self.assertEqual(2, len(runner.started))
