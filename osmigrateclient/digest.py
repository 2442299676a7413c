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

"""What Glance says an image's bytes are, and whether two images agree.

Plain values, no I/O: the image type's plan compares them, and the byte
movers (:mod:`osmigrateclient.transfer.image_blobs`) hash against them.
"""

import hashlib
import logging
import typing as ty

LOG = logging.getLogger(__name__)


class Digest(ty.NamedTuple):
    """What Glance says an image's bytes are."""

    size: int | None
    #: ``os_hash_algo`` / ``os_hash_value`` (the multihash)
    algo: str | None
    value: str | None
    #: the md5 ``checksum``
    md5: str | None

    def hasher(self) -> tuple[str, ty.Any] | None:
        """(algorithm, a fresh hashlib object), or None if nothing to check.

        The multihash is preferred; md5 when Glance gave none or this
        Python lacks its algorithm.
        """
        if self.algo and self.value:
            try:
                return self.algo, hashlib.new(self.algo)
            except ValueError:
                LOG.debug('No %s in hashlib; checking md5', self.algo)
        if self.md5:
            return 'md5', hashlib.md5(usedforsecurity=False)
        return None

    def expected(self, algo: str) -> str | None:
        return self.md5 if algo == 'md5' else self.value

    def problem(self, size: int, hashed: tuple[str, ty.Any] | None) -> str:
        """Why data of ``size`` bytes hashed so is not this, or ''."""
        if self.size is not None and size != self.size:
            return 'size is %d bytes, Glance says %d' % (size, self.size)
        if hashed is not None:
            algo, hasher = hashed
            got, want = hasher.hexdigest(), self.expected(algo)
            if got != want:
                return '%s is %s, Glance says %s' % (algo, got, want)
        return ''

    def matches(self, other: 'Digest') -> bool | None:
        """Whether two images hold the same bytes; None if unknown."""
        if self.algo and self.value and self.algo == other.algo:
            return self.value == other.value
        if self.md5 and other.md5:
            return self.md5 == other.md5
        return None


def digest_of(image: ty.Any) -> Digest:
    """The :class:`Digest` of an openstacksdk image."""
    return Digest(
        image.size,
        image.hash_algo,
        image.hash_value,
        image.checksum,
    )


def digest_of_entry(entry: dict) -> Digest:
    """What the source's Glance said the bytes of an exported image are
    (its data-file entry)."""
    params, info = entry['params'], entry['_info']
    return Digest(
        info.get('size'),
        params.get('hash_algo'),
        params.get('hash_value'),
        info.get('checksum'),
    )
