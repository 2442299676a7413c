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

"""Neutron address scopes: the scope that subnet pools put their prefixes
in (``address_scope_ref`` of a subnet pool).

Neutron keeps nothing but a name, the IP version and ``shared`` for them:
no description and no tags.  Only an admin may share one; a tenant's file
holds ``is_shared: false``, which Neutron takes from anyone.
"""

from osmigrateclient.resources import base


class AddressScope(base.Resource):
    type = 'openstack.network.AddressScope'
    cli_name = 'address scope'
    kind = 'address_scope'
    extension = 'address-scope'
    file_name = 'address_scopes.yml'
    # before the subnet pools that use them
    rank = 12
    parallel_import = True

    params_fields = ('ip_version', 'is_shared', 'name')
    info_fields = ('id', 'project_id')
    # Neutron: "AddressScope resource does not support tag"
    tag_field = None
    sorted_fields = ()
    create_only = ('ip_version',)
    # Neutron holds no null for these: a null in a file is unknown.
    none_is_unknown = ('is_shared',)
    required_params = ('ip_version',)


RESOURCE = AddressScope
