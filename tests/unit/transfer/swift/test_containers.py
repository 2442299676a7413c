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

from osmigrateclient.transfer.swift import containers


class TestContainers(base.BaseTestCase):
    def test_params_from_headers(self):
        params = containers.container_params(
            {
                'X-Container-Meta-Color': 'blue',
                'X-Container-Meta-Temp-Url-Key': 'secret',
                'X-Container-Read': '.r:*',
                'X-Versions-Enabled': 'True',
                'X-Storage-Policy': 'gold',
            }
        )
        self.assertEqual(
            {
                'metadata': {'color': 'blue'},
                'read_acl': '.r:*',
                'write_acl': None,
                'versions_location': None,
                'history_location': None,
                'versions_enabled': True,
                'storage_policy': 'gold',
            },
            params,
        )

    def test_headers_of_a_create(self):
        self.assertEqual(
            {
                'X-Container-Meta-color': 'blue',
                'X-Container-Read': '.r:*',
                'X-Versions-Enabled': 'true',
                'X-Storage-Policy': 'gold',
            },
            containers.container_headers(
                {
                    'metadata': {'color': 'blue'},
                    'read_acl': '.r:*',
                    'write_acl': None,
                    'versions_enabled': True,
                    'storage_policy': 'gold',
                }
            ),
        )

    def test_headers_of_an_update(self):
        self.assertEqual(
            {
                'X-Container-Meta-color': 'red',
                'X-Remove-Container-Meta-size': 'x',
                'X-Remove-Container-Read': 'x',
            },
            containers.container_headers(
                {'metadata': {'color': 'red'}, 'read_acl': None},
                {'metadata': {'color': 'blue', 'size': 'L'}, 'read_acl': 'a'},
            ),
        )
