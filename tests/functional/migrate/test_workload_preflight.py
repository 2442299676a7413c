# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""The workload pre-flight against the development cloud: a fixed IP that
cannot be kept in the destination subnet blocks the server, and nothing
is made."""

import json
import os
import random

import fixtures
import yaml

from tests.functional import base


class TestFixedIPPreflight(base.FunctionalTestCase):
    def setUp(self):
        super().setUp()
        self.prefix = self.unique_name('osmpre')
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        self.src = self.conn('src')
        self.dst = self.conn('dst')
        third = random.randint(0, 255)
        self.cidr = '10.%d.%d.0/24' % (random.randint(100, 199), third)
        # The same network and subnet on both sides, as the pre-workload
        # import makes them (no DHCP: no port of its own comes and goes).
        self.nets, self.subnets = {}, {}
        for side, conn in (('src', self.src), ('dst', self.dst)):
            net = conn.network.create_network(name=self.prefix + '-net')
            self.cleanup_resource(conn, 'network', net)
            subnet = conn.network.create_subnet(
                name=self.prefix + '-sub',
                network_id=net.id,
                ip_version=4,
                cidr=self.cidr,
                is_dhcp_enabled=False,
            )
            self.cleanup_resource(conn, 'subnet', subnet)
            self.nets[side], self.subnets[side] = net, subnet
        # Two ports: one whose address a destination port holds, one whose
        # address the data file moves out of the subnet.
        self.addresses = [self.cidr.replace('0/24', n) for n in ('10', '11')]
        self.port_ids = []
        for address in self.addresses:
            port = self.src.network.create_port(
                network_id=self.nets['src'].id,
                fixed_ips=[
                    {
                        'subnet_id': self.subnets['src'].id,
                        'ip_address': address,
                    }
                ],
            )
            self.cleanup_resource(self.src, 'port', port)
            self.port_ids.append(port.id)
        vm = self.src.compute.create_server(
            name=self.prefix + '-vm',
            image_id=self.src.image.find_image(
                base.IMAGE, ignore_missing=False
            ).id,
            flavor_id=self.src.compute.find_flavor(
                base.FLAVOR, ignore_missing=False
            ).id,
            networks=[{'port': p} for p in self.port_ids],
        )
        self.cleanup_resource(self.src, 'server', vm)
        self.src.compute.wait_for_server(vm, wait=base.WAIT)

    def migrate(self, *args, **kwargs):
        return self.openstack(
            'migrate',
            'workload',
            *args,
            '--data-dir',
            self.data_dir,
            '--name',
            self.prefix + '-vm',
            **kwargs,
        )

    def dst_ports(self):
        return sorted(
            p.id
            for p in self.dst.network.ports(network_id=self.nets['dst'].id)
        )

    def test_fixed_ips_that_cannot_be_kept(self):
        self.migrate('export', '--src-cloud', 'src')
        # A port of the destination that is not the server's holds the
        # first port's address; the file moves the second's out of the
        # subnet.
        other = self.dst.network.create_port(
            network_id=self.nets['dst'].id,
            fixed_ips=[
                {
                    'subnet_id': self.subnets['dst'].id,
                    'ip_address': self.addresses[0],
                }
            ],
        )
        self.cleanup_resource(self.dst, 'port', other)
        path = os.path.join(self.data_dir, 'workloads.yml')
        with open(path) as f:
            data = yaml.safe_load(f)
        [entry] = data['resources']
        index = {
            p['_info']['id']: i for i, p in enumerate(entry['params']['ports'])
        }
        moved = entry['params']['ports'][index[self.port_ids[1]]]
        moved['params']['fixed_ips_refs'][0]['ip_address'] = '192.0.2.11'
        with open(path, 'w') as f:
            yaml.safe_dump(data, f)
        before = self.dst_ports()

        result = self.migrate(
            'import',
            '--src-cloud',
            'src',
            '--dst-cloud',
            'dst',
            '--stop',
            '--dry-run',
            '-f',
            'json',
            expect_fail=True,
        )
        self.assertEqual(1, result.returncode, result.stderr)
        [row] = json.loads(result.stdout)
        self.assertEqual('blocked', row['Action'])
        subnet = "subnet '%s-sub' (%s)" % (self.prefix, self.cidr)
        problems = {
            index[self.port_ids[0]]: 'fixed IP %s of %s is in use in the '
            "destination by port %s, not this server's"
            % (self.addresses[0], subnet, other.id),
            index[self.port_ids[1]]: 'fixed IP 192.0.2.11 is not in %s of '
            'the destination' % subnet,
        }
        self.assertEqual(
            '; '.join(
                'ports[%d] (port %s): fixed_ips: %s'
                % (i, entry['params']['ports'][i]['_info']['id'], problems[i])
                for i in sorted(problems)
            ),
            row['Detail'],
        )
        # The log names the data file and the server.
        self.assertIn(
            "%s: openstack.compute.Server '%s-vm': blocked: %s"
            % (path, self.prefix, row['Detail']),
            result.stderr,
        )
        # Nothing was made in the destination; the source server runs.
        self.assertEqual(before, self.dst_ports())
        self.assertEqual(
            [],
            [
                s.name
                for s in self.dst.compute.servers()
                if s.name.startswith(self.prefix)
            ],
        )
        self.assertEqual(
            'ACTIVE',
            self.src.compute.find_server(
                self.prefix + '-vm', ignore_missing=False
            ).status,
        )
