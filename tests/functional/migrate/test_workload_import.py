# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""``migrate workload import`` from ``src`` (RegionOne) to ``dst``
(RegionTwo), with conversion hosts on the development cloud's loopback
hosts and volume bytes compared in Cinder's backing files.

Two tests (the conversion hosts are deployed once per test); the first in
stages:

1. an image-booted server with two ports (fixed IP and MAC set), a
   floating IP, a server group, metadata, tags, a key and a data volume; a
   boot-from-volume server with an extra volume; an image-booted server
   with boot_disk_copy: imported with --parallel 2 and --report;
2. the same import again: nothing redone;
3. a server whose hand-edited metadata Nova refuses: the failure at server
   creation is reverted in the destination and the source server gets its
   volume back;
and the second: an import killed in the middle of a volume copy, then run
again, finishes with one destination volume holding the right bytes.
"""

import json
import os
import random
import signal
import subprocess
import time

import fixtures
import yaml

from tests.functional import base
from tests.functional.migrate import test_conversion_hosts
from tests.functional.migrate import test_volumes

MiB = test_volumes.MiB
GiB = test_volumes.GiB


def _known_bytes(path, chunks):
    """Write random chunks into a backing file; {offset: bytes}."""
    known = {offset: os.urandom(length) for offset, length in chunks}
    with open(path, 'r+b') as f:
        for offset, data in known.items():
            f.seek(offset)
            f.write(data)
    return known


class TestWorkloadImport(base.FunctionalTestCase):
    CLI_TIMEOUT = 1800

    def setUp(self):
        super().setUp()
        self.src = self.conn('src')
        self.dst = self.conn('dst')
        self.prefix = self.unique_name('osmwi')
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        self.image = self.src.image.find_image(
            base.IMAGE, ignore_missing=False
        )
        self.flavor = self.src.compute.find_flavor(
            base.FLAVOR, ignore_missing=False
        )
        self._prerequisites()
        self.addCleanup(self._purge)
        self._deploy_hosts()

    # -- set-up ---------------------------------------------------------------

    def _net(self, conn, name, cidr):
        net = conn.network.create_network(name=name)
        self.cleanup_resource(conn, 'network', net)
        subnet = conn.network.create_subnet(
            name=name, network_id=net.id, ip_version=4, cidr=cidr
        )
        self.cleanup_resource(conn, 'subnet', subnet)
        return net, subnet

    def _prerequisites(self):
        """The same-named network, subnet, security group and keypair on
        both sides (what the pre-workload import would have made), and a
        network per side for the conversion hosts."""
        p = self.prefix
        third = random.randint(0, 255)
        self.cidr = '172.%d.%d.0/24' % (random.randint(16, 31), third)
        self.nets, self.subnets, self.groups = {}, {}, {}
        for side, conn in (('src', self.src), ('dst', self.dst)):
            self.nets[side], self.subnets[side] = self._net(
                conn, p + '-net', self.cidr
            )
            group = conn.network.create_security_group(name=p + '-sg')
            self.cleanup_resource(conn, 'security_group', group)
            self.groups[side] = group
            key = conn.compute.create_keypair(name=p + '-key')
            self.cleanup_resource(conn, 'keypair', key.name)
            # Floating IPs need the subnet routed to the public network.
            public = conn.network.find_network(
                base.PUBLIC_NETWORK, ignore_missing=False
            )
            router = conn.network.create_router(
                name=p + '-router',
                external_gateway_info={'network_id': public.id},
            )
            self.cleanup_resource(conn, 'router', router)
            subnet = self.subnets[side]
            conn.network.add_interface_to_router(router, subnet_id=subnet.id)
            self.addCleanup(
                conn.network.remove_interface_from_router,
                router,
                subnet_id=subnet.id,
            )
        self._net(
            self.src,
            p + '-conv',
            '10.%d.%d.0/24' % (random.randint(100, 199), third),
        )
        self._net(
            self.dst,
            p + '-conv',
            '10.%d.%d.0/24' % (random.randint(200, 255), third),
        )

    def _deploy_hosts(self):
        self.openstack(
            *self._args('conversion', 'host', 'deploy'),
            '--name',
            self.prefix,
            '--image',
            test_conversion_hosts.LOOPBACK_IMAGE,
            '--flavor',
            base.FLAVOR,
            '--network',
            self.prefix + '-conv',
            '--no-floating-ip',
            '--allowed-cidr',
            test_conversion_hosts.migrator_address() + '/32',
        )
        self.addCleanup(
            self.openstack, *self._args('conversion', 'host', 'delete')
        )

    def _purge(self):
        """Delete what the imports made in the destination (and the
        source servers and volumes of the test), by name and network."""
        mine = self.prefix
        for conn in (self.src, self.dst):
            compute, block = conn.compute, conn.block_storage
            for server in list(compute.servers()):
                if server.name.startswith(mine):
                    compute.delete_server(server)
                    compute.wait_for_delete(server, wait=base.WAIT)
            net = conn.network.find_network(mine + '-net')
            if net is not None:
                ports = [
                    p
                    for p in conn.network.ports(network_id=net.id)
                    if not p.device_owner.startswith('network:')
                ]
                for fip in conn.network.ips():
                    if fip.port_id in [p.id for p in ports]:
                        conn.network.delete_ip(fip)
                for port in ports:
                    conn.network.delete_port(port)
            for volume in list(block.volumes()):
                if not (volume.name or '').startswith(mine):
                    continue
                if volume.status != 'available':
                    block.wait_for_status(
                        volume,
                        'available',
                        failures=['error'],
                        wait=base.WAIT,
                    )
                block.delete_volume(volume)
                block.wait_for_delete(volume, wait=base.WAIT)
            for group in compute.server_groups():
                if group.name.startswith(mine):
                    compute.delete_server_group(group)

    def _args(self, *verb):
        return [
            'migrate',
            *verb,
            '--data-dir',
            self.data_dir,
            '--src-cloud',
            'src',
            '--dst-cloud',
            'dst',
        ]

    # -- source workloads -------------------------------------------------

    def _wait_server(self, conn, server, status):
        return conn.compute.wait_for_server(
            server, status=status, failures=['ERROR'], wait=base.WAIT
        )

    def _volume(self, name, chunks, **kwargs):
        """A 1 GiB source volume with known random chunks."""
        block = self.src.block_storage
        volume = block.create_volume(
            name=name, size=1, volume_type=base.VOLUME_TYPE, **kwargs
        )
        volume = block.wait_for_status(
            volume, 'available', failures=['error'], wait=base.WAIT
        )
        known = _known_bytes(
            test_volumes.backing_file('r1', volume.id), chunks
        )
        return volume, known

    def _attach(self, server, volume):
        self.src.compute.create_volume_attachment(server, volume_id=volume.id)
        self.src.block_storage.wait_for_status(
            volume, 'in-use', failures=['error'], wait=base.WAIT
        )

    def _stop(self, server):
        self.src.compute.stop_server(server)
        return self._wait_server(self.src, server, 'SHUTOFF')

    def _seed_web(self):
        """Image-booted, two ports, a floating IP, a server group, metadata,
        tags, a key and a data volume."""
        c, p = self.src, self.prefix
        net, subnet = self.nets['src'], self.subnets['src']
        self.fixed_ip = self.cidr.rsplit('.', 1)[0] + '.50'
        self.mac = 'fa:16:3e:%02x:%02x:%02x' % tuple(os.urandom(3))
        port1 = c.network.create_port(
            network_id=net.id,
            fixed_ips=[{'subnet_id': subnet.id, 'ip_address': self.fixed_ip}],
            mac_address=self.mac,
            security_group_ids=[self.groups['src'].id],
            description='first port',
        )
        self.cleanup_resource(c, 'port', port1)
        group = c.compute.create_server_group(
            name=p + '-grp', policy='anti-affinity'
        )
        web = c.compute.create_server(
            name=p + '-web',
            image_id=self.image.id,
            flavor_id=self.flavor.id,
            networks=[{'port': port1.id}, {'uuid': net.id}],
            key_name=p + '-key',
            metadata={'role': 'web'},
            tags=['blue'],
            scheduler_hints={'group': group.id},
        )
        self.cleanup_resource(c, 'server', web)
        web = self._wait_server(c, web, 'ACTIVE')
        public = c.network.find_network(
            base.PUBLIC_NETWORK, ignore_missing=False
        )
        fip = c.network.create_ip(
            floating_network_id=public.id, port_id=port1.id
        )
        self.cleanup_resource(c, 'floating_ip', fip)
        data, known = self._volume(
            p + '-web-data', ((0, MiB), (512 * MiB, 2 * MiB))
        )
        self._attach(web, data)
        return self._stop(web), data, known

    def _seed_bfv(self):
        """Boot from volume, with an extra volume."""
        c, p = self.src, self.prefix
        boot = c.block_storage.create_volume(
            name=p + '-bfv-boot',
            size=1,
            image_id=self.image.id,
            volume_type=base.VOLUME_TYPE,
        )
        boot = c.block_storage.wait_for_status(
            boot, 'available', failures=['error'], wait=base.WAIT
        )
        boot_path = test_volumes.backing_file('r1', boot.id)
        boot_known = _known_bytes(boot_path, ((700 * MiB, MiB),))
        with open(boot_path, 'rb') as f:
            boot_known[0] = f.read(MiB)
        bfv = c.compute.create_server(
            name=p + '-bfv',
            flavor_id=self.flavor.id,
            networks=[{'uuid': self.nets['src'].id}],
            block_device_mapping=[
                {
                    'boot_index': 0,
                    'uuid': boot.id,
                    'source_type': 'volume',
                    'destination_type': 'volume',
                    'delete_on_termination': False,
                }
            ],
        )
        self.cleanup_resource(c, 'server', bfv)
        bfv = self._wait_server(c, bfv, 'ACTIVE')
        extra, known = self._volume(p + '-bfv-extra', ((GiB - MiB, MiB),))
        self._attach(bfv, extra)
        return self._stop(bfv), (boot, boot_known), (extra, known)

    def _seed_plain(self, name):
        c = self.src
        server = c.compute.create_server(
            name=self.prefix + '-' + name,
            image_id=self.image.id,
            flavor_id=self.flavor.id,
            networks=[{'uuid': self.nets['src'].id}],
        )
        self.cleanup_resource(c, 'server', server)
        return self._wait_server(c, server, 'ACTIVE')

    # -- running the commands ---------------------------------------------

    def _export(self, *names):
        self.openstack(
            'migrate',
            'workload',
            'export',
            '--src-cloud',
            'src',
            '--data-dir',
            self.data_dir,
            *[a for n in names for a in ('--name', self.prefix + '-' + n)],
        )

    def _edit(self, name, fn):
        path = os.path.join(self.data_dir, 'workloads.yml')
        with open(path) as f:
            data = yaml.safe_load(f)
        for entry in data['resources']:
            if entry['params']['name'] == self.prefix + '-' + name:
                fn(entry)
        with open(path, 'w') as f:
            yaml.safe_dump(data, f)

    def _import(self, *names, expect_fail=False, extra=()):
        args = [
            *self._args('workload', 'import'),
            *[a for n in names for a in ('--name', self.prefix + '-' + n)],
            *extra,
            '-f',
            'json',
        ]
        if expect_fail:
            result = self.openstack(*args, expect_fail=True)
            return result, json.loads(result.stdout)
        return self.openstack(*args)

    def _actions(self, rows):
        return sorted(
            (r['Name'][len(self.prefix) + 1 :], r['Action']) for r in rows
        )

    # -- checks -------------------------------------------------------------

    def _dst_server(self, name):
        [server] = [
            s
            for s in self.dst.compute.servers()
            if s.name == self.prefix + '-' + name
        ]
        return server

    def _dst_volumes(self):
        return {
            v.name: v
            for v in self.dst.block_storage.volumes()
            if (v.name or '').startswith(self.prefix)
        }

    def assertSameBytes(self, src_id, dst_id, known, whole=True):
        """The destination volume holds the known chunks and (``whole``)
        the bytes of the source's backing file."""
        src_path = test_volumes.backing_file('r1', src_id)
        dst_path = test_volumes.backing_file('r2', dst_id)
        with open(dst_path, 'rb') as f:
            for offset, data in known.items():
                f.seek(offset)
                self.assertEqual(data, f.read(len(data)))
        if not whole:
            return
        self.assertEqual(
            test_volumes._sha256(src_path), test_volumes._sha256(dst_path)
        )

    def _attached_to(self, conn, server_id):
        return sorted(
            a.volume_id for a in conn.compute.volume_attachments(server_id)
        )

    # -- the test -----------------------------------------------------------

    def test_import_rerun_revert(self):
        web, web_data, web_known = self._seed_web()
        bfv, (boot, boot_known), (extra, extra_known) = self._seed_bfv()
        copy = self._stop(self._seed_plain('copy'))
        self._export('web', 'bfv', 'copy')
        self._edit(
            'copy',
            lambda e: e['_migration_params'].update(boot_disk_copy=True),
        )

        # 1. Import three servers, two at a time.
        report_path = os.path.join(self.data_dir, 'report.json')
        rows = self._import(
            'web',
            'bfv',
            'copy',
            extra=('--parallel', '2', '--report', report_path),
        )
        self.assertEqual(
            [('bfv', 'created'), ('copy', 'created'), ('web', 'created')],
            self._actions(rows),
        )
        volumes = self._dst_volumes()

        # The image-booted server: ports with IP and MAC kept, its floating
        # IP, group, metadata, tags, key and the data volume's bytes.
        dst_web = self._dst_server('web')
        self.assertEqual('ACTIVE', dst_web.status)
        self.assertEqual(
            self.dst.image.find_image(base.IMAGE, ignore_missing=False).id,
            dst_web.image.id,
        )
        self.assertEqual({'role': 'web'}, dst_web.metadata)
        self.assertEqual(['blue'], dst_web.tags)
        self.assertEqual(self.prefix + '-key', dst_web.key_name)
        ports = list(self.dst.network.ports(device_id=dst_web.id))
        self.assertEqual(2, len(ports))
        [port1] = [p for p in ports if p.mac_address == self.mac]
        self.assertEqual(
            [self.fixed_ip], [f['ip_address'] for f in port1.fixed_ips]
        )
        self.assertEqual([self.groups['dst'].id], port1.security_group_ids)
        self.assertEqual('first port', port1.description)
        [fip] = [f for f in self.dst.network.ips() if f.port_id == port1.id]
        self.assertEqual(self.fixed_ip, fip.fixed_ip_address)
        [group] = [
            g
            for g in self.dst.compute.server_groups()
            if g.name == self.prefix + '-grp'
        ]
        self.assertEqual([dst_web.id], group.member_ids)
        self.assertEqual('anti-affinity', group.policy)
        dst_data = volumes[self.prefix + '-web-data']
        self.assertEqual(
            [dst_data.id], self._attached_to(self.dst, dst_web.id)
        )
        self.assertSameBytes(web_data.id, dst_data.id, web_known)

        # The boot-from-volume server and its extra volume.
        dst_bfv = self._dst_server('bfv')
        self.assertEqual('ACTIVE', dst_bfv.status)
        dst_boot = volumes[self.prefix + '-bfv-boot']
        dst_extra = volumes[self.prefix + '-bfv-extra']
        self.assertTrue(dst_boot.is_bootable)
        self.assertEqual(
            sorted([dst_boot.id, dst_extra.id]),
            self._attached_to(self.dst, dst_bfv.id),
        )
        # (The source's boot volume was snapshotted: Cinder's NFS driver
        # moved its bytes into another file; the chunks were read before.)
        self.assertSameBytes(boot.id, dst_boot.id, boot_known, whole=False)
        self.assertSameBytes(extra.id, dst_extra.id, extra_known)

        # boot_disk_copy: the image-booted disk became a boot volume.
        dst_copy = self._dst_server('copy')
        self.assertEqual('ACTIVE', dst_copy.status)
        copy_boot = volumes[self.prefix + '-copy']
        self.assertTrue(copy_boot.is_bootable)
        self.assertEqual(
            [copy_boot.id], self._attached_to(self.dst, dst_copy.id)
        )

        # The sources are as they were: stopped, their volumes attached,
        # no temporary snapshot, volume or image left.
        for server, attached in (
            (web, [web_data.id]),
            (bfv, sorted([boot.id, extra.id])),
            (copy, []),
        ):
            self.assertEqual(
                'SHUTOFF', self.src.compute.get_server(server.id).status
            )
            self.assertEqual(attached, self._attached_to(self.src, server.id))
        # (this test's: other tests' sync passes make theirs meanwhile)
        ours = [self.prefix] + [
            o.id for o in (web, bfv, copy, web_data, boot, extra)
        ]
        self.assertEqual(
            [],
            [
                v.name
                for v in self.src.block_storage.volumes()
                if (v.name or '').startswith('os-migrate-')
                and any(x in v.name for x in ours)
            ],
        )
        self.assertEqual(
            [], list(self.src.block_storage.snapshots(volume_id=boot.id))
        )

        # The report: per server, its steps and each volume's hash.
        with open(report_path) as f:
            report = json.load(f)
        by_name = {s['name']: s for s in report['servers']}
        web_report = by_name[self.prefix + '-web']
        self.assertEqual(dst_web.id, web_report['dest_id'])
        self.assertEqual(
            {
                'stop',
                'volume:' + web_data.id,
                'server_group',
                'ports',
                'server',
                'floating_ips',
            },
            set(web_report['steps']),
        )
        [copied] = web_report['volumes']
        self.assertEqual(dst_data.id, copied['dest_id'])
        self.assertEqual(GiB, copied['bytes'])
        self.assertEqual('xxh128', copied['algo'])

        # 2. Again: nothing redone.
        rows = self._import('web', 'bfv', 'copy')
        self.assertEqual(
            [
                ('bfv', 'unchanged'),
                ('copy', 'unchanged'),
                ('web', 'unchanged'),
            ],
            self._actions(rows),
        )
        self.assertEqual(
            sorted(v.id for v in volumes.values()),
            sorted(v.id for v in self._dst_volumes().values()),
        )
        status = self.openstack(
            'migrate',
            'workload',
            'status',
            '--data-dir',
            self.data_dir,
            '-f',
            'json',
        )
        self.assertEqual(
            {dst_bfv.id: 'done', dst_copy.id: 'done', dst_web.id: 'done'},
            {r['Destination ID']: r['Phase'] for r in status},
        )

        # 3. The destination server deleted by hand: imported again, its
        # ports (MAC, fixed IP) found again and used, its earlier volume
        # kept and named, the data copied anew.
        self.dst.compute.delete_server(dst_web.id)
        self.dst.compute.wait_for_delete(dst_web, wait=base.WAIT)
        self.dst.block_storage.wait_for_status(
            dst_data, 'available', wait=base.WAIT
        )
        [row] = self._import('web')
        self.assertEqual(
            (
                'created',
                'volumes of an earlier import kept in the destination: %s'
                % dst_data.id,
            ),
            (row['Action'], row['Detail']),
        )
        again = self._dst_server('web')
        self.assertNotEqual(dst_web.id, again.id)
        self.assertEqual(
            sorted(p.id for p in ports),
            sorted(p.id for p in self.dst.network.ports(device_id=again.id)),
        )
        [new_data] = [
            v
            for v in self.dst.block_storage.volumes()
            if v.name == self.prefix + '-web-data' and v.id != dst_data.id
        ]
        self.assertEqual([new_data.id], self._attached_to(self.dst, again.id))
        self.assertEqual(
            'available', self.dst.block_storage.get_volume(dst_data.id).status
        )
        self.assertSameBytes(web_data.id, new_data.id, web_known)

        # 4. Nova refuses the server: the destination is cleaned, the
        # source server gets its volume back.
        bad = self._seed_plain('bad')
        bad_data, _ = self._volume(self.prefix + '-bad-data', ((0, MiB),))
        self._attach(bad, bad_data)
        bad = self._stop(bad)
        self._export('bad')
        self._edit(
            'bad', lambda e: e['params'].update(metadata={'k': 'x' * 300})
        )
        result, rows = self._import('bad', expect_fail=True)
        [row] = rows
        self.assertEqual('failed', row['Action'])
        self.assertTrue(
            row['Detail'].startswith('step server: '), row['Detail']
        )
        self.assertIn("%s-bad'" % self.prefix, result.stderr)
        self.assertNotIn(self.prefix + '-bad-data', self._dst_volumes())
        self.assertEqual(
            [],
            [
                s.name
                for s in self.dst.compute.servers()
                if s.name == self.prefix + '-bad'
            ],
        )
        # No port left behind: every port of the network is a server's.
        self.assertEqual(
            [],
            [
                p.id
                for p in self.dst.network.ports(network_id=self.nets['dst'].id)
                if not p.device_owner
            ],
        )
        self.assertEqual([bad_data.id], self._attached_to(self.src, bad.id))
        self.assertEqual('SHUTOFF', self.src.compute.get_server(bad.id).status)
        status = self.openstack(
            'migrate',
            'workload',
            'status',
            '--data-dir',
            self.data_dir,
            '--name',
            self.prefix + '-bad',
            '-f',
            'json',
        )
        self.assertEqual(
            [('failed', 'server')],
            [(r['Phase'], r['Step']) for r in status],
        )

    def test_killed_mid_copy_then_resumed(self):
        """An import killed in the middle of a volume copy, then run
        again: it finishes, with one destination volume holding the right
        bytes and nothing left attached to the conversion hosts."""
        kill = self._seed_plain('kill')
        kill_data, kill_known = self._volume(
            self.prefix + '-kill-data', ((0, 64 * MiB), (GiB - MiB, MiB))
        )
        self._attach(kill, kill_data)
        kill = self._stop(kill)
        self._export('kill')
        argv = [
            self.openstack_cli,
            *self._args('workload', 'import'),
            '--name',
            self.prefix + '-kill',
        ]
        journal = os.path.join(
            self.data_dir, 'workload_logs', '%s.yml' % kill.id
        )
        proc = subprocess.Popen(
            argv,
            env=self.cli_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        step = 'volume:' + kill_data.id
        deadline = time.monotonic() + base.WAIT
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with open(journal) as f:
                    record = (yaml.safe_load(f) or {}).get('steps', {})
            except (OSError, yaml.YAMLError):
                record = {}
            if len(record.get(step, {}).get('attached') or []) == 2:
                break
            time.sleep(0.05)
        self.assertIsNone(proc.poll(), 'the import ended before the copy')
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        rows = self._import('kill')
        self.assertEqual([('kill', 'created')], self._actions(rows))
        [kill_copy] = [
            v
            for v in self.dst.block_storage.volumes()
            if v.name == self.prefix + '-kill-data'
        ]
        self.assertSameBytes(kill_data.id, kill_copy.id, kill_known)
        self.assertEqual(
            [kill_copy.id],
            self._attached_to(self.dst, self._dst_server('kill').id),
        )
        self.assertEqual([kill_data.id], self._attached_to(self.src, kill.id))
        hosts = yaml.safe_load(
            open(os.path.join(self.data_dir, 'conversion', 'hosts.yml'))
        )['hosts']
        self.assertEqual(
            [], self._attached_to(self.src, hosts['src']['server_id'])
        )
        self.assertEqual(
            [], self._attached_to(self.dst, hosts['dst']['server_id'])
        )
