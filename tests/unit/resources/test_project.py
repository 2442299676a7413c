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

"""Projects: domain and parent by name, parents first, immutable domain."""

from oslotest import base

from osmigrateclient.resources import project
from osmigrateclient.resources import refs
from tests.unit import fakes


def cloud():
    conn = fakes.FakeConnection(project_id='p-admin', roles=['admin'])
    conn.add('domain', id='default', name='Default')
    conn.add('domain', id='d2', name='Other')
    return conn


class TestProject(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.src = cloud()
        self.dst = cloud()
        self.res = project.RESOURCE()
        self.src_lookup = self.seed()

    def seed(self):
        top = self.src.add(
            'project',
            id='p-top',
            name='top',
            domain_id='default',
            parent_id='default',
            description='t',
            is_enabled=True,
            is_domain=False,
            tags=['b', 'a'],
        )
        self.src.add(
            'project',
            id='p-child',
            name='child',
            domain_id='default',
            parent_id=top.id,
            is_domain=False,
        )
        self.src.add(
            'project', id='p-o', name='apart', domain_id='d2', is_domain=False
        )
        self.src.add('project', id='d3', name='dom', is_domain=True)
        return refs.Lookup(self.src)

    def export(self):
        return self.res.export(self.src_lookup, lambda name: True)

    def test_export_parents_first_domains_by_name(self):
        entries = self.export()
        self.assertEqual(
            ['apart', 'top', 'child'],
            [e['params']['name'] for e in entries],
        )
        apart, top, child = entries
        self.assertEqual(
            {
                'description': 't',
                'is_domain': False,
                'is_enabled': True,
                'name': 'top',
                'tags': ['a', 'b'],
                'domain_ref': refs.make_ref('Default'),
                'parent_ref': None,
            },
            top['params'],
        )
        self.assertEqual(
            refs.make_ref('top', None, 'Default'),
            child['params']['parent_ref'],
        )
        self.assertEqual(refs.make_ref('Other'), apart['params']['domain_ref'])
        self.assertEqual(
            {'domain_id': 'default', 'id': 'p-child', 'parent_id': 'p-top'},
            child['_info'],
        )

    def test_import_creates_in_order_then_unchanged(self):
        lookup = refs.Lookup(self.dst)
        outcomes = [self.res.apply(lookup, e) for e in self.export()]
        self.assertEqual(['created'] * 3, [o.action for o in outcomes])
        calls = self.dst.calls_to('identity.create_project')
        self.assertEqual('d2', calls[0][1]['domain_id'])
        top = calls[1][1]
        self.assertNotIn('parent_id', top)
        self.assertEqual(['a', 'b'], top['tags'])
        top_id = [p for p in self.dst.store['project'] if p.name == 'top'][
            0
        ].id
        self.assertEqual(top_id, calls[2][1]['parent_id'])
        again = [
            self.res.apply(refs.Lookup(self.dst), e) for e in self.export()
        ]
        self.assertEqual(['unchanged'] * 3, [o.action for o in again])

    def test_same_name_other_domain_is_another_project(self):
        self.dst.add('project', name='apart', domain_id='default')
        entry = self.export()[0]
        decision = self.res.decide(refs.Lookup(self.dst), entry)
        self.assertEqual('create', decision.action)

    def test_update_description_conflict_on_parent(self):
        entries = self.export()
        lookup = refs.Lookup(self.dst)
        for e in entries:
            self.res.apply(lookup, e)
        top = dict(entries[1], params=dict(entries[1]['params']))
        top['params']['description'] = 'new'
        outcome = self.res.apply(refs.Lookup(self.dst), top)
        self.assertEqual(('updated', 'description'), outcome[2:])
        child = dict(entries[2], params=dict(entries[2]['params']))
        child['params']['parent_ref'] = None
        outcome = self.res.apply(refs.Lookup(self.dst), child)
        self.assertEqual('conflict', outcome.action)
        self.assertIn('cannot change parent_ref', outcome.detail)

    def test_domain_as_parent_means_top_level(self):
        # The pioneering tool names the domain as the parent.
        entry = self.export()[1]
        entry['params']['parent_ref'] = refs.make_ref('Default')
        lookup = refs.Lookup(self.dst)
        self.assertEqual('created', self.res.apply(lookup, entry).action)
        [(_, kwargs)] = self.dst.calls_to('identity.create_project')
        self.assertNotIn('parent_id', kwargs)
        self.assertEqual(
            'unchanged', self.res.apply(refs.Lookup(self.dst), entry).action
        )

    def test_unknown_domain_blocks(self):
        entry = self.export()[0]
        entry['params']['domain_ref'] = refs.make_ref('Nowhere')
        decision = self.res.decide(refs.Lookup(self.dst), entry)
        self.assertEqual('blocked', decision.action)
        self.assertEqual(
            "domain_ref: domain 'Nowhere' not found", decision.detail
        )

    def test_identity_and_rank(self):
        entry = self.export()[1]
        self.assertEqual(
            'openstack.identity.Project:top:Default',
            self.res.import_identity(entry),
        )
        self.assertTrue(self.res.admin_only)
