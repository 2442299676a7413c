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


"""The older versions of the objects of a container with object
versioning (``versions_enabled``): Swift hides them, and lists them with
``?versions``, newest first by name.

Export reads one (paged) ``?versions`` listing per container and a HEAD
(``?version-id=``) of each older version not known from the last export
(an older version never changes).  Import compares each object's history
in the file (:mod:`osmigrateclient.resources._swift_versions`) with the
destination's ``?versions`` listing: the same sequence of bytes, ETags
and content types is left alone; a prefix of it (an interrupted import)
gets the rest, oldest first, a PUT each (a delete marker: a DELETE);
any other history is a conflict, not changed.  Version ids and times are
the destination's own.
"""

import threading
import time
import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient import exceptions
from osmigrateclient.resources import _swift_versions as file_versions
from osmigrateclient.transfer.swift import large
from osmigrateclient.transfer.swift import pool
from osmigrateclient.transfer.swift import records
from osmigrateclient.transfer.swift import wire

#: the content type by which a listing shows a delete marker
DELETE_MARKER_TYPE = 'application/x-deleted;swift_versions_deleted=1'


def list_versions(conn: ty.Any, container: str) -> dict[str, list[dict]]:
    """Every version of every object of a container, by object name,
    oldest first: one request per page of :data:`.records.LIST_PAGE`."""
    found: dict[str, list[dict]] = {}
    marker: tuple[str, str] | None = None
    while True:
        params: dict[str, ty.Any] = {
            'format': 'json',
            'versions': '',
            'limit': records.LIST_PAGE,
        }
        if marker is not None:
            params['marker'], params['version_marker'] = marker
        response = wire.check(
            conn.object_store.get(
                wire.container_path(container), params=params
            ),
            'list the versions of container %r' % container,
        )
        page = response.json() if response.status_code != 204 else []
        for item in page:
            if 'name' in item:
                # (a Swift without object versioning lists no ids: each
                # object is then its one "null" version)
                item.setdefault('version_id', 'null')
                found.setdefault(item['name'], []).append(item)
        if len(page) < records.LIST_PAGE or 'name' not in page[-1]:
            break
        marker = (page[-1]['name'], page[-1]['version_id'])
    for items in found.values():
        items.reverse()  # Swift lists the newest first
    return found


def listed_marker(item: dict) -> bool:
    """Whether a ``?versions`` listing item is a delete marker."""
    return (item.get('content_type') or '').replace(' ', '') == (
        DELETE_MARKER_TYPE
    )


def head_version(
    conn: ty.Any, container: str, name: str, version_id: str
) -> ty.Any:
    """The headers of one version of an object (a manifest's or link's
    own), or None if there is none."""
    response = conn.object_store.head(
        wire.object_path(container, name),
        params={
            'version-id': version_id,
            'multipart-manifest': 'get',
            'symlink': 'get',
        },
    )
    if response.status_code == 404:
        return None
    return wire.check(
        response, 'object %r version %s' % (name, version_id)
    ).headers


def version_record(
    item: dict, headers: ty.Any, segments: list[dict] | None = None
) -> dict:
    """The data-file record of an older version: its ``?versions`` listing
    ``item`` and the ``headers`` of its HEAD (expiry aside: Swift keeps
    it on the name, not on a version)."""
    if listed_marker(item):
        return {
            'version_id': item['version_id'],
            'delete_marker': True,
            'last_modified': item.get('last_modified'),
        }
    rec = records.record_of(dict(item, slo_etag=None), headers)
    del rec['name']
    rec.pop('delete_at', None)
    if segments:
        rec['segments'] = segments
    return dict(rec, version_id=item['version_id'])


def _marker_record(name: str, item: dict) -> dict:
    return {
        'name': name,
        'version_id': item['version_id'],
        'delete_marker': True,
        'last_modified': item.get('last_modified'),
    }


def current_only(recs: list[dict]) -> list[dict]:
    """The records without the older versions that a record of the last
    export, taken again, may still hold."""
    return [
        {k: v for k, v in r.items() if k != 'versions'}
        if 'versions' in r
        else r
        for r in recs
    ]


def add_histories(
    conn: ty.Any,
    container: str,
    recs: list[dict],
    known: dict[str, dict],
    workers: int = 1,
) -> list[dict]:
    """The records ``recs`` (of the current versions) with the older
    versions of each object, and the objects whose history ends in a
    delete marker, in name order.

    One ``?versions`` listing; a HEAD of each older version that the
    ``known`` record of its object (the last export's) does not hold
    with the same bytes, ``workers`` at a time.
    """
    by_name = {r['name']: r for r in current_only(recs)}
    todo: list[tuple[str, int, dict]] = []
    for name, items in list_versions(conn, container).items():
        latest, older = items[-1], items[:-1]
        if listed_marker(latest):
            rec = _marker_record(name, latest)
        elif name in by_name and older:
            rec = dict(by_name[name])
        else:
            continue  # one version, or deleted since the listing
        old = {
            v.get('version_id'): v
            for v in (known.get(name) or {}).get('versions') or []
            if isinstance(v, dict)
        }
        versions: list[dict | None] = []
        for item in older:
            was = old.get(item['version_id'])
            if was is not None and (
                listed_marker(item)
                or (was.get('hash'), was.get('bytes'))
                == (records.listed_hash(item), item.get('bytes'))
            ):
                versions.append(was)
            elif listed_marker(item):
                versions.append(version_record(item, None))
            else:
                versions.append(None)
                todo.append((name, len(versions) - 1, item))
        rec['versions'] = versions
        by_name[name] = rec

    def fill(job: tuple[str, int, dict]) -> None:
        name, i, item = job
        headers = head_version(conn, container, name, item['version_id'])
        if headers is None:  # deleted since the listing
            return
        segments = None
        if (headers.get('X-Static-Large-Object') or '').lower() == 'true':
            segments = large.slo_segments(
                conn, container, name, item['version_id']
            )
        by_name[name]['versions'][i] = version_record(item, headers, segments)

    pool.run(fill, todo, workers, 'head')
    out = []
    for name in sorted(by_name):
        rec = by_name[name]
        if 'versions' in rec:
            rec['versions'] = [v for v in rec['versions'] if v is not None]
            if not rec['versions']:
                del rec['versions']
        out.append(rec)
    return out


# -- import -------------------------------------------------------------------


def split(wanted: list[dict]) -> tuple[list[dict], list[dict]]:
    """(the plain records, the records with a history)."""
    plain, histories = [], []
    for rec in wanted:
        (histories if file_versions.has_history(rec) else plain).append(rec)
    return plain, histories


def sequence(rec: dict) -> list[dict]:
    """An object's versions as the file has them, oldest first, with
    their object's name: the older ones, then the record itself."""
    return [dict(v, name=rec['name']) for v in rec.get('versions') or []] + [
        rec
    ]


def same_version(version: dict, item: dict) -> bool:
    """Whether a ``?versions`` listing item is the file's ``version``:
    both delete markers, or the same bytes, ETag and content type."""
    if file_versions.is_marker(version) or listed_marker(item):
        return file_versions.is_marker(version) and listed_marker(item)
    if (records.listed_hash(item), item.get('bytes')) != (
        version.get('hash'),
        version.get('bytes'),
    ):
        return False
    return version.get('content_type') is None or (
        records.listed_type(item) == version['content_type']
    )


class Plan(ty.NamedTuple):
    """What an import does with the objects that have a history."""

    #: (record, its versions the destination lacks, oldest first)
    append: list[tuple[dict, list[dict]]]
    #: the destination holds the history
    same: list[dict]
    #: the destination holds another history: (record, why)
    conflicts: list[tuple[dict, str]]
    #: a version is a large object or a link, or the container has no
    #: object versioning: current version only
    unsupported: list[dict]

    def classic(self) -> list[dict]:
        """The records whose current version the plain object import
        handles (metadata checked, or the current one copied)."""
        return [
            r
            for r in self.same + self.unsupported
            if not file_versions.is_marker(r)
        ]

    def count(self) -> int:
        return sum(len(vs) for _, vs in self.append)


def plan(
    histories: list[dict],
    listing: dict[str, list[dict]],
    now: float | None = None,
    enabled: bool = True,
) -> Plan:
    """Compare each record's history with the destination's versions
    ``listing`` (by name, oldest first).  Without object versioning
    (``enabled`` false: a PUT would replace, a DELETE delete), every
    record keeps its current version only."""
    now = time.time() if now is None else now
    out = Plan([], [], [], [])
    for rec in histories:
        wanted = sequence(rec)
        if not enabled or any(large.large_kind(v) for v in wanted):
            out.unsupported.append(rec)
            continue
        have = listing.get(rec['name']) or []
        if rec.get('delete_at') is not None and rec['delete_at'] <= now:
            target = wanted[:-1]  # an expired current version is not sent
        else:
            target = wanted
        common = min(len(have), len(wanted))
        if not all(same_version(wanted[i], have[i]) for i in range(common)):
            out.conflicts.append(
                (
                    rec,
                    'the destination holds %d version(s), the file %d, and '
                    'they differ' % (len(have), len(wanted)),
                )
            )
        elif len(have) > len(wanted):
            out.conflicts.append(
                (
                    rec,
                    'the destination holds %d version(s), the file %d'
                    % (len(have), len(wanted)),
                )
            )
        elif len(have) >= len(target):
            out.same.append(rec)
        else:
            out.append.append((rec, target[len(have) :]))
    return out


def append_versions(
    dst: ty.Any,
    container: str,
    versions: list[dict],
    put: ty.Callable[[dict], int],
) -> None:
    """Make ``versions`` of one object in the destination, in order: a
    PUT each (``put(version)``), a DELETE for a delete marker.

    :raises osmigrateclient.exceptions.MigrateError: one failed (those
        before it are made)
    """
    for version in versions:
        if not file_versions.is_marker(version):
            put(version)
            continue
        response = dst.object_store.delete(
            wire.object_path(container, version['name'])
        )
        # (404: there is no current version; Swift writes the marker)
        if response.status_code != 404:
            wire.check(response, 'delete marker of %r' % version['name'])


def write(
    dst: ty.Any,
    container: str,
    work: Plan,
    workers: int,
    put: ty.Callable[[dict], int],
) -> tuple[int, int, list[str], set[str]]:
    """Append the missing versions of ``work``, ``workers`` objects at a
    time (``put(version)`` makes one and returns the bytes sent):
    (versions made, bytes sent, failures, the objects done).  Every
    object is tried; the failures are returned, not raised."""
    lock = threading.Lock()
    counts = {'made': 0, 'bytes': 0}
    failures: list[str] = []
    done: set[str] = set()

    def counted(version: dict) -> int:
        sent = put(version)
        with lock:
            counts['made'] += 1
            counts['bytes'] += sent
        return sent

    def one(job: tuple[dict, list[dict]]) -> None:
        rec, versions = job
        try:
            append_versions(dst, container, versions, counted)
        except (exceptions.MigrateError, sdk_exceptions.SDKException) as e:
            with lock:
                failures.append('versions of %r: %s' % (rec['name'], e))
            return
        markers = sum(1 for v in versions if file_versions.is_marker(v))
        with lock:
            counts['made'] += markers
            done.add(rec['name'])

    pool.run(one, work.append, workers, 'version')
    return counts['made'], counts['bytes'], failures, done
