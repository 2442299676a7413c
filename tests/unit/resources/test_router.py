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

"""Routers: gateway with fixed IPs (or without, when refused), routes."""

from openstack import exceptions as sdk_exceptions
from oslotest import base

from osmigrateclient.resources import refs
from osmigrateclient.resources import router
from tests.unit import fakes


def auth_ref(name):
    return {'name': name, 'project_name': '%auth%', 'domain_name': '%auth%'}


ROUTES = [{'destination': '172.30.0.0/24', 'nexthop': '10.0.0.20'}]


class TestRouter(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.src = fakes.FakeConnection(project_id='p-src')
        self.dst = fakes.FakeConnection(project_id='p-dst')
        self.res = router.RESOURCE()
        for conn, suffix, cidr in (
            (self.src, 's', '172.24.4.0/24'),
            (self.dst, 'd', '172.24.5.0/24'),
        ):
            conn.add(
                'network',
                name='public',
                id='pub-' + suffix,
                project_id='admin',
            )
            conn.add(
                'subnet',
                name='public-subnet',
                id='pubsub-' + suffix,
                network_id='pub-' + suffix,
                cidr=cidr,
                project_id='admin',
            )

    def entry(self, **attrs):
        values = dict(
            name='r1',
            description='edge',
            is_admin_state_up=True,
            routes=ROUTES,
            tags=['t'],
            external_gateway_info={
                'network_id': 'pub-s',
                'enable_snat': True,
                'external_fixed_ips': [
                    {'subnet_id': 'pubsub-s', 'ip_address': '172.24.4.10'}
                ],
            },
        )
        values.update(attrs)
        obj = self.src.add('router', **values)
        return self.res.from_sdk(refs.Lookup(self.src), obj)

    def test_export(self):
        e = self.entry()
        gateway = e['params']['external_gateway_refinfo']
        public = {'name': 'public', 'project_name': None, 'domain_name': None}
        self.assertEqual(
            {
                'network_ref': public,
                'external_fixed_ips': [
                    {
                        'ip_address': '172.24.4.10',
                        'subnet_ref': dict(public, name='public-subnet'),
                    }
                ],
                'enable_snat': True,
            },
            gateway,
        )
        self.assertEqual(ROUTES, e['params']['routes'])
        self.assertEqual(ROUTES, e['_info']['routes'])
        self.assertIn('external_gateway_info', e['_info'])

    def test_create_refused_fixed_ips_falls_back(self):
        e = self.entry()
        calls = []

        def create(**attrs):
            calls.append(attrs)
            if 'external_fixed_ips' in attrs['external_gateway_info']:
                raise sdk_exceptions.ForbiddenException('policy')
            gw = dict(
                attrs['external_gateway_info'],
                external_fixed_ips=[
                    {'subnet_id': 'pubsub-d', 'ip_address': '172.24.5.7'}
                ],
            )
            return self.dst.add(
                'router', **dict(attrs, external_gateway_info=gw)
            )

        self.dst._api_create_router = create
        outcome = self.res.apply(refs.Lookup(self.dst), e)
        self.assertEqual('created', outcome.action)
        self.assertEqual(
            [
                {
                    'network_id': 'pub-d',
                    'external_fixed_ips': [
                        {'subnet_id': 'pubsub-d', 'ip_address': '172.24.4.10'}
                    ],
                },
                {'network_id': 'pub-d'},
            ],
            [c['external_gateway_info'] for c in calls],
        )
        self.assertNotIn('routes', calls[1])
        # The next hop is not on the gateway's subnet: no route call yet.
        self.assertEqual([], self.dst.calls_to('network.update_router'))
        self.assertIn(
            'gateway set without the fixed IPs 172.24.4.10', outcome.detail
        )
        self.assertIn('static routes pending', outcome.detail)
        self.assertIn('172.30.0.0/24 via 10.0.0.20', outcome.detail)

    def test_routes_set_on_existing_router(self):
        e = self.entry()
        self.dst.add(
            'router',
            name='r1',
            description='edge',
            is_admin_state_up=True,
            routes=[],
            tags=['t'],
            external_gateway_info={'network_id': 'pub-d'},
        )
        outcome = self.res.apply(refs.Lookup(self.dst), e)
        self.assertEqual(('updated', 'routes'), outcome[2:])
        [(_, kwargs)] = self.dst.calls_to('network.update_router')
        self.assertEqual({'routes': ROUTES}, kwargs)
        self.dst.calls.clear()
        outcome = self.res.apply(refs.Lookup(self.dst), e)
        self.assertEqual('unchanged', outcome.action)
        self.assertEqual([], self.dst.write_calls())

    def test_gateway_ips_elsewhere_are_not_a_change(self):
        e = self.entry(routes=[])
        self.dst.add(
            'router',
            name='r1',
            description='edge',
            is_admin_state_up=True,
            routes=[],
            tags=['t'],
            external_gateway_info={
                'network_id': 'pub-d',
                'external_fixed_ips': [
                    {'subnet_id': 'pubsub-d', 'ip_address': '172.24.5.9'}
                ],
            },
        )
        self.assertEqual(
            'unchanged', self.res.apply(refs.Lookup(self.dst), e).action
        )

    def test_pioneer_gateway(self):
        e = self.entry(routes=[])
        del e['params']['routes']
        e['params']['external_gateway_refinfo'] = {
            'network_ref': {
                'name': 'public',
                'project_name': None,
                'domain_name': None,
            }
        }
        self.assertEqual(
            'created', self.res.apply(refs.Lookup(self.dst), e).action
        )
        [(_, kwargs)] = self.dst.calls_to('network.create_router')
        self.assertEqual(
            {'network_id': 'pub-d'}, kwargs['external_gateway_info']
        )

    def test_unknown_gateway_network_blocks(self):
        e = self.entry()
        e['params']['external_gateway_refinfo']['network_ref']['name'] = 'x'
        outcome = self.res.apply(refs.Lookup(self.dst), e)
        self.assertEqual('blocked', outcome.action)
        self.assertTrue(
            outcome.detail.startswith('external_gateway_refinfo.network_ref: ')
        )

    def test_pioneer_null_flags_are_not_a_conflict(self):
        # The pioneering tool writes is_ha / is_distributed as null; an
        # admin sees them as false in the destination.
        e = self.entry(routes=[], is_ha=None, is_distributed=None)
        self.dst.add(
            'router',
            name='r1',
            description='edge',
            is_admin_state_up=True,
            is_ha=False,
            is_distributed=False,
            routes=[],
            tags=['t'],
            external_gateway_info={'network_id': 'pub-d'},
        )
        outcome = self.res.apply(refs.Lookup(self.dst), e)
        self.assertEqual(('unchanged', ''), (outcome.action, outcome.detail))
        self.assertEqual([], self.dst.write_calls())

    def test_refused_routes_are_set_on_the_next_pass(self):
        # Routes refused before the interfaces exist must not stay on the
        # cached router (openstacksdk sets them on the object before the
        # call fails): the pass after the interfaces sets them.
        e = self.entry()
        self.dst.add(
            'router',
            name='r1',
            description='edge',
            is_admin_state_up=True,
            routes=[],
            tags=['t'],
            external_gateway_info={'network_id': 'pub-d'},
        )
        interfaces = []

        def update_router(obj, **attrs):
            obj._update(**attrs)  # as openstacksdk does, before the PUT
            if 'routes' in attrs and not interfaces:
                raise sdk_exceptions.BadRequestException('nexthop')
            return obj

        self.dst._api_update_router = update_router
        lookup = refs.Lookup(self.dst)
        outcome = self.res.apply(lookup, e)
        self.assertEqual('updated', outcome.action)
        self.assertIn('static routes pending', outcome.detail)
        interfaces.append('now')
        outcome = self.res.apply(lookup, e)
        self.assertEqual(('updated', 'routes'), outcome[2:])
        self.assertEqual(2, len(self.dst.calls_to('network.update_router')))
        [router_obj] = self.dst.store['router']
        self.assertEqual(ROUTES, router_obj.routes)
