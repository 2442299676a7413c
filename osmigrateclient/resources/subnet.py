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

"""Neutron subnets.

A subnet without a gateway (``gateway_ip`` null or absent in the file) is
created without one: Neutron would otherwise pick the first address.
DNS nameservers keep their order, which resolvers follow.
"""

import typing as ty

from openstack.network.v2 import subnet as _sdk

from osmigrateclient import datafile
from osmigrateclient.resources import base
from osmigrateclient.resources import refs


class Subnet(base.Resource):
    type = 'openstack.subnet.Subnet'
    cli_name = 'subnet'
    kind = 'subnet'
    file_name = 'subnets.yml'
    rank = 20
    depends_on = ('network', 'subnet pool')
    parallel_import = True
    bulk_class = _sdk.Subnet

    params_fields = (
        'allocation_pools',
        'cidr',
        'description',
        'dns_nameservers',
        'dns_publish_fixed_ip',
        'gateway_ip',
        'host_routes',
        'ip_version',
        'ipv6_address_mode',
        'ipv6_ra_mode',
        'is_dhcp_enabled',
        'name',
        'service_types',
        'tags',
        'use_default_subnet_pool',
    )
    info_fields = (
        'created_at',
        'id',
        'network_id',
        'prefix_length',
        'project_id',
        'revision_number',
        'segment_id',
        'subnet_pool_id',
        'updated_at',
    )
    param_shapes = {
        'allocation_pools': [{'start': datafile.STR, 'end': datafile.STR}],
        'dns_nameservers': [datafile.STR],
        'host_routes': [
            {'destination': datafile.STR, 'nexthop': datafile.STR}
        ],
        'service_types': [datafile.STR],
    }
    references = {
        'network_ref': base.RefField('network', 'network_id'),
        'segment_ref': base.RefField('segment', 'segment_id'),
        'subnet_pool_ref': base.RefField('subnet_pool', 'subnet_pool_id'),
    }
    sorted_fields = (
        'allocation_pools',
        'host_routes',
        'service_types',
        'tags',
    )
    skip_empty = ('service_types',)
    # Neutron holds no null for these; a null in a file is unknown.
    none_is_unknown = (
        'dns_publish_fixed_ip',
        'ip_version',
        'is_dhcp_enabled',
        'use_default_subnet_pool',
    )
    create_only = (
        'cidr',
        'ip_version',
        'ipv6_address_mode',
        'ipv6_ra_mode',
        'network_ref',
        'segment_ref',
        'subnet_pool_ref',
        'use_default_subnet_pool',
    )

    def create_attrs(self, lookup: refs.Lookup, entry: base.Entry) -> dict:
        attrs = super().create_attrs(lookup, entry)
        # Sent as null on purpose: no gateway, as in the source.
        attrs.setdefault('gateway_ip', None)
        return attrs

    def diff(
        self, lookup: refs.Lookup, existing: ty.Any, entry: base.Entry
    ) -> dict[str, tuple[ty.Any, ty.Any]]:
        changes = super().diff(lookup, existing, entry)
        if 'gateway_ip' not in entry['params'] and existing.gateway_ip:
            changes['gateway_ip'] = (existing.gateway_ip, None)
        return changes


RESOURCE = Subnet
