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

"""A sync pass of a running server's volumes (warm migration, issue 16).

Per Cinder volume attached to the server, while the server runs::

    snapshot (force) -> temporary volume from it -> attached to the source
    conversion host -> copied into the destination volume (made on the
    first pass, kept between passes): the first pass a full copy, the
    later ones only the changed chunks (transfer.delta) -> the temporary
    volume and snapshot deleted

``<data-dir>/workload_sync/<source server id>.yml`` (0600, rewritten
atomically) records, per source volume, the destination volume, the
passes and their bytes, and the temporaries of the pass running; a pass
killed at any point leaves them recorded, and the next run deletes them
first (and any temporary of that name whose create was not answered), so
nothing is left behind.

The root disk of an image-booted server with ``boot_disk_copy`` has no
Cinder volume to snapshot: a pass takes a Nova server snapshot image of it
instead (crash-consistent, the server keeps running), makes the temporary
volume of the image and copies it as above into the destination root
volume, journalled under the server's own id (never a volume's).  Without
``boot_disk_copy`` the root disk is not synced: the cutover boots the
destination server from the image, as a cold import does.

The journal of the passes: :mod:`osmigrateclient.workload.sync_journal`.
"""

import concurrent.futures
import logging
import math
import typing as ty


from openstack import exceptions as sdk_exceptions

from osmigrateclient import datadir
from osmigrateclient import exceptions
from osmigrateclient.transfer import cinder_volumes
from osmigrateclient.transfer import delta
from osmigrateclient.transfer import volume_copy
from osmigrateclient.workload import journal as journal_mod
from osmigrateclient.workload import sync_journal

LOG = logging.getLogger(__name__)

GiB = 1024**3

SYNCED, FAILED = 'synced', 'failed'


class SyncOutcome(ty.NamedTuple):
    name: str
    source_id: str
    #: SYNCED or FAILED
    action: str
    detail: str


class ServerSync:
    """One sync pass of one source server's volumes (and, given
    ``root``, of its image-booted root disk)."""

    def __init__(
        self,
        data_dir: str,
        src: ty.Any,
        dst: ty.Any,
        server: ty.Any,
        settings: volume_copy.Settings = volume_copy.DEFAULT_SETTINGS,
        root: dict | None = None,
    ) -> None:
        """``root``: the create attributes of the destination root volume
        (:func:`root_attrs`), for an image-booted server whose root disk
        is synced; None when it is not."""
        self.src, self.dst = src, dst
        self.server = server
        self.settings = settings
        self.root = root
        self.journal = sync_journal.Journal(data_dir, server.id, server.name)
        self.full = volume_copy.Copier(data_dir, src, dst, settings)
        self.delta = delta.Copier(data_dir, src, dst, settings)

    def run(self) -> SyncOutcome:
        volumes = sorted(
            a.get('id') if isinstance(a, dict) else a.id
            for a in self.server.attached_volumes or []
        )
        image_booted = not self.server.attached_volumes or not _volume_booted(
            self.server
        )
        todo = [(v, self._volume) for v in volumes]
        if image_booted and self.root is not None:
            todo.insert(0, (self.server.id, lambda _key: self._root()))
        details = []
        for key, one in todo:
            try:
                details.append(one(key))
            except Exception as e:
                self._clean_after(key)
                return SyncOutcome(
                    self.server.name, self.server.id, FAILED, str(e) or repr(e)
                )
        if image_booted and self.root is None:
            details.append(
                'root disk not synced (image-booted without boot_disk_copy: '
                'the new server boots from the image)'
            )
        return SyncOutcome(
            self.server.name, self.server.id, SYNCED, '; '.join(details)
        )

    def _clean_after(self, key: str) -> None:
        """The temporaries of a failed pass deleted now (those of a killed
        one, by the next run)."""
        try:
            self.clean(key)
        except Exception as e:
            LOG.warning(
                '%s: temporaries of %s left for the next run: %s',
                self.server.name,
                _disk(key, self.server.id),
                e,
            )

    # -- one disk -----------------------------------------------------------

    def _volume(self, volume_id: str) -> str:
        j = self.journal
        self.clean(volume_id)
        source = self.src.block_storage.get_volume(volume_id)
        name = datadir.SYNC_TEMP_PREFIX + volume_id
        timeout = self.settings.timeout
        snap = self.src.block_storage.create_snapshot(
            volume_id=volume_id,
            force=True,
            name=name,
            description='os-migrate: temporary snapshot of a sync pass',
        )
        j.update(volume_id, snapshot=snap.id)
        cinder_volumes.wait(
            'snapshot %s' % snap.id,
            lambda: self.src.block_storage.get_snapshot(snap.id),
            lambda s: s.status == 'available',
            lambda s: s.status.startswith('error'),
            timeout,
        )
        temp = cinder_volumes.create_volume(
            self.src,
            {'snapshot_id': snap.id, 'size': source.size, 'name': name},
            timeout,
            record=lambda id_: j.update(volume_id, temp_volume=id_),
        )
        attrs = {'name': source.name or volume_id, 'size': source.size}
        if source.description:
            attrs['description'] = source.description
        if source.volume_type:
            attrs['volume_type'] = source.volume_type
        dest_id = self._dest(volume_id, attrs)
        return (
            volume_id
            + ': '
            + self._pass(
                volume_id,
                temp.id,
                dest_id,
                source.size,
                '%s %s' % (self.server.name, source.name or volume_id),
            )
        )

    def _root(self) -> str:
        """A pass of the image-booted root disk, through a server snapshot
        image (named, so that an unanswered create is found by name)."""
        j = self.journal
        key = self.server.id
        self.clean(key)
        name = datadir.SYNC_TEMP_PREFIX + key
        timeout = self.settings.timeout
        image = self.src.compute.create_server_image(self.server.id, name)
        j.update(key, image=image.id)
        image = cinder_volumes.wait(
            'server snapshot image %s' % image.id,
            lambda: self.src.image.get_image(image.id),
            lambda i: i.status == 'active',
            lambda i: i.status in ('killed', 'deleted'),
            timeout,
        )
        # Never smaller than the last pass's copy: the delta compares
        # whole devices.
        size = max(image_disk_size(image), j.volume(key).get('size') or 0)
        temp = cinder_volumes.create_volume(
            self.src,
            {'image_id': image.id, 'size': size, 'name': name},
            timeout,
            record=lambda id_: j.update(key, temp_volume=id_),
        )
        dest_id = self._dest(key, dict(self.root or {}, size=size))
        j.update(key, size=size)
        label = '%s %s' % (self.server.name, self.root.get('name') or key)
        return 'root disk: ' + self._pass(key, temp.id, dest_id, size, label)

    def _pass(
        self, key: str, temp_id: str, dest_id: str, size: int, label: str
    ) -> str:
        """Copy a pass's temporary volume into the destination volume of
        ``key`` (whole the first time, changed chunks later), journal it,
        delete the temporaries; what was done."""
        j = self.journal
        first = not j.volume(key).get('copied')
        copier = self.full if first else self.delta
        known = None if first else j.known_chunks(key, dest_id, size * GiB)
        j.forget_chunks(key)
        result = copier.copy(
            temp_id,
            dest_id,
            size * GiB,
            label,
            dest_is_zero=first,
            record=lambda items: j.update(key, attached=items or None),
            dest_chunks=known,
        )
        if getattr(result, 'hashes', None):
            j.keep_chunks(key, dest_id, result.hashes)
        record = j.volume(key)
        sent = result.bytes_sent or 0
        last = {
            'at': journal_mod.now(),
            'seconds': round(result.seconds, 3),
            'bytes_sent': sent,
            'digest': result.digest,
            'full': first,
        }
        if not first:
            last['chunks_changed'] = result.chunks_changed
            last['chunks_zeroed'] = result.chunks_zeroed
        j.update(
            key,
            copied=True,
            passes=record.get('passes', 0) + 1,
            bytes_sent=record.get('bytes_sent', 0) + sent,
            last=last,
        )
        self.clean(key)
        return 'pass %d (%s), %d bytes sent' % (
            record.get('passes', 0) + 1,
            'full copy' if first else 'changed chunks',
            sent,
        )

    def _dest(self, key: str, attrs: dict) -> str:
        """The destination volume of ``key``: made of ``attrs`` on the
        first pass (recorded as soon as it exists), the same one
        afterwards, grown to ``attrs['size']``."""
        j = self.journal
        dest_id = j.volume(key).get('dest_volume')
        if dest_id:
            try:
                dest = self.dst.block_storage.get_volume(dest_id)
            except sdk_exceptions.NotFoundException:
                # deleted by hand: a new one and a full copy
                j.update(key, dest_volume=None, copied=None)
            else:
                # (a killed pass's attachment is gone by now: clean)
                if dest.status == 'in-use':
                    raise exceptions.MigrateError(
                        'destination volume %s of %s is in use (the '
                        'server was imported): not synced again'
                        % (dest_id, _disk(key, self.server.id))
                    )
                # The source grew since the last pass: so does its copy.
                cinder_volumes.grow(
                    self.dst, dest_id, attrs['size'], self.settings.timeout
                )
                return dest_id
        made = cinder_volumes.create_volume(
            self.dst,
            attrs,
            self.settings.timeout,
            record=lambda id_: j.update(key, dest_volume=id_),
        )
        return made.id

    def clean(self, key: str) -> None:
        """Detach and delete the temporaries of a pass (this one's, or a
        killed one's: recorded, or only named) of a volume, or of the
        root disk when ``key`` is the server's id."""
        j = self.journal
        record = j.volume(key)
        if record.get('attached'):
            self.full.detach(record['attached'])
            j.update(key, attached=None)
        block = self.src.block_storage
        name = datadir.SYNC_TEMP_PREFIX + key
        temps = {record.get('temp_volume')} - {None}
        temps |= {v.id for v in block.volumes(name=name)}
        for temp_id in sorted(temps):
            cinder_volumes.delete_volume(
                self.src, temp_id, self.settings.timeout
            )
        j.update(key, temp_volume=None)
        if key == self.server.id:
            images = {record.get('image')} - {None}
            images |= {i.id for i in self.src.image.images(name=name)}
            for image_id in sorted(images):
                self.src.image.delete_image(image_id, ignore_missing=True)
            j.update(key, image=None)
            return
        snaps = {record.get('snapshot')} - {None}
        snaps |= {s.id for s in block.snapshots(name=name)}
        for snap_id in sorted(snaps):
            block.delete_snapshot(snap_id, ignore_missing=True)
            cinder_volumes.wait(
                'deleting snapshot %s' % snap_id,
                lambda s=snap_id: _snapshot_or_none(block, s),
                lambda s: s is None,
                lambda s: s.status == 'error_deleting',
                self.settings.timeout,
            )
        j.update(key, snapshot=None)


def _disk(key: str, server_id: str) -> str:
    return 'the root disk' if key == server_id else 'volume %s' % key


def image_disk_size(image: ty.Any) -> int:
    """The GiB of a volume made of a server snapshot image: its bytes
    rounded up, at least its min_disk."""
    return max(math.ceil((image.size or 0) / GiB), image.min_disk or 0, 1)


def root_attrs(entry: dict) -> dict | None:
    """The create attributes of the destination root volume of a
    workloads.yml entry whose image-booted root disk is copied
    (``boot_disk_copy``), as the cold import names it; None otherwise."""
    params = entry.get('params') or {}
    migration = entry.get('_migration_params') or {}
    if not migration.get('boot_disk_copy'):
        return None
    if migration.get('data_copy', True) is False:
        return None
    attrs = {'name': params.get('name') or (entry.get('_info') or {})['id']}
    attrs.update(
        (k, v)
        for k, v in (migration.get('boot_volume_params') or {}).items()
        if v is not None
    )
    return attrs


def _snapshot_or_none(block: ty.Any, snap_id: str) -> ty.Any:
    try:
        return block.get_snapshot(snap_id)
    except sdk_exceptions.NotFoundException:
        return None


def _volume_booted(server: ty.Any) -> bool:
    """No image: the root disk is a volume (synced with the others)."""
    image = server.image
    return not (image.get('id') if isinstance(image, dict) else image)


def sync_all(
    data_dir: str,
    src: ty.Any,
    dst: ty.Any,
    entries: list[dict],
    parallel: int,
    settings: volume_copy.Settings = volume_copy.DEFAULT_SETTINGS,
) -> list[SyncOutcome]:
    """A pass of each server of ``entries`` (workloads.yml), ``parallel``
    at once; the outcomes in the order of the entries."""

    def one(entry: dict) -> SyncOutcome:
        info, params = entry.get('_info') or {}, entry.get('params') or {}
        source_id, name = info.get('id'), params.get('name') or ''
        try:
            server = src.compute.get_server(source_id)
        except sdk_exceptions.NotFoundException:
            return SyncOutcome(name, source_id, FAILED, 'not in the source')
        return ServerSync(
            data_dir, src, dst, server, settings, root_attrs(entry)
        ).run()

    with concurrent.futures.ThreadPoolExecutor(max(1, parallel)) as pool:
        return list(pool.map(one, entries))


def synced_volume(
    data_dir: str, server_id: str, volume_id: str, dst: ty.Any
) -> str | None:
    """The destination volume a sync pass filled for ``volume_id`` (the
    server's own id: its image-booted root disk) and that is still there,
    available (the cutover's final pass goes into it), or None.  In use
    is fine while the journal holds a killed pass's attachment:
    :meth:`ServerSync.clean` detaches it first."""
    record = (sync_journal.read(data_dir, server_id).get('volumes') or {}).get(
        volume_id
    )
    if not record or not record.get('copied') or not record.get('dest_volume'):
        return None
    try:
        volume = dst.block_storage.get_volume(record['dest_volume'])
    except sdk_exceptions.NotFoundException:
        return None
    if volume.status == 'available' or (
        volume.status == 'in-use' and record.get('attached')
    ):
        return volume.id
    return None
