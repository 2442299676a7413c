# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""An admin migrating several projects: access grant, export all / import all
over projects, quota pre-flight, access revoke.

The development cloud has ONE Keystone shared by both regions: the
destination projects are the source projects, and the group, membership and
role assignments that ``access grant`` makes serve both sides.  Networks
and security groups are per region, so they really move from RegionOne to
RegionTwo, each into its own project.

Every test works under unique names and cleans up what it made in both
regions (projects, groups, quotas, networks, security groups).
"""

import json
import os

import fixtures
from openstack import exceptions as sdk_exceptions
import yaml

from tests.functional import base


class AdminTestCase(base.FunctionalTestCase):
    def setUp(self):
        super().setUp()
        self.prefix = self.unique_name('osmadm')
        self.group = self.prefix + '-grp'
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        self.admin1 = self.conn('src-admin')
        self.admin2 = self.conn('dst-admin')
        self.addCleanup(self.purge_group)

    def migrate(self, *args, expect_fail=False):
        argv = ['migrate', *args, '--data-dir', self.data_dir, '-f', 'json']
        result = self.openstack(
            *argv, expect_fail=expect_fail, parse_json=False
        )
        if expect_fail:
            return result
        return json.loads(result)

    def access(self, verb, *args, **kwargs):
        return self.migrate(
            'access',
            verb,
            '--src-cloud',
            'src-admin',
            '--dst-cloud',
            'dst-admin',
            *args,
            **kwargs,
        )

    def purge_group(self):
        """Safety net: the test's group, should revoke not have run."""
        group = self.admin1.identity.find_group(self.group)
        if group is not None:
            self.admin1.identity.delete_group(group, ignore_missing=True)

    def make_project(self, suffix):
        project = self.admin1.identity.create_project(
            name='%s-%s' % (self.prefix, suffix), domain_id='default'
        )
        self.addCleanup(
            self.admin1.identity.delete_project, project, ignore_missing=True
        )
        # Registered after the project: runs before its deletion.
        for conn in (self.admin1, self.admin2):
            self.addCleanup(self.purge_network, conn, project.id)
        return project

    def purge_network(self, conn, project_id):
        net = conn.network
        for sg in list(net.security_groups(project_id=project_id)):
            net.delete_security_group(sg, ignore_missing=True)
        for network in list(net.networks(project_id=project_id)):
            for port in list(net.ports(network_id=network.id)):
                net.delete_port(port, ignore_missing=True)
            net.delete_network(network, ignore_missing=True)
        try:
            net.delete_quota(project_id)
        except sdk_exceptions.NotFoundException:
            pass

    def network_content(self, conn, project_id):
        """What a project holds in one region, by name, ids left out."""
        net = conn.network
        networks = {}
        for n in net.networks(project_id=project_id):
            networks[n.name] = sorted(
                (s.name, s.cidr, s.ip_version, s.is_dhcp_enabled)
                for s in net.subnets(network_id=n.id)
            )
        groups = {}
        for sg in net.security_groups(project_id=project_id):
            if sg.name == 'default':
                continue
            groups[sg.name] = sorted(
                (
                    r.direction,
                    r.ether_type,
                    r.protocol or '',
                    r.port_range_min or 0,
                    r.port_range_max or 0,
                    r.remote_ip_prefix or '',
                )
                for r in net.security_group_rules(security_group_id=sg.id)
            )
        return {'networks': networks, 'security_groups': groups}

    def assignments_of(self, project):
        return sorted(
            (
                (a.user or a.group or {}).get('id'),
                (a.role or {}).get('id'),
            )
            for a in self.admin1.identity.role_assignments(
                scope_project_id=project.id
            )
        )


class TestAdminProjects(AdminTestCase):
    def seed(self, project, networks, group_name, port):
        """Networks (with one subnet each, at 10.<n>.0.0/24) and a group
        with one ingress rule, created by the admin in RegionOne."""
        net = self.admin1.network
        for i, name in enumerate(networks):
            network = net.create_network(name=name, project_id=project.id)
            net.create_subnet(
                name=name + '-sub',
                network_id=network.id,
                cidr='10.%d.%d.0/24' % (port % 250, i),
                ip_version=4,
                project_id=project.id,
            )
        sg = net.create_security_group(name=group_name, project_id=project.id)
        net.create_security_group_rule(
            security_group_id=sg.id,
            direction='ingress',
            ethertype='IPv4',
            protocol='tcp',
            port_range_min=port,
            port_range_max=port,
            remote_ip_prefix='192.0.2.0/24',
            project_id=project.id,
        )

    def test_grant_migrate_revoke(self):
        pa, pb = self.make_project('a'), self.make_project('b')
        before = {p.name: self.assignments_of(p) for p in (pa, pb)}
        self.assertEqual({pa.name: [], pb.name: []}, before)
        p = self.prefix
        self.seed(pa, [p + '-net-a'], p + '-sg-a', 22)
        self.seed(pb, [p + '-net-b1', p + '-net-b2'], p + '-sg-b', 80)
        source = {
            pa.name: self.network_content(self.admin1, pa.id),
            pb.name: self.network_content(self.admin1, pb.id),
        }
        self.assertEqual(
            [p + '-net-b1', p + '-net-b2'],
            sorted(source[pb.name]['networks']),
        )

        # Without access, re-scoping fails and says what to do.
        result = self.migrate(
            'export',
            'all',
            '--src-cloud',
            'src-admin',
            '--project',
            pa.name,
            expect_fail=True,
        )
        self.assertIn(
            "--src-project: cannot work in project '%s' of the source "
            'cloud (the user needs a role on it: run "openstack migrate '
            'access grant" first)' % pa.name,
            result.stderr,
        )

        projects = ['--project', pa.name, '--project', pb.name]
        grant = [*projects, '--group-name', self.group, '--create-projects']
        rows = self.access('grant', *grant)
        shared = (
            "identity service %s is the src side's: granted there"
            % self.admin1.config.config['auth']['auth_url']
        )
        self.assertEqual(
            [
                ['src', 'created', "group '%s'" % self.group],
                ['src', 'added', "user 'admin' to the group"],
                ['src', 'granted', "role 'member' on project '%s'" % pa.name],
                ['src', 'granted', "role 'member' on project '%s'" % pb.name],
                ['dst', 'unchanged', "project '%s' exists" % pa.name],
                ['dst', 'unchanged', "project '%s' exists" % pb.name],
                ['dst', 'shared', shared],
            ],
            [[r['Side'], r['Action'], r['What']] for r in rows],
        )
        # The projects file the destination projects come from.
        with open(os.path.join(self.data_dir, 'projects.yml')) as f:
            doc = yaml.safe_load(f)
        self.assertEqual(
            [pa.name, pb.name],
            sorted(e['params']['name'] for e in doc['resources']),
        )
        journal = os.path.join(self.data_dir, 'access_journal.yml')
        self.assertEqual(0o600, os.stat(journal).st_mode & 0o777)
        # Granting again changes nothing.
        rows = self.access('grant', *grant)
        self.assertEqual(
            ['unchanged'] * 6 + ['shared'], [r['Action'] for r in rows]
        )
        rows = self.access('list')
        self.assertEqual(
            [
                ['src=dst', self.group, pa.name, 'member', True],
                ['src=dst', self.group, pb.name, 'member', True],
            ],
            [
                [
                    r['Side'],
                    r['Group'],
                    r['Project'],
                    r['Role'],
                    r['Added By Grant'],
                ]
                for r in rows
            ],
        )

        rows = self.migrate(
            'export', 'all', '--src-cloud', 'src-admin', *projects
        )
        exported = {
            (r['Project'], r['Type']): r['Exported']
            for r in rows
            if r['Type'] in ('network', 'subnet', 'security group')
        }
        self.assertEqual(
            {
                (pa.name, 'network'): 1,
                (pa.name, 'subnet'): 1,
                (pa.name, 'security group'): 2,
                (pb.name, 'network'): 2,
                (pb.name, 'subnet'): 2,
                (pb.name, 'security group'): 2,
            },
            exported,
        )
        # Admin-only types are not exported as a member of the project.
        self.assertEqual(
            set(), {r['Type'] for r in rows} & {'project', 'user', 'flavor'}
        )
        with open(os.path.join(self.data_dir, pb.name, 'networks.yml')) as f:
            doc = yaml.safe_load(f)
        self.assertEqual(
            [p + '-net-b1', p + '-net-b2'],
            [e['params']['name'] for e in doc['resources']],
        )

        rows = self.migrate(
            'import', 'all', '--dst-cloud', 'dst-admin', *projects
        )
        summary = {
            (r['Project'], r['Type']): (
                r['Created'],
                r['Updated'],
                r['Unchanged'],
                r['Failed'],
            )
            for r in rows
            if r['Type'] in ('network', 'subnet', 'security group')
        }
        self.assertEqual(
            {
                (pa.name, 'network'): (1, 0, 0, 0),
                (pa.name, 'subnet'): (1, 0, 0, 0),
                (pa.name, 'security group'): (1, 0, 1, 0),
                (pb.name, 'network'): (2, 0, 0, 0),
                (pb.name, 'subnet'): (2, 0, 0, 0),
                (pb.name, 'security group'): (1, 0, 1, 0),
            },
            summary,
        )
        self.assertEqual(0, sum(r['Failed'] for r in rows))
        # Each destination project holds exactly its own resources.
        for project in (pa, pb):
            self.assertEqual(
                source[project.name],
                self.network_content(self.admin2, project.id),
            )
        # A second import changes nothing.
        rows = self.migrate(
            'import', 'all', '--dst-cloud', 'dst-admin', *projects
        )
        self.assertEqual(
            (0, 0, 0),
            (
                sum(r['Created'] for r in rows),
                sum(r['Updated'] for r in rows),
                sum(r['Failed'] for r in rows),
            ),
        )

        rows = self.access('revoke')
        self.assertEqual(
            [
                ['src', 'removed', "role 'member' on project '%s'" % pa.name],
                ['src', 'removed', "role 'member' on project '%s'" % pb.name],
                [
                    'src',
                    'removed',
                    "user 'admin' from the group (deleted with it)",
                ],
                ['src', 'deleted', "group '%s'" % self.group],
                [
                    'dst',
                    'shared',
                    'identity service of the src side: revoked there',
                ],
            ],
            [[r['Side'], r['Action'], r['What']] for r in rows],
        )
        # No grant, group or role assignment left behind.
        self.assertIsNone(self.admin1.identity.find_group(self.group))
        self.assertEqual(
            before, {p.name: self.assignments_of(p) for p in (pa, pb)}
        )
        self.assertFalse(os.path.exists(journal))
        self.assertEqual([], self.access('list', '--group-name', self.group))
        rows = self.access('revoke')
        self.assertEqual([], rows)


class TestQuotaPreflight(AdminTestCase):
    def test_plan_reports_quota_shortfall(self):
        project = self.make_project('q')
        net1 = self.admin1.network
        names = ['%s-sg%d' % (self.prefix, i) for i in range(3)]
        for name in names:
            net1.create_security_group(name=name, project_id=project.id)
        self.admin2.network.update_quota(project.id, security_groups=2)

        self.access(
            'grant', '--project', project.name, '--group-name', self.group
        )
        self.addCleanup(self.access, 'revoke')
        self.migrate(
            'export',
            'all',
            '--src-cloud',
            'src-admin',
            '--src-project',
            project.name,
        )
        result = self.migrate(
            'plan',
            '--dst-cloud',
            'dst-admin',
            '--dst-project',
            project.name,
            expect_fail=True,
        )
        self.assertEqual(1, result.returncode)
        rows = json.loads(result.stdout)
        detail = (
            'security group: 3 to create, 1 in use, quota 2 (network '
            'quota security_groups)'
        )
        self.assertEqual(
            [['quota', 'security group', 'blocked', detail]],
            [
                [r['Type'], r['Name'], r['Action'], r['Detail']]
                for r in rows
                if r['Type'] == 'quota'
            ],
        )
        self.assertIn(
            "quota 'security group': blocked: %s" % detail, result.stderr
        )
        self.assertEqual(
            sorted((n, 'create') for n in names),
            sorted(
                (r['Name'], r['Action'])
                for r in rows
                if r['Type'] == 'openstack.network.SecurityGroup'
                and r['Name'] != 'default'
            ),
        )
        # Nothing was created in the destination.
        self.assertEqual(
            {'networks': {}, 'security_groups': {}},
            self.network_content(self.admin2, project.id),
        )
