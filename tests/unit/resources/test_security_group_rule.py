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

"""Security group rules: identity without names, never duplicated."""

from oslotest import base

from osmigrateclient.resources import refs
from osmigrateclient.resources import security_group_rule
from tests.unit import fakes


def auth_ref(name):
    return {'name': name, 'project_name': '%auth%', 'domain_name': '%auth%'}


class TestSecurityGroupRule(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.src = fakes.FakeConnection(project_id='p-src')
        self.dst = fakes.FakeConnection(project_id='p-dst')
        self.res = security_group_rule.RESOURCE()
        self.web = self.src.add('security_group', name='web')
        self.db = self.src.add('security_group', name='db')
        self.other = self.src.add('security_group', name='x', project_id='o')
        self.dweb = self.dst.add('security_group', name='web', id='d-web')
        self.ddb = self.dst.add('security_group', name='db', id='d-db')

    def rule(self, conn, group, **attrs):
        values = dict(
            security_group_id=group.id,
            direction='ingress',
            ether_type='IPv4',
            protocol='tcp',
            port_range_min=5432,
            port_range_max=5432,
            remote_ip_prefix=None,
            description='pg',
        )
        values.update(attrs)
        return conn.add('security_group_rule', **values)

    def entry(self, **attrs):
        obj = self.rule(self.src, self.db, **attrs)
        return self.res.from_sdk(refs.Lookup(self.src), obj)

    def test_export(self):
        e = self.entry(remote_group_id=self.web.id)
        self.assertEqual('openstack.network.SecurityGroupRule', e['type'])
        self.assertEqual(
            {
                'description': 'pg',
                'direction': 'ingress',
                'ether_type': 'IPv4',
                'port_range_max': 5432,
                'port_range_min': 5432,
                'protocol': 'tcp',
                'remote_ip_prefix': None,
                'security_group_ref': auth_ref('db'),
                'remote_group_ref': auth_ref('web'),
                'remote_address_group_ref': None,
            },
            e['params'],
        )
        self.assertEqual(self.web.id, e['_info']['remote_group_id'])
        self.assertEqual('db', self.res.name_of(e))
        self.assertEqual(
            "db: ingress IPv4 tcp 5432 from remote_group 'web'",
            self.res.label_of(e),
        )

    def test_export_lists_rules_once_and_filters_by_group(self):
        self.rule(self.src, self.web)
        self.rule(self.src, self.db)
        self.rule(self.src, self.other)
        lookup = refs.Lookup(self.src)
        entries = self.res.export(lookup, lambda name: name == 'web')
        self.assertEqual(['web'], [self.res.name_of(e) for e in entries])
        self.assertEqual(
            ['network.security_group_rules', 'network.security_groups'],
            sorted(self.src.call_names()),
        )

    def test_create_then_unchanged(self):
        e = self.entry(remote_group_id=self.web.id)
        lookup = refs.Lookup(self.dst)
        self.assertEqual('created', self.res.apply(lookup, e).action)
        [(_, kwargs)] = self.dst.calls_to('network.create_security_group_rule')
        self.assertEqual(
            {
                'description': 'pg',
                'direction': 'ingress',
                'ether_type': 'IPv4',
                'port_range_max': 5432,
                'port_range_min': 5432,
                'protocol': 'tcp',
                'security_group_id': 'd-db',
                'remote_group_id': 'd-web',
            },
            kwargs,
        )
        self.dst.calls.clear()
        for again in (lookup, refs.Lookup(self.dst)):
            self.assertEqual('unchanged', self.res.apply(again, e).action)
        self.assertEqual([], self.dst.write_calls())

    def test_description_and_anywhere_prefix_do_not_count(self):
        self.rule(
            self.dst, self.ddb, description='other', remote_ip_prefix=None
        )
        e = self.entry(remote_ip_prefix='0.0.0.0/0')
        outcome = self.res.apply(refs.Lookup(self.dst), e)
        self.assertEqual('unchanged', outcome.action)
        self.assertEqual([], self.dst.write_calls())

    def test_other_port_is_another_rule(self):
        self.rule(self.dst, self.ddb)
        e = self.entry(port_range_min=5433, port_range_max=5433)
        self.assertEqual(
            'created', self.res.apply(refs.Lookup(self.dst), e).action
        )
        self.assertEqual(
            ['network.create_security_group_rule'], self.dst.write_calls()
        )

    def test_remote_group_is_part_of_identity(self):
        self.rule(self.dst, self.ddb, remote_group_id='d-db')
        e = self.entry(remote_group_id=self.web.id)
        self.assertEqual(
            'create', self.res.decide(refs.Lookup(self.dst), e).action
        )

    def test_missing_remote_group_blocks(self):
        e = self.entry(remote_group_id=self.web.id)
        e['params']['remote_group_ref']['name'] = 'gone'
        outcome = self.res.apply(refs.Lookup(self.dst), e)
        self.assertEqual('blocked', outcome.action)
        self.assertTrue(outcome.detail.startswith('remote_group_ref: '))

    def test_identities_differ_per_rule(self):
        a = self.entry()
        b = self.entry(port_range_min=1, port_range_max=1)
        c = self.entry(description='same rule')
        self.assertNotEqual(
            self.res.import_identity(a), self.res.import_identity(b)
        )
        self.assertEqual(
            self.res.import_identity(a), self.res.import_identity(c)
        )

    def test_pioneer_entry_without_address_group(self):
        e = self.entry()
        del e['params']['remote_address_group_ref']
        self.assertEqual(
            'created', self.res.apply(refs.Lookup(self.dst), e).action
        )


class TestBulkGroup(base.BaseTestCase):
    """Neutron takes the rules of one security group per bulk request."""

    def group_of(self, name, project='%auth%', **params):
        params['security_group_ref'] = {
            'name': name,
            'project_name': project,
            'domain_name': '%auth%',
        }
        return security_group_rule.RESOURCE().bulk_group({'params': params})

    def test_by_security_group(self):
        self.assertEqual(
            self.group_of('web', protocol='tcp'),
            self.group_of('web', protocol='udp'),
        )
        self.assertNotEqual(self.group_of('web'), self.group_of('db'))
        self.assertNotEqual(self.group_of('web'), self.group_of('web', 'p2'))
