#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

"""The server step: created with its ports and volumes, found again."""

import re

from openstack import exceptions as sdk_exceptions

from osmigrateclient.workload import journal
from osmigrateclient.workload import migration
from tests.unit.workload import fakes
from tests.unit.workload import importing


class TestServer(importing.ImportTestCase):
    def test_destination_volumes_of_data_copy_off(self):
        self.dst.add('volume', id='dboot', status='available')
        self.dst.add('volume', id='ddata', status='available')
        self.dst.server_status = 'ERROR'
        outcome = self.run_import(
            fakes.resolved(
                data_copy=False,
                data_volumes=[],
                image_id=None,
                boot_volume_id='dboot',
                existing_volume_ids=['ddata'],
                floating_ips=[],
                server_group=None,
            )
        )
        self.assertEqual('failed', outcome.action)
        (kwargs,) = self.kwargs(self.dst, 'compute.create_server')
        self.assertNotIn('image_id', kwargs)
        self.assertEqual(
            [
                importing.volume_bdm('dboot', 0),
                importing.volume_bdm('ddata', -1),
            ],
            kwargs['block_device_mapping'],
        )
        self.assertEqual([], self.copier.copies)
        self.assertEqual(['compute.get_server'], self.src.call_names())
        # Not made by the import: kept by its revert.
        self.assertEqual(
            ['dboot', 'ddata'], [v.id for v in self.dst.store['volume']]
        )

    def test_killed_between_create_and_journal_adopts_the_server(self):
        self.dst.add('server', id='dkilled', name='app-vm', status='ACTIVE')
        self.dst.add('server', id='dother', name='app-vm-2', status='ACTIVE')
        j = journal.Journal(self.data_dir, 'vm1', 'app-vm')
        j.set(phase='running')
        j.update_step('server', state='started', creating=True)
        outcome = self.run_import(
            fakes.resolved(
                data_volumes=[], ports=[], floating_ips=[], server_group=None
            )
        )
        self.assertEqual(
            migration.ImportOutcome('app-vm', 'vm1', 'created', 'dkilled', ''),
            outcome,
        )
        self.assertEqual([], self.dst.calls_to('compute.create_server'))
        [((), kwargs)] = self.dst.calls_to('compute.servers')
        # Nova matches names by regular expression.
        self.assertEqual(
            ['app-vm'],
            [
                n
                for n in ('app-vm', 'app-vm-2')
                if re.search(kwargs['name'], n)
            ],
        )
        self.assertEqual('dkilled', self.journal()['steps']['server']['id'])

    def test_lost_answer_of_the_server_create(self):
        # Found by the fault campaign (tools/chaos): the server the create
        # call made stayed, and the next run refused the name.
        made = self.dst._api_create_server

        def create(**attrs):
            made(**attrs)
            raise sdk_exceptions.HttpException('connection reset by peer')

        self.dst._api_create_server = create
        outcome = self.run_import()
        self.assertEqual('failed', outcome.action)
        self.assertEqual([], self.dst.store['server'])
        self.assertEqual([], self.dst.store['volume'])

    def test_server_not_active(self):
        self.dst.server_status = 'ERROR'
        outcome = self.run_import()
        (server_id,) = [
            a[0] for a, _ in self.dst.calls_to('compute.delete_server')
        ]
        self.assertEqual(
            'step server: the destination server %s to be ACTIVE: status '
            'ERROR' % server_id,
            outcome.detail,
        )
        self.assertEqual(('failed', None), (outcome.action, outcome.dest_id))
        self.assertEqual(
            [
                'block_storage.create_volume',
                'compute.create_server_group',
                'network.create_port',
                'compute.create_server',
                'compute.delete_server',
                'network.delete_port',
                'compute.delete_server_group',
                'block_storage.delete_volume',
            ],
            self.dst.write_calls(),
        )
        for kind in ('server', 'port', 'server_group', 'volume'):
            self.assertEqual([], self.dst.store[kind], kind)
        # vol1 was attached back after its copy: nothing to do for it.
        self.assertEqual(
            1, len(self.src.calls_to('compute.create_volume_attachment'))
        )
        self.assertEqual([], self.src.calls_to('compute.start_server'))
        data = self.journal()
        self.assertEqual(('failed', 'server'), (data['phase'], data['step']))
        self.assertEqual(
            'the destination server %s to be ACTIVE: status ERROR' % server_id,
            data['error'],
        )


class TestKilledCreateLookup(importing.ImportTestCase):
    """The server of a create cut off by a kill is found by its exact name,
    regular-expression characters included: no second server."""

    def test_killed_create_with_a_regex_character_in_the_name(self):
        self.dst.add('server', id='dkilled', name='app(1)', status='ACTIVE')
        j = journal.Journal(self.data_dir, 'vm1', 'app(1)')
        j.set(phase='running')
        j.update_step('server', state='started', creating=True)
        outcome = self.run_import(
            fakes.resolved(
                name='app(1)',
                server_attrs={'name': 'app(1)'},
                data_volumes=[],
                ports=[],
                floating_ips=[],
                server_group=None,
            )
        )
        self.assertEqual([], self.dst.calls_to('compute.create_server'))
        self.assertEqual('dkilled', outcome.dest_id)
