"""Benchmark: export and import of a large network layout.

Seeds the source project (``src`` of the development cloud) with about 100
networks, 100 subnets, 20 routers with interfaces, 50 security groups and
500 rules (idempotently, all named ``bench-*``), removes earlier ``bench-*``
copies from the destination, then runs ``openstack migrate export all`` and
``import all`` twice in this process, counting the HTTP requests each one
sends, and prints requests per resource against the targets of issue 4.

    .venv/bin/python tools/bench/network_resources.py [--src src] [--dst dst]
        [--keep] [--networks 100] [--routers 20] [--groups 50]

Prints figures; asserts nothing.
"""

import argparse
import collections
import contextlib
import io
import os
import sys
import tempfile
import time

from keystoneauth1 import session as ks_session
import openstack
from openstackclient import shell

PREFIX = 'bench-'
TARGETS = {'export': 1.5, 'import': 3.0}


class RequestCounter:
    """Counts the requests keystoneauth sends, by HTTP method (token
    requests apart, as AUTH)."""

    def __init__(self):
        self.counts = collections.Counter()
        self._orig = ks_session.Session.request

    def __enter__(self):
        counter = self

        def request(sess, url, method, *args, **kwargs):
            # Token requests are authentication, not work on resources.
            if '/auth/tokens' in url:
                counter.counts['AUTH'] += 1
            else:
                counter.counts[method.upper()] += 1
            return counter._orig(sess, url, method, *args, **kwargs)

        ks_session.Session.request = request
        return self

    def __exit__(self, *exc):
        ks_session.Session.request = self._orig

    @property
    def total(self):
        return sum(self.counts.values())

    @property
    def writes(self):
        return sum(
            n for m, n in self.counts.items() if m in ('POST', 'PUT', 'DELETE')
        )


def seed(conn, networks, routers, groups):
    """Create the bench tenant in the source unless it is there already."""
    net = conn.network
    have = {n.name for n in net.networks(project_id=conn.current_project_id)}
    public = net.find_network('public', ignore_missing=False)
    subnets = []
    for i in range(networks):
        name = '%snet-%03d' % (PREFIX, i)
        if name in have:
            continue
        n = net.create_network(name=name)
        subnets.append(
            net.create_subnet(
                name='%ssubnet-%03d' % (PREFIX, i),
                network_id=n.id,
                ip_version=4,
                cidr='10.%d.%d.0/24' % (100 + i // 250, i % 250),
            )
        )
    have_routers = {r.name for r in net.routers()}
    for i in range(routers):
        name = '%srouter-%02d' % (PREFIX, i)
        if name in have_routers or not subnets:
            continue
        r = net.create_router(
            name=name, external_gateway_info={'network_id': public.id}
        )
        # Every router gets an interface on a subnet of its own.
        for s in subnets[i::routers][:1]:
            net.add_interface_to_router(r, subnet_id=s.id)
    have_groups = {g.name for g in net.security_groups()}
    made = []
    for i in range(groups):
        name = '%ssg-%02d' % (PREFIX, i)
        if name in have_groups:
            continue
        made.append(net.create_security_group(name=name))
    for g in made:
        # Ten rules per group: eight ports, one ICMP, one group reference.
        for port in range(8):
            net.create_security_group_rule(
                security_group_id=g.id,
                direction='ingress',
                ethertype='IPv4',
                protocol='tcp',
                port_range_min=8000 + port,
                port_range_max=8000 + port,
                remote_ip_prefix='10.0.0.0/8',
            )
        net.create_security_group_rule(
            security_group_id=g.id,
            direction='ingress',
            ethertype='IPv4',
            protocol='icmp',
        )
        net.create_security_group_rule(
            security_group_id=g.id,
            direction='ingress',
            ethertype='IPv4',
            remote_group_id=made[0].id,
        )


def clean(conn):
    """Delete every bench-* resource of the project."""
    net = conn.network
    pid = conn.current_project_id
    for r in net.routers(project_id=pid):
        if r.name.startswith(PREFIX):
            for p in net.ports(device_id=r.id):
                if p.device_owner.startswith('network:router_interface'):
                    net.remove_interface_from_router(r, port_id=p.id)
            net.delete_router(r)
    for g in net.security_groups(project_id=pid):
        if g.name.startswith(PREFIX):
            net.delete_security_group(g)
    for n in net.networks(project_id=pid):
        if n.name.startswith(PREFIX):
            net.delete_network(n)


def run(argv):
    """Run one openstack CLI command in this process; return (rc, stdout)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = shell.main(argv)
    return rc, out.getvalue()


def count_resources(data_dir):
    import yaml

    n = 0
    for name in os.listdir(data_dir):
        if name.endswith('.yml'):
            with open(os.path.join(data_dir, name)) as f:
                n += len(yaml.safe_load(f)['resources'])
    return n


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--src', default='src')
    parser.add_argument('--dst', default='dst')
    parser.add_argument('--networks', type=int, default=100)
    parser.add_argument('--routers', type=int, default=20)
    parser.add_argument('--groups', type=int, default=50)
    parser.add_argument(
        '--keep', action='store_true', help='keep the bench resources'
    )
    args = parser.parse_args()

    src = openstack.connect(cloud=args.src)
    dst = openstack.connect(cloud=args.dst)
    t = time.monotonic()
    seed(src, args.networks, args.routers, args.groups)
    print('seeded the source in %.1f s' % (time.monotonic() - t))
    clean(dst)

    data_dir = tempfile.mkdtemp(prefix='osmigrate-bench-')
    filt = ['--name-regex', '^' + PREFIX]
    rows = []
    for label, argv in (
        ('export all', ['migrate', 'export', 'all', '--src-cloud', args.src]),
        ('import all', ['migrate', 'import', 'all', '--dst-cloud', args.dst]),
        (
            'import all (again)',
            ['migrate', 'import', 'all', '--dst-cloud', args.dst],
        ),
    ):
        with RequestCounter() as counter:
            t = time.monotonic()
            rc, _ = run(
                argv + ['--data-dir', data_dir] + filt + ['-f', 'json']
            )
            elapsed = time.monotonic() - t
        rows.append((label, rc, elapsed, counter.total, counter.writes))
    resources = count_resources(data_dir)

    print('\n%d resources (%s)\n' % (resources, data_dir))
    print(
        '%-20s %4s %9s %9s %7s %10s %12s'
        % ('step', 'rc', 'seconds', 'res/s', 'reqs', 'writes', 'reqs/res')
    )
    for label, rc, elapsed, total, writes in rows:
        print(
            '%-20s %4d %9.1f %9.1f %7d %10d %12.2f'
            % (
                label,
                rc,
                elapsed,
                resources / elapsed,
                total,
                writes,
                total / resources,
            )
        )
    exp, imp, again = rows
    print(
        '\nexport: %.2f requests/resource (target <= %.1f: %.2fx of target)'
        % (
            exp[3] / resources,
            TARGETS['export'],
            exp[3] / resources / TARGETS['export'],
        )
    )
    print(
        'import: %.2f requests/created resource (target <= %.1f: %.2fx)'
        % (
            imp[3] / resources,
            TARGETS['import'],
            imp[3] / resources / TARGETS['import'],
        )
    )
    print('second import: %d write requests (target 0)' % again[4])
    if not args.keep:
        clean(dst)
        clean(src)
    return 0


if __name__ == '__main__':
    sys.exit(main())
