#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

import io
import logging
import threading

import fixtures
from openstack import exceptions as sdk_exceptions
from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient import progress as progress_mod
from osmigrateclient.transfer import blockcopy
from osmigrateclient.transfer import conversion_host
from osmigrateclient.transfer import ssh
from osmigrateclient.transfer import volume_copy
from tests.unit.transfer import fakes


REFUSED = 'ssh: connect to host 10.1.0.5 port 22: Connection refused'


class TestCopier(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        fakes.save_hosts(self.data_dir)
        self.log = []
        self.src_volumes = {'v1': fakes.sdk_volume()}
        self.dst_volumes = {'d1': fakes.sdk_volume(id='d1')}
        self.src = fakes.conn(self.src_volumes, self.log, 'src')
        self.dst = fakes.conn(self.dst_volumes, self.log, 'dst')
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
        kw.setdefault('runner', fakes.HostRunner())
        kw.setdefault('progress', progress_mod.Progress(io.StringIO()))
        return volume_copy.Copier(
            self.data_dir,
            self.src,
            self.dst,
            settings,
            clock=lambda: 0.0,
            pause=fakes.no_pause,
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
        self.src.block_storage.get_volume = lambda vid: fakes.sdk_volume(
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
        self.src.block_storage.get_volume = lambda vid: fakes.sdk_volume(
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
        vol = fakes.sdk_volume(
            status='in-use', attachments=[{'server_id': 'vm'}]
        )
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

    def _blind_copier(self):
        """A copier whose hosts never show a device (3 s to wait)."""

        class Nothing:
            def run(self, argv, timeout=None, input=None):
                return ssh.Completed(0, '', '')

        return volume_copy.Copier(
            self.data_dir,
            self.src,
            self.dst,
            volume_copy.Settings(timeout=3),
            runner=Nothing(),
            clock=fakes.Clock(),
            pause=fakes.no_pause,
        )

    def test_device_never_shows(self):
        copier = self._blind_copier()
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
        self.dst_volumes['d2'] = fakes.sdk_volume(id='d2')
        self.src_volumes['v2'] = fakes.sdk_volume(id='v2')
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

    def test_host_fault(self):
        # A pool of one: as before, no retry and the pair stays.
        self.fail_copy = exceptions.MigrateError(REFUSED)
        copier = self._copier()
        e = self.assertRaises(exceptions.MigrateError, self._copy, copier)
        self.assertEqual(REFUSED, str(e))
        self.assertEqual(1, len(self.copies))
        self.assertEqual({}, copier.scheduler.failed)


class TestPool(TestCopier):
    """Two pairs: S/D and S2/D2, and a third source host without its pair
    (unused); every test of TestCopier holds on them too."""

    def setUp(self):
        super().setUp()
        conversion_host.save_hosts(
            self.data_dir,
            {
                'src': {'name': 'cs', 'server_id': 'S', 'address': '10.1.0.5'},
                'dst': {'name': 'cd', 'server_id': 'D', 'address': '10.2.0.5'},
                'src-2': {
                    'name': 'cs2',
                    'server_id': 'S2',
                    'address': '10.1.0.6',
                },
                'dst-2': {
                    'name': 'cd2',
                    'server_id': 'D2',
                    'address': '10.2.0.6',
                },
                'src-3': {'name': 'cs3', 'server_id': 'S3'},
            },
        )
        for i in (2, 3, 4):
            self.src_volumes['v%d' % i] = fakes.sdk_volume(id='v%d' % i)
            self.dst_volumes['d%d' % i] = fakes.sdk_volume(id='d%d' % i)

    def _parallel(self, copier, count):
        together = threading.Barrier(count, timeout=10)
        self.during_copy = lambda blockcopier: together.wait()
        threads = [
            threading.Thread(
                target=copier.copy,
                args=('v%d' % i, 'd%d' % i, 1024**3, 'v%d' % i),
            )
            for i in range(1, count + 1)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)

    def test_copies_spread_over_the_pairs(self):
        copier = self._copier()
        self.assertEqual([1, 2], copier.pairs)
        self._parallel(copier, 4)
        self.assertEqual(4, len(self.copies))
        # Two copies on each pair, each between the hosts of one pair.
        self.assertCountEqual(
            [('10.1.0.5', '10.2.0.5', '10.1.0.5')] * 2
            + [('10.1.0.6', '10.2.0.6', '10.1.0.6')] * 2,
            [
                (c.source.address, c.dest.address, c.link.address)
                for c, _, _ in self.copies
            ],
        )
        attached = {}
        for what, _side, server, volume in self.log:
            if what == 'attach':
                attached.setdefault(volume, []).append(server)
        self.assertEqual(
            {('S', 'D'), ('S2', 'D2')},
            {
                (attached['v%d' % i][0], attached['d%d' % i][0])
                for i in range(1, 5)
            },
        )
        self.assertEqual({1: 0, 2: 0}, copier.scheduler.active)

    def test_one_copier_per_copy_shares_the_pool(self):
        # (workload runs make a copier per server)
        first, second = self._copier(), self._copier()
        self.assertIs(first.scheduler, second.scheduler)

    def test_volume_held_by_a_host_keeps_its_pair(self):
        # An earlier run's late attach to the source host of pair 2.
        self.src_volumes['v1'].status = 'in-use'
        self.src_volumes['v1'].attachments = [{'server_id': 'S2'}]
        copier = self._copier()
        self.assertTrue(copier.usable('src', self.src_volumes['v1']))
        self._copy(copier)
        self.assertEqual(
            [
                ('attach', 'dst', 'D2', 'd1'),
                ('detach', 'src', 'S2', 'v1'),
                ('detach', 'dst', 'D2', 'd1'),
            ],
            self.log,
        )

    def _zones(self, **zones):
        """The hosts of these keys in these zones."""
        hosts = conversion_host.load_hosts(self.data_dir)
        for k, zone in zones.items():
            hosts[k.replace('_', '-')]['availability_zone'] = zone
        conversion_host.save_hosts(self.data_dir, hosts)

    def test_pair_in_the_volumes_zones(self):
        self._zones(src='az1', dst='dz1', src_2='az2', dst_2='dz2')
        self.src_volumes['v1'].availability_zone = 'az2'
        self.dst_volumes['d1'].availability_zone = 'dz2'
        log, stream = self._logged()
        copier = self._copier(log=log)
        for _ in range(2):
            self._copy(copier)
        # Pair 2 each time, though pair 1 is the one given out least.
        self.assertEqual(
            ['10.1.0.6', '10.1.0.6'],
            [c.source.address for c, _, _ in self.copies],
        )
        self.assertNotIn('availability zones', stream.getvalue())

    def test_off_zones_said_once(self):
        # No pair's destination host is in the destination volume's zone;
        # pair 2's source host is in the source volume's; it fails, and
        # the copy goes to pair 1, in no zone of the copy.
        self._zones(src='az1', dst='dz1', src_2='az2', dst_2='dz2')
        self.src_volumes['v1'].availability_zone = 'az2'
        self.dst_volumes['d1'].availability_zone = 'dz9'
        self._fail_on('10.1.0.6', exceptions.MigrateError(REFUSED))
        log, stream = self._logged()
        self._copy(self._copier(log=log))
        self.assertEqual(
            ['10.1.0.6', '10.1.0.5'],
            [c.source.address for c, _, _ in self.copies],
        )
        lines = stream.getvalue().splitlines()
        self.assertEqual(
            "data: no free pair of conversion hosts in its volumes' "
            'availability zones: on pair 2, its destination host is in dz2, '
            'the volume in dz9',
            lines[0],
        )
        self.assertEqual(
            1, len([x for x in lines if 'availability zones' in x])
        )

    def test_half_pair_unused(self):
        conversion_host.save_hosts(
            self.data_dir, {'src-2': {'server_id': 'S2'}}
        )
        e = self.assertRaises(exceptions.MigrateError, self._copier)
        self.assertEqual(volume_copy.NO_HOSTS, str(e))

    # -- a failing host leaves the pool ---------------------------------------

    def _fail_on(self, address, error):
        """The copy fails with ``error`` on the pair whose source host is
        at ``address``."""

        def during(blockcopier):
            if blockcopier.source.address == address:
                raise error

        self.during_copy = during

    def _logged(self):
        stream = io.StringIO()
        log = logging.Logger('test')  # noqa: LOG001
        log.addHandler(logging.StreamHandler(stream))
        return log, stream

    def test_host_fault(self):
        # Tried again on another pair.
        self._fail_on('10.1.0.5', exceptions.MigrateError(REFUSED))
        log, stream = self._logged()
        copier = self._copier(log=log)
        result = self._copy(copier)
        self.assertEqual(
            blockcopy.Result(1024**3, 'xxh128', 'abc', 2.0), result
        )
        self.assertEqual(
            ['10.1.0.5', '10.1.0.6'],
            [c.source.address for c, _, _ in self.copies],
        )
        # Detached from pair 1 before anything is attached to pair 2.
        self.assertCountEqual(
            [('detach', 'src', 'S', 'v1'), ('detach', 'dst', 'D', 'd1')],
            self.log[2:4],
        )
        self.assertCountEqual(
            [('attach', 'src', 'S2', 'v1'), ('attach', 'dst', 'D2', 'd1')],
            self.log[4:6],
        )
        self.assertEqual([], self.recorded[-1])
        left = 'conversion host cs left the pool: SSH failed: ' + REFUSED
        self.assertEqual({1: left}, copier.scheduler.failed)
        lines = stream.getvalue().splitlines()
        self.assertIn(left + '; data is tried on another pair', lines)
        self.assertEqual(left + '; copied on pair 2', lines[-1])
        # The pair stays out for the rest of the run.
        self.during_copy = None
        self._copy(self._copier())
        self.assertEqual('10.1.0.6', self.copies[-1][0].source.address)

    def test_host_named_by_its_link_address(self):
        hosts = conversion_host.load_hosts(self.data_dir)
        hosts['src']['link_address'] = '192.168.0.5'
        conversion_host.save_hosts(self.data_dir, hosts)
        self._fail_on(
            '10.1.0.5',
            exceptions.MigrateError(
                'copy of a on cs to b on cd failed (exit code 255): '
                'ssh: connect to host 192.168.0.5 port 22: Connection timed '
                'out'
            ),
        )
        copier = self._copier()
        self._copy(copier)
        self.assertTrue(
            copier.scheduler.failed[1].startswith(
                'conversion host cs left the pool: '
            )
        )

    def test_pair_named_when_the_host_is_unknown(self):
        self._fail_on(
            '10.1.0.5',
            exceptions.MigrateError('bash: nbdcopy: command not found'),
        )
        copier = self._copier()
        self._copy(copier)
        self.assertEqual(
            {
                1: 'conversion hosts cs and cd left the pool: tools missing: '
                'nbdcopy'
            },
            copier.scheduler.failed,
        )

    def test_other_errors_not_retried(self):
        mismatch = exceptions.MigrateError(
            'copy of data does not match: xxh128sum a on the source, b on '
            'the destination'
        )
        self._fail_on('10.1.0.5', mismatch)
        copier = self._copier()
        e = self.assertRaises(exceptions.MigrateError, self._copy, copier)
        self.assertIs(mismatch, e)
        self.assertEqual(1, len(self.copies))
        self.assertEqual({}, copier.scheduler.failed)
        self.assertEqual([], self.recorded[-1])

    def test_interrupt_not_retried(self):
        self._fail_on('10.1.0.5', KeyboardInterrupt())
        copier = self._copier()
        self.assertRaises(KeyboardInterrupt, self._copy, copier)
        self.assertEqual(1, len(self.copies))
        self.assertEqual({}, copier.scheduler.failed)

    def test_retried_once_only(self):
        def during(blockcopier):
            raise exceptions.MigrateError(
                'ssh: connect to host %s port 22: Connection refused'
                % blockcopier.source.address
            )

        self.during_copy = during
        copier = self._copier()
        e = self.assertRaises(exceptions.MigrateError, self._copy, copier)
        self.assertEqual(
            'ssh: connect to host 10.1.0.6 port 22: Connection refused', str(e)
        )
        self.assertEqual(2, len(self.copies))
        self.assertEqual([1, 2], sorted(copier.scheduler.failed))
        self.assertEqual([], self.recorded[-1])
        # Later copies find no pair left, and say which hosts and why.
        e = self.assertRaises(exceptions.MigrateError, self._copy, copier)
        self.assertEqual(
            'no pair of conversion hosts left in the pool: pair 1: '
            'conversion host cs left the pool: SSH failed: ' + REFUSED + '; '
            'pair 2: conversion host cs2 left the pool: SSH failed: ssh: '
            'connect to host 10.1.0.6 port 22: Connection refused',
            str(e),
        )
        self.assertEqual(2, len(self.copies))

    def test_no_healthy_pair_to_retry_on(self):
        copier = self._copier()
        copier.scheduler.fail(2, 'conversion host cd2 left the pool: x')
        self._fail_on('10.1.0.5', exceptions.MigrateError(REFUSED))
        e = self.assertRaises(exceptions.MigrateError, self._copy, copier)
        self.assertEqual(
            'no pair of conversion hosts left in the pool: pair 1: '
            'conversion host cs left the pool: SSH failed: ' + REFUSED + '; '
            'pair 2: conversion host cd2 left the pool: x',
            str(e),
        )
        self.assertEqual(1, len(self.copies))
        self.assertEqual([], self.recorded[-1])

    def test_not_retried_while_a_volume_stays_attached(self):
        # The failed pair still holds a volume: a retry could write it
        # from two hosts.
        self._fail_on('10.1.0.5', exceptions.MigrateError(REFUSED))
        self.dst.compute.fail_detach = exceptions.MigrateError('nova says no')
        copier = self._copier()
        e = self.assertRaises(exceptions.MigrateError, self._copy, copier)
        self.assertEqual(REFUSED, str(e))
        self.assertEqual(1, len(self.copies))
        self.assertEqual([1], list(copier.scheduler.failed))
        self.assertEqual(2, len(self.recorded[-1]))

    def test_unreachable_host_ends_the_device_wait(self):
        class Runner(fakes.HostRunner):
            def run(self, argv, timeout=None, input=None):
                if '10.1.0.5' in argv:
                    calls.append(argv)
                    return ssh.Completed(255, '', REFUSED + '\n')
                return super().run(argv, timeout, input)

        calls = []
        log, stream = self._logged()
        copier = self._copier(
            volume_copy.Settings(timeout=1800), runner=Runner(), log=log
        )
        self._copy(copier)
        # Tried twice (a busy sshd may drop one connection), not for
        # 1800 s.
        self.assertEqual(2, len(calls))
        self.assertEqual(
            ['10.1.0.6'], [c.source.address for c, _, _ in self.copies]
        )
        self.assertEqual(
            'conversion host cs left the pool: SSH failed: %s; copied on '
            'pair 2' % REFUSED,
            stream.getvalue().splitlines()[-1],
        )

    def test_attach_error_names_its_host(self):
        dst_attach = self.dst.compute.create_volume_attachment

        def attach(server, volume_id):
            if server == 'D':
                raise sdk_exceptions.ConflictException('D is in error')
            dst_attach(server, volume_id)

        self.dst.compute.create_volume_attachment = attach
        copier = self._copier()
        self._copy(copier)
        self.assertEqual(
            {
                1: 'conversion host cd left the pool: attach refused: D is in '
                'error'
            },
            copier.scheduler.failed,
        )
        self.assertEqual(
            ['10.2.0.6'], [c.dest.address for c, _, _ in self.copies]
        )

    # TestCopier's attach failures, in a pool: tried on the other pair too.

    def test_recorded_before_the_attach_call(self):
        seen = []
        self.src.compute.create_volume_attachment = lambda server, volume_id: (
            seen.append(list(self.recorded))
        )
        self.src.block_storage.get_volume = lambda vid: fakes.sdk_volume(
            status='error_attaching'
        )
        copier = self._copier()
        e = self.assertRaises(exceptions.MigrateError, self._copy, copier)
        self.assertEqual('volume v1 to attach: status error_attaching', str(e))
        # The last record before each attach call names its host.
        first, second = (records[-1] for records in seen)
        self.assertIn({'side': 'src', 'server': 'S', 'volume': 'v1'}, first)
        self.assertIn({'side': 'src', 'server': 'S2', 'volume': 'v1'}, second)
        self.assertIn(('detach', 'src', 'S', 'v1'), self.log)
        self.assertIn(('detach', 'src', 'S2', 'v1'), self.log)
        self.assertEqual([], self.recorded[-1])
        self.assertEqual(
            {
                1: 'conversion host cs left the pool: attach failed: volume '
                'v1 to attach: status error_attaching',
                2: 'conversion host cs2 left the pool: attach failed: volume '
                'v1 to attach: status error_attaching',
            },
            copier.scheduler.failed,
        )

    def test_device_never_shows(self):
        copier = self._blind_copier()
        e = self.assertRaises(exceptions.MigrateError, self._copy, copier)
        self.assertEqual(
            'the device of volume v1 on cs2: still not there after 3 s', str(e)
        )
        self.assertIn(('detach', 'src', 'S', 'v1'), self.log)
        self.assertIn(('detach', 'src', 'S2', 'v1'), self.log[-2:])
        self.assertEqual([1, 2], sorted(copier.scheduler.failed))
