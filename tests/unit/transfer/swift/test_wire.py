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


import testtools

from osmigrateclient.transfer.swift import wire


class TestNames(testtools.TestCase):
    def test_container_names(self):
        self.assertIsNone(wire.container_name_problem('c1 é'))
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
            self.assertEqual(problem, wire.container_name_problem(bad))

    def test_object_names(self):
        # '/' and '..' are fine in Swift: names never become paths.
        self.assertIsNone(wire.object_name_problem('../a/b/../c'))
        self.assertEqual(
            "an object name has no control characters: 'a\\x00'",
            wire.object_name_problem('a\x00'),
        )
        self.assertEqual(
            'an object name has at most 1024 bytes',
            wire.object_name_problem('é' * 513),
        )

    def test_paths_are_quoted(self):
        self.assertEqual('/a%20b', wire.container_path('a b'))
        self.assertEqual(
            '/c/d%2F..%3F%2F%C3%A9', wire.object_path('c', 'd/..?/é')
        )
        self.assertEqual('/%2E/%2E%2E', wire.object_path('.', '..'))
