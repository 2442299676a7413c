"""Fault campaign (issue 14): kill the migrator, break the APIs, kill a
conversion host's copy; then run the same command again and check that it
finished the job without duplicates, orphans or wrong bytes.

Sets everything up itself on the development cloud, all named
``chaos-<random>-*`` (the workload benchmark's set-up, reused: networks,
a router, ``--servers`` stopped servers with ``--size-gib`` volumes holding
random chunks, conversion hosts on loopback hosts), plus ``--volumes``
detached volumes for ``migrate import volume``.  Then, per phase:

``kills``
    ``--kills`` times, one of the two commands (``workload import
    --parallel 2`` and ``import volume --parallel 2``, alternating) is
    started and its whole process group killed with SIGKILL at a moment
    drawn uniformly over a clean run's duration (measured once per
    command); ``--kills-per-pair`` kills may hit the same import (the
    reruns too) before it is run to the end.
``faults``
    a fault-injecting proxy (``faultproxy.py``, on 127.0.0.1) in front of
    every endpoint of the cloud; ``--fault-rounds`` rounds per command of
    up to ``--fault-tries`` runs through it (``--fault-rate`` of the
    requests faulted), each of which must succeed or fail with a clear
    error (no traceback), then a run without faults to the end.
``host``
    ``--host-kills`` copies of a dense volume whose conversion host's NBD
    server (or the source host's SSH session) is killed mid-copy: the run
    must fail naming the host and the volume; the rerun completes.

After every completed run the invariants are checked: exactly one
destination server / volume per source, nothing left (temporary
snapshots, images and volumes, unattached ports and floating IPs,
attachments to the conversion hosts), the source servers SHUTOFF with
their volumes, the source volumes available, and every destination
backing file holding its source's bytes.  Then the destination is reset
for the next import.

    .venv/bin/python tools/chaos/campaign.py [--seed 1] [--kills 50]
        [--fault-rounds 10] [--fault-rate 0.05] [--host-kills 2] [--short]
        [--phase kills --phase faults --phase host] [--keep]

Prints each run and a summary; exits 1 if an invariant failed.  Run it as
root on the machine of the development cloud.
"""

import argparse
import collections
import contextlib
import json
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
# The benchmarks' helpers (workloads.py imports blockcopy.py's the same
# way).
sys.path.insert(0, os.path.join(TOP, 'tools', 'bench'))
sys.path.insert(0, HERE)

import blockcopy as bench_blockcopy  # noqa: E402
import faultproxy  # noqa: E402
import workloads  # noqa: E402

from osmigrateclient import datadir  # noqa: E402
from osmigrateclient.transfer import conversion_host  # noqa: E402
from osmigrateclient.workload import volume_journal  # noqa: E402

MiB = workloads.MiB
GiB = workloads.GiB
WAIT = 600
#: seconds a command may run before the campaign gives up on it
RUN_TIMEOUT = 1200
WORKLOAD, VOLUME = 'workload import', 'import volume'
COMMANDS = (WORKLOAD, VOLUME)


def say(text):
    print(text, file=sys.stderr, flush=True)


def openstack_cli():
    return os.path.join(os.path.dirname(sys.executable), 'openstack')


class Result:
    def __init__(self, rc, seconds, stdout, stderr, killed_at=None):
        self.rc = rc
        self.seconds = seconds
        self.stdout = stdout
        self.stderr = stderr
        self.killed_at = killed_at

    @property
    def killed(self):
        return self.killed_at is not None


def run_cli(argv, clouds_yaml, kill_at=None, timeout=RUN_TIMEOUT, log=None):
    """Run ``openstack ARGV`` in a new session; SIGKILL its process group
    ``kill_at`` seconds after the start if it still runs then."""
    env = {
        'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
        'HOME': os.environ.get('HOME', '/root'),
        'LANG': os.environ.get('LANG', 'C.UTF-8'),
        'OS_CLIENT_CONFIG_FILE': clouds_yaml,
    }
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(
            [openstack_cli()] + list(argv),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        killed_at = None
        try:
            if kill_at is not None:
                try:
                    proc.wait(timeout=kill_at)
                except subprocess.TimeoutExpired:
                    # The whole group: the CLI and its ssh children.
                    os.killpg(proc.pid, signal.SIGKILL)
                    killed_at = time.monotonic() - started
            rc = proc.wait(timeout=timeout)
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        result = Result(
            rc,
            seconds,
            out.read().decode(errors='replace'),
            err.read().decode(errors='replace'),
            killed_at,
        )
    if log is not None:
        with open(log, 'a') as f:
            f.write(
                '### %s rc=%s %.1fs killed_at=%s\n--- stdout\n%s\n--- '
                'stderr\n%s\n'
                % (
                    ' '.join(argv),
                    rc,
                    seconds,
                    killed_at,
                    result.stdout,
                    result.stderr,
                )
            )
    return result


def unclear(result):
    """Why a failed run's error is not clear, or ''."""
    if 'Traceback (most recent call last)' in result.stderr:
        return 'a traceback on stderr'
    if not result.stderr.strip() and not result.stdout.strip():
        return 'no message at all'
    return ''


# -- processes of the conversion hosts ----------------------------------------


def netns_inode(server_id):
    """The network namespace (inode) of a loopback host."""
    path = '/run/netns/dc-%s' % server_id.replace('-', '')[:8]
    return os.stat(path).st_ino


def host_processes(server_id, names):
    """{pid: command line} of the processes of a loopback host named
    so."""
    inode = netns_inode(server_id)
    found = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        pid = int(entry)
        try:
            if os.stat('/proc/%d/ns/net' % pid).st_ino != inode:
                continue
            with open('/proc/%d/comm' % pid) as f:
                comm = f.read().strip()
            with open('/proc/%d/cmdline' % pid, 'rb') as f:
                cmdline = f.read().replace(b'\0', b' ').decode().strip()
        except OSError:
            continue
        if comm in names:
            found[pid] = cmdline
    return found


def sshd_listener(server_id):
    path = os.path.join(
        bench_blockcopy.devcloud_home(),
        'run',
        'loopback',
        server_id,
        'sshd.pid',
    )
    with open(path) as f:
        return int(f.read().split()[0])


# -- the campaign -------------------------------------------------------------


class Campaign:
    def __init__(self, args):
        self.args = args
        # Seeded: a campaign is reproducible.
        self.rng = random.Random(args.seed)  # noqa: S311
        bench_args = argparse.Namespace(
            src='src',
            dst='dst',
            servers=args.servers,
            volumes_per_server=1,
            size_gib=1,
            results=None,
            keep=args.keep,
            parallel=[2],
        )
        self.bench = workloads.Bench(bench_args)
        # Our own prefix: what the cleanup removes is what we made.
        self.prefix = self.bench.prefix = 'chaos-%s' % secrets.token_hex(4)
        self.data_dir = self.bench.data_dir
        self.results = args.results or tempfile.mkdtemp(
            prefix=self.prefix + '-results-'
        )
        os.makedirs(self.results, exist_ok=True)
        self.log = os.path.join(self.results, 'runs.log')
        self.conns = self.bench.conns
        self.clouds_yaml = os.environ['OS_CLIENT_CONFIG_FILE']
        self.proxy = None
        self.faults = None
        self.proxy_yaml = None
        #: source volume id -> {offset: sha256} (bench.known too)
        self.known = self.bench.known
        self.volumes = []  # detached source volumes
        self.dense = []  # dense detached volumes (host phase)
        self.durations = {}
        self.stats = collections.Counter()
        self.problems = []
        self.fip_description = self.prefix + '-fip'

    # -- set-up ---------------------------------------------------------------

    def setup(self):
        t = time.monotonic()
        self.bench.networks()
        self.bench.seed()
        self.floating_ip()
        self.detached_volumes()
        say('seeded in %.1f s' % (time.monotonic() - t))
        t = time.monotonic()
        self.bench.deploy()
        say('deployed the conversion hosts in %.1f s' % (time.monotonic() - t))
        self.bench.export()
        for regex in (self.volume_regex(), self.dense_regex()):
            self.cli_ok(
                [
                    'migrate',
                    'export',
                    'volume',
                    '--data-dir',
                    self.data_dir,
                    '--src-cloud',
                    'src',
                    '--name-regex',
                    regex,
                ]
            )
        self.hosts = {
            side: record['server_id']
            for side, record in yaml.safe_load(
                open(conversion_host.hosts_path(self.data_dir))
            )['hosts'].items()
        }
        self.sources = {
            s.id: s
            for s in self.conns['src'].compute.servers()
            if re.match(
                r'^%s-\d+$' % re.escape(self.bench.name('vm')), s.name or ''
            )
        }
        self.source_volumes = {
            sid: sorted(
                a.volume_id
                for a in self.conns['src'].compute.volume_attachments(sid)
            )
            for sid in self.sources
        }

    def floating_ip(self):
        """A floating IP on the first server's port, so that the imports
        make one too."""
        conn = self.conns['src']
        server = conn.compute.find_server(
            self.bench.server_name(0), ignore_missing=False
        )
        [port] = list(conn.network.ports(device_id=server.id))
        public = conn.network.find_network('public', ignore_missing=False)
        conn.network.create_ip(
            floating_network_id=public.id,
            port_id=port.id,
            description=self.fip_description,
        )

    def volume_regex(self):
        return '^%s-vol-' % re.escape(self.prefix)

    def dense_regex(self):
        return '^%s-dense-' % re.escape(self.prefix)

    def detached_volumes(self):
        block = self.conns['src'].block_storage
        made = []
        for i in range(self.args.volumes):
            made.append(
                (
                    'vol',
                    block.create_volume(
                        name='%s-vol-%d' % (self.prefix, i),
                        size=1,
                        volume_type=workloads.VOLUME_TYPE,
                    ),
                )
            )
        if self.args.host_kills and 'host' in self.args.phase:
            made.append(
                (
                    'dense',
                    block.create_volume(
                        name='%s-dense-0' % self.prefix,
                        size=1,
                        volume_type=workloads.VOLUME_TYPE,
                    ),
                )
            )
        for kind, v in made:
            self.bench.wait_volume(self.conns['src'], v.id, 'available')
            path = bench_blockcopy.backing_file('r1', v.id)
            if kind == 'dense':
                # Dense: the copy lasts long enough to be hit.
                with open(path, 'r+b') as f:
                    for _ in range(GiB // (8 * MiB)):
                        f.write(os.urandom(8 * MiB))
                self.known[v.id] = {}
                self.dense.append(v)
            else:
                self.known[v.id] = workloads.write_chunks(
                    path, GiB, secrets.SystemRandom()
                )
                self.volumes.append(v)

    # -- commands -------------------------------------------------------------

    def common(self):
        return [
            '--data-dir',
            self.data_dir,
            '--src-cloud',
            'src',
            '--dst-cloud',
            'dst',
        ]

    def argv(self, command, regex=None):
        if command == WORKLOAD:
            return [
                'migrate',
                'workload',
                'import',
                *self.common(),
                '--parallel',
                '2',
                '-f',
                'json',
            ]
        return [
            'migrate',
            'import',
            'volume',
            *self.common(),
            '--name-regex',
            regex or self.volume_regex(),
            '--parallel',
            '2',
            '-f',
            'json',
        ]

    def cli_ok(self, argv, clouds_yaml=None):
        result = run_cli(argv, clouds_yaml or self.clouds_yaml, log=self.log)
        if result.rc:
            raise RuntimeError(
                'failed (%d): %s\n%s'
                % (result.rc, ' '.join(argv), result.stderr[-3000:])
            )
        return result

    def run(self, command, kill_at=None, clouds_yaml=None, regex=None):
        return run_cli(
            self.argv(command, regex),
            clouds_yaml or self.clouds_yaml,
            kill_at=kill_at,
            log=self.log,
        )

    # -- checks ---------------------------------------------------------------

    def mine(self, name):
        return (name or '').startswith(self.prefix + '-')

    def temporaries(self):
        """Temporary snapshots, volumes and images of our sources, in
        both clouds."""
        ours = set(self.known) | set(self.sources)
        left = []
        for side, conn in self.conns.items():
            items = [
                ('volume', v.id, v.name) for v in conn.block_storage.volumes()
            ]
            items += [
                ('snapshot', s.id, s.name)
                for s in conn.block_storage.snapshots()
            ]
            items += [('image', i.id, i.name) for i in conn.image.images()]
            for kind, id_, name in items:
                name = name or ''
                if not name.startswith(datadir.TEMP_PREFIX):
                    continue
                if any(o in name for o in ours):
                    left.append('%s %s %s %s' % (side, kind, id_, name))
        return left

    def host_attachments(self):
        left = []
        for side, server_id in self.hosts.items():
            conn = self.conns[side]
            for a in conn.compute.volume_attachments(server_id):
                left.append(
                    '%s conversion host has volume %s attached'
                    % (side, a.volume_id)
                )
        return left

    def check_workload(self):
        """The problems after a completed workload import."""
        problems = []
        src, dst = self.conns['src'], self.conns['dst']
        dst_servers = collections.defaultdict(list)
        for s in dst.compute.servers():
            if s.id not in self.hosts.values() and self.mine(s.name):
                dst_servers[s.name].append(s)
        by_name = {}
        for source in self.sources.values():
            found = dst_servers.pop(source.name, [])
            if len(found) != 1:
                problems.append(
                    '%d destination servers named %s'
                    % (len(found), source.name)
                )
                continue
            by_name[source.name] = found[0]
            if found[0].status != 'ACTIVE':
                problems.append(
                    'destination %s is %s' % (source.name, found[0].status)
                )
        for name in dst_servers:
            problems.append('unexpected destination servers %s' % name)
        # Volumes: one per source volume, attached to its server.
        src_vols = {
            v.id: v
            for v in src.block_storage.volumes()
            if v.id in {x for vs in self.source_volumes.values() for x in vs}
        }
        dst_vols = collections.defaultdict(list)
        for v in dst.block_storage.volumes():
            if self.mine(v.name) and '-vm-' in v.name:
                dst_vols[v.name].append(v)
        for sid, vids in self.source_volumes.items():
            source = self.sources[sid]
            # The source server: as it was, with its volumes.
            now = src.compute.get_server(sid)
            if now.status != source.status:
                problems.append(
                    'source %s is %s, was %s'
                    % (source.name, now.status, source.status)
                )
            attached = sorted(
                a.volume_id for a in src.compute.volume_attachments(sid)
            )
            if attached != vids:
                problems.append(
                    'source %s has volumes %s attached, not %s'
                    % (source.name, attached, vids)
                )
            server = by_name.get(source.name)
            for vid in vids:
                name = src_vols[vid].name
                copies = dst_vols.pop(name, [])
                if len(copies) != 1:
                    problems.append(
                        '%d destination volumes named %s' % (len(copies), name)
                    )
                    continue
                copy = copies[0]
                if server is not None and not any(
                    a.get('server_id') == server.id
                    for a in copy.attachments or []
                ):
                    problems.append(
                        'destination volume %s is not attached to %s'
                        % (copy.id, source.name)
                    )
                why = workloads.compare(
                    bench_blockcopy.backing_file('r1', vid),
                    bench_blockcopy.backing_file('r2', copy.id),
                    self.known.get(vid, {}),
                )
                self.stats['volumes compared'] += 1
                if why:
                    self.stats['volumes differing'] += 1
                    problems.append(
                        'volume %s -> %s: %s' % (vid, copy.id, why)
                    )
        for name, extra in dst_vols.items():
            problems.append(
                'orphan destination volumes %s: %s'
                % (name, [v.id for v in extra])
            )
        # Ports: every port of our network is a server's; one each.
        net = dst.network.find_network(self.bench.name('net'))
        ports = list(dst.network.ports(network_id=net.id)) if net else []
        servers_ports = collections.Counter()
        ours = {s.id for s in by_name.values()}
        for p in ports:
            if (p.device_owner or '').startswith('network:'):
                continue
            if p.device_id in ours:
                servers_ports[p.device_id] += 1
            else:
                problems.append(
                    'orphan port %s (device %r)' % (p.id, p.device_id)
                )
        for name, server in by_name.items():
            if servers_ports[server.id] != 1:
                problems.append(
                    '%s has %d ports' % (name, servers_ports[server.id])
                )
        # Floating IPs: the first server's port has one, nothing else.
        port_ids = {p.id for p in ports}
        fips = [
            f
            for f in dst.network.ips()
            if f.port_id in port_ids
            or (not f.port_id and f.description == self.fip_description)
        ]
        first = by_name.get(self.bench.server_name(0))
        wanted = (
            [p.id for p in ports if first and p.device_id == first.id]
            if first
            else []
        )
        if sorted(f.port_id for f in fips) != sorted(wanted):
            problems.append(
                'floating IPs: %s'
                % [(f.floating_ip_address, f.port_id) for f in fips]
            )
        problems += self.temporaries()
        problems += self.host_attachments()
        return problems

    def check_volumes(self, volumes=None):
        problems = []
        src, dst = self.conns['src'], self.conns['dst']
        volumes = self.volumes if volumes is None else volumes
        names = {v.name for v in volumes}
        dst_vols = collections.defaultdict(list)
        for v in dst.block_storage.volumes():
            if v.name in names:
                dst_vols[v.name].append(v)
        journal = volume_journal.Journal(self.data_dir)
        for v in volumes:
            now = src.block_storage.get_volume(v.id)
            if now.status != 'available' or now.attachments:
                problems.append(
                    'source volume %s is %s %s'
                    % (v.name, now.status, now.attachments)
                )
            copies = dst_vols.get(v.name, [])
            if len(copies) != 1:
                problems.append(
                    '%d destination volumes named %s: %s'
                    % (len(copies), v.name, [c.id for c in copies])
                )
                continue
            copy = copies[0]
            if copy.status != 'available':
                problems.append('%s is %s' % (copy.id, copy.status))
            record = journal.get(v.id)
            if (record.get('state'), record.get('dest_id')) != (
                'done',
                copy.id,
            ):
                problems.append('journal of %s: %s' % (v.name, record))
            why = workloads.compare(
                bench_blockcopy.backing_file('r1', v.id),
                bench_blockcopy.backing_file('r2', copy.id),
                self.known.get(v.id, {}),
            )
            self.stats['volumes compared'] += 1
            if why:
                self.stats['volumes differing'] += 1
                problems.append('volume %s -> %s: %s' % (v.id, copy.id, why))
        problems += self.temporaries()
        problems += self.host_attachments()
        return problems

    def check(self, command, volumes=None):
        if command == WORKLOAD:
            return self.check_workload()
        return self.check_volumes(volumes)

    # -- resets ---------------------------------------------------------------

    def reset(self, command, volumes=None):
        if command == WORKLOAD:
            self.reset_workload()
        else:
            self.reset_volumes(volumes)

    def reset_workload(self):
        dst = self.conns['dst']
        net = dst.network.find_network(self.bench.name('net'))
        if net is not None:
            port_ids = {p.id for p in dst.network.ports(network_id=net.id)}
            for f in list(dst.network.ips()):
                if f.port_id in port_ids or (
                    not f.port_id and f.description == self.fip_description
                ):
                    dst.network.delete_ip(f, ignore_missing=True)
        self.bench.delete_servers(dst, keep=set(self.hosts.values()))
        self.bench.delete_ports(dst)
        self.delete_dst_volumes(
            lambda v: self.mine(v.name) and '-vm-' in v.name
        )
        shutil.rmtree(
            os.path.join(self.data_dir, datadir.WORKLOAD_LOGS),
            ignore_errors=True,
        )

    def reset_volumes(self, volumes=None):
        volumes = self.volumes if volumes is None else volumes
        names = {v.name for v in volumes}
        self.delete_dst_volumes(lambda v: v.name in names)
        # The journal of these volumes only (the dense one may be done).
        journal = volume_journal.journal_path(self.data_dir)
        if os.path.exists(journal):
            with open(journal) as f:
                data = yaml.safe_load(f) or {}
            for v in volumes:
                (data.get('volumes') or {}).pop(v.id, None)
            with open(journal, 'w') as f:
                yaml.safe_dump(data, f)

    def delete_dst_volumes(self, which):
        block = self.conns['dst'].block_storage
        volumes = [v for v in block.volumes() if which(v)]
        for v in volumes:
            for a in v.attachments or []:
                # An orphan attachment: detach it, or it cannot go.
                self.conns['dst'].compute.delete_volume_attachment(
                    a['server_id'], v.id, ignore_missing=True
                )
        for v in volumes:
            deadline = time.monotonic() + WAIT
            while v.status not in ('available', 'error', 'error_deleting'):
                if time.monotonic() > deadline:
                    break
                time.sleep(0.5)
                v = block.get_volume(v.id)
            block.delete_volume(v, ignore_missing=True)
        for v in volumes:
            block.wait_for_delete(v, wait=WAIT)

    # -- phases ---------------------------------------------------------------

    def record(self, what, problems):
        if problems:
            self.stats['invariant checks failed'] += 1
            self.keep_logs(what)
            for p in problems:
                self.problems.append('%s: %s' % (what, p))
                say('  PROBLEM %s' % p)
        else:
            self.stats['invariant checks passed'] += 1

    def keep_logs(self, what):
        """Keep the data dir's journals and logs of a failed check."""
        where = os.path.join(
            self.results, 'failed-%d' % self.stats['invariant checks failed']
        )
        for sub in (datadir.WORKLOAD_LOGS, datadir.VOLUME_LOGS):
            path = os.path.join(self.data_dir, sub)
            if os.path.isdir(path):
                shutil.copytree(path, os.path.join(where, sub))
        os.makedirs(where, exist_ok=True)
        with open(os.path.join(where, 'what'), 'w') as f:
            f.write(what + '\n')

    def complete(
        self, command, what, clouds_yaml=None, regex=None, volumes=None
    ):
        """Run a command to the end and check the invariants."""
        result = self.run(command, clouds_yaml=clouds_yaml, regex=regex)
        problems = []
        if result.rc:
            problems.append(
                'the rerun failed (%d): %s'
                % (result.rc, result.stderr.strip()[-500:])
            )
            self.stats['reruns failed'] += 1
        problems += self.check(command, volumes)
        self.record(what, problems)
        return result

    def measure(self, command):
        say('%s: a clean run to measure it' % command)
        result = self.complete(command, '%s clean run' % command)
        self.durations[command] = result.seconds
        say('  %.1f s' % result.seconds)
        self.reset(command)

    def kills(self):
        for command in COMMANDS:
            self.measure(command)
        per = max(1, self.args.kills_per_pair)
        done = attempts = pair = 0
        # Only real kills count; a run faster than measured is tried again.
        while done < self.args.kills and attempts < 3 * self.args.kills:
            command = COMMANDS[pair % 2]
            pair += 1
            duration = self.durations[command]
            moments = []
            for _ in range(min(per, self.args.kills - done)):
                kill_at = self.rng.uniform(0, duration)
                attempts += 1
                result = self.run(command, kill_at=kill_at)
                if result.killed:
                    done += 1
                    self.stats['kill points'] += 1
                    self.stats['kill points (%s)' % command] += 1
                    moments.append('%.1f' % kill_at)
                else:
                    self.stats['kill too late (run ended first)'] += 1
                    moments.append(
                        '%.1f (ended at %.1f, rc %d)'
                        % (kill_at, result.seconds, result.rc)
                    )
                    if not moments[:-1]:
                        # A whole run: the machine's pace now.
                        self.durations[command] = result.seconds
            say(
                '%s: killed at %s s of %.1f; rerun'
                % (command, ', '.join(moments), duration)
            )
            self.complete(
                command, '%s killed at %s' % (command, ', '.join(moments))
            )
            self.reset(command)

    def start_proxy(self):
        late = faultproxy.IDEMPOTENT
        if self.args.lost_posts:
            # Creates whose answer is lost: the hardest case for a rerun.
            late += ('POST',)
        self.faults = faultproxy.Faults(
            self.args.seed,
            self.args.fault_rate,
            methods=None,
            delay=self.args.api_timeout + 1,
            late_methods=late,
            # Each delay costs a client timeout: fewer of them.
            weights={'delay': 0.2},
        )
        self.proxy = faultproxy.Proxy(
            faultproxy.DEVCLOUD_ENDPOINTS, self.faults
        ).start()
        self.proxy_yaml = faultproxy.devcloud_clouds_yaml(
            self.clouds_yaml,
            os.path.join(self.results, 'clouds-proxied.yaml'),
            self.proxy,
            self.args.api_timeout,
        )

    def fault_runs(self):
        self.start_proxy()
        for i in range(self.args.fault_rounds):
            command = COMMANDS[i % 2]
            before = self.faults.total
            outcomes = []
            for _ in range(self.args.fault_tries):
                self.faults.enabled = True
                result = self.run(command, clouds_yaml=self.proxy_yaml)
                self.stats['runs with faults'] += 1
                if result.rc == 0:
                    self.stats['runs with faults: succeeded'] += 1
                    outcomes.append('ok')
                    break
                self.stats['runs with faults: failed'] += 1
                why = unclear(result)
                outcomes.append('failed')
                if why:
                    self.stats['runs with faults: unclear error'] += 1
                    self.problems.append(
                        '%s with faults: %s: %s'
                        % (command, why, result.stderr.strip()[-1500:])
                    )
                    say('  UNCLEAR %s' % why)
            self.faults.enabled = False
            say(
                '%s round %d: %d faults, %s; rerun without faults'
                % (
                    command,
                    i,
                    self.faults.total - before,
                    ', '.join(outcomes),
                )
            )
            self.complete(
                command,
                '%s after faults (round %d)' % (command, i),
                clouds_yaml=self.proxy_yaml,
            )
            self.reset(command)
        self.proxy.stop()

    def host_kills(self):
        if not self.dense:
            return
        volume = self.dense[0]
        for i in range(self.args.host_kills):
            target = ('dst', ('nbdkit',)) if i % 2 == 0 else ('src', ('sshd',))
            side, names = target
            host = self.hosts[side]
            listener = sshd_listener(host)
            proc_argv = self.argv(VOLUME, self.dense_regex())
            env_yaml = self.clouds_yaml
            out = open(os.path.join(self.results, 'host-%d.err' % i), 'w+')
            proc = subprocess.Popen(
                [openstack_cli()] + proc_argv,
                env={
                    'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
                    'HOME': os.environ.get('HOME', '/root'),
                    'OS_CLIENT_CONFIG_FILE': env_yaml,
                },
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
            killed = {}
            deadline = time.monotonic() + WAIT
            try:
                while proc.poll() is None and time.monotonic() < deadline:
                    # The copy under way: its NBD server serving, its
                    # SSH sessions open (not nbdkit's probe of itself).
                    # Once bytes flow: before that the NBD server may be
                    # starting (the copy tries another one) and the source's
                    # sessions are the hash tool checks.
                    if self.copying(volume) and self.flowing(volume):
                        found = {
                            pid: cmdline
                            for pid, cmdline in host_processes(
                                host, names
                            ).items()
                            if pid != listener and '--version' not in cmdline
                        }
                        if found:
                            for pid in found:
                                with contextlib.suppress(ProcessLookupError):
                                    os.kill(pid, signal.SIGKILL)
                            killed = found
                            break
                    time.sleep(0.05)
                rc = proc.wait(timeout=RUN_TIMEOUT)
            finally:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            out.seek(0)
            text = out.read()
            out.close()
            what = 'conversion host %s: %s killed' % (
                side,
                '+'.join(names) if killed else 'nothing',
            )
            with open(os.path.join(self.results, 'host-%d.err' % i), 'a') as f:
                f.write('\nkilled: %s\n' % killed)
            say(what + ', rc %s' % rc)
            problems = []
            if not killed:
                problems.append(
                    'the copy ended before a kill: %s' % text[-500:]
                )
            else:
                self.stats['conversion host kills'] += 1
                if rc == 0:
                    # It rode the kill out: nothing to explain.
                    self.stats['conversion host kills: run recovered'] += 1
                else:
                    label = conversion_label(self.data_dir, side)
                    missing = [
                        x for x in (label, volume.name) if x not in text
                    ]
                    if 'Traceback' in text or missing:
                        problems.append(
                            'the error does not name %s%s: %s'
                            % (
                                missing,
                                ' (traceback)' if 'Traceback' in text else '',
                                text.strip()[-800:],
                            )
                        )
                        self.stats['conversion host kills: unclear error'] += 1
            self.complete(
                VOLUME,
                what + ', rerun',
                regex=self.dense_regex(),
                volumes=self.dense,
            )
            for p in problems:
                self.problems.append('%s: %s' % (what, p))
                say('  PROBLEM %s' % p)
            self.reset(VOLUME, self.dense)

    def copying(self, volume):
        """The volume's log says its byte copy began."""
        path = volume_journal.log_path(self.data_dir, volume.id)
        try:
            with open(path) as f:
                text = f.read()
        except FileNotFoundError:
            return False
        # Only this run's part of the log.
        return ' Copying ' in text[text.rfind('Importing volume') :]

    def flowing(self, volume):
        path = volume_journal.log_path(self.data_dir, volume.id)
        try:
            with open(path) as f:
                text = f.read()
        except FileNotFoundError:
            return False
        at = text.rfind(' Copying ')
        return at >= 0 and '%  ' in text[at:]

    # -- cleanup --------------------------------------------------------------

    def cleanup(self):
        if self.proxy is not None:
            with contextlib.suppress(Exception):
                self.proxy.stop()
        if self.args.keep:
            say(
                'kept everything named %s-* and %s'
                % (self.prefix, self.data_dir)
            )
            return
        say('cleaning up')
        with contextlib.suppress(Exception):
            self.reset_workload()
        self.bench.cleanup()
        for conn in self.conns.values():
            for f in list(conn.network.ips()):
                if f.description == self.fip_description:
                    conn.network.delete_ip(f, ignore_missing=True)

    def summary(self):
        print()
        print('seed %d, results in %s' % (self.args.seed, self.results))
        for key in sorted(self.stats):
            print('%-45s %d' % (key, self.stats[key]))
        if self.faults is not None:
            print(self.faults.summary())
            with open(os.path.join(self.results, 'faults.json'), 'w') as f:
                json.dump(
                    {
                        ' '.join(k): v
                        for k, v in sorted(self.faults.where.items())
                    },
                    f,
                    indent=1,
                )
        print(
            'durations of clean runs: %s'
            % {k: round(v, 1) for k, v in self.durations.items()}
        )
        print('%d problems' % len(self.problems))
        for p in self.problems:
            print('  ' + p)


def conversion_label(data_dir, side):
    """How the tool names a conversion host in messages."""
    hosts = conversion_host.load_hosts(data_dir)
    return conversion_host.ssh_host(data_dir, hosts[side]).label


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--kills', type=int, default=50)
    parser.add_argument('--kills-per-pair', type=int, default=1)
    parser.add_argument('--fault-rounds', type=int, default=10)
    parser.add_argument('--fault-tries', type=int, default=3)
    parser.add_argument('--fault-rate', type=float, default=0.05)
    parser.add_argument('--api-timeout', type=float, default=6.0)
    parser.add_argument(
        '--lost-posts',
        action='store_true',
        help='lost answers and delays hit POST requests too (default: '
        'idempotent methods only)',
    )
    parser.add_argument('--host-kills', type=int, default=2)
    parser.add_argument('--servers', type=int, default=2)
    parser.add_argument('--volumes', type=int, default=2)
    parser.add_argument(
        '--phase',
        action='append',
        choices=('kills', 'faults', 'host'),
        help='default: all three',
    )
    parser.add_argument(
        '--short',
        action='store_true',
        help='a few of each: 4 kills, 2 fault rounds, 1 host kill',
    )
    parser.add_argument('--results')
    parser.add_argument('--keep', action='store_true')
    args = parser.parse_args()
    args.phase = args.phase or ['kills', 'faults', 'host']
    if args.short:
        args.kills, args.fault_rounds, args.host_kills = 4, 2, 1
    default_clouds = os.path.join(
        bench_blockcopy.devcloud_home(), 'clouds.yaml'
    )
    os.environ.setdefault('OS_CLIENT_CONFIG_FILE', default_clouds)
    campaign = Campaign(args)

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    say(
        'prefix %s, data dir %s, results %s'
        % (campaign.prefix, campaign.data_dir, campaign.results)
    )
    try:
        campaign.setup()
        if 'kills' in args.phase:
            campaign.kills()
        if 'faults' in args.phase:
            campaign.fault_runs()
        if 'host' in args.phase:
            campaign.host_kills()
    except KeyboardInterrupt:
        say('interrupted')
    finally:
        campaign.cleanup()
        campaign.summary()
    return 1 if campaign.problems else 0


if __name__ == '__main__':
    sys.exit(main())
