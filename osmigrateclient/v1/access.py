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

"""``openstack migrate access grant|revoke|list``: the admin's temporary
access to the migrated projects (see :mod:`osmigrateclient.access`)."""

import logging
import os

from osc_lib import exceptions

from osmigrateclient import access
from osmigrateclient import access_projects
from osmigrateclient import clouds
from osmigrateclient import datadir
from osmigrateclient import datafile
from osmigrateclient.resources import refs
from osmigrateclient.v1 import common

LOG = logging.getLogger(__name__)

CHANGE_COLUMNS = ('Side', 'Action', 'What')
GRANT_COLUMNS = ('Side', 'Group', 'Project', 'Role', 'Added By Grant')


def _add_clouds(parser):
    clouds.add_cloud_argument(parser, clouds.SOURCE, project=False)
    clouds.add_cloud_argument(parser, clouds.DESTINATION, project=False)


def _journal(data_dir):
    return access.Journal(os.path.join(data_dir, datadir.ACCESS_JOURNAL))


def _rows(cmd, changes):
    for change in changes:
        if change.action == access.FAILED:
            LOG.error('%s: %s', change.side, change.what)
            cmd.exit_code = 1
    return [tuple(c) for c in changes]


class GrantAccess(common.MigrateLister):
    """Give the migrating user access to projects of both clouds.

    In each cloud, a group (--group-name) is created if missing, the user
    of the cloud's credentials is added to it, and the group gets the role
    (--role, default member) on each project, so that --src-project,
    --dst-project and --project can re-scope the user to it.  The data
    directory's access_journal.yml (mode 0600) records exactly what was
    added, for "migrate access revoke".  Also succeeds if the access is
    already in place; run it again to add projects.  With
    --create-projects, the destination projects that are missing are first
    created from the data directory's projects.yml (the chosen projects
    missing from it are exported there from the source first).  When both
    clouds use the same identity service, the work is done once.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        common.add_data_dir_argument(parser)
        _add_clouds(parser)
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument(
            '--project',
            metavar='<project>',
            dest='projects',
            action='append',
            default=[],
            help='Source project (name or ID) to give access to, and the '
            'destination project of the same name (repeat for several)',
        )
        which.add_argument(
            '--all-projects',
            action='store_true',
            help='Every project of the source cloud',
        )
        parser.add_argument(
            '--group-name',
            metavar='<name>',
            default=None,
            help='The group holding the access (default: the journal\'s, '
            'else %s)' % access.DEFAULT_GROUP,
        )
        parser.add_argument(
            '--role',
            metavar='<role>',
            default=access.DEFAULT_ROLE,
            help='The role given on the projects (default: %s)'
            % access.DEFAULT_ROLE,
        )
        parser.add_argument(
            '--create-projects',
            action='store_true',
            help='Create the destination projects that are missing, from '
            'the data directory\'s projects.yml',
        )
        return parser

    def _source_projects(self, src, parsed_args, changes):
        if parsed_args.all_projects:
            return clouds.all_projects(src)
        found = []
        for name in parsed_args.projects:
            try:
                found.append(clouds.find_project(src, clouds.SOURCE, name))
            except exceptions.CommandError as e:
                changes.append(access.Change('src', access.FAILED, str(e)))
        return found

    def take_action(self, parsed_args):
        data_dir = common.data_dir(parsed_args)
        datafile.ensure_dir(data_dir)
        journal = _journal(data_dir)
        group_name = (
            parsed_args.group_name
            or journal.group_name
            or access.DEFAULT_GROUP
        )
        if journal.group_name and journal.group_name != group_name:
            raise exceptions.CommandError(
                '%s: records the access of group %r: revoke it first, or '
                'give --group-name %s'
                % (journal.path, journal.group_name, journal.group_name)
            )
        journal.group_name = group_name
        src = self.connect(clouds.SOURCE, parsed_args)
        dst = self.connect(clouds.DESTINATION, parsed_args)
        changes = []
        projects = self._source_projects(src, parsed_args, changes)
        names = [p.name for p in projects]
        if parsed_args.create_projects:
            # A broken projects.yml stops the grant before any change.
            access_projects.checked_projects(data_dir)
        try:
            changes += access.grant(
                'src', src, projects, journal, group_name, parsed_args.role
            )
            if parsed_args.create_projects:
                entries, missing = access_projects.project_entries(
                    src, data_dir, names
                )
                changes += missing
                changes += access_projects.create_projects(
                    'dst',
                    refs.Lookup(dst, data_dir=data_dir),
                    entries,
                    journal,
                )
            changes += access.grant(
                'dst',
                dst,
                names,
                journal,
                group_name,
                parsed_args.role,
                earlier={'src': src},
            )
        finally:
            journal.save()
        return CHANGE_COLUMNS, _rows(self, changes)


class RevokeAccess(common.MigrateLister):
    """Remove the access that "migrate access grant" gave, and only that.

    Reads the data directory's access_journal.yml: removes the role
    assignments grant made, the user's membership in the group if grant
    added it, and the group if grant created it; access that existed
    before grant stays.  Projects that grant created stay too (they hold
    migrated resources).  The journal is removed once everything is
    undone.  Give the same clouds as to grant.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        common.add_data_dir_argument(parser)
        _add_clouds(parser)
        return parser

    def take_action(self, parsed_args):
        data_dir = common.data_dir(parsed_args)
        journal = _journal(data_dir)
        if not journal.sides:
            self.app.stderr.write(
                'Nothing to revoke: no %s in %s\n'
                % (datadir.ACCESS_JOURNAL, data_dir)
            )
            return CHANGE_COLUMNS, []
        changes = []
        try:
            for side in (clouds.SOURCE, clouds.DESTINATION):
                record = journal.sides.get(side)
                if not record:
                    continue
                conn = None
                if 'same_as' not in record:
                    conn = self.connect(side, parsed_args)
                changes += access.revoke(side, conn, journal)
        finally:
            journal.save()
        return CHANGE_COLUMNS, _rows(self, changes)


class ListAccess(common.MigrateLister):
    """Show the project role assignments of the access group, per side.

    "Added By Grant" says whether the data directory's journal records the
    assignment as made by "migrate access grant" (so that revoke removes
    it); without --data-dir it is always False.  A side that uses the same
    identity service as the source is shown once, as "src=dst".
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        common.add_data_dir_argument(parser)
        _add_clouds(parser)
        parser.add_argument(
            '--group-name',
            metavar='<name>',
            default=None,
            help='The group holding the access (default: the journal\'s, '
            'else %s)' % access.DEFAULT_GROUP,
        )
        return parser

    def take_action(self, parsed_args):
        journal = None
        if parsed_args.data_dir:
            journal = _journal(common.data_dir(parsed_args))
        group_name = (
            parsed_args.group_name
            or (journal.group_name if journal else None)
            or access.DEFAULT_GROUP
        )
        src = self.connect(clouds.SOURCE, parsed_args)
        dst = self.connect(clouds.DESTINATION, parsed_args)
        if access.identity_of(src) == access.identity_of(dst):
            found = [
                g._replace(side='src=dst')
                for g in access.grants('src', src, group_name, journal)
            ]
        else:
            found = access.grants('src', src, group_name, journal)
            found += access.grants('dst', dst, group_name, journal)
        return GRANT_COLUMNS, [tuple(g) for g in found]
