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

"""The changed-block copy of a device into one that holds an older copy.

How the bytes flow (only the chunks that differ travel)::

    migrator: both hosts hash their device, chunk by chunk, at once
              (python3 hashlib BLAKE2b; an all-zero chunk is "z"), and it
              compares the two lists

    source host                                 destination host
    nbdkit -r file <device>                     nbdkit file <device>
      --filter=extentlist: the changed chunks     (writable, as for a full
      are data, the rest reads as holes           copy: blockcopy)
    nbdcopy --destination-is-zero --sparse=0 <source nbd> <forwarded port>
      |  reads the data extents only, sends them whole (zeros included)
    127.0.0.1:<port> ==== ssh -R (the link key) ====> destination's nbdkit

The chunks that became all-zero on the source are zeroed on the
destination by the destination host itself (``blkdiscard --zeroout``):
nothing of them travels.  The rest is :mod:`osmigrateclient.transfer.
blockcopy`'s copy with another source: the source host serves its changed
chunks read-only on 127.0.0.1 under the copy's random export name, and the
link key's forced command allows this second fixed form of nbdcopy
(:data:`copy_scripts.PUSH_PATTERN`), NBD to NBD on 127.0.0.1 only.  After
the pass the destination hashes the chunks written again; once every
chunk's hash matches the source's, the devices are equal: the result's
digest is the hash of the source's chunk list.

Chunk size: 1 MiB, then pieces of 64 KiB.  The chunk size hardly
changes the time to hash a device (64 KiB to 4 MiB, measured on the
development machine), so the choice weighs the list's length (33 bytes a
chunk: 3.4 MB for 100 GiB at 1 MiB, 16 times that at 64 KiB) against the
bytes sent for a scattered small write (a whole chunk).  Both are had: the
whole device is compared in 1 MiB chunks, then only the chunks that
differ are hashed again on both hosts in 64 KiB pieces, and only the
pieces that differ travel or are zeroed.  Scattered 64 KiB writes (2 % of
a volume's data) sent 1.0x the changed bytes with pieces, 16x with whole
chunks (tools/bench/warm.py).

The source device must not change during a pass (a snapshot's volume, or
a stopped server's).  Every process is ended on every exit path, as for a
full copy (:func:`copy_scripts.stop_script`, by the copy's random name).
"""

import concurrent.futures
import hashlib
import logging
import secrets
import shlex
import typing as ty

from osmigrateclient import exceptions
from osmigrateclient.transfer import blockcopy
from osmigrateclient.transfer import copy_scripts
from osmigrateclient.transfer import ssh
from osmigrateclient.transfer import volume_copy

LOG = logging.getLogger(__name__)

#: bytes hashed and compared as one
CHUNK = 1024 * 1024
#: what a chunk that differs is compared in again; what travels
PIECE = 64 * 1024
#: the most runs of chunks a pass lists (a host's command line is limited:
#: closer runs are merged, sending some unchanged chunks)
MAX_RUNS = 2000
#: what the hash script prints for an all-zero chunk
ZERO = 'z'
#: seconds hashing one device may take at most
HASH_TIMEOUT = 6 * 3600
#: the source host's NBD server: lines before it answers
READY = 'ready '

#: reads in flight on a host while it hashes: a conversion host reads its
#: volumes unbuffered (a loopback host's loop device, Ceph, iSCSI), where
#: one read at a time leaves the storage idle between them (16 read an
#: uncached 8 GiB volume holding 4 GiB about 1.2 times as fast as 4 here)
HASH_THREADS = 16

#: python3 on a host: one line per chunk of the ranges read from stdin
#: ("first count" lines; none: every chunk), its BLAKE2b or "z".  Blocks
#: of chunks go to :data:`HASH_THREADS` threads (reads and BLAKE2b let go
#: of the GIL: more cores hash faster too); a whole chunk is compared with
#: zeros as bytes (a memoryview compares byte by byte, 80 times slower).
_HASH_PROGRAM = r"""
import concurrent.futures, hashlib, os, sys
dev, size, chunk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
threads = int(sys.argv[4])
count = (size + chunk - 1) // chunk
runs = [tuple(map(int, l.split())) for l in sys.stdin if l.strip()]
runs = runs or [(0, count)]
items = [i for first, n in runs for i in range(first, first + n)]
zero = bytes(chunk)
fd = os.open(dev, os.O_RDONLY)
def block(first):
    buf = bytearray(chunk)
    out = []
    for i in items[first:first + 64]:
        want = min(chunk, size - i * chunk)
        view = memoryview(buf)[:want]
        got = 0
        while got < want:
            k = os.preadv(fd, [view[got:]], i * chunk + got)
            if k <= 0:
                raise SystemExit('short read at %d' % (i * chunk + got))
            got += k
        if buf == zero if want == chunk else bytes(view) == zero[:want]:
            out.append('z')
        else:
            out.append(hashlib.blake2b(view, digest_size=16).hexdigest())
    return out
with concurrent.futures.ThreadPoolExecutor(threads) as ex:
    for out in ex.map(block, range(0, len(items), 64)):
        if out:
            print('\n'.join(out))
"""


class Result(ty.NamedTuple):
    #: bytes compared (the source device's size)
    size: int
    algo: str
    #: BLAKE2b of the source's chunk list: equal devices after the pass
    digest: str
    seconds: float
    note: str = ''
    #: bytes the source host sent through the SSH connection (None: none
    #: sent, or ssh did not say)
    bytes_sent: int | None = None
    chunks: int = 0
    chunks_changed: int = 0
    chunks_zeroed: int = 0


def chunk_count(size: int, chunk: int = CHUNK) -> int:
    return (size + chunk - 1) // chunk


def runs_of(indexes: ty.Iterable[int]) -> list[tuple[int, int]]:
    """Sorted chunk indexes as (first, count) runs."""
    runs: list[list[int]] = []
    for i in sorted(indexes):
        if runs and runs[-1][0] + runs[-1][1] == i:
            runs[-1][1] += 1
        else:
            runs.append([i, 1])
    return [(a, n) for a, n in runs]


def capped(runs: list[tuple[int, int]], most: int) -> list[tuple[int, int]]:
    """``runs`` with the smallest gaps filled until at most ``most`` are
    left."""
    if len(runs) <= most:
        return runs
    gaps = sorted(
        range(len(runs) - 1),
        key=lambda k: runs[k + 1][0] - (runs[k][0] + runs[k][1]),
    )
    join = set(gaps[: len(runs) - most])
    out = [list(runs[0])]
    for k in range(1, len(runs)):
        if k - 1 in join:
            out[-1][1] = runs[k][0] + runs[k][1] - out[-1][0]
        else:
            out.append(list(runs[k]))
    return [(a, n) for a, n in out]


def compare(src: list[str], dst: list[str]) -> tuple[list[int], list[int]]:
    """(chunks to send, chunks to zero) of two hash lists."""
    if len(src) != len(dst):
        raise exceptions.MigrateError(
            'chunk lists differ in length: %d on the source, %d on the '
            'destination' % (len(src), len(dst))
        )
    send, zero = [], []
    for i, (a, b) in enumerate(zip(src, dst, strict=True)):
        if a != b:
            (zero if a == ZERO else send).append(i)
    return send, zero


def extents(runs, size: int, chunk: int = CHUNK) -> str:
    """nbdkit's extent list (``offset length``) of the runs' bytes."""
    return ''.join(
        '%d %d\n' % (a * chunk, min((a + n) * chunk, size) - a * chunk)
        for a, n in runs
    )


def hash_script(device: str, size: int, runs=(), chunk: int = CHUNK):
    """Prints a line per chunk of ``runs`` (all when none): its hash."""
    text = ''.join('%d %d\n' % r for r in runs)
    return '%s <<"OSM_RUNS"\n%sOSM_RUNS' % (
        shlex.join(
            [
                'python3',
                '-c',
                _HASH_PROGRAM,
                device,
                str(size),
                str(chunk),
                str(HASH_THREADS),
            ]
        ),
        text,
    )


def zero_script(device: str, runs, size: int, chunk: int = CHUNK) -> str:
    """Zeroes the runs' bytes of ``device`` on its host."""
    dev = shlex.quote(device)
    lines = ['set -e']
    for a, n in runs:
        end = min((a + n) * chunk, size)
        lines.append(
            'blkdiscard --zeroout -o %d -l %d %s'
            % (a * chunk, end - a * chunk, dev)
        )
    return '\n'.join(lines)


def serve_script(
    device: str, runs, size: int, export: str, chunk: int = CHUNK
) -> str:
    """The source host's read-only NBD server of the runs' bytes of
    ``device`` (the rest reads as holes): prints ``ready <port>`` once it
    answers, then runs until it is stopped (or for a day)."""
    ports = '$((%d + RANDOM %% %d))' % (
        copy_scripts.PORTS[0],
        copy_scripts.PORTS[1] - copy_scripts.PORTS[0] + 1,
    )
    argv = copy_scripts.serve_command(device, '@port@', export)
    # read-only; the filter after exportname; ends after a day at most
    argv = ['timeout', '86400', 'nbdkit', '-r'] + argv[1:]
    argv.insert(argv.index('--filter=exportname') + 1, '--filter=extentlist')
    serve = copy_scripts.shell_words(argv)
    uri = copy_scripts.shell_words([copy_scripts.nbd_uri('@port@', export)])
    return '\n'.join(
        [
            'set -u',
            'tmp=$(mktemp -d); trap \'rm -rf "$tmp"\' EXIT',
            'cat > "$tmp/extents" <<"OSM_EXTENTS"',
            extents(runs, size, chunk) + 'OSM_EXTENTS',
            'for try in $(seq %d); do' % copy_scripts.PORT_TRIES,
            '  port=%s' % ports,
            '  %s "extentlist=$tmp/extents" </dev/null >/dev/null '
            '2>"$tmp/err" &' % serve,
            '  server=$!',
            '  for i in $(seq 600); do',
            '    kill -0 "$server" 2>/dev/null || break',
            '    if timeout %d nbdinfo --size %s >/dev/null 2>&1; then'
            % (copy_scripts.HANDSHAKE_TIMEOUT, uri),
            '      echo "%s$port"; wait "$server"; exit 0' % READY,
            '    fi',
            '    sleep 0.1',
            '  done',
            '  kill "$server" 2>/dev/null; wait "$server" 2>/dev/null',
            'done',
            'echo "no NBD server would start:" $(tail -n 5 "$tmp/err") >&2',
            'exit %d' % copy_scripts.NO_SERVER,
        ]
    )


def delta_push(
    source_port: int | str, export: str, piece: int = PIECE
) -> list[str]:
    """The source host's copy of a pass (``@port@``: the forwarded port);
    the unchanged pieces read as holes and are skipped, the changed ones
    are sent whole (``--sparse=0``: zeros in them too).  Requests of a
    piece: nbdcopy's default (256 KiB) would send the whole request
    around a 64 KiB piece."""
    return [
        'nbdcopy',
        '--progress=1',
        '--flush',
        '--destination-is-zero',
        '--sparse=0',
        '--request-size=%d' % piece,
        copy_scripts.nbd_uri(source_port, export),
        copy_scripts.nbd_uri('@port@', export),
    ]


class DeltaCopy(blockcopy.BlockCopy):
    """Copies the chunks of a source device that differ from the
    destination device's (which holds an older copy)."""

    def __init__(
        self, *args, chunk: int = CHUNK, piece: int = PIECE, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        if chunk % piece:
            raise ValueError('a chunk must be whole pieces')
        self.chunk, self.piece = chunk, piece
        self._source_ports: dict[str, str] = {}

    def _refined(self, volume, send, zero, export):
        """The chunks that differ, compared again in pieces on both hosts:
        (pieces to send, pieces to zero, the source's hash of each piece
        written)."""
        ratio = self.chunk // self.piece
        last = chunk_count(volume.size, self.piece)

        def pieces(runs):
            return [
                (a * ratio, min((a + n) * ratio, last) - a * ratio)
                for a, n in runs
            ]

        listed = pieces(capped(runs_of(send), MAX_RUNS))
        src_p: list[str] = []
        dst_p: list[str] = []
        if listed:
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                found = [
                    pool.submit(
                        self._hashes,
                        host,
                        device,
                        volume.size,
                        listed,
                        export,
                        self.piece,
                    )
                    for host, device in (
                        (self.source, volume.source_device),
                        (self.dest, volume.dest_device),
                    )
                ]
                src_p, dst_p = (f.result() for f in found)
        indexes = [i for a, n in listed for i in range(a, a + n)]
        send_p, zero_p = compare(src_p, dst_p)
        expected = {indexes[k]: src_p[k] for k in send_p + zero_p}
        for a, n in pieces(runs_of(zero)):
            expected.update((i, ZERO) for i in range(a, a + n))
        send_p = [indexes[k] for k in send_p]
        zero_p = sorted(set(expected) - set(send_p))
        return send_p, zero_p, expected

    def push_argv(self, volume: blockcopy.Volume, export: str) -> list[str]:
        return delta_push(self._source_ports[export], export, self.piece)

    def copy(self, volume: blockcopy.Volume, verify: bool = True) -> Result:
        """One pass; the destination device equals the source afterwards.

        :raises osmigrateclient.exceptions.MigrateError: a step failed, or
            a chunk differs after the pass; nothing keeps running either way
        """
        started = self._clock()
        label = volume.label or volume.source_device
        export = secrets.token_hex(16)
        server = None
        #: seconds of each phase, for the log and the result's note
        phases: dict[str, float] = {}

        def phase(name: str) -> None:
            now = self._clock()
            phases[name] = now - started - sum(phases.values())

        try:
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                found = [
                    pool.submit(
                        self._hashes, host, device, volume.size, (), export
                    )
                    for host, device in (
                        (self.source, volume.source_device),
                        (self.dest, volume.dest_device),
                    )
                ]
                src, dst = (f.result() for f in found)
            phase('hash')
            send, zero = compare(src, dst)
            send_p, zero_p, expected = self._refined(
                volume, send, zero, export
            )
            phase('refine')
            send_runs = capped(runs_of(send_p), MAX_RUNS)
            zero_runs = runs_of(zero_p)
            sent = None
            # Not capped: a gap filled would zero data; batches instead.
            for k in range(0, len(zero_runs), MAX_RUNS):
                self._run(
                    self.dest,
                    zero_script(
                        volume.dest_device,
                        zero_runs[k : k + MAX_RUNS],
                        volume.size,
                        self.piece,
                    ),
                    timeout=HASH_TIMEOUT,
                )
            phase('zero')
            if send_runs:
                server = ssh.start(
                    self.runner,
                    self.source,
                    copy_scripts.tagged(
                        serve_script(
                            volume.source_device,
                            send_runs,
                            volume.size,
                            export,
                            self.piece,
                        ),
                        export,
                    ),
                )
                self._source_ports[export] = self._ready(server, label)
                sent = self._transfer(
                    volume,
                    export,
                    label,
                    blockcopy._Deadline(self.copy_timeout),
                )
            phase('send')
            written = capped(runs_of(expected), MAX_RUNS)
            if written:
                after = self._hashes(
                    self.dest,
                    volume.dest_device,
                    volume.size,
                    written,
                    export,
                    self.piece,
                )
                # (a capped run lists pieces between: unchanged, not known)
                checked = [
                    (i, got)
                    for i, got in zip(
                        (i for a, n in written for i in range(a, a + n)),
                        after,
                        strict=False,
                    )
                    if i in expected
                ]
                wrong = sum(got != expected[i] for i, got in checked)
                if wrong or len(checked) != len(expected):
                    raise exceptions.MigrateError(
                        'changed-block copy of %s does not match: %d of %d '
                        'pieces differ after the pass'
                        % (label, wrong or len(expected), len(expected))
                    )
            phase('verify')
        except BaseException:
            if server is not None:
                blockcopy._end(server)
            self._stop(export)
            raise
        finally:
            self._source_ports.pop(export, None)
        if server is not None:
            blockcopy._end(server)
            self._stop(export)
        note = ', '.join('%s %.1f s' % kv for kv in phases.items())
        LOG.info(
            '%s: %d of %d chunks changed (%d pieces sent), %d zeroed, '
            '%s bytes sent (%s)',
            label,
            len(send),
            len(src),
            len(send_p),
            len(zero),
            sent,
            note,
        )
        digest = hashlib.blake2b(
            '\n'.join(src).encode(), digest_size=16
        ).hexdigest()
        return Result(
            volume.size,
            'blake2b-chunks',
            digest,
            self._clock() - started,
            note,
            sent,
            len(src),
            len(send),
            len(zero),
        )

    def _hashes(
        self, host, device, size, runs, export, chunk=None
    ) -> list[str]:
        done = self._run(
            host,
            copy_scripts.tagged(
                hash_script(device, size, runs, chunk or self.chunk), export
            ),
            timeout=HASH_TIMEOUT,
        )
        return done.stdout.split()

    def _ready(self, proc, label: str) -> str:
        """The port the source host's server answers on."""
        for line in proc.stdout:
            if line.startswith(READY):
                return line[len(READY) :].strip()
        err = proc.stderr.read() if proc.stderr else ''
        raise exceptions.MigrateError(
            'changed-block copy of %s: the source host would not serve it: '
            '%s' % (label, err.strip())
        )


class Copier(volume_copy.Copier):
    """:class:`volume_copy.Copier` whose destination volume holds an older
    copy: a changed-block pass."""

    copy_class = DeltaCopy
