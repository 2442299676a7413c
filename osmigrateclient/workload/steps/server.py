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

"""The server step: the destination server, then waited for ACTIVE.

Makes: the server with its ports (or networks, port_creation_mode nova),
its boot and data volumes, its group, key, metadata, tags and user data.
Records ``creating`` (a create was sent) before the call and ``id`` after
it, so that the server of a create whose answer never came is found by
its name; the import's ``dest_id`` is the server's too.

Undo: the server is deleted, and its deletion waited for (its ports and
volumes are free only then).
"""

import re
import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient.workload import checked
from osmigrateclient.workload.steps import base

NAME = 'server'


def find(dst: ty.Any, server_id: str | None) -> ty.Any:
    """The destination server of that id, or None."""
    if not server_id:
        return None
    try:
        return dst.compute.get_server(server_id)
    except sdk_exceptions.NotFoundException:
        return None


def _nova_network(port: checked.Port) -> dict:
    """A ``networks`` item of port_creation_mode nova: Nova makes the
    port, with the fixed IP (one) but not the MAC."""
    item = {'uuid': port.network_id}
    if port.fixed_ips and port.fixed_ips[0].get('ip_address'):
        item['fixed_ip'] = port.fixed_ips[0]['ip_address']
    return item


def _volume_bdm(volume_id: str, boot_index: int) -> dict:
    return {
        'boot_index': boot_index,
        'uuid': volume_id,
        'source_type': 'volume',
        'destination_type': 'volume',
        'delete_on_termination': False,
    }


class Server(base.Step):
    """Create the destination server; its id."""

    name = NAME

    def do(
        self,
        boot_id: str | None,
        volume_ids: list[str],
        group_id: str | None,
        ports: dict[str, str],
    ) -> str:
        """:param boot_id: the volume to boot from (None: the image)
        :param volume_ids: the data volumes, in the order they attach
        :param ports: source port id -> destination port id (neutron)
        """
        compute = self.dst.compute
        server = find(self.dst, self.record.get('id'))
        if server is None and self.record.get('id') is None:
            # Killed between the create call and its journal entry?
            server = self._unrecorded_server()
            if server is not None:
                self.note(id=server.id)
        if server is None:
            attrs = self._create_attrs(boot_id, volume_ids, group_id, ports)
            self.note(creating=True)
            self.say('creating the destination server')
            server = compute.create_server(**attrs)
            self.note(id=server.id)
        self.journal.set(dest_id=server.id)
        self.ctx.wait(
            'the destination server %s to be ACTIVE' % server.id,
            lambda: compute.get_server(server.id),
            lambda s: s.status == 'ACTIVE',
            lambda s: s.status == 'ERROR',
        )
        return server.id

    def _create_attrs(self, boot_id, volume_ids, group_id, ports) -> dict:
        resolved = self.resolved
        attrs = dict(resolved.server_attrs)
        attrs['flavor_id'] = resolved.flavor_id
        if resolved.port_mode == 'nova':
            attrs['networks'] = [_nova_network(p) for p in resolved.ports]
            groups = sorted(
                {g for p in resolved.ports for g in p.security_group_ids}
            )
            if groups:
                attrs['security_groups'] = [{'name': g} for g in groups]
        else:
            attrs['networks'] = [
                {'port': ports[p.source_id]} for p in resolved.ports
            ]
        if not attrs['networks']:
            attrs['networks'] = 'none'
        bdm = []
        if boot_id:
            bdm.append(_volume_bdm(boot_id, 0))
        else:
            attrs['image_id'] = resolved.image_id
        bdm += [_volume_bdm(v, -1) for v in volume_ids]
        if bdm:
            if not boot_id:
                bdm.insert(
                    0,
                    {
                        'boot_index': 0,
                        'uuid': resolved.image_id,
                        'source_type': 'image',
                        'destination_type': 'local',
                        'delete_on_termination': True,
                    },
                )
            attrs['block_device_mapping'] = bdm
        if group_id:
            attrs['scheduler_hints'] = {'group': group_id}
        return attrs

    def _unrecorded_server(self) -> ty.Any:
        """The destination server a create call made whose answer never
        came (the run was killed, the connection broke): the one of the
        server's name, if the journal says a create was sent.  (Only
        then: a list request per server otherwise.)"""
        if not self.record.get('creating'):
            return None
        name = self.resolved.name
        found = [
            s
            for s in self.dst.compute.servers(name='^%s$' % re.escape(name))
            if s.name == name
        ]
        return found[0] if len(found) == 1 else None

    def undo(self) -> list[base.Undo]:
        record = self.record
        server_id = record.get('id')
        if not server_id and record:
            unrecorded = self._unrecorded_server()
            server_id = unrecorded.id if unrecorded is not None else None
        if not server_id:
            return []
        return [
            base.Undo('server %s' % server_id, lambda: self._delete(server_id))
        ]

    def _delete(self, server_id: str) -> None:
        compute = self.dst.compute
        compute.delete_server(server_id, ignore_missing=True)
        self.ctx.wait(
            'server %s to be deleted' % server_id,
            lambda: compute.find_server(server_id, ignore_missing=True),
            lambda s: s is None,
            lambda s: False,
        )
