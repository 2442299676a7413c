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

"""The registry of resource types (osmigrateclient/resources/__init__.py).

Other types are added next to network; these tests hold for any set of
them.
"""

from unittest import mock

from oslotest import base

from osmigrateclient import resources
from osmigrateclient.resources import _listers as listers
from osmigrateclient.resources import base as resource_base
from osmigrateclient.resources import network


class Fake(resource_base.Resource):
    def __init__(self, cli_name, depends_on=(), rank=100):
        self.cli_name = cli_name
        self.type = 'fake.' + cli_name
        self.depends_on = depends_on
        self.rank = rank


class TestRegistry(base.BaseTestCase):
    def test_network_found(self):
        every = resources.by_cli_name()
        self.assertIn('network', every)
        self.assertIsInstance(every['network'], network.Network)
        self.assertIs(every['network'], resources.get('network'))
        self.assertIs(
            every['network'], resources.by_type()['openstack.network.Network']
        )

    def test_not_resources_skipped(self):
        names = set(resources.by_cli_name())
        self.assertNotIn('base', names)
        self.assertNotIn('refs', names)

    def test_every_type_consistent(self):
        every = resources.by_cli_name()
        types = [r.type for r in every.values()]
        self.assertEqual(len(types), len(set(types)))
        files = [r.file_name for r in every.values()]
        self.assertEqual(len(files), len(set(files)))
        for cli_name, res in every.items():
            self.assertIsInstance(res, resource_base.Resource)
            self.assertEqual(cli_name, res.cli_name)
            self.assertIn(res.kind, listers.LISTERS, cli_name)
            self.assertTrue(res.file_name.endswith('.yml'), cli_name)
            for dep in res.depends_on:
                self.assertIn(dep, every, cli_name)

    def test_get_unknown(self):
        self.assertRaises(KeyError, resources.get, 'no such thing')

    def test_cached(self):
        self.assertIs(resources.by_cli_name(), resources.by_cli_name())

    def test_in_order_dependencies_first(self):
        ordered = resources.in_order()
        names = [r.cli_name for r in ordered]
        self.assertEqual(sorted(resources.by_cli_name()), sorted(names))
        for i, res in enumerate(ordered):
            for dep in res.depends_on:
                self.assertLess(names.index(dep), i, (res.cli_name, dep))

    def test_in_order_some(self):
        self.assertEqual(
            [resources.get('network')], resources.in_order(['network'])
        )
        self.assertEqual([], resources.in_order([]))

    def test_in_order_some_keeps_dependency_order(self):
        every = resources.by_cli_name()
        for name, res in every.items():
            for dep in res.depends_on:
                self.assertEqual(
                    [dep, name],
                    [r.cli_name for r in resources.in_order([name, dep])],
                )


class TestInOrderAlgorithm(base.BaseTestCase):
    """in_order() over a made-up registry."""

    def order(self, fakes, names=None):
        with mock.patch.object(
            resources,
            'by_cli_name',
            return_value={f.cli_name: f for f in fakes},
        ):
            return [r.cli_name for r in resources.in_order(names)]

    def test_rank_then_name(self):
        self.assertEqual(
            ['b', 'a', 'c'],
            self.order([Fake('a', rank=20), Fake('b', rank=10), Fake('c')]),
        )
        self.assertEqual(
            ['a', 'b'], self.order([Fake('b', rank=5), Fake('a', rank=5)])
        )

    def test_dependency_beats_rank(self):
        self.assertEqual(
            ['c', 'b', 'a'],
            self.order(
                [
                    Fake('a', depends_on=('b',), rank=1),
                    Fake('b', depends_on=('c',), rank=2),
                    Fake('c', rank=50),
                ]
            ),
        )

    def test_unknown_dependency_ignored(self):
        self.assertEqual(
            ['a'], self.order([Fake('a', depends_on=('missing',))])
        )

    def test_cycle_terminates(self):
        result = self.order(
            [Fake('a', depends_on=('b',)), Fake('b', depends_on=('a',))]
        )
        self.assertEqual(['a', 'b'], sorted(result))

    def test_wanted_subset_in_order(self):
        self.assertEqual(
            ['c', 'a'],
            self.order(
                [Fake('a', depends_on=('c',)), Fake('b'), Fake('c', rank=500)],
                names=['a', 'c'],
            ),
        )
