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


from oslotest import base

from osmigrateclient.resources import _octavia_tree
from osmigrateclient.resources import refs
from tests.unit import fakes


class TestKeys(base.BaseTestCase):
    def test_keys(self):
        self.assertEqual(
            ['a', '(HTTP pool 1)', '(TCP pool 1)', '(HTTP pool 2)'],
            _octavia_tree.pool_keys(
                [
                    {'name': 'a', 'protocol': 'HTTP'},
                    {'name': '', 'protocol': 'HTTP'},
                    {'name': None, 'protocol': 'TCP'},
                    {'protocol': 'HTTP'},
                ]
            ),
        )
        self.assertEqual(
            '(TCP:443)',
            _octavia_tree.listener_key(
                {'protocol': 'TCP', 'protocol_port': 443}
            ),
        )
        self.assertEqual(
            '(10.0.0.1:80)',
            _octavia_tree.member_key(
                {'address': '10.0.0.1', 'protocol_port': 80}
            ),
        )
        self.assertEqual(
            '(position 2)', _octavia_tree.policy_key({'position': 2})
        )


class _Answer:
    def __init__(self, body):
        self.body = body

    def json(self):
        if isinstance(self.body, Exception):
            raise self.body
        return self.body


class _Proxy:
    def __init__(self, endpoint, body):
        self.endpoint = endpoint
        self.body = body
        self.asked = []

    def get_endpoint(self):
        return self.endpoint

    def get(self, url):
        self.asked.append(url)
        return _Answer(self.body)


def versions(*ids):
    return {'versions': [{'id': i, 'status': 'SUPPORTED'} for i in ids]}


class TestApiVersion(base.BaseTestCase):
    def test_highest_listed_at_the_root(self):
        proxy = _Proxy(
            'http://lb.example/v2.0', versions('v2.0', 'v2.9', 'v2.30')
        )
        self.assertEqual((2, 30), _octavia_tree._ask_version(proxy))
        self.assertEqual(['http://lb.example/'], proxy.asked)
        proxy = _Proxy(
            'http://h/load-balancer/v2', versions('v2.26', 'x', 'v2.5')
        )
        self.assertEqual((2, 26), _octavia_tree._ask_version(proxy))
        self.assertEqual(['http://h/load-balancer/'], proxy.asked)

    def test_no_version_document(self):
        for body in ('v2', {'versions': []}, ValueError('not JSON'), {}):
            self.assertIsNone(
                _octavia_tree._ask_version(_Proxy('http://h/v2.0', body))
            )

    def test_asked_once_per_lookup(self):
        conn = fakes.FakeConnection()
        lookup = refs.Lookup(conn)
        proxy = _Proxy('http://h/v2.0', versions('v2.28'))
        conn.load_balancer = proxy
        self.assertEqual((2, 28), _octavia_tree.api_version(lookup))
        self.assertEqual((2, 28), _octavia_tree.api_version(lookup))
        self.assertEqual(['http://h/'], proxy.asked)


class TestResolvedFromCloud(base.BaseTestCase):
    def test_vips_and_barbican_references(self):
        tree = {
            'id': 'lb-1',
            'name': 'lb',
            'vip_sg_ids': ['g1'],
            'additional_vips': [
                {'subnet_id': 's3', 'ip_address': '10.3.0.5', 'port_id': 'p'},
                {'subnet_id': 's2', 'ip_address': '10.2.0.5', 'port_id': 'p'},
            ],
            'pools': [
                {
                    'id': 'p-1',
                    'name': 'web',
                    'tls_container_ref': 'c1',
                    'ca_tls_container_ref': 's1',
                    'crl_container_ref': None,
                    'members': [],
                    'healthmonitor': None,
                }
            ],
            'listeners': [
                {
                    'id': 'l-1',
                    'name': 'https',
                    'client_authentication': 'OPTIONAL',
                    'client_ca_tls_container_ref': 's1',
                    'client_crl_container_ref': 's4',
                    'l7policies': [],
                }
            ],
        }
        found = _octavia_tree.resolved_from_cloud(tree)
        self.assertEqual(
            (
                [
                    {'subnet_id': 's2', 'ip_address': '10.2.0.5'},
                    {'subnet_id': 's3', 'ip_address': '10.3.0.5'},
                ],
                ['g1'],
            ),
            (
                found['attrs']['additional_vips'],
                found['attrs']['vip_sg_ids'],
            ),
        )
        pool = found['pools'][0]['attrs']
        self.assertEqual(
            ('c1', 's1', None),
            (
                pool['tls_container_ref'],
                pool['ca_tls_container_ref'],
                pool['crl_container_ref'],
            ),
        )
        listener = found['listeners'][0]['attrs']
        self.assertEqual(
            ('OPTIONAL', 's1', 's4'),
            (
                listener['client_authentication'],
                listener['client_ca_tls_container_ref'],
                listener['client_crl_container_ref'],
            ),
        )

    def test_no_additional_vips_in_the_answer(self):
        # (an Octavia before API 2.26)
        found = _octavia_tree.resolved_from_cloud(
            {'id': 'lb-1', 'pools': [], 'listeners': []}
        )
        self.assertIsNone(found['attrs']['additional_vips'])
