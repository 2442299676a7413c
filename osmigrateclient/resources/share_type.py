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

"""Manila share types (admin): description, public or private, extra specs
(``driver_handles_share_servers`` among them: Manila requires it), and for
a private type ``access_project_refs``, the projects (by name and domain)
that may use it.

Shares name their type by name (``share_type_ref``).  A type is found in
the destination by name (Manila's names are unique); visibility cannot
change (a conflict); the description, the extra specs and the access list
are made exactly the file's.  Manila keeps extra spec values as strings:
they are compared as such.  The access list of a private type is read with
one request per private type (Manila lists it per type only).
"""

import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient import datafile
from osmigrateclient.resources import _sdk_classes as sdk_classes
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

ACCESS = 'access_project_refs'
#: the extra spec that Manila requires of every type (and never deletes)
DHSS = 'driver_handles_share_servers'


def strings(specs: ty.Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (specs or {}).items()}


def request(proxy: ty.Any, method: str, url: str, **kwargs: ty.Any) -> ty.Any:
    """A Manila request of openstacksdk's proxy at
    :data:`~osmigrateclient.resources._sdk_classes.MANILA_VERSION`
    (for the calls that openstacksdk lacks); its JSON answer, if any.

    :raises openstack.exceptions.SDKException: Manila refused it
    """
    response = getattr(proxy, method)(
        url, microversion=sdk_classes.MANILA_VERSION, **kwargs
    )
    sdk_exceptions.raise_from_response(response)
    return response.json() if response.content else None


class ShareType(base.Resource):
    type = 'openstack.shared_file_system.ShareType'
    cli_name = 'share type'
    kind = 'share_type'
    file_name = 'share_types.yml'
    service = 'shared_file_system'
    catalog_service = 'shared-file-system'
    admin_only = True
    export_what = "the source cloud's {plural}"
    import_where = 'the destination cloud'
    scope = 'cloud'
    rank = 9
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

    def candidates(self, lookup: refs.Lookup, entry: base.Entry) -> list:
        # Share types have no owner.
        return list(lookup.all(self.kind))

    def _access_ids(self, lookup: refs.Lookup, obj: ty.Any) -> list[str]:
        if obj.is_public is not False:
            return []
        found = request(
            self.proxy(lookup), 'get', '/types/%s/share_type_access' % obj.id
        )
        return sorted(a['project_id'] for a in found['share_type_access'])

    def from_sdk(self, lookup: refs.Lookup, obj: ty.Any) -> base.Entry:
        entry = super().from_sdk(lookup, obj)
        params, info = entry['params'], entry['_info']
        params['extra_specs'] = strings(params['extra_specs'])
        ids = self._access_ids(lookup, obj)
        info['access_project_ids'] = ids
        params[ACCESS] = base.sort_list(
            [r for r in (lookup.ref('project', i) for i in ids) if r]
        )
        return entry

    def diff(
        self, lookup: refs.Lookup, existing: ty.Any, entry: base.Entry
    ) -> dict[str, tuple[ty.Any, ty.Any]]:
        changes = super().diff(lookup, existing, entry)
        specs = changes.get('extra_specs')
        if specs is not None and strings(specs[1]) == specs[0]:
            del changes['extra_specs']
        return changes

    def create(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        proxy = self.proxy(lookup)
        attrs = self.create_attrs(lookup, entry)
        access_ids = attrs.pop('access_project_ids', None) or []
        attrs['extra_specs'] = strings(attrs.get('extra_specs'))
        obj = proxy._create(sdk_classes.ShareType, **attrs)
        try:
            self._set_access(lookup, obj, [], access_ids)
        except Exception:
            proxy.delete_share_type(obj, ignore_missing=True)
            raise
        return obj

    def update(
        self, lookup: refs.Lookup, existing: ty.Any, changes: dict
    ) -> ty.Any:
        proxy = self.proxy(lookup)
        if 'description' in changes:
            existing = proxy._update(
                sdk_classes.ShareType,
                existing,
                description=changes['description'][1] or '',
            )
        if 'extra_specs' in changes:
            have = strings(changes['extra_specs'][0])
            want = strings(changes['extra_specs'][1])
            changed = {k: v for k, v in want.items() if have.get(k) != v}
            if changed:
                request(
                    proxy,
                    'post',
                    '/types/%s/extra_specs' % existing.id,
                    json={'extra_specs': changed},
                )
            for key in sorted(set(have) - set(want) - {DHSS}):
                request(
                    proxy,
                    'delete',
                    '/types/%s/extra_specs/%s' % (existing.id, key),
                )
        if ACCESS in changes:
            want_ids = self.sdk_attrs(lookup, {ACCESS: changes[ACCESS][1]})[
                'access_project_ids'
            ]
            # The current ids, not the references: a project that has no
            # reference (not visible) still counts.
            self._set_access(
                lookup, existing, self._access_ids(lookup, existing), want_ids
            )
        return proxy._get(sdk_classes.ShareType, existing.id)

    def _set_access(
        self,
        lookup: refs.Lookup,
        obj: ty.Any,
        have_ids: list[str],
        want_ids: list[str],
    ) -> None:
        proxy = self.proxy(lookup)
        for action, ids in (
            ('addProjectAccess', sorted(set(want_ids) - set(have_ids))),
            ('removeProjectAccess', sorted(set(have_ids) - set(want_ids))),
        ):
            for project_id in ids:
                request(
                    proxy,
                    'post',
                    '/types/%s/action' % obj.id,
                    json={action: {'project': project_id}},
                )


RESOURCE = ShareType
