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

"""The ports step: the server's ports, and the trunks whose parents they
are, in the destination.

Makes, with port_creation_mode neutron (before the server): a port per
source port, keeping its fixed IPs and MAC where they are free; a port an
earlier, killed run made (found by MAC, unattached) is adopted.  Then a
trunk on each port that is a trunk's parent.  With nova (after the
server): nothing, the ports Nova made are matched to the source's.
Records: ``created`` (source port id -> destination port id),
``adopted`` (the ports found, not made) and ``trunks`` (source port id ->
destination trunk id).

Undo: the trunks, then the ports (Neutron deletes no trunk's port); a
port found unattached may not be ours, so it and its trunk stay.
"""

import typing as ty

from osmigrateclient.resources import port as port_resource
from osmigrateclient.workload import checked
from osmigrateclient.workload.steps import base


class Ports(base.Step):
    """Make the ports (port_creation_mode neutron); source port id ->
    destination port id."""

    name = 'ports'

    def do(self) -> dict[str, str]:
        record = self.record
        made: dict[str, str] = dict(record.get('created') or {})
        adopted: list[str] = list(record.get('adopted') or [])
        remarks = list(self.journal.data.get('remarks') or [])
        for port in self.resolved.ports:
            if port.source_id in made:
                continue
            orphan = self._orphan_port(port)
            if orphan is not None:
                made[port.source_id] = orphan.id
                adopted.append(orphan.id)
                self.note(created=dict(made), adopted=list(adopted))
                continue
            attrs = dict(port.attrs)
            attrs.update(
                network_id=port.network_id,
                fixed_ips=[dict(f) for f in port.fixed_ips],
            )
            if port.mac_address:
                attrs['mac_address'] = port.mac_address
            if attrs.get('is_port_security_enabled') is not False:
                attrs['security_group_ids'] = port.security_group_ids
            created = self.create_port(attrs, remarks)
            made[port.source_id] = created.id
            self.note(created=dict(made))
        if remarks:
            self.journal.set(remarks=remarks)
        self._trunks(made)
        return made

    def _trunks(self, made: dict[str, str]) -> None:
        """Make the trunks of the ports that are one's parent on their
        twins, before the server (most Neutron drivers make no bound port
        a trunk's parent).  A trunk already on the twin (made by a run
        killed before its journal entry) is taken."""
        trunks: dict[str, str] = dict(self.record.get('trunks') or {})
        network = self.dst.network
        for port in self.resolved.ports:
            if port.trunk is None or port.source_id in trunks:
                continue
            port_id = made[port.source_id]
            trunk = next(iter(network.trunks(port_id=port_id)), None)
            if trunk is None:
                trunk = network.create_trunk(port_id=port_id, **port.trunk)
                self.say(
                    'made trunk %s on port %s (%d subports)',
                    trunk.id,
                    port_id,
                    len(port.trunk.get('sub_ports') or []),
                )
            trunks[port.source_id] = trunk.id
            self.note(trunks=dict(trunks))

    def _orphan_port(self, port: checked.Port) -> ty.Any:
        """A port an earlier, killed run made but did not journal."""
        if not port.mac_address:
            return None
        for found in self.dst.network.ports(
            network_id=port.network_id, mac_address=port.mac_address
        ):
            if not found.device_id:
                return found
        return None

    def create_port(self, attrs: dict, remarks: list[str]) -> ty.Any:
        """Create a port; without its fixed IP or MAC if taken."""
        return port_resource.create_keeping_addresses(
            self.dst.network, attrs, remarks
        )

    def undo(self) -> list[base.Undo]:
        record = self.record
        network = self.dst.network
        # A port found unattached may not be ours: it is left, unattached
        # (and its trunk too).
        adopted = set(record.get('adopted') or [])
        created = record.get('created') or {}
        undo = []
        for source_port, trunk_id in (record.get('trunks') or {}).items():
            if created.get(source_port) in adopted:
                continue
            # (before its ports: Neutron deletes no trunk's port)
            undo.append(
                base.Undo(
                    'trunk %s' % trunk_id,
                    lambda t=trunk_id: network.delete_trunk(
                        t, ignore_missing=True
                    ),
                )
            )
        for port_id in created.values():
            if port_id in adopted:
                continue
            undo.append(
                base.Undo(
                    'port %s' % port_id,
                    lambda p=port_id: network.delete_port(
                        p, ignore_missing=True
                    ),
                )
            )
        return undo


class NovaPorts(Ports):
    """Find the ports Nova made with the server (port_creation_mode nova):
    source port id -> that port, by fixed IP, else by network in order.
    Nova deletes them with the server: nothing of them is undone."""

    def do(self) -> dict[str, str]:
        server_id = self.journal.data.get('dest_id')
        made = list(self.dst.network.ports(device_id=server_id))
        found: dict[str, str] = {}
        for port in self.resolved.ports:
            wanted = {f.get('ip_address') for f in port.fixed_ips} - {None}
            for candidate in made:
                ips = {f['ip_address'] for f in candidate.fixed_ips or []}
                if candidate.id in found.values():
                    continue
                if candidate.network_id == port.network_id and (
                    not wanted or wanted & ips
                ):
                    found[port.source_id] = candidate.id
                    break
        return found
