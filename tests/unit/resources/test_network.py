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

"""Networks: the fields of the pioneering tool, create and update calls."""

from openstack.network.v2 import network as sdk_network
from oslotest import base

from osmigrateclient.resources import _listers as listers
from osmigrateclient.resources import network
from osmigrateclient.resources import refs
from tests.unit import fakes

SRC = 'p-src'
DST = 'p-dst'
AUTH_QOS = {'name': 'qos1', 'project_name': '%auth%', 'domain_name': '%auth%'}

# os-migrate-facts.md §1, Network.
PIONEER_PARAMS = [
    'availability_zone_hints',
    'description',
    'dns_domain',
    'is_admin_state_up',
    'is_default',
    'is_port_security_enabled',
    'is_router_external',
    'is_shared',
    'is_vlan_transparent',
    'mtu',
    'name',
    'provider_network_type',
    'provider_physical_network',
    'provider_segmentation_id',
    'qos_policy_ref',
    'segments',
    'tags',
]
PIONEER_INFO = [
    'availability_zones',
    'created_at',
    'id',
    'project_id',
    'qos_policy_id',
    'revision_number',
    'status',
    'subnet_ids',
    'updated_at',
]


#: a field that Neutron's answer does not hold
ABSENT = object()


def source_network(conn, **attrs):
    """A network as a tenant sees it in Neutron's answer."""
    values = dict(
        id='net-src-1',
        name='net1',
        description='the network',
        availability_zone_hints=['az2', 'az1'],
        availability_zones=['az2', 'az1'],
        created_at='2024-01-01T00:00:00Z',
        updated_at='2024-01-02T00:00:00Z',
        dns_domain='',
        is_admin_state_up=True,
        is_default=None,
        is_port_security_enabled=True,
        is_router_external=False,
        is_shared=False,
        is_vlan_transparent=None,
        mtu=1450,
        provider_network_type=None,
        provider_physical_network=None,
        provider_segmentation_id=None,
        qos_policy_id=None,
        revision_number=4,
        segments=None,
        status='ACTIVE',
        subnet_ids=['sub-b', 'sub-a'],
        tags=['zeta', 'alpha'],
    )
    values.update(attrs)
    return conn.add(
        'network', **{k: v for k, v in values.items() if v is not ABSENT}
    )


class TestDeclaration(base.BaseTestCase):
    def test_declaration(self):
        res = network.RESOURCE()
        self.assertIs(network.Network, network.RESOURCE)
        self.assertEqual('openstack.network.Network', res.type)
        self.assertEqual('network', res.cli_name)
        self.assertEqual('network', res.kind)
        self.assertEqual('networks.yml', res.file_name)
        self.assertEqual('network', res.service)
        self.assertEqual('tags', res.tag_field)
        self.assertFalse(res.admin_only)
        self.assertTrue(res.pre_workload)
        self.assertIn(res.kind, listers.LISTERS)
        for ref in res.references.values():
            self.assertIn(ref.kind, listers.LISTERS)


class TestExport(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.conn = fakes.FakeConnection(project_id=SRC)
        self.lookup = refs.Lookup(self.conn)
        self.res = network.Network()

    def test_pioneer_keys(self):
        obj = source_network(self.conn)
        self.assertIsInstance(obj, sdk_network.Network)
        e = self.res.from_sdk(self.lookup, obj)
        self.assertEqual(
            ['_info', '_migration_params', 'params', 'type'], sorted(e)
        )
        self.assertEqual('openstack.network.Network', e['type'])
        self.assertEqual(PIONEER_PARAMS, sorted(e['params']))
        self.assertEqual(PIONEER_INFO, sorted(e['_info']))
        self.assertEqual({}, e['_migration_params'])

    def test_values(self):
        qos = self.conn.add('qos_policy', name='qos1', id='qos-1')
        obj = source_network(self.conn, qos_policy_id=qos.id)
        e = self.res.from_sdk(self.lookup, obj)
        self.assertEqual(
            {
                'availability_zone_hints': ['az1', 'az2'],
                'description': 'the network',
                'dns_domain': '',
                'is_admin_state_up': True,
                'is_default': None,
                'is_port_security_enabled': True,
                'is_router_external': False,
                'is_shared': False,
                'is_vlan_transparent': None,
                'mtu': 1450,
                'name': 'net1',
                'provider_network_type': None,
                'provider_physical_network': None,
                'provider_segmentation_id': None,
                'qos_policy_ref': AUTH_QOS,
                'segments': None,
                'tags': ['alpha', 'zeta'],
            },
            e['params'],
        )
        self.assertEqual(
            {
                'availability_zones': ['az1', 'az2'],
                'created_at': '2024-01-01T00:00:00Z',
                'id': 'net-src-1',
                'project_id': SRC,
                'qos_policy_id': 'qos-1',
                'revision_number': 4,
                'status': 'ACTIVE',
                'subnet_ids': ['sub-a', 'sub-b'],
                'updated_at': '2024-01-02T00:00:00Z',
            },
            e['_info'],
        )

    def test_port_security_the_cloud_does_not_report_is_unknown(self):
        # Without the port-security extension Neutron sends no
        # port_security_enabled, which openstacksdk reads as False: an
        # import would make the network without port security.
        obj = source_network(self.conn, is_port_security_enabled=ABSENT)
        self.assertFalse(obj.is_port_security_enabled)
        e = self.res.from_sdk(self.lookup, obj)
        self.assertIsNone(e['params']['is_port_security_enabled'])
        # Reported False stays False.
        obj = source_network(self.conn, is_port_security_enabled=False)
        e = self.res.from_sdk(self.lookup, obj)
        self.assertIs(False, e['params']['is_port_security_enabled'])

    def test_no_qos_policy_lists_no_policies(self):
        obj = source_network(self.conn)
        e = self.res.from_sdk(self.lookup, obj)
        self.assertIsNone(e['params']['qos_policy_ref'])
        self.assertIsNone(e['_info']['qos_policy_id'])
        self.assertEqual([], self.conn.calls_to('network.qos_policies'))

    def test_invisible_qos_policy(self):
        obj = source_network(self.conn, qos_policy_id='hidden')
        e = self.res.from_sdk(self.lookup, obj)
        self.assertIsNone(e['params']['qos_policy_ref'])
        self.assertEqual('hidden', e['_info']['qos_policy_id'])

    def test_admin_provider_fields(self):
        obj = source_network(
            self.conn,
            provider_network_type='vlan',
            provider_physical_network='physnet1',
            provider_segmentation_id=101,
            segments=[
                {
                    'provider:network_type': 'vlan',
                    'provider:physical_network': 'physnet1',
                    'provider:segmentation_id': 101,
                }
            ],
        )
        p = self.res.from_sdk(self.lookup, obj)['params']
        self.assertEqual('vlan', p['provider_network_type'])
        self.assertEqual('physnet1', p['provider_physical_network'])
        self.assertEqual(101, p['provider_segmentation_id'])
        self.assertEqual(
            [
                {
                    'provider:network_type': 'vlan',
                    'provider:physical_network': 'physnet1',
                    'provider:segmentation_id': 101,
                }
            ],
            p['segments'],
        )

    def test_export_own_project_only_sorted(self):
        source_network(self.conn, id='i2', name='b')
        source_network(self.conn, id='i1', name='a')
        source_network(self.conn, id='i3', name='c', project_id='p-other')
        entries = self.res.export(self.lookup, lambda name: True)
        self.assertEqual(
            [('a', 'i1'), ('b', 'i2')],
            [(e['params']['name'], e['_info']['id']) for e in entries],
        )
        entries = self.res.export(self.lookup, lambda name: name == 'b')
        self.assertEqual(['b'], [e['params']['name'] for e in entries])


class TestImport(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.src = fakes.FakeConnection(project_id=SRC)
        self.dst = fakes.FakeConnection(project_id=DST)
        self.res = network.Network()
        self.dst_lookup = refs.Lookup(self.dst)

    def entry(self, **attrs):
        obj = source_network(self.src, **attrs)
        return self.res.from_sdk(refs.Lookup(self.src), obj)

    def test_create_call(self):
        self.src.add('qos_policy', name='qos1', id='qos-src')
        self.dst.add('qos_policy', name='qos1', id='qos-dst')
        entry = self.entry(qos_policy_id='qos-src', dns_domain='example.org.')
        outcome = self.res.apply(self.dst_lookup, entry)
        self.assertEqual('created', outcome.action)
        [(args, kwargs)] = self.dst.calls_to('network.create_network')
        self.assertEqual((), args)
        self.assertEqual(
            {
                'availability_zone_hints': ['az1', 'az2'],
                'description': 'the network',
                'dns_domain': 'example.org.',
                'is_admin_state_up': True,
                'is_port_security_enabled': True,
                'is_router_external': False,
                'is_shared': False,
                'mtu': 1450,
                'name': 'net1',
                'qos_policy_id': 'qos-dst',
            },
            kwargs,
        )
        [(args, kwargs)] = self.dst.calls_to('network.set_tags')
        self.assertEqual(['alpha', 'zeta'], args[1])

    def test_create_omits_empty_dns_domain_and_az_hints(self):
        # The pioneering tool does not send empty availability_zone_hints
        # or dns_domain (skip_falsey_sdk_params): Neutron without the
        # dns-integration or AZ extension refuses the attributes, so a
        # network exported where they exist (as '' and []) must still
        # import where they do not.
        entry = self.entry(availability_zone_hints=[], dns_domain='')
        self.assertEqual(
            'created', self.res.apply(self.dst_lookup, entry).action
        )
        [(_, kwargs)] = self.dst.calls_to('network.create_network')
        self.assertNotIn('dns_domain', kwargs)
        self.assertNotIn('availability_zone_hints', kwargs)

    def test_update_provider_field_is_conflict(self):
        entry = self.entry(provider_network_type='vlan')
        source_network(self.dst, id='d1', provider_network_type='vxlan')
        outcome = self.res.apply(self.dst_lookup, entry)
        self.assertEqual('conflict', outcome.action)
        self.assertEqual(
            'cannot change provider_network_type of an existing resource: '
            "provider_network_type is 'vxlan', the file says 'vlan'",
            outcome.detail,
        )
        self.assertEqual([], self.dst.write_calls())

    def test_round_trip_unchanged(self):
        # A network imported from its own export is unchanged.
        entry = self.entry()
        self.assertEqual(
            'created', self.res.apply(self.dst_lookup, entry).action
        )
        again = refs.Lookup(self.dst)
        self.dst.calls.clear()
        outcome = self.res.apply(again, entry)
        self.assertEqual('unchanged', outcome.action)
        self.assertEqual([], self.dst.write_calls())

    def test_unknown_values_of_a_file_are_not_changes(self):
        # The pioneering tool writes is_vlan_transparent / is_default as
        # null, a tenant's export holds null provider attributes: the
        # destination's own values (what Neutron chose at create, what an
        # admin sees) are neither a conflict nor an update to null.
        entry = self.entry()
        self.assertIsNone(entry['params']['is_vlan_transparent'])
        self.assertIsNone(entry['params']['provider_network_type'])
        entry['params']['mtu'] = None
        self.assertEqual(
            'created', self.res.apply(self.dst_lookup, entry).action
        )
        [(_, kwargs)] = self.dst.calls_to('network.create_network')
        self.assertNotIn('is_vlan_transparent', kwargs)
        self.assertNotIn('mtu', kwargs)
        [twin] = self.dst.store['network']
        twin.is_vlan_transparent = False
        twin.is_default = False
        twin.provider_network_type = 'geneve'
        twin.provider_segmentation_id = 7
        self.dst.calls.clear()
        outcome = self.res.apply(refs.Lookup(self.dst), entry)
        self.assertEqual(('unchanged', ''), (outcome.action, outcome.detail))
        self.assertEqual([], self.dst.write_calls())

    def test_known_values_still_conflict(self):
        entry = self.entry(is_vlan_transparent=True)
        source_network(self.dst, id='d1', is_vlan_transparent=False)
        outcome = self.res.apply(self.dst_lookup, entry)
        self.assertEqual('conflict', outcome.action)
        self.assertIn('is_vlan_transparent', outcome.detail)
