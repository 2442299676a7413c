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

"""The journal of a server's sync passes (warm migration):
``<data-dir>/workload_sync/<source server id>.yml``, 0600, rewritten
atomically under a lock (:mod:`osmigrateclient.record`), checked when read.

Layout::

    name: <server name>
    source_id: <source server id>
    volumes:
      <source volume id, or the source server id for the root disk>:
        dest_volume: <id>          # made by the first pass
        size: <GiB>                # the root disk's copies' size
        copied: true               # a first pass finished
        passes: <count>
        bytes_sent: <sum over the passes>
        last: {seconds, chunks_changed, bytes_sent, digest, at}
        snapshot: <id>             # the running pass's temporaries
        image: <id>                # (the root disk's server snapshot)
        temp_volume: <id>
        attached: [{side, server, volume}]

Beside it, ``<source server id>.<volume key>.chunks`` (0600): the chunk
hashes of the pass that last wrote the destination volume, so that the
next pass hashes the source only.  A first line ``<hash> <destination
volume id>``, then a line per chunk (:mod:`osmigrateclient.transfer.
chunks`).  Removed before a pass writes the volume, written once it is
verified: a killed pass leaves none, and its successor hashes both
volumes again.
"""

import os
import re
import typing as ty

from osmigrateclient import datadir
from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient import record
from osmigrateclient.transfer import chunks

STR = datafile.STR
#: a journal read from disk must look so
SHAPE = {
    'name': STR,
    'source_id': STR,
    'volumes': datafile.MapOf(
        {
            'dest_volume': STR,
            'size': datafile.NUMBER,
            'copied': (bool,),
            'passes': datafile.NUMBER,
            'bytes_sent': datafile.NUMBER,
            'last': {
                'at': STR,
                'seconds': datafile.NUMBER,
                'bytes_sent': datafile.NUMBER,
                'digest': STR,
                'full': (bool,),
                'chunks_changed': datafile.NUMBER,
                'chunks_zeroed': datafile.NUMBER,
            },
            'snapshot': STR,
            'image': STR,
            'temp_volume': STR,
            'attached': [{'side': STR, 'server': STR, 'volume': STR}],
        }
    ),
}


def path_of(data_dir: str, source_id: str) -> str:
    datafile.path_id(source_id)
    return os.path.join(data_dir, datadir.WORKLOAD_SYNC, '%s.yml' % source_id)


def _checked(data: ty.Any, path: str) -> dict:
    problem = datafile.shape_problem(data, SHAPE, '')
    if problem:
        raise exceptions.DataFileError('%s: %s: %s' % (path, *problem))
    return data or {}


#: a line of a chunk list
_CHUNK_LINE = re.compile(r'([0-9a-f]{32}|%s)\Z' % chunks.ZERO)


def _record(data_dir: str, source_id: str) -> record.Record:
    return record.Record(path_of(data_dir, source_id), _checked)


def read(data_dir: str, source_id: str) -> dict:
    """A server's sync journal ({} when never synced).

    :raises osmigrateclient.exceptions.DataFileError: not of the shape
    """
    return _record(data_dir, source_id).read()


def load_all(data_dir: str) -> dict[str, dict]:
    """Every sync journal of the data dir, by source server id."""
    folder = os.path.join(data_dir, datadir.WORKLOAD_SYNC)
    if not os.path.isdir(folder):
        return {}
    found = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith('.yml'):
            data = read(data_dir, name[: -len('.yml')])
            if data.get('source_id'):
                found[data['source_id']] = data
    return found


def passes(data: dict) -> tuple[int, str | None]:
    """A server's sync passes (a pass covers all its volumes) and when
    the last one ended."""
    volumes = [v for v in (data.get('volumes') or {}).values() if v]
    done = max((v.get('passes') or 0 for v in volumes), default=0)
    ends = [(v.get('last') or {}).get('at') for v in volumes]
    return done, max((e for e in ends if e), default=None)


class Journal:
    """One server's sync journal; every change on disk when a call
    returns."""

    def __init__(self, data_dir: str, source_id: str, name: str) -> None:
        self._record = _record(data_dir, source_id)
        self.path = self._record.path
        #: the journal as on disk (this object writes every change)
        self.data = self._record.read()
        self.data.update(source_id=source_id, name=name)
        self.data.setdefault('volumes', {})

    def volume(self, volume_id: str) -> dict:
        return dict(self.data['volumes'].get(volume_id) or {})

    def update(self, volume_id: str, **fields: ty.Any) -> None:
        with self._record.locked():
            item = self.data['volumes'].setdefault(volume_id, {})
            item.update(fields)
            for key in [k for k, v in item.items() if v is None]:
                del item[key]
            self._record.write(self.data)

    # -- the chunk list of each destination volume -------------------------

    def _chunks_path(self, volume_id: str) -> str:
        datafile.path_id(volume_id)
        return os.path.join(
            os.path.dirname(self.path),
            '%s.%s.chunks' % (self.data['source_id'], volume_id),
        )

    def known_chunks(
        self, volume_id: str, dest_id: str, size: int
    ) -> chunks.Hashes | None:
        """What destination volume ``dest_id`` of ``volume_id`` holds, if
        the pass that last wrote it said so and its size is still
        ``size`` bytes; else None.

        :raises osmigrateclient.exceptions.DataFileError: the list is not
            of the shape a pass writes (the message names the line)
        """
        path = self._chunks_path(volume_id)
        if not os.path.exists(path):
            return None
        lines = datafile.read_text(path).split('\n')
        head = lines[0].split(' ')
        if len(head) != 2 or head[0] not in chunks.ALGOS:
            raise exceptions.DataFileError(
                'line 1: must be "<%s> <volume id>"' % '|'.join(chunks.ALGOS),
                path=path,
            )
        hashes = lines[1:]
        if hashes and hashes[-1] == '':
            hashes.pop()
        for n, line in enumerate(hashes, 2):
            if not _CHUNK_LINE.match(line):
                raise exceptions.DataFileError(
                    'line %d: not a chunk hash (32 hex digits, or "%s")'
                    % (n, chunks.ZERO),
                    path=path,
                )
        if head[1] != dest_id or len(hashes) != chunks.chunk_count(size):
            return None
        return chunks.Hashes(head[0], hashes)

    def keep_chunks(
        self, volume_id: str, dest_id: str, known: chunks.Hashes
    ) -> None:
        """Record what a verified pass left in ``dest_id``."""
        datafile.write_text(
            self._chunks_path(volume_id),
            '%s %s\n%s\n' % (known.algo, dest_id, '\n'.join(known.hashes)),
        )

    def forget_chunks(self, volume_id: str) -> None:
        """Before a pass writes the destination volume of ``volume_id``."""
        try:
            os.unlink(self._chunks_path(volume_id))
        except FileNotFoundError:
            pass
