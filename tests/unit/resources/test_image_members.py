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

"""An image's members: shared projects exported by name, added where they
resolve."""

from osmigrateclient.resources import refs
from tests.unit.resources.test_image import ImageTestCase


class TestExport(ImageTestCase):
    def test_members_of_shared_images(self):
        self.src.add('domain', id='d1', name='Default')
        self.src.add('project', id='p-x', name='x', domain_id='d1')
        obj = self.source(visibility='shared')
        self.src.members_of[obj.id] = ['p-x', 'p-hidden']
        e = self.res.from_sdk(refs.Lookup(self.src), obj)
        self.assertEqual(
            [
                {'project_name': 'x', 'domain_name': 'Default'},
                {'project_name': None, 'domain_name': None},
            ],
            e['params']['members'],
        )
        self.assertEqual(['p-hidden', 'p-x'], e['_info']['member_ids'])


class TestImport(ImageTestCase):
    def test_members_added_where_resolvable(self):
        self.dst.add('domain', id='d1', name='Default')
        self.dst.add('project', id='p-x', name='x', domain_id='d1')
        e = self.entry(visibility='shared')
        e['params']['members'] = [
            {'project_name': 'x', 'domain_name': 'Default'},
            {'project_name': None, 'domain_name': None},
        ]
        self.write_blob(e)
        outcome = self.res.apply(self.dst_lookup(), e)
        self.assertEqual('created', outcome.action)
        self.assertEqual(
            'member project (unnamed in the source) not added (not visible '
            'to the caller in the destination)',
            outcome.detail,
        )
        self.assertEqual(['p-x'], self.dst.members_of['img-new'])
