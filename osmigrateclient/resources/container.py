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
``read_acl`` / ``write_acl`` (as the source has them) with
``read_acl_refs`` / ``write_acl_refs`` (the names of the projects and
users they name by id: :mod:`._swift_acl`), versioning (``versions_location``,
``history_location``, ``versions_enabled``), the ``storage_policy`` (set
on create only), and ``objects``: one record per object, ``name``,
``hash`` (the MD5 ETag; a static large object's is the MD5 of its
segments' ETags), ``bytes``, ``content_type``, ``last_modified`` (the
source's, never sent) and, when set, ``metadata``, ``delete_at``,
``headers`` (``content-encoding``, ``content-disposition``, ... as Swift
keeps them), and
the ``segments`` of a static large object, the ``manifest``
(``<container>/<prefix>``) of a dynamic one, or the ``symlink`` target
(``<container>/<object>``) of a symbolic link.  In a container with
object versioning, an object's older versions, oldest first, in
``versions``, and an object whose history ends in a delete marker as a
record with ``delete_marker`` (:mod:`._swift_versions`).

Export lists each container's objects once; a HEAD reads the metadata of
the objects that are new or changed since the last export of the data
directory.  With ``--keep-blobs`` the bytes are also written under
``container_blobs/`` of the data directory.  With ``--metadata-at-copy``
plain objects are recorded from the listing alone, marked ``at_copy``
(no HEAD): the import (``--src-cloud`` only) reads their metadata with
the GET that copies them.  What is read and written of
Swift is the run's container mover's
(:mod:`osmigrateclient.transfer.container_mover`).

Import creates a missing container, updates what differs of an existing
one, and then makes its objects: the bytes streamed from the source Swift
(``--src-cloud``) or from the blobs, ``--parallel`` at a time, each one
verified by its ETag.  Objects that the destination listing shows with
the same bytes are not sent again; their metadata is read (a HEAD) only
when no earlier import verified it since the destination's last write.
An import never deletes objects.  An object's older versions are made
before its current one, where the destination holds none of them or the
beginning of them (:mod:`osmigrateclient.transfer.swift.versions`).
"""

import logging
import os
import types
import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient import clouds
from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient import progress as progress_mod
from osmigrateclient import swift_names
from osmigrateclient.resources import _swift_acl as swift_acl
from osmigrateclient.resources import _swift_versions as swift_versions
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

LOG = logging.getLogger(__name__)

#: objects read or written at once when the command does not say
DEFAULT_PARALLEL = 4
#: the pseudo-change of the objects to copy or update
OBJECTS = '(objects)'
#: the pseudo-change of the older versions to make
VERSIONS = '(versions)'
#: the pseudo-change that carries a new container's params, its ACLs
#: written with the destination's ids
NEW_PARAMS = '(params)'
#: params whose null in a file means "not known": never sent, never a
#: change (Swift has no way to unset them)
NONE_IS_UNKNOWN = ('storage_policy', 'versions_enabled')

#: what an object may hold: what any version of it may, and its name,
#: expiry and older versions
OBJECT_SHAPE = dict(
    {'name': datafile.STR},
    **swift_versions.VERSION_SHAPE,
    delete_at=datafile.NUMBER,
    versions=[swift_versions.VERSION_SHAPE],
    # export --metadata-at-copy: recorded from the listing alone
    at_copy=(bool,),
)


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
        'read_acl_refs': swift_acl.REFS_SHAPE,
        'write_acl_refs': swift_acl.REFS_SHAPE,
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
            parser.add_argument(
                '--metadata-at-copy',
                action='store_true',
                help='Containers: record plain objects (not empty, not '
                'large objects nor links) from the listing alone, with no '
                'request per object; their metadata, content type and '
                'expiry are read at import, by the GET that copies them '
                '(which then needs --src-cloud).  No effect with '
                '--keep-blobs, whose GET reads the metadata anyway, nor in '
                'containers with object versioning',
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

    # -- the data file ------------------------------------------------------

    def check(self, entry: base.Entry, path: str, index: int) -> None:
        super().check(entry, path, index)
        where = datafile.label(entry, index)
        params = entry['params']
        problem = swift_names.container_name_problem(params.get('name'))
        if problem:
            raise exceptions.DataFileError(problem, path, where, 'params.name')
        for key, value in (params.get('metadata') or {}).items():
            problem = swift_names.record_problem(
                {'name': 'x', 'metadata': {key: value}}
            )
            if problem:
                raise exceptions.DataFileError(
                    problem[1], path, where, 'params.' + problem[0]
                )
        for key in ('read_acl', 'write_acl', 'storage_policy'):
            value = params.get(key)
            problem = value is not None and swift_names.header_value_problem(
                value
            )
            if problem:
                raise exceptions.DataFileError(
                    problem, path, where, 'params.' + key
                )
        for key in ('versions_location', 'history_location'):
            value = params.get(key)
            problem = value is not None and swift_names.container_name_problem(
                value
            )
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
            problem = swift_names.record_problem(
                rec
            ) or swift_versions.record_problem(rec)
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
        known: dict[str, dict[str, dict]] = {}
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
                known[params['name']] = {
                    r['name']: r for r in params.get('objects') or []
                }
        lookup.mover(self.cli_name).start_export(known)
        entries = super().export(lookup, match)
        # The containers that others' objects need come first.
        needed = set().union(*(_referenced(e['params']) for e in entries))
        return sorted(
            entries,
            key=lambda e: (self.name_of(e) not in needed, self.name_of(e)),
        )

    def from_sdk(self, lookup: refs.Lookup, obj: ty.Any) -> base.Entry:
        name = obj.name
        params, headers = lookup.mover(self.cli_name).describe(lookup, name)
        for key in swift_acl.FIELDS:
            found = swift_acl.export_refs(lookup, name, key, params.get(key))
            if found:
                params[swift_acl.refs_field(key)] = found
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

    def after_export(
        self, lookup: refs.Lookup, entries: list[base.Entry]
    ) -> None:
        """With ``--keep-blobs``, make sure that every object has its
        blob (the run's container mover)."""
        lookup.mover(self.cli_name).keep_blobs(lookup, entries)

    # -- import: what to do -------------------------------------------------

    def candidates(self, lookup: refs.Lookup, entry: base.Entry):
        return lookup.all(self.kind)

    def decide(self, lookup: refs.Lookup, entry: base.Entry) -> base.Decision:
        name = self.name_of(entry)
        try:
            params = self._with_ids(lookup, entry)
        except exceptions.MigrateError as e:
            return base.Decision(base.BLOCKED, str(e))
        mover = lookup.mover(self.cli_name)
        index = mover.source_needed(lookup, entry['params'])
        if index is not None:
            return base.Decision(
                base.BLOCKED,
                exceptions.MigrateError(
                    'exported with --metadata-at-copy: its metadata is read '
                    'from the source at import: import with --src-cloud '
                    '<cloud>',
                    os.path.join(lookup.data_dir or '', self.file_name),
                    datafile.label(entry),
                    'params.objects[%d].at_copy' % index,
                ).message,
            )
        try:
            existing = self.find_existing(lookup, entry)
        except exceptions.Conflict as e:
            return base.Decision(base.CONFLICT, e.problem)
        if existing is None:
            wanted, history = mover.history_work(lookup, name, params, False)
            work = mover.new_work(wanted)
            missing = mover.missing_blobs(lookup, name, work, history)
            if missing:
                return base.Decision(base.BLOCKED, missing)
            return base.Decision(
                base.CREATE,
                _work_detail(work, history),
                None,
                {OBJECTS: (work, {}), VERSIONS: history, NEW_PARAMS: params},
            )
        current = mover.current(lookup, name)
        if current is None:  # deleted since the listing
            lookup.forget(self.kind, existing.id)
            return self.decide(lookup, entry)
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
            return base.Decision(
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
        wanted, history = mover.history_work(lookup, name, params, True)
        work, listing = mover.work(lookup, name, wanted)
        missing = mover.missing_blobs(lookup, name, work, history)
        if missing:
            return base.Decision(base.BLOCKED, missing, existing)
        detail = ', '.join(sorted(changes))
        changes[OBJECTS] = (work, listing)
        changes[VERSIONS] = history
        if (
            not (changes.keys() - {OBJECTS, VERSIONS})
            and not (work.copy or work.fix)
            and not history.append
        ):
            if history.conflicts:
                return base.Decision(
                    base.CONFLICT, _history_detail(history), existing
                )
            return base.Decision(
                base.UNCHANGED, _history_detail(history), existing, changes
            )
        objects = _work_detail(work, history)
        return base.Decision(
            base.UPDATE,
            '; '.join(d for d in (detail, objects) if d),
            existing,
            changes,
        )

    def _with_ids(self, lookup: refs.Lookup, entry: base.Entry) -> dict:
        """The entry's params with its ACLs written with the destination's
        ids.

        :raises osmigrateclient.exceptions.MigrateError: an ACL's names do
            not fit it or are not in the destination (the message names
            the file, container, field and entry)
        """
        params = dict(entry['params'])
        name = self.name_of(entry)
        for key in swift_acl.FIELDS:
            try:
                params[key] = swift_acl.import_acl(lookup, name, key, params)
            except exceptions.MigrateError as e:
                e.path = os.path.join(lookup.data_dir or '', self.file_name)
                e.resource = datafile.label(entry)
                raise
            params.pop(swift_acl.refs_field(key), None)
        return params

    # -- import: doing it ---------------------------------------------------

    def apply(
        self, lookup: refs.Lookup, entry: base.Entry, dry_run: bool = False
    ) -> base.Outcome:
        name = self.label_of(entry)
        try:
            decision = self.decide(lookup, entry)
        except (sdk_exceptions.SDKException, exceptions.MigrateError) as e:
            return base.Outcome(
                self.type, name, base.FAILED, base._api_message(e)
            )
        if dry_run or decision.action in (base.BLOCKED, base.CONFLICT):
            return base.Outcome(
                self.type, name, decision.action, decision.detail
            )
        changes = dict(decision.changes or {})
        work, listing = changes.pop(OBJECTS)
        history = changes.pop(VERSIONS)
        params = changes.pop(NEW_PARAMS, entry['params'])
        mover = lookup.mover(self.cli_name)
        try:
            if decision.action == base.CREATE:
                mover.create(lookup, name, params)
                lookup.remember(
                    self.kind, types.SimpleNamespace(id=name, name=name)
                )
            elif changes:
                mover.update(lookup, name, changes)
            # The older versions first: a PUT makes the newest version.
            made = mover.copy_history(lookup, name, entry, history)
            result = mover.copy(lookup, name, entry, work, listing)
            result = result._replace(failures=made.failures + result.failures)
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
                    len(work.copy) + len(work.fix) + len(history.append),
                    result.copied + made.copied,
                    result.failures[0],
                ),
            )
        if decision.action == base.UNCHANGED:
            return base.Outcome(
                self.type, name, base.DONE[base.UNCHANGED], decision.detail
            )
        done = _done_detail(decision, work, result, made)
        return base.Outcome(
            self.type,
            name,
            base.CONFLICT if history.conflicts else base.DONE[decision.action],
            '; '.join(d for d in (done, _history_detail(history)) if d),
        )


def _history_detail(history: ty.Any) -> str:
    """What the import leaves of the histories: conflicts (named, not
    changed) and those not carried."""
    parts = []
    if history.conflicts:
        parts.append(
            'versions: %d object(s) whose history differs in the '
            'destination (not changed): %s'
            % (
                len(history.conflicts),
                ', '.join(
                    '%s (%s)' % (datafile.shown(rec['name']), why)
                    for rec, why in history.conflicts[:5]
                ),
            )
        )
    if history.unsupported:
        parts.append(
            'versions: %d object(s) with a large object or link among '
            'their versions, or in a container without versions_enabled: '
            'older versions not migrated (first: %s)'
            % (
                len(history.unsupported),
                datafile.shown(history.unsupported[0]['name']),
            )
        )
    return '; '.join(parts)


def _work_detail(work: ty.Any, history: ty.Any) -> str:
    parts = []
    if work.copy:
        parts.append('%d to copy' % len(work.copy))
    if work.fix:
        parts.append('%d to update' % len(work.fix))
    if work.expired:
        parts.append('%d expired (not sent)' % len(work.expired))
    if history.append:
        parts.append(
            '%d version(s) of %d object(s) to make'
            % (history.count(), len(history.append))
        )
    objects = 'objects: ' + ', '.join(parts) if parts else ''
    return '; '.join(d for d in (objects, _history_detail(history)) if d)


def _done_detail(
    decision: base.Decision, work: ty.Any, result: ty.Any, made: ty.Any
) -> str:
    fields = ', '.join(
        sorted(
            k
            for k in (decision.changes or {})
            if k not in (OBJECTS, VERSIONS, NEW_PARAMS)
        )
    )
    parts = []
    if result.copied:
        parts.append(
            '%d copied (%s)'
            % (result.copied, progress_mod._size(result.bytes))
        )
    if result.updated:
        parts.append('%d updated' % result.updated)
    if made.copied:
        parts.append(
            '%d version(s) made (%s)'
            % (made.copied, progress_mod._size(made.bytes))
        )
    unchanged = len(work.same) + len(work.verified)
    if unchanged:
        parts.append('%d unchanged' % unchanged)
    expired = len(work.expired) + result.gone
    if expired:
        parts.append('%d expired (not sent)' % expired)
    objects = 'objects: ' + ', '.join(parts) if parts else ''
    return '; '.join(p for p in (fields, objects) if p)


def _int(value: ty.Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


RESOURCE = Container
