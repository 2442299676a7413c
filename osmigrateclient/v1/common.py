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

"""What every ``openstack migrate`` command shares: options and exit codes."""

import argparse
import os

import openstack
from osc_lib.command import command
from osc_lib import exceptions
from osc_lib import utils

from osmigrateclient import clouds
from osmigrateclient import movers
from osmigrateclient.resources import refs


def add_data_dir_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        '--data-dir',
        metavar='<directory>',
        default=utils.env('OS_MIGRATE_DATA_DIR') or None,
        help='Directory of the data files, one per source project '
        '(Env: OS_MIGRATE_DATA_DIR)',
    )


def data_dir(parsed_args: argparse.Namespace) -> str:
    if not parsed_args.data_dir:
        raise exceptions.CommandError(
            'a data directory is required: give --data-dir or set '
            'OS_MIGRATE_DATA_DIR'
        )
    return os.path.abspath(os.path.expanduser(parsed_args.data_dir))


class MigrateMixin:
    """Common behaviour of the migrate commands.

    The commands connect to the clouds they name themselves, so OSC must
    not require (or authenticate to) a default cloud first.
    """

    auth_required = False
    #: set by ``take_action`` when the command must exit non-zero although
    #: it produced its output (some resources failed)
    exit_code = 0

    def connect(
        self, side: str, parsed_args: argparse.Namespace
    ) -> openstack.connection.Connection:
        """The side's connection, re-scoped to ``--<side>-project``."""
        return clouds.connect(
            self.app,
            side,
            getattr(parsed_args, '%s_cloud' % side),
            getattr(parsed_args, '%s_project' % side, None),
        )

    def lookup(
        self,
        side: str,
        parsed_args: argparse.Namespace,
        conn: openstack.connection.Connection | None = None,
        data_dir: str | None = None,
    ) -> refs.Lookup:
        """Lookups in the side's cloud (or in ``conn``) for the data
        directory of the command (or ``data_dir``)."""
        data_dir = data_dir or getattr(parsed_args, 'data_dir', None)
        return refs.Lookup(
            conn or self.connect(side, parsed_args),
            data_dir=os.path.abspath(data_dir) if data_dir else None,
            options=parsed_args,
            connect=lambda other, cloud=None: (
                clouds.connect(self.app, other, cloud)
                if cloud
                else self.connect(other, parsed_args)
            ),
            movers=movers.for_run(),
        )

    def run(self, parsed_args: argparse.Namespace) -> int:
        result = super().run(parsed_args)
        return result or self.exit_code


class MigrateCommand(MigrateMixin, command.Command):
    pass


class MigrateLister(MigrateMixin, command.Lister):
    pass
