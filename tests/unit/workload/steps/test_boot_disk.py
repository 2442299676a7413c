#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

"""The boot disk step: a boot volume or an image-booted disk, copied."""

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
