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

"""The journalled import of detached volumes: the copy and its clean-up.

The type is declared in :mod:`osmigrateclient.resources.volume`; its
create hands the copy to :class:`VolumeMover`, the volume mover of the
run (:mod:`osmigrateclient.movers`).

Each copy is journalled (:mod:`osmigrateclient.workload.volume_journal`).
A volume whose copy finished is found there and left alone (or updated);
one whose copy did not finish is deleted, with the temporary images, and
copied again, never duplicated.

``--transfer-method image`` (API only): the source volume is uploaded to a
temporary qcow2 image in the source, the image's bytes are streamed from
the source Glance to a temporary image in the destination Glance (hash
checked), the destination volume is created from it, and both temporary
images are deleted.

``--transfer-method conversion-host`` (the default): the destination
volume is created empty (same type and size) and
:mod:`osmigrateclient.transfer.volume_copy` copies the bytes between the
conversion hosts: attached through Nova, found by serial, copied host to
host without writing zeros to the new volume, verified unless
``--no-verify``, detached on every path.  The journal records each
attachment before it is made, so the next run undoes a killed run's.

``--parallel N`` imports N volumes at once (threads; the journal has one
lock).  Each volume's steps, progress and summary go to its log in the
data dir.
"""

import logging
import threading
import time
import typing as ty

from osmigrateclient import clouds
from osmigrateclient import datadir
from osmigrateclient import digest as digest_mod
from osmigrateclient import exceptions
from osmigrateclient import itemlog
from osmigrateclient import progress as progress_mod
from osmigrateclient.resources import base
from osmigrateclient.resources import refs
from osmigrateclient.resources import volume as volume_mod
from osmigrateclient.transfer import attachments
from osmigrateclient.transfer import cinder_volumes
from osmigrateclient.transfer import conversion_host
from osmigrateclient.transfer import host_pool
from osmigrateclient.transfer import image_blobs
from osmigrateclient.transfer import ssh
from osmigrateclient.transfer import volume_copy
from osmigrateclient.workload import volume_journal

LOG = logging.getLogger(__name__)

#: auth types whose token cannot be renewed past its own expiry
TOKEN_AUTH_TYPES = (
    'token',
    'v2token',
    'v3token',
    'admin_token',
    'v3oidcaccesstoken',
)


class VolumeMover:
    """The volume mover of one run: copies detached volumes, journalled.

    :param declaration: the volume type (its attributes and names)
    :param runner: stands in for SSH in tests; the others too: progress
        display, clock and sleep
    """

    def __init__(
        self,
        declaration: base.Resource,
        runner: ssh.Runner | None = None,
        progress: progress_mod.Progress | None = None,
        clock: ty.Callable[[], float] = time.monotonic,
        pause: ty.Callable[[float], None] = time.sleep,
    ) -> None:
        self.declaration = declaration
        self.runner = runner
        self.progress = progress
        self.clock = clock
        self.pause = pause
        self._source_lock = threading.Lock()

    # -- what the journal says ----------------------------------------------

    def _journal(self, lookup: refs.Lookup) -> volume_journal.Journal:
        return volume_journal.Journal(lookup.data_dir)

    def copied(self, lookup: refs.Lookup, source_id: str) -> str | None:
        """The destination volume id of a finished copy of ``source_id``."""
        record = self._journal(lookup).get(source_id)
        if record.get('state') != volume_journal.DONE:
            return None
        return record.get('dest_id') or None

    def tried(self, lookup: refs.Lookup, source_id: str) -> bool:
        """Whether an earlier run's copy of ``source_id`` is journalled."""
        return bool(self._journal(lookup).get(source_id))

    def missing_hosts(self, lookup: refs.Lookup) -> list[str]:
        """The sides (``src``, ``dst``) that have no conversion host."""
        hosts = conversion_host.load_hosts(lookup.data_dir or '')
        return host_pool.missing_sides(hosts)

    def warn_tokens(self, lookup: refs.Lookup) -> None:
        """Warn if a side authenticates with a bare token, which a long
        copy may outlive."""
        conns = [('destination', lookup.conn)]
        if lookup.option('src_cloud'):
            try:
                conns.append(('source', self._source(lookup)))
            except Exception:  # reported by each volume's create
                LOG.debug('no source connection yet', exc_info=True)
        for what, conn in conns:
            auth_type = _auth_type(conn)
            if auth_type in TOKEN_AUTH_TYPES:
                LOG.warning(
                    'The %s cloud authenticates with a token (auth_type '
                    '%s): it cannot be renewed, and a long volume copy may '
                    'outlive it; a password or application credential is '
                    'renewed as needed',
                    what,
                    auth_type,
                )

    # -- the copy -----------------------------------------------------------

    def create(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        """Copy the source volume into a new destination volume.

        Leftovers of an earlier run (temporary images, attachments, a
        half-made volume) are removed first; a failure removes what this
        run made.  Every step goes to the volume's log in the data dir.
        """
        source_id = entry['_info']['id']
        with volume_journal.volume_log(lookup.data_dir, source_id) as log:
            try:
                return self._create(lookup, entry, log)
            except BaseException as e:
                if log is not None:
                    log.error('Failed: %s', e)
                raise

    def _create(self, lookup, entry, log) -> ty.Any:
        source_id = entry['_info']['id']
        journal = self._journal(lookup)
        method = lookup.option('transfer_method', volume_mod.HOST_METHOD)
        itemlog.say(
            LOG,
            log,
            'Importing volume %s (%r) by %s',
            source_id,
            self.declaration.name_of(entry),
            method,
        )
        src = self._source(lookup)
        self._clean(lookup, src, journal, source_id, log)
        if journal.get(source_id).get('state') == volume_journal.DONE:
            # A new copy (the last one's volume is gone): no old creates.
            journal.set(source_id, creating=None)
        journal.set(source_id, state=volume_journal.STARTED, dest_id=None)
        try:
            if method == volume_mod.IMAGE_METHOD:
                obj = self._copy_by_image(lookup, src, journal, entry, log)
            else:
                obj = self._copy_by_host(lookup, src, journal, entry, log)
        except BaseException as e:
            try:
                self._clean(lookup, src, journal, source_id, log)
            except Exception as problem:
                # The failure itself is what to report; the journal keeps
                # what is left, for the next run to clean.
                LOG.warning('Cannot clean up after %s: %s', e, problem)
                if log is not None:
                    log.warning('Cannot clean up after %s: %s', e, problem)
            raise
        self._delete_images(lookup, src, journal, source_id)
        journal.set(source_id, state=volume_journal.DONE, dest_id=obj.id)
        itemlog.say(
            LOG,
            log,
            'Volume %s is now %s in the destination',
            source_id,
            obj.id,
        )
        return obj

    def _source(self, lookup: refs.Lookup) -> ty.Any:
        if not lookup.option('src_cloud'):
            raise exceptions.MigrateError(
                'volumes need the source cloud: give --src-cloud or set '
                'OS_MIGRATE_SRC_CLOUD'
            )
        # Parallel copies connect once.
        with self._source_lock:
            return lookup.other_side(clouds.SOURCE)

    def _timeout(self, lookup: refs.Lookup) -> int:
        return lookup.option('volume_timeout', volume_mod.TIMEOUT)

    def _wait(self, what, get, ready, failed, timeout):
        return cinder_volumes.wait(
            what, get, ready, failed, timeout, self.clock, self.pause
        )

    def _progress(self, lookup: refs.Lookup) -> progress_mod.Progress:
        if self.progress is not None:
            return self.progress
        if lookup.option('volume_parallel', 1) > 1:
            # Live bars of parallel copies would draw over each other.
            return progress_mod.Progress(bar=False)
        return progress_mod.Progress()

    @staticmethod
    def _check_source(src, source_id, copier=None):
        src_volume = src.block_storage.get_volume(source_id)
        if src_volume.status != 'available' and not (
            copier and copier.usable(conversion_host.SRC, src_volume)
        ):
            raise exceptions.MigrateError(
                'the source volume %s is %s, not available'
                % (source_id, src_volume.status)
            )
        return src_volume

    def _copy_by_image(self, lookup, src, journal, entry, log):
        source_id = entry['_info']['id']
        params = entry['params']
        name = self.declaration.name_of(entry) or source_id
        timeout = self._timeout(lookup)
        temp_name = '%svolume-%s' % (datadir.TEMP_PREFIX, source_id)
        src_volume = self._check_source(src, source_id)
        started = time.monotonic()
        itemlog.say(
            LOG, log, 'Uploading volume %r to a temporary source image', name
        )
        answer = src.block_storage.upload_volume_to_image(
            src_volume,
            temp_name,
            force=True,
            disk_format='qcow2',
            container_format='bare',
        )
        src_image_id = answer['image_id']
        journal.set(source_id, src_image_id=src_image_id)
        src_image = self._wait(
            'temporary source image %s' % src_image_id,
            lambda: src.image.get_image(src_image_id),
            lambda i: i.status == 'active',
            lambda i: i.status in ('killed', 'deleted'),
            timeout,
        )
        self._wait(
            'source volume %s after its upload' % source_id,
            lambda: src.block_storage.get_volume(source_id),
            lambda v: v.status == 'available',
            lambda v: v.status == 'error',
            timeout,
        )
        dst = lookup.conn
        dst_image = dst.image.create_image(
            name=temp_name,
            disk_format=src_image.disk_format,
            container_format=src_image.container_format,
            visibility='private',
        )
        journal.set(source_id, dst_image_id=dst_image.id)
        digest = digest_mod.digest_of(src_image)
        itemlog.say(
            LOG,
            log,
            'Streaming temporary image %s to the destination image %s',
            src_image_id,
            dst_image.id,
        )
        progress = self._progress(lookup)
        if log is not None:
            progress = volume_copy.LoggedProgress(progress, log)
        sent = image_blobs.copy(
            src,
            src_image_id,
            digest,
            dst,
            dst_image,
            progress,
            'volume %r' % name,
        )
        dst_image = dst.image.get_image(dst_image.id)
        problem = image_blobs.check_uploaded(dst_image, digest)
        if problem:
            raise exceptions.MigrateError(
                'the temporary destination image does not match: %s' % problem
            )
        itemlog.say(
            LOG,
            log,
            'Creating the destination volume from image %s',
            dst_image.id,
        )
        volume = self._create_destination(
            lookup, journal, entry, params, timeout, image_id=dst_image.id
        )
        itemlog.say(
            LOG,
            log,
            'Copied %s: %d bytes in %.1f s, %s',
            name,
            sent,
            time.monotonic() - started,
            '%s %s' % (digest.algo, digest.value)
            if digest.algo and digest.value
            else 'md5 %s' % digest.md5,
        )
        return self._set_bootable(dst, volume, entry)

    def _create_destination(
        self, lookup, journal, entry, params, timeout, **extra
    ):
        """Create the destination volume of ``entry`` (journalled at once,
        so a killed run finds it) and wait until it is available."""
        attrs = self.declaration.sdk_attrs(lookup, params)
        attrs.update(size=entry['_info']['size'], **extra)
        return cinder_volumes.create_volume(
            lookup.conn,
            attrs,
            timeout,
            record=lambda volume_id: journal.set(
                entry['_info']['id'], dest_id=volume_id
            ),
            clock=self.clock,
            pause=self.pause,
            # The first create's note stays for the whole copy: a create
            # whose answer never came may make its volume late (slow API).
            pending=lambda note: journal.set(
                entry['_info']['id'],
                creating=journal.get(entry['_info']['id']).get('creating')
                or note,
            ),
        )

    @staticmethod
    def _set_bootable(dst, volume, entry):
        """Give the destination volume the source's bootable flag."""
        bootable = bool(entry['_info'].get('is_bootable'))
        if bool(volume.is_bootable) != bootable:
            dst.block_storage.set_volume_bootable_status(volume, bootable)
            volume = dst.block_storage.get_volume(volume.id)
        return volume

    # -- conversion hosts ---------------------------------------------------

    def _copy_by_host(self, lookup, src, journal, entry, log):
        source_id = entry['_info']['id']
        timeout = self._timeout(lookup)
        dst = lookup.conn
        copier = volume_copy.Copier(
            lookup.data_dir,
            src,
            dst,
            volume_copy.Settings(
                verify=lookup.option('volume_verify', True),
                timeout=timeout,
                copy_timeout=lookup.option('copy_timeout'),
                per_host=lookup.option(
                    'per_host', volume_copy.DEFAULT_SETTINGS.per_host
                ),
            ),
            runner=self.runner,
            progress=self._progress(lookup),
            log=log,
            clock=self.clock,
            pause=self.pause,
        )
        self._check_source(src, source_id, copier)
        itemlog.say(LOG, log, 'Creating the empty destination volume')
        volume = self._create_destination(
            lookup, journal, entry, entry['params'], timeout
        )
        result = copier.copy(
            source_id,
            volume.id,
            int(entry['_info']['size']) * 1024**3,
            self.declaration.name_of(entry) or source_id,
            # A new volume reads as zeros: nbdcopy skips writing them.
            dest_is_zero=True,
            record=lambda attached: journal.set(source_id, attached=attached),
        )
        journal.set(source_id, algo=result.algo, digest=result.digest)
        return self._set_bootable(
            dst, dst.block_storage.get_volume(volume.id), entry
        )

    # -- clean-up -----------------------------------------------------------

    def _detach_all(self, lookup, src, journal, source_id, log=None) -> None:
        """Detach what the journal says this volume's copy attached."""
        attachments.detach_all(
            {conversion_host.SRC: src, conversion_host.DST: lookup.conn},
            journal.get(source_id).get('attached') or [],
            self._timeout(lookup),
            self.clock,
            self.pause,
            log,
        )
        journal.set(source_id, attached=[])

    def _delete_images(self, lookup, src, journal, source_id) -> None:
        record = journal.get(source_id)
        for conn, key in (
            (src, 'src_image_id'),
            (lookup.conn, 'dst_image_id'),
        ):
            if record.get(key):
                conn.image.delete_image(record[key], ignore_missing=True)
                journal.set(source_id, **{key: None})

    def _clean(self, lookup, src, journal, source_id, log=None) -> None:
        """Delete what an unfinished copy of ``source_id`` left behind."""
        record = journal.get(source_id)
        if not record:
            return
        if record.get('attached'):
            self._detach_all(lookup, src, journal, source_id, log)
        self._delete_images(lookup, src, journal, source_id)
        unfinished = record.get('state') != volume_journal.DONE
        if unfinished and record.get('dest_id'):
            itemlog.say(
                LOG, log, 'Deleting the half-made volume %s', record['dest_id']
            )
            cinder_volumes.delete_volume(
                lookup.conn,
                record['dest_id'],
                self._timeout(lookup),
                self.clock,
                self.pause,
            )
            journal.set(source_id, dest_id=None)
        if unfinished and record.get('creating'):
            # Killed (or the answer lost) before a create call answered.
            # The note stays: a late create may land after this clean-up.
            cinder_volumes.delete_unrecorded(
                lookup.conn,
                record['creating'],
                self._timeout(lookup),
                self.clock,
                self.pause,
                log,
            )


def _auth_type(conn: ty.Any) -> str:
    config = getattr(getattr(conn, 'config', None), 'config', None)
    return (config or {}).get('auth_type') or ''
