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

import types

from oslotest import base
from requests import structures

from osmigrateclient.transfer.swift import records


class _Store:
    """Answers a HEAD as object versioning does: the name is a link
    that holds the expiry; a plain HEAD shows the version."""

    def __init__(self, versioned, link_expiry):
        self.versioned = versioned
        self.link_expiry = link_expiry
        self.heads = []

    def head(self, path, params=None):
        self.heads.append((path, dict(params or {})))
        headers = structures.CaseInsensitiveDict({'X-Object-Meta-V': '2'})
        if self.versioned:
            headers['X-Object-Version-Id'] = '1.5'
        if (params or {}).get('symlink') == 'get' and self.link_expiry:
            headers['X-Delete-At'] = self.link_expiry
        return types.SimpleNamespace(status_code=200, headers=headers)


class TestLinkExpiry(base.BaseTestCase):
    def head(self, versioned, link_expiry=None):
        store = _Store(versioned, link_expiry)
        conn = types.SimpleNamespace(object_store=store)
        headers = records.head_object(conn, 'c', 'o')
        return records.record_of({'name': 'o'}, headers), store.heads

    def test_versioned_object_expiry_from_its_link(self):
        rec, heads = self.head(True, '1800000000')
        self.assertEqual(
            (1800000000, {'v': '2'}), (rec['delete_at'], rec['metadata'])
        )
        self.assertEqual(
            [
                ('/c/o', {'multipart-manifest': 'get'}),
                ('/c/o', {'multipart-manifest': 'get', 'symlink': 'get'}),
            ],
            heads,
        )

    def test_versioned_object_without_expiry(self):
        rec, heads = self.head(True)
        self.assertNotIn('delete_at', rec)
        self.assertEqual(2, len(heads))

    def test_plain_object_one_head(self):
        rec, heads = self.head(False)
        self.assertEqual(1, len(heads))
