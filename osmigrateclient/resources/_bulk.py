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

"""Neutron's bulk create of an import's new resources, and the fallback
to one entry at a time: what
:meth:`~osmigrateclient.resources.base.Resource.apply_bulk` does.

Neutron makes all of a bulk request or none of it.  A request that fails
is redone one entry at a time against a fresh list, so that the entry it
refused is named and the others are made, and so that what a request
whose answer was lost made is found, not made again.
"""

import logging
import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient import exceptions
from osmigrateclient.resources import _import
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

LOG = logging.getLogger(__name__)

#: entries of a bulk create request
BULK_SIZE = 100


def apply_bulk(
    resource: 'base.Resource', lookup: refs.Lookup, entries: list[dict]
) -> list['base.Outcome']:
    """Import ``entries`` of ``resource`` as its ``apply`` would, the new
    ones in bulk create requests of :data:`BULK_SIZE`; outcomes in their
    order."""
    outcomes: list[base.Outcome | None] = [None] * len(entries)
    new: list[int] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        identity = resource.import_identity(entry)
        # A second entry of the same resource waits for the first.
        if identity not in seen:
            seen.add(identity)
            if resource.decide(lookup, entry).action == base.CREATE:
                new.append(i)
    one_by_one = sorted(set(range(len(entries))) - set(new))
    groups: dict[ty.Any, list[int]] = {}
    for i in new:
        groups.setdefault(resource.bulk_group(entries[i]), []).append(i)
    chunks = [
        group[start : start + BULK_SIZE]
        for group in groups.values()
        for start in range(0, len(group), BULK_SIZE)
    ]
    for chunk in chunks:
        try:
            made = resource.create_many_sdk(
                lookup,
                [resource.create_attrs(lookup, entries[i]) for i in chunk],
            )
        except (sdk_exceptions.SDKException, exceptions.MigrateError):
            LOG.debug('bulk create of %s failed', resource.kind, exc_info=True)
            lookup.relist(resource.kind)
            one_by_one = sorted(one_by_one + chunk)
            continue
        for i, obj in zip(chunk, made, strict=True):
            outcomes[i] = _made(resource, lookup, obj, entries[i])
    for i in one_by_one:
        outcomes[i] = resource.apply(lookup, entries[i])
    return ty.cast(list[base.Outcome], outcomes)


def _made(
    resource: 'base.Resource', lookup: refs.Lookup, obj: ty.Any, entry: dict
) -> 'base.Outcome':
    """The outcome of a resource that a bulk request made, once finished."""
    name = resource.label_of(entry)
    try:
        obj = _import.finished(resource, lookup, obj, entry)
    except (sdk_exceptions.SDKException, exceptions.MigrateError) as e:
        LOG.debug('create %r failed', name, exc_info=True)
        return base.Outcome(
            resource.type, name, base.FAILED, base._api_message(e)
        )
    lookup.remember(resource.kind, obj)
    return base.Outcome(
        resource.type,
        name,
        base.DONE[base.CREATE],
        resource.remarks(lookup, obj, entry),
    )
