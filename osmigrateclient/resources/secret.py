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

import argparse
import base64
import binascii
import datetime
import logging
import os
import re
import stat
import threading
import typing as ty

from cryptography import fernet
from openstack import exceptions as sdk_exceptions

from osmigrateclient import clouds
from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

LOG = logging.getLogger(__name__)

#: what a Barbican id looks like; checked before an id of a file goes into
#: a URL
UUID = re.compile(
    r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z'
)

ENCRYPTED = 'encrypted_payload'
ACL_ACCESS = 'acl_project_access'
ACL_USERS = 'acl_user_refs'
ACL_USER_IDS = 'acl_user_ids'
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
#: how to make a key, for messages and the docs
MAKE_KEY = (
    "python3 -c 'from cryptography.fernet import Fernet; "
    "print(Fernet.generate_key().decode())' > <file>; chmod 600 <file>"
)
#: what ``migrate plan`` says of a payload (the command has no option
#: that says where it is)
UNCHECKED = (
    'payload not checked: see "migrate import secret --dry-run" with '
    '--src-cloud or --payload-key-file'
)
#: text payloads go as JSON strings; others base64-encoded
TEXT = 'text/plain'


# -- ids and times ------------------------------------------------------------


def href_uuid(href: ty.Any) -> str | None:
    """The UUID at the end of a Barbican href (or a UUID), or None."""
    if not isinstance(href, str):
        return None
    tail = href.rstrip('/').rsplit('/', 1)[-1]
    return tail if UUID.match(tail) else None


def checked_uuid(value: ty.Any, field: str = '_info.id') -> str:
    """``value``, checked to be a Barbican id (a lower-case UUID).

    :raises osmigrateclient.exceptions.MigrateError: it is not
    """
    if isinstance(value, str) and UUID.match(value):
        return value
    if value is None:
        raise exceptions.MigrateError(
            'missing: the source secret is read by its id', field=field
        )
    raise exceptions.MigrateError(
        'must be a Barbican id (a UUID), not %s' % datafile.shown(value),
        field=field,
    )


def parse_time(value: ty.Any) -> datetime.datetime | None:
    """An expiration of a file or of Barbican as an aware UTC time.

    :raises ValueError: it is no ISO 8601 time
    """
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        when = value
    elif isinstance(value, str):
        when = datetime.datetime.fromisoformat(value.strip())
    else:
        raise ValueError(value)
    if when.tzinfo is None:
        # Barbican's times are UTC, without a zone.
        when = when.replace(tzinfo=datetime.timezone.utc)
    return when.astimezone(datetime.timezone.utc)


def iso(when: datetime.datetime) -> str:
    return when.isoformat()


def normal_type(content_type: ty.Any) -> ty.Any:
    """A content type as Barbican keeps it (``text/plain; charset=utf-8``
    is ``text/plain``)."""
    if not isinstance(content_type, str):
        return content_type
    return content_type.split(';')[0].strip().lower()


# -- the operator's key -------------------------------------------------------


class PayloadKey:
    """The Fernet key of ``--payload-key-file``; its repr shows no key."""

    def __init__(self, path: str, key: fernet.Fernet) -> None:
        self.path = path
        self._fernet = key

    def __repr__(self) -> str:
        return '<payload key of %s>' % self.path

    def encrypt(self, secret_id: str, payload: bytes) -> str:
        """The token of ``payload``, bound to the source id ``secret_id``."""
        return self._fernet.encrypt(
            secret_id.encode('ascii') + b'\0' + payload
        ).decode('ascii')

    def decrypt(self, token: ty.Any, secret_id: str) -> bytes:
        """The payload of a token of :meth:`encrypt` for ``secret_id``.

        :raises osmigrateclient.exceptions.MigrateError: a wrong key, a
            changed token, or the token of another secret
        """
        field = '_info.' + ENCRYPTED
        try:
            plain = self._fernet.decrypt(str(token).encode('ascii'))
        except (fernet.InvalidToken, UnicodeEncodeError):
            raise exceptions.MigrateError(
                'cannot be decrypted with the key of --payload-key-file %s: '
                'another key, or the value was changed' % self.path,
                field=field,
            )
        owner, sep, payload = plain.partition(b'\0')
        if not sep or owner != secret_id.encode('ascii'):
            raise exceptions.MigrateError(
                'is the payload of another secret (source id %s), not of '
                'this one (%s)'
                % (owner.decode('ascii', 'replace')[:36], secret_id),
                field=field,
            )
        return payload


def load_key(path: str) -> PayloadKey:
    """The key of a ``--payload-key-file``: one Fernet key (32 url-safe
    base64-encoded bytes) on a line.

    :raises argparse.ArgumentTypeError: it cannot be read or is no key
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, 'rb') as f:
            mode = os.fstat(f.fileno()).st_mode
            if not stat.S_ISREG(mode):
                raise argparse.ArgumentTypeError(
                    '%s: not a regular file' % path
                )
            text = f.read(4096)
    except OSError as e:
        raise argparse.ArgumentTypeError(
            '%s: cannot read: %s' % (path, e.strerror or e)
        )
    try:
        key = fernet.Fernet(text.strip())
    except (ValueError, binascii.Error):
        # Never quote the file: it may be a key of another kind.
        raise argparse.ArgumentTypeError(
            '%s: not a Fernet key (32 url-safe base64-encoded bytes on one '
            'line); make one with: %s' % (path, MAKE_KEY)
        )
    if stat.S_IMODE(mode) & 0o077:
        LOG.warning(
            '%s: others than its owner may read this key (mode %o): '
            'chmod 600 it',
            path,
            stat.S_IMODE(mode),
        )
    return PayloadKey(path, key)


# -- Barbican requests --------------------------------------------------------


def _raise_for(response: ty.Any, what: str) -> None:
    sdk_exceptions.raise_from_response(response, error_message=what)


def read_payload(conn: ty.Any, secret_id: str, content_type: str) -> bytes:
    """The payload of the secret ``secret_id`` of ``conn``'s Barbican,
    unlogged."""
    response = conn.key_manager.get(
        '/secrets/%s/payload' % checked_uuid(secret_id),
        headers={'Accept': content_type},
        log=False,
    )
    _raise_for(response, 'Cannot read the payload of secret %s' % secret_id)
    return response.content


def read_acl(
    conn: ty.Any, collection: str, id_: str
) -> tuple[bool, list[str]]:
    """(project access, user ids) of the read ACL of a secret or container
    (``collection``: ``secrets`` or ``containers``)."""
    response = conn.key_manager.get(
        '/%s/%s/acl' % (collection, checked_uuid(id_))
    )
    _raise_for(response, 'Cannot read the ACL of %s' % id_)
    read = (response.json() or {}).get('read') or {}
    return (
        read.get('project-access', True) is not False,
        sorted(read.get('users') or []),
    )


def read_metadata(conn: ty.Any, id_: str) -> dict[str, str]:
    """The user metadata (key-value pairs) of a secret."""
    response = conn.key_manager.get('/secrets/%s/metadata' % checked_uuid(id_))
    _raise_for(response, 'Cannot read the metadata of %s' % id_)
    return dict((response.json() or {}).get('metadata') or {})


def put_metadata(conn: ty.Any, id_: str, metadata: dict[str, str]) -> None:
    """Make the user metadata of a secret exactly this."""
    response = conn.key_manager.put(
        '/secrets/%s/metadata' % checked_uuid(id_),
        json={'metadata': metadata},
    )
    _raise_for(response, 'Cannot set the metadata of %s' % id_)


def user_metadata(value: ty.Any) -> dict[str, str]:
    """A file's ``metadata`` as Barbican keeps it: lower-case keys, string
    values."""
    return {
        str(k).lower(): str(v)
        for k, v in (value or {}).items()
        if v is not None
    }


def put_acl(
    conn: ty.Any,
    collection: str,
    id_: str,
    project_access: bool,
    user_ids: list[str],
) -> None:
    """Make the read ACL of a secret or container exactly this."""
    response = conn.key_manager.put(
        '/%s/%s/acl' % (collection, checked_uuid(id_)),
        json={
            'read': {
                'project-access': bool(project_access),
                'users': sorted(user_ids),
            }
        },
    )
    _raise_for(response, 'Cannot set the ACL of %s' % id_)


# -- what secrets and containers share ----------------------------------------


class Barbican(base.Resource):
    """A Barbican resource with a read ACL (secrets, containers)."""

    service = 'key_manager'
    catalog_service = 'key-manager'
    tag_field = None
    sorted_fields = ()
    #: the API's collection: ``secrets`` or ``containers``
    collection: ty.ClassVar[str]
    references = {ACL_USERS: base.RefField('user', ACL_USER_IDS, many=True)}
    info_shapes = {'id': datafile.STR}
    #: null: not known (the exporter could not see it): left as it is
    none_is_unknown = (ACL_ACCESS, ACL_USERS)

    def __init__(self) -> None:
        #: id() of a lookup whose cloud refused to list users -> why
        self._users_refused: dict[int, str] = {}

    def uuid(self, obj: ty.Any) -> str | None:
        raise NotImplementedError

    def check(self, entry: base.Entry, path: str, index: int) -> None:
        super().check(entry, path, index)
        source_id = entry['_info'].get('id')
        if source_id is not None and not UUID.match(str(source_id)):
            raise exceptions.DataFileError(
                'must be a Barbican id (a UUID), not %s'
                % datafile.shown(source_id),
                path=path,
                resource=datafile.label(entry, index),
                field='_info.id',
            )

    def import_identity(self, entry: base.Entry) -> str:
        return '%s:%s' % (self.type, self.name_of(entry))

    def plan(self, lookup: refs.Lookup, entry: base.Entry) -> base.Plan:
        try:
            return super().plan(lookup, entry)
        except sdk_exceptions.SDKException as e:
            # The twin's ACL (or metadata) could not be read.
            return base.Plan(
                base.BLOCKED,
                'cannot read the destination %s: %s'
                % (self.cli_name, base._api_message(e)),
            )

    # -- the ACL ------------------------------------------------------------

    def acl_of(
        self, lookup: refs.Lookup, obj: ty.Any
    ) -> tuple[bool, list[str]] | None:
        """The read ACL of ``obj``; None when the caller may not read it."""
        try:
            return read_acl(lookup.conn, self.collection, self.uuid(obj))
        except sdk_exceptions.ForbiddenException:
            LOG.warning(
                '%s %r: its ACL is not readable by the caller: left out',
                self.cli_name,
                obj.name,
            )
            return None

    def user_refs(
        self, lookup: refs.Lookup, name: str, user_ids: list[str]
    ) -> list[refs.Ref] | None:
        """References to the ACL's users; None when the caller may not
        look users up (a tenant user, usually)."""
        if not user_ids:
            return []
        refused = self._users_refused.get(id(lookup))
        if refused is None:
            try:
                found = [(i, lookup.ref('user', i)) for i in user_ids]
            except sdk_exceptions.SDKException as e:
                # Asked once per run, not once per secret.
                refused = self._users_refused[id(lookup)] = base._api_message(
                    e
                )
        if refused is not None:
            LOG.warning(
                '%s %r: the users of its ACL are left out: the source cloud '
                'does not let the caller look users up (%s); export as an '
                'admin to keep them',
                self.cli_name,
                name,
                refused,
            )
            return None
        for user_id, ref in found:
            if ref is None:
                LOG.warning(
                    '%s %r: ACL user %s left out: no such user',
                    self.cli_name,
                    name,
                    user_id,
                )
        return base.sort_list([r for _, r in found if r is not None])

    def add_acl(
        self, lookup: refs.Lookup, obj: ty.Any, entry: base.Entry
    ) -> None:
        """The entry's ACL into its params and _info."""
        params, info = entry['params'], entry['_info']
        acl = self.acl_of(lookup, obj)
        if acl is None:
            params[ACL_ACCESS], params[ACL_USERS] = None, None
            return
        params[ACL_ACCESS] = acl[0]
        info[ACL_USER_IDS] = acl[1]
        params[ACL_USERS] = self.user_refs(lookup, obj.name, acl[1])

    def acl_changes(
        self, lookup: refs.Lookup, existing: ty.Any, params: dict
    ) -> dict[str, tuple[ty.Any, ty.Any]]:
        """The ACL params that differ from ``existing``'s ACL, as
        ``{param: (destination, wanted)}`` (users as destination ids)."""
        want_access = params.get(ACL_ACCESS)
        want_users = params.get(ACL_USERS)
        if want_access is None and want_users is None:
            return {}
        have = read_acl(lookup.conn, self.collection, self.uuid(existing))
        changes: dict[str, tuple[ty.Any, ty.Any]] = {}
        if want_access is not None and bool(want_access) != have[0]:
            changes[ACL_ACCESS] = (have[0], bool(want_access))
        if want_users is not None:
            ids = sorted(
                self.sdk_attrs(lookup, {ACL_USERS: want_users})[ACL_USER_IDS]
            )
            if ids != have[1]:
                changes[ACL_USERS] = (have[1], ids)
        return changes

    def set_acl(self, lookup: refs.Lookup, obj: ty.Any, changes: dict) -> None:
        """Apply :meth:`acl_changes`: the rest of the ACL as it is."""
        if not changes:
            return
        if ACL_ACCESS in changes and ACL_USERS in changes:
            access, users = True, []
        else:
            access, users = read_acl(
                lookup.conn, self.collection, self.uuid(obj)
            )
        if ACL_ACCESS in changes:
            access = changes[ACL_ACCESS][1]
        if ACL_USERS in changes:
            users = changes[ACL_USERS][1]
        put_acl(lookup.conn, self.collection, self.uuid(obj), access, users)

    def new_acl(self, lookup: refs.Lookup, params: dict) -> dict:
        """The ACL changes that a new resource needs (none for
        Barbican's default: project access, no users)."""
        access = params.get(ACL_ACCESS)
        users = params.get(ACL_USERS)
        ids = (
            self.sdk_attrs(lookup, {ACL_USERS: users})[ACL_USER_IDS]
            if users
            else []
        )
        if access is not False and not ids:
            return {}
        return {
            ACL_ACCESS: (True, access is not False),
            ACL_USERS: ([], sorted(ids)),
        }

    def update(
        self, lookup: refs.Lookup, existing: ty.Any, changes: dict
    ) -> ty.Any:
        # Only the ACL can change: the rest is a conflict (create_only).
        self.set_acl(lookup, existing, changes)
        return existing


class Secret(Barbican):
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

    params_fields = ('name',) + METADATA + (USER_METADATA, ACL_ACCESS)
    #: null: not known (the exporter could not read it): left as it is
    none_is_unknown = (USER_METADATA, ACL_ACCESS, ACL_USERS)
    param_shapes = {
        'secret_type': datafile.STR,
        'algorithm': datafile.STR,
        'mode': datafile.STR,
        'payload_content_type': datafile.STR,
        'bit_length': (int,),
        'expiration': (str, datetime.datetime),
        USER_METADATA: datafile.MapOf(datafile.SCALAR),
        ACL_ACCESS: (bool,),
    }
    info_shapes = {'id': datafile.STR, ENCRYPTED: datafile.STR}
    create_only = METADATA

    def __init__(self) -> None:
        super().__init__()
        #: (project, name) -> the source id of the first entry of that name
        #: that this run imported: a second one is a duplicate
        self._seen: dict[tuple[str, str], ty.Any] = {}
        #: the payload of the entry being applied, from plan to create
        self._applying = threading.local()
        #: payloads that the export could not read
        self._unread: list[str] = []

    def uuid(self, obj: ty.Any) -> str | None:
        return href_uuid(getattr(obj, 'secret_ref', None))

    # -- options ------------------------------------------------------------

    def add_arguments(self, parser: ty.Any, verb: str) -> None:
        if verb == 'export':
            help_ = (
                'Secrets: write each payload into the data file encrypted '
                'with the Fernet key of this file, for an import with the '
                'same file (make a key with: %s)' % MAKE_KEY
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
            type=load_key,
            help=help_,
        )

    @staticmethod
    def _key(lookup: refs.Lookup) -> PayloadKey | None:
        return getattr(lookup.options, 'payload_key_file', None)

    # -- export -------------------------------------------------------------

    @staticmethod
    def expiration(entry: base.Entry) -> datetime.datetime | None:
        """The entry's expiration as an aware UTC time.

        :raises osmigrateclient.exceptions.MigrateError: it is no time
        """
        value = entry['params'].get('expiration')
        try:
            return parse_time(value)
        except ValueError:
            raise exceptions.MigrateError(
                'not an ISO 8601 time (2030-01-31T12:00:00Z): %s'
                % datafile.shown(value),
                field='params.expiration',
            )

    def metadata(self, obj: ty.Any) -> dict[str, ty.Any]:
        """The params of ``obj`` but its ACL."""
        when = parse_time(obj.expires_at)
        return {
            'name': obj.name,
            'secret_type': obj.secret_type,
            'algorithm': obj.algorithm,
            'bit_length': obj.bit_length,
            'mode': obj.mode,
            'payload_content_type': (obj.content_types or {}).get('default'),
            'expiration': iso(when) if when else None,
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
            entry['params'][USER_METADATA] = read_metadata(
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
        key = self._key(lookup)
        self._unread = []
        if key is not None:
            for e in entries:
                self._encrypt(lookup, key, e)
        return entries

    def _encrypt(
        self, lookup: refs.Lookup, key: PayloadKey, entry: base.Entry
    ) -> None:
        content_type = entry['params'].get('payload_content_type')
        if not content_type:
            return
        source_id = entry['_info']['id']
        try:
            payload = read_payload(lookup.conn, source_id, content_type)
        except (sdk_exceptions.SDKException, exceptions.MigrateError) as e:
            self._unread.append(
                '%s %r (%s): %s'
                % (
                    self.cli_name,
                    self.name_of(entry),
                    source_id,
                    base._api_message(e),
                )
            )
            return
        entry['_info'][ENCRYPTED] = key.encrypt(source_id, payload)

    def after_export(
        self, lookup: refs.Lookup, entries: list[base.Entry]
    ) -> None:
        unread, self._unread = self._unread, []
        if unread:
            raise exceptions.MigrateError(
                'the payloads of %d secret(s) were not exported (their '
                'metadata was): %s' % (len(unread), '; '.join(unread))
            )

    # -- import: what to do -------------------------------------------------

    def wanted_payload(
        self, lookup: refs.Lookup, entry: base.Entry
    ) -> bytes | None:
        """The payload that the destination secret must hold (None: no
        payload), from the file's encrypted payload or the source.

        :raises osmigrateclient.exceptions.MigrateError: it cannot be had
        """
        params, info = entry['params'], entry['_info']
        content_type = params.get('payload_content_type')
        if not content_type:
            return None
        token = info.get(ENCRYPTED)
        key = self._key(lookup)
        if token is not None and key is not None:
            return key.decrypt(token, checked_uuid(info.get('id')))
        if getattr(lookup.options, 'src_cloud', None):
            source_id = checked_uuid(info.get('id'))
            try:
                return read_payload(
                    lookup.other_side(clouds.SOURCE), source_id, content_type
                )
            except sdk_exceptions.SDKException as e:
                raise exceptions.MigrateError(
                    'cannot be read from the source cloud: %s'
                    % base._api_message(e),
                    field='payload',
                )
        if token is not None:
            raise exceptions.MigrateError(
                'the payload is encrypted: give --payload-key-file <file> '
                '(the key of the export), or --src-cloud <cloud> to read it '
                'from the source',
                field='_info.' + ENCRYPTED,
            )
        raise exceptions.MigrateError(
            'the file holds no payload: give --src-cloud <cloud> to read it '
            'from the source, or export with --payload-key-file and import '
            'with the same',
            field='_info.' + ENCRYPTED,
        )

    def _duplicate(self, lookup: refs.Lookup, entry: base.Entry) -> str:
        key = (lookup.project_id, self.name_of(entry))
        source_id = entry['_info'].get('id')
        first = self._seen.setdefault(key, source_id)
        if first == source_id:
            return ''
        return (
            'duplicate: this run imported another secret of this name '
            '(source id %s) already; secret names are not unique in '
            'Barbican, but an import finds a secret by its name: rename one '
            'of them in the file' % first
        )

    def plan(self, lookup: refs.Lookup, entry: base.Entry) -> base.Plan:
        self._applying.payload = None
        if not self.name_of(entry):
            return base.Plan(
                base.BLOCKED,
                'name: a secret without a name cannot be found again in the '
                'destination: name it in the file',
            )
        duplicate = self._duplicate(lookup, entry)
        if duplicate:
            return base.Plan(base.CONFLICT, duplicate)
        try:
            when = self.expiration(entry)
        except exceptions.MigrateError as e:
            return base.Plan(base.BLOCKED, str(e))
        if when is not None and when <= datetime.datetime.now(
            datetime.timezone.utc
        ):
            return base.Plan(
                base.BLOCKED,
                'expiration: %s is in the past: Barbican makes no expired '
                'secret (edit or remove it in the file)' % iso(when),
            )
        planned = super().plan(lookup, entry)
        if planned.action in (base.BLOCKED, base.CONFLICT):
            return planned
        if not hasattr(lookup.options, 'payload_key_file'):
            # "migrate plan": no option says where the payload is.
            return planned._replace(
                detail='; '.join(d for d in (planned.detail, UNCHECKED) if d)
            )
        try:
            payload = self.wanted_payload(lookup, entry)
        except exceptions.MigrateError as e:
            return base.Plan(base.BLOCKED, str(e), planned.existing)
        self._applying.payload = payload
        if planned.action == base.CREATE:
            return planned
        existing = planned.existing
        try:
            problem = self._other_payload(lookup, existing, entry, payload)
        except sdk_exceptions.SDKException as e:
            return base.Plan(
                base.BLOCKED,
                'payload: cannot compare it with the destination '
                "secret's: %s" % base._api_message(e),
                existing,
            )
        if problem:
            return base.Plan(base.CONFLICT, problem, existing)
        return planned

    def _other_payload(
        self,
        lookup: refs.Lookup,
        existing: ty.Any,
        entry: base.Entry,
        payload: bytes | None,
    ) -> str:
        """Why the twin ``existing`` does not hold ``payload``, or ''.
        Never says what either payload is."""
        dst_id = self.uuid(existing)
        if dst_id is None:
            return ''  # a dry run's placeholder
        content_type = (existing.content_types or {}).get('default')
        have = (
            read_payload(lookup.conn, dst_id, content_type)
            if content_type
            else None
        )
        if have == payload:
            return ''
        return (
            'payload: the destination secret %s holds another payload than '
            'the source secret %s, and a secret cannot change: rename or '
            'delete one of them' % (dst_id, entry['_info'].get('id'))
        )

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
                same = parse_time(have) == self.expiration(entry)
            elif key == 'payload_content_type':
                same = normal_type(have) == normal_type(value)
            else:
                same = base.same(have, value)
            if not same:
                changes[key] = (have, value)
        if entry['params'].get(USER_METADATA) is not None:
            have = read_metadata(lookup.conn, self.uuid(existing))
            want = user_metadata(entry['params'][USER_METADATA])
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
            put_metadata(lookup.conn, self.uuid(existing), metadata[1])
        return super().update(lookup, existing, changes)

    def apply(
        self, lookup: refs.Lookup, entry: base.Entry, dry_run: bool = False
    ) -> base.Outcome:
        try:
            return super().apply(lookup, entry, dry_run=dry_run)
        finally:
            # The payload lives no longer than its import.
            self._applying.payload = None

    def create(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        params = entry['params']
        body = {
            k: params[k]
            for k in ('name', 'secret_type', 'algorithm', 'bit_length', 'mode')
            if params.get(k) is not None
        }
        when = self.expiration(entry)
        if when is not None:
            body['expiration'] = iso(when)
        content_type = params.get('payload_content_type')
        payload = getattr(self._applying, 'payload', None)
        if content_type and payload is None:
            raise exceptions.MigrateError('no payload', field='payload')
        if content_type:
            body['payload_content_type'] = content_type
            if normal_type(content_type) == TEXT:
                try:
                    body['payload'] = payload.decode('utf-8')
                except UnicodeDecodeError:
                    raise exceptions.MigrateError(
                        'is text/plain, but the payload is no UTF-8 text',
                        field='params.payload_content_type',
                    )
            else:
                body['payload'] = base64.b64encode(payload).decode('ascii')
                body['payload_content_encoding'] = 'base64'
        acl = self.new_acl(lookup, params)
        metadata = user_metadata(params.get(USER_METADATA))
        proxy = self.proxy(lookup)
        # Not openstacksdk's create_secret: it would log the payload.
        response = proxy.post('/secrets', json=body, log=False)
        _raise_for(response, 'Cannot create the secret')
        obj = refs.Secret.existing(
            secret_ref=response.json()['secret_ref'],
            name=params.get('name'),
            secret_type=params.get('secret_type') or DEFAULT_TYPE,
            algorithm=params.get('algorithm'),
            bit_length=params.get('bit_length'),
            mode=params.get('mode'),
            expiration=body.get('expiration'),
            content_types=(
                {'default': normal_type(content_type)}
                if content_type
                else None
            ),
            project_id=lookup.project_id,
        )
        try:
            if metadata:
                put_metadata(lookup.conn, self.uuid(obj), metadata)
            self.set_acl(lookup, obj, acl)
        except Exception:
            # Leave nothing half-made: a re-run creates it whole.  By its
            # UUID: openstacksdk's delete of the object would put the
            # whole href into the URL.
            proxy.delete_secret(self.uuid(obj), ignore_missing=True)
            raise
        return obj


RESOURCE = Secret
