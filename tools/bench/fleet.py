"""Benchmark: the control plane of a fleet (issue 17).

Boots ``--servers`` small servers (default 300) in the source project of the
development cloud, from its fake compute image on one network, with no
volumes (cheap: the fake virt driver runs nothing), makes the same-named
network and subnet in the destination, then measures in this process, with
every HTTP request counted (token requests apart):

1. ``openstack migrate workload export`` of the fleet;
2. ``openstack migrate workload plan --stop`` (the pre-flight of every
   server, nothing changed);
3. ``openstack migrate workload import --stop --dry-run``, in a child
   process, for its peak memory (RSS).

Prints wall time, requests and requests per server of each step against the
targets (export <= 0.05, pre-flight <= 0.2 requests per server; memory of
the import of 1,000 servers <= 300 MB: the figure at this size).  The
source project's compute and network quotas are raised for the run
(``--admin``) and put back at the end.  Every ``bench-fleet-*`` resource
is deleted at the end unless ``--keep`` (which keeps the raised quotas
too); a run with ``--keep`` is reused by the next one.

    .venv/bin/python tools/bench/fleet.py [--servers 300] [--keep]

Prints figures; asserts nothing.
"""

import argparse
from concurrent import futures
import os
import resource
import subprocess
import sys
import tempfile
import time

import openstack

# The network benchmark's helpers (this directory is on sys.path when a
# script of it runs).
from network_resources import RequestCounter  # noqa: E402
from network_resources import run  # noqa: E402

PREFIX = 'bench-fleet-'
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


def child_rss(argv):
    """Peak RSS in MB of ``openstack <argv>`` run as a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    openstack_cli = os.path.join(os.path.dirname(sys.executable), 'openstack')
    proc = subprocess.run(
        [openstack_cli] + argv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the largest child so far: run this first.
    return proc.returncode, max(after, before) / 1024.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--servers', type=int, default=300)
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
    common = ['--data-dir', data_dir, '--name-regex', '^' + PREFIX]
    clouds = ['--src-cloud', args.src, '--dst-cloud', args.dst]
    try:
        seed(src, args.servers)
        _network(dst)
        # Memory first: ru_maxrss of children keeps the largest child.
        steps = [
            counted(
                'workload export',
                ['migrate', 'workload', 'export', '--src-cloud', args.src]
                + common,
            )
        ]
        rc_rss, rss = child_rss(
            ['migrate', 'workload', 'import', '--stop', '--dry-run']
            + clouds
            + common
        )
        steps.append(
            counted(
                'workload plan (pre-flight)',
                ['migrate', 'workload', 'plan', '--stop'] + clouds + common,
            )
        )
    finally:
        # Quotas go back only once the servers are gone: tests that share
        # the project would otherwise find it over quota.
        if not args.keep:
            clean(src)
            clean(dst)
            _restore_quotas(admin, src.current_project_id, saved)
        elif saved:
            print('kept the servers, and the raised quotas: %s' % saved)

    n = args.servers
    print()
    print(
        '%-28s %4s %8s %9s %12s %8s'
        % ('step', 'rc', 'seconds', 'requests', 'req/server', 'target')
    )
    for (label, rc, seconds, requests), key in zip(
        steps, ('export', 'preflight'), strict=True
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
    print(
        'workload import --dry-run: rc %d, peak RSS %.0f MB for %d servers'
        % (rc_rss, rss, n)
    )
    if any(step[1] for step in steps) or rc_rss:
        print(
            '(rc 1 of the plan or dry run: servers blocked; their checks ran '
            'all the same)'
        )
    return 0


if __name__ == '__main__':
    sys.exit(main())
