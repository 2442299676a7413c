"""Benchmark: the pool's throughput, 1, 2 and 4 pairs of conversion hosts.

Issue 17: this machine's two cores are shared by both clouds and every
host, so each loopback host's link is capped with ``tc`` (``--rate``,
150 Mbit/s by default, as a host's share of a NIC), so that the hosts and
not the machine are the limit: four pairs of 400 Mbit/s would send more
than this machine can encrypt, copy and hash (its cores were 95 % busy
at 111 MiB/s).  ``--volumes`` detached volumes of
``--size-gib`` GiB holding ``--data-mib`` MiB of random data each are
copied with ``migrate import volume --parallel <2 x pairs> --per-host 2``
by pools of 1, 2 and 4 pairs (``--pairs``).  Targets, relative to one pair
in the same run: aggregate throughput >= 1.8x with 2 pairs, >= 3.2x with
4 pairs; bytes identical.

Sets everything up itself, all named ``bench-pool-<random>-*``: the
networks of the workloads benchmark, one pool deployed once with
``deploy --count <most pairs>``; each round runs in a data directory of
its own whose ``hosts.yml`` holds only the round's pairs (1..n), with the
export's ``detached_volumes.yml``.  Per round: the wall time of the
command (start-up and verification included), the aggregate MiB/s of
data, the ratio to the 1-pair round, how busy the machine's CPUs were
(``/proc/stat``) during the round and in the few seconds before it (the
rest of the machine's load), the CPU seconds by whose processes, and every
destination volume compared with its source (backing files).  The
destination volumes are deleted between rounds.  Everything made is
removed at the end, Ctrl-C included, unless ``--keep``::

    .venv/bin/python tools/bench/pool.py [--volumes 8] [--size-gib 1]
        [--data-mib 512] [--pairs 1,2,4] [--rate 150mbit] [--repeat 1]
        [--quick] [--keep] [--results DIR] [--src src] [--dst dst]

``--quick``: 2 volumes of 1 GiB holding 128 MiB, pools of 1 and 2 pairs.
Run it as root on the machine of the development cloud.  Asserts nothing
(exits 1 if a command failed or copied wrong bytes).
"""

import argparse
import datetime
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import openstack
import yaml

from osmigrateclient import datadir
from osmigrateclient.transfer import conversion_host
from osmigrateclient.transfer import ssh

# The workload benchmark's setup and helpers (this directory is on
# sys.path when a benchmark runs as a script).
from blockcopy import backing_file  # noqa: E402
from blockcopy import devcloud_home  # noqa: E402
import workloads  # noqa: E402

MiB, GiB = workloads.MiB, workloads.GiB
#: the data: blocks of this size, spread evenly over each volume
BLOCK = 8 * MiB
#: issue 17: aggregate throughput relative to one pair
TARGETS = {2: 1.8, 4: 3.2}
#: seconds of /proc/stat before each round: the machine's other load
IDLE_SAMPLE = 5.0
OPENSTACK = os.path.join(os.path.dirname(sys.executable), 'openstack')
#: the file of the export (volume resources' data file)
DETACHED_VOLUMES = 'detached_volumes.yml'
#: a volume log's line: its time and text
LINE = re.compile(r'(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) \S+ (.*)')
COPIED = re.compile(r'Copied .*: \d+ bytes in ([\d.]+) s \((\d+) bytes sent')
RATE = re.compile(r'(\d+(?:\.\d+)?)(k|m|g)?(bit|bps)\Z', re.IGNORECASE)


def copy_window(logs):
    """(seconds from the first copy's start to the last copy's end, bytes
    sent over SSH, [seconds of each copy]) from a run's volume logs."""
    starts, ends, sent, seconds = [], [], 0, []
    for name in sorted(os.listdir(logs)) if os.path.isdir(logs) else []:
        if not name.endswith('.log'):
            continue
        with open(os.path.join(logs, name), encoding='utf-8') as f:
            for raw in f:
                m = LINE.match(raw)
                if not m:
                    continue
                when = datetime.datetime.strptime(
                    m.group(1), '%Y-%m-%d %H:%M:%S,%f'
                )
                if m.group(2).startswith('Copying '):
                    starts.append(when)
                copied = COPIED.match(m.group(2))
                if copied:
                    ends.append(when)
                    seconds.append(float(copied.group(1)))
                    sent += int(copied.group(2))
    if not starts or not ends:
        return float('nan'), 0, seconds
    return (max(ends) - min(starts)).total_seconds(), sent, seconds


def rate_bytes(text):
    """Bytes per second of a tc rate (``400mbit``, ``1gbit``, ``50mbps``),
    or None."""
    m = RATE.match(text)
    if not m:
        return None
    scale = {None: 1, 'k': 1e3, 'm': 1e6, 'g': 1e9}[
        m.group(2) and m.group(2).lower()
    ]
    value = float(m.group(1)) * scale
    return value / 8 if m.group(3).lower() == 'bit' else value


class Round:
    """One import by a pool of ``pairs`` pairs."""

    def __init__(self, pairs):
        self.pairs = pairs
        self.rc = None
        self.wall = float('nan')
        self.cpu = float('nan')
        self.idle_cpu = float('nan')
        self.load = ''
        self.cpu_groups = {}
        #: from the volume logs: the copies' window, what they sent
        self.window = float('nan')
        self.sent = 0
        self.copy_seconds = []
        self.problems = []


class Bench(workloads.Bench):
    def __init__(self, args):
        # (workloads.Bench's own, with this benchmark's prefix)
        self.args = args
        self.prefix = 'bench-pool-%s' % secrets.token_hex(4)
        self.conns = {
            'src': openstack.connect(cloud=args.src),
            'dst': openstack.connect(cloud=args.dst),
        }
        self.regions = {'src': 'r1', 'dst': 'r2'}
        self.data_dir = tempfile.mkdtemp(prefix=self.prefix + '-')
        self.results = args.results or tempfile.mkdtemp(
            prefix=self.prefix + '-results-'
        )
        os.makedirs(self.results, exist_ok=True)
        self.known = {}
        self.counter = None
        self.round_dirs = []
        #: source volume name -> id
        self.volumes = {}

    def volume_name(self, i):
        return self.name('vol', '%02d' % i)

    def volume_regex(self):
        return r'^%s-\d+$' % re.escape(self.name('vol'))

    def seed(self):
        """The detached source volumes, each with --data-mib of random
        data in blocks spread evenly over it."""
        args, conn = self.args, self.conns['src']
        made = [
            conn.block_storage.create_volume(
                name=self.volume_name(i),
                size=args.size_gib,
                volume_type=workloads.VOLUME_TYPE,
            )
            for i in range(args.volumes)
        ]
        blocks = max(1, args.data_mib * MiB // BLOCK)
        spacing = args.size_gib * GiB // blocks
        for v in made:
            self.wait_volume(conn, v.id, 'available')
            self.volumes[v.name] = v.id
            with open(backing_file('r1', v.id), 'r+b') as f:
                for k in range(blocks):
                    f.seek(k * spacing)
                    f.write(os.urandom(BLOCK))
                f.flush()
                os.fsync(f.fileno())

    def deploy(self, count):
        rc, _ = self.osc(
            [
                'migrate',
                'conversion',
                'host',
                'deploy',
                '--data-dir',
                self.data_dir,
                *self.clouds(),
                '--name',
                self.name('conv'),
                '--count',
                str(count),
                '--image',
                workloads.LOOPBACK_IMAGE,
                '--flavor',
                workloads.FLAVOR,
                '--network',
                self.name('conv'),
                '--no-floating-ip',
                '--allowed-cidr',
                workloads.migrator_address() + '/32',
            ],
            'deploy',
        )
        if rc:
            raise RuntimeError(
                'conversion host deploy failed: see %s/deploy.err'
                % self.results
            )

    def cap(self):
        """tc's token bucket on each conversion host's interface: what it
        sends is capped at --rate."""
        for server_id in sorted(self.conversion_host_ids()):
            netns = 'dc-%s' % server_id.replace('-', '')[:8]
            subprocess.run(
                ['ip', 'netns', 'exec', netns, 'tc', 'qdisc', 'replace']
                + ['dev', 'eth0', 'root', 'tbf', 'rate', self.args.rate]
                + ['burst', '1mb', 'latency', '100ms'],
                check=True,
            )

    def export(self):
        rc, _ = self.osc(
            [
                'migrate',
                'export',
                'volume',
                '--src-cloud',
                self.args.src,
                '--data-dir',
                self.data_dir,
                '--name-regex',
                self.volume_regex(),
            ],
            'export',
        )
        count = 0
        path = os.path.join(self.data_dir, DETACHED_VOLUMES)
        if not rc and os.path.exists(path):
            with open(path) as f:
                exported = yaml.safe_load(f) or {}
            count = len(exported.get('resources') or [])
        if rc or count != len(self.volumes):
            raise RuntimeError(
                'export failed (%d volumes): see %s/export.err'
                % (count, self.results)
            )

    def round_dir(self, pairs):
        """A data directory with the export and a hosts.yml holding pairs
        1..pairs only (the keys and known_hosts as deployed)."""
        path = tempfile.mkdtemp(prefix='%s-p%d-' % (self.prefix, pairs))
        self.round_dirs.append(path)
        shutil.copy2(
            os.path.join(self.data_dir, DETACHED_VOLUMES),
            os.path.join(path, DETACHED_VOLUMES),
        )
        shutil.copytree(
            ssh.conversion_dir(self.data_dir),
            ssh.conversion_dir(path),
            ignore=shutil.ignore_patterns('*.lock'),
        )
        hosts = conversion_host.hosts_path(path)
        with open(hosts) as f:
            doc = yaml.safe_load(f)
        wanted = {
            '%s-%d' % (side, n) if n > 1 else side
            for side in ('src', 'dst')
            for n in range(1, pairs + 1)
        }
        missing = wanted - set(doc['hosts'])
        if missing:
            raise RuntimeError(
                'the pool has no %s' % ', '.join(sorted(missing))
            )
        doc['hosts'] = {k: v for k, v in doc['hosts'].items() if k in wanted}
        with open(hosts, 'w') as f:
            yaml.safe_dump(doc, f, default_flow_style=False)
        os.chmod(hosts, 0o600)
        return path

    def run_round(self, pairs, label):
        rnd = Round(pairs)
        path = self.round_dir(pairs)
        before = workloads.cpu_times()
        time.sleep(IDLE_SAMPLE)
        busy, total = (
            b - a for a, b in zip(before, workloads.cpu_times(), strict=True)
        )
        rnd.idle_cpu = busy / max(total, 1)
        with open('/proc/loadavg') as f:
            rnd.load = ' '.join(f.read().split()[:3])
        netns = self.host_netns()
        procs = workloads.cpu_snapshot(netns)
        cpu = workloads.cpu_times()
        started = time.monotonic()
        argv = [
            OPENSTACK,
            'migrate',
            'import',
            'volume',
            '--data-dir',
            path,
            *self.clouds(),
            '--name-regex',
            self.volume_regex(),
            '--parallel',
            str(2 * pairs),
            '--per-host',
            '2',
            '-f',
            'json',
        ]
        with (
            open(os.path.join(self.results, label + '.out'), 'w') as out,
            open(os.path.join(self.results, label + '.err'), 'w') as err,
        ):
            rnd.rc = subprocess.run(argv, stdout=out, stderr=err).returncode
        rnd.wall = time.monotonic() - started
        busy, total = (
            b - a for a, b in zip(cpu, workloads.cpu_times(), strict=True)
        )
        rnd.cpu = busy / max(total, 1)
        rnd.cpu_groups = workloads.cpu_by_group(
            procs, workloads.cpu_snapshot(netns)
        )
        # the round's volume logs, for the record
        logs = os.path.join(path, datadir.VOLUME_LOGS)
        if os.path.isdir(logs):
            shutil.copytree(logs, os.path.join(self.results, label + '-logs'))
        rnd.window, rnd.sent, rnd.copy_seconds = copy_window(logs)
        if rnd.rc:
            rnd.problems.append(
                'import exited %d: see %s/%s.err'
                % (rnd.rc, self.results, label)
            )
        rnd.problems += self.verify_volumes()
        return rnd

    def verify_volumes(self):
        """Each destination volume holds its source's bytes."""
        found = {
            v.name: v.id
            for v in self.conns['dst'].block_storage.volumes()
            if v.name in self.volumes
        }
        problems = []
        for name, source_id in sorted(self.volumes.items()):
            if name not in found:
                problems.append('%s: no destination volume' % name)
                continue
            why = workloads.compare(
                backing_file('r1', source_id),
                backing_file('r2', found[name]),
                {},
            )
            if why:
                problems.append('%s: %s' % (name, why))
        return problems

    def reset_destination(self):
        self.delete_volumes(self.conns['dst'])

    def cleanup(self):
        super().cleanup()
        for path in self.round_dirs:
            shutil.rmtree(path, ignore_errors=True)


def report(rounds, args):
    data = args.volumes * args.data_mib
    cap = rate_bytes(args.rate)
    by_pairs = {}
    for rnd in rounds:
        by_pairs.setdefault(rnd.pairs, []).append(rnd)
    print(
        '\n%d volumes of %d GiB holding %d MiB of random data each (%d MiB '
        'in all); each host\'s link capped at %s; --per-host 2, --parallel '
        '2 x pairs; %d CPUs; %d round(s) per pool size (medians)'
        % (
            args.volumes,
            args.size_gib,
            args.data_mib,
            data,
            args.rate,
            os.cpu_count(),
            args.repeat,
        )
    )
    print(
        '%6s %9s %8s %8s %9s %8s %8s %8s %14s  %s'
        % (
            'pairs',
            'parallel',
            'wall s',
            'MiB/s',
            'caps MiB/s',
            'ratio',
            'cpu',
            'cpu before',
            'load before',
            'bytes',
        )
    )
    base = None
    medians = {}
    for pairs in sorted(by_pairs):
        runs = by_pairs[pairs]
        wall = statistics.median(r.wall for r in runs)
        rate = data / wall
        medians[pairs] = rate
        if base is None and pairs == 1:
            base = rate
        print(
            '%6d %9d %8.1f %8.1f %9s %7.2fx %7.0f%% %9.0f%% %14s  %s'
            % (
                pairs,
                2 * pairs,
                wall,
                rate,
                '%.1f' % (pairs * cap / MiB) if cap else '?',
                rate / base if base else float('nan'),
                100 * statistics.median(r.cpu for r in runs),
                100 * statistics.median(r.idle_cpu for r in runs),
                runs[-1].load,
                'OK'
                if not any(r.problems for r in runs)
                else 'WRONG (%d)' % sum(len(r.problems) for r in runs),
            )
        )
    print(
        '\n%6s %12s %14s %14s %14s'
        % ('pairs', 'copies s', 'copies MiB/s', 'copy s/vol', 'max')
    )
    for pairs in sorted(by_pairs):
        runs = by_pairs[pairs]
        window = statistics.median(r.window for r in runs)
        sent = statistics.median(r.sent for r in runs)
        per_volume = [s for r in runs for s in r.copy_seconds]
        print(
            '%6d %12.1f %14.1f %14.1f %14.1f'
            % (
                pairs,
                window,
                sent / MiB / window if window else float('nan'),
                statistics.median(per_volume) if per_volume else float('nan'),
                max(per_volume, default=float('nan')),
            )
        )
    print(
        'wall: the import command (start-up, attach, copy, verification by '
        'hashing both devices, detach); MiB/s: the data of all volumes over '
        'the wall time; caps MiB/s: the sum of the pairs\' source links; '
        'cpu: how busy the machine\'s CPUs were during the round (both '
        'clouds, the hosts, the migrator and whatever else runs here); cpu '
        'before: the same over %.0f s before the round (the rest of the '
        'machine\'s load); copies s: from the first copy\'s start to the '
        'last one\'s end (volume logs); copies MiB/s: the bytes sent over '
        'SSH meanwhile, over that window; copy s/vol: each copy, hashing '
        'included (median, max)' % IDLE_SAMPLE
    )
    groups = sorted({g for r in rounds for g in r.cpu_groups})
    print('\nCPU seconds by whose processes (last round of each size)')
    print(
        '%-48s' % 'processes'
        + ''.join('%10s' % ('%d pairs' % p) for p in sorted(by_pairs))
    )
    for group in groups:
        print(
            '%-48s' % group
            + ''.join(
                '%10.1f' % by_pairs[p][-1].cpu_groups.get(group, 0)
                for p in sorted(by_pairs)
            )
        )
    print(
        '%-48s' % 'the machine, at most (CPUs x wall)'
        + ''.join(
            '%10.1f' % ((os.cpu_count() or 1) * by_pairs[p][-1].wall)
            for p in sorted(by_pairs)
        )
    )
    print()
    for pairs in sorted(by_pairs):
        target = TARGETS.get(pairs)
        if target is None or not base:
            continue
        ratio = medians[pairs] / base
        print(
            '%s %d pairs: %.2fx the throughput of 1 pair (target >= %.1fx)'
            % (
                'MET    ' if ratio >= target else 'NOT MET',
                pairs,
                ratio,
                target,
            )
        )
    for rnd in rounds:
        for problem in rnd.problems:
            print('PROBLEM: %d pairs: %s' % (rnd.pairs, problem))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--src', default='src')
    parser.add_argument('--dst', default='dst')
    parser.add_argument('--volumes', type=int)
    parser.add_argument('--size-gib', type=int, default=1)
    parser.add_argument('--data-mib', type=int)
    parser.add_argument(
        '--pairs',
        help='pool sizes, comma-separated (default 1,2,4; the 1-pair '
        'round is the base of the ratios)',
    )
    parser.add_argument(
        '--rate',
        default='150mbit',
        help="each conversion host's link (tc rate; default 150mbit)",
    )
    parser.add_argument(
        '--repeat',
        type=int,
        default=1,
        help='rounds per pool size (medians are printed)',
    )
    parser.add_argument(
        '--quick',
        action='store_true',
        help='2 volumes of 1 GiB holding 128 MiB, pools of 1 and 2 pairs '
        '(unless given)',
    )
    parser.add_argument('--results')
    parser.add_argument('--keep', action='store_true')
    args = parser.parse_args()
    quick = args.quick
    args.volumes = args.volumes or (2 if quick else 8)
    args.data_mib = args.data_mib or (128 if quick else 512)
    pairs = [
        int(p)
        for p in (args.pairs or ('1,2' if quick else '1,2,4')).split(',')
    ]
    if args.data_mib > args.size_gib * 1024:
        parser.error('--data-mib is more than --size-gib holds')
    default_clouds = os.path.join(devcloud_home(), 'clouds.yaml')
    if 'OS_CLIENT_CONFIG_FILE' not in os.environ and os.path.exists(
        default_clouds
    ):
        os.environ['OS_CLIENT_CONFIG_FILE'] = default_clouds
    if shutil.which('tc') is None:
        workloads.say('no tc (iproute2) on this machine')
        return 1
    bench = Bench(args)

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    workloads.say(
        'prefix %s, data dir %s, results %s'
        % (bench.prefix, bench.data_dir, bench.results)
    )
    rounds = []
    try:
        t = time.monotonic()
        bench.networks()
        bench.seed()
        workloads.say(
            'seeded %d volumes in %.1f s'
            % (args.volumes, time.monotonic() - t)
        )
        t = time.monotonic()
        bench.deploy(max(pairs))
        bench.cap()
        workloads.say(
            'deployed %d pairs in %.1f s' % (max(pairs), time.monotonic() - t)
        )
        bench.export()
        for k in range(args.repeat):
            for n in pairs:
                if rounds:
                    bench.reset_destination()
                workloads.say('round %d: %d pair(s)' % (k + 1, n))
                rnd = bench.run_round(n, 'import-p%d-%d' % (n, k + 1))
                workloads.say(
                    '  rc %d in %.1f s, cpu %.0f%%'
                    % (rnd.rc, rnd.wall, 100 * rnd.cpu)
                )
                rounds.append(rnd)
    except KeyboardInterrupt:
        workloads.say('interrupted')
        return workloads.SIGINT_EXIT
    finally:
        if args.keep:
            workloads.say('kept everything named %s-*' % bench.prefix)
        else:
            t = time.monotonic()
            workloads.say('cleaning up')
            bench.cleanup()
            workloads.say('cleaned up in %.1f s' % (time.monotonic() - t))
    report(rounds, args)
    workloads.say('outputs and logs: %s' % bench.results)
    return 1 if any(r.problems for r in rounds) else 0


if __name__ == '__main__':
    sys.exit(main())
