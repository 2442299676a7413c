#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

import io
import threading

from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient import progress as progress_mod
from osmigrateclient.transfer import blockcopy
from osmigrateclient.transfer import copy_scripts
from osmigrateclient.transfer import ssh

SRC = ssh.Host('192.0.2.1', 'k', 'kh', name='src')
DST = ssh.Host('192.0.2.2', 'k', 'kh', name='dst')
LINK = blockcopy.Link('10.0.0.1')
VOL = blockcopy.Volume('/dev/vdb', '/dev/vdc', 4096, True, 'v1')


class FakeProc:
    def __init__(self, rc=0, out='', err='', running=True, block=None):
        self.returncode = None if running else rc
        self._rc = rc
        self.stdout = io.StringIO(out)
        self.stderr = io.StringIO(err)
        self.ended = False
        self._block = block
        if block is not None:
            self.stdout = self._lines(out)

    def _lines(self, out):
        yield from io.StringIO(out)
        self._block.wait(30)

    def poll(self):
        return self.returncode

    def wait(self, timeout=None):
        self.returncode = self._rc if not self.ended else -15
        return self.returncode

    def terminate(self):
        self.ended = True
        self.returncode = -15
        if self._block is not None:
            self._block.set()

    def kill(self):
        self.terminate()


class FakeRunner:
    """Answers by what the remote command contains."""

    def __init__(
        self,
        dst_hash='abc',
        copy_rc=0,
        copy_out='50/100\n100/100\nreceived 2048\n',
        copy_err='',
        tools='xxh128sum\nsha256sum\n',
        block=None,
    ):
        self.ran, self.started = [], []
        self.dst_hash, self.copy_rc = dst_hash, copy_rc
        self.copy_out, self.copy_err = copy_out, copy_err
        self.tools = tools
        self.block = block

    def run(self, argv, timeout=None, input=None):
        self.ran.append((argv[argv.index('--') + 1], argv[-1]))
        if argv[-1].startswith('for t in'):
            return ssh.Completed(0, self.tools, '')
        return ssh.Completed(0, '', '')

    def start(self, argv):
        host, cmd = argv[argv.index('--') + 1], argv[-1]
        if 'nbdcopy' in cmd:
            proc = FakeProc(
                self.copy_rc, self.copy_out, self.copy_err, block=self.block
            )
        else:
            digest = 'abc' if host == SRC.address else self.dst_hash
            proc = FakeProc(0, digest + '  -\n', '')
        self.started.append((host, cmd, proc))
        return proc


def _copy_proc(runner):
    [proc] = [p for _, cmd, p in runner.started if 'nbdcopy' in cmd]
    return proc


def _copier(runner, **kwargs):
    return blockcopy.BlockCopy(
        SRC,
        DST,
        LINK,
        runner,
        progress_mod.Progress(stream=io.StringIO(), bar=False),
        clock=lambda: 0.0,
        pause=lambda s: None,
        **kwargs,
    )


class TestFlow(base.BaseTestCase):
    def test_copy_and_verify(self):
        runner = FakeRunner()
        seen = []
        result = _copier(runner, on_progress=lambda *a: seen.append(a)).copy(
            VOL
        )
        self.assertEqual(
            blockcopy.Result(4096, 'xxh128', 'abc', 0.0, '', 2048), result
        )
        # The source hashes while the destination host runs the copy; the
        # destination hashes once it is done.
        self.assertEqual(
            [SRC.address, DST.address, DST.address],
            [s[0] for s in runner.started],
        )
        self.assertIn('  xxh128sum < /dev/vdb', runner.started[0][1])
        copy = runner.started[1][1]
        self.assertIn('-R 127.0.0.1:"$port":127.0.0.1:"$dport"', copy)
        self.assertIn(
            'nbdcopy --progress=1 --flush --destination-is-zero', copy
        )
        self.assertIn('  xxh128sum < /dev/vdc', runner.started[2][1])
        self.assertEqual(
            [('v1', 2048, 4096), ('v1', 4096, 4096), ('v1', 4096, 4096)],
            seen,
        )
        # Nothing left to stop: only the hash tool checks ran (at once).
        self.assertEqual(
            sorted([SRC.address, DST.address]),
            sorted(host for host, _ in runner.ran),
        )

    def test_hash_source_after_the_copy(self):
        runner = FakeRunner()
        copier = _copier(runner)
        copier.hash_source_early = False
        self.assertEqual('abc', copier.copy(VOL).digest)
        self.assertEqual(
            [DST.address, SRC.address, DST.address],
            [s[0] for s in runner.started],
        )
        self.assertIn('nbdcopy', runner.started[0][1])

    def test_one_random_name_tags_every_process(self):
        runner = FakeRunner()
        _copier(runner).copy(VOL)
        names = {
            argv_tail
            for _, cmd, _ in runner.started
            for argv_tail in [cmd.split()[-1]]
        }
        self.assertEqual(1, len(names))
        [name] = names
        self.assertRegex(name, '^osm-copy-[0-9a-f]{32}$')
        self.assertIn('exportname=%s' % name[9:], runner.started[1][1])

    def test_unverified(self):
        runner = FakeRunner(tools='')
        result = _copier(runner).copy(VOL, verify=False)
        self.assertEqual(('', ''), (result.algo, result.digest))
        self.assertEqual(1, len(runner.started))
        self.assertEqual([], runner.ran)

    def test_sha256_note(self):
        result = _copier(FakeRunner(tools='sha256sum\n')).copy(VOL)
        self.assertEqual('sha256', result.algo)
        self.assertIn('slower', result.note)

    def test_no_bytes_count(self):
        runner = FakeRunner(copy_out='100/100\n')
        self.assertIsNone(_copier(runner).copy(VOL).bytes_sent)

    def test_mismatch_fails(self):
        runner = FakeRunner(dst_hash='def')
        e = self.assertRaises(
            exceptions.MigrateError, _copier(runner).copy, VOL
        )
        self.assertEqual(
            'copy of v1 does not match: xxh128sum abc on the source, def on '
            'the destination',
            str(e),
        )

    def test_failed_copy_stops_both_hosts(self):
        runner = FakeRunner(copy_rc=1, copy_err='nbdcopy: boom\n')
        e = self.assertRaises(
            exceptions.MigrateError, _copier(runner).copy, VOL
        )
        self.assertEqual(
            'copy of /dev/vdb on src to /dev/vdc on dst failed (exit code '
            '1): nbdcopy: boom',
            str(e),
        )
        # The source's hash is ended, the destination's never started.
        self.assertEqual(2, len(runner.started))
        self.assertTrue(runner.started[0][2].ended)
        stops = runner.ran[2:]
        self.assertEqual(
            [DST.address, SRC.address], [host for host, _ in stops]
        )
        self.assertTrue(all('pgrep -f' in cmd for _, cmd in stops))

    def test_no_server(self):
        runner = FakeRunner(
            copy_rc=copy_scripts.NO_SERVER,
            copy_err='no NBD server would start: nbdkit: boom\n',
        )
        e = self.assertRaises(
            exceptions.MigrateError, _copier(runner).copy, VOL
        )
        self.assertIn('(exit code 90): no NBD server would start', str(e))

    def test_timeout_stops_the_copy(self):
        block = threading.Event()
        runner = FakeRunner(copy_out='10/100\n', block=block)
        e = self.assertRaises(
            exceptions.MigrateError,
            _copier(runner, copy_timeout=0.05).copy,
            VOL,
        )
        self.assertEqual(
            'copy of v1 did not finish within 0.05 s: stopped', str(e)
        )
        self.assertTrue(_copy_proc(runner).ended)
        self.assertTrue(runner.started[0][2].ended)
        self.assertEqual(
            [DST.address, SRC.address],
            [host for host, cmd in runner.ran if 'pgrep' in cmd],
        )

    def test_interrupted_copy_stops_both_hosts(self):
        runner = FakeRunner()

        def interrupted(*args):
            raise KeyboardInterrupt

        self.assertRaises(
            KeyboardInterrupt,
            _copier(runner, on_progress=interrupted).copy,
            VOL,
        )
        self.assertTrue(_copy_proc(runner).ended)
        self.assertTrue(runner.started[0][2].ended)
        self.assertEqual(
            [DST.address, SRC.address],
            [host for host, cmd in runner.ran if 'pgrep' in cmd],
        )
