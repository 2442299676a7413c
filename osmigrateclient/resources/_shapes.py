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

"""The shape of a resource type's entries, and the check of an entry
against it: what :meth:`~osmigrateclient.resources.base.Resource.check`
does before import reads a file's values.

The shape comes from the type's declarations (its fields, references and
``param_shapes`` / ``info_shapes``); see :mod:`osmigrateclient.datafile`
for what a shape is.
"""

import typing as ty

from osmigrateclient import datafile
from osmigrateclient import exceptions


def shape_of(resource: ty.Any) -> dict[str, ty.Any]:
    """The shape of the entries of ``resource`` (a type)."""
    params: dict[str, ty.Any] = dict.fromkeys(
        resource.params_fields, datafile.SCALAR
    )
    for field in resource.sorted_fields:
        if field in params:
            params[field] = [datafile.ANY]
    for field in (resource.tag_field, 'tags'):
        if field in params:
            params[field] = [datafile.STR]
    for param, ref in resource.references.items():
        params[param] = [datafile.REF] if ref.many else datafile.REF
    for param, keys in resource.item_references.items():
        params[param] = [dict.fromkeys(keys, datafile.REF)]
    params.update(resource.param_shapes)
    params['name'] = datafile.STR
    info = {'id': (str, int)}
    info.update(resource.info_shapes)
    return {
        'params': params,
        '_info': info,
        '_migration_params': resource.migration_shape,
    }


def check(
    resource: ty.Any, entry: dict[str, ty.Any], path: str, index: int
) -> None:
    """Refuse an entry of ``resource`` that is not of its shape, lacks a
    required param or holds an id that cannot be part of a file name.

    :raises osmigrateclient.exceptions.DataFileError: naming the file,
        the resource and the field
    """
    where = datafile.label(entry, index)
    for part, shape in resource.shape().items():
        datafile.check_shape(entry.get(part), shape, part, path, where)
    for field in resource.required_params:
        if entry['params'].get(field) is None:
            raise exceptions.DataFileError(
                'missing', path, where, 'params.' + field
            )
    for field in resource.path_ids:
        datafile.path_id(
            entry['_info'].get(field), path, where, '_info.' + field
        )


def references_in(
    resource: ty.Any, params: dict
) -> list[tuple[str, str, ty.Any]]:
    """(field, kind, reference) of each reference that ``params`` hold,
    as :meth:`~osmigrateclient.resources.base.Resource.references_in`
    promises."""
    found = []
    for param, ref in sorted(resource.references.items()):
        value = params.get(param)
        for item in (value or []) if ref.many else [value]:
            found.append(('params.' + param, ref.kind, item))
    for param, keys in sorted(resource.item_references.items()):
        for i, item in enumerate(params.get(param) or []):
            for key, kind in sorted(keys.items()):
                found.append(
                    (
                        'params.%s[%d].%s' % (param, i, key),
                        kind,
                        (item or {}).get(key),
                    )
                )
    return found
