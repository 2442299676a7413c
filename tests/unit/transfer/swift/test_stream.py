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


import io
import os

import fixtures
from oslotest import base

from osmigrateclient import progress
from osmigrateclient.transfer.swift import records
from osmigrateclient.transfer.swift import state as swift_state
from osmigrateclient.transfer.swift import work as swift_work
from tests.unit.transfer.swift import fakes


class TestImport(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        self.src, self.dst = fakes.FakeSwift(), fakes.FakeSwift()
        self.src.store['c'] = {'headers': {}, 'o': {}}
        self.dst.store['c'] = {'headers': {}, 'o': {}}
        for i in range(6):
            self.src.add(
                'c',
                'd/o%d' % i,
                os.urandom(100 * i),
                **{'X-Object-Meta-N': str(i)},
            )
        self.wanted = records.records(self.src, 'c', {})
        self.progress = progress.Progress(io.StringIO(), bar=False)

    def run_import(self, wanted=None, workers=3):
        return fakes.import_into(
            self.dst,
            self.src,
            self.data_dir,
            wanted or self.wanted,
            workers,
            self.progress,
            now=0,
        )

    def test_copy_then_nothing(self):
        work, result = self.run_import()
        self.assertEqual(
            (6, 0, []), (result.copied, result.updated, result.failures)
        )
        for name, obj in self.src.store['c']['o'].items():
            got = self.dst.store['c']['o'][name]
            self.assertEqual(
                (obj['data'], obj['ctype'], obj['headers']),
                (got['data'], got['ctype'], got['headers']),
            )
        # Again: one listing, no HEAD, no write.
        self.dst.requests.clear()
        work, result = self.run_import()
        self.assertEqual(6, len(work.same))
        self.assertEqual([('GET', '/c')], self.dst.requests)

    def test_resumes_after_a_failure(self):
        self.dst.fail_puts_after = 2
        _, result = self.run_import(workers=1)
        self.assertEqual(2, result.copied)
        self.assertEqual(4, len(result.failures))
        self.assertIn('503', result.failures[0])
        self.dst.fail_puts_after = None
        self.dst.requests.clear()
        work, result = self.run_import()
        self.assertEqual((4, 2), (len(work.copy), len(work.same)))
        self.assertEqual(4, len([r for r in self.dst.writes()]))

    def test_metadata_changed_in_the_destination(self):
        self.run_import()
        self.dst.post('/c/d/o3', headers={'X-Object-Meta-N': 'other'})
        self.dst.requests.clear()
        work, result = self.run_import()
        self.assertEqual(['d/o3'], [r['name'] for r in work.fix])
        self.assertEqual(
            [
                ('GET', '/c'),
                ('HEAD', '/c/d%2Fo3'),
                ('POST', '/c/d%2Fo3'),
                ('GET', '/c'),
            ],
            self.dst.requests,
        )
        self.assertEqual(
            {'X-Object-Meta-N': '3'},
            self.dst.store['c']['o']['d/o3']['headers'],
        )

    def test_edited_metadata_in_the_file(self):
        self.run_import()
        wanted = [dict(r) for r in self.wanted]
        wanted[1]['metadata'] = {'n': 'edited'}
        wanted[1]['delete_at'] = 5000
        work, _ = self.run_import(wanted)
        self.assertEqual(['d/o1'], [r['name'] for r in work.fix])
        self.assertEqual(
            {'X-Object-Meta-N': 'edited', 'X-Delete-At': '5000'},
            self.dst.store['c']['o']['d/o1']['headers'],
        )

    def test_changed_source_bytes_are_refused(self):
        self.src.add('c', 'd/o2', b'not what was exported')
        _, result = self.run_import()
        self.assertEqual(1, len(result.failures))
        self.assertIn("object 'd/o2': the bytes read", result.failures[0])
        self.assertNotIn('d/o2', self.dst.store['c']['o'])

    def test_expired_objects_are_not_sent(self):
        wanted = [dict(self.wanted[0], delete_at=10)]
        state = swift_state.State(self.data_dir, 'x', 'c')
        work = swift_work.classify(wanted, {}, state.read(), now=11)
        self.assertEqual(wanted, work.expired)
        self.assertEqual([], work.copy)
