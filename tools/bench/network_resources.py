"""Benchmark: export and import of a network layout, against a bare script.

For each tenant size (``--sizes``, default 140 and 1000 resources), seeds
the source project (``src`` of the development cloud) with networks, one
subnet each, security groups and seven rules per group (the shape of issue
21: 30 networks, 30 subnets, 10 groups and 70 rules make 140), all named
``bench-*``; then, in one run and against the destination (``dst``):

1. ``openstack migrate export all`` of the source;
2. the bare baseline: a minimal openstacksdk script that creates the same
   resources in the destination, one after another, and nothing else;
3. ``openstack migrate import all`` into the emptied destination, with
   ``--parallel N`` when given;
4. ``import all`` once more, which should write nothing.

Steps 2 and 3 are repeated ``--repeat`` times, alternating, as the cloud is
shared and timings are noisy; the ratio of each pair is printed, and the
median.  Every HTTP request is counted (token requests apart).

If a project's Neutron quotas are too small for a size, the admin clouds
(``--src-admin`` / ``--dst-admin``) raise them for the run and put them
back at the end.  Every ``bench-*`` resource made is deleted at the end
unless ``--keep``.

    .venv/bin/python tools/bench/network_resources.py [--sizes 140,1000]
        [--parallel 4] [--repeat 3] [--routers 0] [--keep]

Prints figures; asserts nothing.
"""

import argparse
import collections
from concurrent import futures
import contextlib
import io
import os
import statistics
import sys
import tempfile
import threading
import time
import typing as ty

from keystoneauth1 import session as ks_session
import openstack
from openstackclient import shell
import yaml

PREFIX = 'bench-'
#: the targets of issue 21
TARGETS = {'ratio': 0.8, 'export': 0.02}
RULES_PER_GROUP = 7
#: the quotas a layout needs, by Neutron quota name
QUOTAS = ('networks', 'subnets', 'security_groups', 'security_group_rules')


class Layout(ty.NamedTuple):
    networks: int
    groups: int
    routers: int = 0

    @classmethod
    def of_size(cls, size: int, routers: int = 0) -> 'Layout':
        """About ``size`` resources: a group and its rules make eight, a
        network and its subnet two."""
        groups = max(1, size // 14)
        networks = max(1, (size - groups * (RULES_PER_GROUP + 1)) // 2)
        return cls(networks, groups, routers)

    @property
    def size(self) -> int:
        # Each router also has an interface.
        return (
            self.networks * 2
            + self.groups * (RULES_PER_GROUP + 1)
            + self.routers * 2
        )

    def needs(self) -> dict[str, int]:
        # Neutron adds two egress rules to every new group.
        return {
            'networks': self.networks,
            'subnets': self.networks,
            'security_groups': self.groups + 1,
            'security_group_rules': self.groups * (RULES_PER_GROUP + 2),
        }


class RequestCounter:
    """Counts the requests keystoneauth sends, by HTTP method (token
    requests apart, as AUTH), and the time spent waiting for them."""

    def __init__(self) -> None:
        self.counts: collections.Counter = collections.Counter()
        self.seconds = 0.0
        self._lock = threading.Lock()
        self._orig = ks_session.Session.request

    def __enter__(self) -> 'RequestCounter':
        counter = self

        def request(sess, url, method, *args, **kwargs):
            # Token requests are authentication, not work on resources.
            key = 'AUTH' if '/auth/tokens' in url else method.upper()
            t = time.monotonic()
            try:
                return counter._orig(sess, url, method, *args, **kwargs)
            finally:
                with counter._lock:
                    counter.counts[key] += 1
                    counter.seconds += time.monotonic() - t

        ks_session.Session.request = request
        return self

    def __exit__(self, *exc) -> None:
        ks_session.Session.request = self._orig

    @property
    def total(self) -> int:
        """Requests on resources (token requests not counted)."""
        return sum(n for m, n in self.counts.items() if m != 'AUTH')

    @property
    def writes(self) -> int:
        return sum(
            n for m, n in self.counts.items() if m in ('POST', 'PUT', 'DELETE')
        )


def rules_of(group, first) -> list[dict]:
    """A group's seven rules: five ports, ICMP, one from the first group."""
    rules = [
        dict(
            security_group_id=group.id,
            direction='ingress',
            ethertype='IPv4',
            protocol='tcp',
            port_range_min=8000 + port,
            port_range_max=8000 + port,
            remote_ip_prefix='10.0.0.0/8',
        )
        for port in range(RULES_PER_GROUP - 2)
    ]
    rules.append(
        dict(
            security_group_id=group.id,
            direction='ingress',
            ethertype='IPv4',
            protocol='icmp',
        )
    )
    rules.append(
        dict(
            security_group_id=group.id,
            direction='ingress',
            ethertype='IPv4',
            remote_group_id=first.id,
        )
    )
    return rules


def create_layout(conn, layout: Layout) -> None:
    """Create the bench resources, one after another: the bare script."""
    net = conn.network
    subnets = []
    for i in range(layout.networks):
        n = net.create_network(name='%snet-%03d' % (PREFIX, i))
        subnets.append(
            net.create_subnet(
                name='%ssubnet-%03d' % (PREFIX, i),
                network_id=n.id,
                ip_version=4,
                cidr='10.%d.%d.0/24' % (100 + i // 250, i % 250),
            )
        )
    groups = [
        net.create_security_group(name='%ssg-%02d' % (PREFIX, i))
        for i in range(layout.groups)
    ]
    for g in groups:
        for kwargs in rules_of(g, groups[0]):
            net.create_security_group_rule(**kwargs)
    if layout.routers:
        public = net.find_network('public', ignore_missing=False)
    for i in range(layout.routers):
        r = net.create_router(
            name='%srouter-%02d' % (PREFIX, i),
            external_gateway_info={'network_id': public.id},
        )
        net.add_interface_to_router(r, subnet_id=subnets[i].id)


def seed(conn, layout: Layout) -> None:
    """The layout in the source, made eight at a time (not measured), with
    the groups' seven rules and nothing else, so that the data files hold
    the layout's resources and no more."""
    net = conn.network
    with futures.ThreadPoolExecutor(8) as pool:
        networks = list(
            pool.map(
                lambda i: net.create_network(name='%snet-%03d' % (PREFIX, i)),
                range(layout.networks),
            )
        )
        subnets = list(
            pool.map(
                lambda i: net.create_subnet(
                    name='%ssubnet-%03d' % (PREFIX, i),
                    network_id=networks[i].id,
                    ip_version=4,
                    cidr='10.%d.%d.0/24' % (100 + i // 250, i % 250),
                ),
                range(layout.networks),
            )
        )
        groups = list(
            pool.map(
                lambda i: net.create_security_group(
                    name='%ssg-%02d' % (PREFIX, i)
                ),
                range(layout.groups),
            )
        )
        defaults = [
            r['id'] for g in groups for r in g.security_group_rules or []
        ]
        list(pool.map(net.delete_security_group_rule, defaults))
        list(
            pool.map(
                lambda kw: net.create_security_group_rule(**kw),
                [kw for g in groups for kw in rules_of(g, groups[0])],
            )
        )
    if layout.routers:
        public = net.find_network('public', ignore_missing=False)
    for i in range(layout.routers):
        r = net.create_router(
            name='%srouter-%02d' % (PREFIX, i),
            external_gateway_info={'network_id': public.id},
        )
        net.add_interface_to_router(r, subnet_id=subnets[i].id)


def clean(conn) -> None:
    """Delete every bench-* resource of the project (eight at a time)."""
    net = conn.network
    pid = conn.current_project_id
    for r in net.routers(project_id=pid):
        if r.name.startswith(PREFIX):
            for p in net.ports(device_id=r.id):
                if p.device_owner.startswith('network:router_interface'):
                    net.remove_interface_from_router(r, port_id=p.id)
            net.delete_router(r)
    with futures.ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                net.delete_security_group,
                [
                    g
                    for g in net.security_groups(project_id=pid)
                    if g.name.startswith(PREFIX)
                ],
            )
        )
        list(
            pool.map(
                net.delete_network,
                [
                    n
                    for n in net.networks(project_id=pid)
                    if n.name.startswith(PREFIX)
                ],
            )
        )


class Quotas:
    """Raises a project's Neutron quotas for the run; puts them back."""

    def __init__(self, admin_cloud: str, project_id: str) -> None:
        self.conn = openstack.connect(cloud=admin_cloud)
        self.project = self.conn.identity.get_project(project_id)
        self.saved: dict[str, int] = {}

    def ensure(self, needs: dict[str, int]) -> None:
        quota = self.conn.network.get_quota(self.project.id, details=True)
        raise_to = {}
        for name, n in needs.items():
            q = getattr(quota, name)
            limit, used = q['limit'], q['used']
            if limit != -1 and limit - used < n:
                self.saved.setdefault(name, limit)
                raise_to[name] = used + n + 10
        if raise_to:
            print('raising quotas of %s: %s' % (self.project.name, raise_to))
            self.conn.network.update_quota(self.project.id, **raise_to)

    def restore(self) -> None:
        if self.saved:
            self.conn.network.update_quota(self.project.id, **self.saved)
            self.saved = {}


def run(argv: list[str]) -> tuple[int, str]:
    """Run one openstack CLI command in this process; return (rc, stdout)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = shell.main(argv)
    return rc, out.getvalue()


def count_resources(data_dir: str) -> int:
    n = 0
    for name in os.listdir(data_dir):
        if name.endswith('.yml'):
            with open(os.path.join(data_dir, name)) as f:
                n += len(yaml.safe_load(f)['resources'])
    return n


class Step(ty.NamedTuple):
    label: str
    rc: int
    seconds: float
    requests: int
    writes: int
    wait: float


def timed(label: str, fn: ty.Callable[[], int]) -> Step:
    with RequestCounter() as counter:
        t = time.monotonic()
        rc = fn()
        elapsed = time.monotonic() - t
    return Step(
        label, rc, elapsed, counter.total, counter.writes, counter.seconds
    )


def bench_size(args, layout: Layout) -> list[dict]:
    """Every step for one layout; a row of the final table per --parallel
    value."""
    src = openstack.connect(cloud=args.src)
    dst = openstack.connect(cloud=args.dst)
    clean(src)
    clean(dst)
    t = time.monotonic()
    seed(src, layout)
    print(
        '\nseeded the source with %d resources in %.1f s'
        % (layout.size, time.monotonic() - t),
        flush=True,
    )
    data_dir = tempfile.mkdtemp(prefix='osmigrate-bench-')
    common = ['--data-dir', data_dir, '--name-regex', '^' + PREFIX]
    common += ['-f', 'json']

    def importing(parallel: str) -> list[str]:
        argv = ['migrate', 'import', 'all', '--dst-cloud', args.dst]
        if parallel != 'default':
            argv += ['--parallel', parallel]
        return argv + common

    steps = [
        timed(
            'export all',
            lambda: run(
                ['migrate', 'export', 'all', '--src-cloud', args.src] + common
            )[0],
        )
    ]
    resources = count_resources(data_dir)

    def bare() -> int:
        # A script of its own: connects, then creates.
        create_layout(openstack.connect(cloud=args.dst), layout)
        return 0

    #: per --parallel value: (bare, import) of each round
    pairs: dict[str, list[tuple[Step, Step]]] = {p: [] for p in args.parallel}
    for i in range(args.repeat):
        clean(dst)
        b = timed('bare script #%d' % (i + 1), bare)
        steps.append(b)
        for p in args.parallel:
            clean(dst)
            m = timed(
                'import -p %s #%d' % (p, i + 1),
                lambda p=p: run(importing(p))[0],
            )
            steps.append(m)
            pairs[p].append((b, m))
            print(
                '%s: %.1f s, %s: %.1f s'
                % (b.label, b.seconds, m.label, m.seconds),
                flush=True,
            )
    again = timed(
        'import (again)', lambda: run(importing(args.parallel[-1]))[0]
    )
    steps.append(again)

    print('\n%d resources in the data files (%s)' % (resources, data_dir))
    print(
        '%-20s %3s %8s %7s %7s %7s %9s %9s'
        % ('step', 'rc', 'seconds', 'res/s', 'reqs', 'writes', 'reqs/res',
           'ms/req')
    )  # fmt: skip
    for step in steps:
        print(
            '%-20s %3d %8.2f %7.1f %7d %7d %9.2f %9.1f'
            % (
                step.label,
                step.rc,
                step.seconds,
                resources / step.seconds,
                step.requests,
                step.writes,
                step.requests / resources,
                1000 * step.wait / max(step.requests, 1),
            )
        )
    rows = []
    for p, runs in pairs.items():
        ratios = [m.seconds / b.seconds for b, m in runs]
        print(
            'import -p %s / bare, per round: %s'
            % (p, ', '.join('%.2f' % r for r in ratios))
        )
        rows.append(
            {
                'resources': resources,
                'parallel': p,
                'bare': statistics.median(b.seconds for b, _ in runs),
                'import': statistics.median(m.seconds for _, m in runs),
                'ratio': statistics.median(ratios),
                'bare_reqs': runs[0][0].requests / resources,
                'import_reqs': runs[0][1].requests / resources,
                'export_reqs': steps[0].requests / resources,
                'again_writes': again.writes,
                'rcs': [s.rc for s in steps],
            }
        )
    if not args.keep:
        clean(dst)
        clean(src)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--src', default='src')
    parser.add_argument('--dst', default='dst')
    parser.add_argument('--src-admin', default='src-admin')
    parser.add_argument('--dst-admin', default='dst-admin')
    parser.add_argument(
        '--sizes',
        default='140,1000',
        help='tenant sizes in resources, comma-separated (default 140,1000)',
    )
    parser.add_argument(
        '--parallel',
        default='default',
        help='--parallel of import all, comma-separated values to compare '
        'several in the same run (default: the command\'s own)',
    )
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--routers', type=int, default=0)
    parser.add_argument(
        '--keep', action='store_true', help='keep the bench resources'
    )
    args = parser.parse_args()
    args.parallel = args.parallel.split(',')

    layouts = [
        Layout.of_size(int(s), args.routers) for s in args.sizes.split(',')
    ]
    src = openstack.connect(cloud=args.src)
    dst = openstack.connect(cloud=args.dst)
    quotas = [
        Quotas(args.src_admin, src.current_project_id),
        Quotas(args.dst_admin, dst.current_project_id),
    ]
    results = []
    try:
        for layout in layouts:
            for q in quotas:
                q.ensure(layout.needs())
            results += bench_size(args, layout)
    finally:
        if not args.keep:
            clean(dst)
            clean(src)
            for q in quotas:
                q.restore()

    print(
        '\nmedians of %d pairs; targets of issue 21 in brackets' % args.repeat
    )
    print(
        '%9s %8s %8s %8s %13s %9s %11s %11s %15s'
        % ('resources', 'parallel', 'bare s', 'import s', 'ratio [<=0.8]',
           'bare r/r', 'import r/r', 'export r/r', 'reimport writes')
    )  # fmt: skip
    for r in results:
        print(
            '%9d %8s %8.2f %8.2f %13.2f %9.2f %11.2f %11.3f %15d'
            % (
                r['resources'],
                r['parallel'],
                r['bare'],
                r['import'],
                r['ratio'],
                r['bare_reqs'],
                r['import_reqs'],
                r['export_reqs'],
                r['again_writes'],
            )
        )
    print(
        '(r/r: requests per resource; targets: export <= %.2f, '
        'reimport writes 0)' % TARGETS['export']
    )
    return 0 if all(rc == 0 for r in results for rc in r['rcs']) else 1


if __name__ == '__main__':
    sys.exit(main())
