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

"""Image blobs: naming, resume, verification, upload and streaming."""

import hashlib
import io
import os
import stat

import fixtures
from oslotest import base

from osmigrateclient import digest as digest_mod
from osmigrateclient import exceptions
from osmigrateclient import progress as progress_mod
from osmigrateclient.transfer import image_blobs

IMAGE_ID = '0c6e4d3e-1111-4222-8333-944445555666'
DATA = bytes(range(256)) * 4096 + b'tail'  # 1 MiB and 4 bytes


def digest(data=DATA, algo='sha512', md5=True):
    return digest_mod.Digest(
        len(data),
        algo,
        hashlib.new(algo, data).hexdigest() if algo else None,
        hashlib.md5(data).hexdigest() if md5 else None,
    )


class FakeResponse:
    def __init__(self, data, status_code=200, fail_after=None):
        self.data = data
        self.status_code = status_code
        self.headers = {}
        self.fail_after = fail_after
        self.closed = False

    def iter_content(self, chunk_size):
        for start in range(0, len(self.data), chunk_size):
            if self.fail_after is not None and start >= self.fail_after:
                raise ConnectionError('connection reset')
            yield self.data[start : start + chunk_size]

    def close(self):
        self.closed = True


class FakeImageProxy:
    """``conn.image.get`` of one image's data, honouring Range."""

    def __init__(self, data, honour_range=True, fail_after=None):
        self.data = data
        self.honour_range = honour_range
        self.fail_after = fail_after
        self.requests = []

    def get(self, url, stream=False, headers=None):
        headers = headers or {}
        self.requests.append((url, dict(headers)))
        rng = headers.get('Range')
        if rng and self.honour_range:
            start = int(rng[len('bytes=') : -1])
            return FakeResponse(self.data[start:], 206, self.fail_after)
        return FakeResponse(self.data, 200, self.fail_after)


class FakeConn:
    def __init__(self, *args, **kwargs):
        self.image = FakeImageProxy(*args, **kwargs)


class TestNames(base.BaseTestCase):
    def test_blob_path_is_the_pioneering_layout(self):
        self.assertEqual(
            '/d/image_blobs/%s-cirros 0.6' % IMAGE_ID,
            image_blobs.blob_path('/d', IMAGE_ID, 'cirros 0.6'),
        )

    def test_unsafe_characters(self):
        self.assertEqual('a_b_c_d_', image_blobs.safe_name('a/b\\c\x00d\n'))
        self.assertEqual('', image_blobs.safe_name(None))

    def test_long_names_fit_with_id_and_part(self):
        name = image_blobs.safe_name('é' * 300)
        self.assertEqual(
            255,
            len(('%s-%s.part' % (IMAGE_ID, name)).encode('utf-8')) + 1,
        )
        self.assertEqual('é' * 106, name)

    def test_find_blob_of_a_renamed_image(self):
        d = self.useFixture(fixtures.TempDir()).path
        os.makedirs(os.path.join(d, 'image_blobs'))
        old = os.path.join(d, 'image_blobs', IMAGE_ID + '-old')
        for path in (old + '.part', old):
            open(path, 'wb').close()
        self.assertEqual(old, image_blobs.find_blob(d, IMAGE_ID, 'new'))

    def test_find_blob_ignores_parts(self):
        d = self.useFixture(fixtures.TempDir()).path
        os.makedirs(os.path.join(d, 'image_blobs'))
        open(
            os.path.join(d, 'image_blobs', IMAGE_ID + '-x.part'), 'wb'
        ).close()
        self.assertIsNone(image_blobs.find_blob(d, IMAGE_ID, 'x'))
        self.assertIsNone(image_blobs.find_blob(d + '/nope', IMAGE_ID, 'x'))

    def test_ids_that_lead_out_are_refused(self):
        # '../' in an id of images.yml made an import upload any file.
        d = self.useFixture(fixtures.TempDir()).path
        for image_id in ('../../../etc/passwd', '..', '.', '', 'a/b', None):
            for call in (image_blobs.blob_path, image_blobs.find_blob):
                e = self.assertRaises(
                    exceptions.DataFileError, call, d, image_id, 'x'
                )
                self.assertEqual(
                    'field _info.id: must be a plain id (letters, digits, '
                    '".", "_" and "-", at most 128, no ".."), not %r'
                    % (image_id,),
                    str(e),
                )

    def test_names_cannot_lead_out(self):
        for name in ('../../x', '/etc/passwd', '..'):
            path = image_blobs.blob_path('/d', IMAGE_ID, name)
            self.assertEqual(
                '/d/image_blobs', os.path.dirname(os.path.normpath(path))
            )

    def test_long_names_fit_with_a_longer_id(self):
        image_id = 'i' * 100
        name = image_blobs.safe_name('x' * 300, len(image_id))
        self.assertEqual(255, len(('%s-%s.part' % (image_id, name)).encode()))


class DownloadTestCase(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.path = image_blobs.blob_path(self.dir, IMAGE_ID, 'img')
        self.part = self.path + '.part'
        self.stderr = io.StringIO()
        self.progress = progress_mod.Progress(self.stderr)
        self.useFixture(
            fixtures.MonkeyPatch(
                'osmigrateclient.transfer.image_blobs.CHUNK_SIZE', 65536
            )
        )

    def download(self, conn, d=None):
        return image_blobs.download(
            conn, IMAGE_ID, self.path, d or digest(), self.progress, 'img'
        )

    def read(self, path):
        with open(path, 'rb') as f:
            return f.read()


class TestDownload(DownloadTestCase):
    def test_symlinked_blob_directory_is_refused(self):
        outside = os.path.join(self.dir, 'outside')
        os.mkdir(outside)
        os.symlink(outside, os.path.dirname(self.path))
        e = self.assertRaises(
            exceptions.DataFileError, self.download, FakeConn(DATA)
        )
        self.assertEqual(
            '%s: is a symbolic link: refused (it must be a directory)'
            % os.path.dirname(self.path),
            str(e),
        )
        self.assertEqual([], os.listdir(outside))

    def test_symlinked_part_is_not_written(self):
        outside = os.path.join(self.dir, 'outside')
        with open(outside, 'wb') as f:
            f.write(b'keep')
        os.makedirs(os.path.dirname(self.path))
        os.symlink(outside, self.part)
        e = self.assertRaises(
            exceptions.DataFileError, self.download, FakeConn(DATA)
        )
        self.assertEqual('%s: is a symbolic link: refused' % self.part, str(e))
        self.assertEqual(b'keep', self.read(outside))

    def test_whole_download(self):
        conn = FakeConn(DATA)
        result = self.download(conn)
        self.assertEqual(
            image_blobs.Downloaded(self.path, len(DATA), 0, False), result
        )
        self.assertEqual(DATA, self.read(self.path))
        self.assertFalse(os.path.exists(self.part))
        self.assertEqual(
            [('/images/%s/file' % IMAGE_ID, {})], conn.image.requests
        )
        self.assertEqual(0o600, stat.S_IMODE(os.stat(self.path).st_mode))
        self.assertEqual(
            0o700, stat.S_IMODE(os.stat(os.path.dirname(self.path)).st_mode)
        )
        # Not a terminal: one line per image.
        self.assertEqual(1, self.stderr.getvalue().count('\n'))
        self.assertTrue(self.stderr.getvalue().startswith('img: 1.0 MiB in '))

    def test_whole_blob_is_skipped(self):
        os.makedirs(os.path.dirname(self.path))
        with open(self.path, 'wb') as f:
            f.write(DATA)
        conn = FakeConn(DATA)
        result = self.download(conn)
        self.assertTrue(result.skipped)
        self.assertEqual([], conn.image.requests)

    def test_blob_of_the_wrong_size_is_downloaded_again(self):
        os.makedirs(os.path.dirname(self.path))
        with open(self.path, 'wb') as f:
            f.write(DATA[:10])
        self.download(FakeConn(DATA))
        self.assertEqual(DATA, self.read(self.path))

    def test_resume_requests_only_the_rest(self):
        os.makedirs(os.path.dirname(self.path))
        with open(self.part, 'wb') as f:
            f.write(DATA[:300000])
        conn = FakeConn(DATA)
        result = self.download(conn)
        self.assertEqual(300000, result.resumed_from)
        self.assertEqual(
            [('/images/%s/file' % IMAGE_ID, {'Range': 'bytes=300000-'})],
            conn.image.requests,
        )
        self.assertEqual(DATA, self.read(self.path))
        self.assertFalse(os.path.exists(self.part))
        self.assertIn('resumed at byte 300000', self.stderr.getvalue())

    def test_resume_when_glance_ignores_the_range(self):
        os.makedirs(os.path.dirname(self.path))
        with open(self.part, 'wb') as f:
            f.write(DATA[:300000])
        result = self.download(FakeConn(DATA, honour_range=False))
        self.assertEqual(0, result.resumed_from)
        self.assertEqual(DATA, self.read(self.path))

    def test_interrupted_download_keeps_the_part(self):
        e = self.assertRaises(
            exceptions.MigrateError,
            self.download,
            FakeConn(DATA, fail_after=65536 * 3),
        )
        self.assertIn('interrupted at byte 196608', str(e))
        self.assertFalse(os.path.exists(self.path))
        self.assertEqual(DATA[: 65536 * 3], self.read(self.part))
        # The next run completes it.
        conn = FakeConn(DATA)
        self.assertEqual(196608, self.download(conn).resumed_from)
        self.assertEqual(DATA, self.read(self.path))

    def test_hash_mismatch_keeps_the_part_and_no_blob(self):
        bad = DATA[:-4] + b'TAIL'
        e = self.assertRaises(
            exceptions.MigrateError, self.download, FakeConn(bad)
        )
        self.assertIn(self.part, str(e))
        self.assertIn('sha512 is %s' % hashlib.sha512(bad).hexdigest(), str(e))
        self.assertFalse(os.path.exists(self.path))
        self.assertEqual(bad, self.read(self.part))

    def test_complete_wrong_part_is_downloaded_again(self):
        os.makedirs(os.path.dirname(self.path))
        with open(self.part, 'wb') as f:
            f.write(DATA[:-4] + b'TAIL')
        conn = FakeConn(DATA)
        result = self.download(conn)
        self.assertEqual(0, result.resumed_from)
        self.assertEqual(
            [('/images/%s/file' % IMAGE_ID, {})], conn.image.requests
        )
        self.assertEqual(DATA, self.read(self.path))

    def test_wrong_resumed_prefix_is_caught(self):
        os.makedirs(os.path.dirname(self.path))
        with open(self.part, 'wb') as f:
            f.write(b'X' * 1000)
        self.assertRaises(
            exceptions.MigrateError, self.download, FakeConn(DATA)
        )
        self.assertFalse(os.path.exists(self.path))
        # The next run starts again from scratch.
        self.assertEqual(0, self.download(FakeConn(DATA)).resumed_from)
        self.assertEqual(DATA, self.read(self.path))

    def test_md5_only(self):
        self.download(FakeConn(DATA), digest(algo=None))
        self.assertEqual(DATA, self.read(self.path))

    def test_bar_when_asked(self):
        self.progress = progress_mod.Progress(self.stderr, bar=True)
        self.useFixture(
            fixtures.MonkeyPatch('osmigrateclient.progress._REDRAW', 0)
        )
        self.download(FakeConn(DATA))
        out = self.stderr.getvalue()
        self.assertIn('\rimg  100%  1.0 MiB/1.0 MiB', out)
        self.assertTrue(out.endswith('\n'))


class FakeImage:
    def __init__(self):
        self.received = b''
        self.size_header = None

    def upload(self, session, data=None, size=None):
        self.size_header = size
        while True:
            chunk = data.read(16384)
            if not chunk:
                break
            self.received += chunk
        return FakeResponse(b'', 204)


class TestUpload(DownloadTestCase):
    def test_upload_streams_the_file(self):
        os.makedirs(os.path.dirname(self.path))
        with open(self.path, 'wb') as f:
            f.write(DATA)
        image = FakeImage()
        sent = image_blobs.upload(
            FakeConn(b''), image, self.path, self.progress, 'img'
        )
        self.assertEqual(len(DATA), sent)
        self.assertEqual(DATA, image.received)
        self.assertEqual(len(DATA), image.size_header)

    def test_symlinked_blob_is_not_uploaded(self):
        secret = os.path.join(self.dir, 'secret')
        with open(secret, 'wb') as f:
            f.write(b'secret')
        os.makedirs(os.path.dirname(self.path))
        os.symlink(secret, self.path)
        image = FakeImage()
        e = self.assertRaises(
            exceptions.DataFileError,
            image_blobs.upload,
            FakeConn(b''),
            image,
            self.path,
            self.progress,
        )
        self.assertEqual('%s: is a symbolic link: refused' % self.path, str(e))
        self.assertEqual(b'', image.received)

    def test_fifo_blob_is_not_uploaded(self):
        os.makedirs(os.path.dirname(self.path))
        os.mkfifo(self.path)
        e = self.assertRaises(
            exceptions.DataFileError,
            image_blobs.upload,
            FakeConn(b''),
            FakeImage(),
            self.path,
            self.progress,
        )
        self.assertEqual('%s: not a regular file' % self.path, str(e))

    def test_missing_blob(self):
        e = self.assertRaises(
            exceptions.MigrateError,
            image_blobs.upload,
            FakeConn(b''),
            FakeImage(),
            self.path,
            self.progress,
        )
        self.assertIn(self.path, str(e))

    def test_copy_streams_and_verifies(self):
        image = FakeImage()
        sent = image_blobs.copy(
            FakeConn(DATA),
            IMAGE_ID,
            digest(),
            FakeConn(b''),
            image,
            self.progress,
            'img',
        )
        self.assertEqual(len(DATA), sent)
        self.assertEqual(DATA, image.received)

    def test_copy_of_wrong_bytes_fails(self):
        e = self.assertRaises(
            exceptions.MigrateError,
            image_blobs.copy,
            FakeConn(DATA[:-1] + b'X'),
            IMAGE_ID,
            digest(),
            FakeConn(b''),
            FakeImage(),
            self.progress,
            'img',
        )
        self.assertIn('do not match', str(e))


class TestCheckUploaded(base.BaseTestCase):
    class Img:
        def __init__(self, data, algo='sha512'):
            self.size = len(data)
            self.hash_algo = algo
            self.hash_value = hashlib.new(algo, data).hexdigest()
            self.checksum = hashlib.md5(data).hexdigest()

    def test_same(self):
        self.assertEqual(
            '', image_blobs.check_uploaded(self.Img(DATA), digest())
        )

    def test_other_bytes(self):
        other = DATA[:-1] + b'X'
        problem = image_blobs.check_uploaded(self.Img(other), digest())
        self.assertEqual(
            'sha512 is %s in the destination, %s in the source'
            % (hashlib.sha512(other).hexdigest(), digest().value),
            problem,
        )

    def test_other_algorithm_compares_md5(self):
        self.assertEqual(
            '', image_blobs.check_uploaded(self.Img(DATA, 'sha256'), digest())
        )

    def test_other_size(self):
        self.assertIn(
            'size is 3 bytes in the destination',
            image_blobs.check_uploaded(self.Img(b'abc'), digest()),
        )
