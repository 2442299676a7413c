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
import types

import fixtures
from oslotest import base

from osmigrateclient.v1 import workload
from osmigrateclient.workload import estimate
from osmigrateclient.workload import journal
from osmigrateclient.workload import sync_journal


class TestWorkloadStatus(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path

    def status(self, *argv):
        app = types.SimpleNamespace(stdout=io.StringIO(), options=None)
        cmd = workload.WorkloadStatus(app, None)
        args = cmd.get_parser('openstack migrate workload status').parse_args(
            ['--data-dir', self.dir] + list(argv)
        )
        return cmd.take_action(args)

    def test_copied_and_sent(self):
        j = journal.Journal(self.dir, 'src-1', 'web')
        j.update_step(
            'volume:v1',
            state=journal.DONE,
            copy={'bytes': 1073741824, 'bytes_sent': 6291456},
        )
        j.update_step(
            'boot_disk',
            state=journal.DONE,
            copy={'bytes': 1073741824, 'bytes_sent': None},
        )
        # A step under way counts for neither.
        j.update_step('volume:v2', copy={'bytes': 5, 'bytes_sent': 5})
        j.set(phase='done', dest_id='dst-1')
        journal.Journal(self.dir, 'src-2', 'db').set(phase='running')
        columns, rows = self.status()
        self.assertEqual(
            (
                'Name',
                'Source ID',
                'Phase',
                'Step',
                'Copied',
                'Sent',
                'Sync Passes',
                'Last Sync',
                'Downtime',
                'Destination ID',
                'Error',
            ),
            columns,
        )
        self.assertEqual(
            [
                (
                    'db',
                    'src-2',
                    'running',
                    None,
                    0,
                    0,
                    0,
                    None,
                    None,
                    None,
                    None,
                ),
                (
                    'web',
                    'src-1',
                    'done',
                    None,
                    2147483648,
                    6291456,
                    0,
                    None,
                    None,
                    'dst-1',
                    None,
                ),
            ],
            rows,
        )
        _, rows = self.status('--name', 'web')
        self.assertEqual(['web'], [r[0] for r in rows])

    def test_sync_passes_and_downtime(self):
        sj = sync_journal.Journal(self.dir, 'src-1', 'web')
        sj.update('v1', passes=3, last={'at': '2026-12-05T10:00:00Z'})
        sj.update('v2', passes=3, last={'at': '2026-12-05T10:00:09Z'})
        sync_journal.Journal(self.dir, 'src-2', 'db').update('v3', passes=1)
        j = journal.Journal(self.dir, 'src-1', 'web')
        j.set(phase='done', dest_id='dst-1', downtime_seconds=7.5)
        _, rows = self.status()
        self.assertEqual(
            [
                ('db', 'src-2', 'synced', 1, None, None, None),
                (
                    'web',
                    'src-1',
                    'done',
                    3,
                    '2026-12-05T10:00:09Z',
                    7.5,
                    'dst-1',
                ),
            ],
            [(r[0], r[1], r[2], r[6], r[7], r[8], r[9]) for r in rows],
        )


class TestPerHost(base.BaseTestCase):
    def test_import_and_sync(self):
        for cls in (workload.ImportWorkload, workload.SyncWorkload):
            parser = cls(None, None).get_parser('openstack migrate workload')
            args = parser.parse_args(['--data-dir', 'd'])
            self.assertEqual(2, args.per_host)
            args = parser.parse_args(['--data-dir', 'd', '--per-host', '3'])
            self.assertEqual(3, args.per_host)


class TestWaveLine(base.BaseTestCase):
    def test_the_pool_caps_the_copies(self):
        wave = [estimate.ServerEstimate('a', 'a', 1, 8 * estimate.GiB, None)]
        rate = 100 * estimate.MiB
        self.assertEqual(
            '1 server(s) to import, 1 volume(s), 8.0 GiB; about 0:01:22 of '
            'copy at --parallel 8, 2 copies at once on 1 pair(s) of '
            'conversion hosts (100 MiB/s per copy, --throughput)',
            workload._wave_line(wave, rate, '--throughput', 8, 2, 1),
        )
        self.assertEqual(
            '1 server(s) to import, 1 volume(s), 8.0 GiB; about 0:01:22 of '
            'copy at --parallel 2 (100 MiB/s per copy, --throughput)',
            workload._wave_line(wave, rate, '--throughput', 2, 2, 1),
        )
