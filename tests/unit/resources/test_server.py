#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

import argparse
import types

from oslotest import base

from osmigrateclient import datadir
from osmigrateclient import resources
from osmigrateclient.resources import refs
from osmigrateclient.resources import server
from tests.unit import fakes

AUTH = {'name': None, 'project_name': '%auth%', 'domain_name': '%auth%'}


def _ref(name):
    return dict(AUTH, name=name)


class TestServerExport(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        c = self.conn = fakes.FakeConnection()
        self.net = c.add('network', id='net1', name='net')
        self.public = c.add(
            'network', id='pub', name='public', project_id='admin-project'
        )
        self.sub = c.add('subnet', id='sub1', name='sub', network_id='net1')
        self.sg = c.add('security_group', id='sg1', name='web')
        c.add('image', id='img1', name='cirros')
        c.add('flavor', id='fl1', name='m1.tiny')
        self.vm = c.add(
            'server',
            id='vm1',
            name='app-vm',
            description='web',
            availability_zone='nova',
            key_name='key',
            metadata={'a': 'b'},
            tags=['z', 'a'],
            user_data='aGk=',
            config_drive='',
            disk_config='MANUAL',
            status='ACTIVE',
            user_id='u1',
            image={'id': 'img1'},
            flavor={'original_name': 'm1.tiny', 'vcpus': 1},
            addresses={
                'net': [
                    {'addr': '10.0.0.6', 'OS-EXT-IPS-MAC:mac_addr': 'mac-b'},
                    {'addr': '10.0.0.5', 'OS-EXT-IPS-MAC:mac_addr': 'mac-a'},
                ]
            },
            attached_volumes=[{'id': 'vol1'}],
        )
        self.bfv = c.add(
            'server',
            id='vm2',
            name='app-bfv',
            status='SHUTOFF',
            image={},
            flavor={'original_name': 'm1.tiny'},
            addresses={},
            attached_volumes=[{'id': 'vol2'}],
        )
        c.add(
            'server',
            id='conv',
            name=datadir.CONVERSION_HOST_PREFIX + 'src',
            image={'id': 'img1'},
            flavor={'original_name': 'm1.tiny'},
        )
        c.add(
            'server',
            id='other',
            name='app-other-project',
            project_id='elsewhere',
            image={'id': 'img1'},
            flavor={'original_name': 'm1.tiny'},
        )
        for port_id, mac, ip in (
            ('p-a', 'mac-a', '10.0.0.5'),
            ('p-b', 'mac-b', '10.0.0.6'),
        ):
            c.add(
                'port',
                id=port_id,
                network_id='net1',
                device_id='vm1',
                device_owner='compute:nova',
                mac_address=mac,
                fixed_ips=[{'subnet_id': 'sub1', 'ip_address': ip}],
                security_group_ids=['sg1'],
                binding_vnic_type='normal',
                binding_profile={},
                allowed_address_pairs=[],
                is_port_security_enabled=True,
                description='',
            )
        c.add(
            'port',
            id='p-router',
            network_id='net1',
            device_id='vm1',
            device_owner='network:router_interface',
            mac_address='mac-r',
        )
        c.add(
            'floating_ip',
            id='fip1',
            floating_ip_address='172.24.4.9',
            fixed_ip_address='10.0.0.5',
            floating_network_id='pub',
            port_id='p-a',
            router_id='r1',
        )
        c.add(
            'floating_ip',
            id='fip-free',
            floating_ip_address='172.24.4.10',
            floating_network_id='pub',
        )
        c.add(
            'volume',
            id='vol1',
            name='data',
            description='d',
            size=1,
            is_bootable=False,
            volume_type='nfs',
            availability_zone='nova',
            attachments=[{'server_id': 'vm1', 'device': '/dev/vdb'}],
        )
        c.add(
            'volume',
            id='vol2',
            name='',
            size=2,
            is_bootable=True,
            volume_type='nfs',
            availability_zone='nova',
            volume_image_metadata={'image_name': 'cirros'},
            attachments=[{'server_id': 'vm2', 'device': '/dev/vda'}],
        )
        c.add(
            'server_group',
            id='grp1',
            name='group',
            policy='anti-affinity',
            rules={},
            member_ids=['vm1', 'other'],
        )

    def export(self, **options):
        lookup = refs.Lookup(
            self.conn, options=types.SimpleNamespace(**options)
        )
        return {
            e['params']['name']: e
            for e in server.Server().export(lookup, lambda name: True)
        }

    def test_registered_out_of_export_all(self):
        res = resources.get('workload')
        self.assertIsInstance(res, server.Server)
        self.assertEqual('openstack.compute.Server', res.type)
        self.assertEqual('workloads.yml', res.file_name)
        self.assertFalse(res.pre_workload)

    def test_image_booted_server(self):
        entry = self.export()['app-vm']
        self.assertEqual('openstack.compute.Server', entry['type'])
        params = entry['params']
        self.assertEqual(
            {
                'availability_zone': 'nova',
                'config_drive': None,
                'description': 'web',
                'disk_config': 'MANUAL',
                'key_name': 'key',
                'metadata': {'a': 'b'},
                'name': 'app-vm',
                'scheduler_hints': None,
                'tags': ['a', 'z'],
                'user_data': 'aGk=',
                'flavor_ref': {
                    'name': 'm1.tiny',
                    'project_name': None,
                    'domain_name': None,
                },
                'image_ref': _ref('cirros'),
                'security_group_refs': [_ref('web')],
                'server_group_ref': _ref('group'),
                'server_group_policy': 'anti-affinity',
                'server_group_rules': {},
            },
            {
                k: v
                for k, v in params.items()
                if k not in ('ports', 'floating_ips', 'volumes')
            },
        )
        info = entry['_info']
        self.assertEqual('vm1', info['id'])
        self.assertEqual('fl1', info['flavor_id'])
        self.assertEqual(['sg1'], info['security_group_ids'])
        self.assertEqual('grp1', info['server_group_id'])
        self.assertEqual(
            ['app-other-project', 'app-vm'], info['server_group_members']
        )
        self.assertEqual(
            server.migration_param_defaults(), entry['_migration_params']
        )

    def test_ports_in_nova_order(self):
        ports = self.export()['app-vm']['params']['ports']
        self.assertEqual(['p-b', 'p-a'], [p['_info']['id'] for p in ports])
        self.assertEqual(
            {
                'type': 'openstack.network.ServerPort',
                'params': {
                    'allowed_address_pairs': [],
                    'binding_profile': {},
                    'binding_vnic_type': 'normal',
                    'description': '',
                    'fixed_ips_refs': [
                        {'ip_address': '10.0.0.5', 'subnet_ref': _ref('sub')}
                    ],
                    'is_port_security_enabled': True,
                    'mac_address': 'mac-a',
                    'network_ref': _ref('net'),
                    'security_group_refs': [_ref('web')],
                    'trunk': None,
                },
                '_info': {
                    'device_id': 'vm1',
                    'device_owner': 'compute:nova',
                    'fixed_ips': [
                        {'subnet_id': 'sub1', 'ip_address': '10.0.0.5'}
                    ],
                    'id': 'p-a',
                    'network_id': 'net1',
                    'security_group_ids': ['sg1'],
                    'trunk_details': None,
                },
            },
            ports[1],
        )

    def test_no_trunk_no_trunk_list(self):
        self.export()
        self.assertNotIn('network.trunks', self.conn.call_names())

    def test_trunk_of_a_parent_port(self):
        c = self.conn
        for port_id, name in (('s1', 'vlan101'), ('s2', 'vlan102')):
            c.add('port', id=port_id, name=name, network_id='net1')
        c.add('port', id='s3', name='', network_id='net1')
        subs = [
            {
                'port_id': 's2',
                'segmentation_type': 'vlan',
                'segmentation_id': 102,
            },
            {
                'port_id': 's1',
                'segmentation_type': 'vlan',
                'segmentation_id': 101,
            },
        ]
        c.add(
            'trunk',
            id='t1',
            name='trunk1',
            description='two vlans',
            port_id='p-a',
            sub_ports=subs,
        )
        [parent] = [p for p in c.store['port'] if p.id == 'p-a']
        parent._update(trunk_details={'trunk_id': 't1', 'sub_ports': subs})
        ports = self.export()['app-vm']['params']['ports']
        self.assertEqual(
            {
                'name': 'trunk1',
                'description': 'two vlans',
                'sub_ports': [
                    {
                        'port_ref': _ref('vlan101'),
                        'segmentation_type': 'vlan',
                        'segmentation_id': 101,
                    },
                    {
                        'port_ref': _ref('vlan102'),
                        'segmentation_type': 'vlan',
                        'segmentation_id': 102,
                    },
                ],
            },
            ports[1]['params']['trunk'],
        )
        self.assertEqual('t1', ports[1]['_info']['trunk_details']['trunk_id'])
        self.assertIsNone(ports[0]['params']['trunk'])
        self.assertEqual(1, self.conn.call_names().count('network.trunks'))
        # A subport without a name: a null reference (the pre-flight
        # says so).
        subs.append(
            {
                'port_id': 's3',
                'segmentation_type': 'vlan',
                'segmentation_id': 103,
            }
        )
        ports = self.export()['app-vm']['params']['ports']
        self.assertEqual(
            {
                'port_ref': None,
                'segmentation_type': 'vlan',
                'segmentation_id': 103,
            },
            ports[1]['params']['trunk']['sub_ports'][2],
        )

    def test_port_security_the_cloud_does_not_report_is_unknown(self):
        # Not False (openstacksdk's reading of the missing field): the
        # import would make the port without port security.
        [port] = [p for p in self.conn.store['port'] if p.id == 'p-a']
        port._body.attributes.pop('port_security_enabled')
        self.assertFalse(port.is_port_security_enabled)
        ports = self.export()['app-vm']['params']['ports']
        self.assertIsNone(ports[1]['params']['is_port_security_enabled'])
        self.assertIs(True, ports[0]['params']['is_port_security_enabled'])

    def test_floating_ips_of_the_ports(self):
        fips = self.export()['app-vm']['params']['floating_ips']
        self.assertEqual(1, len(fips))
        self.assertEqual('openstack.network.ServerFloatingIP', fips[0]['type'])
        self.assertEqual(
            {
                'description': None,
                'dns_domain': None,
                'dns_name': None,
                'fixed_ip_address': '10.0.0.5',
                'floating_ip_address': '172.24.4.9',
                'floating_network_ref': {
                    'name': 'public',
                    'project_name': None,
                    'domain_name': None,
                },
                'qos_policy_ref': None,
            },
            fips[0]['params'],
        )
        self.assertEqual('p-a', fips[0]['_info']['port_id'])
        self.assertEqual('r1', fips[0]['_info']['router_id'])

    def test_volumes(self):
        vols = self.export()['app-vm']['params']['volumes']
        self.assertEqual(
            [
                {
                    'type': 'openstack.network.ServerVolume',
                    'params': {
                        'availability_zone': 'nova',
                        'bootable': False,
                        'description': 'd',
                        'device': '/dev/vdb',
                        'name': 'data',
                        'size': 1,
                        'volume_image_metadata': {},
                        'volume_type': 'nfs',
                    },
                    '_info': {
                        'attachments': [
                            {'device': '/dev/vdb', 'server_id': 'vm1'}
                        ],
                        'id': 'vol1',
                        'is_bootable': False,
                        'size': 1,
                    },
                }
            ],
            vols,
        )

    def test_boot_from_volume_forces_boot_disk_copy(self):
        entry = self.export(boot_disk_copy=False)['app-bfv']
        self.assertIsNone(entry['params']['image_ref'])
        self.assertIsNone(entry['params']['server_group_ref'])
        self.assertEqual([], entry['params']['ports'])
        self.assertTrue(entry['_migration_params']['boot_disk_copy'])
        self.assertEqual(
            ['vol2'], [v['_info']['id'] for v in entry['params']['volumes']]
        )
        self.assertTrue(entry['params']['volumes'][0]['params']['bootable'])

    def test_boot_disk_copy_option(self):
        entry = self.export(boot_disk_copy=True)['app-vm']
        self.assertTrue(entry['_migration_params']['boot_disk_copy'])
        entry = self.export(boot_disk_copy=None)['app-vm']
        self.assertFalse(entry['_migration_params']['boot_disk_copy'])

    def test_conversion_hosts_and_other_projects_skipped(self):
        self.assertEqual(['app-bfv', 'app-vm'], sorted(self.export()))

    def test_one_list_per_kind(self):
        self.export()
        names = self.conn.call_names()
        for call in (
            'compute.servers',
            'network.ports',
            'network.ips',
            'block_storage.volumes',
            'compute.server_groups',
        ):
            self.assertEqual(1, names.count(call), call)
        self.assertFalse(
            [n for n in names if n.startswith(('compute.get', 'network.get'))]
        )
        self.assertEqual([], self.conn.write_calls())

    def test_options(self):
        parser = argparse.ArgumentParser()
        server.Server().add_arguments(parser, 'export')
        self.assertIsNone(parser.parse_args([]).boot_disk_copy)
        self.assertTrue(parser.parse_args(['--boot-disk-copy']).boot_disk_copy)
        self.assertFalse(
            parser.parse_args(['--no-boot-disk-copy']).boot_disk_copy
        )

    def test_import_blocked(self):
        entry = self.export()['app-vm']
        decision = server.Server().decide(refs.Lookup(self.conn), entry)
        self.assertEqual('blocked', decision.action)
