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


import copy

from oslotest import base

from osmigrateclient.resources import _octavia_diff
from tests.unit.resources.octavia_fakes import tree


def ops(have, want):
    found = _octavia_diff.diff_tree(have, want)
    return [(o.verb, o.label, o.attrs) for o in found.ops], found.conflicts


class TestDiffTree(base.BaseTestCase):
    def test_same_tree_no_write(self):
        self.assertEqual(([], []), ops(tree(), tree()))

    def test_null_and_order_are_not_differences(self):
        want = tree()
        want['attrs']['description'] = None
        want['pools'][0]['attrs']['tags'] = ['a']
        # a rule of the file without the fields the API fills in
        want['listeners'][0]['l7policies'][0]['rules'][0]['attrs'] = {
            'type': 'PATH',
            'compare_type': 'STARTS_WITH',
            'value': '/a',
        }
        # the VIP address is asked for, not enforced
        want['attrs']['vip_address'] = '10.0.0.9'
        self.assertEqual(([], []), ops(tree(), want))

    def test_updates_creates_and_deletes_in_order(self):
        have = tree()
        want = copy.deepcopy(have)
        want['attrs']['description'] = 'new'
        web = want['pools'][0]
        web['members'].append(
            {
                'key': 'm2',
                'attrs': {'name': 'm2', 'address': '10.0.0.6'},
            }
        )
        web['healthmonitor']['attrs']['delay'] = 9
        del want['pools'][1]
        want['pools'].append(
            {
                'key': 'api',
                'attrs': {'name': 'api', 'protocol': 'HTTP'},
                'members': [],
                'healthmonitor': None,
            }
        )
        want['listeners'][0]['attrs']['default_pool'] = 'api'
        want['listeners'][0]['l7policies'][0]['rules'][0]['attrs']['value'] = (
            '/b'
        )
        self.assertEqual(
            (
                [
                    ('update', 'load balancer', {'description': 'new'}),
                    (
                        'create',
                        'member m2 of pool web',
                        {'name': 'm2', 'address': '10.0.0.6'},
                    ),
                    (
                        'update',
                        'health monitor of pool web',
                        {'delay': 9},
                    ),
                    (
                        'create',
                        'pool api',
                        {'name': 'api', 'protocol': 'HTTP'},
                    ),
                    ('update', 'listener http', {'default_pool': 'api'}),
                    (
                        'delete',
                        "L7 rule PATH STARTS_WITH '/a' of L7 policy pol of "
                        'listener http',
                        {},
                    ),
                    (
                        'create',
                        "L7 rule PATH STARTS_WITH '/b' of L7 policy pol of "
                        'listener http',
                        want['listeners'][0]['l7policies'][0]['rules'][0][
                            'attrs'
                        ],
                    ),
                    # last: once nothing refers to it
                    ('delete', 'pool (TCP pool 1)', {}),
                ],
                [],
            ),
            ops(have, want),
        )

    def test_member_with_another_address_is_made_again(self):
        want = tree()
        member = want['pools'][0]['members'][0]
        member['key'] = 'vm'
        member['attrs'].update(name='vm', address='10.0.0.7')
        have = tree()
        have['pools'][0]['members'][0]['key'] = 'vm'
        have['pools'][0]['members'][0]['attrs']['name'] = 'vm'
        self.assertEqual(
            (
                [
                    ('delete', 'member vm of pool web', {}),
                    ('create', 'member vm of pool web', member['attrs']),
                ],
                [],
            ),
            ops(have, want),
        )

    def test_health_monitor_of_another_type_is_made_again(self):
        want = tree()
        want['pools'][0]['healthmonitor']['attrs']['type'] = 'TCP'
        self.assertEqual(
            [
                ('delete', 'health monitor of pool web', {}),
                (
                    'create',
                    'health monitor of pool web',
                    {'type': 'TCP', 'delay': 5},
                ),
            ],
            ops(tree(), want)[0],
        )

    def test_fixed_fields_conflict(self):
        want = tree()
        want['listeners'][0]['attrs']['protocol_port'] = 81
        want['attrs']['vip_subnet_id'] = 's2'
        self.assertEqual(
            [
                (
                    'load balancer.vip_subnet_id',
                    "cannot change: the destination has 's1', the file "
                    "says 's2'",
                ),
                (
                    'listener http.protocol_port',
                    'cannot change: the destination has 80, the file says 81',
                ),
            ],
            ops(tree(), want)[1],
        )

    def test_new_tree_parents_first(self):
        empty = {'attrs': {}, 'id': 'x', 'pools': [], 'listeners': []}
        want = tree()
        want['attrs'] = {}
        self.assertEqual(
            [
                ('create', 'pool web'),
                ('create', 'member (10.0.0.5:80) of pool web'),
                ('create', 'health monitor of pool web'),
                ('create', 'pool (TCP pool 1)'),
                ('create', 'listener http'),
                ('create', 'L7 policy pol of listener http'),
                (
                    'create',
                    "L7 rule PATH STARTS_WITH '/a' of L7 policy pol of "
                    'listener http',
                ),
            ],
            [(v, label) for v, label, _ in ops(empty, want)[0]],
        )


class TestVips(base.BaseTestCase):
    def with_vips(self, vips, groups=None):
        found = tree()
        found['attrs']['additional_vips'] = vips
        found['attrs']['vip_sg_ids'] = groups
        return found

    def test_addresses_are_asked_for_subnets_are_fixed(self):
        have = self.with_vips([{'subnet_id': 's2', 'ip_address': '10.1.0.5'}])
        # another address: not a write (Octavia gave what was free)
        want = self.with_vips([{'subnet_id': 's2', 'ip_address': '10.1.0.9'}])
        self.assertEqual(([], []), ops(have, want))
        # null: not compared
        self.assertEqual(([], []), ops(have, self.with_vips(None)))
        want = self.with_vips([{'subnet_id': 's3', 'ip_address': None}])
        self.assertEqual(
            (
                [],
                [
                    (
                        'load balancer.additional_vips',
                        "cannot change: the destination has them on subnets "
                        "['s2'], the file says ['s3']",
                    )
                ],
            ),
            ops(have, want),
        )
        self.assertEqual(
            [
                (
                    'load balancer.additional_vips',
                    "cannot change: the destination has them on subnets "
                    "['s2'], the file says []",
                )
            ],
            ops(have, self.with_vips([]))[1],
        )

    def test_security_groups_are_updated_in_any_order(self):
        have = self.with_vips([], ['g1', 'g2'])
        self.assertEqual(([], []), ops(have, self.with_vips([], ['g2', 'g1'])))
        self.assertEqual(
            ([('update', 'load balancer', {'vip_sg_ids': ['g3']})], []),
            ops(have, self.with_vips([], ['g3'])),
        )
        self.assertEqual(
            ([('update', 'load balancer', {'vip_sg_ids': []})], []),
            ops(have, self.with_vips([], [])),
        )

    def test_barbican_references_are_updated(self):
        have = tree()
        have['listeners'][0]['attrs']['client_ca_tls_container_ref'] = 'h1'
        have['pools'][0]['attrs']['ca_tls_container_ref'] = 'h1'
        want = copy.deepcopy(have)
        want['listeners'][0]['attrs']['client_ca_tls_container_ref'] = 'h2'
        want['pools'][0]['attrs']['ca_tls_container_ref'] = 'h2'
        self.assertEqual(
            (
                [
                    (
                        'update',
                        'pool web',
                        {'ca_tls_container_ref': 'h2'},
                    ),
                    (
                        'update',
                        'listener http',
                        {'client_ca_tls_container_ref': 'h2'},
                    ),
                ],
                [],
            ),
            ops(have, want),
        )
