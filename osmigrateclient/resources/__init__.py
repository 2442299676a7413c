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

"""The migrated resource types: one module each, found by name.

``migrate export security group rule`` uses the class ``RESOURCE`` of the
module ``security_group_rule`` in this package; a new module is picked up
without being listed anywhere.
"""

import functools
import importlib
import pkgutil

from osmigrateclient.resources import base

_NOT_RESOURCES = ('base', 'refs')


def get(cli_name: str) -> base.Resource:
    """The resource type of a command-line name (``router interface``)."""
    return by_cli_name()[cli_name]


@functools.cache
def by_cli_name() -> dict[str, base.Resource]:
    found = {}
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith('_') or module.name in _NOT_RESOURCES:
            continue
        mod = importlib.import_module('%s.%s' % (__name__, module.name))
        resource = mod.RESOURCE()
        found[resource.cli_name] = resource
    return found


def by_type() -> dict[str, base.Resource]:
    """Resource types by the ``type`` string of data-file entries."""
    return {r.type: r for r in by_cli_name().values()}


def in_order(names: list[str] | None = None) -> list[base.Resource]:
    """Resource types in dependency order (what they reference first).

    :param names: ``cli_name`` of the types wanted; all when None
    """
    every = by_cli_name()
    wanted = set(names) if names is not None else set(every)
    ordered: list[base.Resource] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in visiting or every[name] in ordered:
            return
        visiting.add(name)
        for dep in every[name].depends_on:
            if dep in every:
                visit(dep)
        ordered.append(every[name])

    for name in sorted(every, key=lambda n: (every[n].rank, n)):
        visit(name)
    return [r for r in ordered if r.cli_name in wanted]
