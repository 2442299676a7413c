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

"""openstacksdk resource classes of our own, where openstacksdk's lack
what a list or a write needs: a field (a volume type's QoS specs), a path
(Designate's project-wide record sets), Barbican's paging, a Manila API
version or Octavia's TLS fields.  The listers of
:data:`osmigrateclient.resources._listers.LISTERS` and the types' writes
use them.
"""

import typing as ty

from openstack import resource as sdk_resource
from openstack.block_storage.v3 import type as sdk_volume_type
from openstack.dns.v2 import recordset as sdk_dns_recordset
from openstack.key_manager.v1 import _format as sdk_km_format
from openstack.key_manager.v1 import container as sdk_km_container
from openstack.key_manager.v1 import secret as sdk_km_secret
from openstack.load_balancer.v2 import listener as sdk_lb_listener
from openstack.load_balancer.v2 import pool as sdk_lb_pool
from openstack.shared_file_system.v2 import share as sdk_share
from openstack.shared_file_system.v2 import share_network as sdk_share_net
from openstack.shared_file_system.v2 import share_type as sdk_share_type


class VolumeType(sdk_volume_type.Type):
    """A Cinder volume type with the id of its QoS specs: Cinder sends
    ``qos_specs_id`` to an admin, openstacksdk's class drops it."""

    qos_specs_id = sdk_resource.Body('qos_specs_id')


class _BarbicanList:
    """A Barbican resource whose lists are paged as Barbican pages them.

    Barbican pages by offset and names its next page (``next``); it
    ignores markers, so openstacksdk's guess of one more page after a full
    one would list the first page again (and stop on "endless pagination").
    Barbican lists only the caller's project's resources and sends no
    project id: the lister sets ``project_id``, so that references and
    ownership work as for the other kinds.
    """

    project_id = sdk_resource.Body('project_id')

    @classmethod
    def _get_next_link(
        cls,
        uri: str,
        response: ty.Any,
        data: ty.Any,
        marker: str | None,
        limit: str | None,
        total_yielded: int,
    ) -> tuple[str | None, dict[str, ty.Any]]:
        if not (isinstance(data, dict) and data.get('next')):
            return None, {}
        return super()._get_next_link(  # type: ignore[misc]
            uri, response, data, marker, None, total_yielded
        )


class Secret(_BarbicanList, sdk_km_secret.Secret):
    """A Barbican secret (``id`` is its href, as openstacksdk's)."""

    # openstacksdk finds the alternate id in the class itself only.
    secret_id = sdk_resource.Body(
        'secret_ref', alternate_id=True, type=sdk_km_format.HREFToUUID
    )


class SecretContainer(_BarbicanList, sdk_km_container.Container):
    """A Barbican container (``id`` is its href, as openstacksdk's)."""

    container_id = sdk_resource.Body(
        'container_ref', alternate_id=True, type=sdk_km_format.HREFToUUID
    )


class LbListener(sdk_lb_listener.Listener):
    """An Octavia listener with its TLS client authentication (API 2.8),
    which openstacksdk's class drops."""

    client_authentication = sdk_resource.Body('client_authentication')
    client_ca_tls_container_ref = sdk_resource.Body(
        'client_ca_tls_container_ref'
    )
    client_crl_container_ref = sdk_resource.Body('client_crl_container_ref')


class LbPool(sdk_lb_pool.Pool):
    """An Octavia pool with the certificate it shows its members (API
    2.8), which openstacksdk's class drops."""

    tls_container_ref = sdk_resource.Body('tls_container_ref')


class ZoneRecordset(sdk_dns_recordset.Recordset):
    """A Designate record set as the project-wide list gives it
    (``GET /v2/recordsets``): openstacksdk's ``recordsets()`` without a
    zone drops its own base path, and its class has the zone's id in the
    URL only.  Not for writes: those go through openstacksdk's class."""

    base_path = '/recordsets'
    zone_id = sdk_resource.Body('zone_id')


#: The Manila API version of the requests about shares and share types
#: (a share type's description and its is_public: 2.41 and 2.7; a share
#: created with its metadata and share type by id: 2.6), asked of a Manila
#: that knows it, else the highest it knows.
MANILA_VERSION = '2.65'


class ShareType(sdk_share_type.ShareType):
    """A Manila share type, read and written at :data:`MANILA_VERSION`
    (openstacksdk's class asks for none: Manila's 2.0, without them)."""

    _max_microversion = MANILA_VERSION


class Share(sdk_share.Share):
    """A Manila share, at :data:`MANILA_VERSION`."""

    _max_microversion = MANILA_VERSION


class ShareNetwork(sdk_share_net.ShareNetwork):
    """A Manila share network at API 2.50, the last one that gives its
    Neutron network and subnet (those of its default subnet) as its own
    fields; later ones list them per availability zone."""

    _max_microversion = '2.50'
