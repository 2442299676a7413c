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

"""What a block copy runs on the conversion hosts, as command lines and
scripts (no I/O): the destination's NBD server, the source's push through
the link, the destination's script that ties them together and says what
it did, the tag that names every process of a copy and the script that
ends them.  :mod:`osmigrateclient.transfer.blockcopy` runs them, and draws
how the bytes flow."""

import re
import shlex
import typing as ty

from osmigrateclient.transfer import ssh

if ty.TYPE_CHECKING:
    from osmigrateclient.transfer import blockcopy

#: ports the NBD server and the forwarded port pick from
PORTS = (49152, 65535)
#: seconds the destination's NBD server may take to answer
READY_TIMEOUT = 60.0
#: tries with another port when the chosen one is taken
PORT_TRIES = 5
#: seconds an NBD handshake may take on 127.0.0.1
HANDSHAKE_TIMEOUT = 10
#: exit code of the destination script when no NBD server would start
NO_SERVER = 90
#: ssh's own failures
SSH_FAILED = 255
#: what the destination script prints once the copy is done: the bytes the
#: source host sent through the tunnel (ssh's count, SSH framing included)
RECEIVED = 'received '
#: ssh's verbose lines the destination script keeps out of error messages
_SSH_CHATTER = ('Authenticated to ', 'Transferred: ', 'Bytes per second: ')
#: the shell variables the destination script fills in
_VARIABLES = re.compile(r'@(port|dport)@')


def nbd_uri(port: int | str, export: str) -> str:
    return 'nbd://127.0.0.1:%s/%s' % (port, export)


def serve_command(device: str, port: int | str, export: str) -> list[str]:
    """The destination host's writable NBD server of ``device``: on
    127.0.0.1 only, answering to ``export`` only.

    nbdkit only: qemu-nbd refuses another export name too, but tells its
    name to any client that asks for the list (NBD_OPT_LIST, which it
    cannot refuse), so any local process could write to the device.
    """
    return [
        'nbdkit',
        '--exit-with-parent',
        '--foreground',
        '--ipaddr',
        '127.0.0.1',
        '--port',
        str(port),
        '--filter=exportname',
        'file',
        'file=%s' % device,
        'exportname=%s' % export,
        'exportname-strict=true',
        'exportname-list=error',
    ]


def push_command(
    volume: 'blockcopy.Volume', port: int | str, export: str
) -> list[str]:
    """Run on the source host: copies the device into the forwarded port.

    nbdcopy's sparse detection (on by default, 4 KiB blocks) turns all-zero
    blocks into zero requests, or skips them for a destination known to
    read as zeros.
    """
    argv = ['nbdcopy', '--progress=1', '--flush']
    if volume.dest_is_zero:
        argv.append('--destination-is-zero')
    return argv + [volume.source_device, nbd_uri(port, export)]


#: what :func:`push_command` gives, as the source host's forced command for
#: the link key checks it (``grep -Ex``; devices and export names of the
#: copy need no shell quoting)
PUSH_PATTERN = (
    'nbdcopy --progress=1 --flush( --destination-is-zero)? '
    '/dev/[-A-Za-z0-9/_.:]+ nbd://127[.]0[.]0[.]1:[0-9]+/[0-9a-f]+'
    # or a changed-block pass (osmigrateclient.transfer.delta): from the
    # source host's own read-only NBD server of its changed chunks
    '|nbdcopy --progress=1 --flush --destination-is-zero --sparse=0 '
    '(--request-size=[0-9]+ )?'
    'nbd://127[.]0[.]0[.]1:[0-9]+/[0-9a-f]+ '
    'nbd://127[.]0[.]0[.]1:[0-9]+/[0-9a-f]+'
)


def link_argv(
    link: 'blockcopy.Link', remote_port: int | str, local_port: int | str
):
    """The destination host's login into the source host, forwarding the
    source host's ``127.0.0.1:<remote_port>`` to its own local port."""
    return (
        ['ssh']
        + ssh.ssh_options(
            link.key_file,
            link.known_hosts,
            log_level='VERBOSE',
            forwarding=True,
        )
        + [
            '-o',
            'ExitOnForwardFailure=yes',
            '-c',
            ssh.CIPHER,
            '-p',
            str(link.port),
            '-l',
            link.user,
            '-T',
            '-n',
            '-R',
            '127.0.0.1:%s:127.0.0.1:%s' % (remote_port, local_port),
            '--',
            link.address,
        ]
    )


def shell_words(argv: ty.Sequence[str]) -> str:
    """``argv`` as shell words, in which ``@port@`` and ``@dport@`` stand
    for the values of the shell variables ``$port`` and ``$dport``."""
    words = []
    for word in argv:
        parts = _VARIABLES.split(word)
        text = ''.join(
            ('"$%s"' % part) if i % 2 else shlex.quote(part)
            for i, part in enumerate(parts)
            if part or i % 2
        )
        words.append(text or "''")
    return ' '.join(words)


def copy_script(
    link: 'blockcopy.Link',
    volume: 'blockcopy.Volume',
    export: str,
    ready_timeout: float = READY_TIMEOUT,
    push_argv: ty.Sequence[str] | None = None,
) -> str:
    """The destination host's part: serve, push from the source host
    (:func:`push_command`, unless ``push_argv`` says another).

    Progress goes to stdout as ``N/100`` lines, then ``received <bytes>``;
    the NBD server and the tunnel end with the script (exit trap), whatever
    way it ends.
    """
    uri = shell_words([nbd_uri('@dport@', export)])
    serve = shell_words(serve_command(volume.dest_device, '@dport@', export))
    if push_argv is None:
        push_argv = push_command(volume, '@port@', export)
    push = link_argv(link, '@port@', '@dport@') + [shlex.join(push_argv)]
    ports = '$((%d + RANDOM %% %d))' % (PORTS[0], PORTS[1] - PORTS[0] + 1)
    polls = max(1, int(ready_timeout / 0.1))
    chatter = '\\|'.join('^' + line for line in _SSH_CHATTER)
    return '\n'.join(
        [
            'set -u',
            'server= link= tmp=',
            'end() {',
            '  [ -z "$link" ] || { kill "$link"; wait "$link"; } 2>/dev/null',
            '  [ -z "$server" ] || { kill "$server"; wait "$server"; } '
            '2>/dev/null',
            '  [ -z "$tmp" ] || rm -rf "$tmp"',
            '}',
            'trap end EXIT',
            'trap "exit 143" HUP INT TERM',
            'tmp=$(mktemp -d)',
            'serve() { %s & }' % serve,
            'for try in $(seq %d); do' % PORT_TRIES,
            '  dport=%s' % ports,
            '  serve </dev/null >/dev/null 2>"$tmp/server"',
            '  server=$!',
            '  for i in $(seq %d); do' % polls,
            '    kill -0 "$server" 2>/dev/null || break',
            # Not answering at all: another program holds the port.
            '    timeout %d nbdinfo --size %s >/dev/null 2>&1 && break 2'
            % (HANDSHAKE_TIMEOUT, uri),
            '    sleep 0.1',
            '  done',
            '  kill "$server" 2>/dev/null; wait "$server" 2>/dev/null',
            '  server=',
            'done',
            'if [ -z "$server" ]; then',
            '  echo "no NBD server would start:" $(tail -n 5 "$tmp/server")'
            ' >&2',
            '  exit %d' % NO_SERVER,
            'fi',
            'for try in $(seq %d); do' % PORT_TRIES,
            '  port=%s' % ports,
            '  %s 2>"$tmp/link" &' % shell_words(push),
            '  link=$!',
            '  wait "$link"; rc=$?',
            '  link=',
            '  [ "$rc" = %d ] && grep -q "remote port forwarding failed" '
            '"$tmp/link" || break' % SSH_FAILED,
            'done',
            'grep -v "%s" "$tmp/link" >&2' % chatter,
            '[ "$rc" = 0 ] || tail -n 5 "$tmp/server" >&2',
            "sed -n 's/^Transferred: sent [0-9]*, received \\([0-9]*\\) "
            "bytes.*/%s\\1/p' \"$tmp/link\"" % RECEIVED,
            'exit "$rc"',
        ]
    )


def tagged(script: str, export: str) -> list[str]:
    """``script`` run by bash under a name holding the copy's ``export``
    name, for :func:`stop_script` to find it."""
    return ['bash', '-c', script, 'osm-copy-%s' % export]


def stop_script(export: str) -> str:
    """Ends whatever still runs under the copy's random ``export`` name on
    the host, and the children of those processes."""
    # The bracket keeps the pattern from matching this script's own line.
    pattern = shlex.quote('[%s]%s' % (export[0], export[1:]))
    return '\n'.join(
        [
            'pids=$(pgrep -f -- %s | paste -sd, -)' % pattern,
            'if [ -n "$pids" ]; then',
            '  pkill -P "$pids"; kill $(echo "$pids" | tr , " ")',
            'fi 2>/dev/null',
            'true',
        ]
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


def parse_received(line: str) -> int | None:
    """The bytes of the destination script's ``received N`` line."""
    text = line.strip()
    if text.startswith(RECEIVED):
        try:
            return int(text[len(RECEIVED) :])
        except ValueError:
            return None
    return None
