"""Benchmark: warm migration against cold, on the development cloud.

Issue 16: one server with an 8 GiB data volume holding 4 GiB of data;
``workload sync``; a sync with nothing changed; 2 % of the data changed
by scattered 64 KiB writes while it "runs"; the cutover (``workload import
--stop``).  In the same run, the cold import of an identical server.  The
link of each conversion host is capped with ``tc`` (``--rate``, 1 Gbit/s
by default, as an inter-cloud link), so that the network and not this
machine's shared disk is the scarce resource.

Targets printed with the figures:

- downtime of the warm cutover <= 1/4 of the cold import's;
- bytes sent by the final pass <= 1.2 x the changed bytes (the hash lists
  travel on other SSH sessions and are not counted: stricter);
- a sync pass with nothing changed sends < 1 MiB; its time is printed
  beside the time to read both volumes once, at once;
- the first sync pass within +-10 % of the cold copy of the same volume.

Sets everything up itself, all named ``bench-wl-<random>-*`` (the
workloads benchmark's setup), and removes it at the end unless
``--keep``::

    .venv/bin/python tools/bench/warm.py [--size-gib 8] [--data-gib 4]
        [--changed 0.02] [--rate 1gbit] [--keep] [--results DIR]

Run it as root on the machine of the development cloud.  Asserts nothing
(exits 1 if a command failed or copied wrong bytes).
"""

import argparse
import concurrent.futures
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time

import yaml

from osmigrateclient.workload import journal
from osmigrateclient.workload import sync_journal

# The workload benchmark's setup and helpers (this directory is on
# sys.path when a benchmark runs as a script).
from blockcopy import backing_file  # noqa: E402
from blockcopy import devcloud_home  # noqa: E402
from blockcopy import drop_caches  # noqa: E402
import workloads  # noqa: E402

MiB, GiB = workloads.MiB, workloads.GiB
#: the data: blocks of this size, spread evenly over the volume
BLOCK = 64 * MiB
#: the writes while the server "runs"
WRITE = 64 * 1024
WARM, COLD = 'warm', 'cold'


def active_file(volume_id):
    """The file the (fake) guest writes and its format: a qcow2 overlay
    while a snapshot exists, raw again afterwards
    (tools/devcloud/README.rst)."""
    path = backing_file('r1', volume_id)
    try:
        with open(path + '.info') as f:
            path = os.path.join(os.path.dirname(path), json.load(f)['active'])
    except FileNotFoundError:
        return path, 'raw'
    info = subprocess.run(
        ['qemu-img', 'info', '-U', '--output=json', path],
        check=True,
        capture_output=True,
        text=True,
    )
    return path, json.loads(info.stdout)['format']


class Bench(workloads.Bench):
    def seed(self):
        """The two servers, running, each with its data volume holding the
        same bytes."""
        args, conn = self.args, self.conns['src']
        compute, block = conn.compute, conn.block_storage
        image = conn.image.find_image(workloads.IMAGE, ignore_missing=False)
        flavor = compute.find_flavor(workloads.FLAVOR, ignore_missing=False)
        net = conn.network.find_network(self.name('net'), ignore_missing=False)
        self.servers, self.volumes = {}, {}
        for kind in (WARM, COLD):
            self.servers[kind] = compute.create_server(
                name=self.name(kind),
                image_id=image.id,
                flavor_id=flavor.id,
                networks=[{'uuid': net.id}],
            )
            self.volumes[kind] = block.create_volume(
                name=self.name(kind, 'data'),
                size=args.size_gib,
                volume_type=workloads.VOLUME_TYPE,
            )
        for kind in (WARM, COLD):
            self.wait_volume(conn, self.volumes[kind].id, 'available')
        blocks = int(args.data_gib * GiB) // BLOCK
        spacing = args.size_gib * GiB // blocks
        self.blocks = [k * spacing for k in range(blocks)]
        files = [
            open(backing_file('r1', self.volumes[k].id), 'r+b')
            for k in (WARM, COLD)
        ]
        try:
            for offset in self.blocks:
                data = os.urandom(BLOCK)
                for f in files:
                    f.seek(offset)
                    f.write(data)
            for f in files:
                f.flush()
                os.fsync(f.fileno())
        finally:
            for f in files:
                f.close()
        for kind in (WARM, COLD):
            server = compute.wait_for_server(
                self.servers[kind],
                status='ACTIVE',
                failures=['ERROR'],
                wait=workloads.WAIT,
            )
            compute.create_volume_attachment(
                server, volume_id=self.volumes[kind].id
            )
        for kind in (WARM, COLD):
            self.wait_volume(conn, self.volumes[kind].id, 'in-use')

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
                'workload',
                'export',
                '--src-cloud',
                self.args.src,
                '--data-dir',
                self.data_dir,
                '--name-regex',
                '^%s-(warm|cold)$' % self.prefix,
            ],
            'export',
        )
        if rc:
            raise RuntimeError('export failed: see %s' % self.results)

    def sync(self, label):
        """One sync pass of the warm server; the journal's last pass."""
        rc, _ = self.osc(
            [
                'migrate',
                'workload',
                'sync',
                '--data-dir',
                self.data_dir,
                *self.clouds(),
                '--name',
                self.name(WARM),
            ],
            label,
        )
        if rc:
            raise RuntimeError('%s failed: see %s' % (label, self.results))
        path = sync_journal.path_of(self.data_dir, self.servers[WARM].id)
        with open(path) as f:
            record = yaml.safe_load(f)['volumes'][self.volumes[WARM].id]
        return dict(record['last'], dest_volume=record['dest_volume'])

    def change(self):
        """Scattered 64 KiB writes into the warm server's data, --changed
        of it; the bytes written."""
        rng = secrets.SystemRandom()
        slots = [
            offset + k * WRITE
            for offset in self.blocks
            for k in range(BLOCK // WRITE)
        ]
        count = int(len(slots) * self.args.changed)
        path, fmt = active_file(self.volumes[WARM].id)
        commands = []
        for offset in sorted(rng.sample(slots, count)):
            # a byte pattern: never what the random data held
            commands += [
                '-c',
                'write -q -P %d %d %d' % (rng.randrange(256), offset, WRITE),
            ]
        for k in range(0, len(commands), 2000):
            subprocess.run(
                ['qemu-io', '-f', fmt, *commands[k : k + 2000], path],
                check=True,
            )
        return count * WRITE

    def cutover(self, kind):
        """workload import --stop of one server; its report entry."""
        report = os.path.join(self.results, 'import-%s.json' % kind)
        rc, _ = self.osc(
            [
                'migrate',
                'workload',
                'import',
                '--data-dir',
                self.data_dir,
                *self.clouds(),
                '--name',
                self.name(kind),
                '--stop',
                '--report',
                report,
                '-f',
                'json',
            ],
            'import-%s' % kind,
        )
        workloads.close_server_logs()
        with open(report) as f:
            [server] = json.load(f)['servers']
        # the server's own log (each step, the last pass's phases)
        log = journal.log_path(self.data_dir, server['source_id'])
        if os.path.exists(log):
            shutil.copy(
                log, os.path.join(self.results, 'import-%s.log' % kind)
            )
        if rc or server.get('action') != 'created':
            raise RuntimeError(
                'import of %s: %s %s'
                % (kind, server.get('action'), server.get('detail'))
            )
        return server

    def same_bytes(self, kind, dest_id):
        path, fmt = active_file(self.volumes[kind].id)
        done = subprocess.run(
            ['qemu-img', 'compare', '-U', '-f', fmt, '-F', 'raw', path]
            + [backing_file('r2', dest_id)],
            capture_output=True,
            text=True,
        )
        return done.returncode == 0, (done.stdout + done.stderr).strip()

    def read_seconds(self, dest_id):
        """Seconds to read the volume's data on both sides at once
        (the page cache dropped first)."""
        # (the cold server's volume holds the same data in a raw file; the
        # warm one's is under qcow2 overlays by now)
        paths = [backing_file('r1', self.volumes[COLD].id)]
        paths.append(backing_file('r2', dest_id))
        drop_caches()
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            list(pool.map(_read_data, paths))
        return time.monotonic() - started


def _read_data(path):
    with open(path, 'rb') as f:
        fd = f.fileno()
        size = os.fstat(fd).st_size
        for start, end in workloads.data_extents(fd, size):
            pos = start
            while pos < end:
                got = os.pread(fd, min(8 * MiB, end - pos), pos)
                if not got:
                    break
                pos += len(got)


def ratio(a, b):
    return a / b if b else float('inf')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--src', default='src')
    parser.add_argument('--dst', default='dst')
    parser.add_argument('--size-gib', type=int, default=8)
    parser.add_argument('--data-gib', type=float, default=4)
    parser.add_argument(
        '--changed',
        type=float,
        default=0.02,
        help='share of the data changed between the passes (default 0.02)',
    )
    parser.add_argument(
        '--rate',
        default='1gbit',
        help="each conversion host's link (tc rate; default 1gbit)",
    )
    parser.add_argument('--results')
    parser.add_argument('--keep', action='store_true')
    args = parser.parse_args()
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
    figures, problems = {}, []
    try:
        t = time.monotonic()
        bench.networks()
        bench.seed()
        workloads.say('seeded in %.1f s' % (time.monotonic() - t))
        bench.deploy()
        bench.cap()
        bench.export()
        figures['first'] = bench.sync('sync-1')
        workloads.say('first pass: %.1f s' % figures['first']['seconds'])
        figures['idle'] = bench.sync('sync-2')
        workloads.say('idle pass: %.1f s' % figures['idle']['seconds'])
        figures['read'] = bench.read_seconds(figures['first']['dest_volume'])
        figures['changed'] = bench.change()
        for kind in (WARM, COLD):
            server = bench.cutover(kind)
            figures[kind] = server
            workloads.say(
                '%s import: downtime %.1f s'
                % (kind, server['downtime_seconds'])
            )
            [volume] = server['volumes']
            ok, why = bench.same_bytes(kind, volume['dest_id'])
            if not ok:
                problems.append('%s: bytes differ: %s' % (kind, why))
    except KeyboardInterrupt:
        workloads.say('interrupted')
        return workloads.SIGINT_EXIT
    finally:
        if args.keep:
            workloads.say('kept everything named %s-*' % bench.prefix)
        else:
            workloads.say('cleaning up')
            bench.cleanup()
    report(figures, args)
    for p in problems:
        print('PROBLEM: %s' % p)
    return 1 if problems else 0


def report(figures, args):
    first, idle = figures['first'], figures['idle']
    warm, cold = figures[WARM], figures[COLD]
    [warm_volume], [cold_volume] = warm['volumes'], cold['volumes']
    changed = figures['changed']
    rows = [
        ('first sync pass', first['seconds'], first['bytes_sent']),
        ('sync pass, nothing changed', idle['seconds'], idle['bytes_sent']),
        (
            'cutover: final pass',
            warm_volume['seconds'],
            warm_volume.get('bytes_sent') or 0,
        ),
        (
            'cold import: copy',
            cold_volume['seconds'],
            cold_volume.get('bytes_sent') or 0,
        ),
    ]
    print(
        '\nwarm against cold: %d GiB volume, %.1f GiB data, %.1f MiB changed'
        ' in 64 KiB writes, links capped at %s'
        % (args.size_gib, args.data_gib, changed / MiB, args.rate)
    )
    print('%-30s %10s %14s' % ('', 'seconds', 'bytes sent'))
    for name, seconds, sent in rows:
        print('%-30s %10.1f %14d' % (name, seconds, sent))
    print(
        '%-30s %10.1f\n%-30s %10.1f'
        % (
            'downtime, warm cutover',
            warm['downtime_seconds'],
            'downtime, cold import',
            cold['downtime_seconds'],
        )
    )
    print('reading both volumes at once: %.1f s' % figures['read'])
    checks = [
        (
            'warm downtime / cold downtime',
            ratio(warm['downtime_seconds'], cold['downtime_seconds']),
            '<= 0.25',
            ratio(warm['downtime_seconds'], cold['downtime_seconds']) <= 0.25,
        ),
        (
            'final pass bytes / changed bytes',
            ratio(warm_volume.get('bytes_sent') or 0, changed),
            '<= 1.2',
            ratio(warm_volume.get('bytes_sent') or 0, changed) <= 1.2,
        ),
        (
            'idle pass MiB sent',
            (idle['bytes_sent'] or 0) / MiB,
            '< 1',
            (idle['bytes_sent'] or 0) < MiB,
        ),
        (
            'idle pass / reading both once',
            ratio(idle['seconds'], figures['read']),
            '(pass adds snapshot, attach)',
            True,
        ),
        (
            'first pass / cold copy',
            ratio(first['seconds'], cold_volume['seconds']),
            '0.9 .. 1.1',
            0.9 <= ratio(first['seconds'], cold_volume['seconds']) <= 1.1,
        ),
    ]
    print()
    for name, value, target, met in checks:
        print(
            '%-34s %8.3f  target %-28s %s'
            % (name, value, target, 'met' if met else 'NOT met')
        )


if __name__ == '__main__':
    sys.exit(main())
