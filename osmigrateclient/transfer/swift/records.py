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


"""The objects of a container as a data file records them: one (paged)
listing, and a HEAD for what a listing lacks (user metadata,
``X-Delete-At``, large-object manifests), only for the objects whose
record is not already known (see :func:`records`).

A record marked ``at_copy`` (export ``--metadata-at-copy``) is a plain
object recorded from the listing alone: the import reads its metadata
with the GET that copies its bytes (:func:`filled`).
"""

import logging
import typing as ty

from osmigrateclient import swift_names
from osmigrateclient.transfer.swift import large
from osmigrateclient.transfer.swift import pool
from osmigrateclient.transfer.swift import wire

LOG = logging.getLogger(__name__)

#: objects per listing request (Swift's own largest page)
LIST_PAGE = 10000


def list_objects(conn: ty.Any, container: str) -> list[dict]:
    """Every object of a container: one request per page of
    :data:`LIST_PAGE`."""
    found: list[dict] = []
    marker = ''
    while True:
        params: dict[str, ty.Any] = {'format': 'json', 'limit': LIST_PAGE}
        if marker:
            params['marker'] = marker
        response = wire.check(
            conn.object_store.get(
                wire.container_path(container), params=params
            ),
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


def listed_type(item: dict) -> str | None:
    """A listing's content type, without what Swift adds to it."""
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
        'content_type': listed_type(item),
        'last_modified': item.get('last_modified'),
    }
    if item.get('slo_etag'):
        rec['segments'] = segments or []
    if headers is not None:
        meta = wire.meta_of(headers, 'X-Object-Meta-')
        if meta:
            rec['metadata'] = meta
        if headers.get('X-Delete-At'):
            rec['delete_at'] = int(headers['X-Delete-At'])
        kept = {
            key: wire.decoded(headers[name])
            for key, name in swift_names.OBJECT_HEADER_KEYS.items()
            if headers.get(name)
        }
        if kept:
            rec['headers'] = kept
        if headers.get('X-Object-Manifest'):
            rec['manifest'] = wire.decoded(headers['X-Object-Manifest'])
        if headers.get('X-Symlink-Target'):
            rec['symlink'] = wire.decoded(headers['X-Symlink-Target'])
            if headers.get('X-Symlink-Target-Account'):
                LOG.warning(
                    'Object %r links to another account (%s): its link '
                    'will point into the destination account',
                    item['name'],
                    headers['X-Symlink-Target-Account'],
                )
    return rec


def is_plain(item: dict) -> bool:
    """Whether a listed object can be recorded from its listing alone
    (``at_copy``): it has bytes (an empty one may be a dynamic large
    object's manifest, which a listing cannot tell) and is neither a
    static large object nor a symbolic link."""
    return bool(
        item.get('bytes')
        and not item.get('slo_etag')
        and not large.is_symlink(item)
    )


#: the fields of a record that an ``at_copy`` one lacks: the source's
#: headers give them at import
AT_COPY_FIELDS = ('content_type', 'metadata', 'delete_at', 'headers')


def filled(rec: dict, headers: ty.Mapping[str, str]) -> dict:
    """An ``at_copy`` record with what the source's ``headers`` (of a GET
    or HEAD of the object) say of its content type, metadata, expiry and
    kept headers; the rest (bytes, marker, last write) is the record's,
    so that its :func:`.work.wanted_digest` stays the file's."""
    got = record_of(
        {'name': rec['name'], 'content_type': headers.get('Content-Type')},
        headers,
    )
    out = {k: v for k, v in rec.items() if k not in AT_COPY_FIELDS}
    out.update({k: got[k] for k in AT_COPY_FIELDS if got.get(k) is not None})
    return out


def head_object(
    conn: ty.Any, container: str, name: str, symlink: bool = False
) -> ty.Any:
    """The headers of an object (a large object's manifest's own; with
    ``symlink``, a symbolic link's own), or None if there is none."""
    params = {'multipart-manifest': 'get'}
    if symlink:
        params['symlink'] = 'get'
    response = conn.object_store.head(
        wire.object_path(container, name), params=params
    )
    if response.status_code == 404:
        return None
    headers = wire.check(response, 'object %r' % name).headers
    return headers if symlink else link_expiry(conn, container, name, headers)


def link_expiry(
    conn: ty.Any, container: str, name: str, headers: ty.Any
) -> ty.Any:
    """``headers`` (of a HEAD or GET that followed the name) with the
    expiry of the name itself.

    In a container with object versioning (``versions_enabled``) the name
    is Swift's link to the current version, and ``X-Delete-At`` lives on
    that link, not on the version that a plain HEAD shows: one more HEAD
    (``symlink=get``) reads it.
    """
    if headers is None or not headers.get('X-Object-Version-Id'):
        return headers
    link = head_object(conn, container, name, symlink=True)
    headers = headers.copy()  # (case-insensitive, as Swift answers)
    headers.pop('X-Delete-At', None)
    if link is not None and link.get('X-Delete-At'):
        headers['X-Delete-At'] = link['X-Delete-At']
    return headers


def same_listing(rec: dict, item: dict) -> bool:
    """Whether a listing ``item`` shows a record's ETag, size and last
    write."""
    return (rec.get('hash'), rec.get('bytes'), rec.get('last_modified')) == (
        listed_hash(item),
        item.get('bytes'),
        item.get('last_modified'),
    )


def records(
    conn: ty.Any,
    container: str,
    known: dict[str, dict],
    workers: int = 1,
    read: ty.Callable[[dict], ty.Any] | None = None,
    at_copy: bool = False,
) -> list[dict]:
    """The records of a container's objects, in name order.

    One listing; the headers of an object (``read(item)``: a HEAD unless
    told otherwise) and a static large object's manifest only for the
    objects whose listing differs from their ``known`` record (the last
    export's: same ETag, size and last write, whose time changes with any
    metadata change too), ``workers`` at a time.  With ``at_copy``, the
    plain objects (:func:`is_plain`) are recorded from the listing alone,
    marked ``at_copy``: no HEAD.
    """
    items = list_objects(conn, container)
    out: list[dict | None] = [None] * len(items)
    todo = []
    for i, item in enumerate(items):
        old = known.get(item['name'])
        # (an at_copy record lacks what an export without the option
        # records)
        if (
            old is not None
            and (at_copy or not old.get('at_copy'))
            and same_listing(old, item)
        ):
            out[i] = old
        elif at_copy and is_plain(item):
            out[i] = dict(record_of(item, None), at_copy=True)
        else:
            todo.append(i)

    def headers_of(item: dict) -> ty.Any:
        return head_object(
            conn, container, item['name'], large.is_symlink(item)
        )

    def fill(i: int) -> None:
        item = items[i]
        headers = (read or headers_of)(item)
        if headers is None:  # deleted since the listing
            return
        segments = None
        if item.get('slo_etag'):
            segments = large.slo_segments(conn, container, item['name'])
        out[i] = record_of(item, headers, segments)

    pool.run(fill, todo, workers, 'head')
    return [r for r in out if r is not None]
