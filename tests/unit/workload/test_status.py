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

"""Where each server stands: the import and sync journals merged."""

import fixtures
from oslotest import base

from osmigrateclient.workload import journal
from osmigrateclient.workload import status
from osmigrateclient.workload import sync_journal


def _every(name):
    return True


class TestCopied(base.BaseTestCase):
    def test_finished_steps_only(self):
        steps = {
            'boot_disk': {'state': journal.DONE, 'copy': {'bytes': 3}},
            'volume:v1': {
                'state': journal.DONE,
                'copy': {'bytes': 4, 'bytes_sent': 1},
            },
            'volume:v2': {'copy': {'bytes': 5, 'bytes_sent': 5}},
            'ports': {'state': journal.DONE},
        }
        self.assertEqual(7, status.copied(steps))
        self.assertEqual(1, status.copied(steps, 'bytes_sent'))
        self.assertEqual(0, status.copied(None))


class TestStandings(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path

    def test_imported_and_synced_by_name(self):
        j = journal.Journal(self.dir, 'src-1', 'web')
        j.update_step(
            'volume:v1', state=journal.DONE, copy={'bytes': 8, 'bytes_sent': 2}
        )
        j.set(phase='failed', step='server', error='no room')
        sync_journal.Journal(self.dir, 'src-2', 'db').update(
            'v3', passes=2, last={'at': '2026-12-05T10:00:00Z'}
        )
        self.assertEqual(
            [
                status.Standing(
                    'db',
                    'src-2',
                    'synced',
                    None,
                    0,
                    0,
                    2,
                    '2026-12-05T10:00:00Z',
                    None,
                    None,
                    None,
                ),
                status.Standing(
                    'web',
                    'src-1',
                    'failed',
                    'server',
                    8,
                    2,
                    0,
                    None,
                    None,
                    None,
                    'no room',
                ),
            ],
            status.standings(self.dir, _every),
        )
        self.assertEqual(
            ['web'],
            [s.name for s in status.standings(self.dir, lambda n: n == 'web')],
        )

    def test_no_journals(self):
        self.assertEqual([], status.standings(self.dir, _every))

    def test_synced_with_ports_made_ahead(self):
        # a sync wrote the import journal's port step, no phase
        journal.Journal(self.dir, 'src-2', 'db').update_step(
            'ports', created={'p1': 'd1'}
        )
        sync_journal.Journal(self.dir, 'src-2', 'db').update(
            'v3', passes=1, last={'at': '2026-12-05T10:00:00Z'}
        )
        [standing] = status.standings(self.dir, _every)
        self.assertEqual(
            ('db', 'synced', None, 1),
            (
                standing.name,
                standing.phase,
                standing.step,
                standing.sync_passes,
            ),
        )
