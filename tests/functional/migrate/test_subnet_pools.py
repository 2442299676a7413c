# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Address scopes and subnet pools: ``migrate export|import address scope``
/ ``subnet pool``, ``plan``, and a subnet made from the destination's
same-named pool with its prefix kept, against real clouds."""

import json

from tests.functional.migrate import test_network_resources as netres

POOLS = 'subnet_pools.yml'
SCOPES = 'address_scopes.yml'


def _purge(conn, prefix):
    """The prefix's networks first: a pool with subnets cannot go."""
    netres._purge(conn, prefix)
    net = conn.network
    pid = conn.current_project_id
    for pool in net.subnet_pools(project_id=pid):
        if (pool.name or '').startswith(prefix):
            net.delete_subnet_pool(pool, ignore_missing=True)
    for scope in net.address_scopes(project_id=pid):
        if (scope.name or '').startswith(prefix):
            net.delete_address_scope(scope, ignore_missing=True)


def pool_revisions(conn, prefix):
    return {
        p.name: (p.revision_number, p.updated_at)
        for p in conn.network.subnet_pools(project_id=conn.current_project_id)
        if p.name.startswith(prefix)
    }


class TestSubnetPools(netres.MigrateTestCase):
    def setUp(self):
        super().setUp()
        for cloud in ('src', 'dst'):
            self.addCleanup(_purge, self.conn(cloud), self.prefix)

    def test_export_import_all(self):
        src, dst = self.conn('src'), self.conn('dst')
        p = self.prefix
        scope = src.network.create_address_scope(name=p + '-as', ip_version=4)
        sp1 = src.network.create_subnet_pool(
            name=p + '-sp1',
            description='tenant pool',
            prefixes=['10.92.0.0/16', '10.91.0.0/16'],
            default_prefix_length=26,
            minimum_prefix_length=20,
            maximum_prefix_length=28,
            address_scope_id=scope.id,
        )
        src.network.set_tags(sp1, ['red', 'blue'])
        src.network.create_subnet_pool(
            name=p + '-sp2', prefixes=['10.93.0.0/16']
        )
        net = src.network.create_network(name=p + '-net')
        src.network.create_subnet(
            name=p + '-sub',
            network_id=net.id,
            subnet_pool_id=sp1.id,
            cidr='10.91.7.0/24',
            ip_version=4,
        )
        # The destination already holds sp2, with another description.
        dst.network.create_subnet_pool(
            name=p + '-sp2', prefixes=['10.93.0.0/16'], description='old'
        )

        self.export_all()
        [s] = self.load(SCOPES)['resources']
        self.assertEqual(
            (
                'openstack.network.AddressScope',
                {
                    'name': p + '-as',
                    'ip_version': 4,
                    'is_shared': False,
                },
            ),
            (s['type'], s['params']),
        )
        pools = {e['params']['name']: e for e in self.load(POOLS)['resources']}
        self.assertEqual(
            {
                'name': p + '-sp1',
                'description': 'tenant pool',
                'prefixes': ['10.91.0.0/16', '10.92.0.0/16'],
                'default_prefix_length': 26,
                'minimum_prefix_length': 20,
                'maximum_prefix_length': 28,
                'default_quota': None,
                'is_default': False,
                'is_shared': False,
                'tags': ['blue', 'red'],
                'address_scope_ref': {
                    'name': p + '-as',
                    'project_name': '%auth%',
                    'domain_name': '%auth%',
                },
            },
            pools[p + '-sp1']['params'],
        )
        [sub] = self.load('subnets.yml')['resources']
        self.assertEqual(p + '-sp1', sub['params']['subnet_pool_ref']['name'])

        plan = {
            r['Name']: (r['Action'], r['Detail'])
            for r in self.plan('address scope', 'subnet pool')
        }
        self.assertEqual(
            {
                p + '-as': ('create', ''),
                p + '-sp1': ('create', ''),
                p + '-sp2': ('update', 'description'),
            },
            plan,
        )

        rows = self.import_()
        self.assertEqual(
            {
                'address scope': (1, 0, 0, 0),
                'subnet pool': (1, 1, 0, 0),
                'network': (1, 0, 0, 0),
                'subnet': (1, 0, 0, 0),
            },
            {
                r['Type']: (
                    r['Created'],
                    r['Updated'],
                    r['Unchanged'],
                    r['Failed'],
                )
                for r in rows
                if any(
                    (r['Created'], r['Updated'], r['Unchanged'], r['Failed'])
                )
            },
        )
        dst_scope = dst.network.find_address_scope(
            p + '-as', ignore_missing=False
        )
        self.assertEqual(
            (4, False), (dst_scope.ip_version, dst_scope.is_shared)
        )
        dsp1 = dst.network.find_subnet_pool(p + '-sp1', ignore_missing=False)
        self.assertEqual(
            (
                'tenant pool',
                ['10.91.0.0/16', '10.92.0.0/16'],
                26,
                20,
                28,
                None,
                dst_scope.id,
                ['blue', 'red'],
            ),
            (
                dsp1.description,
                sorted(dsp1.prefixes),
                dsp1.default_prefix_length,
                dsp1.minimum_prefix_length,
                dsp1.maximum_prefix_length,
                dsp1.default_quota,
                dsp1.address_scope_id,
                sorted(dsp1.tags),
            ),
        )
        dsp2 = dst.network.find_subnet_pool(p + '-sp2', ignore_missing=False)
        self.assertEqual('', dsp2.description)
        dsub = dst.network.find_subnet(p + '-sub', ignore_missing=False)
        self.assertEqual(
            (dsp1.id, '10.91.7.0/24'), (dsub.subnet_pool_id, dsub.cidr)
        )

        # Twice: nothing written.
        before = (
            pool_revisions(dst, p),
            netres.revisions(dst, p),
        )
        rows = self.import_('address scope')
        rows += self.import_('subnet pool')
        rows += self.import_('subnet')
        self.assertEqual({'unchanged'}, {r['Action'] for r in rows}, rows)
        self.assertEqual(4, len(rows))
        self.assertEqual(
            before, (pool_revisions(dst, p), netres.revisions(dst, p))
        )

        # An edited file: one more prefix, a quota.
        doc = self.load(POOLS)
        for e in doc['resources']:
            if e['params']['name'] == p + '-sp1':
                e['params']['prefixes'].append('10.94.0.0/16')
                e['params']['default_quota'] = 4096
        self.save(POOLS, doc)
        [row] = [
            r for r in self.import_('subnet pool') if r['Name'] == p + '-sp1'
        ]
        self.assertEqual(
            ('updated', 'default_quota, prefixes'),
            (row['Action'], row['Detail']),
        )
        dsp1 = dst.network.get_subnet_pool(dsp1.id)
        self.assertEqual(
            (['10.91.0.0/16', '10.92.0.0/16', '10.94.0.0/16'], 4096),
            (sorted(dsp1.prefixes), dsp1.default_quota),
        )

        # Neutron only lets prefixes grow: a dropped one is a conflict,
        # and the pool is left as it was.
        for e in doc['resources']:
            if e['params']['name'] == p + '-sp1':
                e['params']['prefixes'] = ['10.91.0.0/16']
        self.save(POOLS, doc)
        rows = self.import_('subnet pool', expect_fail=True)
        self.assertIn(
            {
                'Type': 'openstack.network.SubnetPool',
                'Name': p + '-sp1',
                'Action': 'conflict',
                'Detail': 'cannot drop prefixes of an existing pool '
                '(Neutron only adds): 10.92.0.0/16, 10.94.0.0/16',
            },
            json.loads(rows.stdout),
        )
        self.assertEqual(
            (['10.91.0.0/16', '10.92.0.0/16', '10.94.0.0/16'], 4096),
            (sorted(dsp1.prefixes), dsp1.default_quota),
        )
        self.assertEqual(
            dsp1.revision_number,
            dst.network.get_subnet_pool(dsp1.id).revision_number,
        )

    def test_bad_prefixes_refused_before_the_cloud(self):
        self.conn('src').network.create_subnet_pool(
            name=self.prefix + '-sp', prefixes=['10.95.0.0/16']
        )
        self.migrate(
            'export subnet pool', cloud_option='--src-cloud', cloud='src'
        )
        doc = self.load(POOLS)
        doc['resources'][0]['params']['prefixes'] = '10.95.0.0/16'
        self.save(POOLS, doc)
        result = self.import_('subnet pool', expect_fail=True)
        self.assertIn('params.prefixes', result.stderr)
        self.assertIsNone(
            self.conn('dst').network.find_subnet_pool(self.prefix + '-sp')
        )
