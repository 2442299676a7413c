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

"""Pre-flight of a server's network: its ports (with the trunks whose
parents they are) and its floating IPs resolve in the destination.

A problem is appended to the ``problems`` given; the ports and floating
IPs that resolve come back as :mod:`checked` objects.
"""

import typing as ty

from osmigrateclient import exceptions
from osmigrateclient.resources import network_trunk
from osmigrateclient.resources import refs
from osmigrateclient.workload import checked

FIP_MODES = ('auto', 'new', 'existing', 'skip')
PORT_MODES = ('neutron', 'nova')


def resolve(
    dst: refs.Lookup, problems: list[str], kind: str, ref: ty.Any, field: str
) -> ty.Any:
    """The destination resource of a reference, or None with the problem
    noted."""
    try:
        return dst.resolve(kind, ref)
    except exceptions.MigrateError as e:
        problems.append('%s: %s' % (field, e))
        return None


def check_ports(
    dst: refs.Lookup, problems: list[str], params: dict, migration: dict
) -> tuple[str, list[checked.Port]]:
    """(port_creation_mode, the ports)."""
    ports = [
        _port(dst, problems, i, p)
        for i, p in enumerate(params.get('ports') or [])
    ]
    mode = migration.get('port_creation_mode') or 'neutron'
    if mode not in PORT_MODES:
        problems.append(
            '_migration_params.port_creation_mode: %r is not one of %s'
            % (mode, ', '.join(PORT_MODES))
        )
    elif mode == 'nova':
        for i, port in enumerate(ports):
            if port and len(port.fixed_ips) > 1:
                problems.append(
                    'ports[%d]: %d fixed IPs, but port_creation_mode '
                    'nova keeps one per port: use neutron'
                    % (i, len(port.fixed_ips))
                )
            if port and port.trunk is not None:
                problems.append(
                    'ports[%d]: a trunk\'s parent, but with '
                    'port_creation_mode nova the port is made with the '
                    'server, after which a trunk may not be put on it: '
                    'use neutron' % i
                )
    return mode, [p for p in ports if p]


def check_floating_ips(
    dst: refs.Lookup, problems: list[str], params: dict, migration: dict
) -> tuple[str, list[checked.FloatingIP]]:
    """(floating_ip_mode, the floating IPs)."""
    mode = migration.get('floating_ip_mode') or 'auto'
    fips = []
    if mode not in FIP_MODES:
        problems.append(
            '_migration_params.floating_ip_mode: %r is not one of %s'
            % (mode, ', '.join(FIP_MODES))
        )
    elif mode != 'skip':
        fips = [
            _floating_ip(dst, problems, mode, f)
            for f in params.get('floating_ips') or []
        ]
    return mode, [f for f in fips if f]


def _port(dst: refs.Lookup, problems, index, port) -> checked.Port | None:
    params = port.get('params') or {}
    info = port.get('_info') or {}
    where = 'ports[%d]' % index
    bad = len(problems)
    network = resolve(
        dst,
        problems,
        'network',
        params.get('network_ref'),
        where + ': network',
    )
    fixed = []
    for f in params.get('fixed_ips_refs') or []:
        subnet = resolve(
            dst, problems, 'subnet', f.get('subnet_ref'), where + ': subnet'
        )
        if subnet is not None:
            fixed.append(
                {'subnet_id': subnet.id, 'ip_address': f.get('ip_address')}
            )
    groups = []
    for ref in params.get('security_group_refs') or []:
        group = resolve(
            dst, problems, 'security_group', ref, where + ': security group'
        )
        if group is not None:
            groups.append(group.id)
    trunk = _trunk(dst, problems, where, params.get('trunk'))
    if len(problems) > bad:
        return None
    attrs = {}
    if params.get('allowed_address_pairs'):
        attrs['allowed_address_pairs'] = params['allowed_address_pairs']
    if params.get('is_port_security_enabled') is False:
        attrs['is_port_security_enabled'] = False
    if params.get('binding_vnic_type') not in (None, 'normal'):
        attrs['binding_vnic_type'] = params['binding_vnic_type']
    if params.get('binding_profile'):
        attrs['binding_profile'] = params['binding_profile']
    if params.get('description'):
        attrs['description'] = params['description']
    return checked.Port(
        source_id=info.get('id'),
        network_id=network.id,
        fixed_ips=fixed,
        mac_address=params.get('mac_address'),
        security_group_ids=groups,
        attrs=attrs,
        trunk=trunk,
    )


def _trunk(dst: refs.Lookup, problems, where, trunk) -> dict | None:
    """The ``create_trunk`` attributes of a port's trunk (None: the
    port is no trunk's parent)."""
    if trunk is None:
        return None
    try:
        sub_ports = network_trunk.resolve_sub_ports(
            dst, trunk.get('sub_ports')
        )
    except exceptions.UnresolvedReference as e:
        problems.append('%s: trunk: %s: %s' % (where, e.field, e.problem))
        return None
    attrs = {k: trunk[k] for k in ('name', 'description') if trunk.get(k)}
    if sub_ports:
        attrs['sub_ports'] = sub_ports
    return attrs


def _floating_ip(
    dst: refs.Lookup, problems, mode, fip
) -> checked.FloatingIP | None:
    params = fip.get('params') or {}
    info = fip.get('_info') or {}
    address = params.get('floating_ip_address')
    network = resolve(
        dst,
        problems,
        'network',
        params.get('floating_network_ref'),
        'floating_ips: %s: floating_network_ref' % address,
    )
    existing = None
    if mode in ('existing', 'auto') and address:
        for ip in dst.owned('floating_ip'):
            if ip.floating_ip_address == address and not ip.port_id:
                existing = ip.id
        if existing is None and mode == 'existing':
            problems.append(
                'floating_ips: %s: not allocated to the destination '
                'project, or attached (floating_ip_mode: existing)' % address
            )
    if network is None:
        return None
    return checked.FloatingIP(
        address=address,
        source_port_id=info.get('port_id'),
        fixed_ip_address=params.get('fixed_ip_address'),
        network_id=network.id,
        existing_id=existing,
        description=params.get('description'),
    )
