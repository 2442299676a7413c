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

"""What the boot disk and data volume steps share: a volume copied
through the conversion hosts into a new destination volume.

Makes: the destination volume, filled by the copier and marked bootable
or given image metadata like its source.  Records: ``dest_volume`` (its
id, as soon as the create answers), ``creating`` (a note of the create
sent, for an answer that never comes), ``attached`` (what the copier
attached to the conversion hosts) and ``copy`` (bytes, seconds,
checksum).

In a warm migration's cutover a step copies instead into the volume a
sync pass filled, sending only the changed chunks (:meth:`VolumeCopy.
last_pass`); recorded as ``synced_volume``, never deleted.

Undo (also the start of a step that a killed run left started): the
conversion hosts' attachments are detached and the destination volume,
recorded or found by its create note, is deleted.
"""

import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient.transfer import cinder_volumes
from osmigrateclient.workload import checked
from osmigrateclient.workload import journal as journal_mod
from osmigrateclient.workload import sync
from osmigrateclient.workload.steps import base


class VolumeCopy(base.Step):
    """A step that copies a volume into a new destination volume."""

    def undo(self) -> list[base.Undo]:
        if not self.record:
            return []
        return [base.Undo('volumes of %s' % self.name, self.clean)]

    def clean(self) -> None:
        """Remove what a killed or failed run of this step made."""
        record = self.record
        if not record:
            return
        if record.get('attached'):
            self.server_import.copier.detach(record['attached'])
        if record.get('dest_volume'):
            self.say('deleting the half-made volume %s', record['dest_volume'])
            cinder_volumes.delete_volume(
                self.dst,
                record['dest_volume'],
                self.ctx.settings.timeout,
                clock=self.ctx.clock,
                pause=self.ctx.pause,
            )
        self._delete_unrecorded(record)
        self.delete_temporaries()
        self.journal.forget_step(self.name)
        # The note stays: a create whose answer never came may make its
        # volume after this clean-up (a slow API); the next one looks again.
        kept = {
            field: record[field]
            for field, _cloud in self.create_notes()
            if record.get(field)
        }
        self.note(state=journal_mod.STARTED, **kept)

    def create_notes(self) -> list[tuple[str, ty.Any]]:
        """(record field, cloud) of the notes of this step's creates."""
        return [('creating', self.dst)]

    def clean_late(self) -> None:
        self._delete_unrecorded(self.record)

    def _delete_unrecorded(self, record: dict) -> None:
        """Delete the volumes of the step's create calls whose answer never
        came (killed, or the answer lost)."""
        for field, conn in self.create_notes():
            if isinstance(record.get(field), dict):
                cinder_volumes.delete_unrecorded(
                    conn,
                    record[field],
                    self.ctx.settings.timeout,
                    clock=self.ctx.clock,
                    pause=self.ctx.pause,
                    log=self.server_import.log,
                )

    def delete_temporaries(self) -> None:
        """Delete what the step made in the source to copy from (nothing,
        unless the step says so)."""

    def volumes_kept(self) -> list[str]:
        volume_id = self.record.get('dest_volume')
        if not volume_id:
            return []
        try:
            self.dst.block_storage.get_volume(volume_id)
        except sdk_exceptions.NotFoundException:
            return []
        return [volume_id]

    def noted_create(self, field: str) -> ty.Callable[[dict], None]:
        """The ``pending`` of a volume create: notes it in ``field``,
        keeping an earlier note (its volume may still come)."""
        return lambda note: self.note(
            **{field: self.record.get(field) or note}
        )

    def copy(
        self,
        source_volume_id: str,
        size: int,
        attrs: dict,
        bootable: bool,
        image_metadata: dict,
        made_id: str | None = None,
    ) -> str:
        """Copy a source volume into a new destination volume (``made_id``:
        made already, maybe not available yet); its id."""
        attrs['size'] = size
        if made_id is None:
            dest = cinder_volumes.create_volume(
                self.dst,
                attrs,
                self.ctx.settings.timeout,
                record=lambda id_: self.note(dest_volume=id_),
                clock=self.ctx.clock,
                pause=self.ctx.pause,
                pending=self.noted_create('creating'),
            )
        else:
            dest = self.ctx.wait(
                'volume %s' % made_id,
                lambda: self.dst.block_storage.get_volume(made_id),
                lambda v: v.status == 'available',
                lambda v: v.status.startswith('error'),
            )
        self.say(
            'copying volume %s (%d GiB) into %s',
            source_volume_id,
            size,
            dest.id,
        )
        result = self.server_import.copier.copy(
            source_volume_id,
            dest.id,
            size * checked.GiB,
            '%s %s'
            % (self.resolved.name, attrs.get('name') or source_volume_id),
            dest_is_zero=True,
            record=lambda items: self.note(attached=items),
        )
        self.note(
            copy={
                'bytes': result.size,
                'seconds': round(result.seconds, 3),
                'algo': result.algo,
                'digest': result.digest,
                'bytes_sent': getattr(result, 'bytes_sent', None),
            }
        )
        self.say(
            'copied %d bytes in %.1f s (%s %s)',
            result.size,
            result.seconds,
            result.algo or 'unverified',
            result.digest,
        )
        set_like_source(self.dst, dest.id, bootable, image_metadata)
        return dest.id

    def last_pass(
        self,
        volume: checked.ServerVolume,
        synced: str,
        read_from: ty.Callable[[], str],
    ) -> None:
        """Warm migration's cutover: the changed chunks of the stopped
        server's volume sent into ``synced``, the volume a sync pass
        filled.  ``read_from()`` gives the source volume to read (one that
        does not change).  Recorded as synced_volume, not dest_volume: an
        undo or a revert keeps it."""
        self.note(synced_volume=synced)
        # A killed sync pass's attachment and temporaries go first.
        synced_by = sync.ServerSync(
            self.ctx.data_dir,
            self.src,
            self.dst,
            self.source_server(),
            self.ctx.settings,
        )
        synced_by.clean(volume.source_id)
        # The source grew since the last sync pass (the pre-flight held
        # the file to its size): so does its copy.
        cinder_volumes.grow(
            self.dst, synced, volume.size, self.ctx.settings.timeout
        )
        source_id = read_from()
        self.say(
            'last pass of volume %s into the synced volume %s (changed '
            'chunks only)',
            volume.source_id,
            synced,
        )
        # What the last sync pass left there spares hashing it again;
        # never kept after this pass: the new server writes the volume.
        journal = synced_by.journal
        size = volume.size * checked.GiB
        known = journal.known_chunks(volume.source_id, synced, size)
        journal.forget_chunks(volume.source_id)
        result = self.server_import.delta_copier.copy(
            source_id,
            synced,
            size,
            '%s %s' % (self.resolved.name, volume.attrs.get('name') or synced),
            dest_is_zero=False,
            record=lambda items: self.note(attached=items),
            dest_chunks=known,
        )
        self.note(
            copy={
                'bytes': result.size,
                'seconds': round(result.seconds, 3),
                'algo': result.algo,
                'digest': result.digest,
                'bytes_sent': result.bytes_sent or 0,
                'delta': True,
            }
        )
        self.say(
            'sent %d bytes (%d of %d chunks changed) in %.1f s: %s',
            result.bytes_sent or 0,
            result.chunks_changed,
            result.chunks,
            result.seconds,
            result.note,
        )
        set_like_source(
            self.dst, synced, volume.bootable, volume.image_metadata
        )


def set_like_source(
    dst: ty.Any, volume_id: str, bootable: bool, image_metadata: dict
) -> None:
    """Mark a destination volume bootable, and give it its image
    metadata, as its source volume."""
    block = dst.block_storage
    if bootable:
        block.set_volume_bootable_status(volume_id, True)
    if image_metadata:
        block.set_volume_image_metadata(volume_id, **image_metadata)
