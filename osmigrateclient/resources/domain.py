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

"""Keystone domains (admin).

A domain is found in the destination by its name; its ``name``,
``description`` and ``is_enabled`` are migrated.  Projects, users and
groups name their domain in ``domain_ref`` (``{name: <domain>}``), so the
domain they need is created first by ``import all``.

The ``Default`` domain, which ``keystone-manage bootstrap`` makes in every
Keystone, is not exported: the destination keeps its own, and references
to it need no entry in the data directory.  The domain's
identity backend configuration (domain-specific drivers) is not an API
resource and is not migrated.
"""

import typing as ty

from osmigrateclient.resources import base
from osmigrateclient.resources import refs


#: the name of the domain that every Keystone has
DEFAULT = 'Default'


def is_built_in(name: str | None) -> bool:
    """Whether a domain of this name is one that every Keystone has."""
    return name == DEFAULT


class Domain(base.Resource):
    type = 'openstack.identity.Domain'
    cli_name = 'domain'
    kind = 'domain'
    file_name = 'domains.yml'
    service = 'identity'
    admin_only = True
    export_what = "the source cloud's {plural}"
    import_where = 'the destination cloud'
    rank = 0
    tag_field = None
    scope = 'cloud'

    params_fields = ('description', 'is_enabled', 'name')
    info_fields = ('id',)
    sorted_fields = ()

    def list_source(self, lookup: refs.Lookup) -> list[ty.Any]:
        return [d for d in lookup.all(self.kind) if not is_built_in(d.name)]

    def candidates(
        self, lookup: refs.Lookup, entry: base.Entry
    ) -> list[ty.Any]:
        return lookup.all(self.kind)


RESOURCE = Domain
