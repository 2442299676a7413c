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

"""Checks of the destination before an import: does the plan fit its quotas?

A plan knows how many resources of each type the import would create; the
destination project's quota usage (Neutron's ``/quotas/{project}/details``)
says how many it already holds and how many it may.  A type whose creates
do not fit is reported as a ``blocked`` outcome of type ``quota``, with the
numbers: ``security group: 14 to create, 3 in use, quota 10``.

The count is an estimate of what the import adds, not of what it may
briefly hold: Neutron's own additions (DHCP ports, the ``default`` group of
a new project) are not counted.
"""

import collections
import logging
import typing as ty

from keystoneauth1 import exceptions as ksa_exceptions
from openstack import exceptions as sdk_exceptions

from osmigrateclient import resources
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

LOG = logging.getLogger(__name__)

#: the ``type`` of the outcomes of this module
QUOTA = 'quota'

#: Neutron quota (openstacksdk attribute of ``QuotaDetails``) -> the
#: ``cli_name`` of the resource types whose creates count against it
NETWORK_QUOTAS: dict[str, tuple[str, ...]] = {
    'networks': ('network',),
    'subnets': ('subnet',),
    'routers': ('router',),
    'security_groups': ('security group',),
    'security_group_rules': ('security group rule',),
    # A router interface is a port of the subnet's network.
    'ports': ('router interface',),
}


def to_create(outcomes: list[base.Outcome]) -> collections.Counter:
    """How many resources of each ``cli_name`` the plan would create."""
    names = {r.type: r.cli_name for r in resources.by_cli_name().values()}
    counts: collections.Counter = collections.Counter()
    for outcome in outcomes:
        if outcome.action in (base.CREATE, base.DONE[base.CREATE]):
            counts[names.get(outcome.type, outcome.type)] += 1
    return counts


def network_usage(lookup: refs.Lookup) -> dict[str, tuple[int, int]] | None:
    """``{quota: (in use, limit)}`` of the lookup's project in Neutron, or
    None when the cloud does not say (no Neutron, or no right to ask)."""
    try:
        details = lookup.conn.network.get_quota(
            lookup.project_id, details=True
        )
    except (
        sdk_exceptions.SDKException,
        ksa_exceptions.EndpointNotFound,
        ksa_exceptions.CatalogException,
    ) as e:
        LOG.warning(
            'Cannot read the network quotas of project %s, not checked: %s',
            lookup.project_id,
            e,
        )
        return None
    usage = {}
    for quota in NETWORK_QUOTAS:
        value = getattr(details, quota, None)
        if not isinstance(value, dict) or value.get('limit') is None:
            continue
        used = int(value.get('used') or 0) + int(value.get('reserved') or 0)
        usage[quota] = (used, int(value['limit']))
    return usage


def shortfalls(
    counts: ty.Mapping[str, int],
    usage: dict[str, tuple[int, int]],
) -> list[base.Outcome]:
    """A blocked outcome for each quota that ``counts`` would exceed."""
    found = []
    for quota, types in NETWORK_QUOTAS.items():
        if quota not in usage:
            continue
        wanted = sum(counts.get(t, 0) for t in types)
        used, limit = usage[quota]
        if not wanted or limit < 0 or used + wanted <= limit:
            continue
        what = ', '.join(types)
        found.append(
            base.Outcome(
                QUOTA,
                what,
                base.BLOCKED,
                '%s: %d to create, %d in use, quota %d (network quota %s)'
                % (what, wanted, used, limit, quota),
            )
        )
    return found


def quota_shortfalls(
    lookup: refs.Lookup, outcomes: list[base.Outcome]
) -> list[base.Outcome]:
    """The destination quotas that the decision ``outcomes`` would exceed,
    as blocked outcomes of type ``quota``; checks nothing when the plan
    creates nothing."""
    counts = to_create(outcomes)
    if not any(counts.get(t) for ts in NETWORK_QUOTAS.values() for t in ts):
        return []
    usage = network_usage(lookup)
    if usage is None:
        return []
    return shortfalls(counts, usage)
