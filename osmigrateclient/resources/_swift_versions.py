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

"""The older versions of an object of a container with object versioning
(``versions_enabled``), as a data file records them.

An object record may hold ``versions``: its older versions, oldest first,
each with the source's ``version_id`` and ``last_modified`` (facts, never
sent) and either ``delete_marker: true`` or the bytes' ``hash``,
``bytes``, ``content_type`` and, when set, ``metadata``, ``headers``,
``manifest``, ``symlink`` or ``segments``.  The record itself is the
current version; a record with ``delete_marker: true`` is an object whose
history ends in a delete marker (no current version).  A record without
these fields is a plain object, as before.  A delete marker's other
fields are not sent (those of its object record checked all the same).

Plain checks, no I/O.
"""

import typing as ty

from osmigrateclient import datafile
from osmigrateclient import swift_names

#: what a version of an object may hold
VERSION_SHAPE = {
    'version_id': datafile.STR,
    'delete_marker': (bool,),
    'hash': datafile.STR,
    'bytes': datafile.NUMBER,
    'content_type': datafile.STR,
    'last_modified': datafile.STR,
    'metadata': datafile.MapOf(datafile.STR),
    'headers': {h.lower(): datafile.STR for h in swift_names.OBJECT_HEADERS},
    'manifest': datafile.STR,
    'symlink': datafile.STR,
    'segments': [
        {
            'path': datafile.STR,
            'etag': datafile.STR,
            'size_bytes': datafile.NUMBER,
            'range': datafile.STR,
        }
    ],
}


def version_id_problem(value: ty.Any) -> str | None:
    """Why ``value`` cannot be a version id (it goes to a query
    string, encoded), or None."""
    if value is None:
        return 'missing'
    return swift_names.header_value_problem(value)


def is_marker(version: dict) -> bool:
    """Whether a version (or an object record) is a delete marker."""
    return version.get('delete_marker') is True


def has_history(rec: dict) -> bool:
    """Whether an object record carries more than its current version."""
    return bool(rec.get('versions')) or is_marker(rec)


def record_problem(rec: dict) -> tuple[str, str] | None:
    """(field, problem) of the version fields of an object record (its
    shape already checked), or None."""
    if rec.get('version_id') is not None:
        problem = version_id_problem(rec['version_id'])
        if problem:
            return 'version_id', problem
    for i, version in enumerate(rec.get('versions') or []):
        field = 'versions[%d]' % i
        if not isinstance(version, dict):
            return field, 'must be a mapping, not %s' % datafile.type_name(
                version
            )
        problem = version_id_problem(version.get('version_id'))
        if problem:
            return field + '.version_id', problem
        if not is_marker(version) and (
            version.get('hash') is None or version.get('bytes') is None
        ):
            return field, (
                'a version has a hash and bytes, or is a delete marker'
            )
        found = swift_names.record_problem(dict(version, name=rec.get('name')))
        if found:
            return '%s.%s' % (field, found[0]), found[1]
    return None
