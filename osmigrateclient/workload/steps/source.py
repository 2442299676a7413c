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

"""The source server: stopped for the import, its data volumes detached.

Makes: with ``--stop``, a stopped source server (a SHUTOFF one stays as
it is); the data volume steps detach the source's volumes through
:func:`detach_volume`.  Records, in the journal's ``source`` part: the
status the server had (``status``), whether the import stopped it
(``stopped``), when its downtime began (``down_from``) and the volumes
detached from it with their devices (``detached``).

Undo gives the server back: the detached volumes attached again at their
devices, then, if the import stopped an ACTIVE server, started again.
"""

import typing as ty

from osmigrateclient import exceptions
from osmigrateclient.transfer import attachments
from osmigrateclient.workload import checked
from osmigrateclient.workload import journal as journal_mod
from osmigrateclient.workload.steps import base


class StopSource(base.Step):
    """Stop the source server (only with ``--stop``), noted first."""

    name = 'stop'

    def do(self) -> None:
        j = self.journal
        if 'status' not in j.source:
            j.set_source(status=self.resolved.source_status, stopped=False)
        server = self.source_server()
        if server.status == 'SHUTOFF':
            if 'down_from' not in j.source:
                j.set_source(down_from=journal_mod.stamp())
            return None
        if not self.ctx.stop:
            raise exceptions.MigrateError(
                'the source server is %s, not SHUTOFF' % server.status
            )
        self.say('stopping the source server')
        j.set_source(stopped=True, down_from=journal_mod.stamp())
        self.src.compute.stop_server(server)
        self.ctx.wait(
            'the source server to stop',
            self.source_server,
            lambda s: s.status == 'SHUTOFF',
            lambda s: s.status == 'ERROR',
        )
        return None

    def undo(self) -> list[base.Undo]:
        # (last of a revert: the volumes come off the conversion hosts
        # with the undo of their copies)
        return [
            base.Undo('source volumes', lambda: reattach_volumes(self)),
            base.Undo('source power state', self._restore_power),
        ]

    def _restore_power(self) -> None:
        source = self.journal.source
        if source.get('stopped') and source.get('status') == 'ACTIVE':
            server = self.source_server()
            if server.status == 'SHUTOFF':
                self.say('starting the source server again')
                self.src.compute.start_server(server)
                self.ctx.wait(
                    'the source server to start',
                    self.source_server,
                    lambda s: s.status == 'ACTIVE',
                    lambda s: s.status == 'ERROR',
                )


def detach_volume(step: base.Step, volume: checked.ServerVolume) -> None:
    """Detach a data volume from the source server, noted first."""
    server_id = step.resolved.source_id
    src = step.src
    current = src.block_storage.get_volume(volume.source_id)
    if not any(
        a.get('server_id') == server_id for a in current.attachments or []
    ):
        return
    detached = list(step.journal.source.get('detached') or [])
    if volume.source_id not in [d['volume'] for d in detached]:
        detached.append({'volume': volume.source_id, 'device': volume.device})
        step.journal.set_source(detached=detached)
    step.say('detaching volume %s from the source server', volume.name)
    attachments.delete_attachment(src, server_id, volume.source_id)
    step.ctx.wait(
        'volume %s to detach from the source server' % volume.source_id,
        lambda: src.block_storage.get_volume(volume.source_id),
        lambda v: v.status == 'available',
        lambda v: v.status.startswith('error'),
    )


def reattach_volumes(step: base.Step) -> None:
    """Give the source server back the volumes the journal says were
    detached from it."""
    server_id = step.resolved.source_id
    src = step.src
    journal = step.journal

    def on_source(volume: ty.Any) -> bool:
        return any(
            a.get('server_id') == server_id for a in volume.attachments or []
        )

    for item in list(journal.source.get('detached') or []):
        volume_id = item['volume']
        current = src.block_storage.get_volume(volume_id)
        if not on_source(current):
            if current.status != 'available':
                # In use elsewhere (a conversion host whose detach
                # failed): it stays in the journal, for the next run.
                raise exceptions.MigrateError(
                    'volume %s is %s, not available: cannot attach it '
                    'back to the source server' % (volume_id, current.status)
                )
            step.say('attaching volume %s back to the source', volume_id)
            kwargs = {'volume_id': volume_id}
            if item.get('device'):
                kwargs['device'] = item['device']
            src.compute.create_volume_attachment(server_id, **kwargs)
        step.ctx.wait(
            'volume %s to attach back to the source server' % volume_id,
            lambda v=volume_id: src.block_storage.get_volume(v),
            lambda v: v.status == 'in-use' and on_source(v),
            lambda v: v.status.startswith('error'),
        )
        left = [
            d
            for d in journal.source.get('detached') or []
            if d['volume'] != volume_id
        ]
        journal.set_source(detached=left)
