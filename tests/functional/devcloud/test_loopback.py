# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""The development cloud's data plane: loopback hosts really run.

As user ``src`` with openstacksdk and ``ssh`` only: boot a server from the
``devcloud-loopback`` image, log in with its keypair (host key pinned from
the console log), read a volume's known bytes through
``/dev/disk/by-id/virtio-...``, log in through a floating IP, delete the
server and find nothing left on the machine.  See tools/devcloud/README.rst,
"Loopback hosts".
"""

import os
import random
import subprocess
import time

import fixtures

from tests.functional import base

LOOPBACK_IMAGE = 'devcloud-loopback'
MiB = 1024 * 1024
#: (offset, length) of the known bytes written into the volume's file
CHUNKS = ((0, MiB), (700 * MiB, 64 * 1024))
SSH_TIMEOUT = 60  # seconds for one ssh command


def devcloud_home():
    return os.environ.get('DEVCLOUD_HOME') or os.path.dirname(
        base.clouds_yaml()
    )


def _alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rfind(')') + 2 :].split()[0] != 'Z'


def _loops_of(path):
    """Loop devices on the file ``path`` (by inode: the loop device names
    the file by its path under cinder's mount point, a bind mount)."""
    want = os.stat(path)
    found = []
    for dev in os.listdir('/sys/block'):
        try:
            with open('/sys/block/%s/loop/backing_file' % dev) as f:
                st = os.stat(f.read().strip())
        except OSError:
            continue
        if (st.st_dev, st.st_ino) == (want.st_dev, want.st_ino):
            found.append(dev)
    return found


class TestLoopbackHost(base.FunctionalTestCase):
    """RegionOne, as ``src``."""

    cloud = 'src'
    region_tag = 'r1'
    #: second octet range of the tenant subnets (README: non-overlapping)
    second_octets = (100, 199)

    def setUp(self):
        super().setUp()
        self.home = devcloud_home()
        self.conn_ = self.conn(self.cloud)
        self.image = self.conn_.image.find_image(LOOPBACK_IMAGE)
        if self.image is None or not os.path.isdir(
            os.path.join(self.home, 'data', self.region_tag)
        ):
            # A missing loopback image is a broken devcloud, not a reason
            # to skip the proof of the data plane.
            self.fail(
                'not the development cloud (no %s image or no %s): run '
                'tools/devcloud/devcloud start' % (LOOPBACK_IMAGE, self.home)
            )
        self.tmp = self.useFixture(fixtures.TempDir()).path

    # -- helpers ------------------------------------------------------------

    def wait_until(self, what, fn, timeout=base.WAIT, interval=0.5):
        """Poll ``fn`` until it returns a true value; return that value."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = fn()
            if last:
                return last
            time.sleep(interval)
        self.fail('timed out after %ds waiting for %s' % (timeout, what))

    def ssh(self, user, address, command, known_hosts, check=True):
        argv = [
            'ssh',
            '-F',
            '/dev/null',
            '-i',
            self.key,
            '-o',
            'StrictHostKeyChecking=yes',
            '-o',
            'UserKnownHostsFile=%s' % known_hosts,
            '-o',
            'GlobalKnownHostsFile=/dev/null',
            '-o',
            'BatchMode=yes',
            '-o',
            'ConnectTimeout=5',
            '-o',
            'IdentitiesOnly=yes',
            '-o',
            'LogLevel=ERROR',
            '%s@%s' % (user, address),
            command,
        ]
        proc = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=SSH_TIMEOUT,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                'ssh %s@%s %r failed (rc %d): %s'
                % (
                    user,
                    address,
                    command,
                    proc.returncode,
                    proc.stderr.decode(errors='replace'),
                )
            )
        return proc

    def ssh_works(self, user, address, known_hosts):
        proc = self.ssh(user, address, 'true', known_hosts, check=False)
        return proc.returncode == 0

    def known_hosts(self, console, addresses, name):
        """A known_hosts file from the console's SSH HOST KEY KEYS block."""
        lines = console.splitlines()
        begin = lines.index('-----BEGIN SSH HOST KEY KEYS-----')
        end = lines.index('-----END SSH HOST KEY KEYS-----')
        entries = []
        for line in lines[begin + 1 : end]:
            kind, key = line.split()[:2]
            entries.append('%s %s %s' % (','.join(addresses), kind, key))
        self.assertTrue(entries)
        path = os.path.join(self.tmp, name)
        with open(path, 'w') as f:
            f.write('\n'.join(entries) + '\n')
        return path

    def read_device(self, user, address, device, known_hosts):
        """{offset: bytes} read over SSH at CHUNKS from ``device``."""
        sudo = '' if user == 'root' else 'sudo -n '
        got = {}
        for offset, length in CHUNKS:
            proc = self.ssh(
                user,
                address,
                '%sdd if=%s bs=%d skip=%d count=1 status=none'
                % (sudo, device, length, offset // length),
                known_hosts,
            )
            got[offset] = proc.stdout
        return got

    # -- the test -----------------------------------------------------------

    def test_loopback_host(self):
        conn = self.conn_
        # network, subnet, router to the public network
        net = conn.network.create_network(name=self.unique_name('lb'))
        self.cleanup_resource(conn, 'network', net)
        # RegionOne tests use 10.100-199.x.y, RegionTwo 10.200-255.x.y
        cidr = '10.%d.%d.0/24' % (
            random.randint(*self.second_octets),
            random.randint(0, 255),
        )
        subnet = conn.network.create_subnet(
            name=self.unique_name('lb'),
            network_id=net.id,
            ip_version=4,
            cidr=cidr,
        )
        self.cleanup_resource(conn, 'subnet', subnet)
        public = conn.network.find_network(
            base.PUBLIC_NETWORK, ignore_missing=False
        )
        router = conn.network.create_router(
            name=self.unique_name('lb'),
            external_gateway_info={'network_id': public.id},
        )
        self.cleanup_resource(conn, 'router', router)
        conn.network.add_interface_to_router(router, subnet_id=subnet.id)
        self.addCleanup(
            conn.network.remove_interface_from_router,
            router,
            subnet_id=subnet.id,
        )

        # keypair generated here
        self.key = os.path.join(self.tmp, 'id_ed25519')
        subprocess.run(
            ['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', self.key],
            check=True,
        )
        self.assertEqual(0o600, os.stat(self.key).st_mode & 0o777)
        with open(self.key + '.pub') as f:
            keypair = conn.compute.create_keypair(
                name=self.unique_name('lb'), public_key=f.read()
            )
        self.cleanup_resource(conn, 'keypair', keypair)

        # a volume with known bytes in its backing file
        volume = conn.block_storage.create_volume(
            name=self.unique_name('lb'), size=1
        )
        self.cleanup_resource(conn, 'volume', volume)
        volume = conn.block_storage.wait_for_status(
            volume, status='available', failures=['error'], wait=base.WAIT
        )
        backing = os.path.join(
            self.home,
            'data',
            self.region_tag,
            'cinder',
            'nfs-export',
            'volume-%s' % volume.id,
        )
        self.assertEqual(1024 * MiB, os.path.getsize(backing))
        known = {offset: os.urandom(length) for offset, length in CHUNKS}
        with open(backing, 'r+b') as f:
            for offset, data in known.items():
                f.seek(offset)
                f.write(data)

        # the loopback host
        flavor = conn.compute.find_flavor(base.FLAVOR, ignore_missing=False)
        server = conn.compute.create_server(
            name=self.unique_name('lb'),
            image_id=self.image.id,
            flavor_id=flavor.id,
            networks=[{'uuid': net.id}],
            key_name=keypair.name,
        )
        self.cleanup_resource(conn, 'server', server)
        server = conn.compute.wait_for_server(
            server, status='ACTIVE', wait=base.WAIT
        )
        (port,) = list(conn.network.ports(device_id=server.id))
        fixed = port.fixed_ips[0]['ip_address']
        short = server.id.replace('-', '')[:8]
        netns = '/run/netns/dc-%s' % short
        veth = '/sys/class/net/dcv-%s' % short
        self.assertTrue(os.path.exists(netns))
        self.assertTrue(os.path.exists(veth))

        conn.compute.create_volume_attachment(server, volume_id=volume.id)
        conn.block_storage.wait_for_status(
            volume, status='in-use', failures=['error'], wait=base.WAIT
        )

        # host keys from the console log, then a strict login
        def console_with_keys():
            out = conn.compute.get_server_console_output(server)['output']
            return out if '-----END SSH HOST KEY KEYS-----' in out else None

        console = self.wait_until(
            'the host keys in the console log', console_with_keys
        )
        self.assertIn('-----BEGIN SSH HOST KEY FINGERPRINTS-----', console)
        self.assertRegex(console, r'256 SHA256:\S+ root@\S+ \(ED25519\)')
        fixed_hosts = self.known_hosts(console, [fixed], 'known_hosts')
        self.wait_until(
            'ssh root@%s' % fixed,
            lambda: self.ssh_works('root', fixed, fixed_hosts),
            timeout=60,
        )

        # the volume's bytes through its serial, as root and as cloud-user
        device = '/dev/disk/by-id/virtio-%s' % volume.id[:20]
        self.wait_until(
            device,
            lambda: (
                self.ssh(
                    'root',
                    fixed,
                    'test -b %s' % device,
                    fixed_hosts,
                    check=False,
                ).returncode
                == 0
            ),
            timeout=60,
        )
        self.assertEqual(1, len(_loops_of(backing)))
        self.assertEqual(
            known, self.read_device('root', fixed, device, fixed_hosts)
        )
        self.assertEqual(
            known, self.read_device('cloud-user', fixed, device, fixed_hosts)
        )
        tools = self.ssh(
            'root',
            fixed,
            'command -v nbdkit nbdcopy qemu-img xxhsum b3sum',
            fixed_hosts,
        )
        self.assertEqual(5, len(tools.stdout.split()))

        # detach: the device disappears, the loop device is freed
        conn.compute.delete_volume_attachment(server, volume)
        conn.block_storage.wait_for_status(
            volume, status='available', failures=['error'], wait=base.WAIT
        )
        self.wait_until(
            'the device to disappear',
            lambda: (
                self.ssh(
                    'root',
                    fixed,
                    'test -e %s' % device,
                    fixed_hosts,
                    check=False,
                ).returncode
                == 1
            ),
            timeout=60,
        )
        self.wait_until(
            'the loop device to go',
            lambda: not _loops_of(backing),
            timeout=60,
        )

        # a floating IP: log in through it; it stops answering when
        # disassociated
        fip = conn.network.create_ip(floating_network_id=public.id)
        self.cleanup_resource(conn, 'floating_ip', fip)
        address = fip.floating_ip_address
        conn.network.update_ip(fip, port_id=port.id)
        fip_hosts = self.known_hosts(console, [address], 'known_hosts_fip')
        self.wait_until(
            'ssh root@%s' % address,
            lambda: self.ssh_works('root', address, fip_hosts),
            timeout=60,
        )
        addrs = self.ssh('root', address, 'ip -4 -o addr', fip_hosts)
        self.assertIn(' %s/32 ' % address, addrs.stdout.decode())
        conn.network.update_ip(fip, port_id=None)

        def fip_gone():
            out = self.ssh('root', fixed, 'ip -4 -o addr', fixed_hosts)
            return ' %s/' % address not in out.stdout.decode()

        self.wait_until('the floating IP to go', fip_gone, timeout=60)
        conn.network.update_ip(fip, port_id=port.id)
        self.wait_until(
            'ssh root@%s again' % address,
            lambda: self.ssh_works('root', address, fip_hosts),
            timeout=60,
        )

        # delete the server with the volume attached and the floating IP
        # associated: nothing is left behind
        conn.compute.create_volume_attachment(server, volume_id=volume.id)
        conn.block_storage.wait_for_status(
            volume, status='in-use', failures=['error'], wait=base.WAIT
        )
        self.assertTrue(_loops_of(backing))
        pidfile = os.path.join(
            self.home, 'run', 'loopback', server.id, 'sshd.pid'
        )
        with open(pidfile) as f:
            sshd = int(f.read().split()[0])
        self.assertTrue(_alive(sshd))
        conn.compute.delete_server(server)
        conn.compute.wait_for_delete(server, wait=base.WAIT)

        def left_behind():
            left = []
            if os.path.exists(netns):
                left.append(netns)
            if os.path.exists(veth):
                left.append(veth)
            if _alive(sshd):
                left.append('sshd pid %d' % sshd)
            left += ['/dev/%s' % d for d in _loops_of(backing)]
            routes = subprocess.run(
                ['ip', '-4', 'route', 'show', 'proto', '157'],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            left += [a for a in (fixed, address) if a in routes]
            state = os.path.join(self.home, 'data', 'loopback', server.id)
            if os.path.exists(state):
                left.append(state)
            return left

        self.wait_until(
            'the loopback host to be removed',
            lambda: not left_behind(),
            timeout=60,
        )
        self.assertEqual([], left_behind())


class TestLoopbackHostDestination(TestLoopbackHost):
    """The same in RegionTwo, as ``dst``."""

    cloud = 'dst'
    region_tag = 'r2'
    second_octets = (200, 255)
