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

"""Image bytes: download to ``image_blobs/``, upload, and cloud to cloud.

A blob is ``<data-dir>/image_blobs/<image id>-<image name>`` (the
pioneering tool's layout; the name made safe for a file system).  While it
downloads it is ``<blob>.part``; it takes its final name only once its size
and its hash match what Glance says (``os_hash_algo`` / ``os_hash_value``,
else the md5 ``checksum``), so a file with the final name is always whole.
An interrupted download resumes: the next run hashes the ``.part`` it
finds and asks Glance for the rest only (an HTTP ``Range`` request).

Files are 0600 and the directory 0700; no file is opened through a
symbolic link, and the image id (from a data file) must be a plain id, so
a blob path never leads out of the directory.  Progress goes to stderr:
a bar when stderr is a terminal (or when asked), else one line per image.
"""

import logging
import os
import re
import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient import datadir
from osmigrateclient import datafile
from osmigrateclient import digest as digest_mod
from osmigrateclient import exceptions
from osmigrateclient import progress as progress_mod

LOG = logging.getLogger(__name__)

PART = '.part'
#: bytes read from the network or a file at a time
CHUNK_SIZE = 8 * 1024 * 1024
#: longest file name most file systems take, in bytes
_NAME_MAX = 255


# -- names -------------------------------------------------------------------


def safe_name(name: str | None, id_length: int = 36) -> str:
    """``name`` made usable as (part of) a file name.

    Path separators, NUL and control characters become ``_``; the result
    fits, after an id of ``id_length`` characters, a dash and ``.part``,
    in 255 bytes.
    """
    text = re.sub(r'[\x00-\x1f\x7f/\\]', '_', name or '')
    limit = _NAME_MAX - id_length - 1 - len(PART)
    encoded = text.encode('utf-8')
    if len(encoded) > limit:
        text = encoded[:limit].decode('utf-8', errors='ignore')
    return text


def blob_dir(data_dir: str) -> str:
    return os.path.join(data_dir, datadir.IMAGE_BLOBS)


def blob_path(data_dir: str, image_id: str, name: str | None) -> str:
    """Where the blob of a source image is stored.

    :raises osmigrateclient.exceptions.DataFileError: the id (from a data
        file) is no plain id: it could lead out of the directory
    """
    datafile.path_id(image_id)
    return os.path.join(
        blob_dir(data_dir),
        '%s-%s' % (image_id, safe_name(name, len(image_id))),
    )


def find_blob(data_dir: str, image_id: str, name: str | None) -> str | None:
    """The whole blob of a source image, or None.

    The name part may differ (the image was renamed in the data file): any
    whole blob of the same image id is taken.
    """
    path = blob_path(data_dir, image_id, name)
    if os.path.isfile(path):
        return path
    directory = blob_dir(data_dir)
    try:
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        return None
    for candidate in names:
        if candidate.startswith(image_id + '-') and not candidate.endswith(
            PART
        ):
            return os.path.join(directory, candidate)
    return None


# -- progress ----------------------------------------------------------------


class Downloaded(ty.NamedTuple):
    path: str
    #: bytes of the blob
    size: int
    #: bytes found in a ``.part`` and not downloaded again
    resumed_from: int
    #: the blob was already whole: nothing was downloaded
    skipped: bool


def _data_url(image_id: str) -> str:
    return '/images/%s/file' % image_id


def _open_data(
    conn: ty.Any, image_id: str, offset: int = 0
) -> tuple[ty.Any, int]:
    """(a streamed response with the image's bytes from ``offset``, the
    offset it really starts at: 0 when Glance ignored the range)."""
    headers = {'Range': 'bytes=%d-' % offset} if offset else {}
    response = conn.image.get(
        _data_url(image_id), stream=True, headers=headers
    )
    sdk_exceptions.raise_from_response(response)
    if offset and response.status_code != 206:
        LOG.info('Glance ignored the range request: downloading it all')
        return response, 0
    return response, offset


def _hash_file(path: str, hashed: tuple[str, ty.Any] | None) -> int:
    """Feed a file to the hasher; return its size."""
    size = 0
    with os.fdopen(datafile.open_private(path, os.O_RDONLY), 'rb') as f:
        while True:
            chunk = f.read(CHUNK_SIZE)
            if not chunk:
                return size
            size += len(chunk)
            if hashed is not None:
                hashed[1].update(chunk)


def _ensure_blob_dir(path: str) -> None:
    datafile.ensure_dir(os.path.dirname(path), link_ok=False)


def _fsync_dir(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def download(
    conn: ty.Any,
    image_id: str,
    path: str,
    digest: digest_mod.Digest,
    progress: progress_mod.Progress,
    label: str | None = None,
) -> Downloaded:
    """Make ``path`` the verified blob of a source image.

    A whole blob already there (right size) is kept; a ``.part`` is hashed
    and completed with a range request; a ``.part`` that is complete but
    wrong (a failed earlier run) is downloaded again from the start.

    :raises osmigrateclient.exceptions.MigrateError: the download fails or
        does not match ``digest``; the ``.part`` is kept (a later run
        resumes it), and no file takes the blob's name
    """
    label = label or os.path.basename(path)
    _ensure_blob_dir(path)
    part = path + PART
    if os.path.isfile(path):
        size = os.path.getsize(path)
        if digest.size is None or size == digest.size:
            return Downloaded(path, size, size, True)
        LOG.warning(
            '%s: %d bytes, Glance says %d: downloading it again',
            path,
            size,
            digest.size,
        )
        os.unlink(path)
    try:
        return _download(conn, image_id, path, part, digest, progress, label)
    except OSError as e:
        raise exceptions.MigrateError(
            'cannot write the blob: %s' % (e.strerror or e), path=part
        )


def _download(
    conn: ty.Any,
    image_id: str,
    path: str,
    part: str,
    digest: digest_mod.Digest,
    progress: progress_mod.Progress,
    label: str,
) -> Downloaded:
    hashed = digest.hasher()
    offset = 0
    if os.path.isfile(part):
        offset = _hash_file(part, hashed)
        complete = digest.size is not None and offset >= digest.size
        if complete and (
            offset > digest.size or digest.problem(offset, hashed)
        ):
            LOG.warning('%s is complete but wrong: starting again', part)
            os.unlink(part)
            hashed, offset = digest.hasher(), 0
    resumed_from = offset
    if digest.size is None or offset < digest.size:
        if offset:
            LOG.info('Resuming %s at byte %d', part, offset)
        try:
            response, start = _open_data(conn, image_id, offset)
        except sdk_exceptions.SDKException as e:
            raise exceptions.MigrateError(
                'cannot download image %s: %s' % (image_id, e), path=path
            )
        if start != offset:
            hashed, offset, resumed_from = digest.hasher(), 0, 0
            os.unlink(part)
        meter = progress.start(label, digest.size, offset)
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        fd = datafile.open_private(part, flags)
        try:
            chunks = response.iter_content(chunk_size=CHUNK_SIZE)
            with os.fdopen(fd, 'ab', closefd=False) as out:
                while True:
                    try:
                        chunk = next(chunks, None)
                    except Exception as e:
                        out.flush()
                        raise exceptions.MigrateError(
                            'download of image %s interrupted at byte %d '
                            '(%s); run the export again to resume'
                            % (image_id, offset, e),
                            path=part,
                        )
                    if chunk is None:
                        break
                    out.write(chunk)
                    if hashed is not None:
                        hashed[1].update(chunk)
                    offset += len(chunk)
                    meter.update(len(chunk))
                out.flush()
                os.fsync(out.fileno())
        finally:
            os.close(fd)
            response.close()
        note = 'resumed at byte %d' % resumed_from if resumed_from else ''
        meter.finish(note)
    problem = digest.problem(offset, hashed)
    if problem:
        raise exceptions.MigrateError(
            'does not match the source image %s: %s (kept for inspection; '
            'the next export resumes or restarts it)' % (image_id, problem),
            path=part,
        )
    os.replace(part, path)
    _fsync_dir(os.path.dirname(path))
    return Downloaded(path, offset, resumed_from, False)


# -- upload ------------------------------------------------------------------


class _Reader:
    """A file-like body for requests: known length, progress, and an
    optional hash of what it hands out.

    It has no ``__iter__``, so requests sends it with a Content-Length
    instead of chunked.
    """

    def __init__(
        self,
        chunks: ty.Iterator[bytes],
        size: int,
        meter: progress_mod.Meter,
        hashed: tuple[str, ty.Any] | None = None,
    ) -> None:
        self._chunks = chunks
        self._buffer = memoryview(b'')
        self.len = size
        self._meter = meter
        self._hashed = hashed
        self.sent = 0

    def read(self, n: int = -1) -> bytes:
        if not self._buffer:
            chunk = next(self._chunks, b'')
            if not chunk:
                return b''
            if self._hashed is not None:
                self._hashed[1].update(chunk)
            self._buffer = memoryview(chunk)
        if n is None or n < 0 or n >= len(self._buffer):
            data, self._buffer = self._buffer, memoryview(b'')
        else:
            data, self._buffer = self._buffer[:n], self._buffer[n:]
        self.sent += len(data)
        self._meter.update(len(data))
        return bytes(data)


def _file_chunks(f: ty.BinaryIO) -> ty.Iterator[bytes]:
    while True:
        chunk = f.read(CHUNK_SIZE)
        if not chunk:
            return
        yield chunk


def _put(conn: ty.Any, image: ty.Any, reader: _Reader) -> None:
    response = image.upload(conn.image, data=reader, size=reader.len)
    sdk_exceptions.raise_from_response(response)


def upload(
    conn: ty.Any,
    image: ty.Any,
    path: str,
    progress: progress_mod.Progress,
    label: str | None = None,
) -> int:
    """Upload a blob file into an empty (queued) destination image.

    The file is streamed, never read whole into memory.  Returns the bytes
    sent.  Check the result with :func:`check_uploaded`.
    """
    label = label or os.path.basename(path)
    # Never through a link: it would upload any file we can read.
    with os.fdopen(datafile.open_private(path, os.O_RDONLY), 'rb') as f:
        size = os.fstat(f.fileno()).st_size
        meter = progress.start(label, size)
        reader = _Reader(_file_chunks(f), size, meter)
        _put(conn, image, reader)
        meter.finish()
    return reader.sent


def copy(
    src_conn: ty.Any,
    src_image_id: str,
    digest: digest_mod.Digest,
    dst_conn: ty.Any,
    image: ty.Any,
    progress: progress_mod.Progress,
    label: str,
) -> int:
    """Stream a source image's bytes into an empty destination image,
    without staging them on disk, hashing them on the way.

    :raises osmigrateclient.exceptions.MigrateError: the bytes that came
        from the source do not match ``digest``
    """
    if digest.size is None:
        raise exceptions.MigrateError(
            'the source image %s has no size: cannot stream it' % src_image_id
        )
    response, _ = _open_data(src_conn, src_image_id)
    hashed = digest.hasher()
    meter = progress.start(label, digest.size)
    try:
        reader = _Reader(
            response.iter_content(chunk_size=CHUNK_SIZE),
            digest.size,
            meter,
            hashed,
        )
        _put(dst_conn, image, reader)
    finally:
        response.close()
    problem = digest.problem(reader.sent, hashed)
    if problem:
        raise exceptions.MigrateError(
            'the bytes streamed from the source image %s do not match it: %s'
            % (src_image_id, problem)
        )
    meter.finish('streamed from the source')
    return reader.sent


def check_uploaded(image: ty.Any, digest: digest_mod.Digest) -> str:
    """Why the destination image (re-read after upload) does not hold the
    source's bytes, or '' when it does."""
    if digest.size is not None and image.size != digest.size:
        return 'size is %s bytes in the destination, %d in the source' % (
            image.size,
            digest.size,
        )
    same = digest.matches(digest_mod.digest_of(image))
    if same is False:
        if digest.algo == image.hash_algo and digest.value:
            return '%s is %s in the destination, %s in the source' % (
                digest.algo,
                image.hash_value,
                digest.value,
            )
        return 'checksum is %s in the destination, %s in the source' % (
            image.checksum,
            digest.md5,
        )
    return ''
