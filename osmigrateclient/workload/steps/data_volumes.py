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

"""The data volume steps (``volume:<source id>``): each data volume of the
server as a destination volume.

Makes: a new destination volume (its create sent while the source volume
detaches from the stopped server, :func:`source.detach_volume`), the
source volume's bytes copied into it (:mod:`copies`).  In a warm
migration's cutover the volume a sync pass filled is used instead, and
only its changed chunks are sent; recorded as ``synced_volume``, never
deleted.  The source volumes are attached back once the destination
server exists, outside the downtime
(:meth:`migration.ServerImport._run_steps`).

Undo: the copy's (the half-made destination volume deleted); the source
volumes are attached back by the undo of :class:`source.StopSource`.
"""

import typing as ty

from osmigrateclient.transfer import cinder_volumes
from osmigrateclient.workload import checked
from osmigrateclient.workload import sync
from osmigrateclient.workload.steps import base
from osmigrateclient.workload.steps import copies
from osmigrateclient.workload.steps import source

if ty.TYPE_CHECKING:
    from osmigrateclient.workload import migration

PREFIX = 'volume:'


def is_data_volume(step_name: str) -> bool:
    return step_name.startswith(PREFIX)


class DataVolume(copies.VolumeCopy):
    """Copy one data volume; the destination volume's id."""

    def __init__(
        self, server_import: 'migration.ServerImport', source_volume_id: str
    ) -> None:
        super().__init__(server_import)
        self.name = PREFIX + source_volume_id

    def do(self, volume: checked.ServerVolume) -> str:
        self.clean()
        synced = sync.synced_volume(
            self.ctx.data_dir,
            self.resolved.source_id,
            volume.source_id,
            self.dst,
        )
        if synced:
            return self._synced_volume(volume, synced)
        # The destination volume is made while the source one detaches.
        attrs = dict(volume.attrs, size=volume.size)
        made = cinder_volumes.start_create(
            self.dst,
            attrs,
            record=lambda id_: self.note(dest_volume=id_),
            pending=self.noted_create('creating'),
        )
        source.detach_volume(self, volume)
        dest_id = self.copy(
            volume.source_id,
            volume.size,
            attrs,
            volume.bootable,
            volume.image_metadata,
            made_id=made.id,
        )
        return dest_id

    def _synced_volume(self, volume: checked.ServerVolume, synced: str) -> str:
        """Warm migration's cutover: the stopped server's volume, detached
        from it as in a cold copy (no snapshot: it does not change), sends
        its changed pieces into the volume a sync pass filled."""

        def detached() -> str:
            source.detach_volume(self, volume)
            return volume.source_id

        self.last_pass(volume, synced, detached)
        return synced


def recorded(server_import: 'migration.ServerImport') -> list[base.Step]:
    """The data volume steps the server's journal has, in its order."""
    return [
        DataVolume(server_import, name[len(PREFIX) :])
        for name in server_import.journal.data.get('steps') or {}
        if is_data_volume(name)
    ]
