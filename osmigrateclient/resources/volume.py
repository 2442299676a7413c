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

"""Detached Cinder volumes, with their bytes.

The entries are the pioneering tool's (``openstack.network.ServerVolume``
in ``detached_volumes.yml``): ``params`` ``availability_zone``, ``name``,
``description``, ``volume_type``, ``volume_image_metadata``, and beyond it
``metadata`` (the volume's properties); ``_info`` ``id``, ``size``,
``is_bootable``, ``attachments``.  Unlike the pioneering tool, the
destination volume gets the exported volume type.

Export takes the volumes of the source project that are not attached.

Import is idempotent through a journal in the data directory: a volume
whose copy finished is left alone (or its name, description and properties
updated), one whose copy did not finish is copied again, never duplicated.
The copy itself, by ``--transfer-method``, is the run's volume mover
(:mod:`osmigrateclient.workload.volumes`).
"""

import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient import clouds
from osmigrateclient import datafile
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

IMAGE_METHOD, HOST_METHOD = 'image', 'conversion-host'
#: seconds an upload, a volume create or an image may take
TIMEOUT = 1800
#: ``--per-host`` when not given (the copier's own default: a unit test
#: holds them equal; resources/ imports no transfer/)
PER_HOST = 2


class Volume(base.Resource):
    type = 'openstack.network.ServerVolume'
    cli_name = 'volume'
    plural_name = 'detached volumes'
    export_what = "the source project's detached volumes, with their bytes,"
    import_where = 'the destination project'
    kind = 'volume'
    file_name = 'detached_volumes.yml'
    service = 'block_storage'
    pre_workload = False
    rank = 200

    params_fields = (
        'availability_zone',
        'name',
        'description',
        'volume_type',
        'volume_image_metadata',
        'metadata',
    )
    info_fields = ('attachments', 'id', 'is_bootable', 'size', 'status')
    tag_field = None
    sorted_fields = ()
    param_shapes = {
        'metadata': datafile.MapOf(datafile.SCALAR),
        'volume_image_metadata': {},
    }
    info_shapes = {'size': datafile.NUMBER, 'is_bootable': datafile.SCALAR}
    #: the log is volume_logs/<id>.log
    path_ids = ('id',)
    create_only = ('availability_zone', 'volume_type')

    def add_arguments(self, parser: ty.Any, verb: str) -> None:
        if verb != 'import':
            return
        parser.add_argument(
            '--transfer-method',
            metavar='<method>',
            choices=(IMAGE_METHOD, HOST_METHOD),
            default=HOST_METHOD,
            help='Volumes: how the bytes travel: "conversion-host" (SSH '
            'between conversion hosts, the default) or "image" (API only: '
            'through a temporary image in each Glance; slower)',
        )
        parser.add_argument(
            '--volume-timeout',
            metavar='<seconds>',
            type=base.positive_int,
            default=TIMEOUT,
            help='Volumes: seconds each OpenStack step of a volume may take '
            '(an upload, a volume create, attach, detach or delete) '
            '(default: %d)' % TIMEOUT,
        )
        parser.add_argument(
            '--copy-timeout',
            metavar='<seconds>',
            type=base.positive_int,
            default=None,
            help='Volumes, conversion-host method: seconds the byte copy of '
            'one volume may take; the volume fails after that (default: no '
            'limit)',
        )
        parser.add_argument(
            '--no-verify',
            dest='volume_verify',
            action='store_false',
            default=True,
            help='Volumes, conversion-host method: do not hash the source '
            'and destination devices after the copy (faster; the journal '
            'then records no hash)',
        )
        parser.add_argument(
            '--per-host',
            metavar='<count>',
            type=base.positive_int,
            help='Volumes, conversion-host method: copies at once on each '
            'pair of conversion hosts; more wait for a place (default: %d)'
            % PER_HOST,
        )
        parser.add_argument(
            '--parallel',
            metavar='<count>',
            dest='volume_parallel',
            type=base.positive_int,
            default=1,
            help='Volumes: copy this many volumes at once, each its own '
            'stream (default: 1)',
        )
        clouds.add_cloud_argument(parser, clouds.SOURCE)

    # -- export -------------------------------------------------------------

    def list_source(self, lookup: refs.Lookup) -> list[ty.Any]:
        return [
            v
            for v in lookup.conn.block_storage.volumes(details=True)
            if not v.attachments and v.status != 'in-use'
        ]

    def from_sdk(self, lookup: refs.Lookup, obj: ty.Any) -> base.Entry:
        entry = super().from_sdk(lookup, obj)
        entry['params']['metadata'] = base.plain(obj.metadata or {})
        entry['params']['volume_image_metadata'] = base.plain(
            obj.volume_image_metadata or {}
        )
        return entry

    # -- import: what to do -------------------------------------------------

    def find_existing(self, lookup: refs.Lookup, entry: base.Entry):
        """The destination volume the journal records as fully copied."""
        dest_id = lookup.mover(self.cli_name).copied(
            lookup, entry['_info']['id']
        )
        if not dest_id:
            return None
        try:
            return lookup.conn.block_storage.get_volume(dest_id)
        except sdk_exceptions.NotFoundException:
            return None

    def diff(self, lookup, existing, entry):
        wanted = {
            k: entry['params'].get(k)
            for k in ('name', 'description', 'metadata', 'volume_type')
            if k in entry['params']
        }
        changes = {}
        for key, value in wanted.items():
            have = getattr(existing, key, None)
            if key == 'metadata':
                have = base.plain(have or {})
            if key == 'volume_type' and value is None:
                continue
            if not base.same(have, value):
                changes[key] = (have, value)
        return changes

    def decide(self, lookup: refs.Lookup, entry: base.Entry) -> base.Decision:
        decision = super().decide(lookup, entry)
        method = lookup.option('transfer_method', HOST_METHOD)
        mover = lookup.mover(self.cli_name)
        if decision.action == base.CREATE and method != IMAGE_METHOD:
            missing = mover.missing_hosts(lookup)
            if missing:
                return base.Decision(
                    base.BLOCKED,
                    'transfer: no %s conversion host: run "openstack migrate '
                    'conversion host deploy" first, or use '
                    '--transfer-method image' % ' or '.join(missing),
                )
        if decision.action == base.CREATE:
            if mover.tried(lookup, entry['_info']['id']):
                return base.Decision(
                    base.CREATE, 'redo: the last copy did not finish'
                )
        return decision

    def sdk_attrs(self, lookup: refs.Lookup, params: dict) -> dict:
        return {
            k: v
            for k, v in params.items()
            if k not in ('volume_image_metadata',) and v is not None
        }

    def update(self, lookup, existing, changes):
        attrs = {k: new for k, (_, new) in changes.items()}
        metadata = attrs.pop('metadata', None)
        proxy = self.proxy(lookup)
        if attrs:
            proxy.update_volume(existing, **attrs)
        if metadata is not None:
            proxy.set_volume_metadata(existing, **metadata)
        return proxy.get_volume(existing.id)

    # -- import: doing it ---------------------------------------------------

    def import_workers(self, lookup: refs.Lookup) -> int:
        """``--parallel``: volumes are copied in threads.

        Called once before the copies start: warns if a side
        authenticates with a bare token, which a long copy may outlive.
        """
        lookup.mover(self.cli_name).warn_tokens(lookup)
        return lookup.option('volume_parallel', 1)

    def create(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        """Copy the source volume into a new destination volume (the run's
        volume mover)."""
        return lookup.mover(self.cli_name).create(lookup, entry)


RESOURCE = Volume
