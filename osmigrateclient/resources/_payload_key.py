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


"""The operator's key of ``--payload-key-file``: Fernet (AES with an
HMAC, so that a changed value is refused), each payload bound to its
source secret's id."""

import argparse
import binascii
import logging
import os
import stat
import typing as ty

from cryptography import fernet

from osmigrateclient import exceptions

LOG = logging.getLogger(__name__)

#: the ``_info`` field of a payload encrypted with the key
ENCRYPTED = 'encrypted_payload'
#: how to make a key, for messages and the docs
MAKE_KEY = (
    "python3 -c 'from cryptography.fernet import Fernet; "
    "print(Fernet.generate_key().decode())' > <file>; chmod 600 <file>"
)


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
