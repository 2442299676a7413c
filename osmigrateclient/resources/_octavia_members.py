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


"""Members on servers: a member whose address is a fixed IP of a source
server's port is written by reference (``server_ref``, ``network_ref``);
import gives it the destination server's address on that network, or
leaves it out, with a remark, while that server is not there yet."""

import typing as ty

from osmigrateclient import exceptions
from osmigrateclient.resources import _octavia_tree as octavia_tree
from osmigrateclient.resources import refs


def member_params(lookup: refs.Lookup, m: dict) -> dict:
    """The params of a member of the source (``raw``)."""
    member = octavia_tree.pick(m, octavia_tree.MEMBER_FIELDS)
    member['tags'] = sorted(member['tags'] or [])
    member['subnet_ref'] = lookup.ref('subnet', m.get('subnet_id'))
    server, port = server_port(lookup, m.get('address'), m.get('subnet_id'))
    if server is not None:
        member['address'] = None
        member['server_ref'] = lookup.ref_to('server', server)
        member['network_ref'] = lookup.ref('network', port.network_id)
    return member


def resolve_member(
    lookup: refs.Lookup,
    m: dict,
    where: str,
    remarks: list[str],
    pool: dict,
) -> dict | None:
    """A member's resolved fields, or None when its server is not in
    the destination (a remark says so)."""
    attrs = {f: m.get(f) for f in octavia_tree.MEMBER_FIELDS}
    subnet = m.get('subnet_ref')
    attrs['subnet_id'] = (
        octavia_tree.resolve(
            lookup, 'subnet', subnet, where + '.subnet_ref'
        ).id
        if subnet is not None
        else None
    )
    server_ref = m.get('server_ref')
    if server_ref is None:
        if not m.get('address'):
            raise exceptions.UnresolvedReference(
                'missing: a member needs an address or a server_ref',
                field=where + '.address',
            )
        return attrs
    network_ref = m.get('network_ref')
    if network_ref is None:
        raise exceptions.UnresolvedReference(
            'missing: a member on a server needs the network of the '
            "server's port",
            field=where + '.network_ref',
        )
    network = octavia_tree.resolve(
        lookup, 'network', network_ref, where + '.network_ref'
    )
    label = 'member %s of pool %s' % (
        m.get('name') or '(server %s)' % server_ref.get('name'),
        pool.get('name'),
    )
    try:
        server = lookup.resolve('server', server_ref)
    except exceptions.UnresolvedReference as e:
        remarks.append(
            '%s left out: %s (import the load balancers again after '
            'the workload import)' % (label, e.problem)
        )
        return None
    found = server_address(lookup, server, network.id, attrs['subnet_id'])
    if found is None:
        remarks.append(
            '%s left out: server %r has no address on network %r'
            % (label, server.name, network.name)
        )
        return None
    attrs['address'], attrs['subnet_id'] = found
    return attrs


def server_port(lookup: refs.Lookup, address: ty.Any, subnet_id: ty.Any):
    """(server, port) whose fixed IP ``address`` (on ``subnet_id`` when
    given) is, or (None, None)."""
    if not address:
        return None, None
    found = [
        p
        for p in lookup.owned('port')
        if (p.device_owner or '').startswith('compute:')
        and any(
            f.get('ip_address') == address
            and (not subnet_id or f.get('subnet_id') == subnet_id)
            for f in p.fixed_ips or []
        )
    ]
    if len(found) != 1:
        return None, None
    server = lookup.get('server', found[0].device_id)
    if server is None:
        return None, None
    return server, found[0]


def server_address(
    lookup: refs.Lookup, server: ty.Any, network_id: str, subnet_id: ty.Any
) -> tuple[str, str] | None:
    """(address, subnet id) of ``server``'s port on the network (on the
    subnet, when given), or None."""
    for port in lookup.all('port'):
        if port.device_id != server.id or port.network_id != network_id:
            continue
        for fixed in port.fixed_ips or []:
            if not subnet_id or fixed.get('subnet_id') == subnet_id:
                return fixed.get('ip_address'), fixed.get('subnet_id')
    return None
