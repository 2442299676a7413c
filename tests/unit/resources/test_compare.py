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

"""An entry against its destination twin: the diff and the plan, through
networks."""

from osmigrateclient.resources import base as resource_base
from tests.unit.resources.test_base import AUTH_QOS
from tests.unit.resources.test_base import Base


class TestDiff(Base):
    def test_identical(self):
        entry = self.entry()
        self.assertEqual({}, self.res.diff(self.lookup, self.twin(), entry))

    def test_ignores_info_and_migration_params(self):
        entry = self.entry()
        entry['_info'] = {'id': 'other', 'status': 'DOWN', 'mtu': 9000}
        entry['_migration_params'] = {'anything': True}
        self.assertEqual({}, self.res.diff(self.lookup, self.twin(), entry))

    def test_ignores_fields_absent_from_file(self):
        entry = self.entry()
        del entry['params']['mtu']
        del entry['params']['description']
        twin = self.twin(mtu=9000, description='changed')
        self.assertEqual({}, self.res.diff(self.lookup, twin, entry))

    def test_ignores_unknown_fields_of_file(self):
        entry = self.entry()
        entry['params']['qos_policy_name'] = None
        entry['params']['some_future_field'] = 'x'
        self.assertEqual({}, self.res.diff(self.lookup, self.twin(), entry))

    def test_empty_values_alike(self):
        entry = self.entry(description=None, tags=[], dns_domain=None)
        twin = self.twin(description='', tags=None, dns_domain='')
        self.assertEqual({}, self.res.diff(self.lookup, twin, entry))

    def test_list_order_ignored(self):
        entry = self.entry()
        entry['params']['tags'] = ['zeta', 'alpha']
        entry['params']['availability_zone_hints'] = ['az2', 'az1']
        self.assertEqual({}, self.res.diff(self.lookup, self.twin(), entry))

    def test_changes(self):
        entry = self.entry(description='new', tags=['b'])
        twin = self.twin(description='old', tags=['a'])
        self.assertEqual(
            {'description': ('old', 'new'), 'tags': (['a'], ['b'])},
            self.res.diff(self.lookup, twin, entry),
        )

    def test_reference_compared(self):
        self.src.add('qos_policy', name='qos1', id='q-src')
        self.dst.add('qos_policy', name='qos2', id='q-dst2')
        entry = self.entry(qos_policy_id='q-src')
        twin = self.twin(qos_policy_id='q-dst2')
        self.assertEqual(
            {
                'qos_policy_ref': (
                    {
                        'name': 'qos2',
                        'project_name': '%auth%',
                        'domain_name': '%auth%',
                    },
                    AUTH_QOS,
                )
            },
            self.res.diff(self.lookup, twin, entry),
        )


class TestPlan(Base):
    def test_create(self):
        self.assertEqual(
            resource_base.Decision('create', ''),
            self.res.decide(self.lookup, self.entry()),
        )

    def test_other_projects_twin_is_not_ours(self):
        self.twin(project_id='p-other')
        self.assertEqual(
            'create', self.res.decide(self.lookup, self.entry()).action
        )

    def test_unchanged(self):
        twin = self.twin()
        self.assertEqual(
            resource_base.Decision('unchanged', '', twin),
            self.res.decide(self.lookup, self.entry()),
        )

    def test_update(self):
        twin = self.twin(description='old', mtu=1400)
        self.assertEqual(
            resource_base.Decision(
                'update',
                'description, mtu',
                twin,
                {'description': ('old', 'the network'), 'mtu': (1400, 1450)},
            ),
            self.res.decide(self.lookup, self.entry()),
        )

    def test_blocked_names_the_field(self):
        self.src.add('qos_policy', name='qos1', id='q-src')
        entry = self.entry(qos_policy_id='q-src')
        self.assertEqual(
            resource_base.Decision(
                'blocked',
                "qos_policy_ref: qos policy 'qos1' (project '%auth%') "
                'not found',
            ),
            self.res.decide(self.lookup, entry),
        )

    def test_blocked_not_a_reference(self):
        entry = self.entry()
        entry['params']['qos_policy_ref'] = 'qos1'
        self.assertEqual(
            resource_base.Decision(
                'blocked',
                "qos_policy_ref: not a reference (a mapping with a name): "
                "'qos1'",
            ),
            self.res.decide(self.lookup, entry),
        )

    def test_conflict_two_twins(self):
        self.twin(id='d1')
        self.twin(id='d2')
        self.assertEqual(
            resource_base.Decision(
                'conflict',
                "2 network resources named 'net1' in the destination "
                'project: cannot tell which one to update',
            ),
            self.res.decide(self.lookup, self.entry()),
        )

    def test_conflict_create_only(self):
        twin = self.twin(is_vlan_transparent=True, description='old')
        decision = self.res.decide(
            self.lookup, self.entry(is_vlan_transparent=False)
        )
        self.assertEqual('conflict', decision.action)
        self.assertEqual(
            'cannot change is_vlan_transparent of an existing resource: '
            'is_vlan_transparent is True, the file says False',
            decision.detail,
        )
        self.assertIs(twin, decision.existing)

    def test_plan_makes_no_write_call(self):
        self.twin(description='old')
        self.res.decide(self.lookup, self.entry())
        self.assertEqual(['network.networks'], self.dst.call_names())
