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

"""Barbican containers: named groups of secrets (``generic``, ``rsa``,
``certificate``).

``params``: ``name``, ``type``, ``secret_refs`` (a list of ``{name,
secret_ref}``: the name the container gives the secret, and the secret by
reference: :mod:`osmigrateclient.resources.secret`) and the read ACL as
for secrets (``acl_project_access``, ``acl_user_refs``).  Containers are
imported after secrets.

A container is found in the destination by its name among the destination
project's containers.  Barbican's containers cannot change: a twin of
another type or with other secrets is a conflict, left alone; only its ACL
is updated.
"""

import typing as ty

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient.resources import _barbican as barbican
from osmigrateclient.resources import _barbican_api as barbican_api
from osmigrateclient.resources import _sdk_classes as sdk_classes
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

SECRET_REFS = 'secret_refs'  # noqa: S105 (a field name)


class SecretContainer(barbican.Barbican):
    type = 'openstack.key_manager.Container'
    cli_name = 'secret container'
    kind = 'secret_container'
    file_name = 'secret_containers.yml'
    collection = 'containers'
    rank = 72
    depends_on = ('secret', 'user')

    params_fields = ('name', 'type', SECRET_REFS, barbican.ACL_ACCESS)
    item_references = {SECRET_REFS: {'secret_ref': 'secret'}}
    param_shapes = {
        'type': datafile.STR,
        SECRET_REFS: [{'name': datafile.STR, 'secret_ref': datafile.REF}],
        barbican.ACL_ACCESS: (bool,),
    }
    required_params = ('type',)
    create_only = ('type', SECRET_REFS)

    def uuid(self, obj: ty.Any) -> str | None:
        return barbican_api.href_uuid(getattr(obj, 'container_ref', None))

    # -- export -------------------------------------------------------------

    def _secret_refs(
        self, lookup: refs.Lookup, obj: ty.Any
    ) -> list[dict[str, ty.Any]]:
        """The container's secrets by name, sorted by the container's
        names of them."""
        by_uuid = {
            barbican_api.href_uuid(s.secret_ref): s
            for s in lookup.all('secret')
        }
        found = []
        for item in obj.secret_refs or []:
            target = by_uuid.get(
                barbican_api.href_uuid(item.get('secret_ref'))
            )
            found.append(
                {
                    'name': item.get('name'),
                    'secret_ref': (
                        lookup.ref_to('secret', target) if target else None
                    ),
                }
            )
        return sorted(
            found,
            key=lambda r: (r['name'] or '', str(r['secret_ref'])),
        )

    def from_sdk(self, lookup: refs.Lookup, obj: ty.Any) -> base.Entry:
        entry = {
            'type': self.type,
            'params': {
                'name': obj.name,
                'type': obj.type,
                SECRET_REFS: self._secret_refs(lookup, obj),
            },
            '_info': base.plain(
                {
                    'id': self.uuid(obj),
                    'created_at': obj.created_at,
                    'updated_at': obj.updated_at,
                    'status': obj.status,
                    'secret_ids': sorted(
                        filter(
                            None,
                            (
                                barbican_api.href_uuid(r.get('secret_ref'))
                                for r in obj.secret_refs or []
                            ),
                        )
                    ),
                }
            ),
            '_migration_params': {},
        }
        self.add_acl(lookup, obj, entry)
        return entry

    # -- import -------------------------------------------------------------

    def sdk_attrs(self, lookup: refs.Lookup, params: dict) -> dict:
        params = dict(params)
        items = params.pop(SECRET_REFS, None)
        attrs = super().sdk_attrs(lookup, params)
        if items is None:
            return attrs
        resolved = []
        for i, item in enumerate(items):
            field = '%s[%d].secret_ref' % (SECRET_REFS, i)
            try:
                target = lookup.resolve(
                    'secret', (item or {}).get('secret_ref')
                )
            except exceptions.UnresolvedReference as e:
                e.field = field
                raise
            resolved.append(
                {'name': item.get('name'), 'secret_ref': target.secret_ref}
            )
        attrs[SECRET_REFS] = resolved
        return attrs

    def decide(self, lookup: refs.Lookup, entry: base.Entry) -> base.Decision:
        if not self.name_of(entry):
            return base.Decision(
                base.BLOCKED,
                'name: a container without a name cannot be found again in '
                'the destination: name it in the file',
            )
        return super().decide(lookup, entry)

    def diff(
        self, lookup: refs.Lookup, existing: ty.Any, entry: base.Entry
    ) -> dict[str, tuple[ty.Any, ty.Any]]:
        if self.uuid(existing) is None:
            return {}  # a dry run's placeholder
        params = entry['params']
        changes: dict[str, tuple[ty.Any, ty.Any]] = {}
        if 'type' in params and params['type'] != existing.type:
            changes['type'] = (existing.type, params['type'])
        if params.get(SECRET_REFS) is not None:
            wanted = self.sdk_attrs(lookup, {SECRET_REFS: params[SECRET_REFS]})
            want = sorted(
                (
                    r['name'] or '',
                    barbican_api.href_uuid(r['secret_ref']) or '',
                )
                for r in wanted[SECRET_REFS]
            )
            have = sorted(
                (
                    r.get('name') or '',
                    barbican_api.href_uuid(r.get('secret_ref')) or '',
                )
                for r in existing.secret_refs or []
            )
            if want != have:
                changes[SECRET_REFS] = (
                    self._secret_refs(lookup, existing),
                    params[SECRET_REFS],
                )
        changes.update(self.acl_changes(lookup, existing, params))
        return changes

    def create(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        params = entry['params']
        attrs = self.sdk_attrs(
            lookup, {SECRET_REFS: params.get(SECRET_REFS) or []}
        )
        acl = self.new_acl(lookup, params)
        proxy = self.proxy(lookup)
        made = proxy.create_container(
            name=params['name'],
            type=params['type'],
            secret_refs=attrs[SECRET_REFS],
        )
        obj = sdk_classes.SecretContainer.existing(
            container_ref=made.container_ref,
            name=params['name'],
            type=params['type'],
            secret_refs=attrs[SECRET_REFS],
            project_id=lookup.project_id,
        )
        try:
            self.set_acl(lookup, obj, acl)
        except Exception:
            # Leave nothing half-made: a re-run creates it whole.
            proxy.delete_container(self.uuid(obj), ignore_missing=True)
            raise
        return obj


RESOURCE = SecretContainer
