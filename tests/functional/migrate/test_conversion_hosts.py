# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Conversion hosts on the development cloud's loopback hosts, and a
detached volume copied through them (``import volume`` default method).

``conversion host deploy`` in both regions (src: RegionOne on a 10.1xx
subnet, dst: RegionTwo on a 10.2xx subnet, SSH admitted from the migrator's
address only), ``list`` shows both ready, a 1 GiB sparse volume with known
bytes is migrated and compared byte for byte, a re-run changes nothing,
and ``delete`` leaves no server, keypair or security group.

The data directory's path holds ``%d`` and ``%h``, which ssh would expand;
a rule added by hand to a host's security group is gone after the next
deploy; the link key works for the copy only, from the destination host
only, and comes off the source host when the destination host is deleted.

A pool of two pairs (``--count 2``): four hosts ready, each pair linked by
its own key, a second deploy changes nothing, a smaller ``--count`` is
refused, ``delete --host`` removes one pair, and ``delete`` the rest,
leaving no server, port, keypair or security group in either region.
``list`` counts a volume attached to a host as its copy, and not once
detached.  Four volumes imported at ``--parallel 4`` through a pool of two
pairs use both pairs, in the volumes' availability zone, and arrive byte
for byte; once ``hosts.yml`` says pair 1 is in another zone, a copy takes
pair 2.  With the sshd of pair 1's source
host stopped, three volumes imported at ``--parallel 2`` all arrive byte
for byte: the host leaves the pool, named in the log of the volume whose
copy it failed, and that copy is finished on pair 2.
"""

import os
import random
import re
import signal
import subprocess
import time

import fixtures

from osmigrateclient.transfer import conversion_host
from osmigrateclient.transfer import host_pool
from osmigrateclient.transfer import host_scripts
from osmigrateclient.transfer import ssh
from tests.functional import base
from tests.functional.migrate import test_volumes

LOOPBACK_IMAGE = 'devcloud-loopback'
MiB = test_volumes.MiB
GiB = test_volumes.GiB
#: (offset, length) of the random bytes written into the source volume
CHUNKS = ((0, 2 * MiB), (300 * MiB, MiB), (GiB - MiB, MiB))


def migrator_address():
    """The address the migrator reaches loopback hosts from (on dcbr0)."""
    out = subprocess.run(
        ['ip', '-4', '-o', 'addr', 'show', 'dev', 'dcbr0'],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return out[out.index('inet') + 1].split('/')[0]


def random_cidr(second_octets):
    """A random 10.x.y.0/24 with x in ``second_octets`` (both ends in)."""
    return '10.%d.%d.0/24' % (
        random.randint(*second_octets),
        random.randint(0, 255),
    )


class TestConversionHosts(base.FunctionalTestCase):
    def setUp(self):
        super().setUp()
        self.src = self.conn('src')
        self.dst = self.conn('dst')
        for conn in (self.src, self.dst):
            if conn.image.find_image(LOOPBACK_IMAGE) is None:
                self.fail(
                    'no %s image: run tools/devcloud/devcloud start'
                    % LOOPBACK_IMAGE
                )
        # ssh expands %d and %h in file options: they must reach it escaped
        self.data_dir = os.path.join(
            self.useFixture(fixtures.TempDir()).path, 'data%d%h'
        )
        os.mkdir(self.data_dir, 0o700)
        self.prefix = self.unique_name('osm-conv')
        self.net_name = self.prefix + '-net'
        self._network(self.src, (100, 199))
        self._network(self.dst, (200, 255))
        self.addCleanup(self._purge_volumes)
        # Registered after the networks: runs before they are deleted.
        self.addCleanup(self._delete_hosts)

    def _network(self, conn, second_octets):
        net = conn.network.create_network(name=self.net_name)
        self.cleanup_resource(conn, 'network', net)
        subnet = conn.network.create_subnet(
            name=self.net_name,
            network_id=net.id,
            ip_version=4,
            cidr=random_cidr(second_octets),
        )
        self.cleanup_resource(conn, 'subnet', subnet)

    def _delete_hosts(self):
        self.openstack(*self._args('conversion', 'host', 'delete'))

    def _purge_volumes(self):
        for conn in (self.src, self.dst):
            for volume in conn.block_storage.volumes():
                if (volume.name or '').startswith(self.prefix):
                    conn.block_storage.delete_volume(volume)
                    conn.block_storage.wait_for_delete(volume, wait=base.WAIT)

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

    def _left(self):
        """Servers, keypairs and security groups named after the test."""
        left = []
        for conn in (self.src, self.dst):
            left += [s.name for s in conn.compute.servers()]
            left += [k.name for k in conn.compute.keypairs()]
            left += [
                g.name
                for g in conn.network.security_groups(
                    project_id=conn.current_project_id
                )
            ]
        return sorted(n for n in left if n.startswith(self.prefix))

    def _export_volumes(self, select):
        self.openstack(
            'migrate',
            'export',
            'volume',
            '--data-dir',
            self.data_dir,
            '--src-cloud',
            'src',
            *select,
            '-f',
            'json',
        )

    def _on(self, side, command, check=True):
        """Run ``command`` on the conversion host of ``side``."""
        record = conversion_host.load_hosts(self.data_dir)[side]
        host = conversion_host.ssh_host(self.data_dir, record)
        return ssh.run(ssh.Runner(), host, command, timeout=60, check=check)

    def _link_lines(self):
        """The source host's authorized_keys lines of the link key."""
        with open(ssh.link_key_path(self.data_dir) + '.pub') as f:
            key = f.read().split()[1]
        keys = self._on('src', 'cat ~/.ssh/authorized_keys').stdout
        return [line for line in keys.splitlines() if key in line]

    def _ingress(self, group_id):
        return sorted(
            r.remote_ip_prefix
            for r in self.src.network.security_group_rules(
                security_group_id=group_id, direction='ingress'
            )
        )

    def _deploy(self, *extra, expect_fail=False):
        return self.openstack(
            *self._args('conversion', 'host', 'deploy'),
            '--name',
            self.prefix,
            '--image',
            LOOPBACK_IMAGE,
            '--flavor',
            base.FLAVOR,
            '--network',
            self.net_name,
            '--no-floating-ip',
            '--allowed-cidr',
            migrator_address() + '/32',
            *extra,
            '-f',
            'json',
            expect_fail=expect_fail,
        )

    def test_deploy_migrate_delete(self):
        cidr = migrator_address() + '/32'
        deployed = self._deploy()
        self.assertEqual(
            [
                ('src', self.prefix + '-src', 'ACTIVE', 'yes'),
                ('dst', self.prefix + '-dst', 'ACTIVE', 'yes'),
            ],
            [
                (r['Side'], r['Name'], r['Status'], r['Ready'])
                for r in deployed
            ],
        )
        key = os.path.join(self.data_dir, 'conversion', 'ssh.key')
        self.assertEqual(0o600, os.stat(key).st_mode & 0o777)
        hosts_yml = os.path.join(self.data_dir, 'conversion', 'hosts.yml')
        self.assertEqual(0o600, os.stat(hosts_yml).st_mode & 0o777)

        # Only the migrator's address (and, on the source, the destination
        # host) may reach tcp/22.
        src_host = self.src.compute.find_server(self.prefix + '-src')
        [dst_port] = list(
            self.dst.network.ports(
                device_id=self.dst.compute.find_server(self.prefix + '-dst').id
            )
        )
        dst_address = dst_port.fixed_ips[0]['ip_address']
        group = self.src.network.find_security_group(
            self.prefix + '-src', project_id=self.src.current_project_id
        )
        rules = self._ingress(group.id)
        self.assertEqual(sorted([cidr, dst_address + '/32']), rules)
        self.assertIsNotNone(src_host)

        # The link key: from the destination host only, for the copy only.
        [line] = self._link_lines()
        self.assertTrue(line.startswith('restrict,port-forwarding,'), line)
        self.assertIn('from="%s"' % dst_address, line)
        link = conversion_host.link_of(
            conversion_host.load_hosts(self.data_dir)['src']
        )
        check = host_scripts.link_check_argv(link)
        self.assertEqual(0, self._on('dst', check, check=False).returncode)
        done = self._on('dst', check[:-1] + ['id'], check=False)
        self.assertNotEqual(0, done.returncode)
        self.assertIn('command refused', done.stderr)
        # ... not from the migrator's address
        local = ssh.Host(
            link.address,
            ssh.link_key_path(self.data_dir),
            ssh.known_hosts_path(self.data_dir),
        )
        done = ssh.run(ssh.Runner(), local, 'true', timeout=60, check=False)
        self.assertEqual(255, done.returncode, done.stderr)

        # A rule added by hand is gone after the next deploy.
        self.src.network.create_security_group_rule(
            security_group_id=group.id,
            direction='ingress',
            ethertype='IPv4',
            protocol='tcp',
            port_range_min=22,
            port_range_max=22,
            remote_ip_prefix='0.0.0.0/0',
        )

        # Idempotent: a second deploy makes nothing new.
        again = self._deploy()
        self.assertEqual([r['ID'] for r in deployed], [r['ID'] for r in again])
        self.assertEqual(rules, self._ingress(group.id))
        self.assertEqual(
            rules,
            conversion_host.load_hosts(self.data_dir)['src']['allowed_cidrs'],
        )
        self.assertEqual(1, len(self._link_lines()))

        listed = self.openstack(
            *self._args('conversion', 'host', 'list'), '-f', 'json'
        )
        self.assertEqual(
            [('src', 'yes'), ('dst', 'yes')],
            [(r['Side'], r['Ready']) for r in listed],
        )

        # A sparse 1 GiB volume with known bytes.
        volume = self.src.block_storage.create_volume(
            name=self.prefix + '-data', size=1, volume_type=base.VOLUME_TYPE
        )
        volume = test_volumes._wait_status(
            self.src.block_storage, volume.id, 'available'
        )
        src_path = test_volumes.backing_file('r1', volume.id)
        known = {offset: os.urandom(length) for offset, length in CHUNKS}
        with open(src_path, 'r+b') as f:
            for offset, data in known.items():
                f.seek(offset)
                f.write(data)
        select = ['--name-regex', '^' + self.prefix]
        self._export_volumes(select)
        rows = self.openstack(
            *self._args('import', 'volume'), *select, '-f', 'json'
        )
        self.assertEqual(
            [(self.prefix + '-data', 'created')],
            [(r['Name'], r['Action']) for r in rows],
        )
        [copied] = [
            v
            for v in self.dst.block_storage.volumes()
            if (v.name or '').startswith(self.prefix)
        ]
        self.assertEqual('available', copied.status)
        self.assertEqual(
            'available', self.src.block_storage.get_volume(volume.id).status
        )
        dst_path = test_volumes.backing_file('r2', copied.id)
        with open(dst_path, 'rb') as f:
            for offset, data in known.items():
                f.seek(offset)
                self.assertEqual(data, f.read(len(data)))
        self.assertEqual(
            test_volumes._sha256(src_path), test_volumes._sha256(dst_path)
        )

        rows = self.openstack(
            *self._args('import', 'volume'), *select, '-f', 'json'
        )
        self.assertEqual(
            [(self.prefix + '-data', 'unchanged')],
            [(r['Name'], r['Action']) for r in rows],
        )

        # The destination host goes: the link key comes off the source.
        deleted = self.openstack(
            *self._args('conversion', 'host', 'delete'),
            '--side',
            'dst',
            '-f',
            'json',
        )
        self.assertEqual(
            [('dst', 'link key on %s-src' % self.prefix)],
            [(r['Side'], r['Deleted']) for r in deleted][:1],
        )
        self.assertEqual(4, len(deleted))
        self.assertEqual([], self._link_lines())
        self.assertEqual([cidr], self._ingress(group.id))
        deleted = self.openstack(
            *self._args('conversion', 'host', 'delete'), '-f', 'json'
        )
        self.assertEqual(['src'] * 3, [r['Side'] for r in deleted])
        self.assertEqual([], self._left())

    def _ports_of(self, server_ids):
        return [
            p.id
            for conn in (self.src, self.dst)
            for server_id in server_ids
            for p in conn.network.ports(device_id=server_id)
        ]

    def test_pool(self):
        deployed = self._deploy('--count', '2')
        names = [
            (1, 'src', self.prefix + '-src-1'),
            (1, 'dst', self.prefix + '-dst-1'),
            (2, 'src', self.prefix + '-src-2'),
            (2, 'dst', self.prefix + '-dst-2'),
        ]
        self.assertEqual(
            [n + ('ACTIVE', 'yes') for n in names],
            [
                (r['Pair'], r['Side'], r['Name'], r['Status'], r['Ready'])
                for r in deployed
            ],
        )
        listed = self.openstack(
            *self._args('conversion', 'host', 'list'), '-f', 'json'
        )
        self.assertEqual(deployed, listed)
        server_ids = [r['ID'] for r in deployed]
        self.assertEqual(4, len(set(server_ids)))
        self._copies_listed(server_ids[2])

        # Each pair: its own link key, its source host admits its own
        # destination host only.
        hosts = conversion_host.load_hosts(self.data_dir)
        self.assertEqual(['dst', 'dst-2', 'src', 'src-2'], sorted(hosts))
        for pair in (1, 2):
            src_key = host_pool.key('src', pair)
            dst_key = host_pool.key('dst', pair)
            dst_address = hosts[dst_key]['link_address']
            self.assertEqual(
                sorted([migrator_address() + '/32', dst_address + '/32']),
                self._ingress(hosts[src_key]['created']['security_group']),
            )
            link = conversion_host.link_of(hosts[src_key])
            check = host_scripts.link_check_argv(link)
            done = ssh.run(
                ssh.Runner(),
                conversion_host.ssh_host(self.data_dir, hosts[dst_key]),
                check,
                timeout=60,
                check=False,
            )
            self.assertEqual(0, done.returncode, done.stderr)
        publics = set()
        for pair in (1, 2):
            with open(
                host_pool.link_key_path(self.data_dir, pair) + '.pub'
            ) as f:
                publics.add(f.read().split()[1])
        self.assertEqual(2, len(publics))
        # ... and not the other pair's source host.
        crossed = ssh.run(
            ssh.Runner(),
            conversion_host.ssh_host(self.data_dir, hosts['dst-2']),
            host_scripts.link_check_argv(
                conversion_host.link_of(hosts['src'])
            ),
            timeout=60,
            check=False,
        )
        self.assertNotEqual(0, crossed.returncode)

        # Idempotent: nothing changes.
        hosts_yml = conversion_host.hosts_path(self.data_dir)
        with open(hosts_yml) as f:
            before = f.read()
        again = self._deploy('--count', '2')
        self.assertEqual(deployed, again)
        with open(hosts_yml) as f:
            self.assertEqual(before, f.read())

        # A smaller pool is refused: hosts go by name only.
        refused = self._deploy('--count', '1', expect_fail=True)
        self.assertIn(
            'the pool of %s has 2 pairs of conversion hosts, more than '
            '--count 1: remove the ones you no longer want with "openstack '
            'migrate conversion host delete --host NAME" (hosts: %s)'
            % (hosts_yml, ', '.join(n[2] for n in names)),
            refused.stderr,
        )
        with open(hosts_yml) as f:
            self.assertEqual(before, f.read())

        # One pair goes.
        deleted = self.openstack(
            *self._args('conversion', 'host', 'delete'),
            '--host',
            self.prefix + '-src-1',
            '--host',
            self.prefix + '-dst-1',
            '-f',
            'json',
        )
        self.assertEqual(
            [self.prefix + '-src-1'] * 3 + [self.prefix + '-dst-1'] * 3,
            [r['Host'] for r in deleted],
        )
        listed = self.openstack(
            *self._args('conversion', 'host', 'list'), '-f', 'json'
        )
        self.assertEqual(deployed[2:], listed)
        self.assertEqual([], self._ports_of(server_ids[:2]))
        self.assertEqual(
            sorted(
                self.prefix + '-%s-2' % side
                for side in ('src', 'src', 'src', 'dst', 'dst', 'dst')
            ),
            self._left(),
        )

        # The rest goes: nothing is left in either region.
        self.openstack(
            *self._args('conversion', 'host', 'delete'), '-f', 'json'
        )
        self.assertEqual([], self._left())
        self.assertEqual([], self._ports_of(server_ids))
        self.assertEqual({}, conversion_host.load_hosts(self.data_dir))

    def _copies_listed(self, server_id):
        """A volume attached to the source host ``server_id``: ``list``
        counts it as a copy of that host only, and not once detached."""
        volume = self.src.block_storage.create_volume(
            name=self.prefix + '-attached',
            size=1,
            volume_type=base.VOLUME_TYPE,
        )
        test_volumes._wait_status(
            self.src.block_storage, volume.id, 'available'
        )
        self.src.compute.create_volume_attachment(
            server_id, volume_id=volume.id
        )
        test_volumes._wait_status(self.src.block_storage, volume.id, 'in-use')
        listed = self.openstack(
            *self._args('conversion', 'host', 'list'), '-f', 'json'
        )
        self.assertEqual(
            [(r['ID'], 1 if r['ID'] == server_id else 0) for r in listed],
            [(r['ID'], r['Copies']) for r in listed],
        )
        self.src.compute.delete_volume_attachment(server_id, volume.id)
        test_volumes._wait_status(
            self.src.block_storage, volume.id, 'available'
        )
        self.src.block_storage.delete_volume(volume)
        listed = self.openstack(
            *self._args('conversion', 'host', 'list'), '-f', 'json'
        )
        self.assertEqual([0] * 4, [r['Copies'] for r in listed])

    def _pool_volumes(self, count):
        """``count`` source volumes of 1 GiB with random chunks, exported;
        [(volume, its backing file)] and the filter that selects them."""
        volumes = [
            self.src.block_storage.create_volume(
                name='%s-data-%d' % (self.prefix, i),
                size=1,
                volume_type=base.VOLUME_TYPE,
            )
            for i in range(count)
        ]
        made = []
        for volume in volumes:
            test_volumes._wait_status(
                self.src.block_storage, volume.id, 'available'
            )
            path = test_volumes.backing_file('r1', volume.id)
            with open(path, 'r+b') as f:
                for offset, length in CHUNKS:
                    f.seek(offset)
                    f.write(os.urandom(length))
            made.append((volume, path))
        select = ['--name-regex', '^%s-data-' % self.prefix]
        self._export_volumes(select)
        return made, select

    def _import_pool_volumes(self, made, select, parallel):
        """Import them at ``--parallel``; every one created, its bytes
        identical."""
        rows = self.openstack(
            *self._args('import', 'volume'),
            *select,
            '--parallel',
            str(parallel),
            '-f',
            'json',
        )
        self.assertEqual(
            sorted((v.name, 'created') for v, _ in made),
            sorted((r['Name'], r['Action']) for r in rows),
        )
        copies = {
            v.name: v
            for v in self.dst.block_storage.volumes()
            if (v.name or '').startswith(self.prefix + '-data-')
        }
        for volume, path in made:
            self.assertEqual(
                test_volumes._sha256(path),
                test_volumes._sha256(
                    test_volumes.backing_file('r2', copies[volume.name].id)
                ),
            )

    def _volume_log(self, volume):
        path = os.path.join(self.data_dir, 'volume_logs', '%s.log' % volume.id)
        with open(path) as f:
            return f.read()

    def test_pool_copies(self):
        deployed = self._deploy('--count', '2')
        src_hosts = {
            r['ID']: r['Name'] for r in deployed if r['Side'] == 'src'
        }
        made, select = self._pool_volumes(4)
        self._import_pool_volumes(made, select, 4)
        # Each volume's log names the source host it was attached to.
        used = set()
        for volume, _ in made:
            used.update(
                re.findall(
                    r'Attaching volume %s to conversion host \S+ '
                    r'\(server (\S+)\)' % volume.id,
                    self._volume_log(volume),
                )
            )
        self.assertEqual(sorted(src_hosts), sorted(used))
        self._copied_in_zone()

    def _copied_in_zone(self):
        """The copies above ran on pairs of their volumes' zone (the
        development cloud's one zone, which hosts.yml records); once pair
        1 is said to be elsewhere, a copy takes pair 2, though pair 1
        comes first by number."""
        hosts = conversion_host.load_hosts(self.data_dir)
        self.assertEqual(
            ['nova'] * 4, [h['availability_zone'] for h in hosts.values()]
        )
        for volume in self.src.block_storage.volumes():
            if (volume.name or '').startswith(self.prefix + '-data-'):
                self.assertEqual('nova', volume.availability_zone)
                self.assertNotIn(
                    'availability zones', self._volume_log(volume)
                )
        hosts['src']['availability_zone'] = 'elsewhere'
        conversion_host.save_hosts(self.data_dir, hosts)
        volume = self.src.block_storage.create_volume(
            name=self.prefix + '-data-zone',
            size=1,
            volume_type=base.VOLUME_TYPE,
        )
        test_volumes._wait_status(
            self.src.block_storage, volume.id, 'available'
        )
        self._export_volumes(['--name', volume.name])
        rows = self.openstack(
            *self._args('import', 'volume'),
            '--name',
            volume.name,
            '-f',
            'json',
        )
        self.assertEqual(
            [(volume.name, 'created')],
            [(r['Name'], r['Action']) for r in rows],
        )
        self.assertEqual(
            [hosts['src-2']['server_id']],
            re.findall(
                r'Attaching volume %s to conversion host \S+ '
                r'\(server (\S+)\)' % volume.id,
                self._volume_log(volume),
            ),
        )

    def _stop_sshd(self, host_key):
        """Stop the sshd of a loopback host (what answers on its port 22):
        the host is unreachable from then on."""
        server_id = conversion_host.load_hosts(self.data_dir)[host_key][
            'server_id'
        ]
        home = os.environ.get('DEVCLOUD_HOME') or os.path.join(
            base.REPO, '.devcloud'
        )
        pidfile = os.path.join(home, 'run', 'loopback', server_id, 'sshd.pid')
        with open(pidfile) as f:
            pid = int(f.read().split()[0])
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not os.path.exists('/proc/%d' % pid):
                break
            time.sleep(0.1)
        done = self._on(host_key, 'true', check=False)
        self.assertEqual(255, done.returncode, done.stderr)

    def test_pool_host_unreachable(self):
        self._deploy('--count', '2')
        made, select = self._pool_volumes(3)
        hosts = conversion_host.load_hosts(self.data_dir)
        gone = hosts['src']['name']
        self._stop_sshd('src')
        self._import_pool_volumes(made, select, 2)
        # The host left the pool once, named in the log of the volume
        # whose copy it failed; that copy finished on pair 2, and no
        # device ever showed on the host.
        dropped = []
        for volume, _ in made:
            log = self._volume_log(volume)
            dropped += re.findall(
                r'conversion host %s left the pool: SSH failed: ssh: '
                r'connect to host %s port 22: Connection refused; copied on '
                r'pair 2'
                % (re.escape(gone), re.escape(hosts['src']['address'])),
                log,
            )
            self.assertNotRegex(log, r'Volume \S+ is \S+ on %s\b' % gone)
            self.assertEqual(
                'available',
                self.src.block_storage.get_volume(volume.id).status,
            )
        self.assertEqual(1, len(dropped))
