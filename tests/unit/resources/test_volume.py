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
from osmigrateclient.transfer import blockcopy
from osmigrateclient.transfer import conversion_host
from osmigrateclient.transfer import ssh


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

    def test_conversion_host_method_needs_hosts(self):
        entry = volume.Volume().from_sdk(self._lookup(), _sdk_volume())
        plan = volume.Volume().plan(self._lookup(), entry)
        self.assertEqual(
            (
                resource_base.BLOCKED,
                'transfer: no src or dst conversion host: run "openstack '
                'migrate conversion host deploy" first, or use '
                '--transfer-method image',
            ),
            plan[:2],
        )

    def test_conversion_host_method_with_hosts(self):
        _hosts(self.data_dir)
        entry = volume.Volume().from_sdk(self._lookup(), _sdk_volume())
        plan = volume.Volume().plan(self._lookup(), entry)
        self.assertEqual(resource_base.CREATE, plan.action)

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


def _hosts(data_dir):
    conversion_host.save_hosts(
        data_dir,
        {
            'src': {'name': 'cs', 'server_id': 'S', 'address': '10.1.0.5'},
            'dst': {'name': 'cd', 'server_id': 'D', 'address': '10.2.0.5'},
        },
    )


class FakeBlockStorage:
    def __init__(self, volumes, log):
        self.volumes, self.log = volumes, log

    def get_volume(self, vid):
        return self.volumes[vid]

    def find_volume(self, vid):
        return self.volumes.get(vid)

    def create_volume(self, **attrs):
        self.log.append(('create_volume', attrs))
        vol = _sdk_volume(
            id='new',
            status='available',
            **{k: v for k, v in attrs.items() if k != 'size'},
        )
        self.volumes['new'] = vol
        return vol

    def delete_volume(self, vid, ignore_missing=True):
        self.log.append(('delete_volume', vid))
        self.volumes.pop(vid, None)


class FakeCompute:
    def __init__(self, volumes, log, side):
        self.volumes, self.log, self.side = volumes, log, side

    def create_volume_attachment(self, server, volume_id):
        self.log.append(('attach', self.side, server, volume_id))
        self.volumes[volume_id].status = 'in-use'

    def delete_volume_attachment(self, server, volume, ignore_missing=True):
        self.log.append(('detach', self.side, server, volume))
        self.volumes[volume].status = 'available'


def _conn(volumes, log, side):
    return types.SimpleNamespace(
        block_storage=FakeBlockStorage(volumes, log),
        compute=FakeCompute(volumes, log, side),
    )


class HostRunner:
    """Devices show up by serial; the copy itself is faked below."""

    def __init__(self, by_id=True):
        self.by_id = by_id

    def run(self, argv, timeout=None, input=None):
        cmd = argv[-1]
        assert 'lsblk' in cmd, cmd
        serial = cmd.split('"')[1]
        if self.by_id:
            return ssh.Completed(0, '/dev/disk/by-id/virtio-%s\n' % serial, '')
        return ssh.Completed(0, '/dev/vdb\n', '')


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

        def copy(copier, vol, verify=True):
            self.copies.append(
                (
                    copier.source.address,
                    copier.dest.address,
                    copier.link.address,
                    vol,
                )
            )
            if self.fail_copy:
                raise self.fail_copy
            return blockcopy.Result(vol.size, 'xxh128', 'abc', 1.0)

        self.useFixture(
            fixtures.MockPatchObject(blockcopy.BlockCopy, 'copy', copy)
        )

    def _resource(self, runner=None):
        res = volume.Volume()
        res.runner = runner or HostRunner()
        res.clock = lambda: 0.0
        res.pause = lambda s: None
        return res

    def _lookup(self):
        return refs.Lookup(
            self.dst,
            data_dir=self.data_dir,
            options=types.SimpleNamespace(
                transfer_method='conversion-host', src_cloud='src'
            ),
            connect=lambda side: self.src,
        )

    def _entry(self, res):
        return res.from_sdk(self._lookup(), _sdk_volume())

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
                'attached': [],
                'algo': 'xxh128',
                'digest': 'abc',
            },
            volume.Journal(self.data_dir).get('v1'),
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
            {'state': 'started', 'dest_id': None, 'attached': []},
            volume.Journal(self.data_dir).get('v1'),
        )

    def test_leftover_attachments_of_a_killed_run_are_detached(self):
        self.dst_volumes['old'] = _sdk_volume(id='old', status='in-use')
        self.src_volumes['v1'].status = 'in-use'
        volume.Journal(self.data_dir).set(
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
