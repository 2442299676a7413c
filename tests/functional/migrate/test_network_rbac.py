# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Network RBAC policies: a network, a QoS policy and a security group of
the source project shared with other projects, exported and imported by
the tenant users with the admin clouds for the projects' names, against
real clouds (``src`` in RegionOne to ``dst`` in RegionTwo).

The development cloud has one Keystone for both regions: the target
projects made here are the same in both.
"""

import json

from tests.functional.migrate import test_network_resources as netres
from tests.functional.migrate import test_qos_policies

FILE = 'network_rbac_policies.yml'
SHARED = 'access_as_shared'
RBAC = 'openstack.network.RBACPolicy'
#: Keystone's name of the development cloud's default domain
DOMAIN = 'Default'


class TestNetworkRbac(netres.MigrateTestCase):
    def setUp(self):
        super().setUp()
        for cloud in ('src', 'dst'):
            self.addCleanup(
                test_qos_policies._purge, self.conn(cloud), self.prefix
            )
        admin = self.conn('src-admin').identity
        self.targets = []
        for suffix in ('t1', 't2'):
            project = admin.create_project(
                name='%s-%s' % (self.prefix, suffix), domain_id='default'
            )
            self.add_cleanup_delete(admin.delete_project, project.id)
            self.targets.append(project)

    def src_objects(self):
        """A network, a QoS policy and a security group of ``src``, each
        shared with the first target project."""
        net = self.conn('src').network
        p = self.prefix
        objects = {
            'network': net.create_network(name=p + '-net'),
            'qos_policy': net.create_qos_policy(name=p + '-qos'),
            'security_group': net.create_security_group(name=p + '-sg'),
        }
        for object_type, obj in objects.items():
            net.create_rbac_policy(
                object_type=object_type,
                object_id=obj.id,
                action=SHARED,
                target_project_id=self.targets[0].id,
            )
        return objects

    def dst_policies(self):
        """(object type, object name, action, target project id) of the
        destination project's policies on the test's objects."""
        conn = self.conn('dst')
        net = conn.network
        pid = conn.current_project_id
        names = {}
        for kind, objs in (
            ('network', net.networks(project_id=pid)),
            ('qos_policy', net.qos_policies(project_id=pid)),
            ('security_group', net.security_groups(project_id=pid)),
        ):
            names.update(((kind, o.id), o.name) for o in objs)
        return sorted(
            (
                r.object_type,
                names[(r.object_type, r.object_id)],
                r.action,
                r.target_project_id,
            )
            for r in net.rbac_policies(project_id=pid)
            if (r.object_type, r.object_id) in names
            and names[(r.object_type, r.object_id)].startswith(self.prefix)
        )

    def rbac_rows(self, rows):
        return {
            r['Name']: (r['Action'], r['Detail'])
            for r in rows
            if r['Type'] == RBAC
        }

    def plan_as_member(self, admin_cloud='dst-admin', expect_fail=False):
        result = self.openstack(
            'migrate',
            'plan',
            '--data-dir',
            self.data_dir,
            '--dst-cloud',
            'dst',
            '--name-regex',
            '^' + self.prefix,
            '-f',
            'json',
            env={'OS_MIGRATE_DST_ADMIN_CLOUD': admin_cloud}
            if admin_cloud
            else None,
            parse_json=not expect_fail,
            expect_fail=expect_fail,
        )
        if expect_fail:
            return json.loads(result.stdout)
        return result

    def test_export_import_edit(self):
        p = self.prefix
        t1, t2 = (t.name for t in self.targets)
        self.src_objects()

        rows = self.export_all_with_names()
        self.assertEqual(
            3, {r['Type']: r['Exported'] for r in rows}['network rbac']
        )
        entries = {
            e['params']['object_type']: e for e in self.load(FILE)['resources']
        }
        own = {'project_name': '%auth%', 'domain_name': '%auth%'}
        target = {'name': t1, 'project_name': None, 'domain_name': DOMAIN}
        for object_type, suffix in (
            ('network', '-net'),
            ('qos_policy', '-qos'),
            ('security_group', '-sg'),
        ):
            self.assertEqual(RBAC, entries[object_type]['type'])
            self.assertEqual(
                {
                    'object_type': object_type,
                    'action': SHARED,
                    object_type + '_ref': dict(own, name=p + suffix),
                    'target_project_ref': target,
                },
                entries[object_type]['params'],
            )
            self.assertEqual(
                self.targets[0].id,
                entries[object_type]['_info']['target_project_id'],
            )

        labels = [
            'network %s-net -> %s (%s)' % (p, t1, SHARED),
            'qos_policy %s-qos -> %s (%s)' % (p, t1, SHARED),
            'security_group %s-sg -> %s (%s)' % (p, t1, SHARED),
        ]
        self.assertEqual(
            dict.fromkeys(labels, ('create', '')),
            self.rbac_rows(self.plan_as_member()),
        )

        rows = self.import_('all', '--dst-admin-cloud', 'dst-admin')
        self.assertEqual(
            (3, 0, 0, 0),
            next(
                (r['Created'], r['Updated'], r['Unchanged'], r['Failed'])
                for r in rows
                if r['Type'] == 'network rbac'
            ),
        )
        self.assertEqual(
            [
                ('network', p + '-net', SHARED, self.targets[0].id),
                ('qos_policy', p + '-qos', SHARED, self.targets[0].id),
                ('security_group', p + '-sg', SHARED, self.targets[0].id),
            ],
            self.dst_policies(),
        )

        # Twice: nothing written.
        before = self.dst_policy_ids()
        rows, requests = self.import_logged('--dst-admin-cloud', 'dst-admin')
        self.assertEqual(
            (0, 0, 3, 0),
            next(
                (r['Created'], r['Updated'], r['Unchanged'], r['Failed'])
                for r in rows
                if r['Type'] == 'network rbac'
            ),
        )
        writes = [
            (method, url)
            for method, url in requests
            if method != 'GET' and not url.endswith('/auth/tokens')
        ]
        self.assertEqual([], writes)
        self.assertEqual(before, self.dst_policy_ids())

        # An edited target: the network is shared with t2 too (an import
        # never takes access away).
        doc = self.load(FILE)
        for e in doc['resources']:
            if e['params']['object_type'] == 'network':
                e['params']['target_project_ref']['name'] = t2
        self.save(FILE, doc)
        self.assertEqual(
            {
                'network %s-net -> %s (%s)' % (p, t2, SHARED): ('create', ''),
                labels[1]: ('unchanged', ''),
                labels[2]: ('unchanged', ''),
            },
            self.rbac_rows(self.plan_as_member()),
        )
        self.import_('network rbac', '--dst-admin-cloud', 'dst-admin')
        self.assertEqual(
            sorted(
                [
                    ('network', p + '-net', SHARED, self.targets[0].id),
                    ('network', p + '-net', SHARED, self.targets[1].id),
                    ('qos_policy', p + '-qos', SHARED, self.targets[0].id),
                    ('security_group', p + '-sg', SHARED, self.targets[0].id),
                ]
            ),
            self.dst_policies(),
        )

    def dst_policy_ids(self):
        conn = self.conn('dst')
        return sorted(
            (r.id, r.target_project_id)
            for r in conn.network.rbac_policies(
                project_id=conn.current_project_id
            )
        )

    def export_all_with_names(self):
        return self.export_all_args('--src-admin-cloud', 'src-admin')

    def export_all_args(self, *args):
        return self.migrate(
            'export all',
            '-f',
            'json',
            *args,
            cloud_option='--src-cloud',
            cloud='src',
        )

    def test_missing_target_project(self):
        p = self.prefix
        self.src_objects()
        self.export_all_with_names()
        doc = self.load(FILE)
        for e in doc['resources']:
            if e['params']['object_type'] == 'qos_policy':
                e['params']['target_project_ref']['name'] = p + '-nope'
        self.save(FILE, doc)

        result = self.openstack(
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
        self.assertEqual(
            [
                (
                    'params.target_project_ref',
                    "project '%s-nope' not found, neither in the data "
                    'directory nor in the destination' % p,
                )
            ],
            [(r['Field'], r['Problem']) for r in json.loads(result.stdout)],
        )
        rows = self.rbac_rows(self.plan_as_member(expect_fail=True))
        self.assertEqual(
            (
                'blocked',
                "target_project_ref: project '%s-nope' not found" % p,
            ),
            rows['qos_policy %s-qos -> %s-nope (%s)' % (p, p, SHARED)],
        )
        self.assertEqual(
            ['create', 'create'],
            [a for n, (a, _) in sorted(rows.items()) if 'nope' not in n],
        )

    def test_member_without_admin_cloud(self):
        p = self.prefix
        t1 = self.targets[0]
        self.src_objects()
        self.export_all_args()
        doc = self.load(FILE)
        self.assertEqual(
            [(None, t1.id)] * 3,
            [
                (
                    e['params']['target_project_ref'],
                    e['_info']['target_project_id'],
                )
                for e in doc['resources']
            ],
        )
        net_label = 'network %s-net -> (project %s) (%s)' % (p, t1.id, SHARED)
        rows = self.rbac_rows(self.plan_as_member(None, expect_fail=True))
        self.assertEqual(
            (
                'blocked',
                'target_project_ref: the target project is not named (the '
                'export could not read its name; write its name and domain '
                'here)',
            ),
            rows[net_label],
        )

        # Named by hand: a member still cannot look the name up.
        for e in doc['resources']:
            e['params']['target_project_ref'] = {
                'name': t1.name,
                'project_name': None,
                'domain_name': DOMAIN,
            }
        self.save(FILE, doc)
        rows = self.rbac_rows(self.plan_as_member(None, expect_fail=True))
        self.assertEqual(
            (
                'blocked',
                "target_project_ref: cannot look project '%s' up: the user "
                'may not list projects (give --dst-admin-cloud or '
                'OS_MIGRATE_DST_ADMIN_CLOUD: a user who may)' % t1.name,
            ),
            rows['network %s-net -> %s (%s)' % (p, t1.name, SHARED)],
        )
