#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

import types

import fixtures
from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient.resources import base as resource_base
from osmigrateclient.resources import refs
from osmigrateclient.resources import volume


def _sdk_volume(**kw):
    attrs = dict(
        id='v1',
        name='data',
        description='d',
        availability_zone='nova',
        volume_type='nfs',
        volume_image_metadata={},
        metadata={'a': 'b'},
        attachments=[],
        is_bootable=False,
        size=1,
        status='available',
    )
    attrs.update(kw)
    return types.SimpleNamespace(**attrs)


class TestVolume(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.data_dir = self.useFixture(fixtures.TempDir()).path

    def _lookup(self, method=None):
        return refs.Lookup(
            None,
            data_dir=self.data_dir,
            options=types.SimpleNamespace(transfer_method=method),
        )

    def test_from_sdk(self):
        entry = volume.Volume().from_sdk(self._lookup(), _sdk_volume())
        self.assertEqual('openstack.network.ServerVolume', entry['type'])
        self.assertEqual(
            {
                'availability_zone': 'nova',
                'description': 'd',
                'metadata': {'a': 'b'},
                'name': 'data',
                'volume_image_metadata': {},
                'volume_type': 'nfs',
            },
            entry['params'],
        )
        self.assertEqual(
            {
                'attachments': [],
                'id': 'v1',
                'is_bootable': False,
                'size': 1,
                'status': 'available',
            },
            entry['_info'],
        )

    def test_not_in_export_all(self):
        self.assertFalse(volume.Volume.pre_workload)
        self.assertEqual('detached_volumes.yml', volume.Volume.file_name)

    def test_conversion_host_method_is_blocked(self):
        entry = volume.Volume().from_sdk(self._lookup(), _sdk_volume())
        plan = volume.Volume().plan(self._lookup(), entry)
        self.assertEqual(resource_base.BLOCKED, plan.action)

    def test_half_done_is_redone(self):
        volume.Journal(self.data_dir).set('v1', state='started', dest_id='x')
        entry = volume.Volume().from_sdk(self._lookup(), _sdk_volume())
        plan = volume.Volume().plan(self._lookup('image'), entry)
        self.assertEqual(
            (resource_base.CREATE, 'redo: the last copy did not finish'),
            plan[:2],
        )

    def test_journal_round_trip(self):
        volume.Journal(self.data_dir).set('v1', state='done', dest_id='d1')
        self.assertEqual(
            {'state': 'done', 'dest_id': 'd1'},
            volume.Journal(self.data_dir).get('v1'),
        )

    def test_wait_times_out(self):
        now = iter([0.0, 0.0, 5.0])
        e = self.assertRaises(
            exceptions.MigrateError,
            volume._wait,
            'volume x',
            lambda: types.SimpleNamespace(status='creating'),
            lambda v: False,
            lambda v: False,
            1,
            lambda: next(now),
            lambda s: None,
        )
        self.assertEqual('volume x: still creating after 1 s', str(e))
