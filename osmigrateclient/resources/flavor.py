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

"""Nova flavors (admin): every field, extra specs and private access.

``params`` hold what Nova lets a flavor have: ``ram``, ``vcpus``,
``disk``, ``ephemeral``, ``swap``, ``rxtx_factor``, ``is_public``,
``description``, ``extra_specs``, and for a private flavor
``access_project_refs``, the projects (by name and domain) that may use it.

A flavor is found in the destination by name.  Nova cannot change a
flavor's sizes or visibility: a file that differs from the destination's
flavor there is a conflict, reported and left alone.  The description is
updated, and the extra specs and the access list are made exactly the
file's (missing ones set, changed ones changed, extra ones removed).

The flavor id: a new flavor gets the source flavor's id (``_info.id``)
when no destination flavor has it, so that what names flavors by id
(scripts, templates, the servers migrated later) finds the same id on
both sides; otherwise Nova chooses one, and the outcome says so.  The
pioneering tool never keeps the id.
"""

import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient import datafile
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

ACCESS = 'access_project_refs'


class Flavor(base.Resource):
    type = 'openstack.compute.Flavor'
    cli_name = 'flavor'
    kind = 'flavor'
    file_name = 'flavors.yml'
    service = 'compute'
    admin_only = True
    export_what = "the source cloud's {plural}"
    import_where = 'the destination cloud'
    rank = 6
    depends_on = ('project',)
    tag_field = None

    params_fields = (
        'description',
        'disk',
        'ephemeral',
        'extra_specs',
        'is_public',
        'name',
        'ram',
        'rxtx_factor',
        'swap',
        'vcpus',
    )
    info_fields = ('id', 'is_disabled')
    references = {
        ACCESS: base.RefField('project', 'access_project_ids', many=True),
    }
    sorted_fields = ()
    param_shapes = {'extra_specs': datafile.MapOf(datafile.SCALAR)}
    create_only = (
        'disk',
        'ephemeral',
        'is_public',
        'ram',
        'rxtx_factor',
        'swap',
        'vcpus',
    )

    # -- export -------------------------------------------------------------

    def list_source(self, lookup: refs.Lookup) -> list[ty.Any]:
        return list(lookup.all(self.kind))

    def _access_ids(self, lookup: refs.Lookup, obj: ty.Any) -> list[str]:
        if obj.is_public is not False or getattr(obj, 'id', None) is None:
            return []
        return sorted(
            a['tenant_id'] for a in self.proxy(lookup).get_flavor_access(obj)
        )

    def from_sdk(self, lookup: refs.Lookup, obj: ty.Any) -> base.Entry:
        entry = super().from_sdk(lookup, obj)
        params, info = entry['params'], entry['_info']
        # Nova before 2.75 says '' for no swap.
        params['swap'] = params['swap'] or 0
        params['extra_specs'] = params['extra_specs'] or {}
        ids = self._access_ids(lookup, obj)
        info['access_project_ids'] = ids
        params[ACCESS] = base.sort_list(
            [r for r in (lookup.ref('project', i) for i in ids) if r]
        )
        return entry

    # -- import -------------------------------------------------------------

    def find_existing(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        # Flavor names are unique in a cloud, and flavors have no owner.
        name = self.name_of(entry)
        return next((f for f in lookup.all(self.kind) if f.name == name), None)

    def create_attrs(self, lookup: refs.Lookup, entry: base.Entry) -> dict:
        attrs = super().create_attrs(lookup, entry)
        attrs.pop('extra_specs', None)
        attrs.pop('access_project_ids', None)
        return attrs

    def create(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        proxy = self.proxy(lookup)
        attrs = self.create_attrs(lookup, entry)
        source_id = entry['_info'].get('id')
        obj = None
        if source_id and lookup.get(self.kind, str(source_id)) is None:
            try:
                obj = proxy.create_flavor(id=str(source_id), **attrs)
            except sdk_exceptions.ConflictException:
                obj = None  # taken since the list was made
        if obj is None:
            obj = proxy.create_flavor(**attrs)
            if source_id:
                # the outcome says so (remarks)
                lookup.note(self.cli_name, obj.id, str(source_id))
        params = entry['params']
        try:
            return self._reconcile(
                lookup,
                obj,
                ({}, params.get('extra_specs') or {}),
                ([], params.get(ACCESS) or []),
            )
        except Exception:
            proxy.delete_flavor(obj, ignore_missing=True)
            raise

    def update(
        self, lookup: refs.Lookup, existing: ty.Any, changes: dict
    ) -> ty.Any:
        if 'description' in changes:
            existing = self.proxy(lookup).update_flavor(
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
                proxy.create_flavor_extra_specs(obj, changed)
            for key in sorted(set(have) - set(want)):
                proxy.delete_flavor_extra_specs_property(obj, key)
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
                proxy.flavor_add_tenant_access(obj, project_id)
            for project_id in sorted(have_ids - want_ids):
                proxy.flavor_remove_tenant_access(obj, project_id)
        if specs is None and access is None:
            return obj
        return proxy.get_flavor(obj.id)

    def remarks(
        self, lookup: refs.Lookup, obj: ty.Any, entry: base.Entry
    ) -> str:
        taken = lookup.notes(self.cli_name, obj.id)
        if not taken:
            return ''
        source_id = taken[0]
        return 'new id %s (the source id %s is taken in the destination)' % (
            obj.id,
            source_id,
        )


RESOURCE = Flavor
