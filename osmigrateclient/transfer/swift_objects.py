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

"""Swift objects: listings, records, and the byte copy between two clouds.

A container's objects are known from one (paged) listing per side: name,
ETag (MD5), bytes, content type and the time of the last write.  What a
listing lacks (user metadata, ``X-Delete-At``, large-object manifests) is
read with a HEAD, only for the objects whose record is not already known
(see :func:`records`); an import leaves an object alone when the
destination listing shows the same bytes and its state file
(:class:`State`) vouches that its metadata was verified since the
destination's last write.

Bytes are streamed: a GET of the source (or a blob file of the data
directory) feeds a PUT to the destination, in chunks, hashed on the way.
The PUT carries the expected ``ETag``, so that Swift itself refuses bytes
that do not hash to it; the MD5 of what was read is checked too.  Static
large objects are put as manifests (``?multipart-manifest=put``: Swift
checks each segment's ETag and size); dynamic ones as their
``X-Object-Manifest``.

Every request goes through openstacksdk's object-store proxy (its adapter:
the SDK's resource classes lose headers this module needs).  Names from a
data file are checked (:func:`container_name_problem`,
:func:`object_name_problem`) before they reach a URL, and they never
become a path: a blob's file name is a hash of the names.
"""

from concurrent import futures
import hashlib
import json
import logging
import os
import re
import threading
import time
import typing as ty
from urllib import parse

from openstack import exceptions as sdk_exceptions

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient import progress as progress_mod

LOG = logging.getLogger(__name__)

#: bytes read from the network or a file at a time
CHUNK_SIZE = 1024 * 1024
#: objects per listing request (Swift's own largest page)
LIST_PAGE = 10000
#: the ETag of no bytes: what a dynamic large object's manifest holds
EMPTY_MD5 = hashlib.md5(b'', usedforsecurity=False).hexdigest()
SLO, DLO, SYMLINK = 'slo', 'dlo', 'symlink'
#: object headers that Swift keeps (its default ``allowed_headers``),
#: beyond the content type, metadata, expiry and manifest
OBJECT_HEADERS = (
    'Cache-Control',
    'Content-Disposition',
    'Content-Encoding',
    'Content-Language',
    'Expires',
    'X-Robots-Tag',
)
_OBJECT_HEADER_KEYS = {h.lower(): h for h in OBJECT_HEADERS}
#: container metadata never exported: secrets (temporary URL keys)
SECRET_META = ('temp-url-key', 'temp-url-key-2')
#: the data directory's sub-directories of this module
BLOB_DIR = 'container_blobs'
STATE_DIR = 'container_state'

_MD5 = re.compile(r'[0-9a-f]{32}\Z')
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}\Z")
_CONTROL = re.compile(r'[\x00-\x1f\x7f]')


# -- names, from untrusted files ----------------------------------------------


def container_name_problem(value: ty.Any) -> str | None:
    """Why ``value`` cannot be a container's name, or None."""
    if not isinstance(value, str) or not value:
        return 'must be a non-empty string, not %s' % datafile.shown(value)
    if '/' in value or _CONTROL.search(value):
        return (
            'a container name has no "/" nor control characters: %s'
            % datafile.shown(value)
        )
    if len(value.encode('utf-8', errors='surrogatepass')) > 256:
        return 'a container name has at most 256 bytes'
    return None


def object_name_problem(value: ty.Any) -> str | None:
    """Why ``value`` cannot be an object's name, or None."""
    if not isinstance(value, str) or not value:
        return 'must be a non-empty string, not %s' % datafile.shown(value)
    if _CONTROL.search(value):
        return 'an object name has no control characters: %s' % (
            datafile.shown(value)
        )
    if len(value.encode('utf-8', errors='surrogatepass')) > 1024:
        return 'an object name has at most 1024 bytes'
    return None


def header_value_problem(value: ty.Any) -> str | None:
    if not isinstance(value, str):
        return 'must be a string, not %s' % datafile.type_name(value)
    if '\r' in value or '\n' in value or '\x00' in value:
        return 'a header value has no line break nor NUL: %s' % (
            datafile.shown(value)
        )
    return None


def large_kind(rec: dict) -> str | None:
    """``slo`` (a record with segments), ``dlo`` (with a manifest),
    ``symlink`` (with a target) or None (a plain object): the kinds whose
    bytes are not copied, but made again by Swift."""
    if rec.get('segments'):
        return SLO
    if rec.get('manifest') is not None:
        return DLO
    if rec.get('symlink') is not None:
        return SYMLINK
    return None


def is_symlink(item: dict | None) -> bool:
    """Whether a listing item is a symbolic link (not one of object
    versioning's, which stand for the object itself)."""
    return bool(
        item and item.get('symlink_path') and not item.get('version_symlink')
    )


def record_problem(rec: dict) -> tuple[str, str] | None:
    """(field, problem) of an object record of a data file (its shape
    already checked) whose values cannot be sent, or None.  Swift checks
    the rest (a manifest's form, a segment's path)."""
    problem = object_name_problem(rec.get('name'))
    if problem:
        return 'name', problem
    for field in ('bytes', 'delete_at'):
        value = rec.get(field)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < 0
        ):
            return field, 'must be a whole number, not %s' % (
                datafile.shown(value)
            )
    for field in ('hash', 'content_type', 'manifest', 'symlink'):
        value = rec.get(field)
        problem = value is not None and header_value_problem(value)
        if problem:
            return field, problem
    for key, value in (rec.get('metadata') or {}).items():
        if not _TOKEN.match(key):
            return 'metadata', 'not a header name: %s' % datafile.shown(key)
        problem = header_value_problem(value)
        if problem:
            return 'metadata.%s' % key, problem
    for key, value in (rec.get('headers') or {}).items():
        if key not in _OBJECT_HEADER_KEYS:
            return 'headers', 'not one of %s: %s' % (
                ', '.join(sorted(_OBJECT_HEADER_KEYS)),
                datafile.shown(key),
            )
        problem = header_value_problem(value)
        if problem:
            return 'headers.%s' % key, problem
    return None


# -- URLs and headers ---------------------------------------------------------


def _quoted(name: str) -> str:
    """One URL path segment that Swift reads back as ``name``: "/" too is
    encoded, and "." and "..", so that no client takes them for dot
    segments (``a/../b`` is a fine object name)."""
    if name in ('.', '..'):
        return name.replace('.', '%2E')
    return parse.quote(name.encode('utf-8', errors='surrogatepass'), safe='')


def container_path(name: str) -> str:
    return '/' + _quoted(name)


def object_path(container: str, name: str) -> str:
    return container_path(container) + '/' + _quoted(name)


def _text(value: str) -> str:
    """A header value as Swift meant it (UTF-8 arrives as latin-1)."""
    try:
        return value.encode('latin-1').decode('utf-8')
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _wire(value: ty.Any) -> str:
    """A header value as it goes on the wire: UTF-8 bytes (keystoneauth
    takes ASCII bytes only, http.client sends a text as latin-1)."""
    return str(value).encode('utf-8').decode('latin-1')


def meta_of(headers: ty.Mapping[str, str], prefix: str) -> dict[str, str]:
    """The user metadata of ``headers`` (``X-Object-Meta-``), keys lower
    case as Swift treats them."""
    prefix = prefix.lower()
    return {
        k[len(prefix) :].lower(): _text(v)
        for k, v in headers.items()
        if k.lower().startswith(prefix)
    }


def _check(response: ty.Any, what: str) -> ty.Any:
    try:
        sdk_exceptions.raise_from_response(response)
    except sdk_exceptions.HttpException as e:
        details = (getattr(e, 'details', None) or str(e)).strip()
        raise exceptions.MigrateError(
            '%s: %s %s'
            % (what, response.status_code, details.splitlines()[0][:200])
        )
    return response


# -- containers ---------------------------------------------------------------

#: params of a container and the header each one is
CONTAINER_HEADERS = {
    'read_acl': 'X-Container-Read',
    'write_acl': 'X-Container-Write',
    'versions_location': 'X-Versions-Location',
    'history_location': 'X-History-Location',
    'versions_enabled': 'X-Versions-Enabled',
    'storage_policy': 'X-Storage-Policy',
}
_REMOVE = {
    'read_acl': 'X-Remove-Container-Read',
    'write_acl': 'X-Remove-Container-Write',
    'versions_location': 'X-Remove-Versions-Location',
    'history_location': 'X-Remove-History-Location',
}


def head_container(conn: ty.Any, name: str) -> ty.Mapping[str, str] | None:
    """The headers of a container, or None if there is none."""
    response = conn.object_store.head(container_path(name))
    if response.status_code == 404:
        return None
    return _check(response, 'container %r' % name).headers


def container_params(headers: ty.Mapping[str, str]) -> dict[str, ty.Any]:
    """The params of a container from its HEAD."""
    meta = meta_of(headers, 'X-Container-Meta-')
    for key in SECRET_META:
        if meta.pop(key, None) is not None:
            LOG.info('Container metadata %s not exported (a secret)', key)
    params: dict[str, ty.Any] = {'metadata': meta}
    for param, header in CONTAINER_HEADERS.items():
        value = headers.get(header)
        if param == 'versions_enabled' and value is not None:
            value = value.lower() == 'true'
        elif value is not None:
            value = _text(value)
        params[param] = value
    return params


def container_headers(params: dict, current: dict | None = None) -> dict:
    """The headers that make a container hold ``params``: every one on a
    create (``current`` None), else those that change ``current``."""
    headers: dict[str, ty.Any] = {}
    have = (current or {}).get('metadata') or {}
    want = params.get('metadata') or {}
    for key, value in want.items():
        if value is not None and (current is None or have.get(key) != value):
            headers['X-Container-Meta-' + key] = _wire(value)
    if current is not None:
        for key in have:
            if key not in want:
                headers['X-Remove-Container-Meta-' + key] = 'x'
    for param, header in CONTAINER_HEADERS.items():
        if param not in params:
            continue
        value = params[param]
        if current is not None and value == current.get(param):
            continue
        if param == 'storage_policy' and current is not None:
            continue  # create-only
        if value is None or value == '':
            if current is not None and param in _REMOVE:
                headers[_REMOVE[param]] = 'x'
            continue
        if isinstance(value, bool):
            value = 'true' if value else 'false'
        headers[header] = _wire(value)
    return headers


def put_container(conn: ty.Any, name: str, headers: dict) -> None:
    _check(
        conn.object_store.put(container_path(name), headers=headers),
        'create container %r' % name,
    )


def post_container(conn: ty.Any, name: str, headers: dict) -> None:
    _check(
        conn.object_store.post(container_path(name), headers=headers),
        'update container %r' % name,
    )


# -- listings and records -----------------------------------------------------


def list_objects(conn: ty.Any, container: str) -> list[dict]:
    """Every object of a container: one request per page of
    :data:`LIST_PAGE`."""
    found: list[dict] = []
    marker = ''
    while True:
        params: dict[str, ty.Any] = {'format': 'json', 'limit': LIST_PAGE}
        if marker:
            params['marker'] = marker
        response = _check(
            conn.object_store.get(container_path(container), params=params),
            'list container %r' % container,
        )
        page = response.json() if response.status_code != 204 else []
        found.extend(p for p in page if 'name' in p)
        if len(page) < LIST_PAGE:
            return found
        marker = page[-1].get('name') or page[-1].get('subdir')


def listed_hash(item: dict) -> str:
    """What an object's bytes are known by in a listing: its ETag, or a
    static large object's (the MD5 of its segments' ETags)."""
    slo = item.get('slo_etag')
    if slo:
        return slo.strip('"')
    return (item.get('hash') or '').split(';')[0].strip().strip('"')


def _listed_type(item: dict) -> str | None:
    ctype = item.get('content_type')
    if ctype is None:
        return None
    return ';'.join(
        p for p in ctype.split(';') if not p.strip().startswith('swift_bytes=')
    )


def record_of(
    item: dict,
    headers: ty.Mapping[str, str] | None,
    segments: list[dict] | None = None,
) -> dict:
    """The data-file record of an object: its listing ``item`` and, when
    read, the ``headers`` of its HEAD; keys without a value are left out,
    so thousands of plain objects stay small."""
    rec: dict[str, ty.Any] = {
        'name': item['name'],
        'hash': listed_hash(item),
        'bytes': item.get('bytes'),
        'content_type': _listed_type(item),
        'last_modified': item.get('last_modified'),
    }
    if item.get('slo_etag'):
        rec['segments'] = segments or []
    if headers is not None:
        meta = meta_of(headers, 'X-Object-Meta-')
        if meta:
            rec['metadata'] = meta
        if headers.get('X-Delete-At'):
            rec['delete_at'] = int(headers['X-Delete-At'])
        kept = {
            key: _text(headers[name])
            for key, name in _OBJECT_HEADER_KEYS.items()
            if headers.get(name)
        }
        if kept:
            rec['headers'] = kept
        if headers.get('X-Object-Manifest'):
            rec['manifest'] = _text(headers['X-Object-Manifest'])
        if headers.get('X-Symlink-Target'):
            rec['symlink'] = _text(headers['X-Symlink-Target'])
            if headers.get('X-Symlink-Target-Account'):
                LOG.warning(
                    'Object %r links to another account (%s): its link '
                    'will point into the destination account',
                    item['name'],
                    headers['X-Symlink-Target-Account'],
                )
    return rec


def head_object(
    conn: ty.Any, container: str, name: str, symlink: bool = False
) -> ty.Any:
    """The headers of an object (a large object's manifest's own; with
    ``symlink``, a symbolic link's own), or None if there is none."""
    params = {'multipart-manifest': 'get'}
    if symlink:
        params['symlink'] = 'get'
    response = conn.object_store.head(
        object_path(container, name), params=params
    )
    if response.status_code == 404:
        return None
    return _check(response, 'object %r' % name).headers


def slo_segments(conn: ty.Any, container: str, name: str) -> list[dict]:
    """The segments of a static large object, as its manifest PUT takes
    them."""
    response = _check(
        conn.object_store.get(
            object_path(container, name),
            params={'multipart-manifest': 'get', 'format': 'raw'},
        ),
        'manifest of %r' % name,
    )
    segments = []
    for seg in response.json():
        out = {
            'path': _text(seg['path'])
            if not seg['path'].startswith('/')
            else seg['path'],
            'etag': seg.get('etag'),
            'size_bytes': seg.get('size_bytes'),
        }
        if seg.get('range'):
            out['range'] = seg['range']
        segments.append(out)
    return segments


def records(
    conn: ty.Any,
    container: str,
    known: dict[str, dict],
    workers: int = 1,
    read: ty.Callable[[dict], ty.Any] | None = None,
) -> list[dict]:
    """The records of a container's objects, in name order.

    One listing; the headers of an object (``read(item)``: a HEAD unless
    told otherwise) and a static large object's manifest only for the
    objects whose listing differs from their ``known`` record (the last
    export's: same ETag, size and last write, whose time changes with any
    metadata change too), ``workers`` at a time.
    """
    items = list_objects(conn, container)
    out: list[dict | None] = [None] * len(items)
    todo = []
    for i, item in enumerate(items):
        old = known.get(item['name'])
        if old is not None and (
            old.get('hash'),
            old.get('bytes'),
            old.get('last_modified'),
        ) == (listed_hash(item), item.get('bytes'), item.get('last_modified')):
            out[i] = old
        else:
            todo.append(i)

    def headers_of(item: dict) -> ty.Any:
        return head_object(conn, container, item['name'], is_symlink(item))

    def fill(i: int) -> None:
        item = items[i]
        headers = (read or headers_of)(item)
        if headers is None:  # deleted since the listing
            return
        segments = None
        if item.get('slo_etag'):
            segments = slo_segments(conn, container, item['name'])
        out[i] = record_of(item, headers, segments)

    _in_pool(fill, todo, workers, 'head')
    return [r for r in out if r is not None]


def _in_pool(
    work: ty.Callable[[ty.Any], ty.Any],
    items: list,
    workers: int,
    name: str,
) -> None:
    """Run ``work`` on every item, ``workers`` at a time; the first error
    is raised once every started item is done."""
    if workers <= 1 or len(items) <= 1:
        for item in items:
            work(item)
        return
    pool = futures.ThreadPoolExecutor(
        max_workers=min(workers, len(items)), thread_name_prefix=name
    )
    try:
        for done in [pool.submit(work, item) for item in items]:
            done.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# -- what an import has to do -------------------------------------------------


def wanted_digest(rec: dict) -> str:
    """A digest of everything an object's record asks of the destination
    beyond its listing: metadata, expiry, manifest."""
    wanted = {
        k: rec.get(k)
        for k in (
            'hash',
            'content_type',
            'metadata',
            'delete_at',
            'manifest',
            'symlink',
        )
    }
    wanted['large'] = large_kind(rec)
    wanted['metadata'] = wanted['metadata'] or {}
    if rec.get('headers'):
        wanted['headers'] = rec['headers']
    text = json.dumps(wanted, sort_keys=True)
    return hashlib.sha256(text.encode('utf-8')).hexdigest()[:32]


def same_bytes(rec: dict, item: dict | None) -> bool:
    """Whether a destination listing ``item`` holds the record's bytes."""
    if item is None:
        return False
    if large_kind(rec) == SLO and not item.get('slo_etag'):
        return False
    if (large_kind(rec) == SYMLINK) != is_symlink(item):
        return False
    return (listed_hash(item), item.get('bytes')) == (
        rec.get('hash'),
        rec.get('bytes'),
    )


def meta_problem(rec: dict, headers: ty.Mapping[str, str]) -> str:
    """What the destination object (its HEAD) holds that the record does
    not, or ''."""
    have = record_of(
        {'name': rec['name'], 'content_type': headers.get('Content-Type')},
        headers,
    )
    parts = []
    if (rec.get('metadata') or {}) != (have.get('metadata') or {}):
        parts.append('metadata')
    if rec.get('delete_at') != have.get('delete_at'):
        parts.append('delete_at')
    if (rec.get('headers') or {}) != (have.get('headers') or {}):
        parts.append('headers')
    if rec.get('content_type') is not None and rec.get(
        'content_type'
    ) != _listed_type({'content_type': headers.get('Content-Type')}):
        parts.append('content_type')
    if large_kind(rec) != SLO and rec.get('manifest') != have.get('manifest'):
        parts.append('manifest')
    if rec.get('symlink') != have.get('symlink'):
        parts.append('symlink')
    return ', '.join(parts)


class Work(ty.NamedTuple):
    """What an import of a container's objects does, by record."""

    #: the destination lacks the bytes (or holds others): PUT
    copy: list[dict]
    #: the bytes are there; the metadata needs a look (HEAD)
    check: list[dict]
    #: the bytes are there, the metadata differs: POST
    fix: list[dict]
    #: looked at (HEAD): as the file says
    verified: list[dict]
    #: as the file says, by the listing and the state of earlier imports
    same: list[dict]
    #: the expiry has passed: not sent
    expired: list[dict]


def classify(
    wanted: list[dict],
    listing: dict[str, dict],
    state: dict[str, list[str]],
    now: float | None = None,
) -> Work:
    """Sort the records of a file by what the destination ``listing``
    (by name) and the ``state`` (what earlier imports verified) say."""
    now = time.time() if now is None else now
    work = Work([], [], [], [], [], [])
    for rec in wanted:
        item = listing.get(rec['name'])
        if rec.get('delete_at') is not None and rec['delete_at'] <= now:
            work.expired.append(rec)
        elif not same_bytes(rec, item):
            work.copy.append(rec)
        elif state.get(rec['name']) == [
            ty.cast(dict, item).get('last_modified'),
            wanted_digest(rec),
        ]:
            work.same.append(rec)
        else:
            work.check.append(rec)
    return work


def look(dst: ty.Any, container: str, work: Work, workers: int) -> Work:
    """``work`` with its objects to check looked at (a HEAD each,
    ``workers`` at a time): each one to copy, to fix or verified."""
    found: dict[int, str] = {}

    def head(i: int) -> None:
        rec = work.check[i]
        headers = head_object(
            dst, container, rec['name'], large_kind(rec) == SYMLINK
        )
        if headers is None:
            found[i] = 'copy'
            return
        problem = meta_problem(rec, headers)
        if 'manifest' in problem or 'symlink' in problem:
            found[i] = 'copy'
        else:
            found[i] = 'fix' if problem else 'verified'

    _in_pool(head, list(range(len(work.check))), workers, 'head')
    out = Work(list(work.copy), [], [], [], list(work.same), work.expired)
    for i, rec in enumerate(work.check):
        getattr(out, found[i]).append(rec)
    return out


# -- the state of earlier imports ---------------------------------------------

STATE_SHAPE = {
    'container': datafile.STR,
    'objects': datafile.MapOf([datafile.STR]),
}


class State:
    """What earlier imports verified in one destination container: by
    object name, [the destination listing's last write, the record's
    :func:`wanted_digest`].  One JSON file per destination account and
    container, named by their hash (no name from a file reaches a path),
    0600, written atomically under a lock, shape-checked on read."""

    def __init__(self, data_dir: str, account: str, container: str) -> None:
        key = hashlib.sha256(
            ('%s\0%s' % (account, container)).encode('utf-8')
        ).hexdigest()
        self.path = os.path.join(data_dir, STATE_DIR, key + '.json')
        self.container = container

    def read(self) -> dict[str, list[str]]:
        if not os.path.exists(self.path):
            return {}
        try:
            data = json.loads(datafile.read_text(self.path))
        except ValueError as e:
            raise exceptions.DataFileError(
                'not JSON: %s (delete it: the next import checks the '
                'objects again)' % e,
                path=self.path,
            )
        datafile.check_shape(data, STATE_SHAPE, '', self.path)
        if not isinstance(data, dict) or data.get('container') != (
            self.container
        ):
            return {}
        return {
            k: v
            for k, v in (data.get('objects') or {}).items()
            if isinstance(v, list) and len(v) == 2
        }

    def record(self, verified: dict[str, list[str]], keep: set[str]) -> None:
        """Add ``verified`` objects; forget those not in ``keep``."""
        datafile.ensure_dir(os.path.dirname(self.path), link_ok=False)
        with datafile.locked(self.path):
            objects = {k: v for k, v in self.read().items() if k in keep}
            objects.update(verified)
            datafile.write_text(
                self.path,
                json.dumps(
                    {'container': self.container, 'objects': objects},
                    sort_keys=True,
                    separators=(',', ':'),
                ),
            )


# -- blobs --------------------------------------------------------------------


def blob_path(data_dir: str, container: str, name: str) -> str:
    """Where ``--keep-blobs`` keeps an object's bytes: named by hashes of
    the container and object names, so no name leads out of the
    directory, and ``a`` and ``a/b`` do not collide."""

    def digest(text: str) -> str:
        return hashlib.sha256(
            text.encode('utf-8', errors='surrogatepass')
        ).hexdigest()

    return os.path.join(data_dir, BLOB_DIR, digest(container), digest(name))


def _no_links(path: str, data_dir: str) -> None:
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
    _no_links(path, data_dir)
    datafile.ensure_dir(os.path.dirname(os.path.dirname(path)), link_ok=False)
    datafile.ensure_dir(os.path.dirname(path), link_ok=False)


# -- moving bytes -------------------------------------------------------------


class _Body:
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


def raw_chunks(response: ty.Any) -> ty.Iterator[bytes]:
    """The bytes of a streamed response as Swift stores them: an object
    with ``Content-Encoding: gzip`` is not decompressed on the way (its
    ETag is that of the compressed bytes)."""
    raw = getattr(response, 'raw', None)
    if raw is None or not hasattr(raw, 'stream'):
        return response.iter_content(chunk_size=CHUNK_SIZE)
    return raw.stream(CHUNK_SIZE, decode_content=False)


class Source:
    """Where an import reads objects' bytes: a Swift (``conn``) or the
    blobs of a data directory."""

    def __init__(self, conn: ty.Any = None, data_dir: str | None = None):
        self.conn = conn
        self.data_dir = data_dir

    def open(
        self, container: str, name: str
    ) -> tuple[ty.Iterator[bytes], ty.Callable[[], None]]:
        """(the chunks of an object's bytes, a closer)."""
        if self.conn is not None:
            LOG.debug('GET %s (object bytes: not logged)', name)
            response = self.conn.object_store.get(
                object_path(container, name), stream=True, log=False
            )
            _check(response, 'read source object %r' % name)
            return (
                raw_chunks(response),
                response.close,
            )
        path = blob_path(self.data_dir or '', container, name)
        try:
            _no_links(path, self.data_dir or '')
            f = os.fdopen(datafile.open_private(path, os.O_RDONLY), 'rb')
        except exceptions.DataFileError as e:
            raise exceptions.MigrateError(
                'no blob of object %r (%s): export with --keep-blobs, or '
                'import with --src-cloud' % (name, e.problem)
            )
        return iter(lambda: f.read(CHUNK_SIZE), b''), f.close


def object_headers(rec: dict) -> dict[str, ty.Any]:
    headers: dict[str, ty.Any] = {}
    if rec.get('content_type') is not None:
        headers['Content-Type'] = _wire(rec['content_type'])
    for key, value in (rec.get('metadata') or {}).items():
        headers['X-Object-Meta-' + key] = _wire(value)
    if rec.get('delete_at') is not None:
        headers['X-Delete-At'] = str(rec['delete_at'])
    for key, value in (rec.get('headers') or {}).items():
        headers[_OBJECT_HEADER_KEYS[key]] = _wire(value)
    if large_kind(rec) == DLO:
        headers['X-Object-Manifest'] = _wire(rec['manifest'])
    if large_kind(rec) == SYMLINK:
        headers['X-Symlink-Target'] = _wire(rec['symlink'])
    return headers


def _etag(response: ty.Any) -> str:
    return (response.headers.get('Etag') or '').strip('"')


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
    path = object_path(container, name)
    headers = object_headers(rec)
    large = large_kind(rec)
    if large == SLO:
        manifest = [
            {
                k: seg[k]
                for k in ('path', 'etag', 'size_bytes', 'range')
                if seg.get(k) is not None
            }
            for seg in rec.get('segments') or []
        ]
        response = _check(
            dst.object_store.put(
                path,
                data=json.dumps(manifest).encode('utf-8'),
                headers=headers,
                params={'multipart-manifest': 'put'},
            ),
            'put manifest of %r' % name,
        )
        if rec.get('hash') and _etag(response) != rec['hash']:
            raise exceptions.MigrateError(
                'manifest of %r: the destination says ETag %s, the source '
                '%s' % (name, _etag(response), rec['hash'])
            )
        return 0
    if large in (DLO, SYMLINK) or not rec.get('bytes'):
        headers['Content-Length'] = '0'
        response = _check(
            dst.object_store.put(path, data=b'', headers=headers),
            'put object %r' % name,
        )
        return 0
    chunks, close = source.open(container, name)
    try:
        body = _Body(iter(chunks), rec['bytes'], moved)
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
        _check(response, 'put object %r' % name)
    finally:
        close()
    got = body.md5.hexdigest()
    if (rec.get('hash') and got != rec['hash']) or body.sent != rec['bytes']:
        raise exceptions.MigrateError(
            'object %r: read %d bytes of MD5 %s, the file says %s bytes of '
            '%s' % (name, body.sent, got, rec['bytes'], rec.get('hash'))
        )
    if _etag(response) != got:
        raise exceptions.MigrateError(
            'object %r: the destination says ETag %s, the bytes sent hash '
            'to %s' % (name, _etag(response), got)
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
    _check(
        dst.object_store.post(
            object_path(container, rec['name']), headers=headers
        ),
        'update object %r' % rec['name'],
    )


class Result(ty.NamedTuple):
    copied: int
    updated: int
    bytes: int
    failures: list[str]


def import_objects(
    dst: ty.Any,
    source: Source,
    container: str,
    work: Work,
    workers: int,
    progress: progress_mod.Progress,
    state: State | None,
    keep: set[str],
    listing: dict[str, dict],
) -> Result:
    """Do ``work`` (:func:`look` done) in the destination container,
    ``workers`` objects at a time: plain objects first, then manifests,
    whose segments may be among them.  Record in ``state`` what is now
    verified (the ``listing`` the work was made from vouches for the
    objects it found as the file says).

    Every object is tried; the failures are returned, not raised.
    """
    lock = threading.Lock()
    total = sum(r.get('bytes') or 0 for r in work.copy if not large_kind(r))
    meter = (
        progress.start('container %r' % container, total)
        if work.copy
        else None
    )
    counts = {'copied': 0, 'updated': 0, 'bytes': 0}
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

    plain = [r for r in work.copy if large_kind(r) is None]
    manifests = [r for r in work.copy if large_kind(r) is not None]
    try:
        _in_pool(fix, work.fix, workers, 'post')
        _in_pool(copy, plain, workers, 'copy')
        _in_pool(copy, manifests, workers, 'copy')
    finally:
        if meter is not None:
            meter.finish('%d object(s) copied' % counts['copied'])
        if state is not None:
            record_state(dst, container, state, work, written, keep, listing)
    return Result(
        counts['copied'], counts['updated'], counts['bytes'], failures
    )


def record_state(
    dst: ty.Any,
    container: str,
    state: State,
    work: Work,
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
        verified[rec['name']] = [item.get('last_modified'), wanted_digest(rec)]
    if written:
        try:
            after = {i['name']: i for i in list_objects(dst, container)}
        except exceptions.MigrateError:
            LOG.debug('No listing to record', exc_info=True)
            after = {}
        for rec in work.copy + work.fix:
            item = after.get(rec['name'])
            if rec['name'] in written and same_bytes(rec, item):
                verified[rec['name']] = [
                    ty.cast(dict, item).get('last_modified'),
                    wanted_digest(rec),
                ]
    if verified or written:
        state.record(verified, keep)


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
            for chunk in iter(lambda: f.read(CHUNK_SIZE), b''):
                md5.update(chunk)
        if md5.hexdigest() == rec.get('hash'):
            return None
    part = path + '.part'
    LOG.debug('GET %s (object bytes: not logged)', rec['name'])
    response = conn.object_store.get(
        object_path(container, rec['name']), stream=True, log=False
    )
    _check(response, 'read object %r' % rec['name'])
    md5 = hashlib.md5(usedforsecurity=False)
    size = 0
    fd = datafile.open_private(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        with os.fdopen(fd, 'wb', closefd=False) as out:
            for chunk in raw_chunks(response):
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
