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

"""Neutron floating IPs that no migrated server carries.

A server's floating IPs travel with the server (``migrate workload``).
This type takes the project's other floating IPs: unattached ones, and
those on a port that no server owns (a virtual IP's port, say: one that
the ``port`` type migrates).  A floating IP on a server's port
(``device_owner`` ``compute:*``) or on a router's gateway is left out.

Each entry holds the address (``floating_ip_address``), the external
network (``floating_network_ref``), ``description``, ``dns_name`` and
``dns_domain``, the QoS policy and tags, and the port it points at by
reference (``port_ref``) with the port's address it points at
(``fixed_ip_address``).  A port without a name cannot be referenced: the
floating IP is exported without it (its id stays in ``_info.port_id``)
and a warning says so.  fips have no name: ``--name`` / ``--name-regex``
match the address.

``dns_name`` and ``dns_domain`` exist only where Neutron has the
``dns-integration`` extension: a source without it exports them as null;
a destination without it does not get them (the outcome says so when the
file has them).  Neutron cannot change them, nor the network, once the
floating IP exists.

Import finds the destination twin on the referenced network: the one the
journal (``floating_ip_logs/journal.yml`` in the data directory: source
id -> destination id) records for the entry, else the one with the
file's address.  A new floating IP asks for the file's address; when
Neutron refuses it (taken by another project, outside the destination's
pool, or not the user's to choose: only admins and project managers may,
by Neutron's default policy), it is made with the address Neutron gives,
and the outcome says which.  The journal lets every later import find it
again.  An existing twin gets the file's description and port
association (``port_ref``, ``fixed_ip_address``).
"""

import logging
import os
import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient import datadir
from osmigrateclient import datafile
from osmigrateclient import record
from osmigrateclient.resources import base
from osmigrateclient.resources import port as port_type
from osmigrateclient.resources import refs

LOG = logging.getLogger(__name__)

STR = datafile.STR
#: the Neutron extension behind ``dns_name`` / ``dns_domain``
DNS_EXTENSION = 'dns-integration'
DNS_FIELDS = ('dns_domain', 'dns_name')
#: ``device_owner`` prefixes of the ports whose floating IPs travel with
#: something else: a server's (``migrate workload``), a router's gateway
OTHERS_PORTS = ('compute:', 'network:router_gateway')
#: Neutron's answers to a create with an address it will not give:
#: taken (409), outside the pool (400), not the user's to choose (403)
ADDRESS_REFUSED = (
    sdk_exceptions.ConflictException,
    sdk_exceptions.BadRequestException,
    sdk_exceptions.ForbiddenException,
)


#: where the journal is, in the data directory
JOURNAL = os.path.join(datadir.FLOATING_IP_LOGS, datadir.JOURNAL)


class Journal(record.Ledger):
    """Source floating IP id -> the destination floating IP its import
    made (``dest_id``, ``address``)."""

    def __init__(self, data_dir: str | None) -> None:
        super().__init__(
            os.path.join(data_dir, JOURNAL) if data_dir else None,
            'floating_ips',
            {'dest_id': STR, 'address': STR},
        )


def has_dns(lookup: refs.Lookup) -> bool:
    """Whether the cloud's Neutron has ``dns_name`` on floating IPs."""
    return any(
        getattr(e, 'alias', None) == DNS_EXTENSION
        for e in lookup.all('extension')
    )


def fixed_ip_for(port: ty.Any, wanted: ty.Any) -> str | None:
    """The address of ``port`` a floating IP points at: ``wanted`` when
    the port has it, else the port's first IPv4 address (the port may
    have been made with another one), else None."""
    have = [
        f.get('ip_address')
        for f in getattr(port, 'fixed_ips', None) or []
        if f.get('ip_address')
    ]
    if wanted in have:
        return wanted
    v4 = [a for a in have if ':' not in a]
    return v4[0] if v4 else None


class _Proxy:
    """The network proxy, whose floating IP calls end in ``_ip``: what
    the base class calls ``create_floating_ip`` is ``create_ip``."""

    def __init__(self, network: ty.Any) -> None:
        self._network = network

    def __getattr__(self, name: str) -> ty.Any:
        return getattr(self._network, name.replace('_floating_ip', '_ip'))


class FloatingIP(base.Resource):
    type = 'openstack.network.FloatingIP'
    cli_name = 'floating ip'
    plural_name = 'floating IPs'
    kind = 'floating_ip'
    file_name = 'floating_ips.yml'
    export_what = (
        "the source project's floating IPs that no server carries "
        '(unattached, or on a port that no server owns)'
    )
    # after the routers' interfaces (an association needs the port's
    # subnet routed to the external network) and the ports
    rank = 65
    depends_on = (
        'network',
        'subnet',
        'router',
        'router interface',
        'port',
        'network qos policy',
    )

    params_fields = (
        'description',
        'dns_domain',
        'dns_name',
        'fixed_ip_address',
        'floating_ip_address',
        'tags',
    )
    info_fields = (
        'created_at',
        'id',
        'project_id',
        'revision_number',
        'router_id',
        'status',
        'updated_at',
    )
    references = {
        'floating_network_ref': base.RefField(
            'network', 'floating_network_id'
        ),
        'port_ref': base.RefField('port', 'port_id'),
        'qos_policy_ref': base.RefField('qos_policy', 'qos_policy_id'),
    }
    param_shapes = {
        'description': STR,
        'dns_domain': STR,
        'dns_name': STR,
        'fixed_ip_address': STR,
        'floating_ip_address': STR,
    }
    info_shapes = {'id': STR, 'port_id': STR}
    required_params = ('floating_ip_address', 'floating_network_ref')
    create_only = ('floating_network_ref',) + DNS_FIELDS
    none_is_unknown = DNS_FIELDS
    skip_empty = DNS_FIELDS

    # -- names ----------------------------------------------------------------

    def name_of(self, entry: base.Entry) -> str:
        address = entry['params'].get('floating_ip_address')
        return address if isinstance(address, str) else ''

    def source_name(self, lookup: refs.Lookup, obj: ty.Any) -> str:
        return obj.floating_ip_address or ''

    # -- export ---------------------------------------------------------------

    def list_source(self, lookup: refs.Lookup) -> list[ty.Any]:
        return [
            fip
            for fip in lookup.owned(self.kind)
            if not port_type.device_owner(lookup, fip.port_id).startswith(
                OTHERS_PORTS
            )
        ]

    def from_sdk(self, lookup: refs.Lookup, obj: ty.Any) -> base.Entry:
        entry = super().from_sdk(lookup, obj)
        params = entry['params']
        if obj.port_id and not (params['port_ref'] or {}).get('name'):
            # A port without a name cannot be referenced (or the port is
            # not visible): the floating IP goes without it.
            params['port_ref'] = None
            entry['_info']['port_id'] = obj.port_id
            entry['_info']['fixed_ip_address'] = params['fixed_ip_address']
            params['fixed_ip_address'] = None
        return entry

    def export(
        self, lookup: refs.Lookup, match: ty.Callable[[str], bool]
    ) -> list[base.Entry]:
        entries = super().export(lookup, match)
        for entry in entries:
            if entry['_info'].get('port_id') and not entry['params'].get(
                'port_ref'
            ):
                LOG.warning(
                    'floating IP %s: its port %s has no name and cannot be '
                    'referenced: exported without its port (_info.port_id); '
                    'name the port and export both again to keep the '
                    'association',
                    self.name_of(entry),
                    entry['_info']['port_id'],
                )
        return entries

    # -- import ---------------------------------------------------------------

    def proxy(self, lookup: refs.Lookup) -> ty.Any:
        return _Proxy(lookup.conn.network)

    def _journal(self, lookup: refs.Lookup) -> Journal:
        return Journal(lookup.data_dir)

    def sdk_attrs(self, lookup: refs.Lookup, params: dict) -> dict:
        attrs = super().sdk_attrs(lookup, params)
        if attrs.get('port_id'):
            attrs['fixed_ip_address'] = fixed_ip_for(
                lookup.get('port', attrs['port_id']),
                params.get('fixed_ip_address'),
            )
        else:
            # not associated: no address of a port either
            attrs.pop('fixed_ip_address', None)
        if not has_dns(lookup):
            for field in DNS_FIELDS:
                attrs.pop(field, None)
        return attrs

    def find_existing(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        network_id = self.sdk_attrs(
            lookup,
            {'floating_network_ref': entry['params']['floating_network_ref']},
        )['floating_network_id']
        mine = [
            f
            for f in lookup.owned(self.kind)
            if f.floating_network_id == network_id
        ]
        source_id = entry['_info'].get('id')
        made = self._journal(lookup).get(str(source_id)) if source_id else {}
        for fip in mine:
            if made.get('dest_id') and fip.id == made['dest_id']:
                return fip
        address = entry['params'].get('floating_ip_address')
        for fip in mine:
            if fip.floating_ip_address == address:
                return fip
        return None

    def diff(
        self, lookup: refs.Lookup, existing: ty.Any, entry: base.Entry
    ) -> dict[str, tuple[ty.Any, ty.Any]]:
        changes = super().diff(lookup, existing, entry)
        # How the twin was found; Neutron chose it where the file's was
        # not free (decide() says so).
        changes.pop('floating_ip_address', None)
        if not has_dns(lookup):
            for field in DNS_FIELDS:
                changes.pop(field, None)
        params = entry['params']
        if params.get('port_ref') is None:
            # no port: no address of one (port_ref says the rest)
            changes.pop('fixed_ip_address', None)
        elif 'fixed_ip_address' in changes or 'port_ref' in changes:
            port_id = self.sdk_attrs(
                lookup, {'port_ref': params['port_ref']}
            ).get('port_id')
            wanted = fixed_ip_for(
                lookup.get('port', port_id), params.get('fixed_ip_address')
            )
            have = existing.fixed_ip_address
            if wanted == have and 'port_ref' not in changes:
                del changes['fixed_ip_address']
            else:
                # Neutron takes the port and its address together.
                changes['fixed_ip_address'] = (have, wanted)
                changes['port_ref'] = changes.get(
                    'port_ref', (params['port_ref'], params['port_ref'])
                )
        return changes

    def decide(self, lookup: refs.Lookup, entry: base.Entry) -> base.Decision:
        decision = super().decide(lookup, entry)
        if decision.existing is None or decision.action == base.UPDATE:
            # (an update's outcome has it from remarks())
            return decision
        other = self._other_address(decision.existing, entry)
        if not other:
            return decision
        return decision._replace(
            detail='; '.join(d for d in (decision.detail, other) if d)
        )

    def _other_address(self, obj: ty.Any, entry: base.Entry) -> str:
        wanted = entry['params'].get('floating_ip_address')
        if not wanted or obj.floating_ip_address == wanted:
            return ''
        return '%s was not free in the destination: the floating IP has %s' % (
            wanted,
            obj.floating_ip_address,
        )

    def create_sdk(self, lookup: refs.Lookup, attrs: dict) -> ty.Any:
        network = self.proxy(lookup)
        if attrs.get('floating_ip_address'):
            try:
                return network.create_floating_ip(**attrs)
            except ADDRESS_REFUSED as e:
                LOG.warning(
                    'floating IP %s: refused in the destination (%s): '
                    'asking for another address',
                    attrs['floating_ip_address'],
                    base._api_message(e),
                )
                attrs = dict(attrs)
                del attrs['floating_ip_address']
        return network.create_floating_ip(**attrs)

    def create(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        obj = super().create(lookup, entry)
        source_id = entry['_info'].get('id')
        if source_id is not None:
            self._journal(lookup).set(
                str(source_id),
                dest_id=obj.id,
                address=obj.floating_ip_address,
            )
        return obj

    def remarks(
        self, lookup: refs.Lookup, obj: ty.Any, entry: base.Entry
    ) -> str:
        said = [self._other_address(obj, entry)]
        if not has_dns(lookup):
            given = [f for f in DNS_FIELDS if entry['params'].get(f)]
            if given:
                said.append(
                    '%s not set: the destination has no %s extension'
                    % (', '.join(given), DNS_EXTENSION)
                )
        return '; '.join(s for s in said if s)


RESOURCE = FloatingIP
