# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Trunks whose parent port no server owns: ``migrate export|import
network trunk``, ``import all``, ``plan`` and ``validate`` against real
clouds (``src`` in RegionOne to ``dst`` in RegionTwo); their ports go with
the ``port`` type in ``export all`` / ``import all``."""

from tests.functional.migrate import test_network_resources as netres

FILE = 'network_trunks.yml'
TRUNK = 'openstack.network.Trunk'


def purge_trunks(conn, admin, prefix):
    """Delete the trunks named ``prefix...`` or on a port so named (a
    disabled trunk is enabled first: Neutron deletes no disabled one),
    then the server ports so named (as ``admin``: a member may not)."""
    net = conn.network
    pid = conn.current_project_id
    ports = {p.id: p for p in net.ports(project_id=pid)}
    mine = lambda port_id: (  # noqa: E731
        port_id in ports and (ports[port_id].name or '').startswith(prefix)
    )
    for trunk in net.trunks(project_id=pid):
        if not ((trunk.name or '').startswith(prefix) or mine(trunk.port_id)):
            continue
        if not trunk.is_admin_state_up:
            net.update_trunk(trunk, is_admin_state_up=True)
        net.delete_trunk(trunk, ignore_missing=True)
    for port_id, port in ports.items():
        if mine(port_id) and port.device_owner.startswith('compute:'):
            admin.network.delete_port(port_id, ignore_missing=True)


def trunks_of(conn, prefix):
    """{trunk name or '(port <parent name>)': (description, admin state,
    tags, parent port name, [(subport name, type, id)], revision)}."""
    net = conn.network
    pid = conn.current_project_id
    names = {p.id: p.name for p in net.ports(project_id=pid)}
    found = {}
    for t in net.trunks(project_id=pid):
        parent = names.get(t.port_id, '')
        key = t.name or '(port %s)' % parent
        if not key.startswith(prefix) and not parent.startswith(prefix):
            continue
        found[key] = (
            t.description,
            t.is_admin_state_up,
            sorted(t.tags or []),
            parent,
            sorted(
                (
                    names.get(s['port_id']),
                    s['segmentation_type'],
                    s['segmentation_id'],
                )
                for s in t.sub_ports
            ),
            t.revision_number,
        )
    return found


class TestNetworkTrunks(netres.MigrateTestCase):
    def setUp(self):
        super().setUp()
        # (before the networks' purge: a trunk's ports cannot go before it,
        # nor a server's port as a member)
        for cloud in ('src', 'dst'):
            self.addCleanup(
                purge_trunks,
                self.conn(cloud),
                self.conn(cloud + '-admin'),
                self.prefix,
            )

    def src_trunks(self):
        """In ``src``: trunk ``-trunk`` (two VLAN subports, tags), an
        unnamed disabled trunk on ``-parent2`` (one subport), and a trunk
        on a server's port (``-vm``), which is the workload's."""
        net = self.conn('src').network
        p = self.prefix
        network = net.create_network(name=p + '-net')
        net.create_subnet(
            name=p + '-sub',
            network_id=network.id,
            ip_version=4,
            cidr='10.78.0.0/24',
        )
        ports = {
            n: net.create_port(network_id=network.id, name=p + n)
            for n in ('-parent', '-sub1', '-sub2', '-parent2', '-sub3')
        }
        ports['-vm'] = net.create_port(
            network_id=network.id, name=p + '-vm', device_owner='compute:nova'
        )
        ports['-vmsub'] = net.create_port(
            network_id=network.id, name=p + '-vmsub'
        )
        vlan = lambda n, i: {  # noqa: E731
            'port_id': ports[n].id,
            'segmentation_type': 'vlan',
            'segmentation_id': i,
        }
        trunk = net.create_trunk(
            name=p + '-trunk',
            description='two vlans',
            port_id=ports['-parent'].id,
            sub_ports=[vlan('-sub2', 102), vlan('-sub1', 101)],
        )
        net.set_tags(trunk, ['edge', 'blue'])
        net.create_trunk(
            port_id=ports['-parent2'].id,
            is_admin_state_up=False,
            sub_ports=[vlan('-sub3', 200)],
        )
        net.create_trunk(
            name=p + '-vmtrunk',
            port_id=ports['-vm'].id,
            sub_ports=[vlan('-vmsub', 300)],
        )
        return ports

    def trunk_rows(self, rows):
        return {
            r['Name']: (r['Action'], r['Detail'])
            for r in rows
            if r['Type'] == TRUNK
        }

    def test_export_import_edit(self):
        p = self.prefix
        self.src_trunks()

        exported = {r['Type']: r['Exported'] for r in self.export_all()}
        self.assertEqual(2, exported['network trunk'])
        entries = {
            e['params']['name'] or '': e for e in self.load(FILE)['resources']
        }
        ref = lambda n: {  # noqa: E731
            'name': p + n,
            'project_name': '%auth%',
            'domain_name': '%auth%',
        }
        vlan = lambda n, i: {  # noqa: E731
            'port_ref': ref(n),
            'segmentation_type': 'vlan',
            'segmentation_id': i,
        }
        self.assertEqual(
            {
                p + '-trunk': {
                    'name': p + '-trunk',
                    'description': 'two vlans',
                    'is_admin_state_up': True,
                    'tags': ['blue', 'edge'],
                    'port_ref': ref('-parent'),
                    'sub_ports': [vlan('-sub1', 101), vlan('-sub2', 102)],
                },
                '': {
                    'name': '',
                    'description': '',
                    'is_admin_state_up': False,
                    'tags': [],
                    'port_ref': ref('-parent2'),
                    'sub_ports': [vlan('-sub3', 200)],
                },
            },
            {k: e['params'] for k, e in entries.items()},
        )
        self.assertEqual(
            {TRUNK}, {e['type'] for e in self.load(FILE)['resources']}
        )

        unnamed = '(trunk of port %s-parent2)' % p
        self.assertEqual(
            {p + '-trunk': ('create', ''), unnamed: ('create', '')},
            self.trunk_rows(self.plan()),
        )

        rows = {r['Type']: r for r in self.import_()}
        self.assertEqual(
            (2, 0, 0, 0),
            tuple(
                rows['network trunk'][k]
                for k in ('Created', 'Updated', 'Unchanged', 'Failed')
            ),
        )
        dst = self.conn('dst')
        got = trunks_of(dst, p)
        self.assertEqual({p + '-trunk', '(port %s-parent2)' % p}, set(got))
        self.assertEqual(
            (
                'two vlans',
                True,
                ['blue', 'edge'],
                p + '-parent',
                [(p + '-sub1', 'vlan', 101), (p + '-sub2', 'vlan', 102)],
            ),
            got[p + '-trunk'][:5],
        )
        self.assertEqual(
            ('', False, [], p + '-parent2', [(p + '-sub3', 'vlan', 200)]),
            got['(port %s-parent2)' % p][:5],
        )

        # Twice: nothing written, revisions unchanged.
        rows, requests = self.import_logged()
        self.assertEqual(
            (0, 0, 2, 0),
            next(
                (r['Created'], r['Updated'], r['Unchanged'], r['Failed'])
                for r in rows
                if r['Type'] == 'network trunk'
            ),
        )
        writes = [
            (method, url)
            for method, url in requests
            if method != 'GET' and not url.endswith('/auth/tokens')
        ]
        self.assertEqual([], writes)
        self.assertEqual(got, trunks_of(dst, p))

        # An edited file: a subport removed, a segmentation id changed (in
        # the disabled trunk too), another description.
        doc = self.load(FILE)
        for e in doc['resources']:
            if e['params']['name']:
                e['params']['sub_ports'] = [vlan('-sub1', 111)]
                e['params']['description'] = 'one vlan'
            else:
                e['params']['sub_ports'][0]['segmentation_id'] = 201
        self.save(FILE, doc)
        self.assertEqual(
            {
                p + '-trunk': ('update', 'description, sub_ports'),
                unnamed: ('update', 'sub_ports'),
            },
            self.trunk_rows(self.plan('network trunk')),
        )
        rows = self.import_('network trunk')
        self.assertEqual(
            {
                (p + '-trunk', 'updated', 'description, sub_ports'),
                (unnamed, 'updated', 'sub_ports'),
            },
            {(r['Name'], r['Action'], r['Detail']) for r in rows},
        )
        got = trunks_of(dst, p)
        self.assertEqual(
            (
                'one vlan',
                True,
                ['blue', 'edge'],
                p + '-parent',
                [(p + '-sub1', 'vlan', 111)],
            ),
            got[p + '-trunk'][:5],
        )
        self.assertEqual(
            ('', False, [], p + '-parent2', [(p + '-sub3', 'vlan', 201)]),
            got['(port %s-parent2)' % p][:5],
        )
        # the removed subport's port stays
        self.assertIsNotNone(dst.network.find_port(p + '-sub2'))
        rows = self.import_('network trunk')
        self.assertEqual(
            ['unchanged', 'unchanged'], [r['Action'] for r in rows]
        )
        self.assertEqual(got, trunks_of(dst, p))

    def test_missing_port_reported(self):
        p = self.prefix
        self.src_trunks()
        self.export_all()
        doc = self.load(FILE)
        for e in doc['resources']:
            if e['params']['name']:
                e['params']['sub_ports'][1]['port_ref']['name'] = p + '-nope'
        self.save(FILE, doc)

        self.assertEqual(
            [
                (
                    self.path(FILE),
                    'params.sub_ports[1].port_ref',
                    "port '%s-nope' (project '%%auth%%') is not in the data "
                    'directory' % p,
                )
            ],
            self.validate_problems(),
        )
        self.assertEqual(
            [
                (
                    self.path(FILE),
                    'params.sub_ports[1].port_ref',
                    "port '%s-nope' (project '%%auth%%') not found, neither "
                    'in the data directory nor in the destination' % p,
                )
            ],
            self.validate_problems('--dst-cloud', 'dst'),
        )
        rows = self.trunk_rows(self.plan(expect_fail=True))
        self.assertEqual(
            {
                p + '-trunk': (
                    'blocked',
                    "sub_ports[1].port_ref: port '%s-nope' (project "
                    "'%%auth%%') not found" % p,
                ),
                '(trunk of port %s-parent2)' % p: ('create', ''),
            },
            rows,
        )
        # import all: the other trunk is made, this one is not
        self.import_(expect_fail=True)
        self.assertEqual(
            ['(port %s-parent2)' % p], sorted(trunks_of(self.conn('dst'), p))
        )
