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

"""The floating IPs step: the server's floating IPs on its destination
ports, per floating_ip_mode.

Makes: a floating IP the port holds already on that fixed IP is taken (an
earlier import's, or one a killed run made); else an address allocated to
the destination project is attached (existing, auto), else a new one is
made (new, auto).  Records ``ips``: per address (or source port) the
floating IP's id, whether this import made it (``created``) and its
address.

Undo: the floating IPs made are deleted; those taken or attached stay.
"""

import typing as ty

from osmigrateclient.workload.steps import base


class FloatingIPs(base.Step):
    """Give the ports their floating IPs; the addresses."""

    name = 'floating_ips'

    def do(self, ports: dict[str, str]) -> list[str]:
        """:param ports: source port id -> destination port id"""
        done: dict[str, dict] = dict(self.record.get('ips') or {})
        network = self.dst.network
        for fip in self.resolved.floating_ips:
            key = fip.address or fip.source_port_id
            if key in done:
                continue
            port_id = ports.get(fip.source_port_id)
            if port_id is None:
                continue
            port = network.get_port(port_id)
            fixed = [
                f['ip_address']
                for f in port.fixed_ips or []
                if ':' not in f['ip_address']
            ]
            fixed_ip = (
                fip.fixed_ip_address
                if fip.fixed_ip_address in fixed
                else (fixed[0] if fixed else None)
            )
            held = self._held_ip(port_id, fixed_ip, fip.address)
            if held is not None:
                done[key] = {
                    'id': held.id,
                    'created': False,
                    'address': held.floating_ip_address,
                }
            elif fip.existing_id and self.resolved.floating_ip_mode != 'new':
                network.update_ip(
                    fip.existing_id, port_id=port_id, fixed_ip_address=fixed_ip
                )
                done[key] = {'id': fip.existing_id, 'created': False}
            else:
                attrs = {
                    'floating_network_id': fip.network_id,
                    'port_id': port_id,
                    'fixed_ip_address': fixed_ip,
                }
                if fip.description:
                    attrs['description'] = fip.description
                made = network.create_ip(**attrs)
                done[key] = {
                    'id': made.id,
                    'created': True,
                    'address': made.floating_ip_address,
                }
            self.note(ips=dict(done))
        return sorted(d.get('address') or k for k, d in done.items())

    def _held_ip(
        self, port_id: str, fixed_ip: str | None, address: str | None
    ) -> ty.Any:
        """The floating IP the port has on ``fixed_ip`` already, if it will
        do: one an earlier import gave the port, kept with it when the
        server was deleted by hand, or one made by a run killed before it
        journalled it.  (Neutron refuses a second one there.)"""
        mode = self.resolved.floating_ip_mode
        for held in self.dst.network.ips(port_id=port_id):
            if held.fixed_ip_address != fixed_ip:
                continue
            if mode == 'existing' and held.floating_ip_address != address:
                return None
            return held
        return None

    def undo(self) -> list[base.Undo]:
        network = self.dst.network
        return [
            base.Undo(
                'floating IP %s' % item['id'],
                lambda i=item: network.delete_ip(i['id'], ignore_missing=True),
            )
            for item in (self.record.get('ips') or {}).values()
            if item.get('created')
        ]
