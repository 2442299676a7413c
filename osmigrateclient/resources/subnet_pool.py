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

"""Neutron subnet pools, with their address scope by name.

A subnet allocated from a pool refers to it by name (``subnet_pool_ref``
of the subnet) and is made from the destination's pool with its own CIDR,
so the prefix is kept; Neutron refuses it when that prefix is taken there.

Neutron only lets a pool's prefixes grow: a file that drops a prefix of an
existing pool is a conflict in the plan, and import leaves the pool alone.
The IP version follows from the prefixes (``_info``).  ``is_shared`` and
``is_default`` are an admin's to set; a tenant's file holds false for both,
which Neutron takes from anyone.
"""

from osmigrateclient import datafile
from osmigrateclient.resources import base
from osmigrateclient.resources import refs


class SubnetPool(base.Resource):
    type = 'openstack.network.SubnetPool'
    cli_name = 'subnet pool'
    kind = 'subnet_pool'
    extension = 'subnet_allocation'
    file_name = 'subnet_pools.yml'
    # after address scopes, before the subnets made from them
    rank = 15
    depends_on = ('address scope',)
    parallel_import = True

    params_fields = (
        'default_prefix_length',
        'default_quota',
        'description',
        'is_default',
        'is_shared',
        'maximum_prefix_length',
        'minimum_prefix_length',
        'name',
        'prefixes',
        'tags',
    )
    info_fields = (
        'created_at',
        'id',
        'ip_version',
        'project_id',
        'revision_number',
        'updated_at',
    )
    param_shapes = {'prefixes': [datafile.STR]}
    references = {
        'address_scope_ref': base.RefField(
            'address_scope', 'address_scope_id'
        ),
    }
    sorted_fields = ('prefixes', 'tags')
    required_params = ('prefixes',)
    # Neutron holds no null for these: a null in a file is unknown.
    none_is_unknown = (
        'default_prefix_length',
        'is_default',
        'is_shared',
        'maximum_prefix_length',
        'minimum_prefix_length',
    )
    # Neutron's update does not take ``shared``.
    create_only = ('is_shared',)

    def decide(self, lookup: refs.Lookup, entry: base.Entry) -> base.Decision:
        decision = super().decide(lookup, entry)
        have, want = (decision.changes or {}).get('prefixes', ([], []))
        dropped = sorted(set(have or []) - set(want or []))
        if decision.action == base.UPDATE and dropped:
            return base.Decision(
                base.CONFLICT,
                'cannot drop prefixes of an existing pool (Neutron only '
                'adds): %s' % ', '.join(dropped),
                decision.existing,
                decision.changes,
            )
        return decision


RESOURCE = SubnetPool
