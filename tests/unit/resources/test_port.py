#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at
#
#        http://www.apache.org/licenses/LICENSE-2.0
#
#   Unless required by applicable law or agreed to in writing, software
#   distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#   WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#   License for the specific language governing permissions and limitations
#   under the License.

"""Ports no server or router owns: which are exported, how a twin is
found, and what a taken address does."""

from openstack import exceptions as sdk_exceptions
from oslotest import base

from osmigrateclient.resources import port
from osmigrateclient.resources import refs
from tests.unit import fakes


def _taken(what):
    return sdk_exceptions.ConflictException(
        'Conflict', details='The %s is in use.' % what
    )


class TestPort(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.src = fakes.FakeConnection(project_id='p-src')
        self.dst = fakes.FakeConnection(project_id='p-dst')
        self.res = port.RESOURCE()
        for conn, prefix in ((self.src, 's'), (self.dst, 'd')):
            conn.add('network', id=prefix + 'net', name='net')
            conn.add('subnet', id=prefix + 'sub', name='sub')
            conn.add('security_group', id=prefix + 'sg', name='web')

    def source_port(self, **attrs):
        values = dict(
            id='p1',
            name='vip',
            network_id='snet',
            device_owner='',
            mac_address='fa:16:3e:00:00:01',
            fixed_ips=[{'subnet_id': 'ssub', 'ip_address': '10.0.0.5'}],
            security_group_ids=['ssg'],
            allowed_address_pairs=[{'ip_address': '10.0.0.9'}],
        )
        values.update(attrs)
        return self.src.add('port', **values)

    def entry(self, **attrs):
        obj = self.source_port(**attrs)
        return self.res.from_sdk(refs.Lookup(self.src), obj)

    def test_export_selects_unowned_ports_and_subports(self):
        self.source_port(id='a', name='a')
        self.source_port(id='b', name='b', device_owner='trunk:subport')
        self.source_port(id='c', name='c', device_owner='compute:nova')
        self.source_port(id='d', name='d', device_owner='network:dhcp')
        self.source_port(id='e', name='e', project_id='other')
        entries = self.res.export(refs.Lookup(self.src), lambda name: True)
        self.assertEqual(['a', 'b'], [e['params']['name'] for e in entries])

    def test_fixed_ips_by_subnet_reference(self):
        params = self.entry()['params']
        self.assertEqual(
            [
                {
                    'ip_address': '10.0.0.5',
                    'subnet_ref': refs.make_ref('sub', '%auth%', '%auth%'),
                }
            ],
            params['fixed_ips_refs'],
        )
        self.assertEqual(
            refs.make_ref('net', '%auth%', '%auth%'), params['network_ref']
        )
        self.assertEqual(
            [refs.make_ref('web', '%auth%', '%auth%')],
            params['security_group_refs'],
        )

    def test_create_keeps_addresses(self):
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry())
        self.assertEqual(('created', ''), outcome[2:])
        [(_, kwargs)] = self.dst.calls_to('network.create_port')
        self.assertEqual(
            [{'subnet_id': 'dsub', 'ip_address': '10.0.0.5'}],
            kwargs['fixed_ips'],
        )
        self.assertEqual('fa:16:3e:00:00:01', kwargs['mac_address'])
        self.assertEqual('dnet', kwargs['network_id'])
        self.assertEqual(['dsg'], kwargs['security_group_ids'])

    def test_named_port_with_taken_mac_gets_a_new_one(self):
        made = []

        def create_port(**attrs):
            if 'mac_address' in attrs:
                raise _taken('mac address %s' % attrs['mac_address'])
            made.append(attrs)
            return self.dst._create(
                'port', mac_address='fa:16:3e:00:00:99', **attrs
            )

        self.dst._api_create_port = create_port
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry())
        self.assertEqual(
            (
                'created',
                'MAC fa:16:3e:00:00:01 is taken in the destination: the port '
                'has fa:16:3e:00:00:99',
            ),
            outcome[2:],
        )
        self.assertEqual(2, len(self.dst.calls_to('network.create_port')))
        # found again by name: nothing more made, no update of the MAC
        self.dst.calls.clear()
        again = self.res.apply(refs.Lookup(self.dst), self.entry())
        self.assertEqual('unchanged', again.action)
        self.assertEqual([], self.dst.write_calls())

    def test_unnamed_port_keeps_its_mac_or_fails(self):
        self.dst.fail(
            'network.create_port', _taken('mac address fa:16:3e:00:00:01')
        )
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry(name=''))
        self.assertEqual('failed', outcome.action)
        self.assertEqual('(MAC fa:16:3e:00:00:01)', outcome.name)
        self.assertEqual(1, len(self.dst.calls_to('network.create_port')))

    def test_unnamed_port_found_by_mac_on_its_network(self):
        self.dst.add(
            'port',
            name='',
            network_id='dnet',
            mac_address='fa:16:3e:00:00:01',
            fixed_ips=[{'subnet_id': 'dsub', 'ip_address': '10.0.0.7'}],
            security_group_ids=['dsg'],
            allowed_address_pairs=[{'ip_address': '10.0.0.9'}],
        )
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry(name=''))
        # another address on the same subnet is not a change
        self.assertEqual('unchanged', outcome.action)
        self.assertEqual([], self.dst.write_calls())

    def test_unnamed_port_without_mac_is_a_conflict(self):
        entry = self.entry(name='')
        entry['params']['mac_address'] = None
        outcome = self.res.apply(refs.Lookup(self.dst), entry)
        self.assertEqual(
            (
                'conflict',
                'an unnamed port without a MAC address cannot be found '
                'again: give it a name or a MAC in the file',
            ),
            outcome[2:],
        )

    def test_missing_subnet_blocks(self):
        entry = self.entry()
        entry['params']['fixed_ips_refs'][0]['subnet_ref']['name'] = 'gone'
        outcome = self.res.apply(refs.Lookup(self.dst), entry)
        self.assertEqual(
            (
                'blocked',
                "fixed_ips_refs: subnet 'gone' (project '%auth%') not found",
            ),
            outcome[2:],
        )
        self.assertEqual([], self.dst.write_calls())

    def test_renumbered_port_unchanged(self):
        self.dst.add(
            'port',
            name='vip',
            network_id='dnet',
            mac_address='fa:16:3e:00:00:99',
            fixed_ips=[{'subnet_id': 'dsub', 'ip_address': '10.0.0.7'}],
            security_group_ids=['dsg'],
            allowed_address_pairs=[
                {'ip_address': '10.0.0.9', 'mac_address': 'fa:16:3e:00:00:99'}
            ],
        )
        entry = self.entry()
        # as read back from a file: another key order
        entry['params']['fixed_ips_refs'] = [
            {
                'subnet_ref': dict(reversed(list(f['subnet_ref'].items()))),
                'ip_address': f['ip_address'],
            }
            for f in entry['params']['fixed_ips_refs']
        ]
        # a pair without a MAC has the port's
        entry['params']['allowed_address_pairs'] = [{'ip_address': '10.0.0.9'}]
        outcome = self.res.apply(refs.Lookup(self.dst), entry)
        self.assertEqual(('unchanged', ''), outcome[2:])
        self.assertEqual([], self.dst.write_calls())
