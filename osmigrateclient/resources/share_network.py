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

"""Manila share networks: name, description, and the Neutron network and
subnet (``network_ref``, ``subnet_ref``, by name) on which Manila makes the
share servers of shares whose type has ``driver_handles_share_servers``.

A share network is found in the destination by name in the project; its
network and subnet cannot change (a conflict), its description can.  Only
the share network's default subnet is migrated (the one Manila's API
before 2.51 shows as the share network's own): subnets of particular
availability zones are not.
"""

import typing as ty

from osmigrateclient.resources import _sdk_classes as sdk_classes
from osmigrateclient.resources import base
from osmigrateclient.resources import refs


class ShareNetwork(base.Resource):
    type = 'openstack.shared_file_system.ShareNetwork'
    cli_name = 'share network'
    kind = 'share_network'
    file_name = 'share_networks.yml'
    service = 'shared_file_system'
    catalog_service = 'shared-file-system'
    rank = 22
    depends_on = ('network', 'subnet')
    tag_field = None

    params_fields = ('description', 'name')
    info_fields = ('id', 'project_id')
    references = {
        'network_ref': base.RefField('network', 'neutron_net_id'),
        'subnet_ref': base.RefField('subnet', 'neutron_subnet_id'),
    }
    sorted_fields = ()
    create_only = ('network_ref', 'subnet_ref')

    def create_sdk(self, lookup: refs.Lookup, attrs: dict) -> ty.Any:
        return self.proxy(lookup)._create(sdk_classes.ShareNetwork, **attrs)

    def update(
        self, lookup: refs.Lookup, existing: ty.Any, changes: dict
    ) -> ty.Any:
        return self.proxy(lookup)._update(
            sdk_classes.ShareNetwork,
            existing,
            description=changes['description'][1] or '',
        )


RESOURCE = ShareNetwork
