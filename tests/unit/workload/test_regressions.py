#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

"""Regression tests of bugs found in the workload import by its unit
tests' author: each failed before its fix."""

import json

from openstack import exceptions as sdk_exceptions
import requests

from osmigrateclient.workload import journal
from osmigrateclient.workload import migration
from tests.unit.workload import fakes
from tests.unit.workload import test_migration
from tests.unit.workload import test_preflight


class TestNovaPortMode(test_migration.ImportTestCase):
    """Bug 1: port_creation_mode nova always fails at step server
    (KeyError: the neutron networks list is built from the empty port map
    before the nova branch replaces it)."""

    def test_port_creation_mode_nova(self):
        self.dst.add('subnet', id='dsub1', network_id='dnet1')
        outcome = self.run_import(
            fakes.resolved(port_mode='nova', data_volumes=[])
        )
        server = self.one('server')
        port = self.one('port')
        self.assertEqual(
            migration.Outcome('app-vm', 'vm1', 'created', server.id, ''),
            outcome,
        )
        self.assertEqual(
            [
                'compute.create_server_group',
                'compute.create_server',
                'network.create_ip',
            ],
            self.dst.write_calls(),
        )
        (kwargs,) = self.kwargs(self.dst, 'compute.create_server')
        self.assertEqual(
            (
                [{'uuid': 'dnet1', 'fixed_ip': '10.0.0.5'}],
                [{'name': 'dsg1'}],
            ),
            (kwargs['networks'], kwargs['security_groups']),
        )
        self.assertEqual(server.id, port.device_id)
        self.assertEqual(
            {'p-a': port.id}, self.journal()['steps']['ports']['result']
        )
        self.assertEqual(port.id, self.one('floating_ip').port_id)

    def test_port_creation_mode_nova_revert_leaves_ports_to_nova(self):
        self.dst.add('subnet', id='dsub1', network_id='dnet1')
        self.dst.fail(
            'network.create_ip',
            sdk_exceptions.ConflictException('No more IP addresses'),
        )
        outcome = self.run_import(
            fakes.resolved(port_mode='nova', data_volumes=[])
        )
        self.assertEqual(
            'step floating_ips: No more IP addresses', outcome.detail
        )
        self.assertEqual([], self.dst.calls_to('network.delete_port'))
        self.assertEqual([], self.dst.store['server'])


class TestStaleRemarks(test_migration.ImportTestCase):
    """Bug 2: Journal.reset() keeps 'remarks': a retry after a failed run
    reports the failed run's remarks (and adds its own again)."""

    def test_retry_does_not_repeat_the_failed_runs_remarks(self):
        self.dst.add(
            'port',
            id='held',
            network_id='dnet1',
            device_id='other-vm',
            mac_address='mac-a',
            fixed_ips=[{'subnet_id': 'dsub1', 'ip_address': '10.0.0.99'}],
        )
        self.dst.server_status = 'ERROR'
        self.assertEqual('failed', self.run_import().action)
        # The MAC is free now, and the server boots.
        self.dst.store['port'] = []
        self.dst.server_status = 'ACTIVE'
        outcome = self.run_import()
        self.assertEqual(('created', ''), (outcome.action, outcome.detail))
        self.assertNotIn(
            'remarks', journal.Journal(self.data_dir, 'vm1', 'x').data
        )


class TestForeignPort(test_migration.ImportTestCase):
    """Bug 3: _orphan_port() takes any unattached destination port with
    the same MAC on the network (even on a first run, with an empty
    journal), and the revert of a failed import then deletes that port,
    which the import did not make."""

    def test_revert_leaves_a_port_it_did_not_make(self):
        self.dst.add(
            'port',
            id='theirs',
            network_id='dnet1',
            device_id='',
            mac_address='mac-a',
            fixed_ips=[{'subnet_id': 'dsub1', 'ip_address': '10.0.0.5'}],
        )
        self.dst.server_status = 'ERROR'
        self.assertEqual('failed', self.run_import().action)
        self.assertEqual([], self.dst.calls_to('network.delete_port'))
        self.assertEqual(['theirs'], [p.id for p in self.dst.store['port']])


class TestServerNameRegex(test_migration.ImportTestCase):
    """Bug 4: the server of a killed create is looked up with the name
    as an unescaped regular expression: a name with ( ) + [ ... does not
    match itself, and a second server is created."""

    def test_killed_create_with_a_regex_character_in_the_name(self):
        self.dst.add('server', id='dkilled', name='app(1)', status='ACTIVE')
        j = journal.Journal(self.data_dir, 'vm1', 'app(1)')
        j.set(phase='running')
        j.update_step('server', state='started', creating=True)
        outcome = self.run_import(
            fakes.resolved(
                name='app(1)',
                server_attrs={'name': 'app(1)'},
                data_volumes=[],
                ports=[],
                floating_ips=[],
                server_group=None,
            )
        )
        self.assertEqual([], self.dst.calls_to('compute.create_server'))
        self.assertEqual('dkilled', outcome.dest_id)


def _conflict(url, message):
    """A ConflictException as openstacksdk raises it from a response."""
    response = requests.Response()
    response.status_code = 409
    response.headers['content-type'] = 'application/json'
    response._content = json.dumps(
        {'NeutronError': {'type': 'X', 'message': message, 'detail': ''}}
    ).encode()
    response.request = requests.Request('POST', url).prepare()
    response.url = url
    try:
        sdk_exceptions.raise_from_response(response)
    except sdk_exceptions.ConflictException as e:
        return e


class TestConflictText(test_migration.ImportTestCase):
    """Bug 5: _create_port() looks for 'mac' / 'ip' anywhere in str(e),
    which holds the endpoint URL: a quota conflict from
    https://vip.example.com drops the fixed IPs; an IP conflict from a
    host named mac* drops the MAC."""

    ATTRS = {
        'network_id': 'dnet1',
        'fixed_ips': [{'subnet_id': 'dsub1', 'ip_address': '10.0.0.5'}],
        'mac_address': 'mac-a',
    }

    def _create(self, error):
        self.dst.fail('network.create_port', error)
        remarks = []
        self.assertRaises(
            sdk_exceptions.ConflictException,
            self.importer()._create_port,
            {
                'network_id': 'dnet1',
                'fixed_ips': [
                    {'subnet_id': 'dsub1', 'ip_address': '10.0.0.5'}
                ],
                'mac_address': 'mac-a',
            },
            remarks,
        )
        return remarks

    def test_quota_conflict_from_a_vip_endpoint(self):
        remarks = self._create(
            _conflict(
                'https://vip.example.com:9696/v2.0/ports',
                "Quota exceeded for resources: ['port'].",
            )
        )
        self.assertEqual([], remarks)
        self.assertEqual(1, len(self.dst.calls_to('network.create_port')))

    def test_ip_conflict_from_a_mac_named_endpoint(self):
        remarks = self._create(
            _conflict(
                'https://machine1.example.com:9696/v2.0/ports',
                'IP address 10.0.0.5 already allocated in subnet dsub1',
            )
        )
        self.assertEqual(
            [
                'fixed IP 10.0.0.5 is taken in the destination: the port '
                'got a new one'
            ],
            remarks,
        )


class TestPreflightBugs(test_preflight.TestChecker):
    """Bug 6: the nova-mode fixed-IP problem counts only the ports that
    resolved, so it names the wrong port.  Bug 7: with data_copy false no
    volume is made, yet the file's volume types are still required in the
    destination."""

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

    def test_data_copy_off_does_not_need_the_volume_types(self):
        self.dst.volume_types = []
        self.dst.add('volume', id='ddata', status='available')
        resolved, problems = self.check(
            fakes.server_entry(
                {'data_copy': False, 'additional_volumes': [{'uuid': 'ddata'}]}
            )
        )
        self.assertEqual([], problems)
        self.assertEqual(['ddata'], resolved.existing_volume_ids)


# Only the bug tests, not the inherited ones.
def load_tests(loader, standard_tests, pattern):
    import unittest

    suite = unittest.TestSuite()
    for case in (
        TestNovaPortMode,
        TestStaleRemarks,
        TestForeignPort,
        TestServerNameRegex,
        TestConflictText,
    ):
        suite.addTests(loader.loadTestsFromTestCase(case))
    for name in (
        'test_nova_mode_names_the_right_port',
        'test_data_copy_off_does_not_need_the_volume_types',
    ):
        suite.addTest(TestPreflightBugs(name))
    return suite
