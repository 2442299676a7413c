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

"""Neutron ports that no server or router owns: virtual IPs, ports kept
for later, a trunk's subports.

A server's ports travel with the server (``migrate workload``), a
router's with its interfaces; this type takes the project's ports whose
``device_owner`` is empty or ``trunk:subport`` (:data:`OWNERS`).

Each fixed IP is a subnet reference and its address.  A port is found in
the destination by name on its network; an unnamed one by its MAC
address on its network.  A named port whose MAC or fixed IP is taken in
the destination gets a new one, said in the outcome; an unnamed port
keeps its MAC or is not made, since the MAC is how a re-run finds it.
The addresses are chosen when the port is made: afterwards a re-import
compares a port's subnets, not its addresses, so that a port that got a
new address is not "changed" on every run.
"""

import typing as ty

from openstack import exceptions as sdk_exceptions
from openstack.network.v2 import port as _sdk

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

#: the ``device_owner`` of the ports this type migrates
OWNERS = ('', 'trunk:subport')

FIXED_IP_SHAPE = {'ip_address': datafile.STR, 'subnet_ref': datafile.REF}


def device_owner(lookup: refs.Lookup, port_id: str | None) -> str:
    """The ``device_owner`` of a port ('' for none, or for a port the
    lookup does not see)."""
    port = lookup.get('port', port_id)
    return (getattr(port, 'device_owner', None) or '') if port else ''


def create_keeping_addresses(
    network: ty.Any, attrs: dict, remarks: list[str], renumber: bool = True
) -> ty.Any:
    """Create a port with its MAC and fixed IPs where they are free.

    :param remarks: said here: which were taken (also when it fails)
    :param renumber: make the port without a MAC or fixed IP that is
        taken (else the conflict is raised)
    """
    attrs = dict(attrs, fixed_ips=[dict(f) for f in attrs['fixed_ips']])
    for _ in range(2):
        try:
            return network.create_port(**attrs)
        except sdk_exceptions.ConflictException as e:
            if not renumber:
                raise
            # Neutron's own message: str(e) also holds the URL.
            text = (getattr(e, 'details', None) or str(e)).lower()
            if 'mac address' in text and 'mac_address' in attrs:
                remarks.append(
                    'MAC %s is taken in the destination: the port got a new '
                    'one' % attrs.pop('mac_address')
                )
                continue
            taken = [
                f.pop('ip_address')
                for f in attrs['fixed_ips']
                if 'ip_address' in f
            ]
            if 'ip address' in text and taken:
                remarks.append(
                    'fixed IP %s is taken in the destination: the port got a '
                    'new one' % ', '.join(t for t in taken if t)
                )
                continue
            raise
    return network.create_port(**attrs)


class Port(base.Resource):
    type = 'openstack.network.Port'
    cli_name = 'port'
    kind = 'port'
    file_name = 'ports.yml'
    # after the security groups they use, before the trunks and floating
    # IPs that use them
    rank = 35
    depends_on = (
        'network',
        'subnet',
        'security group',
        'network qos policy',
    )
    parallel_import = True
    bulk_class = _sdk.Port
    export_what = "the source project's ports that no server or router owns"

    params_fields = (
        'allowed_address_pairs',
        'binding_vnic_type',
        'description',
        'dns_name',
        'is_admin_state_up',
        'is_port_security_enabled',
        'mac_address',
        'name',
        'tags',
    )
    info_fields = (
        'created_at',
        'device_id',
        'device_owner',
        'fixed_ips',
        'id',
        'project_id',
        'revision_number',
        'status',
        'updated_at',
    )
    param_shapes = {
        'allowed_address_pairs': [
            {'ip_address': datafile.STR, 'mac_address': datafile.STR}
        ],
        'fixed_ips_refs': [FIXED_IP_SHAPE],
    }
    references = {
        'network_ref': base.RefField('network', 'network_id'),
        'qos_policy_ref': base.RefField('qos_policy', 'qos_policy_id'),
        'security_group_refs': base.RefField(
            'security_group', 'security_group_ids', many=True
        ),
    }
    item_references = {'fixed_ips_refs': {'subnet_ref': 'subnet'}}
    required_params = ('network_ref',)
    sorted_fields = ('allowed_address_pairs', 'fixed_ips_refs', 'tags')
    # Neutron refuses them without the dns-integration extension.
    skip_empty = ('dns_name',)
    none_is_unknown = ('is_admin_state_up', 'is_port_security_enabled')
    create_only = ('network_ref',)

    # -- names ----------------------------------------------------------------

    def label_of(self, entry: base.Entry) -> str:
        params = entry['params']
        if params.get('name'):
            return params['name']
        return '(MAC %s)' % params.get('mac_address')

    def import_identity(self, entry: base.Entry) -> str:
        params = entry['params']
        network = params.get('network_ref') or {}
        return '%s:%s:%s' % (
            self.type,
            network.get('name') if isinstance(network, dict) else network,
            params.get('name') or params.get('mac_address'),
        )

    # -- export -------------------------------------------------------------

    def list_source(self, lookup: refs.Lookup) -> list[ty.Any]:
        return [
            p
            for p in lookup.owned(self.kind)
            if (p.device_owner or '') in OWNERS
        ]

    def from_sdk(self, lookup: refs.Lookup, obj: ty.Any) -> base.Entry:
        entry = super().from_sdk(lookup, obj)
        entry['params']['fixed_ips_refs'] = base.sort_list(
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
        params = dict(params)
        fixed = params.pop('fixed_ips_refs', None)
        attrs = super().sdk_attrs(lookup, params)
        if fixed is not None:
            attrs['fixed_ips'] = []
            for item in fixed:
                try:
                    subnet = lookup.resolve('subnet', item.get('subnet_ref'))
                except exceptions.UnresolvedReference as e:
                    e.field = 'fixed_ips_refs'
                    raise
                ip = {'subnet_id': subnet.id}
                if item.get('ip_address'):
                    ip['ip_address'] = item['ip_address']
                attrs['fixed_ips'].append(ip)
        return attrs

    def candidates(self, lookup: refs.Lookup, entry: base.Entry) -> list:
        network_id = self.sdk_attrs(
            lookup, {'network_ref': entry['params'].get('network_ref')}
        ).get('network_id')
        return [
            p for p in lookup.owned(self.kind) if p.network_id == network_id
        ]

    def find_existing(self, lookup: refs.Lookup, entry: base.Entry):
        if entry['params'].get('name'):
            return super().find_existing(lookup, entry)
        mac = entry['params'].get('mac_address')
        if not mac:
            raise exceptions.Conflict(
                'an unnamed port without a MAC address cannot be found '
                'again: give it a name or a MAC in the file'
            )
        for port in self.candidates(lookup, entry):
            if not port.name and port.mac_address == mac:
                return port
        return None

    def diff(
        self, lookup: refs.Lookup, existing: ty.Any, entry: base.Entry
    ) -> dict[str, tuple[ty.Any, ty.Any]]:
        changes = super().diff(lookup, existing, entry)
        # Chosen when the port was made (a taken one was replaced).
        changes.pop('mac_address', None)
        if 'allowed_address_pairs' in changes:
            # A pair without a MAC has the port's (Neutron fills it in).
            have, want = changes['allowed_address_pairs']
            want = base.sort_list(
                [
                    dict(pair, mac_address=existing.mac_address)
                    if isinstance(pair, dict) and not pair.get('mac_address')
                    else pair
                    for pair in want or []
                ]
            )
            if base.same(have, want):
                del changes['allowed_address_pairs']
        if 'fixed_ips_refs' in changes:
            have, want = changes['fixed_ips_refs']
            if _subnets(have) == _subnets(want):
                del changes['fixed_ips_refs']
        return changes

    def create_sdk(self, lookup: refs.Lookup, attrs: dict) -> ty.Any:
        # (what was taken is said by remarks())
        return create_keeping_addresses(
            self.proxy(lookup), attrs, [], renumber=bool(attrs.get('name'))
        )

    def remarks(
        self, lookup: refs.Lookup, obj: ty.Any, entry: base.Entry
    ) -> str:
        params = entry['params']
        said = []
        mac = params.get('mac_address')
        if mac and obj.mac_address != mac:
            said.append(
                'MAC %s is taken in the destination: the port has %s'
                % (mac, obj.mac_address)
            )
        have = {f.get('ip_address') for f in obj.fixed_ips or []}
        lost = sorted(
            f['ip_address']
            for f in params.get('fixed_ips_refs') or []
            if f.get('ip_address') and f['ip_address'] not in have
        )
        if lost:
            said.append(
                'fixed IP %s is taken in the destination: the port has %s'
                % (', '.join(lost), ', '.join(sorted(have - {None})))
            )
        return '; '.join(said)


def _subnets(fixed_ips: ty.Any) -> list[ty.Any]:
    return base.sort_list([f.get('subnet_ref') for f in fixed_ips or []])


RESOURCE = Port
