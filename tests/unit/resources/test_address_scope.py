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

"""Address scopes: no tags, the IP version fixed once made."""

from oslotest import base

from osmigrateclient.resources import address_scope
from osmigrateclient.resources import refs
from tests.unit import fakes


class TestAddressScope(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.src = fakes.FakeConnection(project_id='p-src')
        self.dst = fakes.FakeConnection(project_id='p-dst')
        self.res = address_scope.RESOURCE()

    def entry(self, **attrs):
        values = dict(name='scope', ip_version=6, is_shared=False)
        values.update(attrs)
        obj = self.src.add('address_scope', **values)
        return self.res.from_sdk(refs.Lookup(self.src), obj)

    def test_export(self):
        e = self.entry()
        self.assertEqual('openstack.network.AddressScope', e['type'])
        self.assertEqual(
            {'name': 'scope', 'ip_version': 6, 'is_shared': False},
            e['params'],
        )

    def test_create_without_tags(self):
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry())
        self.assertEqual('created', outcome.action)
        self.assertEqual(
            ['network.create_address_scope'], self.dst.write_calls()
        )
        [(_, kwargs)] = self.dst.calls_to('network.create_address_scope')
        self.assertEqual(
            {'name': 'scope', 'ip_version': 6, 'is_shared': False}, kwargs
        )

    def test_second_import_unchanged(self):
        self.dst.add(
            'address_scope', name='scope', ip_version=6, is_shared=False
        )
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry())
        self.assertEqual('unchanged', outcome.action)
        self.assertEqual([], self.dst.write_calls())

    def test_other_ip_version_is_a_conflict(self):
        self.dst.add('address_scope', name='scope', ip_version=4)
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry())
        self.assertEqual(
            (
                'conflict',
                'cannot change ip_version of an existing resource: '
                'ip_version is 4, the file says 6',
            ),
            outcome[2:],
        )
        self.assertEqual([], self.dst.write_calls())
