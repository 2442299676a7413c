#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

"""The ports step: ports keeping their addresses, trunks, nova mode."""

import copy
import json

from openstack import exceptions as sdk_exceptions
import requests

from osmigrateclient.workload import migration
from osmigrateclient.workload.steps import ports
from tests.unit.workload import fakes
from tests.unit.workload import importing


class TestPorts(importing.ImportTestCase):
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


class TestCreatePort(importing.ImportTestCase):
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


class TestPortCreationModeNova(importing.ImportTestCase):
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
            migration.ImportOutcome('app-vm', 'vm1', 'created', server.id, ''),
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


class TestRevertForeignPort(importing.ImportTestCase):
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


class TestTrunk(importing.ImportTestCase):
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
            raise importing.Killed()

        self.dst._api_network_create_trunk = create_trunk
        self.assertRaises(importing.Killed, self.run_import, self.resolved())
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


class TestPortConflictMessage(importing.ImportTestCase):
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
