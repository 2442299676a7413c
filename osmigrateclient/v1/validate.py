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

"""``openstack migrate validate``."""

import logging

from osmigrateclient import clouds
from osmigrateclient import validation
from osmigrateclient.v1 import common

LOG = logging.getLogger(__name__)


class Validate(common.MigrateLister):
    """Check the data files of a data directory before importing them.

    Reports YAML errors (with file and line), unknown resource types,
    missing keys, unsupported versions, resources that would import as the
    same destination resource, and references that no resource answers:
    references to the source project's own resources must be in the data
    directory; with --dst-cloud (or --dst-project), the others (shared
    networks, QoS policies, ...) are looked up in the destination too.
    Prints one row per problem and exits non-zero if there is any.  Changes
    nothing.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        common.add_data_dir_argument(parser)
        clouds.add_cloud_argument(parser, clouds.DESTINATION)
        return parser

    def take_action(self, parsed_args):
        data_dir = common.data_dir(parsed_args)
        lookup = (
            self.lookup(clouds.DESTINATION, parsed_args)
            if parsed_args.dst_cloud or parsed_args.dst_project
            else None
        )
        problems, files, count = validation.validate(data_dir, lookup)
        if problems:
            self.exit_code = 1
            LOG.error('%d problem(s) in %s', len(problems), data_dir)
        else:
            out = (
                self.app.stdout
                if parsed_args.formatter == 'table'
                else self.app.stderr
            )
            out.write('%d files, %d resources, no problems\n' % (files, count))
        return ('File', 'Resource', 'Field', 'Problem'), problems
