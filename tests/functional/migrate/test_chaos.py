# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""The short form of the fault campaign (``tools/chaos/``, issue 14):
``migrate import volume`` killed with SIGKILL at seeded random moments,
then run through a proxy that fails a share of the API requests; each
time the next run without faults must finish the job: one destination
volume per source holding its bytes, nothing left attached to the
conversion hosts, no temporary image, the source volumes available.

The conversion hosts are deployed once for the class (both tests share
them: .stestr.conf keeps them on one worker).
"""

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import yaml

from tests.functional import base
from tests.functional.migrate import test_volume_copy
from tests.functional.migrate import test_volumes

# The campaign's proxy, and the benchmarks' byte comparison (data extents
# only: hashing whole sparse volumes would cost most of the test's time).
sys.path.insert(0, os.path.join(base.REPO, 'tools', 'chaos'))
sys.path.insert(0, os.path.join(base.REPO, 'tools', 'bench'))
import faultproxy  # noqa: E402
import workloads  # noqa: E402

MiB = test_volumes.MiB
#: fixed seeds: the same kill moments and faults on every run
KILL_SEED, FAULT_SEED = 14, 1414
KILLS = 3
#: the share of requests faulted, and how many faults the test wants
FAULT_RATE = 0.2
FAULTS_WANTED = 30
#: runs through the proxy at most (each one fails or succeeds quickly)
FAULT_RUNS = 20
#: the client's timeout through the proxy, and the proxy's delays
API_TIMEOUT = 5
TEMP_PREFIX = 'os-migrate-'


class TestChaos(test_volume_copy.ConversionHostTestCase):
    PREFIX = 'osm-chaos'

    def _sources(self, count=2):
        """Source volumes of 1 GiB with a few random MiB each;
        [(volume, {offset: bytes})]."""
        made = [
            self.src.block_storage.create_volume(
                name='%s-%d' % (self.prefix, i),
                size=1,
                volume_type=base.VOLUME_TYPE,
            )
            for i in range(count)
        ]
        out = []
        rng = random.Random(KILL_SEED)  # noqa: S311 -- offsets, not secrets
        for volume in made:
            volume = test_volumes._wait_status(
                self.src.block_storage, volume.id, 'available'
            )
            known = {}
            with open(test_volumes.backing_file('r1', volume.id), 'r+b') as f:
                for slot in rng.sample(range(1024), 3):
                    known[slot * MiB] = os.urandom(MiB)
                    f.seek(slot * MiB)
                    f.write(known[slot * MiB])
            out.append((volume, known))
        self.openstack(
            'migrate',
            'export',
            'volume',
            '--data-dir',
            self.data_dir,
            '--src-cloud',
            'src',
            '--name-regex',
            '^' + self.prefix,
        )
        return out

    def _argv(self):
        return [
            self.openstack_cli,
            'migrate',
            'import',
            'volume',
            '--data-dir',
            self.data_dir,
            '--src-cloud',
            'src',
            '--dst-cloud',
            'dst',
            '--name-regex',
            '^' + self.prefix,
            '--parallel',
            '2',
            '-f',
            'json',
        ]

    def _run(self, kill_at=None, clouds_yaml=None):
        """Run the import (its whole process group killed with SIGKILL
        ``kill_at`` seconds after the start, if still running); (exit code,
        stderr, seconds, killed)."""
        env = self.cli_env()
        if clouds_yaml:
            env['OS_CLIENT_CONFIG_FILE'] = clouds_yaml
        err = tempfile.TemporaryFile()
        self.addCleanup(err.close)
        started = time.monotonic()
        proc = subprocess.Popen(
            self._argv(),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
        killed = False
        try:
            if kill_at is not None:
                try:
                    proc.wait(timeout=kill_at)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    killed = True
            rc = proc.wait(timeout=self.CLI_TIMEOUT)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        err.seek(0)
        return (
            rc,
            err.read().decode(errors='replace'),
            time.monotonic() - started,
            killed,
        )

    def _complete(self, sources, what):
        rc, stderr, seconds, _ = self._run()
        self.assertEqual(0, rc, '%s: the rerun failed: %s' % (what, stderr))
        self.assertInvariants(sources, what)
        return seconds

    def _forget(self, sources):
        """Forget the import: its destination volumes and journal."""
        names = {v.name for v, _ in sources}
        self._delete_volumes(
            self.dst,
            [v for v in self.dst.block_storage.volumes() if v.name in names],
        )
        shutil.rmtree(os.path.join(self.data_dir, 'volume_logs'))

    def assertInvariants(self, sources, what):
        with open(
            os.path.join(self.data_dir, 'volume_logs', 'journal.yml')
        ) as f:
            journal = yaml.safe_load(f)['volumes']
        names = {v.name for v, _ in sources}
        copies = {}
        for v in self.dst.block_storage.volumes():
            if v.name in names:
                copies.setdefault(v.name, []).append(v)
        for volume, known in sources:
            found = copies.get(volume.name, [])
            self.assertEqual(
                1,
                len(found),
                '%s: destination volumes named %s: %s'
                % (what, volume.name, [v.id for v in found]),
            )
            [copy] = found
            self.assertEqual('available', copy.status, what)
            self.assertEqual(
                ('done', copy.id),
                (
                    journal[volume.id]['state'],
                    journal[volume.id]['dest_id'],
                ),
                what,
            )
            source = self.src.block_storage.get_volume(volume.id)
            self.assertEqual(
                ('available', []),
                (source.status, source.attachments or []),
                what,
            )
            dst_path = test_volumes.backing_file('r2', copy.id)
            with open(dst_path, 'rb') as f:
                for offset, data in known.items():
                    f.seek(offset)
                    self.assertEqual(data, f.read(len(data)), what)
            self.assertEqual(
                '',
                workloads.compare(
                    test_volumes.backing_file('r1', volume.id), dst_path, {}
                ),
                '%s: bytes of %s' % (what, volume.name),
            )
        for side, conn in (('src', self.src), ('dst', self.dst)):
            self.assertEqual(
                [],
                [
                    a.volume_id
                    for a in conn.compute.volume_attachments(
                        self.hosts.server_ids[side]
                    )
                ],
                '%s: left attached to the %s conversion host' % (what, side),
            )
            ours = [v.id for v, _ in sources]
            self.assertEqual(
                [],
                [
                    i.name
                    for i in conn.image.images()
                    if (i.name or '').startswith(TEMP_PREFIX)
                    and any(o in i.name for o in ours)
                ],
                '%s: temporary images left in %s' % (what, side),
            )

    # -- the tests ----------------------------------------------------------

    def test_killed_imports_are_finished_by_the_next_run(self):
        sources = self._sources()
        duration = self._complete(sources, 'a clean run')
        self._forget(sources)
        rng = random.Random(KILL_SEED)  # noqa: S311 -- reproducible moments
        for i in range(KILLS):
            kill_at = rng.uniform(0, duration)
            what = 'killed at %.1f s (of %.1f)' % (kill_at, duration)
            rc, stderr, _, killed = self._run(kill_at=kill_at)
            if not killed:
                # Faster than measured: it must have finished the job.
                self.assertEqual(0, rc, stderr)
            self._complete(sources, what)
            if i < KILLS - 1:
                self._forget(sources)

    def test_api_faults(self):
        sources = self._sources()
        faults = faultproxy.Faults(
            FAULT_SEED, FAULT_RATE, delay=API_TIMEOUT + 1
        )
        proxy = faultproxy.Proxy(faultproxy.DEVCLOUD_ENDPOINTS, faults).start()
        self.addCleanup(proxy.stop)
        proxied = faultproxy.devcloud_clouds_yaml(
            self.clouds_yaml,
            os.path.join(self.data_dir, 'clouds-proxied.yaml'),
            proxy,
            API_TIMEOUT,
        )
        runs = 0
        while faults.total < FAULTS_WANTED and runs < FAULT_RUNS:
            runs += 1
            rc, stderr, _, _ = self._run(clouds_yaml=proxied)
            # Succeeded through the faults, or failed with a message.
            self.assertNotIn('Traceback', stderr)
            if rc == 0:
                self.assertInvariants(sources, 'succeeded through faults')
                self._forget(sources)
            else:
                self.assertTrue(stderr.strip(), 'failed without a word')
        self.assertGreaterEqual(faults.total, FAULTS_WANTED, faults.summary())
        faults.enabled = False
        rc, stderr, _, _ = self._run(clouds_yaml=proxied)
        self.assertEqual(0, rc, stderr)
        self.assertInvariants(sources, 'the rerun after %d faults' % runs)
