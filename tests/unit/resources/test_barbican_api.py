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

from osmigrateclient import exceptions
from osmigrateclient.resources import _barbican_api
from tests.unit.resources.barbican_fakes import ENDPOINT


class TestIds(base.BaseTestCase):
    def test_href_uuid(self):
        id_ = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9'
        self.assertEqual(
            id_, _barbican_api.href_uuid(ENDPOINT + 'secrets/' + id_)
        )
        self.assertEqual(id_, _barbican_api.href_uuid(id_))
        for bad in (
            None,
            5,
            ENDPOINT + 'secrets/../x',
            id_.upper(),
            id_ + '/..',
            'http://evil/' + id_ + '?x=1',
        ):
            self.assertIsNone(_barbican_api.href_uuid(bad), bad)

    def test_checked_uuid(self):
        for bad in ('../../x', 'http://evil/x', 'abc', 5):
            e = self.assertRaises(
                exceptions.MigrateError, _barbican_api.checked_uuid, bad
            )
            self.assertEqual('_info.id', e.field)
            self.assertIn('must be a Barbican id (a UUID)', e.problem)
        e = self.assertRaises(
            exceptions.MigrateError, _barbican_api.checked_uuid, None
        )
        self.assertEqual(
            'missing: the source secret is read by its id', e.problem
        )
