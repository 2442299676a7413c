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

"""Neutron security groups.

Which rules a group ends with:

- A group that the import creates ends with exactly the rules of the rules
  file: the rules Neutron adds to every new group (egress to anywhere, IPv4
  and IPv6) are deleted right after the create, and the rules import adds
  those of the file.
- A group that already exists in the destination, such as the project's
  ``default`` group that Neutron creates by itself, keeps its rules: the
  rules import only adds the missing ones.  Deleting rules that the file
  does not hold from a live group could cut running workloads off, so the
  import never does it; remove them by hand if they must go.

A rule is never duplicated: the rules import finds the existing twin of
each rule (see :mod:`osmigrateclient.resources.security_group_rule`).
"""

import typing as ty

from openstack.network.v2 import security_group as _sdk

from osmigrateclient.resources import base
from osmigrateclient.resources import refs

#: the group Neutron makes in every project by itself
DEFAULT = 'default'


def is_built_in(name: str | None) -> bool:
    """Whether a group of this name is one that every project has."""
    return name == DEFAULT


class SecurityGroup(base.Resource):
    type = 'openstack.network.SecurityGroup'
    cli_name = 'security group'
    kind = 'security_group'
    file_name = 'security_groups.yml'
    rank = 30
    parallel_import = True
    bulk_class = _sdk.SecurityGroup

    params_fields = ('description', 'name', 'stateful', 'tags')
    none_is_unknown = ('stateful',)
    info_fields = (
        'created_at',
        'id',
        'project_id',
        'revision_number',
        'updated_at',
    )

    def after_create(
        self, lookup: refs.Lookup, obj: ty.Any, entry: base.Entry
    ) -> ty.Any:
        proxy = self.proxy(lookup)
        for rule in obj.security_group_rules or []:
            proxy.delete_security_group_rule(rule['id'], ignore_missing=True)
            lookup.forget('security_group_rule', rule['id'])
        obj.security_group_rules = []
        return super().after_create(lookup, obj, entry)


RESOURCE = SecurityGroup
