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

"""Load balancers: the diff of two trees (the writes of an import, in
order), members on servers, and the file's references."""

import copy

import fixtures
from openstack import exceptions as sdk_exceptions

import testtools

from osmigrateclient import exceptions
from osmigrateclient.resources import base
from osmigrateclient.resources import loadbalancer as lbmod
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


def ops(have, want):
    found = lbmod.diff_tree(have, want)
    return [(o.verb, o.label, o.attrs) for o in found.ops], found.conflicts


class TestDiffTree(testtools.TestCase):
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

    def test_keys(self):
        self.assertEqual(
            ['a', '(HTTP pool 1)', '(TCP pool 1)', '(HTTP pool 2)'],
            lbmod.pool_keys(
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
            lbmod.listener_key({'protocol': 'TCP', 'protocol_port': 443}),
        )
        self.assertEqual(
            '(10.0.0.1:80)',
            lbmod.member_key({'address': '10.0.0.1', 'protocol_port': 80}),
        )
        self.assertEqual('(position 2)', lbmod.policy_key({'position': 2}))


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


class ResolveCase(testtools.TestCase):
    def setUp(self):
        super().setUp()
        self.conn = fakes.FakeConnection()
        self.net = self.conn.add('network', name='net')
        self.sub = self.conn.add('subnet', name='sub', network_id=self.net.id)
        self.conn.add('lb_provider', name='amphora')
        self.lookup = refs.Lookup(self.conn)
        self.type = lbmod.LoadBalancer()

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
        return self.type.resolve_tree(self.lookup, p, unreferenced)


class TestResolve(ResolveCase):
    def test_member_by_address(self):
        found, remarks = self.resolve(
            params(address='10.0.0.5', subnet_ref=ref('sub'))
        )
        (member,) = found['pools'][0]['members']
        self.assertEqual('(10.0.0.5:80)', member['key'])
        self.assertEqual(
            ('10.0.0.5', self.sub.id),
            (member['attrs']['address'], member['attrs']['subnet_id']),
        )
        self.assertEqual([], remarks)
        self.assertEqual(self.sub.id, found['attrs']['vip_subnet_id'])
        self.assertNotIn('vip_network_id', found['attrs'])
        self.assertEqual('web', found['listeners'][0]['attrs']['default_pool'])

    def test_member_on_a_server_gets_its_address(self):
        self.add_server('10.0.0.20')
        found, remarks = self.resolve(
            params(server_ref=ref('vm'), network_ref=ref('net'))
        )
        (member,) = found['pools'][0]['members']
        self.assertEqual(
            ('10.0.0.20', self.sub.id),
            (member['attrs']['address'], member['attrs']['subnet_id']),
        )
        self.assertEqual([], remarks)

    def test_member_on_a_server_not_there_yet_is_left_out(self):
        found, remarks = self.resolve(
            params(name='m', server_ref=ref('vm'), network_ref=ref('net'))
        )
        self.assertEqual([], found['pools'][0]['members'])
        self.assertEqual(
            [
                "member m of pool web left out: server 'vm' (project "
                "'%auth%') not found (import the load balancers again after "
                'the workload import)'
            ],
            remarks,
        )

    def test_missing_subnet_names_the_field(self):
        e = self.assertRaises(
            exceptions.UnresolvedReference,
            self.resolve,
            params(address='10.0.0.5', subnet_ref=ref('nosuch')),
        )
        self.assertEqual('pools[0].members[0].subnet_ref', e.field)
        self.assertEqual(
            "subnet 'nosuch' (project '%auth%') not found", e.problem
        )

    def test_provider_the_destination_lacks(self):
        p = params(address='10.0.0.5')
        p['provider'] = 'ovn'
        e = self.assertRaises(exceptions.UnresolvedReference, self.resolve, p)
        self.assertEqual(
            (
                'provider',
                "provider 'ovn' not in the destination (it has: amphora)",
            ),
            (e.field, e.problem),
        )

    def test_pool_of_another_name(self):
        p = params(address='10.0.0.5')
        p['listeners'][0]['default_pool'] = 'api'
        e = self.assertRaises(exceptions.UnresolvedReference, self.resolve, p)
        self.assertEqual('listeners[0].default_pool', e.field)

    def test_unnamed_pool_reference_blocks(self):
        p = params(address='10.0.0.5')
        p['listeners'][0]['default_pool'] = None
        e = self.assertRaises(
            exceptions.UnresolvedReference,
            self.resolve,
            p,
            ['listeners[0].default_pool'],
        )
        self.assertEqual(lbmod.UNNAMED_POOL, e.problem)
        # named in the file since: resolved
        self.resolve(params(address='10.0.0.5'), ['listeners[0].default_pool'])

    def test_plan_blocked(self):
        entry = {
            'type': self.type.type,
            'params': params(address='10.0.0.5', subnet_ref=ref('nosuch')),
            '_info': {'id': 'x'},
        }
        self.assertEqual(
            base.Plan(
                base.BLOCKED,
                "pools[0].members[0].subnet_ref: subnet 'nosuch' (project "
                "'%auth%') not found",
            ),
            self.type.plan(self.lookup, entry),
        )
        self.assertEqual([], self.conn.write_calls())


class TestServerPort(testtools.TestCase):
    def test_fixed_ip_of_a_server(self):
        conn = fakes.FakeConnection()
        server = conn.add('server', name='vm')
        port = conn.add(
            'port',
            device_owner='compute:nova',
            device_id=server.id,
            network_id='n1',
            fixed_ips=[{'subnet_id': 's1', 'ip_address': '10.0.0.5'}],
        )
        conn.add(
            'port',
            device_owner='',
            fixed_ips=[{'subnet_id': 's1', 'ip_address': '10.0.0.6'}],
        )
        lookup = refs.Lookup(conn)
        self.assertEqual(
            (server, port), lbmod.server_port(lookup, '10.0.0.5', 's1')
        )
        self.assertEqual(
            (server, port), lbmod.server_port(lookup, '10.0.0.5', None)
        )
        # another subnet's address, or a port no server owns
        self.assertEqual(
            (None, None), lbmod.server_port(lookup, '10.0.0.5', 's2')
        )
        self.assertEqual(
            (None, None), lbmod.server_port(lookup, '10.0.0.6', None)
        )


class TestReferences(testtools.TestCase):
    def test_references_in_the_tree(self):
        p = params(
            subnet_ref=ref('sub'), server_ref=ref('vm'), network_ref=ref('n')
        )
        p['listeners'][0]['default_tls_container_ref'] = ref('cert')
        self.assertEqual(
            [
                ('params.vip_network_ref', 'network', None),
                ('params.vip_qos_policy_ref', 'qos_policy', None),
                ('params.vip_subnet_ref', 'subnet', ref('sub')),
                (
                    'params.listeners[0].default_tls_container_ref',
                    'secret_container',
                    ref('cert'),
                ),
                (
                    'params.pools[0].members[0].subnet_ref',
                    'subnet',
                    ref('sub'),
                ),
                ('params.pools[0].members[0].server_ref', 'server', ref('vm')),
                (
                    'params.pools[0].members[0].network_ref',
                    'network',
                    ref('n'),
                ),
            ],
            lbmod.LoadBalancer().references_in(p),
        )

    def test_shape_of_the_tree(self):
        entry = {
            'type': lbmod.LoadBalancer.type,
            'params': params(address='10.0.0.5'),
            '_info': {'id': 'x'},
        }
        entry['params']['pools'][0]['members'][0]['weight'] = 'heavy'
        e = self.assertRaises(
            exceptions.DataFileError,
            lbmod.LoadBalancer().check,
            entry,
            'loadbalancers.yml',
            0,
        )
        self.assertEqual('params.pools[0].members[0].weight', e.field)


class _Statuses:
    """A load balancer proxy whose load balancer goes through
    ``statuses``, one per look."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.looks = 0

    def get_load_balancer(self, lb_id):
        self.looks += 1
        status = self.statuses.pop(0) if self.statuses else 'PENDING_UPDATE'
        return fakes.sdk('load_balancer', id=lb_id, provisioning_status=status)


class TestWait(testtools.TestCase):
    def setUp(self):
        super().setUp()
        self.conn = fakes.FakeConnection()
        self.lookup = refs.Lookup(self.conn, options=_Options(0))
        self.useFixture(fixtures.MockPatchObject(lbmod, 'POLL', 0))

    def wait(self, statuses):
        self.conn.load_balancer = _Statuses(statuses)
        lb = fakes.sdk('load_balancer', id='lb-1')
        return lbmod.LoadBalancer()._wait(self.lookup, lb, 'web')

    def test_active(self):
        self.lookup.options = _Options(60)
        found = self.wait(['PENDING_UPDATE', 'PENDING_UPDATE', 'ACTIVE'])
        self.assertEqual('ACTIVE', found.provisioning_status)
        self.assertEqual(3, self.conn.load_balancer.looks)

    def test_error(self):
        self.lookup.options = _Options(60)
        e = self.assertRaises(
            exceptions.MigrateError, self.wait, ['PENDING_UPDATE', 'ERROR']
        )
        self.assertEqual(
            "load balancer 'web' (lb-1) went to provisioning status ERROR",
            str(e),
        )

    def test_timeout(self):
        e = self.assertRaises(exceptions.MigrateError, self.wait, [])
        self.assertEqual(
            "load balancer 'web' (lb-1) is still PENDING_UPDATE after 0 s "
            '(see --loadbalancer-wait)',
            str(e),
        )


class _Options:
    def __init__(self, wait):
        self.loadbalancer_wait = wait


class TestOrder(testtools.TestCase):
    def test_after_what_it_refers_to(self):
        from osmigrateclient import resources

        names = [r.cli_name for r in resources.in_order()]
        for before in (
            'network',
            'subnet',
            'network qos policy',
            'secret container',
        ):
            self.assertLess(
                names.index(before), names.index('loadbalancer'), before
            )
        self.assertTrue(resources.get('loadbalancer').pre_workload)
        self.assertEqual(
            'load-balancer', resources.get('loadbalancer').catalog_service
        )


class TestDuplicates(ResolveCase):
    def test_two_pools_of_one_name(self):
        p = params(address='10.0.0.5')
        p['pools'].append({'name': 'web', 'protocol': 'TCP'})
        e = self.assertRaises(exceptions.UnresolvedReference, self.resolve, p)
        self.assertEqual(
            (
                'pools[1]',
                'duplicate: pool web is also pools[0]: an import cannot '
                'tell them apart',
            ),
            (e.field, e.problem),
        )

    def test_two_unnamed_listeners_on_one_port(self):
        p = params(address='10.0.0.5')
        p['listeners'] = [
            {'protocol': 'HTTP', 'protocol_port': 80},
            {'protocol': 'HTTP', 'protocol_port': 80},
        ]
        e = self.assertRaises(exceptions.UnresolvedReference, self.resolve, p)
        self.assertEqual('listeners[1]', e.field)

    def test_left_out_member_is_logged_by_import(self):
        entry = {
            'type': self.type.type,
            'params': params(
                name='m', server_ref=ref('vm'), network_ref=ref('net')
            ),
            '_info': {'id': 'x'},
        }
        lb = self.conn.add(
            'load_balancer',
            name='lb',
            provisioning_status='ACTIVE',
            vip_subnet_id=self.sub.id,
            vip_address='10.0.0.50',
            provider='amphora',
        )
        pool = self.conn.add(
            'lb_pool',
            name='web',
            protocol='HTTP',
            loadbalancers=[{'id': lb.id}],
        )
        self.conn.add(
            'lb_listener',
            name='http',
            protocol='HTTP',
            default_pool_id=pool.id,
            load_balancers=[{'id': lb.id}],
        )
        # (Octavia lists members per pool: this pool has none)
        self.useFixture(
            fixtures.MockPatchObject(lbmod, '_per_parent', lambda *a: [])
        )
        with self.assertLogs(lbmod.LOG.name, 'WARNING') as logs:
            outcome = self.type.apply(self.lookup, entry)
        self.assertEqual(
            [
                "WARNING:%s:load balancer lb: member m of pool web left out: "
                "server 'vm' (project '%%auth%%') not found (import the load "
                'balancers again after the workload import)' % lbmod.LOG.name
            ],
            logs.output,
        )
        self.assertEqual('unchanged', outcome.action)
        self.assertEqual([], self.conn.write_calls())


class TestHostileFile(ResolveCase):
    def test_unreferenced_path_of_a_huge_index(self):
        field = 'listeners[%s].default_pool' % ('9' * 5000)
        e = self.assertRaises(
            exceptions.UnresolvedReference,
            self.resolve,
            params(address='10.0.0.5'),
            [field],
        )
        self.assertEqual((field, lbmod.UNNAMED_POOL), (e.field, e.problem))


class TestFlavorAndProvider(ResolveCase):
    def test_flavor_by_name(self):
        flavor = self.conn.add('lb_flavor', name='small')
        p = params(address='10.0.0.5')
        p['flavor'] = 'small'
        found, _ = self.resolve(p)
        self.assertEqual(flavor.id, found['attrs']['flavor_id'])
        p['flavor'] = 'large'
        e = self.assertRaises(exceptions.UnresolvedReference, self.resolve, p)
        self.assertEqual(
            (
                'flavor',
                "load balancer flavor 'large' not found in the destination",
            ),
            (e.field, e.problem),
        )

    def test_lists_refused(self):
        forbidden = sdk_exceptions.ForbiddenException('no')
        self.conn.fail('load_balancer.flavors', forbidden)
        self.conn.fail('load_balancer.providers', forbidden)
        p = params(address='10.0.0.5')
        p['provider'] = 'ovn'
        # the provider is left to Octavia's create
        self.resolve(p)
        p['flavor'] = 'small'
        e = self.assertRaises(exceptions.UnresolvedReference, self.resolve, p)
        self.assertEqual(
            "cannot look load balancer flavor 'small' up: the user may not "
            'list flavors',
            e.problem,
        )
