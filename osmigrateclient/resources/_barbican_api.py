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


"""Barbican by hand: the ids that go into its URLs, its times and content
types, and the requests that openstacksdk does not make, or would log
(payloads, ACLs, user metadata).

Payload requests are never logged (not even with ``--debug``): they are
made with keystoneauth's logging off.
"""

import datetime
import re
import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient import datafile
from osmigrateclient import exceptions

#: what a Barbican id looks like; checked before an id of a file goes into
#: a URL
UUID = re.compile(
    r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z'
)


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
        when = when.replace(tzinfo=datetime.UTC)
    return when.astimezone(datetime.UTC)


def iso(when: datetime.datetime) -> str:
    """A time as a file and Barbican's create write it."""
    return when.isoformat()


def normal_type(content_type: ty.Any) -> ty.Any:
    """A content type as Barbican keeps it (``text/plain; charset=utf-8``
    is ``text/plain``)."""
    if not isinstance(content_type, str):
        return content_type
    return content_type.split(';')[0].strip().lower()


# -- Barbican requests --------------------------------------------------------


def raise_for(response: ty.Any, what: str) -> None:
    """Raise openstacksdk's error of ``response``, if it is one."""
    sdk_exceptions.raise_from_response(response, error_message=what)


def read_payload(conn: ty.Any, secret_id: str, content_type: str) -> bytes:
    """The payload of the secret ``secret_id`` of ``conn``'s Barbican,
    unlogged."""
    response = conn.key_manager.get(
        '/secrets/%s/payload' % checked_uuid(secret_id),
        headers={'Accept': content_type},
        log=False,
    )
    raise_for(response, 'Cannot read the payload of secret %s' % secret_id)
    return response.content


def read_acl(
    conn: ty.Any, collection: str, id_: str
) -> tuple[bool, list[str]]:
    """(project access, user ids) of the read ACL of a secret or container
    (``collection``: ``secrets`` or ``containers``)."""
    response = conn.key_manager.get(
        '/%s/%s/acl' % (collection, checked_uuid(id_))
    )
    raise_for(response, 'Cannot read the ACL of %s' % id_)
    read = (response.json() or {}).get('read') or {}
    return (
        read.get('project-access', True) is not False,
        sorted(read.get('users') or []),
    )


def read_metadata(conn: ty.Any, id_: str) -> dict[str, str]:
    """The user metadata (key-value pairs) of a secret."""
    response = conn.key_manager.get('/secrets/%s/metadata' % checked_uuid(id_))
    raise_for(response, 'Cannot read the metadata of %s' % id_)
    return dict((response.json() or {}).get('metadata') or {})


def put_metadata(conn: ty.Any, id_: str, metadata: dict[str, str]) -> None:
    """Make the user metadata of a secret exactly this."""
    response = conn.key_manager.put(
        '/secrets/%s/metadata' % checked_uuid(id_),
        json={'metadata': metadata},
    )
    raise_for(response, 'Cannot set the metadata of %s' % id_)


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
    raise_for(response, 'Cannot set the ACL of %s' % id_)
