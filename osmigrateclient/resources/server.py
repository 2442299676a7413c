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

"""Workloads: servers with their ports, floating IPs and volumes.

The entries are the pioneering tool's (``openstack.compute.Server`` in
``workloads.yml``) with nested ``openstack.network.ServerPort``,
``openstack.network.ServerFloatingIP`` and ``openstack.network.ServerVolume``
entries and the ``_migration_params`` its import reads.  Beyond it they
carry the server group (``server_group_ref``, its policy and rules, and the
names of its members in ``_info``), the security groups and allowed address
pairs of each port, the trunk whose parent a port is (``trunk``: its name,
description and subports, by port reference with their segmentation; the
subports are ports that ``migrate export port`` takes), and the size,
bootable flag and device of each volume.

Export costs a fixed number of requests, whatever the number of servers:
one list each of servers, ports, floating IPs, volumes, server groups,
images and flavors (the latter two for references), and the trunks when a
port is one's parent.  The server list uses
the highest compute microversion that openstacksdk and the cloud both
support, so that it holds the flavor name (2.47), tags (2.26) and
description (2.19).  ``user_data`` and ``hypervisor_hostname`` are shown by
Nova only to those its policy allows (usually admins): others export null.

Servers whose names start with ``osmigrate-conv-`` are this tool's
conversion hosts and are never exported.

Import is :mod:`osmigrateclient.workload` (``migrate workload import``),
not the generic per-resource import: ``plan`` points there.
"""

import typing as ty

from osmigrateclient import datadir
from osmigrateclient import datafile
from osmigrateclient.resources import base
from osmigrateclient.resources import network_trunk
from osmigrateclient.resources import refs

PORT_TYPE = 'openstack.network.ServerPort'
FLOATING_IP_TYPE = 'openstack.network.ServerFloatingIP'
VOLUME_TYPE = 'openstack.network.ServerVolume'


STR, REF = datafile.STR, datafile.REF
#: the shapes of the nested entries that ``migrate workload import`` reads
PORT_SHAPE = {
    'params': {
        'allowed_address_pairs': [{}],
        'binding_profile': {},
        'binding_vnic_type': STR,
        'description': STR,
        'fixed_ips_refs': [{'ip_address': STR, 'subnet_ref': REF}],
        'is_port_security_enabled': datafile.SCALAR,
        'mac_address': STR,
        'network_ref': REF,
        'security_group_refs': [REF],
        # the trunk whose parent the port is (None: none)
        'trunk': {
            'description': STR,
            'name': STR,
            'sub_ports': [network_trunk.SUB_PORT_SHAPE],
        },
    },
    '_info': {'id': STR, 'fixed_ips': [{}]},
}
FLOATING_IP_SHAPE = {
    'params': {
        'description': STR,
        'dns_domain': STR,
        'dns_name': STR,
        'fixed_ip_address': STR,
        'floating_ip_address': STR,
        'floating_network_ref': REF,
        'qos_policy_ref': REF,
    },
    '_info': {'id': STR, 'port_id': STR},
}
VOLUME_SHAPE = {
    'params': {
        'availability_zone': STR,
        'bootable': datafile.SCALAR,
        'description': STR,
        'device': STR,
        'name': STR,
        'size': datafile.NUMBER,
        'volume_image_metadata': {},
        'volume_type': STR,
    },
    '_info': {'id': STR, 'size': datafile.NUMBER},
}


def migration_param_defaults() -> dict[str, ty.Any]:
    """The ``_migration_params`` of a new workload entry."""
    return {
        'boot_disk_copy': False,
        'data_copy': True,
        'boot_volume_params': {
            'availability_zone': None,
            'name': None,
            'description': None,
            'volume_type': None,
        },
        'boot_volume': {'uuid': None},
        'additional_volumes': [{'uuid': None}],
        'floating_ip_mode': 'auto',
        'port_creation_mode': 'neutron',
    }


def _get(obj: ty.Any, key: str) -> ty.Any:
    """An attribute of an SDK object, or a key of a dict."""
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(key)
    return getattr(obj, key, None)


def _trunk_details(port: ty.Any) -> dict | None:
    """Neutron's ``trunk_details`` of a trunk's parent port (the trunk's
    id and subports), or None."""
    details = getattr(port, 'trunk_details', None)
    return details if isinstance(details, dict) and details else None


def _trunk_entry(lookup: refs.Lookup, port: ty.Any) -> dict | None:
    """The trunk whose parent ``port`` is: its name, description and
    subports by port reference (ports that ``migrate export port``
    takes); None for a port that is no trunk's parent.  The trunks are
    listed only when a port is one's parent."""
    details = _trunk_details(port)
    if details is None:
        return None
    trunk = lookup.get('trunk', details.get('trunk_id'))
    return {
        'name': trunk.name if trunk is not None else None,
        'description': trunk.description if trunk is not None else None,
        'sub_ports': network_trunk.sub_port_refs(
            lookup,
            trunk.sub_ports if trunk is not None else details.get('sub_ports'),
        ),
    }


def _is_compute_port(port: ty.Any, server_id: str) -> bool:
    return port.device_id == server_id and (
        port.device_owner or ''
    ).startswith('compute:')


def _address_macs(server: ty.Any) -> list[str]:
    """The MAC addresses of Nova's ``addresses``, in its order."""
    macs: list[str] = []
    for addresses in (server.addresses or {}).values():
        for address in addresses or []:
            mac = address.get('OS-EXT-IPS-MAC:mac_addr')
            if mac and mac not in macs:
                macs.append(mac)
    return macs


class Server(base.Resource):
    type = 'openstack.compute.Server'
    cli_name = 'workload'
    kind = 'server'
    file_name = 'workloads.yml'
    service = 'compute'
    pre_workload = False
    rank = 300
    tag_field = None
    sorted_fields = ('tags',)

    params_fields = (
        'availability_zone',
        'config_drive',
        'description',
        'disk_config',
        'key_name',
        'metadata',
        'name',
        'scheduler_hints',
        'tags',
        'user_data',
    )
    param_shapes = {
        'key_name': STR,
        'metadata': datafile.MapOf(datafile.SCALAR),
        'scheduler_hints': {},
        'user_data': STR,
        'flavor_ref': REF,
        'image_ref': REF,
        'security_group_refs': [REF],
        'server_group_ref': REF,
        'server_group_policy': STR,
        'server_group_rules': {},
        'ports': [PORT_SHAPE],
        'floating_ips': [FLOATING_IP_SHAPE],
        'volumes': [VOLUME_SHAPE],
    }
    migration_shape = {
        'boot_volume_params': {},
        'boot_volume': {'uuid': STR},
        'additional_volumes': [{'uuid': STR}],
        'floating_ip_mode': STR,
        'port_creation_mode': STR,
    }
    #: the journal and log are workload_logs/<id>.yml and .log
    path_ids = ('id',)
    info_fields = (
        'created_at',
        'hypervisor_hostname',
        'id',
        'launched_at',
        'project_id',
        'status',
        'updated_at',
        'user_id',
    )

    def add_arguments(self, parser: ty.Any, verb: str) -> None:
        if verb != 'export':
            return
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            '--boot-disk-copy',
            dest='boot_disk_copy',
            action='store_true',
            default=None,
            help='Set _migration_params.boot_disk_copy to true for '
            'image-booted servers: their boot disk is copied into a '
            'destination volume (boot-from-volume servers always copy it)',
        )
        group.add_argument(
            '--no-boot-disk-copy',
            dest='boot_disk_copy',
            action='store_false',
            help='Set _migration_params.boot_disk_copy to false for '
            'image-booted servers (the default): the destination server '
            'boots from the destination image of the same name',
        )

    # -- export -------------------------------------------------------------

    def list_source(self, lookup: refs.Lookup) -> list[ty.Any]:
        return [
            s
            for s in lookup.owned(self.kind)
            if not (s.name or '').startswith(datadir.CONVERSION_HOST_PREFIX)
        ]

    def from_sdk(self, lookup: refs.Lookup, obj: ty.Any) -> base.Entry:
        entry = super().from_sdk(lookup, obj)
        params, info = entry['params'], entry['_info']
        if params['config_drive'] == '':
            params['config_drive'] = None

        flavor = obj.flavor
        flavor_name = _get(flavor, 'original_name') or _get(flavor, 'name')
        # From 2.47 Nova embeds the flavor without its id (openstacksdk
        # then gives its name as id): find it by name in the flavor list.
        flavor_id = None
        if not _get(flavor, 'original_name'):
            flavor_id = _get(flavor, 'id')
        if not flavor_id and flavor_name:
            found = [f for f in lookup.all('flavor') if f.name == flavor_name]
            flavor_id = found[0].id if len(found) == 1 else None
        params['flavor_ref'] = (
            refs.make_ref(flavor_name) if flavor_name else None
        )
        info['flavor_id'] = flavor_id

        image_id = _get(obj.image, 'id') or None
        params['image_ref'] = lookup.ref('image', image_id)
        info['image_id'] = image_id

        ports = self._ports(lookup, obj)
        group_ids = sorted(
            {g for p in ports for g in p.security_group_ids or []}
        )
        params['security_group_refs'] = base.sort_list(
            [lookup.ref('security_group', g) for g in group_ids]
        )
        info['security_group_ids'] = group_ids

        self._server_group(lookup, obj, params, info)

        params['ports'] = [self._port_entry(lookup, p) for p in ports]
        port_ids = [p.id for p in ports]
        fips = [f for f in lookup.all('floating_ip') if f.port_id in port_ids]
        fips.sort(
            key=lambda f: (port_ids.index(f.port_id), f.floating_ip_address)
        )
        params['floating_ips'] = [
            self._floating_ip_entry(lookup, f) for f in fips
        ]
        params['volumes'] = [
            self._volume_entry(v, device)
            for v, device in self._volumes(lookup, obj)
        ]

        migration = migration_param_defaults()
        option = getattr(lookup.options, 'boot_disk_copy', None)
        if option is not None:
            migration['boot_disk_copy'] = option
        if image_id is None:
            # Nothing to boot from in the destination but a copy.
            migration['boot_disk_copy'] = True
        entry['_migration_params'] = migration
        return entry

    @staticmethod
    def _ports(lookup: refs.Lookup, server: ty.Any) -> list[ty.Any]:
        """The server's ports, in the order of Nova's ``addresses``."""
        ports = [
            p for p in lookup.all('port') if _is_compute_port(p, server.id)
        ]
        macs = _address_macs(server)
        return sorted(
            ports,
            key=lambda p: (
                macs.index(p.mac_address)
                if p.mac_address in macs
                else len(macs),
                p.mac_address or '',
                p.id,
            ),
        )

    @staticmethod
    def _server_group(
        lookup: refs.Lookup, server: ty.Any, params: dict, info: dict
    ) -> None:
        groups = [
            g
            for g in lookup.all('server_group')
            if server.id in (g.member_ids or [])
        ]
        group = groups[0] if groups else None
        params['server_group_ref'] = (
            lookup.ref_to('server_group', group) if group else None
        )
        params['server_group_policy'] = (
            (group.policy or (group.policies or [None])[0]) if group else None
        )
        params['server_group_rules'] = (
            base.plain(group.rules) if group else None
        )
        info['server_group_id'] = group.id if group else None
        servers = {s.id: s.name for s in lookup.all('server')}
        info['server_group_members'] = (
            sorted(servers.get(m) or m for m in group.member_ids or [])
            if group
            else []
        )

    @staticmethod
    def _port_entry(lookup: refs.Lookup, port: ty.Any) -> base.Entry:
        fixed_ips = [
            {
                'ip_address': f.get('ip_address'),
                'subnet_ref': lookup.ref('subnet', f.get('subnet_id')),
            }
            for f in port.fixed_ips or []
        ]
        return {
            'type': PORT_TYPE,
            'params': {
                'allowed_address_pairs': base.sort_list(
                    base.plain(port.allowed_address_pairs or [])
                ),
                'binding_profile': base.plain(port.binding_profile),
                'binding_vnic_type': port.binding_vnic_type,
                'description': port.description,
                'fixed_ips_refs': fixed_ips,
                'is_port_security_enabled': base.reported(
                    port, 'is_port_security_enabled'
                ),
                'mac_address': port.mac_address,
                'network_ref': lookup.ref('network', port.network_id),
                'security_group_refs': base.sort_list(
                    [
                        lookup.ref('security_group', g)
                        for g in port.security_group_ids or []
                    ]
                ),
                'trunk': _trunk_entry(lookup, port),
            },
            '_info': {
                'device_id': port.device_id,
                'device_owner': port.device_owner,
                'fixed_ips': base.plain(port.fixed_ips or []),
                'id': port.id,
                'network_id': port.network_id,
                'security_group_ids': sorted(port.security_group_ids or []),
                'trunk_details': base.plain(_trunk_details(port)),
            },
        }

    @staticmethod
    def _floating_ip_entry(lookup: refs.Lookup, fip: ty.Any) -> base.Entry:
        return {
            'type': FLOATING_IP_TYPE,
            'params': {
                'description': fip.description,
                'dns_domain': fip.dns_domain,
                'dns_name': fip.dns_name,
                'fixed_ip_address': fip.fixed_ip_address,
                'floating_ip_address': fip.floating_ip_address,
                'floating_network_ref': lookup.ref(
                    'network', fip.floating_network_id
                ),
                'qos_policy_ref': lookup.ref('qos_policy', fip.qos_policy_id),
            },
            '_info': {
                'created_at': fip.created_at,
                'floating_network_id': fip.floating_network_id,
                'id': fip.id,
                'port_id': fip.port_id,
                'qos_policy_id': fip.qos_policy_id,
                'router_id': fip.router_id,
                'tags': sorted(fip.tags or []),
                'updated_at': fip.updated_at,
            },
        }

    @staticmethod
    def _volumes(
        lookup: refs.Lookup, server: ty.Any
    ) -> list[tuple[ty.Any, str | None]]:
        """The attached volumes with their device, by device name."""
        attached = [_get(a, 'id') for a in server.attached_volumes or [] if a]
        found = []
        for volume in lookup.all('volume'):
            if volume.id not in attached:
                continue
            device = next(
                (
                    a.get('device')
                    for a in volume.attachments or []
                    if a.get('server_id') == server.id
                ),
                None,
            )
            found.append((volume, device))
        return sorted(found, key=lambda v: (v[1] or '', v[0].id))

    @staticmethod
    def _volume_entry(volume: ty.Any, device: str | None) -> base.Entry:
        return {
            'type': VOLUME_TYPE,
            'params': {
                'availability_zone': volume.availability_zone,
                'bootable': bool(volume.is_bootable),
                'description': volume.description,
                'device': device,
                'name': volume.name,
                'size': volume.size,
                'volume_image_metadata': base.plain(
                    volume.volume_image_metadata or {}
                ),
                'volume_type': volume.volume_type,
            },
            '_info': {
                'attachments': base.sort_list(
                    base.plain(volume.attachments or [])
                ),
                'id': volume.id,
                'is_bootable': bool(volume.is_bootable),
                'size': volume.size,
            },
        }

    # -- import -------------------------------------------------------------

    def decide(self, lookup: refs.Lookup, entry: base.Entry) -> base.Decision:
        return base.Decision(
            base.BLOCKED,
            'servers are imported by "openstack migrate workload import" '
            '(--dry-run to check them)',
        )


RESOURCE = Server
