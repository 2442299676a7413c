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

import fixtures
from oslotest import base

from osmigrateclient import progress as progress_mod


class TestProgress(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.useFixture(
            fixtures.MonkeyPatch('osmigrateclient.progress._REDRAW', 0)
        )
        self.out = io.StringIO()
        self.progress = progress_mod.Progress(self.out, bar=True)

    def test_parallel_meters_share_one_line(self):
        a = self.progress.start('vol-a', 100)
        b = self.progress.start('vol-b', 200)
        a.update(50)
        self.assertTrue(
            self.out.getvalue().startswith('\rvol-a 50% '), self.out.getvalue()
        )
        self.assertIn(' | vol-b 0% ', self.out.getvalue())
        self.out.seek(0)
        self.out.truncate()
        a.finish()
        lines = self.out.getvalue().split('\n')
        # a's closing line, then b alone on the shared line again
        self.assertTrue(lines[0].startswith('\rvol-a: 50 B in '), lines)
        self.assertTrue(lines[1].startswith('\rvol-b    0%  0 B/200 B'), lines)
        b.finish()
        self.assertEqual([], self.progress._active)

    def test_the_whole_run_leads_the_line(self):
        self.progress.expect(400)
        a = self.progress.start('vol-a', 100)
        b = self.progress.start('vol-b', 200)
        a.update(100)
        self.assertTrue(
            self.out.getvalue()
            .rsplit('\r', 1)[1]
            .startswith('all 25% 100 B/400 B '),
            self.out.getvalue(),
        )
        self.assertIn(' | vol-a 100% ', self.out.getvalue())
        self.out.seek(0)
        self.out.truncate()
        a.finish()
        b.update(100)
        closing, shared = self.out.getvalue().split('\n')
        # a's closing line says where the run stands; the shared line
        # counts a's bytes and b's so far
        self.assertIn(' [all 25% 100 B/400 B ', closing)
        self.assertTrue(
            shared.rsplit('\r', 1)[1].startswith('all 50% 200 B/400 B '),
            shared,
        )

    def test_without_bar_each_line_says_where_the_run_stands(self):
        progress = progress_mod.Progress(self.out, bar=False)
        progress.expect(20)
        meter = progress.start('vol-a', 10)
        meter.update(10)
        meter.finish()
        self.assertRegex(
            self.out.getvalue(),
            r'^vol-a: 10 B in [0-9.]+ s \(.*/s\) \[all 50% 10 B/20 B .*\]\n$',
        )

    def test_without_bar_one_line_per_transfer(self):
        progress = progress_mod.Progress(self.out, bar=False)
        meter = progress.start('vol-a', 10)
        meter.update(10)
        self.assertEqual('', self.out.getvalue())
        meter.finish('verified')
        self.assertRegex(
            self.out.getvalue(),
            r'^vol-a: 10 B in [0-9.]+ s \(.*/s\), verified\n$',
        )
