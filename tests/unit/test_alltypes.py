#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at
#
#        http://www.apache.org/licenses/LICENSE-2.0
#
#   Unless required by applicable law or agreed to in writing, software
#   distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#   WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#   License for the specific language governing permissions and limitations
#   under the License.

import collections
import os
import threading

import fixtures
from openstack import exceptions as sdk_exceptions
from oslotest import base

from osmigrateclient import alltypes
from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient import resources
from osmigrateclient.resources import base as resource_base
from osmigrateclient.resources import network
from osmigrateclient.resources import refs
from tests.unit import fakes

SRC = 'p-src'
DST = 'p-dst'
NET = 'openstack.network.Network'
CHILD = 'test.Child'


def everything(name):
    return True


class Child(resource_base.Resource):
    """A made-up type that references networks (like a subnet)."""

    type = CHILD
    cli_name = 'child'
    kind = 'subnet'
    file_name = 'children.yml'
    depends_on = ('network',)
    params_fields = ('name', 'description')
    info_fields = ('id', 'project_id')
    references = {
        'network_ref': resource_base.RefField('network', 'network_id')
    }


class OtherNetworks(network.Network):
    type = 'test.OtherNetwork'
    cli_name = 'other network'
    file_name = 'other_networks.yml'


def net_entry(name, id_, **params):
    params.setdefault('description', '')
    params['name'] = name
    return {
        'type': NET,
        'params': params,
        '_info': {'id': id_},
        '_migration_params': {},
    }


def child_entry(name, network_name, id_='c1'):
    return {
        'type': CHILD,
        'params': {
            'name': name,
            'description': '',
            'network_ref': refs.make_ref(network_name, refs.AUTH, refs.AUTH),
        },
        '_info': {'id': id_},
        '_migration_params': {},
    }


class Base(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.net = network.Network()
        self.child = Child()
        self.src = fakes.FakeConnection(project_id=SRC)
        self.dst = fakes.FakeConnection(project_id=DST)

    def path(self, name):
        return os.path.join(self.dir, name)

    def read(self, name):
        with open(self.path(name), 'rb') as f:
            return f.read()

    def write_text(self, name, text):
        with open(self.path(name), 'w') as f:
            f.write(text)


class TestExport(Base):
    def export(self, match=everything, types=None):
        return alltypes.export(
            types or [self.net], refs.Lookup(self.src), self.dir, match
        )

    def test_export_writes_the_file(self):
        self.src.add('network', name='b', id='i-b')
        self.src.add('network', name='a', id='i-a')
        self.src.add('network', name='x', id='i-x', project_id='p-other')
        rows = self.export()
        path = self.path('networks.yml')
        self.assertEqual(
            [alltypes.ExportRow('network', path, 2, 2, True)], rows
        )
        df = datafile.load(path)
        self.assertEqual('2.0.0', df.version)
        self.assertEqual(
            [('a', 'i-a'), ('b', 'i-b')],
            [(e['params']['name'], e['_info']['id']) for e in df.resources],
        )
        self.assertEqual(0o600, os.stat(path).st_mode & 0o777)

    def test_export_for_os_migrate(self):
        self.src.add('network', name='a', id='i-a', tags=['x'])
        self.src.add('network', name='', id='i-nameless')
        with self.assertLogs('osmigrateclient.alltypes', 'WARNING') as logs:
            rows = alltypes.export(
                [self.net],
                refs.Lookup(self.src),
                self.dir,
                everything,
                '1.0.5',
            )
        path = self.path('networks.yml')
        self.assertEqual(
            [alltypes.ExportRow('network', path, 2, 2, True)], rows
        )
        text = self.read('networks.yml').decode()
        self.assertTrue(text.startswith('os_migrate_version: 1.0.5\n'), text)
        self.assertEqual(
            ['a'],
            [e['params']['name'] for e in datafile.load(path).resources],
        )
        self.assertEqual(
            [
                'WARNING:osmigrateclient.alltypes:%s: '
                "openstack.network.Network '': left out: no name: "
                'os-migrate refuses a file with a nameless entry' % path
            ],
            logs.output,
        )
        # Without the option the next export writes this client's version.
        self.export()
        self.assertEqual('2.0.0', datafile.load(path).version)

    def test_export_creates_the_data_dir(self):
        self.dir = os.path.join(self.dir, 'proj')
        self.src.add('network', name='a', id='i-a')
        rows = self.export()
        self.assertEqual(1, rows[0].exported)
        self.assertEqual(0o700, os.stat(self.dir).st_mode & 0o777)

    def test_filter(self):
        self.src.add('network', name='a', id='i-a')
        self.src.add('network', name='b', id='i-b')
        rows = self.export(match=lambda n: n == 'b')
        self.assertEqual(1, rows[0].exported)
        df = datafile.load(self.path('networks.yml'))
        self.assertEqual(['b'], [e['params']['name'] for e in df.resources])

    def test_reexport_unchanged_is_byte_identical(self):
        self.src.add('network', name='a', id='i-a', tags=['y', 'x'])
        self.src.add('network', name='b', id='i-b')
        self.export()
        before = self.read('networks.yml')
        mtime = os.stat(self.path('networks.yml')).st_mtime_ns
        rows = self.export()
        self.assertEqual(
            [
                alltypes.ExportRow(
                    'network', self.path('networks.yml'), 2, 0, False
                )
            ],
            rows,
        )
        self.assertEqual(before, self.read('networks.yml'))
        self.assertEqual(mtime, os.stat(self.path('networks.yml')).st_mtime_ns)

    def test_reexport_merges(self):
        # The file holds a hand-added network and an old copy of 'a'.
        old_a = net_entry('a', 'i-a', description='old')
        hand = net_entry('hand-made', 'i-hand')
        datafile.write(self.path('networks.yml'), [hand, old_a])
        self.src.add('network', name='b', id='i-b', description='')
        self.src.add('network', name='a', id='i-a', description='new')
        rows = self.export()
        self.assertEqual(
            [
                alltypes.ExportRow(
                    'network', self.path('networks.yml'), 2, 1, True
                )
            ],
            rows,
        )
        df = datafile.load(self.path('networks.yml'))
        self.assertEqual(
            [('hand-made', ''), ('a', 'new'), ('b', '')],
            [
                (e['params']['name'], e['params']['description'])
                for e in df.resources
            ],
        )
        self.assertEqual(hand, df.resources[0])

    def test_reexport_pioneer_file(self):
        self.write_text(
            'networks.yml',
            'os_migrate_version: 1.0.5\nresources:\n'
            + datafile.dump([net_entry('old', 'i-old')]).split(
                'resources:\n', 1
            )[1],
        )
        self.src.add('network', name='a', id='i-a')
        rows = self.export()
        self.assertEqual((1, 1, True), rows[0][2:])
        df = datafile.load(self.path('networks.yml'))
        self.assertEqual(datafile.FORMAT_VERSION, df.version)
        self.assertEqual(
            ['old', 'a'], [e['params']['name'] for e in df.resources]
        )

    def test_broken_old_file_stops_before_the_cloud(self):
        self.write_text('networks.yml', 'os_migrate_version: 9.0.0\n')
        self.src.add('network', name='a', id='i-a')
        e = self.assertRaises(exceptions.DataFileError, self.export)
        self.assertEqual(
            '%s: field os_migrate_version: unsupported os_migrate_version '
            "'9.0.0' (this client reads 0.x, 1.x, 2.x)"
            % self.path('networks.yml'),
            str(e),
        )
        self.assertEqual([], self.src.calls)
        self.assertEqual(
            b'os_migrate_version: 9.0.0\n', self.read('networks.yml')
        )

    def test_several_types(self):
        net = self.src.add('network', name='n', id='i-n')
        self.src.add('subnet', name='s', id='i-s', network_id=net.id)
        rows = self.export(types=[self.net, self.child])
        self.assertEqual(
            [
                alltypes.ExportRow(
                    'network', self.path('networks.yml'), 1, 1, True
                ),
                alltypes.ExportRow(
                    'child', self.path('children.yml'), 1, 1, True
                ),
            ],
            rows,
        )
        [child] = datafile.load(self.path('children.yml')).resources
        self.assertEqual(
            refs.make_ref('n', refs.AUTH, refs.AUTH),
            child['params']['network_ref'],
        )
        self.assertEqual('i-n', child['_info']['network_id'])


class TestEntriesOf(Base):
    def test_wrong_type(self):
        datafile.write(
            self.path('networks.yml'),
            [
                net_entry('a', 'i-a'),
                dict(net_entry('s', 'i-s'), type='openstack.subnet.Subnet'),
            ],
        )
        e = self.assertRaises(
            exceptions.DataFileError, alltypes.entries_of, self.net, self.dir
        )
        self.assertEqual(
            "%s: resource 1 (openstack.subnet.Subnet 's'): field type: is "
            "'openstack.subnet.Subnet', but networks.yml holds "
            'openstack.network.Network resources' % self.path('networks.yml'),
            str(e),
        )
        self.assertEqual('type', e.field)

    def test_missing_file(self):
        e = self.assertRaises(
            exceptions.DataFileError, alltypes.entries_of, self.net, self.dir
        )
        self.assertEqual(
            '%s: no such file' % self.path('networks.yml'), str(e)
        )
        self.assertEqual(
            [], alltypes.entries_of(self.net, self.dir, required=False)
        )

    def test_data_path(self):
        self.assertEqual(
            os.path.join('/d', 'networks.yml'),
            alltypes.data_path('/d', self.net),
        )


class TestImport(Base):
    def import_(self, types=None, dry_run=False, required=True, match=None):
        self.lookup = refs.Lookup(self.dst)
        return alltypes.import_(
            types or [self.net, self.child],
            self.lookup,
            self.dir,
            match or everything,
            dry_run=dry_run,
            required=required,
        )

    def test_every_file_read_before_any_write(self):
        datafile.write(self.path('networks.yml'), [net_entry('a', 'i-a')])
        self.write_text('other_networks.yml', 'resources: [\n')
        e = self.assertRaises(
            exceptions.DataFileError,
            self.import_,
            [self.net, OtherNetworks()],
        )
        self.assertEqual(
            '%s: invalid YAML: line 2, column 1: expected the node '
            "content, but found '<stream end>'"
            % self.path('other_networks.yml'),
            str(e),
        )
        self.assertEqual([], self.dst.calls_to('network.create_network'))
        self.assertEqual([], self.dst.calls)

    def test_missing_later_file_stops_before_any_write(self):
        datafile.write(self.path('networks.yml'), [net_entry('a', 'i-a')])
        self.assertRaises(exceptions.DataFileError, self.import_)
        self.assertEqual([], self.dst.calls)

    def test_missing_files_skipped_when_not_required(self):
        self.assertEqual([], self.import_(required=False))
        self.assertEqual([], self.dst.calls)

    def test_wrong_type_stops_before_any_write(self):
        datafile.write(self.path('networks.yml'), [net_entry('a', 'i-a')])
        datafile.write(
            self.path('children.yml'), [net_entry('oops', 'i-oops')]
        )
        e = self.assertRaises(exceptions.DataFileError, self.import_)
        self.assertEqual(
            "%s: resource 0 (openstack.network.Network 'oops'): field "
            "type: is 'openstack.network.Network', but children.yml holds "
            'test.Child resources' % self.path('children.yml'),
            str(e),
        )
        self.assertEqual([], self.dst.calls)

    def test_dry_run_placeholders_resolve_later_references(self):
        datafile.write(self.path('networks.yml'), [net_entry('n1', 'i-n1')])
        datafile.write(
            self.path('children.yml'),
            [child_entry('c1', 'n1'), child_entry('c2', 'nope', 'c2')],
        )
        outcomes = self.import_(dry_run=True)
        self.assertEqual(
            [
                resource_base.Outcome(NET, 'n1', 'create', ''),
                resource_base.Outcome(CHILD, 'c1', 'create', ''),
                resource_base.Outcome(
                    CHILD,
                    'c2',
                    'blocked',
                    "network_ref: network 'nope' (project '%auth%') not found",
                ),
            ],
            outcomes,
        )
        self.assertEqual([], self.dst.write_calls())
        # The placeholder is the destination project's, and no more.
        placeholder = self.lookup.resolve(
            'network', refs.make_ref('n1', refs.AUTH, refs.AUTH)
        )
        self.assertEqual('n1', placeholder.name)
        self.assertEqual(DST, placeholder.project_id)
        self.assertEqual([], self.dst.store.get('network', []))

    def test_dry_run_without_placeholder_is_blocked(self):
        # Only the child file is decision: nothing creates n1.
        datafile.write(self.path('children.yml'), [child_entry('c1', 'n1')])
        outcomes = self.import_(types=[self.child], dry_run=True)
        self.assertEqual('blocked', outcomes[0].action)

    def test_import_creates_in_order(self):
        datafile.write(self.path('networks.yml'), [net_entry('n1', 'i-n1')])
        datafile.write(self.path('children.yml'), [child_entry('c1', 'n1')])
        outcomes = self.import_()
        self.assertEqual(
            [
                resource_base.Outcome(NET, 'n1', 'created', ''),
                resource_base.Outcome(CHILD, 'c1', 'created', ''),
            ],
            outcomes,
        )
        [net] = self.dst.store['network']
        [(_, kwargs)] = self.dst.calls_to('network.create_subnet')
        self.assertEqual(
            {'name': 'c1', 'description': '', 'network_id': net.id}, kwargs
        )
        self.assertEqual(1, len(self.dst.calls_to('network.networks')))

    def test_import_again_unchanged(self):
        datafile.write(self.path('networks.yml'), [net_entry('n1', 'i-n1')])
        datafile.write(self.path('children.yml'), [child_entry('c1', 'n1')])
        self.import_()
        self.dst.calls.clear()
        outcomes = self.import_()
        self.assertEqual(
            ['unchanged', 'unchanged'], [o.action for o in outcomes]
        )
        self.assertEqual([], self.dst.write_calls())

    def test_match_filters_on_params_name(self):
        datafile.write(
            self.path('networks.yml'),
            [net_entry('n1', 'i-n1'), net_entry('n2', 'i-n2')],
        )
        outcomes = self.import_(types=[self.net], match=lambda n: n == 'n2')
        self.assertEqual(
            [resource_base.Outcome(NET, 'n2', 'created', '')], outcomes
        )
        self.assertEqual(['n2'], [o.name for o in self.dst.store['network']])

    def test_failure_goes_on(self):
        datafile.write(
            self.path('networks.yml'),
            [net_entry('n1', 'i-n1'), net_entry('n2', 'i-n2')],
        )
        self.dst.add('network', name='n1', id='d1')
        self.dst.add('network', name='n1', id='d2')
        outcomes = self.import_(types=[self.net])
        self.assertEqual(['conflict', 'created'], [o.action for o in outcomes])


class Parallel(resource_base.Resource):
    """A made-up type applied several at a time: each apply waits for
    ``together`` others, so the test hangs (and fails) unless they run at
    once."""

    type = 'test.Parallel'
    cli_name = 'parallel'
    kind = 'parallel'
    file_name = 'parallel.yml'

    def __init__(self, workers, together):
        self.workers = workers
        self.barrier = threading.Barrier(together, timeout=10)
        self.threads = set()
        self.asked = 0

    def import_workers(self, lookup):
        self.asked += 1
        return self.workers

    def apply(self, lookup, entry, dry_run=False):
        self.threads.add(threading.current_thread().name)
        if not dry_run:
            self.barrier.wait()
        name = self.name_of(entry)
        if name == 'bad':
            return resource_base.Outcome(
                self.type, name, resource_base.FAILED, 'broke'
            )
        return resource_base.Outcome(self.type, name, 'created', '')


def parallel_entry(name):
    return {
        'type': 'test.Parallel',
        'params': {'name': name},
        '_info': {'id': name},
        '_migration_params': {},
    }


class TestParallelImport(Base):
    def setUp(self):
        super().setUp()
        datafile.write(
            self.path('parallel.yml'),
            [parallel_entry(n) for n in ('a', 'bad', 'c', 'd')],
        )

    def test_applied_at_once_in_file_order(self):
        resource = Parallel(workers=4, together=4)
        outcomes = alltypes.import_(
            [resource], refs.Lookup(self.dst), self.dir, everything
        )
        self.assertEqual(
            [
                ('a', 'created'),
                ('bad', 'failed'),
                ('c', 'created'),
                ('d', 'created'),
            ],
            [(o.name, o.action) for o in outcomes],
        )
        self.assertEqual(4, len(resource.threads))
        self.assertEqual(1, resource.asked)

    def test_no_more_than_the_workers(self):
        resource = Parallel(workers=2, together=2)
        outcomes = alltypes.import_(
            [resource], refs.Lookup(self.dst), self.dir, everything
        )
        self.assertEqual(4, len(outcomes))
        self.assertEqual(2, len(resource.threads))

    def test_dry_run_one_by_one(self):
        resource = Parallel(workers=4, together=4)
        outcomes = alltypes.import_(
            [resource],
            refs.Lookup(self.dst),
            self.dir,
            everything,
            dry_run=True,
        )
        self.assertEqual(4, len(outcomes))
        self.assertEqual({threading.current_thread().name}, resource.threads)
        self.assertEqual(0, resource.asked)


class InFlight:
    """Counts the applies under way, across threads: the most at once."""

    def __init__(self):
        self.lock = threading.Lock()
        self.now = 0
        self.most = 0

    def __enter__(self):
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def __exit__(self, *exc):
        with self.lock:
            self.now -= 1


class Pooled(resource_base.Resource):
    """A made-up type whose entries may go to the pool; each apply waits
    at ``barrier`` (if any), so a test that needs applies to run together
    hangs (and fails) unless they do."""

    parallel_import = True
    params_fields = ('name',)

    def __init__(
        self, cli_name, kind, depends_on=(), barrier=None, in_flight=None
    ):
        self.type = 'test.' + cli_name
        self.cli_name = cli_name
        self.kind = kind
        self.file_name = cli_name + '.yml'
        self.depends_on = depends_on
        self.barrier = barrier
        self.in_flight = in_flight or InFlight()
        self.threads = []
        #: (cli_name, name) of each apply, as they end
        self.log = None

    def apply(self, lookup, entry, dry_run=False):
        name = self.name_of(entry)
        with self.in_flight:
            self.threads.append(threading.current_thread().name)
            if self.barrier is not None and not dry_run:
                self.barrier.wait()
            if self.log is not None:
                self.log.append((self.cli_name, name))
        if name.startswith('bad'):
            return resource_base.Outcome(
                self.type, name, resource_base.FAILED, 'broke'
            )
        return resource_base.Outcome(self.type, name, 'created', '')


class SlowFirst(Pooled):
    """The first entry ends only once all the others have."""

    def __init__(self, *args, others, **kwargs):
        super().__init__(*args, **kwargs)
        self.others_done = threading.Semaphore(0)
        self.others = others

    def apply(self, lookup, entry, dry_run=False):
        if self.name_of(entry) == 'first':
            for _ in range(self.others):
                self.assertTrue(self.others_done.acquire(timeout=10))
            return super().apply(lookup, entry, dry_run)
        try:
            return super().apply(lookup, entry, dry_run)
        finally:
            self.others_done.release()

    @staticmethod
    def assertTrue(value):
        assert value, 'the other entries did not end'


class FailingNetwork(network.Network):
    """Networks whose name starts with 'bad' cannot be created; made one
    by one (in a pool), not in bulk."""

    parallel_import = True
    bulk_class = None

    def create_sdk(self, lookup, attrs):
        if attrs['name'].startswith('bad'):
            raise sdk_exceptions.BadRequestException('no %s' % attrs['name'])
        return super().create_sdk(lookup, attrs)


class PooledChild(Child):
    parallel_import = True


def entry_of(resource, name):
    return {
        'type': resource.type,
        'params': {'name': name},
        '_info': {'id': name},
        '_migration_params': {},
    }


class TestPooledImport(Base):
    """``parallel``: the import pool of a dependency level."""

    def write(self, resource, *names):
        datafile.write(
            self.path(resource.file_name),
            [entry_of(resource, n) for n in names],
        )

    def import_(self, types, parallel=4, dry_run=False):
        self.lookup = refs.Lookup(self.dst)
        return alltypes.import_(
            types,
            self.lookup,
            self.dir,
            everything,
            dry_run=dry_run,
            parallel=parallel,
        )

    def test_no_more_than_parallel_in_flight(self):
        in_flight = InFlight()
        a = Pooled('a', 'ka', barrier=threading.Barrier(3, timeout=10))
        a.in_flight = in_flight
        self.write(a, *('n%d' % i for i in range(9)))
        outcomes = self.import_([a], parallel=3)
        self.assertEqual(9, len(outcomes))
        self.assertEqual(3, in_flight.most)
        self.assertEqual(3, len(set(a.threads)))

    def test_types_of_a_level_together(self):
        # Each of the two types' entries waits for one of the other type's.
        together = threading.Barrier(2, timeout=10)
        in_flight = InFlight()
        a = Pooled('a', 'ka', barrier=together, in_flight=in_flight)
        b = Pooled('b', 'kb', barrier=together, in_flight=in_flight)
        self.write(a, 'a1')
        self.write(b, 'b1')
        outcomes = self.import_([a, b])
        self.assertEqual(
            [('a1', 'created'), ('b1', 'created')],
            [(o.name, o.action) for o in outcomes],
        )
        self.assertEqual(2, in_flight.most)

    def test_a_level_waits_for_the_one_before(self):
        log = []
        a = Pooled('a', 'ka')
        b = Pooled('b', 'kb', depends_on=('a',))
        c = Pooled('c', 'kc')
        d = Pooled('d', 'kd', depends_on=('b',))
        for r in (a, b, c, d):
            r.log = log
            self.write(r, *('%s%d' % (r.cli_name, i) for i in range(5)))
        outcomes = self.import_([a, b, c, d])
        levels = {'a': 0, 'c': 0, 'b': 1, 'd': 2}
        self.assertEqual(
            sorted(levels[t] for t, _ in log), [levels[t] for t, _ in log]
        )
        self.assertEqual(
            ['%s%d' % (t, i) for t in 'abcd' for i in range(5)],
            [o.name for o in outcomes],
        )

    def test_outcomes_in_file_order_whatever_ends_first(self):
        a = SlowFirst('a', 'ka', others=4)
        self.write(a, 'first', 'second', 'bad', 'fourth', 'fifth')
        outcomes = self.import_([a])
        self.assertEqual(
            [
                ('first', 'created'),
                ('second', 'created'),
                ('bad', 'failed'),
                ('fourth', 'created'),
                ('fifth', 'created'),
            ],
            [(o.name, o.action) for o in outcomes],
        )

    def test_failure_blocks_only_its_dependents(self):
        net, child = FailingNetwork(), PooledChild()
        datafile.write(
            self.path('networks.yml'),
            [net_entry(n, 'i-' + n) for n in ('n1', 'bad', 'n3')],
        )
        datafile.write(
            self.path('children.yml'),
            [
                child_entry('c1', 'n1', 'c1'),
                child_entry('c2', 'bad', 'c2'),
                child_entry('c3', 'n3', 'c3'),
            ],
        )
        outcomes = self.import_([net, child])
        self.assertEqual(
            [
                resource_base.Outcome(NET, 'n1', 'created', ''),
                resource_base.Outcome(NET, 'bad', 'failed', 'no bad'),
                resource_base.Outcome(NET, 'n3', 'created', ''),
                resource_base.Outcome(CHILD, 'c1', 'created', ''),
                resource_base.Outcome(
                    CHILD,
                    'c2',
                    'blocked',
                    "network_ref: network 'bad' (project '%auth%') not found",
                ),
                resource_base.Outcome(CHILD, 'c3', 'created', ''),
            ],
            outcomes,
        )
        # Every network was tried before the first child.
        names = self.dst.call_names()
        self.assertLess(
            max(i for i, n in enumerate(names) if n.endswith('_network')),
            names.index('network.create_subnet'),
        )
        # One listing of each kind, for all the threads.
        self.assertEqual(1, names.count('network.networks'))
        self.assertEqual(1, names.count('network.subnets'))

    def test_same_resource_twice_one_after_the_other(self):
        net = FailingNetwork()
        datafile.write(
            self.path('networks.yml'),
            [
                net_entry('n1', 'i-1'),
                net_entry('n2', 'i-2'),
                net_entry('n1', 'i-3', description='again'),
            ],
        )
        outcomes = self.import_([net])
        self.assertEqual(
            [
                resource_base.Outcome(NET, 'n1', 'created', ''),
                resource_base.Outcome(NET, 'n2', 'created', ''),
                resource_base.Outcome(NET, 'n1', 'updated', 'description'),
            ],
            outcomes,
        )
        self.assertEqual(2, len(self.dst.calls_to('network.create_network')))

    def test_a_type_that_references_its_level_is_not_pooled(self):
        # One of its entries might wait for another entry of the pool.
        a = Pooled('a', 'ka')
        net, child = network.Network(), PooledChild()
        self.assertTrue(alltypes._poolable(child, [alltypes._Batch(a, [], 0)]))
        self.assertFalse(
            alltypes._poolable(
                child,
                [alltypes._Batch(net, [], 0), alltypes._Batch(child, [], 1)],
            )
        )
        tree = Pooled('tree', 'tree')
        tree.references = {
            'parent_ref': resource_base.RefField('tree', 'parent_id')
        }
        self.assertFalse(
            alltypes._poolable(tree, [alltypes._Batch(tree, [], 0)])
        )

    def test_types_that_do_not_say_so_stay_in_this_thread(self):
        in_flight = InFlight()
        a = Pooled('a', 'ka', in_flight=in_flight)
        p = Parallel(workers=1, together=1)
        self.write(a, 'a1', 'a2')
        datafile.write(
            self.path('parallel.yml'),
            [parallel_entry(n) for n in ('p1', 'p2', 'p3')],
        )
        outcomes = self.import_([p, a])
        self.assertEqual(
            ['p1', 'p2', 'p3', 'a1', 'a2'], [o.name for o in outcomes]
        )
        self.assertEqual({threading.current_thread().name}, p.threads)
        self.assertNotIn(threading.current_thread().name, a.threads)

    def test_parallel_one_is_one_by_one_in_this_thread(self):
        log = []
        a = Pooled('a', 'ka')
        b = Pooled('b', 'kb')
        for r in (a, b):
            r.log = log
            self.write(r, r.cli_name + '1', r.cli_name + '2')
        self.import_([b, a], parallel=1)
        self.assertEqual(
            [('b', 'b1'), ('b', 'b2'), ('a', 'a1'), ('a', 'a2')], log
        )
        self.assertEqual(
            {threading.current_thread().name}, set(a.threads + b.threads)
        )

    def test_dry_run_one_by_one_in_this_thread(self):
        a = Pooled('a', 'ka', barrier=threading.Barrier(2, timeout=10))
        self.write(a, 'a1', 'a2')
        outcomes = self.import_([a], dry_run=True)
        self.assertEqual(2, len(outcomes))
        self.assertEqual({threading.current_thread().name}, set(a.threads))

    def test_an_error_stops_what_has_not_started(self):
        class Broken(Pooled):
            def apply(self, lookup, entry, dry_run=False):
                if self.name_of(entry) == 'boom':
                    raise RuntimeError('boom')
                return super().apply(lookup, entry, dry_run)

        a = Broken('a', 'ka')
        a.log = []
        self.write(a, 'boom', *('a%d' % i for i in range(50)))
        self.assertRaises(RuntimeError, self.import_, [a], parallel=2)
        self.assertLess(len(a.log), 50)

    def test_every_reference_between_types_is_a_dependency(self):
        # The levels come from depends_on: a reference it leaves out
        # could be resolved before its target is imported.
        every = resources.by_cli_name().values()
        of_kind = collections.defaultdict(set)
        for r in every:
            of_kind[r.kind].add(r.cli_name)
        for r in every:
            for param, ref in r.references.items():
                if ref.kind == r.kind:
                    continue  # within the type: never pooled
                targets = of_kind[ref.kind] - {r.cli_name}
                if targets:
                    self.assertTrue(
                        targets & set(r.depends_on), (r.cli_name, param)
                    )


class TestSummary(base.BaseTestCase):
    def test_summarize(self):
        net, child = network.Network(), Child()
        outcomes = [
            resource_base.Outcome(NET, 'a', 'created'),
            resource_base.Outcome(NET, 'b', 'created'),
            resource_base.Outcome(NET, 'c', 'updated'),
            resource_base.Outcome(NET, 'd', 'unchanged'),
            resource_base.Outcome(NET, 'e', 'failed', 'boom'),
            resource_base.Outcome(NET, 'f', 'blocked', 'x'),
            resource_base.Outcome(CHILD, 'g', 'conflict', 'y'),
            resource_base.Outcome(CHILD, 'h', 'unchanged'),
        ]
        self.assertEqual(
            [
                alltypes.Summary('network', 2, 1, 1, 2),
                alltypes.Summary('child', 0, 0, 1, 1),
            ],
            alltypes.summarize([net, child], outcomes),
        )

    def test_summarize_nothing(self):
        self.assertEqual(
            [alltypes.Summary('network', 0, 0, 0, 0)],
            alltypes.summarize([network.Network()], []),
        )

    def test_succeeded(self):
        for action in ('created', 'updated', 'unchanged', 'create', 'update'):
            self.assertTrue(
                alltypes.succeeded(resource_base.Outcome(NET, 'a', action))
            )
        for action in ('failed', 'blocked', 'conflict'):
            self.assertFalse(
                alltypes.succeeded(resource_base.Outcome(NET, 'a', action))
            )


class BulkFailingNetwork(network.Network):
    """Networks in bulk; those named 'bad*' refused, as Neutron refuses a
    whole bulk request for one bad entry."""

    def create_many_sdk(self, lookup, attrs):
        if any(a['name'].startswith('bad') for a in attrs):
            raise sdk_exceptions.BadRequestException('no bad')
        return super().create_many_sdk(lookup, attrs)

    def create_sdk(self, lookup, attrs):
        if attrs['name'].startswith('bad'):
            raise sdk_exceptions.BadRequestException('no %s' % attrs['name'])
        return super().create_sdk(lookup, attrs)


class TestBulkImport(Base):
    """``parallel`` > 1 and a type with a bulk create: new ones in bulk."""

    def import_(self, resource, entries, parallel=4):
        datafile.write(self.path(resource.file_name), entries)
        self.lookup = refs.Lookup(self.dst)
        return alltypes.import_(
            [resource], self.lookup, self.dir, everything, parallel=parallel
        )

    def test_new_ones_in_one_request(self):
        self.dst.add('network', name='old', description='')
        self.dst.add('network', name='changed', description='x')
        outcomes = self.import_(
            network.Network(),
            [
                net_entry('n1', 'i-1'),
                net_entry('old', 'i-2'),
                net_entry('n2', 'i-3'),
                net_entry('changed', 'i-4'),
                net_entry('n1', 'i-5', description='again'),
            ],
        )
        self.assertEqual(
            [
                ('n1', 'created', ''),
                ('old', 'unchanged', ''),
                ('n2', 'created', ''),
                ('changed', 'updated', 'description'),
                # the same network again: after the first was made
                ('n1', 'updated', 'description'),
            ],
            [(o.name, o.action, o.detail) for o in outcomes],
        )
        (call,) = self.dst.calls_to('network.bulk_create_network')
        self.assertEqual(['n1', 'n2'], [a['name'] for a in call[0][0]])
        self.assertEqual([], self.dst.calls_to('network.create_network'))
        self.assertEqual(
            ['changed', 'n1', 'n2', 'old'],
            sorted(n.name for n in self.dst.store['network']),
        )

    def test_batches_of_bulk_size(self):
        self.useFixture(
            fixtures.MonkeyPatch(
                'osmigrateclient.resources._bulk.BULK_SIZE', 2
            )
        )
        self.import_(
            network.Network(),
            [net_entry('n%d' % i, 'i-%d' % i) for i in range(5)],
        )
        self.assertEqual(
            [2, 2, 1],
            [
                len(c[0][0])
                for c in self.dst.calls_to('network.bulk_create_network')
            ],
        )

    def test_parallel_one_is_one_by_one(self):
        self.import_(
            network.Network(),
            [net_entry('n1', 'i-1'), net_entry('n2', 'i-2')],
            parallel=1,
        )
        self.assertEqual([], self.dst.calls_to('network.bulk_create_network'))
        self.assertEqual(2, len(self.dst.calls_to('network.create_network')))

    def test_a_refused_request_is_redone_one_by_one(self):
        outcomes = self.import_(
            BulkFailingNetwork(),
            [
                net_entry('n1', 'i-1'),
                net_entry('bad', 'i-2'),
                net_entry('n3', 'i-3'),
            ],
        )
        self.assertEqual(
            [
                ('n1', 'created', ''),
                ('bad', 'failed', 'no bad'),
                ('n3', 'created', ''),
            ],
            [(o.name, o.action, o.detail) for o in outcomes],
        )
        self.assertEqual(
            ['n1', 'n3'], sorted(n.name for n in self.dst.store['network'])
        )

    def test_a_lost_answer_makes_no_duplicate(self):
        # Neutron made them all; the answer never came.
        made = self.dst.add

        def lost(data):
            for attrs in data:
                made('network', **attrs)
            raise sdk_exceptions.HttpException('connection reset')

        self.dst._api_bulk_create_network = lost
        outcomes = self.import_(
            network.Network(),
            [net_entry('n1', 'i-1'), net_entry('n2', 'i-2')],
        )
        self.assertEqual(
            [('n1', 'unchanged'), ('n2', 'unchanged')],
            [(o.name, o.action) for o in outcomes],
        )
        self.assertEqual(
            ['n1', 'n2'], sorted(n.name for n in self.dst.store['network'])
        )
        # listed again after the failure: what it made is found
        self.assertEqual(2, len(self.dst.calls_to('network.networks')))
