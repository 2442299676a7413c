#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

import copy
import json
import logging
import os
import re
import stat

import fixtures
from openstack.compute.v2 import server as sdk_server
from openstack import exceptions as sdk_exceptions
from oslotest import base
import requests

from osmigrateclient import exceptions
from osmigrateclient.transfer import volume_copy
from osmigrateclient.workload import checked
from osmigrateclient.workload import journal
from osmigrateclient.workload import migration
from osmigrateclient.workload.steps import ports
from tests.unit.workload import fakes


def _without_down_from(source):
    """The journal's source part, its down_from checked to be a stamp."""
    source = dict(source)
    self_check = journal.seconds_since(source.pop('down_from'))
    assert self_check is not None, 'down_from is no stamp'
    return source


GiB = fakes.GiB
ROOT_VOLUME = checked.ServerVolume(
    source_id='vol-root',
    name='root',
    size=2,
    device='/dev/vda',
    bootable=True,
    attrs={'name': 'root', 'volume_type': 'nfs'},
    image_metadata={'image_name': 'cirros'},
)


def _volume_bdm(volume_id, boot_index):
    return {
        'boot_index': boot_index,
        'uuid': volume_id,
        'source_type': 'volume',
        'destination_type': 'volume',
        'delete_on_termination': False,
    }


IMAGE_BDM = {
    'boot_index': 0,
    'uuid': 'dimg1',
    'source_type': 'image',
    'destination_type': 'local',
    'delete_on_termination': True,
}


class ImportTestCase(base.BaseTestCase):
    """vm1 'app-vm' in the source with vol1 attached at /dev/vdb; an empty
    destination; a fake copier; a clock that never needs to pause."""

    def setUp(self):
        super().setUp()
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        self.addCleanup(fakes.close_server_logs, self.data_dir)
        # Every journal write is flushed to disk: not needed here.
        self.useFixture(fixtures.MockPatch('os.fsync'))
        self.src = fakes.source()
        self.dst = fakes.Cloud()
        self.copier = fakes.Copier()
        self.pauses = []

    def importer(self, resolved=None, stop=False):
        ctx = migration.Context(
            self.data_dir,
            self.src,
            self.dst,
            volume_copy.Settings(timeout=30.0),
            stop=stop,
            clock=fakes.Clock(),
            pause=self.pauses.append,
        )
        return migration.ServerImport(
            ctx, resolved or fakes.resolved(), copier=self.copier
        )

    def run_import(self, resolved=None, stop=False):
        return self.importer(resolved, stop).run()

    def journal(self, source_id='vm1'):
        """The journal as on disk."""
        return journal.Journal(self.data_dir, source_id, 'x').data

    def one(self, kind):
        (obj,) = self.dst.store.get(kind, [])
        return obj

    def kwargs(self, cloud, call):
        return [k for _, k in cloud.calls_to(call)]


class TestImport(ImportTestCase):
    def test_image_booted_server(self):
        outcome = self.run_import()
        server = self.one('server')
        volume = self.one('volume')
        group = self.one('server_group')
        port = self.one('port')
        fip = self.one('floating_ip')
        self.assertEqual(
            migration.Outcome('app-vm', 'vm1', 'created', server.id, ''),
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
                        IMAGE_BDM,
                        _volume_bdm(volume.id, -1),
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
            [('vol1', volume.id, GiB, 'app-vm data', True)],
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
            _without_down_from(data['source']),
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
                    'bytes': GiB,
                    'seconds': 2.5,
                    'algo': 'xxh128',
                    'digest': 'd-vol1',
                    'bytes_sent': GiB // 2,
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

    def test_existing_server_group_is_used(self):
        self.dst.add('server_group', id='dgrp', name='group')
        self.run_import()
        self.assertEqual([], self.dst.calls_to('compute.create_server_group'))
        self.assertEqual(
            {'group': 'dgrp'},
            self.kwargs(self.dst, 'compute.create_server')[0][
                'scheduler_hints'
            ],
        )
        steps = self.journal()['steps']
        self.assertNotIn('created', steps['server_group'])

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

    def test_port_without_port_security(self):
        port = fakes.PORT._replace(
            attrs={
                'is_port_security_enabled': False,
                'allowed_address_pairs': [{'ip_address': '10.0.0.100'}],
            }
        )
        self.run_import(fakes.resolved(ports=[port]))
        self.assertEqual(
            [
                {
                    'is_port_security_enabled': False,
                    'allowed_address_pairs': [{'ip_address': '10.0.0.100'}],
                    'network_id': 'dnet1',
                    'fixed_ips': [
                        {'subnet_id': 'dsub1', 'ip_address': '10.0.0.5'}
                    ],
                    'mac_address': 'mac-a',
                }
            ],
            self.kwargs(self.dst, 'network.create_port'),
        )

    def test_existing_floating_ip_is_attached(self):
        self.dst.add('floating_ip', id='dfip', floating_ip_address='1.2.3.4')
        self.run_import(
            fakes.resolved(
                floating_ips=[fakes.FLOATING_IP._replace(existing_id='dfip')]
            )
        )
        port = self.one('port')
        self.assertEqual([], self.dst.calls_to('network.create_ip'))
        self.assertEqual(
            [
                (
                    ('dfip',),
                    {'port_id': port.id, 'fixed_ip_address': '10.0.0.5'},
                )
            ],
            self.dst.calls_to('network.update_ip'),
        )
        steps = self.journal()['steps']
        self.assertEqual(
            {'172.24.4.9': {'id': 'dfip', 'created': False}},
            steps['floating_ips']['ips'],
        )
        self.assertEqual(['172.24.4.9'], steps['floating_ips']['result'])

    def test_floating_ip_mode_new_makes_one(self):
        self.dst.add('floating_ip', id='dfip', floating_ip_address='1.2.3.4')
        self.run_import(
            fakes.resolved(
                floating_ip_mode='new',
                floating_ips=[
                    fakes.FLOATING_IP._replace(
                        existing_id='dfip', description='front'
                    )
                ],
            )
        )
        self.assertEqual([], self.dst.calls_to('network.update_ip'))
        self.assertEqual(
            'front',
            self.kwargs(self.dst, 'network.create_ip')[0]['description'],
        )

    def test_floating_ip_goes_to_the_ipv4_the_port_got(self):
        self.dst.add('subnet', id='dsub6', network_id='dnet1', ip_version=6)
        self.dst.add(
            'port',
            id='taken',
            network_id='dnet1',
            device_id='other',
            mac_address='mac-other',
            fixed_ips=[{'subnet_id': 'dsub1', 'ip_address': '10.0.0.5'}],
        )
        port = fakes.PORT._replace(
            fixed_ips=[
                {'subnet_id': 'dsub6', 'ip_address': 'fd00::5'},
                {'subnet_id': 'dsub1', 'ip_address': '10.0.0.5'},
            ]
        )
        self.run_import(fakes.resolved(ports=[port]))
        made = self.dst.find('port', self.one('floating_ip').port_id)
        v6, v4 = [f['ip_address'] for f in made.fixed_ips]
        self.assertRegex(v6, r'^fd00::9:[0-9a-f]+$')
        self.assertRegex(v4, r'^10\.9\.0\.\d+$')
        self.assertEqual(
            v4,
            self.kwargs(self.dst, 'network.create_ip')[0]['fixed_ip_address'],
        )

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
            [_volume_bdm('dboot', 0), _volume_bdm('ddata', -1)],
            kwargs['block_device_mapping'],
        )
        self.assertEqual([], self.copier.copies)
        self.assertEqual(['compute.get_server'], self.src.call_names())
        # Not made by the import: kept by its revert.
        self.assertEqual(
            ['dboot', 'ddata'], [v.id for v in self.dst.store['volume']]
        )

    def test_boot_from_volume(self):
        self.src.add(
            'volume',
            id='vol-root',
            size=2,
            status='in-use',
            attachments=[{'server_id': 'vm1', 'device': '/dev/vda'}],
        )
        outcome = self.run_import(
            fakes.resolved(
                image_id=None,
                boot_volume=ROOT_VOLUME,
                data_volumes=[],
                floating_ips=[],
                server_group=None,
            )
        )
        self.assertEqual('created', outcome.action)
        (dest,) = self.dst.store['volume']
        self.assertEqual(
            [
                'block_storage.create_snapshot',
                'block_storage.create_volume',
                'block_storage.delete_volume',
                'block_storage.delete_snapshot',
            ],
            self.src.write_calls(),
        )
        (snap_kwargs,) = self.kwargs(self.src, 'block_storage.create_snapshot')
        self.assertEqual(
            {
                'volume_id': 'vol-root',
                'force': True,
                'name': 'os-migrate-vol-root',
                'description': 'os-migrate: temporary copy of a boot volume',
            },
            snap_kwargs,
        )
        (temp_kwargs,) = self.kwargs(self.src, 'block_storage.create_volume')
        snapshot_id = temp_kwargs['snapshot_id']
        self.assertEqual(
            {'snapshot_id': snapshot_id, 'size': 2, 'name': 'os-migrate-vm1'},
            temp_kwargs,
        )
        (temp_id,) = [
            a[0] for a, _ in self.src.calls_to('block_storage.delete_volume')
        ]
        self.assertEqual(
            [(temp_id, dest.id, 2 * GiB, 'app-vm root', True)],
            self.copier.copies,
        )
        self.assertEqual(
            [(snapshot_id,)],
            [a for a, _ in self.src.calls_to('block_storage.delete_snapshot')],
        )
        # Only the temporary copy is gone.
        self.assertEqual(
            ['vol-root', 'vol1'],
            sorted(v.id for v in self.src.store['volume']),
        )
        self.assertEqual([], self.src.store['snapshot'])
        self.assertEqual(
            [{'name': 'root', 'volume_type': 'nfs', 'size': 2}],
            self.kwargs(self.dst, 'block_storage.create_volume'),
        )
        self.assertTrue(dest.is_bootable)
        self.assertEqual({'image_name': 'cirros'}, dest.volume_image_metadata)
        (server_kwargs,) = self.kwargs(self.dst, 'compute.create_server')
        self.assertNotIn('image_id', server_kwargs)
        self.assertEqual(
            [_volume_bdm(dest.id, 0)], server_kwargs['block_device_mapping']
        )
        step = self.journal()['steps']['boot_disk']
        self.assertEqual(
            (None, None, dest.id, dest.id),
            (
                step['snapshot'],
                step['temp_volume'],
                step['dest_volume'],
                step['result'],
            ),
        )

    def test_boot_disk_copy_of_an_image_booted_server(self):
        outcome = self.run_import(
            fakes.resolved(
                image_id=None,
                copy_image_disk=True,
                boot_volume_attrs={'volume_type': 'ssd'},
                data_volumes=[],
                floating_ips=[],
                server_group=None,
            )
        )
        self.assertEqual('created', outcome.action)
        (dest,) = self.dst.store['volume']
        self.assertEqual(
            [(('vm1', 'os-migrate-app-vm'), {})],
            self.src.calls_to('compute.create_server_image'),
        )
        (image_id,) = [
            a[0] for a, _ in self.src.calls_to('image.delete_image')
        ]
        # 2.5 GiB of image: a 3 GiB volume.
        self.assertEqual(
            [{'image_id': image_id, 'size': 3, 'name': 'os-migrate-vm1'}],
            self.kwargs(self.src, 'block_storage.create_volume'),
        )
        self.assertEqual(
            [{'name': 'app-vm', 'volume_type': 'ssd', 'size': 3}],
            self.kwargs(self.dst, 'block_storage.create_volume'),
        )
        self.assertEqual(3 * GiB, self.copier.copies[0][2])
        self.assertEqual('app-vm app-vm', self.copier.copies[0][3])
        self.assertTrue(dest.is_bootable)
        self.assertEqual(
            [], self.dst.calls_to('block_storage.set_volume_image_metadata')
        )
        self.assertEqual(['vol1'], [v.id for v in self.src.store['volume']])
        self.assertEqual([], self.src.store['image'])
        (server_kwargs,) = self.kwargs(self.dst, 'compute.create_server')
        self.assertNotIn('image_id', server_kwargs)
        self.assertEqual(
            [_volume_bdm(dest.id, 0)], server_kwargs['block_device_mapping']
        )

    def test_boot_disk_size_is_at_least_min_disk(self):
        self.src.image_size = 10
        self.src.image_min_disk = 4
        self.run_import(
            fakes.resolved(
                image_id=None,
                copy_image_disk=True,
                data_volumes=[],
                floating_ips=[],
                server_group=None,
            )
        )
        self.assertEqual(
            4, self.kwargs(self.dst, 'block_storage.create_volume')[0]['size']
        )

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
            _without_down_from(self.journal()['source']),
        )

    def test_stop_refused_without_the_option(self):
        self.src.find('server', 'vm1')._update(status='ACTIVE')
        outcome = self.run_import()
        self.assertEqual(
            migration.Outcome(
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


class TestRerun(ImportTestCase):
    def test_imported_server_still_there_is_unchanged(self):
        self.run_import()
        server = self.one('server')
        self.dst.calls.clear()
        self.src.calls.clear()
        self.assertEqual(
            migration.Outcome('app-vm', 'vm1', 'unchanged', server.id, ''),
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
            migration.Outcome(
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
            migration.Outcome('app-vm', 'vm1', 'created', server.id, ''),
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
                [IMAGE_BDM, _volume_bdm('dvol', -1)],
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
            [('vol1', dest.id, GiB, 'app-vm data', True)], self.copier.copies
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
            migration.Outcome('app-vm', 'vm1', 'created', 'dkilled', ''),
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

    def test_killed_between_create_ip_and_journal_uses_that_ip(self):
        self.dst.add('server', id='dsrv', name='app-vm', status='ACTIVE')
        self.dst.add(
            'port',
            id='dport',
            network_id='dnet1',
            device_id='dsrv',
            mac_address='mac-a',
            fixed_ips=[{'subnet_id': 'dsub1', 'ip_address': '10.0.0.5'}],
        )
        self.dst.add(
            'floating_ip',
            id='dfip',
            floating_ip_address='172.24.4.77',
            floating_network_id='dpub',
            port_id='dport',
            fixed_ip_address='10.0.0.5',
        )
        j = journal.Journal(self.data_dir, 'vm1', 'app-vm')
        j.set(phase='running', dest_id='dsrv')
        j.set_source(status='SHUTOFF', stopped=False, detached=[])
        j.update_step(
            'ports', state='done', result={'p-a': 'dport'}, created={}
        )
        j.update_step('server', state='done', result='dsrv', id='dsrv')
        j.update_step('floating_ips', state='started')
        outcome = self.run_import(
            fakes.resolved(data_volumes=[], server_group=None)
        )
        self.assertEqual(
            migration.Outcome('app-vm', 'vm1', 'created', 'dsrv', ''),
            outcome,
        )
        # Neutron would refuse a second floating IP on 10.0.0.5.
        self.assertEqual([], self.dst.write_calls())
        self.assertEqual(
            {
                '172.24.4.9': {
                    'id': 'dfip',
                    'created': False,
                    'address': '172.24.4.77',
                }
            },
            self.journal()['steps']['floating_ips']['ips'],
        )

    def _create_volume_then(self, error):
        """The destination's volume creates make the volume, then
        ``error`` is raised instead of the answer."""
        made = self.dst._api_create_volume

        def create(**attrs):
            made(**attrs)
            raise error

        self.dst._api_create_volume = create

    def test_killed_between_create_volume_and_journal(self):
        # Found by the fault campaign (tools/chaos): the volume the killed
        # run's create call made stayed, a second one was made.
        self.dst.add('volume', id='dearlier', name='data', size=1)
        self._create_volume_then(Killed())
        self.assertRaises(Killed, self.run_import)
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


class Killed(BaseException):
    """Stands for SIGKILL: nothing of the run goes on."""


class TestCreatePort(ImportTestCase):
    ATTRS = {
        'network_id': 'dnet1',
        'fixed_ips': [{'subnet_id': 'dsub1', 'ip_address': '10.0.0.5'}],
        'mac_address': 'mac-a',
        'security_group_ids': ['dsg1'],
    }

    def holder(self, mac='mac-other', ip='10.0.0.99'):
        """A port of another server that holds ``mac`` and ``ip``."""
        self.dst.add(
            'port',
            id='held',
            network_id='dnet1',
            device_id='other-vm',
            mac_address=mac,
            fixed_ips=[{'subnet_id': 'dsub1', 'ip_address': ip}],
        )

    def create(self):
        remarks = ['earlier']
        port = ports.Ports(self.importer()).create_port(
            {
                k: [dict(f) for f in v] if k == 'fixed_ips' else v
                for k, v in self.ATTRS.items()
            },
            remarks,
        )
        return port, remarks, self.kwargs(self.dst, 'network.create_port')

    def test_free(self):
        port, remarks, calls = self.create()
        self.assertEqual([self.ATTRS], calls)
        self.assertEqual(['earlier'], remarks)
        self.assertEqual('mac-a', port.mac_address)

    def test_mac_taken(self):
        self.holder(mac='mac-a')
        port, remarks, calls = self.create()
        without_mac = dict(self.ATTRS)
        del without_mac['mac_address']
        self.assertEqual([self.ATTRS, without_mac], calls)
        self.assertEqual(
            [
                'earlier',
                'MAC mac-a is taken in the destination: the port got a new '
                'one',
            ],
            remarks,
        )
        self.assertNotEqual('mac-a', port.mac_address)
        self.assertEqual(
            [{'subnet_id': 'dsub1', 'ip_address': '10.0.0.5'}], port.fixed_ips
        )

    def test_fixed_ip_taken(self):
        self.holder(ip='10.0.0.5')
        port, remarks, calls = self.create()
        without_ip = dict(self.ATTRS, fixed_ips=[{'subnet_id': 'dsub1'}])
        self.assertEqual([self.ATTRS, without_ip], calls)
        self.assertEqual(
            [
                'earlier',
                'fixed IP 10.0.0.5 is taken in the destination: the port got '
                'a new one',
            ],
            remarks,
        )
        self.assertEqual('mac-a', port.mac_address)
        self.assertNotEqual('10.0.0.5', port.fixed_ips[0]['ip_address'])

    def test_mac_and_fixed_ip_taken(self):
        self.holder(mac='mac-a', ip='10.0.0.5')
        port, remarks, calls = self.create()
        self.assertEqual(3, len(calls))
        self.assertEqual(
            {
                'network_id': 'dnet1',
                'fixed_ips': [{'subnet_id': 'dsub1'}],
                'security_group_ids': ['dsg1'],
            },
            calls[2],
        )
        self.assertEqual(
            [
                'earlier',
                'MAC mac-a is taken in the destination: the port got a new '
                'one',
                'fixed IP 10.0.0.5 is taken in the destination: the port got '
                'a new one',
            ],
            remarks,
        )

    def test_other_conflicts_are_raised(self):
        self.dst.fail(
            'network.create_port',
            sdk_exceptions.ConflictException(
                "Quota exceeded for resources: ['port']."
            ),
        )
        remarks = []
        e = self.assertRaises(
            sdk_exceptions.ConflictException,
            ports.Ports(self.importer()).create_port,
            dict(self.ATTRS),
            remarks,
        )
        self.assertEqual("Quota exceeded for resources: ['port'].", str(e))
        self.assertEqual([], remarks)
        self.assertEqual(1, len(self.dst.calls_to('network.create_port')))

    def test_conflict_that_dropping_does_not_fix_is_raised(self):
        self.dst.fail(
            'network.create_port',
            sdk_exceptions.ConflictException(
                'The mac address mac-a is in use.'
            ),
        )
        self.assertRaises(
            sdk_exceptions.ConflictException,
            ports.Ports(self.importer()).create_port,
            dict(self.ATTRS),
            [],
        )
        self.assertEqual(2, len(self.dst.calls_to('network.create_port')))


class TestRevert(ImportTestCase):
    def test_failed_copy(self):
        self.src.find('server', 'vm1')._update(status='ACTIVE')
        self.copier.fail = exceptions.MigrateError('the hashes differ')
        outcome = self.run_import(
            fakes.resolved(source_status='ACTIVE'), stop=True
        )
        self.assertEqual(
            migration.Outcome(
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
            _without_down_from(data['source']),
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
        TestRerun._create_volume_then(
            self,
            sdk_exceptions.HttpException('connection reset by peer'),
        )
        outcome = self.run_import()
        self.assertEqual('failed', outcome.action)
        self.assertEqual(
            ['dearlier'], [v.id for v in self.dst.store['volume']]
        )

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

    def test_floating_ips_made_are_deleted(self):
        port = fakes.PORT
        second = fakes.PORT._replace(
            source_id='p-b',
            mac_address='mac-b',
            fixed_ips=[{'subnet_id': 'dsub1', 'ip_address': '10.0.0.6'}],
        )
        fips = [
            fakes.FLOATING_IP,
            fakes.FLOATING_IP._replace(
                address='172.24.4.10',
                source_port_id='p-b',
                fixed_ip_address='10.0.0.6',
                existing_id='dfip-gone',
            ),
        ]
        outcome = self.run_import(
            fakes.resolved(ports=[port, second], floating_ips=fips)
        )
        self.assertEqual(
            'step floating_ips: No floating_ip found for dfip-gone',
            outcome.detail,
        )
        ips = self.journal()['steps']['floating_ips']['ips']
        self.assertEqual(['172.24.4.9'], list(ips))
        self.assertEqual(
            [((ips['172.24.4.9']['id'],), {'ignore_missing': True})],
            self.dst.calls_to('network.delete_ip'),
        )
        self.assertEqual([], self.dst.store['floating_ip'])
        self.assertEqual([], self.dst.store['server'])
        self.assertEqual([], self.dst.store['port'])

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

    def test_group_with_members_is_kept(self):
        self.dst.add(
            'server_group', id='dgrp', name='group', member_ids=['someone']
        )
        self.dst.server_status = 'ERROR'
        self.run_import()
        self.assertEqual([], self.dst.calls_to('compute.delete_server_group'))
        self.assertEqual(
            ['dgrp'], [g.id for g in self.dst.store['server_group']]
        )

    def test_server_not_stopped_by_the_import_stays_off(self):
        self.dst.server_status = 'ERROR'
        self.run_import(stop=True)
        self.assertEqual([], self.src.calls_to('compute.start_server'))
        self.assertEqual('SHUTOFF', self.src.find('server', 'vm1').status)


class TestPortCreationModeNova(ImportTestCase):
    """With port_creation_mode nova, Nova makes the ports: the server gets
    the fixed IPs and security groups, and a revert deletes no port."""

    def test_port_creation_mode_nova(self):
        self.dst.add('subnet', id='dsub1', network_id='dnet1')
        outcome = self.run_import(
            fakes.resolved(port_mode='nova', data_volumes=[])
        )
        server = self.one('server')
        port = self.one('port')
        self.assertEqual(
            migration.Outcome('app-vm', 'vm1', 'created', server.id, ''),
            outcome,
        )
        self.assertEqual(
            [
                'compute.create_server_group',
                'compute.create_server',
                'network.create_ip',
            ],
            self.dst.write_calls(),
        )
        (kwargs,) = self.kwargs(self.dst, 'compute.create_server')
        self.assertEqual(
            (
                [{'uuid': 'dnet1', 'fixed_ip': '10.0.0.5'}],
                [{'name': 'dsg1'}],
            ),
            (kwargs['networks'], kwargs['security_groups']),
        )
        self.assertEqual(server.id, port.device_id)
        self.assertEqual(
            {'p-a': port.id}, self.journal()['steps']['ports']['result']
        )
        self.assertEqual(port.id, self.one('floating_ip').port_id)

    def test_port_creation_mode_nova_revert_leaves_ports_to_nova(self):
        self.dst.add('subnet', id='dsub1', network_id='dnet1')
        self.dst.fail(
            'network.create_ip',
            sdk_exceptions.ConflictException('No more IP addresses'),
        )
        outcome = self.run_import(
            fakes.resolved(port_mode='nova', data_volumes=[])
        )
        self.assertEqual(
            'step floating_ips: No more IP addresses', outcome.detail
        )
        self.assertEqual([], self.dst.calls_to('network.delete_port'))
        self.assertEqual([], self.dst.store['server'])


class TestRetryRemarks(ImportTestCase):
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


class TestRevertForeignPort(ImportTestCase):
    """A revert deletes only the ports the import made, even when another
    unattached port on the network has the MAC."""

    def test_revert_leaves_a_port_it_did_not_make(self):
        self.dst.add(
            'port',
            id='theirs',
            network_id='dnet1',
            device_id='',
            mac_address='mac-a',
            fixed_ips=[{'subnet_id': 'dsub1', 'ip_address': '10.0.0.5'}],
        )
        self.dst.server_status = 'ERROR'
        self.assertEqual('failed', self.run_import().action)
        self.assertEqual([], self.dst.calls_to('network.delete_port'))
        self.assertEqual(['theirs'], [p.id for p in self.dst.store['port']])


class TestTrunk(ImportTestCase):
    """A port that is a trunk's parent: the trunk is made on its twin
    before the server."""

    TRUNK = {
        'name': 'trunk1',
        'sub_ports': [
            {
                'port_id': 'dp101',
                'segmentation_type': 'vlan',
                'segmentation_id': 101,
            }
        ],
    }

    def resolved(self):
        return fakes.resolved(
            ports=[fakes.PORT._replace(trunk=copy.deepcopy(self.TRUNK))]
        )

    def test_made_before_the_server(self):
        outcome = self.run_import(self.resolved())
        self.assertEqual('created', outcome.action)
        port, trunk = self.one('port'), self.one('trunk')
        self.assertEqual(
            [
                'block_storage.create_volume',
                'compute.create_server_group',
                'network.create_port',
                'network.create_trunk',
                'compute.create_server',
                'network.create_ip',
            ],
            self.dst.write_calls(),
        )
        self.assertEqual(
            [dict(self.TRUNK, port_id=port.id)],
            self.kwargs(self.dst, 'network.create_trunk'),
        )
        self.assertEqual(
            {'p-a': trunk.id}, self.journal()['steps']['ports']['trunks']
        )

    def test_killed_after_the_create_takes_that_trunk(self):
        made = []

        def create_trunk(**attrs):
            made.append(self.dst._create('trunk', **attrs))
            raise Killed()

        self.dst._api_network_create_trunk = create_trunk
        self.assertRaises(Killed, self.run_import, self.resolved())
        del self.dst._api_network_create_trunk
        outcome = self.run_import(self.resolved())
        self.assertEqual('created', outcome.action)
        self.assertEqual(made, self.dst.store['trunk'])
        self.assertEqual(
            {'p-a': made[0].id}, self.journal()['steps']['ports']['trunks']
        )
        self.assertEqual(1, len(self.dst.calls_to('network.create_trunk')))

    def test_revert_deletes_the_trunk_before_its_port(self):
        self.dst.server_status = 'ERROR'
        self.assertEqual('failed', self.run_import(self.resolved()).action)
        deletes = [n for n in self.dst.write_calls() if 'delete' in n]
        self.assertEqual(
            ['network.delete_trunk', 'network.delete_port'],
            [n for n in deletes if n.startswith('network.')],
        )
        self.assertEqual([], self.dst.store['trunk'])
        self.assertEqual([], self.dst.store['port'])


class TestKilledCreateLookup(ImportTestCase):
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


def _conflict(url, message):
    """A ConflictException as openstacksdk raises it from a response."""
    response = requests.Response()
    response.status_code = 409
    response.headers['content-type'] = 'application/json'
    response._content = json.dumps(
        {'NeutronError': {'type': 'X', 'message': message, 'detail': ''}}
    ).encode()
    response.request = requests.Request('POST', url).prepare()
    response.url = url
    try:
        sdk_exceptions.raise_from_response(response)
    except sdk_exceptions.ConflictException as e:
        return e


class TestPortConflictMessage(ImportTestCase):
    """A Neutron conflict is told apart by its message, not by the URL of
    the endpoint (which may hold 'vip' or 'mac')."""

    ATTRS = {
        'network_id': 'dnet1',
        'fixed_ips': [{'subnet_id': 'dsub1', 'ip_address': '10.0.0.5'}],
        'mac_address': 'mac-a',
    }

    def _create(self, error):
        self.dst.fail('network.create_port', error)
        remarks = []
        self.assertRaises(
            sdk_exceptions.ConflictException,
            ports.Ports(self.importer()).create_port,
            {
                'network_id': 'dnet1',
                'fixed_ips': [
                    {'subnet_id': 'dsub1', 'ip_address': '10.0.0.5'}
                ],
                'mac_address': 'mac-a',
            },
            remarks,
        )
        return remarks

    def test_quota_conflict_from_a_vip_endpoint(self):
        remarks = self._create(
            _conflict(
                'https://vip.example.com:9696/v2.0/ports',
                "Quota exceeded for resources: ['port'].",
            )
        )
        self.assertEqual([], remarks)
        self.assertEqual(1, len(self.dst.calls_to('network.create_port')))

    def test_ip_conflict_from_a_mac_named_endpoint(self):
        remarks = self._create(
            _conflict(
                'https://machine1.example.com:9696/v2.0/ports',
                'IP address 10.0.0.5 already allocated in subnet dsub1',
            )
        )
        self.assertEqual(
            [
                'fixed IP 10.0.0.5 is taken in the destination: the port '
                'got a new one'
            ],
            remarks,
        )
