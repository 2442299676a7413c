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

"""The layers import one way: resources/ below transfer/ and workload/."""

import ast
import os

from oslotest import base

import osmigrateclient

PACKAGE = os.path.dirname(osmigrateclient.__file__)
#: what the resource layer must not import: the byte movers reach it
#: through refs.Lookup(movers=...) (osmigrateclient/movers.py)
ABOVE_RESOURCES = ('osmigrateclient.transfer', 'osmigrateclient.workload')


def imported(tree: ast.AST, package: str) -> set[str]:
    """The absolute module names that a parsed Python file of ``package``
    imports, wherever in the file."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ''
            if node.level:  # relative: from ..transfer import ssh
                parts = package.split('.')
                parts = parts[: len(parts) - node.level + 1]
                module = '.'.join(parts + ([module] if module else []))
            names.add(module)
            # "from osmigrateclient import workload" imports a package
            names.update(
                '%s.%s' % (module, alias.name) for alias in node.names
            )
    return names


def parse(path: str) -> ast.AST:
    with open(path, encoding='utf-8') as f:
        return ast.parse(f.read(), path)


def is_under(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + '.') for p in packages)


class TestResourceLayer(base.BaseTestCase):
    def test_imports_neither_transfer_nor_workload(self):
        directory = os.path.join(PACKAGE, 'resources')
        found = {}
        for name in sorted(os.listdir(directory)):
            if not name.endswith('.py'):
                continue
            above = {
                m
                for m in imported(
                    parse(os.path.join(directory, name)),
                    'osmigrateclient.resources',
                )
                if is_under(m, ABOVE_RESOURCES)
            }
            if above:
                found[name] = sorted(above)
        self.assertEqual({}, found)

    def test_the_check_sees_every_form(self):
        self.assertEqual(
            {
                'osmigrateclient.transfer',
                'osmigrateclient.transfer.ssh',
                'osmigrateclient.workload.volumes',
                'osmigrateclient.transfer.image_mover',
                'os',
            },
            imported(
                ast.parse(
                    'import os\n'
                    'from osmigrateclient.transfer import ssh\n'
                    'def f():\n'
                    '    import osmigrateclient.workload.volumes\n'
                    'from ..transfer import image_mover\n'
                ),
                'osmigrateclient.resources',
            ),
        )
