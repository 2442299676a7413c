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

from unittest import mock

from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient.transfer.swift import versions

MARKER = versions.DELETE_MARKER_TYPE


def item(name, vid, data=b'x', ctype='text/plain'):
    """A ``?versions`` listing item (``data`` None: a delete marker)."""
    if data is None:
        return {
            'name': name,
            'version_id': vid,
            'hash': 'd41d8cd98f00b204e9800998ecf8427e',
            'bytes': 0,
            'content_type': MARKER,
            'last_modified': 't%s' % vid,
        }
    return {
        'name': name,
        'version_id': vid,
        'hash': 'h-%s' % data.decode(),
        'bytes': len(data),
        'content_type': ctype,
        'last_modified': 't%s' % vid,
    }


def version(data=b'x', ctype='text/plain', **more):
    return dict(
        {'hash': 'h-%s' % data.decode(), 'bytes': len(data)},
        content_type=ctype,
        **more,
    )


def response(status=200, body=None, headers=None):
    r = mock.Mock(status_code=status, headers=headers or {})
    r.json.return_value = body
    return r


class TestListVersions(base.BaseTestCase):
    def test_pages_and_oldest_first(self):
        pages = [
            [item('a', '2.00000'), item('a', '1.00000')],
            [item('b', '3.00000', None)],
        ]
        conn = mock.Mock()
        conn.object_store.get.side_effect = [response(body=p) for p in pages]
        self.patch(versions.records, 'LIST_PAGE', 2)
        found = versions.list_versions(conn, 'c')
        self.assertEqual(
            {'a': ['1.00000', '2.00000'], 'b': ['3.00000']},
            {k: [i['version_id'] for i in v] for k, v in found.items()},
        )
        second = conn.object_store.get.call_args_list[1]
        self.assertEqual(
            ('a', '1.00000'),
            (
                second[1]['params']['marker'],
                second[1]['params']['version_marker'],
            ),
        )
        self.assertIn('versions', second[1]['params'])

    def test_a_swift_without_versions_lists_null_versions(self):
        plain = item('a', '1')
        del plain['version_id']
        conn = mock.Mock()
        conn.object_store.get.return_value = response(body=[plain])
        found = versions.list_versions(conn, 'c')
        self.assertEqual(['null'], [i['version_id'] for i in found['a']])


class TestAddHistories(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.conn = mock.Mock()
        listing = [
            item('doc', '3.00000', b'three'),
            item('doc', '2.00000', b'two'),
            item('doc', '1.00000', b'one'),
            item('gone', '5.00000', None),
            item('gone', '4.00000', b'g'),
            item('plain', '6.00000', b'p'),
        ]
        self.conn.object_store.get.return_value = response(body=listing)
        self.conn.object_store.head.return_value = response(
            headers={'X-Object-Meta-N': '1', 'X-Delete-At': '99'}
        )
        self.current = [
            {'name': 'doc', 'hash': 'h-three', 'bytes': 5},
            {'name': 'plain', 'hash': 'h-p', 'bytes': 1},
        ]

    def test_versions_and_markers(self):
        out = versions.add_histories(self.conn, 'c', self.current, {})
        self.assertEqual(['doc', 'gone', 'plain'], [r['name'] for r in out])
        doc, gone, plain = out
        self.assertEqual(
            [
                {
                    'version_id': '1.00000',
                    'hash': 'h-one',
                    'bytes': 3,
                    'content_type': 'text/plain',
                    'last_modified': 't1.00000',
                    'metadata': {'n': '1'},
                },
                {
                    'version_id': '2.00000',
                    'hash': 'h-two',
                    'bytes': 3,
                    'content_type': 'text/plain',
                    'last_modified': 't2.00000',
                    'metadata': {'n': '1'},
                },
            ],
            doc['versions'],
        )
        self.assertEqual(
            {
                'name': 'gone',
                'version_id': '5.00000',
                'delete_marker': True,
                'last_modified': 't5.00000',
            },
            {k: v for k, v in gone.items() if k != 'versions'},
        )
        self.assertEqual(
            ['4.00000'], [v['version_id'] for v in gone['versions']]
        )
        self.assertNotIn('versions', plain)
        # One HEAD per older version, with its version id.
        self.assertEqual(
            ['1.00000', '2.00000', '4.00000'],
            sorted(
                c[1]['params']['version-id']
                for c in self.conn.object_store.head.call_args_list
            ),
        )

    def test_known_versions_are_not_read_again(self):
        first = versions.add_histories(self.conn, 'c', self.current, {})
        self.conn.object_store.head.reset_mock()
        known = {r['name']: r for r in first}
        again = versions.add_histories(self.conn, 'c', self.current, known)
        self.assertEqual(first, again)
        self.conn.object_store.head.assert_not_called()

    def test_versions_of_a_reused_record_are_dropped(self):
        self.conn.object_store.get.return_value = response(
            body=[item('doc', '3.00000', b'three')]
        )
        stale = dict(self.current[0], versions=[version(version_id='1.00000')])
        out = versions.add_histories(self.conn, 'c', [stale], {})
        self.assertEqual([self.current[0]], out)


class TestPlan(base.BaseTestCase):
    def rec(self, *older, marker=False, **current):
        out = {'name': 'o', 'versions': list(older)}
        if marker:
            out.update(delete_marker=True)
        else:
            out.update(version(b'cur'), **current)
        return out

    def test_same_prefix_and_conflict(self):
        one = version(b'one', version_id='1.00000')
        two = version(b'two', version_id='2.00000')
        rec = self.rec(one, two)
        full = [
            item('o', '1', b'one'),
            item('o', '2', b'two'),
            item('o', '3', b'cur'),
        ]
        plan = versions.plan([rec], {'o': full})
        self.assertEqual(([], [rec], [], []), plan)
        self.assertEqual([rec], plan.classic())
        plan = versions.plan([rec], {'o': full[:1]})
        [(got, todo)] = plan.append
        self.assertEqual(
            ['2.00000', None], [v.get('version_id') for v in todo]
        )
        self.assertEqual([], plan.classic())
        self.assertEqual(2, plan.count())
        plan = versions.plan([rec], {})
        self.assertEqual(3, plan.count())
        other = [item('o', '1', b'one'), item('o', '2', b'TWO')]
        plan = versions.plan([rec], {'o': other})
        self.assertEqual(
            [
                (
                    rec,
                    'the destination holds 2 version(s), the file 3, and '
                    'they differ',
                )
            ],
            plan.conflicts,
        )
        self.assertEqual([], plan.classic())
        longer = full + [item('o', '4', b'more')]
        plan = versions.plan([rec], {'o': longer})
        self.assertEqual(
            'the destination holds 4 version(s), the file 3',
            plan.conflicts[0][1],
        )

    def test_content_type_counts(self):
        rec = self.rec(version(b'one', 'a/b', version_id='1.00000'))
        have = [item('o', '1', b'one', 'a/c'), item('o', '2', b'cur')]
        self.assertEqual(1, len(versions.plan([rec], {'o': have}).conflicts))

    def test_delete_markers(self):
        rec = self.rec(version(b'one', version_id='1.00000'), marker=True)
        plan = versions.plan([rec], {'o': [item('o', '1', b'one')]})
        [(_, todo)] = plan.append
        self.assertEqual([True], [v.get('delete_marker') for v in todo])
        done = [item('o', '1', b'one'), item('o', '2', None)]
        plan = versions.plan([rec], {'o': done})
        self.assertEqual([rec], plan.same)
        # A marker is not a current version to check.
        self.assertEqual([], plan.classic())
        plan = versions.plan([rec], {'o': [item('o', '1', None)]})
        self.assertEqual(1, len(plan.conflicts))

    def test_expired_current_is_not_sent(self):
        rec = self.rec(version(b'one', version_id='1.00000'), delete_at=10)
        plan = versions.plan([rec], {}, now=20)
        [(_, todo)] = plan.append
        self.assertEqual(['1.00000'], [v['version_id'] for v in todo])
        plan = versions.plan([rec], {'o': [item('o', '1', b'one')]}, now=20)
        self.assertEqual([rec], plan.same)

    def test_large_versions_are_not_carried(self):
        rec = self.rec(version(b'one', version_id='1.00000', manifest='s/p'))
        plan = versions.plan([rec], {})
        self.assertEqual(([], [], [], [rec]), plan)
        self.assertEqual([rec], plan.classic())

    def test_without_object_versioning_current_only(self):
        rec = self.rec(version(b'one', version_id='1.00000'))
        gone = self.rec(version(b'one', version_id='1.00000'), marker=True)
        plan = versions.plan([rec, gone], {}, enabled=False)
        self.assertEqual(([], [], [], [rec, gone]), plan)
        self.assertEqual([rec], plan.classic())

    def test_split(self):
        plain = {'name': 'a'}
        rec = self.rec(version())
        gone = {'name': 'g', 'delete_marker': True}
        self.assertEqual(
            ([plain], [rec, gone]), versions.split([plain, rec, gone])
        )


class TestWrite(base.BaseTestCase):
    def test_in_order_markers_and_failures(self):
        dst = mock.Mock()
        dst.object_store.delete.return_value = response(404)
        put = []

        def fake_put(v):
            if v['name'] == 'bad':
                raise exceptions.MigrateError('refused')
            put.append((v['name'], v['hash']))
            return v['bytes']

        ok = {
            'name': 'o',
            'versions': [version(b'one', version_id='1.00000')],
            'delete_marker': True,
        }
        bad = dict(version(b'b'), name='bad')
        plan = versions.Plan(
            [(ok, versions.sequence(ok)), (bad, [bad])], [], [], []
        )
        made, sent, failures, done = versions.write(
            dst, 'c', plan, 1, fake_put
        )
        self.assertEqual({'o'}, done)
        self.assertEqual([('o', 'h-one')], put)
        dst.object_store.delete.assert_called_once_with('/c/o')
        self.assertEqual(
            (2, 3, ["versions of 'bad': refused"]), (made, sent, failures)
        )
