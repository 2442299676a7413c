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

"""Neutron networks."""

from openstack.network.v2 import network as _sdk

from osmigrateclient import datafile
from osmigrateclient.resources import base


class Network(base.Resource):
    type = 'openstack.network.Network'
    cli_name = 'network'
    kind = 'network'
    file_name = 'networks.yml'
    rank = 10
    depends_on = ('network qos policy',)
    parallel_import = True
    bulk_class = _sdk.Network

    params_fields = (
        'availability_zone_hints',
        'description',
        'dns_domain',
        'is_admin_state_up',
        'is_default',
        'is_port_security_enabled',
        'is_router_external',
        'is_shared',
        'is_vlan_transparent',
        'mtu',
        'name',
        # Provider attributes are only visible to (and settable by) admins;
        # a tenant export holds None, which import does not send.
        'provider_network_type',
        'provider_physical_network',
        'provider_segmentation_id',
        'segments',
        'tags',
    )
    info_fields = (
        'availability_zones',
        'created_at',
        'id',
        'project_id',
        'revision_number',
        'status',
        'subnet_ids',
        'updated_at',
    )
    param_shapes = {
        'availability_zone_hints': [datafile.STR],
        'segments': [{}],
    }
    references = {
        'qos_policy_ref': base.RefField('qos_policy', 'qos_policy_id')
    }
    sorted_fields = (
        'availability_zone_hints',
        'availability_zones',
        'subnet_ids',
        'tags',
    )
    skip_empty = ('availability_zone_hints', 'dns_domain')
    # Neutron holds no null for these: a null in a file is unknown (a
    # tenant's export of provider attributes, the pioneering tool's
    # ``is_default`` / ``is_vlan_transparent``).
    none_is_unknown = (
        'is_admin_state_up',
        'is_default',
        'is_port_security_enabled',
        'is_router_external',
        'is_shared',
        'is_vlan_transparent',
        'mtu',
        'provider_network_type',
        'provider_physical_network',
        'provider_segmentation_id',
        'segments',
    )
    create_only = (
        'provider_network_type',
        'provider_physical_network',
        'provider_segmentation_id',
        'is_vlan_transparent',
    )


RESOURCE = Network
