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

import yaml
from oslotest import base

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient import os_migrate
from osmigrateclient import resources
from osmigrateclient.resources import refs


def om_reads(text, runtime_version):
    """os-migrate's rule, as its loader applies it to every data file: the
    YAML-loaded value of os_migrate_version must be equal to its version
    string (a Python str); there is no range and no normalisation."""
    doc = yaml.safe_load(text)
    if doc is None:
        return False  # "empty YAML file"
    return doc.get('os_migrate_version', None) == runtime_version


def entry(type_, name, params=None, **extra):
    p = {'name': name}
    p.update(params or {})
    e = {'type': type_, 'params': p, '_info': {'id': 'id-' + str(name)}}
    e.update(extra)
    return e


def ref(name):
    return refs.make_ref(name, refs.AUTH, refs.AUTH)


def port(*ips, mac='fa:16:3e:00:00:01'):
    return {
        'type': 'openstack.network.ServerPort',
        'params': {
            'fixed_ips_refs': [
                {'ip_address': ip, 'subnet_ref': ref('sub')} for ip in ips
            ],
            'mac_address': mac,
            'network_ref': ref('net'),
        },
        '_info': {'id': 'p'},
    }


class TestVersionRule(base.BaseTestCase):
    def test_the_rule(self):
        self.assertTrue(om_reads('os_migrate_version: 1.0.5\n', '1.0.5'))
        self.assertTrue(om_reads("os_migrate_version: '1.0.5'\n", '1.0.5'))
        self.assertFalse(om_reads('os_migrate_version: 2.0.0\n', '1.0.5'))
        self.assertFalse(om_reads('os_migrate_version: 1.0.4\n', '1.0.5'))
        # YAML reads 1.0 as a float, never equal to a version string.
        self.assertFalse(om_reads('os_migrate_version: 1.0\n', '1.0'))
        self.assertFalse(om_reads('resources: []\n', '1.0.5'))
        self.assertFalse(om_reads('', '1.0.5'))

    def test_module_applies_the_rule(self):
        for text, version in (
            ('os_migrate_version: 1.0.5\n', '1.0.5'),
            ('os_migrate_version: 1.0\n', '1.0'),
            ('os_migrate_version: 2.0.0\n', '1.0.5'),
        ):
            self.assertEqual(
                om_reads(text, version), os_migrate.reads(text, version)
            )

    def test_written_files_pass_for_every_checked_version(self):
        for version in os_migrate.CHECKED:
            text = datafile.dump(
                [entry('openstack.network.Network', 'n')], version
            )
            self.assertTrue(om_reads(text, version))
            self.assertFalse(om_reads(datafile.dump([]), version))
            # This client still reads what it wrote for os-migrate.
            self.assertEqual(version, datafile.parse(text, 'f.yml').version)

    def test_unchecked_version_refused(self):
        e = self.assertRaises(
            exceptions.MigrateError, os_migrate.check_version, '1.0.1'
        )
        self.assertEqual(
            "field --os-migrate-version: os-migrate '1.0.1': this client "
            'writes files for os-migrate 1.0.2, 1.0.3, 1.0.4, 1.0.5 (the '
            'versions whose reading of data files was checked)',
            str(e),
        )
        self.assertEqual('1.0.5', os_migrate.check_version('1.0.5'))


class TestConvert(base.BaseTestCase):
    def test_unknown_types_left_out(self):
        written, remarks = os_migrate.convert(
            [entry('openstack.ProjectQuota', None)]
        )
        self.assertEqual([], written)
        self.assertEqual(
            [
                os_migrate.Remark(
                    'openstack.ProjectQuota',
                    '',
                    True,
                    'os-migrate has no type openstack.ProjectQuota',
                )
            ],
            remarks,
        )

    def test_widening_entries_left_out(self):
        rule = os_migrate.RULE
        assignment = os_migrate.ROLE_ASSIGNMENT
        written, remarks = os_migrate.convert(
            [
                entry(rule, None, {'remote_address_group_ref': ref('ag')}),
                entry(rule, None, {'remote_ip_prefix': '10.0.0.0/8'}),
                entry(assignment, None, {'inherited': True}),
                entry(assignment, None, {'inherited': False}),
            ]
        )
        self.assertEqual(
            [None, False],
            [
                w['params'].get('remote_address_group_ref')
                or w['params'].get('inherited')
                for w in written
            ],
        )
        self.assertEqual(
            [
                'os-migrate ignores remote_address_group_ref and would open '
                'the rule to any address',
                'os-migrate ignores inherited and would assign the role on '
                'the project itself',
            ],
            [r.text for r in remarks if r.left_out],
        )

    def test_dropped_data_reported_not_removed(self):
        router = entry(
            'openstack.network.Router',
            'r',
            {
                'routes': [
                    {'destination': '10.9.0.0/16', 'nexthop': '10.0.0.5'}
                ],
                'external_gateway_refinfo': {
                    'network_ref': ref('public'),
                    'enable_snat': False,
                },
                'tags': [],
            },
        )
        plain = entry(
            'openstack.network.Router',
            'plain',
            {
                'routes': [],
                'external_gateway_refinfo': {
                    'network_ref': ref('public'),
                    'enable_snat': True,
                },
            },
        )
        written, remarks = os_migrate.convert([router, plain])
        self.assertEqual([router, plain], written)
        self.assertEqual(
            [
                os_migrate.Remark(
                    'openstack.network.Router',
                    'r',
                    False,
                    'os-migrate drops routes, '
                    'external_gateway_refinfo.enable_snat',
                )
            ],
            remarks,
        )

    def test_server_ports_made_by_nova(self):
        one = entry(
            os_migrate.SERVER,
            'one',
            {'ports': [port('10.0.0.4')]},
            _migration_params={
                'port_creation_mode': 'neutron',
                'data_copy': True,
            },
        )
        two = entry(
            os_migrate.SERVER,
            'two',
            {'ports': [port('10.0.0.5', '10.0.0.6')]},
            _migration_params={'port_creation_mode': 'neutron'},
        )
        written, remarks = os_migrate.convert([one, two])
        self.assertEqual(1, len(written))
        self.assertEqual(
            {
                'port_creation_mode': 'nova',
                'data_copy': True,
                'use_nbdkit_direct': False,
                'nbdkit_socket_uri': None,
                'nbdkit_export_name': None,
            },
            written[0]['_migration_params'],
        )
        # The entry that was read is not changed.
        self.assertEqual(
            'neutron', one['_migration_params']['port_creation_mode']
        )
        self.assertEqual(
            [
                (
                    'two',
                    True,
                    'a port without exactly one fixed IP: '
                    'os-migrate would make it without its security groups',
                ),
                ('one', False, 'os-migrate drops ports.mac_address'),
            ],
            [(r.name, r.left_out, r.text) for r in remarks],
        )

    def test_nameless_and_same_named_left_out(self):
        net = 'openstack.network.Network'
        key = 'openstack.compute.Keypair'
        written, remarks = os_migrate.convert(
            [
                entry(net, 'a'),
                entry(net, ''),
                entry(net, 'b'),
                entry(net, 'b'),
                entry(key, 'k', {'user_ref': ref('alice')}),
                entry(key, 'k', {'user_ref': ref('bob')}),
            ]
        )
        self.assertEqual(
            ['a', 'k', 'k'], [w['params']['name'] for w in written]
        )
        self.assertEqual(
            [
                (
                    '',
                    'no name: os-migrate refuses a file with a nameless entry',
                ),
                (
                    'b',
                    'a name used 2 times: os-migrate refuses a file with '
                    'same-named entries',
                ),
                (
                    'b',
                    'a name used 2 times: os-migrate refuses a file with '
                    'same-named entries',
                ),
            ],
            [(r.name, r.text) for r in remarks],
        )

    def test_image_blob_name(self):
        _, remarks = os_migrate.convert(
            [entry(os_migrate.IMAGE, 'a/b'), entry(os_migrate.IMAGE, 'ab')]
        )
        self.assertEqual(
            [
                (
                    'a/b',
                    'os-migrate looks for its bytes under the image '
                    'name, which this client changes in the file name',
                )
            ],
            [(r.name, r.text) for r in remarks],
        )


class TestKnownTypes(base.BaseTestCase):
    def test_types_os_migrate_lacks(self):
        self.assertEqual(
            [
                'openstack.ProjectQuota',
                'openstack.block_storage.QosSpec',
                'openstack.block_storage.VolumeType',
                'openstack.dns.FloatingIPPTR',
                'openstack.dns.Zone',
                'openstack.identity.Domain',
                'openstack.identity.Group',
                'openstack.identity.GroupProjectRoleAssignment',
                'openstack.identity.Role',
                'openstack.key_manager.Container',
                'openstack.key_manager.Secret',
                'openstack.loadbalancer.LoadBalancer',
                'openstack.network.AddressGroup',
                'openstack.network.AddressScope',
                'openstack.network.FloatingIP',
                'openstack.network.Port',
                'openstack.network.QosPolicy',
                'openstack.network.RBACPolicy',
                'openstack.network.SubnetPool',
                'openstack.network.Trunk',
                'openstack.object_store.Container',
                'openstack.shared_file_system.Share',
                'openstack.shared_file_system.ShareNetwork',
                'openstack.shared_file_system.ShareType',
            ],
            sorted(t for t in resources.by_type() if not os_migrate.knows(t)),
        )
