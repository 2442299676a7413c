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
from openstack import exceptions as sdk_exceptions

from osmigrateclient import exceptions
from osmigrateclient.resources import _octavia_file
from osmigrateclient.resources import _octavia_tree
from tests.unit.resources import octavia_fakes
from tests.unit.resources.octavia_fakes import params
from tests.unit.resources.octavia_fakes import ref


class TestResolve(octavia_fakes.ResolveCase):
    def test_provider_the_destination_lacks(self):
        p = params(address='10.0.0.5')
        p['provider'] = 'ovn'
        e = self.assertRaises(exceptions.UnresolvedReference, self.resolve, p)
        self.assertEqual(
            (
                'provider',
                "provider 'ovn' not in the destination (it has: amphora)",
            ),
            (e.field, e.problem),
        )

    def test_pool_of_another_name(self):
        p = params(address='10.0.0.5')
        p['listeners'][0]['default_pool'] = 'api'
        e = self.assertRaises(exceptions.UnresolvedReference, self.resolve, p)
        self.assertEqual('listeners[0].default_pool', e.field)

    def test_unnamed_pool_reference_blocks(self):
        p = params(address='10.0.0.5')
        p['listeners'][0]['default_pool'] = None
        e = self.assertRaises(
            exceptions.UnresolvedReference,
            self.resolve,
            p,
            ['listeners[0].default_pool'],
        )
        self.assertEqual(_octavia_file.UNNAMED_POOL, e.problem)
        # named in the file since: resolved
        self.resolve(params(address='10.0.0.5'), ['listeners[0].default_pool'])


class TestDuplicates(octavia_fakes.ResolveCase):
    def test_two_pools_of_one_name(self):
        p = params(address='10.0.0.5')
        p['pools'].append({'name': 'web', 'protocol': 'TCP'})
        e = self.assertRaises(exceptions.UnresolvedReference, self.resolve, p)
        self.assertEqual(
            (
                'pools[1]',
                'duplicate: pool web is also pools[0]: an import cannot '
                'tell them apart',
            ),
            (e.field, e.problem),
        )

    def test_two_unnamed_listeners_on_one_port(self):
        p = params(address='10.0.0.5')
        p['listeners'] = [
            {'protocol': 'HTTP', 'protocol_port': 80},
            {'protocol': 'HTTP', 'protocol_port': 80},
        ]
        e = self.assertRaises(exceptions.UnresolvedReference, self.resolve, p)
        self.assertEqual('listeners[1]', e.field)


class TestHostileFile(octavia_fakes.ResolveCase):
    def test_unreferenced_path_of_a_huge_index(self):
        field = 'listeners[%s].default_pool' % ('9' * 5000)
        e = self.assertRaises(
            exceptions.UnresolvedReference,
            self.resolve,
            params(address='10.0.0.5'),
            [field],
        )
        self.assertEqual(
            (field, _octavia_file.UNNAMED_POOL), (e.field, e.problem)
        )


class TestFlavorAndProvider(octavia_fakes.ResolveCase):
    def test_flavor_by_name(self):
        flavor = self.conn.add('lb_flavor', name='small')
        p = params(address='10.0.0.5')
        p['flavor'] = 'small'
        found, _ = self.resolve(p)
        self.assertEqual(flavor.id, found['attrs']['flavor_id'])
        p['flavor'] = 'large'
        e = self.assertRaises(exceptions.UnresolvedReference, self.resolve, p)
        self.assertEqual(
            (
                'flavor',
                "load balancer flavor 'large' not found in the destination",
            ),
            (e.field, e.problem),
        )

    def test_lists_refused(self):
        forbidden = sdk_exceptions.ForbiddenException('no')
        self.conn.fail('load_balancer.flavors', forbidden)
        self.conn.fail('load_balancer.providers', forbidden)
        p = params(address='10.0.0.5')
        p['provider'] = 'ovn'
        # the provider is left to Octavia's create
        self.resolve(p)
        p['flavor'] = 'small'
        e = self.assertRaises(exceptions.UnresolvedReference, self.resolve, p)
        self.assertEqual(
            "cannot look load balancer flavor 'small' up: the user may not "
            'list flavors',
            e.problem,
        )


def href(kind, name):
    return 'http://barbican/v1/%s/%s' % (kind, name)


class TestBarbicanReferences(octavia_fakes.ResolveCase):
    def setUp(self):
        super().setUp()
        for name in ('ca', 'crl'):
            self.conn.add('secret', id=href('secrets', name), name=name)
        self.conn.add(
            'secret_container', id=href('containers', 'cert'), name='cert'
        )

    def tls_params(self):
        p = params(address='10.0.0.5')
        p['listeners'][0].update(
            protocol='TERMINATED_HTTPS',
            client_authentication='MANDATORY',
            default_tls_container_ref=ref('cert'),
            client_ca_tls_container_ref=ref('ca'),
            client_crl_container_ref=ref('crl'),
        )
        p['pools'][0].update(
            tls_enabled=True,
            tls_container_ref=ref('cert'),
            ca_tls_container_ref=ref('ca'),
            crl_container_ref=ref('crl'),
        )
        return p

    def test_export_by_name(self):
        listener = {
            'name': 'https',
            'client_authentication': 'MANDATORY',
            'default_tls_container_ref': href('containers', 'cert'),
            'client_ca_tls_container_ref': href('secrets', 'ca'),
            'client_crl_container_ref': href('secrets', 'gone'),
            'l7policies': [],
        }
        exported = _octavia_file.listener_params(self.lookup, listener, {})
        self.assertEqual(
            ('MANDATORY', ref('cert'), ref('ca'), None),
            (
                exported['client_authentication'],
                exported['default_tls_container_ref'],
                exported['client_ca_tls_container_ref'],
                exported['client_crl_container_ref'],
            ),
        )
        pool = {
            'name': 'web',
            'tls_enabled': True,
            'tls_container_ref': href('containers', 'cert'),
            'ca_tls_container_ref': href('secrets', 'ca'),
            'members': [],
            'healthmonitor': None,
        }
        exported_pool = _octavia_file.pool_params(self.lookup, pool)
        self.assertEqual(
            (True, ref('cert'), ref('ca')),
            (
                exported_pool['tls_enabled'],
                exported_pool['tls_container_ref'],
                exported_pool['ca_tls_container_ref'],
            ),
        )
        # (a field the source does not set stays out of the file)
        self.assertNotIn('crl_container_ref', exported_pool)
        self.assertEqual(
            ['listeners[0].client_crl_container_ref'],
            _octavia_file.unreferenced_fields(
                {'listeners': [listener], 'pools': [pool]},
                {'listeners': [exported], 'pools': [exported_pool]},
            ),
        )

    def test_resolved_to_the_destination_hrefs(self):
        found, remarks = self.resolve(self.tls_params())
        self.assertEqual(
            (
                'MANDATORY',
                href('containers', 'cert'),
                href('secrets', 'ca'),
                href('secrets', 'crl'),
            ),
            tuple(
                found['listeners'][0]['attrs'][f]
                for f in (
                    'client_authentication',
                    'default_tls_container_ref',
                    'client_ca_tls_container_ref',
                    'client_crl_container_ref',
                )
            ),
        )
        self.assertEqual(
            (
                True,
                href('containers', 'cert'),
                href('secrets', 'ca'),
                href('secrets', 'crl'),
            ),
            tuple(
                found['pools'][0]['attrs'][f]
                for f in (
                    'tls_enabled',
                    'tls_container_ref',
                    'ca_tls_container_ref',
                    'crl_container_ref',
                )
            ),
        )
        self.assertEqual([], remarks)

    def test_a_secret_not_in_the_destination_blocks(self):
        p = self.tls_params()
        p['listeners'][0]['client_crl_container_ref'] = ref('nosuch')
        e = self.assertRaises(exceptions.UnresolvedReference, self.resolve, p)
        self.assertEqual(
            (
                'listeners[0].client_crl_container_ref',
                "secret 'nosuch' (project '%auth%') not found",
            ),
            (e.field, e.problem),
        )
        p = self.tls_params()
        p['pools'][0]['tls_container_ref'] = ref('nosuch')
        e = self.assertRaises(exceptions.UnresolvedReference, self.resolve, p)
        self.assertEqual('pools[0].tls_container_ref', e.field)

    def test_a_secret_the_export_could_not_name_blocks(self):
        p = self.tls_params()
        p['pools'][0]['ca_tls_container_ref'] = None
        e = self.assertRaises(
            exceptions.UnresolvedReference,
            self.resolve,
            p,
            ['pools[0].ca_tls_container_ref'],
        )
        self.assertEqual(
            ('pools[0].ca_tls_container_ref', _octavia_file.UNNAMED_SECRET),
            (e.field, e.problem),
        )

    def test_kind_named_by(self):
        self.assertEqual(
            [
                'secret',
                'secret',
                'secret_container',
                'secret_container',
                'subnet',
                'security_group',
                'pool',
            ],
            [
                _octavia_file.kind_named_by(f)
                for f in (
                    'listeners[0].client_ca_tls_container_ref',
                    'pools[1].crl_container_ref',
                    'pools[0].tls_container_ref',
                    'listeners[0].sni_container_refs[2]',
                    'additional_vips[0].subnet_ref',
                    'vip_sg_refs[1]',
                    'listeners[0].l7policies[0].redirect_pool',
                )
            ],
        )


def secret_ref(name):
    return dict(ref(name), secret=True)


class TestPkcs12Secrets(octavia_fakes.ResolveCase):
    """Certificates held as one PKCS12 secret instead of a container."""

    def setUp(self):
        super().setUp()
        for name in ('bundle', 'other'):
            self.conn.add('secret', id=href('secrets', name), name=name)
        # (a container of the same name: the reference says which)
        self.conn.add(
            'secret_container', id=href('containers', 'bundle'), name='bundle'
        )

    def test_export_names_the_secret_with_its_type(self):
        listener = {
            'name': 'https',
            'protocol': 'TERMINATED_HTTPS',
            'default_tls_container_ref': href('secrets', 'bundle'),
            'sni_container_refs': [
                href('containers', 'bundle'),
                href('secrets', 'other'),
                href('secrets', 'gone'),
            ],
            'l7policies': [],
        }
        exported = _octavia_file.listener_params(self.lookup, listener, {})
        self.assertEqual(
            (
                secret_ref('bundle'),
                [ref('bundle'), secret_ref('other'), None],
            ),
            (
                exported['default_tls_container_ref'],
                exported['sni_container_refs'],
            ),
        )
        pool = {
            'name': 'web',
            'tls_enabled': True,
            'tls_container_ref': href('secrets', 'other'),
            'members': [],
            'healthmonitor': None,
        }
        exported_pool = _octavia_file.pool_params(self.lookup, pool)
        self.assertEqual(
            secret_ref('other'), exported_pool['tls_container_ref']
        )
        self.assertEqual(
            ['listeners[0].sni_container_refs[2]'],
            _octavia_file.unreferenced_fields(
                {'listeners': [listener], 'pools': [pool]},
                {'listeners': [exported], 'pools': [exported_pool]},
            ),
        )

    def tls_params(self, cert):
        p = params(address='10.0.0.5')
        p['listeners'][0].update(
            protocol='TERMINATED_HTTPS',
            default_tls_container_ref=cert,
            sni_container_refs=[ref('bundle'), secret_ref('other')],
        )
        p['pools'][0].update(tls_enabled=True, tls_container_ref=cert)
        return p

    def test_resolved_to_the_destination_secret(self):
        found, _ = self.resolve(self.tls_params(secret_ref('bundle')))
        listener = found['listeners'][0]['attrs']
        self.assertEqual(
            (
                href('secrets', 'bundle'),
                [href('containers', 'bundle'), href('secrets', 'other')],
                href('secrets', 'bundle'),
            ),
            (
                listener['default_tls_container_ref'],
                listener['sni_container_refs'],
                found['pools'][0]['attrs']['tls_container_ref'],
            ),
        )
        found, _ = self.resolve(
            self.tls_params(dict(ref('bundle'), secret=False))
        )
        self.assertEqual(
            href('containers', 'bundle'),
            found['listeners'][0]['attrs']['default_tls_container_ref'],
        )

    def test_a_secret_not_in_the_destination_blocks(self):
        p = self.tls_params(secret_ref('bundle'))
        p['listeners'][0]['sni_container_refs'][1] = secret_ref('nosuch')
        e = self.assertRaises(exceptions.UnresolvedReference, self.resolve, p)
        self.assertEqual(
            (
                'listeners[0].sni_container_refs[1]',
                "secret 'nosuch' (project '%auth%') not found",
            ),
            (e.field, e.problem),
        )
        # (a container of that name does not stand in for it)
        self.conn.add(
            'secret_container', id=href('containers', 'cert'), name='cert'
        )
        p = self.tls_params(secret_ref('cert'))
        e = self.assertRaises(exceptions.UnresolvedReference, self.resolve, p)
        self.assertEqual(
            (
                'pools[0].tls_container_ref',
                "secret 'cert' (project '%auth%') not found",
            ),
            (e.field, e.problem),
        )

    def test_a_ca_is_never_a_container(self):
        p = self.tls_params(secret_ref('bundle'))
        p['pools'][0]['ca_tls_container_ref'] = secret_ref('ca')
        self.assertIsNone(_octavia_file.secret_key_problem(p))
        p['pools'][0]['ca_tls_container_ref'] = dict(ref('ca'), secret=False)
        self.assertEqual(
            (
                'pools[0].ca_tls_container_ref.secret',
                'must be true or left out: this field names a secret (a CA '
                'or a revocation list), never a container',
            ),
            _octavia_file.secret_key_problem(p),
        )


class TestVips(octavia_fakes.ResolveCase):
    def setUp(self):
        super().setUp()
        self.sub2 = self.conn.add(
            'subnet', name='sub2', network_id=self.net.id
        )
        self.group = self.conn.add('security_group', name='sg')
        self.version = (2, 30)
        self.useFixture(
            fixtures.MockPatchObject(
                _octavia_tree, 'api_version', lambda lookup: self.version
            )
        )

    def vip_params(self):
        p = params(address='10.0.0.5')
        p['additional_vips'] = [
            {'subnet_ref': ref('sub2'), 'ip_address': '10.1.0.5'}
        ]
        p['vip_sg_refs'] = [ref('sg')]
        return p

    def test_export(self):
        tree = {
            'additional_vips': [
                {'subnet_id': self.sub2.id, 'ip_address': '10.1.0.5'},
                {'subnet_id': 'not-visible', 'ip_address': '10.2.0.5'},
            ],
            'vip_sg_ids': [self.group.id],
            'listeners': [],
            'pools': [],
        }
        exported = _octavia_file.vip_params(self.lookup, tree)
        self.assertEqual(
            {
                'additional_vips': [
                    {'subnet_ref': None, 'ip_address': '10.2.0.5'},
                    {'subnet_ref': ref('sub2'), 'ip_address': '10.1.0.5'},
                ],
                'vip_sg_refs': [ref('sg')],
            },
            exported,
        )
        self.assertEqual(
            ['additional_vips[0].subnet_ref'],
            _octavia_file.unreferenced_fields(
                tree, dict(exported, listeners=[], pools=[])
            ),
        )
        # a source whose Octavia does not have them: null, not compared
        self.assertEqual(
            {'additional_vips': None, 'vip_sg_refs': None},
            _octavia_file.vip_params(self.lookup, {}),
        )

    def test_resolved(self):
        found, remarks = self.resolve(self.vip_params())
        self.assertEqual(
            (
                [{'subnet_id': self.sub2.id, 'ip_address': '10.1.0.5'}],
                [self.group.id],
                [],
            ),
            (
                found['attrs']['additional_vips'],
                found['attrs']['vip_sg_ids'],
                remarks,
            ),
        )

    def test_unknown_names_block(self):
        p = self.vip_params()
        p['vip_sg_refs'] = [ref('sg'), ref('nosuch')]
        e = self.assertRaises(exceptions.UnresolvedReference, self.resolve, p)
        self.assertEqual(
            (
                'vip_sg_refs[1]',
                "security group 'nosuch' (project '%auth%') not found",
            ),
            (e.field, e.problem),
        )
        p = self.vip_params()
        p['additional_vips'][0]['subnet_ref'] = None
        e = self.assertRaises(exceptions.UnresolvedReference, self.resolve, p)
        self.assertEqual(
            (
                'additional_vips[0].subnet_ref',
                'missing: an additional VIP needs its subnet',
            ),
            (e.field, e.problem),
        )

    def test_left_out_with_a_remark_where_the_destination_lacks_them(self):
        self.version = (2, 28)
        p = self.vip_params()
        # (not resolved either: the destination could not take them)
        p['vip_sg_refs'] = [ref('nosuch')]
        found, remarks = self.resolve(p)
        self.assertEqual(
            (
                [{'subnet_id': self.sub2.id, 'ip_address': '10.1.0.5'}],
                None,
                [
                    "vip_sg_refs left out: the destination's Octavia API "
                    'is v2.28, it takes VIP security groups from v2.29'
                ],
            ),
            (
                found['attrs']['additional_vips'],
                found['attrs']['vip_sg_ids'],
                remarks,
            ),
        )
        self.version = (2, 25)
        _, remarks = self.resolve(self.vip_params())
        self.assertEqual(
            [
                "additional_vips left out: the destination's Octavia API "
                'is v2.25, it takes additional VIPs from v2.26',
                "vip_sg_refs left out: the destination's Octavia API "
                'is v2.25, it takes VIP security groups from v2.29',
            ],
            remarks,
        )
        # an Octavia that does not say: the fields are sent
        self.version = None
        found, remarks = self.resolve(self.vip_params())
        self.assertEqual(
            ([self.group.id], []), (found['attrs']['vip_sg_ids'], remarks)
        )
