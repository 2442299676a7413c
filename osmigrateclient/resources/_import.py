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

"""An entry into the destination, the reverse of ``_export.py``: its params
as SDK keyword arguments (references resolved to ids), and what
:meth:`~osmigrateclient.resources.base.Resource.apply` does with its
decision (create and finish the resource, or update the params that
differ) and reports as its outcome.

Each function here is the default body of the method of
:class:`~osmigrateclient.resources.base.Resource` with its name, and calls
back the type's own methods, so that a type's overrides still apply.
"""

import logging
import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient import exceptions
from osmigrateclient.resources import _values as values
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

LOG = logging.getLogger(__name__)


def sdk_attrs(
    resource: 'base.Resource', lookup: refs.Lookup, params: dict
) -> dict:
    """The SDK keyword arguments for ``params``, references resolved, as
    :meth:`~osmigrateclient.resources.base.Resource.sdk_attrs` promises."""
    attrs = {}
    for key, value in params.items():
        ref = resource.references.get(key)
        if ref is None:
            attrs[key] = value
            continue
        try:
            if ref.many:
                attrs[ref.id_attr] = [
                    lookup.resolve(ref.kind, r).id for r in value or []
                ]
            elif value is not None:
                attrs[ref.id_attr] = lookup.resolve(ref.kind, value).id
            else:
                attrs[ref.id_attr] = None
        except exceptions.UnresolvedReference as e:
            e.field = key
            raise
    return attrs


def create_attrs(
    resource: 'base.Resource', lookup: refs.Lookup, entry: dict
) -> dict:
    """The SDK keyword arguments that create ``entry``'s resource: no
    nulls, no tags (their own call), no empty :attr:`skip_empty` ones."""
    params = {
        k: v
        for k, v in entry['params'].items()
        if v is not None
        and k != resource.tag_field
        and not (k in resource.skip_empty and values.is_empty(v))
    }
    return resource.sdk_attrs(lookup, params)


def finished(
    resource: 'base.Resource', lookup: refs.Lookup, obj: ty.Any, entry: dict
) -> ty.Any:
    """The new ``obj`` after the type's ``after_create``; deleted if that
    fails."""
    try:
        return resource.after_create(lookup, obj, entry)
    except Exception:
        # Leave nothing half-made: a re-run creates it whole.
        LOG.debug('Deleting the half-made %s %s', resource.kind, obj.id)
        getattr(resource.proxy(lookup), 'delete_' + resource.kind)(
            obj, ignore_missing=True
        )
        raise


def update(
    resource: 'base.Resource',
    lookup: refs.Lookup,
    existing: ty.Any,
    changes: dict,
) -> ty.Any:
    """Apply the changed params to ``existing``: one update call, and the
    tags by their own."""
    params = {k: new for k, (_, new) in changes.items()}
    tag_field = resource.tag_field
    tags = params.pop(tag_field, None) if tag_field else None
    obj = existing
    if params:
        attrs = resource.sdk_attrs(lookup, params)
        obj = getattr(resource.proxy(lookup), 'update_' + resource.kind)(
            existing, **attrs
        )
    if tag_field in changes:
        obj = resource.proxy(lookup).set_tags(obj, sorted(tags or []))
    return obj


def apply(
    resource: 'base.Resource',
    lookup: refs.Lookup,
    entry: dict,
    dry_run: bool = False,
) -> 'base.Outcome':
    """Import one entry, as
    :meth:`~osmigrateclient.resources.base.Resource.apply` promises: errors
    in the outcome, never raised."""
    name = resource.label_of(entry)
    decision = resource.decide(lookup, entry)
    if dry_run or decision.action in (
        base.UNCHANGED,
        base.BLOCKED,
        base.CONFLICT,
    ):
        return base.Outcome(
            resource.type, name, decision.action, decision.detail
        )
    try:
        if decision.action == base.CREATE:
            obj = resource.create(lookup, entry)
        else:
            obj = resource.update(lookup, decision.existing, decision.changes)
    except (sdk_exceptions.SDKException, exceptions.MigrateError) as e:
        LOG.debug('%s %r failed', decision.action, name, exc_info=True)
        return base.Outcome(
            resource.type, name, base.FAILED, base._api_message(e)
        )
    lookup.remember(resource.kind, obj)
    detail = '; '.join(
        d for d in (decision.detail, resource.remarks(lookup, obj, entry)) if d
    )
    return base.Outcome(
        resource.type, name, base.DONE[decision.action], detail
    )
