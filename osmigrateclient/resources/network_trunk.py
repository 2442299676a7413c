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

"""Neutron trunks whose parent port no server owns, with their subports.

A trunk on a server's port (``device_owner`` ``compute:*``) travels with
the server (``migrate workload``).  This type takes the project's other
trunks: their parent port (``port_ref``) and subports are ports that the
``port`` type migrates (``device_owner`` empty or ``trunk:subport``).

Each entry holds ``name``, ``description``, ``is_admin_state_up``,
``tags``, the parent port by reference and ``sub_ports``: a list of
``{port_ref, segmentation_type, segmentation_id}``.  A trunk without a
name goes by its parent port's name for ``--name`` / ``--name-regex``.
A port is referenced by its name: a trunk whose parent or subport has no
name is exported with that reference null (the ids stay in ``_info``), a
warning says so, and import reports it as blocked until the file names
the port.

Import finds the destination twin by name; an unnamed trunk, as the trunk
of its parent port (a port is the parent of one trunk at most).  A new
trunk is made with its subports in one request.  An existing twin gets
the file's description, admin state and tags, and its subports are made
those of the file: the ones no longer in the file are removed, the missing
ones added (a subport whose segmentation changed is removed and added
again).  Neutron changes no subport of a disabled trunk: such a trunk is
enabled for the change and disabled again.  The parent port cannot change:
a file that names another one is a conflict.
"""

import logging
import typing as ty

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient.resources import base
from osmigrateclient.resources import port as port_type
from osmigrateclient.resources import refs

LOG = logging.getLogger(__name__)

#: ``device_owner`` prefix of the ports whose trunks travel with a server
SERVER_PORTS = 'compute:'

SUB_PORT_SHAPE = {
    'port_ref': datafile.REF,
    'segmentation_type': datafile.STR,
    'segmentation_id': (int,),
}

UNNAMED = (
    'a port without a name cannot be referenced: name the port in the '
    'source and export the ports and trunks again'
)

SubPortKey = tuple[ty.Any, ty.Any, ty.Any]


def sub_port_key(sub_port: dict) -> SubPortKey:
    """What makes two subports the same: port id and segmentation."""
    return (
        sub_port.get('port_id'),
        sub_port.get('segmentation_type'),
        sub_port.get('segmentation_id'),
    )


def sub_port_changes(
    have: list[dict], want: list[dict]
) -> tuple[list[dict], list[dict]]:
    """(to remove, to add) that turn the subports ``have`` into ``want``
    (both with port ids); a port whose segmentation changes is in both.
    The removals are by port id, as Neutron takes them."""
    wanted = {sub_port_key(s) for s in want}
    kept = {sub_port_key(s) for s in have}
    gone = [
        {'port_id': s['port_id']}
        for s in have
        if sub_port_key(s) not in wanted
    ]
    new = [dict(s) for s in want if sub_port_key(s) not in kept]
    return gone, new


def port_ref(lookup: refs.Lookup, port_id: ty.Any) -> refs.Ref | None:
    """The reference to a port by name; None for one without a name
    (or not visible), which cannot be referenced."""
    ref = lookup.ref('port', port_id)
    return ref if ref and ref.get('name') else None


def sub_port_refs(lookup: refs.Lookup, sub_ports: ty.Any) -> list[dict]:
    """The file's ``sub_ports`` of Neutron's (port ids): by port
    reference, in the order of their segmentation."""
    return [
        {
            'port_ref': port_ref(lookup, s.get('port_id')),
            'segmentation_type': s.get('segmentation_type'),
            'segmentation_id': s.get('segmentation_id'),
        }
        for s in sorted(sub_ports or [], key=_by_segmentation)
    ]


def resolve_sub_ports(lookup: refs.Lookup, sub_ports: ty.Any) -> list[dict]:
    """Neutron's ``sub_ports`` (port ids) of the file's (of
    :data:`SUB_PORT_SHAPE`).

    :raises osmigrateclient.exceptions.UnresolvedReference: its field says
        which subport (``sub_ports[1].port_ref``)
    """
    resolved = []
    for i, item in enumerate(sub_ports or []):
        field = 'sub_ports[%d]' % i
        if not isinstance(item, dict):
            raise exceptions.UnresolvedReference(
                'not a subport (a mapping): %r' % (item,), field=field
            )
        if item.get('port_ref') is None:
            raise exceptions.UnresolvedReference(
                UNNAMED, field=field + '.port_ref'
            )
        for key in ('segmentation_type', 'segmentation_id'):
            if item.get(key) is None:
                raise exceptions.UnresolvedReference(
                    'missing: a subport needs segmentation_type and '
                    'segmentation_id',
                    field='%s.%s' % (field, key),
                )
        try:
            port = lookup.resolve('port', item['port_ref'])
        except exceptions.UnresolvedReference as e:
            e.field = field + '.port_ref'
            raise
        resolved.append(
            {
                'port_id': port.id,
                'segmentation_type': item['segmentation_type'],
                'segmentation_id': item['segmentation_id'],
            }
        )
    return resolved


class NetworkTrunk(base.Resource):
    type = 'openstack.network.Trunk'
    cli_name = 'network trunk'
    kind = 'trunk'
    extension = 'trunk'
    file_name = 'network_trunks.yml'
    # after the ports they are made of
    rank = 36
    depends_on = ('port',)
    export_what = (
        "the source project's trunks whose parent port no server owns"
    )

    params_fields = ('description', 'is_admin_state_up', 'name', 'tags')
    info_fields = (
        'created_at',
        'id',
        'project_id',
        'revision_number',
        'status',
        'sub_ports',
        'updated_at',
    )
    references = {'port_ref': base.RefField('port', 'port_id')}
    item_references = {'sub_ports': {'port_ref': 'port'}}
    param_shapes = {'sub_ports': [SUB_PORT_SHAPE]}
    create_only = ('port_ref',)
    none_is_unknown = ('is_admin_state_up',)

    # -- names ----------------------------------------------------------------

    def _parent_name(self, entry: base.Entry) -> ty.Any:
        ref = entry['params'].get('port_ref')
        return ref.get('name') if isinstance(ref, dict) else None

    def name_of(self, entry: base.Entry) -> str:
        # An unnamed trunk goes by its parent port's name (--name).
        return entry['params'].get('name') or self._parent_name(entry) or ''

    def source_name(self, lookup: refs.Lookup, obj: ty.Any) -> str:
        port = lookup.get('port', obj.port_id)
        return obj.name or (port.name if port is not None else '') or ''

    def label_of(self, entry: base.Entry) -> str:
        if entry['params'].get('name'):
            return entry['params']['name']
        return '(trunk of port %s)' % self._parent_name(entry)

    def import_identity(self, entry: base.Entry) -> str:
        if entry['params'].get('name'):
            return super().import_identity(entry)
        return '%s:(port %s)' % (self.type, self._parent_name(entry))

    # -- export ---------------------------------------------------------------

    def list_source(self, lookup: refs.Lookup) -> list[ty.Any]:
        return [
            trunk
            for trunk in lookup.owned(self.kind)
            if not port_type.device_owner(lookup, trunk.port_id).startswith(
                SERVER_PORTS
            )
        ]

    def from_sdk(self, lookup: refs.Lookup, obj: ty.Any) -> base.Entry:
        entry = super().from_sdk(lookup, obj)
        params = entry['params']
        params['port_ref'] = port_ref(lookup, obj.port_id)
        params['sub_ports'] = sub_port_refs(lookup, obj.sub_ports)
        entry['_info']['sub_ports'] = base.sort_list(
            entry['_info']['sub_ports']
        )
        return entry

    def export(
        self, lookup: refs.Lookup, match: ty.Callable[[str], bool]
    ) -> list[base.Entry]:
        entries = super().export(lookup, match)
        for entry in entries:
            info = entry['_info']
            unnamed = [
                port_id
                for port_id in [info['port_id']]
                + [s.get('port_id') for s in info['sub_ports'] or []]
                if port_ref(lookup, port_id) is None
            ]
            if unnamed:
                LOG.warning(
                    'trunk %s: port %s has no name and cannot be '
                    'referenced: its reference is null and the trunk will '
                    'not import until the file names the port',
                    self.label_of(entry),
                    ', '.join(unnamed),
                )
        return entries

    # -- import ---------------------------------------------------------------

    def sdk_attrs(self, lookup: refs.Lookup, params: dict) -> dict:
        params = dict(params)
        if 'port_ref' in params and params['port_ref'] is None:
            raise exceptions.UnresolvedReference(UNNAMED, field='port_ref')
        if 'sub_ports' not in params:
            return super().sdk_attrs(lookup, params)
        sub_ports = params.pop('sub_ports')
        attrs = super().sdk_attrs(lookup, params)
        attrs['sub_ports'] = resolve_sub_ports(lookup, sub_ports)
        return attrs

    def decide(self, lookup: refs.Lookup, entry: base.Entry) -> base.Decision:
        if entry['params'].get('port_ref') is None:
            # (also when the file lacks it: a trunk needs its parent)
            return base.Decision(base.BLOCKED, 'port_ref: ' + UNNAMED)
        return super().decide(lookup, entry)

    def find_existing(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        if entry['params'].get('name'):
            return super().find_existing(lookup, entry)
        port_id = self.sdk_attrs(
            lookup, {'port_ref': entry['params'].get('port_ref')}
        )['port_id']
        for trunk in lookup.owned(self.kind):
            if trunk.port_id == port_id:
                return trunk
        return None

    def diff(
        self, lookup: refs.Lookup, existing: ty.Any, entry: base.Entry
    ) -> dict[str, tuple[ty.Any, ty.Any]]:
        params = entry['params']
        # The ports are compared by what the references name in the
        # destination, however the file writes them.
        others = {
            k: v
            for k, v in params.items()
            if k not in ('port_ref', 'sub_ports')
        }
        changes = super().diff(lookup, existing, dict(entry, params=others))
        attrs = self.sdk_attrs(lookup, params)
        current = self.from_sdk(lookup, existing)['params']
        if 'port_ref' in params and attrs['port_id'] != existing.port_id:
            changes['port_ref'] = (current['port_ref'], params['port_ref'])
        if 'sub_ports' in params:
            have = {sub_port_key(s) for s in existing.sub_ports or []}
            want = {sub_port_key(s) for s in attrs['sub_ports']}
            if have != want:
                changes['sub_ports'] = (
                    current['sub_ports'],
                    params['sub_ports'],
                )
        return changes

    def create_attrs(self, lookup: refs.Lookup, entry: base.Entry) -> dict:
        attrs = super().create_attrs(lookup, entry)
        if not attrs.get('sub_ports'):
            attrs.pop('sub_ports', None)
        return attrs

    def after_create(
        self, lookup: refs.Lookup, obj: ty.Any, entry: base.Entry
    ) -> ty.Any:
        try:
            return super().after_create(lookup, obj, entry)
        except Exception:
            if obj.is_admin_state_up is False:
                # Neutron deletes no disabled trunk: let the caller's
                # delete of the half-made one work.
                self.proxy(lookup).update_trunk(obj, is_admin_state_up=True)
            raise

    def update(
        self, lookup: refs.Lookup, existing: ty.Any, changes: dict
    ) -> ty.Any:
        changes = dict(changes)
        sub_ports = changes.pop('sub_ports', None)
        if sub_ports is None:
            return super().update(lookup, existing, changes)
        network = self.proxy(lookup)
        wanted = self.sdk_attrs(lookup, {'sub_ports': sub_ports[1]})
        gone, new = sub_port_changes(
            existing.sub_ports or [], wanted['sub_ports']
        )
        obj = existing
        disabled = existing.is_admin_state_up is False
        if disabled:
            # Neutron changes no subport of a disabled trunk.
            obj = network.update_trunk(obj, is_admin_state_up=True)
            if 'is_admin_state_up' in changes:
                # (enabled, as the file wants)
                del changes['is_admin_state_up']
            else:
                changes['is_admin_state_up'] = (True, False)
        try:
            if gone:
                obj = network.delete_trunk_subports(obj, gone)
            if new:
                obj = network.add_trunk_subports(obj, new)
        except Exception:
            if disabled:
                network.update_trunk(obj, is_admin_state_up=False)
            raise
        return super().update(lookup, obj, changes)


def _by_segmentation(sub_port: dict) -> tuple[str, int]:
    return (
        str(sub_port.get('segmentation_type')),
        sub_port.get('segmentation_id') or 0,
    )


RESOURCE = NetworkTrunk
