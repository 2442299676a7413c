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

"""The projects of an admin-driven run: projects.yml read and completed."""

import os
from unittest import mock

import fixtures
import testtools

from osmigrateclient import access
from osmigrateclient import access_projects
from osmigrateclient import datafile
from osmigrateclient import exceptions


def _project(name, project_id):
    return {
        'type': 'openstack.identity.Project',
        'params': {'name': name},
        '_info': {'id': project_id},
    }


class TestProjectsFile(testtools.TestCase):
    """The projects.yml that ``access grant --create-projects`` reads."""

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.path = os.path.join(self.dir, 'projects.yml')

    def test_no_file_no_projects(self):
        self.assertEqual([], access_projects.checked_projects(self.dir))

    def test_wrong_shape(self):
        entry = _project('alpha', 'p1')
        entry['params']['parent_ref'] = 5
        datafile.write(self.path, [entry])
        e = self.assertRaises(
            exceptions.MigrateError, access_projects.checked_projects, self.dir
        )
        self.assertIn('field params.parent_ref: must be a mapping', str(e))

    def test_missing_ones_exported_first(self):
        datafile.write(
            self.path, [_project('beta', 'p2'), _project('alpha', 'p1')]
        )
        asked = []

        def export(types, lookup, data_dir, match):
            asked.extend(
                n for n in ('alpha', 'beta', 'gamma', 'x') if match(n)
            )
            # the source has gamma, not ghost
            datafile.write(
                self.path,
                datafile.load(self.path).resources + [_project('gamma', 'p3')],
            )

        with mock.patch.object(
            access_projects.alltypes, 'export', side_effect=export
        ):
            entries, missing = access_projects.project_entries(
                object(), self.dir, ['alpha', 'gamma', 'ghost']
            )
        self.assertEqual(['gamma'], asked)
        self.assertEqual(
            ['alpha', 'gamma'], [e['params']['name'] for e in entries]
        )
        self.assertEqual(
            [
                (
                    'dst',
                    access.FAILED,
                    "projects.yml: project 'ghost' not found",
                )
            ],
            [tuple(c) for c in missing],
        )

    def test_nothing_exported_when_all_are_there(self):
        datafile.write(self.path, [_project('alpha', 'p1')])
        with mock.patch.object(access_projects.alltypes, 'export') as export:
            entries, missing = access_projects.project_entries(
                object(), self.dir, ['alpha']
            )
        export.assert_not_called()
        self.assertEqual(([_project('alpha', 'p1')], []), (entries, missing))
