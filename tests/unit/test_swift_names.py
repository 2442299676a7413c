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

"""What a data file may say of Swift."""

from oslotest import base

from osmigrateclient import swift_names
from tests.unit.transfer.swift import fakes


class TestNames(base.BaseTestCase):
    def test_container_names(self):
        self.assertIsNone(swift_names.container_name_problem('c1 é'))
        for bad, problem in (
            ('', "must be a non-empty string, not ''"),
            (5, 'must be a non-empty string, not 5'),
            (
                'a/b',
                'a container name has no "/" nor control characters: \'a/b\'',
            ),
            (
                'a\nb',
                'a container name has no "/" nor control characters: '
                "'a\\nb'",
            ),
            ('x' * 257, 'a container name has at most 256 bytes'),
        ):
            self.assertEqual(problem, swift_names.container_name_problem(bad))

    def test_object_names(self):
        # '/' and '..' are fine in Swift: names never become paths.
        self.assertIsNone(swift_names.object_name_problem('../a/b/../c'))
        self.assertEqual(
            "an object name has no control characters: 'a\\x00'",
            swift_names.object_name_problem('a\x00'),
        )
        self.assertEqual(
            'an object name has at most 1024 bytes',
            swift_names.object_name_problem('é' * 513),
        )


class TestRecords(base.BaseTestCase):
    def test_record_problems(self):
        good = {'name': 'a', 'hash': fakes.md5(b''), 'bytes': 0}
        self.assertIsNone(swift_names.record_problem(good))
        for change, expected in (
            ({'name': ''}, ('name', "must be a non-empty string, not ''")),
            ({'bytes': -1}, ('bytes', 'must be a whole number, not -1')),
            (
                {'delete_at': 1.5},
                ('delete_at', 'must be a whole number, not 1.5'),
            ),
            (
                {'hash': 'a\r\nX-Evil: 1'},
                (
                    'hash',
                    'a header value has no line break nor NUL: '
                    "'a\\r\\nX-Evil: 1'",
                ),
            ),
            (
                {'metadata': {'a b': 'c'}},
                ('metadata', "not a header name: 'a b'"),
            ),
            (
                {'headers': {'x-auth-token': 't'}},
                (
                    'headers',
                    'not one of cache-control, content-disposition, '
                    'content-encoding, content-language, expires, '
                    "x-robots-tag: 'x-auth-token'",
                ),
            ),
        ):
            self.assertEqual(
                expected, swift_names.record_problem(dict(good, **change))
            )
