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

import types

from openstack import exceptions as sdk_exceptions
from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient.resources import _swift_acl as swift_acl
from osmigrateclient.resources import refs
from tests.unit import fakes

P1, P2 = 'a' * 32, 'b' * 32
U1, U2 = 'c' * 32, 'd' * 32


def ref(name, domain='Default'):
    return refs.make_ref(name, None, domain)


class TestParsing(base.BaseTestCase):
    def test_entries(self):
        self.assertEqual(
            ['.r:*', '.rlistings', 'p:u', 'admin'],
            swift_acl.entries(' .r:*, .rlistings,p:u,,admin '),
        )
        self.assertEqual([], swift_acl.entries(None))

    def test_split(self):
        self.assertEqual(('p', '*'), swift_acl.split('p:*'))
        self.assertEqual(('*', 'u:x'), swift_acl.split('*:u:x'))
        self.assertIsNone(swift_acl.split('.r:*'))
        self.assertIsNone(swift_acl.split('.rlistings'))
        self.assertIsNone(swift_acl.split('admin'))

    def test_good_refs(self):
        self.assertIsNone(
            swift_acl.problem(
                'p:u,.r:*,*:v',
                [
                    {'entry': 'p:u', 'project': ref('x'), 'user': ref('y')},
                    {'entry': '*:v', 'user': ref('z')},
                ],
            )
        )
        self.assertIsNone(swift_acl.problem(None, None))

    def test_wrong_values(self):
        for acl, refs_, expected in (
            ('p:u', [{'project': ref('x')}], ('[0].entry', 'missing')),
            (
                'p:u',
                [{'entry': 'q:u', 'project': ref('x')}],
                ('[0].entry', "not an entry of the ACL: 'q:u'"),
            ),
            (
                None,
                [{'entry': 'q:u', 'project': ref('x')}],
                ('[0].entry', "not an entry of the ACL: 'q:u'"),
            ),
            (
                'p:u',
                [
                    {'entry': 'p:u', 'project': ref('x')},
                    {'entry': 'p:u', 'user': ref('y')},
                ],
                ('[1].entry', "a second time: 'p:u'"),
            ),
            (
                '.r:*',
                [{'entry': '.r:*', 'project': ref('x')}],
                (
                    '[0].entry',
                    'names no project nor user (a referrer entry or a '
                    "role): '.r:*'",
                ),
            ),
            (
                'p:u',
                [{'entry': 'p:u'}],
                ('[0]', 'names neither a project nor a user'),
            ),
            (
                '*:u',
                [{'entry': '*:u', 'project': ref('x')}],
                ('[0].project', "the entry has * there: '*:u'"),
            ),
            (
                'p:u',
                [{'entry': 'p:u', 'user': {'domain_name': 'Default'}}],
                ('[0].user.name', 'missing'),
            ),
        ):
            self.assertEqual(expected, swift_acl.problem(acl, refs_))

    def test_rewritten(self):
        def ids(r):
            return [
                {'x': P2}.get((r.get('project') or {}).get('name')),
                {'y': U2}.get((r.get('user') or {}).get('name')),
            ]

        acl = '%s:%s,.r:*,%s:*,*:%s,name:*,%s:%s' % (P1, U1, P1, U1, P1, U2)
        self.assertEqual(
            (
                '%s:%s,.r:*,%s:*,*:%s,name:*,%s:%s' % (P2, U2, P2, U2, P1, U2),
                ['%s:%s' % (P1, U2)],
            ),
            swift_acl.rewritten(
                acl,
                [
                    {
                        'entry': '%s:%s' % (P1, U1),
                        'project': ref('x'),
                        'user': ref('y'),
                    },
                    {'entry': '%s:*' % P1, 'project': ref('x')},
                    {'entry': '*:%s' % U1, 'user': ref('y')},
                    # a user the ids cannot tell: kept whole
                    {
                        'entry': '%s:%s' % (P1, U2),
                        'project': ref('x'),
                        'user': ref('unknown'),
                    },
                ],
                ids,
            ),
        )


class Base(base.BaseTestCase):
    def cloud(self, own=None, forbidden=False):
        conn = fakes.FakeConnection()
        conn.add('domain', id='d1', name='Default')
        conn.add('domain', id='d2', name='Other')
        conn.add('project', id=P1, name='p1', domain_id='d1')
        conn.add('project', id=P2, name='p1', domain_id='d2')
        conn.add('user', id=U1, name='alice', domain_id='d1')
        conn.add('user', id=U2, name='bob', domain_id='d2')
        if own is not None:
            access = types.SimpleNamespace(
                project_id=own[0],
                project_name=own[1],
                project_domain_name='Default',
                user_id=own[2],
                username=own[3],
                user_domain_name='Default',
            )
            conn.session.auth.get_access = lambda session: access
        if forbidden:
            for kind in ('projects', 'users', 'domains'):
                conn.fail(
                    'identity.' + kind,
                    sdk_exceptions.ForbiddenException('forbidden'),
                )
        return conn, refs.Lookup(conn)


class TestExport(Base):
    def test_by_name(self):
        conn, lookup = self.cloud()
        acl = '%s:%s,.r:*,.rlistings,%s:*,*:%s,p1:*,admin' % (P1, U1, P2, U2)
        self.assertEqual(
            [
                {
                    'entry': '%s:%s' % (P1, U1),
                    'project': ref('p1'),
                    'user': ref('alice'),
                },
                {'entry': '%s:*' % P2, 'project': ref('p1', 'Other')},
                {'entry': '*:%s' % U2, 'user': ref('bob', 'Other')},
            ],
            swift_acl.export_refs(lookup, 'c1', 'read_acl', acl),
        )
        # One list per kind.
        self.assertEqual(1, conn.call_names().count('identity.projects'))

    def test_unknown_id_is_kept_with_a_warning(self):
        _, lookup = self.cloud()
        with self.assertLogs(swift_acl.LOG, 'WARNING') as logged:
            found = swift_acl.export_refs(
                lookup, 'c1', 'write_acl', '%s:*' % ('e' * 32)
            )
        self.assertEqual([], found)
        self.assertEqual(
            [
                "container 'c1': write_acl entry '%s:*' kept as it is: the "
                'caller cannot look up the project or user it names (export '
                'as an admin to write it by name)' % ('e' * 32)
            ],
            [r.getMessage() for r in logged.records],
        )

    def test_not_admin(self):
        conn, lookup = self.cloud(own=(P1, 'p1', U1, 'alice'), forbidden=True)
        with self.assertLogs(swift_acl.LOG, 'WARNING') as logged:
            found = swift_acl.export_refs(
                lookup,
                'c1',
                'read_acl',
                '%s:%s,%s:*,name:*,*:%s' % (P1, U1, P2, U2),
            )
        # Its own project and user from its token; the others kept.
        self.assertEqual(
            [
                {
                    'entry': '%s:%s' % (P1, U1),
                    'project': ref('p1'),
                    'user': ref('alice'),
                }
            ],
            found,
        )
        self.assertEqual(
            ["'%s:*'" % P2, "'*:%s'" % U2],
            [r.getMessage().split()[4] for r in logged.records],
        )
        # A refused list is asked once per run.
        self.assertEqual(1, conn.call_names().count('identity.projects'))


class TestImport(Base):
    def params(self, acl, *acl_refs):
        return {'read_acl': acl, 'read_acl_refs': list(acl_refs)}

    def test_resolved(self):
        _, lookup = self.cloud()
        params = self.params(
            'x:y,.r:*,z:*',
            {
                'entry': 'x:y',
                'project': ref('p1', 'Other'),
                'user': ref('alice'),
            },
            {'entry': 'z:*', 'project': ref('p1')},
        )
        self.assertEqual(
            '%s:%s,.r:*,%s:*' % (P2, U1, P1),
            swift_acl.import_acl(lookup, 'c1', 'read_acl', params),
        )

    def test_missing(self):
        _, lookup = self.cloud()
        params = self.params(
            'x:y,z:w',
            {'entry': 'x:y', 'project': ref('p1')},
            {'entry': 'z:w', 'user': ref('carol', 'Other')},
        )
        e = self.assertRaises(
            exceptions.UnresolvedReference,
            swift_acl.import_acl,
            lookup,
            'c1',
            'read_acl',
            params,
        )
        self.assertEqual(
            "field params.read_acl_refs[1].user: user 'carol' (domain "
            "'Other') not found in the destination (entry 'z:w')",
            str(e),
        )

    def test_wrong_refs(self):
        _, lookup = self.cloud()
        e = self.assertRaises(
            exceptions.DataFileError,
            swift_acl.import_acl,
            lookup,
            'c1',
            'read_acl',
            self.params('x:y', {'entry': 'x:z', 'project': ref('p1')}),
        )
        self.assertEqual(
            "field params.read_acl_refs[0].entry: not an entry of the ACL: "
            "'x:z'",
            str(e),
        )

    def test_not_admin(self):
        _, lookup = self.cloud(own=(P2, 'mine', U2, 'me'), forbidden=True)
        params = self.params(
            'x:y,z:*',
            {'entry': 'x:y', 'project': ref('mine'), 'user': ref('me')},
            {'entry': 'z:*', 'project': ref('p1')},
        )
        with self.assertLogs(swift_acl.LOG, 'WARNING') as logged:
            acl = swift_acl.import_acl(lookup, 'c1', 'read_acl', params)
        self.assertEqual('%s:%s,z:*' % (P2, U2), acl)
        self.assertEqual(
            [
                "container 'c1': read_acl entry 'z:*' written as the source "
                'has it: the caller cannot look up the names of '
                'params.read_acl_refs in the destination'
            ],
            [r.getMessage() for r in logged.records],
        )

    def test_without_refs(self):
        _, lookup = self.cloud()
        self.assertEqual(
            'p:u',
            swift_acl.import_acl(
                lookup, 'c1', 'write_acl', {'write_acl': 'p:u'}
            ),
        )
