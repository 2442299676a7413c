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

"""Barbican secrets; their payloads never lie in clear in the data directory.

``params``: ``name``, ``secret_type``, ``algorithm``, ``bit_length``,
``mode``, ``payload_content_type`` (null: a secret without payload),
``expiration`` (ISO 8601, UTC), ``metadata`` (the user metadata: a
mapping of lower-case keys to strings) and Barbican's read ACL:
``acl_project_access`` and ``acl_user_refs`` (the users, by name and
domain; null when the exporter could not look users up: then an import
leaves the destination's ACL users as they are).  ``_info``: the source
secret's ``id`` (a UUID), and with ``--payload-key-file`` the payload
encrypted with the operator's key (``encrypted_payload``).

The payload travels one of two ways:

- ``migrate import secret --src-cloud <cloud>``: read from the source
  Barbican by the source id of the file (from that cloud's key-manager
  endpoint, never from a URL of the file) and sent to the destination,
  in memory only;
- ``migrate export secret --payload-key-file <file>`` writes the payload
  encrypted with the key of the file (Fernet: AES with an HMAC, so that a
  changed value is refused, and bound to the source id), and
  ``migrate import secret --payload-key-file <file>`` decrypts it.

Payload requests are never logged (not even with ``--debug``): they are
made by hand, with keystoneauth's logging off, as openstacksdk's own create
would log the request body.

A secret is found in the destination by its name among the destination
project's secrets.  Barbican's secrets cannot change: a twin with another
type, algorithm, bit length, mode, content type, expiration or payload
(compared by reading the twin's payload) is a conflict, left alone; only
its ACL and user metadata are updated.  Secret names are not unique in
Barbican: two secrets of one name in a file are reported (``migrate
validate``; import makes the first and reports the second as a conflict),
never merged.
"""

import datetime
import logging
import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient import clouds
from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient.resources import _barbican as barbican
from osmigrateclient.resources import _barbican_api as barbican_api
from osmigrateclient.resources import _payload_key as payload_key
from osmigrateclient.resources import _sdk_classes as sdk_classes
from osmigrateclient.resources import _secret_payload as secret_payload
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

LOG = logging.getLogger(__name__)

#: the secret's user metadata (key-value pairs): it can change
USER_METADATA = 'metadata'
#: the secret's metadata: Barbican cannot change it
METADATA = (
    'secret_type',
    'algorithm',
    'bit_length',
    'mode',
    'payload_content_type',
    'expiration',
)
#: Barbican's type of a secret made without one
DEFAULT_TYPE = 'opaque'

#: what ``migrate plan`` says of a payload (the command has no option
#: that says where it is)
UNCHECKED = (
    'payload not checked: see "migrate import secret --dry-run" with '
    '--src-cloud or --payload-key-file'
)


class Secret(barbican.Barbican):
    type = 'openstack.key_manager.Secret'
    cli_name = 'secret'
    kind = 'secret'
    file_name = 'secrets.yml'
    collection = 'secrets'
    rank = 70
    depends_on = ('user',)
    export_what = (
        "the source project's secrets (metadata, ACL; the payload only "
        'encrypted, with --payload-key-file)'
    )

    params_fields = ('name',) + METADATA + (USER_METADATA, barbican.ACL_ACCESS)
    #: null: not known (the exporter could not read it): left as it is
    none_is_unknown = (USER_METADATA, barbican.ACL_ACCESS, barbican.ACL_USERS)
    param_shapes = {
        'secret_type': datafile.STR,
        'algorithm': datafile.STR,
        'mode': datafile.STR,
        'payload_content_type': datafile.STR,
        'bit_length': (int,),
        'expiration': (str, datetime.datetime),
        USER_METADATA: datafile.MapOf(datafile.SCALAR),
        barbican.ACL_ACCESS: (bool,),
    }
    info_shapes = {'id': datafile.STR, payload_key.ENCRYPTED: datafile.STR}
    create_only = METADATA

    def uuid(self, obj: ty.Any) -> str | None:
        return barbican_api.href_uuid(getattr(obj, 'secret_ref', None))

    # -- options ------------------------------------------------------------

    def add_arguments(self, parser: ty.Any, verb: str) -> None:
        if verb == 'export':
            help_ = (
                'Secrets: write each payload into the data file encrypted '
                'with the Fernet key of this file, for an import with the '
                'same file (make a key with: %s)' % payload_key.MAKE_KEY
            )
        else:
            help_ = (
                'Secrets: decrypt the payloads that the export encrypted '
                'with the key of this file (else they are read from '
                '--src-cloud)'
            )
            clouds.add_cloud_argument(parser, clouds.SOURCE)
        parser.add_argument(
            '--payload-key-file',
            metavar='<file>',
            type=payload_key.load_key,
            help=help_,
        )

    @staticmethod
    # -- export -------------------------------------------------------------

    @staticmethod
    def expiration(entry: base.Entry) -> datetime.datetime | None:
        """The entry's expiration as an aware UTC time.

        :raises osmigrateclient.exceptions.MigrateError: it is no time
        """
        value = entry['params'].get('expiration')
        try:
            return barbican_api.parse_time(value)
        except ValueError:
            raise exceptions.MigrateError(
                'not an ISO 8601 time (2030-01-31T12:00:00Z): %s'
                % datafile.shown(value),
                field='params.expiration',
            )

    def metadata(self, obj: ty.Any) -> dict[str, ty.Any]:
        """The params of ``obj`` but its ACL."""
        when = barbican_api.parse_time(obj.expires_at)
        return {
            'name': obj.name,
            'secret_type': obj.secret_type,
            'algorithm': obj.algorithm,
            'bit_length': obj.bit_length,
            'mode': obj.mode,
            'payload_content_type': (obj.content_types or {}).get('default'),
            'expiration': barbican_api.iso(when) if when else None,
        }

    def from_sdk(self, lookup: refs.Lookup, obj: ty.Any) -> base.Entry:
        entry = {
            'type': self.type,
            'params': base.plain(self.metadata(obj)),
            '_info': base.plain(
                {
                    'id': self.uuid(obj),
                    'created_at': obj.created_at,
                    'updated_at': obj.updated_at,
                    'status': obj.status,
                }
            ),
            '_migration_params': {},
        }
        try:
            entry['params'][USER_METADATA] = barbican_api.read_metadata(
                lookup.conn, self.uuid(obj)
            )
        except sdk_exceptions.ForbiddenException:
            LOG.warning(
                "secret %r: its metadata is not readable by the caller: "
                'left out',
                obj.name,
            )
            entry['params'][USER_METADATA] = None
        self.add_acl(lookup, obj, entry)
        return entry

    def export(
        self, lookup: refs.Lookup, match: ty.Callable[[str], bool]
    ) -> list[base.Entry]:
        entries = super().export(lookup, match)
        by_name: dict[str, list[str]] = {}
        for e in entries:
            by_name.setdefault(self.name_of(e), []).append(e['_info']['id'])
        for name, ids in sorted(by_name.items()):
            if not name:
                LOG.warning(
                    '%d secret(s) without a name (%s): an import cannot '
                    'find them again; name them in the file',
                    len(ids),
                    ', '.join(ids),
                )
            elif len(ids) > 1:
                LOG.warning(
                    '%d secrets named %r (%s): an import makes the first '
                    'and reports the others as duplicates; rename them',
                    len(ids),
                    name,
                    ', '.join(ids),
                )
        key = secret_payload.key_of(lookup)
        state = self.run_state(lookup)
        state.unread = []
        if key is not None:
            for e in entries:
                problem = secret_payload.encrypt_into(lookup, key, e)
                if problem:
                    state.unread.append(
                        '%s %r (%s): %s'
                        % (
                            self.cli_name,
                            self.name_of(e),
                            e['_info']['id'],
                            problem,
                        )
                    )
        return entries

    def after_export(
        self, lookup: refs.Lookup, entries: list[base.Entry]
    ) -> None:
        state = self.run_state(lookup)
        unread, state.unread = state.unread, []
        if unread:
            raise exceptions.MigrateError(
                'the payloads of %d secret(s) were not exported (their '
                'metadata was): %s' % (len(unread), '; '.join(unread))
            )

    # -- import: what to do -------------------------------------------------

    def _duplicate(self, lookup: refs.Lookup, entry: base.Entry) -> str:
        key = (lookup.project_id, self.name_of(entry))
        source_id = entry['_info'].get('id')
        first = self.run_state(lookup).seen.setdefault(key, source_id)
        if first == source_id:
            return ''
        return (
            'duplicate: this run imported another secret of this name '
            '(source id %s) already; secret names are not unique in '
            'Barbican, but an import finds a secret by its name: rename one '
            'of them in the file' % first
        )

    def decide(self, lookup: refs.Lookup, entry: base.Entry) -> base.Decision:
        applying = self.run_state(lookup).applying
        applying.payload = None
        if not self.name_of(entry):
            return base.Decision(
                base.BLOCKED,
                'name: a secret without a name cannot be found again in the '
                'destination: name it in the file',
            )
        duplicate = self._duplicate(lookup, entry)
        if duplicate:
            return base.Decision(base.CONFLICT, duplicate)
        try:
            when = self.expiration(entry)
        except exceptions.MigrateError as e:
            return base.Decision(base.BLOCKED, str(e))
        if when is not None and when <= datetime.datetime.now(datetime.UTC):
            return base.Decision(
                base.BLOCKED,
                'expiration: %s is in the past: Barbican makes no expired '
                'secret (edit or remove it in the file)'
                % barbican_api.iso(when),
            )
        decision = super().decide(lookup, entry)
        if decision.action in (base.BLOCKED, base.CONFLICT):
            return decision
        if not hasattr(lookup.options, 'payload_key_file'):
            # "migrate plan": no option says where the payload is.
            return decision._replace(
                detail='; '.join(d for d in (decision.detail, UNCHECKED) if d)
            )
        try:
            payload = secret_payload.wanted(lookup, entry)
        except exceptions.MigrateError as e:
            return base.Decision(base.BLOCKED, str(e), decision.existing)
        applying.payload = payload
        if decision.action == base.CREATE:
            return decision
        existing = decision.existing
        try:
            problem = secret_payload.other_payload(
                lookup, self.uuid(existing), existing, entry, payload
            )
        except sdk_exceptions.SDKException as e:
            return base.Decision(
                base.BLOCKED,
                'payload: cannot compare it with the destination '
                "secret's: %s" % base._api_message(e),
                existing,
            )
        if problem:
            return base.Decision(base.CONFLICT, problem, existing)
        return decision

    def diff(
        self, lookup: refs.Lookup, existing: ty.Any, entry: base.Entry
    ) -> dict[str, tuple[ty.Any, ty.Any]]:
        if self.uuid(existing) is None:
            return {}  # a dry run's placeholder
        current = self.metadata(existing)
        changes = {}
        for key, value in entry['params'].items():
            if key not in METADATA:
                continue
            have = current[key]
            if key == 'secret_type' and value is None:
                value = DEFAULT_TYPE
            if key == 'expiration':
                same = barbican_api.parse_time(have) == self.expiration(entry)
            elif key == 'payload_content_type':
                same = barbican_api.normal_type(
                    have
                ) == barbican_api.normal_type(value)
            else:
                same = base.same(have, value)
            if not same:
                changes[key] = (have, value)
        if entry['params'].get(USER_METADATA) is not None:
            have = barbican_api.read_metadata(lookup.conn, self.uuid(existing))
            want = barbican_api.user_metadata(entry['params'][USER_METADATA])
            if have != want:
                changes[USER_METADATA] = (have, want)
        changes.update(self.acl_changes(lookup, existing, entry['params']))
        return changes

    # -- import: doing it ---------------------------------------------------

    def update(
        self, lookup: refs.Lookup, existing: ty.Any, changes: dict
    ) -> ty.Any:
        changes = dict(changes)
        metadata = changes.pop(USER_METADATA, None)
        if metadata is not None:
            barbican_api.put_metadata(
                lookup.conn, self.uuid(existing), metadata[1]
            )
        return super().update(lookup, existing, changes)

    def apply(
        self, lookup: refs.Lookup, entry: base.Entry, dry_run: bool = False
    ) -> base.Outcome:
        try:
            return super().apply(lookup, entry, dry_run=dry_run)
        finally:
            # The payload lives no longer than its import.
            self.run_state(lookup).applying.payload = None

    def create(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        params = entry['params']
        body = {
            k: params[k]
            for k in ('name', 'secret_type', 'algorithm', 'bit_length', 'mode')
            if params.get(k) is not None
        }
        when = self.expiration(entry)
        if when is not None:
            body['expiration'] = barbican_api.iso(when)
        content_type = params.get('payload_content_type')
        payload = getattr(self.run_state(lookup).applying, 'payload', None)
        body.update(secret_payload.create_fields(content_type, payload))
        acl = self.new_acl(lookup, params)
        metadata = barbican_api.user_metadata(params.get(USER_METADATA))
        proxy = self.proxy(lookup)
        # Not openstacksdk's create_secret: it would log the payload.
        response = proxy.post('/secrets', json=body, log=False)
        barbican_api.raise_for(response, 'Cannot create the secret')
        obj = sdk_classes.Secret.existing(
            secret_ref=response.json()['secret_ref'],
            name=params.get('name'),
            secret_type=params.get('secret_type') or DEFAULT_TYPE,
            algorithm=params.get('algorithm'),
            bit_length=params.get('bit_length'),
            mode=params.get('mode'),
            expiration=body.get('expiration'),
            content_types=(
                {'default': barbican_api.normal_type(content_type)}
                if content_type
                else None
            ),
            project_id=lookup.project_id,
        )
        try:
            if metadata:
                barbican_api.put_metadata(
                    lookup.conn, self.uuid(obj), metadata
                )
            self.set_acl(lookup, obj, acl)
        except Exception:
            # Leave nothing half-made: a re-run creates it whole.  By its
            # UUID: openstacksdk's delete of the object would put the
            # whole href into the URL.
            proxy.delete_secret(self.uuid(obj), ignore_missing=True)
            raise
        return obj


RESOURCE = Secret
