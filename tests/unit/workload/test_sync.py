# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""A sync pass, the root disk's, and the synced volume a cutover fills
(the passes on real clouds: tests/functional/migrate/test_workload_sync.py)."""

import types

import fixtures
from openstack import exceptions as sdk_exceptions
from oslotest import base

from osmigrateclient.workload import sync
from osmigrateclient.workload import sync_journal
from tests.unit.transfer import fakes as transfer_fakes
from tests.unit.workload import fakes as workload_fakes
from tests.unit.workload import importing
from tests.unit.workload.steps import test_boot_disk

#: the destination root volume's create attributes (boot_disk_copy)
ROOT = {'name': 'app-vm', 'volume_type': 'ssd'}


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
        sync_journal.Journal(self.data_dir, 's1', 'web').update('v1', **record)
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


class TestRootAttrs(base.BaseTestCase):
    def test_boot_disk_copy(self):
        self.assertEqual(
            {'name': 'app-vm', 'volume_type': 'ssd'},
            sync.root_attrs(
                {
                    'params': {'name': 'app-vm'},
                    '_info': {'id': 'vm1'},
                    '_migration_params': {
                        'boot_disk_copy': True,
                        'boot_volume_params': {
                            'volume_type': 'ssd',
                            'description': None,
                        },
                    },
                }
            ),
        )

    def test_not_copied(self):
        for migration in (
            {},
            {'boot_disk_copy': False},
            {'boot_disk_copy': True, 'data_copy': False},
        ):
            self.assertIsNone(
                sync.root_attrs(
                    {
                        'params': {'name': 'app-vm'},
                        '_migration_params': migration,
                    }
                ),
                migration,
            )


class TestRootDiskPass(base.BaseTestCase):
    """A sync pass of an image-booted server with boot_disk_copy: its root
    disk through a server snapshot image, journalled under its id."""

    def setUp(self):
        super().setUp()
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        transfer_fakes.save_hosts(self.data_dir)
        self.src, self.dst = workload_fakes.Cloud(), workload_fakes.Cloud()
        self.server = self.src.add(
            'server',
            id='vm1',
            name='app-vm',
            image={'id': 'img1'},
            attached_volumes=[],
        )
        self.full = workload_fakes.Copier()
        self.delta = test_boot_disk.DeltaCopier()

    def run_pass(self, root=ROOT):
        server_sync = sync.ServerSync(
            self.data_dir, self.src, self.dst, self.server, root=root
        )
        server_sync.full, server_sync.delta = self.full, self.delta
        return server_sync.run()

    def assertNothingLeftInTheSource(self):
        self.assertEqual([], self.src.store.get('volume', []))
        self.assertEqual([], self.src.store.get('image', []))

    def test_first_pass_full_second_changed_chunks(self):
        outcome = self.run_pass()
        (dest,) = self.dst.store['volume']
        self.assertEqual(
            sync.SyncOutcome(
                'app-vm',
                'vm1',
                sync.SYNCED,
                'root disk: pass 1 (full copy), %d bytes sent'
                % (3 * workload_fakes.GiB // 2),
            ),
            outcome,
        )
        self.assertEqual(
            [(('vm1', 'os-migrate-sync-vm1'), {})],
            self.src.calls_to('compute.create_server_image'),
        )
        (image_id,) = [
            a[0] for a, _ in self.src.calls_to('image.delete_image')
        ]
        # 2.5 GiB of image: 3 GiB volumes, as the cold import makes them.
        self.assertEqual(
            [{'image_id': image_id, 'size': 3, 'name': 'os-migrate-sync-vm1'}],
            self.kwargs(self.src, 'block_storage.create_volume'),
        )
        self.assertEqual(
            [{'name': 'app-vm', 'volume_type': 'ssd', 'size': 3}],
            self.kwargs(self.dst, 'block_storage.create_volume'),
        )
        ((temp_id, _, _, _, _),) = self.full.copies
        self.assertEqual(
            [
                (
                    temp_id,
                    dest.id,
                    3 * workload_fakes.GiB,
                    'app-vm app-vm',
                    True,
                )
            ],
            self.full.copies,
        )
        self.assertEqual([], self.delta.copies)
        self.assertNothingLeftInTheSource()
        root = sync_journal.read(self.data_dir, 'vm1')['volumes']['vm1']
        self.assertEqual(
            {
                'dest_volume': dest.id,
                'size': 3,
                'copied': True,
                'passes': 1,
                'bytes_sent': 3 * workload_fakes.GiB // 2,
            },
            {k: v for k, v in root.items() if k != 'last'},
        )
        self.assertEqual(
            {
                'seconds': 2.5,
                'bytes_sent': 3 * workload_fakes.GiB // 2,
                'digest': 'd-%s' % temp_id,
                'full': True,
            },
            {k: v for k, v in root['last'].items() if k != 'at'},
        )
        self.assertEqual(
            dest.id, sync.synced_volume(self.data_dir, 'vm1', 'vm1', self.dst)
        )

        outcome = self.run_pass()
        self.assertEqual(
            'root disk: pass 2 (changed chunks), %d bytes sent' % (128 * 1024),
            outcome.detail,
        )
        ((temp2, _, _, _, _),) = self.delta.copies
        self.assertNotEqual(temp_id, temp2)
        self.assertEqual(
            [(temp2, dest.id, 3 * workload_fakes.GiB, 'app-vm app-vm', False)],
            self.delta.copies,
        )
        self.assertEqual(1, len(self.full.copies))
        # The same destination volume: none made again.
        self.assertEqual(
            1, len(self.dst.calls_to('block_storage.create_volume'))
        )
        self.assertEqual(
            2, len(self.src.calls_to('compute.create_server_image'))
        )
        self.assertNothingLeftInTheSource()
        root = sync_journal.read(self.data_dir, 'vm1')['volumes']['vm1']
        self.assertEqual(
            (2, 3 * workload_fakes.GiB // 2 + 128 * 1024, False, 2),
            (
                root['passes'],
                root['bytes_sent'],
                root['last']['full'],
                root['last']['chunks_changed'],
            ),
        )

    def test_a_pass_leaves_its_chunk_list_for_the_next(self):
        size = 3 * workload_fakes.GiB
        journal = sync_journal.Journal(self.data_dir, 'vm1', 'app-vm')
        self.run_pass()
        (dest,) = self.dst.store['volume']
        # a full copy hashes no chunks: none kept
        self.assertIsNone(journal.known_chunks('vm1', dest.id, size))
        self.run_pass()
        ((temp2, _, _, _, _),) = self.delta.copies
        kept = journal.known_chunks('vm1', dest.id, size)
        self.assertEqual(test_boot_disk.chunk_list(temp2, size), kept)
        self.run_pass()
        self.assertEqual([None, kept], self.delta.known)
        # a killed pass may have written the volume: nothing known after it
        self.delta.fail = importing.Killed()
        self.assertRaises(importing.Killed, self.run_pass)
        self.assertIsNone(journal.known_chunks('vm1', dest.id, size))

    def test_killed_pass_cleaned_by_the_next(self):
        self.run_pass()
        (dest,) = self.dst.store['volume']
        self.delta.fail = importing.Killed()
        self.assertRaises(importing.Killed, self.run_pass)
        ((killed_temp, _, _, _, _),) = self.delta.copies
        root = sync_journal.read(self.data_dir, 'vm1')['volumes']['vm1']
        (killed_image,) = [i.id for i in self.src.store['image']]
        self.assertEqual(
            (
                killed_image,
                killed_temp,
                workload_fakes.attachments(killed_temp, dest.id),
            ),
            (root['image'], root['temp_volume'], root['attached']),
        )
        self.assertEqual(
            [killed_temp], [v.id for v in self.src.store['volume']]
        )
        self.delta.fail = None
        outcome = self.run_pass()
        self.assertEqual(sync.SYNCED, outcome.action)
        # Detached, deleted, then the pass done again.
        self.assertEqual(
            [workload_fakes.attachments(killed_temp, dest.id)],
            self.full.detached,
        )
        self.assertIn(
            ((killed_temp,), {'ignore_missing': True}),
            self.src.calls_to('block_storage.delete_volume'),
        )
        self.assertIn(
            ((killed_image,), {'ignore_missing': True}),
            self.src.calls_to('image.delete_image'),
        )
        self.assertEqual(2, len(self.delta.copies))
        self.assertNothingLeftInTheSource()
        root = sync_journal.read(self.data_dir, 'vm1')['volumes']['vm1']
        self.assertEqual(2, root['passes'])
        self.assertNotIn('image', root)
        self.assertNotIn('temp_volume', root)

    def test_unanswered_image_create_found_by_name(self):
        made = self.src._api_create_server_image

        def create_server_image(server, name, metadata=None):
            made(server, name)
            raise importing.Killed()

        self.src._api_compute_create_server_image = create_server_image
        self.assertRaises(importing.Killed, self.run_pass)
        (orphan,) = self.src.store['image']
        self.assertEqual('os-migrate-sync-vm1', orphan.name)
        del self.src._api_compute_create_server_image
        self.assertEqual(sync.SYNCED, self.run_pass().action)
        self.assertEqual(
            orphan.id, self.src.calls_to('image.delete_image')[0][0][0]
        )
        self.assertNothingLeftInTheSource()

    def test_failed_pass_deletes_its_temporaries(self):
        self.full.fail = RuntimeError('copy failed')
        outcome = self.run_pass()
        self.assertEqual(
            ('failed', 'copy failed'), (outcome.action, outcome.detail)
        )
        self.assertNothingLeftInTheSource()
        self.assertEqual(1, len(self.full.detached))
        self.assertEqual(
            {},
            {
                k: v
                for k, v in sync_journal.read(self.data_dir, 'vm1')['volumes'][
                    'vm1'
                ].items()
                if k in ('image', 'temp_volume', 'attached')
            },
        )

    def test_without_boot_disk_copy(self):
        outcome = self.run_pass(root=None)
        self.assertEqual(
            'root disk not synced (image-booted without boot_disk_copy: '
            'the new server boots from the image)',
            outcome.detail,
        )
        self.assertEqual([], self.src.write_calls())
        self.assertEqual([], self.full.copies)

    def kwargs(self, cloud, call):
        return [k for _, k in cloud.calls_to(call)]
