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


"""A container of Swift: its HEAD, PUT and POST, and the params of a
data file that its headers are."""

import logging
import typing as ty

from osmigrateclient.transfer.swift import wire

LOG = logging.getLogger(__name__)

#: container metadata never exported: secrets (temporary URL keys)
SECRET_META = ('temp-url-key', 'temp-url-key-2')
#: params of a container and the header each one is
CONTAINER_HEADERS = {
    'read_acl': 'X-Container-Read',
    'write_acl': 'X-Container-Write',
    'versions_location': 'X-Versions-Location',
    'history_location': 'X-History-Location',
    'versions_enabled': 'X-Versions-Enabled',
    'storage_policy': 'X-Storage-Policy',
}
_REMOVE = {
    'read_acl': 'X-Remove-Container-Read',
    'write_acl': 'X-Remove-Container-Write',
    'versions_location': 'X-Remove-Versions-Location',
    'history_location': 'X-Remove-History-Location',
}


def head_container(conn: ty.Any, name: str) -> ty.Mapping[str, str] | None:
    """The headers of a container, or None if there is none."""
    response = conn.object_store.head(wire.container_path(name))
    if response.status_code == 404:
        return None
    return wire.check(response, 'container %r' % name).headers


def container_params(headers: ty.Mapping[str, str]) -> dict[str, ty.Any]:
    """The params of a container from its HEAD."""
    meta = wire.meta_of(headers, 'X-Container-Meta-')
    for key in SECRET_META:
        if meta.pop(key, None) is not None:
            LOG.info('Container metadata %s not exported (a secret)', key)
    params: dict[str, ty.Any] = {'metadata': meta}
    for param, header in CONTAINER_HEADERS.items():
        value = headers.get(header)
        if param == 'versions_enabled' and value is not None:
            value = value.lower() == 'true'
        elif value is not None:
            value = wire.decoded(value)
        params[param] = value
    return params


def container_headers(params: dict, current: dict | None = None) -> dict:
    """The headers that make a container hold ``params``: every one on a
    create (``current`` None), else those that change ``current``."""
    headers: dict[str, ty.Any] = {}
    have = (current or {}).get('metadata') or {}
    want = params.get('metadata') or {}
    for key, value in want.items():
        if value is not None and (current is None or have.get(key) != value):
            headers['X-Container-Meta-' + key] = wire.encoded(value)
    if current is not None:
        for key in have:
            if key not in want:
                headers['X-Remove-Container-Meta-' + key] = 'x'
    for param, header in CONTAINER_HEADERS.items():
        if param not in params:
            continue
        value = params[param]
        if current is not None and value == current.get(param):
            continue
        if param == 'storage_policy' and current is not None:
            continue  # create-only
        if value is None or value == '':
            if current is not None and param in _REMOVE:
                headers[_REMOVE[param]] = 'x'
            continue
        if isinstance(value, bool):
            value = 'true' if value else 'false'
        headers[header] = wire.encoded(value)
    return headers


def put_container(conn: ty.Any, name: str, headers: dict) -> None:
    wire.check(
        conn.object_store.put(wire.container_path(name), headers=headers),
        'create container %r' % name,
    )


def post_container(conn: ty.Any, name: str, headers: dict) -> None:
    wire.check(
        conn.object_store.post(wire.container_path(name), headers=headers),
        'update container %r' % name,
    )
