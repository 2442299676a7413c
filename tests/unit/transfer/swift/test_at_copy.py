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

"""Objects exported with --metadata-at-copy: recorded from the listing
alone, their metadata read by the import's GET of the source."""

import io
import os
import time

import fixtures
from oslotest import base

from osmigrateclient import progress
from osmigrateclient.transfer.swift import records
from osmigrateclient.transfer.swift import state as swift_state
from osmigrateclient.transfer.swift import work as swift_work
from tests.unit.transfer.swift import fakes

LATER = str(int(time.time()) + 86400)


class TestExport(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.src = fakes.FakeSwift()
        self.src.store['c'] = {'headers': {}, 'o': {}}
        self.src.add('c', 'a', b'aaa', 'text/x', **{'X-Object-Meta-K': 'v'})
        self.src.add('c', 'b', b'bb', **{'X-Delete-At': LATER})
        self.src.add('c', 'empty', b'', **{'X-Object-Meta-E': '1'})

    def test_plain_objects_from_the_listing_alone(self):
        recs = records.records(self.src, 'c', {}, at_copy=True)
        # One listing, and a HEAD of the empty object only (it may be a
        # dynamic large object's manifest).
        self.assertEqual(
            [('GET', '/c'), ('HEAD', '/c/empty')], self.src.requests
        )
        self.assertEqual(
            [
                ('a', True, 'text/x', None),
                ('b', True, 'text/plain', None),
                ('empty', None, 'text/plain', {'e': '1'}),
            ],
            [
                (
                    r['name'],
                    r.get('at_copy'),
                    r['content_type'],
                    r.get('metadata'),
                )
                for r in recs
            ],
        )
        self.assertNotIn('delete_at', recs[1])

    def test_at_copy_records_are_not_reused_without_the_option(self):
        known = {
            r['name']: r
            for r in records.records(self.src, 'c', {}, at_copy=True)
        }
        self.src.requests.clear()
        recs = records.records(self.src, 'c', known)
        self.assertEqual(
            ['/c', '/c/a', '/c/b'], [p for _, p in self.src.requests]
        )
        self.assertEqual([None] * 3, [r.get('at_copy') for r in recs])
        self.assertEqual(int(LATER), recs[1]['delete_at'])
        # With it, records of either kind are taken again: one listing.
        self.src.requests.clear()
        again = records.records(
            self.src, 'c', {r['name']: r for r in recs}, at_copy=True
        )
        self.assertEqual([('GET', '/c')], self.src.requests)
        self.assertEqual(recs, again)

    def test_filled(self):
        [rec] = records.records(self.src, 'c', {}, at_copy=True)[:1]
        rec = dict(rec, metadata={'stale': 'x'})
        full = records.filled(
            rec,
            {
                'Content-Type': 'a/b;swift_bytes=3',
                'X-Object-Meta-K': 'w',
                'X-Delete-At': '7',
                'Content-Encoding': 'gzip',
            },
        )
        self.assertEqual(
            {
                'name': 'a',
                'hash': rec['hash'],
                'bytes': 3,
                'content_type': 'a/b',
                'last_modified': rec['last_modified'],
                'at_copy': True,
                'metadata': {'k': 'w'},
                'delete_at': 7,
                'headers': {'content-encoding': 'gzip'},
            },
            full,
        )
        self.assertEqual(
            swift_work.wanted_digest(rec), swift_work.wanted_digest(full)
        )

    def test_digest_follows_the_source_last_write(self):
        rec = {'name': 'a', 'hash': 'h', 'bytes': 1, 'at_copy': True}
        one = swift_work.wanted_digest(dict(rec, last_modified='t1'))
        self.assertNotEqual(
            one, swift_work.wanted_digest(dict(rec, last_modified='t2'))
        )
        # (and not the digest of a record with its metadata)
        self.assertNotEqual(
            one,
            swift_work.wanted_digest(
                {'name': 'a', 'hash': 'h', 'bytes': 1, 'last_modified': 't1'}
            ),
        )


class TestImport(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        self.src, self.dst = fakes.FakeSwift(), fakes.FakeSwift()
        self.src.store['c'] = {'headers': {}, 'o': {}}
        self.dst.store['c'] = {'headers': {}, 'o': {}}
        for i in range(1, 5):
            self.src.add(
                'c',
                'o%d' % i,
                os.urandom(10 * i),
                'type/%d' % i,
                **{'X-Object-Meta-N': str(i), 'X-Delete-At': LATER},
            )
        self.progress = progress.Progress(io.StringIO(), bar=False)

    def export(self, known=None):
        return records.records(
            self.src,
            'c',
            {r['name']: r for r in known or []},
            at_copy=True,
        )

    def run_import(self, wanted, source=True):
        return fakes.import_into(
            self.dst,
            self.src if source else None,
            self.data_dir,
            wanted,
            2,
            self.progress,
        )

    def test_copy_with_the_metadata_of_the_get_then_nothing(self):
        wanted = self.export()
        self.src.requests.clear()
        work, result = self.run_import(wanted)
        self.assertEqual(
            (4, 0, []), (result.copied, result.updated, result.failures)
        )
        for name, obj in self.src.store['c']['o'].items():
            got = self.dst.store['c']['o'][name]
            self.assertEqual(
                (obj['data'], obj['ctype'], obj['headers']),
                (got['data'], got['ctype'], got['headers']),
            )
        # The GET of the bytes and nothing else of the source.
        self.assertEqual(
            ['GET'] * 4, [m for m, _ in self.src.requests], self.src.requests
        )
        # Again: one listing of the destination, nothing of the source.
        self.src.requests.clear()
        self.dst.requests.clear()
        work, result = self.run_import(wanted)
        self.assertEqual(4, len(work.same))
        self.assertEqual([('GET', '/c')], self.dst.requests)
        self.assertEqual([], self.src.requests)

    def test_source_metadata_changed_then_exported_again(self):
        wanted = self.export()
        self.run_import(wanted)
        self.src.post('/c/o2', headers={'X-Object-Meta-N': 'new'})
        wanted = self.export(wanted)
        self.src.requests.clear()
        self.dst.requests.clear()
        work, result = self.run_import(wanted)
        self.assertEqual(['o2'], [r['name'] for r in work.fix])
        self.assertEqual((0, 1), (result.copied, result.updated))
        self.assertEqual(3, len(work.same))
        # One HEAD of the source for the object to check.
        self.assertEqual([('HEAD', '/c/o2')], self.src.requests)
        self.assertEqual(
            [
                ('GET', '/c'),
                ('HEAD', '/c/o2'),
                ('POST', '/c/o2'),
                ('GET', '/c'),
            ],
            self.dst.requests,
        )
        self.assertEqual(
            {'X-Object-Meta-N': 'new', 'X-Delete-At': LATER},
            self.dst.store['c']['o']['o2']['headers'],
        )
        # Again: nothing.
        self.src.requests.clear()
        self.dst.requests.clear()
        work, _ = self.run_import(wanted)
        self.assertEqual(4, len(work.same))
        self.assertEqual([], self.src.requests)
        self.assertEqual([], self.dst.writes())

    def test_same_bytes_not_vouched_are_verified_against_the_source(self):
        wanted = self.export()
        self.run_import(wanted)
        os.unlink(
            swift_state.State(self.data_dir, self.dst.get_endpoint(), 'c').path
        )
        self.src.requests.clear()
        self.dst.requests.clear()
        work, result = self.run_import(wanted)
        self.assertEqual(4, len(work.verified))
        self.assertEqual(['HEAD'] * 4, [m for m, _ in self.src.requests])
        self.assertEqual([], self.dst.writes())
        # The records verified are filled with the source's metadata.
        self.assertEqual(
            {'n': '1'},
            sorted(work.verified, key=lambda r: r['name'])[0]['metadata'],
        )

    def test_gone_or_expired_in_the_source_are_not_sent(self):
        wanted = self.export()
        del self.src.store['c']['o']['o1']
        self.src.store['c']['o']['o2']['headers']['X-Delete-At'] = '10'
        work, result = self.run_import(wanted)
        self.assertEqual(
            (2, 2, []), (result.copied, result.gone, result.failures)
        )
        self.assertEqual(['o3', 'o4'], sorted(self.dst.store['c']['o']))
        # Same bytes, not vouched, expired since: not fixed either.
        self.src.store['c']['o']['o3']['headers']['X-Delete-At'] = '10'
        os.unlink(
            swift_state.State(self.data_dir, self.dst.get_endpoint(), 'c').path
        )
        work, result = self.run_import(wanted)
        self.assertEqual(['o3'], [r['name'] for r in work.expired])
        self.assertEqual(['o4'], [r['name'] for r in work.verified])

    def test_without_a_source(self):
        wanted = self.export()
        _, result = self.run_import(wanted, source=False)
        self.assertEqual(4, len(result.failures))
        self.assertIn(
            "object 'o1' was exported with --metadata-at-copy: import with "
            '--src-cloud <cloud>',
            sorted(result.failures)[0],
        )
        self.assertEqual([], self.dst.writes())

    def test_plan_cannot_compare_without_a_source(self):
        wanted = self.export()
        self.run_import(wanted)
        self.src.post('/c/o2', headers={'X-Object-Meta-N': 'new'})
        wanted = self.export(wanted)
        state = swift_state.State(self.data_dir, self.dst.get_endpoint(), 'c')
        listing = {i['name']: i for i in records.list_objects(self.dst, 'c')}
        work = swift_work.classify(wanted, listing, state.read())
        self.src.requests.clear()
        self.dst.requests.clear()
        work = swift_work.look(self.dst, 'c', work, 2)
        # (what an import would look at: said to be updated)
        self.assertEqual(['o2'], [r['name'] for r in work.fix])
        self.assertEqual([], self.src.requests + self.dst.requests)

    def test_become_a_large_object_since_the_export(self):
        wanted = self.export()
        self.src.store['c']['o']['o1']['headers']['X-Object-Manifest'] = 'c/x'
        _, result = self.run_import(wanted)
        self.assertEqual(
            (
                3,
                [
                    "object 'o1' is now a large object in the source: export "
                    'it again'
                ],
            ),
            (result.copied, result.failures),
        )
