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

"""Volume types: extra specs and access lists made exactly the file's."""

from oslotest import base

from osmigrateclient.resources import refs
from osmigrateclient.resources import volume_type
from tests.unit import fakes


class TestVolumeType(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.res = volume_type.RESOURCE()
        self.src = fakes.FakeConnection(project_id='p-src')
        self.dst = fakes.FakeConnection(project_id='p-dst')
        for conn in (self.src, self.dst):
            conn.add('domain', id='default', name='Default')
            conn.add('project', id='p-x', name='x', domain_id='default')
            conn.access = {}
            conn._api_get_type_access = self._access(conn)
            self._fake_writes(conn)

    def _fake_writes(self, conn):
        # The proxy names these ``*_type*``, not ``*_volume_type``.
        def create(**attrs):
            return conn.add('volume_type', **attrs)

        def add_access(t, project_id):
            conn.access.setdefault(t.id, []).append(project_id)

        conn._api_create_type = create
        conn._api_add_type_access = add_access
        conn._api_update_type_extra_specs = lambda t, **specs: t
        conn._api_delete_type_extra_specs = lambda t, keys: None

    def _access(self, conn):
        def call(t):
            return [
                {'volume_type_id': t.id, 'project_id': p}
                for p in conn.access.get(t.id, [])
            ]

        return call

    def entry(self, **attrs):
        values = dict(
            name='vt',
            description='d',
            is_public=False,
            extra_specs={'b': '2', 'a': '1'},
        )
        values.update(attrs)
        obj = self.src.add('volume_type', **values)
        self.src.access[obj.id] = ['p-x']
        return self.res.from_sdk(refs.Lookup(self.src), obj)

    def test_export(self):
        e = self.entry()
        self.assertEqual('openstack.block_storage.VolumeType', e['type'])
        self.assertEqual(
            {
                'name': 'vt',
                'description': 'd',
                'is_public': False,
                'extra_specs': {'a': '1', 'b': '2'},
                'access_project_refs': [refs.make_ref('x', None, 'Default')],
                'qos_specs_ref': None,
            },
            e['params'],
        )
        self.assertEqual(['p-x'], e['_info']['access_project_ids'])

    def test_create_with_specs_and_access(self):
        self.dst._api_get_type = lambda i: self.dst.store['volume_type'][0]
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry())
        self.assertEqual('created', outcome.action)
        self.assertEqual(
            ['block_storage.create_type', 'block_storage.add_type_access'],
            self.dst.write_calls(),
        )
        [(_, kwargs)] = self.dst.calls_to('block_storage.create_type')
        self.assertEqual(
            {
                'name': 'vt',
                'description': 'd',
                'is_public': False,
                'extra_specs': {'a': '1', 'b': '2'},
            },
            kwargs,
        )
        [(args, _)] = self.dst.calls_to('block_storage.add_type_access')
        self.assertEqual('p-x', args[1])

    def test_specs_reconciled(self):
        twin = self.dst.add(
            'volume_type',
            name='vt',
            description='d',
            is_public=False,
            extra_specs={'a': '9', 'c': '3'},
        )
        self.dst.access[twin.id] = ['p-x']
        self.dst._api_get_type = lambda i: twin
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry())
        self.assertEqual(('updated', 'extra_specs'), outcome[2:])
        self.assertEqual(
            [
                'block_storage.update_type_extra_specs',
                'block_storage.delete_type_extra_specs',
            ],
            self.dst.write_calls(),
        )
        [(_, kwargs)] = self.dst.calls_to(
            'block_storage.update_type_extra_specs'
        )
        self.assertEqual({'a': '1', 'b': '2'}, kwargs)
        [(args, _)] = self.dst.calls_to(
            'block_storage.delete_type_extra_specs'
        )
        self.assertEqual(['c'], args[1])

    def test_unchanged_and_visibility_conflict(self):
        twin = self.dst.add(
            'volume_type',
            name='vt',
            description='d',
            is_public=False,
            extra_specs={'a': '1', 'b': '2'},
        )
        self.dst.access[twin.id] = ['p-x']
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry())
        self.assertEqual('unchanged', outcome.action)
        e = self.entry()
        e['params']['is_public'] = True
        e['params']['access_project_refs'] = []
        outcome = self.res.apply(refs.Lookup(self.dst), e)
        self.assertEqual('conflict', outcome.action)
        self.assertEqual([], self.dst.write_calls())


class TestVolumeTypeQos(base.BaseTestCase):
    """The QoS specs of a type: by name, associated through Cinder's QoS
    specs API."""

    def setUp(self):
        super().setUp()
        self.res = volume_type.RESOURCE()
        self.src = fakes.FakeConnection(project_id='p-src')
        self.dst = fakes.FakeConnection(project_id='p-dst')
        for conn in (self.src, self.dst):
            conn._api_create_type = self._create(conn)
            conn._api_associate_qos_spec = lambda q, t: None
            conn._api_disassociate_qos_spec = lambda q, t: None
        self.gold = self.dst.add('volume_qos', name='gold', consumer='both')
        self.silver = self.dst.add('volume_qos', name='silver')

    def _create(self, conn):
        def create(**attrs):
            return conn.add('volume_type', **attrs)

        return create

    def entry(self, qos='gold'):
        spec = self.src.add('volume_qos', name=qos)
        obj = self.src.add(
            'volume_type', name='vt', is_public=True, qos_specs_id=spec.id
        )
        return self.res.from_sdk(refs.Lookup(self.src), obj)

    def test_export(self):
        e = self.entry()
        self.assertEqual(refs.make_ref('gold'), e['params']['qos_specs_ref'])
        self.assertEqual(
            self.src.store['volume_qos'][-1].id, e['_info']['qos_specs_id']
        )

    def test_create_then_associate(self):
        self.dst._api_get_type = lambda i: self.dst.store['volume_type'][0]
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry())
        self.assertEqual('created', outcome.action)
        self.assertEqual(
            ['block_storage.create_type', 'block_storage.associate_qos_spec'],
            self.dst.write_calls(),
        )
        [(_, kwargs)] = self.dst.calls_to('block_storage.create_type')
        self.assertNotIn('qos_specs_id', kwargs)
        new = self.dst.store['volume_type'][0]
        self.assertEqual(
            [((self.gold.id, new.id), {})],
            self.dst.calls_to('block_storage.associate_qos_spec'),
        )

    def test_association_moved(self):
        twin = self.dst.add(
            'volume_type',
            name='vt',
            is_public=True,
            qos_specs_id=self.silver.id,
        )
        self.dst._api_get_type = lambda i: twin
        lookup = refs.Lookup(self.dst)
        decision = self.res.decide(lookup, self.entry())
        self.assertEqual(('update', 'qos_specs_ref'), decision[:2])
        outcome = self.res.apply(lookup, self.entry())
        self.assertEqual(('updated', 'qos_specs_ref'), outcome[2:])
        self.assertEqual(
            [
                'block_storage.disassociate_qos_spec',
                'block_storage.associate_qos_spec',
            ],
            self.dst.write_calls(),
        )
        self.assertEqual(
            [((self.silver.id, twin.id), {})],
            self.dst.calls_to('block_storage.disassociate_qos_spec'),
        )
        self.assertEqual(
            [((self.gold.id, twin.id), {})],
            self.dst.calls_to('block_storage.associate_qos_spec'),
        )

    def test_association_removed(self):
        twin = self.dst.add(
            'volume_type', name='vt', is_public=True, qos_specs_id=self.gold.id
        )
        self.dst._api_get_type = lambda i: twin
        e = self.entry()
        e['params']['qos_specs_ref'] = None
        outcome = self.res.apply(refs.Lookup(self.dst), e)
        self.assertEqual(('updated', 'qos_specs_ref'), outcome[2:])
        self.assertEqual(
            ['block_storage.disassociate_qos_spec'], self.dst.write_calls()
        )

    def test_unchanged(self):
        self.dst.add(
            'volume_type', name='vt', is_public=True, qos_specs_id=self.gold.id
        )
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry())
        self.assertEqual('unchanged', outcome.action)
        self.assertEqual([], self.dst.write_calls())

    def test_qos_specs_missing_in_destination(self):
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry('bronze'))
        self.assertEqual('blocked', outcome.action)
        self.assertEqual(
            "qos_specs_ref: volume qos 'bronze' not found", outcome.detail
        )
        self.assertEqual([], self.dst.write_calls())
