# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Cinder QoS specs and their association with volume types: ``migrate
export|import volume qos`` then ``volume type``, ``plan`` and ``validate``
as admins, region one's Cinder to region two's."""

import json

from tests.functional.migrate import test_compute_identity as ci

QOS_FILE = 'volume_qos_specs.yml'
TYPE_FILE = 'volume_types.yml'


class TestVolumeQos(ci.MigrateTestCase):
    def qos_state(self, conn):
        """The prefixed QoS specs: name -> (consumer, specs)."""
        return {
            q.name: (q.consumer, q.specs)
            for q in conn.block_storage.qos_specs()
            if q.name.startswith(self.prefix)
        }

    def type_qos(self, conn):
        """The prefixed types: name -> the name of their QoS specs, read
        from Cinder's own answer (``qos_specs_id``)."""
        names = {q.id: q.name for q in conn.block_storage.qos_specs()}
        types = conn.block_storage.get(
            '/types', params={'is_public': 'None'}
        ).json()['volume_types']
        return {
            t['name']: names.get(t['qos_specs_id'])
            for t in types
            if t['name'].startswith(self.prefix)
        }

    def cleanup(self, conn):
        def qos():
            for q in conn.block_storage.qos_specs():
                if q.name.startswith(self.prefix):
                    conn.block_storage.delete_qos_spec(
                        q, ignore_missing=True, force=True
                    )

        def types():
            for t in conn.block_storage.types(is_public='None'):
                if t.name.startswith(self.prefix):
                    conn.block_storage.delete_type(t, ignore_missing=True)

        # Types first (cleanups run last-in first-out).
        self.addCleanup(qos)
        self.addCleanup(types)

    def validate(self):
        return self.openstack(
            'migrate',
            'validate',
            '--data-dir',
            self.data_dir,
            '--dst-cloud',
            'dst-admin',
            '-f',
            'json',
            expect_fail=True,
        )

    def test_volume_qos(self):
        admin1, admin2 = self.conn('src-admin'), self.conn('dst-admin')
        bs1, bs2 = admin1.block_storage, admin2.block_storage
        p = self.prefix
        self.cleanup(admin1)
        self.cleanup(admin2)
        gold = bs1.create_qos_spec(
            name=p + '-gold',
            consumer='front-end',
            read_iops_sec='100',
            write_iops_sec='50',
        )
        silver = bs1.create_qos_spec(
            name=p + '-silver', consumer='back-end', total_iops_sec='500'
        )
        t1 = bs1.create_type(name=p + '-t1')
        t2 = bs1.create_type(name=p + '-t2')
        bs1.create_type(name=p + '-t3')
        bs1.associate_qos_spec(gold, t1.id)
        bs1.associate_qos_spec(silver, t2.id)
        # The destination holds gold with another consumer and other
        # specs, t1 without QoS and t3 with gold.
        dst_gold = bs2.create_qos_spec(
            name=p + '-gold', consumer='both', read_iops_sec='9', old='1'
        )
        bs2.create_type(name=p + '-t1')
        dst_t3 = bs2.create_type(name=p + '-t3')
        bs2.associate_qos_spec(dst_gold, dst_t3.id)

        rows = self.export('volume qos', 'src-admin')
        self.assertEqual(2, rows[0]['Exported'])
        self.assertEqual(
            [
                {
                    'name': p + '-gold',
                    'consumer': 'front-end',
                    'specs': {'read_iops_sec': '100', 'write_iops_sec': '50'},
                },
                {
                    'name': p + '-silver',
                    'consumer': 'back-end',
                    'specs': {'total_iops_sec': '500'},
                },
            ],
            [e['params'] for e in self.load(QOS_FILE)['resources']],
        )
        rows = self.export('volume type', 'src-admin')
        self.assertEqual(3, rows[0]['Exported'])
        self.assertEqual(
            [
                (p + '-t1', {'name': p + '-gold'}),
                (p + '-t2', {'name': p + '-silver'}),
                (p + '-t3', None),
            ],
            [
                (
                    e['params']['name'],
                    e['params']['qos_specs_ref']
                    and {'name': e['params']['qos_specs_ref']['name']},
                )
                for e in self.load(TYPE_FILE)['resources']
            ],
        )

        plan = self.migrate(
            'plan', 'volume qos', '--name-regex', p, cloud='dst-admin'
        )
        self.assertEqual(
            [
                (p + '-gold', 'update', 'consumer, specs'),
                (p + '-silver', 'create', ''),
            ],
            sorted((r['Name'], r['Action'], r['Detail']) for r in plan),
        )

        # validate: a type naming QoS specs that are nowhere.
        doc = self.load(TYPE_FILE)
        saved = json.loads(json.dumps(doc))
        doc['resources'][0]['params']['qos_specs_ref']['name'] = p + '-nope'
        self.save(TYPE_FILE, doc)
        result = self.validate()
        self.assertEqual(
            [
                (
                    'params.qos_specs_ref',
                    "volume qos '%s-nope' not found, neither in the data "
                    'directory nor in the destination' % p,
                )
            ],
            [(r['Field'], r['Problem']) for r in json.loads(result.stdout)],
        )
        self.save(TYPE_FILE, saved)

        rows = self.import_('volume qos', 'dst-admin')
        self.assertEqual(
            [(p + '-gold', 'updated'), (p + '-silver', 'created')],
            self.actions(rows),
        )
        self.assertEqual(self.qos_state(admin1), self.qos_state(admin2))

        plan = self.migrate(
            'plan', 'volume type', '--name-regex', p, cloud='dst-admin'
        )
        self.assertEqual(
            [
                (p + '-t1', 'update', 'qos_specs_ref'),
                (p + '-t2', 'create', ''),
                (p + '-t3', 'update', 'qos_specs_ref'),
            ],
            sorted((r['Name'], r['Action'], r['Detail']) for r in plan),
        )
        rows = self.import_('volume type', 'dst-admin')
        self.assertEqual(
            [
                (p + '-t1', 'updated'),
                (p + '-t2', 'created'),
                (p + '-t3', 'updated'),
            ],
            self.actions(rows),
        )
        self.assertEqual(
            {
                p + '-t1': p + '-gold',
                p + '-t2': p + '-silver',
                p + '-t3': None,
            },
            self.type_qos(admin2),
        )
        self.assertEqual(self.type_qos(admin1), self.type_qos(admin2))

        # Twice: nothing to do.
        for what in ('volume qos', 'volume type'):
            rows = self.import_(what, 'dst-admin')
            self.assertEqual(
                ['unchanged'] * len(rows), [r['Action'] for r in rows], what
            )
        self.assertEqual(self.qos_state(admin1), self.qos_state(admin2))
        self.assertEqual(self.type_qos(admin1), self.type_qos(admin2))

        # The file moves t1 from gold to silver.
        doc = self.load(TYPE_FILE)
        doc['resources'][0]['params']['qos_specs_ref']['name'] = p + '-silver'
        self.save(TYPE_FILE, doc)
        rows = self.import_('volume type', 'dst-admin')
        self.assertEqual(
            [
                (p + '-t1', 'updated'),
                (p + '-t2', 'unchanged'),
                (p + '-t3', 'unchanged'),
            ],
            self.actions(rows),
        )
        self.assertEqual(p + '-silver', self.type_qos(admin2)[p + '-t1'])
