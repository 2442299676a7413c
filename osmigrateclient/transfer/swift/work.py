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


"""What an import of a container's objects has to do: which records to
copy, which to look at, fix or leave alone (:func:`classify`,
:func:`look`)."""

import hashlib
import json
import time
import typing as ty

from osmigrateclient.transfer.swift import large
from osmigrateclient.transfer.swift import pool
from osmigrateclient.transfer.swift import records


def wanted_digest(rec: dict) -> str:
    """A digest of everything an object's record asks of the destination
    beyond its listing: metadata, expiry, manifest.

    An ``at_copy`` record holds no metadata: the source's last write
    (whose time changes with any metadata change too) stands for it, so
    that a change of the source's metadata, exported again, makes the
    import look again.
    """
    if rec.get('at_copy'):
        wanted = {k: rec.get(k) for k in ('hash', 'at_copy', 'last_modified')}
        text = json.dumps(wanted, sort_keys=True)
        return hashlib.sha256(text.encode('utf-8')).hexdigest()[:32]
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
    wanted['large'] = large.large_kind(rec)
    wanted['metadata'] = wanted['metadata'] or {}
    if rec.get('headers'):
        wanted['headers'] = rec['headers']
    text = json.dumps(wanted, sort_keys=True)
    return hashlib.sha256(text.encode('utf-8')).hexdigest()[:32]


def same_bytes(rec: dict, item: dict | None) -> bool:
    """Whether a destination listing ``item`` holds the record's bytes."""
    if item is None:
        return False
    if large.large_kind(rec) == large.SLO and not item.get('slo_etag'):
        return False
    if (large.large_kind(rec) == large.SYMLINK) != large.is_symlink(item):
        return False
    return (records.listed_hash(item), item.get('bytes')) == (
        rec.get('hash'),
        rec.get('bytes'),
    )


def meta_problem(rec: dict, headers: ty.Mapping[str, str]) -> str:
    """What the destination object (its HEAD) holds that the record does
    not, or ''."""
    have = records.record_of(
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
    ) != records.listed_type({'content_type': headers.get('Content-Type')}):
        parts.append('content_type')
    if large.large_kind(rec) != large.SLO and rec.get('manifest') != have.get(
        'manifest'
    ):
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


def look(
    dst: ty.Any,
    container: str,
    work: Work,
    workers: int,
    src: ty.Any = None,
    now: float | None = None,
) -> Work:
    """``work`` with its objects to check looked at (a HEAD each,
    ``workers`` at a time): each one to copy, to fix or verified.

    An ``at_copy`` record is compared with the source ``src`` (one more
    HEAD; the record filled with its headers takes its place), or gone
    into expired if the source no longer holds it or it has expired.
    Without ``src`` (``migrate plan``) it cannot be compared: to fix.
    """
    now = time.time() if now is None else now
    found: dict[int, str] = {}
    recs = list(work.check)

    def head(i: int) -> None:
        rec = recs[i]
        if rec.get('at_copy'):
            if src is None:
                found[i] = 'fix'
                return
            source = records.head_object(src, container, rec['name'])
            if source is None:  # deleted since the export
                found[i] = 'expired'
                return
            rec = recs[i] = records.filled(rec, source)
            if rec.get('delete_at') is not None and rec['delete_at'] <= now:
                found[i] = 'expired'
                return
        headers = records.head_object(
            dst, container, rec['name'], large.large_kind(rec) == large.SYMLINK
        )
        if headers is None:
            found[i] = 'copy'
            return
        problem = meta_problem(rec, headers)
        if 'manifest' in problem or 'symlink' in problem:
            found[i] = 'copy'
        else:
            found[i] = 'fix' if problem else 'verified'

    pool.run(head, list(range(len(work.check))), workers, 'head')
    out = Work(
        list(work.copy), [], [], [], list(work.same), list(work.expired)
    )
    for i, rec in enumerate(recs):
        getattr(out, found[i]).append(rec)
    return out
