# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""The estimate of a wave: bytes per server, measured throughput, time."""

import fixtures
from oslotest import base

from osmigrateclient.resources import refs
from osmigrateclient.transfer import conversion_host
from osmigrateclient.workload import estimate
from osmigrateclient.workload import journal
from tests.unit import fakes

GiB = estimate.GiB


def _entry(volumes=(), boot_disk_copy=False, data_copy=True, flavor='f1'):
    return {
        'params': {
            'name': 'web',
            'flavor_ref': {'name': flavor},
            'volumes': [
                {'params': {'size': size, 'bootable': bootable}}
                for size, bootable in volumes
            ],
        },
        '_info': {'id': 'sid', 'flavor_id': None},
        '_migration_params': {
            'boot_disk_copy': boot_disk_copy,
            'data_copy': data_copy,
        },
    }


class TestFlavorDisks(base.BaseTestCase):
    def test_by_id_and_by_name(self):
        conn = fakes.FakeConnection()
        conn.add('flavor', id='f1', name='small', disk=10)
        conn.add('flavor', id='f2', name='big', disk=80)
        self.assertEqual(
            {'f1': 10, 'small': 10, 'f2': 80, 'big': 80},
            estimate.flavor_disks(refs.Lookup(conn)),
        )


class TestCopiedSize(base.BaseTestCase):
    def test_data_volumes(self):
        self.assertEqual(
            [2 * GiB, 5 * GiB],
            estimate.copied_size(_entry([(2, False), (5, False)]), {}),
        )

    def test_image_booted_with_boot_disk_copy_adds_the_flavor_disk(self):
        self.assertEqual(
            [1 * GiB, 20 * GiB],
            estimate.copied_size(
                _entry([(1, False)], boot_disk_copy=True), {'f1': 20}
            ),
        )

    def test_boot_volume_is_not_counted_twice(self):
        self.assertEqual(
            [3 * GiB],
            estimate.copied_size(
                _entry([(3, True)], boot_disk_copy=True), {'f1': 20}
            ),
        )

    def test_no_data_copy_copies_nothing(self):
        self.assertEqual(
            [], estimate.copied_size(_entry([(3, False)], data_copy=False), {})
        )


class TestMeasured(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.data_dir = self.useFixture(fixtures.TempDir()).path

    def test_nothing_imported(self):
        self.assertIsNone(estimate.measured(self.data_dir))

    def test_finished_copies_only(self):
        j = journal.Journal(self.data_dir, 'a', 'a')
        j.update_step(
            'volume:1',
            state=journal.DONE,
            copy={'bytes': 4 * GiB, 'seconds': 10.0},
        )
        j.update_step(
            'volume:2',
            state=journal.DONE,
            copy={'bytes': 2 * GiB, 'seconds': 10.0},
        )
        j.update_step(
            'volume:3',
            state=journal.RUNNING,
            copy={'bytes': 100 * GiB, 'seconds': 1.0},
        )
        journal.Journal(self.data_dir, 'b', 'b').update_step(
            'ports', state=journal.DONE
        )
        self.assertEqual(
            estimate.Measured(6 * GiB / 20.0, 2),
            estimate.measured(self.data_dir),
        )


class TestCopiesAtOnce(base.BaseTestCase):
    def test_the_pool_caps_the_servers_at_once(self):
        data_dir = self.useFixture(fixtures.TempDir()).path
        # no pool yet: the servers at once
        self.assertEqual((8, 0), estimate.copies_at_once(data_dir, 8, 2))
        conversion_host.save_hosts(
            data_dir,
            {
                k: {'name': k, 'server_id': k}
                for k in ('src', 'dst', 'src-2', 'dst-2', 'src-3')
            },
        )
        # two whole pairs of two copies each
        self.assertEqual((4, 2), estimate.copies_at_once(data_dir, 8, 2))
        self.assertEqual((3, 2), estimate.copies_at_once(data_dir, 3, 2))
        self.assertEqual((6, 2), estimate.copies_at_once(data_dir, 8, 3))


class TestWave(base.BaseTestCase):
    def servers(self, *sizes):
        return [
            estimate.ServerEstimate(str(i), str(i), 1, s * GiB, None)
            for i, s in enumerate(sizes)
        ]

    def test_unknown_rate(self):
        self.assertIsNone(estimate.wave_seconds(self.servers(1), None, 2))

    def test_parallel_shares_the_bytes(self):
        self.assertEqual(
            40.0, estimate.wave_seconds(self.servers(2, 2, 2, 2), GiB / 10, 2)
        )

    def test_never_less_than_the_longest_server(self):
        self.assertEqual(
            100.0, estimate.wave_seconds(self.servers(10, 1), GiB / 10, 4)
        )

    def test_server(self):
        est = estimate.server(_entry([(4, False)]), {}, GiB / 2)
        self.assertEqual(('web', 'sid', 1, 4 * GiB, 8.0), tuple(est))
