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

"""An entry into the destination: its params as SDK arguments, and what
apply does with its decision, through networks."""

import copy

from openstack import exceptions as sdk_exceptions

from osmigrateclient import exceptions
from osmigrateclient.resources import base as resource_base
from osmigrateclient.resources import refs
from tests.unit.resources.test_base import AUTH_QOS
from tests.unit.resources.test_base import Base


class TestApply(Base):
    def test_dry_run_create(self):
        outcome = self.res.apply(self.lookup, self.entry(), dry_run=True)
        self.assertEqual(
            resource_base.Outcome(
                'openstack.network.Network', 'net1', 'create', ''
            ),
            outcome,
        )
        self.assertEqual([], self.dst.write_calls())

    def test_dry_run_update(self):
        self.twin(description='old')
        outcome = self.res.apply(self.lookup, self.entry(), dry_run=True)
        self.assertEqual(
            resource_base.Outcome(
                'openstack.network.Network', 'net1', 'update', 'description'
            ),
            outcome,
        )
        self.assertEqual([], self.dst.write_calls())

    def test_create(self):
        self.src.add('qos_policy', name='qos1', id='q-src')
        self.dst.add('qos_policy', name='qos1', id='q-dst')
        entry = self.entry(
            qos_policy_id='q-src', dns_domain='example.org.', mtu=None
        )
        outcome = self.res.apply(self.lookup, entry)
        self.assertEqual(
            resource_base.Outcome(
                'openstack.network.Network', 'net1', 'created', ''
            ),
            outcome,
        )
        self.assertEqual(
            ['network.create_network', 'network.set_tags'],
            self.dst.write_calls(),
        )
        [(args, kwargs)] = self.dst.calls_to('network.create_network')
        # None-valued params are not sent, tags come afterwards.
        self.assertEqual(
            {
                'availability_zone_hints': ['az1', 'az2'],
                'description': 'the network',
                'dns_domain': 'example.org.',
                'is_admin_state_up': True,
                'is_port_security_enabled': True,
                'is_router_external': False,
                'is_shared': False,
                'name': 'net1',
                'qos_policy_id': 'q-dst',
            },
            kwargs,
        )
        [(args, kwargs)] = self.dst.calls_to('network.set_tags')
        created = args[0]
        self.assertEqual('net1', created.name)
        self.assertEqual((created, ['alpha', 'zeta']), args)
        # The new network is known to later lookups without a new list.
        self.assertIs(
            created,
            self.lookup.resolve(
                'network', refs.make_ref('net1', refs.AUTH, refs.AUTH)
            ),
        )
        self.assertEqual(1, len(self.dst.calls_to('network.networks')))

    def test_create_without_tags_no_set_tags(self):
        outcome = self.res.apply(self.lookup, self.entry(tags=[]))
        self.assertEqual('created', outcome.action)
        self.assertEqual([], self.dst.calls_to('network.set_tags'))

    def test_failing_set_tags_deletes_the_half_made_network(self):
        self.dst.fail(
            'network.set_tags',
            sdk_exceptions.BadRequestException('Invalid tag zeta'),
        )
        outcome = self.res.apply(self.lookup, self.entry())
        self.assertEqual(
            resource_base.Outcome(
                'openstack.network.Network',
                'net1',
                'failed',
                'Invalid tag zeta',
            ),
            outcome,
        )
        [(args, _)] = self.dst.calls_to('network.create_network')
        [(args, kwargs)] = self.dst.calls_to('network.delete_network')
        self.assertEqual('net1', args[0].name)
        self.assertEqual({'ignore_missing': True}, kwargs)
        self.assertEqual([], self.dst.store['network'])
        self.assertEqual(
            [
                'network.create_network',
                'network.set_tags',
                'network.delete_network',
            ],
            self.dst.write_calls(),
        )

    def test_failing_create(self):
        self.dst.fail(
            'network.create_network',
            sdk_exceptions.ConflictException(
                message='Conflict', details='Quota exceeded for network.\nx'
            ),
        )
        outcome = self.res.apply(self.lookup, self.entry())
        self.assertEqual(
            resource_base.Outcome(
                'openstack.network.Network',
                'net1',
                'failed',
                'Quota exceeded for network.',
            ),
            outcome,
        )
        self.assertEqual([], self.dst.calls_to('network.delete_network'))

    def test_unchanged_makes_no_write(self):
        self.twin()
        outcome = self.res.apply(self.lookup, self.entry())
        self.assertEqual(
            resource_base.Outcome(
                'openstack.network.Network', 'net1', 'unchanged', ''
            ),
            outcome,
        )
        self.assertEqual([], self.dst.write_calls())

    def test_blocked_and_conflict_make_no_write(self):
        self.src.add('qos_policy', name='qos1', id='q-src')
        outcome = self.res.apply(
            self.lookup, self.entry(qos_policy_id='q-src')
        )
        self.assertEqual('blocked', outcome.action)
        self.twin(id='a')
        self.twin(id='b')
        self.assertEqual(
            'conflict', self.res.apply(self.lookup, self.entry()).action
        )
        self.assertEqual([], self.dst.write_calls())

    def test_update_sends_only_changed_fields(self):
        twin = self.twin(description='old', mtu=1400)
        outcome = self.res.apply(self.lookup, self.entry())
        self.assertEqual(
            resource_base.Outcome(
                'openstack.network.Network',
                'net1',
                'updated',
                'description, mtu',
            ),
            outcome,
        )
        self.assertEqual(
            [((twin,), {'description': 'the network', 'mtu': 1450})],
            self.dst.calls_to('network.update_network'),
        )
        self.assertEqual(['network.update_network'], self.dst.write_calls())

    def test_update_tags_only(self):
        twin = self.twin(tags=['old'])
        outcome = self.res.apply(self.lookup, self.entry())
        self.assertEqual('updated', outcome.action)
        self.assertEqual('tags', outcome.detail)
        self.assertEqual(
            [((twin, ['alpha', 'zeta']), {})],
            self.dst.calls_to('network.set_tags'),
        )
        self.assertEqual(['network.set_tags'], self.dst.write_calls())

    def test_update_removes_all_tags(self):
        twin = self.twin()
        outcome = self.res.apply(self.lookup, self.entry(tags=[]))
        self.assertEqual('updated', outcome.action)
        self.assertEqual(
            [((twin, []), {})], self.dst.calls_to('network.set_tags')
        )

    def test_update_resolves_reference(self):
        self.src.add('qos_policy', name='qos1', id='q-src')
        self.dst.add('qos_policy', name='qos1', id='q-dst')
        twin = self.twin()
        self.res.apply(self.lookup, self.entry(qos_policy_id='q-src'))
        self.assertEqual(
            [((twin,), {'qos_policy_id': 'q-dst'})],
            self.dst.calls_to('network.update_network'),
        )

    def test_update_clears_reference(self):
        # The file says "no QoS policy" and the twin has one: the update
        # must detach it, else every import reports the same update again.
        self.dst.add('qos_policy', name='qos1', id='q-dst')
        twin = self.twin(qos_policy_id='q-dst')
        entry = self.entry()
        self.assertEqual('updated', self.res.apply(self.lookup, entry).action)
        self.assertEqual(
            [((twin,), {'qos_policy_id': None})],
            self.dst.calls_to('network.update_network'),
        )
        self.assertEqual(
            'unchanged', self.res.apply(refs.Lookup(self.dst), entry).action
        )

    def test_failing_update(self):
        self.twin(description='old')
        self.dst.fail(
            'network.update_network',
            sdk_exceptions.ForbiddenException('Policy forbids it'),
        )
        outcome = self.res.apply(self.lookup, self.entry())
        self.assertEqual(
            resource_base.Outcome(
                'openstack.network.Network',
                'net1',
                'failed',
                'Policy forbids it',
            ),
            outcome,
        )

    def test_entry_not_modified(self):
        self.src.add('qos_policy', name='qos1', id='q-src')
        self.dst.add('qos_policy', name='qos1', id='q-dst')
        entry = self.entry(qos_policy_id='q-src')
        before = copy.deepcopy(entry)
        self.res.apply(self.lookup, entry)
        self.assertEqual(before, entry)


class TestSdkAttrs(Base):
    def test_unresolved_sets_field(self):
        e = self.assertRaises(
            exceptions.UnresolvedReference,
            self.res.sdk_attrs,
            self.lookup,
            {'name': 'n', 'qos_policy_ref': AUTH_QOS},
        )
        self.assertEqual('qos_policy_ref', e.field)
        self.assertEqual(
            "field qos_policy_ref: qos policy 'qos1' (project '%auth%') "
            'not found',
            str(e),
        )
