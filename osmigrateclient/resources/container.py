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

"""Swift containers, with their objects.

``params``: the container's ``name``, ``metadata`` (``X-Container-Meta-*``,
keys in lower case; temporary URL keys are secrets and left out), the
``read_acl`` / ``write_acl``, versioning (``versions_location``,
``history_location``, ``versions_enabled``), the ``storage_policy`` (set
on create only), and ``objects``: one record per object, ``name``,
``hash`` (the MD5 ETag; a static large object's is the MD5 of its
segments' ETags), ``bytes``, ``content_type``, ``last_modified`` (the
source's, never sent) and, when set, ``metadata``, ``delete_at``,
``headers`` (``content-encoding``, ``content-disposition``, ... as Swift
keeps them), and
the ``segments`` of a static large object, the ``manifest``
(``<container>/<prefix>``) of a dynamic one, or the ``symlink`` target
(``<container>/<object>``) of a symbolic link.

Export lists each container's objects once; a HEAD reads the metadata of
the objects that are new or changed since the last export of the data
directory (see :mod:`osmigrateclient.transfer.swift`).  With
``--keep-blobs`` the bytes are also written under
``container_blobs/`` of the data directory.

Import creates a missing container, updates what differs of an existing
one, and then makes its objects: the bytes streamed from the source Swift
(``--src-cloud``) or from the blobs, ``--parallel`` at a time, each one
verified by its ETag.  Objects that the destination listing shows with
the same bytes are not sent again; their metadata is read (a HEAD) only
when no earlier import verified it since the destination's last write.
An import never deletes objects.
"""

import logging
import os
import threading
import types
import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient import clouds
from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient import progress as progress_mod
from osmigrateclient.resources import base
from osmigrateclient.resources import refs
from osmigrateclient.transfer.swift import blobs
from osmigrateclient.transfer.swift import containers
from osmigrateclient.transfer.swift import large
from osmigrateclient.transfer.swift import pool
from osmigrateclient.transfer.swift import records
from osmigrateclient.transfer.swift import state as swift_state
from osmigrateclient.transfer.swift import stream
from osmigrateclient.transfer.swift import wire
from osmigrateclient.transfer.swift import work as swift_work

LOG = logging.getLogger(__name__)

#: objects read or written at once when the command does not say
DEFAULT_PARALLEL = 4
#: the pseudo-change of the objects to copy or update
OBJECTS = '(objects)'
#: params whose null in a file means "not known": never sent, never a
#: change (Swift has no way to unset them)
NONE_IS_UNKNOWN = ('storage_policy', 'versions_enabled')

OBJECT_SHAPE = {
    'name': datafile.STR,
    'hash': datafile.STR,
    'bytes': datafile.NUMBER,
    'content_type': datafile.STR,
    'last_modified': datafile.STR,
    'metadata': datafile.MapOf(datafile.STR),
    'headers': {h.lower(): datafile.STR for h in records.OBJECT_HEADERS},
    'delete_at': datafile.NUMBER,
    'manifest': datafile.STR,
    'symlink': datafile.STR,
    'segments': [
        {
            'path': datafile.STR,
            'etag': datafile.STR,
            'size_bytes': datafile.NUMBER,
            'range': datafile.STR,
        }
    ],
}


def _add_once(parser: ty.Any, option: str, **kwargs: ty.Any) -> None:
    """Add an option that another type of ``export all`` / ``import all``
    may have added already (``--src-cloud``, ``--progress``)."""
    if option not in parser._option_string_actions:
        parser.add_argument(option, **kwargs)


def _referenced(params: dict) -> set[str]:
    """The containers whose objects a container's objects need first:
    the segments of its large objects, its versions."""
    found = set()
    for rec in params.get('objects') or []:
        for seg in rec.get('segments') or []:
            found.add((seg.get('path') or '').lstrip('/').split('/', 1)[0])
        if rec.get('manifest'):
            found.add(rec['manifest'].split('/', 1)[0])
    for key in ('versions_location', 'history_location'):
        if params.get(key):
            found.add(params[key])
    found.discard(params.get('name'))
    return found


class Container(base.Resource):
    type = 'openstack.object_store.Container'
    cli_name = 'container'
    export_what = "the source project's containers, with their objects,"
    kind = 'container'
    file_name = 'containers.yml'
    service = 'object_store'
    catalog_service = 'object-store'
    rank = 90

    params_fields = (
        'name',
        'read_acl',
        'write_acl',
        'versions_location',
        'history_location',
        'versions_enabled',
        'storage_policy',
    )
    info_fields = ('id', 'object_count', 'bytes_used')
    param_shapes = {
        'read_acl': datafile.STR,
        'write_acl': datafile.STR,
        'versions_location': datafile.STR,
        'history_location': datafile.STR,
        'versions_enabled': (bool,),
        'storage_policy': datafile.STR,
        'metadata': datafile.MapOf(datafile.STR),
        'objects': [OBJECT_SHAPE],
    }
    info_shapes = {'object_count': datafile.NUMBER}
    required_params = ('name',)
    sorted_fields = ()
    tag_field = None
    create_only = ('storage_policy',)
    parallel_transfers = True
    scope = 'account'

    def __init__(self) -> None:
        #: the last export's records, by container and object name
        self._known: dict[str, dict[str, dict]] = {}
        #: (container, object) whose blob this export wrote or checked
        self._fetched: set[tuple[str, str]] = set()

    # -- options ------------------------------------------------------------

    def add_arguments(self, parser: ty.Any, verb: str) -> None:
        if verb == 'export':
            parser.add_argument(
                '--keep-blobs',
                action='store_true',
                help='Containers: also write the objects\' bytes under '
                'container_blobs/ of the data directory (an import without '
                '--src-cloud reads them there)',
            )
            _add_once(
                parser,
                '--parallel',
                metavar='<count>',
                type=base.positive_int,
                default=DEFAULT_PARALLEL,
                help='Containers: read this many objects at once (default: '
                '%d)' % DEFAULT_PARALLEL,
            )
        else:
            if '--src-cloud' not in parser._option_string_actions:
                clouds.add_cloud_argument(parser, clouds.SOURCE)
        _add_once(
            parser,
            '--progress',
            action='store_true',
            help='Draw a progress bar on stderr even when it is not a '
            'terminal',
        )

    @staticmethod
    def _option(lookup: refs.Lookup, name: str) -> ty.Any:
        return getattr(lookup.options, name, None)

    def _workers(self, lookup: refs.Lookup) -> int:
        return self._option(lookup, 'parallel') or DEFAULT_PARALLEL

    def _progress(self, lookup: refs.Lookup) -> progress_mod.Progress:
        if self._option(lookup, 'progress'):
            return progress_mod.Progress(bar=True)
        return progress_mod.Progress()

    # -- the data file ------------------------------------------------------

    def check(self, entry: base.Entry, path: str, index: int) -> None:
        super().check(entry, path, index)
        where = datafile.label(entry, index)
        params = entry['params']
        problem = wire.container_name_problem(params.get('name'))
        if problem:
            raise exceptions.DataFileError(problem, path, where, 'params.name')
        for key, value in (params.get('metadata') or {}).items():
            problem = records.record_problem(
                {'name': 'x', 'metadata': {key: value}}
            )
            if problem:
                raise exceptions.DataFileError(
                    problem[1], path, where, 'params.' + problem[0]
                )
        for key in ('read_acl', 'write_acl', 'storage_policy'):
            value = params.get(key)
            problem = value is not None and wire.header_value_problem(value)
            if problem:
                raise exceptions.DataFileError(
                    problem, path, where, 'params.' + key
                )
        for key in ('versions_location', 'history_location'):
            value = params.get(key)
            problem = value is not None and wire.container_name_problem(value)
            if problem:
                raise exceptions.DataFileError(
                    problem, path, where, 'params.' + key
                )
        seen: set[str] = set()
        for i, rec in enumerate(params.get('objects') or []):
            field = 'params.objects[%d]' % i
            if not isinstance(rec, dict) or rec.get('name') is None:
                raise exceptions.DataFileError(
                    'missing', path, where, field + '.name'
                )
            problem = records.record_problem(rec)
            if problem:
                raise exceptions.DataFileError(
                    problem[1], path, where, '%s.%s' % (field, problem[0])
                )
            if rec['name'] in seen:
                raise exceptions.DataFileError(
                    'a second object named %s' % datafile.shown(rec['name']),
                    path,
                    where,
                    field + '.name',
                )
            seen.add(rec['name'])

    # -- export -------------------------------------------------------------

    def list_source(self, lookup: refs.Lookup) -> list[ty.Any]:
        return lookup.all(self.kind)

    def export(
        self, lookup: refs.Lookup, match: ty.Callable[[str], bool]
    ) -> list[base.Entry]:
        self._known, self._fetched = {}, set()
        if lookup.data_dir:
            old = datafile.load_or_empty(
                os.path.join(lookup.data_dir, self.file_name)
            )
            for index, entry in enumerate(old.resources):
                # Only what a check passes is taken again (the file may
                # have been edited by hand, or by someone else).
                try:
                    self.check(entry, old.path, index)
                except exceptions.DataFileError as e:
                    LOG.info('Not reusing the records of %s', e)
                    continue
                params = entry['params']
                self._known[params['name']] = {
                    r['name']: r for r in params.get('objects') or []
                }
        entries = super().export(lookup, match)
        # The containers that others' objects need come first.
        needed = set().union(*(_referenced(e['params']) for e in entries))
        return sorted(
            entries,
            key=lambda e: (self.name_of(e) not in needed, self.name_of(e)),
        )

    def from_sdk(self, lookup: refs.Lookup, obj: ty.Any) -> base.Entry:
        name = obj.name
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
            self._known.get(name, {}),
            self._workers(lookup),
            read,
        )
        if meter is not None:
            meter.finish('bytes kept in %s' % blobs.BLOB_DIR)
        info = {
            'id': name,
            'object_count': _int(headers.get('X-Container-Object-Count')),
            'bytes_used': _int(headers.get('X-Container-Bytes-Used')),
        }
        return {
            'type': self.type,
            'params': params,
            '_info': info,
            '_migration_params': {},
        }

    def _keep_blobs(self, lookup: refs.Lookup) -> bool:
        return bool(self._option(lookup, 'keep_blobs') and lookup.data_dir)

    def _blob_reader(
        self, lookup: refs.Lookup, name: str, meter: progress_mod.Meter
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
                    self._fetched.add((name, rec['name']))
                if headers is not None:
                    return headers
            return records.head_object(
                lookup.conn, name, item['name'], large.is_symlink(item)
            )

        return read

    def after_export(
        self, lookup: refs.Lookup, entries: list[base.Entry]
    ) -> None:
        """With ``--keep-blobs``, make sure that every object has its
        blob: those the export did not read (unchanged since the last
        export) are checked, and downloaded if missing."""
        if not self._keep_blobs(lookup):
            return
        progress = self._progress(lookup)
        failures = []
        for entry in entries:
            name = self.name_of(entry)
            todo = [
                r
                for r in entry['params']['objects']
                if not large.large_kind(r)
                and r.get('bytes')
                and (name, r['name']) not in self._fetched
            ]
            if not todo:
                continue
            meter = progress.start(
                'container %r' % name, sum(r['bytes'] for r in todo)
            )

            def fetch(rec: dict, name: str = name, meter=meter) -> None:
                path = blobs.blob_path(
                    lookup.data_dir or '', name, rec['name']
                )
                try:
                    blobs.download_blob(
                        lookup.conn, name, rec, path, meter.update
                    )
                except (
                    exceptions.MigrateError,
                    sdk_exceptions.SDKException,
                ) as e:
                    failures.append('%s %r: %s' % (self.cli_name, name, e))

            pool.run(fetch, todo, self._workers(lookup), 'blob')
            meter.finish('%d blob(s) checked' % len(todo))
        if failures:
            raise exceptions.MigrateError(
                'the bytes of %d object(s) were not exported (their '
                'metadata was): %s' % (len(failures), '; '.join(failures[:5]))
            )

    # -- import: what to do -------------------------------------------------

    def candidates(self, lookup: refs.Lookup, entry: base.Entry):
        return lookup.all(self.kind)

    def _source(self, lookup: refs.Lookup) -> stream.Source:
        if self._option(lookup, 'src_cloud'):
            return stream.Source(conn=lookup.other_side(clouds.SOURCE))
        return stream.Source(data_dir=lookup.data_dir)

    def _missing_blobs(
        self, lookup: refs.Lookup, entry: base.Entry, work: swift_work.Work
    ) -> str:
        """Why the bytes to copy cannot be read, or ''.

        ``migrate plan`` has no source option: it cannot tell where an
        import will read the bytes, and says what the import would copy.
        """
        if self._option(lookup, 'src_cloud') or not hasattr(
            lookup.options, 'src_cloud'
        ):
            return ''
        name = self.name_of(entry)
        missing = [
            r['name']
            for r in work.copy
            if not large.large_kind(r)
            and r.get('bytes')
            and not os.path.isfile(
                blobs.blob_path(lookup.data_dir or '', name, r['name'])
            )
        ]
        if not missing:
            return ''
        return (
            'objects: %d object(s) to copy have no blob in %s (first: %s): '
            'import with --src-cloud <cloud>, or export with --keep-blobs'
            % (
                len(missing),
                os.path.join(lookup.data_dir or '', blobs.BLOB_DIR),
                datafile.shown(missing[0]),
            )
        )

    def _state(
        self, lookup: refs.Lookup, name: str
    ) -> swift_state.State | None:
        if not lookup.data_dir:
            return None
        account = lookup.conn.object_store.get_endpoint() or ''
        return swift_state.State(lookup.data_dir, account, name)

    def plan(self, lookup: refs.Lookup, entry: base.Entry) -> base.Plan:
        params, name = entry['params'], self.name_of(entry)
        wanted = params.get('objects') or []
        try:
            existing = self.find_existing(lookup, entry)
        except exceptions.Conflict as e:
            return base.Plan(base.CONFLICT, e.problem)
        if existing is None:
            work = swift_work.classify(wanted, {}, {})
            missing = self._missing_blobs(lookup, entry, work)
            if missing:
                return base.Plan(base.BLOCKED, missing)
            return base.Plan(
                base.CREATE, _work_detail(work), None, {OBJECTS: (work, {})}
            )
        headers = containers.head_container(lookup.conn, name)
        if headers is None:  # deleted since the listing
            lookup.forget(self.kind, existing.id)
            return self.plan(lookup, entry)
        current = containers.container_params(headers)
        changes: dict[str, ty.Any] = {}
        for key, value in params.items():
            if key not in current or key == 'objects':
                continue
            have = current[key]
            if key == 'metadata':
                have, value = have or {}, value or {}
            if not base.same(have, value):
                if value is None and key in NONE_IS_UNKNOWN:
                    continue
                changes[key] = (have, value)
        fixed = sorted(k for k in changes if k in self.create_only)
        if fixed:
            return base.Plan(
                base.CONFLICT,
                'cannot change %s of an existing container: %s'
                % (
                    ', '.join(fixed),
                    '; '.join(
                        '%s is %r, the file says %r'
                        % (k, changes[k][0], changes[k][1])
                        for k in fixed
                    ),
                ),
                existing,
            )
        listing = {
            i['name']: i for i in records.list_objects(lookup.conn, name)
        }
        state = self._state(lookup, name)
        work = swift_work.classify(
            wanted, listing, state.read() if state is not None else {}
        )
        work = swift_work.look(lookup.conn, name, work, self._workers(lookup))
        missing = self._missing_blobs(lookup, entry, work)
        if missing:
            return base.Plan(base.BLOCKED, missing, existing)
        detail = ', '.join(sorted(changes))
        changes[OBJECTS] = (work, listing)
        if not (changes.keys() - {OBJECTS}) and not (work.copy or work.fix):
            return base.Plan(base.UNCHANGED, '', existing, changes)
        objects = _work_detail(work)
        return base.Plan(
            base.UPDATE,
            '; '.join(d for d in (detail, objects) if d),
            existing,
            changes,
        )

    # -- import: doing it ---------------------------------------------------

    def apply(
        self, lookup: refs.Lookup, entry: base.Entry, dry_run: bool = False
    ) -> base.Outcome:
        name = self.label_of(entry)
        try:
            planned = self.plan(lookup, entry)
        except (sdk_exceptions.SDKException, exceptions.MigrateError) as e:
            return base.Outcome(
                self.type, name, base.FAILED, base._api_message(e)
            )
        if dry_run or planned.action in (base.BLOCKED, base.CONFLICT):
            return base.Outcome(
                self.type, name, planned.action, planned.detail
            )
        changes = dict(planned.changes or {})
        work, listing = changes.pop(OBJECTS)
        try:
            if planned.action == base.CREATE:
                containers.put_container(
                    lookup.conn,
                    name,
                    containers.container_headers(entry['params']),
                )
                lookup.remember(
                    self.kind, types.SimpleNamespace(id=name, name=name)
                )
            elif changes:
                containers.post_container(
                    lookup.conn,
                    name,
                    containers.container_headers(
                        {k: new for k, (_, new) in changes.items()},
                        {k: old for k, (old, _) in changes.items()},
                    ),
                )
            result = stream.import_objects(
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
        except (sdk_exceptions.SDKException, exceptions.MigrateError) as e:
            LOG.debug('import of container %r failed', name, exc_info=True)
            return base.Outcome(
                self.type, name, base.FAILED, base._api_message(e)
            )
        if result.failures:
            return base.Outcome(
                self.type,
                name,
                base.FAILED,
                'objects: %d of %d failed (%d copied): %s'
                % (
                    len(result.failures),
                    len(work.copy) + len(work.fix),
                    result.copied,
                    result.failures[0],
                ),
            )
        if planned.action == base.UNCHANGED:
            return base.Outcome(self.type, name, base.DONE[base.UNCHANGED])
        return base.Outcome(
            self.type,
            name,
            base.DONE[planned.action],
            _done_detail(planned, work, result),
        )


def _work_detail(work: swift_work.Work) -> str:
    parts = []
    if work.copy:
        parts.append('%d to copy' % len(work.copy))
    if work.fix:
        parts.append('%d to update' % len(work.fix))
    if work.expired:
        parts.append('%d expired (not sent)' % len(work.expired))
    return 'objects: ' + ', '.join(parts) if parts else ''


def _done_detail(
    planned: base.Plan, work: swift_work.Work, result: stream.Result
) -> str:
    fields = ', '.join(
        sorted(k for k in (planned.changes or {}) if k != OBJECTS)
    )
    parts = []
    if result.copied:
        parts.append(
            '%d copied (%s)'
            % (result.copied, progress_mod._size(result.bytes))
        )
    if result.updated:
        parts.append('%d updated' % result.updated)
    unchanged = len(work.same) + len(work.verified)
    if unchanged:
        parts.append('%d unchanged' % unchanged)
    if work.expired:
        parts.append('%d expired (not sent)' % len(work.expired))
    objects = 'objects: ' + ', '.join(parts) if parts else ''
    return '; '.join(p for p in (fields, objects) if p)


def _int(value: ty.Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


RESOURCE = Container
