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

"""Keystone projects (admin).

A project is found in the destination by its name within the domain of
``domain_ref``; its parent is ``parent_ref``, a project of the same domain,
or None for a project directly under its domain.  The domain and the
parent of an existing project cannot change (Keystone refuses it): a file
that says otherwise is a conflict.  The domain of ``domain_ref`` must
exist in the destination: ``import all`` imports ``domains.yml`` first.

Projects that act as domains (``is_domain``) are not exported.  Export
writes parents before their children, so that an import in file order
creates them in an order Keystone accepts.
"""

import typing as ty

from osmigrateclient.resources import _keystone as keystone
from osmigrateclient.resources import base
from osmigrateclient.resources import refs


class Project(keystone.DomainOwned):
    type = 'openstack.identity.Project'
    cli_name = 'project'
    kind = 'project'
    file_name = 'projects.yml'
    service = 'identity'
    admin_only = True
    export_what = "the source cloud's {plural}"
    import_where = 'the destination cloud'
    rank = 1
    depends_on = ('domain',)
    tag_field = None

    params_fields = ('description', 'is_domain', 'is_enabled', 'name', 'tags')
    info_fields = ('domain_id', 'id', 'parent_id')
    references = {
        'domain_ref': base.RefField('domain', 'domain_id'),
        'parent_ref': base.RefField('project', 'parent_id'),
    }
    create_only = ('domain_ref', 'is_domain', 'parent_ref')

    # -- export -------------------------------------------------------------

    def list_source(self, lookup: refs.Lookup) -> list[ty.Any]:
        return [p for p in lookup.all(self.kind) if not p.is_domain]

    def export(
        self, lookup: refs.Lookup, match: ty.Callable[[str], bool]
    ) -> list[base.Entry]:
        entries = super().export(lookup, match)

        def depth(entry: base.Entry) -> int:
            n, parent = 0, entry['_info'].get('parent_id')
            while parent and n < 100:
                obj = lookup.get(self.kind, parent)
                if obj is None:
                    break
                n, parent = n + 1, obj.parent_id
            return n

        return sorted(entries, key=lambda e: (depth(e), self.name_of(e)))

    # -- import -------------------------------------------------------------

    def _normalized(self, lookup: refs.Lookup, params: dict) -> dict:
        """``params`` with a domain named as parent (the pioneering
        tool's way of saying "top-level project") turned into None."""
        parent = params.get('parent_ref')
        domain = params.get('domain_ref')
        if (
            isinstance(parent, dict)
            and isinstance(domain, dict)
            and parent.get('name') == domain.get('name')
            and not any(
                p.name == parent.get('name') for p in lookup.all(self.kind)
            )
        ):
            return dict(params, parent_ref=None)
        return params

    def sdk_attrs(self, lookup: refs.Lookup, params: dict) -> dict:
        return super().sdk_attrs(lookup, self._normalized(lookup, params))

    def create_attrs(self, lookup: refs.Lookup, entry: base.Entry) -> dict:
        attrs = super().create_attrs(lookup, entry)
        return {k: v for k, v in attrs.items() if v is not None}

    def diff(
        self, lookup: refs.Lookup, existing: ty.Any, entry: base.Entry
    ) -> dict[str, tuple[ty.Any, ty.Any]]:
        params = self._normalized(lookup, entry['params'])
        return super().diff(lookup, existing, dict(entry, params=params))


RESOURCE = Project
