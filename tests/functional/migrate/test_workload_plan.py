# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""``migrate workload plan`` against the development cloud: the pre-flight's
verdict, the bytes and the estimate per server, and nothing made."""

import json
import uuid

import fixtures

from tests.functional import base


class TestWorkloadPlan(base.FunctionalTestCase):
    def setUp(self):
        super().setUp()
        self.prefix = self.unique_name('osmplan')
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        self.src = self.conn('src')
        self.dst = self.conn('dst')
        c, p = self.src, self.prefix
        net = c.network.create_network(name=p + '-net')
        self.cleanup_resource(c, 'network', net)
        subnet = c.network.create_subnet(
            name=p + '-sub',
            network_id=net.id,
            ip_version=4,
            cidr='10.%d.7.0/24' % (100 + uuid.uuid4().int % 100),
        )
        self.cleanup_resource(c, 'subnet', subnet)
        image = c.image.find_image(base.IMAGE, ignore_missing=False)
        flavor = c.compute.find_flavor(base.FLAVOR, ignore_missing=False)
        self.flavor_disk = flavor.disk
        vm = c.compute.create_server(
            name=p + '-vm',
            image_id=image.id,
            flavor_id=flavor.id,
            networks=[{'uuid': net.id}],
        )
        self.cleanup_resource(c, 'server', vm)
        bfv = c.compute.create_server(
            name=p + '-bfv',
            flavor_id=flavor.id,
            networks=[{'uuid': net.id}],
            block_device_mapping=[
                {
                    'boot_index': 0,
                    'uuid': image.id,
                    'source_type': 'image',
                    'destination_type': 'volume',
                    'volume_size': 2,
                    'delete_on_termination': True,
                }
            ],
        )
        self.cleanup_resource(c, 'server', bfv)
        self.vm = c.compute.wait_for_server(vm, wait=base.WAIT)
        self.bfv = c.compute.wait_for_server(bfv, wait=base.WAIT)

    def migrate(self, *args, **kwargs):
        return self.openstack(
            'migrate', *args, '--data-dir', self.data_dir, **kwargs
        )

    def test_plan(self):
        self.migrate(
            'workload',
            'export',
            '--src-cloud',
            'src',
            '--name-regex',
            '^%s-' % self.prefix,
            '--boot-disk-copy',
        )
        args = ('workload', 'plan', '--src-cloud', 'src', '--dst-cloud')
        # No networks in the destination, no conversion hosts, running
        # servers: both blocked, every problem said, and the command fails.
        result = self.migrate(
            *args, 'dst', '--throughput', '64', '-f', 'json', expect_fail=True
        )
        self.assertEqual(1, result.returncode)
        rows = {r['Name']: r for r in json.loads(result.stdout)}
        self.assertEqual(
            {self.prefix + '-vm', self.prefix + '-bfv'}, set(rows)
        )
        vm, bfv = rows[self.prefix + '-vm'], rows[self.prefix + '-bfv']
        # The image-booted server's root disk (boot_disk_copy): the
        # flavor's disk; the other, its 2 GiB boot volume.
        self.assertEqual(
            (1, float(self.flavor_disk), 16 * self.flavor_disk),
            (vm['Volumes'], vm['Size GiB'], vm['Copy Seconds']),
        )
        self.assertEqual(
            (1, 2.0, 32),
            (bfv['Volumes'], bfv['Size GiB'], bfv['Copy Seconds']),
        )
        for row in (vm, bfv):
            self.assertEqual('blocked', row['Action'])
            self.assertIn(
                "ports[0]: network: network '%s-net' (project '%%auth%%') "
                'not found' % self.prefix,
                row['Detail'],
            )
            self.assertIn(
                'the source server is ACTIVE, not SHUTOFF (stop it, or give '
                '--stop)',
                row['Detail'],
            )
            self.assertIn(
                'volumes: no src or dst conversion host: run "openstack '
                'migrate conversion host deploy" first',
                row['Detail'],
            )
        self.assertIn(
            '0 server(s) to import, 0 volume(s), 0.0 GiB', result.stderr
        )

        # With --stop the state is no problem; no copy time is known
        # without --throughput in a data dir that imported nothing.
        result = self.migrate(*args, 'dst', '--stop', expect_fail=True)
        self.assertNotIn('not SHUTOFF', result.stdout)
        self.assertIn(
            'no copy time known: give --throughput, or import a few '
            'servers first',
            result.stderr,
        )

        # Nothing was made in the destination.
        self.assertEqual(
            [],
            [
                s.name
                for s in self.dst.compute.servers()
                if s.name.startswith(self.prefix)
            ],
        )
        self.assertEqual(
            [],
            [
                v.name
                for v in self.dst.block_storage.volumes()
                if (v.name or '').startswith(self.prefix)
            ],
        )

    def test_unknown_cloud(self):
        result = self.migrate(
            'workload',
            'plan',
            '--src-cloud',
            'src',
            '--dst-cloud',
            'no-such-cloud',
            expect_fail=True,
        )
        self.assertIn('no-such-cloud', result.stderr)
