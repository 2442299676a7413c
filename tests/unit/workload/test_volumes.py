#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

"""The journalled import of detached volumes (the type's declaration:
tests/unit/resources/test_volume.py)."""

import io
import logging
import os
import threading
import types

import fixtures
from oslotest import base

from osmigrateclient import alltypes
from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient import movers
from osmigrateclient import progress as progress_mod
from osmigrateclient import resources
from osmigrateclient.resources import refs
from osmigrateclient.resources import volume
from osmigrateclient.transfer import blockcopy
from osmigrateclient.transfer import image_blobs
from osmigrateclient.workload import volume_journal
from osmigrateclient.workload import volumes
from tests.unit.transfer import fakes as transfer_fakes


_sdk_volume = transfer_fakes.sdk_volume
_conn = transfer_fakes.conn
_hosts = transfer_fakes.save_hosts
HostRunner = transfer_fakes.HostRunner


class TestConversionHostCopy(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        _hosts(self.data_dir)
        self.log = []
        self.src_volumes = {'v1': _sdk_volume()}
        self.dst_volumes = {}
        self.src = _conn(self.src_volumes, self.log, 'src')
        self.dst = _conn(self.dst_volumes, self.log, 'dst')
        self.copies = []
        self.fail_copy = None
        self.during_copy = None
        self._resource()

        def copy(copier, vol, verify=True):
            self.copies.append(
                (
                    copier.source.address,
                    copier.dest.address,
                    copier.link.address,
                    vol,
                )
            )
            if self.during_copy:
                self.during_copy(copier)
            if self.fail_copy:
                raise self.fail_copy
            if not verify:
                return blockcopy.Result(vol.size, '', '', 1.0)
            return blockcopy.Result(vol.size, 'xxh128', 'abc', 1.0)

        self.useFixture(
            fixtures.MockPatchObject(blockcopy.BlockCopy, 'copy', copy)
        )

    def _resource(self, runner=None):
        """The volume type; the lookups of the test give it this mover."""
        res = volume.Volume()
        self.mover = volumes.VolumeMover(
            res,
            runner=runner or HostRunner(),
            progress=progress_mod.Progress(io.StringIO()),
            clock=lambda: 0.0,
            pause=lambda s: None,
        )
        return res

    def _lookup(self, **options):
        options.setdefault('transfer_method', 'conversion-host')
        options.setdefault('src_cloud', 'src')
        return refs.Lookup(
            self.dst,
            data_dir=self.data_dir,
            options=types.SimpleNamespace(**options),
            connect=lambda side: self.src,
            movers=movers.Movers(volume=self.mover),
        )

    def _entry(self, res, **kw):
        return res.from_sdk(self._lookup(), _sdk_volume(**kw))

    def test_copy_attaches_copies_detaches(self):
        res = self._resource()
        obj = res.create(self._lookup(), self._entry(res))
        self.assertEqual('new', obj.id)
        self.assertEqual(
            [
                ('attach', 'src', 'S', 'v1'),
                ('attach', 'dst', 'D', 'new'),
                ('detach', 'src', 'S', 'v1'),
                ('detach', 'dst', 'D', 'new'),
            ],
            [c for c in self.log if c[0] in ('attach', 'detach')],
        )
        self.assertEqual(
            [
                (
                    '10.1.0.5',
                    '10.2.0.5',
                    '10.1.0.5',
                    blockcopy.Volume(
                        '/dev/disk/by-id/virtio-v1',
                        '/dev/disk/by-id/virtio-new',
                        1024**3,
                        dest_is_zero=True,
                        label='data',
                    ),
                )
            ],
            self.copies,
        )
        self.assertEqual(
            {
                'state': 'done',
                'dest_id': 'new',
                # What a killed create would need to find the volume.
                'creating': {'name': 'data', 'size': 1, 'before': []},
                'attached': [],
                'algo': 'xxh128',
                'digest': 'abc',
            },
            volume_journal.Journal(self.data_dir).get('v1'),
        )
        self.assertEqual('available', self.src_volumes['v1'].status)

    def test_lsblk_fallback(self):
        res = self._resource(HostRunner(by_id=False))
        res.create(self._lookup(), self._entry(res))
        self.assertEqual('/dev/vdb', self.copies[0][3].source_device)

    def test_failure_detaches_and_deletes(self):
        self.fail_copy = exceptions.MigrateError('copy broke')
        res = self._resource()
        e = self.assertRaises(
            exceptions.MigrateError,
            res.create,
            self._lookup(),
            self._entry(res),
        )
        self.assertEqual('copy broke', str(e))
        self.assertEqual(
            [
                ('attach', 'src', 'S', 'v1'),
                ('attach', 'dst', 'D', 'new'),
                ('detach', 'src', 'S', 'v1'),
                ('detach', 'dst', 'D', 'new'),
                ('delete_volume', 'new'),
            ],
            [c for c in self.log if c[0] != 'create_volume'],
        )
        self.assertEqual({}, self.dst_volumes)
        self.assertEqual(
            {
                'state': 'started',
                'dest_id': None,
                'creating': {'name': 'data', 'size': 1, 'before': []},
                'attached': [],
            },
            volume_journal.Journal(self.data_dir).get('v1'),
        )

    def test_failed_clean_up_reports_the_failure(self):
        self.fail_copy = exceptions.MigrateError('copy broke')

        def refuse(vid, ignore_missing=True):
            raise exceptions.MigrateError('cinder says no')

        self.dst.block_storage.delete_volume = refuse
        res = self._resource()
        e = self.assertRaises(
            exceptions.MigrateError,
            res.create,
            self._lookup(),
            self._entry(res),
        )
        self.assertEqual('copy broke', str(e))
        # The next run finds the half-made volume in the journal.
        self.assertEqual(
            {
                'state': 'started',
                'dest_id': 'new',
                'creating': {'name': 'data', 'size': 1, 'before': []},
                'attached': [],
            },
            volume_journal.Journal(self.data_dir).get('v1'),
        )
        with open(volume_journal.log_path(self.data_dir, 'v1')) as f:
            self.assertIn(
                'WARNING Cannot clean up after copy broke: cinder says no',
                f.read(),
            )

    def test_leftover_attachments_of_a_killed_run_are_detached(self):
        self.dst_volumes['old'] = _sdk_volume(id='old', status='in-use')
        self.src_volumes['v1'].status = 'in-use'
        volume_journal.Journal(self.data_dir).set(
            'v1',
            state='started',
            dest_id='old',
            attached=[
                {'side': 'src', 'server': 'S', 'volume': 'v1'},
                {'side': 'dst', 'server': 'D', 'volume': 'old'},
            ],
        )
        res = self._resource()
        res.create(self._lookup(), self._entry(res))
        self.assertEqual(
            [
                ('detach', 'src', 'S', 'v1'),
                ('detach', 'dst', 'D', 'old'),
                ('delete_volume', 'old'),
            ],
            self.log[:3],
        )
        self.assertEqual(['new'], list(self.dst_volumes))

    def test_source_left_on_the_source_host_by_a_late_attach(self):
        # Found by the fault campaign (tools/chaos): an attach answered too
        # late lands after the failed run's clean-up, nothing in the
        # journal; every later run refused the source volume as in-use.
        self.src_volumes['v1'].status = 'in-use'
        self.src_volumes['v1'].attachments = [{'server_id': 'S'}]
        res = self._resource()
        obj = res.create(self._lookup(), self._entry(res))
        self.assertEqual('new', obj.id)
        self.assertEqual(
            [
                ('attach', 'dst', 'D', 'new'),
                ('detach', 'src', 'S', 'v1'),
                ('detach', 'dst', 'D', 'new'),
            ],
            [c for c in self.log if c[0] in ('attach', 'detach')],
        )
        self.assertEqual('available', self.src_volumes['v1'].status)

    def test_source_in_use_elsewhere_is_refused(self):
        self.src_volumes['v1'].status = 'in-use'
        self.src_volumes['v1'].attachments = [{'server_id': 'vm'}]
        res = self._resource()
        e = self.assertRaises(
            exceptions.MigrateError,
            res.create,
            self._lookup(),
            self._entry(res),
        )
        self.assertEqual(
            'the source volume v1 is in-use, not available', str(e)
        )
        self.assertEqual([], [c for c in self.log if c[0] == 'attach'])

    def test_lost_answer_of_the_create(self):
        # Found by the fault campaign (tools/chaos): the volume a create
        # call made without its answer coming back stayed, and the next
        # run made another one of the same name.
        self.dst_volumes['earlier'] = _sdk_volume(id='earlier')
        block = self.dst.block_storage
        create = block.create_volume

        def lost(**attrs):
            create(**attrs)
            raise exceptions.MigrateError('connection reset by peer')

        block.create_volume = lost
        res = self._resource()
        self.assertRaises(
            exceptions.MigrateError,
            res.create,
            self._lookup(),
            self._entry(res),
        )
        self.assertEqual(['earlier'], sorted(self.dst_volumes))
        del block.create_volume
        obj = res.create(self._lookup(), self._entry(res))
        self.assertEqual(['earlier', obj.id], sorted(self.dst_volumes))

    def test_create_that_lands_after_the_clean_up(self):
        # Found by the fault campaign (tools/chaos): a create held past
        # the client's timeout made its volume after the failed run had
        # cleaned up; the next run made a second one.
        self.dst_volumes['earlier'] = _sdk_volume(id='earlier')
        block = self.dst.block_storage
        create = block.create_volume

        def timed_out(**attrs):
            raise exceptions.MigrateError('timed out')

        block.create_volume = timed_out
        res = self._resource()
        self.assertRaises(
            exceptions.MigrateError,
            res.create,
            self._lookup(),
            self._entry(res),
        )
        # Then the held request reaches Cinder.
        self.dst_volumes['late'] = _sdk_volume(id='late')
        block.create_volume = create
        obj = res.create(self._lookup(), self._entry(res))
        self.assertEqual(['earlier', obj.id], sorted(self.dst_volumes))

    def test_volume_of_a_create_killed_before_its_answer_is_deleted(self):
        self.dst_volumes['earlier'] = _sdk_volume(id='earlier')
        self.dst_volumes['orphan'] = _sdk_volume(id='orphan')
        volume_journal.Journal(self.data_dir).set(
            'v1',
            state='started',
            dest_id=None,
            creating={'name': 'data', 'size': 1, 'before': ['earlier']},
        )
        res = self._resource()
        obj = res.create(self._lookup(), self._entry(res))
        self.assertIn(('delete_volume', 'orphan'), self.log)
        self.assertEqual(['earlier', obj.id], sorted(self.dst_volumes))

    def test_no_verify_records_no_hash(self):
        res = self._resource()
        res.create(self._lookup(volume_verify=False), self._entry(res))
        record = volume_journal.Journal(self.data_dir).get('v1')
        self.assertEqual(
            ('done', '', ''),
            (record['state'], record['algo'], record['digest']),
        )

    def test_steps_logged_to_the_data_dir(self):
        res = self._resource()
        res.create(self._lookup(), self._entry(res))
        path = os.path.join(self.data_dir, 'volume_logs', 'v1.log')
        self.assertEqual(0o600, os.stat(path).st_mode & 0o777)
        with open(path) as f:
            lines = f.read().splitlines()
        # "<date> <time>,<ms> INFO <message>"
        self.assertRegex(
            lines[0], r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ INFO '
        )
        messages = [line.split(' ', 3)[3] for line in lines]
        self.assertEqual(
            "Importing volume v1 ('data') by conversion-host", messages[0]
        )
        self.assertIn(
            'Copied data: 1073741824 bytes in 1.0 s, xxh128 abc', messages
        )
        self.assertEqual(
            'Volume v1 is now new in the destination', messages[-1]
        )

    def test_failure_logged_to_the_data_dir(self):
        self.fail_copy = exceptions.MigrateError('copy broke')
        res = self._resource()
        self.assertRaises(
            exceptions.MigrateError,
            res.create,
            self._lookup(),
            self._entry(res),
        )
        path = os.path.join(self.data_dir, 'volume_logs', 'v1.log')
        with open(path) as f:
            text = f.read()
        self.assertIn('Deleting the half-made volume new', text)
        self.assertTrue(
            text.splitlines()[-1].endswith(' ERROR Failed: copy broke')
        )

    def test_import_workers_and_token_warning(self):
        logs = self.useFixture(fixtures.FakeLogger(level=logging.WARNING))
        self.dst.config = types.SimpleNamespace(
            config={'auth_type': 'password'}
        )
        self.src.config = types.SimpleNamespace(
            config={'auth_type': 'v3token'}
        )
        self.assertEqual(
            2, volume.Volume().import_workers(self._lookup(volume_parallel=2))
        )
        self.assertEqual(
            'The source cloud authenticates with a token (auth_type '
            'v3token): it cannot be renewed, and a long volume copy may '
            'outlive it; a password or application credential is renewed '
            'as needed\n',
            logs.output,
        )

    def test_parallel_import(self):
        self.src_volumes['v2'] = _sdk_volume(id='v2', name='data2')
        res = self._resource()
        entries = [self._entry(res), self._entry(res, id='v2', name='data2')]
        datafile.write(os.path.join(self.data_dir, res.file_name), entries)
        both = threading.Barrier(2, timeout=10)
        self.during_copy = lambda copier: both.wait()
        self.useFixture(
            fixtures.MockPatchObject(
                resources, 'by_cli_name', lambda: {'volume': res}
            )
        )
        outcomes = alltypes.import_(
            [res],
            self._lookup(volume_parallel=2),
            self.data_dir,
            lambda name: True,
        )
        self.assertEqual(
            [('data', 'created'), ('data2', 'created')],
            [(o.name, o.action) for o in outcomes],
        )
        journal = volume_journal.Journal(self.data_dir)
        self.assertEqual(
            {'done'}, {journal.get(v)['state'] for v in ('v1', 'v2')}
        )
        self.assertEqual(
            {'new', 'new1'}, {journal.get(v)['dest_id'] for v in ('v1', 'v2')}
        )
        self.assertEqual(
            {'available'}, {v.status for v in self.src_volumes.values()}
        )


class FakeImages:
    def __init__(self, log, side):
        self.log, self.side = log, side
        self.images = {}

    def create_image(self, **attrs):
        image = types.SimpleNamespace(
            id='%s-img' % self.side, status='queued', **attrs
        )
        self.images[image.id] = image
        return image

    def get_image(self, image_id):
        return self.images[image_id]

    def delete_image(self, image_id, ignore_missing=True):
        self.log.append(('delete_image', self.side, image_id))
        self.images.pop(image_id, None)


class TestImageCopy(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        self.log = []
        self.src_volumes = {'v1': _sdk_volume()}
        self.dst_volumes = {}
        self.src = _conn(self.src_volumes, self.log, 'src')
        self.dst = _conn(self.dst_volumes, self.log, 'dst')
        self.src.image = FakeImages(self.log, 'src')
        self.dst.image = FakeImages(self.log, 'dst')

        def upload(volume, name, **kw):
            self.src.image.images['src-img'] = types.SimpleNamespace(
                id='src-img',
                status='active',
                disk_format='qcow2',
                container_format='bare',
                size=6,
                hash_algo='sha512',
                hash_value='abc',
                checksum='def',
            )
            return {'image_id': 'src-img'}

        self.src.block_storage.upload_volume_to_image = upload

        def copy(src, image_id, digest, dst, image, progress, label):
            meter = progress.start(label, digest.size)
            meter.update(6)
            meter.finish()
            return 6

        self.useFixture(fixtures.MockPatchObject(image_blobs, 'copy', copy))
        self.useFixture(
            fixtures.MockPatchObject(
                image_blobs, 'check_uploaded', lambda image, digest: ''
            )
        )

    def test_copy_through_images(self):
        res = volume.Volume()
        mover = volumes.VolumeMover(
            res,
            progress=progress_mod.Progress(io.StringIO()),
            clock=lambda: 0.0,
            pause=lambda s: None,
        )
        lookup = refs.Lookup(
            self.dst,
            data_dir=self.data_dir,
            options=types.SimpleNamespace(
                transfer_method='image', src_cloud='src'
            ),
            connect=lambda side: self.src,
            movers=movers.Movers(volume=mover),
        )
        entry = res.from_sdk(lookup, _sdk_volume())
        obj = res.create(lookup, entry)
        self.assertEqual('new', obj.id)
        [(_, attrs)] = [c for c in self.log if c[0] == 'create_volume']
        self.assertEqual('dst-img', attrs['image_id'])
        self.assertEqual(
            [
                ('delete_image', 'src', 'src-img'),
                ('delete_image', 'dst', 'dst-img'),
            ],
            [c for c in self.log if c[0] == 'delete_image'],
        )
        self.assertEqual(
            {
                'state': 'done',
                'dest_id': 'new',
                'creating': {'name': 'data', 'size': 1, 'before': []},
                'src_image_id': None,
                'dst_image_id': None,
            },
            volume_journal.Journal(self.data_dir).get('v1'),
        )
        with open(volume_journal.log_path(self.data_dir, 'v1')) as f:
            text = f.read()
        self.assertIn('Copied data: 6 bytes in ', text)
        self.assertIn(', sha512 abc\n', text)
