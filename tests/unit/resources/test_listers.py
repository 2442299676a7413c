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

"""The listers: one call per kind, asked again after a 404."""

from unittest import mock

import fixtures
from openstack import exceptions as sdk_exceptions
from oslotest import base

from osmigrateclient.resources import _listers as listers
from tests.unit import fakes


class TestListingRace(base.BaseTestCase):
    def conn_with(self, failures):
        conn = fakes.FakeConnection()
        calls = []

        def networks(conn):
            calls.append(1)
            if len(calls) <= failures:
                raise sdk_exceptions.NotFoundException(
                    'Security group x does not exist'
                )
            return ['listed']

        self.useFixture(
            fixtures.MockPatchObject(
                listers, 'LISTERS', dict(listers.LISTERS, network=networks)
            )
        )
        return conn, calls

    def test_a_404_of_a_list_is_asked_again(self):
        # What went meanwhile is not in the next answer.
        conn, calls = self.conn_with(failures=2)
        pauses = []
        self.assertEqual(
            ['listed'], listers.listed(conn, 'network', pauses.append)
        )
        self.assertEqual((3, [0.25, 0.5]), (len(calls), pauses))

    def test_not_forever(self):
        conn, calls = self.conn_with(failures=5)
        pauses = []
        self.assertRaises(
            sdk_exceptions.NotFoundException,
            listers.listed,
            conn,
            'network',
            pauses.append,
        )
        self.assertEqual((5, [0.25, 0.5, 1.0, 2.0]), (len(calls), pauses))


class TestImages(base.BaseTestCase):
    """One request where one page of images holds them all."""

    def conn(self, n):
        calls = []

        def images(**query):
            calls.append(query)
            if query.get('paginated') is False:
                return iter(range(min(n, query['limit'])))
            return iter(range(n))

        conn = mock.Mock()
        conn.image.images = images
        return conn, calls

    def test_a_short_page_is_all(self):
        conn, calls = self.conn(3)
        self.assertEqual([0, 1, 2], listers.images(conn))
        self.assertEqual([{'paginated': False, 'limit': 1000}], calls)

    def test_a_full_page_lists_them_all(self):
        conn, calls = self.conn(1500)
        self.assertEqual(1500, len(listers.images(conn)))
        self.assertEqual(
            [{'paginated': False, 'limit': 1000}, {'limit': 1000}], calls
        )
