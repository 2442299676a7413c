# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""A nova virt driver for the development cloud, built on nova's FakeDriver.

Upstream ``nova.virt.fake.FakeDriver`` is made for nova's own unit tests and
has three problems in a long-lived development cloud:

1. Restart: its node uuid is a random per-process sentinel, so a restarted
   nova-compute finds "a different node" for the same host and dies
   (``No local node identity found, but this is not our first startup`` and
   later ``Duplicate compute node record``).  Here the node uuid is
   ``uuid5(NAMESPACE_DNS, nodename)``; ``devcloud start`` writes the same
   value to ``$state_path/compute_id`` before the first start.
2. Restart again: servers live only in the driver's memory, so after a restart
   nova sees every server "vanished".  Here an instance nova asks about is
   adopted from its database record (ACTIVE -> running, STOPPED -> shut
   down, ...), so servers keep their state across restarts.
3. Snapshots: upstream never uploads image data, so snapshot images stay
   ``queued`` forever.  Here the bytes of the server's boot image are
   uploaded, so a snapshot becomes ``active`` with the boot image's checksum.

It also does what upstream does not implement at all: nova's part of
cinder's *assisted volume snapshots* (``volume_snapshot_create`` and
``volume_snapshot_delete``), with which cinder's NFS driver snapshots an
attached volume (e.g. the boot volume of a boot-from-volume server).  What
libvirt does to the running guest's disk is done to the volume's files with
``qemu-img`` (:mod:`devcloud_drivers.volume_snapshot`), and cinder is told
like libvirt tells it.

Servers have no data plane: nothing runs, disks have no contents.  Volumes do
have contents (cinder's NFS driver keeps them as plain files).  The exception
are *loopback hosts*, servers booted from an image with the property
``devcloud_loopback_host=true``: they run as a network namespace with its own
sshd and get their volumes as loop devices (:mod:`devcloud_drivers.loopback`,
glue in :mod:`devcloud_drivers.nova_loopback`).

nova only loads drivers from ``nova.virt.*``; ``devcloud-nova-compute``
(:mod:`devcloud_drivers.nova_compute`) registers this module as
``nova.virt.devcloud_fake``.  Config: ``compute_driver =
devcloud_fake.DevcloudFakeDriver``.
"""

import os
import tempfile
import time
import uuid

from oslo_log import log as logging
from oslo_serialization import jsonutils
from oslo_utils import excutils

from nova.compute import power_state
from nova.compute import task_states
from nova.compute import vm_states
from nova import exception
from nova.image import glance
from nova import objects
from nova.virt import block_device as driver_block_device
from nova.virt import fake
from nova.volume import cinder

from devcloud_drivers import nova_loopback
from devcloud_drivers import volume_snapshot

LOG = logging.getLogger(__name__)

# vm_state recorded in nova's DB -> power state the adopted instance gets
_ADOPT_STATES = {
    vm_states.ACTIVE: power_state.RUNNING,
    vm_states.RESCUED: power_state.RUNNING,
    vm_states.RESIZED: power_state.RUNNING,
    vm_states.STOPPED: power_state.SHUTDOWN,
    vm_states.PAUSED: power_state.PAUSED,
    vm_states.SUSPENDED: power_state.SUSPENDED,
}


def node_uuid(nodename):
    """The stable node uuid; devcloud pre-seeds compute_id with it."""
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, nodename))


class DevcloudFakeDriver(nova_loopback.LoopbackMixin, fake.FakeDriver):
    """Restart-safe FakeDriver whose snapshots carry real image data and
    that does nova's part of cinder's assisted volume snapshots."""

    def __init__(self, virtapi, read_only=False):
        super().__init__(virtapi, read_only=read_only)
        self._image_api = glance.API()
        self._volume_api = cinder.API()

    # --- 1. stable node identity -------------------------------------------

    def get_available_resource(self, nodename):
        resources = super().get_available_resource(nodename)
        if resources:
            resources['uuid'] = node_uuid(nodename)
        return resources

    def get_nodenames_by_uuid(self, refresh=False):
        return {node_uuid(n): n for n in self.get_available_nodes()}

    # --- 2. adopt instances known to nova's DB after a restart ---------------

    def _adopt(self, instance):
        """Track a DB instance this process never spawned (it restarted)."""
        if instance.uuid in self.instances:
            return
        state = _ADOPT_STATES.get(getattr(instance, 'vm_state', None))
        if state is None:
            return  # building, deleted, error...: nothing to adopt
        LOG.info(
            'Adopting instance in state %s after restart',
            instance.vm_state,
            instance=instance,
        )
        flavor = instance.flavor
        self.resources.claim(
            vcpus=flavor.vcpus, mem=flavor.memory_mb, disk=flavor.root_gb
        )
        self.instances[instance.uuid] = fake.FakeInstance(
            instance.name, state, instance.uuid
        )

    def get_info(self, instance, use_cache=True):
        self._adopt(instance)
        return super().get_info(instance, use_cache=use_cache)

    def power_off(self, instance, timeout=0, retry_interval=0):
        self._adopt(instance)
        super().power_off(instance, timeout, retry_interval)
        self._lb_power(instance, on=False)

    def power_on(
        self,
        context,
        instance,
        network_info,
        block_device_info=None,
        accel_info=None,
        share_info=None,
    ):
        self._adopt(instance)
        super().power_on(
            context,
            instance,
            network_info,
            block_device_info=block_device_info,
            accel_info=accel_info,
            share_info=share_info,
        )
        self._lb_power(instance, on=True)

    def destroy(
        self,
        context,
        instance,
        network_info,
        block_device_info=None,
        destroy_disks=True,
        destroy_secrets=True,
    ):
        self._adopt(instance)
        super().destroy(
            context,
            instance,
            network_info,
            block_device_info=block_device_info,
            destroy_disks=destroy_disks,
            destroy_secrets=destroy_secrets,
        )
        self._lb_destroy(instance)

    # --- 4. loopback hosts (nova_loopback.LoopbackMixin) -------------------

    def spawn(
        self,
        context,
        instance,
        image_meta,
        injected_files,
        admin_password,
        allocations,
        network_info=None,
        block_device_info=None,
        power_on=True,
        accel_info=None,
    ):
        super().spawn(
            context,
            instance,
            image_meta,
            injected_files,
            admin_password,
            allocations,
            network_info=network_info,
            block_device_info=block_device_info,
            power_on=power_on,
            accel_info=accel_info,
        )
        try:
            self._lb_spawn(instance, network_info)
        except Exception:
            super().destroy(context, instance, network_info)
            raise

    def attach_volume(
        self,
        context,
        connection_info,
        instance,
        mountpoint,
        disk_bus=None,
        device_type=None,
        encryption=None,
    ):
        self._lb_attach(instance, connection_info)
        return super().attach_volume(
            context,
            connection_info,
            instance,
            mountpoint,
            disk_bus=disk_bus,
            device_type=device_type,
            encryption=encryption,
        )

    def detach_volume(
        self, context, connection_info, instance, mountpoint, encryption=None
    ):
        self._lb_detach(instance, connection_info)
        return super().detach_volume(
            context,
            connection_info,
            instance,
            mountpoint,
            encryption=encryption,
        )

    def get_console_output(self, context, instance):
        if self._lb().exists(instance.uuid):
            return self._lb().console(instance.uuid)
        return super().get_console_output(context, instance)

    def process_instances_at_startup(self, context, instances):
        self._lb_startup(instances, self._host)
        return super().process_instances_at_startup(context, instances)

    # --- 3. snapshots that upload real bytes ---------------------------------

    def snapshot(self, context, instance, image_id, update_task_state):
        """Upload the bytes of the server's boot image as the snapshot."""
        self._adopt(instance)
        if instance.uuid not in self.instances:
            raise exception.InstanceNotRunning(instance_id=instance.uuid)
        update_task_state(task_state=task_states.IMAGE_PENDING_UPLOAD)
        base = instance.image_meta
        metadata = {
            'disk_format': base.obj_attr_is_set('disk_format')
            and base.disk_format
            or 'raw',
            'container_format': base.obj_attr_is_set('container_format')
            and base.container_format
            or 'bare',
        }
        update_task_state(
            task_state=task_states.IMAGE_UPLOADING,
            expected_state=task_states.IMAGE_PENDING_UPLOAD,
        )
        fd, path = tempfile.mkstemp(
            prefix='snapshot-', dir=self._scratch_dir()
        )
        os.close(fd)
        try:
            if instance.image_ref:
                self._image_api.download(
                    context, instance.image_ref, dest_path=path
                )
            with open(path, 'rb') as data:
                # purge_props=False keeps the properties the compute API set
                # (image_type=snapshot, instance_uuid, base_image_ref, ...)
                self._image_api.update(
                    context, image_id, metadata, data, purge_props=False
                )
        finally:
            os.unlink(path)

    # --- 5. assisted volume snapshots (cinder NFS, in-use volumes) ---------
    #
    # The same contract as nova.virt.libvirt.driver: cinder's NFS driver has
    # created the qcow2 overlay (create) or chosen the two adjacent files to
    # merge (delete) and polls the snapshot until nova sets progress '90%'
    # (nova.volume.cinder.API.update_snapshot_status) with status 'creating'
    # / 'deleting' (done) or 'error' / 'error_deleting' (failed).  The file
    # the "guest" uses is the BDM's connection_info (libvirt: the domain
    # XML), which cinder updates after a create and nova refreshes.

    #: seconds to wait for cinder to finish a snapshot nova has done its
    #: part of (libvirt waits forever; cinder gives up after 600 s)
    SNAPSHOT_WAIT = 900

    def volume_snapshot_create(
        self, context, instance, volume_id, create_info
    ):
        """Switch the volume's "guest disk" to cinder's new qcow2 file.

        ``create_info``: ``{'type': 'qcow2', 'new_file': 'volume-<id>.<snap
        id>', 'snapshot_id': ...}`` (libvirt: external disk-only snapshot
        with ``reuse_ext``).
        """
        LOG.debug(
            'volume_snapshot_create: create_info: %s',
            create_info,
            instance=instance,
        )
        snapshot_id = create_info.get('snapshot_id')
        if snapshot_id is None:
            raise exception.InternalError(
                'snapshot_id required in create_info'
            )
        try:
            if create_info.get('type') != 'qcow2':
                raise exception.InternalError(
                    'Unknown type: %s' % create_info.get('type')
                )
            self._volume_snapshot_create(
                context, instance, volume_id, create_info['new_file']
            )
        except Exception:
            with excutils.save_and_reraise_exception():
                LOG.exception(
                    'Error occurred during volume_snapshot_create, '
                    'sending error status to Cinder.',
                    instance=instance,
                )
                self._volume_snapshot_update_status(
                    context, snapshot_id, 'error'
                )

        self._volume_snapshot_update_status(context, snapshot_id, 'creating')

        # like libvirt: once cinder is done (it updates the attachment's
        # connection_info to the new file), refresh the BDM
        deadline = time.monotonic() + self.SNAPSHOT_WAIT
        while True:
            try:
                snapshot = self._volume_api.get_snapshot(context, snapshot_id)
            except Exception:
                LOG.exception(
                    'Could not read snapshot %s',
                    snapshot_id,
                    instance=instance,
                )
                break
            if snapshot.get('status') != 'creating':
                break
            if time.monotonic() > deadline:
                LOG.warning(
                    'Snapshot %s still creating after %d s',
                    snapshot_id,
                    self.SNAPSHOT_WAIT,
                    instance=instance,
                )
                break
            time.sleep(0.5)
        self._volume_refresh_connection_info(context, instance, volume_id)

    def volume_snapshot_delete(
        self, context, instance, volume_id, snapshot_id, delete_info
    ):
        """Merge two adjacent files of the volume's chain (cinder deletes
        the one no longer used afterwards).

        ``delete_info``: ``{'type': 'qcow2', 'file_to_merge': ...,
        'merge_target_file': ... or None, 'volume_id': ...}`` (libvirt:
        blockRebase when ``merge_target_file`` is None, else blockCommit).
        """
        LOG.debug(
            'volume_snapshot_delete: delete_info: %s',
            delete_info,
            instance=instance,
        )
        try:
            self._volume_snapshot_delete(
                context, instance, volume_id, delete_info
            )
        except Exception:
            with excutils.save_and_reraise_exception():
                LOG.exception(
                    'Error occurred during volume_snapshot_delete, '
                    'sending error status to Cinder.',
                    instance=instance,
                )
                self._volume_snapshot_update_status(
                    context, snapshot_id, 'error_deleting'
                )

        self._volume_snapshot_update_status(context, snapshot_id, 'deleting')
        self._volume_refresh_connection_info(context, instance, volume_id)

    def _volume_snapshot_create(self, context, instance, volume_id, new_file):
        self._no_loopback_snapshot(instance, volume_id)
        current, fmt = self._volume_active_file(context, instance, volume_id)
        try:
            path, created = volume_snapshot.create_overlay(
                current, new_file, fmt
            )
        except volume_snapshot.SnapshotError as e:
            raise exception.InternalError(str(e))
        LOG.info(
            'Volume %s: the guest now writes to %s (%s)',
            volume_id,
            path,
            'created here' if created else "cinder's file",
            instance=instance,
        )

    def _volume_snapshot_delete(self, context, instance, volume_id, info):
        self._no_loopback_snapshot(instance, volume_id)
        active, fmt = self._volume_active_file(context, instance, volume_id)
        try:
            done = volume_snapshot.delete_snapshot(active, info, fmt)
        except volume_snapshot.SnapshotError as e:
            raise exception.InternalError(str(e))
        LOG.info('Volume %s: %s', volume_id, done, instance=instance)

    def _no_loopback_snapshot(self, instance, volume_id):
        """A loopback host's volume is a loop device on the volume's file:
        switching files under it is not supported."""
        if self._lb().exists(instance.uuid):
            raise exception.InternalError(
                'devcloud: volume %s is attached to the loopback host %s '
                '(a loop device on its file); snapshots of volumes attached '
                'to loopback hosts are not supported: detach the volume and '
                'snapshot it then' % (volume_id, instance.uuid)
            )

    @staticmethod
    def _volume_active_file(context, instance, volume_id):
        """(path, format) of the file the instance uses for the volume."""
        bdm = objects.BlockDeviceMapping.get_by_volume_and_instance(
            context, volume_id, instance.uuid
        )
        info = bdm.connection_info
        if isinstance(info, str):
            info = jsonutils.loads(info)
        path = nova_loopback.volume_path(info or {})
        if not path:
            # libvirt finds no file-backed disk of that serial either
            raise exception.InternalError(
                'Found no disk to snapshot: volume %s is not a file volume '
                '(driver_volume_type %s)'
                % (volume_id, (info or {}).get('driver_volume_type'))
            )
        return path, nova_loopback.volume_format(info)

    def _volume_snapshot_update_status(self, context, snapshot_id, status):
        """Tell cinder (progress '90%': nova is done); never raises."""
        try:
            self._volume_api.update_snapshot_status(
                context, snapshot_id, status
            )
        except Exception:
            LOG.exception(
                'Failed to send updated snapshot status to volume service.'
            )

    def _volume_refresh_connection_info(self, context, instance, volume_id):
        bdm = objects.BlockDeviceMapping.get_by_volume_and_instance(
            context, volume_id, instance.uuid
        )
        driver_bdm = driver_block_device.convert_volume(bdm)
        if driver_bdm:
            driver_bdm.refresh_connection_info(
                context, instance, self._volume_api, self
            )

    @staticmethod
    def _scratch_dir():
        path = fake.CONF.instances_path
        os.makedirs(path, exist_ok=True)
        return path
