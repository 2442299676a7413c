# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Images with their bytes: ``migrate export image`` / ``import image``
against real Glance services (``src`` RegionOne -> ``dst`` RegionTwo).

Every test seeds its own images under a unique name prefix, exports only
those (``--name-regex ^<prefix>``) and deletes whatever carries the prefix
in both regions afterwards.
"""

import hashlib
import json
import os
import selectors
import signal
import subprocess
import time

import fixtures
import yaml

from tests.functional import base

MiB = 1024 * 1024


def _purge(conn, prefix):
    """Delete every image of ``conn``'s project whose name has ``prefix``."""
    for image in conn.image.images(owner=conn.current_project_id):
        if (image.name or '').startswith(prefix):
            if image.is_protected:
                conn.image.update_image(image, is_protected=False)
            conn.image.delete_image(image, ignore_missing=True)


def _write_data(path, size, dense_every=2):
    """``size`` bytes: random MiBs between zeroed ones (sparse-ish)."""
    with open(path, 'wb') as f:
        for i in range(size // MiB):
            f.write(os.urandom(MiB) if i % dense_every == 0 else bytes(MiB))
        f.write(os.urandom(size % MiB))


def _sha512(path):
    h = hashlib.sha512()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(8 * MiB), b''):
            h.update(chunk)
    return h.hexdigest()


def make_image(conn, name, path, **attrs):
    """An active image of ``conn``'s project holding the bytes of ``path``."""
    from openstack.image.v2 import image as sdk_image

    attrs.setdefault('disk_format', 'raw')
    attrs.setdefault('container_format', 'bare')
    image = sdk_image.Image.new(name=name, **attrs).create(conn.image)
    with open(path, 'rb') as f:
        response = image.upload(conn.image, data=f, size=os.path.getsize(path))
    assert response.status_code == 204, response.status_code
    return conn.image.get_image(image.id)


class TestImages(base.FunctionalTestCase):
    def setUp(self):
        super().setUp()
        self.prefix = self.unique_name('osmimg')
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        self.work = self.useFixture(fixtures.TempDir()).path
        self.src, self.dst = self.conn('src'), self.conn('dst')
        for conn in (self.src, self.dst):
            self.addCleanup(_purge, conn, self.prefix)

    # -- helpers ------------------------------------------------------------

    def file(self, name, size):
        path = os.path.join(self.work, name)
        _write_data(path, size)
        return path

    def argv(self, verb, *args, cloud_option, cloud):
        return [
            'migrate',
            *verb.split(),
            '--data-dir',
            self.data_dir,
            cloud_option,
            cloud,
            '--name-regex',
            '^' + self.prefix,
            '-f',
            'json',
            *args,
        ]

    def export(self, *args):
        return self.openstack(
            *self.argv(
                'export image', *args, cloud_option='--src-cloud', cloud='src'
            )
        )

    def import_(self, *args, expect_fail=False):
        result = self.openstack(
            *self.argv(
                'import image', *args, cloud_option='--dst-cloud', cloud='dst'
            ),
            expect_fail=expect_fail,
        )
        if expect_fail:
            return json.loads(result.stdout), result.stderr
        return result

    def actions(self, rows):
        return {r['Name']: r['Action'] for r in rows}

    def mine(self, conn):
        return {
            i.name: i
            for i in conn.image.images(owner=conn.current_project_id)
            if (i.name or '').startswith(self.prefix)
        }

    def entries(self):
        with open(os.path.join(self.data_dir, 'images.yml')) as f:
            doc = yaml.safe_load(f)
        return {e['params']['name']: e for e in doc['resources']}

    def blobs(self):
        directory = os.path.join(self.data_dir, 'image_blobs')
        if not os.path.isdir(directory):
            return []
        return sorted(os.listdir(directory))

    def assert_same_bytes(self, src_image, dst_image):
        self.assertEqual(src_image.size, dst_image.size)
        self.assertEqual(src_image.checksum, dst_image.checksum)
        self.assertEqual(src_image.hash_algo, dst_image.hash_algo)
        self.assertEqual(src_image.hash_value, dst_image.hash_value)

    # -- tests --------------------------------------------------------------

    def test_formats_properties_and_references(self):
        p = self.prefix
        raw = self.file('raw.img', 3 * MiB + 17)
        qcow2 = os.path.join(self.work, 'disk.qcow2')
        subprocess.run(
            ['qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2', raw, qcow2],
            check=True,
        )
        kernel = make_image(
            self.src,
            p + '-kernel',
            self.file('kernel', 4096),
            disk_format='aki',
            container_format='aki',
        )
        ramdisk = make_image(
            self.src,
            p + '-ramdisk',
            self.file('ramdisk', 8192),
            disk_format='ari',
            container_format='ari',
        )
        make_image(
            self.src,
            p + '-ami',
            self.file('ami', MiB),
            disk_format='ami',
            container_format='ami',
            kernel_id=kernel.id,
            ramdisk_id=ramdisk.id,
        )
        make_image(
            self.src,
            p + '-uefi',
            qcow2,
            disk_format='qcow2',
            hw_machine_type='q35',
            hw_firmware_type='uefi',
            os_secure_boot='required',
            hw_cpu_cores='2',
            hw_qemu_guest_agent='yes',
            os_distro='cirros',
            site_custom='kept as is',
            min_ram=64,
            min_disk=1,
            tags=['blue', 'red'],
        )
        shared = make_image(
            self.src, p + '-raw', raw, visibility='shared', os_type='linux'
        )
        self.src.image.add_member(
            shared, member_id=self.dst.current_project_id
        )

        rows = self.export()
        self.assertEqual(
            [('image', 5, 5)],
            [(r['Type'], r['Exported'], r['New']) for r in rows],
        )
        source = self.mine(self.src)
        self.assertEqual(
            sorted('%s-%s' % (i.id, i.name) for i in source.values()),
            self.blobs(),
        )
        entries = self.entries()
        uefi = entries[p + '-uefi']['params']
        self.assertEqual('q35', uefi['hw_machine_type'])
        self.assertEqual('required', uefi['needs_secure_boot'])
        self.assertEqual(2, uefi['hw_cpu_cores'])
        self.assertEqual(
            {'hw_firmware_type': 'uefi', 'site_custom': 'kept as is'},
            uefi['properties'],
        )
        self.assertEqual(
            {
                'name': p + '-kernel',
                'project_name': '%auth%',
                'domain_name': '%auth%',
            },
            entries[p + '-ami']['params']['kernel_ref'],
        )
        # The tenant cannot name the member project: kept as unnamed.
        self.assertEqual(
            [{'project_name': None, 'domain_name': None}],
            entries[p + '-raw']['params']['members'],
        )

        rows = self.import_()
        self.assertEqual(
            {
                p + '-kernel': 'created',
                p + '-ramdisk': 'created',
                p + '-ami': 'created',
                p + '-uefi': 'created',
                p + '-raw': 'created',
            },
            self.actions(rows),
        )
        raw_row = next(r for r in rows if r['Name'] == p + '-raw')
        self.assertEqual(
            'member project (unnamed in the source) not added (not visible '
            'to the caller in the destination)',
            raw_row['Detail'],
        )
        dest = self.mine(self.dst)
        self.assertEqual(sorted(source), sorted(dest))
        for name in source:
            self.assert_same_bytes(source[name], dest[name])
        got = dest[p + '-uefi']
        self.assertEqual('qcow2', got.disk_format)
        self.assertEqual('q35', got.hw_machine_type)
        self.assertEqual('required', got.needs_secure_boot)
        self.assertEqual(2, got.hw_cpu_cores)
        self.assertEqual('yes', got.hw_qemu_guest_agent)
        self.assertEqual('uefi', got.properties['hw_firmware_type'])
        self.assertEqual('kept as is', got.properties['site_custom'])
        self.assertEqual((64, 1), (got.min_ram, got.min_disk))
        self.assertEqual(['blue', 'red'], sorted(got.tags))
        ami = dest[p + '-ami']
        self.assertEqual(dest[p + '-kernel'].id, ami.kernel_id)
        self.assertEqual(dest[p + '-ramdisk'].id, ami.ramdisk_id)
        self.assertEqual('linux', dest[p + '-raw'].os_type)
        # Byte for byte, read back from the destination.
        response = self.dst.image.download_image(got, stream=True)
        h = hashlib.sha512()
        for chunk in response.iter_content(chunk_size=MiB):
            h.update(chunk)
        self.assertEqual(_sha512(qcow2), h.hexdigest())

        # Re-runs change nothing.
        rows = self.import_()
        self.assertEqual({'unchanged'}, set(self.actions(rows).values()))
        before = self.blobs()
        rows = self.export()
        self.assertEqual([(5, 0)], [(r['Exported'], r['New']) for r in rows])
        self.assertEqual(before, self.blobs())
        after = self.mine(self.dst)
        self.assertEqual(
            {n: i.updated_at for n, i in dest.items()},
            {n: i.updated_at for n, i in after.items()},
        )

    def test_interrupted_export_resumes(self):
        size = 384 * MiB
        path = self.file('big', size)
        image = make_image(self.src, self.prefix + '-big', path)
        blob = os.path.join(
            self.data_dir, 'image_blobs', '%s-%s' % (image.id, image.name)
        )
        argv = [self.openstack_cli] + self.argv(
            'export image',
            '--progress',
            cloud_option='--src-cloud',
            cloud='src',
        )
        proc = subprocess.Popen(
            argv,
            env=self.cli_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.addCleanup(proc.wait)
        self.addCleanup(proc.kill)
        # Kill it once the progress bar shows it between 5% and 60%.
        seen = b''
        sel = selectors.DefaultSelector()
        sel.register(proc.stderr, selectors.EVENT_READ)
        deadline = time.monotonic() + base.WAIT
        killed = False
        while not killed and time.monotonic() < deadline:
            if not sel.select(timeout=deadline - time.monotonic()):
                break
            data = os.read(proc.stderr.fileno(), 65536)
            if not data:
                break
            seen += data
            for line in seen.split(b'\r')[-2:]:
                words = line.split()
                pct = [w for w in words if w.endswith(b'%')]
                if pct and 5 <= int(pct[0][:-1]) < 60:
                    proc.send_signal(signal.SIGKILL)
                    killed = True
                    break
        proc.wait()
        self.assertTrue(killed, 'export not caught half-way: %r' % seen)
        self.assertFalse(os.path.exists(blob))
        part_size = os.path.getsize(blob + '.part')
        self.assertGreater(part_size, 0)
        self.assertLess(part_size, size)

        result = subprocess.run(
            [self.openstack_cli, '--debug']
            + self.argv(
                'export image', cloud_option='--src-cloud', cloud='src'
            ),
            env=self.cli_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=self.CLI_TIMEOUT,
        )
        self.assertEqual(0, result.returncode, result.stderr[-3000:])
        self.assertEqual(1, json.loads(result.stdout)[0]['Exported'])
        # Only the rest was asked for.
        rerun = result.stderr
        self.assertIn('Range: bytes=%d-' % part_size, rerun)
        self.assertIn('resumed at byte %d' % part_size, rerun)
        self.assertFalse(os.path.exists(blob + '.part'))
        self.assertEqual(size, os.path.getsize(blob))
        self.assertEqual(image.hash_value, _sha512(blob))

    def test_no_blobs_then_direct_import(self):
        path = self.file('direct', 5 * MiB + 3)
        image = make_image(self.src, self.prefix + '-direct', path)
        self.export('--no-blobs')
        self.assertEqual([], self.blobs())
        self.assertEqual([self.prefix + '-direct'], list(self.entries()))

        rows, stderr = self.import_(expect_fail=True)
        expected = os.path.join(
            self.data_dir, 'image_blobs', '%s-%s' % (image.id, image.name)
        )
        self.assertEqual(
            [
                {
                    'Type': 'openstack.image.Image',
                    'Name': self.prefix + '-direct',
                    'Action': 'blocked',
                    'Detail': 'blob: %s does not exist (export the image '
                    'without --no-blobs, or import with --direct '
                    '--src-cloud <cloud>)' % expected,
                }
            ],
            rows,
        )
        self.assertIn('images.yml', stderr)
        self.assertEqual({}, self.mine(self.dst))

        rows = self.import_('--direct', '--src-cloud', 'src')
        self.assertEqual(
            {self.prefix + '-direct': 'created'}, self.actions(rows)
        )
        self.assertEqual([], self.blobs())
        self.assert_same_bytes(
            self.src.image.get_image(image.id),
            self.mine(self.dst)[self.prefix + '-direct'],
        )
        rows = self.import_('--direct', '--src-cloud', 'src')
        self.assertEqual(
            {self.prefix + '-direct': 'unchanged'}, self.actions(rows)
        )

    def test_conflicting_destination_image(self):
        name = self.prefix + '-clash'
        make_image(self.src, name, self.file('mine', MiB))
        theirs = make_image(self.dst, name, self.file('theirs', MiB))
        self.export()

        rows, stderr = self.import_(expect_fail=True)
        self.assertEqual({name: 'conflict'}, self.actions(rows))
        self.assertIn(
            "images.yml: openstack.image.Image %r: conflict: checksum: the "
            "destination image %s holds other bytes" % (name, theirs.id),
            stderr,
        )
        left = self.mine(self.dst)
        self.assertEqual([name], list(left))
        self.assertEqual(theirs.id, left[name].id)
        self.assertEqual(theirs.checksum, left[name].checksum)
        self.assertEqual(theirs.updated_at, left[name].updated_at)
