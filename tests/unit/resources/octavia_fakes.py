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


"""Load balancer trees and files for the tests of the load balancer type
and of its private modules."""

from oslotest import base

from osmigrateclient.resources import _octavia_file
from osmigrateclient.resources import loadbalancer
from osmigrateclient.resources import refs
from tests.unit import fakes


def ref(name):
    return refs.make_ref(name, refs.AUTH, refs.AUTH)


def tree():
    """A resolved tree: pool ``web`` (a member, a health monitor), an
    unnamed pool, listener ``http`` (an L7 policy with a rule)."""
    return {
        'attrs': {'name': 'lb', 'description': 'd', 'vip_subnet_id': 's1'},
        'id': 'lb-1',
        'pools': [
            {
                'key': 'web',
                'id': 'p-web',
                'attrs': {'name': 'web', 'protocol': 'HTTP', 'tags': ['a']},
                'members': [
                    {
                        'key': '(10.0.0.5:80)',
                        'id': 'm-1',
                        'attrs': {
                            'name': '',
                            'address': '10.0.0.5',
                            'protocol_port': 80,
                            'weight': 1,
                        },
                    }
                ],
                'healthmonitor': {
                    'id': 'hm-1',
                    'attrs': {'type': 'HTTP', 'delay': 5},
                },
            },
            {
                'key': '(TCP pool 1)',
                'id': 'p-2',
                'attrs': {'name': '', 'protocol': 'TCP'},
                'members': [],
                'healthmonitor': None,
            },
        ],
        'listeners': [
            {
                'key': 'http',
                'id': 'l-1',
                'attrs': {
                    'name': 'http',
                    'protocol': 'HTTP',
                    'protocol_port': 80,
                    'default_pool': 'web',
                },
                'l7policies': [
                    {
                        'key': 'pol',
                        'id': 'pol-1',
                        'attrs': {'name': 'pol', 'action': 'REJECT'},
                        'rules': [
                            {
                                'id': 'r-1',
                                'attrs': {
                                    'type': 'PATH',
                                    'compare_type': 'STARTS_WITH',
                                    'key': None,
                                    'value': '/a',
                                    'invert': False,
                                    'tags': [],
                                },
                            }
                        ],
                    }
                ],
            }
        ],
    }


def params(**member):
    return {
        'name': 'lb',
        'provider': 'amphora',
        'vip_subnet_ref': ref('sub'),
        'vip_address': '10.0.0.50',
        'pools': [
            {
                'name': 'web',
                'protocol': 'HTTP',
                'members': [dict({'protocol_port': 80}, **member)],
            }
        ],
        'listeners': [
            {'name': 'http', 'protocol': 'HTTP', 'default_pool': 'web'}
        ],
    }


class ResolveCase(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.conn = fakes.FakeConnection()
        self.net = self.conn.add('network', name='net')
        self.sub = self.conn.add('subnet', name='sub', network_id=self.net.id)
        self.conn.add('lb_provider', name='amphora')
        self.lookup = refs.Lookup(self.conn)
        self.type = loadbalancer.LoadBalancer()

    def add_server(self, address):
        server = self.conn.add('server', name='vm')
        self.conn.add(
            'port',
            device_owner='compute:nova',
            device_id=server.id,
            network_id=self.net.id,
            fixed_ips=[{'subnet_id': self.sub.id, 'ip_address': address}],
        )
        return server

    def resolve(self, p, unreferenced=()):
        return _octavia_file.resolve_tree(
            self.lookup, p, self.type.references, unreferenced
        )
