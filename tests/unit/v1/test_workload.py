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
import testtools

from osmigrateclient.v1 import workload
from osmigrateclient.workload import journal


class TestWorkloadStatus(testtools.TestCase):
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
                'Destination ID',
                'Error',
            ),
            columns,
        )
        self.assertEqual(
            [
                ('db', 'src-2', 'running', None, 0, 0, None, None),
                (
                    'web',
                    'src-1',
                    'done',
                    None,
                    2147483648,
                    6291456,
                    'dst-1',
                    None,
                ),
            ],
            rows,
        )
        _, rows = self.status('--name', 'web')
        self.assertEqual(['web'], [r[0] for r in rows])
