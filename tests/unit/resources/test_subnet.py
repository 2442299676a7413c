#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at
#
#        http://www.apache.org/licenses/LICENSE-2.0
#
#   Unless required by applicable law or agreed to in writing, software
#   distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#   WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#   License for the specific language governing permissions and limitations
#   under the License.

"""Subnets: pioneering fields, no-gateway creates, create-only fields."""

from oslotest import base

from osmigrateclient.resources import refs
from osmigrateclient.resources import subnet
from tests.unit import fakes

PIONEER_PARAMS = {
    'allocation_pools',
    'cidr',
    'description',
    'dns_nameservers',
    'gateway_ip',
    'host_routes',
    'ip_version',
    'ipv6_address_mode',
    'ipv6_ra_mode',
    'is_dhcp_enabled',
    'name',
    'network_ref',
    'segment_ref',
    'service_types',
    'subnet_pool_ref',
    'tags',
    'use_default_subnet_pool',
}
PIONEER_INFO = {
    'created_at',
    'id',
    'network_id',
    'prefix_length',
    'project_id',
    'revision_number',
    'segment_id',
    'subnet_pool_id',
    'updated_at',
}


def add_subnet(conn, network, **attrs):
    values = dict(
        name='sub1',
        network_id=network.id,
        cidr='10.0.0.0/24',
        ip_version=4,
        gateway_ip='10.0.0.1',
        allocation_pools=[
            {'start': '10.0.0.50', 'end': '10.0.0.60'},
            {'start': '10.0.0.10', 'end': '10.0.0.20'},
        ],
        dns_nameservers=['9.9.9.9', '1.1.1.1'],
        host_routes=[{'destination': '10.9.0.0/24', 'nexthop': '10.0.0.9'}],
        is_dhcp_enabled=True,
        description='',
        service_types=[],
        tags=['b', 'a'],
    )
    values.update(attrs)
    return conn.add('subnet', **values)


class TestSubnet(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.src = fakes.FakeConnection(project_id='p-src')
        self.dst = fakes.FakeConnection(project_id='p-dst')
        self.src_net = self.src.add('network', name='net1')
        self.dst_net = self.dst.add('network', name='net1', id='net-dst')
        self.res = subnet.RESOURCE()

    def entry(self, **attrs):
        obj = add_subnet(self.src, self.src_net, **attrs)
        return self.res.from_sdk(refs.Lookup(self.src), obj)

    def test_declaration(self):
        self.assertEqual('openstack.subnet.Subnet', self.res.type)
        self.assertEqual('subnets.yml', self.res.file_name)
        self.assertEqual(('network', 'subnet pool'), self.res.depends_on)

    def test_export_keeps_pioneer_keys_and_dns_order(self):
        e = self.entry()
        self.assertTrue(PIONEER_PARAMS <= set(e['params']))
        self.assertEqual(
            {'dns_publish_fixed_ip'}, set(e['params']) - PIONEER_PARAMS
        )
        self.assertEqual(PIONEER_INFO, set(e['_info']))
        self.assertEqual(
            ['9.9.9.9', '1.1.1.1'], e['params']['dns_nameservers']
        )
        self.assertEqual(
            [
                {'end': '10.0.0.20', 'start': '10.0.0.10'},
                {'end': '10.0.0.60', 'start': '10.0.0.50'},
            ],
            e['params']['allocation_pools'],
        )
        self.assertEqual(
            {
                'name': 'net1',
                'project_name': '%auth%',
                'domain_name': '%auth%',
            },
            e['params']['network_ref'],
        )

    def test_create(self):
        e = self.entry(ipv6_ra_mode=None)
        outcome = self.res.apply(refs.Lookup(self.dst), e)
        self.assertEqual('created', outcome.action)
        [(_, kwargs)] = self.dst.calls_to('network.create_subnet')
        self.assertEqual('net-dst', kwargs['network_id'])
        self.assertEqual('10.0.0.1', kwargs['gateway_ip'])
        self.assertEqual(['9.9.9.9', '1.1.1.1'], kwargs['dns_nameservers'])
        self.assertNotIn('service_types', kwargs)
        self.assertNotIn('ipv6_ra_mode', kwargs)
        self.assertNotIn('tags', kwargs)
        [(args, _)] = self.dst.calls_to('network.set_tags')
        self.assertEqual(['a', 'b'], args[1])

    def test_no_gateway_is_sent_as_null(self):
        e = self.entry(gateway_ip=None)
        self.res.apply(refs.Lookup(self.dst), e)
        [(_, kwargs)] = self.dst.calls_to('network.create_subnet')
        self.assertIn('gateway_ip', kwargs)
        self.assertIsNone(kwargs['gateway_ip'])

    def test_absent_gateway_is_sent_as_null(self):
        e = self.entry()
        del e['params']['gateway_ip']
        self.res.apply(refs.Lookup(self.dst), e)
        [(_, kwargs)] = self.dst.calls_to('network.create_subnet')
        self.assertIsNone(kwargs['gateway_ip'])

    def test_round_trip_unchanged_then_update(self):
        e = self.entry()
        self.res.apply(refs.Lookup(self.dst), e)
        self.dst.calls.clear()
        self.assertEqual(
            'unchanged', self.res.apply(refs.Lookup(self.dst), e).action
        )
        self.assertEqual([], self.dst.write_calls())
        e['params']['dns_nameservers'] = ['1.1.1.1', '9.9.9.9']
        outcome = self.res.apply(refs.Lookup(self.dst), e)
        self.assertEqual(('updated', 'dns_nameservers'), outcome[2:])
        [(_, kwargs)] = self.dst.calls_to('network.update_subnet')
        self.assertEqual({'dns_nameservers': ['1.1.1.1', '9.9.9.9']}, kwargs)

    def test_cidr_change_is_conflict(self):
        e = self.entry()
        self.res.apply(refs.Lookup(self.dst), e)
        e['params']['cidr'] = '10.1.0.0/24'
        outcome = self.res.apply(refs.Lookup(self.dst), e)
        self.assertEqual('conflict', outcome.action)

    def test_missing_network_blocks(self):
        e = self.entry()
        e['params']['network_ref']['name'] = 'nope'
        outcome = self.res.apply(refs.Lookup(self.dst), e)
        self.assertEqual('blocked', outcome.action)
        self.assertEqual(
            "network_ref: network 'nope' (project '%auth%') not found",
            outcome.detail,
        )
        self.assertEqual([], self.dst.write_calls())
