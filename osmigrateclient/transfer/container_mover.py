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

"""The container mover: what the export or import of Swift containers
asks of Swift, and their objects' bytes.

The type is declared in :mod:`osmigrateclient.resources.container`; its
export, plan and import ask :class:`ContainerMover`, the container mover
of the run (:mod:`osmigrateclient.movers`), which works with
:mod:`osmigrateclient.transfer.swift`.  The records of the last export
and the blobs this export wrote are the run's, kept here.
"""

import os
import threading
import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient import datadir
from osmigrateclient import clouds
from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient import progress as progress_mod
from osmigrateclient.transfer.swift import blobs
from osmigrateclient.transfer.swift import containers
from osmigrateclient.transfer.swift import large
from osmigrateclient.transfer.swift import pool
from osmigrateclient.transfer.swift import records
from osmigrateclient.transfer.swift import state as swift_state
from osmigrateclient.transfer.swift import stream
from osmigrateclient.transfer.swift import versions
from osmigrateclient.transfer.swift import work as swift_work


class ContainerMover:
    """The container mover of one run.

    :param declaration: the container type (its names)
    :param default_parallel: objects read or written at once when the
        command does not say
    """

    def __init__(self, declaration: ty.Any, default_parallel: int) -> None:
        self.declaration = declaration
        self.default_parallel = default_parallel
        #: the last export's records, by container and object name
        self.known: dict[str, dict[str, dict]] = {}
        #: (container, object) whose blob this export wrote or checked
        self.fetched: set[tuple[str, str]] = set()

    def _workers(self, lookup: ty.Any) -> int:
        return lookup.option('parallel') or self.default_parallel

    def _progress(self, lookup: ty.Any) -> progress_mod.Progress:
        if lookup.option('progress'):
            return progress_mod.Progress(bar=True)
        return progress_mod.Progress()

    # -- export -------------------------------------------------------------

    def start_export(self, known: dict[str, dict[str, dict]]) -> None:
        """Begin an export that may reuse the ``known`` object records
        (by container and object name) of the last one."""
        self.known, self.fetched = known, set()

    def _keep_blobs(self, lookup: ty.Any) -> bool:
        return bool(lookup.option('keep_blobs') and lookup.data_dir)

    def _at_copy(self, lookup: ty.Any, params: dict) -> bool:
        """Whether plain objects are recorded from the listing alone
        (``--metadata-at-copy``).  Not with ``--keep-blobs``, whose GET
        brings the metadata anyway, nor in a container with object
        versioning, whose names are links that keep the expiry (the
        import's GET would not show it)."""
        return bool(
            lookup.option('metadata_at_copy')
            and not self._keep_blobs(lookup)
            and not params.get('versions_enabled')
        )

    def describe(
        self, lookup: ty.Any, name: str
    ) -> tuple[dict[str, ty.Any], ty.Mapping[str, str]]:
        """The params of the source container ``name`` (its objects'
        records included, their bytes kept with ``--keep-blobs``, the
        metadata of plain ones left to the import's GET with
        ``--metadata-at-copy``) and its headers."""
        headers = containers.head_container(lookup.conn, name) or {}
        params: dict[str, ty.Any] = {'name': name}
        params.update(containers.container_params(headers))
        read = None
        meter = None
        if self._keep_blobs(lookup):
            # The GET that keeps an object's bytes brings its metadata:
            # no HEAD for it.
            meter = self._progress(lookup).start('container %r' % name, None)
            read = self._blob_reader(lookup, name, meter)
        params['objects'] = records.records(
            lookup.conn,
            name,
            self.known.get(name, {}),
            self._workers(lookup),
            read,
            self._at_copy(lookup, params),
        )
        # (versioning disabled since: the current versions only)
        params['objects'] = versions.current_only(params['objects'])
        if params.get('versions_enabled'):
            params['objects'] = versions.add_histories(
                lookup.conn,
                name,
                params['objects'],
                self.known.get(name, {}),
                self._workers(lookup),
            )
        if meter is not None:
            meter.finish('bytes kept in %s' % datadir.CONTAINER_BLOBS)
        return params, headers

    def _blob_reader(
        self, lookup: ty.Any, name: str, meter: progress_mod.Meter
    ) -> ty.Callable[[dict], ty.Any]:
        """The headers of a listed object, its bytes written to its blob
        on the way (a HEAD for large objects and empty ones, which have
        no blob)."""
        lock = threading.Lock()

        def moved(n: int) -> None:
            with lock:
                meter.update(n)

        def read(item: dict) -> ty.Any:
            if (
                item.get('bytes')
                and not item.get('slo_etag')
                and not large.is_symlink(item)
            ):
                rec = {
                    'name': item['name'],
                    'hash': records.listed_hash(item),
                    'bytes': item['bytes'],
                }
                path = blobs.blob_path(
                    lookup.data_dir or '', name, rec['name']
                )
                headers = blobs.download_blob(
                    lookup.conn, name, rec, path, moved
                )
                with lock:
                    self.fetched.add((name, rec['name']))
                if headers is not None:
                    return records.link_expiry(
                        lookup.conn, name, rec['name'], headers
                    )
            return records.head_object(
                lookup.conn, name, item['name'], large.is_symlink(item)
            )

        return read

    def keep_blobs(self, lookup: ty.Any, entries: list[dict]) -> None:
        """With ``--keep-blobs``, make sure that every object has its
        blob: those the export did not read (unchanged since the last
        export) are checked, and downloaded if missing.

        :raises osmigrateclient.exceptions.MigrateError: some failed
            (after every object was tried)
        """
        if not self._keep_blobs(lookup):
            return
        progress = self._progress(lookup)
        failures = []
        for entry in entries:
            name = self.declaration.name_of(entry)
            todo = [
                r
                for r in entry['params']['objects']
                if not large.large_kind(r)
                and r.get('bytes')
                and (name, r['name']) not in self.fetched
            ]
            todo += [
                v
                for r in entry['params']['objects']
                for v in versions.sequence(r)[:-1]
                if not large.large_kind(v) and v.get('bytes')
            ]
            if not todo:
                continue
            meter = progress.start(
                'container %r' % name, sum(r['bytes'] for r in todo)
            )

            def fetch(rec: dict, name: str = name, meter=meter) -> None:
                path = blobs.blob_path(
                    lookup.data_dir or '',
                    name,
                    rec['name'],
                    rec.get('version_id'),
                )
                try:
                    blobs.download_blob(
                        lookup.conn, name, rec, path, meter.update
                    )
                except (
                    exceptions.MigrateError,
                    sdk_exceptions.SDKException,
                ) as e:
                    failures.append(
                        '%s %r: %s' % (self.declaration.cli_name, name, e)
                    )

            pool.run(fetch, todo, self._workers(lookup), 'blob')
            meter.finish('%d blob(s) checked' % len(todo))
        if failures:
            raise exceptions.MigrateError(
                'the bytes of %d object(s) were not exported (their '
                'metadata was): %s' % (len(failures), '; '.join(failures[:5]))
            )

    # -- import: what to do -------------------------------------------------

    def current(self, lookup: ty.Any, name: str) -> dict[str, ty.Any] | None:
        """The params of the destination container ``name`` (its objects
        aside), or None if there is none."""
        headers = containers.head_container(lookup.conn, name)
        if headers is None:
            return None
        return containers.container_params(headers)

    def new_work(self, wanted: list[dict]) -> swift_work.Work:
        """What to do with the objects ``wanted`` in a new container."""
        return swift_work.classify(wanted, {}, {})

    def work(
        self, lookup: ty.Any, name: str, wanted: list[dict]
    ) -> tuple[swift_work.Work, dict[str, dict]]:
        """What to do with the objects ``wanted`` in the destination
        container ``name``, and its listing by object name."""
        listing = {
            i['name']: i for i in records.list_objects(lookup.conn, name)
        }
        state = self._state(lookup, name)
        work = swift_work.classify(
            wanted, listing, state.read() if state is not None else {}
        )
        src = None
        if lookup.option('src_cloud') and any(
            r.get('at_copy') for r in work.check
        ):
            src = lookup.other_side(clouds.SOURCE)
        work = swift_work.look(
            lookup.conn, name, work, self._workers(lookup), src
        )
        return work, listing

    def source_needed(self, lookup: ty.Any, params: dict) -> int | None:
        """The index in ``params``' objects of the first record exported
        with ``--metadata-at-copy`` when the import has no source to read
        its metadata from (no ``--src-cloud``), or None.

        ``migrate plan`` has no source option: it is not refused.
        """
        if lookup.option('src_cloud') or not hasattr(
            lookup.options, 'src_cloud'
        ):
            return None
        for i, rec in enumerate(params.get('objects') or []):
            if isinstance(rec, dict) and rec.get('at_copy'):
                return i
        return None

    def history_work(
        self, lookup: ty.Any, name: str, params: dict, exists: bool
    ) -> tuple[list[dict], versions.Plan]:
        """(the records of ``params`` whose current version the plain
        object import handles, what to do with the histories of the
        others) in the destination container ``name`` (``exists``: one
        ``?versions`` listing of it, if any record has a history)."""
        plain, histories = versions.split(params.get('objects') or [])
        enabled = params.get('versions_enabled') is True
        listing = {}
        if histories and exists and enabled:
            listing = versions.list_versions(lookup.conn, name)
        history = versions.plan(histories, listing, enabled=enabled)
        return plain + history.classic(), history

    def missing_blobs(
        self,
        lookup: ty.Any,
        name: str,
        work: swift_work.Work,
        history: versions.Plan | None = None,
    ) -> str:
        """Why the bytes to copy cannot be read, or ''.

        ``migrate plan`` has no source option: it cannot tell where an
        import will read the bytes, and says what the import would copy.
        """
        if lookup.option('src_cloud') or not hasattr(
            lookup.options, 'src_cloud'
        ):
            return ''
        todo = list(work.copy)
        for _, wanted in history.append if history else []:
            todo += wanted
        missing = [
            r['name']
            for r in todo
            if not large.large_kind(r)
            and r.get('bytes')
            and not os.path.isfile(
                blobs.blob_path(
                    lookup.data_dir or '',
                    name,
                    r['name'],
                    r.get('version_id'),
                )
            )
        ]
        if not missing:
            return ''
        return (
            'objects: %d object(s) to copy have no blob in %s (first: %s): '
            'import with --src-cloud <cloud>, or export with --keep-blobs'
            % (
                len(missing),
                os.path.join(lookup.data_dir or '', datadir.CONTAINER_BLOBS),
                datafile.shown(missing[0]),
            )
        )

    def _state(self, lookup: ty.Any, name: str) -> swift_state.State | None:
        if not lookup.data_dir:
            return None
        account = lookup.conn.object_store.get_endpoint() or ''
        return swift_state.State(lookup.data_dir, account, name)

    # -- import: doing it ---------------------------------------------------

    def create(self, lookup: ty.Any, name: str, params: dict) -> None:
        """Create the destination container ``name`` holding ``params``."""
        containers.put_container(
            lookup.conn, name, containers.container_headers(params)
        )

    def update(
        self, lookup: ty.Any, name: str, changes: dict[str, tuple]
    ) -> None:
        """Change the destination container ``name``: ``changes`` are
        (old, new) by param."""
        containers.post_container(
            lookup.conn,
            name,
            containers.container_headers(
                {k: new for k, (_, new) in changes.items()},
                {k: old for k, (old, _) in changes.items()},
            ),
        )

    def _source(self, lookup: ty.Any) -> stream.Source:
        if lookup.option('src_cloud'):
            return stream.Source(conn=lookup.other_side(clouds.SOURCE))
        return stream.Source(data_dir=lookup.data_dir)

    def copy(
        self,
        lookup: ty.Any,
        name: str,
        entry: dict,
        work: swift_work.Work,
        listing: dict[str, dict],
    ) -> stream.Result:
        """Make the objects of ``work`` in the destination container
        ``name``: ``listing`` is its listing, by object name."""
        return stream.import_objects(
            lookup.conn,
            self._source(lookup) if work.copy else stream.Source(),
            name,
            work,
            self._workers(lookup),
            self._progress(lookup),
            self._state(lookup, name),
            {r['name'] for r in entry['params'].get('objects') or []},
            listing,
        )

    def copy_history(
        self,
        lookup: ty.Any,
        name: str,
        entry: dict,
        history: versions.Plan,
    ) -> stream.Result:
        """Make the versions that the destination container ``name``
        lacks of the objects of ``history``, oldest first; the current
        versions made are recorded as verified."""
        if not history.append:
            return stream.Result(0, 0, 0, [])
        source = self._source(lookup)
        total = sum(
            v.get('bytes') or 0 for _, vs in history.append for v in vs
        )
        meter = self._progress(lookup).start('versions of %r' % name, total)
        lock = threading.Lock()

        def moved(n: int) -> None:
            with lock:
                meter.update(n)

        def put(version: dict) -> int:
            return stream.put_object(lookup.conn, source, name, version, moved)

        made, sent, failures, done = versions.write(
            lookup.conn, name, history, self._workers(lookup), put
        )
        meter.finish('%d version(s) made' % made)
        state = self._state(lookup, name)
        currents = [r for r, vs in history.append if vs and vs[-1] is r]
        if state is not None and currents:
            stream.record_state(
                lookup.conn,
                name,
                state,
                swift_work.Work(currents, [], [], [], [], []),
                done,
                {r['name'] for r in entry['params'].get('objects') or []},
                {},
            )
        return stream.Result(made, 0, sent, failures)
