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

"""Manila shares: name, description, size (GiB), protocol, share type and
share network (by name: ``share_type_ref``, ``share_network_ref``),
availability zone, ``is_public``, ``metadata`` and ``access_rules`` (each
an ``access_type``, ``access_to`` and ``access_level``).

A share is found in the destination by name in the project.  Its size,
protocol, type, network and availability zone cannot change (a conflict);
its description, visibility and metadata are updated, and its access rules
made exactly the file's (missing ones added, others removed).  A new share
is waited for until ``available`` (``--share-wait``) before its access
rules are added; ``error`` fails it.

Export locations belong to the share where it lives: the source's are
recorded in ``_info.export_locations``, and the import reports the new
share's.  The files of an NFS share are copied when the import has
``--src-cloud`` and the migrator reaches both exports (the share mover,
:mod:`osmigrateclient.transfer.share_mover`): after a new share is
available, and on a later import whenever the source's tree differs from
the one last copied (the pseudo-change ``(files)``); otherwise the outcome
says why they are not.  Manila lists access rules and export locations
per share only: export reads them with two requests per share, and import
reads a destination twin's access rules with one.
"""

import time
import typing as ty

from osmigrateclient import clouds
from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient.resources import _sdk_classes as sdk_classes
from osmigrateclient.resources import base
from osmigrateclient.resources import refs
from osmigrateclient.resources import share_type

RULES = 'access_rules'
RULE_KEYS = ('access_type', 'access_to', 'access_level')
AVAILABLE, ERROR = 'available', 'error'
#: the states of an access rule on its way out: it no longer counts
GOING = ('queued_to_deny', 'denying', 'deleting', 'deleted')
#: ``--share-wait`` when not given (seconds)
DEFAULT_WAIT = 600
#: seconds between two looks at a new share
POLL = 2
#: how long a removed access rule may take to go, and between two looks
RULE_WAIT = 60
RULE_POLL = 0.5
#: the pseudo-change of files to copy
FILES = '(files)'
#: the remark when this command cannot copy files at all
FILES_NOT_COPIED = 'metadata only: the files of the share are not copied'


def rules_of(rules: ty.Any) -> list[dict[str, ty.Any]]:
    """Access rules as the file holds them: the three keys, in a stable
    order."""
    return base.sort_list(
        [{k: r.get(k) for k in RULE_KEYS} for r in rules or []]
    )


def rule_changes(
    have: list[ty.Any], want: list[dict[str, ty.Any]]
) -> tuple[list[dict[str, ty.Any]], list[ty.Any]]:
    """(rules to add, existing rules to remove) that make the rules
    ``have`` (objects with the :data:`RULE_KEYS` attributes and an id) the
    rules ``want``; a rule of another level is removed and added again."""
    keys = [tuple(getattr(r, k, None) for k in RULE_KEYS) for r in have]
    wanted = [tuple(r.get(k) for k in RULE_KEYS) for r in rules_of(want)]
    add = [dict(zip(RULE_KEYS, w, strict=True)) for w in wanted]
    add = [a for a, w in zip(add, wanted, strict=True) if w not in keys]
    remove = [r for r, k in zip(have, keys, strict=True) if k not in wanted]
    return add, remove


class Share(base.Resource):
    type = 'openstack.shared_file_system.Share'
    cli_name = 'share'
    kind = 'share'
    file_name = 'shares.yml'
    service = 'shared_file_system'
    catalog_service = 'shared-file-system'
    rank = 85
    depends_on = ('share type', 'share network')
    tag_field = None
    parallel_transfers = True

    params_fields = (
        'availability_zone',
        'description',
        'is_public',
        'metadata',
        'name',
        'share_protocol',
        'size',
    )
    info_fields = ('id', 'project_id', 'status', 'share_type_name')
    references = {
        'share_type_ref': base.RefField('share_type', 'share_type'),
        'share_network_ref': base.RefField(
            'share_network', 'share_network_id'
        ),
    }
    sorted_fields = ()
    param_shapes = {
        'metadata': datafile.MapOf(datafile.SCALAR),
        'size': datafile.NUMBER,
        RULES: [dict.fromkeys(RULE_KEYS, datafile.STR)],
    }
    required_params = ('size', 'share_protocol')
    create_only = (
        'availability_zone',
        'share_network_ref',
        'share_protocol',
        'share_type_ref',
        'size',
    )

    def add_arguments(self, parser: ty.Any, verb: str) -> None:
        if verb != 'import':
            return
        parser.add_argument(
            '--share-wait',
            metavar='<seconds>',
            type=int,
            default=DEFAULT_WAIT,
            help='How long to wait for a new share to become available '
            '(default: %d)' % DEFAULT_WAIT,
        )
        if '--src-cloud' not in parser._option_string_actions:
            clouds.add_cloud_argument(parser, clouds.SOURCE)
        parser.add_argument(
            '--nfs-client-address',
            metavar='<address>',
            help='Shares: the address the NFS servers see the migrator '
            'as, for the temporary access rules of a share that does not '
            'let it in (default: the local address routed to each server)',
        )

    def _rules(self, lookup: refs.Lookup, share_id: str) -> list[ty.Any]:
        """The share's access rules, but those being removed."""
        return [
            r
            for r in self.proxy(lookup).access_rules(share_id)
            if r.state not in GOING
        ]

    # -- export -------------------------------------------------------------

    def from_sdk(self, lookup: refs.Lookup, obj: ty.Any) -> base.Entry:
        entry = super().from_sdk(lookup, obj)
        params = entry['params']
        params['metadata'] = share_type.strings(params['metadata'])
        params[RULES] = rules_of(
            {k: getattr(r, k, None) for k in RULE_KEYS}
            for r in self._rules(lookup, obj.id)
        )
        return entry

    def export(
        self, lookup: refs.Lookup, match: ty.Callable[[str], bool]
    ) -> list[base.Entry]:
        entries = super().export(lookup, match)
        proxy = self.proxy(lookup)
        for entry in entries:
            entry['_info']['export_locations'] = sorted(
                e.path for e in proxy.export_locations(entry['_info']['id'])
            )
        return entries

    # -- import -------------------------------------------------------------

    def diff(
        self, lookup: refs.Lookup, existing: ty.Any, entry: base.Entry
    ) -> dict[str, tuple[ty.Any, ty.Any]]:
        changes = super().diff(lookup, existing, entry)
        meta = changes.get('metadata')
        if meta is not None and share_type.strings(meta[1]) == meta[0]:
            del changes['metadata']
        rules = changes.get(RULES)
        if rules is not None and rules_of(rules[1]) == rules[0]:
            del changes[RULES]
        files = self._files_pending(lookup, existing, entry)
        if files:
            # (what differs, the entry whose files the update copies)
            changes[FILES] = (files, entry)
        return changes

    def _files_pending(
        self, lookup: refs.Lookup, existing: ty.Any, entry: base.Entry
    ) -> str:
        """What the files of the destination share lack, or ''."""
        try:
            mover = lookup.mover(self.cli_name)
        except exceptions.MigrateError:
            return ''
        try:
            return mover.pending(lookup, existing, entry)
        except exceptions.MigrateError as e:
            # the copy says it again, as the outcome's failure
            return str(e)

    def _copy_files(
        self, lookup: refs.Lookup, obj: ty.Any, entry: base.Entry
    ) -> None:
        """Copy the files into the available share ``obj``; the outcome
        says what was done, or why not."""
        try:
            mover = lookup.mover(self.cli_name)
        except exceptions.MigrateError:
            lookup.note(self.kind, obj.id, FILES_NOT_COPIED)
            return
        lookup.note(self.kind, obj.id, mover.copy(lookup, obj, entry))

    def create_attrs(self, lookup: refs.Lookup, entry: base.Entry) -> dict:
        attrs = super().create_attrs(lookup, entry)
        attrs.pop(RULES, None)
        if 'metadata' in attrs:
            attrs['metadata'] = share_type.strings(attrs['metadata'])
        return attrs

    def create_sdk(self, lookup: refs.Lookup, attrs: dict) -> ty.Any:
        return self.proxy(lookup)._create(sdk_classes.Share, **attrs)

    def after_create(
        self, lookup: refs.Lookup, obj: ty.Any, entry: base.Entry
    ) -> ty.Any:
        obj = self._wait(lookup, obj, self.name_of(entry))
        self._set_rules(lookup, obj.id, [], entry['params'].get(RULES))
        self._copy_files(lookup, obj, entry)
        return obj

    def _wait(self, lookup: refs.Lookup, obj: ty.Any, name: str) -> ty.Any:
        """The share once available.

        :raises osmigrateclient.exceptions.MigrateError: it went to
            ``error``, or is not available in time
        """
        proxy = self.proxy(lookup)
        wait = getattr(lookup.options, 'share_wait', None) or DEFAULT_WAIT
        deadline = time.monotonic() + wait
        while True:
            obj = proxy._get(sdk_classes.Share, obj.id)
            if obj.status == AVAILABLE:
                return obj
            if obj.status == ERROR or (obj.status or '').startswith('error'):
                raise exceptions.MigrateError(
                    'share %r (%s) went to status %s'
                    % (name, obj.id, obj.status)
                )
            if time.monotonic() >= deadline:
                raise exceptions.MigrateError(
                    'share %r (%s) is still %s after %d s (see --share-wait)'
                    % (name, obj.id, obj.status, wait)
                )
            time.sleep(POLL)

    def _set_rules(
        self,
        lookup: refs.Lookup,
        share_id: str,
        have: list[ty.Any],
        want: ty.Any,
    ) -> None:
        proxy = self.proxy(lookup)
        add, remove = rule_changes(have, want or [])
        for rule in remove:
            proxy.delete_access_rule(rule.id, share_id)
        # Manila keeps one rule per address: a new level waits for the old
        readded = {r['access_to'] for r in add}
        self._wait_gone(
            lookup, share_id, {r.id for r in remove if r.access_to in readded}
        )
        for rule in add:
            proxy.create_access_rule(share_id, **rule)

    def _wait_gone(
        self, lookup: refs.Lookup, share_id: str, rule_ids: set[str]
    ) -> None:
        """Wait until the access rules ``rule_ids`` are deleted.

        :raises osmigrateclient.exceptions.MigrateError: not in time
        """
        deadline = time.monotonic() + RULE_WAIT
        while rule_ids:
            listed = {r.id for r in self.proxy(lookup).access_rules(share_id)}
            if not rule_ids & listed:
                return
            if time.monotonic() >= deadline:
                raise exceptions.MigrateError(
                    'share %s: access rules %s still there after %d s'
                    % (share_id, ', '.join(sorted(rule_ids)), RULE_WAIT)
                )
            time.sleep(RULE_POLL)

    def update(
        self, lookup: refs.Lookup, existing: ty.Any, changes: dict
    ) -> ty.Any:
        proxy = self.proxy(lookup)
        body = {}
        if 'description' in changes:
            body['display_description'] = changes['description'][1] or ''
        if 'is_public' in changes:
            body['is_public'] = bool(changes['is_public'][1])
        if body:
            share_type.request(
                proxy, 'put', '/shares/%s' % existing.id, json={'share': body}
            )
        if 'metadata' in changes:
            # PUT: the share's metadata becomes exactly this
            share_type.request(
                proxy,
                'put',
                '/shares/%s/metadata' % existing.id,
                json={'metadata': share_type.strings(changes['metadata'][1])},
            )
        if RULES in changes:
            self._set_rules(
                lookup,
                existing.id,
                self._rules(lookup, existing.id),
                changes[RULES][1],
            )
        obj = proxy._get(sdk_classes.Share, existing.id)
        if FILES in changes:
            self._copy_files(lookup, obj, changes[FILES][1])
        return obj

    def remarks(
        self, lookup: refs.Lookup, obj: ty.Any, entry: base.Entry
    ) -> str:
        paths = sorted(
            e.path for e in self.proxy(lookup).export_locations(obj.id)
        )
        return '; '.join(
            ['export locations: %s' % (', '.join(paths) or 'none')]
            + lookup.notes(self.kind, obj.id)
        )


RESOURCE = Share
