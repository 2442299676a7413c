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

from osmigrateclient.resources import _swift_versions as swift_versions


class TestRecordProblem(base.BaseTestCase):
    def problem(self, **rec):
        return swift_versions.record_problem(dict({'name': 'o'}, **rec))

    def test_good(self):
        self.assertIsNone(
            self.problem(
                versions=[
                    {
                        'version_id': '1796541941.70733',
                        'hash': 'h',
                        'bytes': 3,
                    },
                    {'version_id': 'null', 'delete_marker': True},
                ]
            )
        )
        self.assertIsNone(
            self.problem(
                delete_marker=True,
                version_id='1796541941.70733_00000000000000aa',
                last_modified='x',
            )
        )

    def test_bad_version_id(self):
        self.assertEqual(
            (
                'versions[0].version_id',
                "a header value has no line break nor NUL: '1\\nx'",
            ),
            self.problem(versions=[{'version_id': '1\nx'}]),
        )
        self.assertEqual(
            ('versions[0].version_id', 'missing'),
            self.problem(versions=[{'delete_marker': True}]),
        )

    def test_marker_values_are_checked(self):
        self.assertEqual(
            ('versions[0].bytes', 'must be a whole number, not -1'),
            self.problem(
                versions=[
                    {'version_id': '1', 'delete_marker': True, 'bytes': -1}
                ]
            ),
        )

    def test_version_values(self):
        self.assertEqual(
            (
                'versions[0]',
                'a version has a hash and bytes, or is a delete marker',
            ),
            self.problem(versions=[{'version_id': '1.00000', 'hash': 'h'}]),
        )
        self.assertEqual(
            (
                'versions[0].content_type',
                "a header value has no line break nor NUL: 'a\\nb'",
            ),
            self.problem(
                versions=[
                    {
                        'version_id': '1.00000',
                        'hash': 'h',
                        'bytes': 1,
                        'content_type': 'a\nb',
                    }
                ]
            ),
        )
        self.assertEqual(
            ('versions[0].bytes', 'must be a whole number, not -1'),
            self.problem(
                versions=[{'version_id': '1.00000', 'hash': 'h', 'bytes': -1}]
            ),
        )
