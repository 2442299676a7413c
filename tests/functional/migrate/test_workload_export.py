# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""``migrate workload export`` against the development cloud's ``src``.

Seeds an image-booted server with two ports (one made beforehand with a
fixed IP and MAC), a floating IP, a server group, a key pair, metadata,
tags, user data and an attached 1 GiB volume, and a boot-from-volume
server; exports them and checks workloads.yml.
"""

import base64
import os
import uuid

import fixtures
import yaml

from tests.functional import base

AUTH = {'name': None, 'project_name': '%auth%', 'domain_name': '%auth%'}

#: The keys of the pioneering tool's workload entries.
PIONEER_PARAMS = {
    'availability_zone',
    'config_drive',
    'description',
    'disk_config',
    'flavor_ref',
    'floating_ips',
    'image_ref',
    'key_name',
    'metadata',
    'name',
    'ports',
    'scheduler_hints',
    'security_group_refs',
    'tags',
    'user_data',
    'volumes',
}
PIONEER_INFO = {
    'created_at',
    'flavor_id',
    'hypervisor_hostname',
    'id',
    'launched_at',
    'project_id',
    'security_group_ids',
    'status',
    'updated_at',
    'user_id',
}
PIONEER_PORT_PARAMS = {
    'binding_profile',
    'binding_vnic_type',
    'fixed_ips_refs',
    'mac_address',
    'network_ref',
}
PIONEER_PORT_INFO = {'device_id', 'device_owner', 'id'}
PIONEER_FIP_PARAMS = {
    'description',
    'dns_domain',
    'dns_name',
    'fixed_ip_address',
    'floating_ip_address',
    'floating_network_ref',
    'qos_policy_ref',
}
PIONEER_FIP_INFO = {
    'created_at',
    'floating_network_id',
    'id',
    'port_id',
    'qos_policy_id',
    'router_id',
    'tags',
    'updated_at',
}
PIONEER_VOLUME_PARAMS = {
    'availability_zone',
    'description',
    'name',
    'volume_image_metadata',
    'volume_type',
}
PIONEER_VOLUME_INFO = {'attachments', 'id', 'is_bootable', 'size'}

DEFAULT_MIGRATION_PARAMS = {
    'boot_disk_copy': False,
    'data_copy': True,
    'boot_volume_params': {
        'availability_zone': None,
        'name': None,
        'description': None,
        'volume_type': None,
    },
    'boot_volume': {'uuid': None},
    'additional_volumes': [{'uuid': None}],
    'floating_ip_mode': 'auto',
    'port_creation_mode': 'neutron',
}


def _ref(name):
    return dict(AUTH, name=name)


class TestWorkloadExport(base.FunctionalTestCase):
    def setUp(self):
        super().setUp()
        self.prefix = self.unique_name('osmwl')
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        self.src = self.conn('src')

    def _seed(self):
        c, p = self.src, self.prefix
        net = c.network
        octet = 100 + uuid.uuid4().int % 100
        self.cidr_base = '10.%d.0' % octet

        self.network = net.create_network(name=p + '-net')
        self.cleanup_resource(c, 'network', self.network)
        self.subnet = net.create_subnet(
            name=p + '-sub',
            network_id=self.network.id,
            ip_version=4,
            cidr=self.cidr_base + '.0/24',
        )
        self.cleanup_resource(c, 'subnet', self.subnet)
        self.sg = net.create_security_group(name=p + '-sg')
        self.cleanup_resource(c, 'security_group', self.sg)
        self.group = c.compute.create_server_group(
            name=p + '-grp', policy='soft-anti-affinity'
        )
        self.add_cleanup_delete(c.compute.delete_server_group, self.group.id)
        self.keypair = c.compute.create_keypair(name=p + '-key')
        self.cleanup_resource(c, 'keypair', self.keypair.name)

        public = net.find_network(base.PUBLIC_NETWORK, ignore_missing=False)
        self.router = net.create_router(
            name=p + '-router',
            external_gateway_info={'network_id': public.id},
        )
        self.cleanup_resource(c, 'router', self.router)
        net.add_interface_to_router(self.router, subnet_id=self.subnet.id)
        self.addCleanup(
            net.remove_interface_from_router,
            self.router,
            subnet_id=self.subnet.id,
        )

        self.fixed_ip = self.cidr_base + '.50'
        self.mac = 'fa:16:3e:%02x:%02x:%02x' % tuple(os.urandom(3))
        self.port1 = net.create_port(
            name=p + '-port1',
            network_id=self.network.id,
            fixed_ips=[
                {'subnet_id': self.subnet.id, 'ip_address': self.fixed_ip}
            ],
            mac_address=self.mac,
            security_group_ids=[self.sg.id],
            description='first port',
        )
        self.cleanup_resource(c, 'port', self.port1)

        image = c.image.find_image(base.IMAGE, ignore_missing=False)
        flavor = c.compute.find_flavor(base.FLAVOR, ignore_missing=False)
        self.user_data = base64.b64encode(b'#!/bin/sh\necho hi\n').decode()
        self.vm = c.compute.create_server(
            name=p + '-vm',
            image_id=image.id,
            flavor_id=flavor.id,
            networks=[{'port': self.port1.id}, {'uuid': self.network.id}],
            security_groups=[{'name': self.sg.name}],
            key_name=self.keypair.name,
            metadata={'role': 'web', 'tier': '1'},
            tags=['blue', 'alpha'],
            user_data=self.user_data,
            scheduler_hints={'group': self.group.id},
            description='the web server',
        )
        self.cleanup_resource(c, 'server', self.vm)
        self.bfv = c.compute.create_server(
            name=p + '-bfv',
            flavor_id=flavor.id,
            networks=[{'uuid': self.network.id}],
            block_device_mapping=[
                {
                    'boot_index': 0,
                    'uuid': image.id,
                    'source_type': 'image',
                    'destination_type': 'volume',
                    'volume_size': 1,
                    'delete_on_termination': True,
                }
            ],
        )
        self.cleanup_resource(c, 'server', self.bfv)
        self.data = c.block_storage.create_volume(
            name=p + '-data',
            size=1,
            volume_type=base.VOLUME_TYPE,
            description='data disk',
        )
        self.cleanup_resource(c, 'volume', self.data)

        self.vm = c.compute.wait_for_server(self.vm, wait=base.WAIT)
        self.bfv = c.compute.wait_for_server(self.bfv, wait=base.WAIT)
        c.block_storage.wait_for_status(
            self.data, 'available', failures=['error'], wait=base.WAIT
        )
        c.compute.create_volume_attachment(self.vm, volume_id=self.data.id)
        self.addCleanup(self._detach)
        self.data = c.block_storage.wait_for_status(
            self.data, 'in-use', failures=['error'], wait=base.WAIT
        )
        self.fip = net.create_ip(
            floating_network_id=public.id, port_id=self.port1.id
        )
        self.cleanup_resource(c, 'floating_ip', self.fip)
        self.port2 = next(
            p for p in net.ports(device_id=self.vm.id) if p.id != self.port1.id
        )

    def _detach(self):
        from openstack import exceptions

        c = self.src
        try:
            c.compute.delete_volume_attachment(self.vm, self.data.id)
            c.block_storage.wait_for_status(
                c.block_storage.get_volume(self.data.id),
                'available',
                failures=['error'],
                wait=base.WAIT,
            )
        except exceptions.NotFoundException:
            pass

    def export(self):
        self.openstack(
            'migrate',
            'workload',
            'export',
            '--src-cloud',
            'src',
            '--data-dir',
            self.data_dir,
            '--name-regex',
            '^' + self.prefix,
        )
        path = os.path.join(self.data_dir, 'workloads.yml')
        with open(path, 'rb') as f:
            return f.read()

    def test_export(self):
        self._seed()
        raw = self.export()
        entries = {
            e['params']['name']: e for e in yaml.safe_load(raw)['resources']
        }
        self.assertEqual(
            sorted([self.prefix + '-vm', self.prefix + '-bfv']),
            sorted(entries),
        )
        vm = entries[self.prefix + '-vm']
        bfv = entries[self.prefix + '-bfv']
        for entry in (vm, bfv):
            self.assertEqual('openstack.compute.Server', entry['type'])
            self.assertLessEqual(PIONEER_PARAMS, set(entry['params']))
            self.assertLessEqual(PIONEER_INFO, set(entry['_info']))
            for port in entry['params']['ports']:
                self.assertEqual('openstack.network.ServerPort', port['type'])
                self.assertLessEqual(PIONEER_PORT_PARAMS, set(port['params']))
                self.assertLessEqual(PIONEER_PORT_INFO, set(port['_info']))
            for fip in entry['params']['floating_ips']:
                self.assertEqual(
                    'openstack.network.ServerFloatingIP', fip['type']
                )
                self.assertLessEqual(PIONEER_FIP_PARAMS, set(fip['params']))
                self.assertLessEqual(PIONEER_FIP_INFO, set(fip['_info']))
            for vol in entry['params']['volumes']:
                self.assertEqual('openstack.network.ServerVolume', vol['type'])
                self.assertLessEqual(PIONEER_VOLUME_PARAMS, set(vol['params']))
                self.assertLessEqual(PIONEER_VOLUME_INFO, set(vol['_info']))

        params = vm['params']
        self.assertEqual(self.vm.id, vm['_info']['id'])
        self.assertEqual('ACTIVE', vm['_info']['status'])
        self.assertEqual(
            {'name': base.FLAVOR, 'project_name': None, 'domain_name': None},
            params['flavor_ref'],
        )
        self.assertEqual(base.IMAGE, params['image_ref']['name'])
        self.assertEqual(self.keypair.name, params['key_name'])
        self.assertEqual({'role': 'web', 'tier': '1'}, params['metadata'])
        self.assertEqual(['alpha', 'blue'], params['tags'])
        self.assertEqual('the web server', params['description'])
        # Nova shows user data only where its policy allows.
        shown = self.src.compute.get_server(self.vm.id).user_data
        self.assertEqual(shown, params['user_data'])
        self.assertEqual([_ref(self.sg.name)], params['security_group_refs'])
        self.assertEqual([self.sg.id], vm['_info']['security_group_ids'])
        self.assertEqual(_ref(self.group.name), params['server_group_ref'])
        self.assertEqual('soft-anti-affinity', params['server_group_policy'])
        self.assertEqual(
            [self.prefix + '-vm'], vm['_info']['server_group_members']
        )

        ports = params['ports']
        self.assertEqual(2, len(ports))
        self.assertEqual(
            [self.port1.id, self.port2.id], [p['_info']['id'] for p in ports]
        )
        first = ports[0]['params']
        self.assertEqual(self.mac, first['mac_address'])
        self.assertEqual(
            [
                {
                    'ip_address': self.fixed_ip,
                    'subnet_ref': _ref(self.subnet.name),
                }
            ],
            first['fixed_ips_refs'],
        )
        self.assertEqual(_ref(self.network.name), first['network_ref'])
        self.assertEqual([_ref(self.sg.name)], first['security_group_refs'])
        self.assertEqual('first port', first['description'])
        self.assertIs(True, first['is_port_security_enabled'])
        self.assertEqual([], first['allowed_address_pairs'])
        self.assertEqual('normal', first['binding_vnic_type'])
        second = ports[1]['params']
        self.assertEqual(self.port2.mac_address, second['mac_address'])
        self.assertEqual(
            [
                {
                    'ip_address': self.port2.fixed_ips[0]['ip_address'],
                    'subnet_ref': _ref(self.subnet.name),
                }
            ],
            second['fixed_ips_refs'],
        )
        self.assertEqual(self.vm.id, ports[1]['_info']['device_id'])

        self.assertEqual(1, len(params['floating_ips']))
        fip = params['floating_ips'][0]
        self.assertEqual(
            self.fip.floating_ip_address, fip['params']['floating_ip_address']
        )
        self.assertEqual(self.fixed_ip, fip['params']['fixed_ip_address'])
        self.assertEqual(
            base.PUBLIC_NETWORK, fip['params']['floating_network_ref']['name']
        )
        self.assertEqual(self.port1.id, fip['_info']['port_id'])
        self.assertEqual(self.router.id, fip['_info']['router_id'])

        self.assertEqual(1, len(params['volumes']))
        vol = params['volumes'][0]
        device = next(
            a['device']
            for a in self.data.attachments
            if a['server_id'] == self.vm.id
        )
        self.assertEqual(
            {
                'availability_zone': self.data.availability_zone,
                'bootable': False,
                'description': 'data disk',
                'device': device,
                'name': self.prefix + '-data',
                'size': 1,
                'volume_image_metadata': {},
                'volume_type': base.VOLUME_TYPE,
            },
            vol['params'],
        )
        self.assertEqual(self.data.id, vol['_info']['id'])
        self.assertEqual(DEFAULT_MIGRATION_PARAMS, vm['_migration_params'])

        self.assertIsNone(bfv['params']['image_ref'])
        self.assertIsNone(bfv['params']['server_group_ref'])
        self.assertEqual([], bfv['params']['floating_ips'])
        self.assertEqual(1, len(bfv['params']['ports']))
        self.assertEqual(1, len(bfv['params']['volumes']))
        boot = bfv['params']['volumes'][0]['params']
        self.assertIs(True, boot['bootable'])
        self.assertEqual(1, boot['size'])
        self.assertEqual(
            dict(DEFAULT_MIGRATION_PARAMS, boot_disk_copy=True),
            bfv['_migration_params'],
        )

        # Re-export: the same bytes.
        self.assertEqual(raw, self.export())
