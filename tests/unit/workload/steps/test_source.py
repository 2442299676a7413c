#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

"""The source server: stopped, its volumes detached, given back."""

from osmigrateclient import exceptions
from osmigrateclient.workload import journal
from osmigrateclient.workload import migration
from tests.unit.workload import fakes
from tests.unit.workload import importing


class TestStopSource(importing.ImportTestCase):
    def test_stop_then_import(self):
        self.src.find('server', 'vm1')._update(status='ACTIVE')
        outcome = self.run_import(
            fakes.resolved(source_status='ACTIVE'), stop=True
        )
        self.assertEqual('created', outcome.action)
        self.assertEqual(
            ['compute.stop_server'],
            [n for n in self.src.call_names() if 'start' in n or 'stop' in n],
        )
        self.assertEqual('SHUTOFF', self.src.find('server', 'vm1').status)
        self.assertEqual(
            {'status': 'ACTIVE', 'stopped': True, 'detached': []},
            importing.without_down_from(self.journal()['source']),
        )

    def test_stop_refused_without_the_option(self):
        self.src.find('server', 'vm1')._update(status='ACTIVE')
        outcome = self.run_import()
        self.assertEqual(
            migration.ImportOutcome(
                'app-vm',
                'vm1',
                'failed',
                None,
                'step stop: the source server is ACTIVE, not SHUTOFF',
            ),
            outcome,
        )
        self.assertEqual([], self.dst.calls)
        self.assertEqual([], self.src.write_calls())
        self.assertEqual('ACTIVE', self.src.find('server', 'vm1').status)

    def test_server_not_stopped_by_the_import_stays_off(self):
        self.dst.server_status = 'ERROR'
        self.run_import(stop=True)
        self.assertEqual([], self.src.calls_to('compute.start_server'))
        self.assertEqual('SHUTOFF', self.src.find('server', 'vm1').status)

    def test_source_volume_stuck_on_the_conversion_host(self):
        # Found by the fault campaign (tools/chaos): the revert could not
        # detach the source volume from the conversion host, took it being
        # in-use there for "attached back to the source", and dropped it
        # from the journal: the source server stayed without its volume.
        vol = self.src.find('volume', 'vol1')
        vol._update(status='in-use', attachments=[{'server_id': 'S'}])
        self.src.find('server', 'vm1')._update(attached_volumes=[])
        left = fakes.attachments('vol1', 'dvol-old')
        self.dst.add('volume', id='dvol-old', status='available')
        j = journal.Journal(self.data_dir, 'vm1', 'app-vm')
        j.set(phase='running')
        j.set_source(
            status='SHUTOFF',
            stopped=False,
            detached=[{'volume': 'vol1', 'device': '/dev/vdb'}],
        )
        j.update_step('stop', state='done', result=None, seconds=1.0)
        j.update_step(
            'volume:vol1',
            state='started',
            dest_volume='dvol-old',
            attached=left,
        )

        def stuck(items):
            raise exceptions.MigrateError('detach refused')

        self.copier.detach = stuck
        self.assertEqual('failed', self.run_import().action)
        self.assertEqual(
            ['vol1'],
            [d['volume'] for d in self.journal()['source']['detached']],
        )

        def detach(items):
            vol._update(status='available', attachments=[])

        self.copier.detach = detach
        self.assertEqual('created', self.run_import().action)
        self.assertEqual(
            [{'server_id': 'vm1', 'device': '/dev/vdb'}], vol.attachments
        )
