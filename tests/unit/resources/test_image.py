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

"""Images: the pioneering fields, export scope, identity, conflicts."""

import argparse
import os
import threading
import types

import fixtures
from openstack.image.v2 import image as sdk_image
from oslotest import base

from osmigrateclient import movers
from osmigrateclient.resources import _listers as listers
from osmigrateclient.resources import base as resource_base
from osmigrateclient.resources import image
from osmigrateclient.resources import refs
from tests.unit import fakes

SRC = 'p-src'
DST = 'p-dst'
MD5 = 'a' * 32
SHA = 'b' * 128


class ImageConnection(fakes.FakeConnection):
    """A fake cloud that also creates, reads and shares images."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.members_of = {}
        #: what the next upload makes Glance compute
        self.uploaded = (MD5, SHA, 7)

    def _api_get_image(self, image_id):
        return next(o for o in self.store['image'] if o.id == image_id)

    def _api_members(self, obj):
        return [
            argparse.Namespace(member_id=m)
            for m in self.members_of.get(obj.id, [])
        ]

    def _api_add_member(self, obj, member_id):
        self.members_of.setdefault(obj.id, []).append(member_id)

    def _api_delete_image(self, obj, ignore_missing=True):
        self._delete('image', obj)


def fake_create(img, session):
    conn = session._conn
    body = img._prepare_request(requires_id=False).body
    conn.calls.append(('image.create', (), body))
    img._update(id='img-new', status='queued', owner=conn.current_project_id)
    conn.store.setdefault('image', []).append(img)
    return img


def fake_put(conn, obj, *args, **kwargs):
    md5, sha, size = conn.uploaded
    obj._update(
        checksum=md5,
        hash_algo='sha512',
        hash_value=sha,
        size=size,
        status='active',
    )
    conn.calls.append(('upload', args, {}))
    return size


class ImageTestCase(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.src = ImageConnection(project_id=SRC)
        self.dst = ImageConnection(project_id=DST)
        self.res = image.Image()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.useFixture(
            fixtures.MonkeyPatch(
                'openstack.image.v2.image.Image.create', fake_create
            )
        )
        self.useFixture(
            fixtures.MonkeyPatch(
                'osmigrateclient.transfer.image_blobs.upload', fake_put
            )
        )

    def source(self, **attrs):
        values = dict(
            id='src-1',
            name='img',
            disk_format='qcow2',
            container_format='bare',
            checksum=MD5,
            hash_algo='sha512',
            hash_value=SHA,
            size=7,
            status='active',
            visibility='private',
            min_ram=64,
            hw_cpu_cores=2,
            hw_machine_type='q35',
            needs_secure_boot='required',
            is_hw_boot_menu_enabled=True,
            tags=['z', 'a'],
            hw_firmware_type='uefi',
            custom='x',
            stores='fs',
            os_glance_importing_to_stores='',
        )
        values.update(attrs)
        return self.src.add('image', **values)

    def entry(self, **attrs):
        return self.res.from_sdk(refs.Lookup(self.src), self.source(**attrs))

    def dst_lookup(self, **options):
        options.setdefault('src_cloud', 'src')
        return refs.Lookup(
            self.dst,
            data_dir=self.dir,
            options=argparse.Namespace(**options),
            connect={'src': self.src}.get,
            movers=movers.for_run(),
        )

    def write_blob(self, entry):
        path = os.path.join(
            self.dir,
            'image_blobs',
            '%s-%s' % (entry['_info']['id'], entry['params']['name']),
        )
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'wb') as f:
            f.write(b'1234567')
        return path


class TestExport(ImageTestCase):
    def test_declaration(self):
        self.assertEqual('openstack.image.Image', self.res.type)
        self.assertEqual('images.yml', self.res.file_name)
        self.assertEqual('image', self.res.service)
        self.assertIn(self.res.kind, listers.LISTERS)
        self.assertEqual(44, len(image.PIONEER_PARAMS))

    def test_pioneer_keys(self):
        e = self.entry()
        self.assertEqual(
            sorted(
                image.PIONEER_PARAMS
                + ('kernel_ref', 'ramdisk_ref', 'tags', 'members')
            ),
            sorted(e['params']),
        )
        self.assertEqual(
            sorted(
                [
                    'checksum',
                    'created_at',
                    'direct_url',
                    'file',
                    'id',
                    'instance_uuid',
                    'kernel_id',
                    'locations',
                    'metadata',
                    'owner_id',
                    'ramdisk_id',
                    'schema',
                    'size',
                    'status',
                    'store',
                    'updated_at',
                    'url',
                    'virtual_size',
                ]
            ),
            sorted(e['_info']),
        )

    def test_values(self):
        p = self.entry()['params']
        self.assertEqual(
            {'hw_firmware_type': 'uefi', 'custom': 'x'}, p['properties']
        )
        self.assertEqual(
            ('q35', 'required', 2, True, ['a', 'z']),
            (
                p['hw_machine_type'],
                p['needs_secure_boot'],
                p['hw_cpu_cores'],
                p['is_hw_boot_menu_enabled'],
                p['tags'],
            ),
        )
        self.assertEqual(('sha512', SHA), (p['hash_algo'], p['hash_value']))
        self.assertEqual([], p['members'])
        # Private image: its members are not asked for.
        self.assertEqual([], self.src.calls_to('image.members'))

    def test_scope_owned_images_kernels_first(self):
        k = self.source(id='k', name='zz-kernel', disk_format='aki')
        self.source(id='ami', name='ami', disk_format='ami', kernel_id=k.id)
        self.source(id='pub', name='public', project_id='someone-else')
        entries = self.res.export(refs.Lookup(self.src), lambda n: True)
        self.assertEqual(
            ['zz-kernel', 'ami'], [e['params']['name'] for e in entries]
        )
        self.assertEqual(
            {
                'name': 'zz-kernel',
                'project_name': '%auth%',
                'domain_name': '%auth%',
            },
            entries[1]['params']['kernel_ref'],
        )
        # One list call for every image, no get per image.
        self.assertEqual(['image.images'], self.src.call_names())


class TestImport(ImageTestCase):
    def test_blob_missing_blocks(self):
        e = self.entry()
        outcome = self.res.apply(self.dst_lookup(), e)
        self.assertEqual('blocked', outcome.action)
        self.assertIn(
            os.path.join(self.dir, 'image_blobs', 'src-1-img'), outcome.detail
        )
        self.assertEqual([], self.dst.write_calls())

    def test_create_sends_strings_and_uploads(self):
        e = self.entry()
        path = self.write_blob(e)
        outcome = self.res.apply(self.dst_lookup(), e)
        self.assertEqual(('created', ''), (outcome.action, outcome.detail))
        [(_, body)] = self.dst.calls_to('image.create')
        self.assertEqual(
            {
                'name': 'img',
                'disk_format': 'qcow2',
                'container_format': 'bare',
                'visibility': 'private',
                'min_ram': 64,
                'tags': ['a', 'z'],
                'hw_cpu_cores': '2',
                'hw_machine_type': 'q35',
                'os_secure_boot': 'required',
                'hw_boot_menu': 'true',
                'hw_firmware_type': 'uefi',
                'custom': 'x',
            },
            body,
        )
        self.assertNotIn('os_hash_value', body)
        # upload(conn, image, path, progress, label)
        [(args, _)] = self.dst.calls_to('upload')
        self.assertEqual(path, args[0])

    def test_upload_that_does_not_match_is_deleted(self):
        e = self.entry()
        self.write_blob(e)
        self.dst.uploaded = ('c' * 32, 'd' * 128, 7)
        outcome = self.res.apply(self.dst_lookup(), e)
        self.assertEqual('failed', outcome.action)
        self.assertIn('field checksum', outcome.detail)
        self.assertEqual([], self.dst.store['image'])

    def test_same_bytes_is_unchanged(self):
        e = self.entry()
        twin = self.source(id='x').to_dict(computed=False)
        for key in ('owner', 'owner_id', 'location'):
            twin.pop(key, None)
        twin.update(twin.pop('properties'))
        self.dst.add('image', **dict(twin, id='dst-1', project_id=DST))
        outcome = self.res.apply(self.dst_lookup(), e)
        self.assertEqual('unchanged', outcome.action)
        self.assertEqual([], self.dst.write_calls())

    def test_same_bytes_other_metadata_is_updated(self):
        e = self.entry()
        self.dst.add(
            'image',
            id='dst-1',
            name='img',
            owner=DST,
            checksum=MD5,
            hash_algo='sha512',
            hash_value=SHA,
            size=7,
            status='active',
            disk_format='qcow2',
            container_format='bare',
            visibility='private',
            min_ram=64,
            hw_cpu_cores=2,
            hw_machine_type='pc',
            needs_secure_boot='required',
            is_hw_boot_menu_enabled=True,
            tags=['a', 'z'],
            hw_firmware_type='bios',
            stores='fs',
            other='kept',
        )
        outcome = self.res.apply(self.dst_lookup(), e)
        self.assertEqual(
            ('updated', 'hw_machine_type, properties'),
            (outcome.action, outcome.detail),
        )
        [(args, kwargs)] = self.dst.calls_to('image.update_image')
        self.assertEqual(
            {
                'hw_machine_type': 'q35',
                'hw_firmware_type': 'uefi',
                'custom': 'x',
                'other': 'kept',
                'stores': 'fs',
            },
            kwargs,
        )

    def test_other_bytes_is_a_conflict(self):
        e = self.entry()
        self.dst.add(
            'image',
            id='dst-1',
            name='img',
            owner=DST,
            checksum='f' * 32,
            hash_algo='sha512',
            hash_value='e' * 128,
            size=7,
            status='active',
        )
        outcome = self.res.apply(self.dst_lookup(), e)
        self.assertEqual('conflict', outcome.action)
        self.assertTrue(
            outcome.detail.startswith(
                'checksum: the destination image dst-1 holds other bytes'
            ),
            outcome.detail,
        )
        self.assertEqual([], self.dst.write_calls())

    def test_direct_needs_no_blob(self):
        e = self.entry()
        copies = []
        self.useFixture(
            fixtures.MonkeyPatch(
                'osmigrateclient.transfer.image_blobs.copy',
                lambda src, src_id, digest, conn, obj, *a: (
                    copies.append(src_id) or fake_put(conn, obj)
                ),
            )
        )
        outcome = self.res.apply(self.dst_lookup(direct=True), e)
        self.assertEqual('created', outcome.action)
        self.assertEqual(['src-1'], copies)

    def test_direct_without_source_cloud(self):
        e = self.entry()
        outcome = self.res.apply(
            self.dst_lookup(direct=True, src_cloud=None), e
        )
        self.assertEqual('failed', outcome.action)
        self.assertIn('--src-cloud', outcome.detail)
        self.assertEqual([], self.dst.store['image'])


class TestSdkImage(base.BaseTestCase):
    def test_unknown_attrs_are_flattened(self):
        body = (
            sdk_image.Image.new(name='x', hw_firmware_type='uefi')
            ._prepare_request(requires_id=False)
            .body
        )
        self.assertEqual({'name': 'x', 'hw_firmware_type': 'uefi'}, body)


class TestApplyInThreads(base.BaseTestCase):
    def test_each_thread_uploads_its_own_entry(self):
        # Two imports of the one (cached) Image type at once: update() of
        # each must put the data of the entry its own apply() was given.
        resource = image.Image()
        both_decided = threading.Barrier(2, timeout=10)
        uploaded = {}

        def decide(self, lookup, entry):
            # An existing image without data, for both entries at once.
            both_decided.wait()
            existing = types.SimpleNamespace(
                id='img-' + entry['params']['name'], status='queued'
            )
            return resource_base.Decision(
                resource_base.UNCHANGED, '', existing
            )

        def put_data(lookup, obj, entry):
            uploaded[threading.current_thread().name] = entry['params']['name']
            return obj

        self.useFixture(
            fixtures.MockPatchObject(resource_base.Resource, 'decide', decide)
        )
        self.useFixture(
            fixtures.MockPatchObject(resource, '_put_data', put_data)
        )
        self.useFixture(
            fixtures.MockPatchObject(resource, 'proxy', lambda lookup: None)
        )
        mover = types.SimpleNamespace(missing=lambda lookup, entry: '')
        lookup = refs.Lookup(None, movers=types.SimpleNamespace(image=mover))
        outcomes = {}

        def apply(name):
            entry = {'params': {'name': name}, '_info': {}}
            outcomes[name] = resource.apply(lookup, entry).action

        threads = [
            threading.Thread(name=name, target=apply, args=(name,))
            for name in ('a', 'b')
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual({'a': 'a', 'b': 'b'}, uploaded)
        self.assertEqual({'a': 'updated', 'b': 'updated'}, outcomes)
