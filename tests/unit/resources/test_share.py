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

"""Manila shares, share networks and share types: entries, creates and
diffs against fake clouds."""

import types

import fixtures
from oslotest import base

from osmigrateclient.resources import refs
from osmigrateclient.resources import share
from osmigrateclient.resources import share_network
from osmigrateclient.resources import share_type
from tests.unit import fakes


def rule(access_to, level='rw', id_=None, state='active'):
    return types.SimpleNamespace(
        id=id_ or 'r-' + access_to,
        access_type='ip',
        access_to=access_to,
        access_level=level,
        state=state,
    )


class TestRules(base.BaseTestCase):
    def test_rules_of_keeps_three_keys_in_stable_order(self):
        self.assertEqual(
            [
                {'access_type': 'ip', 'access_to': 'b', 'access_level': 'ro'},
                {'access_type': 'ip', 'access_to': 'a', 'access_level': 'rw'},
            ],
            share.rules_of(
                [
                    {
                        'access_type': 'ip',
                        'access_to': 'a',
                        'access_level': 'rw',
                        'state': 'active',
                    },
                    {
                        'access_type': 'ip',
                        'access_to': 'b',
                        'access_level': 'ro',
                    },
                ]
            ),
        )

    def test_rule_changes(self):
        have = [rule('a'), rule('b'), rule('c', 'ro')]
        want = [
            {'access_type': 'ip', 'access_to': 'a', 'access_level': 'rw'},
            {'access_type': 'ip', 'access_to': 'c', 'access_level': 'rw'},
            {'access_type': 'ip', 'access_to': 'd', 'access_level': 'ro'},
        ]
        add, remove = share.rule_changes(have, want)
        # c changes level: removed, then added again
        self.assertEqual(
            [
                {'access_type': 'ip', 'access_to': 'd', 'access_level': 'ro'},
                {'access_type': 'ip', 'access_to': 'c', 'access_level': 'rw'},
            ],
            add,
        )
        self.assertEqual(['r-b', 'r-c'], [r.id for r in remove])
        self.assertEqual(([], []), share.rule_changes(have[:1], want[:1]))


class TestShare(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.res = share.RESOURCE()
        self.src = fakes.FakeConnection(project_id='p-src')
        self.dst = fakes.FakeConnection(project_id='p-dst')
        for conn in (self.src, self.dst):
            conn.rules = {}
            conn.add(
                'share_type', id='t-' + conn.current_project_id, name='gold'
            )
            conn._api_access_rules = self._rules(conn)
            conn._api_export_locations = lambda share_id: [
                types.SimpleNamespace(path='10.0.0.10:/x/%s' % share_id)
            ]
        self.src.rules['s1'] = [rule('10.0.0.0/24'), rule('10.9.9.9', 'ro')]
        self.dst._api_create_share = lambda **attrs: self.dst.add(
            'share', status='available', **attrs
        )
        self.dst._api_create_access_rule = lambda share_id, **r: None

    def _rules(self, conn):
        def call(share_id):
            return list(conn.rules.get(share_id, []))

        return call

    def entry(self, **attrs):
        values = dict(
            id='s1',
            name='sh',
            description='d',
            size=1,
            share_protocol='NFS',
            share_type='t-p-src',
            availability_zone='nova',
            is_public=False,
            metadata={'a': '1'},
            status='available',
        )
        values.update(attrs)
        self.src.add('share', **values)
        [entry] = self.res.export(refs.Lookup(self.src), lambda name: True)
        return entry

    def test_export(self):
        e = self.entry()
        self.assertEqual(
            {
                'name': 'sh',
                'description': 'd',
                'size': 1,
                'share_protocol': 'NFS',
                'share_type_ref': refs.make_ref('gold'),
                'share_network_ref': None,
                'availability_zone': 'nova',
                'is_public': False,
                'metadata': {'a': '1'},
                'access_rules': [
                    {
                        'access_type': 'ip',
                        'access_to': '10.9.9.9',
                        'access_level': 'ro',
                    },
                    {
                        'access_type': 'ip',
                        'access_to': '10.0.0.0/24',
                        'access_level': 'rw',
                    },
                ],
            },
            e['params'],
        )
        self.assertEqual(['10.0.0.10:/x/s1'], e['_info']['export_locations'])
        self.assertEqual('t-p-src', e['_info']['share_type'])

    def test_create_waits_then_adds_rules(self):
        e = self.entry()
        e['params']['metadata'] = {'a': 1}
        outcome = self.res.apply(refs.Lookup(self.dst), e)
        self.assertEqual('created', outcome.action)
        [new] = self.dst.store['share']
        self.assertEqual(
            'export locations: 10.0.0.10:/x/%s; %s'
            % (new.id, share.FILES_NOT_COPIED),
            outcome.detail,
        )
        [(_, kwargs)] = self.dst.calls_to('shared_file_system.create_share')
        self.assertEqual(
            {
                'name': 'sh',
                'description': 'd',
                'size': 1,
                'share_protocol': 'NFS',
                'share_type': 't-p-dst',
                'availability_zone': 'nova',
                'is_public': False,
                'metadata': {'a': '1'},
            },
            kwargs,
        )
        self.assertEqual(
            [
                'shared_file_system.create_share',
                'shared_file_system.create_access_rule',
                'shared_file_system.create_access_rule',
            ],
            self.dst.write_calls(),
        )

    def test_create_fails_on_error_status(self):
        e = self.entry()
        self.dst._api_create_share = lambda **attrs: self.dst.add(
            'share', status='error', **attrs
        )
        self.dst._api_delete_share = lambda obj, ignore_missing: None
        outcome = self.res.apply(refs.Lookup(self.dst), e)
        self.assertEqual('failed', outcome.action)
        new = self.dst.store['share'][0]
        self.assertEqual(
            "share 'sh' (%s) went to status error" % new.id, outcome.detail
        )

    def test_create_times_out(self):
        e = self.entry()
        self.dst._api_create_share = lambda **attrs: self.dst.add(
            'share', status='creating', **attrs
        )
        self.dst._api_delete_share = lambda obj, ignore_missing: None
        clock = iter(range(0, 10000, 400))
        self.useFixture(
            fixtures.MockPatch(
                'osmigrateclient.resources.share.time.monotonic',
                lambda: next(clock),
            )
        )
        self.useFixture(
            fixtures.MockPatch('osmigrateclient.resources.share.time.sleep')
        )
        outcome = self.res.apply(refs.Lookup(self.dst), e)
        new = self.dst.store['share'][0]
        self.assertEqual(
            (
                'failed',
                "share 'sh' (%s) is still creating after 600 s (see "
                '--share-wait)' % new.id,
            ),
            outcome[2:],
        )
        # the half-made share is deleted: a re-run makes it whole
        self.assertEqual(
            [
                'shared_file_system.create_share',
                'shared_file_system.delete_share',
            ],
            self.dst.write_calls(),
        )

    def test_unchanged_and_rules_made_the_files(self):
        e = self.entry()
        twin = self.dst.add(
            'share',
            name='sh',
            description='d',
            size=1,
            share_protocol='NFS',
            share_type='t-p-dst',
            availability_zone='nova',
            is_public=False,
            metadata={'a': '1'},
        )
        self.dst.rules[twin.id] = [
            rule('10.0.0.0/24'),
            rule('10.9.9.9', 'ro'),
            rule('10.7.7.7', state='queued_to_deny'),
        ]
        outcome = self.res.apply(refs.Lookup(self.dst), e)
        self.assertEqual('unchanged', outcome.action)
        self.assertEqual([], self.dst.write_calls())

        e['params']['access_rules'] = e['params']['access_rules'][1:]
        decision = self.res.decide(refs.Lookup(self.dst), e)
        self.assertEqual(('update', 'access_rules'), decision[:2])

    def test_size_cannot_change(self):
        e = self.entry()
        self.dst.add(
            'share',
            name='sh',
            description='d',
            size=2,
            share_protocol='NFS',
            share_type='t-p-dst',
            availability_zone='nova',
            is_public=False,
            metadata={'a': '1'},
        )
        outcome = self.res.apply(refs.Lookup(self.dst), e)
        self.assertEqual(
            (
                'conflict',
                'cannot change size of an existing resource: size is 2, '
                'the file says 1',
            ),
            outcome[2:],
        )

    def test_missing_share_type_blocks(self):
        e = self.entry()
        e['params']['share_type_ref'] = refs.make_ref('gone')
        outcome = self.res.apply(refs.Lookup(self.dst), e)
        self.assertEqual(
            ('blocked', "share_type_ref: share type 'gone' not found"),
            outcome[2:],
        )
        self.assertEqual([], self.dst.write_calls())


class TestShareNetwork(base.BaseTestCase):
    def test_export_and_create(self):
        res = share_network.RESOURCE()
        src = fakes.FakeConnection(project_id='p-src')
        dst = fakes.FakeConnection(project_id='p-dst')
        for conn in (src, dst):
            net = conn.add(
                'network', id='n-' + conn.current_project_id, name='n'
            )
            conn.add(
                'subnet',
                id='s-' + conn.current_project_id,
                name='s',
                network_id=net.id,
            )
        src.add(
            'share_network',
            name='sn',
            description='d',
            neutron_net_id='n-p-src',
            neutron_subnet_id='s-p-src',
        )
        [e] = res.export(refs.Lookup(src), lambda name: True)
        auth = ('%auth%', '%auth%')
        self.assertEqual(
            {
                'name': 'sn',
                'description': 'd',
                'network_ref': refs.make_ref('n', *auth),
                'subnet_ref': refs.make_ref('s', *auth),
            },
            e['params'],
        )
        self.assertEqual('created', res.apply(refs.Lookup(dst), e).action)
        [(_, kwargs)] = dst.calls_to('shared_file_system.create_share_network')
        self.assertEqual(
            {
                'name': 'sn',
                'description': 'd',
                'neutron_net_id': 'n-p-dst',
                'neutron_subnet_id': 's-p-dst',
            },
            kwargs,
        )
        self.assertEqual('unchanged', res.apply(refs.Lookup(dst), e).action)


class TestShareType(base.BaseTestCase):
    def test_specs_compared_as_strings(self):
        res = share_type.RESOURCE()
        conn = fakes.FakeConnection(roles=('admin',))
        conn.add(
            'share_type',
            name='t',
            is_public=True,
            extra_specs={'driver_handles_share_servers': 'False'},
        )
        entry = {
            'type': res.type,
            'params': {
                'name': 't',
                'is_public': True,
                'extra_specs': {'driver_handles_share_servers': False},
                'access_project_refs': [],
            },
            '_info': {'id': 'x'},
            '_migration_params': {},
        }
        self.assertEqual('unchanged', res.decide(refs.Lookup(conn), entry)[0])
        entry['params']['is_public'] = False
        self.assertEqual('conflict', res.decide(refs.Lookup(conn), entry)[0])
