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


"""Swift's wire: URL paths, header text, the error of a response and the
chunks of a streamed one.

Names from a data file are checked (:mod:`osmigrateclient.swift_names`)
before they reach a URL.
"""

import typing as ty
from urllib import parse

from openstack import exceptions as sdk_exceptions

from osmigrateclient import exceptions

#: bytes read from the network or a file at a time
CHUNK_SIZE = 1024 * 1024

# -- URLs and headers ---------------------------------------------------------


def _quoted(name: str) -> str:
    """One URL path segment that Swift reads back as ``name``: "/" too is
    encoded, and "." and "..", so that no client takes them for dot
    segments (``a/../b`` is a fine object name)."""
    if name in ('.', '..'):
        return name.replace('.', '%2E')
    return parse.quote(name.encode('utf-8', errors='surrogatepass'), safe='')


def container_path(name: str) -> str:
    return '/' + _quoted(name)


def object_path(container: str, name: str) -> str:
    return container_path(container) + '/' + _quoted(name)


def decoded(value: str) -> str:
    """A header value as Swift meant it (UTF-8 arrives as latin-1)."""
    try:
        return value.encode('latin-1').decode('utf-8')
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def encoded(value: ty.Any) -> str:
    """A header value as it goes on the wire: UTF-8 bytes (keystoneauth
    takes ASCII bytes only, http.client sends a text as latin-1)."""
    return str(value).encode('utf-8').decode('latin-1')


def meta_of(headers: ty.Mapping[str, str], prefix: str) -> dict[str, str]:
    """The user metadata of ``headers`` (``X-Object-Meta-``), keys lower
    case as Swift treats them."""
    prefix = prefix.lower()
    return {
        k[len(prefix) :].lower(): decoded(v)
        for k, v in headers.items()
        if k.lower().startswith(prefix)
    }


def check(response: ty.Any, what: str) -> ty.Any:
    """``response``, if it is not an error.

    :raises osmigrateclient.exceptions.MigrateError: it is; the message
        starts with ``what``
    """
    try:
        sdk_exceptions.raise_from_response(response)
    except sdk_exceptions.HttpException as e:
        details = (getattr(e, 'details', None) or str(e)).strip()
        raise exceptions.MigrateError(
            '%s: %s %s'
            % (what, response.status_code, details.splitlines()[0][:200])
        )
    return response


def etag_of(response: ty.Any) -> str:
    return (response.headers.get('Etag') or '').strip('"')


def raw_chunks(response: ty.Any) -> ty.Iterator[bytes]:
    """The bytes of a streamed response as Swift stores them: an object
    with ``Content-Encoding: gzip`` is not decompressed on the way (its
    ETag is that of the compressed bytes)."""
    raw = getattr(response, 'raw', None)
    if raw is None or not hasattr(raw, 'stream'):
        return response.iter_content(chunk_size=CHUNK_SIZE)
    return raw.stream(CHUNK_SIZE, decode_content=False)
