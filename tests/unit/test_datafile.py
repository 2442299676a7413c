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

import errno
import os
import stat
from unittest import mock

import fixtures
from oslotest import base

from osmigrateclient import datafile
from osmigrateclient import exceptions

# What the pioneering tool wrote (the walkthrough's files), verbatim in
# shape: keys sorted by yaml.safe_dump, references as {name, project_name,
# domain_name}, '%auth%' for the authenticated project.
PIONEER_NETWORKS_0_4_0 = """\
os_migrate_version: 0.4.0
resources:
- _info:
    availability_zones:
    - nova
    created_at: '2020-04-07T14:08:30Z'
    id: 4f1d25ba-6b68-4a2c-8b9e-24ad4ba63e22
    project_id: 2f444c71265048f7a9d21f81db6f21a4
    qos_policy_id: null
    revision_number: 3
    status: ACTIVE
    subnet_ids:
    - a5052e10-5e00-432b-a826-29695677aca0
    updated_at: '2020-04-07T14:08:34Z'
  params:
    availability_zone_hints: []
    description: ''
    dns_domain: null
    is_admin_state_up: true
    is_default: null
    is_port_security_enabled: true
    is_router_external: false
    is_shared: false
    is_vlan_transparent: null
    mtu: 1450
    name: osm_net
    provider_network_type: null
    provider_physical_network: null
    provider_segmentation_id: null
    qos_policy_name: null
    segments: null
  type: openstack.network.Network
"""

PIONEER_SUBNETS_0_5_0 = """\
os_migrate_version: 0.5.0
resources:
- _info:
    created_at: '2020-06-02T09:41:50Z'
    id: 9c7a9d0f-7b3e-4b55-a2a3-8d1b3c4d5e6f
    network_id: 4f1d25ba-6b68-4a2c-8b9e-24ad4ba63e22
    prefix_length: null
    project_id: 2f444c71265048f7a9d21f81db6f21a4
    revision_number: 0
    segment_id: null
    subnet_pool_id: null
    updated_at: '2020-06-02T09:41:50Z'
  _migration_params: {}
  params:
    allocation_pools:
    - end: 192.168.20.254
      start: 192.168.20.2
    cidr: 192.168.20.0/24
    description: ''
    dns_nameservers: []
    gateway_ip: 192.168.20.1
    host_routes: []
    ip_version: 4
    ipv6_address_mode: null
    ipv6_ra_mode: null
    is_dhcp_enabled: true
    name: osm_subnet
    network_ref:
      domain_name: '%auth%'
      name: osm_net
      project_name: '%auth%'
    segment_ref: null
    service_types: []
    subnet_pool_ref: null
    tags: []
    use_default_subnet_pool: null
  type: openstack.subnet.Subnet
"""

PIONEER_WORKLOADS_1_0_5 = """\
os_migrate_version: 1.0.5
resources:
- _info:
    created_at: '2023-03-01T10:00:00Z'
    flavor_id: 6b1e3c0a-0000-4000-8000-000000000001
    id: 0b3b8e44-1111-4c3a-9a5e-6a1f2b3c4d5e
    launched_at: '2023-03-01T10:00:20.000000'
    project_id: 2f444c71265048f7a9d21f81db6f21a4
    security_group_ids:
    - 1d2c3b4a-aaaa-4bbb-8ccc-000000000002
    status: SHUTOFF
    updated_at: '2023-03-01T11:00:00Z'
    user_id: 8f7e6d5c4b3a29181716151413121110
  _migration_params:
    boot_disk_copy: false
    data_copy: true
  params:
    availability_zone: nova
    config_drive: null
    description: osm_server
    flavor_ref:
      domain_name: null
      name: m1.small
      project_name: null
    floating_ips: []
    image_ref:
      domain_name: '%auth%'
      name: cirros
      project_name: '%auth%'
    key_name: null
    metadata: {}
    name: osm_server
    ports:
    - _info:
        device_id: 0b3b8e44-1111-4c3a-9a5e-6a1f2b3c4d5e
        device_owner: compute:nova
        id: 3e4f5a6b-2222-4c3a-9a5e-6a1f2b3c4d5e
      _migration_params: {}
      params:
        fixed_ips_refs:
        - ip_address: 192.168.20.7
          subnet_ref:
            domain_name: '%auth%'
            name: osm_subnet
            project_name: '%auth%'
        mac_address: fa:16:3e:aa:bb:cc
        network_ref:
          domain_name: '%auth%'
          name: osm_net
          project_name: '%auth%'
      type: openstack.network.ServerPort
    security_group_refs:
    - domain_name: '%auth%'
      name: osm_security_group
      project_name: '%auth%'
    tags: []
    user_data: null
    volumes: []
  type: openstack.compute.Server
"""

ENTRY_A = {
    'type': 'openstack.network.Network',
    'params': {'name': 'a', 'description': 'first'},
    '_info': {'id': 'id-a'},
    '_migration_params': {},
}


def entry(name, id_, type_='openstack.network.Network', **params):
    params['name'] = name
    return {
        'type': type_,
        'params': params,
        '_info': {'id': id_},
        '_migration_params': {},
    }


class TestMigrateError(base.BaseTestCase):
    def test_all_parts(self):
        e = exceptions.MigrateError(
            'missing', path='/d/n.yml', resource='resource 2', field='type'
        )
        self.assertEqual('/d/n.yml: resource 2: field type: missing', str(e))
        self.assertEqual(str(e), e.message)

    def test_parts_omitted_when_none(self):
        self.assertEqual('boom', str(exceptions.MigrateError('boom')))
        self.assertEqual(
            '/d/n.yml: boom',
            str(exceptions.MigrateError('boom', path='/d/n.yml')),
        )
        self.assertEqual(
            'field name: boom',
            str(exceptions.MigrateError('boom', field='name')),
        )
        self.assertEqual(
            'resource 1: boom',
            str(exceptions.MigrateError('boom', resource='resource 1')),
        )
        self.assertEqual(
            '/d/n.yml: field x: boom',
            str(exceptions.MigrateError('boom', path='/d/n.yml', field='x')),
        )

    def test_is_a_command_error(self):
        from osc_lib import exceptions as osc_exceptions

        for cls in (
            exceptions.DataFileError,
            exceptions.UnresolvedReference,
            exceptions.Conflict,
        ):
            self.assertTrue(issubclass(cls, exceptions.MigrateError))
            self.assertTrue(issubclass(cls, osc_exceptions.CommandError))

    def test_field_changed_after_creation(self):
        e = exceptions.UnresolvedReference('not found')
        e.field = 'network_ref'
        self.assertEqual('field network_ref: not found', str(e))


class TestLabel(base.BaseTestCase):
    def test_label(self):
        self.assertEqual(
            "resource 3 (openstack.network.Network 'net1')",
            datafile.label(entry('net1', 'x'), 3),
        )
        self.assertEqual(
            "openstack.network.Network 'net1'",
            datafile.label(entry('net1', 'x')),
        )
        self.assertEqual('resource 0', datafile.label('junk', 0))
        self.assertEqual('resource', datafile.label('junk'))
        self.assertEqual(
            'resource 1 (openstack.network.Network)',
            datafile.label({'type': 'openstack.network.Network'}, 1),
        )


class TestParse(base.BaseTestCase):
    path = '/data/networks.yml'

    def assertRefused(self, text, message):
        e = self.assertRaises(
            exceptions.DataFileError, datafile.parse, text, self.path
        )
        self.assertEqual(message, str(e))
        return e

    def test_format_version(self):
        self.assertEqual('2.0.0', datafile.FORMAT_VERSION)
        self.assertEqual((0, 1, 2), datafile.ACCEPTED_MAJORS)

    def test_valid(self):
        text = datafile.dump([ENTRY_A])
        df = datafile.parse(text, self.path)
        self.assertEqual(self.path, df.path)
        self.assertEqual('2.0.0', df.version)
        self.assertEqual([ENTRY_A], df.resources)

    def test_no_resources_key(self):
        df = datafile.parse('os_migrate_version: 2.0.0\n', self.path)
        self.assertEqual([], df.resources)

    def test_pioneer_0_4_0(self):
        df = datafile.parse(PIONEER_NETWORKS_0_4_0, self.path)
        self.assertEqual('0.4.0', df.version)
        self.assertEqual(1, len(df.resources))
        res = df.resources[0]
        self.assertEqual('openstack.network.Network', res['type'])
        self.assertEqual('osm_net', res['params']['name'])
        self.assertEqual(1450, res['params']['mtu'])
        self.assertEqual(
            '4f1d25ba-6b68-4a2c-8b9e-24ad4ba63e22', res['_info']['id']
        )
        # Loaded unchanged: no key added or dropped.
        self.assertEqual(['_info', 'params', 'type'], sorted(res))

    def test_pioneer_0_5_0(self):
        df = datafile.parse(PIONEER_SUBNETS_0_5_0, '/data/subnets.yml')
        self.assertEqual('0.5.0', df.version)
        res = df.resources[0]
        self.assertEqual('openstack.subnet.Subnet', res['type'])
        self.assertEqual(
            {
                'domain_name': '%auth%',
                'name': 'osm_net',
                'project_name': '%auth%',
            },
            res['params']['network_ref'],
        )
        self.assertEqual({}, res['_migration_params'])

    def test_pioneer_1_0_5(self):
        df = datafile.parse(PIONEER_WORKLOADS_1_0_5, '/data/workloads.yml')
        self.assertEqual('1.0.5', df.version)
        res = df.resources[0]
        self.assertEqual('openstack.compute.Server', res['type'])
        self.assertEqual(
            {'boot_disk_copy': False, 'data_copy': True},
            res['_migration_params'],
        )
        port = res['params']['ports'][0]
        self.assertEqual('openstack.network.ServerPort', port['type'])
        self.assertEqual(
            ['_info', '_migration_params', 'params', 'type'], sorted(res)
        )

    def test_pioneer_round_trip_unchanged(self):
        # A pioneering file dumped again holds exactly the same resources.
        for text in (
            PIONEER_NETWORKS_0_4_0,
            PIONEER_SUBNETS_0_5_0,
            PIONEER_WORKLOADS_1_0_5,
        ):
            df = datafile.parse(text, self.path)
            again = datafile.parse(datafile.dump(df.resources), self.path)
            self.assertEqual(df.resources, again.resources)
            # The pioneering tool's files are safe_dump output too, so the
            # resources part is byte-identical.
            self.assertEqual(
                text.split('\n', 1)[1],
                datafile.dump(df.resources).split('\n', 1)[1],
            )

    def test_unknown_major_version(self):
        self.assertRefused(
            'os_migrate_version: 3.0.0\nresources: []\n',
            "/data/networks.yml: field os_migrate_version: unsupported "
            "os_migrate_version '3.0.0' (this client reads 0.x, 1.x, 2.x)",
        )

    def test_version_not_a_number(self):
        e = self.assertRefused(
            'os_migrate_version: abc\nresources: []\n',
            "/data/networks.yml: field os_migrate_version: unsupported "
            "os_migrate_version 'abc' (this client reads 0.x, 1.x, 2.x)",
        )
        self.assertEqual(self.path, e.path)
        self.assertEqual('os_migrate_version', e.field)

    def test_version_null(self):
        self.assertRefused(
            'os_migrate_version:\nresources: []\n',
            "/data/networks.yml: field os_migrate_version: unsupported "
            "os_migrate_version None (this client reads 0.x, 1.x, 2.x)",
        )

    def test_check_version(self):
        self.assertEqual('1.0.5', datafile.check_version('1.0.5', 'f'))
        self.assertEqual('2', datafile.check_version(2, 'f'))
        self.assertRaises(
            exceptions.DataFileError, datafile.check_version, '10.0.0', 'f'
        )

    def test_yaml_syntax_error(self):
        self.assertRefused(
            'os_migrate_version: 2.0.0\nresources:\n'
            '- type: [unclosed\n  params: {}\n',
            "/data/networks.yml: invalid YAML: line 4, column 9: "
            "expected ',' or ']', but got ':'",
        )

    def test_yaml_scanner_error(self):
        self.assertRefused(
            'os_migrate_version: 2.0.0\nresources: @x\n',
            "/data/networks.yml: invalid YAML: line 2, column 12: "
            "found character '@' that cannot start any token",
        )

    def test_empty_file(self):
        self.assertRefused('', '/data/networks.yml: the file is empty')
        self.assertRefused(
            '# nothing\n', '/data/networks.yml: the file is empty'
        )

    def test_other_tools_yaml(self):
        self.assertRefused(
            'apiVersion: v1\nkind: ConfigMap\n',
            "/data/networks.yml: not a migration data file "
            "(no top-level 'os_migrate_version' key)",
        )

    def test_top_level_list(self):
        self.assertRefused(
            '- os_migrate_version: 2.0.0\n',
            "/data/networks.yml: not a migration data file "
            "(no top-level 'os_migrate_version' key)",
        )

    def test_resources_not_a_list(self):
        self.assertRefused(
            'os_migrate_version: 2.0.0\nresources:\n  a: 1\n',
            '/data/networks.yml: field resources: must be a list',
        )

    def test_resource_not_a_mapping(self):
        self.assertRefused(
            'os_migrate_version: 2.0.0\nresources:\n- just a string\n',
            '/data/networks.yml: resource 0: must be a mapping',
        )

    def _one(self, res):
        return datafile.dump([ENTRY_A, res])

    def test_resource_without_type(self):
        res = dict(ENTRY_A, params={'name': 'b'})
        del res['type']
        self.assertRefused(
            self._one(res),
            "/data/networks.yml: resource 1 ('b'): field type: missing",
        )

    def test_resource_without_params(self):
        res = dict(ENTRY_A)
        del res['params']
        self.assertRefused(
            self._one(res),
            '/data/networks.yml: resource 1 (openstack.network.Network): '
            'field params: missing',
        )

    def test_resource_without_info(self):
        res = dict(ENTRY_A, params={'name': 'b'})
        del res['_info']
        e = self.assertRefused(
            self._one(res),
            "/data/networks.yml: resource 1 (openstack.network.Network "
            "'b'): field _info: missing",
        )
        self.assertEqual('_info', e.field)

    def test_params_not_a_mapping(self):
        res = dict(ENTRY_A, params=['name', 'b'])
        self.assertRefused(
            self._one(res),
            '/data/networks.yml: resource 1 (openstack.network.Network): '
            'field params: must be a mapping',
        )

    def test_info_not_a_mapping(self):
        res = dict(ENTRY_A, _info='id-b')
        self.assertRefused(
            self._one(res),
            "/data/networks.yml: resource 1 (openstack.network.Network "
            "'a'): field _info: must be a mapping",
        )

    def test_migration_params_optional(self):
        res = dict(ENTRY_A)
        del res['_migration_params']
        df = datafile.parse(datafile.dump([res]), self.path)
        self.assertEqual([res], df.resources)

    def test_migration_params_not_a_mapping(self):
        res = dict(ENTRY_A, _migration_params=[1])
        self.assertRefused(
            self._one(res),
            "/data/networks.yml: resource 1 (openstack.network.Network "
            "'a'): field _migration_params: must be a mapping",
        )

    def test_type_a_list_or_mapping(self):
        for value, what in (([1], 'a list'), ({'a': 1}, 'a mapping')):
            res = dict(ENTRY_A, type=value)
            self.assertRefused(
                self._one(res),
                "/data/networks.yml: resource 1 ('a'): field type: must be "
                "a string, not %s" % what,
            )

    def test_name_not_a_string(self):
        for value, what in (
            ([1], 'a list'),
            ({'a': 1}, 'a mapping'),
            (5, 'a number'),
            (True, 'a boolean'),
        ):
            res = dict(ENTRY_A, params={'name': value})
            self.assertRefused(
                self._one(res),
                '/data/networks.yml: resource 1 (openstack.network.Network): '
                'field params.name: must be a string, not %s' % what,
            )

    def test_id_not_a_scalar(self):
        res = dict(ENTRY_A, _info={'id': ['x']})
        self.assertRefused(
            self._one(res),
            "/data/networks.yml: resource 1 (openstack.network.Network "
            "'a'): field _info.id: must be a string, not a list",
        )

    def test_deep_nesting(self):
        for depth in (70, 5000):
            text = (
                'os_migrate_version: 2.0.0\nresources:\n- type: x\n'
                '  _info: {}\n  params: {a: %s%s}\n'
                % ('[' * depth, ']' * depth)
            )
            self.assertIn(
                str(
                    self.assertRaises(
                        exceptions.DataFileError,
                        datafile.parse,
                        text,
                        self.path,
                    )
                ),
                (
                    '/data/networks.yml: nested more than 64 levels deep',
                    '/data/networks.yml: invalid YAML: nested too deeply',
                ),
            )

    def test_deep_nesting_5000_is_a_yaml_error(self):
        text = 'os_migrate_version: 2.0.0\nresources: %s%s\n' % (
            '[' * 5000,
            ']' * 5000,
        )
        self.assertRefused(
            text, '/data/networks.yml: invalid YAML: nested too deeply'
        )

    def test_huge_integer(self):
        self.assertRefused(
            'os_migrate_version: %s\nresources: []\n' % ('9' * 5000),
            '/data/networks.yml: invalid YAML: Exceeds the limit (4300 '
            'digits) for integer string conversion',
        )

    def test_huge_version_string(self):
        self.assertRefused(
            "os_migrate_version: '%s.0'\nresources: []\n" % ('1' * 5000),
            "/data/networks.yml: field os_migrate_version: unsupported "
            "os_migrate_version '111111111111111111111111111111111111111"
            "... (5004 characters) (this client reads 0.x, 1.x, 2.x)",
        )

    def test_version_of_unicode_digits(self):
        self.assertRefused(
            "os_migrate_version: '\u00b2.0'\nresources: []\n",
            "/data/networks.yml: field os_migrate_version: unsupported "
            "os_migrate_version '\u00b2.0' (this client reads 0.x, 1.x, 2.x)",
        )


class TestLoad(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path

    def test_load(self):
        path = os.path.join(self.dir, 'networks.yml')
        with open(path, 'w') as f:
            f.write(PIONEER_NETWORKS_0_4_0)
        df = datafile.load(path)
        self.assertEqual(path, df.path)
        self.assertEqual('0.4.0', df.version)
        self.assertEqual('osm_net', df.resources[0]['params']['name'])

    def test_missing_file(self):
        path = os.path.join(self.dir, 'networks.yml')
        e = self.assertRaises(exceptions.DataFileError, datafile.load, path)
        self.assertEqual('%s: no such file' % path, str(e))

    def test_not_utf8(self):
        path = os.path.join(self.dir, 'networks.yml')
        with open(path, 'wb') as f:
            f.write(b'os_migrate_version: \xff\n')
        e = self.assertRaises(exceptions.DataFileError, datafile.load, path)
        self.assertTrue(str(e).startswith('%s: cannot read: ' % path), str(e))

    def test_load_or_empty(self):
        path = os.path.join(self.dir, 'networks.yml')
        self.assertEqual(
            datafile.DataFile(path, '2.0.0', []),
            datafile.load_or_empty(path),
        )
        datafile.write(path, [ENTRY_A])
        self.assertEqual([ENTRY_A], datafile.load_or_empty(path).resources)

    def test_load_or_empty_still_checks(self):
        path = os.path.join(self.dir, 'networks.yml')
        with open(path, 'w') as f:
            f.write('')
        e = self.assertRaises(
            exceptions.DataFileError, datafile.load_or_empty, path
        )
        self.assertEqual('%s: the file is empty' % path, str(e))


class TestDump(base.BaseTestCase):
    def test_deterministic_and_sorted(self):
        a = {
            'type': 'openstack.network.Network',
            'params': {'name': 'n', 'mtu': 1500, 'description': 'd'},
            '_migration_params': {},
            '_info': {'status': 'ACTIVE', 'id': 'i'},
        }
        b = {
            '_info': {'id': 'i', 'status': 'ACTIVE'},
            '_migration_params': {},
            'params': {'description': 'd', 'mtu': 1500, 'name': 'n'},
            'type': 'openstack.network.Network',
        }
        text = datafile.dump([a])
        self.assertEqual(text, datafile.dump([b]))
        self.assertEqual(text, datafile.dump([a]))
        self.assertEqual(
            'os_migrate_version: 2.0.0\n'
            'resources:\n'
            '- _info:\n'
            '    id: i\n'
            '    status: ACTIVE\n'
            '  _migration_params: {}\n'
            '  params:\n'
            '    description: d\n'
            '    mtu: 1500\n'
            '    name: n\n'
            '  type: openstack.network.Network\n',
            text,
        )

    def test_unicode_kept(self):
        text = datafile.dump([entry('réseau', 'i')])
        self.assertIn('name: réseau\n', text)


class TestWrite(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.path = os.path.join(self.dir, 'networks.yml')

    def read(self):
        with open(self.path, encoding='utf-8') as f:
            return f.read()

    def test_write_new(self):
        self.assertTrue(datafile.write(self.path, [ENTRY_A]))
        self.assertEqual(datafile.dump([ENTRY_A]), self.read())
        self.assertEqual(0o600, stat.S_IMODE(os.stat(self.path).st_mode))
        self.assertEqual(['networks.yml'], os.listdir(self.dir))

    def test_unchanged_returns_false(self):
        self.assertTrue(datafile.write(self.path, [ENTRY_A]))
        before = os.stat(self.path)
        with mock.patch('os.replace') as replace:
            self.assertFalse(datafile.write(self.path, [ENTRY_A]))
        replace.assert_not_called()
        self.assertEqual(before.st_ino, os.stat(self.path).st_ino)

    def test_changed_replaces(self):
        datafile.write(self.path, [ENTRY_A])
        other = entry('b', 'id-b')
        self.assertTrue(datafile.write(self.path, [ENTRY_A, other]))
        self.assertEqual(datafile.dump([ENTRY_A, other]), self.read())
        self.assertEqual(0o600, stat.S_IMODE(os.stat(self.path).st_mode))

    def test_existing_file_mode_made_0600(self):
        with open(self.path, 'w') as f:
            f.write('os_migrate_version: 2.0.0\nresources: []\n')
        os.chmod(self.path, 0o644)
        self.assertTrue(datafile.write(self.path, [ENTRY_A]))
        self.assertEqual(0o600, stat.S_IMODE(os.stat(self.path).st_mode))

    def test_replace_fails_old_file_intact(self):
        datafile.write(self.path, [ENTRY_A])
        old = self.read()
        with mock.patch(
            'os.replace',
            side_effect=OSError(errno.EIO, 'Input/output error'),
        ):
            e = self.assertRaises(
                exceptions.DataFileError,
                datafile.write,
                self.path,
                [entry('b', 'id-b')],
            )
        self.assertEqual(
            '%s: cannot write: Input/output error' % self.path, str(e)
        )
        self.assertEqual(old, self.read())
        self.assertEqual(['networks.yml'], os.listdir(self.dir))

    def test_write_fails_midway_old_file_intact(self):
        datafile.write(self.path, [ENTRY_A])
        old = self.read()
        real_fdopen = os.fdopen

        def broken_fdopen(fd, *args, **kwargs):
            f = real_fdopen(fd, *args, **kwargs)
            real_write = f.write

            def write(text):
                real_write(text[: len(text) // 2])
                raise OSError(errno.ENOSPC, 'No space left on device')

            f.write = write
            return f

        with mock.patch('os.fdopen', side_effect=broken_fdopen):
            e = self.assertRaises(
                exceptions.DataFileError,
                datafile.write,
                self.path,
                [entry('b', 'id-b', description='x' * 10000)],
            )
        self.assertEqual(
            '%s: cannot write: No space left on device' % self.path, str(e)
        )
        self.assertEqual(old, self.read())
        self.assertEqual(['networks.yml'], os.listdir(self.dir))

    def test_fsync_fails_no_file_created(self):
        with mock.patch(
            'os.fsync', side_effect=OSError(errno.EIO, 'Input/output error')
        ):
            self.assertRaises(
                exceptions.DataFileError,
                datafile.write,
                self.path,
                [ENTRY_A],
            )
        self.assertEqual([], os.listdir(self.dir))

    def test_new_data_dir_is_0700(self):
        path = os.path.join(self.dir, 'new', 'proj', 'networks.yml')
        self.assertTrue(datafile.write(path, [ENTRY_A]))
        mode = os.stat(os.path.join(self.dir, 'new', 'proj')).st_mode
        self.assertEqual(0o700, stat.S_IMODE(mode))
        self.assertEqual(0o600, stat.S_IMODE(os.stat(path).st_mode))

    def test_data_dir_below_a_file(self):
        blocker = os.path.join(self.dir, 'afile')
        with open(blocker, 'w') as f:
            f.write('x')
        data_dir = os.path.join(blocker, 'data')
        e = self.assertRaises(
            exceptions.DataFileError,
            datafile.write,
            os.path.join(data_dir, 'networks.yml'),
            [ENTRY_A],
        )
        self.assertEqual(
            '%s: cannot create the data directory: Not a directory' % data_dir,
            str(e),
        )
        self.assertEqual(data_dir, e.path)

    def test_ensure_dir_on_a_file(self):
        blocker = os.path.join(self.dir, 'afile')
        with open(blocker, 'w') as f:
            f.write('x')
        e = self.assertRaises(
            exceptions.DataFileError, datafile.ensure_dir, blocker
        )
        self.assertEqual('%s: not a directory' % blocker, str(e))

    def test_ensure_dir_existing_tightened(self):
        os.chmod(self.dir, 0o755)
        datafile.ensure_dir(self.dir)
        self.assertEqual(0o700, stat.S_IMODE(os.stat(self.dir).st_mode))

    def test_write_tightens_its_directory(self):
        os.chmod(self.dir, 0o777)
        datafile.write(os.path.join(self.dir, 'networks.yml'), [ENTRY_A])
        self.assertEqual(0o700, stat.S_IMODE(os.stat(self.dir).st_mode))

    def test_ensure_dir_cannot_tighten(self):
        os.chmod(self.dir, 0o755)
        self.useFixture(
            fixtures.MockPatch(
                'os.chmod',
                side_effect=PermissionError(
                    errno.EPERM, os.strerror(errno.EPERM)
                ),
            )
        )
        e = self.assertRaises(
            exceptions.DataFileError, datafile.ensure_dir, self.dir
        )
        self.assertEqual(
            '%s: cannot make the directory private (mode 0700): Operation '
            'not permitted; it may hold secrets: make it 0700 or use another '
            'one' % self.dir,
            str(e),
        )

    def test_symlinked_sub_directory_is_refused(self):
        outside = os.path.join(self.dir, 'outside')
        os.mkdir(outside, 0o755)
        os.chmod(outside, 0o755)
        link = os.path.join(self.dir, 'data', 'volume_logs')
        os.mkdir(os.path.dirname(link))
        os.symlink(outside, link)
        e = self.assertRaises(
            exceptions.DataFileError, datafile.ensure_dir, link, link_ok=False
        )
        self.assertEqual(
            '%s: is a symbolic link: refused (it must be a directory)' % link,
            str(e),
        )
        self.assertEqual(0o755, stat.S_IMODE(os.stat(outside).st_mode))
        # The data directory itself may be a link.
        datafile.ensure_dir(link)

    def test_created_parents_are_0700_whatever_the_umask(self):
        old = os.umask(0o022)
        self.addCleanup(os.umask, old)
        leaf = os.path.join(self.dir, 'a', 'b', 'c')
        datafile.ensure_dir(leaf)
        for path in (
            os.path.join(self.dir, 'a'),
            os.path.join(self.dir, 'a', 'b'),
            leaf,
        ):
            self.assertEqual(0o700, stat.S_IMODE(os.stat(path).st_mode))
        os.umask(0o777)
        other = os.path.join(self.dir, 'x', 'y')
        datafile.ensure_dir(other)
        os.umask(0o022)
        self.assertEqual(0o700, stat.S_IMODE(os.stat(other).st_mode))
        self.assertEqual(
            0o700,
            stat.S_IMODE(os.stat(os.path.join(self.dir, 'x')).st_mode),
        )


class TestMerge(base.BaseTestCase):
    def test_replace_in_place_append_new_keep_others(self):
        a, b, c = entry('a', '1'), entry('b', '2'), entry('c', '3')
        b2 = entry('b-renamed', '2')
        d, e = entry('d', '4'), entry('e', '5')
        self.assertEqual(
            [a, b2, c, e, d], datafile.merge([a, b, c], [e, b2, d])
        )

    def test_same_id_other_type_is_another_resource(self):
        net = entry('x', '1')
        sub = entry('x', '1', type_='openstack.subnet.Subnet')
        self.assertEqual([net, sub], datafile.merge([net], [sub]))

    def test_empty(self):
        a = entry('a', '1')
        self.assertEqual([a], datafile.merge([], [a]))
        self.assertEqual([a], datafile.merge([a], []))
        self.assertEqual([], datafile.merge([], []))

    def test_custom_key(self):
        a, b = entry('a', '1'), entry('b', '2')
        a2 = entry('a', '9', description='new')
        merged = datafile.merge(
            [a, b], [a2], key=lambda e: e['params']['name']
        )
        self.assertEqual([a2, b], merged)

    def test_identity(self):
        self.assertEqual(
            ('openstack.network.Network', '1'),
            datafile.identity(entry('a', '1')),
        )
