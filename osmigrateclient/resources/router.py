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

"""Neutron routers, with their external gateway and static routes.

``external_gateway_refinfo`` holds the gateway: ``network_ref`` (as the
pioneering tool writes it) and, beyond it, ``external_fixed_ips`` (each an
``ip_address`` and a ``subnet_ref``) and ``enable_snat``.  The fixed IPs
and ``enable_snat: false`` are asked for when the gateway is set; Neutron
lets only admins ask by default, and an address may be taken or outside the
destination's subnets, so a refused gateway is set again on the same
network without them, and the outcome says so.  An existing gateway on the
right network is left alone, so that a re-run never moves it.

``routes`` (the static routes) can only be set once the router has a port
on each next hop's subnet: routes that cannot be set yet are reported as
pending, and ``migrate import all`` (or importing the routers again after
their interfaces) sets them once the interfaces exist.
"""

import ipaddress
import logging
import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

LOG = logging.getLogger(__name__)

GATEWAY = 'external_gateway_refinfo'
#: the run's note on a router whose gateway was set without its fixed IPs
PLAIN_GATEWAY = 'plain gateway'

#: What Neutron answers when a gateway's fixed IPs or SNAT flag are refused.
_REFUSED = (
    sdk_exceptions.BadRequestException,
    sdk_exceptions.ConflictException,
    sdk_exceptions.ForbiddenException,
)


def _route_text(routes: list[dict]) -> str:
    return ', '.join(
        '%s via %s' % (r.get('destination'), r.get('nexthop')) for r in routes
    )


def _gateway_ips(obj: ty.Any) -> list[str]:
    info = obj.external_gateway_info or {}
    return [f.get('ip_address') for f in info.get('external_fixed_ips') or []]


class Router(base.Resource):
    type = 'openstack.network.Router'
    cli_name = 'router'
    kind = 'router'
    file_name = 'routers.yml'
    rank = 50
    depends_on = ('network', 'subnet')
    finish_after = ('router interface',)

    params_fields = (
        'availability_zone_hints',
        'description',
        'is_admin_state_up',
        'is_distributed',
        'is_ha',
        'name',
        'routes',
        'tags',
    )
    info_fields = (
        'availability_zones',
        'created_at',
        'external_gateway_info',
        'flavor_id',
        'id',
        'project_id',
        'revision_number',
        'routes',
        'status',
        'updated_at',
    )
    param_shapes = {
        'availability_zone_hints': [datafile.STR],
        'routes': [{'destination': datafile.STR, 'nexthop': datafile.STR}],
        GATEWAY: {
            'network_ref': datafile.REF,
            'external_fixed_ips': [
                {'ip_address': datafile.STR, 'subnet_ref': datafile.REF}
            ],
            'enable_snat': (bool,),
        },
    }
    references = {
        'flavor_ref': base.RefField('network_flavor', 'flavor_id'),
    }
    sorted_fields = (
        'availability_zone_hints',
        'availability_zones',
        'routes',
        'tags',
    )
    skip_empty = ('availability_zone_hints',)
    # Admin-only or unset in the pioneering tool's files (``is_ha: null``):
    # a null in a file is unknown.
    none_is_unknown = ('is_admin_state_up', 'is_distributed', 'is_ha')
    create_only = (
        'availability_zone_hints',
        'flavor_ref',
        'is_distributed',
        'is_ha',
    )

    # -- export -------------------------------------------------------------

    def from_sdk(self, lookup: refs.Lookup, obj: ty.Any) -> base.Entry:
        entry = super().from_sdk(lookup, obj)
        entry['params'][GATEWAY] = self._gateway_ref(
            lookup, obj.external_gateway_info
        )
        return entry

    def _gateway_ref(
        self, lookup: refs.Lookup, info: dict | None
    ) -> dict | None:
        if not info or not info.get('network_id'):
            return None
        fixed_ips = [
            {
                'ip_address': f.get('ip_address'),
                'subnet_ref': lookup.ref('subnet', f.get('subnet_id')),
            }
            for f in info.get('external_fixed_ips') or []
        ]
        gateway = {
            'network_ref': lookup.ref('network', info['network_id']),
            'external_fixed_ips': base.sort_list(fixed_ips),
        }
        if info.get('enable_snat') is not None:
            gateway['enable_snat'] = info['enable_snat']
        return gateway

    # -- import -------------------------------------------------------------

    def sdk_attrs(self, lookup: refs.Lookup, params: dict) -> dict:
        rest = {k: v for k, v in params.items() if k != GATEWAY}
        attrs = super().sdk_attrs(lookup, rest)
        if GATEWAY in params:
            attrs['external_gateway_info'] = self._gateway_attrs(
                lookup, params[GATEWAY]
            )
        return attrs

    def _gateway_attrs(
        self, lookup: refs.Lookup, gateway: dict | None
    ) -> dict | None:
        if not gateway or not gateway.get('network_ref'):
            return None
        field = GATEWAY + '.network_ref'
        try:
            network = lookup.resolve('network', gateway['network_ref'])
            info: dict[str, ty.Any] = {'network_id': network.id}
            fixed_ips = []
            for index, f in enumerate(gateway.get('external_fixed_ips') or []):
                field = '%s.external_fixed_ips[%d].subnet_ref' % (
                    GATEWAY,
                    index,
                )
                fixed = {}
                if f.get('subnet_ref'):
                    subnet = lookup.resolve('subnet', f['subnet_ref'])
                    fixed['subnet_id'] = subnet.id
                if f.get('ip_address'):
                    fixed['ip_address'] = f['ip_address']
                if fixed:
                    fixed_ips.append(fixed)
        except exceptions.UnresolvedReference as e:
            e.field = field
            raise
        if fixed_ips:
            info['external_fixed_ips'] = fixed_ips
        if gateway.get('enable_snat') is False:
            info['enable_snat'] = False
        return info

    def create_attrs(self, lookup: refs.Lookup, entry: base.Entry) -> dict:
        attrs = super().create_attrs(lookup, entry)
        # Neutron takes routes only once the router has its interfaces.
        attrs.pop('routes', None)
        return attrs

    def create_sdk(self, lookup: refs.Lookup, attrs: dict) -> ty.Any:
        proxy = self.proxy(lookup)
        try:
            return proxy.create_router(**attrs)
        except _REFUSED as e:
            plain = self._plain_gateway(attrs.get('external_gateway_info'))
            if plain is None:
                raise
            LOG.info(
                'Gateway of router %r refused (%s); setting it without '
                'fixed IPs',
                attrs.get('name'),
                base._api_message(e),
            )
            obj = proxy.create_router(
                **dict(attrs, external_gateway_info=plain)
            )
            lookup.note(self.cli_name, obj.id, PLAIN_GATEWAY)
            return obj

    @staticmethod
    def _plain_gateway(info: dict | None) -> dict | None:
        """The gateway on the same network with nothing an admin must ask."""
        if not info or set(info) == {'network_id'}:
            return None
        return {'network_id': info['network_id']}

    def after_create(
        self, lookup: refs.Lookup, obj: ty.Any, entry: base.Entry
    ) -> ty.Any:
        obj = super().after_create(lookup, obj, entry)
        routes = entry['params'].get('routes') or []
        reachable = self._reachable(lookup, obj, routes)
        if reachable:
            obj = self._set_routes(lookup, obj, reachable)
        return obj

    def _reachable(
        self, lookup: refs.Lookup, obj: ty.Any, routes: list[dict]
    ) -> list[dict]:
        """The routes whose next hop is on the gateway's subnets."""
        info = obj.external_gateway_info or {}
        nets = []
        for f in info.get('external_fixed_ips') or []:
            subnet = lookup.get('subnet', f.get('subnet_id'))
            if subnet is not None and subnet.cidr:
                nets.append(ipaddress.ip_network(subnet.cidr))
        return [
            r
            for r in routes
            if any(ipaddress.ip_address(r['nexthop']) in n for n in nets)
        ]

    def _set_routes(
        self, lookup: refs.Lookup, obj: ty.Any, routes: list[dict]
    ) -> ty.Any:
        have = list(obj.routes or [])
        try:
            return self.proxy(lookup).update_router(obj, routes=routes)
        except sdk_exceptions.BadRequestException as e:
            # A next hop is not on the router's subnets yet.  openstacksdk
            # sets the routes on the object before Neutron refuses them:
            # put back what Neutron holds, or the cached router would claim
            # them, and the pass after the interfaces (import all) would
            # find nothing left to set.
            LOG.debug('Routes of %r not set: %s', obj.name, e)
            obj.routes = have
            return obj

    def diff(
        self, lookup: refs.Lookup, existing: ty.Any, entry: base.Entry
    ) -> dict[str, tuple[ty.Any, ty.Any]]:
        changes = super().diff(lookup, existing, entry)
        changes.pop(GATEWAY, None)
        if GATEWAY in entry['params']:
            have = self._gateway_ref(lookup, existing.external_gateway_info)
            want = entry['params'][GATEWAY]
            if _network_name(have) != _network_name(want):
                changes[GATEWAY] = (have, want)
        return changes

    def update(
        self, lookup: refs.Lookup, existing: ty.Any, changes: dict
    ) -> ty.Any:
        changes = dict(changes)
        routes = changes.pop('routes', None)
        gateway = changes.pop(GATEWAY, None)
        obj = existing
        if gateway is not None:
            obj = self._set_gateway(lookup, obj, gateway[1])
        if changes:
            obj = super().update(lookup, obj, changes)
        if routes is not None:
            obj = self._set_routes(lookup, obj, routes[1] or [])
        return obj

    def _set_gateway(
        self, lookup: refs.Lookup, obj: ty.Any, gateway: dict | None
    ) -> ty.Any:
        info = self._gateway_attrs(lookup, gateway)
        proxy = self.proxy(lookup)
        try:
            return proxy.update_router(obj, external_gateway_info=info)
        except _REFUSED:
            plain = self._plain_gateway(info)
            if plain is None:
                raise
            obj = proxy.update_router(obj, external_gateway_info=plain)
            lookup.note(self.cli_name, obj.id, PLAIN_GATEWAY)
            return obj

    def remarks(
        self, lookup: refs.Lookup, obj: ty.Any, entry: base.Entry
    ) -> str:
        notes = []
        gateway = entry['params'].get(GATEWAY) or {}
        wanted = [
            f.get('ip_address')
            for f in gateway.get('external_fixed_ips') or []
            if f.get('ip_address')
        ]
        missing = [ip for ip in wanted if ip not in _gateway_ips(obj)]
        refused = PLAIN_GATEWAY in lookup.notes(self.cli_name, obj.id)
        if missing and refused:
            notes.append(
                'gateway set without the fixed IPs %s (refused by the '
                'destination)' % ', '.join(missing)
            )
        have = obj.routes or []
        pending = [
            r for r in entry['params'].get('routes') or [] if r not in have
        ]
        if pending:
            notes.append(
                'static routes pending until the router has interfaces on '
                'their next hops (import routers again): %s'
                % _route_text(pending)
            )
        return '; '.join(notes)


def _network_name(gateway: dict | None) -> str | None:
    ref = (gateway or {}).get('network_ref') or {}
    return ref.get('name')


RESOURCE = Router
