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

"""The import of one server: its steps run in order, journalled, and a
failure reverts them in reverse order.

The steps, in order (the journal's step names; each is a class in
:mod:`osmigrateclient.workload.steps` with its do and its undo)::

    stop          source.StopSource: stop the source server (--stop)
    boot_disk     boot_disk.BootDisk: the boot volume, or with
                  boot_disk_copy an image-booted server's disk, copied
                  into a new destination volume
    volume:<id>   data_volumes.DataVolume: each data volume detached from
                  the source server, copied, attached back
    server_group  server_group.ServerGroup: found, or made
    ports         ports.Ports: the ports and their trunks (neutron mode;
                  in nova mode ports.NovaPorts, after the server)
    server        server.Server: created, then waited for ACTIVE
    floating_ips  floating_ips.FloatingIPs: per floating_ip_mode

A step that finished is never redone; one that a killed run left started
is cleaned (what it made is removed) and redone.  A step that fails
reverts the whole server: what this import made in the destination is
deleted, the source server gets its volumes back and, if the import
stopped it, is started again.
"""

import logging
import os
import threading
import time
import typing as ty

from osmigrateclient import datafile
from osmigrateclient import itemlog
from osmigrateclient.transfer import cinder_volumes
from osmigrateclient.transfer import delta
from osmigrateclient.transfer import volume_copy
from osmigrateclient.workload import checked
from osmigrateclient.workload import journal as journal_mod
from osmigrateclient.workload.steps import base
from osmigrateclient.workload.steps import boot_disk
from osmigrateclient.workload.steps import data_volumes
from osmigrateclient.workload.steps import floating_ips
from osmigrateclient.workload.steps import ports
from osmigrateclient.workload.steps import server
from osmigrateclient.workload.steps import server_group
from osmigrateclient.workload.steps import source

LOG = logging.getLogger(__name__)

CREATED, UNCHANGED, FAILED = 'created', 'unchanged', 'failed'


class ImportOutcome(ty.NamedTuple):
    """What became of one server of a workload import."""

    name: str
    source_id: str
    action: str
    dest_id: str | None
    detail: str


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
        return cinder_volumes.wait(
            what,
            get,
            ready,
            failed,
            timeout or self.settings.timeout,
            self.clock,
            self.pause,
        )


def server_log(data_dir: str, source_id: str) -> logging.Logger:
    """The logger of one server's import: its file in workload_logs/."""
    logger = logging.getLogger('osmigrateclient.workload.%s' % source_id)
    path = journal_mod.log_path(data_dir, source_id)
    if not any(
        getattr(h, 'baseFilename', None) == path for h in logger.handlers
    ):
        datafile.ensure_dir(os.path.dirname(path), link_ok=False)
        handler = itemlog.Handler(path)
        handler.setFormatter(logging.Formatter(itemlog.FORMAT))
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
    """Imports one checked server (``checked.Resolved``)."""

    def __init__(
        self, ctx: Context, resolved: checked.Resolved, copier=None
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

    def say(self, text: str, *args: ty.Any) -> None:
        """Tell the server's log, and the console's."""
        message = text % args if args else text
        self.log.info('%s', message)
        LOG.info('%s: %s', self.resolved.name, message)

    # -- the whole server ---------------------------------------------------

    def run(self) -> ImportOutcome:
        try:
            return self._run()
        finally:
            close_server_log(self.log)

    def _outcome(self, action, dest_id=None, detail='') -> ImportOutcome:
        return ImportOutcome(
            self.resolved.name,
            self.resolved.source_id,
            action,
            dest_id,
            detail,
        )

    def _run(self) -> ImportOutcome:
        j = self.journal
        if j.phase == journal_mod.DONE:
            found = server.find(self.dst, j.data.get('dest_id'))
            if found is not None:
                return self._outcome(UNCHANGED, found.id)
            left = self._earlier_volumes()
            j.reset()
            if left:
                j.set(remarks=left)
        elif j.phase == journal_mod.FAILED:
            if j.data.get('revert_errors'):
                # What the failed run could not undo: undone now, or the
                # reset would forget it in the destination.
                j.set(revert_errors=[])
                self.say('undoing what the failed run could not undo')
                self._revert()
                if j.data.get('revert_errors'):
                    return self._outcome(
                        FAILED,
                        detail='cannot undo the failed import: %s'
                        % '; '.join(j.data['revert_errors']),
                    )
            try:
                # Creates of the failed run answered too late for its revert.
                for step in self._recorded_steps():
                    step.clean_late()
            except Exception as e:
                return self._outcome(
                    FAILED, detail='cannot undo the failed import: %s' % e
                )
            j.reset()
        resumed = j.phase == journal_mod.RUNNING
        started_at = j.data.get('started_at') if resumed else None
        j.set(
            phase=journal_mod.RUNNING,
            started_at=started_at or journal_mod.now(),
        )
        self.say('import %s', 'resumed' if resumed else 'started')
        try:
            self._run_steps()
        except (Exception, SystemExit) as e:
            cause = str(e) or e.__class__.__name__
            self.say('step %s failed: %s; reverting', self._step, cause)
            # The whole story in the server's log, one line on the console.
            self.log.info('step %s: traceback', self._step, exc_info=True)
            self._revert()
            j.set(
                phase=journal_mod.FAILED,
                step=self._step,
                error=cause,
                finished_at=journal_mod.now(),
            )
            return self._outcome(
                FAILED, detail='step %s: %s' % (self._step, cause)
            )
        j.set(phase=journal_mod.DONE, step=None, finished_at=journal_mod.now())
        self.say('import done: server %s', j.data.get('dest_id'))
        return self._outcome(
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
        kept = [
            volume_id
            for step in sorted(self._recorded_steps(), key=lambda s: s.name)
            for volume_id in step.volumes_kept()
        ]
        if not kept:
            return []
        self.say(
            'the destination server of an earlier import is gone; its '
            'volumes stay: %s',
            ', '.join(kept),
        )
        return [
            'volumes of an earlier import kept in the destination: %s'
            % ', '.join(kept)
        ]

    def _run_steps(self) -> None:
        """The steps in order, each fed what the earlier ones made."""
        resolved = self.resolved
        self._run_step(source.StopSource(self))
        boot_id = resolved.boot_volume_id
        if resolved.boot_volume is not None or resolved.copy_image_disk:
            boot_id = self._run_step(boot_disk.BootDisk(self))
        volume_ids = list(resolved.existing_volume_ids)
        for volume in resolved.data_volumes:
            step = data_volumes.DataVolume(self, volume.source_id)
            volume_ids.append(self._run_step(step, volume))
        group_id = None
        if resolved.server_group:
            group_id = self._run_step(server_group.ServerGroup(self))
        nova_ports = resolved.port_mode == 'nova'
        made = {} if nova_ports else self._run_step(ports.Ports(self))
        self._run_step(
            server.Server(self), boot_id, volume_ids, group_id, made
        )
        if 'downtime_seconds' not in self.journal.data:
            down = journal_mod.seconds_since(
                self.journal.source.get('down_from')
            )
            if down is not None:
                self.journal.set(downtime_seconds=down)
                self.say('downtime: %.1f s', down)
        # The source server's volumes back once the downtime is over (a
        # revert attaches them too; a resumed run gets here again).
        source.reattach_volumes(source.StopSource(self))
        if nova_ports:
            made = self._run_step(ports.NovaPorts(self))
        if resolved.floating_ips:
            self._run_step(floating_ips.FloatingIPs(self), made)

    def _run_step(self, step: base.Step, *made: ty.Any) -> ty.Any:
        """Run a journalled step, unless the journal has it done: its
        result (the recorded one when done)."""
        record = step.record
        if record.get('state') == journal_mod.DONE:
            return record.get('result')
        self._step = step.name
        self.journal.set(step=step.name)
        started = self.ctx.clock()
        step.note(state=journal_mod.STARTED)
        result = step.do(*made)
        step.note(
            state=journal_mod.DONE,
            result=result,
            seconds=round(
                self.ctx.clock() - started + record.get('seconds', 0.0), 3
            ),
        )
        return result

    # -- warm migration -----------------------------------------------------

    def make_ahead(self) -> str:
        """What of the server needs no stopped source, made while it runs
        (``workload sync``): its server group, and its ports and their
        trunks (port_creation_mode neutron).  The steps' records are
        written, not marked done: the cutover runs them again, and they
        take what is there (the group by name, the ports and trunks
        recorded) and make only what is missing, so that a port the file
        gained since is made then.  What there is, said."""
        made = []
        try:
            if self.resolved.server_group:
                server_group.ServerGroup(self).do()
                made.append('server group')
            if self.resolved.port_mode != 'nova' and self.resolved.ports:
                count = len(ports.Ports(self).do())
                made.append('%d port%s' % (count, '' if count == 1 else 's'))
        finally:
            close_server_log(self.log)
        return ', '.join(made)

    # -- reverting ----------------------------------------------------------

    def _recorded_steps(self) -> list[base.Step]:
        """Every step whose journal record a revert reads, in the order
        the steps run (the data volumes' as the journal has them)."""
        return [
            source.StopSource(self),
            boot_disk.BootDisk(self),
            *data_volumes.recorded(self),
            server_group.ServerGroup(self),
            ports.Ports(self),
            server.Server(self),
            floating_ips.FloatingIPs(self),
        ]

    def _revert(self) -> None:
        """Remove what this import made; give the source server back: the
        undo of every step, last step first, each tried."""
        j = self.journal
        undo = [u for s in reversed(self._recorded_steps()) for u in s.undo()]
        for what, action in undo:
            try:
                action()
            except Exception as e:
                self.say('revert: %s: %s', what, e)
                remarks = list(j.data.get('revert_errors') or [])
                remarks.append('%s: %s' % (what, e))
                j.set(revert_errors=remarks)
