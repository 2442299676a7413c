# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Snapshots of attached volumes: nova's part of cinder's assisted snapshots.

Cinder's NFS driver snapshots an ``in-use`` volume with nova's help (``POST
/os-assisted-volume-snapshots``); the devcloud's fake virt driver does to
the volume's files what libvirt does to a running guest's disk (see
tools/devcloud/README.rst, "Volume snapshots of attached volumes").

As user ``src``: a server booted from a 1 GiB volume made from
``devcloud-image``, known bytes in the volume's file, two forced snapshots
with "guest writes" in between (written with ``qemu-io`` into the file the
guest uses, as a running guest would), a volume from each snapshot holding
the bytes of its moment, both snapshots deleted (the first: libvirt's
blockCommit, the second: blockRebase), the volume still holding its bytes,
and nothing left on the share once server and volume are deleted.  A
snapshot of a volume attached to a loopback host ends in ``error``.
"""

import json
import os
import random
import subprocess

import fixtures

from tests.functional import base

MiB = 1024 * 1024
GiB = 1024 * MiB
#: (offset, length) of the known bytes written into the volume's file
CHUNKS = ((0, MiB), (700 * MiB, 64 * 1024))
LOOPBACK_IMAGE = 'devcloud-loopback'


def devcloud_home():
    return os.environ.get('DEVCLOUD_HOME') or os.path.dirname(
        base.clouds_yaml()
    )


class TestAssistedVolumeSnapshot(base.FunctionalTestCase):
    """RegionOne, as ``src``."""

    cloud = 'src'
    region_tag = 'r1'

    def setUp(self):
        super().setUp()
        self.home = devcloud_home()
        self.share = os.path.join(
            self.home, 'data', self.region_tag, 'cinder', 'nfs-export'
        )
        if not os.path.isdir(self.share):
            self.fail(
                'not the development cloud (no %s): run '
                'tools/devcloud/devcloud start' % self.share
            )
        self.conn_ = self.conn(self.cloud)
        self.tmp = self.useFixture(fixtures.TempDir()).path

    # -- helpers ------------------------------------------------------------

    def volume_file(self, volume_id, suffix=''):
        return os.path.join(self.share, 'volume-%s%s' % (volume_id, suffix))

    def chain(self, path):
        """[(file name, format), ...] from ``path`` down its backing chain."""
        out = subprocess.run(
            [
                'qemu-img',
                'info',
                '-U',
                '--output=json',
                '--backing-chain',
                path,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return [
            (os.path.basename(i['filename']), i['format'])
            for i in json.loads(out)
        ]

    def read_chunks(self, path):
        """{offset: bytes} at CHUNKS of the disk in ``path`` (raw, or
        through ``qemu-img convert -O raw`` if it is qcow2)."""
        fmt = self.chain(path)[0][1]
        if fmt != 'raw':
            raw = os.path.join(self.tmp, 'converted.raw')
            subprocess.run(
                ['qemu-img', 'convert', '-U', '-O', 'raw', path, raw],
                check=True,
            )
            path = raw
        got = {}
        with open(path, 'rb') as f:
            for offset, length in CHUNKS:
                f.seek(offset)
                got[offset] = f.read(length)
        return got

    def guest_write(self, path, offset, data):
        """Write ``data`` into the qcow2 file the (fake) guest uses."""
        src = os.path.join(self.tmp, 'pattern')
        with open(src, 'wb') as f:
            f.write(data)
        subprocess.run(
            [
                'qemu-io',
                '-f',
                'qcow2',
                '-c',
                'write -q -s %s %d %d' % (src, offset, len(data)),
                path,
            ],
            check=True,
        )

    def create_volume(self, **kwargs):
        conn = self.conn_
        volume = conn.block_storage.create_volume(
            name=self.unique_name('vsnap'), size=1, **kwargs
        )
        self.cleanup_resource(conn, 'volume', volume)
        return conn.block_storage.wait_for_status(
            volume, status='available', failures=['error'], wait=base.WAIT
        )

    def create_snapshot(self, volume_id, status='available'):
        conn = self.conn_
        snap = conn.block_storage.create_snapshot(
            name=self.unique_name('vsnap'), volume_id=volume_id, force=True
        )
        self.cleanup_snapshot(snap)
        failures = ['error'] if status != 'error' else []
        return conn.block_storage.wait_for_status(
            snap, status=status, failures=failures, wait=base.WAIT
        )

    def cleanup_snapshot(self, snap):
        from openstack import exceptions

        conn = self.conn_

        def delete():
            try:
                conn.block_storage.delete_snapshot(snap.id)
                conn.block_storage.wait_for_delete(
                    conn.block_storage.get_snapshot(snap.id), wait=base.WAIT
                )
            except exceptions.NotFoundException:
                pass

        self.addCleanup(delete)

    def delete_snapshot(self, snap):
        conn = self.conn_
        conn.block_storage.delete_snapshot(snap)
        conn.block_storage.wait_for_delete(snap, wait=base.WAIT)
        self.assertIsNone(
            conn.block_storage.find_snapshot(snap.id, ignore_missing=True)
        )

    # -- the tests ----------------------------------------------------------

    def test_snapshots_of_boot_volume(self):
        conn = self.conn_
        image = conn.image.find_image(base.IMAGE, ignore_missing=False)
        flavor = conn.compute.find_flavor(base.FLAVOR, ignore_missing=False)

        # a bootable volume from the image, known bytes in its file
        volume = self.create_volume(image_id=image.id)
        path = self.volume_file(volume.id)
        self.assertEqual([(os.path.basename(path), 'raw')], self.chain(path))
        self.assertEqual(GiB, os.path.getsize(path))
        known = {offset: os.urandom(length) for offset, length in CHUNKS}
        with open(path, 'r+b') as f:
            for offset, data in known.items():
                f.seek(offset)
                f.write(data)

        # booted from it: the volume is in-use and cannot be detached
        server = conn.compute.create_server(
            name=self.unique_name('vsnap'),
            flavor_id=flavor.id,
            networks='none',
            block_device_mapping=[
                {
                    'boot_index': 0,
                    'uuid': volume.id,
                    'source_type': 'volume',
                    'destination_type': 'volume',
                    'delete_on_termination': False,
                }
            ],
        )
        self.cleanup_resource(conn, 'server', server)
        server = conn.compute.wait_for_server(
            server, status='ACTIVE', wait=base.WAIT
        )
        volume = conn.block_storage.wait_for_status(
            volume, status='in-use', failures=['error'], wait=base.WAIT
        )
        self.assertEqual(server.id, volume.attachments[0]['server_id'])

        # snapshot 1: the guest now writes to cinder's qcow2 overlay
        snap1 = self.create_snapshot(volume.id)
        top1 = self.volume_file(volume.id, '.' + snap1.id)
        self.assertEqual(
            [
                (os.path.basename(top1), 'qcow2'),
                (os.path.basename(path), 'raw'),
            ],
            self.chain(top1),
        )
        first = CHUNKS[0]
        new_first = os.urandom(first[1])
        self.guest_write(top1, first[0], new_first)

        # snapshot 2 on top of it, and another guest write
        snap2 = self.create_snapshot(volume.id)
        top2 = self.volume_file(volume.id, '.' + snap2.id)
        self.assertEqual(
            [os.path.basename(p) for p in (top2, top1, path)],
            [name for name, _ in self.chain(top2)],
        )
        last = CHUNKS[-1]
        new_last = os.urandom(last[1])
        self.guest_write(top2, last[0], new_last)
        now = {first[0]: new_first, last[0]: new_last}
        self.assertEqual(now, self.read_chunks(top2))
        # the base file did not change under the snapshots
        self.assertEqual(known, self.read_chunks(path))

        # a volume from each snapshot holds the bytes of its moment
        from1 = self.create_volume(snapshot_id=snap1.id)
        self.assertEqual(known, self.read_chunks(self.volume_file(from1.id)))
        from2 = self.create_volume(snapshot_id=snap2.id)
        self.assertEqual(
            {first[0]: new_first, last[0]: known[last[0]]},
            self.read_chunks(self.volume_file(from2.id)),
        )

        # delete snapshot 1 (not the active file: blockCommit into the base)
        self.delete_snapshot(snap1)
        self.assertFalse(os.path.exists(top1))
        self.assertEqual(
            [
                (os.path.basename(top2), 'qcow2'),
                (os.path.basename(path), 'raw'),
            ],
            self.chain(top2),
        )
        self.assertEqual(now, self.read_chunks(top2))
        self.assertEqual(
            'in-use', conn.block_storage.get_volume(volume).status
        )

        # delete snapshot 2 (the active file: blockRebase pulls the base in;
        # cinder deletes the base; the file is the volume now, raw: a
        # loopback host can attach it)
        self.delete_snapshot(snap2)
        self.assertFalse(os.path.exists(path))
        self.assertEqual([(os.path.basename(top2), 'raw')], self.chain(top2))
        self.assertEqual(now, self.read_chunks(top2))
        self.assertEqual(
            [], list(conn.block_storage.snapshots(volume_id=volume.id))
        )
        # the volumes made from the snapshots are independent of them
        self.assertEqual(known, self.read_chunks(self.volume_file(from1.id)))

        # the server and the volume go cleanly, nothing left on the share
        conn.compute.delete_server(server)
        conn.compute.wait_for_delete(server, wait=base.WAIT)
        volume = conn.block_storage.wait_for_status(
            volume, status='available', failures=['error'], wait=base.WAIT
        )
        conn.block_storage.delete_volume(volume)
        conn.block_storage.wait_for_delete(volume, wait=base.WAIT)
        self.assertEqual(
            [],
            [
                name
                for name in os.listdir(self.share)
                if name.startswith('volume-%s' % volume.id)
            ],
        )

    def test_snapshot_of_volume_on_loopback_host_fails(self):
        """Not supported (a loop device on the file): status ``error``."""
        conn = self.conn_
        lb_image = conn.image.find_image(LOOPBACK_IMAGE, ignore_missing=False)
        flavor = conn.compute.find_flavor(base.FLAVOR, ignore_missing=False)
        net = conn.network.create_network(name=self.unique_name('vsnap'))
        self.cleanup_resource(conn, 'network', net)
        # RegionOne loopback tests use 10.100-199.x.y (README)
        # cinder made the qcow2 overlay before asking nova and leaves it
        # when nova fails (with libvirt too): remove it after the volume
        leftovers = []

        def remove_leftovers():
            for path in leftovers:
                if os.path.exists(path):
                    os.unlink(path)

        self.addCleanup(remove_leftovers)
        subnet = conn.network.create_subnet(
            name=self.unique_name('vsnap'),
            network_id=net.id,
            ip_version=4,
            cidr='10.%d.%d.0/24'
            % (random.randint(100, 199), random.randint(0, 255)),
        )
        self.cleanup_resource(conn, 'subnet', subnet)
        volume = self.create_volume()
        path = self.volume_file(volume.id)
        known = {offset: os.urandom(length) for offset, length in CHUNKS}
        with open(path, 'r+b') as f:
            for offset, data in known.items():
                f.seek(offset)
                f.write(data)
        server = conn.compute.create_server(
            name=self.unique_name('vsnap'),
            image_id=lb_image.id,
            flavor_id=flavor.id,
            networks=[{'uuid': net.id}],
        )
        self.cleanup_resource(conn, 'server', server)
        server = conn.compute.wait_for_server(
            server, status='ACTIVE', wait=base.WAIT
        )
        conn.compute.create_volume_attachment(server, volume_id=volume.id)
        conn.block_storage.wait_for_status(
            volume, status='in-use', failures=['error'], wait=base.WAIT
        )

        snap = self.create_snapshot(volume.id, status='error')
        self.assertEqual('error', snap.status)
        leftovers.append(self.volume_file(volume.id, '.' + snap.id))
        # the loop device's file is still the volume, unchanged
        self.assertEqual([(os.path.basename(path), 'raw')], self.chain(path))
        self.assertEqual(known, self.read_chunks(path))
        self.delete_snapshot(snap)
        conn.compute.delete_volume_attachment(server, volume)
        conn.block_storage.wait_for_status(
            volume, status='available', failures=['error'], wait=base.WAIT
        )
