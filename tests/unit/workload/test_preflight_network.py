#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

"""Pre-flight of a server's ports, trunks and floating IPs."""

from tests.unit.workload import fakes
from tests.unit.workload import test_preflight


class TestNetworkChecks(test_preflight.CheckerTestCase):
    def test_port_attributes(self):
        entry = fakes.server_entry(
            ports=[
                fakes.port_entry(
                    allowed_address_pairs=[{'ip_address': '10.0.0.100'}],
                    is_port_security_enabled=False,
                    binding_vnic_type='direct',
                    binding_profile={'trusted': True},
                    description='front',
                    security_group_refs=[],
                )
            ]
        )
        resolved, problems = self.check(entry)
        self.assertEqual([], problems)
        self.assertEqual(
            [
                fakes.PORT._replace(
                    security_group_ids=[],
                    attrs={
                        'allowed_address_pairs': [
                            {'ip_address': '10.0.0.100'}
                        ],
                        'is_port_security_enabled': False,
                        'binding_vnic_type': 'direct',
                        'binding_profile': {'trusted': True},
                        'description': 'front',
                    },
                )
            ],
            resolved.ports,
        )

    def test_port_without_mac_nor_fixed_ip(self):
        entry = fakes.server_entry(
            ports=[fakes.port_entry(mac_address=None, fixed_ips_refs=[])],
            floating_ips=[],
        )
        resolved, problems = self.check(entry)
        self.assertEqual([], problems)
        self.assertEqual(
            [fakes.PORT._replace(fixed_ips=[], mac_address=None)],
            resolved.ports,
        )

    def test_floating_ip_allocated_to_the_destination_is_reused(self):
        self.dst.add(
            'floating_ip',
            id='dfip-taken',
            floating_ip_address='172.24.4.9',
            port_id='someone',
        )
        self.dst.add(
            'floating_ip', id='dfip-free', floating_ip_address='172.24.4.9'
        )
        self.dst.add(
            'floating_ip',
            id='dfip-other-project',
            floating_ip_address='172.24.4.9',
            project_id='elsewhere',
        )
        for mode, existing in (
            ('auto', 'dfip-free'),
            ('existing', 'dfip-free'),
            ('new', None),
        ):
            resolved, problems = self.check(
                fakes.server_entry({'floating_ip_mode': mode})
            )
            self.assertEqual([], problems, mode)
            self.assertEqual(mode, resolved.floating_ip_mode)
            self.assertEqual(
                [fakes.FLOATING_IP._replace(existing_id=existing)],
                resolved.floating_ips,
                mode,
            )

    def test_floating_ip_mode_existing_needs_a_free_address(self):
        self.dst.add(
            'floating_ip',
            id='dfip-taken',
            floating_ip_address='172.24.4.9',
            port_id='someone',
        )
        self.assertEqual(
            [
                'floating_ips: 172.24.4.9: not allocated to the destination '
                'project, or attached (floating_ip_mode: existing)'
            ],
            self.problems(
                fakes.server_entry({'floating_ip_mode': 'existing'})
            ),
        )

    def test_floating_ip_mode_skip(self):
        self.dst.store['network'] = [
            n for n in self.dst.store['network'] if n.id != 'dpub'
        ]
        resolved, problems = self.check(
            fakes.server_entry({'floating_ip_mode': 'skip'})
        )
        self.assertEqual([], problems)
        self.assertEqual([], resolved.floating_ips)
        self.assertEqual('skip', resolved.floating_ip_mode)

    def test_floating_network_not_found(self):
        self.dst.store['network'] = [
            n for n in self.dst.store['network'] if n.id != 'dpub'
        ]
        self.assertEqual(
            [
                "floating_ips: 172.24.4.9: floating_network_ref: network "
                "'public' not found"
            ],
            self.problems(fakes.server_entry()),
        )

    def trunk_entry(self, migration=None, **trunk):
        self.dst.add('port', id='dp101', name='vlan101', network_id='dnet1')
        spec = {
            'name': 'trunk1',
            'description': 'two vlans',
            'sub_ports': [
                {
                    'port_ref': fakes.ref('vlan101'),
                    'segmentation_type': 'vlan',
                    'segmentation_id': 101,
                }
            ],
        }
        spec.update(trunk)
        return fakes.server_entry(
            migration, ports=[fakes.port_entry(trunk=spec)]
        )

    def test_trunk_of_a_port(self):
        resolved, problems = self.check(self.trunk_entry())
        self.assertEqual([], problems)
        self.assertEqual(
            {
                'name': 'trunk1',
                'description': 'two vlans',
                'sub_ports': [
                    {
                        'port_id': 'dp101',
                        'segmentation_type': 'vlan',
                        'segmentation_id': 101,
                    }
                ],
            },
            resolved.ports[0].trunk,
        )
        # A trunk of nothing is still one.
        bare = fakes.server_entry(ports=[fakes.port_entry(trunk={})])
        self.assertEqual({}, self.check(bare)[0].ports[0].trunk)
        self.assertIsNone(self.check(fakes.server_entry())[0].ports[0].trunk)

    def test_trunk_subport_not_found(self):
        entry = self.trunk_entry(
            sub_ports=[
                {
                    'port_ref': fakes.ref('nope'),
                    'segmentation_type': 'vlan',
                    'segmentation_id': 101,
                }
            ]
        )
        self.assertEqual(
            [
                "ports[0]: trunk: sub_ports[0].port_ref: port 'nope' "
                "(project '%auth%') not found"
            ],
            self.problems(entry),
        )

    def test_trunk_subport_without_a_name(self):
        entry = self.trunk_entry(
            sub_ports=[
                {
                    'port_ref': None,
                    'segmentation_type': 'vlan',
                    'segmentation_id': 101,
                }
            ]
        )
        self.assertEqual(
            [
                'ports[0]: trunk: sub_ports[0].port_ref: a port without a '
                'name cannot be referenced: name the port in the source and '
                'export the ports and trunks again'
            ],
            self.problems(entry),
        )

    def test_trunk_with_port_creation_mode_nova(self):
        entry = self.trunk_entry({'port_creation_mode': 'nova'})
        self.assertEqual(
            [
                "ports[0]: a trunk's parent, but with port_creation_mode "
                'nova the port is made with the server, after which a trunk '
                'may not be put on it: use neutron'
            ],
            self.problems(entry),
        )

    def test_port_creation_mode_nova(self):
        resolved, problems = self.check(
            fakes.server_entry({'port_creation_mode': 'nova'})
        )
        self.assertEqual([], problems)
        self.assertEqual('nova', resolved.port_mode)
        self.assertEqual(
            'neutron', self.check(fakes.server_entry())[0].port_mode
        )

    def test_port_creation_mode_nova_keeps_one_fixed_ip(self):
        port = fakes.port_entry()
        port['params']['fixed_ips_refs'].append(
            {'ip_address': '10.0.0.6', 'subnet_ref': fakes.ref('sub')}
        )
        self.assertEqual(
            [
                'ports[0]: 2 fixed IPs, but port_creation_mode nova keeps one '
                'per port: use neutron'
            ],
            self.problems(
                fakes.server_entry(
                    {'port_creation_mode': 'nova'}, ports=[port]
                )
            ),
        )

    def test_ambiguous_network(self):
        self.dst.add('network', id='dnet2', name='net')
        self.assertEqual(
            [
                "ports[0]: network: network 'net' (project '%auth%') is "
                "ambiguous: 2 match (dnet1, dnet2)"
            ],
            self.problems(fakes.server_entry()),
        )

    def test_nova_mode_names_the_right_port(self):
        bad = fakes.port_entry(port_id='p-bad', network='nowhere')
        two = fakes.port_entry(port_id='p-b')
        two['params']['fixed_ips_refs'].append(
            {'ip_address': '10.0.0.6', 'subnet_ref': fakes.ref('sub')}
        )
        self.assertEqual(
            [
                "ports[0]: network: network 'nowhere' (project '%auth%') "
                'not found',
                'ports[1]: 2 fixed IPs, but port_creation_mode nova keeps '
                'one per port: use neutron',
            ],
            self.problems(
                fakes.server_entry(
                    {'port_creation_mode': 'nova'},
                    ports=[bad, two],
                    floating_ips=[],
                )
            ),
        )
