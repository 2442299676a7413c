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

"""Groups: found by name within their domain, members set exactly."""

from unittest import mock

from oslotest import base

from osmigrateclient import resources
from osmigrateclient.resources import group
from osmigrateclient.resources import group_role_assignment
from osmigrateclient.resources import refs
from tests.unit import fakes


def cloud():
    """A cloud whose groups have members."""
    conn = fakes.FakeConnection(project_id='p-admin', roles=['admin'])
    conn.add('domain', id='default', name='Default')
    conn.add('domain', id='d-corp', name='corp')
    conn.members = {}

    def ident(obj):
        return getattr(obj, 'id', obj)

    def group_users(g):
        ids = conn.members.get(ident(g), set())
        return [u for u in conn.store.get('user', []) if u.id in ids]

    def add_user_to_group(user, g):
        conn.members.setdefault(ident(g), set()).add(ident(user))

    def remove_user_from_group(user, g):
        conn.members[ident(g)].discard(ident(user))

    conn._api_group_users = group_users
    conn._api_add_user_to_group = add_user_to_group
    conn._api_remove_user_from_group = remove_user_from_group
    return conn


def users(conn):
    conn.add(
        'user', id=conn.prefix + 'alice', name='alice', domain_id='default'
    )
    conn.add('user', id=conn.prefix + 'bob', name='bob', domain_id='d-corp')
    conn.add(
        'user', id=conn.prefix + 'carol', name='carol', domain_id='default'
    )


class TestGroup(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        patcher = mock.patch.dict(
            fakes.SDK_CLASSES, {'group': 'openstack.identity.v3.group:Group'}
        )
        patcher.start()
        self.addCleanup(patcher.stop)
        self.src, self.dst = cloud(), cloud()
        self.src.prefix, self.dst.prefix = 's-', 'd-'
        users(self.src)
        users(self.dst)
        self.res = group.RESOURCE()
        self.src.add(
            'group', id='g1', name='ops', domain_id='d-corp', description='Ops'
        )
        self.src.add('group', id='g2', name='empty', domain_id='default')
        self.src.members['g1'] = {'s-alice', 's-bob'}

    def export(self):
        return self.res.export(refs.Lookup(self.src), lambda name: True)

    def test_export(self):
        entries = self.export()
        self.assertEqual(
            ['empty', 'ops'], [e['params']['name'] for e in entries]
        )
        self.assertEqual(
            {
                'description': 'Ops',
                'name': 'ops',
                'domain_ref': refs.make_ref('corp'),
                'member_refs': [
                    refs.make_ref('alice', None, 'Default'),
                    refs.make_ref('bob', None, 'corp'),
                ],
            },
            entries[1]['params'],
        )
        self.assertEqual(
            {
                'domain_id': 'd-corp',
                'id': 'g1',
                'member_ids': ['s-alice', 's-bob'],
            },
            entries[1]['_info'],
        )
        self.assertEqual([], entries[0]['params']['member_refs'])
        # One member listing per exported group.
        self.assertEqual(2, len(self.src.calls_to('identity.group_users')))

    def test_create_with_members_then_unchanged(self):
        lookup = refs.Lookup(self.dst)
        outcomes = [self.res.apply(lookup, e) for e in self.export()]
        self.assertEqual(['created'] * 2, [o.action for o in outcomes])
        created = self.dst.calls_to('identity.create_group')
        self.assertEqual(
            {'description': 'Ops', 'name': 'ops', 'domain_id': 'd-corp'},
            created[1][1],
        )
        ops = [g for g in self.dst.store['group'] if g.name == 'ops'][0]
        self.assertEqual({'d-alice', 'd-bob'}, self.dst.members[ops.id])
        # A new group is known to be empty: no member listing.
        self.assertEqual([], self.dst.calls_to('identity.group_users'))
        self.dst.calls.clear()
        lookup = refs.Lookup(self.dst)
        again = [self.res.apply(lookup, e) for e in self.export()]
        self.assertEqual(['unchanged'] * 2, [o.action for o in again])
        self.assertEqual([], self.dst.write_calls())

    def test_members_set_exactly(self):
        ops = self.dst.add(
            'group', name='ops', domain_id='d-corp', description='Ops'
        )
        self.dst.members[ops.id] = {'d-alice', 'd-carol'}
        entry = self.export()[1]
        outcome = self.res.apply(refs.Lookup(self.dst), entry)
        self.assertEqual(('updated', 'member_refs'), outcome[2:])
        self.assertEqual({'d-alice', 'd-bob'}, self.dst.members[ops.id])
        self.assertEqual(
            [
                'identity.add_user_to_group',
                'identity.remove_user_from_group',
            ],
            self.dst.write_calls(),
        )

    def test_same_name_other_domain_is_another_group(self):
        self.dst.add('group', name='ops', domain_id='default')
        decision = self.res.decide(refs.Lookup(self.dst), self.export()[1])
        self.assertEqual('create', decision.action)

    def test_domain_cannot_change(self):
        self.dst.add('group', id='g-dst', name='empty', domain_id='default')
        entry = self.export()[0]
        entry['params']['domain_ref'] = refs.make_ref('corp')
        # Found by name within the file's domain: another group.
        decision = self.res.decide(refs.Lookup(self.dst), entry)
        self.assertEqual('create', decision.action)
        self.assertIn('domain_ref', self.res.create_only)

    def test_unknown_member_blocks(self):
        entry = self.export()[1]
        entry['params']['member_refs'].append(
            refs.make_ref('zoe', None, 'Default')
        )
        decision = self.res.decide(refs.Lookup(self.dst), entry)
        self.assertEqual('blocked', decision.action)
        self.assertEqual("member_refs: user 'zoe' not found", decision.detail)

    def test_order(self):
        names = [r.cli_name for r in resources.in_order()]
        self.assertLess(names.index('user'), names.index('group'))
        self.assertLess(
            names.index('group'), names.index('group role assignment')
        )
        self.assertIn('group', group_role_assignment.RESOURCE.depends_on)
        self.assertEqual(
            'openstack.identity.Group:ops:corp',
            self.res.import_identity(self.export()[1]),
        )
