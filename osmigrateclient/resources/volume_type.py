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

"""Cinder volume types (admin): description, public or private, extra
specs, ``qos_specs_ref`` (the QoS specs associated with the type, by name:
:mod:`osmigrateclient.resources.volume_qos`), and for a private type
``access_project_refs``, the projects (by name and domain) that may use it.

Volumes name their type by name (``volume_type``), and the workload
pre-flight reports a type the destination lacks.  A type is found in the
destination by name; visibility cannot change (a conflict); the extra
specs, the QoS association and the access list are made exactly the
file's.  Cinder associates QoS specs with a type by calls of its QoS specs
API (a type has at most one); the type's ``qos_specs_id`` comes with an
admin's list of types
(:class:`~osmigrateclient.resources._sdk_classes.VolumeType`).
"""

import typing as ty

from osmigrateclient import datafile
from osmigrateclient.resources import _sdk_classes as sdk_classes
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

ACCESS = 'access_project_refs'
QOS = 'qos_specs_ref'


class VolumeType(base.Resource):
    type = 'openstack.block_storage.VolumeType'
    cli_name = 'volume type'
    kind = 'volume_type'
    file_name = 'volume_types.yml'
    service = 'block_storage'
    admin_only = True
    export_what = "the source cloud's {plural}"
    import_where = 'the destination cloud'
    rank = 8
    depends_on = ('project', 'volume qos')
    tag_field = None

    params_fields = ('description', 'extra_specs', 'is_public', 'name')
    info_fields = ('id',)
    references = {
        ACCESS: base.RefField('project', 'access_project_ids', many=True),
        QOS: base.RefField('volume_qos', 'qos_specs_id'),
    }
    sorted_fields = ()
    param_shapes = {'extra_specs': datafile.MapOf(datafile.SCALAR)}
    create_only = ('is_public',)

    def list_source(self, lookup: refs.Lookup) -> list[ty.Any]:
        return list(lookup.all(self.kind))

    def _access_ids(self, lookup: refs.Lookup, obj: ty.Any) -> list[str]:
        if obj.is_public is not False:
            return []
        return sorted(
            a['project_id'] for a in self.proxy(lookup).get_type_access(obj)
        )

    def from_sdk(self, lookup: refs.Lookup, obj: ty.Any) -> base.Entry:
        entry = super().from_sdk(lookup, obj)
        params, info = entry['params'], entry['_info']
        params['extra_specs'] = params['extra_specs'] or {}
        ids = self._access_ids(lookup, obj)
        info['access_project_ids'] = ids
        params[ACCESS] = base.sort_list(
            [r for r in (lookup.ref('project', i) for i in ids) if r]
        )
        return entry

    def find_existing(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        # Type names are unique in a cloud, and types have no owner.
        name = self.name_of(entry)
        return next((t for t in lookup.all(self.kind) if t.name == name), None)

    def create_attrs(self, lookup: refs.Lookup, entry: base.Entry) -> dict:
        attrs = super().create_attrs(lookup, entry)
        attrs.pop('access_project_ids', None)
        attrs.pop('qos_specs_id', None)
        return attrs

    def create(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        proxy = self.proxy(lookup)
        # Extra specs go with the create call.
        obj = proxy.create_type(**self.create_attrs(lookup, entry))
        try:
            qos_id = self._associate(
                lookup, obj, None, entry['params'].get(QOS)
            )
            return self._reconcile(
                lookup,
                obj,
                None,
                ([], entry['params'].get(ACCESS) or []),
                qos_id,
            )
        except Exception:
            proxy.delete_type(obj, ignore_missing=True)
            raise

    def update(
        self, lookup: refs.Lookup, existing: ty.Any, changes: dict
    ) -> ty.Any:
        qos_id = getattr(existing, 'qos_specs_id', None)
        if 'description' in changes:
            existing = self.proxy(lookup).update_type(
                existing, description=changes['description'][1]
            )
        if QOS in changes:
            qos_id = self._associate(lookup, existing, qos_id, changes[QOS][1])
        return self._reconcile(
            lookup,
            existing,
            changes.get('extra_specs'),
            changes.get(ACCESS),
            qos_id,
        )

    def _reconcile(
        self,
        lookup: refs.Lookup,
        obj: ty.Any,
        specs: tuple[dict, dict] | None,
        access: tuple[list, list] | None,
        qos_id: str | None,
    ) -> ty.Any:
        """Make the extra specs and the access list of ``obj`` the wanted
        ones; ``specs`` and ``access`` are (current, wanted) or None for
        "as they are".  Return the type as it is now, with ``qos_id``, the
        id of its QoS specs (which a single type's answer lacks)."""
        proxy = self.proxy(lookup)
        if specs is not None:
            have = {str(k): str(v) for k, v in (specs[0] or {}).items()}
            want = {str(k): str(v) for k, v in (specs[1] or {}).items()}
            changed = {k: v for k, v in want.items() if have.get(k) != v}
            if changed:
                proxy.update_type_extra_specs(obj, **changed)
            gone = sorted(set(have) - set(want))
            if gone:
                proxy.delete_type_extra_specs(obj, gone)
        if access is not None:
            # The current ids, not the references: a project that has no
            # reference (not visible) still counts.
            have_ids = set(self._access_ids(lookup, obj) if access[0] else ())
            want_ids = set(
                self.sdk_attrs(lookup, {ACCESS: access[1] or []})[
                    'access_project_ids'
                ]
            )
            for project_id in sorted(want_ids - have_ids):
                proxy.add_type_access(obj, project_id)
            for project_id in sorted(have_ids - want_ids):
                proxy.remove_type_access(obj, project_id)
        attrs = proxy.get_type(obj.id).to_dict(computed=False)
        attrs['qos_specs_id'] = qos_id
        return sdk_classes.VolumeType.existing(**attrs)

    def _associate(
        self,
        lookup: refs.Lookup,
        obj: ty.Any,
        have_id: str | None,
        want: refs.Ref | None,
    ) -> str | None:
        """Associate the type ``obj`` with the QoS specs ``want`` (a
        reference, or None for none) instead of those of id ``have_id``;
        return the id of its QoS specs now."""
        proxy = self.proxy(lookup)
        want_id = (
            self.sdk_attrs(lookup, {QOS: want})['qos_specs_id']
            if want
            else None
        )
        if want_id == have_id:
            return have_id
        if have_id:
            # Cinder refuses a second association.
            proxy.disassociate_qos_spec(have_id, obj.id)
        if want_id:
            proxy.associate_qos_spec(want_id, obj.id)
        return want_id


RESOURCE = VolumeType
