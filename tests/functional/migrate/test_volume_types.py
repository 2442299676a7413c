# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Volume types: ``migrate export|import volume type`` and ``plan`` as
admins, region one's Cinder to region two's (Keystone is shared, so the
access list's project is the same on both sides)."""

from tests.functional.migrate import test_compute_identity as ci

FILE = 'volume_types.yml'


def state(conn, type_id):
    t = conn.block_storage.get_type(type_id)
    access = []
    if t.is_public is False:
        access = sorted(
            a['project_id'] for a in conn.block_storage.get_type_access(t)
        )
    return (t.description, t.is_public, t.extra_specs, access)


class TestVolumeTypes(ci.MigrateTestCase):
    def find(self, conn, name):
        return next(
            t
            for t in conn.block_storage.types(is_public='None')
            if t.name == name
        )

    def cleanup_types(self, conn):
        def run():
            for t in conn.block_storage.types(is_public='None'):
                if t.name.startswith(self.prefix):
                    conn.block_storage.delete_type(t, ignore_missing=True)

        self.addCleanup(run)

    def test_volume_types(self):
        admin1, admin2 = self.conn('src-admin'), self.conn('dst-admin')
        p = self.prefix
        project = admin1.identity.create_project(
            name=p + '-proj', domain_id='default'
        )
        self.ignore_missing(admin1.identity.delete_project, project.id)
        self.cleanup_types(admin1)
        self.cleanup_types(admin2)
        pub = admin1.block_storage.create_type(
            name=p + '-pub',
            description='fast',
            extra_specs={'volume_backend_name': 'nfs', 'x:tier': 'gold'},
        )
        priv = admin1.block_storage.create_type(
            name=p + '-priv', is_public=False, description='private'
        )
        admin1.block_storage.add_type_access(priv, project.id)
        # The destination already holds pub, with other specs.
        admin2.block_storage.create_type(
            name=p + '-pub',
            description='fast',
            extra_specs={'x:tier': 'silver', 'x:old': '1'},
        )

        rows = self.export('volume type', 'src-admin')
        self.assertEqual(2, rows[0]['Exported'])
        entries = {
            e['params']['name']: e for e in self.load(FILE)['resources']
        }
        self.assertEqual(
            {
                'name': p + '-priv',
                'description': 'private',
                'is_public': False,
                'extra_specs': {},
                'access_project_refs': [
                    {
                        'name': p + '-proj',
                        'project_name': None,
                        'domain_name': 'Default',
                    }
                ],
                'qos_specs_ref': None,
            },
            entries[p + '-priv']['params'],
        )
        self.assertEqual(
            {'volume_backend_name': 'nfs', 'x:tier': 'gold'},
            entries[p + '-pub']['params']['extra_specs'],
        )

        plan = self.migrate(
            'plan', 'volume type', '--name-regex', p, cloud='dst-admin'
        )
        self.assertEqual(
            [
                (p + '-priv', 'create', ''),
                (p + '-pub', 'update', 'extra_specs'),
            ],
            sorted((r['Name'], r['Action'], r['Detail']) for r in plan),
        )

        rows = self.import_('volume type', 'dst-admin')
        self.assertEqual(
            [(p + '-priv', 'created'), (p + '-pub', 'updated')],
            self.actions(rows),
        )
        for src_type in (pub, priv):
            self.assertEqual(
                state(admin1, src_type.id),
                state(admin2, self.find(admin2, src_type.name).id),
            )

        # Twice: nothing to do.
        rows = self.import_('volume type', 'dst-admin')
        self.assertEqual(
            [(p + '-priv', 'unchanged'), (p + '-pub', 'unchanged')],
            self.actions(rows),
        )

        # An edited file: visibility cannot change.
        doc = self.load(FILE)
        for e in doc['resources']:
            if e['params']['name'] == p + '-priv':
                e['params']['is_public'] = True
        self.save(FILE, doc)
        result = self.import_('volume type', 'dst-admin', expect_fail=True)
        self.assertIn(
            "volume_types.yml: openstack.block_storage.VolumeType '%s-priv': "
            'conflict: cannot change is_public of an existing resource: '
            'is_public is False, the file says True' % p,
            result.stderr,
        )
        self.assertFalse(self.find(admin2, p + '-priv').is_public)
