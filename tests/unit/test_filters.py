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

import argparse

from osc_lib import exceptions
from oslotest import base

from osmigrateclient import filters


class TestNameFilter(base.BaseTestCase):
    def test_no_filter_matches_all(self):
        match = filters.NameFilter()
        self.assertFalse(match)
        for name in ('net1', '', None, 'anything'):
            self.assertTrue(match(name))

    def test_exact_name(self):
        match = filters.NameFilter(names=['net1'])
        self.assertTrue(match)
        self.assertTrue(match('net1'))
        self.assertFalse(match('net10'))
        self.assertFalse(match('xnet1'))
        self.assertFalse(match('NET1'))
        self.assertFalse(match(None))
        self.assertFalse(match(''))

    def test_regex_uses_search(self):
        match = filters.NameFilter(regexes=['net'])
        self.assertTrue(match('net1'))
        self.assertTrue(match('my-net'))
        self.assertFalse(match('subnot'))
        anchored = filters.NameFilter(regexes=['^net[0-9]$'])
        self.assertTrue(anchored('net1'))
        self.assertFalse(anchored('net10'))
        self.assertFalse(anchored('a-net1'))

    def test_regex_on_no_name(self):
        self.assertTrue(filters.NameFilter(regexes=['^$'])(None))
        self.assertFalse(filters.NameFilter(regexes=['.'])(None))

    def test_several(self):
        match = filters.NameFilter(
            names=['a', 'b'], regexes=['^prod-', 'test$']
        )
        self.assertEqual(
            ['a', 'b', 'prod-x', 'unit-test'],
            [
                n
                for n in ('a', 'b', 'c', 'prod-x', 'x-prod-', 'unit-test')
                if match(n)
            ],
        )

    def test_invalid_regex(self):
        e = self.assertRaises(
            exceptions.CommandError,
            filters.NameFilter,
            [],
            ['ok', '(x'],
        )
        self.assertEqual(
            "--name-regex '(x': invalid regular expression: missing ), "
            'unterminated subpattern at position 0',
            str(e),
        )


class TestArguments(base.BaseTestCase):
    def parse(self, argv):
        parser = argparse.ArgumentParser()
        filters.add_arguments(parser, 'networks')
        return parser.parse_args(argv)

    def test_defaults(self):
        args = self.parse([])
        self.assertEqual([], args.names)
        self.assertEqual([], args.name_regexes)
        self.assertFalse(filters.NameFilter.from_args(args))

    def test_repeated(self):
        args = self.parse(['--name', 'a', '--name', 'b', '--name-regex', '^c'])
        self.assertEqual(['a', 'b'], args.names)
        self.assertEqual(['^c'], args.name_regexes)
        match = filters.NameFilter.from_args(args)
        self.assertEqual(
            ['a', 'b', 'cc'], [n for n in ('a', 'b', 'cc', 'dc') if match(n)]
        )

    def test_defaults_not_shared(self):
        # argparse appends to the default list: a second parse must not
        # see the names of the first one.
        self.parse(['--name', 'a'])
        self.assertEqual([], self.parse([]).names)

    def test_help_names_what(self):
        parser = argparse.ArgumentParser()
        filters.add_arguments(parser, 'networks')
        self.assertIn(
            'Only networks with this exact name', parser.format_help()
        )
