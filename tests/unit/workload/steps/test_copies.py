#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

"""Volume copies: a started copy cleaned and redone, a failed one undone."""

from openstack import exceptions as sdk_exceptions

from osmigrateclient import exceptions
from osmigrateclient.workload import journal
from osmigrateclient.workload import migration
from tests.unit.workload import fakes
from tests.unit.workload import importing


class TestVolumeCopy(importing.ImportTestCase):
    def test_started_copy_is_cleaned_and_redone(self):
        # The killed run had detached vol1 and attached both volumes to the
        # conversion hosts.
        self.src.find('volume', 'vol1')._update(
            status='available', attachments=[]
        )
        self.src.find('server', 'vm1')._update(attached_volumes=[])
        self.dst.add('volume', id='dvol-old', status='available')
        left = fakes.attachments('vol1', 'dvol-old')
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
        outcome = self.run_import()
        self.assertEqual('created', outcome.action)
        self.assertEqual([left], self.copier.detached)
        self.assertEqual(
            [(('dvol-old',), {'ignore_missing': True})],
            self.dst.calls_to('block_storage.delete_volume'),
        )
        (dest,) = self.dst.store['volume']
        self.assertEqual(
            [('vol1', dest.id, fakes.GiB, 'app-vm data', True)],
            self.copier.copies,
        )
        # Already detached: not detached again, but attached back.
        self.assertEqual(
            [], self.src.calls_to('compute.delete_volume_attachment')
        )
        self.assertEqual(
            [(('vm1',), {'volume_id': 'vol1', 'device': '/dev/vdb'})],
            self.src.calls_to('compute.create_volume_attachment'),
        )
        self.assertEqual(
            dest.id, self.journal()['steps']['volume:vol1']['result']
        )

    def test_killed_between_create_volume_and_journal(self):
        # Found by the fault campaign (tools/chaos): the volume the killed
        # run's create call made stayed, a second one was made.
        self.dst.add('volume', id='dearlier', name='data', size=1)
        self.create_volume_then(importing.Killed())
        self.assertRaises(importing.Killed, self.run_import)
        del self.dst._api_create_volume
        outcome = self.run_import()
        self.assertEqual('created', outcome.action)
        named = [v.id for v in self.dst.store['volume'] if v.name == 'data']
        self.assertEqual(2, len(named))
        self.assertIn('dearlier', named)
        self.assertIn(self.journal()['steps']['volume:vol1']['result'], named)

    def test_create_that_lands_after_the_revert(self):
        # Found by the fault campaign (tools/chaos): a create held past
        # the client's timeout made its volume after the failed run's
        # revert; the next run made a second one.
        self.dst.add('volume', id='dearlier', name='data', size=1)
        self.dst.fail(
            'block_storage.create_volume',
            sdk_exceptions.HttpException('timed out'),
        )
        self.assertEqual('failed', self.run_import().action)
        # Then the held request reaches Cinder.
        self.dst.add('volume', id='dlate', name='data', size=1)
        del self.dst._failures['block_storage.create_volume']
        self.assertEqual('created', self.run_import().action)
        self.assertEqual(
            ['dearlier', self.journal()['steps']['volume:vol1']['result']],
            [v.id for v in self.dst.store['volume']],
        )

    def test_failed_copy(self):
        self.src.find('server', 'vm1')._update(status='ACTIVE')
        self.copier.fail = exceptions.MigrateError('the hashes differ')
        outcome = self.run_import(
            fakes.resolved(source_status='ACTIVE'), stop=True
        )
        self.assertEqual(
            migration.ImportOutcome(
                'app-vm',
                'vm1',
                'failed',
                None,
                'step volume:vol1: the hashes differ',
            ),
            outcome,
        )
        [((dest_id,), _)] = self.dst.calls_to('block_storage.delete_volume')
        # The copy's attachments are undone, its volume deleted.
        self.assertEqual(
            [fakes.attachments('vol1', dest_id)], self.copier.detached
        )
        self.assertEqual(
            ['block_storage.create_volume', 'block_storage.delete_volume'],
            self.dst.write_calls(),
        )
        self.assertEqual([], self.dst.store['volume'])
        # The source server has its volume back and runs again.
        self.assertEqual(
            [
                'compute.stop_server',
                'compute.delete_volume_attachment',
                'compute.create_volume_attachment',
                'compute.start_server',
            ],
            [
                n
                for n in self.src.call_names()
                if n.startswith(
                    ('compute.st', 'compute.create', 'compute.del')
                )
            ],
        )
        self.assertEqual(
            [(('vm1',), {'volume_id': 'vol1', 'device': '/dev/vdb'})],
            self.src.calls_to('compute.create_volume_attachment'),
        )
        vol1 = self.src.find('volume', 'vol1')
        self.assertEqual(
            ('in-use', [{'server_id': 'vm1', 'device': '/dev/vdb'}]),
            (vol1.status, vol1.attachments),
        )
        self.assertEqual('ACTIVE', self.src.find('server', 'vm1').status)
        data = self.journal()
        self.assertEqual(
            ('failed', 'volume:vol1', 'the hashes differ'),
            (data['phase'], data['step'], data['error']),
        )
        self.assertEqual(
            {'status': 'ACTIVE', 'stopped': True, 'detached': []},
            importing.without_down_from(data['source']),
        )
        # no destination server: no downtime measured
        self.assertNotIn('downtime_seconds', data)
        # Only the note of the create: a late volume is looked for again.
        self.assertEqual(
            {
                'state': 'started',
                'creating': {'name': 'data', 'size': 1, 'before': []},
            },
            data['steps']['volume:vol1'],
        )
        self.assertNotIn('revert_errors', data)

    def test_lost_answer_of_a_volume_create(self):
        self.dst.add('volume', id='dearlier', name='data', size=1)
        self.create_volume_then(
            sdk_exceptions.HttpException('connection reset by peer'),
        )
        outcome = self.run_import()
        self.assertEqual('failed', outcome.action)
        self.assertEqual(
            ['dearlier'], [v.id for v in self.dst.store['volume']]
        )
