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

"""What every step of a server's import is: a do and its undo.

A step's journal record (``journal.step(name)``) is written by its ``do``
and read by its ``undo``, both in the step's own module, so that the
layout of a record is known in one place.
"""

import typing as ty

if ty.TYPE_CHECKING:
    from osmigrateclient.workload import migration


class Undo(ty.NamedTuple):
    """One thing a revert removes or gives back."""

    #: what it is, as the revert's errors name it ("server <id>")
    what: str
    action: ty.Callable[[], None]


class Step:
    """One journalled step of one server's import."""

    #: the journal's step name
    name = ''

    def __init__(self, server_import: 'migration.ServerImport') -> None:
        self.server_import = server_import
        self.ctx = server_import.ctx
        self.resolved = server_import.resolved
        self.journal = server_import.journal
        self.src = server_import.src
        self.dst = server_import.dst
        self.say = server_import.say

    @property
    def record(self) -> dict:
        """What the journal holds of this step (a copy)."""
        return self.journal.step(self.name)

    def note(self, **fields: ty.Any) -> None:
        """Add ``fields`` to this step's journal record."""
        self.journal.update_step(self.name, **fields)

    def do(self, *made: ty.Any) -> ty.Any:
        """Make what the step makes; its result, which the journal keeps.

        :param made: the results of earlier steps that this one needs
        """
        raise NotImplementedError

    def undo(self) -> list[Undo]:
        """How to remove what the journal says this step made (nothing)."""
        return []

    def clean_late(self) -> None:
        """Remove what creates of a failed run made after its revert (their
        answers came too late): nothing, unless the step says so."""

    def volumes_kept(self) -> list[str]:
        """The destination volumes of a finished import that are still
        there and hold data (none, unless the step copies one)."""
        return []

    def source_server(self) -> ty.Any:
        return self.src.compute.get_server(self.resolved.source_id)
