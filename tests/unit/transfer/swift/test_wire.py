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


from oslotest import base

from osmigrateclient.transfer.swift import wire


class TestPaths(base.BaseTestCase):
    def test_paths_are_quoted(self):
        self.assertEqual('/a%20b', wire.container_path('a b'))
        self.assertEqual(
            '/c/d%2F..%3F%2F%C3%A9', wire.object_path('c', 'd/..?/é')
        )
        self.assertEqual('/%2E/%2E%2E', wire.object_path('.', '..'))
