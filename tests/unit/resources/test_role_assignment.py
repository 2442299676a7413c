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


"""Role assignments of users and groups on projects."""

from unittest import mock

from oslotest import base

from osmigrateclient.resources import group_role_assignment
from osmigrateclient.resources import refs
from osmigrateclient.resources import role_assignment
from tests.unit import fakes

INHERITED = 'OS-INHERIT:inherited_to'


def cloud():
    conn = fakes.FakeConnection(project_id='p-admin', roles=['admin'])
    conn.add('domain', id='default', name='Default')
    conn.add('project', id='p1', name='proj', domain_id='default')
    conn.add('role', id='r-member', name='member')
    conn.add('role', id='r-reader', name='reader')
    conn.add('user', id='u1', name='alice', domain_id='default')
    conn.add('group', id='g1', name='team', domain_id='default')
    # Keystone answers 204, no body.
    conn._api_assign_project_role_to_user = lambda *a, **k: None
    conn._api_assign_project_role_to_group = lambda *a, **k: None
    return conn


def assignment(conn, project='p1', role='r-member', inherited=False, **who):
    scope = {'project': {'id': project}}
    if inherited:
        scope[INHERITED] = 'projects'
    return conn.add(
        'role_assignment',
        scope=scope,
        role={'id': role},
        **{k: {'id': v} for k, v in who.items()},
    )


class TestRoleAssignment(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        patcher = mock.patch.dict(
            fakes.SDK_CLASSES,
            {
                'group': 'openstack.identity.v3.group:Group',
                'role_assignment': (
                    'openstack.identity.v3.role_assignment:RoleAssignment'
                ),
            },
        )
        patcher.start()
        self.addCleanup(patcher.stop)
        self.src = cloud()
        self.dst = cloud()
        self.res = role_assignment.RESOURCE()
        self.group_res = group_role_assignment.RESOURCE()
        assignment(self.src, user='u1')
        assignment(self.src, role='r-reader', inherited=True, user='u1')
        assignment(self.src, group='g1')
        # Not exported: domain scope, unknown user.
        self.src.add(
            'role_assignment',
            scope={'domain': {'id': 'default'}},
            role={'id': 'r-member'},
            user={'id': 'u1'},
        )
        assignment(self.src, user='u-gone')
        self.lookup = refs.Lookup(self.src)

    def test_export_users(self):
        entries = self.res.export(self.lookup, lambda name: True)
        self.assertEqual(
            [
                {
                    'user_ref': refs.make_ref('alice', None, 'Default'),
                    'project_ref': refs.make_ref('proj', None, 'Default'),
                    'role_ref': refs.make_ref('member'),
                },
                {
                    'user_ref': refs.make_ref('alice', None, 'Default'),
                    'project_ref': refs.make_ref('proj', None, 'Default'),
                    'role_ref': refs.make_ref('reader'),
                    'inherited': True,
                },
            ],
            [e['params'] for e in entries],
        )
        self.assertEqual(
            {'user_id': 'u1', 'project_id': 'p1', 'role_id': 'r-member'},
            entries[0]['_info'],
        )
        self.assertEqual(
            ['alice on proj: member', 'alice on proj: reader (inherited)'],
            [self.res.label_of(e) for e in entries],
        )
        self.assertNotEqual(
            self.res.export_key(entries[0]), self.res.export_key(entries[1])
        )
        self.assertEqual(
            [], self.res.export(self.lookup, lambda name: name == 'bob')
        )

    def test_export_groups(self):
        [entry] = self.group_res.export(self.lookup, lambda name: True)
        self.assertEqual(
            'openstack.identity.GroupProjectRoleAssignment', entry['type']
        )
        self.assertEqual(
            refs.make_ref('team', None, 'Default'),
            entry['params']['group_ref'],
        )
        self.assertEqual('team', self.group_res.name_of(entry))

    def test_import_assigns_then_unchanged(self):
        entries = self.res.export(self.lookup, lambda name: True)
        lookup = refs.Lookup(self.dst)
        outcomes = [self.res.apply(lookup, e) for e in entries]
        self.assertEqual(['created', 'created'], [o.action for o in outcomes])
        self.assertEqual(
            [
                (('p1', 'u1', 'r-member'), {'inherited': False}),
                (('p1', 'u1', 'r-reader'), {'inherited': True}),
            ],
            self.dst.calls_to('identity.assign_project_role_to_user'),
        )
        # The same lookup knows what it assigned.
        self.assertEqual(
            'unchanged', self.res.apply(lookup, entries[0]).action
        )
        assignment(self.dst, user='u1')
        fresh = refs.Lookup(self.dst)
        self.assertEqual(
            ['unchanged', 'create'],
            [self.res.decide(fresh, e).action for e in entries],
        )

    def test_import_group(self):
        [entry] = self.group_res.export(self.lookup, lambda name: True)
        outcome = self.group_res.apply(refs.Lookup(self.dst), entry)
        self.assertEqual('created', outcome.action)
        self.assertEqual(
            [(('p1', 'g1', 'r-member'), {'inherited': False})],
            self.dst.calls_to('identity.assign_project_role_to_group'),
        )

    def test_missing_user_blocks(self):
        entry = self.res.export(self.lookup, lambda name: True)[0]
        entry['params']['user_ref']['name'] = 'bob'
        decision = self.res.decide(refs.Lookup(self.dst), entry)
        self.assertEqual(
            ('blocked', "user_ref: user 'bob' not found"), decision[:2]
        )
