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
specs, and for a private type ``access_project_refs``, the projects (by
name and domain) that may use it.

Volumes name their type by name (``volume_type``), and the workload
pre-flight reports a type the destination lacks.  A type is found in the
destination by name; visibility cannot change (a conflict); the extra
specs and the access list are made exactly the file's.  QoS specs are not
carried yet.
"""

import typing as ty

from osmigrateclient import datafile
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

ACCESS = 'access_project_refs'


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
    depends_on = ('project',)
    tag_field = None

    params_fields = ('description', 'extra_specs', 'is_public', 'name')
    info_fields = ('id',)
    references = {
        ACCESS: base.RefField('project', 'access_project_ids', many=True),
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
        return attrs

    def create(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        proxy = self.proxy(lookup)
        # Extra specs go with the create call.
        obj = proxy.create_type(**self.create_attrs(lookup, entry))
        try:
            return self._reconcile(
                lookup, obj, None, ([], entry['params'].get(ACCESS) or [])
            )
        except Exception:
            proxy.delete_type(obj, ignore_missing=True)
            raise

    def update(
        self, lookup: refs.Lookup, existing: ty.Any, changes: dict
    ) -> ty.Any:
        if 'description' in changes:
            existing = self.proxy(lookup).update_type(
                existing, description=changes['description'][1]
            )
        return self._reconcile(
            lookup, existing, changes.get('extra_specs'), changes.get(ACCESS)
        )

    def _reconcile(
        self,
        lookup: refs.Lookup,
        obj: ty.Any,
        specs: tuple[dict, dict] | None,
        access: tuple[list, list] | None,
    ) -> ty.Any:
        """Make the extra specs and the access list of ``obj`` the wanted
        ones; ``specs`` and ``access`` are (current, wanted) or None for
        "as they are"."""
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
        if specs is None and access is None:
            return obj
        return proxy.get_type(obj.id)


RESOURCE = VolumeType
