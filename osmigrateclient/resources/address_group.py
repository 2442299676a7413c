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

"""Neutron address groups: named sets of CIDRs that security group rules
use as their remote end (``remote_address_group_ref``).

Neutron's update does not take ``addresses``: an existing group is brought
to the file's set by adding the missing CIDRs and removing the others, in
their own calls.  Neutron writes every address as a CIDR (``10.0.0.1``
becomes ``10.0.0.1/32``); a file must hold CIDRs.
"""

import typing as ty

from osmigrateclient import datafile
from osmigrateclient.resources import base
from osmigrateclient.resources import refs


class AddressGroup(base.Resource):
    type = 'openstack.network.AddressGroup'
    cli_name = 'address group'
    kind = 'address_group'
    extension = 'address-group'
    file_name = 'address_groups.yml'
    # before the security group rules that use them
    rank = 25
    parallel_import = True

    params_fields = ('addresses', 'description', 'name')
    info_fields = (
        'created_at',
        'id',
        'project_id',
        'revision_number',
        'updated_at',
    )
    param_shapes = {'addresses': [datafile.STR]}
    sorted_fields = ('addresses',)
    # Neutron: "AddressGroup resource does not support tag"
    tag_field = None

    def update(
        self, lookup: refs.Lookup, existing: ty.Any, changes: dict
    ) -> ty.Any:
        changes = dict(changes)
        addresses = changes.pop('addresses', None)
        obj = super().update(lookup, existing, changes)
        if addresses is not None:
            have, want = set(addresses[0] or []), set(addresses[1] or [])
            proxy = self.proxy(lookup)
            if want - have:
                obj = proxy.add_addresses_to_address_group(
                    obj, sorted(want - have)
                )
            if have - want:
                obj = proxy.remove_addresses_from_address_group(
                    obj, sorted(have - want)
                )
        return obj


RESOURCE = AddressGroup
