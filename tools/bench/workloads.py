"""Benchmark: workload import of servers with volumes, --parallel 1 and 4.

Issue 7: migrate 10 servers with two 1 GiB volumes each (sparse) on the
development cloud with ``--parallel 1`` and ``--parallel 4`` in one run;
report the wall time, the time per server outside the data copy and the
API requests per server.  Targets: outside the byte copy under 30 s per
server at ``--parallel 1``; ``--parallel 4`` at least 2.5x faster overall.

Sets everything up itself, all named ``bench-wl-<random>-*``:

1. in both clouds a network, subnet (same name and CIDR) and router, and a
   network per side for the conversion hosts;
2. in the source ``--servers`` servers (image ``devcloud-image``, flavor
   ``m1.tiny``), each with ``--volumes-per-server`` volumes of
   ``--size-gib`` GiB (type ``nfs``) attached, holding 8 MiB of random
   data (four 2 MiB chunks at random places, written into the backing
   files), the servers stopped;
3. conversion hosts on loopback hosts (``migrate conversion host deploy``),
   then ``migrate workload export``;
4. ``migrate workload import --parallel 1 --report``, in this process
   (``openstackclient.shell.main``) with keystoneauth's
   ``Session.request`` counted per service and the SSH sessions counted;
   every destination volume compared byte for byte with its source (the
   backing files, holes skipped on both sides) and its known chunks
   checked; then what the import made in the destination (servers, ports,
   volumes) and the journals (``workload_logs/``) are removed;
5. the same with ``--parallel 4``.

Prints a table, where the time goes (the steps of the reports and, within
the volume steps, the phases of the per-server logs), the CPU time by
whose processes (the cloud's services, the conversion hosts, this process,
the rest of the machine), the requests per service, the slowest requests,
and whether the targets are met.  The reports, per-server logs
and the import's output are kept in a results directory (printed).
Everything made is removed at the end, Ctrl-C included, unless ``--keep``.

    .venv/bin/python tools/bench/workloads.py [--servers 10]
        [--volumes-per-server 2] [--size-gib 1] [--parallel 1 --parallel 4]
        [--src src] [--dst dst] [--keep] [--results DIR]

Run it as root on the machine of the development cloud.  Asserts nothing
(exits 1 if an import failed or copied wrong bytes).
"""

import argparse
import collections
import contextlib
import datetime
import errno
import hashlib
import io
import json
import logging
import os
import re
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse

from keystoneauth1 import session as ks_session
import openstack
from openstackclient import shell

from osmigrateclient import datadir
from osmigrateclient.transfer import conversion_host
from osmigrateclient.transfer import ssh
from osmigrateclient.workload import journal

# The block-copy benchmark's helpers (this directory is on sys.path when a
# benchmark runs as a script).
from blockcopy import backing_file  # noqa: E402
from blockcopy import devcloud_home  # noqa: E402
from blockcopy import migrator_address  # noqa: E402

TOP = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
)
MiB = 1024 * 1024
GiB = 1024 * MiB
IMAGE = 'devcloud-image'
LOOPBACK_IMAGE = 'devcloud-loopback'
FLAVOR = 'm1.tiny'
VOLUME_TYPE = 'nfs'
PUBLIC = 'public'
WAIT = 600
#: random data per volume: this many chunks of CHUNK bytes
CHUNKS, CHUNK = 4, 2 * MiB
#: issue 7: seconds per server outside the byte copy at --parallel 1
TARGET_OTHER = 30.0
#: issue 7: wall time at --parallel 1 over that at --parallel 4
TARGET_SPEEDUP = 2.5
#: service types of the catalog -> short names
SERVICES = {
    'compute': 'nova',
    'block-storage': 'cinder',
    'volumev3': 'cinder',
    'network': 'neutron',
    'image': 'glance',
    'identity': 'keystone',
    'placement': 'placement',
}
#: exit code of cliff after Ctrl-C
SIGINT_EXIT = 130
#: ids in request paths (UUIDs, hex ids)
ID = re.compile(r'[0-9a-f]{8}-[0-9a-f-]{27}|[0-9a-f]{32}')


def cpu_times():
    """(busy, all) jiffies of the machine's CPUs so far."""
    with open('/proc/stat') as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields) - idle, sum(fields)


#: CPU accounting: devcloud services (DEVCLOUD_SERVICE of their
#: environment) -> what they are
CPU_GROUPS = (
    ('nova', 'nova'),
    ('cinder', 'cinder'),
    ('neutron', 'neutron'),
    ('glance', 'glance'),
    ('placement', 'placement'),
    ('keystone', 'keystone'),
    ('mysql', 'mysql + rabbitmq'),
    ('rabbitmq', 'mysql + rabbitmq'),
    ('epmd', 'mysql + rabbitmq'),
)
CLK_TCK = os.sysconf('SC_CLK_TCK')


def _proc_cpu(pid):
    """(start time, CPU ticks of the process and its reaped children,
    parent pid)."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    # ppid is field 4, utime stime cutime cstime 14-17, starttime 22
    # (1-based, the first two before the split).
    return int(fields[19]), sum(int(x) for x in fields[11:15]), int(fields[1])


def _proc_group(pid, ppid, host_netns):
    if pid == os.getpid():
        return 'this process (the import, ssh)'
    if pid == 2 or ppid == 2:
        return 'kernel threads (loop devices, I/O: everyone\'s)'
    try:
        if os.stat('/proc/%d/ns/net' % pid).st_ino in host_netns:
            return 'conversion hosts'
        with open('/proc/%d/environ' % pid, 'rb') as f:
            env = f.read().split(b'\0')
    except OSError:
        return 'other (not this benchmark)'
    for item in env:
        if item.startswith(b'DEVCLOUD_SERVICE='):
            service = item.split(b'=', 1)[1].decode(errors='replace')
            for key, group in CPU_GROUPS:
                if key in service:
                    return 'cloud: ' + group
            return 'cloud: ' + service
    return 'other (not this benchmark)'


def cpu_snapshot(host_netns):
    """{pid: (start time, group, ticks)} of every process."""
    found = {}
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        pid = int(name)
        try:
            start, ticks, ppid = _proc_cpu(pid)
        except (OSError, IndexError, ValueError):
            continue
        found[pid] = (start, _proc_group(pid, ppid, host_netns), ticks)
    return found


def cpu_by_group(before, after):
    """{group: CPU seconds} between two snapshots (a process that ended
    meanwhile counts in its parent's, when that one reaped it)."""
    out = collections.Counter()
    for pid, (start, group, ticks) in after.items():
        old = before.get(pid)
        if old is not None and old[0] == start:
            ticks -= old[2]
        out[group] += ticks / CLK_TCK
    return out


def say(text):
    print(text, file=sys.stderr, flush=True)


# -- bytes --------------------------------------------------------------------


def write_chunks(path, size, rng):
    """Random chunks at random CHUNK-aligned places of a backing file;
    {offset: sha256 of the chunk}."""
    known = {}
    with open(path, 'r+b') as f:
        for slot in sorted(rng.sample(range(size // CHUNK), CHUNKS)):
            data = os.urandom(CHUNK)
            f.seek(slot * CHUNK)
            f.write(data)
            known[slot * CHUNK] = hashlib.sha256(data).hexdigest()
        f.flush()
        os.fsync(f.fileno())
    return known


def data_extents(fd, size):
    """[(start, end)] of the data (not holes) of a file."""
    found, pos = [], 0
    while pos < size:
        try:
            start = os.lseek(fd, pos, os.SEEK_DATA)
        except OSError as e:
            if e.errno == errno.ENXIO:
                break
            raise
        end = os.lseek(fd, start, os.SEEK_HOLE)
        found.append((start, end))
        pos = end
    return found


def merged(ranges):
    out = []
    for start, end in sorted(ranges):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def compare(src_path, dst_path, known):
    """'' if the destination file holds the source's bytes (the union of
    both files' data extents compared; outside it both are holes, zeros)
    and the known chunks; else what differs."""
    with open(src_path, 'rb') as a, open(dst_path, 'rb') as b:
        size = os.fstat(a.fileno()).st_size
        if os.fstat(b.fileno()).st_size < size:
            return 'destination is %d bytes, source %d' % (
                os.fstat(b.fileno()).st_size,
                size,
            )
        ranges = merged(
            data_extents(a.fileno(), size) + data_extents(b.fileno(), size)
        )
        for start, end in ranges:
            a.seek(start)
            b.seek(start)
            pos = start
            while pos < end:
                n = min(8 * MiB, end - pos)
                if a.read(n) != b.read(n):
                    return 'bytes differ in [%d, %d)' % (pos, pos + n)
                pos += n
        for offset, digest in known.items():
            b.seek(offset)
            if hashlib.sha256(b.read(CHUNK)).hexdigest() != digest:
                return 'the random chunk at %d is not there' % offset
    return ''


# -- counting -----------------------------------------------------------------


class Aborted(Exception):
    """Ctrl-C: the import's threads fail at their next call."""


class Counter:
    """Counts keystoneauth's requests (per service and method, with their
    seconds) and the SSH sessions; ``abort()`` makes every later request
    and SSH call fail, so that the import's threads end soon after Ctrl-C.
    """

    def __init__(self, services, regions):
        self.services = services
        self.regions = regions
        self.requests = collections.Counter()
        self.request_seconds = collections.Counter()
        #: (service, method, path with ids as {id}) -> count, seconds
        self.kinds = collections.Counter()
        self.kind_seconds = collections.Counter()
        self.ssh = collections.Counter()
        self.aborted = False
        self._lock = threading.Lock()
        self._orig = (
            ks_session.Session.request,
            ssh.Runner.run,
            ssh.Runner.start,
        )

    def service(self, url, kwargs):
        """'<side> <service>' of a request."""
        override = kwargs.get('endpoint_override')
        where = urllib.parse.urlparse(override or url).netloc
        if where:
            return self.services.get(where, where)
        found = kwargs.get('endpoint_filter') or {}
        short = SERVICES.get(found.get('service_type'), '?')
        side = self.regions.get(found.get('region_name'), '?')
        return short if short == 'keystone' else '%s %s' % (side, short)

    def __enter__(self):
        counter = self
        request, run, start = self._orig

        def counted_request(sess, url, method, *args, **kwargs):
            if counter.aborted:
                raise Aborted('interrupted')
            key = (counter.service(url, kwargs), method.upper())
            kind = key + (ID.sub('{id}', urllib.parse.urlparse(url).path),)
            began = time.monotonic()
            try:
                return request(sess, url, method, *args, **kwargs)
            finally:
                took = time.monotonic() - began
                with counter._lock:
                    counter.requests[key] += 1
                    counter.request_seconds[key] += took
                    counter.kinds[kind] += 1
                    counter.kind_seconds[kind] += took

        def counted_run(runner, argv, *args, **kwargs):
            if counter.aborted:
                raise Aborted('interrupted')
            with counter._lock:
                counter.ssh['run'] += 1
            return run(runner, argv, *args, **kwargs)

        def counted_start(runner, argv, *args, **kwargs):
            if counter.aborted:
                raise Aborted('interrupted')
            with counter._lock:
                counter.ssh['start'] += 1
            return start(runner, argv, *args, **kwargs)

        ks_session.Session.request = counted_request
        ssh.Runner.run = counted_run
        ssh.Runner.start = counted_start
        return self

    def __exit__(self, *exc):
        (
            ks_session.Session.request,
            ssh.Runner.run,
            ssh.Runner.start,
        ) = self._orig

    def abort(self):
        self.aborted = True

    @property
    def total(self):
        return sum(self.requests.values())


def service_names(conns):
    """host:port -> '<side> <service>' from the catalogs."""
    names = {}
    for side, conn in conns.items():
        region = conn.config.region_name
        access = conn.session.auth.get_access(conn.session)
        for service in access.service_catalog.catalog:
            short = SERVICES.get(service['type'], service['type'])
            for endpoint in service['endpoints']:
                netloc = urllib.parse.urlparse(endpoint['url']).netloc
                if short == 'keystone':
                    names[netloc] = short
                elif endpoint['region'] == region:
                    names[netloc] = '%s %s' % (side, short)
    return names


# -- the per-server logs ------------------------------------------------------

#: (pattern of a per-server log line, the phase that line starts); a phase
#: lasts until the next line
PHASES = (
    (r'import (started|resumed)', 'preamble (stop check)'),
    (r'detaching volume .* from the source server', 'src detach, dst create'),
    (r'copying volume ', 'attach to conv hosts'),
    (r'Attaching volume ', 'attach to conv hosts'),
    (r'Volume \S+ is /dev', 'attach to conv hosts'),
    (r'Copying ', 'byte copy + verify'),
    (r'volume .*/s|volume .*%', 'byte copy + verify'),
    (r'Copied ', 'detach from conv hosts'),
    (r'Detaching volume ', 'detach from conv hosts'),
    (r'copied \d+ bytes', 'after the copy'),
    (r'attaching volume \S+ back to the source', 'src reattach (+ ports)'),
    (r'creating the destination server', 'server create + ACTIVE'),
    (r'import done', None),
)


def log_phases(path):
    """({phase: seconds}, first line's time, last line's time) of one
    server's log (its last import)."""
    lines = []
    with open(path, encoding='utf-8') as f:
        for raw in f:
            m = re.match(
                r'(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) \S+ (.*)', raw
            )
            if not m:
                continue
            when = datetime.datetime.strptime(
                m.group(1), '%Y-%m-%d %H:%M:%S,%f'
            )
            if re.match(r'import (started|resumed)', m.group(2)):
                lines = []
            lines.append((when, m.group(2)))
    out = collections.Counter()
    for (when, text), (after, _) in zip(lines, lines[1:], strict=False):
        phase = 'other'
        for pattern, name in PHASES:
            if re.match(pattern, text):
                phase = name
                break
        if phase is not None:
            out[phase] += (after - when).total_seconds()
    if not lines:
        return out, None, None
    return out, lines[0][0], lines[-1][0]


def close_server_logs():
    """Close the per-server log files the import opened (its loggers
    outlive the command in this process: a later import must log into
    its own files)."""
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if not name.startswith('osmigrateclient.workload.'):
            continue
        for handler in list(getattr(logger, 'handlers', [])):
            if isinstance(handler, logging.FileHandler):
                logger.removeHandler(handler)
                handler.close()


# -- the benchmark ------------------------------------------------------------


class Run:
    """One import."""

    def __init__(self, parallel):
        self.parallel = parallel
        self.rc = None
        self.wall = 0.0
        self.report = {}
        self.counter = None
        self.problems = []
        self.phases = collections.Counter()
        #: seconds from the command's start to the first server's, and
        #: from the last server's end to the command's
        self.before = self.after = float('nan')
        #: the share of the machine's CPU time that was busy meanwhile
        self.cpu = float('nan')
        #: CPU seconds: the machine's busy ones, and by whose
        self.cpu_seconds = float('nan')
        self.cpu_groups = collections.Counter()

    @property
    def servers(self):
        return self.report.get('servers') or []

    @property
    def volumes(self):
        return [v for s in self.servers for v in s.get('volumes') or []]


class Bench:
    def __init__(self, args):
        self.args = args
        self.prefix = 'bench-wl-%s' % secrets.token_hex(4)
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
        self.known = {}  # source volume id -> {offset: sha256}
        self.counter = None

    def name(self, *parts):
        return '-'.join((self.prefix,) + parts)

    def server_name(self, i):
        return self.name('vm', '%02d' % i)

    # -- seeding ------------------------------------------------------------

    def networks(self):
        third = secrets.randbelow(256)
        cidr = '172.%d.%d.0/24' % (16 + secrets.randbelow(16), third)
        for side, conn in self.conns.items():
            net = conn.network.create_network(name=self.name('net'))
            subnet = conn.network.create_subnet(
                name=self.name('net'),
                network_id=net.id,
                ip_version=4,
                cidr=cidr,
            )
            public = conn.network.find_network(PUBLIC, ignore_missing=False)
            router = conn.network.create_router(
                name=self.name('router'),
                external_gateway_info={'network_id': public.id},
            )
            conn.network.add_interface_to_router(router, subnet_id=subnet.id)
            low = 100 if side == 'src' else 200
            conv = conn.network.create_network(name=self.name('conv'))
            conn.network.create_subnet(
                name=self.name('conv'),
                network_id=conv.id,
                ip_version=4,
                cidr='10.%d.%d.0/24' % (low + secrets.randbelow(56), third),
            )
        return cidr

    def wait_volume(self, conn, volume_id, status):
        deadline = time.monotonic() + WAIT
        while True:
            volume = conn.block_storage.get_volume(volume_id)
            if volume.status == status:
                return volume
            if (
                volume.status.startswith('error')
                or time.monotonic() > deadline
            ):
                raise RuntimeError(
                    'volume %s is %s, not %s'
                    % (volume_id, volume.status, status)
                )
            time.sleep(0.5)

    def wait_servers(self, conn, servers, status):
        return [
            conn.compute.wait_for_server(
                s, status=status, failures=['ERROR'], wait=WAIT
            )
            for s in servers
        ]

    def seed(self):
        args, conn = self.args, self.conns['src']
        block, compute = conn.block_storage, conn.compute
        rng = secrets.SystemRandom()
        image = conn.image.find_image(IMAGE, ignore_missing=False)
        flavor = compute.find_flavor(FLAVOR, ignore_missing=False)
        net = conn.network.find_network(self.name('net'), ignore_missing=False)
        servers = [
            compute.create_server(
                name=self.server_name(i),
                image_id=image.id,
                flavor_id=flavor.id,
                networks=[{'uuid': net.id}],
            )
            for i in range(args.servers)
        ]
        volumes = {
            s.id: [
                block.create_volume(
                    name='%s-d%d' % (self.server_name(i), k),
                    size=args.size_gib,
                    volume_type=VOLUME_TYPE,
                )
                for k in range(args.volumes_per_server)
            ]
            for i, s in enumerate(servers)
        }
        for vols in volumes.values():
            for v in vols:
                self.wait_volume(conn, v.id, 'available')
                path = backing_file('r1', v.id)
                if not os.path.exists(path):
                    raise RuntimeError(
                        'no backing file %s: is %s the home of the cloud '
                        'of %s (set DEVCLOUD_HOME)?'
                        % (path, devcloud_home(), self.args.src)
                    )
                self.known[v.id] = write_chunks(path, args.size_gib * GiB, rng)
        servers = self.wait_servers(conn, servers, 'ACTIVE')
        for s in servers:
            for v in volumes[s.id]:
                compute.create_volume_attachment(s, volume_id=v.id)
        for vols in volumes.values():
            for v in vols:
                self.wait_volume(conn, v.id, 'in-use')
        for s in servers:
            compute.stop_server(s)
        self.wait_servers(conn, servers, 'SHUTOFF')

    # -- commands -----------------------------------------------------------

    def osc(self, argv, label, counter=None):
        """Run an openstack CLI command in this process; (rc, stdout).
        Its stdout and stderr go to <results>/<label>.out|.err too."""
        out, err = io.StringIO(), io.StringIO()
        with contextlib.ExitStack() as stack:
            stack.enter_context(contextlib.redirect_stdout(out))
            stack.enter_context(contextlib.redirect_stderr(err))
            if counter is not None:
                stack.enter_context(counter)
            rc = shell.main(argv)
        for ext, text in (('out', out), ('err', err)):
            with open(
                os.path.join(self.results, '%s.%s' % (label, ext)), 'w'
            ) as f:
                f.write(text.getvalue())
        if rc == SIGINT_EXIT:
            raise KeyboardInterrupt
        return rc, out.getvalue()

    def clouds(self):
        return ['--src-cloud', self.args.src, '--dst-cloud', self.args.dst]

    def deploy(self):
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
                '--image',
                LOOPBACK_IMAGE,
                '--flavor',
                FLAVOR,
                '--network',
                self.name('conv'),
                '--no-floating-ip',
                '--allowed-cidr',
                migrator_address() + '/32',
            ],
            'deploy',
        )
        if rc:
            raise RuntimeError(
                'conversion host deploy failed: see %s/deploy.err'
                % self.results
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
                r'^%s-\d+$' % re.escape(self.name('vm')),
            ],
            'export',
        )
        if rc:
            raise RuntimeError(
                'export failed: see %s/export.err' % self.results
            )

    def run_import(self, parallel):
        run = Run(parallel)
        report = os.path.join(self.results, 'r%d.json' % parallel)
        run.counter = self.counter = Counter(
            service_names(self.conns),
            {c.config.region_name: side for side, c in self.conns.items()},
        )
        started, began = time.monotonic(), datetime.datetime.now()
        cpu = cpu_times()
        netns = self.host_netns()
        procs = cpu_snapshot(netns)
        logs = journal.directory(self.data_dir)
        kept = os.path.join(
            self.results, '%s-p%d' % (datadir.WORKLOAD_LOGS, parallel)
        )
        try:
            run.rc, _ = self.osc(
                [
                    'migrate',
                    'workload',
                    'import',
                    '--data-dir',
                    self.data_dir,
                    *self.clouds(),
                    '--parallel',
                    str(parallel),
                    '--report',
                    report,
                    '-f',
                    'json',
                ],
                'import-p%d' % parallel,
                run.counter,
            )
        finally:
            # Kept whatever happens (the data dir goes at the end).
            close_server_logs()
            if os.path.isdir(logs):
                shutil.copytree(logs, kept, dirs_exist_ok=True)
        run.wall = time.monotonic() - started
        ended = datetime.datetime.now()
        busy, total = (b - a for a, b in zip(cpu, cpu_times(), strict=True))
        run.cpu = busy / max(total, 1)
        run.cpu_seconds = busy / CLK_TCK
        run.cpu_groups = cpu_by_group(procs, cpu_snapshot(netns))
        self.counter = None
        if os.path.exists(report):
            with open(report) as f:
                run.report = json.load(f)
        else:
            run.problems.append(
                'no report %s: see %s'
                % (
                    report,
                    os.path.join(self.results, 'import-p%d.err' % parallel),
                )
            )
        firsts, lasts = [], []
        for name in os.listdir(kept) if os.path.isdir(kept) else []:
            if name.endswith('.log'):
                phases, first, last = log_phases(os.path.join(kept, name))
                run.phases.update(phases)
                firsts += [first] if first else []
                lasts += [last] if last else []
        with open(
            os.path.join(self.results, 'requests-p%d.txt' % parallel), 'w'
        ) as f:
            for kind, count in sorted(run.counter.kinds.items()):
                f.write(
                    '%5d %8.2f  %s\n'
                    % (count, run.counter.kind_seconds[kind], ' '.join(kind))
                )
        if firsts:
            run.before = (min(firsts) - began).total_seconds()
            run.after = (ended - max(lasts)).total_seconds()
        return run

    def verify(self, run):
        """Every server created with its volumes holding the source's
        bytes; the problems."""
        problems = []
        if len(run.servers) != self.args.servers:
            problems.append(
                '%d servers in the report, not %d'
                % (len(run.servers), self.args.servers)
            )
        for server in run.servers:
            if server.get('action') != 'created':
                problems.append(
                    '%s: %s %s'
                    % (
                        server['name'],
                        server.get('action'),
                        server.get('detail'),
                    )
                )
            copied = server.get('volumes') or []
            if len(copied) != self.args.volumes_per_server:
                problems.append(
                    '%s: %d volumes copied' % (server['name'], len(copied))
                )
            for v in copied:
                source_id = v['step'].split(':', 1)[1]
                why = compare(
                    backing_file('r1', source_id),
                    backing_file('r2', v['dest_id']),
                    self.known.get(source_id, {}),
                )
                if why:
                    problems.append(
                        '%s: volume %s -> %s: %s'
                        % (server['name'], source_id, v['dest_id'], why)
                    )
        return problems

    # -- removing -----------------------------------------------------------

    def mine(self, name):
        return (name or '').startswith(self.prefix + '-')

    def delete_servers(self, conn, keep=()):
        servers = [
            s
            for s in conn.compute.servers()
            if self.mine(s.name) and s.id not in keep
        ]
        for s in servers:
            conn.compute.delete_server(s, ignore_missing=True)
        for s in servers:
            conn.compute.wait_for_delete(s, wait=WAIT)

    def delete_ports(self, conn):
        net = conn.network.find_network(self.name('net'))
        if net is None:
            return
        for port in list(conn.network.ports(network_id=net.id)):
            if not (port.device_owner or '').startswith('network:'):
                conn.network.delete_port(port, ignore_missing=True)

    def delete_volumes(self, conn):
        block = conn.block_storage
        volumes = [v for v in block.volumes() if self.mine(v.name)]
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

    def reset_destination(self):
        """Remove what an import made in the destination, and the
        journals."""
        dst = self.conns['dst']
        self.delete_servers(dst, keep=self.conversion_host_ids())
        self.delete_ports(dst)
        self.delete_volumes(dst)
        shutil.rmtree(journal.directory(self.data_dir))

    def host_netns(self):
        """The network namespaces (inodes) of the conversion hosts: the
        devcloud's loopback hosts run in dc-<first 8 hex of the id>."""
        found = set()
        for server_id in self.conversion_host_ids():
            path = '/run/netns/dc-%s' % server_id.replace('-', '')[:8]
            with contextlib.suppress(OSError):
                found.add(os.stat(path).st_ino)
        return found

    def conversion_host_ids(self):
        path = conversion_host.hosts_path(self.data_dir)
        if not os.path.exists(path):
            return set()
        import yaml

        with open(path) as f:
            hosts = (yaml.safe_load(f) or {}).get('hosts') or {}
        return {h.get('server_id') for h in hosts.values()}

    def delete_network(self, conn, name):
        net = conn.network.find_network(name)
        if net is None:
            return
        for port in list(conn.network.ports(network_id=net.id)):
            if not (port.device_owner or '').startswith('network:'):
                conn.network.delete_port(port, ignore_missing=True)
        conn.network.delete_network(net, ignore_missing=True)

    def cleanup(self):
        """Everything named <prefix>-*, in both clouds, and the data dir."""
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)
        steps = []
        if os.path.exists(ssh.conversion_dir(self.data_dir)):
            steps.append(('conversion hosts', self.delete_hosts))
        for side, conn in self.conns.items():
            steps += [
                ('%s servers' % side, lambda c=conn: self.delete_servers(c)),
                ('%s ports' % side, lambda c=conn: self.delete_ports(c)),
                ('%s volumes' % side, lambda c=conn: self.delete_volumes(c)),
                ('%s routers' % side, lambda c=conn: self.delete_routers(c)),
                (
                    '%s networks' % side,
                    lambda c=conn: [
                        self.delete_network(c, self.name(n))
                        for n in ('net', 'conv')
                    ],
                ),
                ('%s leftovers' % side, lambda c=conn: self.delete_left(c)),
            ]
        steps.append(('data dir', lambda: shutil.rmtree(self.data_dir)))
        try:
            for what, fn in steps:
                try:
                    fn()
                except Exception as e:  # noqa: BLE001 -- go on cleaning
                    say('cleanup of %s failed: %s' % (what, e))
        finally:
            signal.signal(signal.SIGINT, old)

    def delete_hosts(self):
        with open(os.devnull, 'w') as devnull:
            with contextlib.redirect_stdout(devnull):
                with contextlib.redirect_stderr(io.StringIO()):
                    shell.main(
                        [
                            'migrate',
                            'conversion',
                            'host',
                            'delete',
                            '--data-dir',
                            self.data_dir,
                            *self.clouds(),
                        ]
                    )

    def delete_routers(self, conn):
        net = conn.network
        for router in list(net.routers()):
            if not self.mine(router.name):
                continue
            for port in net.ports(device_id=router.id):
                if port.device_owner.startswith('network:router_interface'):
                    net.remove_interface_from_router(router, port_id=port.id)
            net.delete_router(router, ignore_missing=True)

    def delete_left(self, conn):
        """Security groups and keypairs a half-done deploy left."""
        for group in list(conn.network.security_groups()):
            if self.mine(group.name):
                conn.network.delete_security_group(group, ignore_missing=True)
        for key in list(conn.compute.keypairs()):
            if self.mine(key.name):
                conn.compute.delete_keypair(key, ignore_missing=True)


# -- the output ---------------------------------------------------------------


def mean(values):
    return statistics.fmean(values) if values else float('nan')


def step_kind(step):
    return 'volume' if step.startswith('volume:') else step


def table(title, head, rows, runs):
    """A table with one column per run."""
    print('\n' + title)
    print(
        '%-36s' % head + ''.join('%10s' % ('p%d' % r.parallel) for r in runs)
    )
    for label, values in rows:
        print(
            '%-36s' % label
            + ''.join(
                '%10s' % (v if isinstance(v, str) else '%.2f' % v)
                for v in values
            )
        )


def step_rows(runs, n):
    """(label, seconds per server for each run) of the report's steps."""
    kinds = []
    for run in runs:
        for s in run.servers:
            for k in s.get('steps') or {}:
                if step_kind(k) not in kinds:
                    kinds.append(step_kind(k))
    rows = []
    for kind in kinds:
        values = []
        for run in runs:
            total = sum(
                v.get('seconds') or 0
                for s in run.servers
                for k, v in (s.get('steps') or {}).items()
                if step_kind(k) == kind
            )
            if kind == 'volume':
                total -= sum(v.get('seconds') or 0 for v in run.volumes)
            values.append(total / n)
        if kind == 'volume':
            rows.append(('volume steps outside the copy', values))
            rows.append(
                (
                    'volume byte copy + verify',
                    [
                        sum(v.get('seconds') or 0 for v in r.volumes) / n
                        for r in runs
                    ],
                )
            )
        else:
            rows.append((kind, values))
    rows.append(
        (
            'all steps',
            [sum(s.get('seconds') or 0 for s in r.servers) / n for r in runs],
        )
    )
    return rows


def print_results(runs, args):
    if not runs:
        return
    base, n = runs[0], args.servers
    print()
    print(
        '%d servers x %d volumes of %d GiB (sparse, %d MiB of random data '
        'each), %d CPUs'
        % (
            n,
            args.volumes_per_server,
            args.size_gib,
            CHUNKS * CHUNK // MiB,
            os.cpu_count(),
        )
    )
    print(
        '%8s %8s %8s %12s %7s %11s %7s %8s %8s %6s  %s'
        % (
            'parallel',
            'wall s',
            'speed-up',
            'other s/srv',
            'max',
            'copy s/vol',
            'max',
            'req/srv',
            'ssh/srv',
            'cpu',
            'bytes',
        )
    )
    for run in runs:
        other = [s.get('other_seconds') or 0 for s in run.servers]
        copy = [v.get('seconds') or 0 for v in run.volumes]
        print(
            '%8d %8.1f %7.2fx %12.1f %7.1f %11.1f %7.1f %8.1f %8.1f %5.0f%%'
            '  %s'
            % (
                run.parallel,
                run.wall,
                base.wall / run.wall,
                mean(other),
                max(other, default=float('nan')),
                mean(copy),
                max(copy, default=float('nan')),
                run.counter.total / n,
                sum(run.counter.ssh.values()) / n,
                100 * run.cpu,
                'OK' if not run.problems else 'WRONG (%d)' % len(run.problems),
            )
        )
    print(
        'wall: the import command in this process, start-up and pre-flight '
        'included; other s/srv: the report\'s other_seconds (the seconds of '
        'a server\'s steps minus its byte copies); copy s/vol: the report\'s '
        'copy seconds of a volume (hashing included); req/srv: HTTP '
        'requests; ssh/srv: SSH sessions to the conversion hosts; cpu: how '
        'busy the machine\'s CPUs were (the cloud, the conversion hosts, '
        'this process and whatever else runs there); bytes: '
        'every destination backing file compared with its source.'
    )

    rows = step_rows(runs, n)
    rows += [
        ('before the first server starts', [r.before for r in runs]),
        ('after the last server ends', [r.after for r in runs]),
    ]
    table(
        'Where the time goes: seconds per server, by step (reports) and '
        'around them (logs, whole run)',
        'step',
        rows,
        runs,
    )
    phases = []
    for run in runs:
        phases += [p for p in run.phases if p not in phases]
    table(
        'Phases of the per-server logs: seconds per server',
        'phase',
        [(p, [r.phases.get(p, 0) / n for r in runs]) for p in phases],
        runs,
    )

    groups = sorted({g for r in runs for g in r.cpu_groups})
    rows = [(g, [r.cpu_groups.get(g, 0) / n for r in runs]) for g in groups]
    rows.append(
        ('all processes above', [sum(r.cpu_groups.values()) / n for r in runs])
    )
    rows.append(('the machine, busy', [r.cpu_seconds / n for r in runs]))
    rows.append(
        (
            'the machine, at most (CPUs x wall)',
            [(os.cpu_count() or 1) * r.wall / n for r in runs],
        )
    )
    table('CPU seconds per server, by whose', 'processes', rows, runs)

    services = sorted({k[0] for r in runs for k in r.counter.requests})
    rows = []
    for service in services:
        rows.append(
            (
                service + ' requests',
                [
                    sum(
                        c
                        for (sv, _), c in r.counter.requests.items()
                        if sv == service
                    )
                    / n
                    for r in runs
                ],
            )
        )
        rows.append(
            (
                '  writes (POST/PUT/DELETE)',
                [
                    sum(
                        c
                        for (sv, m), c in r.counter.requests.items()
                        if sv == service and m != 'GET'
                    )
                    / n
                    for r in runs
                ],
            )
        )
        rows.append(
            (
                '  seconds waiting for answers',
                [
                    sum(
                        t
                        for (sv, _), t in r.counter.request_seconds.items()
                        if sv == service
                    )
                    / n
                    for r in runs
                ],
            )
        )
    table('API requests per server', 'service', rows, runs)
    for run in runs:
        print(
            '\np%d: the requests that took longest in all (count, seconds '
            'per request, seconds in all):' % run.parallel
        )
        slow = sorted(
            run.counter.kinds,
            key=lambda k: -run.counter.kind_seconds[k],
        )[:8]
        for kind in slow:
            count = run.counter.kinds[kind]
            secs = run.counter.kind_seconds[kind]
            print(
                '  %5d %6.2f %8.1f  %s %s %s'
                % (count, secs / count, secs, kind[0], kind[1], kind[2])
            )

    for run in runs:
        for problem in run.problems:
            print('p%d: %s' % (run.parallel, problem))

    print()
    p1 = next((r for r in runs if r.parallel == 1), None)
    if p1 is None:
        return
    other = [s.get('other_seconds') or 0 for s in p1.servers]
    met = mean(other) < TARGET_OTHER
    print(
        '%s outside the byte copy at --parallel 1: %.1f s per server '
        '(max %.1f; target < %.0f s)'
        % (
            'MET    ' if met else 'NOT MET',
            mean(other),
            max(other, default=0),
            TARGET_OTHER,
        )
    )
    for run in runs:
        if run.parallel == 1:
            continue
        ratio = p1.wall / run.wall
        print(
            '%s --parallel %d: %.2fx as fast as --parallel 1 overall '
            '(target >= %.1fx)'
            % (
                'MET    ' if ratio >= TARGET_SPEEDUP else 'NOT MET',
                run.parallel,
                ratio,
                TARGET_SPEEDUP,
            )
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--src', default='src')
    parser.add_argument('--dst', default='dst')
    parser.add_argument('--servers', type=int, default=10)
    parser.add_argument('--volumes-per-server', type=int, default=2)
    parser.add_argument('--size-gib', type=int, default=1)
    parser.add_argument(
        '--parallel',
        type=int,
        action='append',
        help='An import with this --parallel (repeatable; default: 1 and 4; '
        'the first is the base of the speed-up)',
    )
    parser.add_argument(
        '--results',
        help='Keep the reports and logs here (default: a new '
        'temporary directory)',
    )
    parser.add_argument(
        '--keep', action='store_true', help='Leave everything made in place'
    )
    args = parser.parse_args()
    args.parallel = args.parallel or [1, 4]
    default_clouds = os.path.join(devcloud_home(), 'clouds.yaml')
    if 'OS_CLIENT_CONFIG_FILE' not in os.environ and os.path.exists(
        default_clouds
    ):
        os.environ['OS_CLIENT_CONFIG_FILE'] = default_clouds
    bench = Bench(args)
    received = []

    def interrupted(signum, frame):
        received.append(signal.Signals(signum).name)
        # The import's threads fail at their next request or SSH call.
        if bench.counter is not None:
            bench.counter.abort()
        raise KeyboardInterrupt

    # SIGTERM cleans up like Ctrl-C.
    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    say(
        'prefix %s, data dir %s, results %s'
        % (bench.prefix, bench.data_dir, bench.results)
    )
    runs = []
    t = time.monotonic()
    try:
        bench.networks()
        bench.seed()
        say(
            'seeded %d servers in %.1f s'
            % (args.servers, time.monotonic() - t)
        )
        t = time.monotonic()
        bench.deploy()
        say('deployed the conversion hosts in %.1f s' % (time.monotonic() - t))
        bench.export()
        for i, parallel in enumerate(args.parallel):
            if i:
                bench.reset_destination()
            say('importing with --parallel %d' % parallel)
            run = bench.run_import(parallel)
            say('  rc %d in %.1f s; verifying the bytes' % (run.rc, run.wall))
            run.problems += bench.verify(run)
            runs.append(run)
    except KeyboardInterrupt:
        say('interrupted (%s)' % (', '.join(received) or 'KeyboardInterrupt'))
        return SIGINT_EXIT
    finally:
        t = time.monotonic()
        if args.keep:
            say(
                'kept everything named %s-* and %s'
                % (bench.prefix, bench.data_dir)
            )
        else:
            say('cleaning up')
            bench.cleanup()
            say('cleaned up in %.1f s' % (time.monotonic() - t))
    print_results(runs, args)
    say('reports and logs: %s' % bench.results)
    return 1 if any(r.problems or r.rc for r in runs) else 0


if __name__ == '__main__':
    sys.exit(main())
