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


"""Flavors: every field, extra specs, private access, the source id kept."""

from oslotest import base

from osmigrateclient.resources import flavor
from osmigrateclient.resources import refs
from tests.unit import fakes


def cloud():
    conn = fakes.FakeConnection(project_id='p-admin', roles=['admin'])
    conn.add('domain', id='default', name='Default')
    conn.add('project', id='p1', name='proj', domain_id='default')
    conn.access = {}

    def get_flavor_access(obj):
        return [
            {'flavor_id': obj.id, 'tenant_id': t}
            for t in sorted(conn.access.get(obj.id, ()))
        ]

    def add_access(obj, tenant):
        conn.access.setdefault(obj.id, set()).add(tenant)

    def remove_access(obj, tenant):
        conn.access[obj.id].discard(tenant)

    def create_specs(obj, specs):
        obj.extra_specs = dict(obj.extra_specs or {}, **specs)
        return obj

    def delete_spec(obj, key):
        obj.extra_specs = {
            k: v for k, v in obj.extra_specs.items() if k != key
        }

    def get_flavor(flavor_id):
        return [f for f in conn.store['flavor'] if f.id == flavor_id][0]

    conn._api_get_flavor_access = get_flavor_access
    conn._api_flavor_add_tenant_access = add_access
    conn._api_flavor_remove_tenant_access = remove_access
    conn._api_create_flavor_extra_specs = create_specs
    conn._api_delete_flavor_extra_specs_property = delete_spec
    conn._api_get_flavor = get_flavor
    return conn


FIELDS = dict(
    ram=512,
    vcpus=2,
    disk=10,
    ephemeral=1,
    swap='',
    rxtx_factor=1.0,
    description='small',
)


class TestFlavor(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.src = cloud()
        self.dst = cloud()
        self.res = flavor.RESOURCE()
        self.src.add(
            'flavor',
            id='42',
            name='small',
            is_public=False,
            extra_specs={'hw:cpu_policy': 'shared'},
            **FIELDS,
        )
        self.src.access['42'] = {'p1'}
        self.src.add('flavor', id='7', name='pub', is_public=True, ram=64)
        self.entries = self.res.export(
            refs.Lookup(self.src), lambda name: True
        )

    def test_export(self):
        pub, small = self.entries
        self.assertEqual(
            {
                'description': 'small',
                'disk': 10,
                'ephemeral': 1,
                'extra_specs': {'hw:cpu_policy': 'shared'},
                'is_public': False,
                'name': 'small',
                'ram': 512,
                'rxtx_factor': 1.0,
                'swap': 0,
                'vcpus': 2,
                'access_project_refs': [
                    refs.make_ref('proj', None, 'Default')
                ],
            },
            small['params'],
        )
        self.assertEqual(
            {'id': '42', 'is_disabled': None, 'access_project_ids': ['p1']},
            small['_info'],
        )
        self.assertEqual([], pub['params']['access_project_refs'])
        # Public flavors cost no access call.
        self.assertEqual(
            1, len(self.src.calls_to('compute.get_flavor_access'))
        )

    def test_create_keeps_free_id(self):
        lookup = refs.Lookup(self.dst)
        outcome = self.res.apply(lookup, self.entries[1])
        self.assertEqual(('created', ''), outcome[2:])
        [(_, kwargs)] = self.dst.calls_to('compute.create_flavor')
        self.assertEqual(
            dict(FIELDS, swap=0, id='42', name='small', is_public=False),
            kwargs,
        )
        new = self.dst.store['flavor'][0]
        self.assertEqual({'hw:cpu_policy': 'shared'}, new.extra_specs)
        self.assertEqual({'p1'}, self.dst.access['42'])
        again = self.res.apply(refs.Lookup(self.dst), self.entries[1])
        self.assertEqual('unchanged', again.action)

    def test_id_taken_gets_a_new_one(self):
        self.dst.add('flavor', id='42', name='other')
        outcome = self.res.apply(refs.Lookup(self.dst), self.entries[1])
        [(_, kwargs)] = self.dst.calls_to('compute.create_flavor')
        self.assertNotIn('id', kwargs)
        new = [f for f in self.dst.store['flavor'] if f.name == 'small'][0]
        self.assertEqual(
            (
                'created',
                'new id %s (the source id 42 is taken in the destination)'
                % new.id,
            ),
            outcome[2:],
        )

    def test_update_reconciles_specs_and_access(self):
        self.dst.add(
            'flavor',
            id='9',
            name='small',
            is_public=False,
            extra_specs={'hw:cpu_policy': 'dedicated', 'extra': 'x'},
            **dict(FIELDS, description='old'),
        )
        self.dst.add('project', id='p2', name='else', domain_id='default')
        self.dst.access['9'] = {'p2'}
        outcome = self.res.apply(refs.Lookup(self.dst), self.entries[1])
        self.assertEqual(
            ('updated', 'access_project_refs, description, extra_specs'),
            outcome[2:],
        )
        [(_, kwargs)] = self.dst.calls_to('compute.update_flavor')
        self.assertEqual({'description': 'small'}, kwargs)
        got = self.dst.store['flavor'][0]
        self.assertEqual({'hw:cpu_policy': 'shared'}, got.extra_specs)
        self.assertEqual({'p1'}, self.dst.access['9'])
        self.assertEqual(
            'unchanged',
            self.res.apply(refs.Lookup(self.dst), self.entries[1]).action,
        )

    def test_sizes_are_a_conflict(self):
        self.dst.add(
            'flavor', name='small', is_public=False, **dict(FIELDS, ram=1024)
        )
        outcome = self.res.apply(refs.Lookup(self.dst), self.entries[1])
        self.assertEqual(
            (
                'conflict',
                'cannot change ram of an existing resource: ram is 1024, '
                'the file says 512',
            ),
            outcome[2:],
        )
        self.assertEqual([], self.dst.write_calls())

    def test_unknown_access_project_blocks(self):
        entry = self.entries[1]
        entry['params']['access_project_refs'][0]['name'] = 'gone'
        decision = self.res.decide(refs.Lookup(self.dst), entry)
        self.assertEqual(
            ('blocked', "access_project_refs: project 'gone' not found"),
            decision[:2],
        )
