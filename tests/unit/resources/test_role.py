#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at
#
#        http://www.apache.org/licenses/LICENSE-2.0
#
#   Unless required by applicable law or agreed to in writing, software
#   distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#   WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#   License for the specific language governing permissions and limitations
#   under the License.

"""Roles: custom ones only, with their implied roles, set exactly."""

import fixtures
from oslotest import base

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient import resources
from osmigrateclient import validation
from osmigrateclient.resources import refs
from osmigrateclient.resources import role
from tests.unit import fakes


class Response:
    """What the identity endpoint answers (a requests.Response's part)."""

    def __init__(self, status_code, body=None):
        self.status_code = status_code
        self.headers = {}
        self._body = body

    def json(self):
        return self._body


def cloud():
    """A cloud with Keystone's built-in roles (admin implies member
    implies reader) that answers the implied-role calls."""
    conn = fakes.FakeConnection(project_id='p-admin', roles=['admin'])
    for name in ('admin', 'member', 'reader', 'service', 'manager'):
        conn.add(
            'role', id='r-' + name, name=name, options={'immutable': True}
        )
    conn.implies = {'r-admin': {'r-member'}, 'r-member': {'r-reader'}}

    def get(path):
        assert path == '/role_inferences', path
        return Response(
            200,
            {
                'role_inferences': [
                    {
                        'prior_role': {'id': prior},
                        'implies': [{'id': i} for i in sorted(implied)],
                    }
                    for prior, implied in conn.implies.items()
                    if implied
                ]
            },
        )

    def implied(path):
        _, _, prior, _, implied = path.split('/')
        return prior, implied

    def put(path):
        prior, implied_id = implied(path)
        conn.implies.setdefault(prior, set()).add(implied_id)
        return Response(201)

    def delete(path):
        prior, implied_id = implied(path)
        conn.implies[prior].discard(implied_id)
        return Response(204)

    conn._api_get = get
    conn._api_put = put
    conn._api_delete = delete
    return conn


class TestRole(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.src = cloud()
        self.dst = cloud()
        self.res = role.RESOURCE()
        # 'auditor' implies 'observer' (custom) and 'reader' (built in).
        self.src.add('role', id='r-aud', name='auditor', description='Audits')
        self.src.add('role', id='r-obs', name='observer')
        self.src.add('role', id='r-dom', name='local', domain_id='d1')
        self.src.implies['r-aud'] = {'r-obs', 'r-reader'}

    def export(self):
        return self.res.export(refs.Lookup(self.src), lambda name: True)

    def test_export_custom_roles_implied_first(self):
        entries = self.export()
        self.assertEqual(
            ['observer', 'auditor'], [e['params']['name'] for e in entries]
        )
        self.assertEqual(
            {
                'description': 'Audits',
                'name': 'auditor',
                'implied_role_refs': [
                    refs.make_ref('observer'),
                    refs.make_ref('reader'),
                ],
            },
            entries[1]['params'],
        )
        self.assertEqual(
            {
                'domain_id': None,
                'id': 'r-aud',
                'implied_role_ids': ['r-obs', 'r-reader'],
            },
            entries[1]['_info'],
        )
        self.assertEqual([], entries[0]['params']['implied_role_refs'])
        # One listing of the inferences, whatever the number of roles.
        self.assertEqual(1, len(self.src.calls_to('identity.get')))

    def test_built_in(self):
        for name in ('admin', 'member', 'reader', 'service', 'manager'):
            self.assertTrue(role.is_built_in(name))
        self.assertTrue(role.is_built_in('_member_'))
        self.assertFalse(role.is_built_in('auditor'))

    def test_create_then_unchanged(self):
        lookup = refs.Lookup(self.dst)
        outcomes = [self.res.apply(lookup, e) for e in self.export()]
        self.assertEqual(
            [('observer', 'created'), ('auditor', 'created')],
            [(o.name, o.action) for o in outcomes],
        )
        created = self.dst.calls_to('identity.create_role')
        self.assertEqual(
            [
                {'name': 'observer'},
                {'name': 'auditor', 'description': 'Audits'},
            ],
            [kwargs for _, kwargs in created],
        )
        aud = [r for r in self.dst.store['role'] if r.name == 'auditor'][0]
        obs = [r for r in self.dst.store['role'] if r.name == 'observer'][0]
        self.assertEqual({obs.id, 'r-reader'}, self.dst.implies[aud.id])
        self.dst.calls.clear()
        lookup = refs.Lookup(self.dst)
        again = [self.res.apply(lookup, e) for e in self.export()]
        self.assertEqual(['unchanged'] * 2, [o.action for o in again])
        self.assertEqual(
            ['identity.roles', 'identity.get'], self.dst.call_names()
        )

    def test_implied_roles_set_exactly(self):
        lookup = refs.Lookup(self.dst)
        for e in self.export():
            self.res.apply(lookup, e)
        aud = [r for r in self.dst.store['role'] if r.name == 'auditor'][0]
        # Drift in the destination: one more, one less.
        self.dst.implies[aud.id] = {'r-reader', 'r-service'}
        self.dst.calls.clear()
        entry = self.export()[1]
        outcome = self.res.apply(refs.Lookup(self.dst), entry)
        self.assertEqual(('updated', 'implied_role_refs'), outcome[2:])
        obs = [r for r in self.dst.store['role'] if r.name == 'observer'][0]
        self.assertEqual({obs.id, 'r-reader'}, self.dst.implies[aud.id])
        self.assertEqual(
            [
                (('/roles/%s/implies/%s' % (aud.id, obs.id),), {}),
            ],
            self.dst.calls_to('identity.put'),
        )
        self.assertEqual(
            [
                (('/roles/%s/implies/r-service' % aud.id,), {}),
            ],
            self.dst.calls_to('identity.delete'),
        )
        self.assertEqual([], self.dst.calls_to('identity.update_role'))

    def test_hand_written_refs_compare_by_name(self):
        lookup = refs.Lookup(self.dst)
        for e in self.export():
            self.res.apply(lookup, e)
        entry = self.export()[1]
        entry['params']['implied_role_refs'] = [
            {'name': 'reader'},
            {'name': 'observer'},
        ]
        outcome = self.res.apply(refs.Lookup(self.dst), entry)
        self.assertEqual('unchanged', outcome.action)

    def test_unknown_implied_role_blocks(self):
        entry = self.export()[1]
        entry['params']['implied_role_refs'] = [refs.make_ref('nowhere')]
        decision = self.res.decide(refs.Lookup(self.dst), entry)
        self.assertEqual(
            ('blocked', "implied_role_refs: role 'nowhere' not found"),
            decision[:2],
        )
        self.assertEqual([], self.dst.write_calls())

    def test_description_update(self):
        lookup = refs.Lookup(self.dst)
        for e in self.export():
            self.res.apply(lookup, e)
        entry = self.export()[1]
        entry['params']['description'] = 'Reads everything'
        self.dst.calls.clear()
        outcome = self.res.apply(refs.Lookup(self.dst), entry)
        self.assertEqual(('updated', 'description'), outcome[2:])
        [(_, kwargs)] = self.dst.calls_to('identity.update_role')
        self.assertEqual({'description': 'Reads everything'}, kwargs)
        self.assertEqual([], self.dst.calls_to('identity.put'))

    def test_order(self):
        names = [r.cli_name for r in resources.in_order()]
        for later in ('role assignment', 'group role assignment'):
            self.assertLess(names.index('role'), names.index(later))
        self.assertTrue(self.res.admin_only)

    def test_shape(self):
        entry = self.export()[1]
        entry['params']['implied_role_refs'] = ['reader']
        e = self.assertRaises(
            exceptions.DataFileError, self.res.check, entry, 'roles.yml', 0
        )
        self.assertEqual('params.implied_role_refs[0]', e.field)
        self.assertEqual('must be a mapping, not a string', e.problem)


class TestValidateRoles(base.BaseTestCase):
    def test_built_in_roles_need_not_be_in_the_data_dir(self):
        data_dir = self.useFixture(fixtures.TempDir()).path

        def ref_entry(role_name):
            return {
                'type': 'openstack.identity.UserProjectRoleAssignment',
                'params': {
                    'user_ref': refs.make_ref('u', None, 'Default'),
                    'project_ref': refs.make_ref('p', None, 'Default'),
                    'role_ref': refs.make_ref(role_name),
                },
                '_info': {},
            }

        datafile.write(
            data_dir + '/user_project_role_assignments.yml',
            [ref_entry('member'), ref_entry('auditor'), ref_entry('gone')],
        )
        # Without roles.yml, roles are the destination's business.
        self.assertEqual([], validation.validate(data_dir)[0])
        datafile.write(
            data_dir + '/roles.yml',
            [
                {
                    'type': 'openstack.identity.Role',
                    'params': {'name': 'auditor', 'implied_role_refs': []},
                    '_info': {'id': 'r-aud'},
                }
            ],
        )
        problems = validation.validate(data_dir)[0]
        self.assertEqual(
            [("params.role_ref", "role 'gone' is not in the data directory")],
            [(p.field, p.problem) for p in problems],
        )
