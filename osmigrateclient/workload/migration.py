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


"""The import of one server, step by step, journalled.

Steps, in order (the journal's step names)::

    stop          stop the source server (only with --stop; noted, so a
                  failure starts it again)
    boot_disk     a boot-from-volume server's boot volume (snapshot, then a
                  temporary volume of it) or, with boot_disk_copy, an
                  image-booted server's disk (server snapshot, then a
                  temporary volume of it) copied into a new destination
                  volume through the conversion hosts
    volume:<id>   each data volume: detached from the source server, copied
                  into a new destination volume, attached back
    server_group  the destination server group of that name, made if none
    ports         the ports, through Neutron, keeping fixed IPs and MACs
                  where they are free; the trunks whose parents they are
    server        the destination server: its ports, volumes, group, key,
                  metadata, tags, user data; then waited for ACTIVE
    floating_ips  per floating_ip_mode

A step that finished is never redone; one that a killed run left started
is cleaned (what it made is removed) and redone.  A step that fails
reverts the whole server: what this import made in the destination is
deleted, the source server gets its volumes back and, if the import
stopped it, is started again.
"""

import logging
import math
import os
import re
import threading
import time
import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient.resources import port as port_resource
from osmigrateclient.transfer import delta
from osmigrateclient.transfer import volume_copy
from osmigrateclient.workload import journal as journal_mod
from osmigrateclient.workload import preflight
from osmigrateclient.workload import sync

LOG = logging.getLogger(__name__)

GiB = preflight.GiB
#: the name prefix of the temporary snapshots, volumes and images
TEMP_PREFIX = 'os-migrate-'
#: the journal's step names
STOP, BOOT, GROUP, PORTS, SERVER, FIPS = (
    'stop',
    'boot_disk',
    'server_group',
    'ports',
    'server',
    'floating_ips',
)
CREATED, UNCHANGED, FAILED = 'created', 'unchanged', 'failed'


def volume_step(source_id: str) -> str:
    return 'volume:%s' % source_id


class Outcome(ty.NamedTuple):
    name: str
    source_id: str
    action: str
    dest_id: str | None
    detail: str


class StepFailed(exceptions.MigrateError):
    """A step failed: says which and why."""


class Context:
    """What every server's import shares."""

    def __init__(
        self,
        data_dir: str,
        src: ty.Any,
        dst: ty.Any,
        settings: volume_copy.Settings,
        stop: bool = False,
        progress: ty.Any = None,
        runner: ty.Any = None,
        clock: ty.Callable[[], float] = time.monotonic,
        pause: ty.Callable[[float], None] = time.sleep,
    ) -> None:
        self.data_dir = data_dir
        self.src = src
        self.dst = dst
        self.settings = settings
        self.stop = stop
        self.progress = progress
        self.runner = runner
        self.clock = clock
        self.pause = pause
        #: server groups are found or made by one server at a time
        self.group_lock = threading.Lock()

    def wait(self, what, get, ready, failed, timeout=None):
        return volume_copy.wait(
            what,
            get,
            ready,
            failed,
            timeout or self.settings.timeout,
            self.clock,
            self.pause,
        )


def _nova_network(port: preflight.Port) -> dict:
    """A ``networks`` item of port_creation_mode nova: Nova makes the
    port, with the fixed IP (one) but not the MAC."""
    item = {'uuid': port.network_id}
    if port.fixed_ips and port.fixed_ips[0].get('ip_address'):
        item['fixed_ip'] = port.fixed_ips[0]['ip_address']
    return item


def server_log(data_dir: str, source_id: str) -> logging.Logger:
    """The logger of one server's import: its file in workload_logs/."""
    logger = logging.getLogger('osmigrateclient.workload.%s' % source_id)
    path = journal_mod.log_path(data_dir, source_id)
    if not any(
        getattr(h, 'baseFilename', None) == path for h in logger.handlers
    ):
        datafile.ensure_dir(os.path.dirname(path), link_ok=False)
        handler = journal_mod.LogHandler(path)
        handler.setFormatter(
            logging.Formatter('%(asctime)s %(levelname)s %(message)s')
        )
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    return logger


def close_server_log(logger: logging.Logger) -> None:
    """Close the files of a logger of :func:`server_log`: the logger
    outlives the import in the process, its file must not (a later import
    of the server, maybe into a new workload_logs/, opens it again)."""
    for handler in list(logger.handlers):
        if isinstance(handler, logging.FileHandler):
            logger.removeHandler(handler)
            handler.close()


class ServerImport:
    """Imports one checked server (``preflight.Resolved``)."""

    def __init__(
        self, ctx: Context, resolved: preflight.Resolved, copier=None
    ) -> None:
        self.ctx = ctx
        self.resolved = resolved
        self.src = ctx.src
        self.dst = ctx.dst
        self.journal = journal_mod.Journal(
            ctx.data_dir, resolved.source_id, resolved.name
        )
        self.log = server_log(ctx.data_dir, resolved.source_id)
        self._copier = copier
        self._delta_copier = None
        self._step = ''

    def _new_copier(self, cls: type[volume_copy.Copier]):
        return cls(
            self.ctx.data_dir,
            self.src,
            self.dst,
            self.ctx.settings,
            runner=self.ctx.runner,
            progress=self.ctx.progress,
            log=self.log,
            clock=self.ctx.clock,
            pause=self.ctx.pause,
        )

    @property
    def copier(self):
        if self._copier is None:
            self._copier = self._new_copier(volume_copy.Copier)
        return self._copier

    @property
    def delta_copier(self):
        """The copier of a cutover's last pass: changed chunks only."""
        if self._delta_copier is None:
            self._delta_copier = self._new_copier(delta.Copier)
        return self._delta_copier

    def _say(self, text: str, *args: ty.Any) -> None:
        message = text % args if args else text
        self.log.info('%s', message)
        LOG.info('%s: %s', self.resolved.name, message)

    # -- the whole server ---------------------------------------------------

    def run(self) -> Outcome:
        try:
            return self._run()
        finally:
            close_server_log(self.log)

    def _run(self) -> Outcome:
        j = self.journal
        if j.phase == journal_mod.DONE:
            found = self._find_server(j.data.get('dest_id'))
            if found is not None:
                return Outcome(
                    self.resolved.name,
                    self.resolved.source_id,
                    UNCHANGED,
                    found.id,
                    '',
                )
            left = self._earlier_volumes()
            j.reset()
            if left:
                j.set(remarks=left)
        elif j.phase == journal_mod.FAILED:
            if j.data.get('revert_errors'):
                # What the failed run could not undo: undone now, or the
                # reset would forget it in the destination.
                j.set(revert_errors=[])
                self._say('undoing what the failed run could not undo')
                self._revert()
                if j.data.get('revert_errors'):
                    return Outcome(
                        self.resolved.name,
                        self.resolved.source_id,
                        FAILED,
                        None,
                        'cannot undo the failed import: %s'
                        % '; '.join(j.data['revert_errors']),
                    )
            try:
                # Creates of the failed run answered too late for its revert.
                for record in (j.data.get('steps') or {}).values():
                    self._delete_unrecorded(record)
            except Exception as e:
                return Outcome(
                    self.resolved.name,
                    self.resolved.source_id,
                    FAILED,
                    None,
                    'cannot undo the failed import: %s' % e,
                )
            j.reset()
        resumed = j.phase == journal_mod.RUNNING
        started_at = j.data.get('started_at') if resumed else None
        j.set(
            phase=journal_mod.RUNNING,
            started_at=started_at or journal_mod.now(),
        )
        self._say('import %s', 'resumed' if resumed else 'started')
        try:
            self._run_steps()
        except (Exception, SystemExit) as e:
            cause = str(e) or e.__class__.__name__
            self._say('step %s failed: %s; reverting', self._step, cause)
            # The whole story in the server's log, one line on the console.
            self.log.info('step %s: traceback', self._step, exc_info=True)
            self._revert()
            j.set(
                phase=journal_mod.FAILED,
                step=self._step,
                error=cause,
                finished_at=journal_mod.now(),
            )
            return Outcome(
                self.resolved.name,
                self.resolved.source_id,
                FAILED,
                None,
                'step %s: %s' % (self._step, cause),
            )
        j.set(phase=journal_mod.DONE, step=None, finished_at=journal_mod.now())
        self._say('import done: server %s', j.data.get('dest_id'))
        return Outcome(
            self.resolved.name,
            self.resolved.source_id,
            CREATED,
            j.data.get('dest_id'),
            '; '.join(self.resolved.remarks + j.data.get('remarks', [])),
        )

    def _earlier_volumes(self) -> list[str]:
        """The destination server of a finished import is gone (deleted by
        hand) and the import starts over.  Its ports are found again by
        MAC and used; its volumes hold data and are not deleted, nor used
        (the source may have changed since): the remarks name those still
        there."""
        steps = self.journal.data.get('steps') or {}
        kept = []
        for name, record in sorted(steps.items()):
            volume_id = record.get('dest_volume')
            if (name == BOOT or name.startswith('volume:')) and volume_id:
                try:
                    self.dst.block_storage.get_volume(volume_id)
                except sdk_exceptions.NotFoundException:
                    continue
                kept.append(volume_id)
        if not kept:
            return []
        self._say(
            'the destination server of an earlier import is gone; its '
            'volumes stay: %s',
            ', '.join(kept),
        )
        return [
            'volumes of an earlier import kept in the destination: %s'
            % ', '.join(kept)
        ]

    def _run_steps(self) -> None:
        self._run_step(STOP, self._stop)
        boot_id = self.resolved.boot_volume_id
        if (
            self.resolved.boot_volume is not None
            or self.resolved.copy_image_disk
        ):
            boot_id = self._run_step(BOOT, self._boot_disk)
        data_ids = [(None, v) for v in self.resolved.existing_volume_ids]
        for volume in self.resolved.data_volumes:
            data_ids.append(
                (
                    volume,
                    self._run_step(
                        volume_step(volume.source_id),
                        lambda v=volume: self._data_volume(v),
                    ),
                )
            )
        group_id = None
        if self.resolved.server_group:
            group_id = self._run_step(GROUP, self._server_group)
        nova_ports = self.resolved.port_mode == 'nova'
        ports = {} if nova_ports else self._run_step(PORTS, self._ports)
        self._run_step(
            SERVER, lambda: self._server(boot_id, data_ids, group_id, ports)
        )
        if 'downtime_seconds' not in self.journal.data:
            down = journal_mod.seconds_since(
                self.journal.source.get('down_from')
            )
            if down is not None:
                self.journal.set(downtime_seconds=down)
                self._say('downtime: %.1f s', down)
        if nova_ports:
            ports = self._run_step(PORTS, self._nova_ports)
        if self.resolved.floating_ips:
            self._run_step(FIPS, lambda: self._floating_ips(ports))

    def _run_step(self, step: str, fn: ty.Callable[[], ty.Any]) -> ty.Any:
        """Run a journalled step, unless the journal has it done: its
        result (the recorded one when done)."""
        record = self.journal.step(step)
        if record.get('state') == journal_mod.DONE:
            return record.get('result')
        self._step = step
        self.journal.set(step=step)
        started = self.ctx.clock()
        self.journal.update_step(step, state=journal_mod.STARTED)
        result = fn()
        self.journal.update_step(
            step,
            state=journal_mod.DONE,
            result=result,
            seconds=round(
                self.ctx.clock() - started + record.get('seconds', 0.0), 3
            ),
        )
        return result

    # -- steps --------------------------------------------------------------

    def _source_server(self) -> ty.Any:
        return self.src.compute.get_server(self.resolved.source_id)

    def _stop(self) -> None:
        j = self.journal
        if 'status' not in j.source:
            j.set_source(status=self.resolved.source_status, stopped=False)
        server = self._source_server()
        if server.status == 'SHUTOFF':
            if 'down_from' not in j.source:
                j.set_source(down_from=journal_mod.stamp())
            return None
        if not self.ctx.stop:
            raise exceptions.MigrateError(
                'the source server is %s, not SHUTOFF' % server.status
            )
        self._say('stopping the source server')
        j.set_source(stopped=True, down_from=journal_mod.stamp())
        self.src.compute.stop_server(server)
        self.ctx.wait(
            'the source server to stop',
            self._source_server,
            lambda s: s.status == 'SHUTOFF',
            lambda s: s.status == 'ERROR',
        )
        return None

    def _record(self, step: str) -> ty.Callable[..., None]:
        return lambda **fields: self.journal.update_step(step, **fields)

    def _boot_disk(self) -> str:
        step = BOOT
        self._undo_copy(step)
        record = self._record(step)
        src = self.src
        bv = self.resolved.boot_volume
        if bv is not None:
            self._say('snapshotting the boot volume %s', bv.source_id)
            snap = src.block_storage.create_snapshot(
                volume_id=bv.source_id,
                force=True,
                name=TEMP_PREFIX + bv.source_id,
                description='os-migrate: temporary copy of a boot volume',
            )
            record(snapshot=snap.id)
            self.ctx.wait(
                'snapshot %s' % snap.id,
                lambda: src.block_storage.get_snapshot(snap.id),
                lambda s: s.status == 'available',
                lambda s: s.status.startswith('error'),
            )
            size = bv.size
            temp_attrs = {'snapshot_id': snap.id, 'size': size}
            attrs = dict(bv.attrs)
            image_metadata = bv.image_metadata
        else:
            self._say('snapshotting the image-booted disk of the server')
            image = src.compute.create_server_image(
                self.resolved.source_id, TEMP_PREFIX + self.resolved.name
            )
            record(image=image.id)
            image = self.ctx.wait(
                'server snapshot image %s' % image.id,
                lambda: src.image.get_image(image.id),
                lambda i: i.status == 'active',
                lambda i: i.status in ('killed', 'deleted'),
            )
            size = max(
                math.ceil((image.size or 0) / GiB), image.min_disk or 0, 1
            )
            temp_attrs = {'image_id': image.id, 'size': size}
            attrs = {'name': self.resolved.name}
            attrs.update(self.resolved.boot_volume_attrs)
            image_metadata = {}
        temp_attrs['name'] = TEMP_PREFIX + self.resolved.source_id
        temp = volume_copy.create_volume(
            src,
            temp_attrs,
            self.ctx.settings.timeout,
            record=lambda id_: record(temp_volume=id_),
            clock=self.ctx.clock,
            pause=self.ctx.pause,
            pending=lambda note: record(
                creating_temp=self.journal.step(step).get('creating_temp')
                or note
            ),
        )
        dest_id = self._copy(step, temp.id, size, attrs, True, image_metadata)
        self._delete_temporaries(step)
        return dest_id

    def _data_volume(self, volume: preflight.Volume) -> str:
        step = volume_step(volume.source_id)
        self._undo_copy(step)
        synced = sync.synced_volume(
            self.ctx.data_dir,
            self.resolved.source_id,
            volume.source_id,
            self.dst,
        )
        if synced:
            return self._synced_volume(step, volume, synced)
        # The destination volume is made while the source one detaches.
        attrs = dict(volume.attrs, size=volume.size)
        record = self._record(step)
        made = volume_copy.start_create(
            self.dst,
            attrs,
            record=lambda id_: record(dest_volume=id_),
            pending=lambda note: record(
                creating=self.journal.step(step).get('creating') or note
            ),
        )
        self._detach_from_source(volume)
        dest_id = self._copy(
            step,
            volume.source_id,
            volume.size,
            attrs,
            volume.bootable,
            volume.image_metadata,
            made_id=made.id,
        )
        self._reattach_to_source()
        return dest_id

    def _synced_volume(
        self, step: str, volume: preflight.Volume, synced: str
    ) -> str:
        """Warm migration's cutover: the stopped server's volume, detached
        from it as in a cold copy (no snapshot: it does not change), sends
        its changed pieces into the volume a sync pass filled.  Recorded as
        synced_volume, not dest_volume: an undo or a revert keeps it."""
        record = self._record(step)
        record(synced_volume=synced)
        # A killed sync pass's attachment and temporaries go first.
        sync.ServerSync(
            self.ctx.data_dir,
            self.src,
            self.dst,
            self._source_server(),
            self.ctx.settings,
        ).clean(volume.source_id)
        # The source grew since the last sync pass (the pre-flight held
        # the file to its size): so does its copy.
        volume_copy.grow(
            self.dst, synced, volume.size, self.ctx.settings.timeout
        )
        self._detach_from_source(volume)
        self._say(
            'last pass of volume %s into the synced volume %s (changed '
            'chunks only)',
            volume.source_id,
            synced,
        )
        result = self.delta_copier.copy(
            volume.source_id,
            synced,
            volume.size * GiB,
            '%s %s' % (self.resolved.name, volume.attrs.get('name') or synced),
            dest_is_zero=False,
            record=lambda items: record(attached=items),
        )
        record(
            copy={
                'bytes': result.size,
                'seconds': round(result.seconds, 3),
                'algo': result.algo,
                'digest': result.digest,
                'bytes_sent': result.bytes_sent or 0,
                'delta': True,
            }
        )
        self._say(
            'sent %d bytes (%d of %d chunks changed) in %.1f s: %s',
            result.bytes_sent or 0,
            result.chunks_changed,
            result.chunks,
            result.seconds,
            result.note,
        )
        block = self.dst.block_storage
        if volume.bootable:
            block.set_volume_bootable_status(synced, True)
        if volume.image_metadata:
            block.set_volume_image_metadata(synced, **volume.image_metadata)
        self._reattach_to_source()
        return synced

    def _copy(
        self,
        step: str,
        source_volume_id: str,
        size: int,
        attrs: dict,
        bootable: bool,
        image_metadata: dict,
        made_id: str | None = None,
    ) -> str:
        """Copy a source volume into a new destination volume (``made_id``:
        made already, maybe not available yet); its id."""
        record = self._record(step)
        attrs['size'] = size
        if made_id is None:
            dest = volume_copy.create_volume(
                self.dst,
                attrs,
                self.ctx.settings.timeout,
                record=lambda id_: record(dest_volume=id_),
                clock=self.ctx.clock,
                pause=self.ctx.pause,
                pending=lambda note: record(
                    creating=self.journal.step(step).get('creating') or note
                ),
            )
        else:
            dest = self.ctx.wait(
                'volume %s' % made_id,
                lambda: self.dst.block_storage.get_volume(made_id),
                lambda v: v.status == 'available',
                lambda v: v.status.startswith('error'),
            )
        self._say(
            'copying volume %s (%d GiB) into %s',
            source_volume_id,
            size,
            dest.id,
        )
        result = self.copier.copy(
            source_volume_id,
            dest.id,
            size * GiB,
            '%s %s'
            % (self.resolved.name, attrs.get('name') or source_volume_id),
            dest_is_zero=True,
            record=lambda items: record(attached=items),
        )
        record(
            copy={
                'bytes': result.size,
                'seconds': round(result.seconds, 3),
                'algo': result.algo,
                'digest': result.digest,
                'bytes_sent': getattr(result, 'bytes_sent', None),
            }
        )
        self._say(
            'copied %d bytes in %.1f s (%s %s)',
            result.size,
            result.seconds,
            result.algo or 'unverified',
            result.digest,
        )
        block = self.dst.block_storage
        if bootable:
            block.set_volume_bootable_status(dest.id, True)
        if image_metadata:
            block.set_volume_image_metadata(dest.id, **image_metadata)
        return dest.id

    def _detach_from_source(self, volume: preflight.Volume) -> None:
        """Detach a data volume from the source server, noted first."""
        server_id = self.resolved.source_id
        current = self.src.block_storage.get_volume(volume.source_id)
        if not any(
            a.get('server_id') == server_id for a in current.attachments or []
        ):
            return
        detached = list(self.journal.source.get('detached') or [])
        if volume.source_id not in [d['volume'] for d in detached]:
            detached.append(
                {'volume': volume.source_id, 'device': volume.device}
            )
            self.journal.set_source(detached=detached)
        self._say('detaching volume %s from the source server', volume.name)
        volume_copy.delete_attachment(self.src, server_id, volume.source_id)
        self.ctx.wait(
            'volume %s to detach from the source server' % volume.source_id,
            lambda: self.src.block_storage.get_volume(volume.source_id),
            lambda v: v.status == 'available',
            lambda v: v.status.startswith('error'),
        )

    def _reattach_to_source(self) -> None:
        """Give the source server back the volumes the journal says were
        detached from it."""
        server_id = self.resolved.source_id

        def on_source(volume) -> bool:
            return any(
                a.get('server_id') == server_id
                for a in volume.attachments or []
            )

        for item in list(self.journal.source.get('detached') or []):
            volume_id = item['volume']
            current = self.src.block_storage.get_volume(volume_id)
            if not on_source(current):
                if current.status != 'available':
                    # In use elsewhere (a conversion host whose detach
                    # failed): it stays in the journal, for the next run.
                    raise exceptions.MigrateError(
                        'volume %s is %s, not available: cannot attach it '
                        'back to the source server'
                        % (volume_id, current.status)
                    )
                self._say('attaching volume %s back to the source', volume_id)
                kwargs = {'volume_id': volume_id}
                if item.get('device'):
                    kwargs['device'] = item['device']
                self.src.compute.create_volume_attachment(server_id, **kwargs)
            self.ctx.wait(
                'volume %s to attach back to the source server' % volume_id,
                lambda v=volume_id: self.src.block_storage.get_volume(v),
                lambda v: v.status == 'in-use' and on_source(v),
                lambda v: v.status.startswith('error'),
            )
            left = [
                d
                for d in self.journal.source.get('detached') or []
                if d['volume'] != volume_id
            ]
            self.journal.set_source(detached=left)

    def _server_group(self) -> str:
        group = self.resolved.server_group
        compute = self.dst.compute
        with self.ctx.group_lock:
            for found in compute.server_groups():
                if found.name == group['name']:
                    return found.id
            attrs = {'name': group['name'], 'policy': group['policy']}
            if group.get('rules'):
                attrs['rules'] = group['rules']
            made = compute.create_server_group(**attrs)
            self.journal.update_step(GROUP, created=made.id)
            self._say('made server group %s', group['name'])
            return made.id

    def _ports(self) -> dict[str, str]:
        """Source port id -> destination port id."""
        record = self.journal.step(PORTS)
        made: dict[str, str] = dict(record.get('created') or {})
        adopted: list[str] = list(record.get('adopted') or [])
        remarks = list(self.journal.data.get('remarks') or [])
        for port in self.resolved.ports:
            if port.source_id in made:
                continue
            orphan = self._orphan_port(port)
            if orphan is not None:
                made[port.source_id] = orphan.id
                adopted.append(orphan.id)
                self.journal.update_step(
                    PORTS, created=dict(made), adopted=list(adopted)
                )
                continue
            attrs = dict(port.attrs)
            attrs.update(
                network_id=port.network_id,
                fixed_ips=[dict(f) for f in port.fixed_ips],
            )
            if port.mac_address:
                attrs['mac_address'] = port.mac_address
            if attrs.get('is_port_security_enabled') is not False:
                attrs['security_group_ids'] = port.security_group_ids
            created = self._create_port(attrs, remarks)
            made[port.source_id] = created.id
            self.journal.update_step(PORTS, created=dict(made))
        if remarks:
            self.journal.set(remarks=remarks)
        self._trunks(made)
        return made

    def _trunks(self, made: dict[str, str]) -> None:
        """Make the trunks of the ports that are one's parent on their
        twins, before the server (most Neutron drivers make no bound port
        a trunk's parent).  A trunk already on the twin (made by a run
        killed before its journal entry) is taken."""
        record = self.journal.step(PORTS)
        trunks: dict[str, str] = dict(record.get('trunks') or {})
        network = self.dst.network
        for port in self.resolved.ports:
            if port.trunk is None or port.source_id in trunks:
                continue
            port_id = made[port.source_id]
            trunk = next(iter(network.trunks(port_id=port_id)), None)
            if trunk is None:
                trunk = network.create_trunk(port_id=port_id, **port.trunk)
                self._say(
                    'made trunk %s on port %s (%d subports)',
                    trunk.id,
                    port_id,
                    len(port.trunk.get('sub_ports') or []),
                )
            trunks[port.source_id] = trunk.id
            self.journal.update_step(PORTS, trunks=dict(trunks))

    def _orphan_port(self, port: preflight.Port):
        """A port an earlier, killed run made but did not journal."""
        if not port.mac_address:
            return None
        for found in self.dst.network.ports(
            network_id=port.network_id, mac_address=port.mac_address
        ):
            if not found.device_id:
                return found
        return None

    def _create_port(self, attrs: dict, remarks: list[str]):
        """Create a port; without its fixed IP or MAC if taken."""
        return port_resource.create_keeping_addresses(
            self.dst.network, attrs, remarks
        )

    def _nova_ports(self) -> dict[str, str]:
        """Source port id -> the port Nova made for it: by fixed IP, else
        by network in order."""
        server_id = self.journal.data.get('dest_id')
        made = list(self.dst.network.ports(device_id=server_id))
        found: dict[str, str] = {}
        for port in self.resolved.ports:
            wanted = {f.get('ip_address') for f in port.fixed_ips} - {None}
            for candidate in made:
                ips = {f['ip_address'] for f in candidate.fixed_ips or []}
                if candidate.id in found.values():
                    continue
                if candidate.network_id == port.network_id and (
                    not wanted or wanted & ips
                ):
                    found[port.source_id] = candidate.id
                    break
        return found

    def _unrecorded_server(self):
        """The destination server a create call made whose answer never
        came (the run was killed, the connection broke): the one of the
        server's name, if the journal says a create was sent.  (Only
        then: a list request per server otherwise.)"""
        if not self.journal.step(SERVER).get('creating'):
            return None
        found = [
            s
            for s in self.dst.compute.servers(
                name='^%s$' % re.escape(self.resolved.name)
            )
            if s.name == self.resolved.name
        ]
        return found[0] if len(found) == 1 else None

    def _find_server(self, server_id: str | None):
        if not server_id:
            return None
        try:
            return self.dst.compute.get_server(server_id)
        except sdk_exceptions.NotFoundException:
            return None

    def _server(self, boot_id, data_ids, group_id, ports) -> str:
        record = self.journal.step(SERVER)
        compute = self.dst.compute
        server = self._find_server(record.get('id'))
        if server is None and record.get('id') is None:
            # Killed between the create call and its journal entry?
            server = self._unrecorded_server()
            if server is not None:
                self.journal.update_step(SERVER, id=server.id)
        if server is None:
            attrs = dict(self.resolved.server_attrs)
            attrs['flavor_id'] = self.resolved.flavor_id
            if self.resolved.port_mode == 'nova':
                attrs['networks'] = [
                    _nova_network(p) for p in self.resolved.ports
                ]
                groups = sorted(
                    {
                        g
                        for p in self.resolved.ports
                        for g in p.security_group_ids
                    }
                )
                if groups:
                    attrs['security_groups'] = [{'name': g} for g in groups]
            else:
                attrs['networks'] = [
                    {'port': ports[p.source_id]} for p in self.resolved.ports
                ]
            if not attrs['networks']:
                attrs['networks'] = 'none'
            bdm = []
            if boot_id:
                bdm.append(
                    {
                        'boot_index': 0,
                        'uuid': boot_id,
                        'source_type': 'volume',
                        'destination_type': 'volume',
                        'delete_on_termination': False,
                    }
                )
            else:
                attrs['image_id'] = self.resolved.image_id
            for _volume, dest_id in data_ids:
                bdm.append(
                    {
                        'boot_index': -1,
                        'uuid': dest_id,
                        'source_type': 'volume',
                        'destination_type': 'volume',
                        'delete_on_termination': False,
                    }
                )
            if bdm:
                if not boot_id:
                    bdm.insert(
                        0,
                        {
                            'boot_index': 0,
                            'uuid': self.resolved.image_id,
                            'source_type': 'image',
                            'destination_type': 'local',
                            'delete_on_termination': True,
                        },
                    )
                attrs['block_device_mapping'] = bdm
            if group_id:
                attrs['scheduler_hints'] = {'group': group_id}
            self.journal.update_step(SERVER, creating=True)
            self._say('creating the destination server')
            server = compute.create_server(**attrs)
            self.journal.update_step(SERVER, id=server.id)
        self.journal.set(dest_id=server.id)
        self.ctx.wait(
            'the destination server %s to be ACTIVE' % server.id,
            lambda: compute.get_server(server.id),
            lambda s: s.status == 'ACTIVE',
            lambda s: s.status == 'ERROR',
        )
        return server.id

    def _floating_ips(self, ports: dict[str, str]) -> list[str]:
        record = self.journal.step(FIPS)
        done: dict[str, dict] = dict(record.get('ips') or {})
        network = self.dst.network
        for fip in self.resolved.floating_ips:
            key = fip.address or fip.source_port_id
            if key in done:
                continue
            port_id = ports.get(fip.source_port_id)
            if port_id is None:
                continue
            port = network.get_port(port_id)
            fixed = [
                f['ip_address']
                for f in port.fixed_ips or []
                if ':' not in f['ip_address']
            ]
            fixed_ip = (
                fip.fixed_ip_address
                if fip.fixed_ip_address in fixed
                else (fixed[0] if fixed else None)
            )
            held = self._held_ip(port_id, fixed_ip, fip.address)
            if held is not None:
                done[key] = {
                    'id': held.id,
                    'created': False,
                    'address': held.floating_ip_address,
                }
            elif fip.existing_id and self.resolved.floating_ip_mode != 'new':
                network.update_ip(
                    fip.existing_id, port_id=port_id, fixed_ip_address=fixed_ip
                )
                done[key] = {'id': fip.existing_id, 'created': False}
            else:
                attrs = {
                    'floating_network_id': fip.network_id,
                    'port_id': port_id,
                    'fixed_ip_address': fixed_ip,
                }
                if fip.description:
                    attrs['description'] = fip.description
                made = network.create_ip(**attrs)
                done[key] = {
                    'id': made.id,
                    'created': True,
                    'address': made.floating_ip_address,
                }
            self.journal.update_step(FIPS, ips=dict(done))
        return sorted(d.get('address') or k for k, d in done.items())

    def _held_ip(self, port_id: str, fixed_ip: str | None, address):
        """The floating IP the port has on ``fixed_ip`` already, if it will
        do: one an earlier import gave the port, kept with it when the
        server was deleted by hand, or one made by a run killed before it
        journalled it.  (Neutron refuses a second one there.)"""
        mode = self.resolved.floating_ip_mode
        for held in self.dst.network.ips(port_id=port_id):
            if held.fixed_ip_address != fixed_ip:
                continue
            if mode == 'existing' and held.floating_ip_address != address:
                return None
            return held
        return None

    # -- cleaning -----------------------------------------------------------

    def _undo_copy(self, step: str) -> None:
        """Remove what a killed run of a copy step made."""
        record = self.journal.step(step)
        if not record:
            return
        if record.get('attached'):
            self.copier.detach(record['attached'])
        if record.get('dest_volume'):
            self._say(
                'deleting the half-made volume %s', record['dest_volume']
            )
            volume_copy.delete_volume(
                self.dst,
                record['dest_volume'],
                self.ctx.settings.timeout,
                clock=self.ctx.clock,
                pause=self.ctx.pause,
            )
        self._delete_unrecorded(record)
        self._delete_temporaries(step)
        self.journal.forget_step(step)
        # The note stays: a create whose answer never came may make its
        # volume after this clean-up (a slow API); the next one looks again.
        kept = {
            k: record[k]
            for k in ('creating', 'creating_temp')
            if record.get(k)
        }
        self.journal.update_step(step, state=journal_mod.STARTED, **kept)

    def _delete_unrecorded(self, record: dict) -> None:
        """Delete the volumes of the step's create calls whose answer never
        came (killed, or the answer lost)."""
        for key, conn in (('creating', self.dst), ('creating_temp', self.src)):
            # (The server step's ``creating`` is a flag, not a note.)
            if isinstance(record.get(key), dict):
                volume_copy.delete_unrecorded(
                    conn,
                    record[key],
                    self.ctx.settings.timeout,
                    clock=self.ctx.clock,
                    pause=self.ctx.pause,
                    log=self.log,
                )

    def _delete_temporaries(self, step: str) -> None:
        record = self.journal.step(step)
        src = self.src
        if record.get('temp_volume'):
            volume_copy.delete_volume(
                src,
                record['temp_volume'],
                self.ctx.settings.timeout,
                clock=self.ctx.clock,
                pause=self.ctx.pause,
            )
            self.journal.update_step(
                step, temp_volume=None, creating_temp=None
            )
        elif record.get('creating_temp'):
            volume_copy.delete_unrecorded(
                src,
                record['creating_temp'],
                self.ctx.settings.timeout,
                clock=self.ctx.clock,
                pause=self.ctx.pause,
                log=self.log,
            )
            self.journal.update_step(step, creating_temp=None)
        if record.get('snapshot'):
            src.block_storage.delete_snapshot(
                record['snapshot'], ignore_missing=True
            )
            self.ctx.wait(
                'snapshot %s to be deleted' % record['snapshot'],
                lambda: src.block_storage.find_snapshot(record['snapshot']),
                lambda s: s is None,
                lambda s: s.status == 'error_deleting',
            )
            self.journal.update_step(step, snapshot=None)
        if record.get('image'):
            src.image.delete_image(record['image'], ignore_missing=True)
            self.journal.update_step(step, image=None)

    def _revert(self) -> None:
        """Remove what this import made; give the source server back."""
        j = self.journal
        steps = j.data.get('steps') or {}
        actions: list[tuple[str, ty.Callable[[], None]]] = []
        ips = (steps.get(FIPS) or {}).get('ips') or {}
        for item in ips.values():
            if item.get('created'):
                actions.append(
                    (
                        'floating IP %s' % item['id'],
                        lambda i=item: self.dst.network.delete_ip(
                            i['id'], ignore_missing=True
                        ),
                    )
                )
        server_id = (steps.get(SERVER) or {}).get('id')
        if not server_id and steps.get(SERVER):
            unrecorded = self._unrecorded_server()
            server_id = unrecorded.id if unrecorded is not None else None
        if server_id:
            actions.append(
                (
                    'server %s' % server_id,
                    lambda: self._delete_server(server_id),
                )
            )
        ports_step = steps.get(PORTS) or {}
        # A port found unattached may not be ours: it is left, unattached
        # (and its trunk too).
        adopted = set(ports_step.get('adopted') or [])
        created = ports_step.get('created') or {}
        for source_port, trunk_id in (ports_step.get('trunks') or {}).items():
            if created.get(source_port) in adopted:
                continue
            # (before its ports: Neutron deletes no trunk's port)
            actions.append(
                (
                    'trunk %s' % trunk_id,
                    lambda t=trunk_id: self.dst.network.delete_trunk(
                        t, ignore_missing=True
                    ),
                )
            )
        for port_id in created.values():
            if port_id in adopted:
                continue
            actions.append(
                (
                    'port %s' % port_id,
                    lambda p=port_id: self.dst.network.delete_port(
                        p, ignore_missing=True
                    ),
                )
            )
        group_id = (steps.get(GROUP) or {}).get('created')
        if group_id:
            actions.append(
                (
                    'server group %s' % group_id,
                    lambda: self._delete_group(group_id),
                )
            )
        for step in steps:
            if step == BOOT or step.startswith('volume:'):
                actions.append(
                    ('volumes of %s' % step, lambda s=step: self._undo_copy(s))
                )
        actions.append(('source volumes', self._reattach_to_source))
        actions.append(('source power state', self._restore_power))
        for what, action in actions:
            try:
                action()
            except Exception as e:
                self._say('revert: %s: %s', what, e)
                remarks = list(j.data.get('revert_errors') or [])
                remarks.append('%s: %s' % (what, e))
                j.set(revert_errors=remarks)

    def _delete_server(self, server_id: str) -> None:
        compute = self.dst.compute
        compute.delete_server(server_id, ignore_missing=True)
        self.ctx.wait(
            'server %s to be deleted' % server_id,
            lambda: compute.find_server(server_id, ignore_missing=True),
            lambda s: s is None,
            lambda s: False,
        )

    def _delete_group(self, group_id: str) -> None:
        compute = self.dst.compute
        group = compute.find_server_group(group_id, ignore_missing=True)
        if group is not None and not group.member_ids:
            compute.delete_server_group(group_id, ignore_missing=True)

    def _restore_power(self) -> None:
        source = self.journal.source
        if source.get('stopped') and source.get('status') == 'ACTIVE':
            server = self._source_server()
            if server.status == 'SHUTOFF':
                self._say('starting the source server again')
                self.src.compute.start_server(server)
                self.ctx.wait(
                    'the source server to start',
                    self._source_server,
                    lambda s: s.status == 'ACTIVE',
                    lambda s: s.status == 'ERROR',
                )
