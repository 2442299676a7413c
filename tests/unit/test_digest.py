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

"""What Glance says an image's bytes are."""

from oslotest import base

from tests.unit.transfer import test_image_blobs

digest = test_image_blobs.digest


class TestDigest(base.BaseTestCase):
    def test_prefers_multihash(self):
        algo, _ = digest().hasher()
        self.assertEqual('sha512', algo)

    def test_md5_without_multihash(self):
        algo, _ = digest(algo=None).hasher()
        self.assertEqual('md5', algo)

    def test_unknown_algorithm_falls_back_to_md5(self):
        d = digest()._replace(algo='nohash', value='x')
        self.assertEqual('md5', d.hasher()[0])

    def test_nothing_to_check(self):
        self.assertIsNone(digest(algo=None, md5=False).hasher())

    def test_matches(self):
        self.assertIs(True, digest().matches(digest()))
        self.assertIs(False, digest().matches(digest(b'other')))
        # Different algorithms: md5 decides.
        self.assertIs(True, digest().matches(digest(algo='sha256')))
        self.assertIsNone(
            digest(md5=False).matches(digest(algo='sha256', md5=False))
        )
