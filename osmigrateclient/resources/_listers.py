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

"""How each kind of resource is listed: one (paginated) call per kind.

Resource types do not list: they ask the run's
:class:`~osmigrateclient.resources.refs.Lookup`, which lists a kind once
per cloud with :func:`listed` from :data:`LISTERS`, the table a type's
``kind`` names its entry in.
"""

import logging
import time
import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient.resources import _sdk_classes as sdk_classes

LOG = logging.getLogger(__name__)

#: The ``device_owner`` of a router's interface ports (plain, HA, DVR).
ROUTER_INTERFACE_OWNERS = (
    'network:router_interface',
    'network:ha_router_replicated_interface',
    'network:router_interface_distributed',
)


#: Barbican's largest page (its ``max_limit_paging``)
BARBICAN_PAGE = 100


def barbican(conn: ty.Any, cls: type) -> list[ty.Any]:
    """Every resource of ``cls`` of the caller's project, ``project_id``
    set (Barbican lists the caller's project's own only)."""
    listed = list(conn.key_manager._list(cls, limit=BARBICAN_PAGE))
    for obj in listed:
        obj._update(project_id=conn.current_project_id)
    return listed


#: How to list every visible resource of a kind, in one (paginated) call.
LISTERS: dict[str, ty.Callable[[ty.Any], ty.Iterable[ty.Any]]] = {
    'address_group': lambda c: c.network.address_groups(),
    'address_scope': lambda c: c.network.address_scopes(),
    'network': lambda c: c.network.networks(),
    'network_flavor': lambda c: c.network.flavors(),
    'port': lambda c: c.network.ports(),
    'qos_policy': lambda c: c.network.qos_policies(),
    'rbac_policy': lambda c: c.network.rbac_policies(),
    'router': lambda c: c.network.routers(),
    # one request: Neutron takes a filter's values as repeated parameters
    'router_interface': lambda c: c.network.ports(
        device_owner=list(ROUTER_INTERFACE_OWNERS)
    ),
    'security_group': lambda c: c.network.security_groups(),
    'security_group_rule': lambda c: c.network.security_group_rules(),
    'segment': lambda c: c.network.segments(),
    'subnet': lambda c: c.network.subnets(),
    'subnet_pool': lambda c: c.network.subnet_pools(),
    'trunk': lambda c: c.network.trunks(),
    'flavor': lambda c: c.compute.flavors(is_public=None),
    'image': lambda c: images(c),
    'keypair': lambda c: c.compute.keypairs(),
    'domain': lambda c: c.identity.domains(),
    'project': lambda c: c.identity.projects(),
    'role': lambda c: c.identity.roles(),
    'user': lambda c: c.identity.users(),
    'group': lambda c: c.identity.groups(),
    'role_assignment': lambda c: c.identity.role_assignments(),
    'volume': lambda c: c.block_storage.volumes(details=True),
    # 'None': private types too (an admin's list); the proxy's own lister
    # with the class that keeps the QoS specs' id
    'volume_type': lambda c: c.block_storage._list(
        sdk_classes.VolumeType, is_public='None'
    ),
    'volume_qos': lambda c: c.block_storage.qos_specs(),
    'server': lambda c: c.compute.servers(details=True),
    'server_group': lambda c: c.compute.server_groups(),
    'floating_ip': lambda c: c.network.ips(),
    # Swift: the account's containers (they belong to no project field)
    'container': lambda c: c.object_store.containers(),
    'secret': lambda c: barbican(c, sdk_classes.Secret),
    'secret_container': lambda c: barbican(c, sdk_classes.SecretContainer),
    # Octavia: a load balancer's tree (members and L7 rules are listed
    # per pool and per policy: Octavia has no project-wide list of them)
    'load_balancer': lambda c: c.load_balancer.load_balancers(),
    'lb_listener': lambda c: c.load_balancer._list(sdk_classes.LbListener),
    'lb_pool': lambda c: c.load_balancer._list(sdk_classes.LbPool),
    'lb_health_monitor': lambda c: c.load_balancer.health_monitors(),
    'lb_l7_policy': lambda c: c.load_balancer.l7_policies(),
    'lb_flavor': lambda c: c.load_balancer.flavors(),
    'lb_provider': lambda c: c.load_balancer.providers(),
    # Designate: the project's zones, and the record sets of all of them
    'zone': lambda c: c.dns.zones(),
    'recordset': lambda c: c.dns._list(sdk_classes.ZoneRecordset),
    # the reverse DNS of the project's floating IPs (set or not)
    'ptr_record': lambda c: c.dns.floating_ips(),
    # Manila: an admin lists every share type ('all': private ones too);
    # access rules and export locations are listed per share (Manila has
    # no project-wide list of them)
    'share_type': lambda c: c.shared_file_system._list(
        sdk_classes.ShareType, is_public='all'
    ),
    'share_network': lambda c: c.shared_file_system._list(
        sdk_classes.ShareNetwork, base_path='/share-networks/detail'
    ),
    'share': lambda c: c.shared_file_system._list(
        sdk_classes.Share, base_path='/shares/detail'
    ),
    # Neutron's extensions (for what a field needs: dns-integration)
    'extension': lambda c: c.network.extensions(),
}

#: Glance's usual largest page (it gives 25 unless asked)
IMAGE_PAGE = 1000


def images(conn: ty.Any) -> list[ty.Any]:
    """Every visible image, in one request where one page holds them.

    With a ``limit``, openstacksdk asks for one more page even after a
    short one (an empty answer): ask for one page, and only when it is
    full list them all.
    """
    page = list(conn.image.images(paginated=False, limit=IMAGE_PAGE))
    if len(page) < IMAGE_PAGE:
        return page
    return list(conn.image.images(limit=IMAGE_PAGE))


#: how many times a listing is tried (see :func:`listed`), and the
#: seconds before the second try, doubled before each next one (3.75 s
#: in all: a burst of deletions in the project is over by then)
TRIES = 5
PAUSE = 0.25


def listed(
    conn: ty.Any,
    kind: str,
    pause: ty.Callable[[float], None] = time.sleep,
) -> list[ty.Any]:
    """Every visible resource of ``kind`` in ``conn``'s cloud."""
    LOG.debug('Listing %s resources', kind)
    delay = PAUSE
    for _ in range(TRIES - 1):
        try:
            return list(LISTERS[kind](conn))
        except sdk_exceptions.NotFoundException:
            # Neutron answers a list with 404 when a resource it is
            # listing goes meanwhile (a rule's group deleted by someone
            # else): the list itself exists, so ask again once the
            # deletion is over (asked at once, the answer was a 404 again
            # while many groups went).
            LOG.debug('Listing %s: 404, again', kind, exc_info=True)
            pause(delay)
            delay *= 2
    return list(LISTERS[kind](conn))
