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

"""The members of a Glance image, the projects it is shared with: read in
the source and written as project names, resolved and added in the
destination.  A member that cannot be added is noted in the run's Lookup
(under ``kind``, the image's) for the outcome, never raised:
:mod:`osmigrateclient.resources.image` uses these."""

import logging
import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient.resources import base
from osmigrateclient.resources import refs

LOG = logging.getLogger(__name__)


def member_ids(lookup: refs.Lookup, obj: ty.Any) -> list[str] | None:
    """The projects an image is shared with; None if not visible."""
    try:
        return [m.member_id for m in lookup.conn.image.members(obj)]
    except (
        sdk_exceptions.ForbiddenException,
        sdk_exceptions.NotFoundException,
    ) as e:
        LOG.info('Members of image %r not visible: %s', obj.name, e)
        return None


def member_ref(lookup: refs.Lookup, project_id: str) -> dict:
    """The reference of a member project in a data file."""
    name, domain = lookup.project_names(project_id)
    return {'project_name': name, 'domain_name': domain}


def wanted_ids(
    lookup: refs.Lookup, kind: str, obj: ty.Any, entry: base.Entry
) -> list[str]:
    """Destination ids of the entry's member projects that resolve; the
    others are noted."""
    ids = []
    for member in entry['params'].get('members') or []:
        name = member.get('project_name')
        project_id = (
            lookup.project_id_for(name, member.get('domain_name'))
            if name
            else None
        )
        if project_id is None:
            lookup.note(
                kind,
                obj.id,
                'member project %s not added (not visible to the caller '
                'in the destination)' % (name or '(unnamed in the source)'),
            )
        elif project_id != lookup.project_id:
            ids.append(project_id)
    return ids


def missing_ids(
    lookup: refs.Lookup, kind: str, existing: ty.Any, entry: base.Entry
) -> list[str]:
    """The ids of the entry's member projects that the destination image
    ``existing`` lacks."""
    if not entry['params'].get('members'):
        return []
    wanted = wanted_ids(lookup, kind, existing, entry)
    if not wanted:
        return []
    have = member_ids(lookup, existing) or []
    return sorted(set(wanted) - set(have))


def add_wanted(
    lookup: refs.Lookup, kind: str, obj: ty.Any, entry: base.Entry
) -> None:
    """Share the new image ``obj`` with the entry's member projects."""
    if entry['params'].get('members'):
        add_ids(lookup, kind, obj, wanted_ids(lookup, kind, obj, entry))


def add_ids(
    lookup: refs.Lookup, kind: str, obj: ty.Any, ids: list[str]
) -> None:
    """Share ``obj`` with the projects ``ids``; those already members are
    left alone, those refused are noted."""
    for project_id in ids:
        try:
            lookup.conn.image.add_member(obj, member_id=project_id)
        except sdk_exceptions.ConflictException:
            pass  # already a member
        except (
            sdk_exceptions.ForbiddenException,
            sdk_exceptions.BadRequestException,
        ) as e:
            lookup.note(
                kind,
                obj.id,
                'member project %s not added: %s'
                % (project_id, base._api_message(e)),
            )
