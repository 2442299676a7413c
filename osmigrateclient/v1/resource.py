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

:class:`ExportResource` and :class:`ImportResource` do the work for every
resource type; each type has its own one-line subclass per verb, in the
module of its service (``v1/network.py``: ``ExportNetwork``), which names
the type, so that the entry point, the class and the help agree.
"""

import inspect
import logging
import os
import typing as ty

from osc_lib import exceptions
from osc_lib import utils

from osmigrateclient import alltypes
from osmigrateclient import clouds
from osmigrateclient import datafile
from osmigrateclient import exceptions as migrate_exceptions
from osmigrateclient import filters
from osmigrateclient import os_migrate
from osmigrateclient import quota_check
from osmigrateclient import resources
from osmigrateclient.resources import base as resources_base
from osmigrateclient import validation
from osmigrateclient.v1 import common

LOG = logging.getLogger(__name__)

OUTCOME_COLUMNS = ('Type', 'Name', 'Action', 'Detail')
SUMMARY_COLUMNS = ('Type', 'Created', 'Updated', 'Unchanged', 'Failed')
EXPORT_COLUMNS = ('Type', 'File', 'Exported', 'New')
PROJECT = ('Project',)


class _OneResource(common.MigrateLister):
    """Base of the commands of one resource type, which a subclass names.

    The help comes from the type's declarations (its plural, what export
    takes and where import puts it), filled into the class docstring.
    """

    #: ``cli_name`` of the resource type the command works on
    resource_name: ty.ClassVar[str]

    @property
    def resource(self) -> resources_base.Resource:
        return resources.get(self.resource_name)

    def get_description(self):
        plural = self.resource.plural
        # getdoc: the docstring of the base class, its indentation removed
        return inspect.getdoc(type(self)).format(
            plural=plural,
            what=self.resource.export_what.format(plural=plural),
            where=self.resource.import_where,
            file=self.resource.file_name,
            type=self.resource.type,
        )


def _outcome_rows(outcomes):
    return [(o.type, o.name, o.action, o.detail) for o in outcomes]


def _report_failures(cmd, outcomes, project=None):
    failed = [o for o in outcomes if not alltypes.succeeded(o)]
    files = {r.type: r.file_name for r in resources.by_cli_name().values()}
    for o in failed:
        # <file>: <type> '<name>': <action>: <field>: <problem>
        where = files.get(o.type, o.type)
        LOG.error(
            '%s: %s %r: %s: %s',
            os.path.join(project, where) if project else where,
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
    parser.add_argument(
        '--os-migrate-version',
        metavar='<version>',
        default=utils.env('OS_MIGRATE_OS_MIGRATE_VERSION') or None,
        help='Write files that this version of the Ansible-based os-migrate '
        'tool imports (%s): its version string, without the resources it '
        'has no type for or would widen, with a warning per resource of '
        'the data it would drop (Env: OS_MIGRATE_OS_MIGRATE_VERSION)'
        % ', '.join(os_migrate.CHECKED),
    )
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
    pooled = [t.plural for t in types if t.parallel_import]
    moving = [t.plural for t in types if t.parallel_transfers]
    # A type with no pool may have a --parallel of its own (volumes).
    if pooled or moving:
        what = []
        if pooled:
            what.append(
                'create or update up to this many %s at once, those that '
                'depend on none of the others together' % ', '.join(pooled)
            )
        if moving:
            what.append(
                'move the bytes of this many objects of %s at once'
                % ', '.join(moving)
            )
        parser.add_argument(
            '--parallel',
            metavar='<count>',
            type=resources_base.positive_int,
            default=alltypes.DEFAULT_PARALLEL,
            help='%s (default: %d; 1: one by one)'
            % ('; '.join(what).capitalize(), alltypes.DEFAULT_PARALLEL),
        )


def _add_projects_arguments(parser, side):
    """``--project`` / ``--all-projects``: the multi-project layout."""
    what = 'source' if side == clouds.SOURCE else 'destination'
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        '--project',
        metavar='<project>',
        dest='projects',
        action='append',
        default=[],
        help='Work on this project (repeat for several), with the data '
        'of each in <data-dir>/<project name>/: the user of the %s cloud '
        '(an admin) is re-scoped to each project in turn, so it needs a '
        'role on them (see "openstack migrate access grant")' % what,
    )
    which.add_argument(
        '--all-projects',
        action='store_true',
        help=(
            'Like --project, for every project of the source cloud'
            if side == clouds.SOURCE
            else 'Like --project, for every project sub-directory of the '
            'data directory'
        ),
    )


def _multi_project(parsed_args):
    return bool(
        getattr(parsed_args, 'projects', None)
        or getattr(parsed_args, 'all_projects', False)
    )


def _project_dir(data_dir, name):
    if not name or name in ('.', '..') or os.sep in name:
        raise exceptions.CommandError(
            'project %r: its name cannot be a directory of %s'
            % (name, data_dir)
        )
    return os.path.join(data_dir, name)


def _chosen_projects(parsed_args, side, conn, data_dir):
    """The SDK projects of --project / --all-projects in the side's cloud."""
    if parsed_args.all_projects and side == clouds.SOURCE:
        return clouds.all_projects(conn)
    if parsed_args.all_projects:
        names = sorted(
            name
            for name in os.listdir(data_dir)
            if os.path.isdir(os.path.join(data_dir, name))
            and validation.data_files(os.path.join(data_dir, name))
        )
        if not names:
            raise exceptions.CommandError(
                '--all-projects: no project sub-directory with data files '
                'in %s' % data_dir
            )
    else:
        names = parsed_args.projects
    return [clouds.find_project(conn, side, name) for name in names]


def _per_project(cmd, parsed_args, side):
    """``[(project name, lookup)]``: the side's user re-scoped to each
    chosen project, with the project's sub-directory as data directory.

    Every project is found and entered before any work starts.
    """
    data_dir = common.data_dir(parsed_args)
    if getattr(parsed_args, '%s_project' % side, None):
        raise exceptions.CommandError(
            '--%s-project cannot go with --project or --all-projects' % side
        )
    base = clouds.connect(
        cmd.app, side, getattr(parsed_args, '%s_cloud' % side)
    )
    scoped, errors = [], []
    for project in _chosen_projects(parsed_args, side, base, data_dir):
        try:
            conn = clouds.scope(base, side, project)
        except exceptions.CommandError as e:
            errors.append(str(e))
            continue
        sub = _project_dir(data_dir, project.name)
        scoped.append(
            (project.name, cmd.lookup(side, parsed_args, conn, data_dir=sub))
        )
    if errors:
        raise exceptions.CommandError('; '.join(errors))
    return scoped


def _export_rows(types, lookup, match, version=None):
    types = [t for t in types if t.reachable(lookup)]
    rows = alltypes.export(types, lookup, lookup.data_dir, match, version)
    return [(r.resource, r.file, r.exported, r.added) for r in rows]


def _for_os_migrate(types, version):
    """The types an export for os-migrate ``version`` writes."""
    os_migrate.check_version(version)
    unknown = [t for t in types if not os_migrate.knows(t.type)]
    if unknown and len(types) == 1:
        raise exceptions.CommandError(
            'os-migrate %s has no type %s: export %s without '
            '--os-migrate-version'
            % (version, types[0].type, types[0].cli_name)
        )
    for t in unknown:
        LOG.warning(
            '%s not exported: os-migrate %s has no type %s',
            t.file_name,
            version,
            t.type,
        )
    return [t for t in types if t not in unknown]


def _export(cmd, parsed_args, types):
    match = filters.NameFilter.from_args(parsed_args)
    version = parsed_args.os_migrate_version
    if version:
        types = _for_os_migrate(types, version)
    if not _multi_project(parsed_args):
        data_dir = common.data_dir(parsed_args)
        lookup = cmd.lookup(clouds.SOURCE, parsed_args, data_dir=data_dir)
        return EXPORT_COLUMNS, _export_rows(types, lookup, match, version)
    rows = []
    for name, lookup in _per_project(cmd, parsed_args, clouds.SOURCE):
        try:
            rows += [
                (name,) + r
                for r in _export_rows(types, lookup, match, version)
            ]
        except migrate_exceptions.MigrateError as e:
            LOG.error('%s: %s', lookup.data_dir, e)
            cmd.exit_code = 1
    return PROJECT + EXPORT_COLUMNS, rows


def _import_into(cmd, parsed_args, types, required, lookup, project=None):
    """Import (or plan) into one lookup's project: (types, outcomes).

    A dry run also checks the destination's quotas.
    """
    match = filters.NameFilter.from_args(parsed_args)
    types = [t for t in types if t.reachable(lookup)]
    dry_run = getattr(parsed_args, 'dry_run', True)
    outcomes = alltypes.import_(
        types,
        lookup,
        lookup.data_dir,
        match,
        dry_run=dry_run,
        required=required,
        parallel=getattr(parsed_args, 'parallel', 1),
    )
    if not dry_run and os.path.isdir(lookup.data_dir):
        # It holds what may be secret (once its files are known to be
        # good: a refused file changes nothing).
        datafile.make_private(lookup.data_dir)
    if dry_run:
        outcomes = quota_check.quota_shortfalls(lookup, outcomes) + outcomes
    _report_failures(cmd, outcomes, project)
    return types, outcomes


def _import(cmd, parsed_args, types, required):
    data_dir = common.data_dir(parsed_args)
    lookup = cmd.lookup(clouds.DESTINATION, parsed_args, data_dir=data_dir)
    return _import_into(cmd, parsed_args, types, required, lookup)


def _import_projects(cmd, parsed_args, types, required):
    """``[(project name, types, outcomes)]`` of --project / --all-projects."""
    done = []
    for name, lookup in _per_project(cmd, parsed_args, clouds.DESTINATION):
        try:
            done.append(
                (name,)
                + _import_into(cmd, parsed_args, types, required, lookup, name)
            )
        except migrate_exceptions.MigrateError as e:
            LOG.error('%s: %s', lookup.data_dir, e)
            cmd.exit_code = 1
    return done


class ExportResource(_OneResource):
    """Export {what} into {file}.

    Re-exporting replaces the resources already in the file (same type and
    source id) and appends new ones; the rest of the file is kept, so
    hand edits of other resources survive.  The file is written atomically
    with mode 0600.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_export_arguments(parser, [self.resource])
        return parser

    def take_action(self, parsed_args):
        return _export(self, parsed_args, [self.resource])


class ImportResource(_OneResource):
    """Import the {plural} of {file} into {where}.

    Each resource is created, updated (only the fields that differ) or left
    unchanged, so the command can be run again after a failure.  A
    resource whose references do not resolve in the destination is
    reported as blocked and not created; the others go on, and the command
    exits non-zero.
    """

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
        _add_projects_arguments(parser, clouds.SOURCE)
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
        _add_projects_arguments(parser, clouds.DESTINATION)
        return parser

    def take_action(self, parsed_args):
        if _multi_project(parsed_args):
            done = _import_projects(
                self, parsed_args, _pre_workload_types(), False
            )
            if parsed_args.dry_run:
                return PROJECT + OUTCOME_COLUMNS, [
                    (name,) + row
                    for name, _, outcomes in done
                    for row in _outcome_rows(outcomes)
                ]
            return PROJECT + SUMMARY_COLUMNS, [
                (name,) + tuple(row)
                for name, types, outcomes in done
                for row in alltypes.summarize(types, outcomes)
            ]
        types, outcomes = _import(
            self, parsed_args, _pre_workload_types(), False
        )
        if parsed_args.dry_run:
            return OUTCOME_COLUMNS, _outcome_rows(outcomes)
        return SUMMARY_COLUMNS, alltypes.summarize(types, outcomes)


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
        _add_projects_arguments(parser, clouds.DESTINATION)
        return parser

    def take_action(self, parsed_args):
        data_dir = common.data_dir(parsed_args)
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
        types = resources.in_order(names) if names else _pre_workload_types()
        if _multi_project(parsed_args):
            done = _import_projects(self, parsed_args, types, bool(names))
            return PROJECT + OUTCOME_COLUMNS, [
                (name,) + row
                for name, _, outcomes in done
                for row in _outcome_rows(outcomes)
            ]
        lookup = self.lookup(
            clouds.DESTINATION, parsed_args, data_dir=data_dir
        )
        _, outcomes = _import_into(
            self, parsed_args, types, bool(names), lookup
        )
        return OUTCOME_COLUMNS, _outcome_rows(outcomes)
