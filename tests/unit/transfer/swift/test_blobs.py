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


import os

import fixtures
from oslotest import base

from osmigrateclient import datadir
from osmigrateclient import exceptions
from osmigrateclient.transfer.swift import blobs
from osmigrateclient.transfer.swift import stream
from tests.unit.transfer.swift import fakes


class TestBlobs(base.BaseTestCase):
    def test_blob_path_stays_inside(self):
        path = blobs.blob_path('/data', 'c', '../../etc/passwd')
        self.assertTrue(path.startswith('/data/container_blobs/'))
        self.assertEqual(
            ['container_blobs', 64 * 'x', 64 * 'x'],
            [
                p if p == 'container_blobs' else 64 * 'x'
                for p in os.path.relpath(path, '/data').split('/')
            ],
        )
        self.assertNotEqual(
            blobs.blob_path('/d', 'c', 'a'), blobs.blob_path('/d', 'c', 'a/b')
        )

    def test_planted_links_are_refused(self):
        data_dir = self.useFixture(fixtures.TempDir()).path
        elsewhere = self.useFixture(fixtures.TempDir()).path
        conn = fakes.FakeSwift()
        conn.add('c', 'o', b'data')
        rec = {'name': 'o', 'hash': fakes.md5(b'data'), 'bytes': 4}
        path = blobs.blob_path(data_dir, 'c', 'o')
        os.symlink(elsewhere, os.path.join(data_dir, datadir.CONTAINER_BLOBS))
        e = self.assertRaises(
            exceptions.DataFileError,
            blobs.download_blob,
            conn,
            'c',
            rec,
            path,
            lambda n: None,
        )
        self.assertEqual(
            '%s: is a symbolic link: refused (it must be a directory)'
            % os.path.join(data_dir, datadir.CONTAINER_BLOBS),
            str(e),
        )
        self.assertEqual([], os.listdir(elsewhere))
        e = self.assertRaises(
            exceptions.MigrateError,
            stream.Source(data_dir=data_dir).open,
            'c',
            'o',
        )
        self.assertIn('is a symbolic link: refused', str(e))

    def test_download_then_keep(self):
        data_dir = self.useFixture(fixtures.TempDir()).path
        conn = fakes.FakeSwift()
        conn.add('c', 'o', b'data', **{'X-Object-Meta-A': 'b'})
        rec = {'name': 'o', 'hash': fakes.md5(b'data'), 'bytes': 4}
        path = blobs.blob_path(data_dir, 'c', 'o')
        headers = blobs.download_blob(conn, 'c', rec, path, lambda n: None)
        self.assertEqual('b', headers['X-Object-Meta-A'])
        self.assertIsNone(
            blobs.download_blob(conn, 'c', rec, path, lambda n: None)
        )
        self.assertEqual(1, len([r for r in conn.requests if r[0] == 'GET']))
        bad = dict(rec, hash=fakes.md5(b'other'))
        e = self.assertRaises(
            exceptions.MigrateError,
            blobs.download_blob,
            conn,
            'c',
            bad,
            blobs.blob_path(data_dir, 'c', 'x'),
            lambda n: None,
        )
        self.assertIn('downloaded 4 bytes of MD5', str(e))
