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


import fixtures
from oslotest import base

from osmigrateclient.transfer.swift import large
from osmigrateclient.transfer.swift import records
from tests.unit.transfer.swift import fakes


class TestRecords(base.BaseTestCase):
    def test_record_of_listing_and_head(self):
        self.assertEqual(
            {
                'name': 'a',
                'hash': 'h',
                'bytes': 3,
                'content_type': 'text/plain',
                'last_modified': 't',
                'metadata': {'k': 'é'},
                'delete_at': 99,
            },
            records.record_of(
                {
                    'name': 'a',
                    'hash': 'h',
                    'bytes': 3,
                    'content_type': 'text/plain',
                    'last_modified': 't',
                },
                {
                    'X-Object-Meta-K': 'é'.encode().decode('latin-1'),
                    'X-Delete-At': '99',
                },
            ),
        )

    def test_slo_is_known_by_its_slo_etag(self):
        rec = records.record_of(
            {
                'name': 'big',
                'hash': 'manifest-md5; s3_etag=x',
                'slo_etag': '"segs"',
                'bytes': 10,
                'content_type': 'a/b;swift_bytes=10',
            },
            {},
            [{'path': '/s/1', 'etag': 'e', 'size_bytes': 10}],
        )
        self.assertEqual(
            ('segs', 'a/b', large.SLO),
            (rec['hash'], rec['content_type'], large.large_kind(rec)),
        )

    def test_export_heads_only_new_or_changed_objects(self):
        conn = fakes.FakeSwift()
        for i in range(5):
            conn.add('c', 'o%d' % i, b'x' * i, **{'X-Object-Meta-N': str(i)})
        first = records.records(conn, 'c', {}, workers=3)
        self.assertEqual(
            [{'n': str(i)} for i in range(5)], [r['metadata'] for r in first]
        )
        self.assertEqual(6, len(conn.requests))  # a listing, 5 HEADs
        conn.requests.clear()
        conn.add('c', 'o2', b'changed')
        again = records.records(conn, 'c', {r['name']: r for r in first})
        self.assertEqual([('GET', '/c'), ('HEAD', '/c/o2')], conn.requests)
        self.assertEqual(fakes.md5(b'changed'), again[2]['hash'])
        self.assertEqual(first[:2] + first[3:], again[:2] + again[3:])

    def test_listing_is_paged(self):
        conn = fakes.FakeSwift(page=2)
        self.useFixture(fixtures.MockPatchObject(records, 'LIST_PAGE', 2))
        for i in range(5):
            conn.add('c', 'o%d' % i, b'')
        self.assertEqual(
            ['o0', 'o1', 'o2', 'o3', 'o4'],
            [i['name'] for i in records.list_objects(conn, 'c')],
        )
        self.assertEqual(3, len(conn.requests))
