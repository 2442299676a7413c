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

"""An entry against its destination twin: the params that differ, and
what importing the entry would do (its
:class:`~osmigrateclient.resources.base.Decision`).

Comparison re-exports the twin and compares ``params`` only, so ``_info``
and ``_migration_params`` never cause an update.
"""

import typing as ty

from osmigrateclient import exceptions
from osmigrateclient.resources import _values as values
from osmigrateclient.resources import base
from osmigrateclient.resources import refs


def diff(
    resource: 'base.Resource',
    lookup: refs.Lookup,
    existing: ty.Any,
    entry: dict[str, ty.Any],
) -> dict[str, tuple[ty.Any, ty.Any]]:
    """The params of ``entry`` that differ from its twin ``existing``, as
    :meth:`~osmigrateclient.resources.base.Resource.diff` promises."""
    current = resource.from_sdk(lookup, existing)['params']
    wanted = entry['params']
    changes = {}
    for key, value in wanted.items():
        if key not in current:
            continue
        if value is None and key in resource.none_is_unknown:
            continue
        have = current[key]
        if key in resource.sorted_fields or (
            key in resource.references and resource.references[key].many
        ):
            have, value = values.sort_list(have), values.sort_list(value)
        if not values.same(have, value):
            changes[key] = (have, value)
    return changes


def decide(
    resource: 'base.Resource', lookup: refs.Lookup, entry: dict[str, ty.Any]
) -> 'base.Decision':
    """What importing ``entry`` would do; makes no write call."""
    try:
        resource.sdk_attrs(lookup, entry['params'])
    except exceptions.UnresolvedReference as e:
        return base.Decision(base.BLOCKED, '%s: %s' % (e.field, e.problem))
    try:
        existing = resource.find_existing(lookup, entry)
    except exceptions.Conflict as e:
        return base.Decision(base.CONFLICT, e.problem)
    if existing is None:
        return base.Decision(base.CREATE, '')
    changes = resource.diff(lookup, existing, entry)
    if not changes:
        return base.Decision(base.UNCHANGED, '', existing)
    fixed = sorted(k for k in changes if k in resource.create_only)
    if fixed:
        return base.Decision(
            base.CONFLICT,
            'cannot change %s of an existing resource: %s'
            % (
                ', '.join(fixed),
                '; '.join(
                    '%s is %r, the file says %r'
                    % (k, changes[k][0], changes[k][1])
                    for k in fixed
                ),
            ),
            existing,
            changes,
        )
    return base.Decision(
        base.UPDATE, ', '.join(sorted(changes)), existing, changes
    )
