# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""The chunks' pure parts; their scripts run for real here on files (the
copy itself: tests/functional/migrate/test_delta_copy.py)."""

import hashlib
import os
import shlex
import subprocess

import fixtures
from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient.transfer import chunks
from osmigrateclient.transfer import host_scripts


class TestRuns(base.BaseTestCase):
    def test_runs_of(self):
        self.assertEqual([], chunks.runs_of([]))
        self.assertEqual(
            [(0, 2), (5, 1), (7, 3)], chunks.runs_of([9, 0, 1, 5, 7, 8])
        )

    def test_capped_fills_the_smallest_gaps(self):
        runs = [(0, 1), (10, 1), (12, 1), (30, 2)]
        self.assertEqual(runs, chunks.capped(runs, 4))
        self.assertEqual([(0, 1), (10, 3), (30, 2)], chunks.capped(runs, 3))
        self.assertEqual([(0, 13), (30, 2)], chunks.capped(runs, 2))
        self.assertEqual([(0, 32)], chunks.capped(runs, 1))

    def test_compare(self):
        send, zero = chunks.compare(['a', 'z', 'b', 'z'], ['a', 'c', 'c', 'z'])
        self.assertEqual(([2], [1]), (send, zero))

    def test_compare_lengths_differ(self):
        e = self.assertRaises(
            exceptions.MigrateError, chunks.compare, ['a'], ['a', 'b']
        )
        self.assertEqual(
            'chunk lists differ in length: 1 on the source, 2 on the '
            'destination',
            str(e),
        )

    def test_chunk_size_grows_with_large_devices_only(self):
        GiB = 1024**3
        for size, chunk in (
            (GiB, 256 * 1024),
            (256 * GiB, 256 * 1024),
            (256 * GiB + 1, 512 * 1024),
            (1024 * GiB, 1024 * 1024),
            (1024 * GiB + 1, 2 * 1024 * 1024),
        ):
            self.assertEqual(chunk, chunks.chunk_size(size), size)
        self.assertEqual(4096, chunks.chunk_count(GiB))
        self.assertEqual(2**20, chunks.chunk_count(1024 * GiB))
        self.assertEqual(3, chunks.chunk_count(2049, 1024))

    def test_extents_end_at_the_size(self):
        self.assertEqual(
            '0 2048\n4096 1000\n',
            chunks.extents([(0, 2), (4, 1)], 5096, chunk=1024),
        )


class TestHashScript(base.BaseTestCase):
    """The hash script run by bash on a file."""

    def setUp(self):
        super().setUp()
        self.path = os.path.join(
            self.useFixture(fixtures.TempDir()).path, 'disk'
        )
        self.data = os.urandom(1024) + bytes(1024) + os.urandom(500)
        with open(self.path, 'wb') as f:
            f.write(self.data)

    #: the hash the tests ask for (each test runs with both: subclass)
    algo = 'blake2b'

    def _run(self, runs=(), algo=None):
        script = chunks.hash_script(
            self.path, len(self.data), runs, 1024, algo or self.algo
        )
        done = subprocess.run(
            ['bash', '-c', script], capture_output=True, text=True
        )
        self.assertEqual(0, done.returncode, done.stderr)
        lines = done.stdout.split()
        self.assertEqual(algo or self.algo, lines[0])
        return lines[1:]

    def _blake(self, data):
        if self.algo == 'sha256':
            return hashlib.sha256(data).hexdigest()[:32]
        return hashlib.blake2b(data, digest_size=16).hexdigest()

    def test_every_chunk(self):
        self.assertEqual(
            [
                self._blake(self.data[:1024]),
                chunks.ZERO,
                self._blake(self.data[2048:]),
            ],
            self._run(),
        )

    def test_runs_only(self):
        self.assertEqual(
            [chunks.ZERO, self._blake(self.data[2048:])], self._run([(1, 2)])
        )

    def test_many_blocks_in_order_and_a_zero_tail(self):
        # more chunks than a thread's block, a short all-zero last chunk
        self.data = b''.join(
            os.urandom(1024) if i % 3 else bytes(1024) for i in range(200)
        ) + bytes(100)
        with open(self.path, 'wb') as f:
            f.write(self.data)
        self.assertEqual(
            [
                chunks.ZERO if not any(c) else self._blake(c)
                for c in (
                    self.data[k : k + 1024]
                    for k in range(0, len(self.data), 1024)
                )
            ],
            self._run(),
        )

    def _pieces(self, data):
        """What the hosts print for the pieces (256 bytes) of a chunk."""
        return [
            chunks.ZERO if not any(p) else self._blake(p)
            for p in (data[k : k + 256] for k in range(0, len(data), 256))
        ]

    def test_compared_with_a_known_list(self):
        # the data of chunk 0 differs, chunk 1 is zero (known: data), the
        # short last one is known: its pieces are not hashed
        self.data = os.urandom(1024) + bytes(1024) + os.urandom(300)
        with open(self.path, 'wb') as f:
            f.write(self.data)
        known = ['other', 'was-data', self._blake(self.data[2048:])]
        script = chunks.hash_script(
            self.path, len(self.data), chunk=1024, algo=self.algo, piece=256
        )
        done = subprocess.run(
            ['bash', '-c', script],
            input='\n'.join(known) + '\n',
            capture_output=True,
            text=True,
        )
        self.assertEqual(0, done.returncode, done.stderr)
        self.assertEqual(
            [
                self.algo,
                ' '.join(
                    [self._blake(self.data[:1024])]
                    + self._pieces(self.data[:1024])
                ),
                chunks.ZERO,
                known[2],
            ],
            done.stdout.splitlines(),
        )

    def test_a_known_list_of_another_length_is_refused(self):
        script = chunks.hash_script(
            self.path, len(self.data), chunk=1024, algo=self.algo, piece=256
        )
        done = subprocess.run(
            ['bash', '-c', script],
            input='a\nb\n',
            capture_output=True,
            text=True,
        )
        self.assertEqual(1, done.returncode)
        self.assertEqual(
            '2 hashes to compare with, 3 chunks', done.stderr.strip()
        )

    def test_pieces_of_the_chunks_given(self):
        # a piece of zeros inside chunk 0, the short last chunk's pieces
        self.data = (
            os.urandom(256) + bytes(256) + os.urandom(512) + os.urandom(300)
        )
        with open(self.path, 'wb') as f:
            f.write(self.data)
        script = chunks.pieces_script(
            self.path, len(self.data), 1024, 256, self.algo
        )
        done = subprocess.run(
            ['bash', '-c', script],
            input='1\n0\n',
            capture_output=True,
            text=True,
        )
        self.assertEqual(0, done.returncode, done.stderr)
        lines = done.stdout.splitlines()
        self.assertEqual(self.algo, lines[0])
        self.assertEqual(
            {
                0: self._pieces(self.data[:1024]),
                1: self._pieces(self.data[1024:]),
            },
            dict(chunks.parse_pieces(line, 2, 4) for line in lines[1:]),
        )
        self.assertEqual(chunks.ZERO, self._pieces(self.data[:1024])[1])
        self.assertEqual(2, len(self._pieces(self.data[1024:])))

    def test_a_chunk_out_of_the_device_is_refused(self):
        script = chunks.pieces_script(
            self.path, len(self.data), 1024, 256, self.algo
        )
        done = subprocess.run(
            ['bash', '-c', script],
            input='3\n',
            capture_output=True,
            text=True,
        )
        self.assertEqual(1, done.returncode)
        self.assertEqual('no chunk 3', done.stderr.strip())


class TestHashScriptSha256(TestHashScript):
    algo = 'sha256'

    def test_the_host_chooses_by_its_cpu(self):
        with open('/proc/cpuinfo') as f:
            flags = set(f.read().split())
        script = chunks.hash_script(self.path, len(self.data), (), 1024)
        done = subprocess.run(
            ['bash', '-c', script], capture_output=True, text=True
        )
        self.assertEqual(
            'sha256' if flags & {'sha_ni', 'sha2'} else 'blake2b',
            done.stdout.split()[0],
        )


class TestParseHashes(base.BaseTestCase):
    def test_the_lines_of_a_host(self):
        self.assertEqual(
            chunks.Hashes('sha256', ['ab', 'z']),
            chunks.parse_hashes('sha256\nab\nz\n', 2),
        )

    def test_a_short_or_strange_answer_is_an_error(self):
        for output in ('sha256\nab\n', 'md5\nab\nz\n', ''):
            e = self.assertRaises(
                exceptions.MigrateError, chunks.parse_hashes, output, 2
            )
            self.assertEqual(
                'the hashes of 2 chunks were expected, the host printed: '
                + output,
                str(e),
            )


class TestParsePieces(base.BaseTestCase):
    def test_a_line_of_a_host(self):
        self.assertEqual(
            (3, ['ab', 'z']), chunks.parse_pieces('3 ab z\n', 4, 16)
        )

    def test_a_strange_line_is_an_error(self):
        for line in ('4 ab', 'x ab', '-1 ab', '2', '', '1 ' + 'a ' * 17):
            e = self.assertRaises(
                exceptions.MigrateError, chunks.parse_pieces, line, 4, 16
            )
            self.assertEqual(
                'the hashes of the pieces of a chunk were expected, the '
                'host printed: ' + line,
                str(e),
            )


class TestScripts(base.BaseTestCase):
    def test_zero_script(self):
        self.assertEqual(
            'set -e\n'
            "blkdiscard --zeroout -o 0 -l 2048 '/dev/x y'\n"
            "blkdiscard --zeroout -o 4096 -l 1000 '/dev/x y'",
            chunks.zero_script('/dev/x y', [(0, 2), (4, 1)], 5096, 1024),
        )

    def test_serve_script_is_read_only_and_strict(self):
        script = chunks.serve_script('/dev/vdb', [(0, 1)], 4096, 'ab12', 4096)
        self.assertIn(
            'timeout 86400 nbdkit -r --exit-with-parent --foreground '
            '--ipaddr 127.0.0.1 --port "$port" --filter=exportname '
            '--filter=extentlist file file=/dev/vdb exportname=ab12 '
            'exportname-strict=true exportname-list=error '
            '"extentlist=$tmp/extents"',
            script,
        )
        self.assertIn('<<"OSM_EXTENTS"\n0 4096\nOSM_EXTENTS\n', script)


class TestForcedCommand(base.BaseTestCase):
    """The link key's forced command also runs a pass's nbdcopy, in its
    one form only (run by sh and bash, nbdcopy saying what it got)."""

    def setUp(self):
        super().setUp()
        home = self.useFixture(fixtures.TempDir()).path
        with open(os.path.join(home, 'nbdcopy'), 'w') as f:
            f.write('#!/bin/sh\necho "nbdcopy $*"\n')
        os.chmod(os.path.join(home, 'nbdcopy'), 0o755)
        self.env = {'HOME': home, 'PATH': home + ':' + os.environ['PATH']}

    def _forced(self, shell, command):
        return subprocess.run(
            [shell, '-c', host_scripts.LINK_COMMAND],
            env=dict(self.env, SSH_ORIGINAL_COMMAND=command),
            capture_output=True,
            text=True,
        )

    def test_forced_command_runs_the_copy_only(self):
        push = shlex.join(chunks.delta_push(50123, 'ab12')).replace(
            '@port@', '50200'
        )
        for shell in ('sh', 'bash'):
            done = self._forced(shell, push)
            self.assertEqual(0, done.returncode, done.stderr)
            self.assertEqual(push + '\n', done.stdout)
            for command in (
                push.replace(' --sparse=0', ''),
                push.replace('127.0.0.1:50123', '192.0.2.1:50123'),
                push.replace('nbd://127.0.0.1:50123/ab12', '/dev/vdb'),
                push + ' /dev/vdc',
                push.replace('--sparse=0', '--sparse=0 --flush'),
            ):
                done = self._forced(shell, command)
                self.assertEqual(1, done.returncode, command)
                self.assertIn('command refused', done.stderr)
