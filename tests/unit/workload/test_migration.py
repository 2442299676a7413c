#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

"""The import of one server: its steps in order, rerun, resumed, reverted."""

import logging
import os
import stat

from openstack.compute.v2 import server as sdk_server
from openstack import exceptions as sdk_exceptions

from osmigrateclient.workload import journal
from osmigrateclient.workload import migration
from tests.unit.workload import fakes
from tests.unit.workload import importing


class TestImport(importing.ImportTestCase):
    def test_image_booted_server(self):
        outcome = self.run_import()
        server = self.one('server')
        volume = self.one('volume')
        group = self.one('server_group')
        port = self.one('port')
        fip = self.one('floating_ip')
        self.assertEqual(
            migration.ImportOutcome('app-vm', 'vm1', 'created', server.id, ''),
            outcome,
        )
        self.assertEqual(
            [
                'block_storage.create_volume',
                'compute.create_server_group',
                'network.create_port',
                'compute.create_server',
                'network.create_ip',
            ],
            self.dst.write_calls(),
        )
        self.assertEqual(
            [
                {
                    'name': 'data',
                    'description': 'd',
                    'volume_type': 'nfs',
                    'availability_zone': 'nova',
                    'size': 1,
                }
            ],
            self.kwargs(self.dst, 'block_storage.create_volume'),
        )
        self.assertEqual(
            [{'name': 'group', 'policy': 'anti-affinity'}],
            self.kwargs(self.dst, 'compute.create_server_group'),
        )
        self.assertEqual(
            [
                {
                    'network_id': 'dnet1',
                    'fixed_ips': [
                        {'subnet_id': 'dsub1', 'ip_address': '10.0.0.5'}
                    ],
                    'mac_address': 'mac-a',
                    'security_group_ids': ['dsg1'],
                }
            ],
            self.kwargs(self.dst, 'network.create_port'),
        )
        self.assertEqual(
            [
                dict(
                    fakes.SERVER_ATTRS,
                    flavor_id='dfl1',
                    networks=[{'port': port.id}],
                    image_id='dimg1',
                    block_device_mapping=[
                        importing.IMAGE_BDM,
                        importing.volume_bdm(volume.id, -1),
                    ],
                    scheduler_hints={'group': group.id},
                )
            ],
            self.kwargs(self.dst, 'compute.create_server'),
        )
        self.assertEqual(
            [
                {
                    'floating_network_id': 'dpub',
                    'port_id': port.id,
                    'fixed_ip_address': '10.0.0.5',
                }
            ],
            self.kwargs(self.dst, 'network.create_ip'),
        )
        self.assertEqual(
            [('vol1', volume.id, fakes.GiB, 'app-vm data', True)],
            self.copier.copies,
        )
        # vol1 was detached only for its copy, and is back where it was.
        self.assertEqual(
            [
                'compute.delete_volume_attachment',
                'compute.create_volume_attachment',
            ],
            self.src.write_calls(),
        )
        [((source, volume_id), kwargs)] = self.src.calls_to(
            'compute.delete_volume_attachment'
        )
        # A Server resource: openstacksdk does not GET it to tell the ids
        # apart.
        self.assertIsInstance(source, sdk_server.Server)
        self.assertEqual(
            ('vm1', 'vol1', {'ignore_missing': True}),
            (source.id, volume_id, kwargs),
        )
        self.assertEqual(
            [(('vm1',), {'volume_id': 'vol1', 'device': '/dev/vdb'})],
            self.src.calls_to('compute.create_volume_attachment'),
        )
        self.assertEqual('in-use', self.src.find('volume', 'vol1').status)
        self.assertEqual([], self.pauses)

        data = self.journal()
        self.assertEqual(
            ('done', None, server.id, None),
            (data['phase'], data['step'], data['dest_id'], data.get('error')),
        )
        self.assertEqual(
            {'status': 'SHUTOFF', 'stopped': False, 'detached': []},
            importing.without_down_from(data['source']),
        )
        # SHUTOFF already: the downtime runs from the import's stop step
        self.assertIsInstance(data['downtime_seconds'], float)
        steps = data['steps']
        self.assertEqual(
            {
                'stop': 'done',
                'volume:vol1': 'done',
                'server_group': 'done',
                'ports': 'done',
                'server': 'done',
                'floating_ips': 'done',
            },
            {k: v['state'] for k, v in steps.items()},
        )
        self.assertEqual(
            {'state': 'done', 'result': None, 'seconds': 1.0}, steps['stop']
        )
        self.assertEqual(
            {
                'state': 'done',
                # What a killed create would need to find the volume.
                'creating': {'name': 'data', 'size': 1, 'before': []},
                'dest_volume': volume.id,
                'attached': [],
                'copy': {
                    'bytes': fakes.GiB,
                    'seconds': 2.5,
                    'algo': 'xxh128',
                    'digest': 'd-vol1',
                    'bytes_sent': fakes.GiB // 2,
                },
                'result': volume.id,
            },
            {k: v for k, v in steps['volume:vol1'].items() if k != 'seconds'},
        )
        self.assertEqual(
            {'state': 'done', 'created': group.id, 'result': group.id},
            {k: v for k, v in steps['server_group'].items() if k != 'seconds'},
        )
        self.assertEqual({'p-a': port.id}, steps['ports']['result'])
        self.assertEqual(
            {'state': 'done', 'creating': True, 'id': server.id},
            {
                k: v
                for k, v in steps['server'].items()
                if k not in ('seconds', 'result')
            },
        )
        self.assertEqual(
            {
                '172.24.4.9': {
                    'id': fip.id,
                    'created': True,
                    'address': fip.floating_ip_address,
                }
            },
            steps['floating_ips']['ips'],
        )
        self.assertEqual(
            [fip.floating_ip_address], steps['floating_ips']['result']
        )

    def test_source_volumes_come_back_after_the_downtime(self):
        seen = []
        call = self.dst._call

        def spy(service, method, args, kwargs):
            if (service, method) == ('compute', 'create_server'):
                seen.append(self.src.write_calls())
            return call(service, method, args, kwargs)

        self.dst._call = spy
        self.run_import()
        # Detached when the server was created; attached back afterwards.
        self.assertEqual([['compute.delete_volume_attachment']], seen)
        self.assertEqual(
            'compute.create_volume_attachment', self.src.write_calls()[-1]
        )
        self.assertEqual([], self.journal()['source']['detached'])

    def test_server_log_file(self):
        self.run_import()
        path = journal.log_path(self.data_dir, 'vm1')
        self.assertEqual(0o600, stat.S_IMODE(os.stat(path).st_mode))
        with open(path, encoding='utf-8') as f:
            text = f.read()
        self.assertIn('INFO import started\n', text)
        self.assertIn('INFO import done: server ', text)

    def test_server_log_file_closed_after_the_import(self):
        self.run_import()
        logger = logging.getLogger('osmigrateclient.workload.vm1')
        self.assertEqual([], logger.handlers)
        # A later import of the server (here: into a new workload_logs/)
        # logs into its own file.
        os.rename(
            journal.directory(self.data_dir),
            os.path.join(self.data_dir, 'old'),
        )
        self.run_import()
        with open(journal.log_path(self.data_dir, 'vm1')) as f:
            self.assertIn('INFO import ', f.read())

    def test_no_ports_no_group_no_volumes(self):
        outcome = self.run_import(
            fakes.resolved(
                data_volumes=[],
                ports=[],
                floating_ips=[],
                server_group=None,
                server_attrs={'name': 'app-vm'},
            )
        )
        self.assertEqual('created', outcome.action)
        self.assertEqual(
            [
                {
                    'name': 'app-vm',
                    'flavor_id': 'dfl1',
                    'networks': 'none',
                    'image_id': 'dimg1',
                }
            ],
            self.kwargs(self.dst, 'compute.create_server'),
        )
        self.assertEqual(['compute.create_server'], self.dst.write_calls())
        self.assertEqual([], self.copier.copies)
        self.assertEqual(
            ['ports', 'server', 'stop'], sorted(self.journal()['steps'])
        )

    def test_remarks_of_the_check_and_the_ports(self):
        self.dst.add(
            'port',
            id='taken',
            network_id='dnet1',
            device_id='other',
            mac_address='mac-a',
            fixed_ips=[{'subnet_id': 'dsub1', 'ip_address': '10.0.0.99'}],
        )
        outcome = self.run_import(
            fakes.resolved(remarks=["availability zone 'az' is gone"])
        )
        self.assertEqual(
            "availability zone 'az' is gone; MAC mac-a is taken in the "
            'destination: the port got a new one',
            outcome.detail,
        )
        self.assertEqual(
            ['MAC mac-a is taken in the destination: the port got a new one'],
            self.journal()['remarks'],
        )


class TestRerun(importing.ImportTestCase):
    def test_imported_server_still_there_is_unchanged(self):
        self.run_import()
        server = self.one('server')
        self.dst.calls.clear()
        self.src.calls.clear()
        self.assertEqual(
            migration.ImportOutcome(
                'app-vm', 'vm1', 'unchanged', server.id, ''
            ),
            self.run_import(),
        )
        self.assertEqual(['compute.get_server'], self.dst.call_names())
        self.assertEqual([], self.src.calls)
        self.assertEqual(1, len(self.copier.copies))

    def test_imported_server_gone_is_imported_again(self):
        self.run_import()
        first = self.one('server').id
        port = self.one('port')
        volume = self.one('volume')
        # Deleted by hand: its port, made by Neutron, is left unbound, its
        # volume (delete_on_termination false) too.
        self.dst.store['server'] = []
        volume._update(status='available', attachments=[])
        outcome = self.run_import()
        second = self.one('server').id
        self.assertNotEqual(first, second)
        self.assertEqual(
            migration.ImportOutcome(
                'app-vm',
                'vm1',
                'created',
                second,
                'volumes of an earlier import kept in the destination: %s'
                % volume.id,
            ),
            outcome,
        )
        # Kept, not used again.
        self.assertEqual(2, len(self.dst.store['volume']))
        self.assertNotIn(
            volume.id,
            [
                m['uuid']
                for m in self.kwargs(self.dst, 'compute.create_server')[1][
                    'block_device_mapping'
                ]
            ],
        )
        self.assertEqual(2, len(self.copier.copies))
        self.assertEqual(second, self.journal()['dest_id'])
        # The port is used again, with its MAC and fixed IP, and so is the
        # floating IP it kept (Neutron refuses a second one).
        self.assertEqual(1, len(self.dst.calls_to('network.create_port')))
        self.assertEqual(1, len(self.dst.calls_to('network.create_ip')))
        self.assertEqual(port.id, self.one('floating_ip').port_id)
        self.assertEqual(
            [{'port': port.id}],
            self.kwargs(self.dst, 'compute.create_server')[1]['networks'],
        )

    def test_imported_server_and_its_volumes_gone(self):
        self.run_import()
        self.dst.store['server'] = []
        self.dst.store['volume'] = []
        outcome = self.run_import()
        self.assertEqual(('created', ''), (outcome.action, outcome.detail))

    def test_resume_runs_only_the_steps_not_done(self):
        self.dst.add('volume', id='dvol', status='available')
        self.dst.add('server_group', id='dgrp', name='group')
        self.dst.add(
            'port',
            id='dport',
            network_id='dnet1',
            mac_address='mac-a',
            fixed_ips=[{'subnet_id': 'dsub1', 'ip_address': '10.0.0.5'}],
        )
        j = journal.Journal(self.data_dir, 'vm1', 'app-vm')
        j.set(phase='running', started_at='2024-05-01T10:00:00Z')
        j.set_source(status='SHUTOFF', stopped=False, detached=[])
        j.update_step('stop', state='done', result=None, seconds=1.0)
        j.update_step(
            'volume:vol1',
            state='done',
            result='dvol',
            dest_volume='dvol',
            attached=[],
            seconds=30.0,
        )
        j.update_step('server_group', state='done', result='dgrp', seconds=1.0)
        j.update_step(
            'ports',
            state='done',
            result={'p-a': 'dport'},
            created={'p-a': 'dport'},
            seconds=2.0,
        )
        outcome = self.run_import()
        server = self.one('server')
        self.assertEqual(
            migration.ImportOutcome('app-vm', 'vm1', 'created', server.id, ''),
            outcome,
        )
        self.assertEqual([], self.src.calls)
        self.assertEqual([], self.copier.copies)
        self.assertEqual(
            ['compute.create_server', 'network.create_ip'],
            self.dst.write_calls(),
        )
        (kwargs,) = self.kwargs(self.dst, 'compute.create_server')
        self.assertEqual(
            (
                [{'port': 'dport'}],
                [importing.IMAGE_BDM, importing.volume_bdm('dvol', -1)],
                {'group': 'dgrp'},
            ),
            (
                kwargs['networks'],
                kwargs['block_device_mapping'],
                kwargs['scheduler_hints'],
            ),
        )
        data = self.journal()
        self.assertEqual('2024-05-01T10:00:00Z', data['started_at'])
        self.assertEqual(30.0, data['steps']['volume:vol1']['seconds'])
        self.assertEqual('done', data['phase'])

    def test_failed_run_is_started_over(self):
        self.src.find('server', 'vm1')._update(status='ACTIVE')
        self.assertEqual('failed', self.run_import().action)
        self.src.find('server', 'vm1')._update(status='SHUTOFF')
        outcome = self.run_import()
        self.assertEqual('created', outcome.action)
        data = self.journal()
        self.assertEqual('done', data['phase'])
        self.assertNotIn('error', data)
        self.assertEqual(self.one('server').id, data['dest_id'])


class TestRevert(importing.ImportTestCase):
    def test_what_a_failed_revert_left_is_undone_by_the_next_run(self):
        # Found by the fault campaign: the next run reset the journal of
        # the failed one and forgot what its revert could not delete.
        self.dst.server_status = 'ERROR'
        self.dst.fail(
            'block_storage.delete_volume', sdk_exceptions.HttpException('503')
        )
        self.assertEqual('failed', self.run_import().action)
        [left] = self.dst.store['volume']
        self.assertTrue(self.journal()['revert_errors'])
        del self.dst._failures['block_storage.delete_volume']
        self.dst.server_status = 'ACTIVE'
        outcome = self.run_import()
        self.assertEqual('created', outcome.action)
        [copy] = self.dst.store['volume']
        self.assertNotEqual(left.id, copy.id)
        self.assertEqual([], self.journal().get('revert_errors') or [])

    def test_a_revert_that_fails_again_stops_the_import(self):
        self.dst.server_status = 'ERROR'
        self.dst.fail(
            'block_storage.delete_volume', sdk_exceptions.HttpException('503')
        )
        self.run_import()
        self.dst.server_status = 'ACTIVE'
        outcome = self.run_import()
        self.assertEqual('failed', outcome.action)
        self.assertTrue(
            outcome.detail.startswith('cannot undo the failed import: '),
            outcome.detail,
        )
        # Nothing new made.
        self.assertEqual(1, len(self.dst.store['volume']))

    def test_detail_of_an_error_without_text(self):
        self.dst.fail('network.create_port', RuntimeError())
        outcome = self.run_import()
        self.assertEqual('step ports: RuntimeError', outcome.detail)
        self.assertEqual('RuntimeError', self.journal()['error'])

    def test_revert_goes_on_past_errors(self):
        self.dst.server_status = 'ERROR'
        self.dst.fail(
            'network.delete_port', sdk_exceptions.HttpException('boom')
        )
        self.run_import()
        (port_id,) = [
            a[0] for a, _ in self.dst.calls_to('network.delete_port')
        ]
        self.assertEqual(
            ['port %s: boom' % port_id], self.journal()['revert_errors']
        )
        self.assertEqual([], self.dst.store['volume'])
        self.assertEqual([], self.dst.store['server_group'])


class TestRetryRemarks(importing.ImportTestCase):
    """A retry after a failed, reverted run reports its own remarks only."""

    def test_retry_does_not_repeat_the_failed_runs_remarks(self):
        self.dst.add(
            'port',
            id='held',
            network_id='dnet1',
            device_id='other-vm',
            mac_address='mac-a',
            fixed_ips=[{'subnet_id': 'dsub1', 'ip_address': '10.0.0.99'}],
        )
        self.dst.server_status = 'ERROR'
        self.assertEqual('failed', self.run_import().action)
        # The MAC is free now, and the server boots.
        self.dst.store['port'] = []
        self.dst.server_status = 'ACTIVE'
        outcome = self.run_import()
        self.assertEqual(('created', ''), (outcome.action, outcome.detail))
        self.assertNotIn(
            'remarks', journal.Journal(self.data_dir, 'vm1', 'x').data
        )


class TestMakeAhead(importing.ImportTestCase):
    """Warm migration: what needs no stopped source is made by the sync;
    the cutover takes it and makes the rest."""

    def test_cutover_takes_what_was_made_ahead(self):
        self.assertEqual('server group, 1 port', self.importer().make_ahead())
        self.assertEqual(
            ['compute.create_server_group', 'network.create_port'],
            self.dst.write_calls(),
        )
        group, port = self.one('server_group'), self.one('port')
        data = self.journal()
        self.assertNotIn('phase', data)
        # recorded, not done: the cutover runs the steps again
        self.assertEqual(
            ({'created': group.id}, {'created': {'p-a': port.id}}),
            (data['steps']['server_group'], data['steps']['ports']),
        )
        # A second sync makes nothing.
        self.dst.calls.clear()
        self.assertEqual('server group, 1 port', self.importer().make_ahead())
        self.assertEqual([], self.dst.write_calls())

        outcome = self.run_import()
        self.assertEqual('created', outcome.action)
        self.assertEqual(
            [
                'block_storage.create_volume',
                'compute.create_server',
                'network.create_ip',
            ],
            self.dst.write_calls(),
        )
        [kwargs] = self.kwargs(self.dst, 'compute.create_server')
        self.assertEqual(
            ([{'port': port.id}], {'group': group.id}),
            (kwargs['networks'], kwargs['scheduler_hints']),
        )

    def test_failed_cutover_removes_them_and_the_next_makes_them(self):
        self.importer().make_ahead()
        self.dst.server_status = 'ERROR'
        self.assertEqual('failed', self.run_import().action)
        self.assertEqual(
            ([], []),
            (
                self.dst.store.get('port', []),
                self.dst.store.get('server_group', []),
            ),
        )
        self.dst.server_status = 'ACTIVE'
        self.assertEqual('created', self.run_import().action)
        self.assertEqual(1, len(self.dst.store['port']))
        self.assertEqual(1, len(self.dst.store['server_group']))
