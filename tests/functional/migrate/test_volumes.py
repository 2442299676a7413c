# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Detached volumes with their bytes: ``migrate export volume`` /
``import volume --transfer-method image`` against real Cinder and Glance
services (``src`` RegionOne -> ``dst`` RegionTwo).

The development cloud's Cinder (NFS driver) keeps each volume in a sparse
file ``volume-<id>``; the tests write known bytes straight into the source
file and compare the destination file with it.
"""

import hashlib
import os
import time

import fixtures
from openstack import exceptions as sdk_exceptions
import yaml

from tests.functional import base

MiB = 1024 * 1024
GiB = 1024 * MiB


def backing_file(region, volume_id):
    """The file holding a volume's bytes in the development cloud."""
    home = os.environ.get('DEVCLOUD_HOME') or os.path.join(
        base.REPO, '.devcloud'
    )
    return os.path.join(
        home, 'data', region, 'cinder', 'nfs-export', 'volume-%s' % volume_id
    )


def _sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(8 * MiB), b''):
            h.update(chunk)
    return h.hexdigest()


def _wait_status(proxy, volume_id, status):
    deadline = time.monotonic() + base.WAIT
    while True:
        volume = proxy.get_volume(volume_id)
        if volume.status == status:
            return volume
        if volume.status.startswith('error') or time.monotonic() > deadline:
            raise AssertionError(
                'volume %s is %s, not %s' % (volume_id, volume.status, status)
            )
        try:
            proxy.wait_for_status(volume, status, wait=5, interval=1)
        except sdk_exceptions.ResourceTimeout:
            pass  # the deadline above decides


class TestVolumes(base.FunctionalTestCase):
    def setUp(self):
        super().setUp()
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        self.src = self.conn('src')
        self.dst = self.conn('dst')
        self.prefix = self.unique_name('osm-vol')
        self.addCleanup(self._purge)

    def _purge(self):
        for conn in (self.src, self.dst):
            for image in conn.image.images(owner=conn.current_project_id):
                if (image.name or '').startswith('os-migrate-volume-'):
                    conn.image.delete_image(image, ignore_missing=True)
            for volume in conn.block_storage.volumes():
                if (volume.name or '').startswith(self.prefix):
                    conn.block_storage.delete_volume(volume)
                    conn.block_storage.wait_for_delete(volume, wait=base.WAIT)

    def _migrate(self, verb, *args, **kwargs):
        cloud = ['--src-cloud', 'src']
        if verb == 'import':
            cloud += ['--dst-cloud', 'dst', '--transfer-method', 'image']
        return self.openstack(
            'migrate',
            verb,
            'volume',
            '--data-dir',
            self.data_dir,
            '--name-regex',
            '^' + self.prefix,
            *cloud,
            *args,
            '-f',
            'json',
            **kwargs,
        )

    def _make_source_volume(self):
        volume = self.src.block_storage.create_volume(
            name=self.prefix + '-data',
            description='known bytes',
            size=1,
            volume_type=base.VOLUME_TYPE,
            metadata={'purpose': 'functional'},
        )
        volume = _wait_status(self.src.block_storage, volume.id, 'available')
        path = backing_file('r1', volume.id)
        self.assertEqual(GiB, os.path.getsize(path))
        self.head = os.urandom(4 * MiB)
        with open(path, 'r+b') as f:
            f.write(self.head)
            f.seek(512 * MiB)
            f.write(os.urandom(MiB))
            f.seek(GiB - MiB)
            f.write(os.urandom(MiB))
        return volume

    def _dst_volumes(self):
        return [
            v
            for v in self.dst.block_storage.volumes()
            if (v.name or '').startswith(self.prefix)
        ]

    def _temp_images(self, volume):
        """The temporary images of ``volume``'s copy (another test's copy
        may be running at the same time)."""
        return [
            i.name
            for conn in (self.src, self.dst)
            for i in conn.image.images(owner=conn.current_project_id)
            if i.name == 'os-migrate-volume-' + volume.id
        ]

    def _journal(self):
        with open(
            os.path.join(self.data_dir, 'volume_logs', 'journal.yml')
        ) as f:
            return yaml.safe_load(f)['volumes']

    def test_export_import_bytes_and_rerun(self):
        volume = self._make_source_volume()
        rows = self._migrate('export')
        self.assertEqual(1, rows[0]['Exported'])
        with open(os.path.join(self.data_dir, 'detached_volumes.yml')) as f:
            entry = yaml.safe_load(f)['resources'][0]
        self.assertEqual('openstack.network.ServerVolume', entry['type'])
        self.assertEqual(self.prefix + '-data', entry['params']['name'])
        self.assertEqual(base.VOLUME_TYPE, entry['params']['volume_type'])
        self.assertEqual(
            {'purpose': 'functional'}, entry['params']['metadata']
        )
        self.assertEqual(1, entry['_info']['size'])
        self.assertEqual(volume.id, entry['_info']['id'])

        rows = self._migrate('import')
        self.assertEqual(
            [(self.prefix + '-data', 'created')],
            [(r['Name'], r['Action']) for r in rows],
        )
        [copied] = self._dst_volumes()
        self.assertEqual(1, copied.size)
        self.assertEqual(base.VOLUME_TYPE, copied.volume_type)
        self.assertEqual('known bytes', copied.description)
        self.assertFalse(copied.is_bootable)
        self.assertEqual('functional', copied.metadata['purpose'])
        dst_path = backing_file('r2', copied.id)
        with open(dst_path, 'rb') as f:
            self.assertEqual(self.head, f.read(4 * MiB))
        self.assertEqual(
            _sha256(backing_file('r1', volume.id)), _sha256(dst_path)
        )
        self.assertEqual([], self._temp_images(volume))
        self.assertEqual(
            {'state': 'done', 'dest_id': copied.id},
            {
                k: v
                for k, v in self._journal()[volume.id].items()
                if k in ('state', 'dest_id')
            },
        )

        rows = self._migrate('import')
        self.assertEqual(
            [(self.prefix + '-data', 'unchanged')],
            [(r['Name'], r['Action']) for r in rows],
        )
        self.assertEqual([copied.id], [v.id for v in self._dst_volumes()])
        self.assertEqual([], self._temp_images(volume))

    def test_half_done_copy_is_redone(self):
        volume = self._make_source_volume()
        self._migrate('export')
        # What a run killed after creating the destination volume leaves.
        half = self.dst.block_storage.create_volume(
            name=self.prefix + '-data', size=1
        )
        _wait_status(self.dst.block_storage, half.id, 'available')
        os.makedirs(os.path.join(self.data_dir, 'volume_logs'))
        with open(
            os.path.join(self.data_dir, 'volume_logs', 'journal.yml'), 'w'
        ) as f:
            yaml.safe_dump(
                {
                    'volumes': {
                        volume.id: {'state': 'started', 'dest_id': half.id}
                    }
                },
                f,
            )

        rows = self._migrate('import')
        self.assertEqual(
            [(self.prefix + '-data', 'created')],
            [(r['Name'], r['Action']) for r in rows],
        )
        [copied] = self._dst_volumes()
        self.assertNotEqual(half.id, copied.id)
        self.assertEqual(
            _sha256(backing_file('r1', volume.id)),
            _sha256(backing_file('r2', copied.id)),
        )
