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

"""Address groups: addresses as a set, changed by add/remove calls."""

from oslotest import base

from osmigrateclient.resources import address_group
from osmigrateclient.resources import refs
from tests.unit import fakes


class TestAddressGroup(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.src = fakes.FakeConnection(project_id='p-src')
        self.dst = fakes.FakeConnection(project_id='p-dst')
        self.res = address_group.RESOURCE()

        def change(sign):
            def call(group, addresses):
                have = set(group.addresses)
                new = have | set(addresses) if sign else have - set(addresses)
                group._update(addresses=sorted(new))
                return group

            return call

        self.dst._api_add_addresses_to_address_group = change(True)
        self.dst._api_remove_addresses_from_address_group = change(False)

    def entry(self, **attrs):
        values = dict(
            name='ag',
            description='d',
            addresses=['10.2.0.0/24', '10.1.0.1/32'],
        )
        values.update(attrs)
        obj = self.src.add('address_group', **values)
        return self.res.from_sdk(refs.Lookup(self.src), obj)

    def test_export(self):
        e = self.entry()
        self.assertEqual('openstack.network.AddressGroup', e['type'])
        self.assertEqual(
            {
                'name': 'ag',
                'description': 'd',
                'addresses': ['10.1.0.1/32', '10.2.0.0/24'],
            },
            e['params'],
        )

    def test_create_without_tags(self):
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry())
        self.assertEqual('created', outcome.action)
        self.assertEqual(
            ['network.create_address_group'], self.dst.write_calls()
        )

    def test_same_addresses_in_another_order_unchanged(self):
        self.dst.add(
            'address_group',
            name='ag',
            description='d',
            addresses=['10.2.0.0/24', '10.1.0.1/32'],
        )
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry())
        self.assertEqual('unchanged', outcome.action)
        self.assertEqual([], self.dst.write_calls())

    def test_addresses_added_and_removed(self):
        twin = self.dst.add(
            'address_group',
            name='ag',
            description='d',
            addresses=['10.1.0.1/32', '10.9.0.0/16'],
        )
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry())
        self.assertEqual(('updated', 'addresses'), outcome[2:])
        self.assertEqual(
            [
                'network.add_addresses_to_address_group',
                'network.remove_addresses_from_address_group',
            ],
            self.dst.write_calls(),
        )
        [(add_args, _)] = self.dst.calls_to(
            'network.add_addresses_to_address_group'
        )
        self.assertEqual((twin, ['10.2.0.0/24']), add_args)
        [(rm_args, _)] = self.dst.calls_to(
            'network.remove_addresses_from_address_group'
        )
        self.assertEqual(['10.9.0.0/16'], rm_args[1])
        self.assertEqual(['10.1.0.1/32', '10.2.0.0/24'], twin.addresses)

    def test_description_by_update_addresses_untouched(self):
        self.dst.add(
            'address_group',
            name='ag',
            description='old',
            addresses=['10.2.0.0/24', '10.1.0.1/32'],
        )
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry())
        self.assertEqual('updated', outcome.action)
        self.assertEqual(
            ['network.update_address_group'], self.dst.write_calls()
        )
        [(_, kwargs)] = self.dst.calls_to('network.update_address_group')
        self.assertEqual({'description': 'd'}, kwargs)
