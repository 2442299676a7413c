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

"""``openstack migrate export|import <resource>``, ``... all`` and ``plan``.

One command class per verb serves every resource type: the type comes from
the command's own name (``migrate export security group`` works on
``resources.get('security group')``), so a new resource type needs only its
module and an entry point per verb.
"""

import logging

from osc_lib import exceptions

from osmigrateclient import clouds
from osmigrateclient import filters
from osmigrateclient import plan
from osmigrateclient import resources
from osmigrateclient.v1 import common

LOG = logging.getLogger(__name__)

OUTCOME_COLUMNS = ('Type', 'Name', 'Action', 'Detail')
SUMMARY_COLUMNS = ('Type', 'Created', 'Updated', 'Unchanged', 'Failed')
EXPORT_COLUMNS = ('Type', 'File', 'Exported', 'New')


class _OneResource(common.MigrateLister):
    """Base of the commands whose last word names the resource type."""

    #: the words before the resource type in the command name
    verb = ''

    def __init__(self, app, app_args, cmd_name=None):
        super().__init__(app, app_args, cmd_name)
        self.resource = None
        if cmd_name:
            self._set_resource(cmd_name)

    def _set_resource(self, name):
        words = name.split()
        # 'openstack migrate export security group' -> 'security group'
        while words and words[0] in ('openstack', 'migrate', self.verb):
            words.pop(0)
        self.resource = resources.get(' '.join(words))

    def get_parser(self, prog_name):
        if self.resource is None:
            # Documentation tools build the parser without a cmd_name.
            self._set_resource(prog_name)
        return super().get_parser(prog_name)

    def get_description(self):
        doc = self.__doc__ or ''
        if self.resource is None:
            return doc
        plural = self.resource.cli_name + 's'
        return doc.format(
            plural=plural,
            file=self.resource.file_name,
            type=self.resource.type,
        )


def _outcome_rows(outcomes):
    return [(o.type, o.name, o.action, o.detail) for o in outcomes]


def _report_failures(cmd, outcomes):
    failed = [o for o in outcomes if not plan.succeeded(o)]
    files = {r.type: r.file_name for r in resources.by_cli_name().values()}
    for o in failed:
        # <file>: <type> '<name>': <action>: <field>: <problem>
        LOG.error(
            '%s: %s %r: %s: %s',
            files.get(o.type, '?'),
            o.type,
            o.name,
            o.action,
            o.detail,
        )
    if failed:
        cmd.exit_code = 1
    return failed


def _pre_workload_types():
    return [r for r in resources.in_order() if r.pre_workload]


def _add_export_arguments(parser, types):
    common.add_data_dir_argument(parser)
    clouds.add_cloud_argument(parser, clouds.SOURCE)
    filters.add_arguments(parser, 'resources')
    for resource in types:
        resource.add_arguments(parser, 'export')


def _add_import_arguments(parser, types):
    common.add_data_dir_argument(parser)
    clouds.add_cloud_argument(parser, clouds.DESTINATION)
    filters.add_arguments(parser, 'resources')
    parser.add_argument(
        '--dry-run',
        action='store_true',
        help='Only show what would be done (like "migrate plan")',
    )
    for resource in types:
        resource.add_arguments(parser, 'import')


def _export(cmd, parsed_args, types):
    data_dir = common.data_dir(parsed_args)
    match = filters.NameFilter.from_args(parsed_args)
    lookup = cmd.lookup(clouds.SOURCE, parsed_args)
    types = [t for t in types if t.reachable(lookup)]
    rows = plan.export(types, lookup, data_dir, match)
    return EXPORT_COLUMNS, [
        (r.resource, r.file, r.exported, r.added) for r in rows
    ]


def _import(cmd, parsed_args, types, required):
    data_dir = common.data_dir(parsed_args)
    match = filters.NameFilter.from_args(parsed_args)
    lookup = cmd.lookup(clouds.DESTINATION, parsed_args)
    types = [t for t in types if t.reachable(lookup)]
    outcomes = plan.import_(
        types,
        lookup,
        data_dir,
        match,
        dry_run=parsed_args.dry_run,
        required=required,
    )
    _report_failures(cmd, outcomes)
    return types, outcomes


class ExportResource(_OneResource):
    """Export the source project's {plural} into {file}.

    Re-exporting replaces the resources already in the file (same type and
    source id) and appends new ones; the rest of the file is kept, so
    hand edits of other resources survive.  The file is written atomically
    with mode 0600.
    """

    verb = 'export'

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_export_arguments(parser, [self.resource])
        return parser

    def take_action(self, parsed_args):
        return _export(self, parsed_args, [self.resource])


class ImportResource(_OneResource):
    """Import the {plural} of {file} into the destination project.

    Each resource is created, updated (only the fields that differ) or left
    unchanged, so the command can be run again after a failure.  A
    resource whose references do not resolve in the destination is
    reported as blocked and not created; the others go on, and the command
    exits non-zero.
    """

    verb = 'import'

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_import_arguments(parser, [self.resource])
        return parser

    def take_action(self, parsed_args):
        _, outcomes = _import(self, parsed_args, [self.resource], True)
        return OUTCOME_COLUMNS, _outcome_rows(outcomes)


class ExportAll(common.MigrateLister):
    """Export every pre-workload resource type, in dependency order.

    Types that need a role the caller lacks (admin) are left out.  The
    --name / --name-regex filters apply to every type.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_export_arguments(parser, _pre_workload_types())
        return parser

    def take_action(self, parsed_args):
        return _export(self, parsed_args, _pre_workload_types())


class ImportAll(common.MigrateLister):
    """Import every pre-workload data file, in dependency order.

    Data files that do not exist are skipped, and so are types that need a
    role the caller lacks (admin).  Prints one summary row per type;
    failures are listed on stderr as they happen, and the command exits
    non-zero if there was any.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_import_arguments(parser, _pre_workload_types())
        return parser

    def take_action(self, parsed_args):
        types, outcomes = _import(
            self, parsed_args, _pre_workload_types(), False
        )
        if parsed_args.dry_run:
            return OUTCOME_COLUMNS, _outcome_rows(outcomes)
        return SUMMARY_COLUMNS, plan.summarize(types, outcomes)


class Plan(common.MigrateLister):
    """Show what an import would do, without changing anything.

    For each resource of the data files: create, update (with the fields
    that differ), unchanged, blocked (with the reference that does not
    resolve in the destination) or conflict.  Give resource types (quote
    the ones of several words: "security group") to plan only those.
    Exits non-zero if any resource is blocked or in conflict.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'types',
            metavar='<resource>',
            nargs='*',
            help='Resource types to plan (default: every data file)',
        )
        common.add_data_dir_argument(parser)
        clouds.add_cloud_argument(parser, clouds.DESTINATION)
        filters.add_arguments(parser, 'resources')
        return parser

    def take_action(self, parsed_args):
        data_dir = common.data_dir(parsed_args)
        match = filters.NameFilter.from_args(parsed_args)
        known = resources.by_cli_name()
        names = [
            t.replace('_', ' ').replace('-', ' ') for t in parsed_args.types
        ]
        unknown = [n for n in names if n not in known]
        if unknown:
            raise exceptions.CommandError(
                'unknown resource type(s): %s (known: %s)'
                % (', '.join(unknown), ', '.join(sorted(known)))
            )
        lookup = self.lookup(clouds.DESTINATION, parsed_args)
        types = resources.in_order(names) if names else _pre_workload_types()
        outcomes = plan.import_(
            types,
            lookup,
            data_dir,
            match,
            dry_run=True,
            required=bool(names),
        )
        _report_failures(self, outcomes)
        return OUTCOME_COLUMNS, _outcome_rows(outcomes)
