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

"""What runs on the conversion hosts: the check and install of the tools a
copy needs, and the link key: its ``authorized_keys`` line on the source
host (from the destination host only, the copy's one command, one reverse
forwarding), and the scripts that put it there, take it off and write the
destination host's key files.  Every value reaches the shell quoted."""

import ipaddress
import shlex

from osmigrateclient import exceptions
from osmigrateclient.transfer import blockcopy
from osmigrateclient.transfer import copy_scripts
from osmigrateclient.transfer import device_hash
from osmigrateclient.transfer import ssh

#: (what, any of these commands) a conversion host needs; one image serves
#: either side, so every host is checked for what both sides need
#: (:mod:`~osmigrateclient.transfer.blockcopy` pushes from the source)
TOOLS = (
    # destination: serves its device writable to the copy (with its
    # exportname filter; see copy_scripts.serve_command for why not qemu-nbd)
    ('nbdkit', ('nbdkit',)),
    # source: reads its device, finds the zeros, writes through the tunnel
    ('nbdcopy', ('nbdcopy',)),
    # destination: waits for its NBD server to answer
    ('nbdinfo', ('nbdinfo',)),
    # destination: logs into the source host with the link key (ssh -R)
    ('ssh', ('ssh',)),
    # both: verify the copy
    ('hash', tuple(tool for tool, _ in device_hash.HASHES)),
    # both: end what a failed or interrupted copy left running
    ('pgrep', ('pgrep',)),
)
#: packages that bring the tools, per package manager
PACKAGES = {
    'dnf': ['nbdkit', 'libnbd', 'openssh-clients', 'xxhash', 'procps-ng'],
    'apt-get': ['nbdkit', 'libnbd-bin', 'openssh-client', 'xxhash', 'procps'],
}


def tools_script() -> str:
    """Prints one line per missing tool group (``what``)."""
    lines = []
    for what, tools in TOOLS:
        test = ' || '.join('command -v %s >/dev/null' % t for t in tools)
        lines.append('{ %s; } || echo %s' % (test, shlex.quote(what)))
    return '\n'.join(lines + ['true'])


def install_script() -> str:
    return '\n'.join(
        [
            'set -e',
            'if command -v dnf >/dev/null; then dnf install -y %s'
            % ' '.join(PACKAGES['dnf']),
            'elif command -v apt-get >/dev/null; then'
            ' DEBIAN_FRONTEND=noninteractive apt-get install -y %s'
            % ' '.join(PACKAGES['apt-get']),
            'else echo "no dnf or apt-get" >&2; exit 3; fi',
        ]
    )


#: the link key's forced command on the source host: the copy's push
#: (copy_scripts.PUSH_PATTERN, in plain words only) or the link check's true
LINK_COMMAND = (
    'c=$SSH_ORIGINAL_COMMAND; case "$c" in *[!-A-Za-z0-9/_.:=\\ ]*) ;; '
    "true) exit 0;; *) printf '%%s\\n' \"$c\" | grep -Eqx %s && exec $c;; "
    'esac; '
    'echo "os-migrate link key: command refused" >&2; exit 1'
    % shlex.quote(copy_scripts.PUSH_PATTERN)
)


def link_key_line(public_key: str, from_address: str) -> str:
    """The source host's ``authorized_keys`` line of the link key: from the
    destination host only, its forced command only, no pty, agent or X11,
    and no forwarding but ``ssh -R`` onto the source host's 127.0.0.1
    (``permitopen`` cannot say "none": port 1 there serves nothing)."""
    return (
        'restrict,port-forwarding,permitlisten="127.0.0.1:*",'
        'permitopen="127.0.0.1:1",from="%s",command="%s" %s os-migrate-link'
        % (
            ipaddress.ip_address(from_address),
            LINK_COMMAND.replace('"', '\\"'),
            public_key,
        )
    )


def authorize_script(line: str, public_key: str) -> str:
    """Makes ``line`` the one line of the user's authorized_keys that holds
    ``public_key``."""
    return (
        'umask 077; mkdir -p ~/.ssh && f=~/.ssh/authorized_keys && '
        'touch "$f" && { grep -qxF %s "$f" || { %s && '
        'printf \'%%s\\n\' %s >> "$f.osm-new" && mv "$f.osm-new" "$f"; }; }'
        % (shlex.quote(line), _without(public_key), shlex.quote(line))
    )


def unauthorize_script(public_key: str) -> str:
    """Removes the lines that hold ``public_key`` from the user's
    authorized_keys."""
    return (
        'umask 077; f=~/.ssh/authorized_keys; [ -f "$f" ] || exit 0; '
        '%s && mv "$f.osm-new" "$f"' % _without(public_key)
    )


def _without(public_key: str) -> str:
    # grep -v: 1 is "no line left", 2 an error (keep the file then).
    return '{ grep -vF %s "$f"; [ $? -lt 2 ]; } > "$f.osm-new"' % (
        shlex.quote(public_key)
    )


def write_file_script(path: str) -> str:
    """Writes stdin to ``path`` (0600)."""
    quoted = shlex.quote(path)
    return (
        'umask 077; mkdir -p "$(dirname %s)" && cat > %s && chmod 600 %s'
        % (
            quoted,
            quoted,
            quoted,
        )
    )


def link_check_argv(link: blockcopy.Link) -> list[str]:
    """Run on the destination host: logs into the source host."""
    return (
        ['ssh']
        + ssh.ssh_options(link.key_file, link.known_hosts)
        + ['-p', str(link.port), '-l', link.user, '--', link.address, 'true']
    )


def link_public(key_path: str) -> str:
    """The public half (``<type> <base64>``) of the link key whose private
    half is ``key_path``."""
    with open(key_path + '.pub', encoding='utf-8') as f:
        return ' '.join(f.read().split()[:2])


def put(runner: ssh.Runner, host: ssh.Host, path: str, text: str) -> None:
    """Write ``text`` to ``path`` on ``host`` through stdin (never on a
    command line)."""
    done = runner.run(
        ssh.ssh_argv(host, write_file_script(path)),
        timeout=60,
        input=text,
    )
    if done.returncode != 0:
        raise exceptions.MigrateError(
            'cannot write %s on %s: %s'
            % (path, host.label, done.stderr.strip())
        )
