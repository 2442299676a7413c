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

"""The shapes of values read from files, and their checks.

A shape says what a value read from a data file or a record must look
like, checked before any code uses it: a type or tuple of types; a list
holding one shape (a list of such values); a dict (a mapping whose listed
keys have these shapes, any other key being allowed); ``MapOf(shape)`` (a
mapping of any keys to values of that shape); or :data:`ANY`.  Null is
accepted everywhere: it means "not set".

The names are :mod:`osmigrateclient.datafile`'s public API: modules use
them as ``datafile.STR``, ``datafile.MapOf``, ``datafile.shown``.
"""

import re
import typing as ty

from osmigrateclient import exceptions

ANY = None
STR = (str,)
NUMBER = (int, float)
SCALAR = (str, int, float, bool)
#: a reference to another resource
REF = {'name': STR, 'project_name': STR, 'domain_name': STR}


class MapOf(ty.NamedTuple):
    """The shape of a mapping of any keys to values of ``shape``."""

    shape: ty.Any


_EXPECTED = {
    STR: 'a string',
    NUMBER: 'a number',
    SCALAR: 'a string, number or boolean',
}


def shape_problem(
    value: ty.Any, shape: ty.Any, field: str
) -> tuple[str, str] | None:
    """(field, problem) of the first part of ``value`` that is not of
    ``shape`` (without recursion: any depth is safe), or None."""
    todo = [(value, shape, field)]
    while todo:
        value, shape, field = todo.pop(0)
        if value is None or shape is ANY:
            continue
        if isinstance(shape, (dict, MapOf)):
            if not isinstance(value, dict):
                return field, 'must be a mapping, not %s' % type_name(value)
            if isinstance(shape, MapOf):
                for k in value:
                    if not isinstance(k, str):
                        return _join(field, k), 'must be a string key'
                parts = [(k, shape.shape) for k in value]
            else:
                parts = [(k, s) for k, s in shape.items() if k in value]
            todo.extend((value[k], s, _join(field, k)) for k, s in parts)
        elif isinstance(shape, list):
            if not isinstance(value, list):
                return field, 'must be a list, not %s' % type_name(value)
            todo.extend(
                (v, shape[0], '%s[%d]' % (field, i))
                for i, v in enumerate(value)
            )
        elif not isinstance(value, shape) or (
            isinstance(value, bool) and bool not in shape
        ):
            return field, 'must be %s, not %s' % (
                _EXPECTED.get(shape, ' or '.join(t.__name__ for t in shape)),
                type_name(value),
            )
    return None


def _join(field: str, key: ty.Any) -> str:
    return '%s.%s' % (field, key) if field else str(key)


def check_shape(
    value: ty.Any,
    shape: ty.Any,
    field: str,
    path: str | None = None,
    resource: str | None = None,
) -> None:
    """:raises osmigrateclient.exceptions.DataFileError: ``value`` is not
    of ``shape``; the message names the part of it that is not"""
    found = shape_problem(value, shape, field)
    if found:
        raise exceptions.DataFileError(
            found[1], path=path, resource=resource, field=found[0]
        )


def type_name(value: ty.Any) -> str:
    """What a value of a data file is, for a message."""
    if isinstance(value, dict):
        return 'a mapping'
    if isinstance(value, list):
        return 'a list'
    if isinstance(value, bool):
        return 'a boolean'
    if isinstance(value, (int, float)):
        return 'a number'
    if isinstance(value, str):
        return 'a string'
    return 'null' if value is None else type(value).__name__


#: what an id read from a file must look like where it becomes part of a
#: file name (``volume_logs/<id>.log``): a plain token such as a UUID, never
#: a path (``/``, ``..``), a hidden name or a long one
SAFE_ID = re.compile(r'[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z')
#: at most this much of a bad value is echoed in a message
_SHOWN = 40


def shown(value: ty.Any, limit: int = _SHOWN) -> str:
    """``repr(value)``, cut short: a message never echoes a huge value."""
    text = repr(value)
    if len(text) > limit:
        text = '%s... (%d characters)' % (text[:limit], len(text))
    return text


def path_id_problem(value: ty.Any) -> str | None:
    """Why ``value`` cannot be part of a file name, or None if it can."""
    if isinstance(value, str) and SAFE_ID.match(value) and '..' not in value:
        return None
    return (
        'must be a plain id (letters, digits, ".", "_" and "-", at most 128, '
        'no ".."), not %s' % shown(value)
    )


def path_id(
    value: ty.Any,
    path: str | None = None,
    resource: str | None = None,
    field: str = '_info.id',
) -> str:
    """``value``, checked to be safe as part of a file name.

    :raises osmigrateclient.exceptions.DataFileError: it is not
    """
    problem = path_id_problem(value)
    if problem:
        raise exceptions.DataFileError(
            problem, path=path, resource=resource, field=field
        )
    return value
