# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Address groups: ``migrate export|import address group`` and ``plan``
against real clouds (the rule that uses one: test_network_resources)."""

from tests.functional.migrate import test_network_resources as netres

FILE = 'address_groups.yml'


class TestAddressGroups(netres.MigrateTestCase):
    def group(self, conn, name):
        return conn.network.find_address_group(name, ignore_missing=False)

    def test_export_import_edit(self):
        src, dst = self.conn('src'), self.conn('dst')
        p = self.prefix
        src.network.create_address_group(
            name=p + '-ag1',
            description='office',
            addresses=['10.61.0.0/24', '10.61.1.5/32', 'fd61::/64'],
        )
        src.network.create_address_group(name=p + '-ag2', addresses=[])
        # The destination already holds ag2, with other addresses.
        dst.network.create_address_group(
            name=p + '-ag2', addresses=['10.62.0.0/16']
        )

        [row] = self.migrate(
            'export address group',
            '-f',
            'json',
            cloud_option='--src-cloud',
            cloud='src',
        )
        self.assertEqual(2, row['Exported'])
        entries = {
            e['params']['name']: e for e in self.load(FILE)['resources']
        }
        self.assertEqual(
            {
                'name': p + '-ag1',
                'description': 'office',
                'addresses': ['10.61.0.0/24', '10.61.1.5/32', 'fd61::/64'],
            },
            entries[p + '-ag1']['params'],
        )
        self.assertEqual(
            'openstack.network.AddressGroup', entries[p + '-ag1']['type']
        )

        plan = {r['Name']: r for r in self.plan('address group')}
        self.assertEqual('create', plan[p + '-ag1']['Action'])
        self.assertEqual(
            ('update', 'addresses'),
            (plan[p + '-ag2']['Action'], plan[p + '-ag2']['Detail']),
        )

        rows = self.import_('address group')
        self.assertEqual(
            {p + '-ag1': 'created', p + '-ag2': 'updated'},
            {r['Name']: r['Action'] for r in rows},
        )
        ag1 = self.group(dst, p + '-ag1')
        self.assertEqual('office', ag1.description)
        self.assertEqual(
            ['10.61.0.0/24', '10.61.1.5/32', 'fd61::/64'],
            sorted(ag1.addresses),
        )
        self.assertEqual([], self.group(dst, p + '-ag2').addresses)

        # Twice: nothing written.
        before = netres.revisions(dst, p)
        rows = self.import_('address group')
        self.assertEqual(
            {p + '-ag1': 'unchanged', p + '-ag2': 'unchanged'},
            {r['Name']: r['Action'] for r in rows},
        )
        self.assertEqual(before, netres.revisions(dst, p))

        # An edited file: one address out, one in, a new description.
        doc = self.load(FILE)
        for e in doc['resources']:
            if e['params']['name'] == p + '-ag1':
                e['params']['addresses'] = ['10.61.0.0/24', '10.63.0.0/24']
                e['params']['description'] = 'moved'
        self.save(FILE, doc)
        self.import_('address group')
        ag1 = self.group(dst, p + '-ag1')
        self.assertEqual('moved', ag1.description)
        self.assertEqual(
            ['10.61.0.0/24', '10.63.0.0/24'], sorted(ag1.addresses)
        )

    def test_bad_address_list_refused_before_the_cloud(self):
        self.conn('src').network.create_address_group(
            name=self.prefix + '-ag', addresses=['10.64.0.0/24']
        )
        self.migrate(
            'export address group', cloud_option='--src-cloud', cloud='src'
        )
        doc = self.load(FILE)
        doc['resources'][0]['params']['addresses'] = '10.64.0.0/24'
        self.save(FILE, doc)
        result = self.import_('address group', expect_fail=True)
        self.assertIn('params.addresses', result.stderr)
        self.assertIsNone(
            self.conn('dst').network.find_address_group(self.prefix + '-ag')
        )
