#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

import os
import types

import fixtures
from openstack import exceptions as sdk_exceptions
from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient.transfer import conversion_host as ch
from osmigrateclient.transfer import host_pool
from osmigrateclient.transfer import host_scripts
from osmigrateclient.transfer import ssh
from tests.unit.transfer import test_ssh

CONSOLE = (
    'boot\n-----BEGIN SSH HOST KEY KEYS-----\n'
    'ssh-ed25519 AAAAhost root@h\n-----END SSH HOST KEY KEYS-----\n'
)


class FakeRunner(test_ssh.LocalRunner):
    """Local commands as LocalRunner's; ssh answers by script."""

    def __init__(self, missing='', ssh_fails=0):
        super().__init__()
        self.inputs = []
        self.missing = missing
        self.ssh_fails = ssh_fails

    def run(self, argv, timeout=None, input=None):
        if argv[0] != 'ssh':
            return super().run(argv, timeout, input)
        self.ran.append(argv)
        self.inputs.append(input)
        cmd = argv[-1]
        if getattr(self, 'ssh_fails_all', False):
            return ssh.Completed(255, '', 'unreachable')
        if cmd == 'true' and self.ssh_fails:
            self.ssh_fails -= 1
            return ssh.Completed(255, '', 'refused')
        if 'command -v' in cmd and '||' in cmd:
            return ssh.Completed(0, self.missing, '')
        return ssh.Completed(0, '', '')

    def commands(self):
        return [a[-1] for a in self.ran if a[0] == 'ssh']


class Obj(types.SimpleNamespace):
    pass


class FakeCloud:
    """compute, network and image proxies over dicts."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.current_project_id = 'p1'
        self.servers, self.keypairs, self.groups, self.rules = {}, {}, {}, []
        #: server ID -> its volume attachments
        self.attachments = {}
        self.calls = []
        self.compute = types.SimpleNamespace(
            find_keypair=lambda n, ignore_missing: self.keypairs.get(n),
            create_keypair=self._create_keypair,
            delete_keypair=lambda n, ignore_missing: self._del(
                'keypair', self.keypairs, n
            ),
            find_server=self._find_server,
            get_server=self._get_server,
            create_server=self._create_server,
            delete_server=lambda i, ignore_missing: self._del(
                'server', self.servers, i
            ),
            find_flavor=lambda n, ignore_missing: Obj(id='f-' + n),
            get_server_console_output=lambda i: {'output': CONSOLE},
            volume_attachments=self._volume_attachments,
        )
        self.network = types.SimpleNamespace(
            find_security_group=lambda n, ignore_missing, project_id: next(
                (g for g in self.groups.values() if g.name == n), None
            ),
            create_security_group=self._create_group,
            delete_security_group=lambda i, ignore_missing: self._del(
                'security_group', self.groups, i
            ),
            security_group_rules=lambda security_group_id: [
                r for r in self.rules if r.sg == security_group_id
            ],
            create_security_group_rule=self._create_rule,
            delete_security_group_rule=self._delete_rule,
            find_network=lambda n, ignore_missing: Obj(id='n-' + n),
            ports=self._ports,
        )
        self.image = types.SimpleNamespace(
            find_image=lambda n, ignore_missing: Obj(id='i-' + n)
        )

    def _ports(self, device_id, network_id=None):
        # a port on another network first: the deployed-on one counts
        return [
            p
            for p in (
                Obj(
                    network_id='n-other',
                    fixed_ips=[{'ip_address': '192.0.2.9'}],
                ),
                Obj(
                    network_id='n-net',
                    fixed_ips=[{'ip_address': self.address(device_id)}],
                ),
            )
            if network_id in (None, p.network_id)
        ]

    def address(self, server_id):
        """<prefix>.5 for a server of one pair or of pair 1, .6 for the
        server of pair 2 (its name ends in -2), ..."""
        server = self.servers.get(server_id)
        tail = (server.name if server else '').rsplit('-', 1)[-1]
        return '%s.%d' % (
            self.prefix,
            4 + (int(tail) if tail.isdigit() else 1),
        )

    def _del(self, kind, store, key):
        self.calls.append(('delete_' + kind, key))
        store.pop(key, None)

    def _create_keypair(self, name, public_key):
        self.calls.append(('create_keypair', name, public_key))
        self.keypairs[name] = Obj(name=name, public_key=public_key)

    def _find_server(self, name, ignore_missing):
        found = [s for s in self.servers.values() if name in (s.id, s.name)]
        if not found and not ignore_missing:
            raise sdk_exceptions.NotFoundException('no %s' % name)
        return found[0] if found else None

    def _get_server(self, server_id):
        if server_id not in self.servers:
            raise sdk_exceptions.NotFoundException(server_id)
        return self.servers[server_id]

    def _volume_attachments(self, server_id):
        self._get_server(server_id)
        return list(self.attachments.get(server_id, []))

    def _create_server(self, **kw):
        self.calls.append(('create_server', kw))
        server = Obj(id='s-' + kw['name'], status='ACTIVE', fault=None, **kw)
        self.servers[server.id] = server
        return server

    def _create_group(self, name, description):
        self.calls.append(('create_security_group', name))
        group = Obj(id='g-' + name, name=name)
        self.groups[group.id] = group
        return group

    def _create_rule(self, **kw):
        self.calls.append(
            ('create_security_group_rule', kw.get('remote_ip_prefix'))
        )
        self.rules.append(
            Obj(
                id='r%d' % len(self.calls),
                sg=kw['security_group_id'],
                direction=kw['direction'],
                protocol=kw.get('protocol'),
                port_range_min=kw.get('port_range_min'),
                port_range_max=kw.get('port_range_max'),
                remote_ip_prefix=kw.get('remote_ip_prefix'),
                remote_group_id=kw.get('remote_group_id'),
            )
        )

    def _delete_rule(self, rule_id, ignore_missing):
        self.calls.append(('delete_security_group_rule', rule_id))
        self.rules = [r for r in self.rules if r.id != rule_id]


def _opts(side, **kw):
    kw.setdefault('flavor', 'm1.tiny')
    kw.setdefault('network', 'net')
    return ch.Options(name=ch.DEFAULT_NAMES[side], **kw)


class HostsTestCase(base.BaseTestCase):
    """A data dir and the fakes of both clouds."""

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.runner = FakeRunner()
        self.src, self.dst = FakeCloud('10.100.0'), FakeCloud('10.200.0')

    def _hosts(self):
        return ch.Hosts(
            self.dir, self.runner, clock=lambda: 0.0, pause=lambda s: None
        )

    def _deploy_both(self, **kw):
        hosts = self._hosts()
        hosts.deploy('src', self.src, _opts('src', **kw))
        hosts.deploy('dst', self.dst, _opts('dst', **kw))
        hosts.link(self.src)
        return hosts


class TestHosts(HostsTestCase):
    def test_two_commands_deploy_one_side_each(self):
        # both read hosts.yml before either wrote it
        first, second = self._hosts(), self._hosts()
        first.deploy('src', self.src, _opts('src'))
        second.deploy('dst', self.dst, _opts('dst'))
        self.assertEqual(['dst', 'src'], sorted(ch.load_hosts(self.dir)))
        self.assertEqual(
            {'src': '10.100.0.5', 'dst': '10.200.0.5'},
            {
                side: record['address']
                for side, record in ch.load_hosts(self.dir).items()
            },
        )
        # and the second one knows the first one's host now
        self.assertEqual('10.100.0.5', second.records['src']['address'])
        self.assertEqual(
            0o600,
            os.stat(ch.hosts_path(self.dir) + '.lock').st_mode & 0o777,
        )

    def test_deploy_makes_everything_once(self):
        hosts = self._deploy_both()
        self.assertEqual(
            0o600, os.stat(ssh.key_path(self.dir)).st_mode & 0o777
        )
        self.assertEqual(
            0o600, os.stat(ch.hosts_path(self.dir)).st_mode & 0o777
        )
        self.assertEqual(
            [
                'create_keypair',
                'create_security_group',
                'create_server',
                'create_security_group_rule',
                'create_security_group_rule',
            ],
            [c[0] for c in self.src.calls],
        )
        self.assertEqual(
            ['169.254.100.1/32', '10.200.0.5/32'],
            [r.remote_ip_prefix for r in self.src.rules],
        )
        self.assertEqual(
            ['169.254.100.1/32'],
            [r.remote_ip_prefix for r in self.dst.rules],
        )
        with open(ssh.known_hosts_path(self.dir)) as f:
            self.assertEqual(
                '10.100.0.5 ssh-ed25519 AAAAhost\n'
                '10.200.0.5 ssh-ed25519 AAAAhost\n',
                f.read(),
            )
        self.assertEqual(
            {
                'keypair': 'osmigrate-conv-src',
                'security_group': 'g-osmigrate-conv-src',
                'server': 's-osmigrate-conv-src',
            },
            ch.load_hosts(self.dir)['src']['created'],
        )
        # the link: private key via stdin only, src key pinned on dst
        self.assertIn('PRIVATE\n', self.runner.inputs)
        self.assertIn('10.100.0.5 ssh-ed25519 AAAAhost\n', self.runner.inputs)
        self.assertFalse(
            any('PRIVATE' in ' '.join(argv) for argv in self.runner.ran)
        )
        self.assertTrue(
            self.runner.commands()[-1].startswith('ssh -F /dev/null')
        )

        calls = len(self.src.calls)
        again = self._hosts()
        again.deploy('src', self.src, _opts('src'))
        again.link(self.src)
        self.assertEqual(calls, len(self.src.calls))
        self.assertEqual(hosts.records, ch.load_hosts(self.dir))

    def test_never_disables_host_key_checking(self):
        self._deploy_both()
        for argv in self.runner.ran:
            self.assertNotIn('StrictHostKeyChecking=no', argv)

    def test_ssh_retried_until_it_answers(self):
        self.runner.ssh_fails = 2
        self._hosts().deploy('src', self.src, _opts('src'))
        self.assertEqual(3, self.runner.commands().count('true'))

    def test_ssh_gives_up(self):
        self.runner.ssh_fails = 1000
        now = iter(range(0, 10000, 100))
        hosts = ch.Hosts(
            self.dir,
            self.runner,
            clock=lambda: float(next(now)),
            pause=lambda s: None,
            ssh_timeout=250,
        )
        e = self.assertRaises(
            exceptions.MigrateError,
            hosts.deploy,
            'src',
            self.src,
            _opts('src'),
        )
        self.assertIn('timed out after 250 s waiting for SSH', str(e))

    def test_missing_tools_reported(self):
        self.runner.missing = 'nbdcopy\nhash\n'
        e = self.assertRaises(
            exceptions.MigrateError,
            self._hosts().deploy,
            'src',
            self.src,
            _opts('src'),
        )
        self.assertEqual(
            'conversion host osmigrate-conv-src lacks: nbdcopy, hash '
            '(install them, or deploy with --install-tools)',
            str(e),
        )
        self.assertFalse(
            any('apt-get install' in c for c in self.runner.commands())
        )

    def test_allowed_cidr_given(self):
        self._hosts().deploy(
            'dst', self.dst, _opts('dst', allowed_cidrs=('192.0.2.7/32',))
        )
        self.assertEqual(
            ['192.0.2.7/32'], [r.remote_ip_prefix for r in self.dst.rules]
        )
        self.assertFalse(any(a[0] == 'ip' for a in self.runner.ran))

    def test_foreign_server_of_same_name_refused(self):
        self.src.servers['x'] = Obj(
            id='x', name='osmigrate-conv-src', status='ACTIVE'
        )
        e = self.assertRaises(
            exceptions.MigrateError,
            self._hosts().deploy,
            'src',
            self.src,
            _opts('src'),
        )
        self.assertIn('use --server x', str(e))

    def test_bring_your_own_server_is_kept(self):
        self.src.servers['mine'] = Obj(
            id='mine', name='mine', status='ACTIVE', fault=None
        )
        hosts = self._hosts()
        hosts.deploy('src', self.src, _opts('src', server='mine'))
        self.assertEqual([], self.src.calls)
        self.assertEqual([], hosts.delete('src', self.src))
        self.assertIn('mine', self.src.servers)
        self.assertEqual({}, ch.load_hosts(self.dir))

    def test_delete_removes_what_deploy_made(self):
        hosts = self._deploy_both()
        self.src.keypairs['other'] = Obj(name='other', public_key='k')
        self.assertEqual(
            [
                'server s-osmigrate-conv-src',
                'security group g-osmigrate-conv-src',
                'keypair osmigrate-conv-src',
            ],
            hosts.delete('src', self.src),
        )
        self.assertEqual({}, self.src.servers)
        self.assertEqual({}, self.src.groups)
        self.assertEqual(['other'], list(self.src.keypairs))
        self.assertEqual(['dst'], list(ch.load_hosts(self.dir)))

    def test_foreign_security_group_refused(self):
        # A group of that name may admit anyone (0.0.0.0/0).
        self.src.groups['x'] = Obj(id='x', name='osmigrate-conv-src')
        e = self.assertRaises(
            exceptions.MigrateError,
            self._hosts().deploy,
            'src',
            self.src,
            _opts('src'),
        )
        self.assertIn(
            'a security group named osmigrate-conv-src exists that this '
            'data directory did not deploy',
            str(e),
        )
        self.assertNotIn('create_server', [c[0] for c in self.src.calls])

    def test_security_group_holds_exactly_what_is_wanted(self):
        self._deploy_both()
        group = 'g-osmigrate-conv-src'
        # Rules added by hand: tcp/22 from anywhere, every port from the
        # migrator, from a group; an egress rule.
        for kw in (
            dict(
                protocol='tcp',
                port_range_min=22,
                port_range_max=22,
                remote_ip_prefix='0.0.0.0/0',
            ),
            dict(
                protocol='tcp',
                port_range_min=1,
                port_range_max=65535,
                remote_ip_prefix='169.254.100.1/32',
            ),
            dict(
                protocol='tcp',
                port_range_min=22,
                port_range_max=22,
                remote_group_id='other',
            ),
            dict(direction='egress', protocol=None),
        ):
            kw.setdefault('direction', 'ingress')
            self.src.network.create_security_group_rule(
                security_group_id=group, **kw
            )
        hosts = self._hosts()
        hosts.deploy('src', self.src, _opts('src'))
        hosts.link(self.src)
        self.assertEqual(
            [
                ('egress', None),
                ('ingress', '10.200.0.5/32'),
                ('ingress', '169.254.100.1/32'),
            ],
            sorted(
                (r.direction, r.remote_ip_prefix)
                for r in self.src.rules
                if r.sg == group
            ),
        )
        # hosts.yml records what the group admits, and nothing else.
        self.assertEqual(
            ['10.200.0.5/32', '169.254.100.1/32'],
            ch.load_hosts(self.dir)['src']['allowed_cidrs'],
        )
        self.assertEqual(
            ['169.254.100.1/32'],
            ch.load_hosts(self.dir)['dst']['allowed_cidrs'],
        )

    def test_link_key_restricted_to_the_destination_host(self):
        self._deploy_both()
        [authorize] = [
            c for c in self.runner.commands() if 'authorized_keys' in c
        ]
        line = host_scripts.link_key_line(self._link_public(), '10.200.0.5')
        self.assertEqual(
            host_scripts.authorize_script(line, self._link_public()), authorize
        )
        self.assertTrue(
            line.startswith(
                'restrict,port-forwarding,permitlisten="127.0.0.1:*",'
                'permitopen="127.0.0.1:1",from="10.200.0.5",command="'
            ),
            line,
        )
        record = ch.load_hosts(self.dir)
        self.assertEqual('10.200.0.5', record['src']['link_from'])
        self.assertTrue(record['dst']['link_key'])

    def _link_public(self):
        with open(ssh.link_key_path(self.dir) + '.pub') as f:
            return ' '.join(f.read().split()[:2])

    def _brought_in(self, side, cloud):
        cloud.servers['mine'] = Obj(
            id='mine', name='mine', status='ACTIVE', fault=None
        )
        return _opts(side, server='mine')

    def test_releasing_a_brought_in_source_takes_the_link_key_off(self):
        hosts = self._hosts()
        hosts.deploy('src', self.src, self._brought_in('src', self.src))
        hosts.deploy('dst', self.dst, _opts('dst'))
        hosts.link(self.src)
        del self.runner.ran[:]
        self.assertEqual(['link key on mine'], hosts.delete('src', self.src))
        self.assertEqual(
            [host_scripts.unauthorize_script(self._link_public())],
            self.runner.commands(),
        )
        self.assertIn('10.100.0.5', self.runner.ran[0])
        self.assertIn('mine', self.src.servers)

    def test_deleting_the_destination_takes_the_link_key_off(self):
        hosts = self._hosts()
        hosts.deploy('src', self.src, _opts('src'))
        hosts.deploy('dst', self.dst, self._brought_in('dst', self.dst))
        hosts.link(self.src)
        del self.runner.ran[:]
        self.assertEqual(
            ['link key on osmigrate-conv-src', 'link key on mine'],
            hosts.delete('dst', self.dst),
        )
        self.assertEqual(
            [
                host_scripts.unauthorize_script(self._link_public()),
                'rm -f /root/.ssh/osm-link.key '
                '/root/.ssh/osm-link.known_hosts',
            ],
            self.runner.commands(),
        )
        self.assertNotIn('link_from', ch.load_hosts(self.dir)['src'])

    def test_deleting_a_deployed_source_needs_no_ssh(self):
        hosts = self._deploy_both()
        del self.runner.ran[:]
        hosts.delete('src', self.src)
        self.assertEqual([], self.runner.ran)

    def test_unreachable_host_keeps_the_key_and_says_so(self):
        hosts = self._deploy_both()
        self.runner.ssh_fails_all = True
        self.assertNotIn(
            'link key on osmigrate-conv-src', hosts.delete('dst', self.dst)
        )
        self.assertEqual(
            '10.200.0.5', ch.load_hosts(self.dir)['src']['link_from']
        )

    def test_user_must_be_a_plain_name(self):
        e = self.assertRaises(
            exceptions.MigrateError,
            self._hosts().deploy,
            'src',
            self.src,
            _opts('src', user='-oProxyCommand=x'),
        )
        self.assertIn('not a user name', str(e))
        self.assertEqual([], self.src.calls)

    def test_status(self):
        hosts = self._deploy_both()
        self.assertEqual(
            ch.Status(
                1,
                'src',
                'osmigrate-conv-src',
                's-osmigrate-conv-src',
                '10.100.0.5',
                'ACTIVE',
                0,
                'yes',
            ),
            hosts.status('src', self.src),
        )
        del self.src.servers['s-osmigrate-conv-src']
        self.assertEqual('missing', hosts.status('src', self.src).status)
        self.assertEqual(
            ch.Status(1, 'src', '', '', '', 'not deployed', '-', 'no'),
            ch.Hosts(os.path.join(self.dir, 'x')).status('src', None),
        )

    def test_copies(self):
        hosts = self._deploy_both()
        server = self.src.servers['s-osmigrate-conv-src']
        server.image = {'id': 'i-os_migrate_conv'}

        def attached(*devices):
            self.src.attachments[server.id] = [
                Obj(device=d, volume_id='v%d' % i)
                for i, d in enumerate(devices)
            ]
            return hosts.status('src', self.src).copies

        self.assertEqual(0, attached())
        # Booted from an image: every volume is a copy's.
        self.assertEqual(2, attached('/dev/vdb', None))
        # Booted from a volume: its boot volume is none.
        server.image = {}
        self.assertEqual(0, attached('/dev/vda'))
        self.assertEqual(2, attached('/dev/vdc', '/dev/vda', '/dev/vdb'))
        # ... at the root device, when Nova shows it
        server.root_device_name = '/dev/sda'
        self.assertEqual(1, attached('/dev/vdb', '/dev/sda'))
        del self.src.servers[server.id]
        self.assertEqual('-', hosts.status('src', self.src).copies)


class TestPool(HostsTestCase):
    """Two pairs: each its own link key, its own rules."""

    def _deploy_pool(self):
        hosts = self._hosts()
        for pair in (1, 2):
            for side, cloud in (('src', self.src), ('dst', self.dst)):
                hosts.deploy(
                    host_pool.key(side, pair),
                    cloud,
                    _opts(side)._replace(name='c-%s-%d' % (side, pair)),
                )
            hosts.link(self.src, pair)
        return hosts

    def _public(self, pair):
        with open(host_pool.link_key_path(self.dir, pair) + '.pub') as f:
            return ' '.join(f.read().split()[:2])

    def test_each_pair_links_with_its_own_key(self):
        hosts = self._deploy_pool()
        self.assertEqual(['src', 'dst', 'src-2', 'dst-2'], hosts.keys())
        self.assertNotEqual(self._public(1), self._public(2))
        authorized = [
            c for c in self.runner.commands() if 'authorized_keys' in c
        ]
        self.assertEqual(
            [
                host_scripts.authorize_script(
                    host_scripts.link_key_line(self._public(pair), address),
                    self._public(pair),
                )
                for pair, address in ((1, '10.200.0.5'), (2, '10.200.0.6'))
            ],
            authorized,
        )
        # A source host admits its own pair's destination host only.
        records = ch.load_hosts(self.dir)
        self.assertEqual(
            ['10.200.0.5/32', '169.254.100.1/32'],
            records['src']['allowed_cidrs'],
        )
        self.assertEqual(
            ['10.200.0.6/32', '169.254.100.1/32'],
            records['src-2']['allowed_cidrs'],
        )
        self.assertEqual('10.100.0.6', records['src-2']['address'])

    def test_deleting_one_host_leaves_the_other_pair_alone(self):
        hosts = self._deploy_pool()
        del self.runner.ran[:]
        self.assertEqual(
            [
                'link key on c-src-2',
                'server s-c-dst-2',
                'security group g-c-dst-2',
                'keypair c-dst-2',
            ],
            hosts.delete('dst-2', self.dst),
        )
        self.assertEqual(
            [host_scripts.unauthorize_script(self._public(2))],
            self.runner.commands(),
        )
        records = ch.load_hosts(self.dir)
        self.assertEqual(['dst', 'src', 'src-2'], sorted(records))
        self.assertEqual('10.200.0.5', records['src']['link_from'])
        self.assertNotIn('link_from', records['src-2'])

    def test_availability_zone(self):
        hosts = self._hosts()
        hosts.deploy('src-2', self.src, _opts('src', availability_zone='az2'))
        [create] = [c[1] for c in self.src.calls if c[0] == 'create_server']
        self.assertEqual('az2', create['availability_zone'])
        self.assertEqual('az2', hosts.records['src-2']['availability_zone'])
        self.assertEqual(
            'az2', ch.load_hosts(self.dir)['src-2']['availability_zone']
        )


class TestHostsFile(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.path = ch.hosts_path(self.dir)
        os.makedirs(os.path.dirname(self.path))

    def _error(self, text):
        with open(self.path, 'w') as f:
            f.write(text)
        e = self.assertRaises(
            exceptions.DataFileError, ch.load_hosts, self.dir
        )
        with open(self.path) as f:
            self.assertEqual(text, f.read())
        self.assertEqual(1, len(str(e).splitlines()))
        return str(e).replace(self.path, 'P')

    def test_good(self):
        hosts = {
            'src': {
                'name': 'c',
                'server_id': 's',
                'address': '10.0.0.5',
                'user': 'cloud-user',
                'owned': True,
                'created': {'server': 's'},
                'host_keys': ['ssh-ed25519 AAAA+/x='],
                'allowed_cidrs': ['10.0.0.0/24'],
            }
        }
        ch.save_hosts(self.dir, hosts)
        self.assertEqual(hosts, ch.load_hosts(self.dir))

    def test_wrong_shapes(self):
        for text, message in (
            ('- a\n', 'P: must be a mapping with a "hosts" mapping'),
            ('hosts: [a]\n', 'P: must be a mapping with a "hosts" mapping'),
            (
                'hosts: {x: {}}\n',
                "P: unknown host key 'x' (one of: src, dst, or src-<n>, "
                'dst-<n> for pair n from 2 to 100)',
            ),
            ('hosts: {src-1: {}}\n', "P: unknown host key 'src-1'"),
            ('hosts: {dst-101: {}}\n', "P: unknown host key 'dst-101'"),
            ('hosts: {7: {}}\n', 'P: unknown host key 7'),
            (
                'hosts: {src-2: {address: x}}\n',
                'P: host src-2: field address: must be an IP address',
            ),
            (
                'hosts: {dst-3: {availability_zone: [a]}}\n',
                'P: host dst-3: field availability_zone: must be a name',
            ),
            ('hosts: {src: [a]}\n', 'P: host src: must be a mapping'),
            (
                'hosts: {src: {name: [a]}}\n',
                'P: host src: field name: must be a name',
            ),
            (
                'hosts: {dst: {address: "10.0.0.5 -oProxyCommand=x"}}\n',
                'P: host dst: field address: must be an IP address',
            ),
            (
                'hosts: {dst: {link_address: 7}}\n',
                'P: host dst: field link_address: must be an IP address',
            ),
            (
                'hosts: {dst: {port: "22"}}\n',
                'P: host dst: field port: must be a port number',
            ),
            (
                'hosts: {dst: {port: 70000}}\n',
                'P: host dst: field port: must be a port number',
            ),
            (
                'hosts: {src: {user: "-oProxyCommand=x"}}\n',
                'P: host src: field user: must be a user name',
            ),
            (
                'hosts: {src: {user: "root x"}}\n',
                'P: host src: field user: must be a user name',
            ),
            (
                'hosts: {src: {host_keys: ["ssh-ed25519 A\\n* ssh-rsa B"]}}\n',
                'P: host src: field host_keys: must be a list of SSH public',
            ),
            (
                'hosts: {src: {owned: "yes"}}\n',
                'P: host src: field owned: must be true or false',
            ),
            (
                'hosts: {src: {created: {server: [1]}}}\n',
                'P: host src: field created: must be a mapping of',
            ),
            (
                'hosts: {src: {allowed_cidrs: "0.0.0.0/0"}}\n',
                'P: host src: field allowed_cidrs: must be a list of CIDRs',
            ),
            ('hosts: {src: [\n', 'P: cannot read: '),
        ):
            self.assertTrue(
                self._error(text).startswith(message),
                (text, self._error(text)),
            )

    def test_copy_needs_a_complete_record(self):
        e = self.assertRaises(
            exceptions.DataFileError,
            ch.check_complete,
            self.dir,
            'src',
            {'name': 'c', 'server_id': 's'},
        )
        self.assertEqual(
            '%s: host src: field address: missing: deploy the conversion '
            'host again' % self.path,
            str(e),
        )
