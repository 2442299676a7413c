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

"""Export, import and plan over several resource types, in dependency order.

The commands call these functions; they read and write the data files and
leave the per-resource work to the resource classes.
"""

import collections
from concurrent import futures
import logging
import os
import typing as ty

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient import os_migrate
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

LOG = logging.getLogger(__name__)


class ExportRow(ty.NamedTuple):
    resource: str
    file: str
    exported: int
    added: int
    written: bool


class Summary(ty.NamedTuple):
    resource: str
    created: int
    updated: int
    unchanged: int
    failed: int


def data_path(data_dir: str, resource: base.Resource) -> str:
    return os.path.join(data_dir, resource.file_name)


def export(
    types: list[base.Resource],
    lookup: refs.Lookup,
    data_dir: str,
    match: ty.Callable[[str], bool],
    os_migrate_version: str | None = None,
) -> list[ExportRow]:
    """Export each type into its file, merging with what the file holds.

    :param os_migrate_version: write files that this version of os-migrate
        reads (:mod:`osmigrateclient.os_migrate`), and warn of what it
        would drop or what the files leave out for it
    """
    datafile.ensure_dir(data_dir)
    rows = []
    failures = []
    for resource in types:
        path = data_path(data_dir, resource)
        # Read (and so check) the old file before asking the cloud anything.
        old = datafile.load_or_empty(path).resources
        entries = resource.export(lookup, match)
        merged = datafile.merge(old, entries, key=resource.export_key)
        if os_migrate_version:
            written = _write_for_os_migrate(path, merged, os_migrate_version)
        else:
            written = datafile.write(path, merged)
        rows.append(
            ExportRow(
                resource.cli_name,
                path,
                len(entries),
                len(merged) - len(old),
                written,
            )
        )
        try:
            resource.after_export(lookup, entries)
        except exceptions.MigrateError as e:
            failures.append(str(e))
    if failures:
        # The data files are written: only what lies beside them failed.
        raise exceptions.MigrateError('; '.join(failures))
    return rows


def _write_for_os_migrate(
    path: str, entries: list[datafile.Entry], version: str
) -> bool:
    entries, remarks = os_migrate.convert(entries)
    for r in remarks:
        LOG.warning(
            '%s: %s %r: %s%s',
            path,
            r.type,
            r.name,
            'left out: ' if r.left_out else '',
            r.text,
        )
    return datafile.write(path, entries, version)


def entries_of(
    resource: base.Resource, data_dir: str, required: bool = True
) -> list[datafile.Entry]:
    """The entries of ``resource``'s type in its data file.

    :param required: a missing file is an error; otherwise it holds nothing
    """
    path = data_path(data_dir, resource)
    if not required and not os.path.exists(path):
        return []
    loaded = datafile.load(path)
    for index, entry in enumerate(loaded.resources):
        if entry['type'] != resource.type:
            raise exceptions.DataFileError(
                'is %r, but %s holds %s resources'
                % (entry['type'], resource.file_name, resource.type),
                path=path,
                resource=datafile.label(entry, index),
                field='type',
            )
        resource.check(entry, path, index)
    return loaded.resources


class _Placeholder:
    """Stands in, during a dry run, for a resource the plan would create."""

    def __init__(self, name: str, project_id: str) -> None:
        self.id = '(to be created: %s)' % name
        self.name = name
        self.project_id = project_id

    def __getattr__(self, attr: str) -> None:
        return None


def import_(
    types: list[base.Resource],
    lookup: refs.Lookup,
    data_dir: str,
    match: ty.Callable[[str], bool],
    dry_run: bool = False,
    required: bool = True,
) -> list[base.Outcome]:
    """Import (or, with ``dry_run``, plan) each type from its file.

    Every data file is read and checked before the first write, so that a
    broken file stops the import before anything is created.
    """
    loaded = [(r, entries_of(r, data_dir, required)) for r in types]
    outcomes: list[base.Outcome] = []
    #: where each imported entry's outcome is, by id() of the entry
    placed: dict[int, int] = {}
    for resource, entries in loaded:
        chosen = [e for e in entries if match(resource.name_of(e))]
        workers = (
            1 if dry_run or not chosen else resource.import_workers(lookup)
        )
        if workers > 1 and len(chosen) > 1:
            applied = _apply_in_threads(resource, lookup, chosen, workers)
        else:
            applied = (
                resource.apply(lookup, e, dry_run=dry_run) for e in chosen
            )
        for entry, outcome in zip(chosen, applied, strict=True):
            if dry_run and outcome.action == base.CREATE:
                lookup.remember(
                    resource.kind,
                    _Placeholder(resource.name_of(entry), lookup.project_id),
                )
            placed[id(entry)] = len(outcomes)
            outcomes.append(outcome)
    if not dry_run:
        _finish(loaded, lookup, placed, outcomes)
    return outcomes


def _apply_in_threads(
    resource: base.Resource,
    lookup: refs.Lookup,
    entries: list[datafile.Entry],
    workers: int,
) -> list[base.Outcome]:
    """The outcomes of ``entries``, in their order, applied ``workers`` at a
    time.  If one raises, the ones not started yet are not applied."""
    pool = futures.ThreadPoolExecutor(
        max_workers=min(workers, len(entries)),
        thread_name_prefix='import-%s' % resource.kind,
    )
    try:
        return list(pool.map(lambda e: resource.apply(lookup, e), entries))
    except KeyboardInterrupt:
        LOG.warning(
            'Interrupted: no new %s import starts, the ones under way '
            'finish first (kill the command to stop them at once: the next '
            'run cleans up after it)',
            resource.cli_name,
        )
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _finish(
    loaded: list[tuple[base.Resource, list[datafile.Entry]]],
    lookup: refs.Lookup,
    placed: dict[int, int],
    outcomes: list[base.Outcome],
) -> None:
    """Apply once more the entries of types that wait for others (a
    router's static routes wait for its interfaces).

    An entry's second outcome replaces its first unless it changed
    nothing; a create stays a create.
    """
    imported = {r.cli_name for r, _ in loaded}
    for resource, entries in loaded:
        if not imported.intersection(resource.finish_after):
            continue
        for entry in entries:
            index = placed.get(id(entry))
            if index is None or not succeeded(outcomes[index]):
                continue
            second = resource.apply(lookup, entry)
            if second.action == 'unchanged':
                continue
            if succeeded(second) and outcomes[index].action == 'created':
                second = second._replace(action='created')
            outcomes[index] = second


def summarize(
    types: list[base.Resource], outcomes: list[base.Outcome]
) -> list[Summary]:
    """Counts per type: created, updated, unchanged, failed."""
    counts: dict[str, collections.Counter] = {
        r.type: collections.Counter() for r in types
    }
    for outcome in outcomes:
        action = outcome.action
        if action not in ('created', 'updated', 'unchanged'):
            action = 'failed'
        counts[outcome.type][action] += 1
    return [
        Summary(
            r.cli_name,
            counts[r.type]['created'],
            counts[r.type]['updated'],
            counts[r.type]['unchanged'],
            counts[r.type]['failed'],
        )
        for r in types
    ]


def succeeded(outcome: base.Outcome) -> bool:
    return outcome.action in (
        'created',
        'updated',
        'unchanged',
        base.CREATE,
        base.UPDATE,
    )
