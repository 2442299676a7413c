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

"""Whether a failed copy is the fault of a conversion host (no I/O but
the runner's): what ssh prints when it cannot reach a host, the shell's
word for a missing tool, the attach waits that fail in a host's server.
:class:`~osmigrateclient.transfer.volume_copy.Copier` takes a pair whose
host is at fault out of the pool and tries the copy on another."""

import re
import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient import exceptions
from osmigrateclient.transfer import ssh


class Fault(ty.NamedTuple):
    """Why a copy failed because of a conversion host."""

    why: str
    #: the address of the host at fault, when the error names one
    address: str | None = None


#: what ssh prints when it cannot reach or log into a host, or loses it
_SSH_LOST = re.compile(
    r'ssh: connect to host (?P<a1>\S+) port \d+: .*'
    r'|ssh: Could not resolve hostname (?P<a2>[^:\s]+): .*'
    r'|Connection (?:closed|reset) by (?P<a3>\S+) port \d+.*'
    r'|Connection to (?P<a4>\S+) closed by remote host.*'
    r'|Timeout, server (?P<a5>\S+) not responding.*'
    r'|kex_exchange_identification: .*'
    r'|Host key verification failed.*'
    r'|\S+@(?P<a6>\S+): Permission denied \(.*'
)
#: what a shell prints for a tool the host lacks (bash, dash)
_NO_TOOL = re.compile(
    r'(?P<t1>[\w.+-]+): command not found|sh: \d+: (?P<t2>[\w.+-]+): not found'
)
#: the attach waits that fail in the host's server or its compute node
#: (attachments.attach); a volume in "error" is the volume's fault
_ATTACH_FAILED = re.compile(
    r'volume \S+ to attach: (?:status (?:error_attaching|available)\Z'
    r'|still \S+ after \d+ s\Z)'
    r'|the device of volume \S+ on .*: still not there after \d+ s\Z'
)


def host_fault(error: BaseException, attaching: bool = False) -> Fault | None:
    """Why ``error`` is the fault of a conversion host: SSH to it failed
    (unreachable, refused, lost), it lacks a tool, or (``attaching``: the
    error came from an attach to it) the attach failed or timed out in its
    server.  None for anything else (the volume in error, a hash mismatch,
    a timeout of the copy, an API error), which may not be the host's."""
    if attaching and isinstance(error, sdk_exceptions.ConflictException):
        # Nova refuses an attach to a server in error or busy.
        return Fault('attach refused: %s' % error)
    if not isinstance(error, exceptions.MigrateError):
        return None
    text = str(error)
    lost = _SSH_LOST.search(text)
    if lost:
        address = next((a for a in lost.groupdict().values() if a), None)
        return Fault('SSH failed: %s' % lost.group(0).strip(), address)
    if isinstance(error, ssh.Unreachable):
        return Fault('SSH failed: %s' % text, error.host.address)
    tool = _NO_TOOL.search(text)
    if tool:
        return Fault(
            'tools missing: %s' % (tool.group('t1') or tool.group('t2'))
        )
    if attaching and _ATTACH_FAILED.search(text):
        return Fault('attach failed: %s' % text)
    return None


class Reaching:
    """A runner whose ssh calls raise :class:`ssh.Unreachable` when ssh
    fails twice in a row: a wait for a device on a host that is gone ends
    at once, not at its timeout; a single failure (a connection dropped
    by a busy sshd) is tried again."""

    def __init__(self, runner: ssh.Runner, host: ssh.Host, pause) -> None:
        self.runner = runner
        self.host = host
        self.pause = pause

    def run(self, argv, timeout=None, input=None) -> ssh.Completed:
        done = self.runner.run(argv, timeout=timeout, input=input)
        if done.returncode == ssh.SSH_FAILED:
            self.pause(1.0)
            done = self.runner.run(argv, timeout=timeout, input=input)
            if done.returncode == ssh.SSH_FAILED:
                raise ssh.Unreachable(
                    'ssh to %s failed: %s'
                    % (self.host.label, done.stderr.strip()),
                    self.host,
                )
        return done
