"""Benchmark: block copy between conversion hosts against a naive dd | ssh dd.

Sets everything up itself on the development cloud, in one run:

1. a network per side and two loopback hosts deployed as conversion hosts
   by the library (``conversion_host.Hosts``: keys, keypairs, security
   groups, pinned host keys, the link), all named ``bench-bc-<random>``;
   ``--data-dir`` reuses the hosts an earlier ``--keep`` run left;
2. per case, a source volume of ``--size-gib`` GiB written through its
   backing file:

   - ``sparse``: 25% random data in 1 MiB chunks at random places, the
     rest holes;
   - ``zero-filled``: the same, but the rest is zeros written for real
     (the backing file is fully allocated);
   - ``dense``: random bytes throughout;

3. per case, ``--repeat`` times each method (alternating which goes
   first), each time into a fresh empty destination volume, both attached
   through Nova, the timed copy, verification included:

   - ``ours``: ``BlockCopy.copy(verify=True)`` into the new volume
     (``dest_is_zero``);
   - ``naive``: on the destination host, ``ssh <source host> dd if=<dev>
     bs=4M | dd of=<dev> bs=4M iflag=fullblock conv=fsync`` with a key of
     its own (the link key may run the copy's nbdcopy only) and the same
     cipher (``conv=fsync``: as durable as ours, which flushes), then
     ``xxh128sum <dev>`` on both hosts at once;

   with the bytes the source host sent meanwhile (the counters of its
   veth, the loopback host's only interface: TCP/IP headers, SSH and the
   migrator's commands included).  Before each copy the source device is
   read once, so both methods start with it in the page cache (``--cold``
   drops the page cache instead).

Prints a table (medians), the ratios and whether the targets of issue 6
are met, and removes everything it made, Ctrl-C included (``--keep``
leaves the hosts, never the volumes).

    .venv/bin/python tools/bench/blockcopy.py [--size-gib 4] [--repeat 1]
        [--case sparse] [--cold] [--keep] [--data-dir DIR] [--src src]
        [--dst dst]

Run it as root on the machine of the development cloud.  Asserts nothing.
"""

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import openstack

from osmigrateclient import progress as progress_mod
from osmigrateclient.transfer import blockcopy
from osmigrateclient.transfer import conversion_host
from osmigrateclient.transfer import host_scripts
from osmigrateclient.transfer import ssh

TOP = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
sys.path.insert(0, os.path.join(TOP, 'tools', 'devcloud', 'devcloud_drivers'))
from devcloud_drivers import loopback  # noqa: E402

MiB = 1024 * 1024
GiB = 1024 * MiB
IMAGE = 'devcloud-loopback'
FLAVOR = 'm1.tiny'
VOLUME_TYPE = 'nfs'
WAIT = 300
CASES = ('sparse', 'zero-filled', 'dense')
METHODS = ('ours', 'naive')
#: the naive method's private key on the destination host
BASELINE_KEY = '/root/.ssh/osm-bench.key'
#: (case, minimum ratio naive seconds / ours seconds) of issue 6
TARGETS = {'sparse': 5.0, 'zero-filled': 1.8, 'dense': 1.0}
#: zero-filled: bytes sent at most this times the non-zero data
SENT_TARGET = 1.1
DATA_SHARE = 0.25
CHUNK = MiB
#: what --keep leaves
KEPT = ('data dir', 'network', 'subnet', 'conversion host')


def devcloud_home():
    return os.environ.get('DEVCLOUD_HOME') or os.path.join(TOP, '.devcloud')


def backing_file(region, volume_id):
    return os.path.join(
        devcloud_home(),
        'data',
        region,
        'cinder',
        'nfs-export',
        'volume-%s' % volume_id,
    )


def migrator_address():
    out = subprocess.run(
        ['ip', '-4', '-o', 'addr', 'show', 'dev', loopback.BRIDGE],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return out[out.index('inet') + 1].split('/')[0]


def sent_bytes(server_id):
    """Bytes the loopback host ``server_id`` has sent (its veth's peer in
    the root namespace receives them)."""
    path = '/sys/class/net/%s/statistics/rx_bytes' % loopback.veth_name(
        server_id
    )
    with open(path) as f:
        return int(f.read())


def drop_caches():
    os.sync()
    with open('/proc/sys/vm/drop_caches', 'w') as f:
        f.write('3\n')


def wait_volume(conn, volume_id, *statuses):
    deadline = time.monotonic() + WAIT
    while True:
        volume = conn.block_storage.get_volume(volume_id)
        if volume.status in statuses:
            return volume
        if volume.status.startswith('error') or time.monotonic() > deadline:
            raise RuntimeError(
                'volume %s is %s, not %s'
                % (volume_id, volume.status, '/'.join(statuses))
            )
        time.sleep(0.5)


def fill(path, case, size, rng):
    """Write the case's bytes into a (sparse, all-hole) backing file;
    the number of non-zero bytes."""
    slots = size // CHUNK
    data = set(rng.sample(range(slots), int(slots * DATA_SHARE)))
    if case == 'dense':
        data = set(range(slots))
    with open(path, 'r+b') as f:
        if case == 'zero-filled':
            zeros = bytes(4 * MiB)
            for _ in range(size // len(zeros)):
                f.write(zeros)
        for slot in sorted(data):
            f.seek(slot * CHUNK)
            f.write(os.urandom(CHUNK))
        f.flush()
        os.fsync(f.fileno())
    return len(data) * CHUNK


class Bench:
    """What the benchmark made, removed in reverse order on exit."""

    def __init__(self, args):
        self.args = args
        self.prefix = 'bench-bc-%s' % secrets.token_hex(4)
        self.conns = {
            conversion_host.SRC: openstack.connect(cloud=args.src),
            conversion_host.DST: openstack.connect(cloud=args.dst),
        }
        self.undo = []
        self.runner = ssh.Runner()
        self.data_dir = args.data_dir
        self.hosts = None

    def say(self, text):
        print(text, file=sys.stderr, flush=True)

    # -- setup --------------------------------------------------------------

    def network(self, side, second_octets):
        conn = self.conns[side]
        net = conn.network.create_network(name=self.prefix + '-net')
        self.undo.append(
            ('network %s' % net.name, lambda: conn.network.delete_network(net))
        )
        subnet = conn.network.create_subnet(
            name=self.prefix + '-net',
            network_id=net.id,
            ip_version=4,
            cidr='10.%d.%d.0/24'
            % (
                second_octets[0]
                + secrets.randbelow(second_octets[1] - second_octets[0]),
                secrets.randbelow(256),
            ),
        )
        self.undo.append(
            (
                'subnet %s' % subnet.cidr,
                lambda: conn.network.delete_subnet(subnet),
            )
        )
        return net.name

    def deploy(self):
        if self.data_dir and os.path.exists(
            conversion_host.hosts_path(self.data_dir)
        ):
            self.hosts = conversion_host.Hosts(self.data_dir, self.runner)
            self.say('reusing the hosts of %s' % self.data_dir)
            self.baseline_key()
            return
        if not self.data_dir:
            self.data_dir = tempfile.mkdtemp(prefix=self.prefix + '-')
            path = self.data_dir
            self.undo.append(
                ('data dir %s' % path, lambda: shutil.rmtree(path))
            )
        self.hosts = conversion_host.Hosts(self.data_dir, self.runner)
        nets = {
            conversion_host.SRC: self.network(conversion_host.SRC, (100, 199)),
            conversion_host.DST: self.network(conversion_host.DST, (200, 255)),
        }
        for side in conversion_host.SIDES:
            conn = self.conns[side]
            self.undo.append(
                (
                    'conversion host %s' % side,
                    lambda side=side, conn=conn: self.hosts.delete(side, conn),
                )
            )
            self.say('deploying the %s conversion host' % side)
            self.hosts.deploy(
                side,
                conn,
                conversion_host.Options(
                    name='%s-%s' % (self.prefix, side),
                    image=IMAGE,
                    flavor=FLAVOR,
                    network=nets[side],
                    allowed_cidrs=(migrator_address() + '/32',),
                ),
            )
        self.hosts.link(self.conns[conversion_host.SRC])
        self.baseline_key()

    def baseline_key(self):
        """The naive method's login from the destination host to the source
        host, unrestricted (the link key may run the copy's nbdcopy only)."""
        path = os.path.join(ssh.conversion_dir(self.data_dir), 'bench.key')
        public = ssh.ensure_key(self.runner, path)
        ssh.run(
            self.runner,
            self.host(conversion_host.SRC),
            host_scripts.authorize_script(public, public),
            timeout=60,
        )
        with open(path, encoding='utf-8') as f:
            host_scripts.put(
                self.runner,
                self.host(conversion_host.DST),
                BASELINE_KEY,
                f.read(),
            )

    def host(self, side):
        return conversion_host.ssh_host(
            self.data_dir, self.hosts.records[side]
        )

    def server_id(self, side):
        return self.hosts.records[side]['server_id']

    def volume(self, side, name, size_gib):
        """A new volume attached to the side's host; (volume, device)."""
        conn = self.conns[side]
        volume = conn.block_storage.create_volume(
            name=name, size=size_gib, volume_type=VOLUME_TYPE
        )

        def delete():
            conn.block_storage.delete_volume(volume.id, ignore_missing=True)
            conn.block_storage.wait_for_delete(volume, wait=WAIT)

        self.undo.append(('volume %s' % name, delete))
        wait_volume(conn, volume.id, 'available')
        return volume

    def attach(self, side, volume):
        conn = self.conns[side]
        server = self.server_id(side)
        conn.compute.create_volume_attachment(server, volume_id=volume.id)

        def detach():
            conn.compute.delete_volume_attachment(
                volume.id, server, ignore_missing=True
            )
            wait_volume(conn, volume.id, 'available')

        self.undo.append(('attachment of %s' % volume.name, detach))
        wait_volume(conn, volume.id, 'in-use')
        device = '/dev/disk/by-id/%s' % loopback.serial_link(volume.id)
        host = self.host(side)
        deadline = time.monotonic() + WAIT
        while ssh.run(
            self.runner, host, ['test', '-b', device], check=False
        ).returncode:
            if time.monotonic() > deadline:
                raise RuntimeError('%s never showed on %s' % (device, side))
            time.sleep(0.5)
        return device

    def pop(self, count):
        """Undo the last ``count`` steps now."""
        for _ in range(count):
            what, fn = self.undo.pop()
            fn()

    def cleanup(self):
        """Undo everything (the hosts and networks too unless --keep)."""
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            while self.undo:
                what, fn = self.undo.pop()
                if self.args.keep and what.startswith(KEPT):
                    continue
                try:
                    fn()
                except Exception as e:  # noqa: BLE001 -- go on cleaning
                    self.say('cleanup of %s failed: %s' % (what, e))
        finally:
            signal.signal(signal.SIGINT, old)
        if self.args.keep and self.data_dir:
            self.say(
                'kept the hosts: reuse them with --data-dir %s' % self.data_dir
            )

    # -- methods --------------------------------------------------------------

    def ours(self, src_dev, dst_dev, size, label):
        """(digest, bytes ssh counted, seconds until the bytes were
        copied)."""
        started = time.monotonic()
        copied = []

        def on_progress(label, done, total):
            # The last call comes once the copy ended, flush included.
            if done == total:
                copied[:] = [time.monotonic() - started]

        copier = blockcopy.BlockCopy(
            self.host(conversion_host.SRC),
            self.host(conversion_host.DST),
            conversion_host.link_of(self.hosts.records[conversion_host.SRC]),
            self.runner,
            progress_mod.Progress(bar=False),
            on_progress=on_progress,
        )
        result = copier.copy(
            blockcopy.Volume(src_dev, dst_dev, size, True, label)
        )
        return result.digest, result.bytes_sent, copied[0]

    def naive(self, src_dev, dst_dev, size, label):
        started = time.monotonic()
        link = conversion_host.link_of(self.hosts.records[conversion_host.SRC])
        pull = (
            ['ssh']
            + ssh.ssh_options(BASELINE_KEY, link.known_hosts)
            + ['-c', ssh.CIPHER, '-l', link.user, '--', link.address]
            + ['dd if=%s bs=4M status=none' % src_dev]
        )
        script = '%s | dd of=%s bs=4M iflag=fullblock conv=fsync status=none'
        dst = self.host(conversion_host.DST)
        ssh.run(
            self.runner,
            dst,
            script % (ssh.command_text(pull), dst_dev),
        )
        copied = time.monotonic() - started
        procs = [
            ssh.start(self.runner, self.host(side), ['xxh128sum', dev])
            for side, dev in (
                (conversion_host.SRC, src_dev),
                (conversion_host.DST, dst_dev),
            )
        ]
        digests = []
        for proc in procs:
            out, err = proc.communicate()
            if proc.returncode:
                raise RuntimeError('xxh128sum failed: %s' % err)
            digests.append(out.split()[0])
        if digests[0] != digests[1]:
            raise RuntimeError('naive copy of %s does not match' % label)
        return digests[0], None, copied

    # -- the run --------------------------------------------------------------

    def prepare(self, src_dev):
        """The same start for every timed copy: the source device read once
        (warm), or no page cache at all (--cold)."""
        if self.args.cold:
            drop_caches()
            return
        ssh.run(
            self.runner,
            self.host(conversion_host.SRC),
            'cat %s >/dev/null' % src_dev,
        )

    def run(self):
        args = self.args
        size = args.size_gib * GiB
        rng = secrets.SystemRandom()
        rows = []
        for case in args.case or CASES:
            name = '%s-%s' % (self.prefix, case)
            self.say('%s: writing %d GiB' % (case, args.size_gib))
            src_vol = self.volume(conversion_host.SRC, name, args.size_gib)
            data = fill(backing_file('r1', src_vol.id), case, size, rng)
            src_dev = self.attach(conversion_host.SRC, src_vol)
            for i in range(args.repeat):
                # Alternate the order: neither method always goes first.
                for method in METHODS[:: 1 if i % 2 == 0 else -1]:
                    rows.append(
                        self.measure(case, method, name, src_dev, size, data)
                    )
            self.pop(2)  # detach and delete the source volume
        return rows

    def measure(self, case, method, name, src_dev, size, data):
        dst_vol = self.volume(
            conversion_host.DST,
            '%s-%s' % (name, method),
            self.args.size_gib,
        )
        dst_dev = self.attach(conversion_host.DST, dst_vol)
        self.prepare(src_dev)
        load = os.getloadavg()[0]
        source = self.server_id(conversion_host.SRC)
        before = sent_bytes(source)
        started = time.monotonic()
        digest, reported, copied = getattr(self, method)(
            src_dev, dst_dev, size, name
        )
        seconds = time.monotonic() - started
        sent = sent_bytes(source) - before
        self.say(
            '%s: %s in %.2f s (copied after %.2f s), %d bytes sent (load %.1f)'
            % (case, method, seconds, copied, sent, load)
        )
        self.pop(2)  # detach and delete the destination volume
        return dict(
            case=case,
            method=method,
            seconds=seconds,
            sent=sent,
            reported=reported,
            data=data,
            digest=digest,
            load=load,
            copied=copied,
        )


def summary(rows):
    """(case, method) -> the run of median seconds, with all the times."""
    runs = {}
    for r in rows:
        runs.setdefault((r['case'], r['method']), []).append(r)
    out = {}
    for key, group in runs.items():
        group = sorted(group, key=lambda r: r['seconds'])
        median = dict(group[(len(group) - 1) // 2])
        median['times'] = [r['seconds'] for r in group]
        out[key] = median
    return out


def report(rows, size, args):
    medians = summary(rows)
    print()
    print(
        '%d GiB volumes, %s source, %d run(s) each (median; all times in '
        'brackets), %d CPUs shared by both hosts'
        % (
            args.size_gib,
            'cold' if args.cold else 'warm',
            args.repeat,
            os.cpu_count(),
        )
    )
    print(
        '%-12s %-6s %8s %13s %8s %14s %14s %8s %8s  %s'
        % (
            'case',
            'method',
            'seconds',
            'copy+verify',
            'MB/s',
            'bytes sent',
            'ssh counted',
            'vs naive',
            'verified',
            'runs (s)',
        )
    )
    for (case, method), r in medians.items():
        base = medians.get((case, 'naive'))
        ratio = base['seconds'] / r['seconds'] if base else float('nan')
        print(
            '%-12s %-6s %8.2f %13s %8.1f %14d %14s %7.2fx %8s  [%s]'
            % (
                case,
                method,
                r['seconds'],
                '%.1f+%.1f' % (r['copied'], r['seconds'] - r['copied']),
                size / 1e6 / r['seconds'],
                r['sent'],
                '-' if r['reported'] is None else '%d' % r['reported'],
                ratio,
                'xxh128' if r['digest'] else 'no',
                ' '.join('%.1f' % t for t in r['times']),
            )
        )
    print()
    print(
        'MB/s: the volume size over the seconds; bytes sent: what the '
        'source host\'s interface sent meanwhile (TCP/IP and SSH included); '
        'ssh counted: Result.bytes_sent.'
    )
    for case, target in TARGETS.items():
        ours, naive = medians.get((case, 'ours')), medians.get((case, 'naive'))
        if not ours or not naive:
            continue
        ratio = naive['seconds'] / ours['seconds']
        line = '%s: ours %.2fx as fast as naive (target >= %.1fx)' % (
            case,
            ratio,
            target,
        )
        met = ratio >= target
        if case == 'zero-filled':
            share = ours['sent'] / ours['data']
            line += (
                ', bytes sent %.3f x the non-zero data (target <= %.1f)'
                % (share, SENT_TARGET)
            )
            met = met and share <= SENT_TARGET
        print('%s %s' % ('MET    ' if met else 'NOT MET', line))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--src', default='src')
    parser.add_argument('--dst', default='dst')
    parser.add_argument('--size-gib', type=int, default=4)
    parser.add_argument(
        '--case',
        action='append',
        choices=CASES,
        help='Run only this case (repeatable; default: all)',
    )
    parser.add_argument(
        '--repeat',
        type=int,
        default=1,
        help='Runs of each method per case, alternating which goes first; '
        'the median counts (default: 1)',
    )
    parser.add_argument(
        '--cold',
        action='store_true',
        help='Drop the page cache before each copy (default: read the '
        'source device once before each copy, so both start warm)',
    )
    parser.add_argument(
        '--keep',
        action='store_true',
        help='Leave the hosts, networks and data dir (never the volumes)',
    )
    parser.add_argument(
        '--data-dir', help='Reuse the conversion hosts of this data dir'
    )
    args = parser.parse_args()
    # SIGTERM cleans up like Ctrl-C.
    signal.signal(
        signal.SIGTERM, lambda *_: signal.raise_signal(signal.SIGINT)
    )
    bench = Bench(args)
    try:
        bench.deploy()
        rows = bench.run()
    finally:
        bench.cleanup()
    report(rows, args.size_gib * GiB, args)


if __name__ == '__main__':
    main()
