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

"""Subnet pools: the address scope by name, the plan's diff, and subnets
made from the same-named pool."""

from oslotest import base

from osmigrateclient.resources import refs
from osmigrateclient.resources import subnet
from osmigrateclient.resources import subnet_pool
from tests.unit import fakes


class TestSubnetPool(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.src = fakes.FakeConnection(project_id='p-src')
        self.dst = fakes.FakeConnection(project_id='p-dst')
        self.res = subnet_pool.RESOURCE()
        self.src_scope = self.src.add(
            'address_scope', name='scope', ip_version=4
        )

    def pool(self, conn, **attrs):
        values = dict(
            name='pool',
            description='d',
            prefixes=['10.9.0.0/16', '10.8.0.0/16'],
            default_prefix_length=24,
            minimum_prefix_length=8,
            maximum_prefix_length=32,
            default_quota=None,
            is_default=False,
            is_shared=False,
            ip_version=4,
            tags=['b', 'a'],
        )
        values.update(attrs)
        return conn.add('subnet_pool', **values)

    def entry(self, **attrs):
        attrs.setdefault('address_scope_id', self.src_scope.id)
        obj = self.pool(self.src, **attrs)
        return self.res.from_sdk(refs.Lookup(self.src), obj)

    def test_export(self):
        e = self.entry()
        self.assertEqual('openstack.network.SubnetPool', e['type'])
        self.assertEqual(
            {
                'name': 'pool',
                'description': 'd',
                'prefixes': ['10.8.0.0/16', '10.9.0.0/16'],
                'default_prefix_length': 24,
                'minimum_prefix_length': 8,
                'maximum_prefix_length': 32,
                'default_quota': None,
                'is_default': False,
                'is_shared': False,
                'tags': ['a', 'b'],
                'address_scope_ref': refs.make_ref(
                    'scope', refs.AUTH, refs.AUTH
                ),
            },
            e['params'],
        )
        self.assertEqual(4, e['_info']['ip_version'])

    def test_create_in_the_same_named_scope(self):
        scope = self.dst.add('address_scope', name='scope', ip_version=4)
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry())
        self.assertEqual('created', outcome.action)
        [(_, kwargs)] = self.dst.calls_to('network.create_subnet_pool')
        self.assertEqual(scope.id, kwargs['address_scope_id'])
        self.assertNotIn('default_quota', kwargs)
        self.assertNotIn('tags', kwargs)
        self.assertEqual(
            ['network.create_subnet_pool', 'network.set_tags'],
            self.dst.write_calls(),
        )

    def test_missing_scope_blocks(self):
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry())
        self.assertEqual(
            (
                'blocked',
                "address_scope_ref: address scope 'scope' (project "
                "'%auth%') not found",
            ),
            outcome[2:],
        )
        self.assertEqual([], self.dst.write_calls())

    def test_same_prefixes_in_another_order_unchanged(self):
        self.pool(self.dst, prefixes=['10.8.0.0/16', '10.9.0.0/16'])
        outcome = self.res.apply(
            refs.Lookup(self.dst), self.entry(address_scope_id=None)
        )
        self.assertEqual('unchanged', outcome.action)
        self.assertEqual([], self.dst.write_calls())

    def test_plan_diff_names_the_fields(self):
        self.pool(self.dst, prefixes=['10.9.0.0/16'], default_quota=5)
        decision = self.res.decide(
            refs.Lookup(self.dst), self.entry(address_scope_id=None)
        )
        self.assertEqual(('update', 'default_quota, prefixes'), decision[:2])
        self.assertEqual(
            {
                'default_quota': (5, None),
                'prefixes': (['10.9.0.0/16'], ['10.8.0.0/16', '10.9.0.0/16']),
            },
            decision.changes,
        )

    def test_sharing_an_existing_pool_is_a_conflict(self):
        self.pool(self.dst)
        decision = self.res.decide(
            refs.Lookup(self.dst),
            self.entry(address_scope_id=None, is_shared=True),
        )
        self.assertEqual('conflict', decision.action)
        self.assertIn('cannot change is_shared', decision.detail)

    def test_dropping_a_prefix_is_a_conflict(self):
        self.pool(self.dst, prefixes=['10.7.0.0/16', '10.8.0.0/16'])
        outcome = self.res.apply(
            refs.Lookup(self.dst), self.entry(address_scope_id=None)
        )
        self.assertEqual(
            (
                'conflict',
                'cannot drop prefixes of an existing pool (Neutron only '
                'adds): 10.7.0.0/16',
            ),
            outcome[2:],
        )
        self.assertEqual([], self.dst.write_calls())


class TestSubnetFromPool(base.BaseTestCase):
    """A subnet refers to its pool by name and keeps its prefix."""

    def setUp(self):
        super().setUp()
        self.src = fakes.FakeConnection(project_id='p-src')
        self.dst = fakes.FakeConnection(project_id='p-dst')
        self.res = subnet.RESOURCE()
        net = self.src.add('network', name='net1')
        pool = self.src.add('subnet_pool', name='pool', prefixes=[])
        obj = self.src.add(
            'subnet',
            name='sub1',
            network_id=net.id,
            cidr='10.9.3.0/24',
            ip_version=4,
            subnet_pool_id=pool.id,
        )
        self.entry = self.res.from_sdk(refs.Lookup(self.src), obj)
        self.dst_net = self.dst.add('network', name='net1')

    def test_made_from_the_same_named_pool_with_its_cidr(self):
        self.assertEqual(
            refs.make_ref('pool', refs.AUTH, refs.AUTH),
            self.entry['params']['subnet_pool_ref'],
        )
        pool = self.dst.add('subnet_pool', name='pool', prefixes=[])
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry)
        self.assertEqual('created', outcome.action)
        [(_, kwargs)] = self.dst.calls_to('network.create_subnet')
        self.assertEqual(pool.id, kwargs['subnet_pool_id'])
        self.assertEqual('10.9.3.0/24', kwargs['cidr'])

    def test_blocked_without_the_pool(self):
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry)
        self.assertEqual('blocked', outcome.action)
        self.assertIn("subnet pool 'pool'", outcome.detail)
        self.assertEqual([], self.dst.write_calls())

    def test_a_file_without_the_pool_field_imports_unchanged(self):
        # Files of the pioneering tool and older exports: no pool field.
        del self.entry['params']['subnet_pool_ref']
        self.dst.add(
            'subnet',
            name='sub1',
            network_id=self.dst_net.id,
            cidr='10.9.3.0/24',
            ip_version=4,
        )
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry)
        self.assertEqual('unchanged', outcome.action)
        self.assertEqual([], self.dst.write_calls())
