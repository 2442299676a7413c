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

"""QoS policies: rules without ids, and the rule calls of an update."""

from oslotest import base

from osmigrateclient.resources import qos_policy
from osmigrateclient.resources import refs
from tests.unit import fakes

BW = {
    'id': 'r1',
    'qos_policy_id': 'q',
    'type': 'bandwidth_limit',
    'direction': 'egress',
    'max_kbps': 1000,
    'max_burst_kbps': 0,
}
DSCP = {
    'id': 'r2',
    'qos_policy_id': 'q',
    'type': 'dscp_marking',
    'dscp_mark': 8,
}


class TestQosPolicy(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.src = fakes.FakeConnection(project_id='p-src')
        self.dst = fakes.FakeConnection(project_id='p-dst')
        self.res = qos_policy.RESOURCE()
        self.dst._api_get_qos_policy = lambda id_: next(
            p for p in self.dst.store['qos_policy'] if p.id == id_
        )

    def entry(self, rules):
        obj = self.src.add(
            'qos_policy', name='gold', description='', rules=rules, tags=[]
        )
        return self.res.from_sdk(refs.Lookup(self.src), obj)

    def test_export_rules_without_ids(self):
        e = self.entry([DSCP, BW])
        self.assertEqual(
            [
                {
                    'type': 'bandwidth_limit',
                    'direction': 'egress',
                    'max_burst_kbps': 0,
                    'max_kbps': 1000,
                },
                {'type': 'dscp_marking', 'dscp_mark': 8},
            ],
            e['params']['rules'],
        )

    def test_unknown_rule_type_kept_without_ids(self):
        odd = {'id': 'x', 'qos_policy_id': 'q', 'type': 'odd', 'level': 3}
        self.assertEqual(
            [{'type': 'odd', 'level': 3}], self.entry([odd])['params']['rules']
        )

    def test_same_rules_unchanged(self):
        self.dst.add(
            'qos_policy',
            name='gold',
            description='',
            rules=[BW, DSCP],
            tags=[],
        )
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry([DSCP, BW]))
        self.assertEqual('unchanged', outcome.action)
        self.assertEqual([], self.dst.write_calls())

    def test_changed_rule_deleted_then_created(self):
        twin = self.dst.add(
            'qos_policy',
            name='gold',
            description='',
            rules=[BW, DSCP],
            tags=[],
        )
        calls = []
        for verb in ('create', 'delete'):
            setattr(
                self.dst,
                '_api_%s_qos_bandwidth_limit_rule' % verb,
                lambda *a, verb=verb, **k: calls.append((verb, a, k)),
            )
        outcome = self.res.apply(
            refs.Lookup(self.dst), self.entry([dict(BW, max_kbps=5), DSCP])
        )
        self.assertEqual(('updated', 'rules'), outcome[2:])
        self.assertEqual(
            [
                ('delete', ('r1', twin), {'ignore_missing': True}),
                (
                    'create',
                    (twin,),
                    {
                        'direction': 'egress',
                        'max_burst_kbps': 0,
                        'max_kbps': 5,
                    },
                ),
            ],
            calls,
        )

    def test_create_sends_no_rules(self):
        made = []

        def create_rule(policy, **kwargs):
            made.append((policy.name, kwargs))

        self.dst._api_create_qos_dscp_marking_rule = create_rule
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry([DSCP]))
        self.assertEqual('created', outcome.action)
        [(_, kwargs)] = self.dst.calls_to('network.create_qos_policy')
        self.assertNotIn('rules', kwargs)
        self.assertEqual([('gold', {'dscp_mark': 8})], made)
