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


"""A workload import run: pre-flight every server, then import them.

Servers whose journal says they were imported, and whose destination
server is still there, are ``unchanged``.  A destination server with the
name of a server that the journal does not know is a ``conflict``: it is
reported, never overwritten nor skipped silently.  Servers with pre-flight
problems are ``blocked`` with every problem listed.  The others are
imported ``parallel`` at a time, each in its own thread with its own
volume streams, sharing the conversion-host pair.
"""

import concurrent.futures
import json
import logging
import typing as ty

from osmigrateclient import datafile
from osmigrateclient.resources import refs
from osmigrateclient.transfer import conversion_host
from osmigrateclient.transfer import host_pool
from osmigrateclient.transfer import volume_copy
from osmigrateclient.workload import checked
from osmigrateclient.workload import journal as journal_mod
from osmigrateclient.workload import migration
from osmigrateclient.workload import preflight
from osmigrateclient.workload import sync as sync_mod
from osmigrateclient.workload.steps import server as server_step

LOG = logging.getLogger(__name__)

BLOCKED, CONFLICT, SKIPPED, PLANNED = (
    'blocked',
    'conflict',
    'skipped',
    'create',
)
#: the outcomes of a server that leave the exit status at 0
SUCCEEDED = (migration.CREATED, migration.UNCHANGED, SKIPPED, PLANNED)


def _dest_server(dst: refs.Lookup, server_id: str | None):
    if not server_id:
        return None
    return dst.get('server', server_id)


def triage(
    ctx: migration.Context,
    entries: list[dict],
    src: refs.Lookup,
    dst: refs.Lookup,
) -> tuple[list[checked.Resolved], list[migration.ImportOutcome]]:
    """(the servers to import, the outcomes of the others)."""
    checker = preflight.Checker(src, dst, stop=ctx.stop)
    hosts = conversion_host.load_hosts(ctx.data_dir)
    src_hosts = {
        r.get('server_id')
        for k, r in hosts.items()
        if host_pool.side_of(k) == conversion_host.SRC
    } - {None}
    missing = host_pool.missing_sides(hosts)
    todo, outcomes = [], []
    for entry in entries:
        params, info = entry.get('params') or {}, entry.get('_info') or {}
        source_id, name = info.get('id'), params.get('name')

        def outcome(action, detail='', dest_id=None, n=name, i=source_id):
            outcomes.append(
                migration.ImportOutcome(n, i, action, dest_id, detail)
            )

        if source_id and source_id in src_hosts:
            outcome(SKIPPED, 'the source conversion host')
            continue
        j = journal_mod.Journal(ctx.data_dir, source_id, name)
        server_record = j.step(server_step.NAME)
        known = {j.data.get('dest_id'), server_record.get('id')} - {None}
        if j.phase == journal_mod.DONE:
            found = _dest_server(dst, j.data.get('dest_id'))
            if found is not None:
                outcome(migration.UNCHANGED, '', found.id)
                continue
        # A server create whose answer never came: a killed run, or a
        # failed one that could not delete what it made.
        creating = server_record.get('creating') and (
            j.phase == journal_mod.RUNNING
            or (j.phase == journal_mod.FAILED and j.data.get('revert_errors'))
        )
        others = [
            s.id
            for s in dst.owned('server')
            if s.name == name and s.id not in known
        ]
        if others and not (creating and len(others) == 1):
            outcome(
                CONFLICT,
                'the destination has a server named %r (%s) that this data '
                'directory did not import: rename or delete one of them'
                % (name, ', '.join(others)),
            )
            continue
        detached = [d['volume'] for d in j.source.get('detached') or []]
        resolved, problems = checker.check(entry, detached)
        if missing and _copies(entry):
            problems = problems + [
                'volumes: no %s conversion host: run "openstack migrate '
                'conversion host deploy" first' % ' or '.join(missing)
            ]
            resolved = None
        if resolved is None:
            outcome(BLOCKED, '; '.join(problems))
            continue
        todo.append(resolved)
    return todo, outcomes


def make_ahead(
    ctx: migration.Context,
    entries: list[dict],
    src: refs.Lookup,
    dst: refs.Lookup,
) -> dict[str, str]:
    """Warm migration: per server of ``entries`` that no import has begun,
    what of it the cutover need not wait for, made now
    (:meth:`migration.ServerImport.make_ahead`); what was made, or why
    nothing, by source server id.  The pre-flight is the import's (the
    source may run: it is synced, not stopped), its lists read once."""
    checker = preflight.Checker(src, dst, stop=True)
    said = {}
    for entry in entries:
        params, info = entry.get('params') or {}, entry.get('_info') or {}
        source_id, name = info.get('id'), params.get('name')
        if journal_mod.Journal(ctx.data_dir, source_id, name).phase:
            continue  # the cutover began: its steps are its own
        resolved, problems = checker.check(entry)
        if resolved is None:
            said[source_id] = 'nothing made ahead: %s' % '; '.join(problems)
            continue
        try:
            made = migration.ServerImport(ctx, resolved).make_ahead()
        except Exception as e:
            # The cutover makes what is missing: the sync pass stands.
            LOG.warning('%s: made ahead in part: %s', name, e)
            said[source_id] = 'made ahead in part: %s' % e
            continue
        if made:
            said[source_id] = 'made ahead: %s' % made
    return said


def sync(
    data_dir: str,
    src: refs.Lookup,
    dst: refs.Lookup,
    entries: list[dict],
    parallel: int,
    settings: volume_copy.Settings = volume_copy.DEFAULT_SETTINGS,
) -> list[sync_mod.SyncOutcome]:
    """``workload sync``: a pass of every server of ``entries``
    (:func:`sync_mod.sync_all`), then, for the servers synced, what the
    cutover need not wait for made (:func:`make_ahead`); the outcomes say
    both."""
    outcomes = sync_mod.sync_all(
        data_dir, src.conn, dst.conn, entries, parallel, settings
    )
    synced = {o.source_id for o in outcomes if o.action == sync_mod.SYNCED}
    ctx = migration.Context(data_dir, src.conn, dst.conn, settings)
    said = make_ahead(
        ctx,
        [e for e in entries if (e.get('_info') or {}).get('id') in synced],
        src,
        dst,
    )
    return [
        o._replace(
            detail='; '.join(
                d for d in (o.detail, said.get(o.source_id or '')) if d
            )
        )
        for o in outcomes
    ]


def _copies(entry: dict) -> bool:
    """Whether the import of ``entry`` copies volumes."""
    migration_params = entry.get('_migration_params') or {}
    if migration_params.get('data_copy', True) is False:
        return False
    params = entry.get('params') or {}
    return bool(
        params.get('volumes') or migration_params.get('boot_disk_copy')
    )


def run(
    ctx: migration.Context,
    todo: list[checked.Resolved],
    parallel: int = 1,
) -> list[migration.ImportOutcome]:
    """Import the checked servers, ``parallel`` at a time."""
    if not todo:
        return []
    with concurrent.futures.ThreadPoolExecutor(
        max_workers=max(1, parallel), thread_name_prefix='workload'
    ) as pool:
        futures = [
            pool.submit(migration.ServerImport(ctx, r).run) for r in todo
        ]
        return [f.result() for f in futures]


def report(
    data_dir: str,
    outcomes: list[migration.ImportOutcome],
    started_at: str,
    seconds: float,
    parallel: int,
) -> dict:
    """The JSON summary of a run (``--report``)."""
    servers = []
    for o in outcomes:
        item: dict[str, ty.Any] = {
            'name': o.name,
            'source_id': o.source_id,
            'dest_id': o.dest_id,
            'action': o.action,
            'detail': o.detail,
        }
        j = journal_mod.Journal(data_dir, o.source_id, o.name)
        if j.data.get('phase'):
            steps = j.data.get('steps') or {}
            item['steps'] = {
                k: {'state': v.get('state'), 'seconds': v.get('seconds')}
                for k, v in steps.items()
            }
            item['volumes'] = [
                dict(
                    step=k,
                    dest_id=v.get('result'),
                    **(v.get('copy') or {}),
                )
                for k, v in steps.items()
                if v.get('copy')
            ]
            total = sum(v.get('seconds') or 0 for v in steps.values())
            copy = sum(c.get('seconds') or 0 for c in item['volumes'])
            item['seconds'] = round(total, 3)
            item['copy_seconds'] = round(copy, 3)
            item['other_seconds'] = round(total - copy, 3)
            item['error'] = j.data.get('error')
            item['downtime_seconds'] = j.data.get('downtime_seconds')
        servers.append(item)
    return {
        'started_at': started_at,
        'seconds': round(seconds, 3),
        'parallel': parallel,
        'servers': servers,
    }


def write_report(path: str, data: dict) -> None:
    datafile.write_text(
        path, json.dumps(data, indent=2, sort_keys=True) + '\n'
    )
