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

"""Router interfaces: found by network and fixed IPs, attached once."""

from oslotest import base

from osmigrateclient.resources import _listers as listers
from osmigrateclient.resources import refs
from osmigrateclient.resources import router_interface
from tests.unit import fakes


class Cloud(fakes.FakeConnection):
    def _api_add_interface_to_router(self, router, subnet=None, port=None):
        if port is None:
            port = self._create(
                'port',
                network_id='net-d',
                device_id=router,
                device_owner='network:router_interface',
                fixed_ips=[{'subnet_id': subnet, 'ip_address': '10.0.0.1'}],
            ).id
        for p in self.store.get('port', []):
            if p.id == port:
                p.device_id = router
        return {'port_id': port, 'subnet_id': subnet}


class TestRouterInterface(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.src = Cloud(project_id='p-src')
        self.dst = Cloud(project_id='p-dst')
        self.res = router_interface.RESOURCE()
        for conn, s in ((self.src, 's'), (self.dst, 'd')):
            conn.add('router', name='r1', id='r1-' + s)
            conn.add('network', name='n1', id='net-' + s)
            conn.add(
                'subnet',
                name='sub1',
                id='sub-' + s,
                network_id='net-' + s,
                gateway_ip='10.0.0.1',
            )

    def entry(self, ip='10.0.0.1'):
        port = self.src.add(
            'router_interface',
            network_id='net-s',
            device_id='r1-s',
            device_owner='network:router_interface',
            fixed_ips=[{'subnet_id': 'sub-s', 'ip_address': ip}],
        )
        return self.res.from_sdk(refs.Lookup(self.src), port)

    def test_export_lists_by_owner(self):
        self.entry()
        self.src.add(
            'router_interface',
            network_id='net-s',
            device_id='other',
            device_owner='network:router_interface',
            fixed_ips=[],
        )
        entries = self.res.export(refs.Lookup(self.src), lambda n: True)
        [e] = entries
        self.assertEqual('openstack.network.RouterInterface', e['type'])
        self.assertEqual(
            ['device_owner', 'device_ref', 'fixed_ips_refs', 'network_ref'],
            sorted(e['params']),
        )
        self.assertEqual('r1', self.res.name_of(e))
        self.assertEqual(
            [
                {
                    'ip_address': '10.0.0.1',
                    'subnet_ref': {
                        'name': 'sub1',
                        'project_name': '%auth%',
                        'domain_name': '%auth%',
                    },
                }
            ],
            e['params']['fixed_ips_refs'],
        )
        # one request for every owner
        self.assertEqual(
            [((), {'device_owner': list(listers.ROUTER_INTERFACE_OWNERS)})],
            self.src.calls_to('network.ports'),
        )

    def test_gateway_address_attaches_by_subnet(self):
        lookup = refs.Lookup(self.dst)
        outcome = self.res.apply(lookup, self.entry())
        self.assertEqual('created', outcome.action)
        self.assertEqual(
            [((('r1-d',), {'subnet': 'sub-d'}))],
            self.dst.calls_to('network.add_interface_to_router'),
        )
        self.assertEqual([], self.dst.calls_to('network.create_port'))
        self.dst.calls.clear()
        self.assertEqual(
            'unchanged',
            self.res.apply(refs.Lookup(self.dst), self.entry()).action,
        )
        self.assertEqual([], self.dst.write_calls())

    def test_other_address_creates_port(self):
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry('10.0.0.5'))
        self.assertEqual('created', outcome.action)
        [(_, kwargs)] = self.dst.calls_to('network.create_port')
        self.assertEqual(
            {
                'network_id': 'net-d',
                'fixed_ips': [
                    {'subnet_id': 'sub-d', 'ip_address': '10.0.0.5'}
                ],
            },
            kwargs,
        )
        [(args, kwargs)] = self.dst.calls_to('network.add_interface_to_router')
        self.assertEqual(('r1-d',), args)

    def test_port_of_another_device_is_conflict(self):
        self.dst.add(
            'port',
            network_id='net-d',
            device_id='vm-1',
            device_owner='compute:nova',
            fixed_ips=[{'subnet_id': 'sub-d', 'ip_address': '10.0.0.5'}],
        )
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry('10.0.0.5'))
        self.assertEqual('conflict', outcome.action)
        self.assertIn('vm-1', outcome.detail)
        self.assertEqual([], self.dst.write_calls())

    def test_unattached_port_is_attached(self):
        port = self.dst.add(
            'port',
            network_id='net-d',
            device_id='',
            fixed_ips=[{'subnet_id': 'sub-d', 'ip_address': '10.0.0.5'}],
        )
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry('10.0.0.5'))
        self.assertEqual('updated', outcome.action)
        self.assertEqual(
            [(('r1-d',), {'port': port.id})],
            self.dst.calls_to('network.add_interface_to_router'),
        )
