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


"""A secret's payload on its way: from the source Barbican or decrypted
from the file on import, encrypted into the file on export, compared with
a twin's (never saying what either is), and as Barbican's create takes
it.  It is held in memory only, and never logged."""

import base64
import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient import clouds
from osmigrateclient import exceptions
from osmigrateclient.resources import _barbican_api as barbican_api
from osmigrateclient.resources import _payload_key as payload_key
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

#: text payloads go as JSON strings; others base64-encoded
TEXT = 'text/plain'


def key_of(lookup: refs.Lookup) -> payload_key.PayloadKey | None:
    """The key of the run's ``--payload-key-file``, if given."""
    return getattr(lookup.options, 'payload_key_file', None)


def encrypt_into(
    lookup: refs.Lookup, key: payload_key.PayloadKey, entry: base.Entry
) -> str:
    """Put the payload of the source secret of ``entry`` into its
    ``_info``, encrypted with ``key``; '' or why it cannot be read."""
    content_type = entry['params'].get('payload_content_type')
    if not content_type:
        return ''
    source_id = entry['_info']['id']
    try:
        payload = barbican_api.read_payload(
            lookup.conn, source_id, content_type
        )
    except (sdk_exceptions.SDKException, exceptions.MigrateError) as e:
        return base._api_message(e)
    entry['_info'][payload_key.ENCRYPTED] = key.encrypt(source_id, payload)
    return ''


def wanted(lookup: refs.Lookup, entry: base.Entry) -> bytes | None:
    """The payload that the destination secret must hold (None: no
    payload), from the file's encrypted payload or the source.

    :raises osmigrateclient.exceptions.MigrateError: it cannot be had
    """
    params, info = entry['params'], entry['_info']
    content_type = params.get('payload_content_type')
    if not content_type:
        return None
    token = info.get(payload_key.ENCRYPTED)
    key = key_of(lookup)
    if token is not None and key is not None:
        return key.decrypt(token, barbican_api.checked_uuid(info.get('id')))
    if getattr(lookup.options, 'src_cloud', None):
        source_id = barbican_api.checked_uuid(info.get('id'))
        try:
            return barbican_api.read_payload(
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
            field='_info.' + payload_key.ENCRYPTED,
        )
    raise exceptions.MigrateError(
        'the file holds no payload: give --src-cloud <cloud> to read it '
        'from the source, or export with --payload-key-file and import '
        'with the same',
        field='_info.' + payload_key.ENCRYPTED,
    )


def other_payload(
    lookup: refs.Lookup,
    dst_id: str | None,
    existing: ty.Any,
    entry: base.Entry,
    payload: bytes | None,
) -> str:
    """Why the twin ``existing`` (of Barbican id ``dst_id``) does not hold
    ``payload``, or ''.  Never says what either payload is."""
    if dst_id is None:
        return ''  # a dry run's placeholder
    content_type = (existing.content_types or {}).get('default')
    have = (
        barbican_api.read_payload(lookup.conn, dst_id, content_type)
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


def create_fields(content_type: str | None, payload: ty.Any) -> dict:
    """The payload fields of Barbican's create of a secret.

    :raises osmigrateclient.exceptions.MigrateError: there is no payload,
        or a text one is no UTF-8
    """
    body: dict[str, ty.Any] = {}
    if content_type and payload is None:
        raise exceptions.MigrateError('no payload', field='payload')
    if content_type:
        body['payload_content_type'] = content_type
        if barbican_api.normal_type(content_type) == TEXT:
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
    return body
