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

CREATED, UPDATED = base.DONE[base.CREATE], base.DONE[base.UPDATE]


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


#: ``--parallel``: writes in flight at once when the command does not say
#: (a small cloud's API takes that many without queueing)
DEFAULT_PARALLEL = 4


def import_(
    types: list[base.Resource],
    lookup: refs.Lookup,
    data_dir: str,
    match: ty.Callable[[str], bool],
    dry_run: bool = False,
    required: bool = True,
    parallel: int = 1,
) -> list[base.Outcome]:
    """Import (or, with ``dry_run``, plan) each type from its file.

    Every data file is read and checked before the first write, so that a
    broken file stops the import before anything is created.  The
    outcomes come in the order of ``types``, each type's in file order,
    however the work was done.

    :param parallel: with more than 1, the entries of the types that allow
        it (:attr:`~base.Resource.parallel_import`) are applied that many
        at a time, the types of one dependency level together (networks
        and security groups, then subnets and rules); a type is only begun
        once every type it depends on is done.  A dry run is one by one.
    """
    loaded = [(r, entries_of(r, data_dir, required)) for r in types]
    chosen = [
        (r, [e for e in entries if match(r.name_of(e))])
        for r, entries in loaded
    ]
    if dry_run:
        return _plan(chosen, lookup)
    outcomes = _apply(chosen, lookup, parallel)
    #: where each imported entry's outcome is, by id() of the entry
    placed = {
        id(e): i for i, e in enumerate(e for _, es in chosen for e in es)
    }
    _finish(loaded, lookup, placed, outcomes)
    return outcomes


def _plan(
    chosen: list[tuple[base.Resource, list[datafile.Entry]]],
    lookup: refs.Lookup,
) -> list[base.Outcome]:
    outcomes = []
    for resource, entries in chosen:
        for entry in entries:
            outcome = resource.apply(lookup, entry, dry_run=True)
            if outcome.action == base.CREATE:
                lookup.remember(
                    resource.kind,
                    _Placeholder(resource.name_of(entry), lookup.project_id),
                )
            outcomes.append(outcome)
    return outcomes


class _Batch(ty.NamedTuple):
    """The chosen entries of one type, and where their outcomes go."""

    resource: base.Resource
    entries: list[datafile.Entry]
    first: int


def _apply(
    chosen: list[tuple[base.Resource, list[datafile.Entry]]],
    lookup: refs.Lookup,
    parallel: int,
) -> list[base.Outcome]:
    batches = []
    first = 0
    for resource, entries in chosen:
        batches.append(_Batch(resource, entries, first))
        first += len(entries)
    slots: list[base.Outcome | None] = [None] * first
    if parallel > 1:
        steps = _levels(batches)
    else:
        steps = [[b] for b in batches]
    for step in steps:
        pooled = []
        for batch in step:
            if parallel > 1 and _poolable(batch.resource, step):
                if batch.resource.bulk_class is None:
                    pooled.append(batch)
                    continue
                # New ones in bulk requests: fewer requests than a pool's.
                outcomes = batch.resource.apply_bulk(lookup, batch.entries)
            else:
                outcomes = _apply_type(batch, lookup)
            for i, outcome in enumerate(outcomes):
                slots[batch.first + i] = outcome
        if pooled:
            _apply_pooled(pooled, lookup, parallel, slots)
    return ty.cast(list[base.Outcome], slots)


def _levels(batches: list[_Batch]) -> list[list[_Batch]]:
    """The batches by dependency level, in order: a type's level is one
    more than the highest of the types it depends on among ``batches``
    (their order is a dependency order)."""
    level: dict[str, int] = {}
    for b in batches:
        level[b.resource.cli_name] = 1 + max(
            (level[d] for d in b.resource.depends_on if d in level),
            default=-1,
        )
    steps: list[list[_Batch]] = [
        [] for _ in range(max(level.values(), default=-1) + 1)
    ]
    for b in batches:
        steps[level[b.resource.cli_name]].append(b)
    return steps


def _poolable(resource: base.Resource, step: list[_Batch]) -> bool:
    """Whether ``resource``'s entries may go to the pool of its level: it
    says so, and it references no kind that the level imports (itself
    included), so no entry waits for another of the level."""
    if not resource.parallel_import:
        return False
    kinds = {b.resource.kind for b in step}
    return not any(r.kind in kinds for r in resource.references.values())


def _apply_type(batch: _Batch, lookup: refs.Lookup) -> list[base.Outcome]:
    """The outcomes of one type's entries, applied as the type says."""
    resource, entries = batch.resource, batch.entries
    workers = resource.import_workers(lookup) if entries else 1
    if workers > 1 and len(entries) > 1:
        return _apply_in_threads(resource, lookup, entries, workers)
    return [resource.apply(lookup, e) for e in entries]


def _apply_pooled(
    batches: list[_Batch],
    lookup: refs.Lookup,
    workers: int,
    slots: list[base.Outcome | None],
) -> None:
    """Apply the entries of ``batches``, ``workers`` at a time, each
    outcome into its slot.  If one raises, the ones not started yet are
    not applied."""
    # Entries that would import as one resource go one after the other,
    # as they would without the pool: the second finds what the first made.
    chains: dict[
        tuple[str, str], list[tuple[base.Resource, datafile.Entry, int]]
    ] = {}
    for batch in batches:
        # The SDK proxy is made on first use, with its version discovery:
        # here, once, rather than by threads at once.
        batch.resource.proxy(lookup)
        for i, entry in enumerate(batch.entries):
            key = (batch.resource.type, batch.resource.import_identity(entry))
            chains.setdefault(key, []).append(
                (batch.resource, entry, batch.first + i)
            )

    def apply_chain(
        chain: list[tuple[base.Resource, datafile.Entry, int]],
    ) -> None:
        for resource, entry, slot in chain:
            slots[slot] = resource.apply(lookup, entry)

    if not chains:
        return
    pool = futures.ThreadPoolExecutor(
        max_workers=min(workers, len(chains)),
        thread_name_prefix='import',
    )
    try:
        pending = [pool.submit(apply_chain, c) for c in chains.values()]
        for done in futures.as_completed(pending):
            done.result()
    except KeyboardInterrupt:
        LOG.warning(
            'Interrupted: no new import starts, the ones under way finish '
            'first'
        )
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


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
            if second.action == base.UNCHANGED:
                continue
            if succeeded(second) and outcomes[index].action == CREATED:
                second = second._replace(action=CREATED)
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
        if action not in base.DONE.values():
            action = base.FAILED
        counts[outcome.type][action] += 1
    return [
        Summary(
            r.cli_name,
            counts[r.type][CREATED],
            counts[r.type][UPDATED],
            counts[r.type][base.DONE[base.UNCHANGED]],
            counts[r.type][base.FAILED],
        )
        for r in types
    ]


def succeeded(outcome: base.Outcome) -> bool:
    return outcome.action in (
        *base.DONE.values(),
        base.CREATE,
        base.UPDATE,
    )
