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

import os

import fixtures
from oslotest import base

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient import resources
from osmigrateclient import validation
from osmigrateclient.resources import base as resource_base
from osmigrateclient.resources import network
from osmigrateclient.resources import refs
from tests.unit import fakes
from tests.unit import test_datafile

NET = 'openstack.network.Network'
CHILD = 'test.Child'


class Child(resource_base.Resource):
    """A made-up migrated type with references to networks."""

    type = CHILD
    cli_name = 'child'
    kind = 'subnet'
    file_name = 'children.yml'
    depends_on = ('network',)
    references = {
        'network_ref': resource_base.RefField('network', 'network_id'),
        'extra_network_refs': resource_base.RefField(
            'network', 'extra_network_ids', many=True
        ),
        'flavor_ref': resource_base.RefField('flavor', 'flavor_id'),
    }
    item_references = {'parts': {'network_ref': 'network'}}


def net(name, id_=None, **params):
    params['name'] = name
    return {
        'type': NET,
        'params': params,
        '_info': {'id': id_ or 'id-' + name},
        '_migration_params': {},
    }


def child(name, network_ref, **params):
    params['name'] = name
    params['network_ref'] = network_ref
    return {
        'type': CHILD,
        'params': params,
        '_info': {'id': 'id-' + name},
        '_migration_params': {},
    }


def auth(name):
    return refs.make_ref(name, refs.AUTH, refs.AUTH)


class Base(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        registry = {'network': network.Network(), 'child': Child()}
        self.useFixture(
            fixtures.MockPatchObject(
                resources, 'by_cli_name', return_value=registry
            )
        )

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, entries):
        datafile.write(self.path(name), entries)

    def write_text(self, name, text):
        with open(self.path(name), 'w') as f:
            f.write(text)

    def validate(self, lookup=None):
        return validation.validate(self.dir, lookup)


class TestValidate(Base):
    def test_empty_dir(self):
        self.write_text('notes.txt', 'x')
        e = self.assertRaises(
            exceptions.DataFileError, validation.validate, self.dir
        )
        self.assertEqual(
            '%s: no data files (*.yml or *.yaml) in the directory' % self.dir,
            str(e),
        )

    def test_fifo_is_reported_not_waited_for(self):
        self.write('networks.yml', [net('n1')])
        os.mkfifo(self.path('pipe.yml'))
        self.assertEqual(
            (
                [
                    validation.Problem(
                        self.path('pipe.yml'), '', '', 'not a regular file'
                    )
                ],
                2,
                1,
            ),
            self.validate(),
        )

    def test_not_a_directory(self):
        self.write('networks.yml', [net('n1')])
        e = self.assertRaises(
            exceptions.DataFileError,
            validation.validate,
            self.path('networks.yml'),
        )
        self.assertEqual(
            '%s: not a directory' % self.path('networks.yml'), str(e)
        )

    def test_unreadable_directory(self):
        self.write('networks.yml', [net('n1')])
        # Root reads any directory: make the listing fail as it would.
        self.useFixture(
            fixtures.MockPatch(
                'os.listdir',
                side_effect=PermissionError(13, 'Permission denied'),
            )
        )
        e = self.assertRaises(
            exceptions.DataFileError, validation.validate, self.dir
        )
        self.assertEqual(
            '%s: cannot read the directory: Permission denied' % self.dir,
            str(e),
        )

    def test_glob_characters_in_the_path(self):
        # 'data[1]' as a glob matches 'data1', another directory.
        other = self.path('data1')
        os.mkdir(other)
        datafile.write(os.path.join(other, 'networks.yml'), [net('x')])
        for name in ('data[1]', 'data*', 'dat?1'):
            data_dir = self.path(name)
            os.mkdir(data_dir)
            e = self.assertRaises(
                exceptions.DataFileError, validation.validate, data_dir
            )
            self.assertEqual(
                '%s: no data files (*.yml or *.yaml) in the directory'
                % data_dir,
                str(e),
            )
            datafile.write(
                os.path.join(data_dir, 'networks.yml'),
                [net('n1'), net('n2')],
            )
            self.assertEqual(([], 1, 2), validation.validate(data_dir))
            self.assertEqual(
                [os.path.join(data_dir, 'networks.yml')],
                validation.data_files(data_dir),
            )

    def test_no_such_directory(self):
        missing = self.path('missing')
        e = self.assertRaises(
            exceptions.DataFileError, validation.validate, missing
        )
        self.assertEqual('%s: no such directory' % missing, str(e))

    def test_good(self):
        self.write('networks.yml', [net('n1'), net('n2')])
        self.write(
            'children.yml',
            [
                child('c1', auth('n1')),
                child('c2', auth('n2'), extra_network_refs=[auth('n1')]),
                child('c3', None),
            ],
        )
        self.assertEqual(([], 2, 5), self.validate())

    def test_counts_and_file_selection(self):
        self.write('networks.yml', [net('n1')])
        self.write('more.yaml', [net('n2'), net('n3')])
        self.write_text('notes.txt', 'not yaml: [')
        os.mkdir(self.path('image_blobs'))
        self.assertEqual(([], 2, 3), self.validate())
        self.assertEqual(
            [self.path('more.yaml'), self.path('networks.yml')],
            validation.data_files(self.dir),
        )

    def test_clouds_yaml_is_not_a_data_file(self):
        # The pioneering tool rendered clouds.yaml into the data dir.
        self.write_text(
            'clouds.yaml', 'clouds:\n  src:\n    auth: {password: x}\n'
        )
        self.write('networks.yml', [net('n1')])
        self.assertEqual(([], 1, 1), self.validate())

    def test_unknown_type(self):
        self.write(
            'networks.yml',
            [net('n1'), dict(net('g'), type='openstack.compute.Gizmo')],
        )
        self.assertEqual(
            (
                [
                    validation.Problem(
                        self.path('networks.yml'),
                        "resource 1 (openstack.compute.Gizmo 'g')",
                        'type',
                        "unknown type 'openstack.compute.Gizmo'",
                    )
                ],
                1,
                2,
            ),
            self.validate(),
        )

    def test_duplicates_reported_in_both_places(self):
        self.write('networks.yml', [net('a'), net('dup', 'id-1')])
        self.write('more.yml', [net('dup', 'id-2')])
        problems, files, count = self.validate()
        message = (
            "duplicate: 2 resources would import as "
            "'openstack.network.Network:dup'"
        )
        self.assertEqual(
            [
                validation.Problem(
                    self.path('more.yml'),
                    "resource 0 (openstack.network.Network 'dup')",
                    'params.name',
                    message,
                ),
                validation.Problem(
                    self.path('networks.yml'),
                    "resource 1 (openstack.network.Network 'dup')",
                    'params.name',
                    message,
                ),
            ],
            problems,
        )
        self.assertEqual((2, 3), (files, count))

    def test_same_name_other_types_not_duplicates(self):
        self.write('networks.yml', [net('x')])
        self.write('children.yml', [child('x', auth('x'))])
        self.assertEqual([], self.validate()[0])

    def test_auth_reference_not_in_data_dir(self):
        self.write('networks.yml', [net('n1')])
        self.write(
            'children.yml',
            [
                child(
                    'c1',
                    auth('nope'),
                    extra_network_refs=[auth('n1'), auth('gone')],
                )
            ],
        )
        self.assertEqual(
            [
                validation.Problem(
                    self.path('children.yml'),
                    "resource 0 (test.Child 'c1')",
                    'params.extra_network_refs',
                    "network 'gone' (project '%auth%') is not in the data "
                    'directory',
                ),
                validation.Problem(
                    self.path('children.yml'),
                    "resource 0 (test.Child 'c1')",
                    'params.network_ref',
                    "network 'nope' (project '%auth%') is not in the data "
                    'directory',
                ),
            ],
            self.validate()[0],
        )

    def test_references_in_list_items(self):
        self.write('networks.yml', [net('n1')])
        self.write(
            'children.yml',
            [
                child(
                    'c1',
                    auth('n1'),
                    parts=[
                        {'network_ref': auth('n1')},
                        {'network_ref': None},
                        {'network_ref': auth('gone')},
                    ],
                )
            ],
        )
        self.assertEqual(
            [
                validation.Problem(
                    self.path('children.yml'),
                    "resource 0 (test.Child 'c1')",
                    'params.parts[2].network_ref',
                    "network 'gone' (project '%auth%') is not in the data "
                    'directory',
                ),
            ],
            self.validate()[0],
        )

    def test_list_item_reference_shape(self):
        self.write('networks.yml', [net('n1')])
        self.write(
            'children.yml',
            [child('c1', auth('n1'), parts=[{'network_ref': 'n1'}])],
        )
        self.assertEqual(
            [
                (
                    'params.parts[0].network_ref',
                    'must be a mapping, not a string',
                )
            ],
            [(p.field, p.problem) for p in self.validate()[0]],
        )

    def test_not_a_reference(self):
        self.write('networks.yml', [net('n1')])
        self.write('children.yml', [child('c1', 'n1')])
        self.assertEqual(
            [
                validation.Problem(
                    self.path('children.yml'),
                    "resource 0 (test.Child 'c1')",
                    'params.network_ref',
                    'must be a mapping, not a string',
                )
            ],
            self.validate()[0],
        )

    def test_reference_without_a_name(self):
        self.write('networks.yml', [net('n1')])
        self.write('children.yml', [child('c1', {'project_name': 'p'})])
        self.assertEqual(
            [
                validation.Problem(
                    self.path('children.yml'),
                    "resource 0 (test.Child 'c1')",
                    'params.network_ref',
                    "not a reference (a mapping with a name): "
                    "{'project_name': 'p'}",
                )
            ],
            self.validate()[0],
        )

    def test_other_project_reference_without_lookup_not_reported(self):
        self.write(
            'children.yml',
            [
                child('c1', refs.make_ref('public', 'admin', 'Default')),
                child('c2', refs.make_ref('shared')),
            ],
        )
        self.assertEqual(([], 1, 2), self.validate())

    def test_unmigrated_kind_without_lookup_not_reported(self):
        # Flavors are no type of the data dir: only the destination knows.
        self.write(
            'children.yml',
            [child('c1', None, flavor_ref=refs.make_ref('m1.small'))],
        )
        self.assertEqual(([], 1, 1), self.validate())

    def test_with_lookup(self):
        conn = fakes.FakeConnection(project_id='p-dst')
        conn.add('domain', id='d1', name='Default')
        conn.add('project', id='p-admin', name='admin', domain_id='d1')
        conn.add('network', name='public', project_id='p-admin')
        conn.add('network', name='dst-only')
        conn.add('flavor', name='m1.small')
        self.write('networks.yml', [net('n1')])
        self.write(
            'children.yml',
            [
                child('c1', refs.make_ref('public', 'admin', 'Default')),
                child('c2', refs.make_ref('missing', 'admin', 'Default')),
                child('c3', auth('n1'), flavor_ref=refs.make_ref('m1.small')),
                child('c4', auth('dst-only'), flavor_ref=refs.make_ref('m9')),
            ],
        )
        problems, files, count = self.validate(refs.Lookup(conn))
        self.assertEqual(
            [
                validation.Problem(
                    self.path('children.yml'),
                    "resource 1 (test.Child 'c2')",
                    'params.network_ref',
                    "network 'missing' (project 'admin') not found, neither "
                    'in the data directory nor in the destination',
                ),
                validation.Problem(
                    self.path('children.yml'),
                    "resource 3 (test.Child 'c4')",
                    'params.flavor_ref',
                    "flavor 'm9' not found, neither in the data directory "
                    'nor in the destination',
                ),
            ],
            problems,
        )
        self.assertEqual((2, 5), (files, count))
        # Each kind is listed once for all the references.
        self.assertEqual(1, len(conn.calls_to('network.networks')))
        self.assertEqual(1, len(conn.calls_to('compute.flavors')))

    def test_yaml_error_is_a_problem_row(self):
        self.write('networks.yml', [net('n1')])
        self.write_text('children.yml', 'os_migrate_version: 2.0.0\n  x: [\n')
        problems, files, count = self.validate()
        self.assertEqual(
            [
                validation.Problem(
                    self.path('children.yml'),
                    '',
                    '',
                    'invalid YAML: line 2, column 4: mapping values are not '
                    'allowed here',
                )
            ],
            problems,
        )
        self.assertEqual((2, 1), (files, count))

    def test_file_problems_rows(self):
        self.write_text('a.yml', 'os_migrate_version: 7.1.0\n')
        self.write_text(
            'b.yml',
            'os_migrate_version: 2.0.0\nresources:\n- type: %s\n  params: {}\n'
            % NET,
        )
        self.write_text('c.yml', '')
        self.assertEqual(
            (
                [
                    validation.Problem(
                        self.path('a.yml'),
                        '',
                        'os_migrate_version',
                        "unsupported os_migrate_version '7.1.0' (this "
                        'client reads 0.x, 1.x, 2.x)',
                    ),
                    validation.Problem(
                        self.path('b.yml'),
                        'resource 0 (openstack.network.Network)',
                        '_info',
                        'missing',
                    ),
                    validation.Problem(
                        self.path('c.yml'), '', '', 'the file is empty'
                    ),
                ],
                3,
                0,
            ),
            self.validate(),
        )

    def test_pioneer_files(self):
        self.write_text('networks.yml', test_datafile.PIONEER_NETWORKS_0_4_0)
        self.write_text('workloads.yml', test_datafile.PIONEER_WORKLOADS_1_0_5)
        self.assertEqual(
            (
                [
                    validation.Problem(
                        self.path('workloads.yml'),
                        "resource 0 (openstack.compute.Server 'osm_server')",
                        'type',
                        "unknown type 'openstack.compute.Server'",
                    )
                ],
                2,
                2,
            ),
            self.validate(),
        )


class TestRealRegistry(base.BaseTestCase):
    def test_network_file_validates(self):
        directory = self.useFixture(fixtures.TempDir()).path
        datafile.write(
            os.path.join(directory, 'networks.yml'),
            [net('n1', qos_policy_ref=None), net('n2')],
        )
        self.assertEqual(([], 1, 2), validation.validate(directory))


class TestBuiltIn(base.BaseTestCase):
    def test_a_projects_default_security_group_is_not_expected(self):
        # Neutron makes it in every project: a port or rule may name it
        # though an export by name left the groups out.
        for name, expected in (('default', False), ('web', True)):
            self.assertEqual(
                expected,
                validation._expected(
                    'security_group',
                    refs.make_ref(name, refs.AUTH, refs.AUTH),
                    {},
                ),
                name,
            )
