#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

import threading

from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient.transfer import host_pool


class TestKeys(base.BaseTestCase):
    def test_pair_one_keeps_the_keys_of_one_pair(self):
        self.assertEqual('src', host_pool.key('src', 1))
        self.assertEqual('dst-12', host_pool.key('dst', 12))
        self.assertEqual(('src', 1), host_pool.parse_key('src'))
        self.assertEqual(('dst', 100), host_pool.parse_key('dst-100'))
        self.assertEqual('src-3', host_pool.partner('dst-3'))
        self.assertEqual('dst', host_pool.partner('src'))

    def test_not_keys(self):
        for text in ('x', 'src-1', 'src-0', 'src-02', 'dst-101', 'src-', 7):
            self.assertIsNone(host_pool.parse_key(text), text)

    def test_ordered_by_pair_source_first(self):
        records = {k: {} for k in ('dst-2', 'src-10', 'dst', 'src-2', 'src')}
        self.assertEqual(
            ['src', 'dst', 'src-2', 'dst-2', 'src-10'],
            host_pool.ordered(records),
        )
        self.assertEqual([1, 2, 10], host_pool.pairs(records))


class TestWholePairs(base.BaseTestCase):
    def test_a_copy_needs_both_hosts_of_a_pair(self):
        for keys, whole, missing in (
            (('src', 'dst', 'src-2'), [1], []),
            (('src-2', 'dst-2', 'dst-3'), [2], []),
            (('src',), [], ['dst']),
            ((), [], ['src', 'dst']),
            # two hosts, no pair
            (('src', 'dst-2'), [], ['src', 'dst']),
        ):
            records = {k: {} for k in keys}
            self.assertEqual(
                (whole, missing),
                (
                    host_pool.whole_pairs(records),
                    host_pool.missing_sides(records),
                ),
                keys,
            )


class TestPairNumbers(base.BaseTestCase):
    def test_keeps_what_it_has_and_fills_the_gaps(self):
        records = {'src': {}, 'dst': {}, 'src-3': {}}
        self.assertEqual([1, 3], host_pool.pair_numbers(records, 2, 'P'))
        self.assertEqual([1, 2, 3, 4], host_pool.pair_numbers(records, 4, 'P'))
        self.assertEqual([1], host_pool.pair_numbers({}, 1, 'P'))

    def test_never_shrinks(self):
        records = {
            'src': {'name': 'c-src'},
            'dst': {'name': 'c-dst'},
            'src-2': {'name': 'c-src-2'},
        }
        e = self.assertRaises(
            exceptions.MigrateError, host_pool.pair_numbers, records, 1, 'P'
        )
        self.assertEqual(
            'the pool of P has 2 pairs of conversion hosts, more than '
            '--count 1: remove the ones you no longer want with "openstack '
            'migrate conversion host delete --host NAME" (hosts: c-src, '
            'c-dst, c-src-2)',
            str(e),
        )

    def test_count_in_range(self):
        for count in (0, -1, host_pool.MAX_COUNT + 1):
            e = self.assertRaises(
                exceptions.MigrateError, host_pool.pair_numbers, {}, count, 'P'
            )
            self.assertEqual(
                '--count must be from 1 to 100, not %d' % count, str(e)
            )


class TestNames(base.BaseTestCase):
    def test_host_name(self):
        self.assertEqual('c-src', host_pool.host_name({}, 'src', 'c-src', 1))
        self.assertEqual('c-src-1', host_pool.host_name({}, 'src', 'c-src', 2))
        self.assertEqual(
            'c-dst-2', host_pool.host_name({}, 'dst-2', 'c-dst', 2)
        )
        # a pool of one grown to two keeps its first host's name
        records = {'src': {'name': 'c-src'}}
        self.assertEqual(
            'c-src', host_pool.host_name(records, 'src', 'c-src', 2)
        )

    def test_zones_in_turn(self):
        zones = ['az1', 'az2']
        self.assertEqual(
            ['az1', 'az2', 'az1'],
            [host_pool.zone(n, zones) for n in (1, 2, 3)],
        )
        self.assertIsNone(host_pool.zone(1, []))

    def test_link_key_per_pair(self):
        self.assertEqual(
            '/d/conversion/link-ssh.key', host_pool.link_key_path('/d', 1)
        )
        self.assertEqual(
            '/d/conversion/link-ssh-2.key', host_pool.link_key_path('/d', 2)
        )

    def test_named(self):
        records = {
            'src': {'name': 'a', 'server_id': 's1'},
            'dst-2': {'name': 'b', 'server_id': 's2'},
            'src-2': {'name': 'c', 'server_id': 's3'},
        }
        self.assertEqual(
            ['src-2', 'dst-2'], host_pool.named(records, ['b', 's3'], 'P')
        )
        e = self.assertRaises(
            exceptions.MigrateError, host_pool.named, records, ['x'], 'P'
        )
        self.assertEqual(
            'no conversion host named x in P (hosts: a, c, b)', str(e)
        )


class TestScheduler(base.BaseTestCase):
    def test_at_most_per_host_copies_on_a_pair(self):
        scheduler = host_pool.Scheduler([1, 2], per_host=1)
        with scheduler.take() as a, scheduler.take() as b:
            self.assertEqual((1, 2), (a, b))
            waited = []

            def third():
                with scheduler.take() as c:
                    waited.append(c)

            t = threading.Thread(target=third)
            t.start()
            t.join(0.2)
            self.assertEqual([], waited)
        t.join(10)
        self.assertEqual(1, len(waited))

    def test_fewest_active_first(self):
        scheduler = host_pool.Scheduler([1, 2, 3], per_host=2)
        with scheduler.take() as a, scheduler.take() as b:
            with scheduler.take() as c, scheduler.take() as d:
                self.assertEqual([1, 2, 3, 1], [a, b, c, d])
                self.assertEqual({1: 2, 2: 1, 3: 1}, scheduler.active)

    def test_held_pair_whatever_its_load(self):
        scheduler = host_pool.Scheduler([1, 2], per_host=1)
        with scheduler.take() as a, scheduler.take(held=1) as b:
            self.assertEqual((1, 1), (a, b))
            self.assertEqual({1: 2, 2: 0}, scheduler.active)
        self.assertEqual({1: 0, 2: 0}, scheduler.active)

    def test_one_per_pool(self):
        self.assertIs(
            host_pool.scheduler('/d/hosts.yml', [1, 2], 2),
            host_pool.scheduler('/d/../d/hosts.yml', [2, 1], 2),
        )
        self.assertIsNot(
            host_pool.scheduler('/d/hosts.yml', [1, 2], 2),
            host_pool.scheduler('/e/hosts.yml', [1, 2], 2),
        )

    def test_in_turn_one_after_the_other(self):
        scheduler = host_pool.Scheduler([1, 2], per_host=2)
        taken = []
        for _ in range(3):
            with scheduler.take() as pair:
                taken.append(pair)
        self.assertEqual([1, 2, 1], taken)

    def test_failed_pair_never_handed_out_again(self):
        scheduler = host_pool.Scheduler([1, 2], per_host=2)
        scheduler.fail(1, 'cs left')
        scheduler.fail(1, 'a later reason')
        self.assertEqual({1: 'cs left'}, scheduler.failed)
        self.assertEqual([2], scheduler.healthy())
        taken = []
        for held in (None, None, 1):
            with scheduler.take(held) as pair:
                taken.append(pair)
        self.assertEqual([2, 2, 2], taken)

    def test_no_pair_left(self):
        scheduler = host_pool.Scheduler([1, 2], per_host=2)
        scheduler.fail(2, 'conversion host cd2 left the pool: SSH failed')
        scheduler.fail(1, 'conversion host cs left the pool: tools missing')
        e = self.assertRaises(
            exceptions.MigrateError, scheduler.take().__enter__
        )
        self.assertEqual(
            'no pair of conversion hosts left in the pool: pair 1: '
            'conversion host cs left the pool: tools missing; pair 2: '
            'conversion host cd2 left the pool: SSH failed',
            str(e),
        )

    def _waiter(self, scheduler):
        """A copy that waits for a place; what it got: a pair or an
        error."""
        got = []

        def wait():
            try:
                with scheduler.take() as pair:
                    got.append(pair)
            except exceptions.MigrateError as e:
                got.append(str(e))

        t = threading.Thread(target=wait)
        t.start()
        t.join(0.2)
        self.assertEqual([], got)
        return t, got

    def test_waiting_copy_woken_takes_a_healthy_pair(self):
        scheduler = host_pool.Scheduler([1, 2], per_host=1)
        with scheduler.take() as first:
            with scheduler.take() as second:
                self.assertEqual((1, 2), (first, second))
                t, got = self._waiter(scheduler)
                scheduler.fail(2, 'cd2 left')
            # Pair 2 is free now, but failed: the copy still waits ...
            t.join(0.2)
            self.assertEqual([], got)
        # ... for pair 1.
        t.join(10)
        self.assertEqual([1], got)

    def test_waiting_copy_woken_fails_when_no_pair_is_left(self):
        scheduler = host_pool.Scheduler([1], per_host=1)
        with scheduler.take():
            t, got = self._waiter(scheduler)
            scheduler.fail(1, 'cs left')
            t.join(10)
        self.assertEqual(
            ['no pair of conversion hosts left in the pool: pair 1: cs left'],
            got,
        )


class TestZones(base.BaseTestCase):
    """Pairs 1 and 2 in az1 (source) / az1 (destination), pair 3 in az2 /
    az1, pair 4 in az2 / az2."""

    ZONES = {
        1: host_pool.Zones('az1', 'az1'),
        2: host_pool.Zones('az1', 'az1'),
        3: host_pool.Zones('az2', 'az1'),
        4: host_pool.Zones('az2', 'az2'),
    }

    def _scheduler(self, per_host=1):
        return host_pool.Scheduler(self.ZONES, per_host, self.ZONES)

    def test_zones_of_the_records(self):
        records = {
            'src': {'availability_zone': 'az1'},
            'dst': {},
            'src-2': {'availability_zone': 7},
            'dst-2': {'availability_zone': 'az2'},
            'src-3': {'availability_zone': 'az3'},
        }
        self.assertEqual(
            {
                1: host_pool.Zones('az1', None),
                2: host_pool.Zones(None, 'az2'),
            },
            host_pool.zones_of(records),
        )

    def test_source_zone_first_then_destination_zone(self):
        scheduler = self._scheduler()
        wanted = host_pool.Zones('az2', 'az2')
        with scheduler.take(wanted=wanted) as a:
            with scheduler.take(wanted=wanted) as b:
                # pair 3's source host is in az2: before the pairs of az1
                with scheduler.take(wanted=wanted) as c:
                    self.assertEqual([4, 3, 1], [a, b, c])
        self.assertEqual(
            'its source host is in az1, the volume in az2; its destination '
            'host is in az1, the volume in az2',
            scheduler.off_zones(1, wanted),
        )
        self.assertEqual('', scheduler.off_zones(4, wanted))

    def test_then_fewest_active(self):
        scheduler = self._scheduler(per_host=2)
        wanted = host_pool.Zones('az1', 'az1')
        with scheduler.take(wanted=wanted) as a:
            with scheduler.take(wanted=wanted) as b:
                # pairs 3 and 4 are idle, but of another zone
                with scheduler.take(wanted=wanted) as c:
                    self.assertEqual([1, 2, 1], [a, b, c])
        with scheduler.take() as d:
            # (no zone wanted: the pair given out least)
            self.assertEqual(3, d)

    def test_free_pair_of_another_zone_rather_than_wait(self):
        scheduler = self._scheduler()
        wanted = host_pool.Zones('az2', None)
        with scheduler.take(wanted=wanted) as a:
            with scheduler.take(wanted=wanted) as b:
                with scheduler.take(wanted=wanted) as c:
                    self.assertEqual([3, 4, 1], [a, b, c])
                    self.assertEqual(
                        'its source host is in az1, the volume in az2',
                        scheduler.off_zones(c, wanted),
                    )

    def test_unknown_zones_miss_nothing(self):
        scheduler = host_pool.Scheduler(
            [1, 2, 3], 1, {2: host_pool.Zones('az1', None)}
        )
        scheduler.zones[3] = host_pool.Zones('az2', 'az2')
        for pair, wanted, misses in (
            (1, host_pool.Zones('az1', 'az2'), []),
            (2, host_pool.Zones('az1', 'az2'), []),
            (2, host_pool.Zones('az2', 'az2'), ['src']),
            (3, host_pool.Zones(), []),
            (3, host_pool.Zones(None, 'az1'), ['dst']),
        ):
            self.assertEqual(
                misses, scheduler.misses(pair, wanted), (pair, wanted)
            )
        self.assertEqual(
            'its destination host is in az2, the volume in az1',
            scheduler.off_zones(3, host_pool.Zones(None, 'az1')),
        )

    def test_held_pair_whatever_its_zone(self):
        scheduler = self._scheduler()
        with scheduler.take(held=1, wanted=host_pool.Zones('az2')) as a:
            self.assertEqual(1, a)

    def test_zones_part_of_the_pool(self):
        self.assertIsNot(
            host_pool.scheduler('/z/hosts.yml', [1, 2], 2, self.ZONES),
            host_pool.scheduler('/z/hosts.yml', [1, 2], 2),
        )
        self.assertIs(
            host_pool.scheduler('/z/hosts.yml', [1, 2], 2, self.ZONES),
            host_pool.scheduler('/z/hosts.yml', [2, 1], 2, dict(self.ZONES)),
        )
