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

"""The generic resource behaviour, through networks."""

from openstack import exceptions as sdk_exceptions
from oslotest import base

from osmigrateclient.resources import base as resource_base
from osmigrateclient.resources import network
from osmigrateclient.resources import refs
from tests.unit import fakes
from tests.unit.resources.test_network import source_network

SRC = 'p-src'
DST = 'p-dst'
AUTH_QOS = {'name': 'qos1', 'project_name': '%auth%', 'domain_name': '%auth%'}


class TestHelpers(base.BaseTestCase):
    def test_api_message(self):
        self.assertEqual(
            'Invalid tag',
            resource_base._api_message(
                sdk_exceptions.BadRequestException('Invalid tag')
            ),
        )
        self.assertEqual(
            'first line',
            resource_base._api_message(
                sdk_exceptions.ConflictException(
                    message='Conflict', details='first line\nsecond'
                )
            ),
        )
        self.assertEqual(
            'SDKException',
            resource_base._api_message(sdk_exceptions.SDKException('')),
        )


class Base(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.src = fakes.FakeConnection(project_id=SRC)
        self.dst = fakes.FakeConnection(project_id=DST)
        self.lookup = refs.Lookup(self.dst)
        self.res = network.Network()

    def entry(self, **attrs):
        obj = source_network(self.src, **attrs)
        return self.res.from_sdk(refs.Lookup(self.src), obj)

    def twin(self, **attrs):
        """The destination copy of the default source network."""
        attrs.setdefault('id', 'net-dst-1')
        attrs.setdefault('project_id', DST)
        return source_network(self.dst, **attrs)


class TestIdentities(Base):
    def test_names(self):
        entry = self.entry()
        self.assertEqual('net1', self.res.name_of(entry))
        self.assertEqual(
            'openstack.network.Network:net1', self.res.import_identity(entry)
        )
        self.assertEqual(
            ('openstack.network.Network', 'net-src-1'),
            self.res.export_key(entry),
        )
        entry['params']['name'] = None
        self.assertEqual('', self.res.name_of(entry))

    def test_reachable(self):
        self.assertTrue(self.res.reachable(self.lookup))

        class AdminOnly(network.Network):
            admin_only = True

        self.assertFalse(AdminOnly().reachable(self.lookup))
        admin = refs.Lookup(fakes.FakeConnection(roles=['admin']))
        self.assertTrue(AdminOnly().reachable(admin))

    def test_reachable_where_neutron_has_the_extension(self):
        class Trunks(network.Network):
            plural_name = 'network trunks'
            extension = 'trunk'

        conn = fakes.FakeConnection()
        # a cloud that does not list its extensions: assumed there
        self.assertTrue(Trunks().reachable(refs.Lookup(conn)))
        conn.add('extension', alias='qos', name='QoS')
        with self.assertLogs('osmigrateclient.resources.base') as logs:
            self.assertFalse(Trunks().reachable(refs.Lookup(conn)))
        self.assertEqual(
            [
                'WARNING:osmigrateclient.resources.base:network trunks '
                "left out: the Neutron of the cloud has no 'trunk' extension"
            ],
            logs.output,
        )
        conn.add('extension', alias='trunk', name='Trunks')
        self.assertTrue(Trunks().reachable(refs.Lookup(conn)))

    def test_reachable_where_the_catalog_has_the_service(self):
        class Secrets(network.Network):
            plural_name = 'secrets'
            catalog_service = 'key-manager'

        conn = fakes.FakeConnection()
        conn.endpoint_for = lambda service_type: None
        with self.assertLogs('osmigrateclient.resources.base') as logs:
            self.assertFalse(Secrets().reachable(refs.Lookup(conn)))
        self.assertEqual(
            [
                'WARNING:osmigrateclient.resources.base:secrets left out: '
                "the cloud has no 'key-manager' service in its catalog"
            ],
            logs.output,
        )
        asked = []

        def endpoint_for(service_type):
            asked.append(service_type)
            return 'http://127.0.0.1:9311'

        conn.endpoint_for = endpoint_for
        lookup = refs.Lookup(conn)
        self.assertTrue(Secrets().reachable(lookup))
        self.assertTrue(Secrets().reachable(lookup))
        self.assertEqual(['key-manager'], asked)


class TestPlural(base.BaseTestCase):
    def plural(self, cli_name, plural_name=None):
        cls = type(
            'T',
            (resource_base.Resource,),
            {'cli_name': cli_name, 'plural_name': plural_name},
        )
        return cls().plural

    def test_english_endings(self):
        self.assertEqual(
            [
                'networks',
                'network qos policies',
                'address groups',
                'keypairs',
                'boxes',
                'matches',
            ],
            [
                self.plural(n)
                for n in (
                    'network',
                    'network qos policy',
                    'address group',
                    'keypair',
                    'box',
                    'match',
                )
            ],
        )

    def test_a_declared_plural_wins(self):
        self.assertEqual('data', self.plural('datum', 'data'))
