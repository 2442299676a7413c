# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""``migrate workload sync`` of a running server with a data volume, on
the development cloud's conversion hosts (loopback hosts): a first pass
copies the volume whole, a change on the source, a second pass sends the
changed chunks only; both times the destination volume holds the bytes
of the source, and no temporary snapshot or volume is left.  The cutover
(``workload import``) of a synced server sends the changed chunks only,
of its data volumes and of a boot-from-volume server's boot volume."""

import ipaddress
import json
import os
import signal
import subprocess
import time

import yaml

from tests.functional import base
from tests.functional.migrate import test_volume_copy
from tests.functional.migrate import test_volumes

MiB = test_volumes.MiB
GiB = test_volumes.GiB
#: written into the source volume between the passes: two chunks
CHANGES = ((10 * MiB + 100, 4096), (900 * MiB, 3 * 4096))
#: written into a boot volume (made of the image) before its server boots
BOOT_DATA = ((100 * MiB, 4 * MiB), (700 * MiB, 4 * MiB))


class TestWorkloadSync(test_volume_copy.ConversionHostTestCase):
    PREFIX = 'osm-wsync'
    CLI_TIMEOUT = 1800

    def _server(self):
        c = self.src
        image = c.image.find_image(base.IMAGE, ignore_missing=False)
        flavor = c.compute.find_flavor(base.FLAVOR, ignore_missing=False)
        net = c.network.find_network(self.hosts.net_name, ignore_missing=False)
        server = c.compute.create_server(
            name=self.prefix + '-vm',
            image_id=image.id,
            flavor_id=flavor.id,
            networks=[{'uuid': net.id}],
        )
        self.cleanup_resource(c, 'server', server)
        # a sync makes its ports in the destination ahead of the cutover
        self.addCleanup(self._delete_dst_server, self.prefix + '-vm')
        server = c.compute.wait_for_server(
            server, status='ACTIVE', failures=['ERROR'], wait=base.WAIT
        )
        volume = c.block_storage.create_volume(
            name=self.prefix + '-data', size=1, volume_type=base.VOLUME_TYPE
        )
        volume = test_volumes._wait_status(
            c.block_storage, volume.id, 'available'
        )
        test_volume_copy._fill_random(
            test_volumes.backing_file('r1', volume.id)
        )
        c.compute.create_volume_attachment(server, volume_id=volume.id)
        c.block_storage.wait_for_status(
            volume, 'in-use', failures=['error'], wait=base.WAIT
        )
        return server, volume

    def _sync(self, report):
        return self.openstack(
            'migrate',
            'workload',
            'sync',
            '--data-dir',
            self.data_dir,
            '--src-cloud',
            'src',
            '--dst-cloud',
            'dst',
            '--name',
            self.prefix + '-vm',
            '--report',
            report,
            '-f',
            'json',
        )

    def _import_args(self, name):
        return [
            'migrate',
            'workload',
            'import',
            '--data-dir',
            self.data_dir,
            '--src-cloud',
            'src',
            '--dst-cloud',
            'dst',
            '--name',
            name,
            '-f',
            'json',
        ]

    def _journal(self, server_id):
        path = os.path.join(self.data_dir, 'workload_sync', server_id + '.yml')
        with open(path) as f:
            return yaml.safe_load(f)

    def _active(self, volume_id):
        """The file the (fake) guest uses: a qcow2 overlay while the volume
        has a snapshot taken while attached, raw again once it is deleted
        (see tools/devcloud/README.rst)."""
        path = test_volumes.backing_file('r1', volume_id)
        try:
            with open(path + '.info') as f:
                active = json.load(f)['active']
        except FileNotFoundError:
            return path
        return os.path.join(os.path.dirname(path), active)

    def assertSameBytes(self, src_id, dst_id):
        done = subprocess.run(
            [
                'qemu-img',
                'compare',
                '-U',
                self._active(src_id),
                test_volumes.backing_file('r2', dst_id),
            ],
            capture_output=True,
            text=True,
        )
        self.assertEqual(0, done.returncode, done.stdout + done.stderr)

    def _guest_write(self, volume_id, offset, data):
        pattern = os.path.join(self.data_dir, 'pattern')
        with open(pattern, 'wb') as f:
            f.write(data)
        active = self._active(volume_id)
        fmt = json.loads(
            subprocess.run(
                ['qemu-img', 'info', '-U', '--output=json', active],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )['format']
        subprocess.run(
            [
                'qemu-io',
                '-f',
                fmt,
                '-c',
                'write -q -s %s %d %d' % (pattern, offset, len(data)),
                active,
            ],
            check=True,
        )

    def assertNoTemporaries(self, volume_id):
        block = self.src.block_storage
        name = 'os-migrate-sync-' + volume_id
        self.assertEqual([], list(block.volumes(name=name)))
        self.assertEqual([], list(block.snapshots(name=name)))
        self.assertNothingAttached()

    def assertNothingAttached(self):
        for side, conn in (('src', self.src), ('dst', self.dst)):
            server = self.hosts.server_ids[side]
            self.assertEqual(
                [],
                [a.volume_id for a in conn.compute.volume_attachments(server)],
            )

    def test_sync_twice(self):
        server, volume = self._server()
        self.openstack(
            'migrate',
            'workload',
            'export',
            '--src-cloud',
            'src',
            '--data-dir',
            self.data_dir,
            '--name',
            self.prefix + '-vm',
        )
        report = os.path.join(self.data_dir, 'report.json')
        rows = self._sync(report)
        self.assertEqual(
            [(self.prefix + '-vm', server.id, 'synced')],
            [(r['Name'], r['Source ID'], r['Action']) for r in rows],
        )
        self.assertIn(
            'root disk not synced (image-booted without boot_disk_copy: '
            'the new server boots from the image)',
            rows[0]['Detail'],
        )
        record = self._journal(server.id)['volumes'][volume.id]
        dest_id = record['dest_volume']
        self.assertEqual((1, True), (record['passes'], record['last']['full']))
        self.assertSameBytes(volume.id, dest_id)
        self.assertNoTemporaries(volume.id)
        # still running, the volume still attached
        self.assertEqual(
            'ACTIVE', self.src.compute.get_server(server.id).status
        )

        for offset, length in CHANGES:
            self._guest_write(volume.id, offset, os.urandom(length))
        self._sync(report)
        record = self._journal(server.id)['volumes'][volume.id]
        self.assertEqual(dest_id, record['dest_volume'])
        self.assertEqual(2, record['passes'])
        self.assertEqual(
            (False, 2, 0),
            (
                record['last']['full'],
                record['last']['chunks_changed'],
                record['last']['chunks_zeroed'],
            ),
        )
        self.assertLess(record['last']['bytes_sent'], 3 * MiB)
        self.assertSameBytes(volume.id, dest_id)
        self.assertNoTemporaries(volume.id)
        self.assertEqual(
            [dest_id],
            [
                v.id
                for v in self.dst.block_storage.volumes()
                if v.name == self.prefix + '-data'
            ],
        )
        with open(report) as f:
            servers = json.load(f)['servers']
        self.assertEqual(2, servers[0]['volumes'][volume.id]['passes'])

    def _export(self, name):
        """Export the server, its port to be made on the destination's
        subnet of the hosts' network."""
        self.openstack(
            'migrate',
            'workload',
            'export',
            '--src-cloud',
            'src',
            '--data-dir',
            self.data_dir,
            '--name',
            name,
        )
        self._any_fixed_ip()

    def _synced_once(self):
        """A running server with its data volume, exported (its port to be
        made on the destination's subnet of the hosts' network) and synced
        once: (server, volume, name, report path, destination volume)."""
        server, volume = self._server()
        name = self.prefix + '-vm'
        self._export(name)
        report = os.path.join(self.data_dir, 'report.json')
        self._sync(report)
        dest_id = self._journal(server.id)['volumes'][volume.id]['dest_volume']
        return server, volume, name, report, dest_id

    def test_cutover(self):
        server, volume, name, report, dest_id = self._synced_once()
        # The sync made the server's port ahead, with the source's MAC.
        [mac] = [
            p.mac_address for p in self.src.network.ports(device_id=server.id)
        ]
        [made] = self.dst.network.ports(mac_address=mac)
        self.assertEqual('', made.device_id)
        # written after the last pass: only the cutover carries it
        for offset, length in CHANGES:
            self._guest_write(volume.id, offset, os.urandom(length))
        self.src.compute.stop_server(server)
        self.src.compute.wait_for_server(
            server, status='SHUTOFF', failures=['ERROR'], wait=base.WAIT
        )
        self.addCleanup(self._delete_dst_server, name)
        args = self._import_args(name)
        rows = self.openstack(*args)
        self.assertEqual(['created'], [r['Action'] for r in rows], rows)
        dst_server = rows[0]['Destination ID']
        self.assertEqual(
            [dest_id],
            [
                a.volume_id
                for a in self.dst.compute.volume_attachments(dst_server)
            ],
        )
        with open(
            os.path.join(self.data_dir, 'workload_logs', server.id + '.yml')
        ) as f:
            step = yaml.safe_load(f)['steps']['volume:' + volume.id]
        self.assertEqual(
            (dest_id, True), (step['synced_volume'], step['copy']['delta'])
        )
        self.assertLess(step['copy']['bytes_sent'], 3 * MiB)
        self.assertSameBytes(volume.id, dest_id)
        # the cutover took that port, and made none
        self.assertEqual(
            [made.id],
            [p.id for p in self.dst.network.ports(device_id=dst_server)],
        )
        rows = self.openstack(*args)
        self.assertEqual(['unchanged'], [r['Action'] for r in rows], rows)

    def test_grown_volume(self):
        """A volume grown after a pass: the import refuses the file that
        says the old size; after a new export the next pass grows the
        destination volume too, and the cutover copies it whole."""
        server, volume, name, report, dest_id = self._synced_once()
        c = self.src
        c.compute.stop_server(server)
        c.compute.wait_for_server(
            server, status='SHUTOFF', failures=['ERROR'], wait=base.WAIT
        )
        # (Cinder's NFS driver extends detached volumes only)
        c.compute.delete_volume_attachment(server, volume.id)
        test_volumes._wait_status(c.block_storage, volume.id, 'available')
        c.block_storage.extend_volume(volume, 2)
        grown = test_volumes._wait_status(
            c.block_storage, volume.id, 'available'
        )
        self.assertEqual(2, grown.size)
        # data in the new gigabyte, and a change in the old one
        self._guest_write(volume.id, 1536 * MiB, os.urandom(MiB))
        self._guest_write(volume.id, 0, os.urandom(64 * 1024))
        c.compute.create_volume_attachment(server, volume_id=volume.id)
        c.block_storage.wait_for_status(
            volume, 'in-use', failures=['error'], wait=base.WAIT
        )
        self.addCleanup(self._delete_dst_server, name)
        args = self._import_args(name)
        result = self.openstack(*args, expect_fail=True)
        self.assertEqual(
            [
                (
                    'blocked',
                    'volumes: %s is 2 GiB now, the file says 1 GiB: export '
                    'it again' % volume.id,
                )
            ],
            [(r['Action'], r['Detail']) for r in json.loads(result.stdout)],
        )
        self.assertEqual(1, self.dst.block_storage.get_volume(dest_id).size)

        self._export(name)
        self._sync(report)
        record = self._journal(server.id)['volumes'][volume.id]
        self.assertEqual(
            (dest_id, 2), (record['dest_volume'], record['passes'])
        )
        self.assertEqual(2, self.dst.block_storage.get_volume(dest_id).size)
        self.assertSameBytes(volume.id, dest_id)
        self.assertNoTemporaries(volume.id)

        rows = self.openstack(*args)
        self.assertEqual(['created'], [r['Action'] for r in rows], rows)
        self.assertSameBytes(volume.id, dest_id)

    def _killed(self, argv, attached):
        """Run the CLI and SIGKILL it once ``attached()`` says a pass of the
        volume is attached on both conversion hosts."""
        proc = subprocess.Popen(
            [self.openstack_cli, *argv],
            env=self.cli_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.addCleanup(proc.kill)
        deadline = time.monotonic() + base.WAIT
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                both = len(attached() or []) == 2
            except (OSError, KeyError, TypeError, yaml.YAMLError):
                both = False
            if both:
                break
            time.sleep(0.05)
        self.assertIsNone(proc.poll(), 'the command ended before the pass')
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def test_killed_sync_and_killed_cutover(self):
        """A sync pass and a cutover killed in the middle of their copy
        are finished by the next run: no temporary, no attachment left, the
        destination's bytes those of the stopped source, the downtime in
        the status."""
        server, volume, name, report, dest_id = self._synced_once()
        clouds = ['--src-cloud', 'src', '--dst-cloud', 'dst']
        for offset, length in CHANGES:
            self._guest_write(volume.id, offset, os.urandom(length))
        self._killed(
            [
                'migrate',
                'workload',
                'sync',
                '--data-dir',
                self.data_dir,
                *clouds,
                '--name',
                name,
            ],
            lambda: self._journal(server.id)['volumes'][volume.id].get(
                'attached'
            ),
        )
        rows = self._sync(report)
        self.assertEqual(['synced'], [r['Action'] for r in rows], rows)
        self.assertNoTemporaries(volume.id)
        self.assertSameBytes(volume.id, dest_id)

        for offset, length in CHANGES:
            self._guest_write(volume.id, offset + 4096, os.urandom(length))
        self.addCleanup(self._delete_dst_server, name)
        args = [
            'migrate',
            'workload',
            'import',
            '--data-dir',
            self.data_dir,
            *clouds,
            '--name',
            name,
            '--stop',
        ]
        import_journal = os.path.join(
            self.data_dir, 'workload_logs', server.id + '.yml'
        )

        def import_attached():
            with open(import_journal) as f:
                steps = yaml.safe_load(f)['steps']
            return steps['volume:' + volume.id].get('attached')

        self._killed(args, import_attached)
        rows = self.openstack(*args, '-f', 'json')
        self.assertEqual(['created'], [r['Action'] for r in rows], rows)
        self.assertEqual(
            'SHUTOFF', self.src.compute.get_server(server.id).status
        )
        self.assertEqual(
            [dest_id],
            [
                a.volume_id
                for a in self.dst.compute.volume_attachments(
                    rows[0]['Destination ID']
                )
            ],
        )
        self.assertSameBytes(volume.id, dest_id)
        self.assertNoTemporaries(volume.id)
        self.assertEqual(
            [dest_id],
            [
                v.id
                for v in self.dst.block_storage.volumes()
                if v.name == self.prefix + '-data'
            ],
        )
        [row] = self.openstack(
            'migrate',
            'workload',
            'status',
            '--data-dir',
            self.data_dir,
            '-f',
            'json',
        )
        self.assertEqual(
            ('done', rows[0]['Destination ID']),
            (row['Phase'], row['Destination ID']),
        )
        # the first and the killed one's rerun (killed passes do not
        # count; the cutover's last pass is the import's)
        self.assertEqual(2, row['Sync Passes'])
        self.assertGreater(row['Downtime'], 0)

    def _bfv_server(self):
        """A running boot-from-volume server on the hosts' network: its
        boot volume made of the image, data written beyond the image's
        bytes, exported and synced once: (server, boot volume, name,
        destination volume)."""
        c = self.src
        image = c.image.find_image(base.IMAGE, ignore_missing=False)
        flavor = c.compute.find_flavor(base.FLAVOR, ignore_missing=False)
        net = c.network.find_network(self.hosts.net_name, ignore_missing=False)
        boot = c.block_storage.create_volume(
            name=self.prefix + '-boot',
            size=1,
            image_id=image.id,
            volume_type=base.VOLUME_TYPE,
        )
        boot = test_volumes._wait_status(c.block_storage, boot.id, 'available')
        with open(test_volumes.backing_file('r1', boot.id), 'r+b') as f:
            for offset, length in BOOT_DATA:
                f.seek(offset)
                f.write(os.urandom(length))
        name = self.prefix + '-vm'
        server = c.compute.create_server(
            name=name,
            flavor_id=flavor.id,
            networks=[{'uuid': net.id}],
            block_device_mapping=[
                {
                    'boot_index': 0,
                    'uuid': boot.id,
                    'source_type': 'volume',
                    'destination_type': 'volume',
                    'delete_on_termination': False,
                }
            ],
        )
        self.cleanup_resource(c, 'server', server)
        # the sync makes its ports ahead; the cutover, the server
        self.addCleanup(self._delete_dst_server, name)
        server = c.compute.wait_for_server(
            server, status='ACTIVE', failures=['ERROR'], wait=base.WAIT
        )
        self._export(name)
        rows = self._sync(os.path.join(self.data_dir, 'report.json'))
        self.assertEqual(['synced'], [r['Action'] for r in rows], rows)
        self.assertNotIn('root disk not synced', rows[0]['Detail'])
        record = self._journal(server.id)['volumes'][boot.id]
        self.assertEqual((1, True), (record['passes'], record['last']['full']))
        self.assertSameBytes(boot.id, record['dest_volume'])
        self.assertNoTemporaries(boot.id)
        return server, boot, name, record['dest_volume']

    def _stopped_after_changes(self, server, volume_id):
        """Bytes written into the running server's volume after the last
        pass (only the cutover carries them), then the server stopped."""
        for offset, length in CHANGES:
            self._guest_write(volume_id, offset, os.urandom(length))
        self.src.compute.stop_server(server)
        self.src.compute.wait_for_server(
            server, status='SHUTOFF', failures=['ERROR'], wait=base.WAIT
        )

    def assertBootsFromSyncedVolume(self, dst_server, boot, dest_id):
        """The destination server boots from the synced volume, alone in
        the destination, holding the stopped source's bytes; nothing of
        the cutover left in the source or on the conversion hosts."""
        self.assertEqual(
            [dest_id],
            [
                a.volume_id
                for a in self.dst.compute.volume_attachments(dst_server)
            ],
        )
        dest = self.dst.block_storage.get_volume(dest_id)
        self.assertTrue(dest.is_bootable)
        self.assertEqual(
            self.src.block_storage.get_volume(boot.id).volume_image_metadata[
                'image_name'
            ],
            dest.volume_image_metadata['image_name'],
        )
        self.assertSameBytes(boot.id, dest_id)
        self.assertNoTemporaries(boot.id)
        self.assertEqual(
            [dest_id],
            [
                v.id
                for v in self.dst.block_storage.volumes()
                if v.name == self.prefix + '-boot'
            ],
        )

    def test_cutover_of_a_boot_volume(self):
        """A synced boot-from-volume server: the cutover's last pass sends
        the boot volume's changed chunks into the synced volume, which the
        destination server boots from."""
        server, boot, name, dest_id = self._bfv_server()
        self._stopped_after_changes(server, boot.id)
        report = os.path.join(self.data_dir, 'import.json')
        args = self._import_args(name)
        rows = self.openstack(*args, '--report', report)
        self.assertEqual(['created'], [r['Action'] for r in rows], rows)
        dst_server = rows[0]['Destination ID']
        self.assertBootsFromSyncedVolume(dst_server, boot, dest_id)
        with open(
            os.path.join(self.data_dir, 'workload_logs', server.id + '.yml')
        ) as f:
            step = yaml.safe_load(f)['steps']['boot_disk']
        self.assertEqual(
            (dest_id, dest_id, True, GiB),
            (
                step['synced_volume'],
                step['result'],
                step['copy']['delta'],
                step['copy']['bytes'],
            ),
        )
        self.assertLess(step['copy']['bytes_sent'], 3 * MiB)
        with open(
            os.path.join(self.data_dir, 'workload_logs', server.id + '.log')
        ) as f:
            self.assertIn(
                'last pass of volume %s into the synced volume %s (changed '
                'chunks only)' % (boot.id, dest_id),
                f.read(),
            )
        with open(report) as f:
            [item] = json.load(f)['servers']
        self.assertEqual(
            [('boot_disk', dest_id, True, step['copy']['bytes_sent'])],
            [
                (v['step'], v['dest_id'], v['delta'], v['bytes_sent'])
                for v in item['volumes']
            ],
        )
        rows = self.openstack(*args)
        self.assertEqual(['unchanged'], [r['Action'] for r in rows], rows)

    def test_killed_cutover_of_a_boot_volume(self):
        """A cutover killed in the boot volume's last pass is finished by
        the next run: no temporary or attachment left, the synced volume
        used."""
        server, boot, name, dest_id = self._bfv_server()
        self._stopped_after_changes(server, boot.id)
        import_journal = os.path.join(
            self.data_dir, 'workload_logs', server.id + '.yml'
        )

        def attached():
            with open(import_journal) as f:
                return yaml.safe_load(f)['steps']['boot_disk'].get('attached')

        args = self._import_args(name)
        self._killed(args, attached)
        with open(import_journal) as f:
            step = yaml.safe_load(f)['steps']['boot_disk']
        # killed in the last pass: both hosts held their volume
        self.assertEqual(
            ('started', dest_id, 2),
            (step['state'], step['synced_volume'], len(step['attached'])),
        )
        rows = self.openstack(*args)
        self.assertEqual(['created'], [r['Action'] for r in rows], rows)
        self.assertBootsFromSyncedVolume(
            rows[0]['Destination ID'], boot, dest_id
        )
        with open(import_journal) as f:
            step = yaml.safe_load(f)['steps']['boot_disk']
        self.assertEqual(
            ('done', dest_id, True, []),
            (
                step['state'],
                step['synced_volume'],
                step['copy']['delta'],
                step['attached'],
            ),
        )
        # (this test's: other tests' passes make theirs meanwhile)
        ours = (server.id, boot.id)
        self.assertEqual(
            [],
            [
                v.id
                for v in self.src.block_storage.volumes()
                if (v.name or '').startswith('os-migrate-')
                and any(x in v.name for x in ours)
            ],
        )
        self.assertEqual(
            [],
            [
                s.id
                for s in self.src.block_storage.snapshots()
                if (s.name or '').startswith('os-migrate-')
                and any(x in s.name for x in ours)
            ],
        )

    def _image_disk_server(self):
        """A running image-booted server on the hosts' network, exported
        with _migration_params.boot_disk_copy true: (server, name)."""
        c = self.src
        image = c.image.find_image(base.IMAGE, ignore_missing=False)
        flavor = c.compute.find_flavor(base.FLAVOR, ignore_missing=False)
        net = c.network.find_network(self.hosts.net_name, ignore_missing=False)
        name = self.prefix + '-vm'
        server = c.compute.create_server(
            name=name,
            image_id=image.id,
            flavor_id=flavor.id,
            networks=[{'uuid': net.id}],
        )
        self.cleanup_resource(c, 'server', server)
        self.addCleanup(self._delete_dst_server, name)
        server = c.compute.wait_for_server(
            server, status='ACTIVE', failures=['ERROR'], wait=base.WAIT
        )
        self._export(name)
        path = os.path.join(self.data_dir, 'workloads.yml')
        with open(path) as f:
            data = yaml.safe_load(f)
        for entry in data['resources']:
            entry['_migration_params']['boot_disk_copy'] = True
        with open(path, 'w') as f:
            yaml.safe_dump(data, f)
        return server, name

    def assertHoldsTheImage(self, dest_id):
        """The fake guest's root disk cannot be written: a server snapshot
        of it uploads the bytes of the server's image (tools/devcloud)."""
        image = self.src.image.find_image(base.IMAGE, ignore_missing=False)
        path = os.path.join(self.data_dir, 'image')
        with open(path, 'wb') as f:
            self.src.image.download_image(image, output=f)
        done = subprocess.run(
            [
                'qemu-img',
                'compare',
                '-U',
                path,
                test_volumes.backing_file('r2', dest_id),
            ],
            capture_output=True,
            text=True,
        )
        self.assertEqual(0, done.returncode, done.stdout + done.stderr)

    def assertNoRootTemporaries(self, server_id):
        name = 'os-migrate-sync-' + server_id
        self.assertEqual([], list(self.src.block_storage.volumes(name=name)))
        self.assertEqual([], list(self.src.image.images(name=name)))
        self.assertNothingAttached()

    def test_sync_and_cutover_of_an_image_booted_root_disk(self):
        """An image-booted server with boot_disk_copy: each sync pass
        copies its root disk (through a server snapshot image) into one
        destination volume, whole then changed chunks only; the cutover's
        last pass, from a snapshot of the stopped server, goes into that
        volume, which the new server boots from.  (The fake guest's root
        disk cannot be written, so no pass after the first has anything
        to send: what is proved is that they send next to nothing.)"""
        server, name = self._image_disk_server()
        report = os.path.join(self.data_dir, 'report.json')
        rows = self._sync(report)
        self.assertEqual(['synced'], [r['Action'] for r in rows], rows)
        self.assertIn('root disk: pass 1 (full copy)', rows[0]['Detail'])
        self.assertNotIn('root disk not synced', rows[0]['Detail'])
        record = self._journal(server.id)['volumes'][server.id]
        dest_id = record['dest_volume']
        self.assertEqual(
            (1, True, 1),
            (record['passes'], record['last']['full'], record['size']),
        )
        dest = self.dst.block_storage.get_volume(dest_id)
        self.assertEqual((name, 'available'), (dest.name, dest.status))
        self.assertHoldsTheImage(dest_id)
        self.assertNoRootTemporaries(server.id)
        self.assertEqual(
            'ACTIVE', self.src.compute.get_server(server.id).status
        )

        self._sync(report)
        record = self._journal(server.id)['volumes'][server.id]
        self.assertEqual(
            (dest_id, 2, False),
            (record['dest_volume'], record['passes'], record['last']['full']),
        )
        self.assertLess(record['last']['bytes_sent'], MiB)
        self.assertNoRootTemporaries(server.id)
        with open(report) as f:
            [item] = json.load(f)['servers']
        self.assertEqual(2, item['volumes'][server.id]['passes'])

        self.src.compute.stop_server(server)
        self.src.compute.wait_for_server(
            server, status='SHUTOFF', failures=['ERROR'], wait=base.WAIT
        )
        args = self._import_args(name)
        import_report = os.path.join(self.data_dir, 'import.json')
        rows = self.openstack(*args, '--report', import_report)
        self.assertEqual(['created'], [r['Action'] for r in rows], rows)
        dst_server = rows[0]['Destination ID']
        self.assertEqual(
            [dest_id],
            [
                a.volume_id
                for a in self.dst.compute.volume_attachments(dst_server)
            ],
        )
        self.assertTrue(self.dst.block_storage.get_volume(dest_id).is_bootable)
        self.assertEqual(
            [dest_id],
            [v.id for v in self.dst.block_storage.volumes() if v.name == name],
        )
        with open(
            os.path.join(self.data_dir, 'workload_logs', server.id + '.yml')
        ) as f:
            step = yaml.safe_load(f)['steps']['boot_disk']
        self.assertEqual(
            (dest_id, dest_id, True, GiB),
            (
                step['synced_volume'],
                step['result'],
                step['copy']['delta'],
                step['copy']['bytes'],
            ),
        )
        self.assertLess(step['copy']['bytes_sent'], MiB)
        with open(import_report) as f:
            [item] = json.load(f)['servers']
        self.assertEqual(
            [('boot_disk', dest_id, True)],
            [(v['step'], v['dest_id'], v['delta']) for v in item['volumes']],
        )
        self.assertHoldsTheImage(dest_id)
        self.assertNoRootTemporaries(server.id)
        rows = self.openstack(*args)
        self.assertEqual(['unchanged'], [r['Action'] for r in rows], rows)

    def _delete_dst_server(self, name):
        """The imported server and the ports the import made for it (they
        outlive the server), so that the hosts' network can go."""
        for found in self.dst.compute.servers(name=name):
            self.dst.compute.delete_server(found)
            self.dst.compute.wait_for_delete(found, wait=base.WAIT)
        net = self.dst.network.find_network(self.hosts.net_name)
        for port in self.dst.network.ports(network_id=net.id):
            if port.device_id != self.hosts.server_ids['dst'] and not (
                port.device_owner or ''
            ).startswith('network:'):
                self.dst.network.delete_port(port, ignore_missing=True)

    def _any_fixed_ip(self):
        """The conversion hosts' network has another subnet range in each
        cloud: the port takes an address of the destination's."""
        net = self.dst.network.find_network(
            self.hosts.net_name, ignore_missing=False
        )
        subnet = next(iter(self.dst.network.subnets(network_id=net.id)))
        address = str(ipaddress.ip_network(subnet.cidr)[77])
        path = os.path.join(self.data_dir, 'workloads.yml')
        with open(path) as f:
            data = yaml.safe_load(f)
        for entry in data['resources']:
            for port in entry['params']['ports']:
                params = port.get('params') or {}
                for fixed in params.get('fixed_ips_refs') or []:
                    fixed['ip_address'] = address
        with open(path, 'w') as f:
            yaml.safe_dump(data, f)
