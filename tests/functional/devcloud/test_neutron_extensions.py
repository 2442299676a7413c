# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""The development cloud's Neutron has what the migrated types need: QoS
(written by a project member, see configs.QOS_WRITES), address groups and
RBAC, in both regions."""

from tests.functional import base


class TestNeutronExtensions(base.FunctionalTestCase):
    def test_extensions_in_both_regions(self):
        for cloud in ('src', 'dst'):
            aliases = {e.alias for e in self.conn(cloud).network.extensions()}
            for wanted in ('qos', 'address-group', 'rbac-policies'):
                self.assertIn(wanted, aliases, cloud)

    def test_member_writes_qos(self):
        for cloud in ('src', 'dst'):
            net = self.conn(cloud).network
            policy = net.create_qos_policy(name=self.unique_name('qos'))
            self.addCleanup(net.delete_qos_policy, policy, ignore_missing=True)
            net.set_tags(policy, ['t'])
            net.create_qos_bandwidth_limit_rule(
                policy, max_kbps=1000, direction='egress'
            )
            net.create_qos_dscp_marking_rule(policy, dscp_mark=26)
            got = net.get_qos_policy(policy.id)
            self.assertEqual(['t'], got.tags)
            self.assertEqual(
                ['bandwidth_limit', 'dscp_marking'],
                sorted(r['type'] for r in got.rules),
            )
