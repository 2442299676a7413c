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

:meth:`Copier.copy` takes a pair of conversion hosts from the pool (in
its volumes' availability zones where one is free, then the one with the
fewest copies running: :class:`~osmigrateclient.transfer.
host_pool.Scheduler`, shared by the copiers of a process), attaches the
source volume to its source host and the destination volume to its
destination host through Nova,
finds each device by its serial
(:mod:`osmigrateclient.transfer.attachments`), copies the bytes host to
host (:mod:`osmigrateclient.transfer.blockcopy`) and detaches both volumes
on every path.  Before each attach call it hands the caller the list of
attachments made so far (``record``: each names the host's server), so
that a killed run's attachments can be undone by the next run, on the
hosts that hold them (:meth:`Copier.detach`).  When a copy fails because
of one of its pair's hosts (:mod:`~osmigrateclient.transfer.host_faults`)
in a pool of more than one pair, the pair leaves the pool for the run and
the copy, once detached, is tried again on another pair, once.  Its
callers make, grow and delete the volumes with
:mod:`osmigrateclient.transfer.cinder_volumes`.

The OpenStack calls go through the connections given; keystoneauth
re-authenticates a password (or application credential) session by itself
when its token nears expiry, and nothing here holds on to a token, so a
copy may outlast any token.
"""

import concurrent.futures
import logging
import threading
import time
import typing as ty

from osmigrateclient import itemlog
from osmigrateclient import exceptions
from osmigrateclient import progress as progress_mod
from osmigrateclient.transfer import attachments
from osmigrateclient.transfer import blockcopy
from osmigrateclient.transfer import conversion_host
from osmigrateclient.transfer import host_faults
from osmigrateclient.transfer import host_pool
from osmigrateclient.transfer import ssh

LOG = logging.getLogger(__name__)

#: seconds a volume create, attach, detach or delete may take
TIMEOUT = 1800.0
#: a copy's progress is logged at every this many percent
LOG_EVERY_PERCENT = 10
#: ... and at least this often (seconds)
LOG_EVERY_SECONDS = 60.0

NO_HOSTS = (
    'no conversion hosts: run "openstack migrate conversion host deploy" first'
)


class Settings(ty.NamedTuple):
    """How :class:`Copier` copies."""

    #: hash both ends after the copy (a mismatch fails it)
    verify: bool = True
    #: seconds each Cinder / Nova wait may take: create, attach, detach,
    #: delete
    timeout: float = TIMEOUT
    #: seconds the byte copy of one volume may take; None: no limit
    copy_timeout: float | None = None
    #: copies at once on each pair of conversion hosts (more wait)
    per_host: int = 2


DEFAULT_SETTINGS = Settings()


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

    Thread-safe: several copies may run at once, each its own stream, on
    the pool's pairs.  A pair with a host on one side only is not used.

    :raises osmigrateclient.exceptions.MigrateError: the data dir has no
        pair of conversion hosts (``no conversion hosts: run "openstack
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
        #: key (host_pool.key) -> record of the hosts of whole pairs
        self.hosts = {}
        records = conversion_host.load_hosts(data_dir)
        for pair in host_pool.whole_pairs(records):
            for side in conversion_host.SIDES:
                k = host_pool.key(side, pair)
                conversion_host.check_complete(data_dir, k, records[k])
                self.hosts[k] = records[k]
        if not self.hosts:
            raise exceptions.MigrateError(NO_HOSTS)
        self.pairs = host_pool.pairs(self.hosts)
        self.scheduler = host_pool.scheduler(
            conversion_host.hosts_path(data_dir),
            self.pairs,
            settings.per_host,
            host_pool.zones_of(self.hosts),
        )
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
            k: conversion_host.ssh_host(data_dir, record)
            for k, record in self.hosts.items()
        }

    def copy(
        self,
        source_volume_id: str,
        dest_volume_id: str,
        size: int,
        label: str,
        dest_is_zero: bool = True,
        record: ty.Callable[[list[dict]], None] | None = None,
        dest_chunks: ty.Any = None,
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
        :param dest_chunks: what the destination volume holds, where known
            (:attr:`.blockcopy.Volume.dest_chunks`)
        :raises osmigrateclient.exceptions.MigrateError: a step failed or
            timed out, or the hashes differ; or no pair is left in the pool

        In a pool of more than one pair, a failure that is a host's
        (:func:`.host_faults.host_fault`) takes its pair out of the pool
        for the run, and the copy, once its volumes are detached from that
        pair (its processes ended by the block copy), is tried again on
        another pair, once; the volume's log names the host that left, and
        why.
        The retry keeps ``dest_is_zero``: the failed try wrote the
        source's bytes only, where the source is not zero.

        In a pool of more than one pair, the copy takes a free pair whose
        hosts are in its volumes' availability zones if there is one, else
        any free pair, and its log says so once.
        """
        held, wanted = self._placement(source_volume_id, dest_volume_id)
        dropped = off_zones = ''
        while True:
            attached: list[dict] = []
            blamed: list[tuple[str, host_faults.Fault, Exception]] = []
            with self.scheduler.take(held, wanted) as pair:
                if not off_zones:
                    off_zones = self.scheduler.off_zones(pair, wanted)
                    if off_zones:
                        itemlog.say(
                            LOG,
                            self.log,
                            "%s: no free pair of conversion hosts in its "
                            "volumes' availability zones: on pair %d, %s",
                            label,
                            pair,
                            off_zones,
                        )
                try:
                    result = self._copy_on(
                        pair,
                        blockcopy.Volume(
                            '', '', size, dest_is_zero, label, dest_chunks
                        ),
                        source_volume_id,
                        dest_volume_id,
                        attached,
                        blamed,
                        record,
                    )
                except Exception as e:
                    left = self._drop(pair, e, blamed)
                    # Once only, and only once the volumes are off the
                    # failed pair: no two copies ever write a volume.
                    if left is None or dropped or attached:
                        raise
                    dropped = left
                    self._warn('%s; %s is tried on another pair', left, label)
                    held = None
                    continue
            if dropped:
                self._warn('%s; copied on pair %d', dropped, pair)
            return result

    def _copy_on(
        self,
        pair: int,
        volume: blockcopy.Volume,
        source_volume_id: str,
        dest_volume_id: str,
        attached: list[dict],
        blamed: list[tuple[str, host_faults.Fault, Exception]],
        record: ty.Callable[[list[dict]], None] | None,
    ) -> blockcopy.Result:
        """One try of :meth:`copy` on ``pair``.  ``attached`` is empty
        afterwards unless a detach failed; ``blamed`` gets (host key,
        fault, error) of a failed attach."""
        lock = threading.Lock()
        label = volume.label

        def note(side: str, server_id: str, volume_id: str) -> None:
            with lock:
                attached.append(
                    {'side': side, 'server': server_id, 'volume': volume_id}
                )
                if record is not None:
                    record([dict(a) for a in attached])

        # The hosts' master connections come up while the volumes attach.
        shared = ssh.Shared(self.runner)
        hosts = {
            side: shared.host(self.ssh_hosts[host_pool.key(side, pair)])
            for side in conversion_host.SIDES
        }
        try:
            # Both hosts at once: two clouds, two servers.
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                src_attach = pool.submit(
                    self._attach,
                    conversion_host.SRC,
                    pair,
                    source_volume_id,
                    note,
                    blamed,
                    hosts[conversion_host.SRC],
                )
                dst_attach = pool.submit(
                    self._attach,
                    conversion_host.DST,
                    pair,
                    dest_volume_id,
                    note,
                    blamed,
                    hosts[conversion_host.DST],
                )
                src_dev = src_attach.result()
                dst_dev = dst_attach.result()
            result = self._copy_bytes(
                volume._replace(source_device=src_dev, dest_device=dst_dev),
                hosts[conversion_host.SRC],
                hosts[conversion_host.DST],
                pair,
            )
        except BaseException:
            shared.close()
            try:
                self.detach(attached)
            except Exception as e:
                # The attachments stay recorded: the next run detaches them.
                LOG.warning('%s: cannot detach after a failure: %s', label, e)
                if self.log is not None:
                    self.log.warning('cannot detach after a failure: %s', e)
            else:
                del attached[:]
                if record is not None:
                    record([])
            raise
        shared.close()
        self.detach(attached)
        del attached[:]
        if record is not None:
            record([])
        return result

    def _drop(
        self,
        pair: int,
        error: Exception,
        blamed: list[tuple[str, host_faults.Fault, Exception]],
    ) -> str | None:
        """Take ``pair`` out of the pool if ``error`` is one of its hosts'
        fault (in a pool of more than one pair); what left and why."""
        if len(self.pairs) == 1:
            return None
        # The attach that failed the copy: its host is known.
        attach = [(k, f) for k, f, e in blamed if e is error]
        if attach:
            keys, fault = [attach[0][0]], attach[0][1]
        else:
            fault = host_faults.host_fault(error)
            if fault is None:
                return None
            keys = [
                host_pool.key(side, pair) for side in conversion_host.SIDES
            ]
            named = [k for k in keys if fault.address in self._addresses(k)]
            keys = named or keys
        names = ' and '.join(self.ssh_hosts[k].label for k in keys)
        left = 'conversion host%s %s left the pool: %s' % (
            's' if len(keys) > 1 else '',
            names,
            fault.why,
        )
        self.scheduler.fail(pair, left)
        return left

    def _warn(self, msg: str, *args: ty.Any) -> None:
        LOG.warning(msg, *args)
        if self.log is not None:
            self.log.warning(msg, *args)

    def _addresses(self, host_key: str) -> set[str]:
        """The addresses a host is reached at: the migrator's, and the
        link's for a source host."""
        found = {self.ssh_hosts[host_key].address}
        if host_pool.side_of(host_key) == conversion_host.SRC:
            found.add(conversion_host.link_of(self.hosts[host_key]).address)
        return found

    def usable(self, side: str, volume: ty.Any) -> bool:
        """Whether :meth:`copy` can take ``volume`` on ``side``: available,
        or attached to one of that side's conversion hosts alone.  Only
        this tool attaches volumes there: that is an attach of an earlier
        run that was carried out after the run's clean-up (its answer was
        late), and the copy uses that host's pair and detaches it
        afterwards."""
        return (
            volume.status == 'available'
            or self._holder(side, volume) is not None
        )

    def _holder(self, side: str, volume: ty.Any) -> int | None:
        """The pair whose ``side`` host alone holds ``volume``, if any."""
        for pair in self.pairs:
            record = self.hosts[host_pool.key(side, pair)]
            if attachments.held_by(volume, record['server_id']):
                return pair
        return None

    def _placement(
        self, source_volume_id: str, dest_volume_id: str
    ) -> tuple[int | None, host_pool.Zones]:
        """The pair a volume of the copy is attached to already, if any:
        the copy must run there (a volume attaches to one server); else
        the availability zones of its volumes, where a pair is preferred.
        A pool of one has no choice: nothing is looked up."""
        if len(self.pairs) == 1:
            return None, host_pool.NO_ZONES
        zones = []
        for side, volume_id in (
            (conversion_host.SRC, source_volume_id),
            (conversion_host.DST, dest_volume_id),
        ):
            volume = self.conns[side].block_storage.get_volume(volume_id)
            pair = self._holder(side, volume)
            if pair is not None:
                return pair, host_pool.NO_ZONES
            zones.append(
                host_pool.zone_of(getattr(volume, 'availability_zone', None))
            )
        return None, host_pool.Zones(*zones)

    def detach(self, attached: list[dict]) -> None:
        """Detach what :meth:`copy` attached (or recorded, in a run that
        was killed): items ``{'side': 'src'|'dst', 'server': id, 'volume':
        id}``; waits until each volume is available or gone."""
        attachments.detach_all(
            self.conns,
            attached,
            self.settings.timeout,
            self.clock,
            self.pause,
            self.log,
        )

    # -- steps --------------------------------------------------------------

    def _attach(
        self,
        side: str,
        pair: int,
        volume_id: str,
        note,
        blamed: list,
        host: ssh.Host,
    ) -> str:
        """Attach ``volume_id`` to ``pair``'s ``side`` host (``host``);
        its device there.  A failure that is the host's goes into
        ``blamed``."""
        key = host_pool.key(side, pair)
        server_id = self.hosts[key]['server_id']
        runner = self.runner
        if len(self.pairs) > 1:
            runner = host_faults.Reaching(runner, host, self.pause)
        try:
            return attachments.attach(
                self.conns[side],
                runner,
                host,
                server_id,
                volume_id,
                self.settings.timeout,
                lambda: note(side, server_id, volume_id),
                self.clock,
                self.pause,
                self.log,
            )
        except Exception as e:
            fault = host_faults.host_fault(e, attaching=True)
            if fault is not None:
                blamed.append((key, fault, e))
            raise

    def _copy_bytes(
        self,
        volume: blockcopy.Volume,
        source: ssh.Host,
        dest: ssh.Host,
        pair: int,
    ) -> blockcopy.Result:
        progress = self.progress
        if self.log is not None:
            progress = LoggedProgress(progress, self.log)
        copier = (self.copy_class or blockcopy.BlockCopy)(
            source,
            dest,
            conversion_host.link_of(
                self.hosts[host_pool.key(conversion_host.SRC, pair)]
            ),
            self.runner,
            progress,
            copy_timeout=self.settings.copy_timeout,
        )
        itemlog.say(
            LOG,
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
        itemlog.say(
            LOG,
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
