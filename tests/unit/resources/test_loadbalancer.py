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


import fixtures
from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient.resources import _octavia_tree
from osmigrateclient.resources import base as resource_base
from osmigrateclient.resources import loadbalancer as lbmod
from tests.unit.resources import octavia_fakes
from tests.unit.resources.octavia_fakes import params
from tests.unit.resources.octavia_fakes import ref


class TestPlan(octavia_fakes.ResolveCase):
    def test_plan_blocked(self):
        entry = {
            'type': self.type.type,
            'params': params(address='10.0.0.5', subnet_ref=ref('nosuch')),
            '_info': {'id': 'x'},
        }
        self.assertEqual(
            resource_base.Decision(
                resource_base.BLOCKED,
                "pools[0].members[0].subnet_ref: subnet 'nosuch' (project "
                "'%auth%') not found",
            ),
            self.type.decide(self.lookup, entry),
        )
        self.assertEqual([], self.conn.write_calls())


class TestReferences(base.BaseTestCase):
    def test_references_in_the_tree(self):
        p = params(
            subnet_ref=ref('sub'), server_ref=ref('vm'), network_ref=ref('n')
        )
        p['listeners'][0]['default_tls_container_ref'] = ref('cert')
        self.assertEqual(
            [
                ('params.vip_network_ref', 'network', None),
                ('params.vip_qos_policy_ref', 'qos_policy', None),
                ('params.vip_subnet_ref', 'subnet', ref('sub')),
                (
                    'params.listeners[0].default_tls_container_ref',
                    'secret_container',
                    ref('cert'),
                ),
                (
                    'params.pools[0].members[0].subnet_ref',
                    'subnet',
                    ref('sub'),
                ),
                ('params.pools[0].members[0].server_ref', 'server', ref('vm')),
                (
                    'params.pools[0].members[0].network_ref',
                    'network',
                    ref('n'),
                ),
            ],
            lbmod.LoadBalancer().references_in(p),
        )

    def test_shape_of_the_tree(self):
        entry = {
            'type': lbmod.LoadBalancer.type,
            'params': params(address='10.0.0.5'),
            '_info': {'id': 'x'},
        }
        entry['params']['pools'][0]['members'][0]['weight'] = 'heavy'
        e = self.assertRaises(
            exceptions.DataFileError,
            lbmod.LoadBalancer().check,
            entry,
            'loadbalancers.yml',
            0,
        )
        self.assertEqual('params.pools[0].members[0].weight', e.field)


class TestPkcs12SecretReferences(base.BaseTestCase):
    def entry(self, cert):
        entry = {
            'type': lbmod.LoadBalancer.type,
            'params': params(address='10.0.0.5'),
            '_info': {'id': 'x'},
        }
        entry['params']['listeners'][0].update(
            protocol='TERMINATED_HTTPS', default_tls_container_ref=cert
        )
        return entry

    def check(self, entry):
        return self.assertRaises(
            exceptions.DataFileError,
            lbmod.LoadBalancer().check,
            entry,
            'loadbalancers.yml',
            0,
        )

    def test_a_secret_key_that_is_not_a_boolean(self):
        e = self.check(self.entry(dict(ref('bundle'), secret='yes')))
        self.assertEqual(
            "loadbalancers.yml: resource 0 (openstack.loadbalancer."
            "LoadBalancer 'lb'): field params.listeners[0]."
            "default_tls_container_ref.secret: must be bool, not a string",
            str(e),
        )
        entry = self.entry(ref('bundle'))
        entry['params']['listeners'][0]['sni_container_refs'] = [
            dict(ref('other'), secret=['x'])
        ]
        e = self.check(entry)
        self.assertEqual(
            (
                'params.listeners[0].sni_container_refs[0].secret',
                'must be bool, not a list',
            ),
            (e.field, e.problem),
        )

    def test_a_revocation_list_that_would_be_a_container(self):
        entry = self.entry(ref('bundle'))
        entry['params']['pools'][0]['crl_container_ref'] = dict(
            ref('crl'), secret=False
        )
        e = self.check(entry)
        self.assertEqual(
            (
                'params.pools[0].crl_container_ref.secret',
                'must be true or left out: this field names a secret (a CA '
                'or a revocation list), never a container',
            ),
            (e.field, e.problem),
        )

    def test_references_name_the_secret(self):
        secret = dict(ref('bundle'), secret=True)
        entry = self.entry(secret)
        entry['params']['listeners'][0]['sni_container_refs'] = [
            ref('cert'),
            secret,
        ]
        entry['params']['pools'][0]['tls_container_ref'] = secret
        # (valid: the check passes)
        lbmod.LoadBalancer().check(entry, 'loadbalancers.yml', 0)
        found = lbmod.LoadBalancer().references_in(entry['params'])
        self.assertEqual(
            [
                (
                    'params.listeners[0].default_tls_container_ref',
                    'secret',
                    secret,
                ),
                (
                    'params.listeners[0].sni_container_refs[0]',
                    'secret_container',
                    ref('cert'),
                ),
                (
                    'params.listeners[0].sni_container_refs[1]',
                    'secret',
                    secret,
                ),
                ('params.pools[0].tls_container_ref', 'secret', secret),
            ],
            [f for f in found if 'container_ref' in f[0]],
        )


class TestOrder(base.BaseTestCase):
    def test_after_what_it_refers_to(self):
        from osmigrateclient import resources

        names = [r.cli_name for r in resources.in_order()]
        for before in (
            'network',
            'subnet',
            'network qos policy',
            'security group',
            'secret',
            'secret container',
        ):
            self.assertLess(
                names.index(before), names.index('loadbalancer'), before
            )
        self.assertTrue(resources.get('loadbalancer').pre_workload)
        self.assertEqual(
            'load-balancer', resources.get('loadbalancer').catalog_service
        )


class TestImport(octavia_fakes.ResolveCase):
    def test_left_out_member_is_logged_by_import(self):
        entry = {
            'type': self.type.type,
            'params': params(
                name='m', server_ref=ref('vm'), network_ref=ref('net')
            ),
            '_info': {'id': 'x'},
        }
        lb = self.conn.add(
            'load_balancer',
            name='lb',
            provisioning_status='ACTIVE',
            vip_subnet_id=self.sub.id,
            vip_address='10.0.0.50',
            provider='amphora',
        )
        pool = self.conn.add(
            'lb_pool',
            name='web',
            protocol='HTTP',
            loadbalancers=[{'id': lb.id}],
        )
        self.conn.add(
            'lb_listener',
            name='http',
            protocol='HTTP',
            default_pool_id=pool.id,
            load_balancers=[{'id': lb.id}],
        )
        # (Octavia lists members per pool: this pool has none)
        self.useFixture(
            fixtures.MockPatchObject(
                _octavia_tree, 'per_parent', lambda *a: []
            )
        )
        with self.assertLogs(lbmod.LOG.name, 'WARNING') as logs:
            outcome = self.type.apply(self.lookup, entry)
        self.assertEqual(
            [
                "WARNING:%s:load balancer lb: member m of pool web left out: "
                "server 'vm' (project '%%auth%%') not found (import the load "
                'balancers again after the workload import)' % lbmod.LOG.name
            ],
            logs.output,
        )
        self.assertEqual('unchanged', outcome.action)
        self.assertEqual([], self.conn.write_calls())


class TestVipsAndTls(octavia_fakes.ResolveCase):
    def test_references_of_vips_and_barbican(self):
        p = params(address='10.0.0.5')
        p['additional_vips'] = [
            {'subnet_ref': ref('sub2'), 'ip_address': None}
        ]
        p['vip_sg_refs'] = [ref('sg')]
        p['listeners'][0]['client_ca_tls_container_ref'] = ref('ca')
        p['pools'][0]['crl_container_ref'] = ref('crl')
        p['pools'][0]['tls_container_ref'] = ref('cert')
        self.assertEqual(
            [
                ('params.vip_network_ref', 'network', None),
                ('params.vip_qos_policy_ref', 'qos_policy', None),
                ('params.vip_subnet_ref', 'subnet', ref('sub')),
                (
                    'params.additional_vips[0].subnet_ref',
                    'subnet',
                    ref('sub2'),
                ),
                ('params.vip_sg_refs[0]', 'security_group', ref('sg')),
                (
                    'params.listeners[0].client_ca_tls_container_ref',
                    'secret',
                    ref('ca'),
                ),
                (
                    'params.pools[0].tls_container_ref',
                    'secret_container',
                    ref('cert'),
                ),
                ('params.pools[0].crl_container_ref', 'secret', ref('crl')),
            ],
            self.type.references_in(p),
        )

    def test_address_tries(self):
        vips = [{'subnet_id': 's2', 'ip_address': '10.1.0.5'}]
        self.assertEqual(
            [
                ({'vip_address': '10.0.0.5'}, vips),
                ({'vip_address': '10.0.0.5'}, [{'subnet_id': 's2'}]),
                ({}, vips),
                ({}, [{'subnet_id': 's2'}]),
            ],
            lbmod._address_tries('10.0.0.5', vips),
        )
        self.assertEqual(
            [({'vip_address': '10.0.0.5'}, []), ({}, [])],
            lbmod._address_tries('10.0.0.5', []),
        )
        self.assertEqual(
            [({}, [{'subnet_id': 's2'}])],
            lbmod._address_tries(
                None, [{'subnet_id': 's2', 'ip_address': None}]
            ),
        )

    def test_remarks_say_which_address_was_not_free(self):
        sub2 = self.conn.add('subnet', name='sub2', network_id=self.net.id)
        self.useFixture(
            fixtures.MockPatchObject(
                _octavia_tree, 'api_version', lambda lookup: (2, 30)
            )
        )
        p = params(address='10.0.0.5')
        p['additional_vips'] = [
            {'subnet_ref': ref('sub2'), 'ip_address': '10.1.0.5'}
        ]
        entry = {'type': self.type.type, 'params': p, '_info': {'id': 'x'}}
        lb = self.conn.add(
            'load_balancer',
            name='lb',
            vip_address='10.0.0.50',
            additional_vips=[{'subnet_id': sub2.id, 'ip_address': '10.1.0.7'}],
        )
        self.assertEqual(
            'additional VIP address 10.1.0.5 not free: the load balancer '
            'has 10.1.0.7',
            self.type.remarks(self.lookup, lb, entry),
        )
        lb.additional_vips = [{'subnet_id': sub2.id, 'ip_address': '10.1.0.5'}]
        self.assertEqual('', self.type.remarks(self.lookup, lb, entry))
