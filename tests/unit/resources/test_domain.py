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

"""Domains: name, description, enabled; found by name; referenced by name."""

import fixtures
from oslotest import base

from osmigrateclient import datafile
from osmigrateclient import resources
from osmigrateclient import validation
from osmigrateclient.resources import domain
from osmigrateclient.resources import project
from osmigrateclient.resources import refs
from tests.unit import fakes


def cloud():
    conn = fakes.FakeConnection(project_id='p-admin', roles=['admin'])
    conn.add('domain', id='default', name='Default', is_enabled=True)
    return conn


class TestDomain(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.src = cloud()
        self.dst = cloud()
        self.res = domain.RESOURCE()
        self.src.add(
            'domain',
            id='d-corp',
            name='corp',
            description='Corporate users',
            is_enabled=False,
        )

    def export(self, match=lambda name: True):
        return self.res.export(refs.Lookup(self.src), match)

    def test_export(self):
        entries = self.export()
        self.assertEqual(
            # Every Keystone has its Default domain: not exported.
            ['corp'],
            [e['params']['name'] for e in entries],
        )
        self.assertEqual(
            {
                'type': 'openstack.identity.Domain',
                'params': {
                    'description': 'Corporate users',
                    'is_enabled': False,
                    'name': 'corp',
                },
                '_info': {'id': 'd-corp'},
                '_migration_params': {},
            },
            entries[0],
        )
        self.assertEqual([], self.export(lambda n: n != 'corp'))
        self.assertTrue(domain.is_built_in('Default'))
        self.assertFalse(domain.is_built_in('corp'))

    def test_create_then_unchanged(self):
        entries = self.export()
        outcomes = [self.res.apply(refs.Lookup(self.dst), e) for e in entries]
        self.assertEqual(
            [('corp', 'created')],
            [(o.name, o.action) for o in outcomes],
        )
        [(_, kwargs)] = self.dst.calls_to('identity.create_domain')
        self.assertEqual(
            {
                'description': 'Corporate users',
                'is_enabled': False,
                'name': 'corp',
            },
            kwargs,
        )
        self.dst.calls.clear()
        again = [self.res.apply(refs.Lookup(self.dst), e) for e in entries]
        self.assertEqual(['unchanged'], [o.action for o in again])
        self.assertEqual([], self.dst.write_calls())

    def test_update(self):
        self.dst.add('domain', name='corp', description='old', is_enabled=True)
        entry = self.export()[0]
        outcome = self.res.apply(refs.Lookup(self.dst), entry)
        self.assertEqual(('updated', 'description, is_enabled'), outcome[2:])
        [(_, kwargs)] = self.dst.calls_to('identity.update_domain')
        self.assertEqual(
            {'description': 'Corporate users', 'is_enabled': False}, kwargs
        )

    def test_order_and_admin(self):
        names = [r.cli_name for r in resources.in_order()]
        for later in ('project', 'user', 'group'):
            self.assertLess(names.index('domain'), names.index(later))
        self.assertTrue(self.res.admin_only)
        self.assertIn('domain', project.RESOURCE.depends_on)

    def test_projects_name_their_domain(self):
        # A projects.yml written before domains were migrated imports the
        # same way: domain_ref names the domain, now created first.
        entry = {
            'type': 'openstack.identity.Project',
            'params': {
                'name': 'p1',
                'description': '',
                'is_domain': False,
                'is_enabled': True,
                'tags': [],
                'domain_ref': refs.make_ref('corp'),
                'parent_ref': None,
            },
            '_info': {'id': 'p-1', 'domain_id': 'd-corp', 'parent_id': None},
        }
        lookup = refs.Lookup(self.dst)
        decision = project.RESOURCE().decide(lookup, entry)
        self.assertEqual(
            ('blocked', "domain_ref: domain 'corp' not found"), decision[:2]
        )
        self.res.apply(lookup, self.export()[0])
        self.assertEqual(
            'created', project.RESOURCE().apply(lookup, entry).action
        )
        corp = [d for d in self.dst.store['domain'] if d.name == 'corp'][0]
        [(_, kwargs)] = self.dst.calls_to('identity.create_project')
        self.assertEqual(corp.id, kwargs['domain_id'])


class TestValidateDomains(base.BaseTestCase):
    def test_default_domain_need_not_be_in_the_data_dir(self):
        data_dir = self.useFixture(fixtures.TempDir()).path

        def project_in(domain_name):
            return {
                'type': 'openstack.identity.Project',
                'params': {
                    'name': 'p-' + domain_name,
                    'domain_ref': refs.make_ref(domain_name),
                },
                '_info': {'id': 'p-' + domain_name},
            }

        datafile.write(
            data_dir + '/projects.yml',
            [project_in('Default'), project_in('corp'), project_in('gone')],
        )
        # A data dir of the older types, without domains.yml: as before.
        self.assertEqual([], validation.validate(data_dir)[0])
        datafile.write(
            data_dir + '/domains.yml',
            [
                {
                    'type': 'openstack.identity.Domain',
                    'params': {'name': 'corp'},
                    '_info': {'id': 'd-corp'},
                }
            ],
        )
        problems = validation.validate(data_dir)[0]
        self.assertEqual(
            [
                (
                    'params.domain_ref',
                    "domain 'gone' is not in the data directory",
                )
            ],
            [(p.field, p.problem) for p in problems],
        )
