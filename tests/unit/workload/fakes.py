#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

"""Fakes of the workload tests.

:class:`Cloud` is :class:`tests.unit.fakes.FakeConnection` answering the
calls of a workload import too; :class:`Copier` stands for
``volume_copy.Copier``; :func:`server_entry` and its parts are
``workloads.yml`` entries as the export writes them (see
``tests/unit/resources/test_server.py``); :func:`resolved` is what the
pre-flight makes of :func:`server_entry` against :func:`destination`.
"""

import copy
import itertools
import logging
import re

from openstack.block_storage.v3 import availability_zone as volume_zone
from openstack.block_storage.v3 import snapshot as sdk_snapshot
from openstack.block_storage.v3 import type as volume_type
from openstack.compute.v2 import availability_zone as compute_zone
from openstack import exceptions as sdk_exceptions

from osmigrateclient.resources import server
from osmigrateclient.transfer import blockcopy
from osmigrateclient.transfer import conversion_host
from osmigrateclient.workload import checked
from tests.unit import fakes

GiB = checked.GiB
AUTH = '%auth%'

_ids = itertools.count(1)


class Cloud(fakes.FakeConnection):
    """A FakeConnection that also answers the calls of a workload import.

    ``_api_<service>_<method>`` answers one service's method (compute and
    block_storage both have ``availability_zones``) and comes before the
    FakeConnection's own answers.  Keyword arguments are copied when
    called, as a request body would be.  New servers get ``server_status``
    and new volumes ``volume_status``; a port gets a MAC and a fixed IP
    when not given one, and a MAC or fixed IP that another port of its
    network holds is a ConflictException with Neutron's message.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.volume_types: list[str] = []
        self.volume_zones: list[str] = []
        self.compute_zones: list[str] = []
        self.server_status = 'ACTIVE'
        self.volume_status = 'available'
        #: the size and min_disk of a server snapshot image
        self.image_size = 2 * GiB + GiB // 2
        self.image_min_disk = 1

    def _call(self, service, method, args, kwargs):
        kwargs = copy.deepcopy(kwargs)
        handler = getattr(self, '_api_%s_%s' % (service, method), None)
        if handler is None:
            return super()._call(service, method, args, kwargs)
        name = '%s.%s' % (service, method)
        self.calls.append((name, args, kwargs))
        if name in self._failures:
            raise self._failures[name]
        return handler(*args, **kwargs)

    # -- helpers ------------------------------------------------------------

    def find(self, kind, id_):
        """The object of ``kind`` with this id (or object), or None."""
        id_ = getattr(id_, 'id', id_)
        return next((o for o in self.store.get(kind, []) if o.id == id_), None)

    def _get(self, kind, id_):
        found = self.find(kind, id_)
        if found is None:
            raise sdk_exceptions.NotFoundException(
                'No %s found for %s' % (kind, getattr(id_, 'id', id_))
            )
        return found

    # -- service-specific answers -------------------------------------------

    def _api_block_storage_types(self):
        return [volume_type.Type(name=n) for n in self.volume_types]

    def _api_block_storage_availability_zones(self):
        return [
            volume_zone.AvailabilityZone(name=n) for n in self.volume_zones
        ]

    def _api_compute_availability_zones(self, details=False):
        return [
            compute_zone.AvailabilityZone(name=n) for n in self.compute_zones
        ]

    def _api_compute_servers(self, name=None, **filters):
        """Nova filters names by regular expression."""
        found = self._list(['server'], filters)
        if name is not None:
            found = [s for s in found if re.search(name, s.name or '')]
        return found

    # -- compute ------------------------------------------------------------

    def _api_get_server(self, server):
        return self._get('server', server)

    def _api_find_server(self, name_or_id, ignore_missing=True):
        return self.find('server', name_or_id)

    def _api_create_server(self, **attrs):
        attrs.setdefault('status', self.server_status)
        made = self._create('server', **attrs)
        # Nova makes the ports of the networks given by uuid.
        for item in attrs.get('networks') or []:
            if isinstance(item, dict) and 'uuid' in item:
                subnet = next(
                    s
                    for s in self.store.get('subnet', [])
                    if s.network_id == item['uuid']
                )
                fixed = {'subnet_id': subnet.id}
                if item.get('fixed_ip'):
                    fixed['ip_address'] = item['fixed_ip']
                self._api_create_port(
                    network_id=item['uuid'],
                    device_id=made.id,
                    fixed_ips=[fixed],
                )
        return made

    def _api_stop_server(self, server):
        self._get('server', server)._update(status='SHUTOFF')

    def _api_start_server(self, server):
        self._get('server', server)._update(status='ACTIVE')

    def _api_find_server_group(self, name_or_id, ignore_missing=True):
        return self.find('server_group', name_or_id)

    def _api_create_server_image(self, server, name, metadata=None):
        return self._create(
            'image',
            name=name,
            status='active',
            size=self.image_size,
            min_disk=self.image_min_disk,
        )

    def _api_get_image(self, image):
        return self._get('image', image)

    def _api_delete_volume_attachment(
        self, server, volume, ignore_missing=True
    ):
        # A Server resource: openstacksdk must not look the server up.
        server = server.id
        vol = self._get('volume', volume)
        vol._update(
            status='available',
            attachments=[
                a for a in vol.attachments or [] if a['server_id'] != server
            ],
        )
        srv = self.find('server', server)
        if srv is not None:
            srv._update(
                attached_volumes=[
                    {'id': a.id}
                    for a in srv.attached_volumes or []
                    if a.id != vol.id
                ]
            )

    def _api_create_volume_attachment(self, server, volume=None, **attrs):
        vol = self._get('volume', volume or attrs['volume_id'])
        vol._update(
            status='in-use',
            attachments=list(vol.attachments or [])
            + [{'server_id': server, 'device': attrs.get('device')}],
        )
        srv = self.find('server', server)
        if srv is not None:
            srv._update(
                attached_volumes=[
                    {'id': a.id} for a in srv.attached_volumes or []
                ]
                + [{'id': vol.id}]
            )

    # -- block storage ------------------------------------------------------

    def _api_create_volume(self, **attrs):
        attrs.setdefault('status', self.volume_status)
        return self._create('volume', **attrs)

    def _api_get_volume(self, volume):
        return self._get('volume', volume)

    def _api_find_volume(self, name_or_id, ignore_missing=True):
        return self.find('volume', name_or_id)

    def _api_set_volume_bootable_status(self, volume, bootable):
        self._get('volume', volume)._update(is_bootable=bootable)

    def _api_set_volume_image_metadata(self, volume, **metadata):
        self._get('volume', volume)._update(volume_image_metadata=metadata)

    def _api_create_snapshot(self, **attrs):
        snap = sdk_snapshot.Snapshot(
            id='snap-%d' % next(_ids), status='available', **attrs
        )
        self.store.setdefault('snapshot', []).append(snap)
        return snap

    def _api_get_snapshot(self, snapshot):
        return self._get('snapshot', snapshot)

    def _api_find_snapshot(self, name_or_id, ignore_missing=True):
        return self.find('snapshot', name_or_id)

    def _api_delete_snapshot(self, snapshot, ignore_missing=True):
        self._delete('snapshot', snapshot)

    # -- network ------------------------------------------------------------

    def _api_create_port(self, **attrs):
        network_id = attrs['network_id']
        mac = attrs.get('mac_address')
        for port in self.store.get('port', []):
            if port.network_id != network_id:
                continue
            if mac and port.mac_address == mac:
                raise sdk_exceptions.ConflictException(
                    'Unable to complete operation for network %s. The mac '
                    'address %s is in use.' % (network_id, mac)
                )
            held = {f.get('ip_address') for f in port.fixed_ips or []}
            for f in attrs.get('fixed_ips') or []:
                if f.get('ip_address') in held:
                    raise sdk_exceptions.ConflictException(
                        'IP address %s already allocated in subnet %s'
                        % (f['ip_address'], f['subnet_id'])
                    )
        n = next(_ids) % 256
        attrs.setdefault('mac_address', 'fa:16:3e:00:00:%02x' % n)
        attrs['fixed_ips'] = [
            dict(f, ip_address=f.get('ip_address') or self._free_ip(f, n))
            for f in attrs.get('fixed_ips') or []
        ]
        return self._create('port', **attrs)

    def _free_ip(self, fixed_ip, n):
        subnet = self.find('subnet', fixed_ip.get('subnet_id'))
        if subnet is not None and subnet.ip_version == 6:
            return 'fd00::9:%x' % n
        return '10.9.0.%d' % n

    def _api_get_port(self, port):
        return self._get('port', port)

    def _api_create_ip(self, **attrs):
        attrs.setdefault(
            'floating_ip_address', '172.24.4.%d' % (100 + next(_ids) % 150)
        )
        return self._create('floating_ip', **attrs)

    def _api_update_ip(self, floating_ip, **attrs):
        found = self._get('floating_ip', floating_ip)
        found._update(**attrs)
        return found

    def _api_delete_ip(self, floating_ip, ignore_missing=True):
        self._delete('floating_ip', floating_ip)


class Copier:
    """Stands for ``volume_copy.Copier``: records what it is asked.

    A copy reports both attachments to ``record``, then raises ``fail``
    if set (the attachments stay recorded, as when the real one cannot
    detach), else reports ``[]`` and returns a Result of ``size`` bytes in
    2.5 s, digest ``d-<source volume>``.
    """

    def __init__(self):
        #: (source volume, destination volume, size, label, dest_is_zero)
        self.copies = []
        #: the lists given to detach()
        self.detached = []
        #: the dest_chunks of each copy
        self.known = []
        self.fail = None

    def copy(
        self,
        source_volume_id,
        dest_volume_id,
        size,
        label,
        dest_is_zero=True,
        record=None,
        dest_chunks=None,
    ):
        self.copies.append(
            (source_volume_id, dest_volume_id, size, label, dest_is_zero)
        )
        self.known.append(dest_chunks)
        if record is not None:
            record(attachments(source_volume_id, dest_volume_id))
        if self.fail is not None:
            raise self.fail
        if record is not None:
            record([])
        return blockcopy.Result(
            size=size,
            algo='xxh128',
            digest='d-%s' % source_volume_id,
            seconds=2.5,
            bytes_sent=size // 2,
        )

    def detach(self, attached):
        self.detached.append([dict(a) for a in attached])


def attachments(source_volume_id, dest_volume_id):
    """What a copy attaches to the conversion hosts (S and D)."""
    return [
        {'side': 'src', 'server': 'S', 'volume': source_volume_id},
        {'side': 'dst', 'server': 'D', 'volume': dest_volume_id},
    ]


class Clock:
    """A clock that moves on by ``step`` seconds at each reading."""

    def __init__(self, step=1.0):
        self.now, self.step = 0.0, step

    def __call__(self):
        self.now += self.step
        return self.now


def close_server_logs(data_dir):
    """Close the per-server log files that ServerImport opened under
    ``data_dir`` (their loggers live on)."""
    for name in list(logging.root.manager.loggerDict):
        if not name.startswith('osmigrateclient.workload.'):
            continue
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            if getattr(handler, 'baseFilename', '').startswith(data_dir):
                logger.removeHandler(handler)
                handler.close()


def save_hosts(data_dir, sides=conversion_host.SIDES):
    """Record conversion hosts S (src) and D (dst) of ``sides``."""
    records = {
        conversion_host.SRC: {'name': 'cs', 'server_id': 'S'},
        conversion_host.DST: {'name': 'cd', 'server_id': 'D'},
    }
    conversion_host.save_hosts(data_dir, {s: records[s] for s in sides})


# -- the clouds -------------------------------------------------------------


def source(status='SHUTOFF', volumes=('vol1',)):
    """The source cloud: server vm1 'app-vm' with ``volumes`` attached
    (vol1 'data' at /dev/vdb, 1 GiB)."""
    c = Cloud()
    c.add(
        'server',
        id='vm1',
        name='app-vm',
        status=status,
        attached_volumes=[{'id': v} for v in volumes],
    )
    if 'vol1' in volumes:
        c.add(
            'volume',
            id='vol1',
            name='data',
            size=1,
            status='in-use',
            is_bootable=False,
            attachments=[{'server_id': 'vm1', 'device': '/dev/vdb'}],
        )
    return c


def destination():
    """The destination cloud, with what server_entry() names."""
    c = Cloud()
    c.add('flavor', id='dfl1', name='m1.tiny')
    c.add('image', id='dimg1', name='cirros')
    c.add('network', id='dnet1', name='net')
    c.add('network', id='dpub', name='public', project_id='admin-project')
    c.add('subnet', id='dsub1', name='sub', network_id='dnet1')
    c.add('security_group', id='dsg1', name='web')
    c.add('keypair', name='key')
    c.volume_types = ['nfs']
    c.volume_zones = ['nova']
    c.compute_zones = ['nova']
    return c


# -- workloads.yml entries --------------------------------------------------


def ref(name):
    return {'name': name, 'project_name': AUTH, 'domain_name': AUTH}


def port_entry(
    port_id='p-a', mac='mac-a', ip='10.0.0.5', network='net', **params
):
    attrs = {
        'allowed_address_pairs': [],
        'binding_profile': {},
        'binding_vnic_type': 'normal',
        'description': '',
        'fixed_ips_refs': [{'ip_address': ip, 'subnet_ref': ref('sub')}],
        'is_port_security_enabled': True,
        'mac_address': mac,
        'network_ref': ref(network),
        'security_group_refs': [ref('web')],
    }
    attrs.update(params)
    return {
        'type': 'openstack.network.ServerPort',
        'params': attrs,
        '_info': {
            'device_id': 'vm1',
            'device_owner': 'compute:nova',
            'fixed_ips': [{'subnet_id': 'sub1', 'ip_address': ip}],
            'id': port_id,
            'network_id': 'net1',
            'security_group_ids': ['sg1'],
        },
    }


def fip_entry(address='172.24.4.9', port_id='p-a', fixed='10.0.0.5'):
    return {
        'type': 'openstack.network.ServerFloatingIP',
        'params': {
            'description': None,
            'dns_domain': None,
            'dns_name': None,
            'fixed_ip_address': fixed,
            'floating_ip_address': address,
            'floating_network_ref': {
                'name': 'public',
                'project_name': None,
                'domain_name': None,
            },
            'qos_policy_ref': None,
        },
        '_info': {'id': 'fip1', 'port_id': port_id, 'router_id': 'r1'},
    }


def volume_entry(
    volume_id='vol1',
    name='data',
    device='/dev/vdb',
    bootable=False,
    size=1,
    **params,
):
    attrs = {
        'availability_zone': 'nova',
        'bootable': bootable,
        'description': 'd',
        'device': device,
        'name': name,
        'size': size,
        'volume_image_metadata': {},
        'volume_type': 'nfs',
    }
    attrs.update(params)
    return {
        'type': 'openstack.network.ServerVolume',
        'params': attrs,
        '_info': {
            'attachments': [{'device': device, 'server_id': 'vm1'}],
            'id': volume_id,
            'is_bootable': bootable,
            'size': size,
        },
    }


def server_entry(migration=None, **params):
    """The image-booted server vm1 'app-vm': one port with a floating IP,
    the data volume vol1, keypair 'key', server group 'group'."""
    attrs = {
        'availability_zone': 'nova',
        'config_drive': None,
        'description': 'web',
        'disk_config': 'MANUAL',
        'key_name': 'key',
        'metadata': {'a': 'b'},
        'name': 'app-vm',
        'scheduler_hints': None,
        'tags': ['a', 'z'],
        'user_data': 'aGk=',
        'flavor_ref': {
            'name': 'm1.tiny',
            'project_name': None,
            'domain_name': None,
        },
        'image_ref': ref('cirros'),
        'security_group_refs': [ref('web')],
        'server_group_ref': ref('group'),
        'server_group_policy': 'anti-affinity',
        'server_group_rules': {},
        'ports': [port_entry()],
        'floating_ips': [fip_entry()],
        'volumes': [volume_entry()],
    }
    attrs.update(params)
    migration_params = server.migration_param_defaults()
    migration_params.update(migration or {})
    return {
        'type': 'openstack.compute.Server',
        'params': attrs,
        '_info': {'id': 'vm1', 'flavor_id': 'fl1'},
        '_migration_params': migration_params,
    }


# -- what the pre-flight makes of them --------------------------------------

DATA_VOLUME = checked.ServerVolume(
    source_id='vol1',
    name='data',
    size=1,
    device='/dev/vdb',
    bootable=False,
    attrs={
        'name': 'data',
        'description': 'd',
        'volume_type': 'nfs',
        'availability_zone': 'nova',
    },
    image_metadata={},
)

PORT = checked.Port(
    source_id='p-a',
    network_id='dnet1',
    fixed_ips=[{'subnet_id': 'dsub1', 'ip_address': '10.0.0.5'}],
    mac_address='mac-a',
    security_group_ids=['dsg1'],
    attrs={},
)

FLOATING_IP = checked.FloatingIP(
    address='172.24.4.9',
    source_port_id='p-a',
    fixed_ip_address='10.0.0.5',
    network_id='dpub',
    existing_id=None,
    description=None,
)

SERVER_ATTRS = {
    'name': 'app-vm',
    'key_name': 'key',
    'metadata': {'a': 'b'},
    'user_data': 'aGk=',
    'tags': ['a', 'z'],
    'description': 'web',
    'disk_config': 'MANUAL',
    'availability_zone': 'nova',
}


def resolved(**fields):
    """The checked server_entry(), with ``fields`` replaced."""
    values = dict(
        entry=server_entry(),
        source_id='vm1',
        name='app-vm',
        flavor_id='dfl1',
        image_id='dimg1',
        boot_volume=None,
        copy_image_disk=False,
        boot_volume_attrs={},
        data_volumes=[DATA_VOLUME],
        data_copy=True,
        boot_volume_id=None,
        existing_volume_ids=[],
        port_mode='neutron',
        ports=[PORT],
        floating_ips=[FLOATING_IP],
        floating_ip_mode='auto',
        server_group={
            'name': 'group',
            'policy': 'anti-affinity',
            'rules': {},
        },
        server_attrs=dict(SERVER_ATTRS),
        source_status='SHUTOFF',
        remarks=[],
    )
    values.update(fields)
    return checked.Resolved(**values)
