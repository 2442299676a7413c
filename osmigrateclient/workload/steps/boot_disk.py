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

"""The boot disk step: the server's boot disk as a destination volume.

Makes: a boot-from-volume server's boot volume is snapshotted, and a
temporary volume made of the snapshot; with ``boot_disk_copy``, an
image-booted server's disk is snapshotted by Nova into an image, and a
temporary volume made of that image.  Either temporary volume is copied
into a new destination volume (:mod:`copies`), then the temporaries are
deleted.  In a warm migration's cutover, a boot volume or image-booted
root disk that sync passes filled gets its changed chunks only, from the
temporary volume into the synced volume
(:meth:`copies.VolumeCopy.last_pass`), which the server then boots from.
Records, besides a copy's fields: ``snapshot``, ``image``, ``temp_volume``
and ``creating_temp`` (the note of the temporary volume's create).

Undo: the copy's (the destination volume deleted; a synced volume is
kept), then the temporaries in the source.
"""

import typing as ty

from osmigrateclient import datadir
from osmigrateclient import exceptions
from osmigrateclient.transfer import cinder_volumes
from osmigrateclient.workload import checked
from osmigrateclient.workload import sync
from osmigrateclient.workload.steps import copies


class BootDisk(copies.VolumeCopy):
    """Copy the boot disk; the destination volume's id."""

    name = 'boot_disk'

    def do(self) -> str:
        self.clean()
        bv = self.resolved.boot_volume
        if bv is None:
            return self._image_disk()
        synced = sync.synced_volume(
            self.ctx.data_dir, self.resolved.source_id, bv.source_id, self.dst
        )
        if synced:
            return self._synced_volume(bv, synced)
        snap_id = self._snapshot(
            bv,
            datadir.TEMP_PREFIX + bv.source_id,
            'os-migrate: temporary copy of a boot volume',
        )
        temp = self._temp_volume(
            {
                'snapshot_id': snap_id,
                'size': bv.size,
                'name': datadir.TEMP_PREFIX + self.resolved.source_id,
            }
        )
        dest_id = self.copy(
            temp.id, bv.size, dict(bv.attrs), True, bv.image_metadata
        )
        self.delete_temporaries()
        return dest_id

    def _image_disk(self) -> str:
        """boot_disk_copy: an image-booted server's disk, through a server
        snapshot image."""
        source_id = self.resolved.source_id
        # A sync pass journals the root disk under the server's own id.
        synced = sync.synced_volume(
            self.ctx.data_dir, source_id, source_id, self.dst
        )
        if synced:
            return self._synced_image_disk(synced)
        image = self._server_image(datadir.TEMP_PREFIX + self.resolved.name)
        size = sync.image_disk_size(image)
        temp = self._temp_volume(
            {
                'image_id': image.id,
                'size': size,
                'name': datadir.TEMP_PREFIX + source_id,
            }
        )
        dest_id = self.copy(temp.id, size, self._root_attrs(), True, {})
        self.delete_temporaries()
        return dest_id

    def _root_attrs(self) -> dict:
        attrs = {'name': self.resolved.name}
        attrs.update(self.resolved.boot_volume_attrs)
        return attrs

    def _server_image(self, name: str) -> ty.Any:
        """A server snapshot image of the source server, recorded,
        active."""
        src = self.src
        self.say('snapshotting the image-booted disk of the server')
        image = src.compute.create_server_image(self.resolved.source_id, name)
        self.note(image=image.id)
        return self.ctx.wait(
            'server snapshot image %s' % image.id,
            lambda: src.image.get_image(image.id),
            lambda i: i.status == 'active',
            lambda i: i.status in ('killed', 'deleted'),
        )

    def _synced_image_disk(self, synced: str) -> str:
        """Warm migration's cutover of an image-booted root disk that sync
        passes filled: the changed chunks of a snapshot image of the
        stopped server sent into the synced volume.  Its temporaries are
        named as a sync pass's (found by name after a killed cutover)."""
        source_id = self.resolved.source_id
        name = datadir.SYNC_TEMP_PREFIX + source_id
        size = self.dst.block_storage.get_volume(synced).size
        root = checked.ServerVolume(
            source_id=source_id,
            name=self.resolved.name,
            size=size,
            device=None,
            bootable=True,
            attrs=self._root_attrs(),
            image_metadata={},
        )

        def image_volume() -> str:
            image = self._server_image(name)
            if sync.image_disk_size(image) > size:
                raise exceptions.MigrateError(
                    'the root disk of %s grew to %d GiB since its last '
                    'sync pass (%d GiB): sync it again'
                    % (self.resolved.name, sync.image_disk_size(image), size)
                )
            temp = self._temp_volume(
                {'image_id': image.id, 'size': size, 'name': name}
            )
            return temp.id

        self.last_pass(root, synced, image_volume)
        self.delete_temporaries()
        return synced

    def _synced_volume(self, bv: checked.ServerVolume, synced: str) -> str:
        """Warm migration's cutover: a boot volume cannot be detached from
        its (stopped) server, so its snapshot's volume is read, as in a
        cold copy; its temporaries are named as a sync pass's, so that a
        killed cutover's unanswered creates are found by name."""
        name = datadir.SYNC_TEMP_PREFIX + bv.source_id

        def snapshot_volume() -> str:
            snap_id = self._snapshot(
                bv, name, 'os-migrate: temporary copy of a boot volume'
            )
            temp = self._temp_volume(
                {'snapshot_id': snap_id, 'size': bv.size, 'name': name}
            )
            return temp.id

        self.last_pass(bv._replace(bootable=True), synced, snapshot_volume)
        self.delete_temporaries()
        return synced

    def _snapshot(
        self, bv: checked.ServerVolume, name: str, description: str
    ) -> str:
        """A forced snapshot of the boot volume, recorded, available."""
        src = self.src
        self.say('snapshotting the boot volume %s', bv.source_id)
        snap = src.block_storage.create_snapshot(
            volume_id=bv.source_id,
            force=True,
            name=name,
            description=description,
        )
        self.note(snapshot=snap.id)
        self.ctx.wait(
            'snapshot %s' % snap.id,
            lambda: src.block_storage.get_snapshot(snap.id),
            lambda s: s.status == 'available',
            lambda s: s.status.startswith('error'),
        )
        return snap.id

    def _temp_volume(self, attrs: dict) -> ty.Any:
        """The temporary volume to copy from, recorded, available."""
        return cinder_volumes.create_volume(
            self.src,
            attrs,
            self.ctx.settings.timeout,
            record=lambda id_: self.note(temp_volume=id_),
            clock=self.ctx.clock,
            pause=self.ctx.pause,
            pending=self.noted_create('creating_temp'),
        )

    def create_notes(self) -> list[tuple[str, ty.Any]]:
        return super().create_notes() + [('creating_temp', self.src)]

    def delete_temporaries(self) -> None:
        record = self.record
        src = self.src
        if record.get('temp_volume'):
            cinder_volumes.delete_volume(
                src,
                record['temp_volume'],
                self.ctx.settings.timeout,
                clock=self.ctx.clock,
                pause=self.ctx.pause,
            )
            self.note(temp_volume=None, creating_temp=None)
        elif record.get('creating_temp'):
            cinder_volumes.delete_unrecorded(
                src,
                record['creating_temp'],
                self.ctx.settings.timeout,
                clock=self.ctx.clock,
                pause=self.ctx.pause,
                log=self.server_import.log,
            )
            self.note(creating_temp=None)
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
            self.note(snapshot=None)
        if record.get('image'):
            src.image.delete_image(record['image'], ignore_missing=True)
            self.note(image=None)
