# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""The sync journal (the passes themselves:
tests/functional/migrate/test_workload_sync.py)."""

import os
import stat
import types

import fixtures
from openstack import exceptions as sdk_exceptions
from oslotest import base

from osmigrateclient import datadir
from osmigrateclient import exceptions
from osmigrateclient.workload import sync


class TestJournal(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.data_dir = self.useFixture(fixtures.TempDir()).path

    def test_never_synced(self):
        self.assertEqual({}, sync.read(self.data_dir, 's1'))

    def test_written_private_and_read_back(self):
        j = sync.Journal(self.data_dir, 's1', 'web')
        j.update('v1', dest_volume='d1', snapshot='n1', passes=1)
        j.update('v1', snapshot=None)
        path = sync.path_of(self.data_dir, 's1')
        self.assertEqual(0o600, stat.S_IMODE(os.stat(path).st_mode))
        self.assertEqual(
            {
                'name': 'web',
                'source_id': 's1',
                'volumes': {'v1': {'dest_volume': 'd1', 'passes': 1}},
            },
            sync.read(self.data_dir, 's1'),
        )
        again = sync.Journal(self.data_dir, 's1', 'web')
        self.assertEqual(
            {'dest_volume': 'd1', 'passes': 1}, again.volume('v1')
        )

    def test_bad_shape(self):
        os.makedirs(os.path.join(self.data_dir, datadir.WORKLOAD_SYNC))
        path = sync.path_of(self.data_dir, 's1')
        with open(path, 'w') as f:
            f.write('volumes: {v1: {dest_volume: [x]}}\n')
        e = self.assertRaises(
            exceptions.DataFileError, sync.read, self.data_dir, 's1'
        )
        self.assertEqual(
            '%s: volumes.v1.dest_volume: must be a string, not a list' % path,
            str(e),
        )

    def test_server_id_must_be_plain(self):
        self.assertRaises(
            exceptions.DataFileError, sync.path_of, self.data_dir, '../x'
        )


class _Block:
    def __init__(self, volumes):
        self.volumes = volumes

    def get_volume(self, volume_id):
        if volume_id not in self.volumes:
            raise sdk_exceptions.NotFoundException()
        return types.SimpleNamespace(
            id=volume_id, status=self.volumes[volume_id]
        )


class TestSyncedVolume(base.BaseTestCase):
    """Which destination volume the cutover's last pass goes into."""

    def setUp(self):
        super().setUp()
        self.data_dir = self.useFixture(fixtures.TempDir()).path

    def _synced(self, volumes, **record):
        sync.Journal(self.data_dir, 's1', 'web').update('v1', **record)
        dst = types.SimpleNamespace(block_storage=_Block(volumes))
        return sync.synced_volume(self.data_dir, 's1', 'v1', dst)

    def test_copied_and_available(self):
        self.assertEqual(
            'd1',
            self._synced({'d1': 'available'}, dest_volume='d1', copied=True),
        )

    def test_killed_final_pass(self):
        # still on the conversion host: the pass detaches it first
        self.assertEqual(
            'd1',
            self._synced(
                {'d1': 'in-use'},
                dest_volume='d1',
                copied=True,
                attached=[{'side': 'dst', 'server': 'h', 'volume': 'd1'}],
            ),
        )

    def test_not_used(self):
        for volumes, record in (
            # never synced, or the first pass did not finish
            ({'d1': 'available'}, {}),
            ({'d1': 'available'}, {'dest_volume': 'd1'}),
            # deleted by hand, or in use (imported already)
            ({}, {'dest_volume': 'd1', 'copied': True}),
            ({'d1': 'in-use'}, {'dest_volume': 'd1', 'copied': True}),
        ):
            self.assertIsNone(self._synced(volumes, **record), record)
