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


"""Objects whose bytes are not copied but made again by Swift: static
large objects (put as manifests, ``?multipart-manifest=put``: Swift
checks each segment's ETag and size), dynamic ones (put as their
``X-Object-Manifest``) and symbolic links (their ``X-Symlink-Target``)."""

import json
import typing as ty

from osmigrateclient import exceptions
from osmigrateclient.transfer.swift import wire

SLO, DLO, SYMLINK = 'slo', 'dlo', 'symlink'


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


def slo_segments(
    conn: ty.Any, container: str, name: str, version_id: str | None = None
) -> list[dict]:
    """The segments of a static large object (one ``version_id`` of it),
    as its manifest PUT takes them."""
    params = {'multipart-manifest': 'get', 'format': 'raw'}
    if version_id is not None:
        params['version-id'] = version_id
    response = wire.check(
        conn.object_store.get(
            wire.object_path(container, name), params=params
        ),
        'manifest of %r' % name,
    )
    segments = []
    for seg in response.json():
        out = {
            'path': wire.decoded(seg['path'])
            if not seg['path'].startswith('/')
            else seg['path'],
            'etag': seg.get('etag'),
            'size_bytes': seg.get('size_bytes'),
        }
        if seg.get('range'):
            out['range'] = seg['range']
        segments.append(out)
    return segments


def put_manifest(dst: ty.Any, path: str, rec: dict, headers: dict) -> None:
    """Put a static large object's manifest, its segments as ``rec`` has
    them, at ``path`` of the destination.

    :raises osmigrateclient.exceptions.MigrateError: Swift refuses it, or
        its ETag is not the record's
    """
    name = rec['name']
    manifest = [
        {
            k: seg[k]
            for k in ('path', 'etag', 'size_bytes', 'range')
            if seg.get(k) is not None
        }
        for seg in rec.get('segments') or []
    ]
    response = wire.check(
        dst.object_store.put(
            path,
            data=json.dumps(manifest).encode('utf-8'),
            headers=headers,
            params={'multipart-manifest': 'put'},
        ),
        'put manifest of %r' % name,
    )
    if rec.get('hash') and wire.etag_of(response) != rec['hash']:
        raise exceptions.MigrateError(
            'manifest of %r: the destination says ETag %s, the source '
            '%s' % (name, wire.etag_of(response), rec['hash'])
        )
