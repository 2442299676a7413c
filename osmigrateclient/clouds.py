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

``--src-project`` and ``--dst-project`` re-scope a side's user (typically an
admin) to another project, so that the command sees and creates what a
member of that project would: ``'%auth%'`` references and ownership are
that project's.  The user needs a role on it (``openstack migrate access
grant`` gives one).
"""

import argparse
import logging
import urllib.parse

from keystoneauth1 import exceptions as ksa_exceptions
import openstack
from openstack.config import exceptions as config_exceptions
from openstack import exceptions as sdk_exceptions
from osc_lib import exceptions
from osc_lib import utils

LOG = logging.getLogger(__name__)

SOURCE = 'src'
DESTINATION = 'dst'

_SIDES = {
    SOURCE: ('source', 'OS_MIGRATE_SRC_CLOUD'),
    DESTINATION: ('destination', 'OS_MIGRATE_DST_CLOUD'),
}

#: how often an idempotent request is tried again after a connection
#: failure, a timeout or an answer in RETRY_STATUSES
RETRIES = 4
#: answers worth another try of an idempotent request
RETRY_STATUSES = [500, 502, 503, 504]

_PROJECT_ENV = {
    SOURCE: 'OS_MIGRATE_SRC_PROJECT',
    DESTINATION: 'OS_MIGRATE_DST_PROJECT',
}


def add_cloud_argument(
    parser: argparse.ArgumentParser, side: str, project: bool = True
) -> None:
    """Add ``--src-cloud`` and (unless ``project`` is false)
    ``--src-project``, or the ``--dst-...`` pair, to a command's parser;
    once: the types of ``import all`` that read the source each ask."""
    what, env = _SIDES[side]
    if '--%s-cloud' % side in parser._option_string_actions:
        return
    parser.add_argument(
        '--%s-cloud' % side,
        metavar='<cloud>',
        dest='%s_cloud' % side,
        default=utils.env(env) or None,
        help='Name of the %s cloud in clouds.yaml; OSC\'s own cloud '
        '(--os-cloud) when not given (Env: %s)' % (what, env),
    )
    if not project:
        return
    project_env = _PROJECT_ENV[side]
    parser.add_argument(
        '--%s-project' % side,
        metavar='<project>',
        dest='%s_project' % side,
        default=utils.env(project_env) or None,
        help='Work in this %s project (name or ID) instead of the '
        'project of the cloud\'s credentials: the same user, re-scoped; '
        'it needs a role on the project (see "openstack migrate access '
        'grant") (Env: %s)' % (what, project_env),
    )


def connect(
    app, side: str, name: str | None, project: str | None = None
) -> openstack.connection.Connection:
    """An openstacksdk connection to one side of the migration.

    :param app: the OSC application (``Command.app``)
    :param side: ``'src'`` or ``'dst'``, for messages
    :param name: the clouds.yaml entry, or None for OSC's own cloud
    :param project: re-scope the cloud's user to this project (name or ID)
    :raises osc_lib.exceptions.CommandError: the cloud is not known or its
        configuration is incomplete; the project is not found or the user
        has no role on it
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
    conn = retry_reads(openstack.connection.Connection(config=region))
    discover_with_token(conn)
    if project:
        conn = retry_reads(scope(conn, side, project))
        discover_with_token(conn)
    return conn


def retry_reads(
    conn: openstack.connection.Connection,
) -> openstack.connection.Connection:
    """Make ``conn`` try its idempotent requests again (GET and HEAD, and
    Keystone's token requests, which change nothing) after a connection
    failure, a timeout or a 500, 502, 503 or 504: :data:`RETRIES` times,
    with keystoneauth's growing pauses.  A long migration then rides out
    a moment of a busy or restarting API instead of reverting a server.
    Other requests are never sent twice: the first may have been done."""
    session = conn.session
    if getattr(session, '_osm_retries_reads', False):
        return conn
    request = session.request

    def retrying(url, method, *args, **kwargs):
        verb = method.upper()
        if verb in ('GET', 'HEAD') or (
            verb == 'POST' and url.rstrip('/').endswith('/auth/tokens')
        ):
            if not kwargs.get('connect_retries'):
                kwargs['connect_retries'] = RETRIES
            if not kwargs.get('status_code_retries'):
                kwargs['status_code_retries'] = RETRIES
                kwargs['retriable_status_codes'] = RETRY_STATUSES
        return request(url, method, *args, **kwargs)

    session.request = retrying
    session._osm_retries_reads = True
    return conn


def discover_with_token(conn: openstack.connection.Connection) -> None:
    """Send ``conn``'s version discovery requests with its token once it
    holds a valid one.

    keystoneauth asks a service for its versions without a token first;
    Cinder, Neutron, Octavia, Manila and Swift answer 401 and it asks again
    with one: a request wasted per service and command.  Only a request to
    a host of the token's service catalog gets the token, which every
    request to that service carries anyway; while the token is missing or
    about to be renewed (authentication, Keystone's own discovery, an
    identity provider's), requests are left as they are."""
    session = conn.session
    if getattr(session, '_osm_discovers_with_token', False):
        return
    request = session.request

    def with_token(url, method, *args, **kwargs):
        # keystoneauth marks its discovery GETs unauthenticated.
        if kwargs.get('authenticated') is False and method.upper() == 'GET':
            auth = session.auth
            ref = getattr(auth, 'auth_ref', None)
            if (
                ref is not None
                and not ref.will_expire_soon(
                    getattr(auth, 'MIN_TOKEN_LIFE_SECONDS', 120)
                )
                and _host(url) in _catalog_hosts(ref)
            ):
                kwargs['authenticated'] = True
        return request(url, method, *args, **kwargs)

    session.request = with_token
    session._osm_discovers_with_token = True


def _host(url: str) -> tuple[str, str]:
    parsed = urllib.parse.urlsplit(url)
    return parsed.scheme, parsed.netloc


def _catalog_hosts(ref) -> set[tuple[str, str]]:
    """The scheme and host of every endpoint in a token's catalog."""
    catalog = getattr(ref, 'service_catalog', None)
    return {
        _host(endpoint['url'])
        for service in (getattr(catalog, 'catalog', None) or [])
        for endpoint in service.get('endpoints') or []
        if isinstance(endpoint.get('url'), str)
    }


def all_projects(conn: openstack.connection.Connection) -> list:
    """Every project the cloud's user may list (an admin's: all), not the
    domains Keystone also lists as projects, by name."""
    return sorted(
        (p for p in conn.identity.projects() if not p.is_domain),
        key=lambda p: p.name,
    )


def find_project(conn: openstack.connection.Connection, side: str, project):
    """The project named (or with the ID) ``project``, as ``conn`` sees it.

    An admin finds any project; another user only the projects it has a
    role on.

    :raises osc_lib.exceptions.CommandError: no or several such projects
    """
    what = _SIDES[side][0]
    try:
        try:
            found = conn.identity.find_project(project, ignore_missing=True)
        except sdk_exceptions.ForbiddenException:
            found = next(
                (
                    p
                    for p in conn.identity.user_projects(conn.current_user_id)
                    if project in (p.id, p.name)
                ),
                None,
            )
    except sdk_exceptions.DuplicateResource:
        raise exceptions.CommandError(
            '--%s-project: several projects named %r in the %s cloud: give '
            'its ID' % (side, project, what)
        )
    except (sdk_exceptions.SDKException, ksa_exceptions.ClientException) as e:
        raise exceptions.CommandError(
            '--%s-project: cannot look project %r up in the %s cloud: %s'
            % (side, project, what, e)
        )
    if found is None:
        raise exceptions.CommandError(
            '--%s-project: project %r not found in the %s cloud'
            % (side, project, what)
        )
    return found


def scope(
    conn: openstack.connection.Connection, side: str, project
) -> openstack.connection.Connection:
    """A connection of ``conn``'s user scoped to ``project``.

    :param project: a name or ID, or an SDK project
    :raises osc_lib.exceptions.CommandError: the project is not found, or
        the user has no role on it
    """
    what = _SIDES[side][0]
    if isinstance(project, str):
        project = find_project(conn, side, project)
    LOG.debug(
        'Re-scoping the %s cloud to project %s (%s)',
        what,
        project.name,
        project.id,
    )
    scoped = conn.connect_as(project_id=project.id)
    try:
        scoped.authorize()
    except (sdk_exceptions.SDKException, ksa_exceptions.ClientException) as e:
        raise exceptions.CommandError(
            '--%s-project: cannot work in project %r of the %s cloud (the '
            'user needs a role on it: run "openstack migrate access grant" '
            'first): %s' % (side, project.name, what, e)
        )
    return scoped
