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

"""Cinder QoS specs: consumer and specs made exactly the file's."""

from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient.resources import refs
from osmigrateclient.resources import volume_qos
from tests.unit import fakes


class TestVolumeQos(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.res = volume_qos.RESOURCE()
        self.src = fakes.FakeConnection(project_id='p-src')
        self.dst = fakes.FakeConnection(project_id='p-dst')
        self.made = []

        def create(**attrs):
            self.made.append(attrs)
            return self.dst.add('volume_qos', id='new-qos')

        self.dst._api_create_qos_spec = create

    def entry(self, **attrs):
        values = dict(
            name='gold',
            consumer='front-end',
            specs={'read_iops_sec': '100', 'write_iops_sec': '50'},
        )
        values.update(attrs)
        obj = self.src.add('volume_qos', **values)
        return self.res.from_sdk(refs.Lookup(self.src), obj)

    def test_export(self):
        e = self.entry()
        self.assertEqual('openstack.block_storage.QosSpec', e['type'])
        self.assertEqual(
            {
                'name': 'gold',
                'consumer': 'front-end',
                'specs': {'read_iops_sec': '100', 'write_iops_sec': '50'},
            },
            e['params'],
        )

    def test_create_specs_as_keys(self):
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry())
        self.assertEqual('created', outcome.action)
        self.assertEqual(
            ['block_storage.create_qos_spec'], self.dst.write_calls()
        )
        self.assertEqual(
            [
                {
                    'name': 'gold',
                    'consumer': 'front-end',
                    'read_iops_sec': '100',
                    'write_iops_sec': '50',
                }
            ],
            self.made,
        )

    def test_specs_and_consumer_reconciled(self):
        twin = self.dst.add(
            'volume_qos',
            name='gold',
            consumer='back-end',
            specs={'read_iops_sec': '9', 'total_iops_sec': '7'},
        )
        self.dst._api_get_qos_spec = lambda i: twin
        self.dst._api_update_qos_spec = lambda q, **values: q
        self.dst._api_delete_qos_spec_metadata = lambda q, keys: None
        lookup = refs.Lookup(self.dst)
        decision = self.res.decide(lookup, self.entry())
        self.assertEqual(('update', 'consumer, specs'), decision[:2])
        outcome = self.res.apply(lookup, self.entry())
        self.assertEqual(('updated', 'consumer, specs'), outcome[2:])
        self.assertEqual(
            [
                'block_storage.update_qos_spec',
                'block_storage.delete_qos_spec_metadata',
            ],
            self.dst.write_calls(),
        )
        [(args, kwargs)] = self.dst.calls_to('block_storage.update_qos_spec')
        self.assertIs(twin, args[0])
        self.assertEqual(
            {
                'consumer': 'front-end',
                'read_iops_sec': '100',
                'write_iops_sec': '50',
            },
            kwargs,
        )
        [(args, _)] = self.dst.calls_to(
            'block_storage.delete_qos_spec_metadata'
        )
        self.assertEqual(['total_iops_sec'], args[1])

    def test_numbers_in_a_file_equal_cinder_strings(self):
        self.dst.add(
            'volume_qos',
            name='gold',
            consumer='front-end',
            specs={'read_iops_sec': '100', 'write_iops_sec': '50'},
        )
        e = self.entry()
        e['params']['specs'] = {'read_iops_sec': 100, 'write_iops_sec': 50}
        outcome = self.res.apply(refs.Lookup(self.dst), e)
        self.assertEqual('unchanged', outcome.action)
        self.assertEqual([], self.dst.write_calls())

    def test_specs_of_the_wrong_shape_refused(self):
        e = self.entry()
        e['params']['specs'] = ['read_iops_sec']
        self.assertRaises(
            exceptions.DataFileError, self.res.check, e, 'f.yml', 0
        )
