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

"""``openstack migrate export|import`` of Keystone's resources (see
:mod:`osmigrateclient.v1.resource`)."""

from osmigrateclient.v1 import resource


class ExportDomain(resource.ExportResource):
    resource_name = 'domain'


class ImportDomain(resource.ImportResource):
    resource_name = 'domain'


class ExportGroup(resource.ExportResource):
    resource_name = 'group'


class ImportGroup(resource.ImportResource):
    resource_name = 'group'


class ExportGroupRoleAssignment(resource.ExportResource):
    resource_name = 'group role assignment'


class ImportGroupRoleAssignment(resource.ImportResource):
    resource_name = 'group role assignment'


class ExportProject(resource.ExportResource):
    resource_name = 'project'


class ImportProject(resource.ImportResource):
    resource_name = 'project'


class ExportRole(resource.ExportResource):
    resource_name = 'role'


class ImportRole(resource.ImportResource):
    resource_name = 'role'


class ExportRoleAssignment(resource.ExportResource):
    resource_name = 'role assignment'


class ImportRoleAssignment(resource.ImportResource):
    resource_name = 'role assignment'


class ExportUser(resource.ExportResource):
    resource_name = 'user'


class ImportUser(resource.ImportResource):
    resource_name = 'user'
