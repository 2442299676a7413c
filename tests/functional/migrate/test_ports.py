# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Ports no server or router owns: ``migrate export|import port``,
``import all`` and ``plan`` against real clouds."""

import os

from tests.functional.migrate import test_network_resources as netres
from tests.functional.migrate import test_qos_policies as qos

FILE = 'ports.yml'


def _mac():
    return 'fa:16:3e:%02x:%02x:%02x' % tuple(os.urandom(3))


def port_revisions(conn, prefix):
    return {
        p.name: p.revision_number
        for p in conn.network.ports(project_id=conn.current_project_id)
        if (p.name or '').startswith(prefix)
    }


class TestPorts(netres.MigrateTestCase):
    def setUp(self):
        super().setUp()
        for cloud in ('src', 'dst'):
            self.addCleanup(qos._purge, self.conn(cloud), self.prefix)

    def network(self, conn):
        net = conn.network.create_network(name=self.prefix + '-net')
        sub = conn.network.create_subnet(
            name=self.prefix + '-sub',
            network_id=net.id,
            cidr='10.77.0.0/24',
            ip_version=4,
        )
        return net, sub

    def test_export_import(self):
        src, dst = self.conn('src'), self.conn('dst')
        p = self.prefix
        net, sub = self.network(src)
        web = src.network.create_security_group(name=p + '-web')
        gold = src.network.create_qos_policy(name=p + '-gold')
        vip_mac, taken_mac = _mac(), _mac()
        vip = src.network.create_port(
            name=p + '-vip',
            description='keepalived VIP',
            network_id=net.id,
            fixed_ips=[{'subnet_id': sub.id, 'ip_address': '10.77.0.10'}],
            mac_address=vip_mac,
            security_group_ids=[web.id],
            allowed_address_pairs=[{'ip_address': '10.77.0.11'}],
            qos_policy_id=gold.id,
        )
        src.network.set_tags(vip, ['ha'])
        src.network.create_port(
            name=p + '-open',
            network_id=net.id,
            fixed_ips=[{'subnet_id': sub.id, 'ip_address': '10.77.0.12'}],
            port_security_enabled=False,
            security_group_ids=[],
            is_admin_state_up=False,
        )
        src.network.create_port(
            name=p + '-taken',
            network_id=net.id,
            fixed_ips=[{'subnet_id': sub.id, 'ip_address': '10.77.0.20'}],
            mac_address=taken_mac,
        )
        # a router's port is the router interface type's
        router = src.network.create_router(name=p + '-router')
        src.network.add_interface_to_router(router, subnet_id=sub.id)

        self.export_all()
        ports = {e['params']['name']: e for e in self.load(FILE)['resources']}
        self.assertEqual(
            sorted([p + '-vip', p + '-open', p + '-taken']), sorted(ports)
        )
        ref = lambda n: {  # noqa: E731
            'name': p + n,
            'project_name': '%auth%',
            'domain_name': '%auth%',
        }
        self.assertEqual(
            {
                'name': p + '-vip',
                'description': 'keepalived VIP',
                'allowed_address_pairs': [
                    {'ip_address': '10.77.0.11', 'mac_address': vip_mac}
                ],
                'binding_vnic_type': 'normal',
                'dns_name': None,
                'fixed_ips_refs': [
                    {'ip_address': '10.77.0.10', 'subnet_ref': ref('-sub')}
                ],
                'is_admin_state_up': True,
                'is_port_security_enabled': True,
                'mac_address': vip_mac,
                'network_ref': ref('-net'),
                'qos_policy_ref': ref('-gold'),
                'security_group_refs': [ref('-web')],
                'tags': ['ha'],
            },
            ports[p + '-vip']['params'],
        )

        # The destination's network exists; its .20 is held by another port.
        dnet, dsub = self.network(dst)
        holder = dst.network.create_port(
            name=p + '-holder',
            network_id=dnet.id,
            fixed_ips=[{'subnet_id': dsub.id, 'ip_address': '10.77.0.20'}],
        )
        self.addCleanup(dst.network.delete_port, holder, ignore_missing=True)

        # blocked: exit status 1
        rows = self.plan('port', expect_fail=True)
        plan = {r['Name']: (r['Action'], r['Detail']) for r in rows}
        self.assertEqual(
            {
                p + '-vip': (
                    'blocked',
                    "qos_policy_ref: qos policy '%s-gold' (project "
                    "'%%auth%%') not found" % p,
                ),
                p + '-open': ('create', ''),
                p + '-taken': ('create', ''),
            },
            plan,
        )

        rows = {r['Type']: r for r in self.import_()}
        self.assertEqual(
            (3, 0, 0, 0),
            tuple(
                rows['port'][k]
                for k in ('Created', 'Updated', 'Unchanged', 'Failed')
            ),
        )
        got = dst.network.find_port(p + '-vip', ignore_missing=False)
        dweb = dst.network.find_security_group(p + '-web')
        dgold = dst.network.find_qos_policy(p + '-gold')
        self.assertEqual(
            (
                'keepalived VIP',
                dnet.id,
                [{'subnet_id': dsub.id, 'ip_address': '10.77.0.10'}],
                vip_mac,
                [dweb.id],
                [{'ip_address': '10.77.0.11', 'mac_address': vip_mac}],
                dgold.id,
                ['ha'],
                '',
            ),
            (
                got.description,
                got.network_id,
                got.fixed_ips,
                got.mac_address,
                got.security_group_ids,
                got.allowed_address_pairs,
                got.qos_policy_id,
                got.tags,
                got.device_owner,
            ),
        )
        opened = dst.network.find_port(p + '-open', ignore_missing=False)
        self.assertEqual(
            (False, [], False, '10.77.0.12'),
            (
                opened.is_port_security_enabled,
                opened.security_group_ids,
                opened.is_admin_state_up,
                opened.fixed_ips[0]['ip_address'],
            ),
        )
        taken = dst.network.find_port(p + '-taken', ignore_missing=False)
        [fixed] = taken.fixed_ips
        self.assertEqual(dsub.id, fixed['subnet_id'])
        self.assertNotEqual('10.77.0.20', fixed['ip_address'])
        self.assertEqual(taken_mac, taken.mac_address)

        # Twice: nothing written, the renumbered port found again.
        before = port_revisions(dst, p)
        rows = self.import_('port')
        self.assertEqual(
            {
                (p + '-vip', 'unchanged'),
                (p + '-open', 'unchanged'),
                (p + '-taken', 'unchanged'),
            },
            {(r['Name'], r['Action']) for r in rows},
        )
        self.assertEqual(before, port_revisions(dst, p))

        # An edited file: other pairs, no tags, another description.
        doc = self.load(FILE)
        for e in doc['resources']:
            if e['params']['name'] == p + '-vip':
                e['params']['allowed_address_pairs'] = [
                    {'ip_address': '10.77.0.13'}
                ]
                e['params']['tags'] = []
                e['params']['description'] = 'moved'
        self.save(FILE, doc)
        rows = {r['Name']: r for r in self.import_('port')}
        self.assertEqual(
            (
                'updated',
                'allowed_address_pairs, description, tags',
            ),
            (rows[p + '-vip']['Action'], rows[p + '-vip']['Detail']),
        )
        got = dst.network.find_port(p + '-vip', ignore_missing=False)
        self.assertEqual(
            (
                'moved',
                [],
                [{'ip_address': '10.77.0.13', 'mac_address': vip_mac}],
            ),
            (got.description, got.tags, got.allowed_address_pairs),
        )

    def test_taken_address_is_said(self):
        src, dst = self.conn('src'), self.conn('dst')
        p = self.prefix
        net, sub = self.network(src)
        src.network.create_port(
            name=p + '-taken',
            network_id=net.id,
            fixed_ips=[{'subnet_id': sub.id, 'ip_address': '10.77.0.20'}],
            port_security_enabled=False,
        )
        self.export_all()
        dnet, dsub = self.network(dst)
        dst.network.create_port(
            name=p + '-holder',
            network_id=dnet.id,
            fixed_ips=[{'subnet_id': dsub.id, 'ip_address': '10.77.0.20'}],
        )
        [row] = self.import_('port')
        got = dst.network.find_port(p + '-taken', ignore_missing=False)
        self.assertEqual(
            (
                p + '-taken',
                'created',
                'fixed IP 10.77.0.20 is taken in the destination: the port '
                'has %s' % got.fixed_ips[0]['ip_address'],
            ),
            (row['Name'], row['Action'], row['Detail']),
        )

    def test_bad_shape_refused(self):
        src = self.conn('src')
        p = self.prefix
        net, sub = self.network(src)
        src.network.create_port(name=p + '-vip', network_id=net.id)
        self.export_all()
        # a subnet the data dir lacks; the project's default security
        # group is no problem
        doc = self.load(FILE)
        doc['resources'][0]['params']['fixed_ips_refs'][0]['subnet_ref'][
            'name'
        ] = p + '-nope'
        self.save(FILE, doc)
        self.assertEqual(
            [
                (
                    self.path(FILE),
                    'params.fixed_ips_refs[0].subnet_ref',
                    "subnet '%s-nope' (project '%%auth%%') is not in the "
                    'data directory' % p,
                )
            ],
            self.validate_problems(),
        )
        doc = self.load(FILE)
        doc['resources'][0]['params']['fixed_ips_refs'] = [
            {'subnet_ref': 'sub', 'ip_address': '10.77.0.9'}
        ]
        self.save(FILE, doc)
        result = self.import_('port', expect_fail=True)
        self.assertIn(
            "%s: resource 0 (openstack.network.Port '%s-vip'): field "
            'params.fixed_ips_refs[0].subnet_ref: must be a mapping, not a '
            'string\n' % (self.path(FILE), p),
            result.stderr,
        )
        self.assertEqual(
            [],
            [
                x
                for x in self.conn('dst').network.ports(
                    project_id=self.conn('dst').current_project_id
                )
                if (x.name or '').startswith(p)
            ],
        )
