#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

import io
import logging
import os
import subprocess
import threading
import types

import fixtures
from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient import progress as progress_mod
from osmigrateclient.transfer import blockcopy
from osmigrateclient.transfer import conversion_host
from osmigrateclient.transfer import ssh
from osmigrateclient.transfer import volume_copy


def sdk_volume(**kw):
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


class FakeBlockStorage:
    """Volumes in a dict; new ones get ``new_status``, deleted ones
    ``delete_status`` (gone when None)."""

    def __init__(self, volumes, log):
        self.store, self.log = volumes, log
        self.new_status = 'available'
        self.delete_status = None
        self.lock = threading.Lock()
        self.made = 0

    def get_volume(self, vid):
        return self.store[vid]

    def volumes(self, name=None):
        return [
            v
            for v in list(self.store.values())
            if name is None or v.name == name
        ]

    def find_volume(self, vid):
        return self.store.get(vid)

    def extend_volume(self, volume, size):
        self.log.append(('extend_volume', volume.id, size))
        volume.status, volume.size = 'available', size

    def create_volume(self, **attrs):
        with self.lock:
            vid = 'new' if not self.made else 'new%d' % self.made
            self.made += 1
        self.log.append(('create_volume', attrs))
        vol = sdk_volume(
            id=vid,
            status=self.new_status,
            **{k: v for k, v in attrs.items() if k != 'size'},
        )
        self.store[vid] = vol
        return vol

    def delete_volume(self, vid, ignore_missing=True):
        self.log.append(('delete_volume', vid))
        if self.delete_status and vid in self.store:
            self.store[vid].status = self.delete_status
        else:
            self.store.pop(vid, None)


class FakeCompute:
    def __init__(self, volumes, log, side):
        self.volumes, self.log, self.side = volumes, log, side
        self.fail_detach = None

    def create_volume_attachment(self, server, volume_id):
        self.log.append(('attach', self.side, server, volume_id))
        self.volumes[volume_id].status = 'in-use'

    def delete_volume_attachment(self, server, volume, ignore_missing=True):
        # A Server resource: openstacksdk must not look the server up.
        self.log.append(('detach', self.side, server.id, volume))
        if self.fail_detach:
            raise self.fail_detach
        if volume in self.volumes:
            self.volumes[volume].status = 'available'


def conn(volumes, log, side):
    return types.SimpleNamespace(
        block_storage=FakeBlockStorage(volumes, log),
        compute=FakeCompute(volumes, log, side),
    )


class HostRunner:
    """Devices show up by serial; the copy itself is faked."""

    def __init__(self, by_id=True):
        self.by_id = by_id

    def run(self, argv, timeout=None, input=None):
        cmd = argv[-1]
        assert 'lsblk' in cmd, cmd
        serial = cmd.split(' S=')[1].split()[0]
        if self.by_id:
            return ssh.Completed(0, '/dev/disk/by-id/virtio-%s\n' % serial, '')
        return ssh.Completed(0, '/dev/vdb\n', '')


def save_hosts(data_dir):
    conversion_host.save_hosts(
        data_dir,
        {
            'src': {'name': 'cs', 'server_id': 'S', 'address': '10.1.0.5'},
            'dst': {'name': 'cd', 'server_id': 'D', 'address': '10.2.0.5'},
        },
    )


def no_pause(seconds):
    pass


class Clock:
    """A clock that moves on by ``step`` seconds at each reading."""

    def __init__(self, step=1.0):
        self.now, self.step = 0.0, step

    def __call__(self):
        self.now += self.step
        return self.now


class TestUnansweredCreate(base.BaseTestCase):
    def test_only_the_new_free_volume_of_that_name_and_size_goes(self):
        log = []
        volumes = {
            'before': sdk_volume(id='before'),
            'other-name': sdk_volume(id='other-name', name='x'),
            'other-size': sdk_volume(id='other-size', size=2),
            'attached': sdk_volume(
                id='attached', attachments=[{'server_id': 'S'}]
            ),
        }
        c = conn(volumes, log, 'dst')
        notes = []
        made = volume_copy.start_create(
            c, {'name': 'data', 'size': 1}, pending=notes.append
        )
        self.assertEqual(
            [
                {
                    'name': 'data',
                    'size': 1,
                    'before': ['attached', 'before', 'other-size'],
                }
            ],
            notes,
        )
        volumes['attached2'] = sdk_volume(
            id='attached2', attachments=[{'server_id': 'S'}]
        )
        # Cinder is still making it: deleted once it is not "creating".
        made.status = 'creating'
        statuses = iter(['creating', 'available'])

        def settle(seconds):
            made.status = next(statuses)

        deleted = volume_copy.delete_unrecorded(
            c, notes[0], 10, lambda: 0.0, settle
        )
        self.assertEqual([made.id], deleted)
        self.assertEqual(
            ['attached', 'attached2', 'before', 'other-name', 'other-size'],
            sorted(volumes),
        )
        self.assertEqual([('delete_volume', made.id)], log[1:])

    def test_nothing_noted(self):
        c = conn({'v': sdk_volume(id='v')}, [], 'dst')
        self.assertEqual([], volume_copy.delete_unrecorded(c, None, 10))


class TestDetachAll(base.BaseTestCase):
    def test_volume_in_use_elsewhere_is_detached_from_that_server(self):
        # Found by the fault campaign (tools/chaos): a failed run's revert
        # attached a source volume back to its server while the record of
        # its conversion host attachment stayed; the next run waited for
        # it to be "available" until the timeout (30 minutes).
        log = []
        volumes = {
            'v1': sdk_volume(
                id='v1',
                status='in-use',
                attachments=[{'server_id': 'vm1'}],
            )
        }
        c = conn(volumes, log, 'src')
        c.compute.delete_volume_attachment = lambda server, volume, **kw: (
            log.append(('detach', server.id, volume))
        )
        pauses = []
        volume_copy.detach_all(
            {'src': c},
            [{'side': 'src', 'server': 'S', 'volume': 'v1'}],
            10,
            lambda: 0.0,
            pauses.append,
        )
        self.assertEqual([('detach', 'S', 'v1')], log)
        self.assertEqual([], pauses)

    def test_waits_while_detaching(self):
        volumes = {
            'v1': sdk_volume(
                id='v1', status='detaching', attachments=[{'server_id': 'S'}]
            )
        }
        c = conn(volumes, [], 'src')
        c.compute.delete_volume_attachment = lambda *a, **kw: None

        def settle(seconds):
            volumes['v1'].status = 'available'
            volumes['v1'].attachments = []

        pauses = []
        volume_copy.detach_all(
            {'src': c},
            [{'side': 'src', 'server': 'S', 'volume': 'v1'}],
            10,
            lambda: 0.0,
            lambda s: (pauses.append(s), settle(s)),
        )
        self.assertEqual(1, len(pauses))


class TestWait(base.BaseTestCase):
    def test_ready(self):
        got = iter(['creating', 'available'])
        pauses = []
        vol = volume_copy.wait(
            'volume x',
            lambda: types.SimpleNamespace(status=next(got)),
            lambda v: v.status == 'available',
            lambda v: False,
            10,
            lambda: 0.0,
            pauses.append,
        )
        self.assertEqual('available', vol.status)
        self.assertEqual([volume_copy.POLL_FIRST], pauses)

    def test_times_out(self):
        now = iter([0.0, 0.0, 5.0])
        e = self.assertRaises(
            exceptions.MigrateError,
            volume_copy.wait,
            'volume x',
            lambda: types.SimpleNamespace(status='creating'),
            lambda v: False,
            lambda v: False,
            1,
            lambda: next(now),
            no_pause,
        )
        self.assertEqual('volume x: still creating after 1 s', str(e))

    def test_failed(self):
        e = self.assertRaises(
            exceptions.MigrateError,
            volume_copy.wait,
            'volume x',
            lambda: types.SimpleNamespace(status='error'),
            lambda v: False,
            lambda v: v.status == 'error',
            1,
            lambda: 0.0,
            no_pause,
        )
        self.assertEqual('volume x: status error', str(e))


class TestVolumes(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.log = []
        self.volumes = {}
        self.conn = conn(self.volumes, self.log, 'dst')

    def test_create_records_then_waits(self):
        recorded = []
        vol = volume_copy.create_volume(
            self.conn,
            {'name': 'x', 'size': 1},
            10,
            recorded.append,
            lambda: 0.0,
            no_pause,
        )
        self.assertEqual('new', vol.id)
        self.assertEqual(['new'], recorded)
        self.assertEqual(
            [('create_volume', {'name': 'x', 'size': 1})], self.log
        )

    def test_create_error(self):
        self.conn.block_storage.new_status = 'error'
        recorded = []
        e = self.assertRaises(
            exceptions.MigrateError,
            volume_copy.create_volume,
            self.conn,
            {'size': 1},
            10,
            recorded.append,
            lambda: 0.0,
            no_pause,
        )
        self.assertEqual('volume new: status error', str(e))
        self.assertEqual(['new'], recorded)

    def test_create_times_out(self):
        self.conn.block_storage.new_status = 'creating'
        e = self.assertRaises(
            exceptions.MigrateError,
            volume_copy.create_volume,
            self.conn,
            {'size': 1},
            3,
            clock=Clock(),
            pause=no_pause,
        )
        self.assertEqual('volume new: still creating after 3 s', str(e))

    def test_grow(self):
        self.volumes['v9'] = sdk_volume(id='v9', size=1, status='available')
        self.assertFalse(
            volume_copy.grow(self.conn, 'v9', 1, 10, lambda: 0.0, no_pause)
        )
        self.assertEqual([], self.log)
        self.assertTrue(
            volume_copy.grow(self.conn, 'v9', 3, 10, lambda: 0.0, no_pause)
        )
        self.assertEqual([('extend_volume', 'v9', 3)], self.log)
        self.assertEqual(3, self.volumes['v9'].size)

    def test_grow_waits_for_an_extend_under_way(self):
        self.volumes['v9'] = sdk_volume(id='v9', size=1, status='extending')
        e = self.assertRaises(
            exceptions.MigrateError,
            volume_copy.grow,
            self.conn,
            'v9',
            2,
            2,
            Clock(),
            no_pause,
        )
        self.assertEqual(
            'extending volume v9 to 2 GiB: still extending after 2 s', str(e)
        )
        self.assertEqual([], self.log)

    def test_delete(self):
        self.volumes['v9'] = sdk_volume(id='v9')
        volume_copy.delete_volume(self.conn, 'v9', 10, lambda: 0.0, no_pause)
        self.assertEqual({}, self.volumes)
        # Missing is fine.
        volume_copy.delete_volume(self.conn, 'v9', 10, lambda: 0.0, no_pause)

    def test_delete_error(self):
        self.volumes['v9'] = sdk_volume(id='v9')
        self.conn.block_storage.delete_status = 'error_deleting'
        e = self.assertRaises(
            exceptions.MigrateError,
            volume_copy.delete_volume,
            self.conn,
            'v9',
            10,
            lambda: 0.0,
            no_pause,
        )
        self.assertEqual('deleting volume v9: status error_deleting', str(e))

    def test_delete_times_out(self):
        self.volumes['v9'] = sdk_volume(id='v9')
        self.conn.block_storage.delete_status = 'deleting'
        e = self.assertRaises(
            exceptions.MigrateError,
            volume_copy.delete_volume,
            self.conn,
            'v9',
            2,
            Clock(),
            no_pause,
        )
        self.assertEqual(
            'deleting volume v9: still deleting after 2 s', str(e)
        )


class TestDevices(base.BaseTestCase):
    def test_device_script(self):
        script = volume_copy.device_script('0123456789abcdefghijKLMN')
        self.assertIn(
            '[ -b /dev/disk/by-id/virtio-0123456789abcdefghij ]', script
        )
        self.assertIn(
            'S=0123456789abcdefghij awk \'$2 == ENVIRON["S"]', script
        )

    def test_device_script_quotes_the_volume_id(self):
        # A volume id from a data file or a cloud reaches a root shell.
        script = volume_copy.device_script('$(touch "$F")')
        d = self.useFixture(fixtures.TempDir()).path
        marker = os.path.join(d, 'hit')
        subprocess.run(
            ['sh', '-c', script],
            env={'PATH': os.environ['PATH'], 'F': marker},
            capture_output=True,
        )
        self.assertFalse(os.path.exists(marker))

    def test_find_device(self):
        host = ssh.Host('10.0.0.1', 'k', 'kh')
        self.assertEqual(
            '/dev/vdb', volume_copy.find_device(HostRunner(False), host, 'v1')
        )

    def test_find_device_not_yet(self):
        class Nothing:
            def run(self, argv, timeout=None, input=None):
                return ssh.Completed(0, '\n', '')

        host = ssh.Host('10.0.0.1', 'k', 'kh')
        self.assertEqual('', volume_copy.find_device(Nothing(), host, 'v1'))


class TestCopier(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        save_hosts(self.data_dir)
        self.log = []
        self.src_volumes = {'v1': sdk_volume()}
        self.dst_volumes = {'d1': sdk_volume(id='d1')}
        self.src = conn(self.src_volumes, self.log, 'src')
        self.dst = conn(self.dst_volumes, self.log, 'dst')
        self.copies = []
        self.fail_copy = None
        self.during_copy = None

        def copy(copier, vol, verify=True):
            self.copies.append((copier, vol, verify))
            if self.during_copy:
                self.during_copy(copier)
            if self.fail_copy:
                raise self.fail_copy
            return blockcopy.Result(
                vol.size,
                'xxh128' if verify else '',
                'abc' if verify else '',
                2.0,
            )

        self.useFixture(
            fixtures.MockPatchObject(blockcopy.BlockCopy, 'copy', copy)
        )
        self.recorded = []

    def _copier(self, settings=volume_copy.DEFAULT_SETTINGS, **kw):
        kw.setdefault('runner', HostRunner())
        kw.setdefault('progress', progress_mod.Progress(io.StringIO()))
        return volume_copy.Copier(
            self.data_dir,
            self.src,
            self.dst,
            settings,
            clock=lambda: 0.0,
            pause=no_pause,
            **kw,
        )

    def _copy(self, copier, **kw):
        return copier.copy(
            'v1', 'd1', 1024**3, 'data', record=self.recorded.append, **kw
        )

    def test_no_hosts(self):
        conversion_host.save_hosts(self.data_dir, {'src': {'server_id': 'S'}})
        e = self.assertRaises(exceptions.MigrateError, self._copier)
        self.assertEqual(
            'no conversion hosts: run "openstack migrate conversion host '
            'deploy" first',
            str(e),
        )

    def test_copy(self):
        result = self._copy(self._copier())
        self.assertEqual(
            blockcopy.Result(1024**3, 'xxh128', 'abc', 2.0), result
        )
        self.assertEqual(
            [
                ('attach', 'src', 'S', 'v1'),
                ('attach', 'dst', 'D', 'd1'),
                ('detach', 'src', 'S', 'v1'),
                ('detach', 'dst', 'D', 'd1'),
            ],
            self.log,
        )
        [(blockcopier, vol, verify)] = self.copies
        self.assertEqual(
            (
                '10.1.0.5',
                '10.2.0.5',
                '10.1.0.5',
            ),
            (
                blockcopier.source.address,
                blockcopier.dest.address,
                blockcopier.link.address,
            ),
        )
        self.assertEqual(
            blockcopy.Volume(
                '/dev/disk/by-id/virtio-v1',
                '/dev/disk/by-id/virtio-d1',
                1024**3,
                True,
                'data',
            ),
            vol,
        )
        self.assertTrue(verify)
        src_item = {'side': 'src', 'server': 'S', 'volume': 'v1'}
        dst_item = {'side': 'dst', 'server': 'D', 'volume': 'd1'}
        # Both hosts attach at once: either may be recorded first.
        first, both, after = self.recorded
        self.assertIn(first, ([src_item], [dst_item]))
        self.assertCountEqual([src_item, dst_item], both)
        self.assertEqual([], after)
        self.assertEqual('available', self.src_volumes['v1'].status)
        self.assertEqual('available', self.dst_volumes['d1'].status)

    def test_attach_that_failed_in_nova(self):
        # Nova answered, then its compute service failed the attach: the
        # volume is available again, not a wait until the timeout.
        self.src.compute.create_volume_attachment = lambda server, volume_id: (
            None
        )
        self.src.block_storage.get_volume = lambda vid: sdk_volume(
            status='available'
        )
        e = self.assertRaises(
            exceptions.MigrateError, self._copy, self._copier()
        )
        self.assertEqual('volume v1 to attach: status available', str(e))

    def test_recorded_before_the_attach_call(self):
        seen = []
        self.src.compute.create_volume_attachment = lambda server, volume_id: (
            seen.append(list(self.recorded))
        )
        self.src.block_storage.get_volume = lambda vid: sdk_volume(
            status='error_attaching'
        )
        e = self.assertRaises(
            exceptions.MigrateError, self._copy, self._copier()
        )
        self.assertEqual('volume v1 to attach: status error_attaching', str(e))
        [[recorded]] = seen
        self.assertIn({'side': 'src', 'server': 'S', 'volume': 'v1'}, recorded)
        # Detached again (with the destination volume, attached meanwhile),
        # and recorded so.
        self.assertIn(('detach', 'src', 'S', 'v1'), self.log)
        self.assertEqual([], self.recorded[-1])

    def test_volume_on_its_host_already_is_used(self):
        # An earlier run's attach that landed after its clean-up.
        self.dst_volumes['d1'].status = 'in-use'
        self.dst_volumes['d1'].attachments = [{'server_id': 'D'}]
        copier = self._copier()
        self.assertTrue(copier.usable('dst', self.dst_volumes['d1']))
        self.assertFalse(copier.usable('src', self.dst_volumes['d1']))
        self._copy(copier)
        self.assertEqual(
            [
                ('attach', 'src', 'S', 'v1'),
                ('detach', 'src', 'S', 'v1'),
                ('detach', 'dst', 'D', 'd1'),
            ],
            self.log,
        )
        self.assertEqual('available', self.dst_volumes['d1'].status)

    def test_volume_in_use_elsewhere_is_not_usable(self):
        vol = sdk_volume(status='in-use', attachments=[{'server_id': 'vm'}])
        self.assertFalse(self._copier().usable('src', vol))
        vol.attachments.append({'server_id': 'S'})
        self.assertFalse(self._copier().usable('src', vol))

    def test_dest_not_zero_and_no_verify(self):
        copier = self._copier(volume_copy.Settings(verify=False))
        result = self._copy(copier, dest_is_zero=False)
        self.assertEqual(('', ''), (result.algo, result.digest))
        [(_, vol, verify)] = self.copies
        self.assertFalse(vol.dest_is_zero)
        self.assertFalse(verify)

    def test_failure_detaches_both(self):
        self.fail_copy = exceptions.MigrateError('copy broke')
        e = self.assertRaises(
            exceptions.MigrateError, self._copy, self._copier()
        )
        self.assertEqual('copy broke', str(e))
        self.assertCountEqual(
            [
                ('detach', 'src', 'S', 'v1'),
                ('detach', 'dst', 'D', 'd1'),
            ],
            self.log[2:],
        )
        self.assertEqual([], self.recorded[-1])

    def test_interrupt_detaches_both(self):
        self.fail_copy = KeyboardInterrupt()
        self.assertRaises(KeyboardInterrupt, self._copy, self._copier())
        self.assertEqual(4, len(self.log))
        self.assertEqual([], self.recorded[-1])

    def test_failed_detach_keeps_the_record_and_the_first_error(self):
        self.fail_copy = exceptions.MigrateError('copy broke')
        self.dst.compute.fail_detach = exceptions.MigrateError('nova says no')
        e = self.assertRaises(
            exceptions.MigrateError, self._copy, self._copier()
        )
        self.assertEqual('copy broke', str(e))
        self.assertEqual(2, len(self.recorded[-1]))

    def test_device_never_shows(self):
        class Nothing:
            def run(self, argv, timeout=None, input=None):
                return ssh.Completed(0, '', '')

        copier = volume_copy.Copier(
            self.data_dir,
            self.src,
            self.dst,
            volume_copy.Settings(timeout=3),
            runner=Nothing(),
            clock=Clock(),
            pause=no_pause,
        )
        e = self.assertRaises(exceptions.MigrateError, self._copy, copier)
        self.assertEqual(
            'the device of volume v1 on cs: still not there after 3 s', str(e)
        )
        self.assertIn(('detach', 'src', 'S', 'v1'), self.log[-2:])

    def test_detach_what_a_killed_run_recorded(self):
        self.src_volumes['v1'].status = 'in-use'
        self.dst_volumes['d1'].status = 'in-use'
        self._copier().detach(
            [
                {'side': 'src', 'server': 'S', 'volume': 'v1'},
                {'side': 'dst', 'server': 'D', 'volume': 'd1'},
                {'side': 'dst', 'server': 'D', 'volume': 'gone'},
            ]
        )
        self.assertEqual('available', self.src_volumes['v1'].status)
        self.assertEqual('available', self.dst_volumes['d1'].status)
        self.assertEqual(3, len(self.log))

    def test_steps_and_progress_logged(self):
        stream = io.StringIO()
        log = logging.Logger('test')  # noqa: LOG001
        handler = logging.StreamHandler(stream)
        log.addHandler(handler)

        def progress(blockcopier):
            meter = blockcopier.progress.start('volume data', 100)
            for _ in range(20):
                meter.update(5)
            meter.finish()

        self.during_copy = progress
        self._copy(self._copier(log=log))
        lines = stream.getvalue().splitlines()
        self.assertEqual(
            'Attaching volume v1 to conversion host cs (server S)', lines[0]
        )
        self.assertIn('Volume v1 is /dev/disk/by-id/virtio-v1 on cs', lines)
        self.assertIn(
            'Copying data (1073741824 bytes) from /dev/disk/by-id/virtio-v1 '
            'to /dev/disk/by-id/virtio-d1',
            lines,
        )
        meters = [line for line in lines if line.startswith('volume data')]
        # 0% .. 100% in steps of 10 (finished: no line more).
        self.assertEqual(11, len(meters), meters)
        self.assertIn(' 50%', meters[5])
        self.assertIn(
            'Copied data: 1073741824 bytes in 2.0 s, xxh128 abc', lines
        )
        self.assertEqual('Detaching volume d1 from server D (dst)', lines[-1])

    def test_copy_timeout_passed_to_blockcopy(self):
        made = []

        class Recording:
            def __init__(self, *args, copy_timeout=None):
                made.append(copy_timeout)

            def copy(self, vol, verify=True):
                return blockcopy.Result(vol.size, '', '', 1.0)

        self.useFixture(
            fixtures.MockPatchObject(blockcopy, 'BlockCopy', Recording)
        )
        self._copy(self._copier(volume_copy.Settings(copy_timeout=7)))
        self._copy(self._copier())
        self.assertEqual([7, None], made)

    def test_parallel_copies(self):
        self.dst_volumes['d2'] = sdk_volume(id='d2')
        self.src_volumes['v2'] = sdk_volume(id='v2')
        copier = self._copier()
        both = threading.Barrier(2, timeout=10)
        self.during_copy = lambda blockcopier: both.wait()
        threads = [
            threading.Thread(target=copier.copy, args=(s, d, 1024**3, s))
            for s, d in (('v1', 'd1'), ('v2', 'd2'))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        self.assertEqual(2, len(self.copies))
        self.assertEqual(
            {'/dev/disk/by-id/virtio-d1', '/dev/disk/by-id/virtio-d2'},
            {vol.dest_device for _, vol, _ in self.copies},
        )
