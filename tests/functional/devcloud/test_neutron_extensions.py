# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""The development cloud's Neutron has what the migrated types need: QoS
(written by a project member, see configs.QOS_WRITES), address groups,
RBAC and trunks, in both regions."""

from tests.functional import base


class TestNeutronExtensions(base.FunctionalTestCase):
    def test_extensions_in_both_regions(self):
        for cloud in ('src', 'dst'):
            aliases = {e.alias for e in self.conn(cloud).network.extensions()}
            for wanted in ('qos', 'address-group', 'rbac-policies', 'trunk'):
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

    def test_member_makes_trunks(self):
        # devcloud_drivers.trunk: Neutron's trunk plugin with the agentless
        # ML2 driver; a trunk on a bound (server's) port, VLAN subports.
        for cloud in ('src', 'dst'):
            net = self.conn(cloud).network
            name = self.unique_name('trunk')
            network = net.create_network(name=name)
            self.addCleanup(net.delete_network, network, ignore_missing=True)
            net.create_subnet(
                network_id=network.id, ip_version=4, cidr='10.77.0.0/24'
            )
            parent, sub1, sub2 = (
                net.create_port(network_id=network.id, name=name + n)
                for n in ('-parent', '-sub1', '-sub2')
            )
            for port in (parent, sub1, sub2):
                self.addCleanup(net.delete_port, port, ignore_missing=True)
            trunk = net.create_trunk(
                name=name,
                port_id=parent.id,
                sub_ports=[
                    {
                        'port_id': sub1.id,
                        'segmentation_type': 'vlan',
                        'segmentation_id': 101,
                    }
                ],
            )
            self.addCleanup(net.delete_trunk, trunk, ignore_missing=True)
            net.add_trunk_subports(
                trunk,
                [
                    {
                        'port_id': sub2.id,
                        'segmentation_type': 'vlan',
                        'segmentation_id': 102,
                    }
                ],
            )
            got = net.get_trunk(trunk.id)
            # (in segmentation order: the port ids are random)
            self.assertEqual(
                [(sub1.id, 'vlan', 101), (sub2.id, 'vlan', 102)],
                sorted(
                    (
                        (
                            s['port_id'],
                            s['segmentation_type'],
                            s['segmentation_id'],
                        )
                        for s in got.sub_ports
                    ),
                    key=lambda t: t[2],
                ),
                cloud,
            )
            self.assertEqual(
                [101, 102],
                sorted(
                    s['segmentation_id']
                    for s in net.get_port(parent.id).trunk_details['sub_ports']
                ),
                cloud,
            )
