# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""``migrate workload import`` of a server whose port is a trunk's parent,
from ``src`` (RegionOne) to ``dst`` (RegionTwo): the subports' ports go
with ``export all`` / ``import all`` (the ``port`` type), the trunk with
the server's port, made on the destination port before the server.

The server has no volume and boots from an image: no conversion host is
needed.
"""

import json
import os

import yaml

from tests.functional import base
from tests.functional.migrate import test_network_resources as netres
from tests.functional.migrate import test_network_trunks


def vlan(port_id, seg):
    return {
        'port_id': port_id,
        'segmentation_type': 'vlan',
        'segmentation_id': seg,
    }


class TestWorkloadTrunks(netres.MigrateTestCase):
    CLI_TIMEOUT = 1200

    def setUp(self):
        super().setUp()
        # (after the servers are gone, before the networks' purge)
        for cloud in ('src', 'dst'):
            self.addCleanup(
                test_network_trunks.purge_trunks,
                self.conn(cloud),
                self.conn(cloud + '-admin'),
                self.prefix,
            )
            self.addCleanup(self._delete_servers, self.conn(cloud))

    def _delete_servers(self, conn):
        for server in list(conn.compute.servers()):
            if server.name.startswith(self.prefix):
                conn.compute.delete_server(server)
                conn.compute.wait_for_delete(server, wait=base.WAIT)

    def _workload(self, verb, *args, expect_fail=False):
        result = self.openstack(
            'migrate',
            'workload',
            verb,
            '--data-dir',
            self.data_dir,
            '--src-cloud',
            'src',
            *(('--dst-cloud', 'dst') if verb == 'import' else ()),
            '--name',
            self.prefix + '-vm',
            *args,
            expect_fail=expect_fail,
        )
        if expect_fail:
            return json.loads(result.stdout)
        return result

    def _edit_workload(self, fn):
        path = os.path.join(self.data_dir, 'workloads.yml')
        with open(path) as f:
            data = yaml.safe_load(f)
        [entry] = data['resources']
        fn(entry)
        with open(path, 'w') as f:
            yaml.safe_dump(data, f)

    def _src_server(self):
        """A stopped server whose port is the parent of a trunk with two
        VLAN subports."""
        conn, p = self.conn('src'), self.prefix
        net = conn.network
        network = net.create_network(name=p + '-net')
        net.create_subnet(
            name=p + '-sub',
            network_id=network.id,
            ip_version=4,
            cidr='10.79.0.0/24',
        )
        parent, sub1, sub2 = (
            net.create_port(network_id=network.id, name=p + n)
            for n in ('-parent', '-sub1', '-sub2')
        )
        net.create_trunk(
            name=p + '-trunk',
            description='two vlans',
            port_id=parent.id,
            sub_ports=[vlan(sub1.id, 101), vlan(sub2.id, 102)],
        )
        image = conn.image.find_image(base.IMAGE, ignore_missing=False)
        flavor = conn.compute.find_flavor(base.FLAVOR, ignore_missing=False)
        server = conn.compute.create_server(
            name=p + '-vm',
            image_id=image.id,
            flavor_id=flavor.id,
            networks=[{'port': parent.id}],
        )
        server = conn.compute.wait_for_server(
            server, status='ACTIVE', failures=['ERROR'], wait=base.WAIT
        )
        conn.compute.stop_server(server)
        conn.compute.wait_for_server(
            server, status='SHUTOFF', failures=['ERROR'], wait=base.WAIT
        )
        return server

    def _dst_server(self):
        conn = self.conn('dst')
        found = [
            s for s in conn.compute.servers() if s.name == self.prefix + '-vm'
        ]
        return found[0] if found else None

    def _dst_trunks(self):
        got = test_network_trunks.trunks_of(self.conn('dst'), self.prefix)
        return {k: v[:5] for k, v in got.items()}

    def test_trunk_of_a_server_port(self):
        p = self.prefix
        self._src_server()

        # The pre-workload export takes the subports' ports, not the trunk
        # (a server's port's: the workload's).
        exported = {r['Type']: r['Exported'] for r in self.export_all()}
        self.assertEqual(0, exported['network trunk'])
        self.assertEqual(
            {p + '-sub1', p + '-sub2'},
            {e['params']['name'] for e in self.load('ports.yml')['resources']},
        )
        self.import_()

        self._workload('export')
        [entry] = self.load('workloads.yml')['resources']
        [port] = entry['params']['ports']
        ref = lambda n: {  # noqa: E731
            'name': p + n,
            'project_name': '%auth%',
            'domain_name': '%auth%',
        }
        self.assertEqual(
            {
                'name': p + '-trunk',
                'description': 'two vlans',
                'sub_ports': [
                    {
                        'port_ref': ref('-sub1'),
                        'segmentation_type': 'vlan',
                        'segmentation_id': 101,
                    },
                    {
                        'port_ref': ref('-sub2'),
                        'segmentation_type': 'vlan',
                        'segmentation_id': 102,
                    },
                ],
            },
            port['params']['trunk'],
        )

        # A subport the destination lacks: blocked by the pre-flight,
        # nothing made.
        def missing(e):
            trunk = e['params']['ports'][0]['params']['trunk']
            trunk['sub_ports'][1]['port_ref']['name'] = p + '-nope'

        self._edit_workload(missing)
        [row] = self._workload('import', '-f', 'json', expect_fail=True)
        self.assertEqual(
            (
                'blocked',
                "ports[0]: trunk: sub_ports[1].port_ref: port '%s-nope' "
                "(project '%%auth%%') not found" % p,
            ),
            (row['Action'], row['Detail']),
        )
        self.assertIsNone(self._dst_server())
        self.assertEqual({}, self._dst_trunks())

        # Nova refuses the server: the trunk made on the port is reverted
        # with the port.
        def fixed(e):
            trunk = e['params']['ports'][0]['params']['trunk']
            trunk['sub_ports'][1]['port_ref']['name'] = p + '-sub2'

        self._edit_workload(fixed)
        self._edit_workload(
            lambda e: e['params'].update(metadata={'k': 'x' * 300})
        )
        [row] = self._workload('import', '-f', 'json', expect_fail=True)
        self.assertEqual('failed', row['Action'])
        self.assertTrue(
            row['Detail'].startswith('step server: '), row['Detail']
        )
        self.assertEqual({}, self._dst_trunks())
        dst = self.conn('dst')
        self.assertEqual(
            {p + '-sub1', p + '-sub2'},
            {
                x.name
                for x in dst.network.ports(project_id=dst.current_project_id)
                if (x.name or '').startswith(p)
            },
        )

        self._edit_workload(lambda e: e['params'].update(metadata={}))
        [row] = self._workload('import', '-f', 'json')
        self.assertEqual('created', row['Action'], row)
        server = self._dst_server()
        [dst_port] = dst.network.ports(device_id=server.id)
        self.assertEqual(
            {
                p + '-trunk': (
                    'two vlans',
                    True,
                    [],
                    dst_port.name,
                    [(p + '-sub1', 'vlan', 101), (p + '-sub2', 'vlan', 102)],
                )
            },
            self._dst_trunks(),
        )
        [trunk] = [
            t
            for t in dst.network.trunks(project_id=dst.current_project_id)
            if t.name == p + '-trunk'
        ]
        self.assertEqual(dst_port.id, trunk.port_id)
        self.assertEqual(
            trunk.id,
            dst.network.get_port(dst_port.id).trunk_details['trunk_id'],
        )

        # Again: nothing redone, the same trunk.
        [row] = self._workload('import', '-f', 'json')
        self.assertEqual('unchanged', row['Action'], row)
        self.assertEqual(
            [trunk.id],
            [
                t.id
                for t in dst.network.trunks(project_id=dst.current_project_id)
                if t.name == p + '-trunk'
            ],
        )
