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

"""Security groups: stateful and tags, and no default rules after create."""

from oslotest import base

from osmigrateclient.resources import refs
from osmigrateclient.resources import security_group
from tests.unit import fakes


class TestSecurityGroup(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.src = fakes.FakeConnection(project_id='p-src')
        self.dst = fakes.FakeConnection(project_id='p-dst')
        self.res = security_group.RESOURCE()

    def entry(self, **attrs):
        values = dict(
            name='web', description='w', stateful=False, tags=['z', 'a']
        )
        values.update(attrs)
        obj = self.src.add('security_group', **values)
        return self.res.from_sdk(refs.Lookup(self.src), obj)

    def test_export(self):
        e = self.entry()
        self.assertEqual('openstack.network.SecurityGroup', e['type'])
        self.assertEqual(
            {
                'name': 'web',
                'description': 'w',
                'stateful': False,
                'tags': ['a', 'z'],
            },
            e['params'],
        )
        self.assertEqual(
            {
                'created_at',
                'id',
                'project_id',
                'revision_number',
                'updated_at',
            },
            set(e['_info']),
        )

    def test_create_deletes_default_rules(self):
        created = []

        def create(**attrs):
            obj = self.dst.add(
                'security_group',
                security_group_rules=[{'id': 'def-1'}, {'id': 'def-2'}],
                **attrs,
            )
            created.append(obj)
            return obj

        self.dst._api_create_security_group = create
        lookup = refs.Lookup(self.dst)
        outcome = self.res.apply(lookup, self.entry())
        self.assertEqual('created', outcome.action)
        [(_, kwargs)] = self.dst.calls_to('network.create_security_group')
        self.assertEqual(
            {'name': 'web', 'description': 'w', 'stateful': False}, kwargs
        )
        self.assertEqual(
            [
                (('def-1',), {'ignore_missing': True}),
                (('def-2',), {'ignore_missing': True}),
            ],
            self.dst.calls_to('network.delete_security_group_rule'),
        )
        self.assertEqual(
            ['a', 'z'], self.dst.calls_to('network.set_tags')[0][0][1]
        )

    def test_existing_default_group_is_updated_not_emptied(self):
        self.dst.add(
            'security_group',
            name='default',
            description='Default security group',
            stateful=True,
            tags=[],
            security_group_rules=[{'id': 'keep'}],
        )
        e = self.entry(
            name='default', description='mine', stateful=True, tags=[]
        )
        outcome = self.res.apply(refs.Lookup(self.dst), e)
        self.assertEqual(('updated', 'description'), outcome[2:])
        self.assertEqual(
            ['network.update_security_group'], self.dst.write_calls()
        )

    def test_stateful_change_is_update(self):
        self.dst.add(
            'security_group',
            name='web',
            description='w',
            stateful=True,
            tags=['a', 'z'],
        )
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry())
        self.assertEqual(('updated', 'stateful'), outcome[2:])
        [(_, kwargs)] = self.dst.calls_to('network.update_security_group')
        self.assertEqual({'stateful': False}, kwargs)
