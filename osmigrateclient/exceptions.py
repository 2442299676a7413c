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

"""Errors that name the file, resource and field they are about."""

from osc_lib import exceptions


class MigrateError(exceptions.CommandError):
    """A problem with a data file or a resource in it.

    ``str()`` gives ``<file>: <resource>: <field>: <problem>``, leaving out
    the parts that are not known, so that every message says where to look.
    """

    def __init__(
        self,
        problem: str,
        path: str | None = None,
        resource: str | None = None,
        field: str | None = None,
    ) -> None:
        self.problem = problem
        self.path = path
        self.resource = resource
        self.field = field
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = [p for p in (self.path, self.resource) if p]
        if self.field:
            where.append('field %s' % self.field)
        return ': '.join(where + [self.problem])

    def __str__(self) -> str:
        return self.message


class DataFileError(MigrateError):
    """A data file cannot be read, parsed or written."""


class UnresolvedReference(MigrateError):
    """A reference names a resource that the cloud does not hold."""


class Conflict(MigrateError):
    """The destination holds something that the import must not overwrite."""
