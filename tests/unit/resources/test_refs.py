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

from openstack import exceptions as sdk_exceptions
import testtools

from osmigrateclient import exceptions
from osmigrateclient.resources import refs
from tests.unit import fakes

AUTH_REF = {'name': 'net1', 'project_name': '%auth%', 'domain_name': '%auth%'}


class TestHelpers(testtools.TestCase):
    def test_make_ref(self):
        self.assertEqual(
            {'name': 'n', 'project_name': None, 'domain_name': None},
            refs.make_ref('n'),
        )
        self.assertEqual(
            {'name': 'n', 'project_name': 'p', 'domain_name': 'd'},
            refs.make_ref('n', 'p', 'd'),
        )

    def test_owner_of(self):
        self.assertEqual(
            'p1', refs.owner_of(fakes.sdk('network', project_id='p1'))
        )
        self.assertEqual(
            'p2', refs.owner_of(fakes.sdk('image', owner_id='p2'))
        )
        self.assertIsNone(refs.owner_of(fakes.sdk('flavor', name='m1')))

    def test_describe(self):
        self.assertEqual(
            "qos policy 'q' (project '%auth%')",
            refs.describe('qos_policy', refs.make_ref('q', refs.AUTH)),
        )
        self.assertEqual(
            "flavor 'm1'", refs.describe('flavor', refs.make_ref('m1'))
        )
        self.assertEqual("network 'x'", refs.describe('network', 'x'))

    def test_every_kind_is_listed_once(self):
        conn = fakes.FakeConnection()
        for kind in refs.LISTERS:
            lookup = refs.Lookup(conn)
            conn.calls.clear()
            self.assertEqual([], lookup.all(kind))
            first = len(conn.calls)
            self.assertGreater(first, 0, kind)
            lookup.all(kind)
            lookup.get(kind, 'x')
            lookup.owned(kind)
            self.assertEqual(first, len(conn.calls), kind)

    def test_unowned(self):
        self.assertIn('flavor', refs.UNOWNED)
        self.assertIn('domain', refs.UNOWNED)
        self.assertIn('role', refs.UNOWNED)
        self.assertNotIn('network', refs.UNOWNED)


class TestLookup(testtools.TestCase):
    def setUp(self):
        super().setUp()
        self.conn = fakes.FakeConnection(project_id='p-auth')
        self.lookup = refs.Lookup(self.conn)

    def test_identity(self):
        self.assertEqual('p-auth', self.lookup.project_id)
        self.assertEqual(fakes.USER, self.lookup.user_id)
        self.assertFalse(self.lookup.is_admin)
        admin = refs.Lookup(fakes.FakeConnection(roles=['reader', 'admin']))
        self.assertTrue(admin.is_admin)

    def test_lists_each_kind_once(self):
        nets = [self.conn.add('network', name='n%d' % i) for i in range(20)]
        self.conn.add('qos_policy', name='q')
        for net in nets:
            self.assertIs(net, self.lookup.get('network', net.id))
            self.assertEqual(
                refs.make_ref(net.name, refs.AUTH, refs.AUTH),
                self.lookup.ref('network', net.id),
            )
            self.assertIs(
                net,
                self.lookup.resolve(
                    'network', refs.make_ref(net.name, refs.AUTH, refs.AUTH)
                ),
            )
        self.lookup.resolve('qos_policy', refs.make_ref('q'))
        self.lookup.ref('qos_policy', 'nope')
        self.assertEqual(
            ['network.networks', 'network.qos_policies'],
            self.conn.call_names(),
        )

    def test_get_nothing_lists_nothing(self):
        self.assertIsNone(self.lookup.get('network', None))
        self.assertIsNone(self.lookup.get('network', ''))
        self.assertIsNone(self.lookup.ref('network', None))
        self.assertEqual([], self.conn.calls)

    def test_get_missing(self):
        self.conn.add('network', name='n')
        self.assertIsNone(self.lookup.get('network', 'missing'))
        self.assertIsNone(self.lookup.ref('network', 'missing'))

    def test_owned(self):
        mine = self.conn.add('network', name='a')
        self.conn.add('network', name='b', project_id='other')
        self.assertEqual([mine], self.lookup.owned('network'))

    def test_ref_own_project(self):
        net = self.conn.add('network', name='net1')
        self.assertEqual(AUTH_REF, self.lookup.ref('network', net.id))

    def test_ref_no_owner_is_own(self):
        net = self.conn.add('network', name='net1', project_id=None)
        self.assertEqual(AUTH_REF, self.lookup.ref('network', net.id))

    def test_ref_other_project_visible(self):
        self.conn.add('domain', id='d-id', name='Default')
        self.conn.add('project', id='p-other', name='admin', domain_id='d-id')
        net = self.conn.add('network', name='public', project_id='p-other')
        self.assertEqual(
            {
                'name': 'public',
                'project_name': 'admin',
                'domain_name': 'Default',
            },
            self.lookup.ref('network', net.id),
        )
        # The project's names are looked up once.
        self.lookup.ref('network', net.id)
        self.assertEqual(1, len(self.conn.calls_to('identity.get_project')))
        self.assertEqual(1, len(self.conn.calls_to('identity.get_domain')))

    def test_ref_other_project_forbidden(self):
        self.conn.identity_forbidden = True
        net = self.conn.add('network', name='public', project_id='p-other')
        self.assertEqual(
            {'name': 'public', 'project_name': None, 'domain_name': None},
            self.lookup.ref('network', net.id),
        )
        self.assertEqual((None, None), self.lookup.project_names('p-other'))
        self.assertEqual(1, len(self.conn.calls_to('identity.get_project')))

    def test_ref_other_project_not_found(self):
        net = self.conn.add('network', name='public', project_id='p-gone')
        self.assertEqual(
            refs.make_ref('public'), self.lookup.ref('network', net.id)
        )

    def test_ref_forbidden_exception_type(self):
        # What a tenant gets from keystone: an HTTP 403.
        self.conn.fail(
            'identity.get_project',
            sdk_exceptions.ForbiddenException('Forbidden'),
        )
        net = self.conn.add('network', name='public', project_id='p-other')
        self.assertEqual(
            refs.make_ref('public'), self.lookup.ref('network', net.id)
        )

    def test_ref_unowned_kind_ignores_project(self):
        flavor = self.conn.add('flavor', name='m1.small')
        self.assertEqual(
            refs.make_ref('m1.small'), self.lookup.ref('flavor', flavor.id)
        )
        self.assertEqual([], self.conn.calls_to('identity.get_project'))
        self.assertEqual(
            [((), {'is_public': None})], self.conn.calls_to('compute.flavors')
        )

    def test_resolve_auth_filters_by_project(self):
        theirs = self.conn.add('network', name='net1', project_id='p-x')
        mine = self.conn.add('network', name='net1')
        self.assertIs(mine, self.lookup.resolve('network', AUTH_REF))
        self.assertIsNot(theirs, mine)

    def test_resolve_named_project(self):
        self.conn.add('domain', id='d1', name='Default')
        self.conn.add('domain', id='d2', name='Other')
        self.conn.add('project', id='p-admin', name='admin', domain_id='d1')
        self.conn.add('project', id='p-adm2', name='admin', domain_id='d2')
        public = self.conn.add('network', name='public', project_id='p-admin')
        self.conn.add('network', name='public', project_id='p-adm2')
        self.conn.add('network', name='public')
        ref = refs.make_ref('public', 'admin', 'Default')
        self.assertIs(public, self.lookup.resolve('network', ref))
        self.assertEqual(
            [(('Default',), {})], self.conn.calls_to('identity.find_domain')
        )
        self.assertEqual(
            [(('admin',), {'domain_id': 'd1'})],
            self.conn.calls_to('identity.find_project'),
        )
        self.assertEqual(
            'p-admin', self.lookup.project_id_for('admin', 'Default')
        )
        self.assertEqual(1, len(self.conn.calls_to('identity.find_project')))

    def test_resolve_name_only_when_project_unknown(self):
        self.conn.identity_forbidden = True
        public = self.conn.add('network', name='public', project_id='p-x')
        ref = refs.make_ref('public', 'admin', 'Default')
        self.assertIs(public, self.lookup.resolve('network', ref))
        self.assertIs(
            public, self.lookup.resolve('network', refs.make_ref('public'))
        )

    def test_resolve_ambiguous(self):
        a = self.conn.add('network', name='dup', id='id-b', project_id='p-x')
        b = self.conn.add('network', name='dup', id='id-a', project_id='p-y')
        e = self.assertRaises(
            exceptions.UnresolvedReference,
            self.lookup.resolve,
            'network',
            refs.make_ref('dup'),
        )
        self.assertEqual(
            "network 'dup' is ambiguous: 2 match (id-a, id-b)", str(e)
        )
        self.assertIsNot(a, b)

    def test_resolve_missing(self):
        self.conn.add('network', name='other')
        e = self.assertRaises(
            exceptions.UnresolvedReference,
            self.lookup.resolve,
            'network',
            AUTH_REF,
        )
        self.assertEqual("network 'net1' (project '%auth%') not found", str(e))

    def test_resolve_own_project_only(self):
        self.conn.add('network', name='net1', project_id='p-x')
        e = self.assertRaises(
            exceptions.UnresolvedReference,
            self.lookup.resolve,
            'network',
            AUTH_REF,
        )
        self.assertEqual("network 'net1' (project '%auth%') not found", str(e))

    def test_resolve_not_a_reference(self):
        for bad in ('net1', None, {'project_name': 'x'}, {'name': ''}):
            e = self.assertRaises(
                exceptions.UnresolvedReference,
                self.lookup.resolve,
                'network',
                bad,
            )
            self.assertEqual(
                'not a reference (a mapping with a name): %r' % (bad,), str(e)
            )

    def test_resolve_unowned_ignores_project(self):
        flavor = self.conn.add('flavor', name='m1')
        ref = refs.make_ref('m1', 'whatever', 'Default')
        self.assertIs(flavor, self.lookup.resolve('flavor', ref))
        self.assertEqual([], self.conn.calls_to('identity.find_project'))

    def test_remember_and_forget(self):
        old = self.conn.add('network', name='n', id='n1')
        self.assertEqual([old], self.lookup.all('network'))
        new = fakes.sdk('network', name='n', id='n1', project_id='p-auth')
        self.lookup.remember('network', new)
        self.assertEqual([new], self.lookup.all('network'))
        other = fakes.sdk('network', name='m', id='n2', project_id='p-auth')
        self.lookup.remember('network', other)
        self.assertEqual([new, other], self.lookup.all('network'))
        self.lookup.forget('network', 'n1')
        self.assertEqual([other], self.lookup.all('network'))
        self.assertEqual(1, len(self.conn.calls_to('network.networks')))

    def test_remember_unlisted_kind_waits_for_the_list(self):
        # Not listed yet: the later list holds the truth already.
        obj = fakes.sdk('network', name='n', id='n9', project_id='p-auth')
        self.lookup.remember('network', obj)
        self.lookup.forget('network', 'n9')
        self.assertEqual([], self.conn.calls)
        self.assertEqual([], self.lookup.all('network'))
