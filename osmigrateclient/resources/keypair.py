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

"""Nova keypairs: the caller's, or (``--all-users``, admin) every user's.

``user_ref`` names the owner: ``{name: '%auth%', domain_name: '%auth%'}``
for the caller's own keys, which import creates for the destination
caller, or a user by name and domain, whose key import creates for the
same-named user of the destination (admin; Nova API microversion 2.10).
Both kinds live in ``keypairs.yml``; the pioneering tool's
``users_keypairs.yml`` holds entries of the same type and format, which can
be appended to ``keypairs.yml`` as they are.

Keypairs cannot be changed.  A destination key of the same name and owner
holding the same public key (comments aside) is unchanged; one holding
another key is a conflict, reported and left alone, never taken for the
file's key.  Private keys are never exported (Nova does not keep them).

``--name`` / ``--name-regex`` match the keypair's name.
"""

import base64
import binascii
import hashlib
import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

AUTH_USER = refs.make_ref(refs.AUTH, None, refs.AUTH)


def key_material(public_key: str | None) -> tuple[str, ...]:
    """The parts of a public key that make it that key (not its comment)."""
    return tuple((public_key or '').split()[:2])


def fingerprint(public_key: str | None) -> str:
    """The MD5 fingerprint Nova shows for an SSH public key, or '?'."""
    parts = key_material(public_key)
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (IndexError, binascii.Error):
        return '?'
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ':'.join(digest[i : i + 2] for i in range(0, len(digest), 2))


def is_auth(ref: ty.Any) -> bool:
    return not ref or ref.get('name') == refs.AUTH


class Keypair(base.Resource):
    type = 'openstack.compute.Keypair'
    cli_name = 'keypair'
    export_what = "the caller's keypairs (every user's with --all-users)"
    import_where = 'the destination, for the same users'
    kind = 'keypair'
    file_name = 'keypairs.yml'
    service = 'compute'
    rank = 7
    depends_on = ('user',)
    tag_field = None

    params_fields = ('name', 'public_key', 'type')
    info_fields = ('created_at', 'fingerprint', 'id', 'is_deleted')
    sorted_fields = ()
    param_shapes = {
        'public_key': datafile.STR,
        'type': datafile.STR,
        'user_ref': datafile.REF,
    }
    info_shapes = {'user_id': datafile.STR}

    def add_arguments(self, parser: ty.Any, verb: str) -> None:
        if verb != 'export':
            return
        parser.add_argument(
            '--all-users',
            action='store_true',
            help='Export the keypairs of every user, not only the '
            "caller's (admin)",
        )

    # -- names and identities -----------------------------------------------

    def _user(self, entry: base.Entry) -> tuple[str | None, str | None]:
        ref = entry['params'].get('user_ref') or AUTH_USER
        return ref.get('name'), ref.get('domain_name')

    def label_of(self, entry: base.Entry) -> str:
        user, _ = self._user(entry)
        if user == refs.AUTH:
            return self.name_of(entry)
        return '%s (user %s)' % (self.name_of(entry), user)

    def import_identity(self, entry: base.Entry) -> str:
        return '%s:%s:%s:%s' % (
            (self.type, self.name_of(entry)) + self._user(entry)
        )

    def export_key(self, entry: base.Entry) -> ty.Hashable:
        return (
            entry['type'],
            entry['_info'].get('id'),
            entry['_info'].get('user_id'),
        )

    # -- export -------------------------------------------------------------

    def list_source(self, lookup: refs.Lookup) -> list[ty.Any]:
        if not getattr(lookup.options, 'all_users', False):
            return [
                self._owned(k, lookup.user_id) for k in lookup.all(self.kind)
            ]
        found = []
        try:
            for user in lookup.all('user'):
                for key in lookup.conn.compute.keypairs(user_id=user.id):
                    found.append(self._owned(key, user.id))
        except sdk_exceptions.ForbiddenException as e:
            raise exceptions.MigrateError(
                '--all-users needs admin rights: %s' % base._api_message(e)
            )
        return found

    @staticmethod
    def _owned(key: ty.Any, user_id: str) -> ty.Any:
        # Nova's list leaves the owner out.
        if not key.user_id:
            key.user_id = user_id
        return key

    def from_sdk(self, lookup: refs.Lookup, obj: ty.Any) -> base.Entry:
        entry = super().from_sdk(lookup, obj)
        entry['_info']['user_id'] = obj.user_id
        if obj.user_id in (None, lookup.user_id):
            entry['params']['user_ref'] = dict(AUTH_USER)
        else:
            entry['params']['user_ref'] = lookup.ref('user', obj.user_id)
        return entry

    def export(
        self, lookup: refs.Lookup, match: ty.Callable[[str], bool]
    ) -> list[base.Entry]:
        entries = super().export(lookup, match)
        return sorted(
            entries,
            key=lambda e: (
                self.name_of(e),
                repr(self._user(e)),
                e['_info']['user_id'] or '',
            ),
        )

    # -- import -------------------------------------------------------------

    def sdk_attrs(self, lookup: refs.Lookup, params: dict) -> dict:
        attrs = {k: v for k, v in params.items() if k != 'user_ref'}
        ref = params.get('user_ref')
        if not is_auth(ref):
            try:
                attrs['user_id'] = lookup.resolve('user', ref).id
            except exceptions.UnresolvedReference as e:
                e.field = 'user_ref'
                raise
        return attrs

    def find_existing(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        user_id = self.sdk_attrs(lookup, entry['params']).get('user_id')
        try:
            return self.proxy(lookup).get_keypair(
                self.name_of(entry), user_id=user_id
            )
        except sdk_exceptions.NotFoundException:
            return None

    def decide(self, lookup: refs.Lookup, entry: base.Entry) -> base.Decision:
        decision = super().decide(lookup, entry)
        if decision.action != base.UPDATE:
            return decision
        have, want = decision.existing, entry['params']
        if key_material(have.public_key) != key_material(
            want.get('public_key')
        ):
            return base.Decision(
                base.CONFLICT,
                'field public_key: the destination already has a keypair '
                'of this name with another key (fingerprint %s; the file\'s '
                'key has fingerprint %s); keypairs cannot be changed: '
                'delete or rename one of them'
                % (
                    have.fingerprint or fingerprint(have.public_key),
                    fingerprint(want.get('public_key')),
                ),
                decision.existing,
                decision.changes,
            )
        if (have.type or 'ssh') != (want.get('type') or 'ssh'):
            return base.Decision(
                base.CONFLICT,
                'field type: the destination keypair of this name is of '
                'type %r, the file says %r; keypairs cannot be changed'
                % (have.type, want.get('type')),
                decision.existing,
                decision.changes,
            )
        # Only the comment of the key differs: the same key.
        return base.Decision(base.UNCHANGED, '', decision.existing)

    def create(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        return self.proxy(lookup).create_keypair(
            **self.create_attrs(lookup, entry)
        )


RESOURCE = Keypair
