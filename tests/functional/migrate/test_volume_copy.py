# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""``migrate import volume`` through conversion hosts, the hard cases:
a zero-filled volume and a dense random one copied with ``--parallel 2``,
a re-run that copies nothing, and a copy killed half-way (SIGKILL) that the
next run redoes without a duplicate or a leftover attachment.

The conversion hosts (development cloud loopback hosts) are deployed once
for the class; each test gets its own data directory that shares them.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import fixtures
import yaml

from tests.functional import base
from tests.functional.migrate import test_conversion_hosts
from tests.functional.migrate import test_volumes

MiB = test_volumes.MiB
GiB = test_volumes.GiB
CHUNK = 8 * MiB
#: (offset, length) of the random bytes written over the zeros
RANDOM_CHUNKS = ((0, MiB), (333 * MiB, 2 * MiB), (GiB - MiB, MiB))


def _connect(cloud):
    """A cached openstacksdk connection, for the class-level set-up."""
    key = (base.clouds_yaml(), cloud)
    conn = base.FunctionalTestCase._connections.get(key)
    if conn is None:
        import openstack.config

        config = openstack.config.OpenStackConfig(config_files=[key[0]])
        conn = openstack.connection.Connection(
            config=config.get_one(cloud=cloud)
        )
        base.FunctionalTestCase._connections[key] = conn
    return conn


def _cli_argv(*args):
    return [os.path.join(os.path.dirname(sys.executable), 'openstack')] + [
        str(a) for a in args
    ]


def _cli_env():
    return {
        'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
        'HOME': os.environ.get('HOME', '/root'),
        'LANG': os.environ.get('LANG', 'C.UTF-8'),
        'OS_CLIENT_CONFIG_FILE': base.clouds_yaml(),
    }


def _openstack(*args):
    """``openstack ARGS -f json``, for the class-level set-up."""
    argv = _cli_argv(*args, '-f', 'json')
    proc = subprocess.run(
        argv,
        env=_cli_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=base.FunctionalTestCase.CLI_TIMEOUT,
    )
    if proc.returncode != 0:
        raise AssertionError(
            'command failed with exit code %d: %s\nstdout:\n%s\nstderr:\n%s'
            % (proc.returncode, ' '.join(argv), proc.stdout, proc.stderr)
        )
    return json.loads(proc.stdout)


class ConversionHosts:
    """A conversion host per side, on a network of its own, in a data dir
    whose ``conversion/`` tests copy into theirs."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.net_name = prefix + '-net'
        self.data_dir = tempfile.mkdtemp(prefix='osm-vcopy-')
        #: (proxy, kind, id) to delete, last first
        self.made = []

    def _args(self, *verb):
        return (
            'migrate',
            *verb,
            '--data-dir',
            self.data_dir,
            '--src-cloud',
            'src',
            '--dst-cloud',
            'dst',
        )

    def deploy(self):
        for cloud, octets in (('src', (100, 199)), ('dst', (200, 255))):
            conn = _connect(cloud)
            if (
                conn.image.find_image(test_conversion_hosts.LOOPBACK_IMAGE)
                is None
            ):
                raise AssertionError(
                    'no %s image: run tools/devcloud/devcloud start'
                    % test_conversion_hosts.LOOPBACK_IMAGE
                )
            net = conn.network.create_network(name=self.net_name)
            self.made.append((conn.network, 'network', net.id))
            subnet = conn.network.create_subnet(
                name=self.net_name,
                network_id=net.id,
                ip_version=4,
                cidr=test_conversion_hosts.random_cidr(octets),
            )
            self.made.append((conn.network, 'subnet', subnet.id))
        rows = _openstack(
            *self._args('conversion', 'host', 'deploy'),
            '--name',
            self.prefix,
            '--image',
            test_conversion_hosts.LOOPBACK_IMAGE,
            '--flavor',
            base.FLAVOR,
            '--network',
            self.net_name,
            '--no-floating-ip',
            '--allowed-cidr',
            test_conversion_hosts.migrator_address() + '/32',
        )
        self.server_ids = {r['Side']: r['ID'] for r in rows}

    def delete(self):
        try:
            if os.path.exists(
                os.path.join(self.data_dir, 'conversion', 'hosts.yml')
            ):
                _openstack(*self._args('conversion', 'host', 'delete'))
        finally:
            for proxy, kind, id_ in reversed(self.made):
                getattr(proxy, 'delete_' + kind)(id_, ignore_missing=True)
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def share_with(self, data_dir):
        shutil.copytree(
            os.path.join(self.data_dir, 'conversion'),
            os.path.join(data_dir, 'conversion'),
        )


def _fill_zeros(path):
    """Every byte written (no hole), zeros but for RANDOM_CHUNKS."""
    zeros = bytes(CHUNK)
    with open(path, 'r+b') as f:
        for _ in range(GiB // CHUNK):
            f.write(zeros)
        for offset, length in RANDOM_CHUNKS:
            f.seek(offset)
            f.write(os.urandom(length))


def _fill_random(path):
    with open(path, 'r+b') as f:
        for _ in range(GiB // CHUNK):
            f.write(os.urandom(CHUNK))


def _allocated(path):
    return os.stat(path).st_blocks * 512


def _log_times(path, prefix):
    """The times (seconds of the day) of the log lines starting so."""
    times = []
    with open(path) as f:
        for line in f:
            date, clock, _level, message = line.rstrip('\n').split(' ', 3)
            if message.startswith(prefix):
                h, m, s = clock.replace(',', '.').split(':')
                times.append(int(h) * 3600 + int(m) * 60 + float(s))
    return times


class ConversionHostTestCase(base.FunctionalTestCase):
    """Tests sharing one pair of conversion hosts, deployed once per class,
    each test with its own data dir and volumes named ``self.prefix...``
    (deleted afterwards, detached first if a failed test left them
    attached)."""

    #: the start of the hosts' and the volumes' names
    PREFIX = 'osm-hosts'
    hosts = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hosts = ConversionHosts(base.unique_name(cls.PREFIX))
        try:
            cls.hosts.deploy()
        except BaseException:
            cls.hosts.delete()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.hosts.delete()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.src = self.conn('src')
        self.dst = self.conn('dst')
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        self.hosts.share_with(self.data_dir)
        self.prefix = self.unique_name(self.PREFIX)
        self.addCleanup(self._purge_volumes)

    # -- helpers ------------------------------------------------------------

    def _purge_volumes(self):
        for conn in (self.src, self.dst):
            self._delete_volumes(
                conn,
                [
                    v
                    for v in conn.block_storage.volumes()
                    if (v.name or '').startswith(self.prefix)
                ],
            )

    @staticmethod
    def _delete_volumes(conn, volumes):
        """Delete volumes, detaching them first if left attached."""
        for volume in volumes:
            for attachment in volume.attachments or []:
                conn.compute.delete_volume_attachment(
                    attachment['server_id'], volume.id, ignore_missing=True
                )
        for volume in volumes:
            if volume.attachments or volume.status == 'creating':
                test_volumes._wait_status(
                    conn.block_storage, volume.id, 'available'
                )
            conn.block_storage.delete_volume(volume.id, ignore_missing=True)
        for volume in volumes:
            conn.block_storage.wait_for_delete(volume, wait=base.WAIT)


class TestVolumeCopy(ConversionHostTestCase):
    PREFIX = 'osm-vcopy'

    def _source_volumes(self, fills):
        """One 1 GiB source volume per ``{suffix: fill}``; {suffix: volume}."""
        made = {
            suffix: self.src.block_storage.create_volume(
                name=self.prefix + suffix,
                size=1,
                volume_type=base.VOLUME_TYPE,
            )
            for suffix in fills
        }
        volumes = {}
        for suffix, fill in fills.items():
            volume = test_volumes._wait_status(
                self.src.block_storage, made[suffix].id, 'available'
            )
            fill(test_volumes.backing_file('r1', volume.id))
            volumes[suffix] = volume
        return volumes

    def _args(self, verb, *more):
        args = [
            'migrate',
            verb,
            'volume',
            '--data-dir',
            self.data_dir,
            '--src-cloud',
            'src',
            '--name-regex',
            '^' + self.prefix,
        ]
        if verb == 'import':
            args += ['--dst-cloud', 'dst']
        return args + list(more) + ['-f', 'json']

    def _migrate(self, verb, *more):
        return self.openstack(*self._args(verb, *more))

    def _dst_volumes(self, name):
        return [v for v in self.dst.block_storage.volumes() if v.name == name]

    def _journal(self):
        path = os.path.join(self.data_dir, 'volume_logs', 'journal.yml')
        try:
            with open(path) as f:
                return (yaml.safe_load(f) or {}).get('volumes') or {}
        except (FileNotFoundError, yaml.YAMLError):
            return {}

    def _log(self, source_id):
        return os.path.join(self.data_dir, 'volume_logs', '%s.log' % source_id)

    def _flowing(self, source_id):
        """The copy's first progress line is in the volume's log."""
        try:
            with open(self._log(source_id)) as f:
                text = f.read()
        except FileNotFoundError:
            return False
        copying = text.find(' Copying ')
        return copying >= 0 and '%  ' in text[copying:]

    def assertSameBytes(self, src_id, dst_id):
        self.assertEqual(
            test_volumes._sha256(test_volumes.backing_file('r1', src_id)),
            test_volumes._sha256(test_volumes.backing_file('r2', dst_id)),
        )

    def assertNothingAttached(self):
        for side, conn in (('src', self.src), ('dst', self.dst)):
            server = self.hosts.server_ids[side]
            self.assertEqual(
                [],
                [a.volume_id for a in conn.compute.volume_attachments(server)],
                'still attached to the %s conversion host' % side,
            )

    # -- the tests ----------------------------------------------------------

    def test_parallel_zeros_and_dense(self):
        volumes = self._source_volumes(
            {'-zeros': _fill_zeros, '-dense': _fill_random}
        )
        zeros_path = test_volumes.backing_file('r1', volumes['-zeros'].id)
        # Fully allocated: a hole would let nbdcopy skip the zeros unread.
        self.assertGreaterEqual(_allocated(zeros_path), GiB)
        self._migrate('export')

        rows = self._migrate('import', '--parallel', '2')
        self.assertEqual(
            sorted(
                [
                    (self.prefix + '-dense', 'created'),
                    (self.prefix + '-zeros', 'created'),
                ]
            ),
            sorted((r['Name'], r['Action']) for r in rows),
        )
        journal = self._journal()
        copied = {}
        for suffix, volume in volumes.items():
            [dst] = self._dst_volumes(self.prefix + suffix)
            copied[suffix] = dst
            self.assertEqual('available', dst.status)
            self.assertSameBytes(volume.id, dst.id)
            record = journal[volume.id]
            self.assertEqual(
                ('done', dst.id, []),
                (record['state'], record['dest_id'], record['attached']),
            )
            self.assertTrue(record['algo'] and record['digest'], record)
            log = self._log(volume.id)
            self.assertEqual(0o600, os.stat(log).st_mode & 0o777)
            with open(log) as f:
                [summary] = [line for line in f if ' Copied ' in line]
            self.assertIn(': %d bytes in ' % GiB, summary)
            self.assertIn(record['digest'], summary)
        # New volumes read as zeros: the zeros were not written.
        self.assertLess(
            _allocated(test_volumes.backing_file('r2', copied['-zeros'].id)),
            64 * MiB,
        )
        # Both copies were under way at once: each attached its volumes
        # before the other detached its own.
        spans = [
            (
                min(_log_times(self._log(v.id), 'Attaching')),
                max(_log_times(self._log(v.id), 'Detaching')),
            )
            for v in volumes.values()
        ]
        self.assertLess(max(s for s, _ in spans), min(e for _, e in spans))
        self.assertNothingAttached()

        # A re-run copies nothing: the journal says both are done.
        sizes = {
            v.id: os.path.getsize(self._log(v.id)) for v in volumes.values()
        }
        rows = self._migrate('import', '--parallel', '2')
        self.assertEqual(
            ['unchanged', 'unchanged'], [r['Action'] for r in rows]
        )
        self.assertEqual(
            sizes,
            {v.id: os.path.getsize(self._log(v.id)) for v in volumes.values()},
        )
        for suffix in volumes:
            self.assertEqual(
                [copied[suffix].id],
                [v.id for v in self._dst_volumes(self.prefix + suffix)],
            )

    def test_killed_copy_is_redone(self):
        volume = self._source_volumes({'-dense': _fill_random})['-dense']
        name = self.prefix + '-dense'
        self._migrate('export')

        stderr = tempfile.TemporaryFile()
        self.addCleanup(stderr.close)
        proc = subprocess.Popen(
            _cli_argv(*self._args('import')),
            env=self.cli_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        self.addCleanup(proc.wait)
        self.addCleanup(proc.kill)
        # Wait for the byte copy: both volumes attached, bytes flowing.
        deadline = time.monotonic() + base.WAIT
        while True:
            attached = self._journal().get(volume.id, {}).get('attached')
            if attached and len(attached) == 2 and self._flowing(volume.id):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                stderr.seek(0)
                self.fail(
                    'the import never got to the copy (exit code %s): %s'
                    % (proc.poll(), stderr.read().decode())
                )
            time.sleep(0.1)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        record = self._journal()[volume.id]
        self.assertEqual('started', record['state'])
        # Both hosts attach at once: the journal holds them in the order
        # the attaches finished.
        self.assertCountEqual(
            ['src', 'dst'], [a['side'] for a in record['attached']]
        )
        half_made = record['dest_id']

        rows = self._migrate('import')
        self.assertEqual(
            [(name, 'created')], [(r['Name'], r['Action']) for r in rows]
        )
        [copied] = self._dst_volumes(name)
        self.assertNotEqual(half_made, copied.id)
        self.assertEqual('available', copied.status)
        self.assertSameBytes(volume.id, copied.id)
        self.assertEqual(
            'available', self.src.block_storage.get_volume(volume.id).status
        )
        self.assertNothingAttached()
        record = self._journal()[volume.id]
        self.assertEqual(
            ('done', copied.id, []),
            (record['state'], record['dest_id'], record['attached']),
        )
        with open(self._log(volume.id)) as f:
            self.assertIn(
                'Deleting the half-made volume %s' % half_made, f.read()
            )
