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

"""A router's interfaces: its ports on the project's subnets.

Each entry is one port of a router (``device_ref``) on a network, with its
fixed IPs (``fixed_ips_refs``: ``ip_address`` and ``subnet_ref``).  Import
looks for a port on that network holding those IPs: attached to
the router, it is unchanged; attached to nothing, it is attached; owned by
anything else, it is a conflict.  Otherwise a port with the same IPs is
created and attached, so that the router keeps its addresses.  An
interface on a subnet's gateway address is attached by subnet, which
Neutron also allows where ports cannot choose their address (IPv6 SLAAC).

``--name`` / ``--name-regex`` match the name of the router.
"""

import ipaddress
import typing as ty

from openstack.network.v2 import port as sdk_port

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient.resources import _listers as listers
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

FIXED_IPS = 'fixed_ips_refs'


def _pairs(fixed_ips: list[dict] | None) -> set[tuple]:
    return {(f.get('subnet_id'), f.get('ip_address')) for f in fixed_ips or []}


class RouterInterface(base.Resource):
    type = 'openstack.network.RouterInterface'
    cli_name = 'router interface'
    kind = 'router_interface'
    file_name = 'router_interfaces.yml'
    rank = 60
    depends_on = ('router', 'network', 'subnet')
    tag_field = None

    params_fields = ('device_owner',)
    info_fields = ('id', 'fixed_ips', 'project_id')
    param_shapes = {
        FIXED_IPS: [{'ip_address': datafile.STR, 'subnet_ref': datafile.REF}],
    }
    references = {
        'device_ref': base.RefField('router', 'device_id'),
        'network_ref': base.RefField('network', 'network_id'),
    }
    sorted_fields = ()

    # -- names and identities -----------------------------------------------

    def name_of(self, entry: base.Entry) -> str:
        ref = entry['params'].get('device_ref')
        return (ref or {}).get('name') or ''

    def label_of(self, entry: base.Entry) -> str:
        ips = ', '.join(
            str(f.get('ip_address'))
            for f in entry['params'].get(FIXED_IPS) or []
        )
        return '%s: %s' % (self.name_of(entry), ips)

    def import_identity(self, entry: base.Entry) -> str:
        return '%s:%s' % (self.type, self.label_of(entry))

    # -- export -------------------------------------------------------------

    def list_source(self, lookup: refs.Lookup) -> list[ty.Any]:
        routers = {r.id for r in lookup.owned('router')}
        return [p for p in lookup.all(self.kind) if p.device_id in routers]

    def source_name(self, lookup: refs.Lookup, obj: ty.Any) -> str:
        router = lookup.get('router', obj.device_id)
        return router.name if router is not None else ''

    def from_sdk(self, lookup: refs.Lookup, obj: ty.Any) -> base.Entry:
        entry = super().from_sdk(lookup, obj)
        entry['params'][FIXED_IPS] = base.sort_list(
            [
                {
                    'ip_address': f.get('ip_address'),
                    'subnet_ref': lookup.ref('subnet', f.get('subnet_id')),
                }
                for f in obj.fixed_ips or []
            ]
        )
        return entry

    # -- import -------------------------------------------------------------

    def sdk_attrs(self, lookup: refs.Lookup, params: dict) -> dict:
        rest = {k: v for k, v in params.items() if k != FIXED_IPS}
        attrs = super().sdk_attrs(lookup, rest)
        attrs.pop('device_owner', None)
        fixed_ips = []
        for index, f in enumerate(params.get(FIXED_IPS) or []):
            fixed = {'ip_address': f.get('ip_address')}
            try:
                fixed['subnet_id'] = lookup.resolve(
                    'subnet', f.get('subnet_ref')
                ).id
            except exceptions.UnresolvedReference as e:
                e.field = '%s[%d].subnet_ref' % (FIXED_IPS, index)
                raise
            fixed_ips.append(fixed)
        attrs['fixed_ips'] = fixed_ips
        return attrs

    def find_existing(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        attrs = self.sdk_attrs(lookup, entry['params'])
        wanted = _pairs(attrs['fixed_ips'])
        matches = [
            p
            for p in lookup.all('port')
            if p.network_id == attrs['network_id']
            # Neutron may add addresses of IPv6 SLAAC subnets by itself.
            and wanted <= _pairs(p.fixed_ips)
        ]
        if len(matches) > 1:
            raise exceptions.Conflict(
                '%d ports hold these fixed IPs in the destination: %s'
                % (len(matches), ', '.join(sorted(p.id for p in matches)))
            )
        if matches and matches[0].device_id not in ('', None):
            port = matches[0]
            if port.device_id != attrs['device_id']:
                raise exceptions.Conflict(
                    'port %s holds these fixed IPs but belongs to %s %s'
                    % (port.id, port.device_owner or 'device', port.device_id)
                )
        return matches[0] if matches else None

    def diff(
        self, lookup: refs.Lookup, existing: ty.Any, entry: base.Entry
    ) -> dict[str, tuple[ty.Any, ty.Any]]:
        if existing.device_id:
            return {}
        return {'device_ref': (None, entry['params'].get('device_ref'))}

    def create(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        attrs = self.sdk_attrs(lookup, entry['params'])
        proxy = self.proxy(lookup)
        gateway = self._gateway_subnet(lookup, attrs['fixed_ips'])
        if gateway is not None:
            # Neutron gives the router the subnet's gateway address itself,
            # also where ports cannot ask for one (IPv6 SLAAC subnets).
            result = proxy.add_interface_to_router(
                attrs['device_id'], subnet=gateway.id
            )
            port = sdk_port.Port(
                id=result['port_id'],
                network_id=attrs['network_id'],
                fixed_ips=attrs['fixed_ips'],
                device_id=attrs['device_id'],
                device_owner=listers.ROUTER_INTERFACE_OWNERS[0],
                project_id=lookup.project_id,
            )
            lookup.remember('port', port)
            return port
        port = proxy.create_port(
            network_id=attrs['network_id'], fixed_ips=attrs['fixed_ips']
        )
        try:
            return self._attach(lookup, port, attrs['device_id'])
        except Exception:
            # Leave nothing half-made: a re-run creates it whole.
            proxy.delete_port(port, ignore_missing=True)
            raise

    @staticmethod
    def _gateway_subnet(lookup: refs.Lookup, fixed_ips: list[dict]) -> ty.Any:
        """The subnet whose gateway is the interface's only address."""
        if len(fixed_ips) != 1:
            return None
        subnet = lookup.get('subnet', fixed_ips[0]['subnet_id'])
        if subnet is None or not subnet.gateway_ip:
            return None
        try:
            same = ipaddress.ip_address(
                subnet.gateway_ip
            ) == ipaddress.ip_address(fixed_ips[0]['ip_address'])
        except ValueError:
            return None
        return subnet if same else None

    def update(
        self, lookup: refs.Lookup, existing: ty.Any, changes: dict
    ) -> ty.Any:
        router = lookup.resolve('router', changes['device_ref'][1])
        return self._attach(lookup, existing, router.id)

    def _attach(self, lookup: refs.Lookup, port: ty.Any, router_id: str):
        self.proxy(lookup).add_interface_to_router(router_id, port=port.id)
        # What Neutron now holds, without fetching the port again.
        port.device_id = router_id
        port.device_owner = listers.ROUTER_INTERFACE_OWNERS[0]
        lookup.remember('port', port)
        return port


RESOURCE = RouterInterface
