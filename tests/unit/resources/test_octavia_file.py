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

from osmigrateclient import exceptions
from osmigrateclient.resources import _octavia_file
from tests.unit.resources import octavia_fakes
from tests.unit.resources.octavia_fakes import params


class TestResolve(octavia_fakes.ResolveCase):
    def test_provider_the_destination_lacks(self):
        p = params(address='10.0.0.5')
        p['provider'] = 'ovn'
        e = self.assertRaises(exceptions.UnresolvedReference, self.resolve, p)
        self.assertEqual(
            (
                'provider',
                "provider 'ovn' not in the destination (it has: amphora)",
            ),
            (e.field, e.problem),
        )

    def test_pool_of_another_name(self):
        p = params(address='10.0.0.5')
        p['listeners'][0]['default_pool'] = 'api'
        e = self.assertRaises(exceptions.UnresolvedReference, self.resolve, p)
        self.assertEqual('listeners[0].default_pool', e.field)

    def test_unnamed_pool_reference_blocks(self):
        p = params(address='10.0.0.5')
        p['listeners'][0]['default_pool'] = None
        e = self.assertRaises(
            exceptions.UnresolvedReference,
            self.resolve,
            p,
            ['listeners[0].default_pool'],
        )
        self.assertEqual(_octavia_file.UNNAMED_POOL, e.problem)
        # named in the file since: resolved
        self.resolve(params(address='10.0.0.5'), ['listeners[0].default_pool'])


class TestDuplicates(octavia_fakes.ResolveCase):
    def test_two_pools_of_one_name(self):
        p = params(address='10.0.0.5')
        p['pools'].append({'name': 'web', 'protocol': 'TCP'})
        e = self.assertRaises(exceptions.UnresolvedReference, self.resolve, p)
        self.assertEqual(
            (
                'pools[1]',
                'duplicate: pool web is also pools[0]: an import cannot '
                'tell them apart',
            ),
            (e.field, e.problem),
        )

    def test_two_unnamed_listeners_on_one_port(self):
        p = params(address='10.0.0.5')
        p['listeners'] = [
            {'protocol': 'HTTP', 'protocol_port': 80},
            {'protocol': 'HTTP', 'protocol_port': 80},
        ]
        e = self.assertRaises(exceptions.UnresolvedReference, self.resolve, p)
        self.assertEqual('listeners[1]', e.field)


class TestHostileFile(octavia_fakes.ResolveCase):
    def test_unreferenced_path_of_a_huge_index(self):
        field = 'listeners[%s].default_pool' % ('9' * 5000)
        e = self.assertRaises(
            exceptions.UnresolvedReference,
            self.resolve,
            params(address='10.0.0.5'),
            [field],
        )
        self.assertEqual(
            (field, _octavia_file.UNNAMED_POOL), (e.field, e.problem)
        )


class TestFlavorAndProvider(octavia_fakes.ResolveCase):
    def test_flavor_by_name(self):
        flavor = self.conn.add('lb_flavor', name='small')
        p = params(address='10.0.0.5')
        p['flavor'] = 'small'
        found, _ = self.resolve(p)
        self.assertEqual(flavor.id, found['attrs']['flavor_id'])
        p['flavor'] = 'large'
        e = self.assertRaises(exceptions.UnresolvedReference, self.resolve, p)
        self.assertEqual(
            (
                'flavor',
                "load balancer flavor 'large' not found in the destination",
            ),
            (e.field, e.problem),
        )

    def test_lists_refused(self):
        forbidden = sdk_exceptions.ForbiddenException('no')
        self.conn.fail('load_balancer.flavors', forbidden)
        self.conn.fail('load_balancer.providers', forbidden)
        p = params(address='10.0.0.5')
        p['provider'] = 'ovn'
        # the provider is left to Octavia's create
        self.resolve(p)
        p['flavor'] = 'small'
        e = self.assertRaises(exceptions.UnresolvedReference, self.resolve, p)
        self.assertEqual(
            "cannot look load balancer flavor 'small' up: the user may not "
            'list flavors',
            e.problem,
        )
