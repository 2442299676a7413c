#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

import json
import os
import stat

import fixtures
from oslotest import base

from osmigrateclient.resources import refs
from osmigrateclient.transfer import conversion_host
from osmigrateclient.transfer import volume_copy
from osmigrateclient.workload import journal
from osmigrateclient.workload import migration
from osmigrateclient.workload import runner
from osmigrateclient.workload.steps import server as server_step
from tests.unit.workload import fakes

GiB = fakes.GiB


def _context(test, pause):
    """The run's context of ``test``'s data dir and fake clouds, on a
    fake clock."""
    return migration.Context(
        test.data_dir,
        test.src,
        test.dst,
        volume_copy.Settings(timeout=60.0),
        clock=fakes.Clock(),
        pause=pause,
    )


def _outcome(action, detail='', dest_id=None, name='app-vm', id_='vm1'):
    return migration.ImportOutcome(name, id_, action, dest_id, detail)


class TestTriage(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        fakes.save_hosts(self.data_dir)
        self.src = fakes.source()
        self.dst = fakes.destination()
        self.ctx = _context(self, pause=self.fail)

    def triage(self, *entries):
        return runner.triage(
            self.ctx,
            list(entries) or [fakes.server_entry()],
            refs.Lookup(self.src),
            refs.Lookup(self.dst),
        )

    def journal(self, **fields):
        j = journal.Journal(self.data_dir, 'vm1', 'app-vm')
        j.set(**fields)
        return j

    def test_new_server_is_to_import(self):
        todo, outcomes = self.triage()
        self.assertEqual([], outcomes)
        self.assertEqual([fakes.resolved(entry=todo[0].entry)], todo)

    def test_imported_and_present_is_unchanged_without_preflight(self):
        self.journal(phase=journal.DONE, dest_id='dvm')
        self.dst.add('server', id='dvm', name='app-vm')
        # The entry would not pass the pre-flight any more.
        self.dst.store['flavor'] = []
        todo, outcomes = self.triage()
        self.assertEqual([], todo)
        self.assertEqual([_outcome('unchanged', '', 'dvm')], outcomes)
        self.assertEqual([], self.src.calls)
        self.assertEqual(['compute.servers'], self.dst.call_names())

    def test_imported_but_gone_is_imported_again(self):
        self.journal(phase=journal.DONE, dest_id='dvm')
        todo, outcomes = self.triage()
        self.assertEqual([], outcomes)
        self.assertEqual(['vm1'], [r.source_id for r in todo])

    def test_same_name_not_journalled_is_a_conflict(self):
        self.dst.add('server', id='dother', name='app-vm')
        self.dst.add('server', id='dx', name='app-vm', project_id='else')
        todo, outcomes = self.triage()
        self.assertEqual([], todo)
        self.assertEqual(
            [
                _outcome(
                    'conflict',
                    "the destination has a server named 'app-vm' (dother) "
                    'that this data directory did not import: rename or '
                    'delete one of them',
                )
            ],
            outcomes,
        )
        self.assertEqual([], self.src.calls)

    def test_done_journal_with_another_same_named_server(self):
        self.journal(phase=journal.DONE, dest_id='dgone')
        self.dst.add('server', id='d1', name='app-vm')
        self.dst.add('server', id='d2', name='app-vm')
        _todo, outcomes = self.triage()
        self.assertEqual(
            [
                _outcome(
                    'conflict',
                    "the destination has a server named 'app-vm' (d1, d2) "
                    'that this data directory did not import: rename or '
                    'delete one of them',
                )
            ],
            outcomes,
        )

    def test_server_the_journal_knows_is_no_conflict(self):
        j = self.journal(phase=journal.RUNNING)
        j.update_step(server_step.NAME, state='started', id='dvm')
        self.dst.add('server', id='dvm', name='app-vm')
        todo, outcomes = self.triage()
        self.assertEqual([], outcomes)
        self.assertEqual(['vm1'], [r.source_id for r in todo])

    def test_server_of_a_killed_create_is_no_conflict(self):
        j = self.journal(phase=journal.RUNNING)
        j.update_step(server_step.NAME, state='started', creating=True)
        self.dst.add('server', id='d1', name='app-vm')
        todo, outcomes = self.triage()
        self.assertEqual([], outcomes)
        self.assertEqual(['vm1'], [r.source_id for r in todo])
        # Two cannot both be that one.
        self.dst.add('server', id='d2', name='app-vm')
        todo, outcomes = self.triage()
        self.assertEqual([], todo)
        self.assertEqual(['conflict'], [o.action for o in outcomes])

    def test_creating_of_a_failed_run_does_not_count(self):
        j = self.journal(phase=journal.FAILED)
        j.update_step(server_step.NAME, state='started', creating=True)
        self.dst.add('server', id='d1', name='app-vm')
        _todo, outcomes = self.triage()
        self.assertEqual(['conflict'], [o.action for o in outcomes])

    def test_creating_of_a_failed_run_whose_revert_failed(self):
        # The failed run could not delete what it made: the next one
        # undoes it (fault campaign, tools/chaos).
        j = self.journal(phase=journal.FAILED)
        j.set(revert_errors=['server: 503'])
        j.update_step(server_step.NAME, state='started', creating=True)
        self.dst.add('server', id='d1', name='app-vm')
        todo, outcomes = self.triage()
        self.assertEqual([], outcomes)
        self.assertEqual(['vm1'], [r.source_id for r in todo])

    def test_source_conversion_host_is_skipped(self):
        entry = fakes.server_entry(name='osmigrate-conv-src')
        entry['_info']['id'] = 'S'
        todo, outcomes = self.triage(entry)
        self.assertEqual([], todo)
        self.assertEqual(
            [
                _outcome(
                    'skipped',
                    'the source conversion host',
                    name='osmigrate-conv-src',
                    id_='S',
                )
            ],
            outcomes,
        )
        self.assertEqual([], self.src.calls)
        self.assertEqual([], self.dst.calls)

    def test_problems_block(self):
        self.dst.store['flavor'] = []
        self.dst.store['keypair'] = []
        todo, outcomes = self.triage()
        self.assertEqual([], todo)
        self.assertEqual(
            [
                _outcome(
                    'blocked',
                    "flavor_ref: flavor 'm1.tiny' not found; key_name: "
                    "keypair 'key' not found in the destination",
                )
            ],
            outcomes,
        )

    def test_volumes_need_both_conversion_hosts(self):
        for sides, missing in (((), 'src or dst'), (('src',), 'dst')):
            fakes.save_hosts(self.data_dir, sides)
            todo, outcomes = self.triage()
            self.assertEqual([], todo)
            self.assertEqual(
                [
                    _outcome(
                        'blocked',
                        'volumes: no %s conversion host: run "openstack '
                        'migrate conversion host deploy" first' % missing,
                    )
                ],
                outcomes,
            )

    def test_a_pool_without_its_first_pair(self):
        # delete --host took pair 1: pair 2 copies, its source host is no
        # workload
        conversion_host.save_hosts(
            self.data_dir,
            {
                'src-2': {'name': 'cs2', 'server_id': 'S2'},
                'dst-2': {'name': 'cd2', 'server_id': 'D2'},
            },
        )
        conv = fakes.server_entry(name='cs2')
        conv['_info']['id'] = 'S2'
        todo, outcomes = self.triage(fakes.server_entry(), conv)
        self.assertEqual(['vm1'], [r.source_id for r in todo])
        self.assertEqual(
            [
                _outcome(
                    'skipped',
                    'the source conversion host',
                    name='cs2',
                    id_='S2',
                )
            ],
            outcomes,
        )

    def test_hosts_of_different_pairs_are_no_pair(self):
        conversion_host.save_hosts(
            self.data_dir,
            {
                'src': {'name': 'cs', 'server_id': 'S'},
                'dst-2': {'name': 'cd2', 'server_id': 'D2'},
            },
        )
        _todo, outcomes = self.triage()
        self.assertEqual(
            [
                _outcome(
                    'blocked',
                    'volumes: no src or dst conversion host: run "openstack '
                    'migrate conversion host deploy" first',
                )
            ],
            outcomes,
        )

    def test_boot_disk_copy_needs_conversion_hosts(self):
        fakes.save_hosts(self.data_dir, ())
        self.src = fakes.source(volumes=())
        entry = fakes.server_entry({'boot_disk_copy': True}, volumes=[])
        _todo, outcomes = self.triage(entry)
        self.assertEqual(['blocked'], [o.action for o in outcomes])

    def test_no_volumes_no_conversion_hosts_needed(self):
        fakes.save_hosts(self.data_dir, ())
        self.src = fakes.source(volumes=())
        todo, outcomes = self.triage(fakes.server_entry(volumes=[]))
        self.assertEqual([], outcomes)
        self.assertEqual(['vm1'], [r.source_id for r in todo])

    def test_each_server_on_its_own(self):
        gone = fakes.server_entry(name='gone')
        gone['_info']['id'] = 'vm-gone'
        conv = fakes.server_entry(name='conv')
        conv['_info']['id'] = 'S'
        todo, outcomes = self.triage(gone, fakes.server_entry(), conv)
        self.assertEqual(['vm1'], [r.source_id for r in todo])
        self.assertEqual(
            [
                _outcome(
                    'blocked',
                    'the source server vm-gone is gone',
                    name='gone',
                    id_='vm-gone',
                ),
                _outcome(
                    'skipped',
                    'the source conversion host',
                    name='conv',
                    id_='S',
                ),
            ],
            outcomes,
        )

    def test_triage_writes_nothing(self):
        self.triage()
        self.assertEqual([], self.dst.write_calls())
        self.assertEqual([], self.src.write_calls())
        self.assertFalse(os.path.exists(journal.directory(self.data_dir)))


class TestMakeAhead(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        self.addCleanup(fakes.close_server_logs, self.data_dir)
        self.src = fakes.source()
        self.dst = fakes.destination()
        self.ctx = _context(self, pause=self.fail)

    def make_ahead(self):
        return runner.make_ahead(
            self.ctx,
            [fakes.server_entry()],
            refs.Lookup(self.src),
            refs.Lookup(self.dst),
        )

    def test_a_running_source_gets_its_ports_and_group(self):
        self.src.find('server', 'vm1').status = 'ACTIVE'
        self.assertEqual(
            {'vm1': 'made ahead: server group, 1 port'}, self.make_ahead()
        )
        self.assertEqual(
            ['compute.create_server_group', 'network.create_port'],
            self.dst.write_calls(),
        )

    def test_problems_make_nothing(self):
        self.dst.store['flavor'] = []
        self.assertEqual(
            {
                'vm1': "nothing made ahead: flavor_ref: flavor 'm1.tiny' "
                'not found'
            },
            self.make_ahead(),
        )
        self.assertEqual([], self.dst.write_calls())

    def test_nothing_once_the_import_began(self):
        journal.Journal(self.data_dir, 'vm1', 'app-vm').set(
            phase=journal.RUNNING
        )
        self.assertEqual({}, self.make_ahead())
        self.assertEqual([], self.dst.calls)


class TestRun(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        self.addCleanup(fakes.close_server_logs, self.data_dir)
        self.src = fakes.Cloud()
        self.dst = fakes.Cloud()
        self.pauses = []
        self.ctx = _context(self, pause=self.pauses.append)

    def test_nothing_to_do(self):
        self.assertEqual([], runner.run(self.ctx, [], parallel=4))

    def test_outcomes_in_the_order_given(self):
        todo = []
        for i in range(4):
            self.src.add('server', id='vm%d' % i, status='SHUTOFF')
            todo.append(
                fakes.resolved(
                    source_id='vm%d' % i,
                    name='app-%d' % i,
                    server_attrs={'name': 'app-%d' % i},
                    data_volumes=[],
                    ports=[],
                    floating_ips=[],
                    server_group=None,
                )
            )
        outcomes = runner.run(self.ctx, todo, parallel=3)
        servers = {s.name: s.id for s in self.dst.store['server']}
        self.assertEqual(
            [
                migration.ImportOutcome(
                    'app-%d' % i,
                    'vm%d' % i,
                    'created',
                    servers['app-%d' % i],
                    '',
                )
                for i in range(4)
            ],
            outcomes,
        )
        self.assertEqual([], self.pauses)


class TestReport(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.data_dir = self.useFixture(fixtures.TempDir()).path

    def test_sums_of_the_journals(self):
        j = journal.Journal(self.data_dir, 'vm1', 'app-vm')
        j.set(phase=journal.DONE, dest_id='dvm', downtime_seconds=6.25)
        j.update_step('stop', state='done', seconds=0.5)
        j.update_step(
            'volume:vol1',
            state='done',
            seconds=12.25,
            result='dvol1',
            copy={
                'bytes': GiB,
                'seconds': 10.0,
                'algo': 'xxh128',
                'digest': 'abc',
                'bytes_sent': 1000,
            },
        )
        j.update_step(
            'volume:vol2',
            state='done',
            seconds=3.125,
            result='dvol2',
            copy={'bytes': 2 * GiB, 'seconds': 2.5, 'algo': '', 'digest': ''},
        )
        j.update_step('server', state='done', seconds=4.0, id='dvm')
        failed = journal.Journal(self.data_dir, 'vm2', 'db')
        failed.set(phase=journal.FAILED, step='ports', error='no IPs left')
        failed.update_step('stop', state='done', seconds=1.0)
        failed.update_step('ports', state='started')
        outcomes = [
            _outcome('created', '', 'dvm'),
            _outcome('failed', 'step ports: no IPs left', None, 'db', 'vm2'),
            _outcome('blocked', 'flavor_ref: missing', None, 'web', 'vm3'),
        ]
        self.assertEqual(
            {
                'started_at': '2024-05-01T10:00:00Z',
                'seconds': 42.123,
                'parallel': 2,
                'servers': [
                    {
                        'name': 'app-vm',
                        'source_id': 'vm1',
                        'dest_id': 'dvm',
                        'action': 'created',
                        'detail': '',
                        'steps': {
                            'stop': {'state': 'done', 'seconds': 0.5},
                            'volume:vol1': {'state': 'done', 'seconds': 12.25},
                            'volume:vol2': {
                                'state': 'done',
                                'seconds': 3.125,
                            },
                            'server': {'state': 'done', 'seconds': 4.0},
                        },
                        'volumes': [
                            {
                                'step': 'volume:vol1',
                                'dest_id': 'dvol1',
                                'bytes': GiB,
                                'seconds': 10.0,
                                'algo': 'xxh128',
                                'digest': 'abc',
                                'bytes_sent': 1000,
                            },
                            {
                                'step': 'volume:vol2',
                                'dest_id': 'dvol2',
                                'bytes': 2 * GiB,
                                'seconds': 2.5,
                                'algo': '',
                                'digest': '',
                            },
                        ],
                        'seconds': 19.875,
                        'copy_seconds': 12.5,
                        'other_seconds': 7.375,
                        'error': None,
                        'downtime_seconds': 6.25,
                    },
                    {
                        'name': 'db',
                        'source_id': 'vm2',
                        'dest_id': None,
                        'action': 'failed',
                        'detail': 'step ports: no IPs left',
                        'steps': {
                            'stop': {'state': 'done', 'seconds': 1.0},
                            'ports': {'state': 'started', 'seconds': None},
                        },
                        'volumes': [],
                        'seconds': 1.0,
                        'copy_seconds': 0,
                        'other_seconds': 1.0,
                        'error': 'no IPs left',
                        'downtime_seconds': None,
                    },
                    {
                        'name': 'web',
                        'source_id': 'vm3',
                        'dest_id': None,
                        'action': 'blocked',
                        'detail': 'flavor_ref: missing',
                    },
                ],
            },
            runner.report(
                self.data_dir, outcomes, '2024-05-01T10:00:00Z', 42.12345, 2
            ),
        )
        # Reading the journals for a report writes none.
        self.assertEqual(
            ['vm1.yml', 'vm2.yml'],
            sorted(os.listdir(journal.directory(self.data_dir))),
        )

    def test_write_report(self):
        path = os.path.join(self.data_dir, 'report.json')
        runner.write_report(path, {'servers': [], 'parallel': 1})
        with open(path, encoding='utf-8') as f:
            text = f.read()
        self.assertEqual(
            '{\n  "parallel": 1,\n  "servers": []\n}\n',
            text,
        )
        self.assertEqual({'servers': [], 'parallel': 1}, json.loads(text))
        self.assertEqual(0o600, stat.S_IMODE(os.stat(path).st_mode))

    def test_succeeded(self):
        self.assertEqual(
            ('created', 'unchanged', 'skipped', 'create'), runner.SUCCEEDED
        )
