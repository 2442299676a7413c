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

"""``--name`` / ``--name-regex`` filters shared by every command."""

import argparse
import re
import typing as ty

from osc_lib import exceptions


def add_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        '--name',
        metavar='<name>',
        action='append',
        default=[],
        dest='names',
        help='Only %s with this exact name (repeat for more)' % what,
    )
    parser.add_argument(
        '--name-regex',
        metavar='<regex>',
        action='append',
        default=[],
        dest='name_regexes',
        help='Only %s whose name contains a match of this Python regular '
        'expression (re.search; repeat for more)' % what,
    )


class NameFilter:
    """Matches a name against ``--name`` and ``--name-regex``; with neither
    given, every name matches."""

    def __init__(
        self, names: ty.Iterable[str] = (), regexes: ty.Iterable[str] = ()
    ) -> None:
        self.names = frozenset(names)
        self.regexes = []
        for regex in regexes:
            try:
                self.regexes.append(re.compile(regex))
            except re.error as e:
                raise exceptions.CommandError(
                    '--name-regex %r: invalid regular expression: %s'
                    % (regex, e)
                )

    @classmethod
    def from_args(cls, parsed_args: argparse.Namespace) -> 'NameFilter':
        return cls(parsed_args.names, parsed_args.name_regexes)

    def __bool__(self) -> bool:
        return bool(self.names or self.regexes)

    def __call__(self, name: str | None) -> bool:
        if not self:
            return True
        name = name or ''
        return name in self.names or any(r.search(name) for r in self.regexes)
