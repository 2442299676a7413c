#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

"""The boot disk step: a boot volume or an image-booted disk, copied;
a synced boot volume's last pass at the cutover."""

import hashlib

from osmigrateclient.transfer import chunks
from osmigrateclient.transfer import delta
from osmigrateclient.workload import sync_journal
from tests.unit.transfer import fakes as transfer_fakes
from tests.unit.workload import fakes
from tests.unit.workload import importing


class TestBootDisk(importing.ImportTestCase):
    def test_boot_from_volume(self):
        self.src.add(
            'volume',
            id='vol-root',
            size=2,
            status='in-use',
            attachments=[{'server_id': 'vm1', 'device': '/dev/vda'}],
        )
        outcome = self.run_import(
            fakes.resolved(
                image_id=None,
                boot_volume=importing.ROOT_VOLUME,
                data_volumes=[],
                floating_ips=[],
                server_group=None,
            )
        )
        self.assertEqual('created', outcome.action)
        (dest,) = self.dst.store['volume']
        self.assertEqual(
            [
                'block_storage.create_snapshot',
                'block_storage.create_volume',
                'block_storage.delete_volume',
                'block_storage.delete_snapshot',
            ],
            self.src.write_calls(),
        )
        (snap_kwargs,) = self.kwargs(self.src, 'block_storage.create_snapshot')
        self.assertEqual(
            {
                'volume_id': 'vol-root',
                'force': True,
                'name': 'os-migrate-vol-root',
                'description': 'os-migrate: temporary copy of a boot volume',
            },
            snap_kwargs,
        )
        (temp_kwargs,) = self.kwargs(self.src, 'block_storage.create_volume')
        snapshot_id = temp_kwargs['snapshot_id']
        self.assertEqual(
            {'snapshot_id': snapshot_id, 'size': 2, 'name': 'os-migrate-vm1'},
            temp_kwargs,
        )
        (temp_id,) = [
            a[0] for a, _ in self.src.calls_to('block_storage.delete_volume')
        ]
        self.assertEqual(
            [(temp_id, dest.id, 2 * fakes.GiB, 'app-vm root', True)],
            self.copier.copies,
        )
        self.assertEqual(
            [(snapshot_id,)],
            [a for a, _ in self.src.calls_to('block_storage.delete_snapshot')],
        )
        # Only the temporary copy is gone.
        self.assertEqual(
            ['vol-root', 'vol1'],
            sorted(v.id for v in self.src.store['volume']),
        )
        self.assertEqual([], self.src.store['snapshot'])
        self.assertEqual(
            [{'name': 'root', 'volume_type': 'nfs', 'size': 2}],
            self.kwargs(self.dst, 'block_storage.create_volume'),
        )
        self.assertTrue(dest.is_bootable)
        self.assertEqual({'image_name': 'cirros'}, dest.volume_image_metadata)
        (server_kwargs,) = self.kwargs(self.dst, 'compute.create_server')
        self.assertNotIn('image_id', server_kwargs)
        self.assertEqual(
            [importing.volume_bdm(dest.id, 0)],
            server_kwargs['block_device_mapping'],
        )
        step = self.journal()['steps']['boot_disk']
        self.assertEqual(
            (None, None, dest.id, dest.id),
            (
                step['snapshot'],
                step['temp_volume'],
                step['dest_volume'],
                step['result'],
            ),
        )

    def test_boot_disk_copy_of_an_image_booted_server(self):
        outcome = self.run_import(
            fakes.resolved(
                image_id=None,
                copy_image_disk=True,
                boot_volume_attrs={'volume_type': 'ssd'},
                data_volumes=[],
                floating_ips=[],
                server_group=None,
            )
        )
        self.assertEqual('created', outcome.action)
        (dest,) = self.dst.store['volume']
        self.assertEqual(
            [(('vm1', 'os-migrate-app-vm'), {})],
            self.src.calls_to('compute.create_server_image'),
        )
        (image_id,) = [
            a[0] for a, _ in self.src.calls_to('image.delete_image')
        ]
        # 2.5 fakes.GiB of image: a 3 fakes.GiB volume.
        self.assertEqual(
            [{'image_id': image_id, 'size': 3, 'name': 'os-migrate-vm1'}],
            self.kwargs(self.src, 'block_storage.create_volume'),
        )
        self.assertEqual(
            [{'name': 'app-vm', 'volume_type': 'ssd', 'size': 3}],
            self.kwargs(self.dst, 'block_storage.create_volume'),
        )
        self.assertEqual(3 * fakes.GiB, self.copier.copies[0][2])
        self.assertEqual('app-vm app-vm', self.copier.copies[0][3])
        self.assertTrue(dest.is_bootable)
        self.assertEqual(
            [], self.dst.calls_to('block_storage.set_volume_image_metadata')
        )
        self.assertEqual(['vol1'], [v.id for v in self.src.store['volume']])
        self.assertEqual([], self.src.store['image'])
        (server_kwargs,) = self.kwargs(self.dst, 'compute.create_server')
        self.assertNotIn('image_id', server_kwargs)
        self.assertEqual(
            [importing.volume_bdm(dest.id, 0)],
            server_kwargs['block_device_mapping'],
        )

    def test_boot_disk_size_is_at_least_min_disk(self):
        self.src.image_size = 10
        self.src.image_min_disk = 4
        self.run_import(
            fakes.resolved(
                image_id=None,
                copy_image_disk=True,
                data_volumes=[],
                floating_ips=[],
                server_group=None,
            )
        )
        self.assertEqual(
            4, self.kwargs(self.dst, 'block_storage.create_volume')[0]['size']
        )


class DeltaCopier(fakes.Copier):
    """Stands for ``delta.Copier``: as fakes.Copier, with a pass's
    chunks (2 of 2048 changed)."""

    def copy(self, *args, **kwargs):
        done = super().copy(*args, **kwargs)
        return delta.Result(
            size=done.size,
            algo='blake2b',
            digest='h-%s' % args[0],
            seconds=1.5,
            note='pieces',
            bytes_sent=128 * 1024,
            chunks=2048,
            chunks_changed=2,
            hashes=chunk_list(args[0], done.size),
        )


def chunk_list(source_id, size):
    """The chunk list a fake pass from ``source_id`` leaves."""
    digest = hashlib.md5(source_id.encode()).hexdigest()
    return chunks.Hashes('sha256', [digest] * chunks.chunk_count(size))


class TestBootDiskCutover(importing.ImportTestCase):
    """A boot volume that a sync pass filled (synced-root): the cutover
    sends its changed chunks only, from a snapshot's volume."""

    def setUp(self):
        super().setUp()
        transfer_fakes.save_hosts(self.data_dir)
        self.src.add(
            'volume',
            id='vol-root',
            size=2,
            status='in-use',
            attachments=[{'server_id': 'vm1', 'device': '/dev/vda'}],
        )
        # ServerSync.clean looks for a killed pass's snapshots by name.
        self.src._api_block_storage_snapshots = lambda **query: self.src._list(
            ['snapshot'], query
        )
        self.dst.add(
            'volume', id='synced-root', name='root', size=2, status='available'
        )
        sync_journal.Journal(self.data_dir, 'vm1', 'app-vm').update(
            'vol-root', dest_volume='synced-root', copied=True, passes=3
        )
        self.delta = DeltaCopier()

    def run_import(self, resolved=None, stop=False):
        server_import = self.importer(
            resolved
            or fakes.resolved(
                image_id=None,
                boot_volume=importing.ROOT_VOLUME,
                data_volumes=[],
                floating_ips=[],
                server_group=None,
            ),
            stop,
        )
        server_import._delta_copier = self.delta
        return server_import.run()

    def temp_volumes(self):
        """The ids of the temporary volumes deleted in the source."""
        return [
            a[0] for a, _ in self.src.calls_to('block_storage.delete_volume')
        ]

    def assertNothingLeftInTheSource(self):
        self.assertEqual(
            ['vol-root', 'vol1'],
            sorted(v.id for v in self.src.store['volume']),
        )
        self.assertEqual([], self.src.store['snapshot'])

    def test_the_last_sync_pass_chunk_list_spares_hashing_the_volume(self):
        journal = sync_journal.Journal(self.data_dir, 'vm1', 'app-vm')
        known = chunk_list('pass-3', 2 * fakes.GiB)
        journal.keep_chunks('vol-root', 'synced-root', known)
        self.assertEqual('created', self.run_import().action)
        self.assertEqual([known], self.delta.known)
        # never kept after the cutover: the new server writes the volume
        self.assertIsNone(
            journal.known_chunks('vol-root', 'synced-root', 2 * fakes.GiB)
        )

    def test_last_pass_into_the_synced_volume(self):
        outcome = self.run_import()
        # no chunk list kept by a sync pass: both volumes hashed
        self.assertEqual([None], self.delta.known)
        self.assertEqual('created', outcome.action)
        self.assertEqual(
            [
                'block_storage.create_snapshot',
                'block_storage.create_volume',
                'block_storage.delete_volume',
                'block_storage.delete_snapshot',
            ],
            self.src.write_calls(),
        )
        (snap_kwargs,) = self.kwargs(self.src, 'block_storage.create_snapshot')
        self.assertEqual(
            {
                'volume_id': 'vol-root',
                'force': True,
                'name': 'os-migrate-sync-vol-root',
                'description': 'os-migrate: temporary copy of a boot volume',
            },
            snap_kwargs,
        )
        (temp_kwargs,) = self.kwargs(self.src, 'block_storage.create_volume')
        snapshot_id = temp_kwargs['snapshot_id']
        self.assertEqual(
            {
                'snapshot_id': snapshot_id,
                'size': 2,
                'name': 'os-migrate-sync-vol-root',
            },
            temp_kwargs,
        )
        (temp_id,) = self.temp_volumes()
        # Changed chunks only, into the synced volume; no full copy.
        self.assertEqual(
            [(temp_id, 'synced-root', 2 * fakes.GiB, 'app-vm root', False)],
            self.delta.copies,
        )
        self.assertEqual([], self.copier.copies)
        self.assertNothingLeftInTheSource()
        (synced,) = self.dst.store['volume']
        self.assertEqual('synced-root', synced.id)
        self.assertEqual([], self.dst.calls_to('block_storage.create_volume'))
        self.assertEqual([], self.dst.calls_to('block_storage.extend_volume'))
        self.assertTrue(synced.is_bootable)
        self.assertEqual(
            {'image_name': 'cirros'}, synced.volume_image_metadata
        )
        (server_kwargs,) = self.kwargs(self.dst, 'compute.create_server')
        self.assertNotIn('image_id', server_kwargs)
        self.assertEqual(
            [importing.volume_bdm('synced-root', 0)],
            server_kwargs['block_device_mapping'],
        )
        step = self.journal()['steps']['boot_disk']
        self.assertEqual(
            {
                'state': 'done',
                'synced_volume': 'synced-root',
                'result': 'synced-root',
                'attached': [],
                'snapshot': None,
                'temp_volume': None,
                'creating_temp': None,
                'copy': {
                    'bytes': 2 * fakes.GiB,
                    'seconds': 1.5,
                    'algo': 'blake2b',
                    'digest': 'h-%s' % temp_id,
                    'bytes_sent': 128 * 1024,
                    'delta': True,
                },
            },
            {k: v for k, v in step.items() if k != 'seconds'},
        )
        # The sync journal is as the sync left it.
        self.assertEqual(
            {'dest_volume': 'synced-root', 'copied': True, 'passes': 3},
            sync_journal.read(self.data_dir, 'vm1')['volumes']['vol-root'],
        )

    def test_the_synced_volume_grows_with_its_source(self):
        self.dst.find('volume', 'synced-root')._update(size=1)
        self.dst._api_block_storage_extend_volume = lambda volume, size: (
            volume._update(size=size)
        )
        self.assertEqual('created', self.run_import().action)
        self.assertEqual(
            [(('synced-root', 2), {})],
            [
                ((v.id, size), k)
                for (v, size), k in self.dst.calls_to(
                    'block_storage.extend_volume'
                )
            ],
        )
        self.assertEqual(2, self.dst.find('volume', 'synced-root').size)
        self.assertEqual(2 * fakes.GiB, self.delta.copies[0][2])

    def test_never_synced_is_copied_whole(self):
        # A first pass that did not finish: as a cold import.
        sync_journal.Journal(self.data_dir, 'vm1', 'app-vm').update(
            'vol-root', copied=None
        )
        self.assertEqual('created', self.run_import().action)
        self.assertEqual([], self.delta.copies)
        (dest_kwargs,) = self.kwargs(self.dst, 'block_storage.create_volume')
        self.assertEqual(
            {'name': 'root', 'volume_type': 'nfs', 'size': 2}, dest_kwargs
        )
        (temp_kwargs,) = self.kwargs(self.src, 'block_storage.create_volume')
        self.assertEqual('os-migrate-vm1', temp_kwargs['name'])
        (temp_id,) = self.temp_volumes()
        (dest_id,) = [c[1] for c in self.copier.copies]
        self.assertEqual(
            [(temp_id, dest_id, 2 * fakes.GiB, 'app-vm root', True)],
            self.copier.copies,
        )
        self.assertEqual(
            'os-migrate-vol-root',
            self.kwargs(self.src, 'block_storage.create_snapshot')[0]['name'],
        )
        self.assertNotEqual('synced-root', dest_id)
        self.assertEqual(
            ['synced-root', dest_id],
            [v.id for v in self.dst.store['volume']],
        )
        self.assertNothingLeftInTheSource()

    def test_a_revert_keeps_the_synced_volume(self):
        self.dst.server_status = 'ERROR'
        self.assertEqual('failed', self.run_import().action)
        self.assertEqual(
            ['synced-root'], [v.id for v in self.dst.store['volume']]
        )
        self.assertEqual([], self.dst.calls_to('block_storage.delete_volume'))
        self.assertNothingLeftInTheSource()
        self.assertEqual(
            {'state': 'started'}, self.journal()['steps']['boot_disk']
        )
        # The next run sends a last pass again into the same volume.
        self.dst.server_status = 'ACTIVE'
        self.assertEqual('created', self.run_import().action)
        self.assertEqual(
            ['synced-root', 'synced-root'],
            [c[1] for c in self.delta.copies],
        )
        self.assertEqual([], self.copier.copies)
        self.assertNothingLeftInTheSource()

    def test_killed_last_pass_is_done_again(self):
        self.delta.fail = importing.Killed()
        self.assertRaises(importing.Killed, self.run_import)
        step = self.journal()['steps']['boot_disk']
        ((killed_temp, _, _, _, _),) = self.delta.copies
        self.assertEqual(
            (
                'started',
                'synced-root',
                killed_temp,
                fakes.attachments(killed_temp, 'synced-root'),
            ),
            (
                step['state'],
                step['synced_volume'],
                step['temp_volume'],
                step['attached'],
            ),
        )
        self.delta.fail = None
        outcome = self.run_import()
        self.assertEqual('created', outcome.action)
        # The killed pass's attachments detached, its temporaries gone,
        # the pass done again into the same volume.
        self.assertEqual(
            [fakes.attachments(killed_temp, 'synced-root')],
            self.copier.detached,
        )
        ((_, _, _, _, _), (temp, _, _, _, _)) = self.delta.copies
        self.assertNotEqual(killed_temp, temp)
        self.assertEqual({killed_temp, temp}, set(self.temp_volumes()))
        self.assertEqual(
            [(killed_temp, 'synced-root'), (temp, 'synced-root')],
            [c[:2] for c in self.delta.copies],
        )
        self.assertEqual(
            2, len(self.kwargs(self.src, 'block_storage.create_snapshot'))
        )
        self.assertEqual(
            2, len(self.src.calls_to('block_storage.delete_snapshot'))
        )
        self.assertNothingLeftInTheSource()
        self.assertEqual(
            ['synced-root'], [v.id for v in self.dst.store['volume']]
        )
        self.assertEqual(
            'synced-root', self.journal()['steps']['boot_disk']['result']
        )

    def test_killed_before_the_snapshot_answered(self):
        made = self.src._api_create_snapshot
        calls = []

        def create_snapshot(**attrs):
            snap = made(**attrs)
            calls.append(snap.id)
            if len(calls) == 1:
                raise importing.Killed()
            return snap

        self.src._api_block_storage_create_snapshot = create_snapshot
        self.assertRaises(importing.Killed, self.run_import)
        (orphan,) = self.src.store['snapshot']
        self.assertEqual('os-migrate-sync-vol-root', orphan.name)
        self.assertEqual('created', self.run_import().action)
        # Found by its name and deleted before the new snapshot.
        self.assertEqual(
            orphan.id,
            self.src.calls_to('block_storage.delete_snapshot')[0][0][0],
        )
        self.assertNothingLeftInTheSource()
        self.assertEqual(1, len(self.delta.copies))


class TestImageDiskCutover(importing.ImportTestCase):
    """An image-booted root disk (boot_disk_copy) that sync passes filled:
    the cutover sends the changed chunks of a snapshot image of the
    stopped server into the synced volume."""

    def setUp(self):
        super().setUp()
        transfer_fakes.save_hosts(self.data_dir)
        self.dst.add(
            'volume',
            id='synced-root',
            name='app-vm',
            size=3,
            status='available',
        )
        # A sync pass journals the root disk under the server's id.
        sync_journal.Journal(self.data_dir, 'vm1', 'app-vm').update(
            'vm1', dest_volume='synced-root', size=3, copied=True, passes=2
        )
        self.delta = DeltaCopier()

    def run_import(self, resolved=None, stop=False):
        server_import = self.importer(
            resolved
            or fakes.resolved(
                image_id=None,
                copy_image_disk=True,
                boot_volume_attrs={'volume_type': 'ssd'},
                data_volumes=[],
                floating_ips=[],
                server_group=None,
            ),
            stop,
        )
        server_import._delta_copier = self.delta
        return server_import.run()

    def assertNothingLeftInTheSource(self):
        self.assertEqual(['vol1'], [v.id for v in self.src.store['volume']])
        self.assertEqual([], self.src.store['image'])

    def test_last_pass_into_the_synced_root_volume(self):
        outcome = self.run_import()
        self.assertEqual('created', outcome.action)
        self.assertEqual(
            [(('vm1', 'os-migrate-sync-vm1'), {})],
            self.src.calls_to('compute.create_server_image'),
        )
        (image_id,) = [
            a[0] for a, _ in self.src.calls_to('image.delete_image')
        ]
        self.assertEqual(
            [{'image_id': image_id, 'size': 3, 'name': 'os-migrate-sync-vm1'}],
            self.kwargs(self.src, 'block_storage.create_volume'),
        )
        (temp_id,) = [
            a[0] for a, _ in self.src.calls_to('block_storage.delete_volume')
        ]
        # Changed chunks only, into the synced volume; no full copy.
        self.assertEqual(
            [(temp_id, 'synced-root', 3 * fakes.GiB, 'app-vm app-vm', False)],
            self.delta.copies,
        )
        self.assertEqual([], self.copier.copies)
        self.assertEqual([], self.dst.calls_to('block_storage.create_volume'))
        self.assertNothingLeftInTheSource()
        (synced,) = self.dst.store['volume']
        self.assertEqual('synced-root', synced.id)
        self.assertTrue(synced.is_bootable)
        self.assertEqual(
            [], self.dst.calls_to('block_storage.set_volume_image_metadata')
        )
        (server_kwargs,) = self.kwargs(self.dst, 'compute.create_server')
        self.assertNotIn('image_id', server_kwargs)
        self.assertEqual(
            [importing.volume_bdm('synced-root', 0)],
            server_kwargs['block_device_mapping'],
        )
        step = self.journal()['steps']['boot_disk']
        self.assertEqual(
            {
                'state': 'done',
                'synced_volume': 'synced-root',
                'result': 'synced-root',
                'attached': [],
                'image': None,
                'temp_volume': None,
                'creating_temp': None,
                'copy': {
                    'bytes': 3 * fakes.GiB,
                    'seconds': 1.5,
                    'algo': 'blake2b',
                    'digest': 'h-%s' % temp_id,
                    'bytes_sent': 128 * 1024,
                    'delta': True,
                },
            },
            {k: v for k, v in step.items() if k != 'seconds'},
        )

    def test_a_revert_keeps_the_synced_root_volume(self):
        self.dst.server_status = 'ERROR'
        self.assertEqual('failed', self.run_import().action)
        self.assertEqual(
            ['synced-root'], [v.id for v in self.dst.store['volume']]
        )
        self.assertEqual([], self.dst.calls_to('block_storage.delete_volume'))
        self.assertNothingLeftInTheSource()
        self.dst.server_status = 'ACTIVE'
        self.assertEqual('created', self.run_import().action)
        self.assertEqual(
            ['synced-root', 'synced-root'],
            [c[1] for c in self.delta.copies],
        )
        self.assertEqual([], self.copier.copies)
        self.assertNothingLeftInTheSource()

    def test_never_synced_is_copied_whole(self):
        # A first pass that did not finish: as a cold import.
        sync_journal.Journal(self.data_dir, 'vm1', 'app-vm').update(
            'vm1', copied=None
        )
        self.assertEqual('created', self.run_import().action)
        self.assertEqual([], self.delta.copies)
        self.assertEqual(
            [(('vm1', 'os-migrate-app-vm'), {})],
            self.src.calls_to('compute.create_server_image'),
        )
        self.assertEqual(
            [{'name': 'app-vm', 'volume_type': 'ssd', 'size': 3}],
            self.kwargs(self.dst, 'block_storage.create_volume'),
        )
        ((_, dest_id, _, _, dest_is_zero),) = self.copier.copies
        self.assertNotEqual('synced-root', dest_id)
        self.assertTrue(dest_is_zero)
        self.assertNothingLeftInTheSource()

    def test_a_grown_root_disk_is_not_cut_over(self):
        self.src.image_size = 5 * fakes.GiB
        outcome = self.run_import()
        self.assertEqual('failed', outcome.action)
        self.assertIn(
            'the root disk of app-vm grew to 5 GiB since its last sync pass '
            '(3 GiB): sync it again',
            outcome.detail,
        )
        self.assertEqual([], self.delta.copies)
        self.assertEqual(
            ['synced-root'], [v.id for v in self.dst.store['volume']]
        )
        self.assertNothingLeftInTheSource()

    def test_killed_last_pass_is_done_again(self):
        self.delta.fail = importing.Killed()
        self.assertRaises(importing.Killed, self.run_import)
        ((killed_temp, _, _, _, _),) = self.delta.copies
        (killed_image,) = [i.id for i in self.src.store['image']]
        step = self.journal()['steps']['boot_disk']
        self.assertEqual(
            ('started', 'synced-root', killed_temp, killed_image),
            (
                step['state'],
                step['synced_volume'],
                step['temp_volume'],
                step['image'],
            ),
        )
        self.delta.fail = None
        self.assertEqual('created', self.run_import().action)
        # The killed pass's attachments detached, its image and temporary
        # volume gone, the pass done again into the same volume.
        self.assertEqual(
            [fakes.attachments(killed_temp, 'synced-root')],
            self.copier.detached,
        )
        self.assertIn(
            ((killed_image,), {'ignore_missing': True}),
            self.src.calls_to('image.delete_image'),
        )
        self.assertEqual(
            [
                (killed_temp, 'synced-root'),
                (self.delta.copies[1][0], 'synced-root'),
            ],
            [c[:2] for c in self.delta.copies],
        )
        self.assertNotEqual(killed_temp, self.delta.copies[1][0])
        self.assertEqual([], self.copier.copies)
        self.assertNothingLeftInTheSource()
        self.assertEqual(
            ['synced-root'], [v.id for v in self.dst.store['volume']]
        )
