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

"""OpenStackClient plugin module for the ``openstack migrate`` commands."""

import logging

from osc_lib import utils

LOG = logging.getLogger(__name__)

API_NAME = 'migrate'
API_VERSION_OPTION = 'os_migrate_api_version'
DEFAULT_API_VERSION = '1'
API_VERSIONS = {'1': 'osmigrateclient.plugin.Client'}


class Client:
    """The migrate "client": the commands open their own connections.

    Migration talks to two clouds at once, so the per-side openstacksdk
    connections are made by :mod:`osmigrateclient.clouds`, not here.
    """

    def __init__(self, api_version: str = DEFAULT_API_VERSION) -> None:
        self.api_version = api_version


def make_client(instance):
    """Return the migrate client for OSC's client manager."""
    version = instance._api_version[API_NAME]
    LOG.debug('Instantiating migrate client, API version %s', version)
    return Client(api_version=version)


def build_option_parser(parser):
    """Add the global ``--os-migrate-api-version`` option."""
    parser.add_argument(
        '--os-migrate-api-version',
        metavar='<migrate-api-version>',
        default=utils.env(
            'OS_MIGRATE_API_VERSION', default=DEFAULT_API_VERSION
        ),
        help='Migrate API version, default=%s (Env: OS_MIGRATE_API_VERSION)'
        % DEFAULT_API_VERSION,
    )
    return parser
