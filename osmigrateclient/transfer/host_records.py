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

"""What ``hosts.yml`` may hold: a ``hosts`` mapping of host keys
(:mod:`~osmigrateclient.transfer.host_pool`) to records whose values that
reach ssh or a shell (addresses, user names, keys) must be plain, so that a
hand-edited or hostile file is refused with the host and field it names.
"""

import ipaddress
import re
import typing as ty

import yaml

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient.transfer import host_pool
from osmigrateclient.transfer import ssh

#: a user name ssh logs in as
USER_NAME = re.compile(r'[A-Za-z_][A-Za-z0-9_.-]{0,31}\Z')
#: a pinned host key: ``<type> <base64>``
_HOST_KEY = re.compile(
    r'(%s) [A-Za-z0-9+/]+={0,3}\Z' % '|'.join(map(re.escape, ssh.KEY_TYPES))
)
_CREATED = ('keypair', 'security_group', 'server', 'floating_ip')


def _is_text(value: ty.Any) -> bool:
    return (
        isinstance(value, str)
        and 0 < len(value) <= 255
        and value.isprintable()
    )


def _is_ip(value: ty.Any) -> bool:
    try:
        return isinstance(value, str) and bool(ipaddress.ip_address(value))
    except ValueError:
        return False


def _is_cidr(value: ty.Any) -> bool:
    try:
        return isinstance(value, str) and bool(ipaddress.ip_network(value))
    except ValueError:
        return False


def _list_of(check: ty.Callable[[ty.Any], bool]):
    return lambda v: isinstance(v, list) and all(map(check, v))


#: field -> (check, what it must be) of a host record
_FIELDS: dict[str, tuple[ty.Callable[[ty.Any], bool], str]] = {
    'name': (
        lambda v: v == '' or _is_text(v),
        'a name (one line of printable text)',
    ),
    'server_id': (_is_text, 'a server ID (one line of printable text)'),
    'user': (
        lambda v: isinstance(v, str) and bool(USER_NAME.match(v)),
        'a user name (letters, digits, _ . -)',
    ),
    'address': (_is_ip, 'an IP address'),
    'link_address': (_is_ip, 'an IP address'),
    'link_from': (_is_ip, 'an IP address'),
    'port': (
        lambda v: type(v) is int and 0 < v < 65536,
        'a port number (1 to 65535)',
    ),
    'owned': (lambda v: isinstance(v, bool), 'true or false'),
    'link_key': (lambda v: isinstance(v, bool), 'true or false'),
    'availability_zone': (_is_text, 'a name (one line of printable text)'),
    'allowed_cidrs': (_list_of(_is_cidr), 'a list of CIDRs'),
    'migrator_cidrs': (_list_of(_is_cidr), 'a list of CIDRs'),
    'host_keys': (
        _list_of(lambda v: isinstance(v, str) and bool(_HOST_KEY.match(v))),
        'a list of SSH public keys (<type> <base64>)',
    ),
    'created': (
        lambda v: (
            isinstance(v, dict)
            and all(k in _CREATED and _is_text(i) for k, i in v.items())
        ),
        'a mapping of %s to IDs' % ', '.join(_CREATED),
    ),
}


def check(record: ty.Any, path: str, resource: str) -> None:
    """:raises osmigrateclient.exceptions.DataFileError: ``record`` is not
    a host record of ``hosts.yml``"""
    if not isinstance(record, dict):
        raise exceptions.DataFileError(
            'must be a mapping', path=path, resource=resource
        )
    for field, (check, what) in _FIELDS.items():
        if field in record and not check(record[field]):
            raise exceptions.DataFileError(
                'must be %s' % what, path=path, resource=resource, field=field
            )


def parse(text: str, path: str) -> ty.Any:
    """The YAML document of ``hosts.yml``.

    :raises osmigrateclient.exceptions.DataFileError: it is not YAML
    """
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        problem = ' '.join(str(e).split())
        raise exceptions.DataFileError('cannot read: %s' % problem, path=path)


def check_file(doc: ty.Any, path: str) -> dict:
    """``doc``, the document of ``hosts.yml``, once checked (``{}`` for
    none).

    :raises osmigrateclient.exceptions.DataFileError: it is not of the
        shape ``deploy`` writes (the message names the host and field)
    """
    if doc is None:
        return {}
    if not isinstance(doc, dict) or not isinstance(
        doc.get('hosts') or {}, dict
    ):
        raise exceptions.DataFileError(
            'must be a mapping with a "hosts" mapping (key -> host)',
            path=path,
        )
    for key, record in (doc.get('hosts') or {}).items():
        if host_pool.parse_key(key) is None:
            raise exceptions.DataFileError(
                'unknown host key %s (one of: %s)'
                % (datafile.shown(key), host_pool.KEYS_HELP),
                path=path,
            )
        check(record, path, 'host %s' % key)
    return doc
