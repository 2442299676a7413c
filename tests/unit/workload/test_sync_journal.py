# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""The journal of a server's sync passes."""

import os
import stat

import fixtures
from oslotest import base

from osmigrateclient import datadir
from osmigrateclient import exceptions
from osmigrateclient.transfer import chunks
from osmigrateclient.workload import sync_journal


class TestJournal(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.data_dir = self.useFixture(fixtures.TempDir()).path

    def test_never_synced(self):
        self.assertEqual({}, sync_journal.read(self.data_dir, 's1'))

    def test_written_private_and_read_back(self):
        j = sync_journal.Journal(self.data_dir, 's1', 'web')
        j.update('v1', dest_volume='d1', snapshot='n1', passes=1)
        j.update('v1', snapshot=None)
        path = sync_journal.path_of(self.data_dir, 's1')
        self.assertEqual(0o600, stat.S_IMODE(os.stat(path).st_mode))
        self.assertEqual(
            {
                'name': 'web',
                'source_id': 's1',
                'volumes': {'v1': {'dest_volume': 'd1', 'passes': 1}},
            },
            sync_journal.read(self.data_dir, 's1'),
        )
        again = sync_journal.Journal(self.data_dir, 's1', 'web')
        self.assertEqual(
            {'dest_volume': 'd1', 'passes': 1}, again.volume('v1')
        )

    def test_bad_shape(self):
        os.makedirs(os.path.join(self.data_dir, datadir.WORKLOAD_SYNC))
        path = sync_journal.path_of(self.data_dir, 's1')
        with open(path, 'w') as f:
            f.write('volumes: {v1: {dest_volume: [x]}}\n')
        e = self.assertRaises(
            exceptions.DataFileError, sync_journal.read, self.data_dir, 's1'
        )
        self.assertEqual(
            '%s: volumes.v1.dest_volume: must be a string, not a list' % path,
            str(e),
        )

    def test_server_id_must_be_plain(self):
        self.assertRaises(
            exceptions.DataFileError,
            sync_journal.path_of,
            self.data_dir,
            '../x',
        )


class TestChunkList(base.BaseTestCase):
    """What a pass left in a destination volume."""

    SIZE = 3 * chunks.CHUNK  # three chunks

    def setUp(self):
        super().setUp()
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        self.journal = sync_journal.Journal(self.data_dir, 's1', 'web')
        self.hashes = chunks.Hashes('sha256', ['ab' * 16, 'z', 'cd' * 16])
        self.path = os.path.join(
            self.data_dir, datadir.WORKLOAD_SYNC, 's1.v1.chunks'
        )

    def test_kept_private_and_read_back(self):
        self.assertIsNone(self.journal.known_chunks('v1', 'd1', self.SIZE))
        self.journal.keep_chunks('v1', 'd1', self.hashes)
        self.assertEqual(0o600, stat.S_IMODE(os.stat(self.path).st_mode))
        self.assertEqual(
            self.hashes, self.journal.known_chunks('v1', 'd1', self.SIZE)
        )
        self.journal.forget_chunks('v1')
        self.journal.forget_chunks('v1')
        self.assertIsNone(self.journal.known_chunks('v1', 'd1', self.SIZE))

    def test_of_another_volume_or_size_not_used(self):
        self.journal.keep_chunks('v1', 'd1', self.hashes)
        self.assertIsNone(self.journal.known_chunks('v1', 'd2', self.SIZE))
        self.assertIsNone(self.journal.known_chunks('v1', 'd1', 2 * self.SIZE))

    def test_a_list_not_of_the_shape_is_an_error(self):
        self.journal.keep_chunks('v1', 'd1', self.hashes)
        for text, problem in (
            (
                'md5 d1\nz\nz\nz\n',
                'line 1: must be "<sha256|blake2b> <volume id>"',
            ),
            (
                'sha256\nz\nz\nz\n',
                'line 1: must be "<sha256|blake2b> <volume id>"',
            ),
            (
                'sha256 d1\nz\nAB\nz\n',
                'line 3: not a chunk hash (32 hex digits, or "z")',
            ),
        ):
            with open(self.path, 'w') as f:
                f.write(text)
            e = self.assertRaises(
                exceptions.DataFileError,
                self.journal.known_chunks,
                'v1',
                'd1',
                self.SIZE,
            )
            self.assertEqual('%s: %s' % (self.path, problem), str(e))

    def test_volume_key_must_be_plain(self):
        self.assertRaises(
            exceptions.DataFileError, self.journal.forget_chunks, '../x'
        )
