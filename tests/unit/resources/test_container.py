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

import argparse
import copy
import os

import fixtures
from oslotest import base

from osmigrateclient import alltypes
from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient import movers
from osmigrateclient import resources
from osmigrateclient.resources import base as resource_base
from osmigrateclient.resources import refs
from osmigrateclient.transfer.swift import blobs
from tests.unit.transfer.swift import fakes as fake

PATH = '/data/containers.yml'


def entry(name='c1', objects=(), **params):
    return {
        'type': 'openstack.object_store.Container',
        'params': dict(name=name, objects=list(objects), **params),
        '_info': {'id': name},
        '_migration_params': {},
    }


class TestCheck(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.resource = resources.get('container')

    def refused(self, e):
        error = self.assertRaises(
            exceptions.DataFileError, self.resource.check, e, PATH, 0
        )
        return str(error)

    def test_good(self):
        self.resource.check(
            entry(
                objects=[{'name': 'a/../b', 'hash': 'x', 'bytes': 1}],
                metadata={'color': 'blue'},
                versions_enabled=True,
            ),
            PATH,
            0,
        )

    def test_bad_container_name(self):
        self.assertEqual(
            "/data/containers.yml: resource 0 (openstack.object_store."
            "Container '../x'): field params.name: a container name has no "
            "\"/\" nor control characters: '../x'",
            self.refused(entry('../x')),
        )

    def test_bad_object_name(self):
        self.assertEqual(
            "/data/containers.yml: resource 0 (openstack.object_store."
            "Container 'c1'): field params.objects[1].name: an object name "
            "has no control characters: 'a\\nb'",
            self.refused(entry(objects=[{'name': 'ok'}, {'name': 'a\nb'}])),
        )

    def test_wrong_type_says_the_same(self):
        self.assertEqual(
            "/data/containers.yml: resource 0 (openstack.object_store."
            "Container 'c1'): field params.objects[0].name: must be a "
            'string, not a number',
            self.refused(entry(objects=[{'name': 5}])),
        )

    def test_missing_object_name(self):
        self.assertEqual(
            "/data/containers.yml: resource 0 (openstack.object_store."
            "Container 'c1'): field params.objects[0].name: missing",
            self.refused(entry(objects=[{'hash': 'x'}])),
        )

    def test_bad_versions(self):
        self.assertEqual(
            "/data/containers.yml: resource 0 (openstack.object_store."
            "Container 'c1'): field params.objects[0].versions[1].version_id: "
            "a header value has no line break nor NUL: '1\\nx'",
            self.refused(
                entry(
                    objects=[
                        {
                            'name': 'a',
                            'versions': [
                                {
                                    'version_id': '1.00000',
                                    'delete_marker': True,
                                },
                                {
                                    'version_id': '1\nx',
                                    'hash': 'h',
                                    'bytes': 1,
                                },
                            ],
                        }
                    ]
                )
            ),
        )
        self.assertEqual(
            "/data/containers.yml: resource 0 (openstack.object_store."
            "Container 'c1'): field params.objects[0].versions[0]."
            "delete_marker: must be bool, not a string",
            self.refused(
                entry(
                    objects=[
                        {
                            'name': 'a',
                            'versions': [
                                {'version_id': '1.00000', 'delete_marker': 'y'}
                            ],
                        }
                    ]
                )
            ),
        )
        self.assertEqual(
            "/data/containers.yml: resource 0 (openstack.object_store."
            "Container 'c1'): field params.objects[0].versions[0]: a "
            'version has a hash and bytes, or is a delete marker',
            self.refused(
                entry(
                    objects=[{'name': 'a', 'versions': [{'version_id': '1'}]}]
                )
            ),
        )

    def test_at_copy_is_a_bool(self):
        self.resource.check(
            entry(objects=[{'name': 'a', 'at_copy': True}]), PATH, 0
        )
        self.assertEqual(
            "/data/containers.yml: resource 0 (openstack.object_store."
            "Container 'c1'): field params.objects[0].at_copy: must be "
            'bool, not a string',
            self.refused(entry(objects=[{'name': 'a', 'at_copy': 'yes'}])),
        )

    def test_duplicate_object(self):
        self.assertIn(
            "field params.objects[1].name: a second object named 'a'",
            self.refused(entry(objects=[{'name': 'a'}, {'name': 'a'}])),
        )

    def test_header_injection_in_metadata(self):
        self.assertIn(
            'field params.metadata.k: a header value has no line break',
            self.refused(entry(metadata={'k': 'v\r\nX-Auth-Token: t'})),
        )

    def test_versions_location_is_a_container_name(self):
        self.assertIn(
            'field params.versions_location: a container name has no "/"',
            self.refused(entry(versions_location='a/b')),
        )


class TestExportImport(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        self.resource = resources.get('container')
        self.src, self.dst = fake.FakeSwift(), fake.FakeSwift()
        self.src.put(
            '/c1',
            headers={
                'X-Container-Meta-Color': 'blue',
                'X-Container-Read': '.r:*',
            },
        )
        self.src.put('/a-segs')
        for i in range(3):
            self.src.add(
                'c1',
                'o%d' % i,
                os.urandom(10 + i),
                'text/x',
                **{'X-Object-Meta-I': str(i)},
            )
        self.src.add('a-segs', 's1', b'abc')
        self.src.add('c1', 'dlo', b'', **{'X-Object-Manifest': 'a-segs/s'})

    def lookup(self, conn, **options):
        options.setdefault('parallel', 2)
        return refs.Lookup(
            conn,
            data_dir=self.data_dir,
            options=argparse.Namespace(**options),
            connect=lambda side: self.src,
            movers=movers.for_run(),
        )

    def export(self, **options):
        return alltypes.export(
            [self.resource],
            self.lookup(self.src, **options),
            self.data_dir,
            lambda name: True,
        )

    def import_(self, dry_run=False, **options):
        options.setdefault('src_cloud', None)
        return alltypes.import_(
            [self.resource],
            self.lookup(self.dst, **options),
            self.data_dir,
            lambda name: True,
            dry_run=dry_run,
        )

    def entries(self):
        return datafile.load(
            os.path.join(self.data_dir, 'containers.yml')
        ).resources

    def test_export(self):
        self.export()
        entries = self.entries()
        # The container whose objects another's manifest needs first.
        self.assertEqual(['a-segs', 'c1'], [e['_info']['id'] for e in entries])
        c1 = entries[1]['params']
        self.assertEqual(
            ({'color': 'blue'}, '.r:*'), (c1['metadata'], c1['read_acl'])
        )
        self.assertEqual(
            [
                ('dlo', None, 'a-segs/s'),
                ('o0', {'i': '0'}, None),
                ('o1', {'i': '1'}, None),
                ('o2', {'i': '2'}, None),
            ],
            [
                (r['name'], r.get('metadata'), r.get('manifest'))
                for r in c1['objects']
            ],
        )

    def test_import_then_nothing(self):
        self.export()
        outcomes = self.import_(src_cloud='src')
        self.assertEqual(
            [
                ('a-segs', 'created', 'objects: 1 copied (3 B)'),
                ('c1', 'created', 'objects: 4 copied (33 B)'),
            ],
            [(o.name, o.action, o.detail) for o in outcomes],
        )
        self.assertEqual(
            {'X-Object-Manifest': 'a-segs/s'},
            self.dst.store['c1']['o']['dlo']['headers'],
        )
        self.assertEqual(
            'blue', self.dst.store['c1']['headers']['X-Container-Meta-Color']
        )
        self.dst.requests.clear()
        outcomes = self.import_(src_cloud='src')
        self.assertEqual(
            [resource_base.DONE[resource_base.UNCHANGED]] * 2,
            [o.action for o in outcomes],
        )
        self.assertEqual([], self.dst.writes())
        self.assertEqual(
            ['GET', 'HEAD', 'GET', 'HEAD', 'GET'],
            [m for m, _ in self.dst.requests],
        )

    def test_blocked_without_a_source(self):
        self.export()
        [outcome, _] = self.import_(dry_run=True)
        self.assertEqual(
            (
                'blocked',
                "objects: 1 object(s) to copy have no blob in %s (first: "
                "'s1'): import with --src-cloud <cloud>, or export with "
                '--keep-blobs'
                % os.path.join(self.data_dir, 'container_blobs'),
            ),
            (outcome.action, outcome.detail),
        )

    def test_plan_command_does_not_know_the_source(self):
        self.export()
        lookup = refs.Lookup(
            self.dst,
            data_dir=self.data_dir,
            options=argparse.Namespace(),
            movers=movers.for_run(),
        )
        outcomes = alltypes.import_(
            [self.resource], lookup, self.data_dir, lambda n: True, True
        )
        self.assertEqual(
            [
                ('create', 'objects: 1 to copy'),
                ('create', 'objects: 4 to copy'),
            ],
            [(o.action, o.detail) for o in outcomes],
        )

    def test_keep_blobs(self):
        self.export(keep_blobs=True)
        # The GETs bring the metadata: a HEAD for the containers and the
        # empty manifest only.
        self.assertEqual(
            ['/a-segs', '/c1', '/c1/dlo'],
            sorted(p for m, p in self.src.requests if m == 'HEAD'),
        )
        self.assertEqual(
            {'i': '1'},
            self.entries()[1]['params']['objects'][2]['metadata'],
        )
        # Again: nothing read but the listings, the blobs checked.
        self.src.requests.clear()
        self.export(keep_blobs=True)
        self.assertEqual(
            ['/', '/a-segs', '/a-segs', '/c1', '/c1'],
            sorted(p for m, p in self.src.requests),
        )
        path = blobs.blob_path(self.data_dir, 'c1', 'o1')
        with open(path, 'rb') as f:
            self.assertEqual(self.src.store['c1']['o']['o1']['data'], f.read())
        self.assertEqual(0o600, os.stat(path).st_mode & 0o777)
        self.src.requests.clear()
        outcomes = self.import_()
        self.assertEqual(['created', 'created'], [o.action for o in outcomes])
        self.assertEqual([], self.src.requests)
        self.assertEqual(
            self.src.store['c1']['o']['o2']['data'],
            self.dst.store['c1']['o']['o2']['data'],
        )

    def test_metadata_at_copy(self):
        self.export(metadata_at_copy=True)
        # A HEAD of the containers and of the empty object only.
        self.assertEqual(
            ['/a-segs', '/c1', '/c1/dlo'],
            sorted(p for m, p in self.src.requests if m == 'HEAD'),
        )
        objects = self.entries()[1]['params']['objects']
        self.assertEqual(
            [
                ('dlo', None, 'a-segs/s', None),
                ('o0', True, None, None),
                ('o1', True, None, None),
                ('o2', True, None, None),
            ],
            [
                (
                    r['name'],
                    r.get('at_copy'),
                    r.get('manifest'),
                    r.get('metadata'),
                )
                for r in objects
            ],
        )
        # Without --src-cloud: refused before any write, naming the file,
        # the container and the field.
        outcomes = self.import_()
        self.assertEqual(
            (
                'blocked',
                "%s: openstack.object_store.Container 'c1': field "
                'params.objects[1].at_copy: exported with --metadata-at-copy:'
                ' its metadata is read from the source at import: import '
                'with --src-cloud <cloud>'
                % os.path.join(self.data_dir, 'containers.yml'),
            ),
            (outcomes[1].action, outcomes[1].detail),
        )
        self.assertNotIn('c1', self.dst.store)
        # With it: the metadata of the GETs.
        self.src.requests.clear()
        outcomes = self.import_(src_cloud='src')
        self.assertEqual(
            [
                ('a-segs', 'created', 'objects: 1 copied (3 B)'),
                ('c1', 'created', 'objects: 4 copied (33 B)'),
            ],
            [(o.name, o.action, o.detail) for o in outcomes],
        )
        self.assertEqual([], [r for r in self.src.requests if r[0] == 'HEAD'])
        for i in range(3):
            got = self.dst.store['c1']['o']['o%d' % i]
            self.assertEqual(
                ('text/x', {'X-Object-Meta-I': str(i)}),
                (got['ctype'], got['headers']),
            )
        self.dst.requests.clear()
        self.src.requests.clear()
        outcomes = self.import_(src_cloud='src')
        self.assertEqual(
            [resource_base.DONE[resource_base.UNCHANGED]] * 2,
            [o.action for o in outcomes],
        )
        self.assertEqual([], self.dst.writes())
        self.assertEqual([], self.src.requests)

    def test_metadata_at_copy_with_keep_blobs_does_nothing(self):
        self.export(metadata_at_copy=True, keep_blobs=True)
        objects = self.entries()[1]['params']['objects']
        self.assertEqual([None] * 4, [r.get('at_copy') for r in objects])
        self.assertEqual({'i': '1'}, objects[2]['metadata'])

    def test_edited_container(self):
        self.export()
        self.import_(src_cloud='src')
        doc = datafile.load(os.path.join(self.data_dir, 'containers.yml'))
        entries = copy.deepcopy(doc.resources)
        entries[1]['params']['metadata'] = {'size': 'L'}
        entries[1]['params']['read_acl'] = None
        datafile.write(doc.path, entries)
        self.dst.requests.clear()
        outcomes = self.import_(src_cloud='src')
        self.assertEqual(
            ('updated', 'metadata, read_acl; objects: 4 unchanged'),
            (outcomes[1].action, outcomes[1].detail),
        )
        self.assertEqual([('POST', '/c1')], self.dst.writes())

    def test_unknown_versioning_is_no_change(self):
        self.export()
        self.import_(src_cloud='src')
        self.dst.store['c1']['headers']['X-Versions-Enabled'] = 'True'
        outcome = self.import_(src_cloud='src')[1]
        self.assertEqual('unchanged', outcome.action)

    def test_hostile_old_records_are_not_reused(self):
        self.export()
        doc = datafile.load(os.path.join(self.data_dir, 'containers.yml'))
        entries = copy.deepcopy(doc.resources)
        entries[1]['params']['objects'][1]['metadata'] = {'k': 'a\nb'}
        datafile.write(doc.path, entries)
        self.src.requests.clear()
        self.export()
        # c1's old records are refused: its objects are read again.
        self.assertEqual(
            ['/c1/dlo', '/c1/o0', '/c1/o1', '/c1/o2'],
            sorted(p for m, p in self.src.requests if p.startswith('/c1/')),
        )
        self.assertEqual(
            {'i': '0'}, self.entries()[1]['params']['objects'][1]['metadata']
        )

    def test_storage_policy_cannot_change(self):
        self.export()
        self.import_(src_cloud='src')
        self.dst.store['c1']['headers']['X-Storage-Policy'] = 'gold'
        doc = datafile.load(os.path.join(self.data_dir, 'containers.yml'))
        entries = copy.deepcopy(doc.resources)
        entries[1]['params']['storage_policy'] = 'silver'
        datafile.write(doc.path, entries)
        outcome = self.import_(src_cloud='src')[1]
        self.assertEqual(
            (
                'conflict',
                "cannot change storage_policy of an existing container: "
                "storage_policy is 'gold', the file says 'silver'",
            ),
            (outcome.action, outcome.detail),
        )

    def test_acl_names_that_do_not_fit_block_the_container(self):
        self.export()
        doc = datafile.load(os.path.join(self.data_dir, 'containers.yml'))
        entries = copy.deepcopy(doc.resources)
        entries[1]['params']['read_acl'] = 'p:u,.r:*'
        entries[1]['params']['read_acl_refs'] = [
            {'entry': 'q:u', 'project': refs.make_ref('p1', None, 'Default')}
        ]
        datafile.write(doc.path, entries)
        outcome = self.import_(src_cloud='src')[1]
        self.assertEqual(
            (
                'blocked',
                "%s: openstack.object_store.Container 'c1': field "
                "params.read_acl_refs[0].entry: not an entry of the ACL: "
                "'q:u'" % doc.path,
            ),
            (outcome.action, outcome.detail),
        )
        self.assertNotIn('c1', self.dst.store)
        entries[1]['params']['read_acl_refs'] = 'p:u'
        datafile.write(doc.path, entries)
        e = self.assertRaises(
            exceptions.DataFileError, self.import_, src_cloud='src'
        )
        self.assertEqual(
            "%s: resource 1 (openstack.object_store.Container 'c1'): field "
            'params.read_acl_refs: must be a list, not a string' % doc.path,
            str(e),
        )
