# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Networks, subnets, security groups, rules, routers and their interfaces:
``migrate export all`` / ``import all`` / ``plan`` against real clouds.

Every test seeds its own tenant content in ``src`` under a unique name
prefix, exports only that (``--name-regex ^<prefix>``), and cleans up
whatever carries the prefix in every cloud it touched.
"""

import collections
import json
import os
import re
import subprocess

import fixtures
import yaml

from tests.functional import base

SUBNET_FIELDS = (
    'allocation_pools',
    'cidr',
    'description',
    'dns_nameservers',
    'gateway_ip',
    'host_routes',
    'ip_version',
    'ipv6_address_mode',
    'ipv6_ra_mode',
    'is_dhcp_enabled',
)

#: The ``cli_name`` of the types under test, in dependency order.
NETWORK_TYPES = (
    'network',
    'subnet',
    'security group',
    'security group rule',
    'router',
    'router interface',
)


def _purge(conn, prefix):
    """Delete every network resource whose name starts with ``prefix``."""
    net = conn.network
    mine = lambda o: (o.name or '').startswith(prefix)  # noqa: E731
    pid = conn.current_project_id
    for router in [r for r in net.routers(project_id=pid) if mine(r)]:
        if router.routes:
            net.update_router(router, routes=[])
        for port in net.ports(device_id=router.id):
            if port.device_owner.startswith('network:router_interface') or (
                port.device_owner == 'network:ha_router_replicated_interface'
            ):
                net.remove_interface_from_router(router, port_id=port.id)
        net.delete_router(router, ignore_missing=True)
    networks = [n for n in net.networks(project_id=pid) if mine(n)]
    for network in networks:
        for port in net.ports(network_id=network.id):
            if port.device_owner in ('', None) or port.device_owner.startswith(
                'compute'
            ):
                net.delete_port(port, ignore_missing=True)
        net.delete_network(network, ignore_missing=True)
    for group in [g for g in net.security_groups(project_id=pid) if mine(g)]:
        net.delete_security_group(group, ignore_missing=True)
    for group in [g for g in net.address_groups(project_id=pid) if mine(g)]:
        net.delete_address_group(group, ignore_missing=True)


class Tenant:
    """What :func:`seed` made in the source, by role."""


def seed(conn, p):
    """A realistic tenant in ``conn``'s project; names start with ``p``."""
    net = conn.network
    t = Tenant()
    t.net1 = net.create_network(name=p + '-net1', description='front')
    net.set_tags(t.net1, ['blue', 'red'])
    t.sub1 = net.create_subnet(
        name=p + '-sub1',
        network_id=t.net1.id,
        ip_version=4,
        cidr='10.51.0.0/24',
        gateway_ip='10.51.0.1',
        allocation_pools=[
            {'start': '10.51.0.150', 'end': '10.51.0.200'},
            {'start': '10.51.0.10', 'end': '10.51.0.100'},
        ],
        dns_nameservers=['9.9.9.9', '1.1.1.1'],
        host_routes=[
            {'destination': '192.168.50.0/24', 'nexthop': '10.51.0.254'}
        ],
        description='front v4',
    )
    net.set_tags(t.sub1, ['v4'])
    t.sub1v6 = net.create_subnet(
        name=p + '-sub1v6',
        network_id=t.net1.id,
        ip_version=6,
        cidr='fd51::/64',
        ipv6_ra_mode='slaac',
        ipv6_address_mode='slaac',
    )
    t.net2 = net.create_network(name=p + '-net2', mtu=1400)
    t.sub2 = net.create_subnet(
        name=p + '-sub2',
        network_id=t.net2.id,
        ip_version=4,
        cidr='10.52.0.0/24',
        gateway_ip=None,
        is_dhcp_enabled=False,
    )
    t.sub2v6 = net.create_subnet(
        name=p + '-sub2v6',
        network_id=t.net2.id,
        ip_version=6,
        cidr='fd52::/64',
        ipv6_ra_mode='dhcpv6-stateful',
        ipv6_address_mode='dhcpv6-stateful',
        dns_nameservers=['fd52::53'],
    )
    t.net3 = net.create_network(name=p + '-net3')
    t.sub3 = net.create_subnet(
        name=p + '-sub3',
        network_id=t.net3.id,
        ip_version=4,
        cidr='10.53.0.0/24',
    )

    public = net.find_network(base.PUBLIC_NETWORK, ignore_missing=False)
    t.router1 = net.create_router(
        name=p + '-router1',
        description='edge',
        external_gateway_info={'network_id': public.id},
    )
    net.set_tags(t.router1, ['edge'])
    net.add_interface_to_router(t.router1, subnet_id=t.sub1.id)
    net.add_interface_to_router(t.router1, subnet_id=t.sub1v6.id)
    port = net.create_port(
        network_id=t.net2.id,
        fixed_ips=[{'subnet_id': t.sub2.id, 'ip_address': '10.52.0.5'}],
    )
    net.add_interface_to_router(t.router1, port_id=port.id)
    t.router1 = net.update_router(
        t.router1,
        routes=[
            {'destination': '172.30.0.0/24', 'nexthop': '10.51.0.20'},
            {'destination': '172.31.0.0/24', 'nexthop': '10.52.0.30'},
        ],
    )
    t.router2 = net.create_router(name=p + '-router2')
    net.add_interface_to_router(t.router2, subnet_id=t.sub3.id)

    t.web = net.create_security_group(name=p + '-web', description='web')
    net.set_tags(t.web, ['www'])
    t.db = net.create_security_group(
        name=p + '-db', description='db', stateful=False
    )
    # Keep the IPv4 default egress rule of web only: the destination must
    # end with exactly these rules, not Neutron's defaults.
    for rule in net.security_group_rules(security_group_id=t.web.id):
        if rule.ether_type == 'IPv6':
            net.delete_security_group_rule(rule)
    for rule in net.security_group_rules(security_group_id=t.db.id):
        net.delete_security_group_rule(rule)
    rules = [
        dict(
            security_group_id=t.web.id,
            direction='ingress',
            ether_type='IPv4',
            protocol='tcp',
            port_range_min=80,
            port_range_max=80,
            remote_ip_prefix='0.0.0.0/0',
            description='http',
        ),
        dict(
            security_group_id=t.web.id,
            direction='ingress',
            ether_type='IPv6',
            protocol='tcp',
            port_range_min=443,
            port_range_max=443,
            remote_ip_prefix='::/0',
        ),
        dict(
            security_group_id=t.web.id,
            direction='ingress',
            ether_type='IPv4',
            protocol='icmp',
        ),
        dict(
            security_group_id=t.db.id,
            direction='ingress',
            ether_type='IPv4',
            protocol='tcp',
            port_range_min=5432,
            port_range_max=5432,
            remote_group_id=t.web.id,
        ),
        dict(
            security_group_id=t.db.id,
            direction='ingress',
            ether_type='IPv4',
            remote_group_id=t.db.id,
        ),
        dict(
            security_group_id=t.db.id,
            direction='egress',
            ether_type='IPv4',
            protocol='udp',
            port_range_min=53,
            port_range_max=53,
            remote_ip_prefix='10.0.0.0/8',
        ),
    ]
    for rule in rules:
        net.create_security_group_rule(**rule)
    return t


def snapshot(conn, prefix):
    """What ``conn``'s project holds under ``prefix``, by name, no ids."""
    net = conn.network
    pid = conn.current_project_id
    mine = lambda o: (o.name or '').startswith(prefix)  # noqa: E731
    networks = {n.id: n for n in net.networks(project_id=pid) if mine(n)}
    subnets = {
        s.id: s
        for s in net.subnets(project_id=pid)
        if s.network_id in networks
    }
    groups = {g.id: g for g in net.security_groups(project_id=pid)}
    address_groups = {g.id: g.name for g in net.address_groups()}
    snap = {'networks': {}, 'subnets': {}, 'routers': {}, 'groups': {}}
    for n in networks.values():
        snap['networks'][n.name] = {
            'description': n.description,
            'mtu': n.mtu,
            'tags': sorted(n.tags),
            'is_admin_state_up': n.is_admin_state_up,
            'is_port_security_enabled': n.is_port_security_enabled,
        }
    for s in subnets.values():
        item = {f: getattr(s, f) for f in SUBNET_FIELDS}
        item['allocation_pools'] = sorted(
            (p['start'], p['end']) for p in s.allocation_pools
        )
        item['host_routes'] = sorted(
            (r['destination'], r['nexthop']) for r in s.host_routes
        )
        item['network'] = networks[s.network_id].name
        item['tags'] = sorted(s.tags)
        snap['subnets'][s.name] = item
    all_subnets = {s.id: s for s in net.subnets()}
    all_networks = {n.id: n for n in net.networks()}
    for r in net.routers(project_id=pid):
        if not mine(r):
            continue
        gateway = r.external_gateway_info or {}
        interfaces = sorted(
            (all_subnets[f['subnet_id']].name, f['ip_address'])
            for p in net.ports(device_id=r.id)
            if p.device_owner == 'network:router_interface'
            for f in p.fixed_ips
        )
        snap['routers'][r.name] = {
            'description': r.description,
            'tags': sorted(r.tags),
            'routes': sorted(
                (x['destination'], x['nexthop']) for x in r.routes
            ),
            'gateway': gateway and all_networks[gateway['network_id']].name,
            'interfaces': interfaces,
        }
    for g in groups.values():
        if not mine(g):
            continue
        rules = sorted(
            (
                tuple(
                    '' if v is None else v
                    for v in (
                        x.direction,
                        x.ether_type,
                        x.protocol,
                        x.port_range_min,
                        x.port_range_max,
                        x.remote_ip_prefix,
                        groups[x.remote_group_id].name
                        if x.remote_group_id
                        else None,
                        address_groups.get(x.remote_address_group_id),
                        x.description,
                    )
                )
                for x in net.security_group_rules(security_group_id=g.id)
            ),
            # Ports are ints and the rest strings: compare as text.
            key=lambda r: tuple(str(v) for v in r),
        )
        snap['groups'][g.name] = {
            'description': g.description,
            'stateful': g.stateful,
            'tags': sorted(g.tags),
            'rules': rules,
        }
    return snap


def revisions(conn, prefix):
    """(kind, name) -> (revision_number, updated_at) of the prefix's
    resources, rules included."""
    net = conn.network
    pid = conn.current_project_id
    mine = lambda o: (o.name or '').startswith(prefix)  # noqa: E731
    found = {}
    lists = {
        'network': net.networks(project_id=pid),
        'subnet': net.subnets(project_id=pid),
        'router': net.routers(project_id=pid),
        'security_group': net.security_groups(project_id=pid),
        'address_group': net.address_groups(project_id=pid),
    }
    for kind, objs in lists.items():
        for o in objs:
            if mine(o):
                found[(kind, o.name)] = (o.revision_number, o.updated_at)
                if kind == 'security_group':
                    for r in net.security_group_rules(security_group_id=o.id):
                        found[('rule', r.id)] = (r.revision_number, None)
    return found


class MigrateTestCase(base.FunctionalTestCase):
    def setUp(self):
        super().setUp()
        self.prefix = self.unique_name('osmnet')
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        for cloud in ('src', 'dst', 'dst-local'):
            self.addCleanup(_purge, self.conn(cloud), self.prefix)

    def migrate(self, verb, *args, cloud_option, cloud, expect_fail=False):
        return self.openstack(
            'migrate',
            *verb.split(),
            '--data-dir',
            self.data_dir,
            cloud_option,
            cloud,
            '--name-regex',
            '^' + self.prefix,
            *args,
            expect_fail=expect_fail,
        )

    def export_all(self, cloud='src'):
        return self.migrate(
            'export all',
            '-f',
            'json',
            cloud_option='--src-cloud',
            cloud=cloud,
        )

    def import_(self, what='all', *args, cloud='dst', expect_fail=False):
        return self.migrate(
            'import ' + what,
            '-f',
            'json',
            *args,
            cloud_option='--dst-cloud',
            cloud=cloud,
            expect_fail=expect_fail,
        )

    def import_logged(self, *args, cloud='dst', what='all', every=False):
        """``import <what>`` with ``--debug``: its rows, and the (method,
        url) of every request it made.

        :param every: not only the names of this test's prefix
        """
        argv = [
            self.openstack_cli,
            '--debug',
            'migrate',
            'import',
            *what.split(),
            '--data-dir',
            self.data_dir,
            '--dst-cloud',
            cloud,
            *([] if every else ['--name-regex', '^' + self.prefix]),
            '-f',
            'json',
            *args,
        ]
        proc = subprocess.run(
            argv,
            env=self.cli_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=self.CLI_TIMEOUT,
        )
        self.assertEqual(0, proc.returncode, proc.stderr[-5000:])
        requests = re.findall(r'REQ: curl .*?-X (\w+) (\S+)', proc.stderr)
        return json.loads(proc.stdout), requests

    def plan(self, *types, cloud='dst', expect_fail=False):
        """The rows of ``migrate plan``; it must fail if ``expect_fail``."""
        result = self.migrate(
            'plan',
            *types,
            '-f',
            'json',
            cloud_option='--dst-cloud',
            cloud=cloud,
            expect_fail=expect_fail,
        )
        if expect_fail:
            return json.loads(result.stdout)
        return result

    def path(self, file_name):
        return os.path.join(self.data_dir, file_name)

    def load(self, file_name):
        with open(self.path(file_name)) as f:
            return yaml.safe_load(f)

    def save(self, file_name, doc):
        with open(self.path(file_name), 'w') as f:
            yaml.safe_dump(doc, f)

    def validate_problems(self, *args, file_name=None):
        """(file, field, problem) of each row of ``migrate validate`` (which
        must fail), those of ``file_name`` only when given."""
        result = self.openstack(
            'migrate',
            'validate',
            '--data-dir',
            self.data_dir,
            *args,
            '-f',
            'json',
            expect_fail=True,
        )
        return [
            (r['File'], r['Field'], r['Problem'])
            for r in json.loads(result.stdout)
            if file_name is None or r['File'] == self.path(file_name)
        ]

    def address_group(self, cloud):
        group = self.conn(cloud).network.create_address_group(
            name=self.prefix + '-ag', addresses=['10.60.0.0/24']
        )
        return group


class TestNetworkResources(MigrateTestCase):
    def summary(self, rows, also=()):
        """Counts of the network types and ``also``; the other types did
        nothing."""
        counts = {
            r['Type']: (
                r['Created'],
                r['Updated'],
                r['Unchanged'],
                r['Failed'],
            )
            for r in rows
        }
        others = {
            t: c
            for t, c in counts.items()
            if t not in NETWORK_TYPES + also and any(c)
        }
        self.assertEqual({}, others)
        return {t: c for t, c in counts.items() if t in NETWORK_TYPES + also}

    def test_export_import_all(self):
        src, dst = self.conn('src'), self.conn('dst')
        t = seed(src, self.prefix)
        # The rule's address group is migrated too (created, not found).
        src_ag = self.address_group('src')
        src.network.create_security_group_rule(
            security_group_id=t.web.id,
            direction='ingress',
            ether_type='IPv4',
            protocol='tcp',
            port_range_min=22,
            port_range_max=22,
            remote_address_group_id=src_ag.id,
        )

        exported = [(r['Type'], r['Exported']) for r in self.export_all()]
        self.assertEqual(
            [
                ('network', 3),
                ('subnet', 5),
                ('security group', 2),
                ('security group rule', 8),
                ('router', 2),
                ('router interface', 4),
            ],
            [row for row in exported if row[0] in NETWORK_TYPES],
        )
        # The other pre-workload types hold nothing under the prefix.
        self.assertEqual(
            [('address group', 1)],
            [
                row
                for row in exported
                if row[0] not in NETWORK_TYPES and row[1]
            ],
        )
        routers = self.load('routers.yml')['resources']
        router1 = next(
            r
            for r in routers
            if r['params']['name'] == self.prefix + '-router1'
        )
        self.assertEqual('openstack.network.Router', router1['type'])
        self.assertEqual(
            [
                {'destination': '172.30.0.0/24', 'nexthop': '10.51.0.20'},
                {'destination': '172.31.0.0/24', 'nexthop': '10.52.0.30'},
            ],
            router1['params']['routes'],
        )
        gateway = router1['params']['external_gateway_refinfo']
        self.assertEqual(base.PUBLIC_NETWORK, gateway['network_ref']['name'])
        self.assertEqual(
            'public-subnet',
            gateway['external_fixed_ips'][0]['subnet_ref']['name'],
        )

        rows = self.import_()
        self.assertEqual(
            {
                'address group': (1, 0, 0, 0),
                'network': (3, 0, 0, 0),
                'subnet': (5, 0, 0, 0),
                'security group': (2, 0, 0, 0),
                'security group rule': (8, 0, 0, 0),
                'router': (2, 0, 0, 0),
                'router interface': (4, 0, 0, 0),
            },
            self.summary(rows, also=('address group',)),
        )
        self.assertEqual(
            ['10.60.0.0/24'],
            dst.network.find_address_group(
                self.prefix + '-ag', ignore_missing=False
            ).addresses,
        )
        want = snapshot(src, self.prefix)
        got = snapshot(dst, self.prefix)
        for kind in ('networks', 'subnets', 'groups', 'routers'):
            self.assertEqual(sorted(want[kind]), sorted(got[kind]), kind)
            for name in want[kind]:
                self.assertEqual(want[kind][name], got[kind][name], name)

        # A few exact values, whatever the source said.
        p = self.prefix
        self.assertEqual(
            ['9.9.9.9', '1.1.1.1'],
            got['subnets'][p + '-sub1']['dns_nameservers'],
        )
        self.assertIsNone(got['subnets'][p + '-sub2']['gateway_ip'])
        self.assertEqual(
            'dhcpv6-stateful', got['subnets'][p + '-sub2v6']['ipv6_ra_mode']
        )
        self.assertEqual(1400, got['networks'][p + '-net2']['mtu'])
        self.assertIs(False, got['groups'][p + '-db']['stateful'])
        self.assertEqual(5, len(got['groups'][p + '-web']['rules']))
        self.assertEqual(
            [('172.30.0.0/24', '10.51.0.20'), ('172.31.0.0/24', '10.52.0.30')],
            got['routers'][p + '-router1']['routes'],
        )
        self.assertEqual(
            [
                (p + '-sub1', '10.51.0.1'),
                # Neutron's choice of gateway (fd51:: or fd51::1 by release).
                (p + '-sub1v6', t.sub1v6.gateway_ip),
                (p + '-sub2', '10.52.0.5'),
            ],
            got['routers'][p + '-router1']['interfaces'],
        )
        self.assertEqual(
            base.PUBLIC_NETWORK, got['routers'][p + '-router1']['gateway']
        )

        # Twice: every resource unchanged, nothing written (no request
        # but GETs and the token's POST, as the client logs them).
        before = revisions(dst, self.prefix)
        rows, requests = self.import_logged()
        self.assertNotEqual([], requests)
        self.assertEqual(
            [],
            [
                r
                for r in requests
                if r[0] != 'GET' and not r[1].endswith('/auth/tokens')
            ],
        )
        self.assertEqual(
            {
                'address group': (0, 0, 1, 0),
                'network': (0, 0, 3, 0),
                'subnet': (0, 0, 5, 0),
                'security group': (0, 0, 2, 0),
                'security group rule': (0, 0, 8, 0),
                'router': (0, 0, 2, 0),
                'router interface': (0, 0, 4, 0),
            },
            self.summary(rows, also=('address group',)),
        )
        self.assertEqual(before, revisions(dst, self.prefix))
        plan = self.plan()
        self.assertEqual({'unchanged'}, {r['Action'] for r in plan})
        self.assertEqual(25, len(plan))

    def test_edit_and_reimport(self):
        src, dst = self.conn('src'), self.conn('dst')
        seed(src, self.prefix)
        self.export_all()
        self.import_()
        p = self.prefix

        # Rename net3, edit net1 and change a rule's port.  A name is its
        # resource's identity: the renamed entry is a new network, and the
        # destination's net3 stays, with its subnet (a subnet cannot move
        # to another network; see the end).
        nets = self.load('networks.yml')
        for e in nets['resources']:
            if e['params']['name'] == p + '-net1':
                e['params']['description'] = 'edited'
                e['params']['tags'] = ['green']
            if e['params']['name'] == p + '-net3':
                e['params']['name'] = p + '-net3b'
                e['params']['description'] = 'renamed'
        self.save('networks.yml', nets)
        rules = self.load('security_group_rules.yml')
        [http] = [
            e
            for e in rules['resources']
            if e['params']['port_range_min'] == 80
        ]
        http['params']['port_range_min'] = http['params']['port_range_max'] = (
            8080
        )
        self.save('security_group_rules.yml', rules)

        plan = self.plan()
        self.assertEqual(
            [
                ('openstack.network.Network', p + '-net1', 'update'),
                ('openstack.network.Network', p + '-net3b', 'create'),
                (
                    'openstack.network.SecurityGroupRule',
                    p + '-web: ingress IPv4 tcp 8080 from 0.0.0.0/0',
                    'create',
                ),
            ],
            sorted(
                (r['Type'], r['Name'], r['Action'])
                for r in plan
                if r['Action'] != 'unchanged'
            ),
        )
        [net1] = [r for r in plan if r['Name'] == p + '-net1']
        self.assertEqual('description, tags', net1['Detail'])

        self.import_()
        got = snapshot(dst, p)
        self.assertEqual('edited', got['networks'][p + '-net1']['description'])
        self.assertEqual(['green'], got['networks'][p + '-net1']['tags'])
        self.assertEqual(
            'renamed', got['networks'][p + '-net3b']['description']
        )
        self.assertEqual(
            got['networks'][p + '-net3'],
            dict(got['networks'][p + '-net3b'], description=''),
        )
        self.assertEqual(p + '-net3', got['subnets'][p + '-sub3']['network'])
        web = got['groups'][p + '-web']['rules']
        self.assertIn(
            (
                'ingress',
                'IPv4',
                'tcp',
                8080,
                8080,
                '0.0.0.0/0',
                '',
                '',
                'http',
            ),
            web,
        )

        # Moving the existing sub3 to net3b is a conflict, not a change.
        subnets = self.load('subnets.yml')
        for e in subnets['resources']:
            if e['params']['name'] == p + '-sub3':
                e['params']['network_ref']['name'] = p + '-net3b'
        self.save('subnets.yml', subnets)
        before = revisions(dst, p)
        [sub3] = [
            r
            for r in self.plan('subnet', expect_fail=True)
            if r['Name'] == p + '-sub3'
        ]
        self.assertEqual('conflict', sub3['Action'])
        self.assertIn('cannot change network_ref', sub3['Detail'])
        self.assertEqual(before, revisions(dst, p))

    def test_broken_reference_blocks_only_that_resource(self):
        src, dst = self.conn('src'), self.conn('dst')
        seed(src, self.prefix)
        self.export_all()
        subnets = self.load('subnets.yml')
        [sub3] = [
            e
            for e in subnets['resources']
            if e['params']['name'] == self.prefix + '-sub3'
        ]
        sub3['params']['network_ref']['name'] = self.prefix + '-missing'
        self.save('subnets.yml', subnets)

        self.import_('network')
        result = self.import_('subnet', expect_fail=True)
        self.assertEqual(1, result.returncode)
        [line] = [
            x for x in result.stderr.splitlines() if self.prefix + '-sub3' in x
        ]
        self.assertIn('subnets.yml', line)
        self.assertIn('blocked', line)
        self.assertIn(
            "network_ref: network '%s-missing' (project '%%auth%%') "
            'not found' % self.prefix,
            line,
        )
        # The other subnets went on; the blocked one was not made.
        names = sorted(
            s.name
            for s in dst.network.subnets(project_id=dst.current_project_id)
            if s.name.startswith(self.prefix)
        )
        self.assertEqual(
            [
                self.prefix + s
                for s in ('-sub1', '-sub1v6', '-sub2', '-sub2v6')
            ],
            names,
        )

    def test_plan_and_dry_run_change_nothing(self):
        src, dst = self.conn('src'), self.conn('dst')
        seed(src, self.prefix)
        self.export_all()
        self.assertEqual(
            [('create', 23)],
            sorted(
                collections.Counter(r['Action'] for r in self.plan()).items()
            ),
        )
        rows = self.import_('all', '--dry-run')
        self.assertEqual({'create'}, {r['Action'] for r in rows})
        self.assertEqual(23, len(rows))
        empty = {'networks': {}, 'subnets': {}, 'routers': {}, 'groups': {}}
        self.assertEqual(empty, snapshot(dst, self.prefix))

        self.import_('network')
        p = self.prefix
        nets = self.load('networks.yml')
        [net2] = [
            e for e in nets['resources'] if e['params']['name'] == p + '-net2'
        ]
        net2['params']['mtu'] = 1300
        self.save('networks.yml', nets)
        subnets = self.load('subnets.yml')
        [sub3] = [
            e
            for e in subnets['resources']
            if e['params']['name'] == p + '-sub3'
        ]
        sub3['params']['network_ref']['name'] = 'nope'
        self.save('subnets.yml', subnets)
        before = revisions(dst, p)
        rows = self.plan('network', 'subnet', expect_fail=True)
        self.assertEqual(
            [
                ('openstack.network.Network', p + '-net1', 'unchanged', ''),
                ('openstack.network.Network', p + '-net2', 'update', 'mtu'),
                ('openstack.network.Network', p + '-net3', 'unchanged', ''),
                ('openstack.subnet.Subnet', p + '-sub1', 'create', ''),
                ('openstack.subnet.Subnet', p + '-sub1v6', 'create', ''),
                ('openstack.subnet.Subnet', p + '-sub2', 'create', ''),
                ('openstack.subnet.Subnet', p + '-sub2v6', 'create', ''),
                (
                    'openstack.subnet.Subnet',
                    p + '-sub3',
                    'blocked',
                    "network_ref: network 'nope' (project '%auth%') not found",
                ),
            ],
            sorted(
                (r['Type'], r['Name'], r['Action'], r['Detail']) for r in rows
            ),
        )
        self.assertEqual(before, revisions(dst, p))
        self.assertEqual(
            1400, snapshot(dst, p)['networks'][p + '-net2']['mtu']
        )

    def test_src_to_dst_local(self):
        # Same region: the source router's gateway address is taken, so the
        # router gets one of its own on the same network, and says so.
        src, dst = self.conn('src'), self.conn('dst-local')
        seed(src, self.prefix)
        self.export_all()
        for what in ('network', 'subnet'):
            self.import_(what, cloud='dst-local')
        rows = self.import_('router', cloud='dst-local')
        detail = {r['Name']: r['Detail'] for r in rows}
        router1 = self.prefix + '-router1'
        self.assertIn('gateway set without the fixed IPs', detail[router1])
        self.assertIn('static routes pending', detail[router1])
        self.import_('all', cloud='dst-local')

        want = snapshot(src, self.prefix)
        got = snapshot(dst, self.prefix)
        self.assertEqual(want, got)
        src_ip = src.network.find_router(router1).external_gateway_info
        dst_ip = dst.network.find_router(router1).external_gateway_info
        self.assertNotEqual(
            src_ip['external_fixed_ips'], dst_ip['external_fixed_ips']
        )
        rows = self.import_(cloud='dst-local')
        self.assertEqual(
            {0}, {r['Created'] + r['Updated'] + r['Failed'] for r in rows}
        )

    def test_parallel_import_makes_the_same_destination(self):
        # The same files imported one by one into dst, and eight at a time
        # into dst-local (the same project in the other region).
        src = self.conn('src')
        seed(src, self.prefix)
        net = src.network
        groups = []
        for i in range(6):
            n = net.create_network(name='%s-many%d' % (self.prefix, i))
            net.create_subnet(
                name='%s-many%d-sub' % (self.prefix, i),
                network_id=n.id,
                ip_version=4,
                cidr='10.%d.0.0/24' % (60 + i),
            )
        for i in range(3):
            groups.append(
                net.create_security_group(name='%s-sg%d' % (self.prefix, i))
            )
        for i, g in enumerate(groups):
            for port in (22, 80, 443):
                net.create_security_group_rule(
                    security_group_id=g.id,
                    direction='ingress',
                    ether_type='IPv4',
                    protocol='tcp',
                    port_range_min=port,
                    port_range_max=port,
                    remote_group_id=groups[(i + 1) % 3].id,
                )
        self.export_all()

        one = self.summary(self.import_('all', '--parallel', '1'))
        eight = self.summary(
            self.import_('all', '--parallel', '8', cloud='dst-local')
        )
        self.assertEqual(one, eight)
        self.assertEqual(
            {
                'network': (9, 0, 0, 0),
                'subnet': (11, 0, 0, 0),
                'security group': (5, 0, 0, 0),
                # 7 of seed(), 9 and the new groups' 6 default ones
                'security group rule': (22, 0, 0, 0),
                'router': (2, 0, 0, 0),
                'router interface': (4, 0, 0, 0),
            },
            one,
        )
        want = snapshot(src, self.prefix)
        self.assertEqual(want, snapshot(self.conn('dst'), self.prefix))
        self.assertEqual(want, snapshot(self.conn('dst-local'), self.prefix))

        # Again, in parallel: nothing written, every resource unchanged.
        dst = self.conn('dst-local')
        before = revisions(dst, self.prefix)
        rows, requests = self.import_logged(
            '--parallel', '8', cloud='dst-local'
        )
        self.assertEqual(
            [],
            [
                r
                for r in requests
                if r[0] != 'GET' and not r[1].endswith('/auth/tokens')
            ],
        )
        self.assertEqual(
            {t: (0, 0, c[0], 0) for t, c in one.items()}, self.summary(rows)
        )
        self.assertEqual(before, revisions(dst, self.prefix))

    def test_bulk_create_names_the_refused_entry(self):
        # New networks go to Neutron in one bulk request, which it refuses
        # whole for one bad entry: the others are made all the same, and
        # the bad one is named with Neutron's reason.
        net = self.conn('src').network
        for i in range(3):
            net.create_network(name='%s-bulk%d' % (self.prefix, i))
        self.export_all()
        doc = self.load('networks.yml')
        for r in doc['resources']:
            if r['params']['name'] == self.prefix + '-bulk1':
                r['params']['mtu'] = 65000
        self.save('networks.yml', doc)

        result = self.import_('network', expect_fail=True)
        rows = {r['Name']: r for r in json.loads(result.stdout)}
        self.assertEqual(
            ['created', 'failed', 'created'],
            [rows['%s-bulk%d' % (self.prefix, i)]['Action'] for i in range(3)],
        )
        self.assertIn('MTU', rows[self.prefix + '-bulk1']['Detail'])
        dst = self.conn('dst').network
        self.assertEqual(
            [self.prefix + '-bulk0', self.prefix + '-bulk2'],
            sorted(
                n.name
                for n in dst.networks()
                if n.name.startswith(self.prefix + '-bulk')
            ),
        )


def _ref(name):
    return {'name': name, 'project_name': '%auth%', 'domain_name': '%auth%'}


def pioneer_files(p):
    """Data files as the pioneering tool (1.0.5) writes them."""
    public = {'name': 'public', 'project_name': None, 'domain_name': None}
    info = {'id': 'x', 'project_id': 'y', 'created_at': None}
    return {
        'networks.yml': [
            {
                'type': 'openstack.network.Network',
                '_info': dict(info, id='n1', status='ACTIVE', subnet_ids=[]),
                '_migration_params': {},
                'params': {
                    'availability_zone_hints': [],
                    'description': 'old tool',
                    'dns_domain': None,
                    'is_admin_state_up': True,
                    'is_default': None,
                    'is_port_security_enabled': True,
                    'is_router_external': False,
                    'is_shared': False,
                    'is_vlan_transparent': None,
                    'mtu': 1400,
                    'name': p + '-pnet',
                    'provider_network_type': None,
                    'provider_physical_network': None,
                    'provider_segmentation_id': None,
                    'qos_policy_ref': None,
                    'segments': None,
                    'tags': ['old'],
                },
            }
        ],
        'subnets.yml': [
            {
                'type': 'openstack.subnet.Subnet',
                '_info': dict(info, id='s1', network_id='n1'),
                '_migration_params': {},
                'params': {
                    'allocation_pools': [
                        {'start': '10.70.0.10', 'end': '10.70.0.20'}
                    ],
                    'cidr': '10.70.0.0/24',
                    'description': '',
                    'dns_nameservers': ['8.8.8.8'],
                    'gateway_ip': '10.70.0.1',
                    'host_routes': [],
                    'ip_version': 4,
                    'ipv6_address_mode': None,
                    'ipv6_ra_mode': None,
                    'is_dhcp_enabled': True,
                    'name': p + '-psub',
                    'network_ref': _ref(p + '-pnet'),
                    'segment_ref': None,
                    'service_types': [],
                    'subnet_pool_ref': None,
                    'tags': [],
                    'use_default_subnet_pool': None,
                },
            }
        ],
        'security_groups.yml': [
            {
                'type': 'openstack.network.SecurityGroup',
                '_info': dict(info, id='g1'),
                '_migration_params': {},
                'params': {'name': p + '-pgroup', 'description': 'pg'},
            }
        ],
        'security_group_rules.yml': [
            {
                'type': 'openstack.network.SecurityGroupRule',
                '_info': dict(info, id='r1', security_group_id='g1'),
                '_migration_params': {},
                'params': {
                    'description': 'ssh',
                    'direction': 'ingress',
                    'ether_type': 'IPv4',
                    'port_range_max': 22,
                    'port_range_min': 22,
                    'protocol': 'tcp',
                    'remote_group_ref': _ref(p + '-pgroup'),
                    'remote_ip_prefix': None,
                    'security_group_ref': _ref(p + '-pgroup'),
                },
            }
        ],
        'routers.yml': [
            {
                'type': 'openstack.network.Router',
                '_info': dict(info, id='rt1', routes=[]),
                '_migration_params': {},
                'params': {
                    'availability_zone_hints': [],
                    'description': '',
                    'external_gateway_refinfo': {'network_ref': public},
                    'flavor_ref': None,
                    'is_admin_state_up': True,
                    'is_distributed': None,
                    'is_ha': None,
                    'name': p + '-prouter',
                    'tags': [],
                },
            }
        ],
        'router_interfaces.yml': [
            {
                'type': 'openstack.network.RouterInterface',
                '_info': {'id': 'port1'},
                '_migration_params': {},
                'params': {
                    'device_owner': 'network:router_interface',
                    'device_ref': _ref(p + '-prouter'),
                    'fixed_ips_refs': [
                        {
                            'ip_address': '10.70.0.1',
                            'subnet_ref': _ref(p + '-psub'),
                        }
                    ],
                    'network_ref': _ref(p + '-pnet'),
                },
            }
        ],
    }


class TestPioneerFormat(MigrateTestCase):
    def test_pioneer_files_import(self):
        p = self.prefix
        for file_name, entries in pioneer_files(p).items():
            self.save(
                file_name,
                {'os_migrate_version': '1.0.5', 'resources': entries},
            )
        rows = self.import_()
        self.assertEqual(
            {0}, {r['Updated'] + r['Unchanged'] + r['Failed'] for r in rows}
        )
        got = snapshot(self.conn('dst'), p)
        self.assertEqual(
            {
                'description': 'old tool',
                'mtu': 1400,
                'tags': ['old'],
                'is_admin_state_up': True,
                'is_port_security_enabled': True,
            },
            got['networks'][p + '-pnet'],
        )
        sub = got['subnets'][p + '-psub']
        self.assertEqual(
            [('10.70.0.10', '10.70.0.20')], sub['allocation_pools']
        )
        self.assertEqual(['8.8.8.8'], sub['dns_nameservers'])
        self.assertEqual('10.70.0.1', sub['gateway_ip'])
        self.assertEqual(
            {
                'description': 'pg',
                'stateful': True,
                'tags': [],
                'rules': [
                    (
                        'ingress',
                        'IPv4',
                        'tcp',
                        22,
                        22,
                        '',
                        p + '-pgroup',
                        '',
                        'ssh',
                    )
                ],
            },
            got['groups'][p + '-pgroup'],
        )
        self.assertEqual(
            {
                'description': '',
                'tags': [],
                'routes': [],
                'gateway': 'public',
                'interfaces': [(p + '-psub', '10.70.0.1')],
            },
            got['routers'][p + '-prouter'],
        )
        rows = self.import_()
        self.assertEqual(
            {0}, {r['Created'] + r['Updated'] + r['Failed'] for r in rows}
        )
