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

"""Floating IPs that no server carries: which are exported, the port by
name, the address kept where it is free, the journal of a moved one."""

import fixtures
from openstack import exceptions as sdk_exceptions
import testtools

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient import resources
from osmigrateclient.resources import base
from osmigrateclient.resources import floating_ip
from osmigrateclient.resources import refs
from tests.unit import fakes

ADDR = '203.0.113.5'


class FakeConnection(fakes.FakeConnection):
    """Neutron's floating IP calls end in ``_ip``; ``refused`` makes the
    creates with an address raise it."""

    refused: BaseException | None = None

    def _api_create_ip(self, **attrs):
        if self.refused is not None and 'floating_ip_address' in attrs:
            raise self.refused
        attrs.setdefault('floating_ip_address', '203.0.113.99')
        return self._create('floating_ip', **attrs)

    def _api_update_ip(self, obj, **attrs):
        return self._update('floating_ip', obj, **attrs)

    def _api_delete_ip(self, obj, ignore_missing=True):
        return self._delete('floating_ip', obj, ignore_missing)


class TestFloatingIP(testtools.TestCase):
    def setUp(self):
        super().setUp()
        self.res = floating_ip.RESOURCE()
        self.src = FakeConnection(project_id='p-src')
        self.dst = FakeConnection(project_id='p-dst')
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        for conn in (self.src, self.dst):
            conn.add('network', name='public', project_id='p-admin')
            conn.add('network', name='net')
        self.src_ext = self.src.store['network'][0]
        self.dst_ext = self.dst.store['network'][0]

    def port(self, conn, name, owner='', ips=('10.0.0.5',)):
        return conn.add(
            'port',
            name=name,
            device_owner=owner,
            fixed_ips=[{'subnet_id': 's', 'ip_address': ip} for ip in ips],
        )

    def fip(self, conn, address=ADDR, **attrs):
        return conn.add(
            'floating_ip',
            floating_ip_address=address,
            floating_network_id=(
                self.src_ext if conn is self.src else self.dst_ext
            ).id,
            **attrs,
        )

    def export(self):
        return self.res.export(refs.Lookup(self.src), lambda n: True)

    def dst_lookup(self):
        return refs.Lookup(self.dst, data_dir=self.data_dir)

    def apply(self, entry):
        return self.res.apply(self.dst_lookup(), entry)

    # -- export ---------------------------------------------------------------

    def test_export_leaves_out_servers_and_routers(self):
        vip = self.port(self.src, 'vip')
        vm = self.port(self.src, 'vm-port', owner='compute:nova')
        gw = self.port(self.src, '', owner='network:router_gateway')
        self.fip(self.src, '203.0.113.1', description='spare')
        self.fip(
            self.src,
            '203.0.113.2',
            port_id=vip.id,
            fixed_ip_address='10.0.0.5',
        )
        self.fip(self.src, '203.0.113.3', port_id=vm.id)
        self.fip(self.src, '203.0.113.4', port_id=gw.id)
        self.fip(self.src, '203.0.113.6', project_id='other')
        entries = self.export()
        self.assertEqual(
            ['203.0.113.1', '203.0.113.2'],
            [self.res.name_of(e) for e in entries],
        )
        public = refs.make_ref('public')
        self.assertEqual(
            {
                'description': None,
                'dns_domain': None,
                'dns_name': None,
                'fixed_ip_address': '10.0.0.5',
                'floating_ip_address': '203.0.113.2',
                'floating_network_ref': public,
                'port_ref': refs.make_ref('vip', refs.AUTH, refs.AUTH),
                'qos_policy_ref': None,
                'tags': [],
            },
            entries[1]['params'],
        )
        self.assertEqual('openstack.network.FloatingIP', entries[1]['type'])
        self.assertEqual(vip.id, entries[1]['_info']['port_id'])
        self.assertEqual(
            (None, None, 'spare'),
            tuple(
                entries[0]['params'][k]
                for k in ('port_ref', 'fixed_ip_address', 'description')
            ),
        )

    def test_export_unnamed_port(self):
        port = self.port(self.src, '')
        self.fip(self.src, port_id=port.id, fixed_ip_address='10.0.0.5')
        logger = self.useFixture(fixtures.FakeLogger())
        [entry] = self.export()
        self.assertEqual(
            (None, None),
            (entry['params']['port_ref'], entry['params']['fixed_ip_address']),
        )
        self.assertEqual(
            (port.id, '10.0.0.5'),
            (entry['_info']['port_id'], entry['_info']['fixed_ip_address']),
        )
        self.assertIn(
            'floating IP %s: its port %s has no name and cannot be '
            'referenced: exported without its port' % (ADDR, port.id),
            logger.output,
        )

    def test_export_dns_where_neutron_has_it(self):
        self.fip(self.src, dns_name='www', dns_domain='example.org.')
        [entry] = self.export()
        self.assertEqual(
            ('www', 'example.org.'),
            (entry['params']['dns_name'], entry['params']['dns_domain']),
        )

    # -- import ---------------------------------------------------------------

    def entry(self, **attrs):
        self.fip(self.src, **attrs)
        [entry] = self.export()
        return entry

    def created(self):
        [(_, kwargs)] = self.dst.calls_to('network.create_ip')[-1:]
        return kwargs

    def test_create_keeps_the_address(self):
        entry = self.entry(description='d')
        outcome = self.apply(entry)
        self.assertEqual(('created', ''), (outcome.action, outcome.detail))
        self.assertEqual(
            {
                'description': 'd',
                'floating_ip_address': ADDR,
                'floating_network_id': self.dst_ext.id,
            },
            self.created(),
        )
        # Found again by its address: nothing written.
        self.dst.calls.clear()
        self.assertEqual('unchanged', self.apply(entry).action)
        self.assertEqual([], self.dst.write_calls())

    def test_found_by_address_on_its_network_only(self):
        entry = self.entry()
        other = self.dst.add('network', name='other-ext', project_id='p-admin')
        self.dst.add(
            'floating_ip',
            floating_ip_address=ADDR,
            floating_network_id=other.id,
        )
        self.assertEqual(
            'create', self.res.decide(self.dst_lookup(), entry)[0]
        )
        twin = self.fip(self.dst)
        decision = self.res.decide(self.dst_lookup(), entry)
        self.assertEqual(
            ('unchanged', twin.id), (decision.action, decision.existing.id)
        )

    def refused_then_found(self, exc):
        entry = self.entry()
        self.dst.refused = exc
        outcome = self.apply(entry)
        moved = '%s was not free in the destination: the floating IP has %s'
        self.assertEqual(
            ('created', moved % (ADDR, '203.0.113.99')),
            (outcome.action, outcome.detail),
        )
        self.assertEqual(
            [True, False],
            [
                'floating_ip_address' in kwargs
                for _, kwargs in self.dst.calls_to('network.create_ip')
            ],
        )
        self.assertEqual(
            {
                entry['_info']['id']: {
                    'dest_id': self.dst.store['floating_ip'][0].id,
                    'address': '203.0.113.99',
                }
            },
            floating_ip.Journal(self.data_dir).records,
        )
        # The next run finds it by the journal: nothing written.
        self.dst.calls.clear()
        outcome = self.apply(entry)
        self.assertEqual(
            ('unchanged', moved % (ADDR, '203.0.113.99')),
            (outcome.action, outcome.detail),
        )
        self.assertEqual([], self.dst.write_calls())
        self.assertEqual(1, len(self.dst.store['floating_ip']))

    def test_taken_address(self):
        self.refused_then_found(
            sdk_exceptions.ConflictException('IpAddressAlreadyAllocated')
        )

    def test_address_outside_the_pool(self):
        self.refused_then_found(
            sdk_exceptions.BadRequestException('Invalid input')
        )

    def test_address_not_the_users_to_choose(self):
        self.refused_then_found(sdk_exceptions.ForbiddenException('policy'))

    def test_journal_of_a_deleted_fip_falls_back_to_the_address(self):
        entry = self.entry()
        floating_ip.Journal(self.data_dir).set(
            entry['_info']['id'], dest_id='gone', address='203.0.113.7'
        )
        twin = self.fip(self.dst)
        self.assertEqual(
            twin.id, self.res.find_existing(self.dst_lookup(), entry).id
        )

    def test_port_by_name_with_its_address(self):
        vip = self.port(self.src, 'vip', ips=('10.0.0.5', '10.0.0.6'))
        entry = self.entry(port_id=vip.id, fixed_ip_address='10.0.0.6')
        self.assertEqual(
            'blocked', self.res.decide(self.dst_lookup(), entry).action
        )
        dvip = self.port(self.dst, 'vip', ips=('10.0.0.6', 'fd00::6'))
        self.assertEqual('created', self.apply(entry).action)
        self.assertEqual(
            (dvip.id, '10.0.0.6'),
            (self.created()['port_id'], self.created()['fixed_ip_address']),
        )

    def test_port_made_with_another_address(self):
        vip = self.port(self.src, 'vip')
        entry = self.entry(port_id=vip.id, fixed_ip_address='10.0.0.5')
        self.port(self.dst, 'vip', ips=('fd00::9', '10.0.0.9'))
        self.apply(entry)
        self.assertEqual('10.0.0.9', self.created()['fixed_ip_address'])
        self.dst.calls.clear()
        self.assertEqual('unchanged', self.apply(entry).action)
        self.assertEqual([], self.dst.write_calls())

    def test_update_association_and_description(self):
        vip = self.port(self.src, 'vip')
        entry = self.entry(
            port_id=vip.id, fixed_ip_address='10.0.0.5', description='new'
        )
        dvip = self.port(self.dst, 'vip')
        twin = self.fip(self.dst, description='old')
        outcome = self.apply(entry)
        self.assertEqual(
            ('updated', 'description, fixed_ip_address, port_ref'),
            (outcome.action, outcome.detail),
        )
        [(_, kwargs)] = self.dst.calls_to('network.update_ip')
        self.assertEqual(
            {
                'description': 'new',
                'fixed_ip_address': '10.0.0.5',
                'port_id': dvip.id,
            },
            kwargs,
        )
        self.assertEqual(dvip.id, twin.port_id)
        # Without the port: disassociated.
        entry['params']['port_ref'] = None
        self.dst.calls.clear()
        self.assertEqual(('updated', 'port_ref'), self.apply(entry)[2:4])
        [(_, kwargs)] = self.dst.calls_to('network.update_ip')
        self.assertEqual({'port_id': None}, kwargs)

    def test_qos_policy_and_tags(self):
        gold = self.src.add('qos_policy', name='gold')
        entry = self.entry(qos_policy_id=gold.id, tags=['b', 'a'])
        self.assertEqual(
            (refs.make_ref('gold', refs.AUTH, refs.AUTH), ['a', 'b']),
            (entry['params']['qos_policy_ref'], entry['params']['tags']),
        )
        dgold = self.dst.add('qos_policy', name='gold')
        self.assertEqual('created', self.apply(entry).action)
        self.assertEqual(dgold.id, self.created()['qos_policy_id'])
        [(args, _)] = self.dst.calls_to('network.set_tags')
        self.assertEqual(['a', 'b'], args[1])
        # Changed: updated; unchanged: nothing written.
        silver = self.dst.add('qos_policy', name='silver')
        entry['params']['qos_policy_ref']['name'] = 'silver'
        entry['params']['tags'] = ['a']
        self.dst.calls.clear()
        self.assertEqual(
            ('updated', 'qos_policy_ref, tags'), self.apply(entry)[2:4]
        )
        [(_, kwargs)] = self.dst.calls_to('network.update_ip')
        self.assertEqual({'qos_policy_id': silver.id}, kwargs)
        self.dst.calls.clear()
        self.assertEqual('unchanged', self.apply(entry).action)
        self.assertEqual([], self.dst.write_calls())

    def test_dns_without_the_extension(self):
        entry = self.entry(dns_name='www', dns_domain='example.org.')
        outcome = self.apply(entry)
        self.assertEqual(
            (
                'created',
                'dns_domain, dns_name not set: the destination has no '
                'dns-integration extension',
            ),
            (outcome.action, outcome.detail),
        )
        self.assertNotIn('dns_name', self.created())
        self.assertEqual(
            'unchanged', self.res.decide(self.dst_lookup(), entry).action
        )

    def test_dns_with_the_extension(self):
        self.dst.add('extension', alias='dns-integration', name='DNS')
        entry = self.entry(dns_name='www', dns_domain='example.org.')
        self.assertEqual(('created', ''), self.apply(entry)[2:4])
        self.assertEqual(
            ('www', 'example.org.'),
            (self.created()['dns_name'], self.created()['dns_domain']),
        )
        # Neutron cannot change them.
        entry['params']['dns_name'] = 'web'
        decision = self.res.decide(self.dst_lookup(), entry)
        self.assertEqual(
            (
                'conflict',
                "cannot change dns_name of an existing resource: dns_name "
                "is 'www', the file says 'web'",
            ),
            (decision.action, decision.detail),
        )
        # null: not known, left alone
        entry['params']['dns_name'] = None
        self.assertEqual(
            'unchanged', self.res.decide(self.dst_lookup(), entry).action
        )

    def test_extensions_listed_once(self):
        for address in ('203.0.113.1', '203.0.113.2'):
            self.fip(self.src, address)
        lookup = self.dst_lookup()
        for entry in self.export():
            self.res.apply(lookup, entry)
        self.assertEqual(1, self.dst.call_names().count('network.extensions'))

    # -- the file -------------------------------------------------------------

    def test_shapes(self):
        entry = self.entry()
        self.res.check(entry, 'f.yml', 0)
        for field, value, problem in (
            ('floating_ip_address', 5, 'must be a string, not a number'),
            ('port_ref', 'vip', 'must be a mapping, not a string'),
            ('fixed_ip_address', ['x'], 'must be a string, not a list'),
        ):
            bad = dict(entry, params=dict(entry['params'], **{field: value}))
            e = self.assertRaises(
                exceptions.DataFileError, self.res.check, bad, 'f.yml', 0
            )
            self.assertEqual(
                'f.yml: resource 0 (openstack.network.FloatingIP): field '
                'params.%s: %s' % (field, problem),
                str(e),
            )
        bad = dict(
            entry, params=dict(entry['params'], floating_ip_address=None)
        )
        e = self.assertRaises(
            exceptions.DataFileError, self.res.check, bad, 'f.yml', 0
        )
        self.assertIn('params.floating_ip_address', str(e))

    def test_hostile_journal(self):
        entry = self.entry()
        path = floating_ip.Journal(self.data_dir).path
        datafile.ensure_dir(self.data_dir + '/floating_ip_logs')
        with open(path, 'w') as f:
            f.write('floating_ips: {x: {dest_id: [1]}}\n')
        e = self.assertRaises(
            exceptions.DataFileError,
            self.res.decide,
            self.dst_lookup(),
            entry,
        )
        self.assertIn('floating_ips.x.dest_id', str(e))

    def test_order(self):
        names = [r.cli_name for r in resources.in_order()]
        for before in ('router interface', 'router', 'subnet', 'port'):
            if before in names:
                self.assertLess(
                    names.index(before), names.index('floating ip'), before
                )
        self.assertTrue(self.res.pre_workload)
        self.assertEqual(base.Resource.service, self.res.service)
