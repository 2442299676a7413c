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

"""The shapes of values read from files: ids safe in file names."""

from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient import shapes


class TestPathId(base.BaseTestCase):
    def test_plain_ids(self):
        for value in (
            '4f1d25ba-6b68-4a2c-8b9e-24ad4ba63e22',
            '2f444c71265048f7a9d21f81db6f21a4',
            'a.b_c-d',
            'x' * 128,
        ):
            self.assertEqual(value, shapes.path_id(value))

    def test_refused(self):
        for value in (
            '../../etc/passwd',
            '..',
            '.',
            '.hidden',
            'a/b',
            'a..b',
            '',
            '-x',
            'x' * 129,
            'a\x00b',
            'a\nb',
            None,
            5,
            ['x'],
        ):
            e = self.assertRaises(
                exceptions.DataFileError,
                shapes.path_id,
                value,
                '/d/detached_volumes.yml',
                'resource 0',
            )
            self.assertEqual(
                '/d/detached_volumes.yml: resource 0: field _info.id: must '
                'be a plain id (letters, digits, ".", "_" and "-", at most '
                '128, no ".."), not %s' % shapes.shown(value),
                str(e),
            )
