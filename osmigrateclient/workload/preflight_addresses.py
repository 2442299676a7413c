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

"""Pre-flight of a server's fixed IPs: each can be kept in its
destination subnet.

A fixed IP of the file that is no address, is not in its destination
subnet's CIDR (or is its network or broadcast address), is held by a port
of the destination that is not the server's own, or is claimed by another
port of the data file checked in the same run, is a problem: Neutron
would refuse it (400), or the import would drop it.  One outside the
subnet's allocation pools is a remark only: Neutron keeps it.

The destination's ports are listed once per network and run
(:class:`Addresses`); the subnets come from the run's Lookup.  The
server's own ports (made ahead by ``workload sync``, or by a killed
import) are read from its journal and found by MAC as the ports step
adopts them, so that a re-run is no problem.
"""

import ipaddress
import typing as ty

from osmigrateclient import exceptions
from osmigrateclient.resources import refs
from osmigrateclient.workload import checked
from osmigrateclient.workload import journal as journal_mod


class Own(ty.NamedTuple):
    """What of the destination is the server's own already."""

    #: ports its journal says it made or adopted
    port_ids: frozenset[str] = frozenset()
    #: the destination server of its import, if any
    server_ids: frozenset[str] = frozenset()


def own(data_dir: str | None, source_id: str | None, name: str) -> Own:
    """The server's own ports and server, as its journal has them (none
    without a data directory or journal)."""
    if not data_dir or not source_id:
        return Own()
    try:
        j = journal_mod.Journal(data_dir, source_id, name)
    except exceptions.MigrateError:
        # (the import reads the same journal and says what is wrong)
        return Own()
    ports = j.step('ports')
    made = set((ports.get('created') or {}).values())
    made |= set(ports.get('adopted') or [])
    servers = {j.data.get('dest_id'), j.step('server').get('id')}
    return Own(frozenset(made), frozenset(servers - {None}))


def _subnet_text(subnet: ty.Any) -> str:
    return '%r (%s)' % (subnet.name or subnet.id, subnet.cidr)


def address_problem(address: ty.Any, subnet: ty.Any) -> str | None:
    """Why Neutron refuses ``address`` as a fixed IP of ``subnet``, or
    None (also when the subnet has no CIDR to check against)."""
    try:
        # (ipaddress takes a number too: a file's address is text)
        if not isinstance(address, str):
            raise ValueError(address)
        ip = ipaddress.ip_address(address)
    except ValueError:
        return '%r is not an IP address' % (address,)
    if not subnet.cidr:
        return None
    try:
        net = ipaddress.ip_network(subnet.cidr, strict=False)
    except ValueError:
        return None
    where = 'subnet %s of the destination' % _subnet_text(subnet)
    if ip.version != net.version or ip not in net:
        return 'fixed IP %s is not in %s' % (ip, where)
    # Neutron's rule: an IPv4 subnet's first and last addresses are no
    # port's (RFC 3021 point-to-point subnets have neither).
    if net.version == 4 and net.prefixlen < 31:
        if ip == net.network_address:
            return 'fixed IP %s is the network address of %s' % (ip, where)
        if ip == net.broadcast_address:
            return 'fixed IP %s is the broadcast address of %s' % (ip, where)
    return None


def outside_pools(address: str, subnet: ty.Any) -> str | None:
    """The subnet's allocation pools as text when ``address`` is in none
    of them, else None (no pools, or unreadable ones: None)."""
    pools = subnet.allocation_pools or []
    try:
        ip = ipaddress.ip_address(address)
        ranges = [
            (ipaddress.ip_address(p['start']), ipaddress.ip_address(p['end']))
            for p in pools
        ]
    except (ValueError, TypeError, KeyError):
        return None
    if not ranges or any(
        start.version == ip.version and start <= ip <= end
        for start, end in ranges
    ):
        return None
    return ', '.join('%s-%s' % r for r in ranges)


def holder(
    address: str,
    subnet_id: str,
    ports: ty.Iterable[ty.Any],
    port: checked.Port,
    mine: Own,
) -> ty.Any:
    """The destination port (of ``ports``) that holds ``address`` in the
    subnet and is not the server's own, or None.

    Its own: one its journal names, one of its destination server, and
    the unattached one with its MAC that the ports step adopts.
    """
    wanted = ipaddress.ip_address(address)
    for found in ports:
        held = [
            f.get('ip_address')
            for f in found.fixed_ips or []
            if f.get('subnet_id') == subnet_id
        ]
        if not any(_same(wanted, h) for h in held):
            continue
        if found.id in mine.port_ids or found.device_id in mine.server_ids:
            continue
        if (
            port.mac_address
            and found.mac_address == port.mac_address
            and not found.device_id
        ):
            continue
        return found
    return None


def _same(ip: ty.Any, text: ty.Any) -> bool:
    try:
        return ip == ipaddress.ip_address(text)
    except ValueError:
        return False


class Addresses:
    """The fixed IPs of the servers checked in one run, against the
    destination: its ports listed once per network, and the addresses
    claimed by the ports checked so far."""

    def __init__(self, dst: refs.Lookup) -> None:
        self.dst = dst
        self._ports: dict[str, list[ty.Any]] = {}
        #: (subnet id, address) -> (server name, where, source port id)
        self._claimed: dict[tuple[str, str], tuple[str, str, str]] = {}

    def ports_on(self, network_id: str) -> list[ty.Any]:
        """The destination's ports on a network, listed once."""
        if network_id not in self._ports:
            self._ports[network_id] = list(
                self.dst.conn.network.ports(network_id=network_id)
            )
        return self._ports[network_id]

    def check(
        self,
        problems: list[str],
        remarks: list[str],
        entry: dict,
        ports: list[checked.Port],
    ) -> None:
        """Note the problems and remarks of the fixed IPs of ``ports``
        (the server ``entry``'s, resolved)."""
        params = entry.get('params') or {}
        info = entry.get('_info') or {}
        name = params.get('name') or info.get('id') or ''
        index = {
            (p.get('_info') or {}).get('id'): i
            for i, p in enumerate(params.get('ports') or [])
        }
        mine = own(self.dst.data_dir, info.get('id'), name)
        for port in ports:
            where = 'ports[%s] (port %s)' % (
                index.get(port.source_id, '?'),
                port.source_id,
            )
            for fixed in port.fixed_ips:
                address = fixed.get('ip_address')
                if address is None:
                    continue  # Neutron picks one
                subnet = self.dst.get('subnet', fixed.get('subnet_id'))
                if subnet is None:
                    continue
                problem = address_problem(address, subnet) or self._taken(
                    address, subnet, port, mine
                )
                if problem is None:
                    problem = self._claim(address, subnet, name, where, port)
                if problem is not None:
                    problems.append('%s: fixed_ips: %s' % (where, problem))
                    continue
                pools = outside_pools(address, subnet)
                if pools:
                    remarks.append(
                        '%s: fixed_ips: fixed IP %s is outside the '
                        'allocation pools (%s) of subnet %r: kept, as '
                        'Neutron allows'
                        % (where, address, pools, subnet.name or subnet.id)
                    )

    def _taken(self, address, subnet, port, mine) -> str | None:
        found = holder(
            address, subnet.id, self.ports_on(port.network_id), port, mine
        )
        if found is None:
            return None
        return (
            'fixed IP %s of subnet %s is in use in the destination by port '
            '%s%s, not this server\'s'
            % (
                address,
                _subnet_text(subnet),
                found.id,
                ' (device %s)' % found.device_id if found.device_id else '',
            )
        )

    def _claim(self, address, subnet, name, where, port) -> str | None:
        """None, the address now claimed by this port; or the other port
        of the file that claimed it first."""
        key = (subnet.id, str(ipaddress.ip_address(address)))
        first = self._claimed.setdefault(key, (name, where, port.source_id))
        if first[2] == port.source_id:
            return None
        return (
            'fixed IP %s of subnet %s is also that of %s of server %r in '
            'the data file'
            % (address, _subnet_text(subnet), first[1], first[0])
        )
