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

"""Commands on a conversion host, over SSH, with a pinned host key.

A host's key is never taken on first use: it comes from the block that
cloud-init prints on the server's console::

    -----BEGIN SSH HOST KEY KEYS-----
    ssh-ed25519 AAAA... root@host
    -----END SSH HOST KEY KEYS-----

and is written into a known_hosts file of the data directory, which every
``ssh`` call then checks strictly (``StrictHostKeyChecking=yes``, no global
known_hosts).  Calls never prompt (``BatchMode=yes``) and give up on an
unreachable host after ``ConnectTimeout`` seconds.

Every call carries its whole configuration: no ``ssh_config`` is read
(``-F /dev/null``: the operator's ``ForwardAgent``, ``ControlMaster`` or
``ProxyCommand`` never reach a conversion host), no agent, no forwarding
but the one asked for, no shared connection but a copy's own
(:class:`Shared`: a session through it starts in a few milliseconds,
where one of its own spends about 0.25 s on the development machine in
the handshake, and a changed-block pass makes a dozen).

The keys live in ``<data-dir>/conversion/`` (the pioneering tool's
layout): ``ssh.key`` (migrator to hosts), ``link-ssh.key`` (destination
host to source host) and ``known_hosts``; :func:`ensure_key` makes a key
pair, :func:`local_address` finds the migrator's address that a host sees.
"""

import functools
import logging
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import typing as ty

from osmigrateclient import datadir
from osmigrateclient import datafile
from osmigrateclient import exceptions

LOG = logging.getLogger(__name__)

BEGIN = '-----BEGIN SSH HOST KEY KEYS-----'
END = '-----END SSH HOST KEY KEYS-----'

#: seconds ssh waits for the TCP connection
CONNECT_TIMEOUT = 10
#: the fastest cipher measured between the loopback hosts (issue 6)
CIPHER = 'aes128-gcm@openssh.com'

KEY_TYPES = (
    'ssh-ed25519',
    'ssh-rsa',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'sk-ssh-ed25519@openssh.com',
    'sk-ecdsa-sha2-nistp256@openssh.com',
)
#: the base64 of a public key
_BASE64 = re.compile(r'[A-Za-z0-9+/]+={0,3}\Z')


def conversion_dir(data_dir: str) -> str:
    return os.path.join(data_dir, datadir.CONVERSION)


def key_path(data_dir: str) -> str:
    """The private key the migrator logs into conversion hosts with."""
    return os.path.join(conversion_dir(data_dir), datadir.SSH_KEY)


def link_key_path(data_dir: str) -> str:
    """The private key the destination host reaches the source host with."""
    return os.path.join(conversion_dir(data_dir), datadir.LINK_SSH_KEY)


def known_hosts_path(data_dir: str) -> str:
    return os.path.join(conversion_dir(data_dir), datadir.KNOWN_HOSTS)


# -- host keys ---------------------------------------------------------------


def host_keys_from_console(console: str) -> list[str]:
    """The host public keys (``<type> <base64>``) of a console log.

    The last complete block counts (a rebuilt server prints a new one);
    comments and lines that are not keys (or whose key is not base64) are
    dropped.  Empty when the log holds no complete block yet.
    """
    keys: list[str] = []
    current: list[str] | None = None
    for raw in (console or '').splitlines():
        # Consoles prefix lines with timestamps or "ci-info:"; keep the key.
        line = raw.strip()
        if line.endswith(BEGIN):
            current = []
            continue
        if line.endswith(END):
            if current is not None:
                keys = current
            current = None
            continue
        if current is None:
            continue
        for i, word in enumerate(line.split()):
            if word in KEY_TYPES:
                fields = line.split()[i : i + 2]
                if len(fields) == 2 and _BASE64.match(fields[1]):
                    current.append(' '.join(fields))
                break
    return keys


def known_hosts_lines(address: str, keys: ty.Iterable[str], port: int = 22):
    """known_hosts lines that pin ``keys`` for ``address``."""
    host = address if port == 22 else '[%s]:%d' % (address, port)
    return ['%s %s' % (host, key) for key in keys]


def pin_host_keys(
    path: str, address: str, keys: list[str], port: int = 22
) -> bool:
    """Make ``path`` hold exactly ``keys`` for ``address`` (other hosts'
    lines are kept); atomic, mode 0600.  Returns False if unchanged.

    :raises osmigrateclient.exceptions.MigrateError: no key to pin
    """
    if not keys:
        raise exceptions.MigrateError(
            'no SSH host key found for %s in its console log: cannot pin '
            'it (is cloud-init printing %s?)' % (address, BEGIN)
        )
    host = address if port == 22 else '[%s]:%d' % (address, port)
    try:
        with open(path, encoding='utf-8') as f:
            kept = [
                line
                for line in f.read().splitlines()
                if line.strip() and line.split()[0] != host
            ]
    except FileNotFoundError:
        kept = []
    lines = kept + known_hosts_lines(address, keys, port)
    return datafile.write_text(path, '\n'.join(lines) + '\n')


# -- running commands --------------------------------------------------------


#: the exit code of ssh's own failures (the host unreachable, the login
#: refused, the connection lost)
SSH_FAILED = 255


class Unreachable(exceptions.MigrateError):
    """ssh could not reach or log into ``host``, or lost it (exit code
    :data:`SSH_FAILED`)."""

    def __init__(self, problem: str, host: 'Host') -> None:
        super().__init__(problem)
        self.host = host


class Completed(ty.NamedTuple):
    returncode: int
    stdout: str
    stderr: str


#: what makes a local process die with the migrator, even a SIGKILLed one
PDEATHSIG = ('setpriv', '--pdeathsig', 'KILL')


@functools.cache
def death_prefix() -> tuple[str, ...]:
    """:data:`PDEATHSIG` where it works (Linux with util-linux 2.33 or
    later), else nothing.  Without it, an ``ssh`` left by a killed
    migrator copies on until its end; the next run stops it anyway."""
    if not sys.platform.startswith('linux') or not shutil.which(PDEATHSIG[0]):
        return ()
    try:
        works = (
            subprocess.run(
                [*PDEATHSIG, 'true'],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=10,
            ).returncode
            == 0
        )
    except (OSError, subprocess.SubprocessError):
        works = False
    return PDEATHSIG if works else ()


class Runner:
    """Runs local processes; tests give a fake one.

    Each process gets the signal KILL when the thread that started it
    ends (:func:`death_prefix`), so nothing outlives a killed migrator:
    start and wait for a process in the same thread.
    """

    def run(
        self,
        argv: list[str],
        timeout: float | None = None,
        input: str | None = None,
    ) -> Completed:
        try:
            proc = subprocess.run(
                [*death_prefix(), *argv],
                input=input,
                stdin=None if input is not None else subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as e:
            raise exceptions.MigrateError(
                'timed out after %s s: %s' % (timeout, shlex.join(argv[-1:]))
            ) from e
        return Completed(proc.returncode, proc.stdout, proc.stderr)

    def start(self, argv: list[str], stdin: bool = False) -> ty.Any:
        """A running process (``subprocess.Popen``), stdout and stderr
        (and with ``stdin``, stdin) piped as text."""
        return subprocess.Popen(
            [*death_prefix(), *argv],
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )


class Host(ty.NamedTuple):
    """A conversion host, as the migrator reaches it."""

    address: str
    key_file: str
    known_hosts: str
    user: str = 'root'
    port: int = 22
    connect_timeout: int = CONNECT_TIMEOUT
    #: a name for messages (the server's)
    name: str = ''
    #: the socket of a master connection its calls go through, if any
    #: (:class:`Shared`)
    control_path: str = ''

    @property
    def label(self) -> str:
        return self.name or self.address


def ensure_key(runner: Runner, path: str) -> str:
    """Generate an ed25519 key pair at ``path`` if missing; its public
    half (``<type> <base64>``)."""
    datafile.ensure_dir(os.path.dirname(path))
    if not os.path.exists(path):
        done = runner.run(
            [
                'ssh-keygen',
                '-q',
                '-t',
                'ed25519',
                '-N',
                '',
                '-C',
                'os-migrate',
                '-f',
                path,
            ],
            timeout=60,
        )
        if done.returncode != 0:
            raise exceptions.MigrateError(
                'ssh-keygen failed: %s' % done.stderr.strip()
            )
    os.chmod(path, 0o600)
    with open(path + '.pub', encoding='utf-8') as f:
        return ' '.join(f.read().split()[:2])


def local_address(runner: Runner, destination: str) -> str:
    """The address this machine uses to reach ``destination``
    (``ip route get``)."""
    done = runner.run(['ip', 'route', 'get', destination], timeout=30)
    words = done.stdout.split()
    if done.returncode == 0 and 'src' in words[:-1]:
        return words[words.index('src') + 1]
    raise exceptions.MigrateError(
        'cannot find the local address that reaches %s (ip route get: %s); '
        'give --allowed-cidr' % (destination, done.stderr.strip())
    )


def ssh_path(path: str) -> str:
    """``path`` as the value of an ssh file option.

    ssh expands ``%`` tokens and ``${VAR}`` in these options: ``%`` is
    escaped; ``${`` cannot be, so it is refused.

    :raises osmigrateclient.exceptions.MigrateError: ``path`` holds ``${``
    """
    if '${' in path:
        raise exceptions.MigrateError(
            'ssh cannot use a path that contains "${": %s' % path
        )
    return path.replace('%', '%%')


def ssh_options(
    key_file: str,
    known_hosts: str,
    connect_timeout: int = CONNECT_TIMEOUT,
    log_level: str = 'ERROR',
    forwarding: bool = False,
    control_path: str = '',
    master: bool = False,
) -> list[str]:
    """The options of every ssh call: key only, pinned host key, no prompt,
    no configuration file, agent or shared connection; no port forwarding
    unless ``forwarding`` (then only those of the command line).  With a
    ``control_path``, the call goes through the master connection there
    while it answers (else it connects on its own), or with ``master`` is
    that connection.

    ``log_level`` ``VERBOSE`` makes ssh also print, when it ends, the bytes
    it sent and received (``Transferred: sent N, received M bytes``).
    """
    options = [
        'IdentityFile=%s' % ssh_path(key_file),
        'IdentitiesOnly=yes',
        'IdentityAgent=none',
        'BatchMode=yes',
        'StrictHostKeyChecking=yes',
        'UserKnownHostsFile=%s' % ssh_path(known_hosts),
        'GlobalKnownHostsFile=/dev/null',
        'ForwardAgent=no',
        'ForwardX11=no',
        'ControlMaster=%s' % ('yes' if master else 'no'),
        'ControlPath=%s'
        % (ssh_path(control_path) if control_path else 'none'),
    ]
    if not forwarding:
        options.append('ClearAllForwardings=yes')
    options += [
        'ConnectTimeout=%d' % connect_timeout,
        'ServerAliveInterval=15',
        'ServerAliveCountMax=4',
        'LogLevel=%s' % log_level,
    ]
    argv = ['-F', '/dev/null']
    for option in options:
        argv += ['-o', option]
    return argv


def command_text(command: str | ty.Sequence[str]) -> str:
    """A remote command line: a sequence is quoted word by word, a string
    is a shell script taken as it is."""
    if isinstance(command, str):
        return command
    return shlex.join(command)


def ssh_argv(host: Host, command: str | ty.Sequence[str]) -> list[str]:
    """The local argv that runs ``command`` on ``host``."""
    return _argv(host, ['-T', '--', host.address, command_text(command)])


def master_argv(host: Host) -> list[str]:
    """The local argv of the master connection at ``host.control_path``:
    no command, in the foreground until it is ended."""
    return _argv(host, ['-N', '-T', '--', host.address], master=True)


def _argv(host: Host, tail: list[str], master: bool = False) -> list[str]:
    return (
        ['ssh']
        + ssh_options(
            host.key_file,
            host.known_hosts,
            host.connect_timeout,
            control_path=host.control_path,
            master=master,
        )
        + ['-p', str(host.port), '-l', host.user]
        + tail
    )


#: the start of a copy's socket directory's name (in the temporary
#: directory), then the migrator's pid and a dash
SOCKETS = 'osm-ssh-'
_SOCKETS_NAME = re.compile(r'%s([0-9]+)-[^/]+\Z' % SOCKETS)


def remove_stale_sockets(tmp: str | None = None) -> None:
    """Remove the socket directories of migrators that are gone (a killed
    one leaves its own): this user's, whose pid runs no more."""
    tmp = tmp or tempfile.gettempdir()
    try:
        names = os.listdir(tmp)
    except OSError:
        return
    for name in names:
        match = _SOCKETS_NAME.match(name)
        if not match:
            continue
        path = os.path.join(tmp, name)
        try:
            st = os.lstat(path)
            os.kill(int(match.group(1)), 0)
        except ProcessLookupError:
            pass  # gone
        except (OSError, OverflowError):
            continue  # running (another user's pid), or no such path
        else:
            continue
        if stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid():
            shutil.rmtree(path, ignore_errors=True)


class Shared:
    """The master connections of one copy, one per host, each on a socket
    in a private directory; :meth:`host` gives the host whose calls go
    through it.  Nothing waits for a master: a call made before it
    answers, or after it failed, connects on its own.  A master is a
    process of the thread that made it (:class:`Runner`), ended by
    :meth:`close`; ending it ends the sessions through it.  A killed
    migrator's directory is removed by the next copy.  Fake runners
    (tests') share nothing."""

    def __init__(self, runner: 'Runner') -> None:
        self.runner = runner
        self._dir: str | None = None
        self._masters: list[ty.Any] = []

    def host(self, host: Host) -> Host:
        if not isinstance(self.runner, Runner):
            return host
        if self._dir is None:
            remove_stale_sockets()
            # short: a socket's path has at most 107 bytes
            self._dir = tempfile.mkdtemp(
                prefix='%s%d-' % (SOCKETS, os.getpid())
            )
        shared = host._replace(
            control_path=os.path.join(self._dir, str(len(self._masters)))
        )
        self._masters.append(self.runner.start(master_argv(shared)))
        return shared

    def close(self) -> None:
        for proc in self._masters:
            if proc.poll() is None:
                proc.terminate()
            try:
                proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
        self._masters = []
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> 'Shared':
        return self

    def __exit__(self, *exc: ty.Any) -> None:
        self.close()


def run(
    runner: Runner,
    host: Host,
    command: str | ty.Sequence[str],
    timeout: float | None = None,
    check: bool = True,
) -> Completed:
    """Run ``command`` on ``host`` and wait for it.

    :raises osmigrateclient.exceptions.MigrateError: it failed (exit code
        not 0) and ``check`` is set; :class:`Unreachable` for ssh's own
        failures (code 255)
    """
    done = runner.run(ssh_argv(host, command), timeout=timeout)
    if check and done.returncode != 0:
        problem = '%s on %s failed (exit code %d): %s' % (
            _short(command),
            host.label,
            done.returncode,
            done.stderr.strip() or done.stdout.strip(),
        )
        if done.returncode == SSH_FAILED:
            raise Unreachable(problem, host)
        raise exceptions.MigrateError(problem)
    return done


def start(
    runner: Runner,
    host: Host,
    command: str | ty.Sequence[str],
    stdin: bool = False,
):
    """Start ``command`` on ``host``; the local ssh process is returned
    (with ``stdin``, what is written to its stdin reaches the command's).

    Ending the local process ends the SSH session, and with it remote
    commands that exit with their parent.
    """
    if stdin:
        return runner.start(ssh_argv(host, command), stdin=True)
    return runner.start(ssh_argv(host, command))


def _short(command: str | ty.Sequence[str]) -> str:
    text = command_text(command).strip().splitlines()
    first = text[0] if text else ''
    return repr(first if len(first) <= 60 else first[:57] + '...')
