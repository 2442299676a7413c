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


"""Objects' bytes kept as files of the data directory (``--keep-blobs``):
where they go, how they are written (verified by the record's ETag) and
why no planted link leads them elsewhere."""

import hashlib
import logging
import os
import typing as ty

from osmigrateclient import datadir
from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient.transfer.swift import wire

LOG = logging.getLogger(__name__)


def blob_path(
    data_dir: str, container: str, name: str, version_id: str | None = None
) -> str:
    """Where ``--keep-blobs`` keeps an object's bytes (those of one of its
    older versions, ``version_id``): named by hashes of the container and
    object names, so no name leads out of the directory, and ``a`` and
    ``a/b`` do not collide."""
    if version_id:
        # (no object name holds a NUL: no collision with a plain one)
        name = '%s\0%s' % (name, version_id)

    def digest(text: str) -> str:
        return hashlib.sha256(
            text.encode('utf-8', errors='surrogatepass')
        ).hexdigest()

    return os.path.join(
        data_dir, datadir.CONTAINER_BLOBS, digest(container), digest(name)
    )


def refuse_links(path: str, data_dir: str) -> None:
    """Refuse a planted symbolic link among the directories of ``path``
    below ``data_dir`` (it would lead reads or writes elsewhere).

    :raises osmigrateclient.exceptions.DataFileError: one is a link
    """
    directory = os.path.dirname(path)
    while len(directory) > len(data_dir):
        if os.path.islink(directory):
            raise exceptions.DataFileError(
                'is a symbolic link: refused (it must be a directory)',
                path=directory,
            )
        directory = os.path.dirname(directory)


def _blob_dir(path: str, data_dir: str) -> None:
    """Make the directories of a blob, none of them a link."""
    refuse_links(path, data_dir)
    datafile.ensure_dir(os.path.dirname(os.path.dirname(path)), link_ok=False)
    datafile.ensure_dir(os.path.dirname(path), link_ok=False)


def download_blob(
    conn: ty.Any,
    container: str,
    rec: dict,
    path: str,
    moved: ty.Callable[[int], None],
) -> ty.Any:
    """Write an object's bytes to ``path`` (via ``.part``), verified by its
    record's ETag; return the headers of the GET (its metadata), or None
    when a whole blob of that ETag was there already and is kept.

    :raises osmigrateclient.exceptions.MigrateError: the bytes are not
        the record's (the ``.part`` is left; the blob keeps its name only
        when whole)
    :raises osmigrateclient.exceptions.DataFileError: a directory of the
        blob is a symbolic link
    """
    # <data dir>/container_blobs/<container hash>/<object hash>
    _blob_dir(path, os.path.dirname(os.path.dirname(os.path.dirname(path))))
    if os.path.isfile(path) and os.path.getsize(path) == rec.get('bytes'):
        md5 = hashlib.md5(usedforsecurity=False)
        with os.fdopen(datafile.open_private(path, os.O_RDONLY), 'rb') as f:
            for chunk in iter(lambda: f.read(wire.CHUNK_SIZE), b''):
                md5.update(chunk)
        if md5.hexdigest() == rec.get('hash'):
            return None
    part = path + '.part'
    LOG.debug('GET %s (object bytes: not logged)', rec['name'])
    response = conn.object_store.get(
        wire.object_path(container, rec['name']),
        stream=True,
        log=False,
        params={'version-id': rec['version_id']}
        if rec.get('version_id')
        else {},
    )
    wire.check(response, 'read object %r' % rec['name'])
    md5 = hashlib.md5(usedforsecurity=False)
    size = 0
    fd = datafile.open_private(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        with os.fdopen(fd, 'wb', closefd=False) as out:
            for chunk in wire.raw_chunks(response):
                out.write(chunk)
                md5.update(chunk)
                size += len(chunk)
                moved(len(chunk))
    finally:
        os.close(fd)
        response.close()
    if md5.hexdigest() != rec.get('hash') or size != rec.get('bytes'):
        raise exceptions.MigrateError(
            'object %r: downloaded %d bytes of MD5 %s, the listing says %s '
            'bytes of %s'
            % (
                rec['name'],
                size,
                md5.hexdigest(),
                rec.get('bytes'),
                rec.get('hash'),
            )
        )
    os.replace(part, path)
    return response.headers
