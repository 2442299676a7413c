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

"""The copy of Cinder volumes between the conversion hosts of a data dir.

One API for every caller that moves volume bytes (detached volumes, the
volumes of a workload)::

    copier = volume_copy.Copier(data_dir, src_conn, dst_conn, settings)
    result = copier.copy(source_id, dest_id, size, label, record=save)

:meth:`Copier.copy` attaches the source volume to the source conversion
host and the destination volume to the destination host through Nova,
finds each device by its serial, copies the bytes host to host
(:mod:`osmigrateclient.transfer.blockcopy`) and detaches both volumes on
every path.  Before each attach call it hands the caller the list of
attachments made so far (``record``), so that a killed run's attachments
can be undone by the next run (:meth:`Copier.detach`).

The OpenStack calls go through the connections given; keystoneauth
re-authenticates a password (or application credential) session by itself
when its token nears expiry, and nothing here holds on to a token, so a
copy may outlast any token.
"""

import concurrent.futures
import logging
import shlex
import threading
import time
import typing as ty

from openstack.compute.v2 import server as sdk_server

from osmigrateclient import exceptions
from osmigrateclient import progress as progress_mod
from osmigrateclient.transfer import blockcopy
from osmigrateclient.transfer import conversion_host
from osmigrateclient.transfer import ssh

LOG = logging.getLogger(__name__)

#: seconds a volume create, attach, detach or delete may take
TIMEOUT = 1800.0
#: the first pause of a wait, its growth factor and its most (seconds): a
#: cloud operation is noticed at most POLL_MAX seconds after it finished
POLL_FIRST, POLL_FACTOR, POLL_MAX = 0.25, 1.5, 2.0
#: a copy's progress is logged at every this many percent
LOG_EVERY_PERCENT = 10
#: ... and at least this often (seconds)
LOG_EVERY_SECONDS = 60.0

NO_HOSTS = (
    'no conversion hosts: run "openstack migrate conversion host deploy" first'
)


def wait(
    what: str,
    get: ty.Callable[[], ty.Any],
    ready: ty.Callable[[ty.Any], bool],
    failed: ty.Callable[[ty.Any], bool],
    timeout: float,
    clock: ty.Callable[[], float] = time.monotonic,
    pause: ty.Callable[[float], None] = time.sleep,
) -> ty.Any:
    """Poll ``get()`` until ``ready``; the object it returned then.

    :raises osmigrateclient.exceptions.MigrateError: ``failed`` (``<what>:
        status <status>``) or ``timeout`` seconds passed (``<what>: still
        <status> after <timeout> s``)
    """
    deadline = clock() + timeout
    delay = POLL_FIRST
    while True:
        obj = get()
        if ready(obj):
            return obj
        if failed(obj):
            raise exceptions.MigrateError(
                '%s: status %s' % (what, getattr(obj, 'status', None))
            )
        if clock() >= deadline:
            status = getattr(obj, 'status', None)
            raise exceptions.MigrateError(
                '%s: still %s after %d s'
                % (what, 'not there' if status is None else status, timeout)
            )
        pause(delay)
        delay = min(delay * POLL_FACTOR, POLL_MAX)


class Settings(ty.NamedTuple):
    """How :class:`Copier` copies."""

    #: hash both ends after the copy (a mismatch fails it)
    verify: bool = True
    #: seconds each Cinder / Nova wait may take: create, attach, detach,
    #: delete
    timeout: float = TIMEOUT
    #: seconds the byte copy of one volume may take; None: no limit
    copy_timeout: float | None = None


DEFAULT_SETTINGS = Settings()


# -- devices -----------------------------------------------------------------


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


# -- volumes -----------------------------------------------------------------


# One volume create at a time in a process: the volumes of a name listed
# just before a create call are then all but the one it makes.
_CREATE_LOCK = threading.Lock()


def _named(conn: ty.Any, name: str | None) -> list:
    """The volumes named ``name`` (unnamed ones for no name)."""
    found = (
        conn.block_storage.volumes(name=name)
        if name
        else conn.block_storage.volumes()
    )
    return [v for v in found if (v.name or '') == (name or '')]


def start_create(
    conn: ty.Any,
    attrs: dict,
    record: ty.Callable[[str], None] | None = None,
    pending: ty.Callable[[dict], None] | None = None,
) -> ty.Any:
    """Ask Cinder for a volume (``create_volume(**attrs)``); the volume,
    not waited for.

    ``pending(note)`` is called before the create call with what
    :func:`delete_unrecorded` needs to find the volume if the answer never
    comes (the run is killed, the connection breaks): the name and the
    volumes of that name then.  ``record(volume id)`` is called as soon as
    the answer came.
    """
    with _CREATE_LOCK:
        if pending is not None:
            pending(
                {
                    'name': attrs.get('name'),
                    'size': attrs.get('size'),
                    'before': sorted(
                        v.id for v in _named(conn, attrs.get('name'))
                    ),
                }
            )
        volume = conn.block_storage.create_volume(**attrs)
        if record is not None:
            record(volume.id)
    return volume


def delete_unrecorded(
    conn: ty.Any,
    note: dict | None,
    timeout: float,
    clock: ty.Callable[[], float] = time.monotonic,
    pause: ty.Callable[[float], None] = time.sleep,
    log: logging.Logger | None = None,
) -> list[str]:
    """Delete the volume a create call made whose answer never came (see
    :func:`start_create`): named so, not there before the call, attached
    to nothing, of that size; the ids deleted."""
    if not note:
        return []
    before = set(note.get('before') or [])
    size = note.get('size')
    found = [
        v.id
        for v in _named(conn, note.get('name'))
        if v.id not in before
        and not v.attachments
        and (size is None or v.size == size)
    ]
    for volume_id in found:
        _say(
            log, 'Deleting volume %s, made by an unanswered create', volume_id
        )
        # Cinder refuses to delete a volume still being created.
        wait(
            'volume %s' % volume_id,
            lambda v=volume_id: conn.block_storage.find_volume(v),
            lambda v: v is None or v.status != 'creating',
            lambda v: False,
            timeout,
            clock,
            pause,
        )
        delete_volume(conn, volume_id, timeout, clock, pause)
    return found


def create_volume(
    conn: ty.Any,
    attrs: dict,
    timeout: float,
    record: ty.Callable[[str], None] | None = None,
    clock: ty.Callable[[], float] = time.monotonic,
    pause: ty.Callable[[float], None] = time.sleep,
    pending: ty.Callable[[dict], None] | None = None,
) -> ty.Any:
    """Create a volume (``create_volume(**attrs)``) and wait until it is
    available; the volume.

    ``record(volume id)`` is called as soon as the volume exists, before the
    wait, so that a killed run knows what to delete; ``pending`` as in
    :func:`start_create`.

    :raises osmigrateclient.exceptions.MigrateError: it went to an error
        status, or is not available after ``timeout`` seconds
    """
    volume = start_create(conn, attrs, record, pending)
    return wait(
        'volume %s' % volume.id,
        lambda: conn.block_storage.get_volume(volume.id),
        lambda v: v.status == 'available',
        lambda v: v.status.startswith('error'),
        timeout,
        clock,
        pause,
    )


def grow(
    conn: ty.Any,
    volume_id: str,
    size: int,
    timeout: float,
    clock: ty.Callable[[], float] = time.monotonic,
    pause: ty.Callable[[float], None] = time.sleep,
) -> bool:
    """Extend an available volume to ``size`` GiB when it is smaller (its
    source grew since it was made) and wait until it is; whether it grew.

    :raises osmigrateclient.exceptions.MigrateError: the extend failed
        (error_extending), or did not end within ``timeout`` seconds
    """
    volume = conn.block_storage.get_volume(volume_id)
    if volume.size >= size:
        return False
    # A killed run's extend may still be under way: wait for it first.
    if volume.status != 'extending':
        conn.block_storage.extend_volume(volume, size)
    wait(
        'extending volume %s to %d GiB' % (volume_id, size),
        lambda: conn.block_storage.get_volume(volume_id),
        lambda v: v.status == 'available' and v.size >= size,
        lambda v: v.status.startswith('error'),
        timeout,
        clock,
        pause,
    )
    return True


def delete_volume(
    conn: ty.Any,
    volume_id: str,
    timeout: float,
    clock: ty.Callable[[], float] = time.monotonic,
    pause: ty.Callable[[float], None] = time.sleep,
) -> None:
    """Delete a volume (a missing one is fine) and wait until it is gone.

    :raises osmigrateclient.exceptions.MigrateError: it went to
        error_deleting, or is still there after ``timeout`` seconds
    """
    conn.block_storage.delete_volume(volume_id, ignore_missing=True)
    wait(
        'deleting volume %s' % volume_id,
        lambda: conn.block_storage.find_volume(volume_id),
        lambda v: v is None,
        lambda v: v.status == 'error_deleting',
        timeout,
        clock,
        pause,
    )


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
        _say(
            log,
            'Detaching volume %s from server %s (%s)',
            item['volume'],
            item['server'],
            item['side'],
        )
        delete_attachment(conn, item['server'], item['volume'])
    for item in attached:
        conn = conns[item['side']]
        wait(
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


def _say(log: logging.Logger | None, msg: str, *args: ty.Any) -> None:
    """A step: to this module's log, and to ``log`` if given."""
    LOG.info(msg, *args)
    if log is not None:
        log.info(msg, *args)


# -- progress ----------------------------------------------------------------


class LoggedProgress(progress_mod.Progress):
    """A :class:`~osmigrateclient.progress.Progress` whose
    meters also log their line to ``log``: at every
    :data:`LOG_EVERY_PERCENT` percent, at least every
    :data:`LOG_EVERY_SECONDS` seconds, and when finished short of
    100 %."""

    def __init__(
        self, inner: progress_mod.Progress, log: logging.Logger
    ) -> None:
        self.inner = inner
        self.log = log
        self.stream = inner.stream
        self.bar = inner.bar

    def start(self, label, total, done=0):
        return LoggedMeter(self.inner.start(label, total, done), self.log)

    def write(self, text: str) -> None:
        self.inner.write(text)


class LoggedMeter:
    def __init__(self, inner: progress_mod.Meter, log: logging.Logger) -> None:
        self.inner = inner
        self.log = log
        self._logged_at = time.monotonic()
        self._logged_step = -1

    def __getattr__(self, name: str) -> ty.Any:
        return getattr(self.inner, name)

    def update(self, n: int) -> None:
        self.inner.update(n)
        step = -1
        if self.inner.total:
            percent = 100 * self.inner.done // self.inner.total
            step = percent // LOG_EVERY_PERCENT
        now = time.monotonic()
        if step > self._logged_step or now - self._logged_at >= (
            LOG_EVERY_SECONDS
        ):
            self._logged_step = max(step, self._logged_step)
            self._logged_at = now
            self.log.info('%s', self.inner.line())

    def finish(self, note: str = '') -> None:
        self.inner.finish(note)
        if self._logged_step < 100 // LOG_EVERY_PERCENT:
            self.log.info('%s', self.inner.line())


# -- the copier --------------------------------------------------------------


class Copier:
    """Copies Cinder volumes between the conversion hosts of a data dir.

    Thread-safe: several copies may run at once, each its own stream.

    :raises osmigrateclient.exceptions.MigrateError: the data dir has no
        conversion host on a side (``no conversion hosts: run "openstack
        migrate conversion host deploy" first``)
    """

    #: what copies the bytes (None: blockcopy.BlockCopy; delta.DeltaCopy:
    #: only the changed chunks)
    copy_class: type[blockcopy.BlockCopy] | None = None

    def __init__(
        self,
        data_dir: str,
        src_conn: ty.Any,
        dst_conn: ty.Any,
        settings: Settings = DEFAULT_SETTINGS,
        runner: ssh.Runner | None = None,
        progress: progress_mod.Progress | None = None,
        log: logging.Logger | None = None,
        clock: ty.Callable[[], float] = time.monotonic,
        pause: ty.Callable[[float], None] = time.sleep,
    ) -> None:
        self.hosts = conversion_host.load_hosts(data_dir)
        if any(s not in self.hosts for s in conversion_host.SIDES):
            raise exceptions.MigrateError(NO_HOSTS)
        for side in conversion_host.SIDES:
            conversion_host.check_complete(data_dir, side, self.hosts[side])
        self.data_dir = data_dir
        self.conns = {
            conversion_host.SRC: src_conn,
            conversion_host.DST: dst_conn,
        }
        self.settings = settings
        self.runner = runner or ssh.Runner()
        self.progress = progress or progress_mod.Progress()
        self.log = log
        self.clock = clock
        self.pause = pause
        self.ssh_hosts = {
            side: conversion_host.ssh_host(data_dir, self.hosts[side])
            for side in conversion_host.SIDES
        }

    def copy(
        self,
        source_volume_id: str,
        dest_volume_id: str,
        size: int,
        label: str,
        dest_is_zero: bool = True,
        record: ty.Callable[[list[dict]], None] | None = None,
    ) -> blockcopy.Result:
        """Copy the first ``size`` bytes of the source volume into the
        destination volume; both must be available, and are available
        again afterwards, on every path.

        :param label: names the volume in progress and messages
        :param dest_is_zero: the destination volume reads as zeros (a new
            volume): zeros are not written
        :param record: called with the attachments made so far (items
            ``{'side', 'server', 'volume'}``) before each attach call, and
            with ``[]`` once both are detached again
        :raises osmigrateclient.exceptions.MigrateError: a step failed or
            timed out, or the hashes differ
        """
        attached: list[dict] = []
        lock = threading.Lock()

        def note(side: str, server_id: str, volume_id: str) -> None:
            with lock:
                attached.append(
                    {'side': side, 'server': server_id, 'volume': volume_id}
                )
                if record is not None:
                    record([dict(a) for a in attached])

        try:
            # Both hosts at once: two clouds, two servers.
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                src_attach = pool.submit(
                    self._attach, conversion_host.SRC, source_volume_id, note
                )
                dst_attach = pool.submit(
                    self._attach, conversion_host.DST, dest_volume_id, note
                )
                src_dev, dst_dev = src_attach.result(), dst_attach.result()
            result = self._copy_bytes(
                blockcopy.Volume(src_dev, dst_dev, size, dest_is_zero, label)
            )
        except BaseException:
            try:
                self.detach(attached)
            except Exception as e:
                # The attachments stay recorded: the next run detaches them.
                LOG.warning('%s: cannot detach after a failure: %s', label, e)
                if self.log is not None:
                    self.log.warning('cannot detach after a failure: %s', e)
            else:
                if record is not None:
                    record([])
            raise
        self.detach(attached)
        if record is not None:
            record([])
        return result

    def usable(self, side: str, volume: ty.Any) -> bool:
        """Whether :meth:`copy` can take ``volume`` on ``side``: available,
        or attached to that side's conversion host alone.  Only this tool
        attaches volumes there: that is an attach of an earlier run that
        was carried out after the run's clean-up (its answer was late), and
        the copy uses it and detaches it afterwards."""
        return volume.status == 'available' or held_by(
            volume, self.hosts[side]['server_id']
        )

    def detach(self, attached: list[dict]) -> None:
        """Detach what :meth:`copy` attached (or recorded, in a run that
        was killed): items ``{'side': 'src'|'dst', 'server': id, 'volume':
        id}``; waits until each volume is available or gone."""
        detach_all(
            self.conns,
            attached,
            self.settings.timeout,
            self.clock,
            self.pause,
            self.log,
        )

    # -- steps --------------------------------------------------------------

    def _attach(self, side: str, volume_id: str, note) -> str:
        """Attach ``volume_id`` to the ``side`` host; its device there."""
        conn, host = self.conns[side], self.ssh_hosts[side]
        server_id = self.hosts[side]['server_id']
        _say(
            self.log,
            'Attaching volume %s to conversion host %s (server %s)',
            volume_id,
            host.label,
            server_id,
        )
        note(side, server_id, volume_id)
        if held_by(conn.block_storage.get_volume(volume_id), server_id):
            _say(
                self.log,
                'Volume %s is attached to %s already (by an earlier run)',
                volume_id,
                host.label,
            )
        else:
            conn.compute.create_volume_attachment(
                server_id, volume_id=volume_id
            )
        wait(
            'volume %s to attach' % volume_id,
            lambda: conn.block_storage.get_volume(volume_id),
            lambda v: v.status == 'in-use',
            # Nova reserves the volume before it answers: available again
            # is an attach that failed in the compute service.
            lambda v: v.status.startswith('error') or v.status == 'available',
            self.settings.timeout,
            self.clock,
            self.pause,
        )
        device = wait(
            'the device of volume %s on %s' % (volume_id, host.label),
            lambda: find_device(self.runner, host, volume_id),
            bool,
            lambda d: False,
            self.settings.timeout,
            self.clock,
            self.pause,
        )
        _say(self.log, 'Volume %s is %s on %s', volume_id, device, host.label)
        return device

    def _copy_bytes(self, volume: blockcopy.Volume) -> blockcopy.Result:
        progress = self.progress
        if self.log is not None:
            progress = LoggedProgress(progress, self.log)
        copier = (self.copy_class or blockcopy.BlockCopy)(
            self.ssh_hosts[conversion_host.SRC],
            self.ssh_hosts[conversion_host.DST],
            conversion_host.link_of(self.hosts[conversion_host.SRC]),
            self.runner,
            progress,
            copy_timeout=self.settings.copy_timeout,
        )
        _say(
            self.log,
            'Copying %s (%d bytes) from %s to %s%s',
            volume.label,
            volume.size,
            volume.source_device,
            volume.dest_device,
            '' if self.settings.verify else ', not verified',
        )
        result = copier.copy(volume, verify=self.settings.verify)
        sent = getattr(result, 'bytes_sent', None)
        _say(
            self.log,
            'Copied %s: %d bytes in %.1f s%s, %s',
            volume.label,
            result.size,
            result.seconds,
            '' if sent is None else ' (%d bytes sent over SSH)' % sent,
            '%s %s' % (result.algo, result.digest)
            if result.algo
            else 'not verified',
        )
        return result
