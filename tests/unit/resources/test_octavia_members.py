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


from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient.resources import _octavia_members
from osmigrateclient.resources import refs
from tests.unit import fakes
from tests.unit.resources import octavia_fakes
from tests.unit.resources.octavia_fakes import params
from tests.unit.resources.octavia_fakes import ref


class TestResolveMember(octavia_fakes.ResolveCase):
    def test_member_by_address(self):
        found, remarks = self.resolve(
            params(address='10.0.0.5', subnet_ref=ref('sub'))
        )
        (member,) = found['pools'][0]['members']
        self.assertEqual('(10.0.0.5:80)', member['key'])
        self.assertEqual(
            ('10.0.0.5', self.sub.id),
            (member['attrs']['address'], member['attrs']['subnet_id']),
        )
        self.assertEqual([], remarks)
        self.assertEqual(self.sub.id, found['attrs']['vip_subnet_id'])
        self.assertNotIn('vip_network_id', found['attrs'])
        self.assertEqual('web', found['listeners'][0]['attrs']['default_pool'])

    def test_member_on_a_server_gets_its_address(self):
        self.add_server('10.0.0.20')
        found, remarks = self.resolve(
            params(server_ref=ref('vm'), network_ref=ref('net'))
        )
        (member,) = found['pools'][0]['members']
        self.assertEqual(
            ('10.0.0.20', self.sub.id),
            (member['attrs']['address'], member['attrs']['subnet_id']),
        )
        self.assertEqual([], remarks)

    def test_member_on_a_server_not_there_yet_is_left_out(self):
        found, remarks = self.resolve(
            params(name='m', server_ref=ref('vm'), network_ref=ref('net'))
        )
        self.assertEqual([], found['pools'][0]['members'])
        self.assertEqual(
            [
                "member m of pool web left out: server 'vm' (project "
                "'%auth%') not found (import the load balancers again after "
                'the workload import)'
            ],
            remarks,
        )

    def test_missing_subnet_names_the_field(self):
        e = self.assertRaises(
            exceptions.UnresolvedReference,
            self.resolve,
            params(address='10.0.0.5', subnet_ref=ref('nosuch')),
        )
        self.assertEqual('pools[0].members[0].subnet_ref', e.field)
        self.assertEqual(
            "subnet 'nosuch' (project '%auth%') not found", e.problem
        )


class TestServerPort(base.BaseTestCase):
    def test_fixed_ip_of_a_server(self):
        conn = fakes.FakeConnection()
        server = conn.add('server', name='vm')
        port = conn.add(
            'port',
            device_owner='compute:nova',
            device_id=server.id,
            network_id='n1',
            fixed_ips=[{'subnet_id': 's1', 'ip_address': '10.0.0.5'}],
        )
        conn.add(
            'port',
            device_owner='',
            fixed_ips=[{'subnet_id': 's1', 'ip_address': '10.0.0.6'}],
        )
        lookup = refs.Lookup(conn)
        self.assertEqual(
            (server, port),
            _octavia_members.server_port(lookup, '10.0.0.5', 's1'),
        )
        self.assertEqual(
            (server, port),
            _octavia_members.server_port(lookup, '10.0.0.5', None),
        )
        # another subnet's address, or a port no server owns
        self.assertEqual(
            (None, None),
            _octavia_members.server_port(lookup, '10.0.0.5', 's2'),
        )
        self.assertEqual(
            (None, None),
            _octavia_members.server_port(lookup, '10.0.0.6', None),
        )
