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

"""Network RBAC policies: the object and the target project by name, found
by (object, action, target), target names through an admin cloud."""

import argparse
import os

import fixtures
from openstack import exceptions as sdk_exceptions
from oslotest import base

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient import validation
from osmigrateclient.resources import network_rbac
from osmigrateclient.resources import refs
from tests.unit import fakes

SHARED = 'access_as_shared'


def forbid_projects(conn):
    conn.fail(
        'identity.projects',
        sdk_exceptions.ForbiddenException('identity:list_projects'),
    )


class TestNetworkRbac(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.res = network_rbac.RESOURCE()
        self.src = fakes.FakeConnection(project_id='p-src', roles=['admin'])
        self.dst = fakes.FakeConnection(project_id='p-dst', roles=['admin'])
        for conn in (self.src, self.dst):
            conn.add('domain', id='d1', name='Default')
            for pid, name in (
                ('p-src', 'src'),
                ('p-dst', 'dst'),
                ('p-t1', 'team1'),
                ('p-t2', 'team2'),
            ):
                conn.add('project', id=pid, name=name, domain_id='d1')
        self.net = self.src.add('network', name='net')
        self.dst_net = self.dst.add('network', name='net')

    def share(self, conn, obj, target, object_type='network', **attrs):
        return conn.add(
            'rbac_policy',
            object_type=object_type,
            object_id=obj.id,
            action=attrs.get('action', SHARED),
            target_project_id=target,
        )

    def export(self, lookup=None):
        return self.res.export(lookup or refs.Lookup(self.src), lambda n: True)

    def entry(self, target='p-t1'):
        self.share(self.src, self.net, target)
        [entry] = self.export()
        return entry

    def test_export(self):
        policy = self.share(self.src, self.net, 'p-t1')
        qos = self.src.add('qos_policy', name='gold')
        self.share(self.src, qos, '*', object_type='qos_policy')
        # Another project's policy, and one of a type not migrated.
        self.src.add(
            'rbac_policy',
            object_type='network',
            object_id=self.net.id,
            action=SHARED,
            target_project_id='p-t2',
            project_id='p-t1',
        )
        self.share(self.src, self.net, 'p-t2', object_type='bgpvpn')
        got = {self.res.name_of(e): e for e in self.export()}
        self.assertEqual(['gold -> *', 'net -> team1'], sorted(got))
        self.assertEqual(
            {
                'type': 'openstack.network.RBACPolicy',
                'params': {
                    'object_type': 'network',
                    'action': SHARED,
                    'network_ref': refs.make_ref('net', '%auth%', '%auth%'),
                    'target_project_ref': refs.make_ref(
                        'team1', None, 'Default'
                    ),
                },
                '_info': {
                    'id': policy.id,
                    'object_id': self.net.id,
                    'project_id': 'p-src',
                    'target_project_id': 'p-t1',
                },
                '_migration_params': {},
            },
            got['net -> team1'],
        )
        self.assertEqual(
            {
                'object_type': 'qos_policy',
                'action': SHARED,
                'qos_policy_ref': refs.make_ref('gold', '%auth%', '%auth%'),
                'target_project_ref': '*',
            },
            got['gold -> *']['params'],
        )
        self.assertEqual(
            'qos_policy gold -> * (access_as_shared)',
            self.res.label_of(got['gold -> *']),
        )

    def test_member_export_keeps_the_target_id_only(self):
        forbid_projects(self.src)
        self.share(self.src, self.net, 'p-t1')
        self.share(self.src, self.net, 'p-t2')
        with self.assertLogs(network_rbac.LOG.name, 'WARNING') as logs:
            entries = self.res.export(
                refs.Lookup(self.src), lambda n: n == 'net -> (project p-t1)'
            )
        [entry] = entries
        self.assertIsNone(entry['params']['target_project_ref'])
        self.assertEqual('p-t1', entry['_info']['target_project_id'])
        self.assertIn('give --src-admin-cloud', logs.output[0])
        self.assertEqual(
            'network net -> (project p-t1) (access_as_shared)',
            self.res.label_of(entry),
        )
        # Two such targets are two policies, not duplicates.
        other = dict(entry, _info=dict(entry['_info'], target_project_id='x'))
        self.assertNotEqual(
            self.res.import_identity(entry), self.res.import_identity(other)
        )
        outcome = self.res.apply(refs.Lookup(self.dst), entry)
        self.assertEqual(
            (
                'blocked',
                'target_project_ref: the target project is not named (the '
                'export could not read its name; write its name and domain '
                'here)',
            ),
            (outcome.action, outcome.detail),
        )

    def admin_lookup(self, conn, side, admin):
        """A member's lookup in ``conn`` whose ``--<side>-admin-cloud`` is
        the connection ``admin``."""
        forbid_projects(conn)
        made = []

        def connect(other, cloud=None):
            made.append((other, cloud))
            return admin

        options = argparse.Namespace(**{'%s_admin_cloud' % side: 'adm'})
        return refs.Lookup(conn, options=options, connect=connect), made

    def test_member_export_with_an_admin_cloud(self):
        self.share(self.src, self.net, 'p-t1')
        self.share(self.src, self.net, 'p-t2')
        admin = fakes.FakeConnection(project_id='p-admin', roles=['admin'])
        admin.store['project'] = self.src.store['project']
        admin.store['domain'] = self.src.store['domain']
        lookup, made = self.admin_lookup(self.src, 'src', admin)
        entries = self.export(lookup)
        self.assertEqual(
            ['net -> team1', 'net -> team2'],
            [self.res.name_of(e) for e in entries],
        )
        self.assertEqual([('src', 'adm')], made)
        # One list of projects for every policy.
        self.assertEqual(1, admin.call_names().count('identity.projects'))

    def test_create(self):
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry())
        self.assertEqual('created', outcome.action)
        self.assertEqual(
            [
                (
                    (),
                    {
                        'object_type': 'network',
                        'object_id': self.dst_net.id,
                        'action': SHARED,
                        'target_project_id': 'p-t1',
                    },
                )
            ],
            self.dst.calls_to('network.create_rbac_policy'),
        )

    def test_every_project(self):
        self.res.apply(refs.Lookup(self.dst), self.entry('*'))
        [(_, attrs)] = self.dst.calls_to('network.create_rbac_policy')
        self.assertEqual('*', attrs['target_project_id'])

    def test_member_import_with_an_admin_cloud(self):
        admin = fakes.FakeConnection(project_id='p-admin', roles=['admin'])
        admin.store['project'] = self.dst.store['project']
        admin.store['domain'] = self.dst.store['domain']
        lookup, made = self.admin_lookup(self.dst, 'dst', admin)
        outcome = self.res.apply(lookup, self.entry())
        self.assertEqual('created', outcome.action)
        self.assertEqual([('dst', 'adm')], made)

    def test_member_import_without_an_admin_cloud(self):
        forbid_projects(self.dst)
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry())
        self.assertEqual(
            (
                'blocked',
                "target_project_ref: cannot look project 'team1' up: the "
                'user may not list projects (give --dst-admin-cloud or '
                'OS_MIGRATE_DST_ADMIN_CLOUD: a user who may)',
            ),
            (outcome.action, outcome.detail),
        )
        self.assertEqual([], self.dst.write_calls())

    def test_admin_cloud_from_the_environment(self):
        # ``migrate plan`` has no such option: the variable names it.
        self.useFixture(
            fixtures.EnvironmentVariable('OS_MIGRATE_DST_ADMIN_CLOUD', 'env')
        )
        admin = fakes.FakeConnection(project_id='p-admin', roles=['admin'])
        admin.store['project'] = self.dst.store['project']
        admin.store['domain'] = self.dst.store['domain']
        forbid_projects(self.dst)
        made = []

        def connect(other, cloud=None):
            made.append((other, cloud))
            return admin

        lookup = refs.Lookup(
            self.dst, options=argparse.Namespace(), connect=connect
        )
        decision = self.res.decide(lookup, self.entry())
        self.assertEqual(('create', ''), (decision.action, decision.detail))
        self.assertEqual([('dst', 'env')], made)

    def test_same_policy_unchanged(self):
        self.share(self.dst, self.dst_net, 'p-t1')
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry())
        self.assertEqual('unchanged', outcome.action)
        self.assertEqual([], self.dst.write_calls())

    def test_other_target_or_action_is_another_policy(self):
        self.share(self.dst, self.dst_net, 'p-t2')
        self.share(self.dst, self.dst_net, 'p-t1', action='access_as_external')
        entry = self.entry()
        self.assertEqual(
            'create', self.res.decide(refs.Lookup(self.dst), entry).action
        )

    def test_missing_target_project(self):
        entry = self.entry()
        entry['params']['target_project_ref']['name'] = 'nope'
        outcome = self.res.apply(refs.Lookup(self.dst), entry)
        self.assertEqual(
            (
                'blocked',
                "target_project_ref: project 'nope' not found",
            ),
            (outcome.action, outcome.detail),
        )

    def test_missing_object(self):
        entry = self.entry()
        entry['params']['network_ref']['name'] = 'gone'
        decision = self.res.decide(refs.Lookup(self.dst), entry)
        self.assertEqual(
            (
                'blocked',
                "network_ref: network 'gone' (project '%auth%') not found",
            ),
            (decision.action, decision.detail),
        )

    def test_entries_that_name_no_policy(self):
        lookup = refs.Lookup(self.dst)
        for change, detail in (
            (
                {'object_type': 'bgpvpn'},
                "object_type: unknown object type 'bgpvpn' (known: "
                'address_group, address_scope, network, qos_policy, '
                'security_group, subnetpool)',
            ),
            (
                {'action': 'access_as_owner'},
                "action: unknown action 'access_as_owner' (known: "
                'access_as_external, access_as_shared)',
            ),
            (
                {'qos_policy_ref': refs.make_ref('gold')},
                'qos_policy_ref: a network policy names its object in '
                'network_ref only',
            ),
            (
                {'target_project_ref': 'team1'},
                "target_project_ref: neither '*' nor a reference: 'team1'",
            ),
            (
                {'network_ref': None},
                'network_ref: the policy names no network',
            ),
        ):
            entry = self.entry()
            self.dst.store.pop('rbac_policy', None)
            self.src.store.pop('rbac_policy', None)
            entry['params'].update(change)
            decision = self.res.decide(lookup, entry)
            self.assertEqual(
                ('blocked', detail), (decision.action, decision.detail)
            )
        self.assertEqual([], self.dst.write_calls())

    def test_target_shape_refused(self):
        entry = self.entry()
        entry['params']['target_project_ref'] = {'name': 5}
        e = self.assertRaises(
            exceptions.DataFileError, self.res.check, entry, 'f.yml', 0
        )
        self.assertEqual('params.target_project_ref.name', e.field)

    def test_identity(self):
        a = self.entry()
        b = dict(a, params=dict(a['params']))
        b['params']['target_project_ref'] = refs.make_ref(
            'team1', None, 'Default'
        )
        self.assertEqual(
            self.res.import_identity(a), self.res.import_identity(b)
        )
        b['params']['target_project_ref'] = '*'
        self.assertNotEqual(
            self.res.import_identity(a), self.res.import_identity(b)
        )


class TestValidate(base.BaseTestCase):
    def write(self, target):
        data_dir = self.useFixture(fixtures.TempDir()).path
        entry = {
            'type': 'openstack.network.RBACPolicy',
            'params': {
                'object_type': 'network',
                'action': SHARED,
                'network_ref': refs.make_ref('net', '%auth%', '%auth%'),
                'target_project_ref': target,
            },
            '_info': {'id': 'r1'},
            '_migration_params': {},
        }
        net = {
            'type': 'openstack.network.Network',
            'params': {'name': 'net'},
            '_info': {'id': 'n1'},
            '_migration_params': {},
        }
        datafile.write(
            os.path.join(data_dir, 'network_rbac_policies.yml'), [entry]
        )
        datafile.write(os.path.join(data_dir, 'networks.yml'), [net])
        return data_dir

    def lookup(self):
        conn = fakes.FakeConnection(roles=['admin'])
        conn.add('domain', id='d1', name='Default')
        conn.add('project', id='p-t1', name='team1', domain_id='d1')
        return refs.Lookup(conn)

    def test_every_project_is_no_reference(self):
        problems, _, _ = validation.validate(self.write('*'), self.lookup())
        self.assertEqual([], problems)

    def test_missing_target_project(self):
        data_dir = self.write(refs.make_ref('nope', None, 'Default'))
        problems, _, _ = validation.validate(data_dir, self.lookup())
        self.assertEqual(
            [
                (
                    'params.target_project_ref',
                    "project 'nope' not found, neither in the data "
                    'directory nor in the destination',
                )
            ],
            [(p.field, p.problem) for p in problems],
        )
