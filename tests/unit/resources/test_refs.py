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

import sys
import threading

import fixtures
from openstack import exceptions as sdk_exceptions
from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient.resources import _listers as listers
from osmigrateclient.resources import refs
from tests.unit import fakes

AUTH_REF = {'name': 'net1', 'project_name': '%auth%', 'domain_name': '%auth%'}


class TestHelpers(base.BaseTestCase):
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
        for kind in listers.LISTERS:
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


class TestLookup(base.BaseTestCase):
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

    def test_resolve_a_kind_the_user_may_not_list(self):
        self.conn.fail(
            'identity.projects',
            sdk_exceptions.ForbiddenException('identity:list_projects'),
        )
        e = self.assertRaises(
            exceptions.UnresolvedReference,
            self.lookup.resolve,
            'project',
            refs.make_ref('p1', None, 'Default'),
        )
        self.assertEqual(
            "cannot look project 'p1' up: the user may not list project "
            'resources',
            str(e),
        )

    def test_another_cloud_of_a_side(self):
        made = []
        other = fakes.FakeConnection(project_id='p-adm')

        def connect(side, cloud=None):
            made.append((side, cloud))
            return other

        lookup = refs.Lookup(self.conn, connect=connect)
        beside = lookup.beside('dst', 'adm')
        self.assertIs(other, beside.conn)
        self.assertIs(beside, lookup.beside('dst', 'adm'))
        self.assertIs(other, lookup.other_side('src'))
        self.assertEqual([('dst', 'adm'), ('src', None)], made)

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

    def test_notes_are_kept_once_and_read_once(self):
        self.lookup.note('image', 'i1', 'created private')
        self.lookup.note('image', 'i1', 'created private')
        self.lookup.note('image', 'i1', 'member p not added')
        self.lookup.note('flavor', 'i1', 'other kind')
        self.assertEqual(
            ['created private', 'member p not added'],
            self.lookup.notes('image', 'i1'),
        )
        self.assertEqual([], self.lookup.notes('image', 'i1'))
        self.assertEqual(['other kind'], self.lookup.notes('flavor', 'i1'))


class TestLookupThreads(base.BaseTestCase):
    """A Lookup shared by the threads of a parallel import."""

    def setUp(self):
        super().setUp()
        self.listing = threading.Event()
        self.go = threading.Event()
        self.listed = []
        self.conn = fakes.FakeConnection(project_id='p-auth')
        self.conn.add('network', name='old', id='n0')
        conn = self.conn

        def slow_networks(c):
            # Holds the listing until the test says go.
            self.listed.append(threading.current_thread().name)
            self.listing.set()
            self.assertTrue(self.go.wait(10))
            return list(conn.store['network'])

        self.useFixture(
            fixtures.MockPatchObject(
                listers,
                'LISTERS',
                dict(listers.LISTERS, network=slow_networks),
            )
        )
        self.lookup = refs.Lookup(conn)

    def start(self, target, *args):
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self.addCleanup(thread.join, 10)
        return thread

    def test_threads_that_ask_at_once_share_one_listing(self):
        got = []
        threads = [
            self.start(lambda: got.append(self.lookup.all('network')))
            for _ in range(8)
        ]
        self.assertTrue(self.listing.wait(10))
        self.go.set()
        for t in threads:
            t.join(10)
        self.assertEqual(1, len(self.listed))
        self.assertEqual(8, len(got))
        self.assertTrue(all(g is got[0] for g in got))

    def test_remember_waits_for_a_listing_under_way(self):
        # The listing began before the network existed: had remember not
        # waited for it, the list would miss the network.
        lister = self.start(self.lookup.all, 'network')
        self.assertTrue(self.listing.wait(10))
        new = fakes.sdk('network', name='new', id='n1', project_id='p-auth')
        rememberer = self.start(self.lookup.remember, 'network', new)
        rememberer.join(0.1)
        self.assertTrue(rememberer.is_alive())
        self.go.set()
        lister.join(10)
        rememberer.join(10)
        self.assertEqual(
            ['n0', 'n1'], [o.id for o in self.lookup.all('network')]
        )

    def test_no_remembered_object_is_lost(self):
        self.go.set()
        self.lookup.all('network')
        # Switch threads as often as possible, to provoke lost updates.
        interval = sys.getswitchinterval()
        self.addCleanup(sys.setswitchinterval, interval)
        sys.setswitchinterval(1e-6)

        def remember(n):
            for i in range(100):
                obj = fakes.sdk(
                    'network', name='t', id='%d-%d' % (n, i), project_id='p'
                )
                self.lookup.remember('network', obj)
                if i % 2:
                    self.lookup.forget('network', obj.id)

        threads = [self.start(remember, n) for n in range(8)]
        for t in threads:
            t.join(10)
        self.assertEqual(
            1 + 8 * 50, len({o.id for o in self.lookup.all('network')})
        )
        self.assertEqual(1 + 8 * 50, len(self.lookup.all('network')))

    def test_other_kinds_are_not_held_up(self):
        self.conn.add('subnet', name='s', id='s1')
        lister = self.start(self.lookup.all, 'network')
        self.assertTrue(self.listing.wait(10))
        self.assertEqual(['s1'], [o.id for o in self.lookup.all('subnet')])
        self.go.set()
        lister.join(10)

    def test_projects_looked_up_once(self):
        self.conn.add('domain', name='Default', id='default')
        self.conn.add('project', name='p', id='p1', domain_id='default')
        threads = [
            self.start(self.lookup.project_names, 'p1') for _ in range(8)
        ]
        threads += [
            self.start(self.lookup.project_id_for, 'p', 'Default')
            for _ in range(8)
        ]
        for t in threads:
            t.join(10)
        self.assertEqual(1, len(self.conn.calls_to('identity.get_project')))
        self.assertEqual(1, len(self.conn.calls_to('identity.find_project')))
