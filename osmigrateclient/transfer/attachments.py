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

"""Volumes on the conversion hosts: attached through Nova, found there as
a device by their serial (attachment order does not matter), and detached
on every path, a killed run's attachments included."""

import logging
import shlex
import time
import typing as ty

from openstack.compute.v2 import server as sdk_server

from osmigrateclient import itemlog
from osmigrateclient.transfer import cinder_volumes
from osmigrateclient.transfer import ssh

LOG = logging.getLogger(__name__)


def device_script(volume_id: str) -> str:
    """Prints the device of a volume: its by-id link, else the disk whose
    serial lsblk reports (attachment order does not matter)."""
    serial = shlex.quote(volume_id[:20])
    link = shlex.quote('/dev/disk/by-id/virtio-%s' % volume_id[:20])
    # The serial reaches awk through its environment: no quoting to escape.
    return (
        'if [ -b %s ]; then echo %s; else lsblk -dnpo NAME,SERIAL | '
        'S=%s awk \'$2 == ENVIRON["S"] {print $1}\'; fi' % (link, link, serial)
    )


def find_device(runner: ssh.Runner, host: ssh.Host, volume_id: str) -> str:
    """The device of ``volume_id`` on ``host``, '' while not there."""
    done = ssh.run(
        runner, host, device_script(volume_id), timeout=60, check=False
    )
    lines = done.stdout.split()
    return lines[0] if done.returncode == 0 and len(lines) == 1 else ''


def delete_attachment(conn: ty.Any, server_id: str, volume_id: str) -> None:
    """Ask Nova to detach ``volume_id`` from ``server_id`` (a missing
    attachment is fine).  The server goes as a Server resource: given two
    bare ids, openstacksdk's ``delete_volume_attachment`` first GETs the
    server to tell which id is which (one more request per detach, and
    the ids swapped when the server is gone)."""
    conn.compute.delete_volume_attachment(
        sdk_server.Server(id=server_id), volume_id, ignore_missing=True
    )


def held_by(volume: ty.Any, server_id: str) -> bool:
    """Whether ``volume`` is in use by ``server_id`` and nothing else."""
    servers = {a.get('server_id') for a in volume.attachments or []}
    return volume.status == 'in-use' and servers == {server_id}


def attach(
    conn: ty.Any,
    runner: ssh.Runner,
    host: ssh.Host,
    server_id: str,
    volume_id: str,
    timeout: float,
    before_attach: ty.Callable[[], None],
    clock: ty.Callable[[], float] = time.monotonic,
    pause: ty.Callable[[float], None] = time.sleep,
    log: logging.Logger | None = None,
) -> str:
    """Attach ``volume_id`` to the conversion host ``server_id`` (``host``:
    its SSH access) through Nova; its device there, once it shows.

    ``before_attach()`` is called before the attach call, so that the
    caller can record the attachment before it may exist.  A volume
    attached to that host alone already (an earlier run's attach that was
    carried out after the run's clean-up) is used as it is.

    :raises osmigrateclient.exceptions.MigrateError: the attach failed, or
        the volume or its device did not show within ``timeout`` seconds
    """
    itemlog.say(
        LOG,
        log,
        'Attaching volume %s to conversion host %s (server %s)',
        volume_id,
        host.label,
        server_id,
    )
    before_attach()
    if held_by(conn.block_storage.get_volume(volume_id), server_id):
        itemlog.say(
            LOG,
            log,
            'Volume %s is attached to %s already (by an earlier run)',
            volume_id,
            host.label,
        )
    else:
        conn.compute.create_volume_attachment(server_id, volume_id=volume_id)
    cinder_volumes.wait(
        'volume %s to attach' % volume_id,
        lambda: conn.block_storage.get_volume(volume_id),
        lambda v: v.status == 'in-use',
        # Nova reserves the volume before it answers: available again
        # is an attach that failed in the compute service.
        lambda v: v.status.startswith('error') or v.status == 'available',
        timeout,
        clock,
        pause,
    )
    device = cinder_volumes.wait(
        'the device of volume %s on %s' % (volume_id, host.label),
        lambda: find_device(runner, host, volume_id),
        bool,
        lambda d: False,
        timeout,
        clock,
        pause,
    )
    itemlog.say(
        LOG, log, 'Volume %s is %s on %s', volume_id, device, host.label
    )
    return device


def detach_all(
    conns: dict[str, ty.Any],
    attached: list[dict],
    timeout: float,
    clock: ty.Callable[[], float] = time.monotonic,
    pause: ty.Callable[[float], None] = time.sleep,
    log: logging.Logger | None = None,
) -> None:
    """Detach ``attached`` (items ``{'side', 'server', 'volume'}``) and wait
    until each volume is available (or gone).  Missing attachments are
    fine, so this undoes a killed run's attachments whatever it got to.

    :param conns: ``{'src': connection, 'dst': connection}``
    """
    # Every detach call first (they run at once in the clouds), then the
    # waits.
    for item in attached:
        conn = conns[item['side']]
        itemlog.say(
            LOG,
            log,
            'Detaching volume %s from server %s (%s)',
            item['volume'],
            item['server'],
            item['side'],
        )
        delete_attachment(conn, item['server'], item['volume'])
    for item in attached:
        conn = conns[item['side']]
        cinder_volumes.wait(
            'volume %s to detach' % item['volume'],
            lambda c=conn, i=item: c.block_storage.find_volume(i['volume']),
            # Off that server: it may be in use elsewhere by now (a source
            # volume a failed run's revert attached back to its server).
            lambda v, i=item: (
                v is None
                or v.status == 'available'
                or (
                    v.status != 'detaching'
                    and not any(
                        a.get('server_id') == i['server']
                        for a in v.attachments or []
                    )
                )
            ),
            lambda v: v.status.startswith('error'),
            timeout,
            clock,
            pause,
        )
