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

"""What a data file may say of Swift: container and object names, header
values and object records, checked before they reach a URL or a header.

Plain checks, no I/O: the container type checks its data file with them,
and the Swift movers (:mod:`osmigrateclient.transfer.swift`) send only what
passed them.
"""

import re
import typing as ty

from osmigrateclient import datafile

_CONTROL = re.compile(r'[\x00-\x1f\x7f]')


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
OBJECT_HEADER_KEYS = {h.lower(): h for h in OBJECT_HEADERS}

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}\Z")


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
        if key not in OBJECT_HEADER_KEYS:
            return 'headers', 'not one of %s: %s' % (
                ', '.join(sorted(OBJECT_HEADER_KEYS)),
                datafile.shown(key),
            )
        problem = header_value_problem(value)
        if problem:
            return 'headers.%s' % key, problem
    return None
