#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

"""The floating IPs step: taken, attached or made; the made ones undone."""

from osmigrateclient.workload import journal
from osmigrateclient.workload import migration
from tests.unit.workload import fakes
from tests.unit.workload import importing


class TestFloatingIPs(importing.ImportTestCase):
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
            migration.ImportOutcome('app-vm', 'vm1', 'created', 'dsrv', ''),
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
