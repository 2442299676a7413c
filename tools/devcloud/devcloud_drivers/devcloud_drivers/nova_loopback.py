# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""The nova side of loopback hosts (see :mod:`devcloud_drivers.loopback`).

A mixin for the devcloud virt driver: servers whose image has
``devcloud_loopback_host=true`` get a namespace, sshd and real volumes on
spawn; everything else keeps FakeDriver's behaviour.
"""

import hashlib
import json
import os

from oslo_log import log as logging

from nova.compute import vm_states
from nova import exception

from devcloud_drivers import loopback
from devcloud_drivers import volume_snapshot

LOG = logging.getLogger(__name__)


def _addresses(network_info):
    """({port_id: [[ip, prefixlen], ...]}, {floating ip: port_id})."""
    ports, floating = {}, {}
    for vif in network_info or []:
        addrs = ports.setdefault(vif['id'], [])
        for subnet in vif['network']['subnets']:
            if subnet['version'] != 4:
                continue
            prefixlen = int(str(subnet['cidr']).split('/')[1])
            for ip in subnet['ips']:
                addrs.append([str(ip['address']), prefixlen])
                for fip in ip.get('floating_ips') or []:
                    floating[str(fip['address'])] = vif['id']
    return ports, floating


def volume_path(connection_info):
    """The backing file of a cinder NFS volume on this machine."""
    # cinder flattens the driver's {'data': {...}, 'mount_point_base': ...}
    # and nova nests it again: look in both places
    data = dict(connection_info)
    data.update(connection_info.get('data') or {})
    base = data.get('mount_point_base')
    if not base or 'export' not in data or 'name' not in data:
        return None
    share = hashlib.md5(
        data['export'].encode(), usedforsecurity=False
    ).hexdigest()
    return os.path.join(base, share, data['name'])


def volume_format(connection_info):
    """'raw' or 'qcow2' (cinder NFS: the format of the active file)."""
    data = dict(connection_info)
    data.update(connection_info.get('data') or {})
    return data.get('format')


def _snapshots(path, volume_id):
    """The snapshot ids in cinder's chain record of the volume (its
    ``volume-<id>.info`` beside the active file)."""
    info = os.path.join(os.path.dirname(path), 'volume-%s.info' % volume_id)
    try:
        with open(info) as f:
            return [k for k in json.load(f) if k != 'active']
    except FileNotFoundError:
        return []


class LoopbackMixin:
    """Spawn/destroy/attach/console for loopback hosts."""

    def _lb(self):
        if not hasattr(self, '_loopback'):
            self._loopback = loopback.Loopback()
        return self._loopback

    @staticmethod
    def _is_loopback(instance):
        return loopback.is_loopback_image(instance.system_metadata or {})

    def _lb_spawn(self, instance, network_info):
        if not self._is_loopback(instance):
            return
        ports, floating = _addresses(network_info)
        sysmeta = instance.system_metadata or {}
        user = sysmeta.get('image_' + loopback.USER_PROPERTY)
        LOG.info('Creating loopback host', instance=instance)
        try:
            self._lb().create(
                instance.uuid,
                instance.hostname or instance.uuid,
                ports,
                floating=floating,
                key_data=instance.key_data,
                user=user,
                compute_host=instance.host,
            )
        except Exception as e:
            LOG.exception('Loopback host failed', instance=instance)
            self._lb().destroy(instance.uuid)
            raise exception.InstanceDeployFailure(
                reason='loopback host: %s' % e
            )

    def _lb_destroy(self, instance):
        if self._lb().exists(instance.uuid):
            LOG.info('Removing loopback host', instance=instance)
            self._lb().destroy(instance.uuid)

    def _lb_power(self, instance, on):
        if self._lb().exists(instance.uuid):
            if on:
                self._lb().ensure(instance.uuid)
            else:
                self._lb().stop(instance.uuid)

    def _lb_attach(self, instance, connection_info):
        if not self._lb().exists(instance.uuid):
            return
        path = volume_path(connection_info)
        serial = connection_info.get('serial') or connection_info['data'].get(
            'volume_id'
        )
        if not path or not serial:
            raise exception.VolumeAttachFailed(
                volume_id=serial,
                reason='loopback hosts need an NFS volume (got %s)'
                % connection_info.get('driver_volume_type'),
            )
        fmt = volume_format(connection_info)
        if fmt and fmt != 'raw':
            # A loop device would show the qcow2 container, not the disk:
            # the overlays left by deleted snapshots go into the raw file.
            try:
                path = volume_snapshot.raw_base(
                    path, fmt, _snapshots(path, serial)
                )
            except volume_snapshot.SnapshotError as e:
                raise exception.VolumeAttachFailed(
                    volume_id=serial,
                    reason='loopback hosts attach raw volume files only; the '
                    'active file %s of this volume is %s: %s: delete its '
                    'snapshots, or attach a volume created from one'
                    % (os.path.basename(path), fmt, e),
                )
            LOG.info('Overlays of volume %s committed into %s', serial, path)
        self._lb().attach_volume(instance.uuid, serial, path)

    def _lb_detach(self, instance, connection_info):
        serial = connection_info.get('serial') or connection_info.get(
            'data', {}
        ).get('volume_id')
        if serial and self._lb().exists(instance.uuid):
            self._lb().detach_volume(instance.uuid, serial)

    def _lb_startup(self, instances, host):
        """After a restart: bring running hosts back, drop orphans."""
        lb = self._lb()
        known = set()
        for instance in instances:
            known.add(instance.uuid)
            if not lb.exists(instance.uuid):
                continue
            try:
                if instance.vm_state in (vm_states.ACTIVE, vm_states.RESIZED):
                    lb.ensure(instance.uuid)
                else:
                    lb.stop(instance.uuid)
            except Exception:
                LOG.exception(
                    'Could not restore loopback host', instance=instance
                )
        for uuid in lb.hosts():
            if uuid not in known and lb.load(uuid).get('compute_host') == host:
                LOG.info('Removing loopback host of deleted server %s', uuid)
                lb.destroy(uuid)
