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

"""What Keystone's projects, users and groups share: they belong to a
domain, not a project, and their twin is found within it."""

import typing as ty

from osmigrateclient.resources import base
from osmigrateclient.resources import refs


class DomainOwned(base.Resource):
    """A Keystone resource that belongs to a domain, not a project: its
    twin is looked for by name within the domain of its ``domain_ref``."""

    scope = 'domain'

    def import_identity(self, entry: base.Entry) -> str:
        domain = entry['params'].get('domain_ref') or {}
        return '%s:%s:%s' % (
            self.type,
            self.name_of(entry),
            domain.get('name'),
        )

    def candidates(
        self, lookup: refs.Lookup, entry: base.Entry
    ) -> list[ty.Any]:
        domain_id = self.sdk_attrs(lookup, entry['params']).get('domain_id')
        return [
            o
            for o in lookup.all(self.kind)
            if domain_id is None or o.domain_id == domain_id
        ]
