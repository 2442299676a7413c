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

"""Connections to the named clouds, from a real clouds.yaml.

Connection objects are made but never used: openstacksdk does not
authenticate before the first API call, so no test touches the network.
"""

import argparse
import datetime
import http.server
import os
import threading
import types
from unittest import mock

import fixtures
from keystoneauth1 import access
from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import fixture as ks_fixture
from keystoneauth1 import session as ks_session
from openstack.config import loader
from openstack import exceptions as sdk_exceptions
from osc_lib import exceptions
from oslotest import base

from osmigrateclient import clouds

CLOUDS_YAML = """\
clouds:
  a:
    auth:
      auth_url: http://a.example:5000/v3
      username: user-a
      password: secret-a
      project_name: proj-a
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionA
  b:
    auth:
      auth_url: http://b.example:5000/v3
      username: user-b
      password: secret-b
      project_name: proj-b
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionB
"""

INCOMPLETE = """\
  c:
    auth:
      username: user-c
    region_name: RegionC
"""


def options(**kwargs):
    """OSC's global options, as argparse leaves them by default."""
    values = dict(
        cloud=None,
        region_name=None,
        auth_type=None,
        auth_url=None,
        username=None,
        password=None,
        project_name=None,
        interface=None,
    )
    values.update(kwargs)
    return argparse.Namespace(**values)


class Base(base.BaseTestCase):
    extra = ''

    def setUp(self):
        super().setUp()
        # No OS_* variable of the environment may leak into the config.
        for var in list(os.environ):
            if var.startswith('OS_'):
                self.useFixture(fixtures.EnvironmentVariable(var))
        directory = self.useFixture(fixtures.TempDir()).path
        path = os.path.join(directory, 'clouds.yaml')
        with open(path, 'w') as f:
            f.write(CLOUDS_YAML + self.extra)
        self.config = loader.OpenStackConfig(
            config_files=[path], vendor_files=[], secure_files=[]
        )
        self.app = types.SimpleNamespace(
            cloud_config=self.config, options=options()
        )


class TestConnect(Base):
    def test_named_cloud(self):
        conn = clouds.connect(self.app, clouds.SOURCE, 'a')
        self.assertEqual('a', conn.config.name)
        self.assertEqual('RegionA', conn.config.region_name)
        self.assertEqual(
            'http://a.example:5000/v3', conn.config.auth['auth_url']
        )
        self.assertEqual('user-a', conn.config.auth['username'])

    def test_both_sides(self):
        src = clouds.connect(self.app, clouds.SOURCE, 'a')
        dst = clouds.connect(self.app, clouds.DESTINATION, 'b')
        self.assertEqual('RegionA', src.config.region_name)
        self.assertEqual('RegionB', dst.config.region_name)
        self.assertEqual('proj-b', dst.config.auth['project_name'])

    def test_named_cloud_ignores_osc_global_options(self):
        self.app.options = options(
            cloud='b',
            region_name='Other',
            username='someone-else',
            project_name='another',
        )
        conn = clouds.connect(self.app, clouds.DESTINATION, 'a')
        self.assertEqual('a', conn.config.name)
        self.assertEqual('RegionA', conn.config.region_name)
        self.assertEqual('user-a', conn.config.auth['username'])
        self.assertEqual('proj-a', conn.config.auth['project_name'])

    def test_unnamed_side_is_oscs_cloud_with_its_options(self):
        self.app.options = options(cloud='b', project_name='override')
        conn = clouds.connect(self.app, clouds.SOURCE, None)
        self.assertEqual('b', conn.config.name)
        self.assertEqual('RegionB', conn.config.region_name)
        self.assertEqual('override', conn.config.auth['project_name'])

    def test_unknown_cloud(self):
        e = self.assertRaises(
            exceptions.CommandError,
            clouds.connect,
            self.app,
            clouds.SOURCE,
            'nope',
        )
        self.assertEqual(
            "--src-cloud: cloud 'nope' is not in clouds.yaml (known: a, b)",
            str(e),
        )

    def test_unknown_destination_cloud(self):
        e = self.assertRaises(
            exceptions.CommandError,
            clouds.connect,
            self.app,
            clouds.DESTINATION,
            'nope',
        )
        self.assertEqual(
            "--dst-cloud: cloud 'nope' is not in clouds.yaml (known: a, b)",
            str(e),
        )

    def test_osc_region_not_of_the_cloud(self):
        self.app.options = options(cloud='a', region_name='Other')
        e = self.assertRaises(
            exceptions.CommandError,
            clouds.connect,
            self.app,
            clouds.SOURCE,
            None,
        )
        self.assertTrue(
            str(e).startswith(
                'cannot configure the source cloud: Region Other is not a '
                'valid region name for cloud a.'
            ),
            str(e),
        )


class TestIncompleteCloud(Base):
    extra = INCOMPLETE

    def test_incomplete_cloud(self):
        e = self.assertRaises(
            exceptions.CommandError,
            clouds.connect,
            self.app,
            clouds.DESTINATION,
            'c',
        )
        self.assertEqual(
            'cannot configure the destination cloud: Auth plugin requires '
            'parameters which were not given: auth_url',
            str(e),
        )

    def test_known_list_sorted(self):
        e = self.assertRaises(
            exceptions.CommandError,
            clouds.connect,
            self.app,
            clouds.SOURCE,
            'zz',
        )
        self.assertEqual(
            "--src-cloud: cloud 'zz' is not in clouds.yaml (known: a, b, c)",
            str(e),
        )


class TestNoClouds(base.BaseTestCase):
    def test_no_clouds_at_all(self):
        for var in list(os.environ):
            if var.startswith('OS_'):
                self.useFixture(fixtures.EnvironmentVariable(var))
        directory = self.useFixture(fixtures.TempDir()).path
        config = loader.OpenStackConfig(
            config_files=[os.path.join(directory, 'none.yaml')],
            vendor_files=[],
            secure_files=[],
        )
        app = types.SimpleNamespace(cloud_config=config, options=options())
        e = self.assertRaises(
            exceptions.CommandError, clouds.connect, app, clouds.SOURCE, 'src'
        )
        self.assertEqual(
            "--src-cloud: cloud 'src' is not in clouds.yaml (known: none)",
            str(e),
        )


class TestArgument(base.BaseTestCase):
    def parser(self, side):
        parser = argparse.ArgumentParser()
        clouds.add_cloud_argument(parser, side)
        return parser

    def test_no_default(self):
        self.useFixture(fixtures.EnvironmentVariable('OS_MIGRATE_SRC_CLOUD'))
        self.useFixture(fixtures.EnvironmentVariable('OS_MIGRATE_DST_CLOUD'))
        self.assertIsNone(self.parser(clouds.SOURCE).parse_args([]).src_cloud)
        self.assertIsNone(
            self.parser(clouds.DESTINATION).parse_args([]).dst_cloud
        )

    def test_given(self):
        args = self.parser(clouds.SOURCE).parse_args(['--src-cloud', 'a'])
        self.assertEqual('a', args.src_cloud)

    def test_env_default(self):
        self.useFixture(
            fixtures.EnvironmentVariable('OS_MIGRATE_SRC_CLOUD', 'from-env')
        )
        self.useFixture(
            fixtures.EnvironmentVariable('OS_MIGRATE_DST_CLOUD', 'dst-env')
        )
        self.assertEqual(
            'from-env', self.parser(clouds.SOURCE).parse_args([]).src_cloud
        )
        self.assertEqual(
            'given',
            self.parser(clouds.SOURCE)
            .parse_args(['--src-cloud', 'given'])
            .src_cloud,
        )
        self.assertEqual(
            'dst-env',
            self.parser(clouds.DESTINATION).parse_args([]).dst_cloud,
        )

    def test_empty_env_is_no_default(self):
        self.useFixture(
            fixtures.EnvironmentVariable('OS_MIGRATE_DST_CLOUD', '')
        )
        self.assertIsNone(
            self.parser(clouds.DESTINATION).parse_args([]).dst_cloud
        )

    def test_help(self):
        text = self.parser(clouds.DESTINATION).format_help()
        self.assertIn('--dst-cloud <cloud>', text)
        self.assertIn('OS_MIGRATE_DST_CLOUD', text)


class TestProjectArgument(base.BaseTestCase):
    def parser(self, side, project=True):
        parser = argparse.ArgumentParser()
        clouds.add_cloud_argument(parser, side, project=project)
        return parser

    def test_given_and_env(self):
        self.useFixture(
            fixtures.EnvironmentVariable('OS_MIGRATE_SRC_PROJECT', 'env-p')
        )
        self.useFixture(fixtures.EnvironmentVariable('OS_MIGRATE_DST_PROJECT'))
        self.assertEqual(
            'env-p', self.parser(clouds.SOURCE).parse_args([]).src_project
        )
        self.assertEqual(
            'given',
            self.parser(clouds.DESTINATION)
            .parse_args(['--dst-project', 'given'])
            .dst_project,
        )
        self.assertIsNone(
            self.parser(clouds.DESTINATION).parse_args([]).dst_project
        )

    def test_help_and_without(self):
        text = self.parser(clouds.SOURCE).format_help()
        self.assertIn('--src-project <project>', text)
        self.assertIn('OS_MIGRATE_SRC_PROJECT', text)
        self.assertNotIn(
            '--src-project',
            self.parser(clouds.SOURCE, project=False).format_help(),
        )


class _Identity:
    def __init__(self, projects, forbidden=False):
        self.projects = projects
        self.forbidden = forbidden

    def find_project(self, name_or_id, ignore_missing=True):
        if self.forbidden:
            raise sdk_exceptions.ForbiddenException('no')
        found = [p for p in self.projects if name_or_id in (p.id, p.name)]
        if len(found) > 1:
            raise sdk_exceptions.DuplicateResource('many')
        return found[0] if found else None

    def user_projects(self, user_id):
        return self.projects


class _Conn:
    def __init__(self, projects, forbidden=False, authorize_error=None):
        self.identity = _Identity(projects, forbidden)
        self.current_user_id = 'u1'
        self.authorize_error = authorize_error
        self.scoped_to = None

    def connect_as(self, **auth):
        scoped = _Conn(self.identity.projects)
        scoped.scoped_to = auth
        scoped.authorize_error = self.authorize_error
        return scoped

    def authorize(self):
        if self.authorize_error:
            raise self.authorize_error
        return 'token'


class TestScope(base.BaseTestCase):
    projects = [
        types.SimpleNamespace(id='p1', name='alpha'),
        types.SimpleNamespace(id='p2', name='beta'),
    ]

    def test_by_name_or_id(self):
        conn = _Conn(self.projects)
        self.assertEqual(
            {'project_id': 'p2'},
            clouds.scope(conn, clouds.SOURCE, 'beta').scoped_to,
        )
        self.assertEqual(
            {'project_id': 'p1'},
            clouds.scope(conn, clouds.DESTINATION, 'p1').scoped_to,
        )

    def test_not_admin_finds_own_projects(self):
        conn = _Conn(self.projects, forbidden=True)
        self.assertEqual(
            'p2', clouds.find_project(conn, clouds.SOURCE, 'beta').id
        )

    def test_not_found(self):
        e = self.assertRaises(
            exceptions.CommandError,
            clouds.scope,
            _Conn(self.projects),
            clouds.DESTINATION,
            'gamma',
        )
        self.assertEqual(
            "--dst-project: project 'gamma' not found in the destination "
            'cloud',
            str(e),
        )

    def test_ambiguous(self):
        twins = self.projects + [types.SimpleNamespace(id='p3', name='beta')]
        e = self.assertRaises(
            exceptions.CommandError,
            clouds.find_project,
            _Conn(twins),
            clouds.SOURCE,
            'beta',
        )
        self.assertEqual(
            "--src-project: several projects named 'beta' in the source "
            'cloud: give its ID',
            str(e),
        )

    def test_no_role_says_grant(self):
        conn = _Conn(
            self.projects,
            authorize_error=sdk_exceptions.SDKException('HTTP 401'),
        )
        e = self.assertRaises(
            exceptions.CommandError, clouds.scope, conn, clouds.SOURCE, 'alpha'
        )
        self.assertEqual(
            "--src-project: cannot work in project 'alpha' of the source "
            'cloud (the user needs a role on it: run "openstack migrate '
            'access grant" first): HTTP 401',
            str(e),
        )


class _Flaky(http.server.BaseHTTPRequestHandler):
    """Answers each request with the next of the server's ``answers``: a
    status, or 'reset' (the connection closed without an answer)."""

    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def _answer(self):
        length = int(self.headers.get('Content-Length') or 0)
        self.rfile.read(length)
        self.server.seen.append(self.command)
        answer = self.server.answers.pop(0) if self.server.answers else 200
        if answer == 'reset':
            self.close_connection = True
            self.connection.close()
            return
        body = b'{}'
        self.send_response(answer)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Retry-After', '0')
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _answer


class TestRetryReads(base.BaseTestCase):
    """Found by the fault campaign (tools/chaos): one 503 or reset on any
    status poll failed the whole import of a server, or of a volume."""

    def setUp(self):
        super().setUp()
        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Flaky)
        # Kept-alive connections must not hold up the shutdown.
        self.server.daemon_threads = True
        self.server.answers, self.server.seen = [], []
        thread = threading.Thread(target=self.server.serve_forever)
        thread.start()
        self.addCleanup(thread.join)
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)
        self.url = 'http://127.0.0.1:%d' % self.server.server_address[1]
        # keystoneauth's pauses between tries
        self.useFixture(fixtures.MockPatch('time.sleep'))
        self.session = ks_session.Session()
        self.addCleanup(self.session.session.close)
        clouds.retry_reads(types.SimpleNamespace(session=self.session))

    def test_reads_are_tried_again(self):
        self.server.answers = [503, 'reset', 500, 200]
        resp = self.session.get(self.url + '/v3/volumes/x')
        self.assertEqual(200, resp.status_code)
        self.assertEqual(['GET'] * 4, self.server.seen)

    def test_token_requests_are_tried_again(self):
        self.server.answers = ['reset', 200]
        resp = self.session.post(self.url + '/v3/auth/tokens', json={})
        self.assertEqual(200, resp.status_code)
        self.assertEqual(['POST', 'POST'], self.server.seen)

    def test_gives_up_after_the_retries(self):
        self.server.answers = [503] * (clouds.RETRIES + 1)
        self.assertRaises(
            ks_exceptions.ServiceUnavailable,
            self.session.get,
            self.url + '/v3/volumes/x',
        )
        self.assertEqual(clouds.RETRIES + 1, len(self.server.seen))

    def test_writes_are_sent_once(self):
        for method in ('post', 'delete'):
            self.server.answers = ['reset']
            self.server.seen = []
            self.assertRaises(
                ks_exceptions.ConnectFailure,
                getattr(self.session, method),
                self.url + '/v3/volumes',
            )
            self.assertEqual([method.upper()], self.server.seen)

    def test_once_per_session(self):
        clouds.retry_reads(types.SimpleNamespace(session=self.session))
        self.server.answers = [503, 200]
        self.assertEqual(200, self.session.get(self.url + '/x').status_code)


class TestDiscoverWithToken(base.BaseTestCase):
    """Cinder, Neutron, Octavia, Manila and Swift answer keystoneauth's
    unauthenticated version discovery with 401, and it asks again with the
    token: one request wasted per service (issue 17)."""

    def _session(self, expires_in):
        auth = types.SimpleNamespace(auth_ref=None, MIN_TOKEN_LIFE_SECONDS=120)
        if expires_in is not None:
            expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(
                seconds=expires_in
            )
            token = ks_fixture.V3Token(expires=expires)
            token.add_service('volumev3').add_standard_endpoints(
                public='http://c:8776/v3/p'
            )
            token.add_service('identity').add_standard_endpoints(
                public='http://k:5000/v3'
            )
            auth.auth_ref = access.create(body=token)
        inner = mock.Mock()
        session = types.SimpleNamespace(auth=auth, request=inner)
        clouds.discover_with_token(types.SimpleNamespace(session=session))
        return session, inner

    def test_discovery_with_a_valid_token_sends_it(self):
        session, inner = self._session(3600)
        session.request('http://c:8776/v3/', 'GET', authenticated=False)
        inner.assert_called_once_with(
            'http://c:8776/v3/', 'GET', authenticated=True
        )

    def test_a_host_outside_the_catalog_never_gets_it(self):
        # An identity provider's discovery, say: not a cloud's service.
        session, inner = self._session(3600)
        for url in ('http://idp:8776/x', 'https://c:8776/v3/'):
            session.request(url, 'GET', authenticated=False)
        self.assertEqual(
            [
                mock.call('http://idp:8776/x', 'GET', authenticated=False),
                mock.call('https://c:8776/v3/', 'GET', authenticated=False),
            ],
            inner.call_args_list,
        )

    def test_without_a_token_discovery_is_unauthenticated(self):
        # Keystone's own discovery, before the first token.
        session, inner = self._session(None)
        session.request('http://k:5000/v3', 'GET', authenticated=False)
        inner.assert_called_once_with(
            'http://k:5000/v3', 'GET', authenticated=False
        )

    def test_with_a_token_about_to_be_renewed_it_is_unauthenticated(self):
        session, inner = self._session(60)
        session.request('http://k:5000/v3', 'GET', authenticated=False)
        inner.assert_called_once_with(
            'http://k:5000/v3', 'GET', authenticated=False
        )

    def test_other_requests_are_unchanged(self):
        session, inner = self._session(3600)
        session.request('http://c:8776/v3/x', 'GET')
        session.request(
            'http://k:5000/v3/auth/tokens', 'POST', authenticated=False
        )
        self.assertEqual(
            [
                mock.call('http://c:8776/v3/x', 'GET'),
                mock.call(
                    'http://k:5000/v3/auth/tokens', 'POST', authenticated=False
                ),
            ],
            inner.call_args_list,
        )

    def test_once_per_session(self):
        session, inner = self._session(3600)
        wrapped = session.request
        clouds.discover_with_token(types.SimpleNamespace(session=session))
        self.assertIs(wrapped, session.request)
