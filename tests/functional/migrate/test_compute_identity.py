# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Keypairs, flavors, projects, users, role assignments and quotas against
real clouds.

The development cloud has ONE Keystone shared by both regions, but Nova,
Neutron and Cinder per region.  Keypairs, flavors and quotas therefore
really move from RegionOne to RegionTwo.  Projects, users and role
assignments cannot: the destination Keystone is the source Keystone, so
importing the unedited export must find everything unchanged (which these
tests check), and to prove that import creates them the tests rename the
exported resources in the data files (prefix ``copy-``), import, and check
that the copies exist with the right fields, domains and assignments.

Every test works under a unique name prefix and cleans up what it made in
both regions.
"""

import json
import os

from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives import serialization
import fixtures
import openstack
from openstack import exceptions as sdk_exceptions
import yaml

from tests.functional import base


def public_key(comment='osm'):
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    text = key.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()
    return '%s %s' % (text, comment)


class MigrateTestCase(base.FunctionalTestCase):
    def setUp(self):
        super().setUp()
        self.prefix = self.unique_name('osmci')
        self.data_dir = self.useFixture(fixtures.TempDir()).path

    def migrate(self, verb, *args, cloud, expect_fail=False, debug=False):
        side = '--src-cloud' if verb.startswith('export') else '--dst-cloud'
        argv = ['--debug'] if debug else []
        argv += ['migrate', *verb.split(), '--data-dir', self.data_dir]
        argv += [side, cloud, '-f', 'json', *args]
        result = self.openstack(
            *argv, expect_fail=expect_fail, parse_json=False
        )
        if expect_fail:
            return result
        return json.loads(result)

    def export(self, what, cloud, *args):
        return self.migrate(
            'export ' + what,
            '--name-regex',
            '^' + self.prefix,
            *args,
            cloud=cloud,
        )

    def import_(self, what, cloud, *args, **kwargs):
        return self.migrate(
            'import ' + what,
            '--name-regex',
            self.prefix,
            *args,
            cloud=cloud,
            **kwargs,
        )

    def path(self, file_name):
        return os.path.join(self.data_dir, file_name)

    def load(self, file_name):
        with open(self.path(file_name)) as f:
            return yaml.safe_load(f)

    def save(self, file_name, doc):
        with open(self.path(file_name), 'w') as f:
            yaml.safe_dump(doc, f)

    def actions(self, rows):
        return sorted((r['Name'], r['Action']) for r in rows)

    def ignore_missing(self, call, *args, **kwargs):
        def run():
            try:
                call(*args, **kwargs)
            except sdk_exceptions.NotFoundException:
                pass

        self.addCleanup(run)


class TestKeypairs(MigrateTestCase):
    def test_tenant_keypairs_and_conflict(self):
        src, dst = self.conn('src'), self.conn('dst')
        names = [self.prefix + '-a', self.prefix + '-b']
        keys = {}
        for name in names:
            keys[name] = public_key(name)
            src.compute.create_keypair(name=name, public_key=keys[name])
            self.ignore_missing(src.compute.delete_keypair, name)
            self.ignore_missing(dst.compute.delete_keypair, name)

        rows = self.export('keypair', 'src')
        self.assertEqual([2], [r['Exported'] for r in rows])
        doc = self.load('keypairs.yml')
        self.assertEqual(
            [
                {
                    'name': refs_auth,
                    'domain_name': refs_auth,
                    'project_name': None,
                }
                for refs_auth in ('%auth%', '%auth%')
            ],
            [e['params']['user_ref'] for e in doc['resources']],
        )

        rows = self.import_('keypair', 'dst')
        self.assertEqual([(n, 'created') for n in names], self.actions(rows))
        for name in names:
            got = dst.compute.get_keypair(name)
            self.assertEqual(keys[name], got.public_key)
            self.assertEqual('ssh', got.type)

        rows = self.import_('keypair', 'dst')
        self.assertEqual([(n, 'unchanged') for n in names], self.actions(rows))

        # A same-named key holding another key: a conflict, not a success.
        other = self.prefix + '-c'
        src.compute.create_keypair(name=other, public_key=public_key())
        self.ignore_missing(src.compute.delete_keypair, other)
        dst_key = public_key()
        dst.compute.create_keypair(name=other, public_key=dst_key)
        self.ignore_missing(dst.compute.delete_keypair, other)
        self.export('keypair', 'src')
        result = self.import_('keypair', 'dst', expect_fail=True)
        self.assertEqual(1, result.returncode)
        rows = json.loads(result.stdout)
        self.assertEqual(
            [(n, 'unchanged') for n in names] + [(other, 'conflict')],
            self.actions(rows),
        )
        self.assertIn(
            "keypairs.yml: openstack.compute.Keypair '%s': conflict: "
            'field public_key: the destination already has a keypair of '
            'this name with another key' % other,
            result.stderr,
        )
        self.assertEqual(dst_key, dst.compute.get_keypair(other).public_key)

    def test_all_users_keypairs(self):
        admin1, admin2 = self.conn('src-admin'), self.conn('dst-admin')
        user = admin1.identity.create_user(
            name=self.prefix + '-user', domain_id='default'
        )
        self.ignore_missing(admin1.identity.delete_user, user.id)
        name = self.prefix + '-key'
        key = public_key()
        admin1.compute.create_keypair(
            name=name, public_key=key, user_id=user.id
        )
        for conn in (admin1, admin2):
            self.ignore_missing(
                conn.compute.delete_keypair, name, user_id=user.id
            )

        self.export('keypair', 'src-admin', '--all-users')
        [entry] = self.load('keypairs.yml')['resources']
        self.assertEqual(
            {
                'name': self.prefix + '-user',
                'project_name': None,
                'domain_name': 'Default',
            },
            entry['params']['user_ref'],
        )
        self.assertEqual(user.id, entry['_info']['user_id'])

        rows = self.import_('keypair', 'dst-admin')
        self.assertEqual(
            [('%s (user %s-user)' % (name, self.prefix), 'created')],
            self.actions(rows),
        )
        got = admin2.compute.get_keypair(name, user_id=user.id)
        self.assertEqual(key, got.public_key)
        self.assertEqual(user.id, got.user_id)
        rows = self.import_('keypair', 'dst-admin')
        self.assertEqual(['unchanged'], [r['Action'] for r in rows])


class TestFlavors(MigrateTestCase):
    def flavor_state(self, conn, flavor_id):
        f = conn.compute.get_flavor(flavor_id, get_extra_specs=True)
        access = []
        if not f.is_public:
            access = sorted(
                a['tenant_id'] for a in conn.compute.get_flavor_access(f)
            )
        return {
            'id': f.id,
            'name': f.name,
            'ram': f.ram,
            'vcpus': f.vcpus,
            'disk': f.disk,
            'ephemeral': f.ephemeral,
            'swap': f.swap or 0,
            'rxtx_factor': f.rxtx_factor,
            'is_public': f.is_public,
            'description': f.description,
            'extra_specs': f.extra_specs,
            'access': access,
        }

    def test_flavors(self):
        admin1, admin2 = self.conn('src-admin'), self.conn('dst-admin')
        project = admin1.identity.create_project(
            name=self.prefix + '-proj', domain_id='default'
        )
        self.ignore_missing(admin1.identity.delete_project, project.id)
        created = []
        for suffix, is_public in (('pub', True), ('priv', False)):
            flavor = admin1.compute.create_flavor(
                name='%s-%s' % (self.prefix, suffix),
                ram=320,
                vcpus=3,
                disk=7,
                ephemeral=2,
                swap=64,
                rxtx_factor=1.5,
                is_public=is_public,
                description='flavor ' + suffix,
            )
            for conn in (admin1, admin2):
                self.ignore_missing(conn.compute.delete_flavor, flavor.id)
            admin1.compute.create_flavor_extra_specs(
                flavor,
                {'hw:cpu_policy': 'shared', 'quota:disk_read_iops_sec': '500'},
            )
            created.append(flavor)
        admin1.compute.flavor_add_tenant_access(created[1], project.id)
        src_state = [self.flavor_state(admin1, f.id) for f in created]
        self.assertEqual([project.id], src_state[1]['access'])

        self.export('flavor', 'src-admin')
        entries = {
            e['params']['name']: e
            for e in self.load('flavors.yml')['resources']
        }
        self.assertEqual(
            [
                {
                    'name': self.prefix + '-proj',
                    'project_name': None,
                    'domain_name': 'Default',
                }
            ],
            entries[self.prefix + '-priv']['params']['access_project_refs'],
        )
        rows = self.import_('flavor', 'dst-admin')
        self.assertEqual(
            sorted((f.name, 'created') for f in created), self.actions(rows)
        )
        # Same fields, extra specs, access and even the same ids.
        self.assertEqual(
            src_state, [self.flavor_state(admin2, f.id) for f in created]
        )

        rows = self.import_('flavor', 'dst-admin')
        self.assertEqual(
            sorted((f.name, 'unchanged') for f in created), self.actions(rows)
        )

        # Drift in the destination is reconciled: extra specs exactly the
        # file's, the access list too.
        priv = created[1]
        admin2.compute.update_flavor_extra_specs_property(
            priv, 'hw:cpu_policy', 'dedicated'
        )
        admin2.compute.create_flavor_extra_specs(priv, {'extra:key': 'x'})
        admin2.compute.flavor_remove_tenant_access(priv, project.id)
        rows = self.import_('flavor', 'dst-admin')
        self.assertEqual(
            [(priv.name, 'updated'), (created[0].name, 'unchanged')],
            self.actions(rows),
        )
        self.assertEqual(
            'access_project_refs, extra_specs',
            [r['Detail'] for r in rows if r['Name'] == priv.name][0],
        )
        self.assertEqual(src_state[1], self.flavor_state(admin2, priv.id))

        # Sizes cannot change: a file that says otherwise is a conflict.
        doc = self.load('flavors.yml')
        for e in doc['resources']:
            if e['params']['name'] == priv.name:
                e['params']['ram'] = 640
        self.save('flavors.yml', doc)
        result = self.import_('flavor', 'dst-admin', expect_fail=True)
        self.assertIn(
            "flavors.yml: openstack.compute.Flavor '%s': conflict: cannot "
            'change ram of an existing resource: ram is 320, the file says '
            '640' % priv.name,
            result.stderr,
        )
        self.assertEqual(320, admin2.compute.get_flavor(priv.id).ram)


class TestIdentity(MigrateTestCase):
    def copy(self, name):
        return 'copy-' + name

    def rename(self, file_name, *ref_keys):
        """Prefix the names of the file's resources (and of the references
        ``ref_keys``) with ``copy-``."""
        doc = self.load(file_name)
        for entry in doc['resources']:
            params = entry['params']
            if 'name' in params:
                params['name'] = self.copy(params['name'])
            for key in ref_keys:
                if params.get(key):
                    params[key]['name'] = self.copy(params[key]['name'])
        self.save(file_name, doc)

    def cleanup_identity(self, admin, prefix):
        """Delete every project, user, group and domain named ``prefix``*
        or copy-``prefix``*."""
        ident = admin.identity

        def mine(o):
            return o.name.startswith((prefix, self.copy(prefix)))

        def purge():
            for u in [u for u in ident.users() if mine(u)]:
                ident.delete_user(u, ignore_missing=True)
            for g in [g for g in ident.groups() if mine(g)]:
                ident.delete_group(g, ignore_missing=True)
            projects = [p for p in ident.projects() if mine(p)]
            # Children first.
            while projects:
                parents = {p.parent_id for p in projects}
                for p in [p for p in projects if p.id not in parents]:
                    ident.delete_project(p, ignore_missing=True)
                projects = [p for p in projects if p.id in parents]
            for d in [d for d in ident.domains() if mine(d)]:
                ident.update_domain(d, is_enabled=False)
                ident.delete_domain(d, ignore_missing=True)

        self.addCleanup(purge)

    def test_projects_users_role_assignments(self):
        admin = self.conn('src-admin')
        ident = admin.identity
        p = self.prefix
        self.cleanup_identity(admin, p)
        domain = ident.create_domain(name=p + '-dom')
        roles = {r.name: r for r in ident.roles()}
        proj1 = ident.create_project(
            name=p + '-proj1',
            domain_id='default',
            description='parent',
            tags=['blue', 'red'],
        )
        proj2 = ident.create_project(
            name=p + '-proj2', domain_id='default', parent_id=proj1.id
        )
        proj3 = ident.create_project(
            name=p + '-proj3', domain_id=domain.id, is_enabled=False
        )
        user1 = ident.create_user(
            name=p + '-user1',
            domain_id='default',
            email='u1@example.org',
            description='first',
            default_project_id=proj1.id,
        )
        user2 = ident.create_user(
            name=p + '-user2', domain_id=domain.id, is_enabled=False
        )
        group = ident.create_group(name=p + '-grp', domain_id='default')
        ident.assign_project_role_to_user(proj1, user1, roles['member'])
        ident.assign_project_role_to_user(proj2, user1, roles['reader'])
        ident.assign_project_role_to_user(
            proj1, user2, roles['reader'], inherited=True
        )
        ident.assign_project_role_to_group(proj3, group, roles['member'])

        for what in ('project', 'user', 'role assignment'):
            self.export(what, 'src-admin')
        self.export('group role assignment', 'src-admin')
        projects = self.load('projects.yml')['resources']
        self.assertEqual(
            [p + '-proj1', p + '-proj3', p + '-proj2'],
            [e['params']['name'] for e in projects],
        )
        self.assertEqual(
            {
                'name': p + '-proj1',
                'project_name': None,
                'domain_name': 'Default',
            },
            projects[2]['params']['parent_ref'],
        )
        self.assertEqual(
            {'name': p + '-dom', 'project_name': None, 'domain_name': None},
            projects[1]['params']['domain_ref'],
        )
        for e in self.load('users.yml')['resources']:
            self.assertNotIn('password', e['params'])
        self.assertEqual(
            3, len(self.load('user_project_role_assignments.yml')['resources'])
        )

        # The destination Keystone is the source one: all unchanged.
        rows = self.migrate(
            'import all', '--name-regex', '^' + p, cloud='dst-admin'
        )
        summary = {
            r['Type']: (
                r['Created'],
                r['Updated'],
                r['Unchanged'],
                r['Failed'],
            )
            for r in rows
            if r['Type']
            in ('project', 'user', 'role assignment', 'group role assignment')
        }
        self.assertEqual(
            {
                'project': (0, 0, 3, 0),
                'user': (0, 0, 2, 0),
                'role assignment': (0, 0, 3, 0),
                'group role assignment': (0, 0, 1, 0),
            },
            summary,
        )

        # Copies prove creation.
        self.rename('projects.yml', 'parent_ref')
        self.rename('users.yml', 'default_project_ref')
        self.rename(
            'user_project_role_assignments.yml', 'user_ref', 'project_ref'
        )
        self.rename('group_project_role_assignments.yml', 'project_ref')
        password = 'Pw-' + base.unique_name('s3cret')
        with open(self.path('passwords.yml'), 'w') as f:
            yaml.safe_dump({self.copy(p + '-user1'): password}, f)

        rows = self.import_('project', 'dst-admin')
        self.assertEqual(
            sorted(
                (self.copy(n), 'created')
                for n in (p + '-proj1', p + '-proj2', p + '-proj3')
            ),
            self.actions(rows),
        )
        # --debug shows every API call, but never the password.
        result = self.openstack(
            '--debug',
            'migrate',
            'import',
            'user',
            '--data-dir',
            self.data_dir,
            '--dst-cloud',
            'dst-admin',
            '--password-file',
            self.path('passwords.yml'),
            '-f',
            'json',
            parse_json=False,
            expect_fail=False,
        )
        self.assertNotIn(password, result)
        rows = json.loads(result)
        self.assertEqual(
            [
                (
                    self.copy(p + '-user1'),
                    'created',
                    'initial password from --password-file',
                ),
                (
                    self.copy(p + '-user2'),
                    'created',
                    'without a password (passwords are not migrated: see '
                    '--password-file)',
                ),
            ],
            sorted((r['Name'], r['Action'], r['Detail']) for r in rows),
        )
        rows = self.import_('role assignment', 'dst-admin')
        self.assertEqual(3, len([r for r in rows if r['Action'] == 'created']))
        rows = self.import_('group role assignment', 'dst-admin')
        self.assertEqual(
            [
                (
                    '%s-grp on %s: member' % (p, self.copy(p + '-proj3')),
                    'created',
                )
            ],
            self.actions(rows),
        )

        for name in os.listdir(self.data_dir):
            with open(self.path(name)) as f:
                text = f.read()
            if name != 'passwords.yml':
                self.assertNotIn(password, text, name)

        # The copies, field by field.
        c1 = ident.find_project(self.copy(p + '-proj1'), domain_id='default')
        c2 = ident.find_project(self.copy(p + '-proj2'), domain_id='default')
        c3 = ident.find_project(self.copy(p + '-proj3'), domain_id=domain.id)
        self.assertEqual(
            ('parent', ['blue', 'red'], True, 'default'),
            (c1.description, sorted(c1.tags), c1.is_enabled, c1.parent_id),
        )
        self.assertEqual(c1.id, c2.parent_id)
        self.assertEqual((False, domain.id), (c3.is_enabled, c3.domain_id))
        u1 = ident.find_user(self.copy(p + '-user1'), domain_id='default')
        u2 = ident.find_user(self.copy(p + '-user2'), domain_id=domain.id)
        self.assertEqual(
            ('u1@example.org', 'first', True, c1.id),
            (u1.email, u1.description, u1.is_enabled, u1.default_project_id),
        )
        self.assertFalse(u2.is_enabled)

        def assigned(**query):
            return sorted(
                (
                    (a.user or a.group)['id'],
                    a.scope['project']['id'],
                    a.role['id'],
                    bool(a.scope.get('OS-INHERIT:inherited_to')),
                )
                for a in ident.role_assignments(**query)
            )

        self.assertEqual(
            sorted(
                [
                    (u1.id, c1.id, roles['member'].id, False),
                    (u1.id, c2.id, roles['reader'].id, False),
                ]
            ),
            assigned(user_id=u1.id),
        )
        self.assertEqual(
            [(u2.id, c1.id, roles['reader'].id, True)],
            assigned(user_id=u2.id),
        )
        self.assertEqual(
            [(group.id, c3.id, roles['member'].id, False)],
            assigned(scope_project_id=c3.id),
        )

        # The password works: the new user gets a token.
        config = self.conn('src-admin').config.config['auth']
        user_conn = openstack.connection.Connection(
            auth_url=config['auth_url'],
            username=self.copy(p + '-user1'),
            password=password,
            project_id=c1.id,
            user_domain_id='default',
            region_name='RegionOne',
        )
        self.assertEqual(u1.id, user_conn.current_user_id)

        # A second import changes nothing.
        rows = self.migrate('import all', '--name-regex', p, cloud='dst-admin')
        self.assertEqual(
            {
                'project': (0, 0, 3, 0),
                'user': (0, 0, 2, 0),
                'role assignment': (0, 0, 3, 0),
                'group role assignment': (0, 0, 1, 0),
            },
            {
                r['Type']: (
                    r['Created'],
                    r['Updated'],
                    r['Unchanged'],
                    r['Failed'],
                )
                for r in rows
                if r['Type']
                in (
                    'project',
                    'user',
                    'role assignment',
                    'group role assignment',
                )
            },
        )


class TestQuotas(MigrateTestCase):
    WANTED = {
        'compute': {'cores': 37, 'instances': 13, 'ram': 12345},
        'network': {'networks': 7, 'ports': 77, 'routers': 3},
        'volume': {'volumes': 9, 'gigabytes': 99, 'snapshots': 4},
    }

    def quotas(self, conn, project_id):
        def limits(obj):
            return {
                k: v
                for k, v in obj.to_dict(computed=False).items()
                if isinstance(v, int)
                and not isinstance(v, bool)
                and k not in ('force', 'check_limit')
            }

        return {
            'compute': limits(conn.compute.get_quota_set(project_id)),
            'network': limits(conn.network.get_quota(project_id)),
            'volume': limits(conn.block_storage.get_quota_set(project_id)),
        }

    def test_quotas(self):
        admin1, admin2 = self.conn('src-admin'), self.conn('dst-admin')
        project = admin1.identity.create_project(
            name=self.prefix + '-qproj', domain_id='default'
        )
        self.ignore_missing(admin1.identity.delete_project, project.id)
        for conn in (admin1, admin2):
            self.ignore_missing(conn.compute.revert_quota_set, project.id)
            self.ignore_missing(conn.network.delete_quota, project.id)
            self.ignore_missing(
                conn.block_storage.revert_quota_set, project.id
            )
        admin1.compute.update_quota_set(project.id, **self.WANTED['compute'])
        admin1.network.update_quota(project.id, **self.WANTED['network'])
        admin1.block_storage.update_quota_set(
            project.id, **self.WANTED['volume']
        )
        src_quotas = self.quotas(admin1, project.id)
        for service, values in self.WANTED.items():
            for key, value in values.items():
                self.assertEqual(value, src_quotas[service][key])

        # The quotas of the projects of projects.yml.
        self.export('project', 'src-admin')
        self.export('quota', 'src-admin')
        [entry] = self.load('quotas.yml')['resources']
        self.assertEqual(
            {
                'name': self.prefix + '-qproj',
                'project_name': None,
                'domain_name': 'Default',
            },
            entry['params']['project_ref'],
        )
        self.assertEqual(src_quotas['compute'], entry['params']['compute'])
        self.assertEqual(src_quotas['network'], entry['params']['network'])
        self.assertEqual(src_quotas['volume'], entry['params']['volume'])

        before = self.quotas(admin2, project.id)
        self.assertNotEqual(src_quotas, before)
        [row] = self.import_('quota', 'dst-admin')
        self.assertEqual('updated', row['Action'])
        changed = sorted(
            '%s.%s' % (s, k)
            for s, values in src_quotas.items()
            for k, v in values.items()
            if before[s].get(k) != v
        )
        self.assertEqual(', '.join(changed), row['Detail'])
        self.assertEqual(src_quotas, self.quotas(admin2, project.id))

        [row] = self.import_('quota', 'dst-admin')
        self.assertEqual(('unchanged', ''), (row['Action'], row['Detail']))
