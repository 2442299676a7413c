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

"""The projects of an admin-driven run, made in the destination.

``migrate access grant --create-projects`` gives access to destination
projects that may not exist yet: :func:`project_entries` reads their
entries from the data directory's projects.yml (exporting into it, from the
source, those missing), and :func:`create_projects` creates in the
destination those it lacks and records their names in the access journal,
so that ``access revoke`` can say they stay.
"""

import logging
import typing as ty

from osmigrateclient import access
from osmigrateclient import alltypes
from osmigrateclient import datafile
from osmigrateclient import resources
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

LOG = logging.getLogger(__name__)


def checked_projects(data_dir: str) -> list[datafile.Entry]:
    """The entries of the data directory's projects.yml (none if it is
    missing), each shape-checked.

    :raises osmigrateclient.exceptions.MigrateError: an entry is not of a
        project's shape
    """
    project = resources.get('project')
    path = alltypes.data_path(data_dir, project)
    entries = datafile.load_or_empty(path).resources
    for index, entry in enumerate(entries):
        project.check(entry, path, index)
    return entries


def project_entries(
    src: ty.Any, data_dir: str, names: list[str]
) -> tuple[list[datafile.Entry], list[access.Change]]:
    """The entries of projects.yml for ``names``, in file order, those
    missing from the file exported into it from ``src`` first; and a
    failure of the destination for each name still missing."""
    project = resources.get('project')

    def wanted():
        entries = checked_projects(data_dir)
        return [e for e in entries if project.name_of(e) in names]

    have = {project.name_of(e) for e in wanted()}
    if set(names) - have:
        LOG.info(
            'Exporting projects %s into %s',
            ', '.join(sorted(set(names) - have)),
            alltypes.data_path(data_dir, project),
        )
        alltypes.export(
            [project],
            refs.Lookup(src, data_dir=data_dir),
            data_dir,
            lambda n: n in names and n not in have,
        )
    entries = wanted()
    found = {project.name_of(e) for e in entries}
    return entries, [
        access.Change(
            'dst',
            access.FAILED,
            '%s: project %r not found' % (project.file_name, name),
        )
        for name in sorted(set(names) - found)
    ]


def create_projects(
    side: str,
    lookup: refs.Lookup,
    entries: list[datafile.Entry],
    journal: access.Journal,
) -> list[access.Change]:
    """Create the projects of ``entries`` (entries of projects.yml, parents
    first) that the side's cloud lacks, leaving existing ones as they are;
    record the names made."""
    project = resources.get('project')
    record = journal.side(side)
    changes = []
    for entry in entries:
        name = project.label_of(entry)
        what = 'project %r' % name
        decision = project.decide(lookup, entry)
        if decision.action == base.CREATE:
            outcome = project.apply(lookup, entry)
            if outcome.action == base.DONE[base.CREATE]:
                record.setdefault('projects_created', []).append(name)
                changes.append(access.Change(side, access.CREATED, what))
                continue
            decision = base.Decision(outcome.action, outcome.detail)
        if decision.action in (base.UNCHANGED, base.UPDATE):
            changes.append(
                access.Change(side, access.UNCHANGED, what + ' exists')
            )
        else:
            changes.append(
                access.Change(
                    side,
                    access.FAILED,
                    '%s: %s: %s: %s'
                    % (
                        project.file_name,
                        what,
                        decision.action,
                        decision.detail,
                    ),
                )
            )
    return changes
