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


"""A server as the pre-flight hands it to its import: checked, with
destination ids instead of names.

:class:`Resolved` is one server; :class:`ServerVolume`, :class:`Port` and
:class:`FloatingIP` are its parts.  The import reads only these, so it
never looks a name up twice.
"""

import typing as ty

GiB = 1024**3


class Port(ty.NamedTuple):
    source_id: str
    network_id: str
    #: [{'subnet_id': ..., 'ip_address': ...}]
    fixed_ips: list[dict]
    mac_address: str | None
    security_group_ids: list[str]
    attrs: dict
    #: the trunk whose parent the port is, made on its twin before the
    #: server: ``create_trunk`` attributes (subports by destination id)
    trunk: dict | None = None


class FloatingIP(ty.NamedTuple):
    address: str
    #: the source port it is on (its destination twin gets it)
    source_port_id: str
    fixed_ip_address: str | None
    network_id: str
    #: the address is allocated to the destination project, unattached
    existing_id: str | None
    description: str | None


class ServerVolume(ty.NamedTuple):
    """A volume attached to the server, as its import copies it."""

    source_id: str
    name: str | None
    size: int
    device: str | None
    bootable: bool
    #: destination create attributes (name, description, type, zone)
    attrs: dict
    image_metadata: dict


class Disks(ty.NamedTuple):
    """What a server boots from, and which of its volumes are copied."""

    boot_volume: ServerVolume | None
    data_volumes: list[ServerVolume]
    copy_image_disk: bool
    boot_volume_id: str | None
    existing_volume_ids: list[str]
    image_id: str | None


class Resolved(ty.NamedTuple):
    """What a server's import needs, checked."""

    entry: dict
    source_id: str
    name: str
    flavor_id: str
    #: the destination image to boot from, None when the boot disk is copied
    image_id: str | None
    #: the boot volume (BFV) or None
    boot_volume: ServerVolume | None
    #: an image-booted server's boot disk is copied (boot_disk_copy)
    copy_image_disk: bool
    boot_volume_attrs: dict
    data_volumes: list[ServerVolume]
    data_copy: bool
    #: data_copy false: the destination volumes to use as they are
    boot_volume_id: str | None
    existing_volume_ids: list[str]
    #: port_creation_mode: 'neutron' (ports made first) or 'nova'
    port_mode: str
    ports: list[Port]
    floating_ips: list[FloatingIP]
    floating_ip_mode: str
    server_group: dict | None
    #: keyword arguments of create_server besides image, flavor, networks
    server_attrs: dict
    source_status: str
    remarks: list[str]
