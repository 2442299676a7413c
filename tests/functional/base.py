# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Base class of the functional tests: real clouds, real ``openstack`` CLI.

The tests run against the development cloud (``tools/devcloud/devcloud
start``), or any clouds.yaml with the same cloud names:

* ``src``        project src, RegionOne (the migration source)
* ``dst``        project dst, RegionTwo (the migration destination)
* ``dst-local``  project dst, RegionOne (same-region migrations)
* ``src-admin``  admin, RegionOne
* ``dst-admin``  admin, RegionTwo

The clouds.yaml is ``$OS_CLIENT_CONFIG_FILE``, else
``$DEVCLOUD_HOME/clouds.yaml``, else ``<repo>/.devcloud/clouds.yaml``.
"""

import json
import os
import subprocess
import sys
import uuid

from oslotest import base

REPO = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
)

#: Seeded by devcloud in both regions.
IMAGE = 'devcloud-image'
FLAVOR = 'm1.tiny'
VOLUME_TYPE = 'nfs'
PUBLIC_NETWORK = 'public'

#: Seconds to wait for a resource to reach a status.
WAIT = int(os.environ.get('OS_FUNCTIONAL_WAIT', '300'))


def clouds_yaml():
    """Path of the clouds.yaml the functional tests use."""
    path = os.environ.get('OS_CLIENT_CONFIG_FILE')
    if path:
        return path
    home = os.environ.get('DEVCLOUD_HOME') or os.path.join(REPO, '.devcloud')
    return os.path.join(home, 'clouds.yaml')


def unique_name(prefix):
    """'<prefix>-<random hex>': names that parallel tests can't share."""
    return '%s-%s' % (prefix, uuid.uuid4().hex[:12])


class CommandResult:
    """What a finished ``openstack`` command returned."""

    def __init__(self, argv, returncode, stdout, stderr):
        self.argv = argv
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr

    def __repr__(self):
        return '<CommandResult rc=%d %s>' % (
            self.returncode,
            ' '.join(self.argv),
        )


class FunctionalTestCase(base.BaseTestCase):
    """Runs the real ``openstack`` CLI and openstacksdk against real clouds."""

    #: Seconds a single CLI command may take.
    CLI_TIMEOUT = 600

    _connections = {}  # shared by all tests of a process: connecting costs

    def setUp(self):
        super().setUp()
        self.clouds_yaml = clouds_yaml()
        if not os.path.exists(self.clouds_yaml):
            self.fail(
                'No clouds.yaml at %s. The functional tests need a running '
                'development cloud: run "tools/devcloud/devcloud start" '
                '(after "tools/devcloud/devcloud install" on a new machine), '
                'or set OS_CLIENT_CONFIG_FILE.' % self.clouds_yaml
            )
        self.openstack_cli = os.path.join(
            os.path.dirname(sys.executable), 'openstack'
        )
        if not os.path.exists(self.openstack_cli):
            self.fail(
                'The openstack CLI is not installed next to %s; install '
                'python-openstackclient (and this plugin) into the venv '
                'running the tests.' % sys.executable
            )

    # -- the CLI ----------------------------------------------------------

    def cli_env(self, env=None):
        """The clean environment of a CLI call."""
        clean = {
            'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
            'HOME': os.environ.get('HOME', '/root'),
            'LANG': os.environ.get('LANG', 'C.UTF-8'),
            'OS_CLIENT_CONFIG_FILE': self.clouds_yaml,
        }
        # A work tree run with the venv of another (PYTHONPATH=<tree>):
        # its CLI runs that tree's code too.
        if os.environ.get('PYTHONPATH'):
            clean['PYTHONPATH'] = os.environ['PYTHONPATH']
        clean.update(env or {})
        return clean

    def openstack(
        self,
        *args,
        cloud=None,
        parse_json=None,
        expect_fail=False,
        env=None,
        full=False,
    ):
        """Run ``openstack [--os-cloud CLOUD] ARGS...`` and check its exit.

        Returns the parsed JSON output when ``parse_json`` is true (default:
        when ``-f json`` is among the arguments), else stdout as text.  With
        ``expect_fail=True`` the command must fail, and with ``full=True``
        (stderr too) a :class:`CommandResult` is returned.
        """
        argv = [self.openstack_cli]
        if cloud:
            argv += ['--os-cloud', cloud]
        argv += [str(a) for a in args]
        proc = subprocess.run(
            argv,
            env=self.cli_env(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=self.CLI_TIMEOUT,
        )
        result = CommandResult(argv, proc.returncode, proc.stdout, proc.stderr)
        if expect_fail:
            if proc.returncode == 0:
                raise AssertionError(
                    'command succeeded but was expected to fail: %s\n'
                    'stdout:\n%s\nstderr:\n%s'
                    % (' '.join(argv), proc.stdout, proc.stderr)
                )
            return result
        if proc.returncode != 0:
            raise AssertionError(
                'command failed with exit code %d: %s\nstdout:\n%s\n'
                'stderr:\n%s'
                % (proc.returncode, ' '.join(argv), proc.stdout, proc.stderr)
            )
        if full:
            return result
        if parse_json is None:
            parse_json = _wants_json(argv)
        if parse_json:
            try:
                return json.loads(proc.stdout)
            except ValueError:
                raise AssertionError(
                    'command did not print JSON: %s\nstdout:\n%s\nstderr:\n%s'
                    % (' '.join(argv), proc.stdout, proc.stderr)
                )
        return proc.stdout

    # -- openstacksdk -----------------------------------------------------

    def conn(self, cloud_name):
        """A cached openstacksdk connection to ``cloud_name``."""
        key = (self.clouds_yaml, cloud_name)
        conn = self._connections.get(key)
        if conn is None:
            import openstack
            import openstack.config

            config = openstack.config.OpenStackConfig(
                config_files=[self.clouds_yaml]
            )
            conn = openstack.connection.Connection(
                config=config.get_one(cloud=cloud_name)
            )
            self._connections[key] = conn
        return conn

    # -- clean-up ---------------------------------------------------------

    def add_cleanup_delete(self, proxy_method, resource_id, **kwargs):
        """On clean-up call ``proxy_method(resource_id)``; NotFound is fine.

        E.g. ``self.add_cleanup_delete(conn.network.delete_network, net.id)``.
        Clean-ups run last-registered first, so register a resource right
        after creating it and dependents are removed before it.
        """
        from openstack import exceptions

        def delete():
            try:
                proxy_method(resource_id, **kwargs)
            except exceptions.NotFoundException:
                pass

        self.addCleanup(delete)

    def cleanup_resource(self, conn, kind, resource, wait=True):
        """Register deletion of an sdk resource of ``kind``.

        ``kind`` is one of server, volume, image, network, subnet, port,
        router, security_group, keypair, floating_ip.  Servers and volumes
        are waited for until gone (so that their ports/volumes can go too).
        """
        from openstack import exceptions

        res_id = getattr(resource, 'id', resource)
        proxies = {
            'server': (conn.compute, 'server'),
            'volume': (conn.block_storage, 'volume'),
            'image': (conn.image, 'image'),
            'network': (conn.network, 'network'),
            'subnet': (conn.network, 'subnet'),
            'port': (conn.network, 'port'),
            'router': (conn.network, 'router'),
            'security_group': (conn.network, 'security_group'),
            'floating_ip': (conn.network, 'ip'),
            'keypair': (conn.compute, 'keypair'),
        }
        proxy, name = proxies[kind]

        def delete():
            try:
                getattr(proxy, 'delete_' + name)(res_id)
                if wait and kind in ('server', 'volume'):
                    obj = getattr(proxy, 'get_' + name)(res_id)
                    proxy.wait_for_delete(obj, wait=WAIT)
            except exceptions.NotFoundException:
                pass

        self.addCleanup(delete)

    def unique_name(self, prefix='osm'):
        return unique_name(prefix)


def _wants_json(argv):
    for i, arg in enumerate(argv[:-1]):
        if arg in ('-f', '--format') and argv[i + 1] == 'json':
            return True
    return any(a == '--format=json' or a == '-fjson' for a in argv)
