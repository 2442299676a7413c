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
              (python3 hashlib: SHA-256 or BLAKE2b, chunks.ALGOS; an
              all-zero chunk is "z"), and it compares the two lists; or
              only the source host, when the destination's list is known
              (the list of the pass that last wrote it: Volume.dest_chunks):

    known list --stdin--> source host: hashes each chunk, and the pieces
                          of a chunk that differs from the list
                              | the chunk's index, as soon as found
                              v
                          migrator --stdin--> destination host: hashes
                                              that chunk's pieces
                              | the pieces that differ, both hashed
                              v
                          a batch of them sent as below, while the
                          source reads on (delta_batches); the rest after

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

Chunk size: 256 KiB (:func:`chunks.chunk_size`: larger above 256 GiB,
so that a list has a million lines at most), then pieces of 64 KiB.  The
chunk size hardly changes the time to hash a device (64 KiB to 4 MiB,
measured on the development machine; 256 KiB and 1 MiB both 3.9 to
5.1 s for 8 GiB holding 4 GiB, the disk's noise), so the choice weighs
the list's length (33 bytes a chunk: 13.5 MB for 100 GiB) against what a
scattered small write costs: its whole chunk hashed again on both hosts
(the destination's read while the source's goes on: 317 MiB for the
1,269 chunks of tools/bench/warm.py, 1.1 GiB with chunks of 1 MiB).  The
whole device is compared in chunks, then only the chunks that differ are
hashed again in 64 KiB pieces, and only the pieces that differ travel or
are zeroed (with a known list, hashed while the source reads on, the
source's from the chunk it has just read, not after it).  Scattered
64 KiB writes (2 % of a volume's data) sent 1.0x the changed bytes with
pieces, 16x with whole chunks of 1 MiB (tools/bench/warm.py).

The source device must not change during a pass (a snapshot's volume, or
a stopped server's).  Every process is ended on every exit path, as for a
full copy (:func:`copy_scripts.stop_script`, by the copy's random name).

The chunk arithmetic and the scripts the hosts run are in
:mod:`osmigrateclient.transfer.chunks`; this module runs a pass.
"""

import concurrent.futures
import functools
import hashlib
import logging
import secrets
import threading
import typing as ty

from osmigrateclient import exceptions
from osmigrateclient.transfer import blockcopy
from osmigrateclient.transfer import chunks
from osmigrateclient.transfer import copy_scripts
from osmigrateclient.transfer import delta_batches
from osmigrateclient.transfer import ssh
from osmigrateclient.transfer import volume_copy

LOG = logging.getLogger(__name__)

#: seconds hashing one device may take at most
HASH_TIMEOUT = 6 * 3600


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
    #: the source's chunk list: what the destination holds after the pass
    hashes: "chunks.Hashes | None" = None


class DeltaCopy(blockcopy.BlockCopy):
    """Copies the chunks of a source device that differ from the
    destination device's (which holds an older copy)."""

    def __init__(
        self,
        *args,
        chunk: int | None = None,
        piece: int = chunks.PIECE,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        if chunk is not None and chunk % piece:
            raise ValueError('a chunk must be whole pieces')
        #: the chunk size, or None: the device's (chunks.chunk_size)
        self._chunk = chunk
        self.chunk, self.piece = chunk or chunks.CHUNK, piece
        self._source_ports: dict[str, str] = {}

    def _pieces(self, volume, runs) -> list[tuple[int, int]]:
        """Runs of chunks as runs of pieces."""
        ratio = self.chunk // self.piece
        last = chunks.chunk_count(volume.size, self.piece)
        return [
            (a * ratio, min((a + n) * ratio, last) - a * ratio)
            for a, n in runs
        ]

    def _refined(self, volume, send, zero, export, algo):
        """The chunks that differ, compared again in pieces on both hosts:
        (pieces to send, pieces to zero, the source's hash of each piece
        written)."""
        pieces = functools.partial(self._pieces, volume)
        listed = pieces(chunks.capped(chunks.runs_of(send), chunks.MAX_RUNS))
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
                        algo,
                    )
                    for host, device in (
                        (self.source, volume.source_device),
                        (self.dest, volume.dest_device),
                    )
                ]
                src_p, dst_p = (f.result().hashes for f in found)
        indexes = [i for a, n in listed for i in range(a, a + n)]
        send_p, zero_p = chunks.compare(src_p, dst_p)
        expected = {indexes[k]: src_p[k] for k in send_p + zero_p}
        for a, n in pieces(chunks.runs_of(zero)):
            expected.update((i, chunks.ZERO) for i in range(a, a + n))
        send_p = [indexes[k] for k in send_p]
        zero_p = sorted(set(expected) - set(send_p))
        return send_p, zero_p, expected

    def _in_pieces(self, volume, send, zero, found):
        """:meth:`_refined`'s answer from the pieces' hashes ``found``
        (``{chunk: (source's, destination's)}``) of the chunks to send."""
        ratio = self.chunk // self.piece
        expected: dict[int, str] = {}
        send_p = []
        for i in send:
            src_p, dst_p = found[i]
            if len(src_p) != len(dst_p):
                raise exceptions.MigrateError(
                    'chunk %d: %d pieces on the source, %d on the '
                    'destination' % (i, len(src_p), len(dst_p))
                )
            for k, (a, b) in enumerate(zip(src_p, dst_p, strict=True)):
                if a != b:
                    expected[i * ratio + k] = a
                    if a != chunks.ZERO:
                        send_p.append(i * ratio + k)
        for a, n in self._pieces(volume, chunks.runs_of(zero)):
            expected.update((i, chunks.ZERO) for i in range(a, a + n))
        zero_p = sorted(set(expected) - set(send_p))
        return send_p, zero_p, expected

    def _streamed(self, volume, export, known, phase, on_pieces=None):
        """The source's chunk list, hashed with the destination's known
        one on its stdin; the chunks that differ are hashed again in pieces
        on both hosts as the source finds them, the destination's while
        the source reads on: (the source's list, ``{chunk: (source's
        pieces, destination's)}`` of the chunks whose data differs).
        ``on_pieces(source's, destination's, first piece)`` hears of each
        such chunk as soon as both hosts hashed its pieces."""
        count = chunks.chunk_count(volume.size, self.chunk)
        ratio = self.chunk // self.piece
        source = dest = None
        writer = reader = None
        dest_lines: list[str] = []
        src_pieces: dict[int, list[str]] = {}

        def read_dest() -> None:
            # Read aside: a destination blocked on its output would stop
            # reading the chunks it is given, and the source behind it.
            for line in dest.stdout:
                dest_lines.append(line)
                if (
                    on_pieces is None
                    or len(dest_lines) == 1
                    or dest_lines[0].strip() != known.algo
                    or not line.strip()
                ):
                    continue
                try:
                    i, dst_p = chunks.parse_pieces(line, count, ratio)
                except exceptions.MigrateError:
                    continue  # reported once all is read
                src_p = src_pieces.get(i)
                if src_p is not None and len(src_p) == len(dst_p):
                    on_pieces(src_p, dst_p, i * ratio)

        try:
            dest = ssh.start(
                self.runner,
                self.dest,
                copy_scripts.tagged(
                    chunks.pieces_script(
                        volume.dest_device,
                        volume.size,
                        self.chunk,
                        self.piece,
                        known.algo,
                    ),
                    export,
                ),
                stdin=True,
            )
            reader = threading.Thread(target=read_dest, daemon=True)
            reader.start()
            source = ssh.start(
                self.runner,
                self.source,
                copy_scripts.tagged(
                    chunks.hash_script(
                        volume.source_device,
                        volume.size,
                        chunk=self.chunk,
                        algo=known.algo,
                        piece=self.piece,
                    ),
                    export,
                ),
                stdin=True,
            )
            writer = threading.Thread(
                target=_feed, args=(source, known.hashes), daemon=True
            )
            writer.start()
            src: list[str] = []
            lines = iter(source.stdout)
            algo = next(lines, '').strip()
            for line in lines:
                words = line.split()
                if not words:
                    continue
                if len(words) > 1:
                    src_pieces[len(src)] = words[1:]
                    _tell(dest, '%d\n' % len(src))
                src.append(words[0])
            source.wait(timeout=60)
            if source.returncode or algo != known.algo or len(src) != count:
                raise exceptions.MigrateError(
                    'hashing %s on %s failed (exit code %s, %d of %d '
                    'chunks): %s'
                    % (
                        volume.source_device,
                        self.source.label,
                        source.returncode,
                        len(src),
                        count,
                        source.stderr.read().strip()[:500],
                    )
                )
            phase('hash (source only)')
            _tell(dest, None)
            dest.wait(timeout=HASH_TIMEOUT)
            reader.join(timeout=60)
            if dest.returncode:
                raise exceptions.MigrateError(
                    'hashing pieces of %s on %s failed (exit code %d): %s'
                    % (
                        volume.dest_device,
                        self.dest.label,
                        dest.returncode,
                        dest.stderr.read().strip()[:500],
                    )
                )
        finally:
            for proc in (source, dest):
                if proc is not None:
                    blockcopy.end_process(proc)
        if not dest_lines or dest_lines[0].strip() != known.algo:
            raise exceptions.MigrateError(
                'host %s did not hash with %s' % (self.dest.label, known.algo)
            )
        dst_pieces = dict(
            chunks.parse_pieces(line, count, ratio)
            for line in dest_lines[1:]
            if line.strip()
        )
        if set(dst_pieces) != set(src_pieces):
            raise exceptions.MigrateError(
                'host %s hashed the pieces of %d chunks, not %d'
                % (self.dest.label, len(dst_pieces), len(src_pieces))
            )
        return src, {i: (src_pieces[i], dst_pieces[i]) for i in src_pieces}

    def _send(self, volume, export, label, pieces, deadline) -> int | None:
        """Send ``pieces`` (sorted) from the source host: a server of them
        there, and a push; the bytes sent, if ssh said."""
        runs = chunks.capped(chunks.runs_of(pieces), chunks.MAX_RUNS)
        server = deadline.watch(
            ssh.start(
                self.runner,
                self.source,
                copy_scripts.tagged(
                    chunks.serve_script(
                        volume.source_device,
                        runs,
                        volume.size,
                        export,
                        self.piece,
                    ),
                    export,
                ),
            )
        )
        try:
            self._source_ports[export] = self._ready(server, label)
            return self._transfer(volume, export, label, deadline)
        finally:
            blockcopy.end_process(server)
            self._source_ports.pop(export, None)

    def push_argv(self, volume: blockcopy.Volume, export: str) -> list[str]:
        return chunks.delta_push(
            self._source_ports[export], export, self.piece
        )

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

        self.chunk = self._chunk or chunks.chunk_size(volume.size)
        deadline = blockcopy.Deadline(self.copy_timeout)
        batches = None
        try:
            known = volume.dest_chunks
            count = chunks.chunk_count(volume.size, self.chunk)
            if known is not None and len(known.hashes) == count:
                algo = known.algo
                # What is found is sent while the source reads on.
                batches = delta_batches.Batches(
                    lambda pieces, n: self._send(
                        volume, '%s%04x' % (export, n), label, pieces, deadline
                    ),
                    self.piece,
                    deadline.expire,
                )
                src, found = self._streamed(
                    volume, export, known, phase, batches.found
                )
                send, zero = chunks.compare(src, known.hashes)
                send_p, zero_p, expected = self._in_pieces(
                    volume, send, zero, found
                )
                late = batches.finish(send_p)
            else:
                algo, src, dst = self._whole(volume, export)
                phase('hash')
                send, zero = chunks.compare(src, dst)
                send_p, zero_p, expected = self._refined(
                    volume, send, zero, export, algo
                )
                late = send_p
            phase('refine')
            send_runs = chunks.capped(chunks.runs_of(late), chunks.MAX_RUNS)
            zero_runs = chunks.runs_of(zero_p)
            sent = None
            if send_runs:
                # Served while the destination zeroes (other pieces).
                server = ssh.start(
                    self.runner,
                    self.source,
                    copy_scripts.tagged(
                        chunks.serve_script(
                            volume.source_device,
                            send_runs,
                            volume.size,
                            export,
                            self.piece,
                        ),
                        export,
                    ),
                )
            # Not capped: a gap filled would zero data; batches instead.
            for k in range(0, len(zero_runs), chunks.MAX_RUNS):
                self._run(
                    self.dest,
                    chunks.zero_script(
                        volume.dest_device,
                        zero_runs[k : k + chunks.MAX_RUNS],
                        volume.size,
                        self.piece,
                    ),
                    timeout=HASH_TIMEOUT,
                )
            phase('zero')
            if server is not None:
                self._source_ports[export] = self._ready(server, label)
                sent = self._transfer(volume, export, label, deadline)
            if batches is not None:
                batches.wait()
                if batches.sent is not None:
                    sent = (sent or 0) + batches.sent
            phase('send')
            written = chunks.capped(chunks.runs_of(expected), chunks.MAX_RUNS)
            if written:
                after = self._hashes(
                    self.dest,
                    volume.dest_device,
                    volume.size,
                    written,
                    export,
                    self.piece,
                    algo,
                ).hashes
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
            if batches is not None:
                batches.abort()
            if server is not None:
                blockcopy.end_process(server)
            self._stop(export)
            raise
        finally:
            deadline.cancel()
            self._source_ports.pop(export, None)
        if server is not None:
            blockcopy.end_process(server)
            self._stop(export)
        note = ', '.join('%s %.1f s' % kv for kv in phases.items())
        if batches is not None and batches.batches:
            note += ' (%d batches sent while hashing)' % batches.batches
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
            '%s-chunks' % algo,
            digest,
            self._clock() - started,
            note,
            sent,
            len(src),
            len(send),
            len(zero),
            chunks.Hashes(algo, src),
        )

    def _whole(self, volume, export) -> tuple[str, list[str], list[str]]:
        """(hash, the source's chunk list, the destination's), where the
        destination's is not known: both hosts hash at once, each with the
        hash of its choice; where they chose differently, the one that
        chose SHA-256 again with BLAKE2b."""
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
        if src.algo != dst.algo:
            fallback = chunks.ALGOS[-1]
            src, dst = (
                h
                if h.algo == fallback
                else self._hashes(
                    host, device, volume.size, (), export, algo=fallback
                )
                for h, host, device in (
                    (src, self.source, volume.source_device),
                    (dst, self.dest, volume.dest_device),
                )
            )
        return src.algo, src.hashes, dst.hashes

    def _hashes(
        self, host, device, size, runs, export, chunk=None, algo=chunks.AUTO
    ) -> chunks.Hashes:
        chunk = chunk or self.chunk
        done = self._run(
            host,
            copy_scripts.tagged(
                chunks.hash_script(device, size, runs, chunk, algo), export
            ),
            timeout=HASH_TIMEOUT,
        )
        count = chunks.chunk_count(size, chunk)
        expected = sum(n for _a, n in runs) if runs else count
        found = chunks.parse_hashes(done.stdout, expected)
        if algo != chunks.AUTO and found.algo != algo:
            raise exceptions.MigrateError(
                'host %s hashed with %s, not %s' % (host, found.algo, algo)
            )
        return found

    def _ready(self, proc, label: str) -> str:
        """The port the source host's server answers on."""
        for line in proc.stdout:
            if line.startswith(chunks.READY):
                return line[len(chunks.READY) :].strip()
        err = proc.stderr.read() if proc.stderr else ''
        raise exceptions.MigrateError(
            'changed-block copy of %s: the source host would not serve it: '
            '%s' % (label, err.strip())
        )


def _tell(proc, text: str | None) -> None:
    """``text`` on a host's stdin (None: its end); a host that has ended
    (its exit status says why) takes no more."""
    try:
        if text is None:
            proc.stdin.close()
        else:
            proc.stdin.write(text)
            proc.stdin.flush()
    except (OSError, ValueError):
        pass


def _feed(proc, hashes: list[str]) -> None:
    """The list a host compares with, on its stdin, all of it."""
    _tell(proc, '\n'.join(hashes) + '\n')
    _tell(proc, None)


class Copier(volume_copy.Copier):
    """:class:`volume_copy.Copier` whose destination volume holds an older
    copy: a changed-block pass."""

    copy_class = DeltaCopy
