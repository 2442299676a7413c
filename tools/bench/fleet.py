"""Benchmark: the control plane of a fleet (issue 17).

Boots ``--servers`` small servers (default 300) in the source project of the
development cloud, from its fake compute image on one network, with no
volumes (cheap: the fake virt driver runs nothing), makes the same-named
network and subnet in the destination, then measures in this process, with
every HTTP request counted (token requests apart):

1. ``openstack migrate workload export`` of the fleet;
2. ``openstack migrate workload plan --stop`` (the pre-flight of every
   server, nothing changed);
3. the peak memory (maximum RSS of the child process, from ``wait4``) of
   ``openstack migrate workload import --stop --dry-run`` and of ``workload
   plan --stop``, each in a child process: with the exported file, and
   with a file of ``--entries`` servers (default 1,000) made of the
   exported entries repeated under new names, so that each entry's
   pre-flight checks a source server that exists (booting 1,000 servers
   is too heavy for the shared development cloud); and the requests of
   the plan of that file, which should not grow with it.

Prints wall time, requests and requests per server of each step against the
targets (export <= 0.05, pre-flight <= 0.2 requests per server; memory of
the import of 1,000 servers <= 300 MB).  The
source project's compute and network quotas are raised for the run
(``--admin``) and put back at the end.  Every ``bench-fleet-*`` resource
is deleted at the end unless ``--keep`` (which keeps the raised quotas
too); a run with ``--keep`` is reused by the next one.

    .venv/bin/python tools/bench/fleet.py [--servers 300] [--entries 1000]
        [--keep]

Prints figures; asserts nothing.
"""

import argparse
from concurrent import futures
import os
import shutil
import subprocess
import sys
import tempfile
import time

import openstack
import yaml

# The network benchmark's helpers (this directory is on sys.path when a
# script of it runs).
from network_resources import RequestCounter  # noqa: E402
from network_resources import run  # noqa: E402

PREFIX = 'bench-fleet-'
#: the file ``workload export`` writes in the data dir
WORKLOADS = 'workloads.yml'
TARGETS = {'export': 0.05, 'preflight': 0.2, 'rss_1000': 300}
IMAGE, FLAVOR = 'devcloud-image', 'm1.tiny'


def _raise_quotas(admin, project_id, servers):
    """Raise what ``servers`` servers need; return what to put back."""
    saved = {}
    compute = admin.compute.get_quota_set(project_id)
    need = {'instances': servers + 5, 'cores': servers + 5}
    need['ram'] = (servers + 5) * 512
    up = {k: v for k, v in need.items() if 0 <= getattr(compute, k) < v}
    if up:
        saved['compute'] = {k: getattr(compute, k) for k in up}
        admin.compute.update_quota_set(project_id, **up)
    net = admin.network.get_quota(project_id)
    if 0 <= net.ports < servers + 20:
        saved['network'] = {'ports': net.ports}
        admin.network.update_quota(project_id, ports=servers + 20)
    return saved


def _restore_quotas(admin, project_id, saved):
    if 'compute' in saved:
        admin.compute.update_quota_set(project_id, **saved['compute'])
    if 'network' in saved:
        admin.network.update_quota(project_id, **saved['network'])


def _network(conn, cidr='10.250.0.0/16'):
    net = conn.network.find_network(PREFIX + 'net')
    if net is None:
        net = conn.network.create_network(name=PREFIX + 'net')
        conn.network.create_subnet(
            name=PREFIX + 'sub', network_id=net.id, ip_version=4, cidr=cidr
        )
    return net


def seed(conn, servers):
    """``servers`` ACTIVE servers named bench-fleet-NNNN (kept ones reused)."""
    net = _network(conn)
    image = conn.image.find_image(IMAGE, ignore_missing=False)
    flavor = conn.compute.find_flavor(FLAVOR, ignore_missing=False)
    have = {
        s.name for s in conn.compute.servers() if s.name.startswith(PREFIX)
    }
    names = ['%s%04d' % (PREFIX, i) for i in range(servers)]
    missing = [n for n in names if n not in have]

    def boot(name):
        conn.compute.create_server(
            name=name,
            image_id=image.id,
            flavor_id=flavor.id,
            networks=[{'uuid': net.id}],
        )

    t = time.monotonic()
    with futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(boot, missing))
    deadline = time.monotonic() + 60 + 3 * servers
    while time.monotonic() < deadline:
        states = [
            s.status for s in conn.compute.servers() if s.name in set(names)
        ]
        if states.count('ACTIVE') == servers:
            break
        if 'ERROR' in states:
            raise SystemExit('a bench server went to ERROR')
        time.sleep(5)
    else:
        raise SystemExit('the bench servers did not all become ACTIVE')
    print(
        'seeded %d servers (%d booted) in %.0f s'
        % (servers, len(missing), time.monotonic() - t)
    )


def clean(conn):
    for s in list(conn.compute.servers()):
        if s.name.startswith(PREFIX):
            conn.compute.delete_server(s)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and any(
        s.name.startswith(PREFIX) for s in conn.compute.servers()
    ):
        time.sleep(3)
    net = conn.network.find_network(PREFIX + 'net')
    if net is not None:
        for p in conn.network.ports(network_id=net.id):
            conn.network.delete_port(p)
        conn.network.delete_network(net)


def counted(label, argv):
    with RequestCounter() as counter:
        t = time.monotonic()
        rc, _ = run(argv)
        seconds = time.monotonic() - t
    return label, rc, seconds, counter.total


#: runs its arguments and prints their exit code and peak RSS (KiB): a
#: small process, as a child starts with its parent's peak RSS (fork, exec)
_MEASURE = """
import os, sys
null = os.open(os.devnull, os.O_WRONLY)
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ, file_actions=[
    (os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)])
_, status, usage = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def child_rss(argv):
    """(rc, peak RSS in MB) of ``openstack <argv>`` run as a child process
    of a small one, so that this large process's memory does not count."""
    openstack_cli = os.path.join(os.path.dirname(sys.executable), 'openstack')
    out = subprocess.run(
        [sys.executable, '-c', _MEASURE, openstack_cli] + argv,
        stdout=subprocess.PIPE,
        check=True,
        text=True,
    ).stdout
    rc, kib = out.split()
    return int(rc), int(kib) / 1024.0


def widen(data_dir, entries):
    """A copy of ``data_dir`` whose workloads file holds ``entries``
    servers: the exported ones, then copies of them named on from
    bench-fleet-<servers>, each still naming its source server."""
    wide = tempfile.mkdtemp(prefix='bench-fleet-wide-')
    shutil.copytree(data_dir, wide, dirs_exist_ok=True)
    path = os.path.join(wide, WORKLOADS)
    with open(path) as f:
        doc = yaml.safe_load(f)
    exported = doc['resources']
    resources = exported[:entries]
    for i in range(len(exported), entries):
        entry = yaml.safe_load(yaml.safe_dump(exported[i % len(exported)]))
        entry['params']['name'] = '%s%04d' % (PREFIX, i)
        resources.append(entry)
    doc['resources'] = resources
    with open(path, 'w') as f:
        yaml.safe_dump(doc, f)
    return wide


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--servers', type=int, default=300)
    parser.add_argument('--entries', type=int, default=1000)
    parser.add_argument('--src', default='src')
    parser.add_argument('--dst', default='dst')
    parser.add_argument('--admin', default='src-admin')
    parser.add_argument('--keep', action='store_true')
    args = parser.parse_args()

    src = openstack.connect(cloud=args.src)
    dst = openstack.connect(cloud=args.dst)
    admin = openstack.connect(cloud=args.admin)
    saved = _raise_quotas(admin, src.current_project_id, args.servers)
    data_dir = tempfile.mkdtemp(prefix='bench-fleet-')
    regex = ['--name-regex', '^' + PREFIX]
    clouds = ['--src-cloud', args.src, '--dst-cloud', args.dst]
    dry_run = ['migrate', 'workload', 'import', '--stop', '--dry-run']
    plan = ['migrate', 'workload', 'plan', '--stop']
    rss = []
    wide = None
    try:
        seed(src, args.servers)
        _network(dst)
        steps = [
            counted(
                'workload export',
                ['migrate', 'workload', 'export', '--src-cloud', args.src]
                + ['--data-dir', data_dir]
                + regex,
            ),
            counted(
                'workload plan (pre-flight)',
                plan + clouds + ['--data-dir', data_dir] + regex,
            ),
        ]
        wide = widen(data_dir, args.entries)
        steps.append(
            counted(
                'plan of %d entries' % args.entries,
                plan + clouds + ['--data-dir', wide] + regex,
            )
        )
        for label, argv in (
            ('workload import --dry-run', dry_run),
            ('workload plan', plan),
        ):
            for size, where in (
                ('%d servers' % args.servers, data_dir),
                (
                    '%d entries (%d servers)' % (args.entries, args.servers),
                    wide,
                ),
            ):
                rss.append(
                    (label, size)
                    + child_rss(argv + clouds + ['--data-dir', where] + regex)
                )
    finally:
        for where in (data_dir, wide):
            if where:
                shutil.rmtree(where, ignore_errors=True)
        # Quotas go back only once the servers are gone: tests that share
        # the project would otherwise find it over quota.
        if not args.keep:
            clean(src)
            clean(dst)
            _restore_quotas(admin, src.current_project_id, saved)
        elif saved:
            print('kept the servers, and the raised quotas: %s' % saved)

    print()
    print(
        '%-28s %4s %8s %9s %12s %8s'
        % ('step', 'rc', 'seconds', 'requests', 'req/server', 'target')
    )
    for (label, rc, seconds, requests), key, n in zip(
        steps,
        ('export', 'preflight', 'preflight'),
        (args.servers, args.servers, args.entries),
        strict=True,
    ):
        per = requests / n
        print(
            '%-28s %4d %8.1f %9d %12.3f %8s'
            % (
                label,
                rc,
                seconds,
                requests,
                per,
                '<= %.2f %s'
                % (TARGETS[key], 'ok' if per <= TARGETS[key] else 'MISSED'),
            )
        )
    print()
    for (label, size, rc, mb), n in zip(
        rss, [args.servers, args.entries] * 2, strict=True
    ):
        target = ''
        if n >= 1000:
            target = '  (target <= %d MB: %s)' % (
                TARGETS['rss_1000'],
                'ok' if mb <= TARGETS['rss_1000'] else 'MISSED',
            )
        print(
            '%s of %s: rc %d, peak RSS %.0f MB%s'
            % (label, size, rc, mb, target)
        )
    if any(step[1] for step in steps) or any(r[2] for r in rss):
        print(
            '(rc 1 of the plan or dry run: servers blocked; their checks ran '
            'all the same)'
        )
    return 0


if __name__ == '__main__':
    sys.exit(main())
