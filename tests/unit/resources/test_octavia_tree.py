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

from osmigrateclient.resources import _octavia_tree


class TestKeys(base.BaseTestCase):
    def test_keys(self):
        self.assertEqual(
            ['a', '(HTTP pool 1)', '(TCP pool 1)', '(HTTP pool 2)'],
            _octavia_tree.pool_keys(
                [
                    {'name': 'a', 'protocol': 'HTTP'},
                    {'name': '', 'protocol': 'HTTP'},
                    {'name': None, 'protocol': 'TCP'},
                    {'protocol': 'HTTP'},
                ]
            ),
        )
        self.assertEqual(
            '(TCP:443)',
            _octavia_tree.listener_key(
                {'protocol': 'TCP', 'protocol_port': 443}
            ),
        )
        self.assertEqual(
            '(10.0.0.1:80)',
            _octavia_tree.member_key(
                {'address': '10.0.0.1', 'protocol_port': 80}
            ),
        )
        self.assertEqual(
            '(position 2)', _octavia_tree.policy_key({'position': 2})
        )
