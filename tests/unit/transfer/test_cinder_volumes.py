#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

import types

from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient.transfer import cinder_volumes
from tests.unit.transfer import fakes


class TestUnansweredCreate(base.BaseTestCase):
    def test_only_the_new_free_volume_of_that_name_and_size_goes(self):
        log = []
        volumes = {
            'before': fakes.sdk_volume(id='before'),
            'other-name': fakes.sdk_volume(id='other-name', name='x'),
            'other-size': fakes.sdk_volume(id='other-size', size=2),
            'attached': fakes.sdk_volume(
                id='attached', attachments=[{'server_id': 'S'}]
            ),
        }
        c = fakes.conn(volumes, log, 'dst')
        notes = []
        made = cinder_volumes.start_create(
            c, {'name': 'data', 'size': 1}, pending=notes.append
        )
        self.assertEqual(
            [
                {
                    'name': 'data',
                    'size': 1,
                    'before': ['attached', 'before', 'other-size'],
                }
            ],
            notes,
        )
        volumes['attached2'] = fakes.sdk_volume(
            id='attached2', attachments=[{'server_id': 'S'}]
        )
        # Cinder is still making it: deleted once it is not "creating".
        made.status = 'creating'
        statuses = iter(['creating', 'available'])

        def settle(seconds):
            made.status = next(statuses)

        deleted = cinder_volumes.delete_unrecorded(
            c, notes[0], 10, lambda: 0.0, settle
        )
        self.assertEqual([made.id], deleted)
        self.assertEqual(
            ['attached', 'attached2', 'before', 'other-name', 'other-size'],
            sorted(volumes),
        )
        self.assertEqual([('delete_volume', made.id)], log[1:])

    def test_nothing_noted(self):
        c = fakes.conn({'v': fakes.sdk_volume(id='v')}, [], 'dst')
        self.assertEqual([], cinder_volumes.delete_unrecorded(c, None, 10))


class TestWait(base.BaseTestCase):
    def test_ready(self):
        got = iter(['creating', 'available'])
        pauses = []
        vol = cinder_volumes.wait(
            'volume x',
            lambda: types.SimpleNamespace(status=next(got)),
            lambda v: v.status == 'available',
            lambda v: False,
            10,
            lambda: 0.0,
            pauses.append,
        )
        self.assertEqual('available', vol.status)
        self.assertEqual([cinder_volumes.POLL_FIRST], pauses)

    def test_quick_pauses_then_longer_ones(self):
        got = iter(['creating'] * 16 + ['available'])
        pauses = []
        cinder_volumes.wait(
            'volume x',
            lambda: types.SimpleNamespace(status=next(got)),
            lambda v: v.status == 'available',
            lambda v: False,
            60,
            lambda: 0.0,
            pauses.append,
        )
        self.assertEqual(
            [0.2] * 10 + [0.3, 0.45, 0.675, 1.0125, 1.51875, 2.0],
            [round(p, 5) for p in pauses],
        )

    def test_times_out(self):
        now = iter([0.0, 0.0, 5.0])
        e = self.assertRaises(
            exceptions.MigrateError,
            cinder_volumes.wait,
            'volume x',
            lambda: types.SimpleNamespace(status='creating'),
            lambda v: False,
            lambda v: False,
            1,
            lambda: next(now),
            fakes.no_pause,
        )
        self.assertEqual('volume x: still creating after 1 s', str(e))

    def test_failed(self):
        e = self.assertRaises(
            exceptions.MigrateError,
            cinder_volumes.wait,
            'volume x',
            lambda: types.SimpleNamespace(status='error'),
            lambda v: False,
            lambda v: v.status == 'error',
            1,
            lambda: 0.0,
            fakes.no_pause,
        )
        self.assertEqual('volume x: status error', str(e))


class TestVolumes(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.log = []
        self.volumes = {}
        self.conn = fakes.conn(self.volumes, self.log, 'dst')

    def test_create_records_then_waits(self):
        recorded = []
        vol = cinder_volumes.create_volume(
            self.conn,
            {'name': 'x', 'size': 1},
            10,
            recorded.append,
            lambda: 0.0,
            fakes.no_pause,
        )
        self.assertEqual('new', vol.id)
        self.assertEqual(['new'], recorded)
        self.assertEqual(
            [('create_volume', {'name': 'x', 'size': 1})], self.log
        )

    def test_create_error(self):
        self.conn.block_storage.new_status = 'error'
        recorded = []
        e = self.assertRaises(
            exceptions.MigrateError,
            cinder_volumes.create_volume,
            self.conn,
            {'size': 1},
            10,
            recorded.append,
            lambda: 0.0,
            fakes.no_pause,
        )
        self.assertEqual('volume new: status error', str(e))
        self.assertEqual(['new'], recorded)

    def test_create_times_out(self):
        self.conn.block_storage.new_status = 'creating'
        e = self.assertRaises(
            exceptions.MigrateError,
            cinder_volumes.create_volume,
            self.conn,
            {'size': 1},
            3,
            clock=fakes.Clock(),
            pause=fakes.no_pause,
        )
        self.assertEqual('volume new: still creating after 3 s', str(e))

    def test_grow(self):
        self.volumes['v9'] = fakes.sdk_volume(
            id='v9', size=1, status='available'
        )
        self.assertFalse(
            cinder_volumes.grow(
                self.conn, 'v9', 1, 10, lambda: 0.0, fakes.no_pause
            )
        )
        self.assertEqual([], self.log)
        self.assertTrue(
            cinder_volumes.grow(
                self.conn, 'v9', 3, 10, lambda: 0.0, fakes.no_pause
            )
        )
        self.assertEqual([('extend_volume', 'v9', 3)], self.log)
        self.assertEqual(3, self.volumes['v9'].size)

    def test_grow_waits_for_an_extend_under_way(self):
        self.volumes['v9'] = fakes.sdk_volume(
            id='v9', size=1, status='extending'
        )
        e = self.assertRaises(
            exceptions.MigrateError,
            cinder_volumes.grow,
            self.conn,
            'v9',
            2,
            2,
            fakes.Clock(),
            fakes.no_pause,
        )
        self.assertEqual(
            'extending volume v9 to 2 GiB: still extending after 2 s', str(e)
        )
        self.assertEqual([], self.log)

    def test_delete(self):
        self.volumes['v9'] = fakes.sdk_volume(id='v9')
        cinder_volumes.delete_volume(
            self.conn, 'v9', 10, lambda: 0.0, fakes.no_pause
        )
        self.assertEqual({}, self.volumes)
        # Missing is fine.
        cinder_volumes.delete_volume(
            self.conn, 'v9', 10, lambda: 0.0, fakes.no_pause
        )

    def test_delete_error(self):
        self.volumes['v9'] = fakes.sdk_volume(id='v9')
        self.conn.block_storage.delete_status = 'error_deleting'
        e = self.assertRaises(
            exceptions.MigrateError,
            cinder_volumes.delete_volume,
            self.conn,
            'v9',
            10,
            lambda: 0.0,
            fakes.no_pause,
        )
        self.assertEqual('deleting volume v9: status error_deleting', str(e))

    def test_delete_times_out(self):
        self.volumes['v9'] = fakes.sdk_volume(id='v9')
        self.conn.block_storage.delete_status = 'deleting'
        e = self.assertRaises(
            exceptions.MigrateError,
            cinder_volumes.delete_volume,
            self.conn,
            'v9',
            2,
            fakes.Clock(),
            fakes.no_pause,
        )
        self.assertEqual(
            'deleting volume v9: still deleting after 2 s', str(e)
        )
