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


"""The copy of a container's objects into the destination: bytes
streamed from a Swift or from blob files, in chunks, hashed on the way.

The PUT carries the expected ``ETag``, so that Swift itself refuses bytes
that do not hash to it; the MD5 of what was read is checked too.
:func:`import_objects` does an import's :class:`.work.Work`, many objects
at a time, and records what is verified in the :class:`.state.State`.
"""

import hashlib
import logging
import os
import threading
import time
import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient import progress as progress_mod
from osmigrateclient import swift_names
from osmigrateclient.transfer.swift import blobs
from osmigrateclient.transfer.swift import large
from osmigrateclient.transfer.swift import pool
from osmigrateclient.transfer.swift import records
from osmigrateclient.transfer.swift import state as state_mod
from osmigrateclient.transfer.swift import wire
from osmigrateclient.transfer.swift import work as work_mod

LOG = logging.getLogger(__name__)


class Body:
    """A request body of known length from chunks, MD5-hashed and
    counted as it is read (no ``__iter__``: requests sends a
    Content-Length, not chunks)."""

    def __init__(
        self,
        chunks: ty.Iterator[bytes],
        size: int,
        moved: ty.Callable[[int], None],
    ) -> None:
        self._chunks = chunks
        self._buffer = memoryview(b'')
        self.len = size
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.sent = 0
        self._moved = moved

    def read(self, n: int = -1) -> bytes:
        if not self._buffer:
            chunk = next(self._chunks, b'')
            if not chunk:
                return b''
            self.md5.update(chunk)
            self._buffer = memoryview(chunk)
        if n is None or n < 0 or n >= len(self._buffer):
            data, self._buffer = self._buffer, memoryview(b'')
        else:
            data, self._buffer = self._buffer[:n], self._buffer[n:]
        self.sent += len(data)
        self._moved(len(data))
        return bytes(data)


class Source:
    """Where an import reads objects' bytes: a Swift (``conn``) or the
    blobs of a data directory."""

    def __init__(self, conn: ty.Any = None, data_dir: str | None = None):
        self.conn = conn
        self.data_dir = data_dir

    def open(
        self, container: str, name: str, version_id: str | None = None
    ) -> tuple[ty.Iterator[bytes], ty.Callable[[], None]]:
        """(the chunks of an object's bytes (of one of its older
        versions: ``version_id``), a closer)."""
        if self.conn is not None:
            response = self.get(container, name, version_id)
            wire.check(response, 'read source object %r' % name)
            return (
                wire.raw_chunks(response),
                response.close,
            )
        path = blobs.blob_path(
            self.data_dir or '', container, name, version_id
        )
        try:
            blobs.refuse_links(path, self.data_dir or '')
            f = os.fdopen(datafile.open_private(path, os.O_RDONLY), 'rb')
        except exceptions.DataFileError as e:
            raise exceptions.MigrateError(
                'no blob of object %r (%s): export with --keep-blobs, or '
                'import with --src-cloud' % (name, e.problem)
            )
        return iter(lambda: f.read(wire.CHUNK_SIZE), b''), f.close

    def get(
        self, container: str, name: str, version_id: str | None = None
    ) -> ty.Any:
        """The source Swift's streamed response to a GET of an object."""
        LOG.debug('GET %s (object bytes: not logged)', name)
        return self.conn.object_store.get(
            wire.object_path(container, name),
            stream=True,
            log=False,
            params={'version-id': version_id} if version_id else {},
        )


class Gone(Exception):
    """An ``at_copy`` object that the source no longer holds, or whose
    expiry has passed: not sent (as an expired record is not)."""


def open_at_copy(
    source: Source, container: str, rec: dict, now: float | None = None
) -> tuple[ty.Iterator[bytes], ty.Callable[[], None], dict]:
    """(the chunks of an ``at_copy`` record's bytes, a closer, the record
    filled with the source's metadata): the GET that reads the bytes
    gives the metadata too.

    :raises Gone: the source no longer holds it, or it has expired
    :raises osmigrateclient.exceptions.MigrateError: no source Swift, or
        the object has become a large object since the export
    """
    name = rec['name']
    if source.conn is None:
        raise exceptions.MigrateError(
            'object %r was exported with --metadata-at-copy: import with '
            '--src-cloud <cloud>' % name
        )
    response = source.get(container, name)
    if response.status_code == 404:  # deleted since the export
        response.close()
        raise Gone(name)
    now = time.time() if now is None else now
    try:
        wire.check(response, 'read source object %r' % name)
        headers = records.link_expiry(
            source.conn, container, name, response.headers
        )
        if headers.get('X-Object-Manifest') or headers.get(
            'X-Static-Large-Object'
        ):
            raise exceptions.MigrateError(
                'object %r is now a large object in the source: export it '
                'again' % name
            )
        full = records.filled(rec, headers)
        if full.get('delete_at') is not None and full['delete_at'] <= now:
            raise Gone(name)
    except BaseException:
        response.close()
        raise
    return wire.raw_chunks(response), response.close, full


def object_headers(rec: dict) -> dict[str, ty.Any]:
    """The headers that give an object the record's content type,
    metadata, expiry, kept headers and manifest or link target."""
    headers: dict[str, ty.Any] = {}
    if rec.get('content_type') is not None:
        headers['Content-Type'] = wire.encoded(rec['content_type'])
    for key, value in (rec.get('metadata') or {}).items():
        headers['X-Object-Meta-' + key] = wire.encoded(value)
    if rec.get('delete_at') is not None:
        headers['X-Delete-At'] = str(rec['delete_at'])
    for key, value in (rec.get('headers') or {}).items():
        headers[swift_names.OBJECT_HEADER_KEYS[key]] = wire.encoded(value)
    if large.large_kind(rec) == large.DLO:
        headers['X-Object-Manifest'] = wire.encoded(rec['manifest'])
    if large.large_kind(rec) == large.SYMLINK:
        headers['X-Symlink-Target'] = wire.encoded(rec['symlink'])
    return headers


def put_object(
    dst: ty.Any,
    source: Source,
    container: str,
    rec: dict,
    moved: ty.Callable[[int], None],
) -> int:
    """Make ``rec``'s object in the destination; the bytes sent.

    :raises osmigrateclient.exceptions.MigrateError: it cannot be read,
        written, or the bytes are not the record's
    """
    name = rec['name']
    path = wire.object_path(container, name)
    headers = object_headers(rec)
    kind = large.large_kind(rec)
    if kind == large.SLO:
        large.put_manifest(dst, path, rec, headers)
        return 0
    if kind in (large.DLO, large.SYMLINK) or not rec.get('bytes'):
        headers['Content-Length'] = '0'
        response = wire.check(
            dst.object_store.put(path, data=b'', headers=headers),
            'put object %r' % name,
        )
        return 0
    if rec.get('at_copy'):
        chunks, close, rec = open_at_copy(source, container, rec)
        headers = object_headers(rec)
    else:
        chunks, close = source.open(container, name, rec.get('version_id'))
    try:
        body = Body(iter(chunks), rec['bytes'], moved)
        if rec.get('hash'):
            # Swift refuses bytes that do not hash to it (422).
            headers['ETag'] = rec['hash']
        try:
            response = dst.object_store.put(path, data=body, headers=headers)
        except sdk_exceptions.SDKException as e:
            raise exceptions.MigrateError(
                'copy of object %r failed: %s' % (name, e)
            )
        if response.status_code == 422:
            raise exceptions.MigrateError(
                'object %r: the bytes read (MD5 %s, %d bytes) are not the '
                "file's (ETag %s, %s bytes): has the source changed since "
                'the export?'
                % (
                    name,
                    body.md5.hexdigest(),
                    body.sent,
                    rec.get('hash'),
                    rec.get('bytes'),
                )
            )
        wire.check(response, 'put object %r' % name)
    finally:
        close()
    got = body.md5.hexdigest()
    if (rec.get('hash') and got != rec['hash']) or body.sent != rec['bytes']:
        raise exceptions.MigrateError(
            'object %r: read %d bytes of MD5 %s, the file says %s bytes of '
            '%s' % (name, body.sent, got, rec['bytes'], rec.get('hash'))
        )
    if wire.etag_of(response) != got:
        raise exceptions.MigrateError(
            'object %r: the destination says ETag %s, the bytes sent hash '
            'to %s' % (name, wire.etag_of(response), got)
        )
    return body.sent


def post_object(dst: ty.Any, container: str, rec: dict) -> None:
    """Give an existing destination object the record's metadata,
    content type and expiry (a POST replaces them all)."""
    headers = object_headers(rec)
    headers.pop('X-Object-Manifest', None)
    headers.pop('X-Symlink-Target', None)
    if rec.get('delete_at') is None:
        headers['X-Remove-Delete-At'] = 'x'
    wire.check(
        dst.object_store.post(
            wire.object_path(container, rec['name']), headers=headers
        ),
        'update object %r' % rec['name'],
    )


class Result(ty.NamedTuple):
    copied: int
    updated: int
    bytes: int
    failures: list[str]
    #: ``at_copy`` objects found gone or expired in the source: not sent
    gone: int = 0


def import_objects(
    dst: ty.Any,
    source: Source,
    container: str,
    work: work_mod.Work,
    workers: int,
    progress: progress_mod.Progress,
    state: state_mod.State | None,
    keep: set[str],
    listing: dict[str, dict],
) -> Result:
    """Do ``work`` (:func:`.work.look` done) in the destination container,
    ``workers`` objects at a time: plain objects first, then manifests,
    whose segments may be among them.  Record in ``state`` what is now
    verified (the ``listing`` the work was made from vouches for the
    objects it found as the file says).

    Every object is tried; the failures are returned, not raised.
    """
    lock = threading.Lock()
    total = sum(
        r.get('bytes') or 0 for r in work.copy if not large.large_kind(r)
    )
    meter = (
        progress.start('container %r' % container, total)
        if work.copy
        else None
    )
    counts = {'copied': 0, 'updated': 0, 'bytes': 0, 'gone': 0}
    failures: list[str] = []
    written: set[str] = set()

    def moved(n: int) -> None:
        if meter is not None:
            with lock:
                meter.update(n)

    def failed(e: Exception) -> None:
        with lock:
            failures.append(str(e))

    def copy(rec: dict) -> None:
        try:
            sent = put_object(dst, source, container, rec, moved)
        except Gone:
            with lock:
                counts['gone'] += 1
            return None
        except (exceptions.MigrateError, sdk_exceptions.SDKException) as e:
            return failed(e)
        with lock:
            counts['copied'] += 1
            counts['bytes'] += sent
            written.add(rec['name'])

    def fix(rec: dict) -> None:
        try:
            post_object(dst, container, rec)
        except (exceptions.MigrateError, sdk_exceptions.SDKException) as e:
            return failed(e)
        with lock:
            counts['updated'] += 1
            written.add(rec['name'])

    plain = [r for r in work.copy if large.large_kind(r) is None]
    manifests = [r for r in work.copy if large.large_kind(r) is not None]
    try:
        pool.run(fix, work.fix, workers, 'post')
        pool.run(copy, plain, workers, 'copy')
        pool.run(copy, manifests, workers, 'copy')
    finally:
        if meter is not None:
            meter.finish('%d object(s) copied' % counts['copied'])
        if state is not None:
            record_state(dst, container, state, work, written, keep, listing)
    return Result(
        counts['copied'],
        counts['updated'],
        counts['bytes'],
        failures,
        counts['gone'],
    )


def record_state(
    dst: ty.Any,
    container: str,
    state: state_mod.State,
    work: work_mod.Work,
    written: set[str],
    keep: set[str],
    listing: dict[str, dict],
) -> None:
    """Record the objects verified: those found as the file says in
    ``listing``, and those written (one more listing gives their last
    write as the next import will see it)."""
    verified = {}
    for rec in work.verified:
        item = listing[rec['name']]
        verified[rec['name']] = [
            item.get('last_modified'),
            work_mod.wanted_digest(rec),
        ]
    if written:
        try:
            after = {
                i['name']: i for i in records.list_objects(dst, container)
            }
        except exceptions.MigrateError:
            LOG.debug('No listing to record', exc_info=True)
            after = {}
        for rec in work.copy + work.fix:
            item = after.get(rec['name'])
            if rec['name'] in written and work_mod.same_bytes(rec, item):
                verified[rec['name']] = [
                    ty.cast(dict, item).get('last_modified'),
                    work_mod.wanted_digest(rec),
                ]
    if verified or written:
        state.record(verified, keep)
