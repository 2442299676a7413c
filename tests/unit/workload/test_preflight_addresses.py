#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

"""Pre-flight of a server's fixed IPs in their destination subnets."""

import types

import fixtures
from oslotest import base

from osmigrateclient.resources import refs
from osmigrateclient.transfer import volume_copy
from osmigrateclient.workload import journal
from osmigrateclient.workload import migration
from osmigrateclient.workload import preflight
from osmigrateclient.workload import preflight_addresses as addresses
from osmigrateclient.workload import runner
from tests.unit.workload import fakes
from tests.unit.workload import test_preflight


def _subnet(cidr='10.0.0.0/24', pools=None, name='sub'):
    return types.SimpleNamespace(
        id='dsub1', name=name, cidr=cidr, allocation_pools=pools
    )


def _port(id_, ip, subnet_id='dsub1', mac='fa:16:3e:00:00:99', device=''):
    return types.SimpleNamespace(
        id=id_,
        fixed_ips=[{'subnet_id': subnet_id, 'ip_address': ip}],
        mac_address=mac,
        device_id=device,
    )


class TestAddressProblem(base.BaseTestCase):
    def test_in_the_subnet(self):
        for ip in ('10.0.0.1', '10.0.0.5', '10.0.0.254'):
            self.assertIsNone(addresses.address_problem(ip, _subnet()), ip)

    def test_outside_the_cidr(self):
        self.assertEqual(
            "fixed IP 10.9.0.5 is not in subnet 'sub' (10.0.0.0/24) of the "
            'destination',
            addresses.address_problem('10.9.0.5', _subnet()),
        )

    def test_other_ip_version(self):
        self.assertEqual(
            "fixed IP fd00::5 is not in subnet 'sub' (10.0.0.0/24) of the "
            'destination',
            addresses.address_problem('fd00::5', _subnet()),
        )

    def test_network_and_broadcast_addresses(self):
        self.assertEqual(
            "fixed IP 10.0.0.0 is the network address of subnet 'sub' "
            '(10.0.0.0/24) of the destination',
            addresses.address_problem('10.0.0.0', _subnet()),
        )
        self.assertEqual(
            "fixed IP 10.0.0.255 is the broadcast address of subnet 'sub' "
            '(10.0.0.0/24) of the destination',
            addresses.address_problem('10.0.0.255', _subnet()),
        )
        # A point-to-point subnet has neither; IPv6 no broadcast.
        for ip, cidr in (
            ('10.0.0.0', '10.0.0.0/31'),
            ('10.0.0.1', '10.0.0.0/31'),
            ('fd00::ffff', 'fd00::/112'),
        ):
            self.assertIsNone(
                addresses.address_problem(ip, _subnet(cidr)), (ip, cidr)
            )

    def test_no_address(self):
        for value in ('10.0.0.300', 'abc', 5, ['10.0.0.5']):
            self.assertEqual(
                '%r is not an IP address' % (value,),
                addresses.address_problem(value, _subnet()),
            )

    def test_subnet_without_a_cidr_is_not_checked(self):
        self.assertIsNone(
            addresses.address_problem('10.9.0.5', _subnet(cidr=None))
        )
        self.assertIsNone(
            addresses.address_problem('10.9.0.5', _subnet(cidr='nonsense'))
        )

    def test_unnamed_subnet_is_named_by_id(self):
        self.assertEqual(
            "fixed IP 10.9.0.5 is not in subnet 'dsub1' (10.0.0.0/24) of "
            'the destination',
            addresses.address_problem('10.9.0.5', _subnet(name='')),
        )


class TestOutsidePools(base.BaseTestCase):
    POOLS = [
        {'start': '10.0.0.10', 'end': '10.0.0.20'},
        {'start': '10.0.0.100', 'end': '10.0.0.150'},
    ]

    def test_inside_a_pool(self):
        for ip in ('10.0.0.10', '10.0.0.15', '10.0.0.150'):
            self.assertIsNone(
                addresses.outside_pools(ip, _subnet(pools=self.POOLS)), ip
            )

    def test_outside_every_pool(self):
        self.assertEqual(
            '10.0.0.10-10.0.0.20, 10.0.0.100-10.0.0.150',
            addresses.outside_pools('10.0.0.50', _subnet(pools=self.POOLS)),
        )

    def test_no_pools_or_unreadable_ones(self):
        for pools in (None, [], [{'start': 'x', 'end': 'y'}], [{}], ['a']):
            self.assertIsNone(
                addresses.outside_pools('10.0.0.50', _subnet(pools=pools)),
                pools,
            )


class TestHolder(base.BaseTestCase):
    PORT = fakes.PORT  # network dnet1, MAC mac-a, 10.0.0.5 in dsub1

    def holder(self, ports, mine=None, address='10.0.0.5'):
        return addresses.holder(
            address, 'dsub1', ports, self.PORT, mine or addresses.Own()
        )

    def test_another_port_holds_it(self):
        other = _port('dp9', '10.0.0.5', device='srv-x')
        self.assertIs(other, self.holder([_port('dp8', '10.0.0.6'), other]))

    def test_free(self):
        self.assertIsNone(self.holder([]))
        self.assertIsNone(self.holder([_port('dp8', '10.0.0.6')]))
        # The same address in another subnet is another address.
        self.assertIsNone(self.holder([_port('dp9', '10.0.0.5', 'dsub2')]))

    def test_the_servers_own_ports(self):
        journalled = _port('dp9', '10.0.0.5', mac='fa:16:3e:00:00:01')
        on_its_server = _port('dp10', '10.0.0.5', device='dsrv')
        mine = addresses.Own(frozenset(['dp9']), frozenset(['dsrv']))
        self.assertIsNone(self.holder([journalled, on_its_server], mine))
        # What the ports step adopts: its MAC, unattached.
        self.assertIsNone(
            self.holder([_port('dp11', '10.0.0.5', mac='mac-a')])
        )

    def test_its_mac_on_another_server_is_not_its_own(self):
        other = _port('dp11', '10.0.0.5', mac='mac-a', device='srv-x')
        self.assertIs(other, self.holder([other]))

    def test_ipv6_addresses_compared_as_addresses(self):
        other = _port('dp9', 'fd00:0:0::5')
        self.assertIs(other, self.holder([other], address='fd00::5'))


class TestFixedIPChecks(test_preflight.CheckerTestCase):
    """Through the Checker: exact problems, and the lists it reads."""

    def setUp(self):
        super().setUp()
        self.dst.find('subnet', 'dsub1')._update(
            cidr='10.0.0.0/24',
            allocation_pools=[{'start': '10.0.0.2', 'end': '10.0.0.254'}],
        )
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        # Source servers vm0 to vm2, without volumes.
        self.src.find('server', 'vm1')._update(attached_volumes=[])
        for server_id in ('vm0', 'vm2'):
            self.src.add('server', id=server_id, status='SHUTOFF')

    def checker(self):
        return preflight.Checker(
            refs.Lookup(self.src),
            refs.Lookup(self.dst, data_dir=self.data_dir),
        )

    def entry(self, *ips, server_id='vm1', name='app-vm', port_id='p-a'):
        """A server without volumes, with a port per address."""
        entry = fakes.server_entry(
            name=name,
            volumes=[],
            ports=[
                fakes.port_entry(port_id=port_id + str(i), ip=ip)
                for i, ip in enumerate(ips)
            ],
            floating_ips=[],
        )
        entry['_info']['id'] = server_id
        return entry

    def test_address_outside_the_subnet(self):
        resolved, problems = self.checker().check(
            self.entry('10.0.0.5', '10.9.0.5')
        )
        self.assertIsNone(resolved)
        self.assertEqual(
            [
                "ports[1] (port p-a1): fixed_ips: fixed IP 10.9.0.5 is not "
                "in subnet 'sub' (10.0.0.0/24) of the destination"
            ],
            problems,
        )

    def test_address_in_use_by_another_port(self):
        self.dst.add(
            'port',
            id='dp9',
            network_id='dnet1',
            mac_address='fa:16:3e:00:00:99',
            device_id='srv-x',
            fixed_ips=[{'subnet_id': 'dsub1', 'ip_address': '10.0.0.5'}],
        )
        self.assertEqual(
            [
                "ports[0] (port p-a0): fixed_ips: fixed IP 10.0.0.5 of "
                "subnet 'sub' (10.0.0.0/24) is in use in the destination by "
                "port dp9 (device srv-x), not this server's"
            ],
            self.checker().check(self.entry('10.0.0.5'))[1],
        )

    def test_its_made_ahead_port_is_no_problem(self):
        # The sync made it; its MAC is another (the source's was taken).
        self.dst.add(
            'port',
            id='dp-made',
            network_id='dnet1',
            mac_address='fa:16:3e:00:00:42',
            fixed_ips=[{'subnet_id': 'dsub1', 'ip_address': '10.0.0.5'}],
        )
        journal.Journal(self.data_dir, 'vm1', 'app-vm').update_step(
            'ports', created={'p-a0': 'dp-made'}
        )
        resolved, problems = self.checker().check(self.entry('10.0.0.5'))
        self.assertEqual([], problems)
        self.assertEqual(
            [{'subnet_id': 'dsub1', 'ip_address': '10.0.0.5'}],
            resolved.ports[0].fixed_ips,
        )
        # Another server's journal does not make it this one's.
        self.assertEqual(
            [
                "ports[0] (port p-b0): fixed_ips: fixed IP 10.0.0.5 of "
                "subnet 'sub' (10.0.0.0/24) is in use in the destination by "
                "port dp-made, not this server's"
            ],
            self.checker().check(
                self.entry('10.0.0.5', server_id='vm2', port_id='p-b')
            )[1],
        )

    def test_two_ports_of_the_file_claim_one_address(self):
        checker = self.checker()
        self.assertEqual([], checker.check(self.entry('10.0.0.5'))[1])
        # The same server checked again claims its own address.
        self.assertEqual([], checker.check(self.entry('10.0.0.5'))[1])
        self.assertEqual(
            [
                "ports[1] (port p-b1): fixed_ips: fixed IP 10.0.0.5 of "
                "subnet 'sub' (10.0.0.0/24) is also that of ports[0] (port "
                "p-a0) of server 'app-vm' in the data file"
            ],
            checker.check(
                self.entry(
                    '10.0.0.7',
                    '10.0.0.5',
                    server_id='vm2',
                    name='db-vm',
                    port_id='p-b',
                )
            )[1],
        )

    def test_address_outside_the_pools_is_a_remark(self):
        resolved, problems = self.checker().check(self.entry('10.0.0.1'))
        self.assertEqual([], problems)
        self.assertEqual(
            [
                'ports[0] (port p-a0): fixed_ips: fixed IP 10.0.0.1 is '
                'outside the allocation pools (10.0.0.2-10.0.0.254) of '
                "subnet 'sub': kept, as Neutron allows"
            ],
            resolved.remarks,
        )

    def test_no_address_given_is_not_checked(self):
        entry = self.entry('10.0.0.5')
        entry['params']['ports'][0]['params']['fixed_ips_refs'][0][
            'ip_address'
        ] = None
        self.assertEqual([], self.checker().check(entry)[1])
        self.assertEqual([], self.dst.calls_to('network.ports'))

    def test_one_ports_list_per_network_for_all_servers(self):
        checker = self.checker()
        for i in range(3):
            entry = self.entry(
                '10.0.0.%d' % (10 + i),
                '10.0.0.%d' % (20 + i),
                server_id='vm%d' % i,
                port_id='p%d-' % i,
            )
            self.assertEqual([], checker.check(entry)[1])
        self.assertEqual(
            [((), {'network_id': 'dnet1'})],
            self.dst.calls_to('network.ports'),
        )
        self.assertEqual([], self.dst.write_calls())

    def test_every_bad_address_listed_with_the_other_problems(self):
        entry = self.entry('10.0.0.0', '10.1.0.5')
        entry['params']['key_name'] = 'nokey'
        self.assertEqual(
            [
                "key_name: keypair 'nokey' not found in the destination",
                "ports[0] (port p-a0): fixed_ips: fixed IP 10.0.0.0 is the "
                "network address of subnet 'sub' (10.0.0.0/24) of the "
                'destination',
                "ports[1] (port p-a1): fixed_ips: fixed IP 10.1.0.5 is not "
                "in subnet 'sub' (10.0.0.0/24) of the destination",
            ],
            self.checker().check(entry)[1],
        )


class TestThroughTheRunner(base.BaseTestCase):
    """``workload sync``'s make-ahead run again, and an import's triage."""

    def setUp(self):
        super().setUp()
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        self.addCleanup(fakes.close_server_logs, self.data_dir)
        fakes.save_hosts(self.data_dir)
        self.src = fakes.source(status='ACTIVE')
        self.dst = fakes.destination()
        self.dst.find('subnet', 'dsub1')._update(cidr='10.0.0.0/24')
        self.ctx = migration.Context(
            self.data_dir,
            self.src,
            self.dst,
            volume_copy.Settings(timeout=60.0),
            clock=fakes.Clock(),
            pause=self.fail,
        )

    def lookups(self):
        return (
            refs.Lookup(self.src, data_dir=self.data_dir),
            refs.Lookup(self.dst, data_dir=self.data_dir),
        )

    def test_made_ahead_again(self):
        entry = fakes.server_entry()
        for _ in range(2):
            self.assertEqual(
                {'vm1': 'made ahead: server group, 1 port'},
                runner.make_ahead(self.ctx, [entry], *self.lookups()),
            )
        self.assertEqual(
            ['10.0.0.5'],
            [
                f['ip_address']
                for p in self.dst.store['port']
                for f in p.fixed_ips
            ],
        )

    def test_blocked_before_anything_is_made(self):
        entry = fakes.server_entry(ports=[fakes.port_entry(ip='10.9.0.5')])
        problem = (
            "ports[0] (port p-a): fixed_ips: fixed IP 10.9.0.5 is not in "
            "subnet 'sub' (10.0.0.0/24) of the destination"
        )
        self.assertEqual(
            {'vm1': 'nothing made ahead: %s' % problem},
            runner.make_ahead(self.ctx, [entry], *self.lookups()),
        )
        self.ctx.stop = True
        todo, outcomes = runner.triage(self.ctx, [entry], *self.lookups())
        self.assertEqual([], todo)
        self.assertEqual(
            [
                migration.ImportOutcome(
                    'app-vm', 'vm1', 'blocked', None, problem
                )
            ],
            outcomes,
        )
        self.assertEqual([], self.dst.write_calls())
