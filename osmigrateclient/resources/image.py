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

"""Glance images, with their bytes.

``params`` and ``_info`` are the pioneering tool's: the typed Glance fields
(``hw_*``, ``os_*``, ...) and ``properties``, a dict of the other
properties (``hw_firmware_type``, custom keys, ...).  Beyond it, ``tags``
and ``members`` (the projects an image is shared with, by name).

Export takes the images the source project owns (one list call), writes
their metadata, then the run's image mover
(:mod:`osmigrateclient.transfer.image_mover`) downloads each one's bytes
into ``image_blobs/`` unless ``--no-blobs``.

Import finds the destination twin by name among the images the destination
project owns:

- none: the image is created, its blob uploaded (or, with ``--direct``,
  streamed from the source Glance), and the destination's checksum compared
  with the source's; an image whose bytes do not match is deleted again;
- one holding the same bytes (same multihash, else same md5 checksum): the
  metadata that differs is updated, the bytes are left alone;
- one holding other bytes: a conflict, reported and left alone.

Glance stores every property but the core fields as a string, so values
are sent as strings (``true``/``false`` for booleans).

An image's members (the projects it is shared with) are read, resolved
and added by ``_image_members.py``.
"""

import typing as ty

from openstack import exceptions as sdk_exceptions
from openstack.image.v2 import image as sdk_image

from osmigrateclient import clouds
from osmigrateclient import datafile
from osmigrateclient import digest as digest_mod
from osmigrateclient.resources import _image_members
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

#: the pioneering tool's params (os-migrate-facts.md §1, Image), refs aside
PIONEER_PARAMS = (
    'architecture',
    'container_format',
    'disk_format',
    'has_auto_disk_config',
    'hash_algo',
    'hash_value',
    'hw_cpu_cores',
    'hw_cpu_policy',
    'hw_cpu_sockets',
    'hw_cpu_thread_policy',
    'hw_cpu_threads',
    'hw_disk_bus',
    'hw_machine_type',
    'hw_qemu_guest_agent',
    'hw_rng_model',
    'hw_scsi_model',
    'hw_serial_port_count',
    'hw_video_model',
    'hw_video_ram',
    'hw_vif_model',
    'hw_watchdog_action',
    'hypervisor_type',
    'instance_type_rxtx_factor',
    'is_hidden',
    'is_hw_boot_menu_enabled',
    'is_hw_vif_multiqueue_enabled',
    'is_protected',
    'min_disk',
    'min_ram',
    'name',
    'needs_config_drive',
    'needs_secure_boot',
    'os_admin_user',
    'os_command_line',
    'os_distro',
    'os_require_quiesce',
    'os_shutdown_timeout',
    'os_type',
    'os_version',
    'properties',
    'visibility',
    'vm_mode',
    'vmware_adaptertype',
    'vmware_ostype',
)

#: Glance's own fields: sent with their JSON type, not as strings.
_CORE = frozenset(
    [
        'name',
        'container_format',
        'disk_format',
        'min_disk',
        'min_ram',
        'visibility',
        'is_protected',
        'is_hidden',
        'tags',
        'kernel_id',
        'ramdisk_id',
    ]
)
#: params that describe the bytes: compared, never sent
DATA_FIELDS = ('hash_algo', 'hash_value')
#: ``properties`` keys that are Glance's bookkeeping, not the image's
_DROPPED_PROPERTIES = frozenset(['self', 'stores'])
_RESERVED_PREFIX = 'os_glance'
#: the pseudo-change of an existing destination image that has no data
#: yet: ``(None, entry)``, the entry whose bytes go in
DATA = '(data)'
#: disk formats of images that others reference: imported first
_REFERENCED_FORMATS = ('aki', 'ari')


def _kept_properties(props: dict | None) -> dict:
    return {
        str(k): v
        for k, v in (props or {}).items()
        if k not in _DROPPED_PROPERTIES
        and not str(k).startswith(_RESERVED_PREFIX)
    }


def _glance_string(value: ty.Any) -> ty.Any:
    """A property value as Glance stores it."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value)


class Image(base.Resource):
    type = 'openstack.image.Image'
    cli_name = 'image'
    export_what = 'the images the source project owns, with their bytes,'
    import_where = 'the destination project'
    kind = 'image'
    file_name = 'images.yml'
    service = 'image'
    rank = 60

    params_fields = PIONEER_PARAMS + ('tags',)
    info_fields = (
        'checksum',
        'created_at',
        'direct_url',
        'file',
        'id',
        'instance_uuid',
        'locations',
        'metadata',
        'owner_id',
        'schema',
        'size',
        'status',
        'store',
        'updated_at',
        'url',
        'virtual_size',
    )
    param_shapes = {
        'properties': {},
        'members': [datafile.REF],
        # hash names and values go to hashlib
        'hash_algo': datafile.STR,
        'hash_value': datafile.STR,
    }
    info_shapes = {
        'size': datafile.NUMBER,
        'checksum': datafile.STR,
        'status': datafile.STR,
    }
    #: the blob is image_blobs/<id>-<name>
    path_ids = ('id',)
    references = {
        'kernel_ref': base.RefField('image', 'kernel_id'),
        'ramdisk_ref': base.RefField('image', 'ramdisk_id'),
    }
    sorted_fields = ('tags',)
    tag_field = None
    create_only = ('container_format', 'disk_format')

    # -- options ------------------------------------------------------------

    def add_arguments(self, parser: ty.Any, verb: str) -> None:
        if verb == 'export':
            parser.add_argument(
                '--no-blobs',
                action='store_true',
                help='Images: export the metadata only, not the bytes',
            )
        else:
            parser.add_argument(
                '--direct',
                action='store_true',
                help='Images: stream the bytes from the source Glance to the '
                'destination Glance, without image_blobs/ (needs '
                '--src-cloud)',
            )
            clouds.add_cloud_argument(parser, clouds.SOURCE)
        parser.add_argument(
            '--progress',
            action='store_true',
            help='Images: draw a progress bar on stderr even when it is not '
            'a terminal',
        )

    # -- export -------------------------------------------------------------

    def from_sdk(self, lookup: refs.Lookup, obj: ty.Any) -> base.Entry:
        entry = super().from_sdk(lookup, obj)
        entry['params']['properties'] = base.plain(
            _kept_properties(obj.properties)
        )
        members = None
        if obj.visibility == 'shared':
            members = _image_members.member_ids(lookup, obj)
        if members is None:
            entry['params']['members'] = []
        else:
            entry['_info']['member_ids'] = sorted(members)
            entry['params']['members'] = base.sort_list(
                [_image_members.member_ref(lookup, m) for m in members]
            )
        return entry

    def export(
        self, lookup: refs.Lookup, match: ty.Callable[[str], bool]
    ) -> list[base.Entry]:
        entries = super().export(lookup, match)
        # Kernels and ramdisks first: the images referencing them follow.
        return sorted(
            entries,
            key=lambda e: (
                e['params'].get('disk_format') not in _REFERENCED_FORMATS,
                self.name_of(e),
                str(e['_info'].get('id')),
            ),
        )

    def after_export(
        self, lookup: refs.Lookup, entries: list[base.Entry]
    ) -> None:
        """Download the bytes of every exported image into image_blobs/
        (the run's image mover).

        :raises osmigrateclient.exceptions.MigrateError: some downloads
            failed (after every image was tried)
        """
        if lookup.option('no_blobs') or not lookup.data_dir:
            return
        lookup.mover(self.cli_name).download(lookup, entries)

    # -- import: what to do -------------------------------------------------

    def decide(self, lookup: refs.Lookup, entry: base.Entry) -> base.Decision:
        decision = super().decide(lookup, entry)
        if decision.action == base.CREATE:
            missing = lookup.mover(self.cli_name).missing(lookup, entry)
            if missing:
                return base.Decision(base.BLOCKED, missing)
            return decision
        existing = decision.existing
        if existing is None or decision.action == base.BLOCKED:
            return decision
        if existing.status == 'queued' and decision.action != base.CONFLICT:
            missing = lookup.mover(self.cli_name).missing(lookup, entry)
            if missing:
                return base.Decision(base.BLOCKED, missing, existing)
            changes = dict(decision.changes or {})
            # update() gets the changes only: this one carries the entry.
            changes[DATA] = (None, entry)
            return base.Decision(
                base.UPDATE,
                ', '.join(sorted(changes)),
                existing,
                changes,
            )
        wanted = digest_mod.digest_of_entry(entry)
        have = digest_mod.digest_of(existing)
        if wanted.matches(have) is False:
            return base.Decision(
                base.CONFLICT,
                'checksum: the destination image %s holds other bytes '
                '(checksum %s, %s %s) than the source image %s (checksum '
                '%s, %s %s); rename or delete one of them'
                % (
                    existing.id,
                    have.md5,
                    have.algo,
                    have.value,
                    entry['_info'].get('id'),
                    wanted.md5,
                    wanted.algo,
                    wanted.value,
                ),
                existing,
            )
        return decision

    def diff(
        self, lookup: refs.Lookup, existing: ty.Any, entry: base.Entry
    ) -> dict[str, tuple[ty.Any, ty.Any]]:
        current = base.Resource.from_sdk(self, lookup, existing)['params']
        current['properties'] = _kept_properties(existing.properties)
        changes: dict[str, tuple[ty.Any, ty.Any]] = {}
        for key, value in entry['params'].items():
            if key in DATA_FIELDS or key == 'members' or key not in current:
                continue
            have = current[key]
            if key == 'properties':
                have = have or {}
                differ = {
                    k: v
                    for k, v in (value or {}).items()
                    if v is not None
                    and _glance_string(have.get(k)) != _glance_string(v)
                }
                if differ:
                    changes[key] = ({k: have.get(k) for k in differ}, differ)
                continue
            if key in self.sorted_fields:
                have, value = base.sort_list(have), base.sort_list(value)
            if not base.same(have, value):
                changes[key] = (have, value)
        missing = _image_members.missing_ids(
            lookup, self.kind, existing, entry
        )
        if missing:
            changes['members'] = (None, missing)
        return changes

    # -- import: doing it ---------------------------------------------------

    def sdk_attrs(self, lookup: refs.Lookup, params: dict) -> dict:
        rest = {
            k: v
            for k, v in params.items()
            if k not in DATA_FIELDS and k not in ('members', 'properties')
        }
        attrs = {
            k: v if k in _CORE else _glance_string(v)
            for k, v in super().sdk_attrs(lookup, rest).items()
        }
        for key, value in _kept_properties(params.get('properties')).items():
            if value is not None:
                attrs.setdefault(key, _glance_string(value))
        return attrs

    def create_sdk(self, lookup: refs.Lookup, attrs: dict) -> ty.Any:
        proxy = self.proxy(lookup)
        try:
            return sdk_image.Image.new(**attrs).create(proxy)
        except sdk_exceptions.ForbiddenException:
            if attrs.get('visibility') != 'public':
                raise
            # Only admins may publish images by default.
            obj = sdk_image.Image.new(
                **dict(attrs, visibility='private')
            ).create(proxy)
            lookup.note(
                self.kind,
                obj.id,
                'created private: the destination refused visibility '
                'public (admin only)',
            )
            return obj

    def after_create(
        self, lookup: refs.Lookup, obj: ty.Any, entry: base.Entry
    ) -> ty.Any:
        obj = self._put_data(lookup, obj, entry)
        _image_members.add_wanted(lookup, self.kind, obj, entry)
        return obj

    def update(
        self, lookup: refs.Lookup, existing: ty.Any, changes: dict
    ) -> ty.Any:
        changes = dict(changes)
        data = changes.pop(DATA, None)
        members = changes.pop('members', None)
        tags = changes.pop('tags', None)
        properties = changes.pop('properties', None)
        params = {k: new for k, (_, new) in changes.items() if new is not None}
        attrs = self.sdk_attrs(lookup, params)
        if properties is not None:
            # openstacksdk sends the properties it is given as the whole
            # set: the others would be removed.
            attrs.update(existing.properties or {})
            attrs.update(
                {k: _glance_string(v) for k, v in properties[1].items()}
            )
        proxy = self.proxy(lookup)
        obj = existing
        if attrs:
            obj = proxy.update_image(existing, **attrs)
        if tags is not None:
            have, want = set(tags[0] or []), set(tags[1] or [])
            for tag in sorted(want - have):
                proxy.add_tag(obj, tag)
            for tag in sorted(have - want):
                proxy.remove_tag(obj, tag)
            obj = proxy.get_image(obj.id)
        if data is not None:
            obj = self._put_data(lookup, obj, data[1])
        if members:
            _image_members.add_ids(lookup, self.kind, obj, members)
        return obj

    def _put_data(
        self, lookup: refs.Lookup, obj: ty.Any, entry: base.Entry
    ) -> ty.Any:
        """Put the bytes into an empty destination image (the run's image
        mover), checked against the source's."""
        return lookup.mover(self.cli_name).put(lookup, obj, entry)

    # -- outcomes -----------------------------------------------------------

    def remarks(
        self, lookup: refs.Lookup, obj: ty.Any, entry: base.Entry
    ) -> str:
        return '; '.join(lookup.notes(self.kind, obj.id))


RESOURCE = Image
