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

"""The chunks of a changed-block copy (no I/O): the lists of their hashes
compared, runs of them, and what the hosts run on them: the hash of each
chunk, the zeroing of runs, the source's read-only NBD server of the runs
that travel and its push.  :mod:`osmigrateclient.transfer.delta` runs a
pass with them."""

import shlex
import typing as ty

from osmigrateclient import exceptions
from osmigrateclient.transfer import copy_scripts

#: bytes hashed and compared as one, at least (:func:`chunk_size`)
CHUNK = 256 * 1024
#: the most chunks of a device: a larger device's chunks are larger (a
#: list of 33 bytes a chunk, 35 MB at most, and the migrator holds it)
MAX_CHUNKS = 1024 * 1024
#: what a chunk that differs is compared in again; what travels
PIECE = 64 * 1024
#: the most runs of chunks a pass lists (a host's command line is limited:
#: closer runs are merged, sending some unchanged chunks)
MAX_RUNS = 2000
#: what the hash script prints for an all-zero chunk
ZERO = 'z'
#: the source host's NBD server: lines before it answers
READY = 'ready '

#: reads in flight on a host while it hashes: a conversion host reads its
#: volumes unbuffered (a loopback host's loop device, Ceph, iSCSI), where
#: one read at a time leaves the storage idle between them (16 read an
#: uncached 8 GiB volume holding 4 GiB about 1.2 times as fast as 4 here)
HASH_THREADS = 16

#: the hashes of chunks a host can compute, by name: SHA-256 (128 bits of
#: it) runs on the CPU's SHA instructions where it has them (x86 sha_ni,
#: ARMv8 sha2), at 1.7 GB/s a core on the development machine, twice
#: BLAKE2b's 0.87 GB/s; without them SHA-256 is about half BLAKE2b's speed
ALGOS = ('sha256', 'blake2b')
#: let the host choose (:data:`ALGOS`' first where its CPU has SHA
#: instructions, else the second)
AUTO = 'auto'

#: what both host programs begin with: the arguments ``dev size chunk
#: threads algo``, the hash (``digest``, the host's choice for ``auto``),
#: ``read(i, buf)`` (chunk ``i`` whole into ``buffer()``), ``is_zero`` and
#: ``pieces(view, piece)`` (the hash of each piece, ``z`` for an all-zero
#: one: its digest is a zero piece's).  Reads bypass the page cache
#: (O_DIRECT into page-aligned buffers, where the device takes it): on the
#: development machine a buffered read of a loop device cost five times
#: the CPU (0.46 against 0.09 s a GiB) and twice the time.  Reads and
#: hashes let go of the GIL: threads keep reads in flight, and more cores
#: hash faster.  A whole chunk is compared with zeros as bytes (a
#: memoryview compares byte by byte, 80 times slower), after three of its
#: bytes (data is seldom zero there).
_HOST_PRELUDE = r"""
import concurrent.futures, errno, hashlib, mmap, os, sys, threading
dev, size, chunk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
threads, algo = int(sys.argv[4]), sys.argv[5]
if algo == 'auto':
    try:
        with open('/proc/cpuinfo') as f:
            cpu = set(f.read().split())
    except OSError:
        cpu = set()
    algo = 'sha256' if cpu & {'sha_ni', 'sha2'} else 'blake2b'
if algo == 'sha256':
    digest = lambda v: hashlib.sha256(v).hexdigest()[:32]
else:
    digest = lambda v: hashlib.blake2b(v, digest_size=16).hexdigest()
count = (size + chunk - 1) // chunk
fd = os.open(dev, os.O_RDONLY)
try:
    direct = os.open(dev, os.O_RDONLY | os.O_DIRECT)
except (AttributeError, OSError):
    direct = None
ALIGN = 4096
def buffer():
    return mmap.mmap(-1, chunk)
def read(i, buf):
    want = min(chunk, size - i * chunk)
    view = memoryview(buf)[:want]
    got = 0
    use = direct if direct is not None and want % ALIGN == 0 else fd
    while got < want:
        try:
            k = os.preadv(use, [view[got:]], i * chunk + got)
        except OSError as e:
            if use == fd or e.errno != errno.EINVAL:
                raise
            use = fd
            continue
        if k <= 0:
            raise SystemExit('short read at %d' % (i * chunk + got))
        got += k
        if got % ALIGN:
            use = fd
    return view
zero = bytes(chunk)
def is_zero(view):
    n = len(view)
    if view[0] or view[n // 2] or view[n - 1]:
        return False
    return view.tobytes() == (zero if n == chunk else zero[:n])
zeros = {}
def pieces(view, piece):
    out = []
    for k in range(0, len(view), piece):
        h = digest(view[k:k + piece])
        n = min(piece, len(view) - k)
        if n not in zeros:
            zeros[n] = digest(bytes(n))
        out.append('z' if h == zeros[n] else h)
    return out
"""

#: python3 on a host: the hash it uses on a line, then one line per chunk
#: (argument ``piece`` 0: of the ranges read from stdin, ``first count``
#: lines, none: every chunk), its hash or "z".  With a ``piece`` size,
#: stdin holds the hash list of the device the chunks are compared with
#: (one per chunk): the line of a chunk whose data differs from it goes
#: on with the hashes of its pieces, hashed from what was read.  Blocks of
#: chunks go to :data:`HASH_THREADS` threads.
_HASH_PROGRAM = (
    _HOST_PRELUDE
    + r"""
piece = int(sys.argv[6])
print(algo, flush=True)
lines = [l.strip() for l in sys.stdin if l.strip()]
if piece:
    known = lines
    if len(known) != count:
        raise SystemExit('%d hashes to compare with, %d chunks' % (
            len(known), count))
    items = range(count)
else:
    known = None
    runs = [tuple(map(int, l.split())) for l in lines] or [(0, count)]
    items = [i for first, n in runs for i in range(first, first + n)]
def block(first):
    buf = buffer()
    out = []
    for i in items[first:first + 64]:
        view = read(i, buf)
        if is_zero(view):
            out.append('z')
            continue
        h = digest(view)
        if known is not None and known[i] != h:
            h = ' '.join([h] + pieces(view, piece))
        out.append(h)
    return out
with concurrent.futures.ThreadPoolExecutor(threads) as ex:
    for out in ex.map(block, range(0, len(items), 64)):
        if out:
            print('\n'.join(out), flush=known is not None)
"""
)

#: python3 on a host: for each chunk index read from stdin, as they come,
#: a line ``index`` and the hashes of the chunk's pieces (argument
#: ``piece``), in the order they are done.
_PIECES_PROGRAM = (
    _HOST_PRELUDE
    + r"""
piece = int(sys.argv[6])
print(algo, flush=True)
lock = threading.Lock()
def one(i):
    if not 0 <= i < count:
        raise SystemExit('no chunk %d' % i)
    line = '%d %s\n' % (i, ' '.join(pieces(read(i, buffer()), piece)))
    with lock:
        sys.stdout.write(line)
        sys.stdout.flush()
with concurrent.futures.ThreadPoolExecutor(threads) as ex:
    done = [ex.submit(one, int(l)) for l in sys.stdin if l.strip()]
    for f in done:
        f.result()
"""
)


def chunk_size(size: int) -> int:
    """The chunk of a device of ``size`` bytes: :data:`CHUNK`, doubled
    while the device would have more than :data:`MAX_CHUNKS` (512 KiB
    above 256 GiB, 1 MiB above 512 GiB, 2 MiB above 1 TiB)."""
    chunk = CHUNK
    while size > chunk * MAX_CHUNKS:
        chunk *= 2
    return chunk


def chunk_count(size: int, chunk: int | None = None) -> int:
    """A device's chunks (of :func:`chunk_size` unless ``chunk``)."""
    chunk = chunk or chunk_size(size)
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


class Hashes(ty.NamedTuple):
    """The hashes of a device's chunks, and the hash they are of."""

    algo: str
    hashes: list[str]


def parse_hashes(output: str, expected: int) -> Hashes:
    """What :func:`hash_script` printed, checked: ``expected`` lines."""
    lines = output.split()
    if not lines or lines[0] not in ALGOS or len(lines) != expected + 1:
        raise exceptions.MigrateError(
            'the hashes of %d chunks were expected, the host printed: %s'
            % (expected, output[:200])
        )
    return Hashes(lines[0], lines[1:])


def parse_pieces(line: str, count: int, pieces: int) -> tuple[int, list[str]]:
    """(chunk index, its pieces' hashes) of a line a host printed for one
    of ``count`` chunks of ``pieces`` pieces (fewer for the last)."""
    words = line.split()
    try:
        index = int(words[0])
    except (IndexError, ValueError):
        index = -1
    if not 0 <= index < count or not 0 < len(words) - 1 <= pieces:
        raise exceptions.MigrateError(
            'the hashes of the pieces of a chunk were expected, the host '
            'printed: %s' % line[:200]
        )
    return index, words[1:]


def extents(runs, size: int, chunk: int) -> str:
    """nbdkit's extent list (``offset length``) of the runs' bytes."""
    return ''.join(
        '%d %d\n' % (a * chunk, min((a + n) * chunk, size) - a * chunk)
        for a, n in runs
    )


def _program(program: str, device: str, size: int, chunk: int, algo: str):
    return [
        'python3',
        '-c',
        program,
        device,
        str(size),
        str(chunk),
        str(HASH_THREADS),
        algo,
    ]


def hash_script(
    device: str,
    size: int,
    runs=(),
    chunk: int | None = None,
    algo: str = AUTO,
    piece: int = 0,
):
    """Prints the hash used (``algo``, or the host's choice), then a line
    per chunk of ``runs`` (all when none): its hash.  With ``piece``, the
    hash list to compare with is read from stdin (``runs`` not given).
    Chunks of :func:`chunk_size` unless ``chunk``."""
    chunk = chunk or chunk_size(size)
    argv = _program(_HASH_PROGRAM, device, size, chunk, algo) + [str(piece)]
    if piece:
        return shlex.join(argv)
    text = ''.join('%d %d\n' % r for r in runs)
    return '%s <<"OSM_RUNS"\n%sOSM_RUNS' % (shlex.join(argv), text)


def pieces_script(
    device: str, size: int, chunk: int, piece: int, algo: str
) -> str:
    """Prints ``algo``, then for each chunk index that comes on stdin a
    line: the index and its pieces' hashes (:func:`parse_pieces`)."""
    return shlex.join(
        _program(_PIECES_PROGRAM, device, size, chunk, algo) + [str(piece)]
    )


def zero_script(device: str, runs, size: int, chunk: int) -> str:
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


def serve_script(device: str, runs, size: int, export: str, chunk: int) -> str:
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
