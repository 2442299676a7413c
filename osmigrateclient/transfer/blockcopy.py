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

How the bytes flow::

    source host                              destination host
    nbdkit --readonly file <device>  <-ssh -L-  nbdcopy nbd://... <device>
    (127.0.0.1:<port>, random export name)    (tunnel with the link key)

The source exports its device read-only, on 127.0.0.1 only, under a random
export name, and exits with its SSH session.  The destination host opens a
tunnel to it with the link key and runs nbdcopy, which asks the export for
its allocation (NBD block status): holes are never read over the tunnel,
and zeros are written as zeros only when the destination is not known to
read as zeros already (``dest_is_zero``).  Both hosts then hash the device
(xxh128, else BLAKE3, else SHA-256 when one of them lacks both) and the
copy fails loudly if the hashes differ.

Every process is ended on every exit path: the source export by ending its
SSH session, the tunnel by the destination script's exit trap.
"""

import logging
import secrets
import shlex
import time
import typing as ty

from osmigrateclient import exceptions
from osmigrateclient.transfer import image_blobs
from osmigrateclient.transfer import ssh

LOG = logging.getLogger(__name__)

#: hash tools in order of preference: (tool, algorithm name)
HASHES = (
    ('xxh128sum', 'xxh128'),
    ('b3sum', 'blake3'),
    ('sha256sum', 'sha256'),
)
#: ports the source export picks from
PORTS = (49152, 65535)
#: seconds the export may take to answer
READY_TIMEOUT = 60.0
#: tries with another port when the chosen one is taken
PORT_TRIES = 3


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


class Result(ty.NamedTuple):
    size: int
    #: the hash algorithm and the value both hosts computed ('' unverified)
    algo: str
    digest: str
    seconds: float
    note: str = ''


# -- command lines -----------------------------------------------------------


def nbd_uri(port: int, export: str) -> str:
    return 'nbd://127.0.0.1:%d/%s' % (port, export)


def export_command(
    device: str, port: int, export: str, tool: str = 'nbdkit'
) -> list[str]:
    """The source host's read-only NBD export of ``device``."""
    if tool == 'nbdkit':
        return [
            'nbdkit',
            '--readonly',
            '--exit-with-parent',
            '--foreground',
            '--ipaddr',
            '127.0.0.1',
            '--port',
            str(port),
            '--exportname',
            export,
            'file',
            'file=%s' % device,
        ]
    return [
        'qemu-nbd',
        '--read-only',
        '--persistent',
        '--shared=2',
        '--bind',
        '127.0.0.1',
        '--port',
        str(port),
        '--export-name',
        export,
        '--format',
        'raw',
        device,
    ]


def export_script(device: str, port: int, export: str) -> str:
    """nbdkit if the source host has it, else qemu-nbd.

    qemu-nbd has no --exit-with-parent: the script ends it when the SSH
    session closes its stdin... which a non-interactive session does not
    do, so it is killed by its unique export name on cleanup instead.
    """
    return (
        'if command -v nbdkit >/dev/null; then exec %s; else exec %s; fi'
        % (
            shlex.join(export_command(device, port, export)),
            shlex.join(export_command(device, port, export, 'qemu-nbd')),
        )
    )


def ready_command(port: int, export: str) -> list[str]:
    """Succeeds once the export answers (prints its size)."""
    return ['nbdinfo', '--size', nbd_uri(port, export)]


def stop_command(export: str) -> list[str]:
    """Ends whatever still serves ``export`` (a unique random name)."""
    return ['pkill', '-f', '--', '--export(name|-name) %s' % export]


def ssh_link_argv(link: Link, local_port: str, remote_port: int) -> list[str]:
    """The tunnel, run on the destination host."""
    return (
        ['ssh']
        + ssh.ssh_options(link.key_file, link.known_hosts)
        + [
            '-o',
            'ExitOnForwardFailure=yes',
            '-c',
            ssh.CIPHER,
            '-p',
            str(link.port),
            '-l',
            link.user,
            '-N',
            '-n',
            '-L',
            '127.0.0.1:%s:127.0.0.1:%d' % (local_port, remote_port),
            '--',
            link.address,
        ]
    )


def copy_script(
    link: Link, remote_port: int, export: str, volume: Volume
) -> str:
    """The destination host's part: tunnel, wait for it, nbdcopy.

    Progress goes to stdout as ``N/100`` lines; the tunnel ends with the
    script (exit trap), whatever way it ends.
    """
    # The local port is the shell's $port: quoted by hand.
    argv = ssh_link_argv(link, 'PORT', remote_port)
    at = argv.index('-L') + 1
    tunnel = '%s "%s" %s' % (
        shlex.join(argv[:at]),
        argv[at].replace('PORT', '$port'),
        shlex.join(argv[at + 1 :]),
    )
    nbdcopy = ['nbdcopy', '--progress=1', '--flush']
    if volume.dest_is_zero:
        nbdcopy.append('--destination-is-zero')
    uri = nbd_uri(0, export).replace(':0/', ':$port/')
    return '\n'.join(
        [
            'set -u',
            'tunnel=',
            'trap \'[ -n "$tunnel" ] && kill "$tunnel" 2>/dev/null\' EXIT',
            'for try in 1 2 3 4 5; do',
            '  port=$((49152 + RANDOM % 16383))',
            '  %s </dev/null &' % tunnel,
            '  tunnel=$!',
            '  for i in $(seq 100); do',
            '    nbdinfo --size "%s" >/dev/null 2>&1 && break 2' % uri,
            '    kill -0 "$tunnel" 2>/dev/null || break',
            '    sleep 0.2',
            '  done',
            '  kill "$tunnel" 2>/dev/null; wait "$tunnel" 2>/dev/null',
            '  tunnel=',
            'done',
            '[ -n "$tunnel" ] || { echo "no tunnel to the source host" >&2;'
            ' exit 90; }',
            '%s "%s" %s'
            % (shlex.join(nbdcopy), uri, shlex.quote(volume.dest_device)),
        ]
    )


def hash_tools_script() -> str:
    """Prints the hash tools the host has, one a line."""
    tools = ' '.join(tool for tool, _ in HASHES)
    return (
        'for t in %s; do command -v "$t" >/dev/null && echo "$t"; done; true'
        % tools
    )


def hash_script(tool: str, device: str, size: int) -> str:
    """Prints the hash of the first ``size`` bytes of ``device``."""
    return 'head -c %d %s | %s' % (size, shlex.quote(device), tool)


def choose_hash(src_tools: str, dst_tools: str) -> tuple[str, str]:
    """(tool, algorithm) of the best hash both hosts have.

    :raises osmigrateclient.exceptions.MigrateError: none in common
    """
    src, dst = set(src_tools.split()), set(dst_tools.split())
    for tool, algo in HASHES:
        if tool in src and tool in dst:
            return tool, algo
    raise exceptions.MigrateError(
        'no hash tool on both conversion hosts (%s): cannot verify the copy '
        '(or copy with --no-verify)' % ', '.join(t for t, _ in HASHES)
    )


def parse_progress(line: str) -> int | None:
    """The percentage of an nbdcopy ``N/100`` progress line."""
    text = line.strip()
    if text.endswith('/100'):
        try:
            return int(text[:-4])
        except ValueError:
            return None
    return None


# -- the copy ----------------------------------------------------------------


class BlockCopy:
    """Copies volumes from ``source`` to ``dest`` (conversion hosts)."""

    def __init__(
        self,
        source: ssh.Host,
        dest: ssh.Host,
        link: Link,
        runner: ssh.Runner | None = None,
        progress: image_blobs.Progress | None = None,
        clock: ty.Callable[[], float] = time.monotonic,
        pause: ty.Callable[[float], None] = time.sleep,
        ready_timeout: float = READY_TIMEOUT,
    ) -> None:
        self.source = source
        self.dest = dest
        self.link = link
        self.runner = runner or ssh.Runner()
        self.progress = progress or image_blobs.Progress()
        self._clock = clock
        self._pause = pause
        self.ready_timeout = ready_timeout

    def copy(self, volume: Volume, verify: bool = True) -> Result:
        """Copy one device; verify it unless told not to.

        :raises osmigrateclient.exceptions.MigrateError: the copy failed
            or the hashes differ; nothing keeps running either way
        """
        started = self._clock()
        label = volume.label or volume.source_device
        hashing = None
        note = ''
        if verify:
            hashing = choose_hash(
                self._run(self.source, hash_tools_script()).stdout,
                self._run(self.dest, hash_tools_script()).stdout,
            )
            if hashing[0] == 'sha256sum':
                note = 'verified with sha256 (no xxh128sum or b3sum on both '
                note += 'hosts: slower)'
                LOG.warning('%s: %s', label, note)
        export = secrets.token_hex(16)
        server, port = self._start_export(volume, export)
        try:
            self._transfer(volume, port, export, label)
        finally:
            self._stop_export(server, export)
        algo = digest = ''
        if hashing is not None:
            digest = self._verify(volume, hashing[0], label)
            algo = hashing[1]
        return Result(volume.size, algo, digest, self._clock() - started, note)

    # -- steps --------------------------------------------------------------

    def _run(self, host: ssh.Host, command, **kwargs) -> ssh.Completed:
        return ssh.run(self.runner, host, command, **kwargs)

    def _start_export(self, volume: Volume, export: str):
        """(the local ssh process serving the export, its port)."""
        last = ''
        for _ in range(PORT_TRIES):
            port = PORTS[0] + secrets.randbelow(PORTS[1] - PORTS[0] + 1)
            server = ssh.start(
                self.runner,
                self.source,
                export_script(volume.source_device, port, export),
            )
            problem = self._wait_ready(server, port, export)
            if not problem:
                return server, port
            last = problem
            self._stop_export(server, export)
        raise exceptions.MigrateError(
            'the NBD export of %s on %s did not start: %s'
            % (volume.source_device, self.source.label, last)
        )

    def _wait_ready(self, server, port: int, export: str) -> str:
        """'' once the export answers, else why it does not."""
        deadline = self._clock() + self.ready_timeout
        while True:
            if server.poll() is not None:
                err = server.stderr.read() if server.stderr else ''
                return 'exited with code %s: %s' % (
                    server.returncode,
                    (err or '').strip(),
                )
            done = self._run(
                self.source, ready_command(port, export), check=False
            )
            if done.returncode == 0:
                return ''
            if self._clock() >= deadline:
                return 'no answer within %d s' % self.ready_timeout
            self._pause(0.2)

    def _stop_export(self, server, export: str) -> None:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except Exception:
                server.kill()
                server.wait()
        # qemu-nbd does not exit with its session.
        self._run(self.source, stop_command(export), check=False, timeout=30)

    def _transfer(self, volume: Volume, port: int, export: str, label: str):
        script = copy_script(self.link, port, export, volume)
        proc = ssh.start(self.runner, self.dest, ['bash', '-c', script])
        meter = self.progress.start('volume %s' % label, volume.size)
        done = 0
        try:
            for line in proc.stdout:
                percent = parse_progress(line)
                if percent is not None:
                    now = volume.size * percent // 100
                    meter.update(now - done)
                    done = now
            err = proc.stderr.read() if proc.stderr else ''
            rc = proc.wait()
        except BaseException:
            proc.terminate()
            proc.wait()
            raise
        if rc != 0:
            raise exceptions.MigrateError(
                'copy of %s to %s on %s failed (exit code %d): %s'
                % (
                    volume.source_device,
                    volume.dest_device,
                    self.dest.label,
                    rc,
                    (err or '').strip(),
                )
            )
        meter.update(volume.size - done)
        meter.finish()

    def _verify(self, volume: Volume, tool: str, label: str) -> str:
        procs = [
            ssh.start(
                self.runner, host, hash_script(tool, device, volume.size)
            )
            for host, device in (
                (self.source, volume.source_device),
                (self.dest, volume.dest_device),
            )
        ]
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
