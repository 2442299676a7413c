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

"""``openstack migrate export|import`` of Neutron's resources (see
:mod:`osmigrateclient.v1.resource`)."""

from osmigrateclient.v1 import resource


class ExportAddressGroup(resource.ExportResource):
    resource_name = 'address group'


class ImportAddressGroup(resource.ImportResource):
    resource_name = 'address group'


class ExportAddressScope(resource.ExportResource):
    resource_name = 'address scope'


class ImportAddressScope(resource.ImportResource):
    resource_name = 'address scope'


class ExportFloatingIP(resource.ExportResource):
    resource_name = 'floating ip'


class ImportFloatingIP(resource.ImportResource):
    resource_name = 'floating ip'


class ExportNetwork(resource.ExportResource):
    resource_name = 'network'


class ImportNetwork(resource.ImportResource):
    resource_name = 'network'


class ExportNetworkQosPolicy(resource.ExportResource):
    resource_name = 'network qos policy'


class ImportNetworkQosPolicy(resource.ImportResource):
    resource_name = 'network qos policy'


class ExportNetworkRbac(resource.ExportResource):
    resource_name = 'network rbac'


class ImportNetworkRbac(resource.ImportResource):
    resource_name = 'network rbac'


class ExportNetworkTrunk(resource.ExportResource):
    resource_name = 'network trunk'


class ImportNetworkTrunk(resource.ImportResource):
    resource_name = 'network trunk'


class ExportPort(resource.ExportResource):
    resource_name = 'port'


class ImportPort(resource.ImportResource):
    resource_name = 'port'


class ExportRouter(resource.ExportResource):
    resource_name = 'router'


class ImportRouter(resource.ImportResource):
    resource_name = 'router'


class ExportRouterInterface(resource.ExportResource):
    resource_name = 'router interface'


class ImportRouterInterface(resource.ImportResource):
    resource_name = 'router interface'


class ExportSecurityGroup(resource.ExportResource):
    resource_name = 'security group'


class ImportSecurityGroup(resource.ImportResource):
    resource_name = 'security group'


class ExportSecurityGroupRule(resource.ExportResource):
    resource_name = 'security group rule'


class ImportSecurityGroupRule(resource.ImportResource):
    resource_name = 'security group rule'


class ExportSubnet(resource.ExportResource):
    resource_name = 'subnet'


class ImportSubnet(resource.ImportResource):
    resource_name = 'subnet'


class ExportSubnetPool(resource.ExportResource):
    resource_name = 'subnet pool'


class ImportSubnetPool(resource.ImportResource):
    resource_name = 'subnet pool'
