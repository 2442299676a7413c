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

"""The copy of one block device between two conversion hosts.

How the bytes flow (push, zeros detected where they are read)::

    source host                                 destination host
    nbdcopy <device> nbd://127.0.0.1:<port>/<e>   nbdkit file <device>
      |  reads locally, finds all-zero blocks      (writable, 127.0.0.1:
      v                                             <dport>, export <e> only)
    127.0.0.1:<port> ==== ssh -R <port>:127.0.0.1:<dport> ====^
                          (opened by the destination host with the link
                          key: the only login direction there is)

The destination host serves its device writable over NBD (nbdkit's file
plugin with a strict random export name, which it neither lists nor lets
another name reach) on 127.0.0.1 only, then logs into the source host with
the link key, forwarding a random port of the source host's 127.0.0.1 back
to that export (``ssh -R``, ``ExitOnForwardFailure``; another port is tried
when it is taken), and runs nbdcopy there as the remote command: the only
command, and the only forwarding, the link key is allowed on the source
host (:func:`osmigrateclient.transfer.host_scripts.link_key_line`).
nbdcopy reads the source device locally and detects all-zero blocks itself
(its sparse detection: a block device reports no holes), so zeros travel as
NBD zero requests of a few bytes, and not at all when the destination is
known to read as zeros (``dest_is_zero``, a new volume); only the non-zero
bytes cross the network, encrypted once by SSH.  Both hosts hash their
device (xxh128, else BLAKE3, else SHA-256 when one of them lacks both; the
tool reads the device itself, no pipe): the source while the copy runs, the
destination once it is done; the copy fails loudly if the hashes differ.

Measured on the development cloud (``tools/bench/blockcopy.py``, 4 GiB
volumes, 1 GiB of random data): 1.003 times the non-zero bytes sent,
whether the rest is holes or written zeros, where the former pull through
``ssh -L`` sent every byte of the volume; 3.6 times as fast as
``dd | ssh dd`` with holes, 3.8 times with written zeros, 1.4 times with
random data, verification included.

Every process is ended on every exit path: the NBD server and the tunnel by
the destination script's exit trap (nbdkit also exits with its parent),
nbdcopy by losing its connection when the tunnel ends; after a failure, a
timeout or an interruption, whatever still runs on either host under the
copy's random name (and its children: the hashes) is killed.

This module runs the copy and watches it; the command lines and scripts
it runs are in :mod:`~osmigrateclient.transfer.copy_scripts`, the hash
that verifies it in :mod:`~osmigrateclient.transfer.device_hash`.  The
changed-block pass (:mod:`~osmigrateclient.transfer.delta`) is a
:class:`BlockCopy` with another source command (:meth:`BlockCopy.push_argv`)
and ends its processes the same way (:class:`Deadline`,
:func:`end_process`).
"""

import concurrent.futures
import logging
import secrets
import threading
import time
import typing as ty

from osmigrateclient import exceptions
from osmigrateclient import progress as progress_mod
from osmigrateclient.transfer import copy_scripts
from osmigrateclient.transfer import device_hash
from osmigrateclient.transfer import ssh

LOG = logging.getLogger(__name__)


class Link(ty.NamedTuple):
    """How the destination host reaches the source host."""

    #: the source host's address as the destination host sees it
    address: str
    #: paths on the destination host
    key_file: str = '/root/.ssh/osm-link.key'
    known_hosts: str = '/root/.ssh/osm-link.known_hosts'
    user: str = 'root'
    port: int = 22


class Volume(ty.NamedTuple):
    """One device to copy."""

    source_device: str
    dest_device: str
    #: bytes to copy and hash (the source volume's size)
    size: int
    #: the destination device reads as zeros (a new volume)
    dest_is_zero: bool = False
    label: str = ''
    #: what the destination device is known to hold (a changed-block copy:
    #: the chunks.Hashes of the pass that last wrote it), else None
    dest_chunks: ty.Any = None


class Result(ty.NamedTuple):
    size: int
    #: the hash algorithm and the value both hosts computed ('' unverified)
    algo: str
    digest: str
    seconds: float
    note: str = ''
    #: bytes the source host sent through the SSH connection (ssh's own
    #: count: encryption and framing included, TCP/IP headers not); None
    #: when ssh did not say
    bytes_sent: int | None = None


class Deadline:
    """Ends the processes of one copy once ``seconds`` have passed.

    :param seconds: None for no deadline
    """

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.expired = False
        self._procs: list[ty.Any] = []
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        if seconds is not None:
            self._timer = threading.Timer(seconds, self.expire)
            self._timer.daemon = True
            self._timer.start()

    def watch(self, proc: ty.Any) -> ty.Any:
        """Give ``proc`` to the deadline (ended at once if it passed);
        returns ``proc``."""
        with self._lock:
            self._procs.append(proc)
            expired = self.expired
        if expired:
            end_process(proc)
        return proc

    def expire(self) -> None:
        """End the processes watched, and any watched from now on."""
        with self._lock:
            self.expired = True
            procs = list(self._procs)
        for proc in procs:
            end_process(proc)

    def cancel(self) -> None:
        """Stop the clock (the copy ended in time)."""
        if self._timer is not None:
            self._timer.cancel()


def end_process(proc: ty.Any) -> None:
    """Terminate a local process (an ssh session) and reap it; nothing if
    it has ended."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except Exception:
        proc.kill()
        proc.wait()


class BlockCopy:
    """Copies volumes from ``source`` to ``dest`` (conversion hosts).

    :param copy_timeout: seconds one :meth:`copy` may take, verification
        included; then it is stopped on both hosts and fails
    :param on_progress: called with (label, bytes done, bytes in all) at
        each progress step, beside ``progress`` (e.g. to log it)
    """

    #: hash the source device while the copy runs (it does not change), so
    #: that only the destination's hash follows the copy (issue 6: 19.2 s
    #: instead of 24.3 s for a sparse 4 GiB volume on the development cloud)
    hash_source_early = True

    def __init__(
        self,
        source: ssh.Host,
        dest: ssh.Host,
        link: Link,
        runner: ssh.Runner | None = None,
        progress: progress_mod.Progress | None = None,
        clock: ty.Callable[[], float] = time.monotonic,
        pause: ty.Callable[[float], None] = time.sleep,
        ready_timeout: float = copy_scripts.READY_TIMEOUT,
        copy_timeout: float | None = None,
        on_progress: ty.Callable[[str, int, int], None] | None = None,
    ) -> None:
        self.source = source
        self.dest = dest
        self.link = link
        self.runner = runner or ssh.Runner()
        self.progress = progress or progress_mod.Progress()
        self._clock = clock
        self._pause = pause
        self.ready_timeout = ready_timeout
        self.copy_timeout = copy_timeout
        self.on_progress = on_progress

    def copy(self, volume: Volume, verify: bool = True) -> Result:
        """Copy one device; verify it unless told not to.

        :raises osmigrateclient.exceptions.MigrateError: the copy failed,
            took longer than ``copy_timeout`` or the hashes differ; nothing
            keeps running either way
        """
        started = self._clock()
        label = volume.label or volume.source_device
        export = secrets.token_hex(16)
        deadline = Deadline(self.copy_timeout)
        hashes: list[ty.Any] = []
        try:
            hashing = None
            note = ''
            if verify:
                hashing = self._choose_hash()
                if hashing[0] == 'sha256sum':
                    note = 'verified with sha256 (no xxh128sum or b3sum on '
                    note += 'both hosts: slower)'
                    LOG.warning('%s: %s', label, note)
                if self.hash_source_early:
                    hashes.append(
                        self._start_hash(volume, hashing[0], export, deadline)
                    )
            sent = self._transfer(volume, export, label, deadline)
            algo = digest = ''
            if hashing is not None:
                if not hashes:
                    hashes.append(
                        self._start_hash(volume, hashing[0], export, deadline)
                    )
                hashes.append(
                    self._start_hash(
                        volume, hashing[0], export, deadline, dest=True
                    )
                )
                digest = self._compare(hashes, hashing[0], label)
                algo = hashing[1]
        except BaseException as e:
            deadline.cancel()
            for proc in hashes:
                end_process(proc)
            self._stop(export)
            if deadline.expired:
                raise exceptions.MigrateError(
                    'copy of %s did not finish within %g s: stopped'
                    % (label, self.copy_timeout)
                ) from e
            raise
        deadline.cancel()
        return Result(
            volume.size,
            algo,
            digest,
            self._clock() - started,
            note,
            sent,
        )

    # -- steps --------------------------------------------------------------

    def _run(self, host: ssh.Host, command, **kwargs) -> ssh.Completed:
        return ssh.run(self.runner, host, command, **kwargs)

    def _choose_hash(self) -> tuple[str, str]:
        """Asks both hosts at once which hash tools they have."""
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            found = [
                pool.submit(
                    self._run,
                    host,
                    device_hash.hash_tools_script(),
                    timeout=60,
                )
                for host in (self.source, self.dest)
            ]
            return device_hash.choose_hash(*(f.result().stdout for f in found))

    def _stop(self, export: str) -> None:
        """End what still runs for the copy on both hosts."""
        for host in (self.dest, self.source):
            try:
                self._run(
                    host,
                    copy_scripts.stop_script(export),
                    check=False,
                    timeout=30,
                )
            except exceptions.MigrateError as e:
                LOG.warning('cannot stop the copy on %s: %s', host.label, e)

    def _transfer(
        self, volume: Volume, export: str, label: str, deadline: Deadline
    ) -> int | None:
        """Run the copy; the bytes the source host sent, if known."""
        script = copy_scripts.copy_script(
            self.link,
            volume,
            export,
            self.ready_timeout,
            self.push_argv(volume, export),
        )
        meter = self.progress.start('volume %s' % label, volume.size)
        proc = deadline.watch(
            ssh.start(
                self.runner, self.dest, copy_scripts.tagged(script, export)
            )
        )
        done = 0
        sent = None
        try:
            for line in proc.stdout:
                percent = copy_scripts.parse_progress(line)
                if percent is not None:
                    now = volume.size * percent // 100
                    meter.update(now - done)
                    done = now
                    self._report(label, done, volume.size)
                elif copy_scripts.parse_received(line) is not None:
                    sent = copy_scripts.parse_received(line)
            err = proc.stderr.read() if proc.stderr else ''
            rc = proc.wait()
        except BaseException:
            end_process(proc)
            raise
        if rc != 0:
            raise exceptions.MigrateError(
                # Both hosts: either end may be the one that broke.
                'copy of %s on %s to %s on %s failed (exit code %d): %s'
                % (
                    volume.source_device,
                    self.source.label,
                    volume.dest_device,
                    self.dest.label,
                    rc,
                    (err or '').strip(),
                )
            )
        meter.update(volume.size - done)
        self._report(label, volume.size, volume.size)
        meter.finish()
        return sent

    def push_argv(self, volume: Volume, export: str) -> list[str]:
        """The source host's command of the copy (``@port@``: the
        forwarded port)."""
        return copy_scripts.push_command(volume, '@port@', export)

    def _report(self, label: str, done: int, total: int) -> None:
        LOG.debug('%s: %d of %d bytes', label, done, total)
        if self.on_progress is not None:
            self.on_progress(label, done, total)

    def _start_hash(
        self,
        volume: Volume,
        tool: str,
        export: str,
        deadline: Deadline,
        dest: bool = False,
    ):
        host, device = (self.source, volume.source_device)
        if dest:
            host, device = (self.dest, volume.dest_device)
        return deadline.watch(
            ssh.start(
                self.runner,
                host,
                copy_scripts.tagged(
                    device_hash.hash_script(tool, device, volume.size),
                    export,
                ),
            )
        )

    def _compare(self, procs: list[ty.Any], tool: str, label: str) -> str:
        """The digest both hash processes (source, destination) print.

        :raises osmigrateclient.exceptions.MigrateError: they differ, or a
            hash failed
        """
        digests = []
        for proc, host in zip(procs, (self.source, self.dest), strict=True):
            out = proc.stdout.read()
            err = proc.stderr.read() if proc.stderr else ''
            if proc.wait() != 0 or not out.split():
                raise exceptions.MigrateError(
                    'cannot hash %s on %s: %s'
                    % (label, host.label, (err or '').strip())
                )
            digests.append(out.split()[0])
        if digests[0] != digests[1]:
            raise exceptions.MigrateError(
                'copy of %s does not match: %s %s on the source, %s on the '
                'destination' % (label, tool, digests[0], digests[1])
            )
        return digests[0]
