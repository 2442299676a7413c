# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Domains, roles (with implied roles) and groups (with members) against
the real Keystone.

The development cloud has ONE Keystone shared by both regions, so the
destination already holds what the source exports: importing the unedited
export (with the projects, users and role assignments of the older types)
must find everything unchanged, which proves that those files import as
before.  To prove creation, the tests rename the exported domains, roles,
users and groups in the data files (prefix ``copy-``, references
included), import them into the destination admin cloud and check the
copies field by field: a copy's domain, implied roles and members are the
copies, never the originals.

Every test works under a unique name prefix and deletes what it made.
"""

import json
import os

import fixtures
import yaml

from tests.functional import base

#: the types of this module, in the order ``import all`` takes them
TYPES = ('domain', 'role', 'user', 'group')
#: the older identity types, exported beside them
OLDER = ('project', 'role assignment', 'group role assignment')


class TestIdentityTypes(base.FunctionalTestCase):
    def setUp(self):
        super().setUp()
        self.prefix = self.unique_name('osmid')
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        self.admin = self.conn('src-admin')
        self.addCleanup(self.purge)

    # -- helpers ------------------------------------------------------------

    def migrate(self, *args, expect_fail=False):
        argv = ['migrate', *args, '--data-dir', self.data_dir, '-f', 'json']
        result = self.openstack(
            *argv, expect_fail=expect_fail, parse_json=False
        )
        return result if expect_fail else json.loads(result)

    def export(self, what):
        return self.migrate(
            'export',
            *what.split(),
            '--src-cloud',
            'src-admin',
            '--name-regex',
            '^' + self.prefix,
        )

    def import_(self, *what):
        return self.migrate(
            'import',
            *what,
            '--dst-cloud',
            'dst-admin',
            '--name-regex',
            self.prefix,
        )

    def summary(self, rows):
        return {
            r['Type']: (
                r['Created'],
                r['Updated'],
                r['Unchanged'],
                r['Failed'],
            )
            for r in rows
        }

    def path(self, file_name):
        return os.path.join(self.data_dir, file_name)

    def load(self, file_name):
        with open(self.path(file_name)) as f:
            return yaml.safe_load(f)

    def save(self, file_name, doc):
        with open(self.path(file_name), 'w') as f:
            yaml.safe_dump(doc, f)

    def copy(self, name):
        return 'copy-' + name

    def mine(self, name):
        return (name or '').startswith((self.prefix, self.copy(self.prefix)))

    def rename(self, file_name, *ref_keys):
        """Prefix with ``copy-`` the names of the file's resources and of
        the references ``ref_keys`` (and their domains) to the test's own
        resources."""
        doc = self.load(file_name)

        def renamed(ref):
            if self.mine(ref.get('name')):
                ref['name'] = self.copy(ref['name'])
            if self.mine(ref.get('domain_name')):
                ref['domain_name'] = self.copy(ref['domain_name'])

        for entry in doc['resources']:
            params = entry['params']
            params['name'] = self.copy(params['name'])
            for key in ref_keys:
                value = params.get(key)
                for ref in value if isinstance(value, list) else [value]:
                    if ref:
                        renamed(ref)
        self.save(file_name, doc)

    def purge(self):
        """Delete every user, group, project, role and domain of the test
        (originals and copies)."""
        ident = self.admin.identity
        for u in [u for u in ident.users() if self.mine(u.name)]:
            ident.delete_user(u, ignore_missing=True)
        for g in [g for g in ident.groups() if self.mine(g.name)]:
            ident.delete_group(g, ignore_missing=True)
        for p in [p for p in ident.projects() if self.mine(p.name)]:
            ident.delete_project(p, ignore_missing=True)
        for r in [r for r in ident.roles() if self.mine(r.name)]:
            ident.delete_role(r, ignore_missing=True)
        for d in [d for d in ident.domains() if self.mine(d.name)]:
            ident.update_domain(d, is_enabled=False)
            ident.delete_domain(d, ignore_missing=True)

    def implied(self, role):
        """Names of the roles that ``role`` implies, asked of Keystone."""
        response = self.admin.identity.get('/roles/%s/implies' % role.id)
        if response.status_code == 404:
            return []
        self.assertEqual(200, response.status_code, response.text)
        return sorted(
            r['name'] for r in response.json()['role_inference']['implies']
        )

    def imply(self, prior, implied):
        response = self.admin.identity.put(
            '/roles/%s/implies/%s' % (prior.id, implied.id)
        )
        self.assertEqual(201, response.status_code, response.text)

    def members(self, group):
        return sorted(
            (u.name, u.domain_id)
            for u in self.admin.identity.group_users(group)
        )

    # -- the test -----------------------------------------------------------

    def test_domains_roles_groups(self):
        ident = self.admin.identity
        p = self.prefix
        dom = ident.create_domain(name=p + '-dom', description='Department')
        ident.create_domain(
            name=p + '-off', description='Closed', is_enabled=False
        )
        obs = ident.create_role(name=p + '-obs')
        aud = ident.create_role(name=p + '-aud', description='Audits')
        reader = ident.find_role('reader')
        self.imply(aud, obs)
        self.imply(aud, reader)
        u1 = ident.create_user(name=p + '-u1', domain_id='default')
        u2 = ident.create_user(name=p + '-u2', domain_id=dom.id)
        grp = ident.create_group(
            name=p + '-grp', domain_id=dom.id, description='Ops'
        )
        ident.add_user_to_group(u1, grp)
        ident.add_user_to_group(u2, grp)
        proj = ident.create_project(name=p + '-proj', domain_id=dom.id)
        ident.assign_project_role_to_user(proj, u1, obs)
        ident.assign_project_role_to_group(proj, grp, aud)

        for what in TYPES + OLDER:
            self.export(what)

        # The files: by name, editable.
        domains = self.load('domains.yml')['resources']
        self.assertEqual(
            [
                {
                    'name': p + '-dom',
                    'description': 'Department',
                    'is_enabled': True,
                },
                {
                    'name': p + '-off',
                    'description': 'Closed',
                    'is_enabled': False,
                },
            ],
            [e['params'] for e in domains],
        )
        roles = self.load('roles.yml')['resources']
        # Implied roles first, so that an import in file order resolves.
        self.assertEqual(
            [
                {
                    'name': p + '-obs',
                    'description': None,
                    'implied_role_refs': [],
                },
                {
                    'name': p + '-aud',
                    'description': 'Audits',
                    'implied_role_refs': [
                        {
                            'name': p + '-obs',
                            'project_name': None,
                            'domain_name': None,
                        },
                        {
                            'name': 'reader',
                            'project_name': None,
                            'domain_name': None,
                        },
                    ],
                },
            ],
            [e['params'] for e in roles],
        )
        [group] = self.load('groups.yml')['resources']
        self.assertEqual(
            {
                'name': p + '-grp',
                'description': 'Ops',
                'domain_ref': {
                    'name': p + '-dom',
                    'project_name': None,
                    'domain_name': None,
                },
                'member_refs': [
                    {
                        'name': p + '-u1',
                        'project_name': None,
                        'domain_name': 'Default',
                    },
                    {
                        'name': p + '-u2',
                        'project_name': None,
                        'domain_name': p + '-dom',
                    },
                ],
            },
            group['params'],
        )
        self.assertEqual([], self.migrate('validate'))

        # The destination Keystone is the source one: every type, the older
        # ones included, is unchanged, and nothing is written.
        rows = self.import_('all')
        self.assertEqual(
            {
                'domain': (0, 0, 2, 0),
                'role': (0, 0, 2, 0),
                'project': (0, 0, 1, 0),
                'user': (0, 0, 2, 0),
                'group': (0, 0, 1, 0),
                'role assignment': (0, 0, 1, 0),
                'group role assignment': (0, 0, 1, 0),
            },
            {
                t: s
                for t, s in self.summary(rows).items()
                if t in TYPES + OLDER
            },
        )

        # Copies prove creation.
        self.rename('domains.yml')
        self.rename('roles.yml', 'implied_role_refs')
        self.rename('users.yml', 'domain_ref', 'default_project_ref')
        self.rename('groups.yml', 'domain_ref', 'member_refs')
        # (A plan's groups would be blocked here: the users it would create
        # have no domain yet in a dry run.)
        rows = self.migrate(
            'plan', *TYPES[:-1], '--dst-cloud', 'dst-admin', '--name-regex', p
        )
        self.assertEqual(
            sorted(
                [
                    (self.copy(p + '-dom'), 'create'),
                    (self.copy(p + '-off'), 'create'),
                    (self.copy(p + '-obs'), 'create'),
                    (self.copy(p + '-aud'), 'create'),
                    (self.copy(p + '-u1'), 'create'),
                    (self.copy(p + '-u2'), 'create'),
                ]
            ),
            sorted((r['Name'], r['Action']) for r in rows),
        )
        for what in TYPES:
            rows = self.import_(what)
            self.assertEqual(
                ['created'] * len(rows), [r['Action'] for r in rows], what
            )
        # validate finds the references that the renaming broke: the older
        # files still name the original domain and roles.
        result = self.migrate('validate', expect_fail=True)
        self.assertEqual(
            [
                ('params.role_ref', "role '%s-aud'" % p),
                ('params.domain_ref', "domain '%s-dom'" % p),
                ('params.role_ref', "role '%s-obs'" % p),
            ],
            [
                (r['Field'], r['Problem'].split(' is not')[0])
                for r in json.loads(result.stdout)
            ],
        )

        # The copies, field by field.
        c_dom = ident.find_domain(self.copy(p + '-dom'))
        c_off = ident.find_domain(self.copy(p + '-off'))
        self.assertEqual(
            [('Department', True), ('Closed', False)],
            [(d.description, d.is_enabled) for d in (c_dom, c_off)],
        )
        c_aud = ident.find_role(self.copy(p + '-aud'))
        c_obs = ident.find_role(self.copy(p + '-obs'))
        self.assertEqual('Audits', c_aud.description)
        self.assertEqual(
            sorted([self.copy(p + '-obs'), 'reader']), self.implied(c_aud)
        )
        self.assertEqual([], self.implied(c_obs))
        c_grp = ident.find_group(self.copy(p + '-grp'), domain_id=c_dom.id)
        self.assertEqual(
            ('Ops', c_dom.id), (c_grp.description, c_grp.domain_id)
        )
        self.assertEqual(
            [
                (self.copy(p + '-u1'), 'default'),
                (self.copy(p + '-u2'), c_dom.id),
            ],
            self.members(c_grp),
        )
        # The originals are untouched.
        self.assertEqual(
            [(p + '-u1', 'default'), (p + '-u2', dom.id)], self.members(grp)
        )
        self.assertEqual(sorted([p + '-obs', 'reader']), self.implied(aud))

        # A second import changes nothing.
        rows = self.import_('all')
        self.assertEqual(
            {
                'domain': (0, 0, 2, 0),
                'role': (0, 0, 2, 0),
                'user': (0, 0, 2, 0),
                'group': (0, 0, 1, 0),
            },
            {t: s for t, s in self.summary(rows).items() if t in TYPES},
        )

        # Drift in the destination: a member gone, an implied role gone and
        # one too many.  Plan shows it, import puts the file's back.
        c_u2 = ident.find_user(self.copy(p + '-u2'), domain_id=c_dom.id)
        ident.remove_user_from_group(c_u2, c_grp)
        self.admin.identity.delete(
            '/roles/%s/implies/%s' % (c_aud.id, c_obs.id)
        )
        self.imply(c_obs, reader)
        rows = self.migrate(
            'plan',
            'role',
            'group',
            '--dst-cloud',
            'dst-admin',
            '--name-regex',
            p,
        )
        self.assertEqual(
            sorted(
                [
                    (self.copy(p + '-obs'), 'update', 'implied_role_refs'),
                    (self.copy(p + '-aud'), 'update', 'implied_role_refs'),
                    (self.copy(p + '-grp'), 'update', 'member_refs'),
                ]
            ),
            sorted((r['Name'], r['Action'], r['Detail']) for r in rows),
        )
        rows = self.import_('role')
        self.assertEqual(['updated', 'updated'], [r['Action'] for r in rows])
        rows = self.import_('group')
        self.assertEqual(['updated'], [r['Action'] for r in rows])
        self.assertEqual(
            sorted([self.copy(p + '-obs'), 'reader']), self.implied(c_aud)
        )
        self.assertEqual([], self.implied(c_obs))
        self.assertEqual(
            [
                (self.copy(p + '-u1'), 'default'),
                (self.copy(p + '-u2'), c_dom.id),
            ],
            self.members(c_grp),
        )
