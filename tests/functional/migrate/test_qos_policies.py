# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""QoS policies and their rules, and networks that use one:
``migrate export|import network qos policy``, ``import all`` and ``plan``
against real clouds.

The development cloud has no QoS driver: a policy with rules cannot be
set on a network there, so the network here uses a policy without rules.
"""

import json

from tests.functional.migrate import test_network_resources as netres

FILE = 'qos_policies.yml'
BANDWIDTH = {
    'type': 'bandwidth_limit',
    'direction': 'egress',
    'max_kbps': 1000,
    'max_burst_kbps': 100,
}
MINIMUM = {'type': 'minimum_bandwidth', 'direction': 'egress', 'min_kbps': 500}
DSCP = {'type': 'dscp_marking', 'dscp_mark': 26}


def _purge(conn, prefix):
    netres._purge(conn, prefix)
    for policy in conn.network.qos_policies(
        project_id=conn.current_project_id
    ):
        if (policy.name or '').startswith(prefix):
            conn.network.delete_qos_policy(policy, ignore_missing=True)


def rules_of(policy):
    drop = ('id', 'qos_policy_id', 'tenant_id', 'project_id')
    return sorted(
        ({k: v for k, v in r.items() if k not in drop} for r in policy.rules),
        key=lambda r: r['type'],
    )


def qos_revisions(conn, prefix):
    return {
        p.name: p.revision_number
        for p in conn.network.qos_policies(project_id=conn.current_project_id)
        if (p.name or '').startswith(prefix)
    }


class TestQosPolicies(netres.MigrateTestCase):
    def setUp(self):
        super().setUp()
        for cloud in ('src', 'dst'):
            self.addCleanup(_purge, self.conn(cloud), self.prefix)

    def policy(self, conn, name):
        return conn.network.find_qos_policy(
            self.prefix + name, ignore_missing=False
        )

    def test_export_import_edit(self):
        src, dst = self.conn('src'), self.conn('dst')
        p = self.prefix
        net = src.network
        gold = net.create_qos_policy(name=p + '-gold', description='gold')
        net.set_tags(gold, ['tier', 'gold'])
        net.create_qos_bandwidth_limit_rule(
            gold, max_kbps=1000, max_burst_kbps=100, direction='egress'
        )
        net.create_qos_minimum_bandwidth_rule(
            gold, min_kbps=500, direction='egress'
        )
        net.create_qos_dscp_marking_rule(gold, dscp_mark=26)
        plain = net.create_qos_policy(name=p + '-plain')
        net.create_network(name=p + '-net', qos_policy_id=plain.id)

        exported = {r['Type']: r['Exported'] for r in self.export_all()}
        self.assertEqual(2, exported['network qos policy'])
        self.assertEqual(1, exported['network'])
        [entry] = [
            e
            for e in self.load('networks.yml')['resources']
            if e['params']['name'] == p + '-net'
        ]
        self.assertEqual(
            {
                'name': p + '-plain',
                'project_name': '%auth%',
                'domain_name': '%auth%',
            },
            entry['params']['qos_policy_ref'],
        )

        rows = {r['Type']: r for r in self.import_()}
        self.assertEqual(2, rows['network qos policy']['Created'])
        self.assertEqual(1, rows['network']['Created'])
        got = self.policy(dst, '-gold')
        self.assertEqual('gold', got.description)
        self.assertEqual(['gold', 'tier'], sorted(got.tags))
        self.assertFalse(got.is_shared)
        self.assertEqual([BANDWIDTH, DSCP, MINIMUM], rules_of(got))
        self.assertEqual([], self.policy(dst, '-plain').rules)
        dst_net = dst.network.find_network(p + '-net', ignore_missing=False)
        self.assertEqual(self.policy(dst, '-plain').id, dst_net.qos_policy_id)

        # Twice: nothing written.
        before = (qos_revisions(dst, p), netres.revisions(dst, p))
        rows = {r['Type']: r for r in self.import_()}
        self.assertEqual(2, rows['network qos policy']['Unchanged'])
        self.assertEqual(1, rows['network']['Unchanged'])
        self.assertEqual(
            before, (qos_revisions(dst, p), netres.revisions(dst, p))
        )

        # An edited file: one rule changed, one dropped, one added.
        doc = self.load(FILE)
        for e in doc['resources']:
            if e['params']['name'] == p + '-gold':
                e['params']['rules'] = [
                    dict(BANDWIDTH, max_kbps=2000),
                    MINIMUM,
                    {
                        'type': 'bandwidth_limit',
                        'direction': 'ingress',
                        'max_kbps': 300,
                        'max_burst_kbps': 0,
                    },
                ]
        self.save(FILE, doc)
        plan = {
            r['Name']: (r['Action'], r['Detail'])
            for r in self.plan('network qos policy')
        }
        self.assertEqual(
            {
                p + '-gold': ('update', 'rules'),
                p + '-plain': ('unchanged', ''),
            },
            plan,
        )
        self.import_('network qos policy')
        self.assertEqual(
            [
                dict(BANDWIDTH, max_kbps=2000),
                {
                    'type': 'bandwidth_limit',
                    'direction': 'ingress',
                    'max_kbps': 300,
                    'max_burst_kbps': 0,
                },
                MINIMUM,
            ],
            sorted(
                rules_of(self.policy(dst, '-gold')),
                key=lambda r: (r['type'], r.get('direction') != 'egress'),
            ),
        )

    def test_unknown_rule_type_leaves_no_policy(self):
        src = self.conn('src')
        src.network.create_qos_policy(name=self.prefix + '-odd')
        self.migrate(
            'export network qos policy',
            cloud_option='--src-cloud',
            cloud='src',
        )
        doc = self.load(FILE)
        doc['resources'][0]['params']['rules'] = [
            {'type': 'no_such_rule', 'direction': 'egress'}
        ]
        self.save(FILE, doc)
        rows = self.import_('network qos policy', expect_fail=True)
        self.assertIn(
            "QoS rule type 'no_such_rule' unknown (known: bandwidth_limit, "
            'dscp_marking, minimum_bandwidth, minimum_packet_rate, '
            'packet_rate_limit)',
            rows.stdout,
        )
        self.assertIsNone(
            self.conn('dst').network.find_qos_policy(self.prefix + '-odd')
        )

    def test_network_without_its_policy(self):
        src = self.conn('src')
        p = self.prefix
        policy = src.network.create_qos_policy(name=p + '-pol')
        src.network.create_network(name=p + '-net', qos_policy_id=policy.id)
        self.export_all()
        doc = self.load(FILE)
        doc['resources'] = []
        self.save(FILE, doc)

        result = self.openstack(
            'migrate',
            'validate',
            '--data-dir',
            self.data_dir,
            '-f',
            'json',
            expect_fail=True,
        )
        self.assertEqual(
            [
                (
                    'params.qos_policy_ref',
                    "qos policy '%s-pol' (project '%%auth%%') is not in the "
                    'data directory' % p,
                )
            ],
            [(r['Field'], r['Problem']) for r in json.loads(result.stdout)],
        )
        [row] = [
            r
            for r in self.plan('network', expect_fail=True)
            if r['Name'] == p + '-net'
        ]
        self.assertEqual(
            (
                'blocked',
                "qos_policy_ref: qos policy '%s-pol' (project '%%auth%%') "
                'not found' % p,
            ),
            (row['Action'], row['Detail']),
        )
