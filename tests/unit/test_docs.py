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

"""The command reference leaves no command out."""

import fnmatch
from importlib import metadata
import os
import re

from oslotest import base

REPO = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
CLI_DOCS = os.path.join(REPO, 'doc', 'source', 'cli')


def documented_patterns() -> list[str]:
    """The ``:command:`` patterns of every autoprogram-cliff directive."""
    patterns = []
    for name in sorted(os.listdir(CLI_DOCS)):
        if name.endswith('.rst'):
            with open(os.path.join(CLI_DOCS, name), encoding='utf-8') as f:
                patterns += re.findall(r':command:\s*(.+)', f.read())
    return [p.strip() for p in patterns]


class TestCommandReference(base.BaseTestCase):
    def test_every_command_has_a_reference_entry(self):
        patterns = documented_patterns()
        commands = sorted(
            ep.name.replace('_', ' ')
            for ep in metadata.entry_points(group='openstack.migrate.v1')
        )
        self.assertGreater(len(commands), 40)
        missing = [
            c
            for c in commands
            if not any(fnmatch.fnmatch(c, p) for p in patterns)
        ]
        self.assertEqual([], missing)
        # and no entry documents a command that is gone
        stale = [
            p
            for p in patterns
            if not any(fnmatch.fnmatch(c, p) for c in commands)
        ]
        self.assertEqual([], stale)
