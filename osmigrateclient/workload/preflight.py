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


"""Pre-flight of a workload import: every check before anything is made.

For each selected server, in the destination: the flavor, the image (when
the server boots from it), the networks, subnets and security groups of
its ports, its keypair, the volume types of its volumes and its server
group resolve, and its fixed IPs can be kept; in the source: the server
is there, in a state the import allows (SHUTOFF, or ACTIVE with
``--stop``), with the volumes the file lists attached.  All problems of a
server are listed together; a server with problems is not touched.
:meth:`Checker.check` has one method per concern (the network's are in
:mod:`preflight_network`, the fixed IPs' in :mod:`preflight_addresses`);
its result, a :class:`checked.Resolved` (destination ids), is what the
import then uses, so it never looks a name up twice.
"""

import typing as ty

from osmigrateclient.resources import refs
from osmigrateclient.workload import checked
from osmigrateclient.workload import preflight_addresses
from osmigrateclient.workload import preflight_network

#: the device names a boot volume is attached at
ROOT_DEVICES = ('/dev/vda', '/dev/sda', '/dev/xvda', '/dev/hda')


def _names(items: ty.Iterable[ty.Any]) -> set[str]:
    return {getattr(i, 'name', None) for i in items}


class Checker:
    """Checks servers against both clouds, with cached lists."""

    def __init__(
        self, src: refs.Lookup, dst: refs.Lookup, stop: bool = False
    ) -> None:
        self.src = src
        self.dst = dst
        self.stop = stop
        self._cache: dict[str, ty.Any] = {}
        self._addresses = preflight_addresses.Addresses(dst)

    def _once(self, key: str, fn: ty.Callable[[], ty.Any]) -> ty.Any:
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    def _volume_types(self) -> set[str]:
        return self._once(
            'types', lambda: _names(self.dst.conn.block_storage.types())
        )

    def _volume_zones(self) -> set[str]:
        return self._once(
            'volume_zones',
            lambda: _names(self.dst.conn.block_storage.availability_zones()),
        )

    def _compute_zones(self) -> set[str]:
        return self._once(
            'compute_zones',
            lambda: _names(self.dst.conn.compute.availability_zones()),
        )

    def _keypairs(self) -> set[str]:
        return self._once(
            'keypairs', lambda: _names(self.dst.conn.compute.keypairs())
        )

    def check(
        self, entry: dict, detached: ty.Iterable[str] = ()
    ) -> tuple[checked.Resolved | None, list[str]]:
        """(what the import needs, []) or (None, the problems).

        Every concern is checked, so that all problems of a server are
        listed together; ``entry`` is only read.

        :param detached: volumes an unfinished import detached from the
            source server (its journal says so): they count as attached
        """
        problems: list[str] = []
        remarks: list[str] = []
        params = entry.get('params') or {}
        info = entry.get('_info') or {}
        migration = entry.get('_migration_params') or {}
        source_id = info.get('id')
        data_copy = migration.get('data_copy', True) is not False

        volumes = [self._volume(v) for v in params.get('volumes') or []]
        if data_copy:
            # (data_copy false makes no volume: their zones are moot)
            volumes = self._volume_zones_known(remarks, volumes)
        flavor = self._check_flavor(problems, params)
        disks = self._check_disks(problems, params, migration, volumes)
        if data_copy:
            self._check_volume_types(problems, volumes)
        self._check_keypair(problems, params)
        port_mode, ports = preflight_network.check_ports(
            self.dst, problems, params, migration
        )
        self._addresses.check(problems, remarks, entry, ports)
        fip_mode, fips = preflight_network.check_floating_ips(
            self.dst, problems, params, migration
        )
        group = self._check_server_group(problems, params)
        server_attrs = self._server_attrs(params, remarks)
        status = self._check_source(
            problems, source_id, volumes, detached, info.get('flavor_id')
        )
        if problems:
            return None, problems
        return (
            checked.Resolved(
                entry=entry,
                source_id=source_id,
                name=params.get('name') or source_id,
                flavor_id=flavor.id,
                image_id=disks.image_id,
                boot_volume=disks.boot_volume,
                copy_image_disk=disks.copy_image_disk,
                boot_volume_attrs={
                    k: v
                    for k, v in (
                        migration.get('boot_volume_params') or {}
                    ).items()
                    if v is not None
                },
                data_volumes=disks.data_volumes,
                data_copy=data_copy,
                boot_volume_id=disks.boot_volume_id,
                existing_volume_ids=disks.existing_volume_ids,
                port_mode=port_mode,
                ports=ports,
                floating_ips=fips,
                floating_ip_mode=fip_mode,
                server_group=group,
                server_attrs=server_attrs,
                source_status=status,
                remarks=remarks,
            ),
            [],
        )

    # -- one check per concern ----------------------------------------------

    def _check_flavor(self, problems: list[str], params: dict) -> ty.Any:
        if not params.get('flavor_ref'):
            problems.append('flavor_ref: missing')
            return None
        return preflight_network.resolve(
            self.dst, problems, 'flavor', params['flavor_ref'], 'flavor_ref'
        )

    def _check_disks(
        self,
        problems: list[str],
        params: dict,
        migration: dict,
        volumes: list[checked.ServerVolume],
    ) -> checked.Disks:
        """What the server boots from, and which volumes are copied."""
        data_copy = migration.get('data_copy', True) is not False
        boot = next((v for v in volumes if v.device in ROOT_DEVICES), None)
        if boot is None and not params.get('image_ref'):
            boot = next((v for v in volumes if v.bootable), None)
        data_volumes = [v for v in volumes if v is not boot]
        copy_image_disk = bool(
            boot is None and migration.get('boot_disk_copy') and data_copy
        )
        boot_volume_id, existing = None, []
        if not data_copy:
            # The destination volumes exist already: nothing is copied.
            boot_volume_id, existing = self._existing(problems, migration)
            boot, data_volumes, copy_image_disk = None, [], False
        image_id = None
        if boot is None and not copy_image_disk and not boot_volume_id:
            if params.get('image_ref'):
                image = preflight_network.resolve(
                    self.dst,
                    problems,
                    'image',
                    params['image_ref'],
                    'image_ref',
                )
                image_id = image.id if image else None
            elif not data_copy:
                problems.append(
                    'image_ref: none, and data_copy is false: set '
                    '_migration_params.boot_volume.uuid to the destination '
                    'volume to boot from'
                )
            else:
                problems.append(
                    'image_ref: none, and no boot volume to copy: set '
                    '_migration_params.boot_disk_copy to true'
                )
        return checked.Disks(
            boot_volume=boot,
            data_volumes=data_volumes,
            copy_image_disk=copy_image_disk,
            boot_volume_id=boot_volume_id,
            existing_volume_ids=existing,
            image_id=image_id,
        )

    def _volume_zones_known(
        self, remarks: list[str], volumes: list[checked.ServerVolume]
    ) -> list[checked.ServerVolume]:
        """The volumes, without the zones the destination lacks (Cinder
        picks one there)."""
        known = []
        for v in volumes:
            zone = v.attrs.get('availability_zone')
            if zone and zone not in self._volume_zones():
                v = v._replace(
                    attrs={
                        k: x
                        for k, x in v.attrs.items()
                        if k != 'availability_zone'
                    }
                )
                remarks.append(
                    'volume %s: zone %r not in the destination: Cinder '
                    'picks one' % (v.name or v.source_id, zone)
                )
            known.append(v)
        return known

    def _check_volume_types(
        self, problems: list[str], volumes: list[checked.ServerVolume]
    ) -> None:
        for v in volumes:
            vtype = v.attrs.get('volume_type')
            if vtype and vtype not in self._volume_types():
                problems.append(
                    'volumes: %s: volume type %r not found in the '
                    'destination' % (v.name or v.source_id, vtype)
                )

    def _check_keypair(self, problems: list[str], params: dict) -> None:
        key_name = params.get('key_name')
        if key_name and key_name not in self._keypairs():
            problems.append(
                'key_name: keypair %r not found in the destination' % key_name
            )

    def _check_server_group(
        self, problems: list[str], params: dict
    ) -> dict | None:
        if not params.get('server_group_ref'):
            return None
        group = {
            'name': params['server_group_ref'].get('name'),
            'policy': params.get('server_group_policy'),
            'rules': params.get('server_group_rules') or {},
        }
        if not group['name'] or not group['policy']:
            problems.append(
                'server_group_ref: needs a name and server_group_policy'
            )
        return group

    # -- parts --------------------------------------------------------------

    def _existing(self, problems, migration) -> tuple[str | None, list[str]]:
        """(boot volume id, other volume ids) of data_copy false; each
        must be an available volume of the destination."""
        boot_id = (migration.get('boot_volume') or {}).get('uuid')
        others = [
            item.get('uuid')
            for item in migration.get('additional_volumes') or []
            if isinstance(item, dict) and item.get('uuid')
        ]
        named = [('boot_volume', boot_id)] if boot_id else []
        named += [('additional_volumes', uuid) for uuid in others]
        for field, uuid in named:
            volume = self.dst.conn.block_storage.find_volume(uuid)
            if volume is None:
                problems.append(
                    '_migration_params.%s: volume %s not found in the '
                    'destination' % (field, uuid)
                )
            elif volume.status != 'available':
                problems.append(
                    '_migration_params.%s: volume %s is %s, not available'
                    % (field, uuid, volume.status)
                )
        return boot_id, others

    @staticmethod
    def _volume(v: dict) -> checked.ServerVolume:
        params = v.get('params') or {}
        info = v.get('_info') or {}
        attrs = {
            k: params.get(k)
            for k in (
                'name',
                'description',
                'volume_type',
                'availability_zone',
            )
            if params.get(k) is not None
        }
        return checked.ServerVolume(
            source_id=info.get('id'),
            name=params.get('name'),
            size=int(params.get('size') or info.get('size') or 0),
            device=params.get('device'),
            bootable=bool(
                params.get('bootable', info.get('is_bootable', False))
            ),
            attrs=attrs,
            image_metadata=dict(params.get('volume_image_metadata') or {}),
        )

    def _server_attrs(self, params: dict, remarks: list[str]) -> dict:
        attrs = {
            k: params.get(k)
            for k in (
                'name',
                'key_name',
                'metadata',
                'user_data',
                'tags',
                'description',
                'config_drive',
                'disk_config',
            )
            if params.get(k) not in (None, {}, [], '')
        }
        zone = params.get('availability_zone')
        if zone:
            if zone in self._compute_zones():
                attrs['availability_zone'] = zone
            else:
                remarks.append(
                    'availability zone %r not in the destination: Nova '
                    'picks one' % zone
                )
        return attrs

    def _check_source(
        self, problems, source_id, volumes, detached=(), flavor_id=None
    ) -> str:
        """The source server's status, checked with what the file says of
        its volumes and flavor."""
        # One list of the source's servers for the whole wave, not one
        # request per server.
        server = self.src.get('server', source_id)
        if server is None:
            problems.append('the source server %s is gone' % source_id)
            return ''
        status = server.status
        allowed = ('SHUTOFF', 'ACTIVE') if self.stop else ('SHUTOFF',)
        if status not in allowed:
            problems.append(
                'the source server is %s, not SHUTOFF%s'
                % (status, '' if self.stop else ' (stop it, or give --stop)')
            )
        self._check_source_volumes(problems, server, volumes, detached)
        self._check_resize(problems, server, flavor_id)
        return status

    def _check_source_volumes(
        self, problems, server, volumes, detached
    ) -> None:
        """The volumes attached now are the file's, of the file's sizes."""
        attached = sorted(
            {
                a.get('id') if isinstance(a, dict) else a.id
                for a in server.attached_volumes or []
            }
            | set(detached)
        )
        listed = sorted(v.source_id for v in volumes)
        if attached != listed:
            problems.append(
                'volumes: the source server has %s attached now, the file '
                'lists %s: export it again'
                % (', '.join(attached) or 'none', ', '.join(listed) or 'none')
            )
        # A copy is as large as the file says: a grown volume is re-read.
        for v in volumes:
            live = self.src.get('volume', v.source_id)
            if live is not None and live.size != v.size:
                problems.append(
                    'volumes: %s is %d GiB now, the file says %d GiB: '
                    'export it again' % (v.source_id, live.size, v.size)
                )

    def _check_resize(self, problems, server, flavor_id) -> None:
        # (the file's flavor_ref may be edited on purpose: the export's
        # flavor id is what tells a resize)
        exported = self.src.get('flavor', flavor_id)
        flavor = server.flavor or {}
        now = flavor.get('original_name') or flavor.get('name')
        if exported is not None and now and now != exported.name:
            problems.append(
                'flavor: the source server was resized to %r since the '
                'export (it was %r): export it again' % (now, exported.name)
            )
