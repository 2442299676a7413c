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

"""The values of entries: emptiness, sameness, plain copies, stable lists."""

import datetime

from oslotest import base

from osmigrateclient.resources import _values as values


class TestValues(base.BaseTestCase):
    def test_is_empty(self):
        for value in (None, '', [], {}):
            self.assertTrue(values.is_empty(value), value)
        for value in (0, False, 'x', [None], {'a': 1}):
            self.assertFalse(values.is_empty(value), value)

    def test_same(self):
        self.assertTrue(values.same(None, ''))
        self.assertTrue(values.same([], None))
        self.assertTrue(values.same('', []))
        self.assertTrue(values.same({}, None))
        self.assertTrue(values.same('a', 'a'))
        self.assertFalse(values.same('a', 'b'))
        self.assertFalse(values.same(0, None))
        self.assertFalse(values.same(False, None))
        self.assertFalse(values.same(['a'], []))

    def test_plain(self):
        when = datetime.datetime(2024, 1, 2, 3, 4, 5)
        self.assertEqual(
            {
                'a': [1, 'x', None, True, 1.5],
                '2': {'b': '2024-01-02 03:04:05'},
            },
            values.plain({'a': (1, 'x', None, True, 1.5), 2: {'b': when}}),
        )
        self.assertEqual(['only'], values.plain({'only'}))

    def test_sort_list(self):
        self.assertEqual(['a', 'b', 'c'], values.sort_list(['c', 'a', 'b']))
        self.assertEqual(
            [{'start': '10.0.0.2'}, {'start': '10.0.0.9'}],
            values.sort_list([{'start': '10.0.0.9'}, {'start': '10.0.0.2'}]),
        )
        self.assertEqual('x', values.sort_list('x'))
        self.assertIsNone(values.sort_list(None))
