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

"""An SDK object as a data-file entry: what
:meth:`~osmigrateclient.resources.base.Resource.from_sdk` makes of it from
the type's declarations (its fields, references and sorted lists)."""

import typing as ty

from osmigrateclient.resources import _values as values
from osmigrateclient.resources import refs


def entry_of(
    resource: ty.Any, lookup: refs.Lookup, obj: ty.Any
) -> dict[str, ty.Any]:
    """The data-file entry of ``obj``, a resource of the type ``resource``."""
    params = {
        f: values.plain(
            values.reported(obj, f)
            if f in resource.none_is_unknown
            else getattr(obj, f, None)
        )
        for f in resource.params_fields
    }
    info = {
        f: values.plain(getattr(obj, f, None)) for f in resource.info_fields
    }
    for field in resource.sorted_fields:
        for part in (params, info):
            if field in part:
                part[field] = values.sort_list(part[field])
    for param, ref in resource.references.items():
        raw = getattr(obj, ref.id_attr, None)
        info[ref.id_attr] = values.plain(raw)
        if ref.many:
            params[param] = values.sort_list(
                [lookup.ref(ref.kind, i) for i in raw or []]
            )
        else:
            params[param] = lookup.ref(ref.kind, raw)
    return {
        'type': resource.type,
        'params': params,
        '_info': info,
        '_migration_params': {},
    }
