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

"""Detached Cinder volumes, with their bytes.

The entries are the pioneering tool's (``openstack.network.ServerVolume``
in ``detached_volumes.yml``): ``params`` ``availability_zone``, ``name``,
``description``, ``volume_type``, ``volume_image_metadata``, and beyond it
``metadata`` (the volume's properties); ``_info`` ``id``, ``size``,
``is_bootable``, ``attachments``.  Unlike the pioneering tool, the
destination volume gets the exported volume type.

Export takes the volumes of the source project that are not attached.

Import is idempotent through a journal, ``volume_logs/journal.yml`` in the
data directory: source volume id to destination volume id and state.  A
volume whose copy finished is found there and left alone (or its name,
description and properties updated); one whose copy did not finish is
deleted, with the temporary images, and copied again, never duplicated.

``--transfer-method image`` (API only): the source volume is uploaded to a
temporary qcow2 image in the source, the image's bytes are streamed from
the source Glance to a temporary image in the destination Glance (hash
checked), the destination volume is created from it, and both temporary
images are deleted.

``--transfer-method conversion-host`` (the default): the destination
volume is created empty (same type and size), the source volume is
attached to the source conversion host and the new one to the destination
host through Nova, each device is found by its serial, the bytes are copied
host to host (:mod:`osmigrateclient.transfer.blockcopy`) and verified, and
both volumes are detached, on every path.
"""

import logging
import os
import time
import typing as ty

import yaml
from openstack import exceptions as sdk_exceptions

from osmigrateclient import clouds
from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient.resources import base
from osmigrateclient.resources import refs
from osmigrateclient.transfer import blockcopy
from osmigrateclient.transfer import conversion_host
from osmigrateclient.transfer import image_blobs
from osmigrateclient.transfer import ssh

LOG = logging.getLogger(__name__)

JOURNAL = os.path.join('volume_logs', 'journal.yml')
#: the name prefix of the temporary images
TEMP_PREFIX = 'os-migrate-'
IMAGE_METHOD, HOST_METHOD = 'image', 'conversion-host'
#: seconds an upload, a volume create or an image may take
TIMEOUT = 1800

# Journal states of a volume.
STARTED, DONE = 'started', 'done'


def journal_path(data_dir: str) -> str:
    return os.path.join(data_dir, JOURNAL)


class Journal:
    """Source volume id -> what its import did, kept in the data dir."""

    def __init__(self, data_dir: str | None) -> None:
        self.path = journal_path(data_dir) if data_dir else None
        self.records: dict[str, dict] = {}
        if self.path and os.path.isfile(self.path):
            with open(self.path, encoding='utf-8') as f:
                self.records = (yaml.safe_load(f) or {}).get('volumes') or {}

    def get(self, source_id: str) -> dict:
        return dict(self.records.get(source_id) or {})

    def set(self, source_id: str, **fields: ty.Any) -> None:
        """Record ``fields`` for the volume, on disk at once."""
        record = self.records.setdefault(source_id, {})
        record.update(fields)
        if self.path:
            datafile.ensure_dir(os.path.dirname(self.path))
            datafile.write_text(
                self.path,
                yaml.safe_dump(
                    {'volumes': self.records}, default_flow_style=False
                ),
            )


def _wait(
    what: str,
    get: ty.Callable[[], ty.Any],
    ready: ty.Callable[[ty.Any], bool],
    failed: ty.Callable[[ty.Any], bool],
    timeout: float,
    clock: ty.Callable[[], float] = time.monotonic,
    pause: ty.Callable[[float], None] = time.sleep,
) -> ty.Any:
    """Poll ``get()`` until ``ready``; raise on ``failed`` or timeout."""
    deadline = clock() + timeout
    delay = 0.5
    while True:
        obj = get()
        if ready(obj):
            return obj
        if failed(obj):
            raise exceptions.MigrateError(
                '%s: status %s' % (what, getattr(obj, 'status', None))
            )
        if clock() >= deadline:
            raise exceptions.MigrateError(
                '%s: still %s after %d s'
                % (what, getattr(obj, 'status', None), timeout)
            )
        pause(delay)
        delay = min(delay * 2, 5.0)


class Volume(base.Resource):
    type = 'openstack.network.ServerVolume'
    cli_name = 'volume'
    kind = 'volume'
    file_name = 'detached_volumes.yml'
    service = 'block_storage'
    pre_workload = False
    rank = 200

    params_fields = (
        'availability_zone',
        'name',
        'description',
        'volume_type',
        'volume_image_metadata',
        'metadata',
    )
    info_fields = ('attachments', 'id', 'is_bootable', 'size', 'status')
    tag_field = None
    sorted_fields = ()
    create_only = ('availability_zone', 'volume_type')

    #: injected by tests
    clock: ty.Callable[[], float] = staticmethod(time.monotonic)
    pause: ty.Callable[[float], None] = staticmethod(time.sleep)

    def add_arguments(self, parser: ty.Any, verb: str) -> None:
        if verb != 'import':
            return
        parser.add_argument(
            '--transfer-method',
            metavar='<method>',
            choices=(IMAGE_METHOD, HOST_METHOD),
            default=HOST_METHOD,
            help='Volumes: how the bytes travel: "conversion-host" (SSH '
            'between conversion hosts, the default) or "image" (API only: '
            'through a temporary image in each Glance; slower)',
        )
        parser.add_argument(
            '--volume-timeout',
            metavar='<seconds>',
            type=int,
            default=TIMEOUT,
            help='Volumes: seconds an upload or a volume create may take '
            '(default: %d)' % TIMEOUT,
        )
        clouds.add_cloud_argument(parser, clouds.SOURCE)

    @staticmethod
    def _option(lookup: refs.Lookup, name: str, default: ty.Any = None):
        value = getattr(lookup.options, name, None)
        return default if value is None else value

    # -- export -------------------------------------------------------------

    def list_source(self, lookup: refs.Lookup) -> list[ty.Any]:
        return [
            v
            for v in lookup.conn.block_storage.volumes(details=True)
            if not v.attachments and v.status != 'in-use'
        ]

    def from_sdk(self, lookup: refs.Lookup, obj: ty.Any) -> base.Entry:
        entry = super().from_sdk(lookup, obj)
        entry['params']['metadata'] = base.plain(obj.metadata or {})
        entry['params']['volume_image_metadata'] = base.plain(
            obj.volume_image_metadata or {}
        )
        return entry

    # -- import: what to do -------------------------------------------------

    def _journal(self, lookup: refs.Lookup) -> Journal:
        return Journal(lookup.data_dir)

    def find_existing(self, lookup: refs.Lookup, entry: base.Entry):
        """The destination volume the journal records as fully copied."""
        record = self._journal(lookup).get(entry['_info']['id'])
        if record.get('state') != DONE or not record.get('dest_id'):
            return None
        try:
            return lookup.conn.block_storage.get_volume(record['dest_id'])
        except sdk_exceptions.NotFoundException:
            return None

    def diff(self, lookup, existing, entry):
        wanted = {
            k: entry['params'].get(k)
            for k in ('name', 'description', 'metadata', 'volume_type')
            if k in entry['params']
        }
        changes = {}
        for key, value in wanted.items():
            have = getattr(existing, key, None)
            if key == 'metadata':
                have = base.plain(have or {})
            if key == 'volume_type' and value is None:
                continue
            if not base.same(have, value):
                changes[key] = (have, value)
        return changes

    def plan(self, lookup: refs.Lookup, entry: base.Entry) -> base.Plan:
        planned = super().plan(lookup, entry)
        method = self._option(lookup, 'transfer_method', HOST_METHOD)
        if planned.action == base.CREATE and method != IMAGE_METHOD:
            hosts = conversion_host.load_hosts(lookup.data_dir or '')
            missing = [s for s in conversion_host.SIDES if s not in hosts]
            if missing:
                return base.Plan(
                    base.BLOCKED,
                    'transfer: no %s conversion host: run "openstack migrate '
                    'conversion host deploy" first, or use '
                    '--transfer-method image' % ' or '.join(missing),
                )
        if planned.action == base.CREATE:
            record = self._journal(lookup).get(entry['_info']['id'])
            if record:
                return base.Plan(
                    base.CREATE, 'redo: the last copy did not finish'
                )
        return planned

    def sdk_attrs(self, lookup: refs.Lookup, params: dict) -> dict:
        return {
            k: v
            for k, v in params.items()
            if k not in ('volume_image_metadata',) and v is not None
        }

    def update(self, lookup, existing, changes):
        attrs = {k: new for k, (_, new) in changes.items()}
        metadata = attrs.pop('metadata', None)
        proxy = self.proxy(lookup)
        if attrs:
            proxy.update_volume(existing, **attrs)
        if metadata is not None:
            proxy.set_volume_metadata(existing, **metadata)
        return proxy.get_volume(existing.id)

    # -- import: doing it ---------------------------------------------------

    def create(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        """Copy the source volume into a new destination volume.

        Leftovers of an earlier run (temporary images, a half-made
        volume) are deleted first; a failure deletes what this run made.
        """
        source_id = entry['_info']['id']
        journal = self._journal(lookup)
        src = self._source(lookup)
        self._clean(lookup, src, journal, source_id)
        journal.set(source_id, state=STARTED, dest_id=None)
        method = self._option(lookup, 'transfer_method', HOST_METHOD)
        try:
            if method == IMAGE_METHOD:
                obj = self._copy_by_image(lookup, src, journal, entry)
            else:
                obj = self._copy_by_host(lookup, src, journal, entry)
        except BaseException:
            self._clean(lookup, src, journal, source_id)
            raise
        self._delete_images(lookup, src, journal, source_id)
        journal.set(source_id, state=DONE, dest_id=obj.id)
        return obj

    def _source(self, lookup: refs.Lookup) -> ty.Any:
        if not self._option(lookup, 'src_cloud'):
            raise exceptions.MigrateError(
                'volumes need the source cloud: give --src-cloud or set '
                'OS_MIGRATE_SRC_CLOUD'
            )
        return lookup.other_side(clouds.SOURCE)

    def _timeout(self, lookup: refs.Lookup) -> int:
        return self._option(lookup, 'volume_timeout', TIMEOUT)

    def _wait(self, what, get, ready, failed, timeout):
        return _wait(what, get, ready, failed, timeout, self.clock, self.pause)

    def _copy_by_image(self, lookup, src, journal, entry):
        source_id = entry['_info']['id']
        params, name = entry['params'], self.name_of(entry) or source_id
        timeout = self._timeout(lookup)
        temp_name = '%svolume-%s' % (TEMP_PREFIX, source_id)
        src_volume = src.block_storage.get_volume(source_id)
        if src_volume.status != 'available':
            raise exceptions.MigrateError(
                'the source volume %s is %s, not available'
                % (source_id, src_volume.status)
            )
        LOG.info('Uploading volume %r to a temporary source image', name)
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
        digest = image_blobs.digest_of(src_image)
        image_blobs.copy(
            src,
            src_image_id,
            digest,
            dst,
            dst_image,
            image_blobs.Progress(),
            'volume %r' % name,
        )
        dst_image = dst.image.get_image(dst_image.id)
        problem = image_blobs.check_uploaded(dst_image, digest)
        if problem:
            raise exceptions.MigrateError(
                'the temporary destination image does not match: %s' % problem
            )
        volume = self._create_destination(
            lookup, journal, entry, params, timeout, image_id=dst_image.id
        )
        return self._set_bootable(dst, volume, entry)

    def _create_destination(
        self, lookup, journal, entry, params, timeout, **extra
    ):
        """Create the destination volume of ``entry`` (journalled at once,
        so a killed run finds it) and wait until it is available."""
        dst = lookup.conn
        attrs = self.sdk_attrs(lookup, params)
        attrs.update(size=entry['_info']['size'], **extra)
        volume = dst.block_storage.create_volume(**attrs)
        journal.set(entry['_info']['id'], dest_id=volume.id)
        return self._wait(
            'destination volume %s' % volume.id,
            lambda: dst.block_storage.get_volume(volume.id),
            lambda v: v.status == 'available',
            lambda v: v.status.startswith('error'),
            timeout,
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

    #: injected by tests
    runner: ssh.Runner | None = None
    progress: image_blobs.Progress | None = None

    def _copy_by_host(self, lookup, src, journal, entry):
        source_id = entry['_info']['id']
        timeout = self._timeout(lookup)
        hosts = conversion_host.load_hosts(lookup.data_dir)
        if any(s not in hosts for s in conversion_host.SIDES):
            raise exceptions.MigrateError(
                'no conversion hosts: run "openstack migrate conversion '
                'host deploy" first'
            )
        src_volume = src.block_storage.get_volume(source_id)
        if src_volume.status != 'available':
            raise exceptions.MigrateError(
                'the source volume %s is %s, not available'
                % (source_id, src_volume.status)
            )
        dst = lookup.conn
        volume = self._create_destination(
            lookup, journal, entry, entry['params'], timeout
        )
        runner = self.runner or ssh.Runner()
        data_dir = lookup.data_dir
        src_host = conversion_host.ssh_host(data_dir, hosts['src'])
        dst_host = conversion_host.ssh_host(data_dir, hosts['dst'])
        try:
            src_dev = self._attach(
                src,
                hosts['src']['server_id'],
                source_id,
                journal,
                source_id,
                'src',
                runner,
                src_host,
                timeout,
            )
            dst_dev = self._attach(
                dst,
                hosts['dst']['server_id'],
                volume.id,
                journal,
                source_id,
                'dst',
                runner,
                dst_host,
                timeout,
            )
            copier = blockcopy.BlockCopy(
                src_host,
                dst_host,
                conversion_host.link_of(hosts['src']),
                runner,
                self.progress,
            )
            result = copier.copy(
                blockcopy.Volume(
                    src_dev,
                    dst_dev,
                    int(entry['_info']['size']) * 1024**3,
                    label=self.name_of(entry) or source_id,
                )
            )
        finally:
            self._detach_all(lookup, src, journal, source_id)
        journal.set(source_id, algo=result.algo, digest=result.digest)
        return self._set_bootable(
            dst, dst.block_storage.get_volume(volume.id), entry
        )

    def _attach(
        self,
        conn,
        server_id,
        volume_id,
        journal,
        source_id,
        side,
        runner,
        host,
        timeout,
    ) -> str:
        """Attach ``volume_id`` to the conversion host; its device."""
        attached = list(journal.get(source_id).get('attached') or [])
        attached.append(
            {'side': side, 'server': server_id, 'volume': volume_id}
        )
        journal.set(source_id, attached=attached)
        conn.compute.create_volume_attachment(server_id, volume_id=volume_id)
        self._wait(
            'volume %s to attach' % volume_id,
            lambda: conn.block_storage.get_volume(volume_id),
            lambda v: v.status == 'in-use',
            lambda v: v.status.startswith('error'),
            timeout,
        )
        found = self._wait(
            'the device of volume %s on %s' % (volume_id, host.label),
            lambda: find_device(runner, host, volume_id),
            bool,
            lambda d: False,
            timeout,
        )
        return found

    def _detach_all(self, lookup, src, journal, source_id) -> None:
        """Detach what the journal says this volume's copy attached."""
        conns = {'src': src, 'dst': lookup.conn}
        for item in journal.get(source_id).get('attached') or []:
            conn = conns[item['side']]
            conn.compute.delete_volume_attachment(
                item['server'], item['volume'], ignore_missing=True
            )
            self._wait(
                'volume %s to detach' % item['volume'],
                lambda c=conn, i=item: c.block_storage.find_volume(
                    i['volume']
                ),
                lambda v: v is None or v.status == 'available',
                lambda v: v.status.startswith('error'),
                self._timeout(lookup),
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

    def _clean(self, lookup, src, journal, source_id) -> None:
        """Delete what an unfinished copy of ``source_id`` left behind."""
        record = journal.get(source_id)
        if not record:
            return
        if record.get('attached'):
            self._detach_all(lookup, src, journal, source_id)
        self._delete_images(lookup, src, journal, source_id)
        if record.get('state') != DONE and record.get('dest_id'):
            LOG.info('Deleting the half-made volume %s', record['dest_id'])
            proxy = lookup.conn.block_storage
            proxy.delete_volume(record['dest_id'], ignore_missing=True)
            self._wait(
                'deleting volume %s' % record['dest_id'],
                lambda: proxy.find_volume(record['dest_id']),
                lambda v: v is None,
                lambda v: v.status == 'error_deleting',
                self._timeout(lookup),
            )
            journal.set(source_id, dest_id=None)


def device_script(volume_id: str) -> str:
    """Prints the device of a volume: its by-id link, else the disk whose
    serial lsblk reports (attachment order does not matter)."""
    serial = volume_id[:20]
    link = '/dev/disk/by-id/virtio-%s' % serial
    return (
        'if [ -b %s ]; then echo %s; else lsblk -dnpo NAME,SERIAL | '
        'awk \'$2 == "%s" {print $1}\'; fi' % (link, link, serial)
    )


def find_device(runner: ssh.Runner, host: ssh.Host, volume_id: str) -> str:
    """The device of ``volume_id`` on ``host``, '' while not there."""
    done = ssh.run(
        runner, host, device_script(volume_id), timeout=60, check=False
    )
    lines = done.stdout.split()
    return lines[0] if done.returncode == 0 and len(lines) == 1 else ''


RESOURCE = Volume
