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

"""The source and destination clouds of a migration.

``--src-cloud`` and ``--dst-cloud`` name entries of clouds.yaml.  They are
resolved through the config loader OSC already holds, but without OSC's
global options (``--os-region-name`` and friends), which describe OSC's own
cloud, not the named one.  A side that is not named is OSC's own cloud.
"""

import argparse
import logging

from keystoneauth1 import exceptions as ksa_exceptions
import openstack
from openstack.config import exceptions as config_exceptions
from osc_lib import exceptions
from osc_lib import utils

LOG = logging.getLogger(__name__)

SOURCE = 'src'
DESTINATION = 'dst'

_SIDES = {
    SOURCE: ('source', 'OS_MIGRATE_SRC_CLOUD'),
    DESTINATION: ('destination', 'OS_MIGRATE_DST_CLOUD'),
}


def add_cloud_argument(parser: argparse.ArgumentParser, side: str) -> None:
    """Add ``--src-cloud`` or ``--dst-cloud`` to a command's parser."""
    what, env = _SIDES[side]
    parser.add_argument(
        '--%s-cloud' % side,
        metavar='<cloud>',
        dest='%s_cloud' % side,
        default=utils.env(env) or None,
        help='Name of the %s cloud in clouds.yaml; OSC\'s own cloud '
        '(--os-cloud) when not given (Env: %s)' % (what, env),
    )


def connect(
    app, side: str, name: str | None
) -> openstack.connection.Connection:
    """An openstacksdk connection to one side of the migration.

    :param app: the OSC application (``Command.app``)
    :param side: ``'src'`` or ``'dst'``, for messages
    :param name: the clouds.yaml entry, or None for OSC's own cloud
    :raises osc_lib.exceptions.CommandError: the cloud is not known or its
        configuration is incomplete
    """
    what = _SIDES[side][0]
    config = app.cloud_config
    try:
        if name:
            region = config.get_one(cloud=name, validate=True)
        else:
            region = config.get_one(
                cloud=app.options.cloud, argparse=app.options, validate=True
            )
    except (
        config_exceptions.OpenStackConfigException,
        # validate=True loads the auth plugin: a missing auth_url or an
        # unknown auth_type are configuration errors too.
        ksa_exceptions.AuthPluginException,
    ) as e:
        if name and name not in config.get_cloud_names():
            names = set(config.get_cloud_names())
            if getattr(config, 'config_filename', None) is None:
                # No clouds.yaml: openstacksdk invents a 'defaults' cloud.
                names.discard('defaults')
            known = ', '.join(sorted(names)) or 'none'
            raise exceptions.CommandError(
                '--%s-cloud: cloud %r is not in clouds.yaml (known: %s)'
                % (side, name, known)
            )
        raise exceptions.CommandError(
            'cannot configure the %s cloud: %s' % (what, e)
        )
    LOG.debug(
        'Connecting to the %s cloud %s (region %s)',
        what,
        name or app.options.cloud or '(OSC default)',
        region.region_name,
    )
    return openstack.connection.Connection(config=region)
