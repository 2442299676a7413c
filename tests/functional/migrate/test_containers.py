# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Swift containers with their objects: ``migrate export container`` /
``import container`` against real Swift proxies (``src`` RegionOne ->
``dst`` RegionTwo).

Every test seeds its own containers under a unique name prefix, exports
only those (``--name-regex ^<prefix>``) and deletes whatever carries the
prefix in both regions afterwards (object versions included).
"""

import gzip
import hashlib
import json
import os
import re
import sys
import time

import fixtures
import yaml

from osmigrateclient.transfer.swift import wire
from tests.functional import base

sys.path.insert(0, os.path.join(base.REPO, 'tools', 'chaos'))
import faultproxy  # noqa: E402

KiB = 1024
#: the development cloud's Swift proxies and Keystone
SWIFT_ENDPOINTS = ('127.0.0.1:15000', '127.0.0.1:15808', '127.0.0.1:15908')


def md5(data):
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def purge(conn, prefix):
    """Delete every container of ``conn``'s account named ``prefix...``,
    with its objects and their versions."""
    store = conn.object_store
    for container in [
        c.name for c in store.containers() if c.name.startswith(prefix)
    ]:
        path = '/' + container
        if store.head(path).headers.get('X-Versions-Enabled') == 'True':
            store.post(path, headers={'X-Versions-Enabled': 'false'})
        for params in ({'versions': ''}, {}):
            listing = store.get(path, params=dict(params, format='json'))
            for item in listing.json() if listing.status_code == 200 else []:
                query = {}
                if item.get('version_id') not in (None, 'null'):
                    query['version-id'] = item['version_id']
                store.delete(
                    '%s/%s' % (path, _quote(item['name'])), params=query
                )
        store.delete(path)


def _quote(name):
    return wire.object_path('c', name)[len('/c/') :]


class TestContainers(base.FunctionalTestCase):
    def setUp(self):
        super().setUp()
        self.prefix = self.unique_name('osmswift')
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        self.src, self.dst = self.conn('src'), self.conn('dst')
        for conn in (self.src, self.dst):
            self.addCleanup(purge, conn, self.prefix)

    # -- helpers ------------------------------------------------------------

    def name(self, suffix):
        return '%s-%s' % (self.prefix, suffix)

    def put(self, conn, container, obj=None, data=b'', **headers):
        path = '/' + container
        if obj is not None:
            path += '/' + _quote(obj)
        response = conn.object_store.put(path, data=data, headers=headers)
        self.assertIn(response.status_code, (201, 202), response.text)
        return response

    def head(self, conn, container, obj=None, **params):
        path = '/' + container + ('/' + _quote(obj) if obj else '')
        response = conn.object_store.head(path, params=params)
        self.assertIn(response.status_code, (200, 204), path)
        return response.headers

    def get(self, conn, container, obj):
        # (log=False: keystoneauth would log a text/plain body)
        response = conn.object_store.get(
            '/%s/%s' % (container, _quote(obj)), log=False
        )
        self.assertEqual(200, response.status_code)
        return response.content

    def listing(self, conn, container):
        response = conn.object_store.get(
            '/' + container, params={'format': 'json'}
        )
        return {i['name']: i for i in response.json()}

    def migrate(self, verb, *args, cloud_option, cloud, expect_fail=False):
        return self.openstack(
            'migrate',
            *verb.split(),
            '--data-dir',
            self.data_dir,
            cloud_option,
            cloud,
            '--name-regex',
            '^' + self.prefix,
            '-f',
            'json',
            *args,
            expect_fail=expect_fail,
        )

    def export(self, *args):
        return self.migrate(
            'export container', *args, cloud_option='--src-cloud', cloud='src'
        )

    def logged(self, verb, clouds, *args, clouds_yaml=None, expect_fail=False):
        """``<verb> container`` of the test's containers with ``--debug``
        and the ``clouds`` options: its :class:`CommandResult`, and the
        (method, url) of every request it made."""
        proc = self.openstack(
            '--debug',
            'migrate',
            verb,
            'container',
            '--data-dir',
            self.data_dir,
            *clouds,
            '--name-regex',
            '^' + self.prefix,
            '-f',
            'json',
            *args,
            env={'OS_CLIENT_CONFIG_FILE': clouds_yaml}
            if clouds_yaml
            else None,
            expect_fail=expect_fail,
            full=True,
        )
        requests = re.findall(r'REQ: curl .*?-X (\w+) (\S+)', proc.stderr)
        return proc, [(m, u.strip('"')) for m, u in requests]

    def export_logged(self, *args):
        """``export container --src-cloud src`` with ``--debug``: the
        (method, url) of every request it made."""
        return self.logged('export', ('--src-cloud', 'src'), *args)[1]

    def import_logged(self, *args, clouds_yaml=None, expect_fail=False):
        """``import container --src-cloud src`` with ``--debug``: its
        rows (or stderr when it must fail), and the (method, url) of
        every request it made."""
        proc, requests = self.logged(
            'import',
            ('--src-cloud', 'src', '--dst-cloud', 'dst'),
            *args,
            clouds_yaml=clouds_yaml,
            expect_fail=expect_fail,
        )
        rows = json.loads(proc.stdout) if proc.stdout.strip() else []
        return rows, requests, proc.stderr

    def rows(self, rows):
        return {r['Name']: (r['Action'], r['Detail']) for r in rows}

    def data_file(self):
        with open(os.path.join(self.data_dir, 'containers.yml')) as f:
            return yaml.safe_load(f)

    def write_data_file(self, doc):
        with open(os.path.join(self.data_dir, 'containers.yml'), 'w') as f:
            yaml.safe_dump(doc, f)

    def dst_writes(self, requests):
        return [
            (m, u)
            for m, u in requests
            if m not in ('GET', 'HEAD') and not u.endswith('/auth/tokens')
        ]

    def assert_same_object(self, container, name):
        src_head = self.head(self.src, container, name)
        dst_head = self.head(self.dst, container, name)
        for header in ('Content-Type', 'Content-Length', 'Etag'):
            self.assertEqual(
                src_head.get(header), dst_head.get(header), (name, header)
            )
        for header in (
            'X-Delete-At',
            'X-Object-Manifest',
            'Content-Encoding',
            'Content-Disposition',
        ):
            self.assertEqual(
                src_head.get(header), dst_head.get(header), (name, header)
            )
        self.assertEqual(
            {k: v for k, v in src_head.items() if k.startswith('X-Object-M')},
            {k: v for k, v in dst_head.items() if k.startswith('X-Object-M')},
            name,
        )
        data = self.get(self.dst, container, name)
        self.assertEqual(self.get(self.src, container, name), data, name)

    # -- tests --------------------------------------------------------------

    def test_containers_objects_and_reimport(self):
        main, versions = self.name('main'), self.name('versions')
        self.put(self.src, versions)
        self.put(
            self.src,
            main,
            **{
                'X-Container-Meta-Color': 'blue',
                # UTF-8 on the wire
                'X-Container-Meta-Owner': 'team é'.encode().decode('latin-1'),
                'X-Container-Read': '.r:*,.rlistings',
                'X-Container-Write': '%s:*' % self.src.current_project_id,
                'X-Versions-Location': versions,
            },
        )
        expires = int(time.time()) + 86400
        names = []
        for i in range(24):
            name = 'dir %d/ü/o%02d.txt' % (i % 3, i)
            headers = {
                'Content-Type': 'text/plain' if i % 2 else 'application/x-y',
                'X-Object-Meta-Index': str(i),
            }
            if i % 4 == 0:
                headers['X-Delete-At'] = str(expires)
            self.put(
                self.src, main, name, os.urandom(4 * KiB + 97 * i), **headers
            )
            names.append(name)
        # An empty object, and a version of one object in the versions
        # container (overwritten once).
        self.put(self.src, main, 'empty', b'', **{'Content-Type': 'a/b'})
        names.append('empty')
        # Stored compressed: copied as stored, not decompressed.
        self.put(
            self.src,
            main,
            'page.html',
            gzip.compress(b'<p>hello</p>' * 300),
            **{
                'Content-Type': 'text/html',
                'Content-Encoding': 'gzip',
                'Content-Disposition': 'inline; filename="page.html"',
            },
        )
        names.append('page.html')
        self.put(
            self.src, main, names[1], b'second', **{'X-Object-Meta-V': '2'}
        )

        rows = self.export()
        self.assertEqual([2], [r['Exported'] for r in rows])
        doc = self.data_file()
        entries = {e['params']['name']: e for e in doc['resources']}
        self.assertEqual([versions, main], list(entries))
        self.assertEqual(
            {'color': 'blue', 'owner': 'team é'},
            entries[main]['params']['metadata'],
        )
        self.assertEqual(
            sorted(names),
            [o['name'] for o in entries[main]['params']['objects']],
        )
        self.assertEqual(1, len(entries[versions]['params']['objects']))

        # The plan, and a dry run: every object to copy.
        rows = self.migrate(
            'plan', 'container', cloud_option='--dst-cloud', cloud='dst'
        )
        self.assertEqual(
            {
                versions: ('create', 'objects: 1 to copy'),
                main: ('create', 'objects: 26 to copy'),
            },
            self.rows(rows),
        )
        rows, requests, _ = self.import_logged('--dry-run')
        self.assertEqual(
            {
                versions: ('create', 'objects: 1 to copy'),
                main: ('create', 'objects: 26 to copy'),
            },
            self.rows(rows),
        )
        self.assertEqual([], self.dst_writes(requests))

        rows, requests, _ = self.import_logged('--parallel', '4')
        self.assertEqual(
            {'created'}, {a for a, _ in self.rows(rows).values()}, rows
        )
        # Field by field.
        src_head = self.head(self.src, main)
        dst_head = self.head(self.dst, main)
        for header in (
            'X-Container-Meta-Color',
            'X-Container-Meta-Owner',
            'X-Container-Read',
            'X-Container-Write',
            'X-Versions-Location',
            'X-Storage-Policy',
        ):
            self.assertEqual(src_head[header], dst_head[header], header)
        self.assertEqual(versions, dst_head['X-Versions-Location'])
        for name in names:
            self.assert_same_object(main, name)
        self.assertEqual(
            str(expires), self.head(self.dst, main, names[0])['X-Delete-At']
        )
        [version] = self.listing(self.src, versions)
        self.assert_same_object(versions, version)
        # One PUT per object and container.
        puts = [u for m, u in requests if m == 'PUT']
        self.assertEqual(2 + 27, len(puts))

        # Again: nothing written, and one listing per container, no HEAD
        # per object.
        rows, requests, _ = self.import_logged()
        self.assertEqual(
            {versions: ('unchanged', ''), main: ('unchanged', '')},
            self.rows(rows),
        )
        self.assertEqual([], self.dst_writes(requests))
        swift = [
            (m, u) for m, u in requests if ':15908/' in u or ':15808/' in u
        ]
        self.assertEqual(
            ['GET', 'HEAD', 'GET', 'HEAD', 'GET'],
            [m for m, u in swift if '?marker=' not in u],
        )

        # An edited file: metadata of the container and of an object.
        doc = self.data_file()
        for entry in doc['resources']:
            if entry['params']['name'] == main:
                entry['params']['metadata'] = {'color': 'red'}
                entry['params']['objects'][3]['metadata'] = {'edited': 'yes'}
                edited = entry['params']['objects'][3]['name']
        self.write_data_file(doc)
        rows, requests, _ = self.import_logged()
        self.assertEqual(
            ('updated', 'metadata; objects: 1 updated, 25 unchanged'),
            self.rows(rows)[main],
        )
        self.assertEqual(
            ['POST', 'POST'], [m for m, _ in self.dst_writes(requests)]
        )
        dst_head = self.head(self.dst, main)
        self.assertEqual('red', dst_head['X-Container-Meta-Color'])
        self.assertNotIn('X-Container-Meta-Owner', dst_head)
        self.assertEqual(
            'yes', self.head(self.dst, main, edited)['X-Object-Meta-Edited']
        )
        self.assertNotIn(
            'X-Object-Meta-Index', self.head(self.dst, main, edited)
        )

    def test_large_objects(self):
        segs, big = self.name('segs'), self.name('big')
        self.put(self.src, segs)
        self.put(
            self.src,
            big,
            **{'X-Container-Meta-Kind': 'large', 'X-Versions-Enabled': 'true'},
        )
        parts = [os.urandom(64 * KiB + i) for i in range(3)]
        for i, part in enumerate(parts):
            self.put(self.src, segs, 'slo/%d' % i, part)
            self.put(self.src, segs, 'dlo/%d' % i, part[::-1])
        manifest = [
            {
                'path': '/%s/slo/%d' % (segs, i),
                'etag': md5(part),
                'size_bytes': len(part),
            }
            for i, part in enumerate(parts)
        ]
        response = self.src.object_store.put(
            '/%s/slo-object' % big,
            data=json.dumps(manifest),
            params={'multipart-manifest': 'put'},
            headers={'X-Object-Meta-Large': 'static'},
        )
        self.assertEqual(201, response.status_code, response.text)
        self.put(
            self.src,
            big,
            'dlo-object',
            b'',
            **{'X-Object-Manifest': '%s/dlo/' % segs},
        )
        # A symbolic link (in a container without object versioning: in
        # one with it, Swift hides the links behind its own).
        self.put(
            self.src,
            segs,
            'link',
            b'',
            **{'X-Symlink-Target': '%s/slo/0' % segs, 'Content-Type': 'a/b'},
        )
        self.export()
        records = {
            r['name']: r
            for e in self.data_file()['resources']
            for r in e['params']['objects']
        }
        self.assertEqual(
            [m['path'] for m in manifest],
            [s['path'] for s in records['slo-object']['segments']],
        )
        self.assertEqual(segs + '/dlo/', records['dlo-object']['manifest'])
        self.assertEqual(segs + '/slo/0', records['link']['symlink'])

        rows, requests, _ = self.import_logged()
        self.assertEqual(
            {segs: 'created', big: 'created'},
            {k: a for k, (a, _) in self.rows(rows).items()},
        )
        self.assertIn(
            (
                'PUT',
                '%s/%s/slo-object?multipart-manifest=put'
                % (self.dst.object_store.get_endpoint(), big),
            ),
            requests,
        )
        dst_head = self.head(self.dst, big)
        self.assertEqual(
            ('large', 'True'),
            (
                dst_head['X-Container-Meta-Kind'],
                dst_head['X-Versions-Enabled'],
            ),
        )
        # Large objects in the destination, not copies of their bytes.
        slo = self.head(
            self.dst, big, 'slo-object', **{'multipart-manifest': 'get'}
        )
        self.assertEqual('True', slo['X-Static-Large-Object'])
        self.assertEqual('static', slo['X-Object-Meta-Large'])
        dlo = self.head(self.dst, big, 'dlo-object')
        self.assertEqual(segs + '/dlo/', dlo['X-Object-Manifest'])
        self.assertEqual(
            b''.join(parts), self.get(self.dst, big, 'slo-object')
        )
        self.assertEqual(
            b''.join(p[::-1] for p in parts),
            self.get(self.dst, big, 'dlo-object'),
        )
        link = self.head(self.dst, segs, 'link', symlink='get')
        self.assertEqual(
            (segs + '/slo/0', 'a/b'),
            (link['X-Symlink-Target'], link['Content-Type']),
        )
        self.assertEqual(parts[0], self.get(self.dst, segs, 'link'))
        for name in ('slo-object', 'dlo-object'):
            self.assertEqual(
                self.head(self.src, big, name)['Etag'],
                self.head(self.dst, big, name)['Etag'],
            )
        rows, requests, _ = self.import_logged()
        self.assertEqual(
            {'unchanged'}, {a for a, _ in self.rows(rows).values()}
        )
        self.assertEqual([], self.dst_writes(requests))

    def test_interrupted_import_resumes(self):
        container = self.name('resume')
        self.put(self.src, container)
        data = {}
        for i in range(20):
            data['o%02d' % i] = os.urandom(2 * KiB + i)
            self.put(self.src, container, 'o%02d' % i, data['o%02d' % i])
        self.export()

        # The destination Swift refuses every object PUT after the 8th.
        class AfterN(faultproxy.Faults):
            def __init__(self, n):
                super().__init__(0, 0)
                self.left = n

            def choose(self, method, path):
                with self.lock:
                    self.requests += 1
                    if method != 'PUT' or path.count('/') < 4:
                        return None
                    if self.left > 0:
                        self.left -= 1
                        return None
                    self.counts['503'] += 1
                    return '503'

        faults = AfterN(8)
        proxy = faultproxy.Proxy(SWIFT_ENDPOINTS, faults).start()
        self.addCleanup(proxy.stop)
        proxied = faultproxy.devcloud_clouds_yaml(
            self.clouds_yaml,
            os.path.join(self.data_dir, 'clouds-proxied.yaml'),
            proxy,
            30,
        )
        rows, _, stderr = self.import_logged(
            '--parallel', '1', clouds_yaml=proxied, expect_fail=True
        )
        action, detail = self.rows(rows)[container]
        self.assertEqual('failed', action)
        self.assertTrue(
            detail.startswith('objects: 12 of 20 failed (8 copied): '),
            detail,
        )
        self.assertEqual(8, len(self.listing(self.dst, container)))

        rows, requests, _ = self.import_logged()
        self.assertEqual(
            ('updated', 'objects: 12 copied (24.2 KiB), 8 unchanged'),
            self.rows(rows)[container],
        )
        self.assertEqual(12, len([u for m, u in requests if m == 'PUT']))
        listing = self.listing(self.dst, container)
        self.assertEqual(sorted(data), sorted(listing))
        for name, blob in data.items():
            self.assertEqual(md5(blob), listing[name]['hash'])
            self.assertEqual(blob, self.get(self.dst, container, name))

    def test_metadata_at_copy(self):
        container = self.name('lazy')
        self.put(self.src, container)
        later = int(time.time()) + 86400
        data = {}
        for i in range(5):
            name = 'dir/o%d' % i
            data[name] = os.urandom(1000 + i)
            self.put(
                self.src,
                container,
                name,
                data[name],
                **{
                    'Content-Type': 'text/x-%d' % i,
                    'X-Object-Meta-Index': str(i),
                    'X-Delete-At': str(later),
                    'Content-Disposition': 'inline',
                },
            )
        # Empty: maybe a dynamic large object's manifest, HEAD at export.
        self.put(
            self.src,
            container,
            'empty',
            b'',
            **{'Content-Type': 'a/b', 'X-Object-Meta-E': '1'},
        )
        names = sorted(data) + ['empty']
        src_url = self.src.object_store.get_endpoint().rstrip('/')
        objects_url = '%s/%s/' % (src_url, container)

        def object_requests(requests, *methods):
            return [
                (m, u[len(objects_url) :])
                for m, u in requests
                if u.startswith(objects_url) and m in methods
            ]

        requests = self.export_logged('--metadata-at-copy')
        # One HEAD, of the empty object; the others from the listing.
        self.assertEqual(
            [('HEAD', 'empty?multipart-manifest=get')],
            object_requests(requests, 'HEAD', 'GET'),
        )
        [entry] = self.data_file()['resources']
        records = {r['name']: r for r in entry['params']['objects']}
        self.assertEqual(names, sorted(records))
        for name in data:
            self.assertEqual(True, records[name]['at_copy'], name)
            for key in ('metadata', 'delete_at', 'headers'):
                self.assertNotIn(key, records[name], name)
        self.assertNotIn('at_copy', records['empty'])
        self.assertEqual({'e': '1'}, records['empty']['metadata'])

        # Without --src-cloud: refused, nothing written.
        path = os.path.join(self.data_dir, 'containers.yml')
        result = self.migrate(
            'import container',
            cloud_option='--dst-cloud',
            cloud='dst',
            expect_fail=True,
        )
        [row] = json.loads(result.stdout)
        self.assertEqual(
            (
                'blocked',
                "%s: openstack.object_store.Container '%s': field "
                'params.objects[0].at_copy: exported with '
                '--metadata-at-copy: its metadata is read from the source '
                'at import: import with --src-cloud <cloud>'
                % (path, container),
            ),
            (row['Action'], row['Detail']),
        )
        self.assertEqual(
            [],
            [
                c.name
                for c in self.dst.object_store.containers()
                if c.name.startswith(self.prefix)
            ],
        )

        # With it: the GET that copies an object gives its metadata.
        rows, requests, stderr = self.import_logged()
        self.assertEqual(
            {container: ('created', 'objects: 6 copied (4.9 KiB)')},
            self.rows(rows),
        )
        # (the GETs of bytes are logged by name only)
        self.assertEqual(
            sorted(data),
            sorted(re.findall(r'GET (.*) \(object bytes: not logged', stderr)),
        )
        self.assertEqual([], object_requests(requests, 'HEAD'))
        for name in names:
            self.assert_same_object(container, name)
        for i, name in enumerate(sorted(data)):
            head = self.head(self.dst, container, name)
            self.assertEqual(
                (
                    'text/x-%d' % i,
                    str(i),
                    str(later),
                    'inline',
                    str(len(data[name])),
                ),
                (
                    head['Content-Type'],
                    head['X-Object-Meta-Index'],
                    head['X-Delete-At'],
                    head['Content-Disposition'],
                    head['Content-Length'],
                ),
            )
            self.assertEqual(data[name], self.get(self.dst, container, name))
        self.assertEqual(
            ('a/b', '1'),
            tuple(
                self.head(self.dst, container, 'empty')[h]
                for h in ('Content-Type', 'X-Object-Meta-E')
            ),
        )

        # Again: nothing written, no request per object.
        rows, requests, _ = self.import_logged()
        self.assertEqual({container: ('unchanged', '')}, self.rows(rows))
        self.assertEqual([], self.dst_writes(requests))
        self.assertEqual(
            [],
            [u for _, u in requests if '/%s/' % container in u],
        )

        # New metadata in the source, exported again: one object looked
        # at (a HEAD of each side) and updated.
        changed = sorted(data)[2]
        response = self.src.object_store.post(
            '/%s/%s' % (container, _quote(changed)),
            headers={
                'X-Object-Meta-Index': 'new',
                'X-Object-Meta-Added': 'yes',
                'X-Delete-At': str(later),
                'Content-Type': 'text/changed',
            },
        )
        self.assertEqual(202, response.status_code, response.text)
        requests = self.export_logged('--metadata-at-copy')
        self.assertEqual(
            [], object_requests(requests, 'HEAD', 'GET'), 'export again'
        )
        rows, requests, _ = self.import_logged()
        self.assertEqual(
            {container: ('updated', 'objects: 1 updated, 5 unchanged')},
            self.rows(rows),
        )
        self.assertEqual(
            [('HEAD', _quote(changed) + '?multipart-manifest=get')],
            object_requests(requests, 'HEAD', 'GET'),
        )
        self.assertEqual(
            [('POST', _quote(changed))],
            [
                (m, u.rsplit('/%s/' % container, 1)[1])
                for m, u in self.dst_writes(requests)
            ],
        )
        head = self.head(self.dst, container, changed)
        self.assertEqual(
            ('new', 'yes', 'text/changed', str(later)),
            (
                head['X-Object-Meta-Index'],
                head['X-Object-Meta-Added'],
                head['Content-Type'],
                head['X-Delete-At'],
            ),
        )
        for name in names:
            self.assert_same_object(container, name)
        rows, requests, _ = self.import_logged()
        self.assertEqual({container: ('unchanged', '')}, self.rows(rows))
        self.assertEqual([], self.dst_writes(requests))

    def test_keep_blobs_then_import_from_them(self):
        container = self.name('blobs')
        self.put(self.src, container)
        self.put(self.src, container, '../../escape', b'x' * 100)
        self.put(self.src, container, 'a', b'a')
        self.put(self.src, container, 'a/b', b'ab')
        self.export('--keep-blobs')
        files = []
        for top, _, found in os.walk(os.path.join(self.data_dir)):
            files += [os.path.join(top, f) for f in found]
        blobs = [f for f in files if '/container_blobs/' in f]
        self.assertEqual(3, len(blobs))
        for path in files:
            self.assertTrue(path.startswith(self.data_dir + '/'), path)
        # Without --src-cloud: from the blobs.
        rows = self.openstack(
            'migrate',
            'import',
            'container',
            '--data-dir',
            self.data_dir,
            '--dst-cloud',
            'dst',
            '--name-regex',
            '^' + self.prefix,
            '-f',
            'json',
        )
        self.assertEqual(
            {container: ('created', 'objects: 3 copied (103 B)')},
            self.rows(rows),
        )
        for name in ('../../escape', 'a', 'a/b'):
            self.assert_same_object(container, name)

    def test_bad_names_are_refused(self):
        container = self.name('bad')
        self.put(self.src, container)
        self.put(self.src, container, 'good', b'g')
        self.export()
        path = os.path.join(self.data_dir, 'containers.yml')
        doc = self.data_file()
        doc['resources'][0]['params']['objects'][0]['name'] = 'a\nb'
        self.write_data_file(doc)
        result = self.migrate(
            'import container',
            '--src-cloud',
            'src',
            cloud_option='--dst-cloud',
            cloud='dst',
            expect_fail=True,
        )
        self.assertIn(
            "%s: resource 0 (openstack.object_store.Container '%s'): field "
            "params.objects[0].name: an object name has no control "
            "characters: 'a\\nb'" % (path, container),
            result.stderr,
        )
        doc['resources'][0]['params']['name'] = '../' + container
        doc['resources'][0]['params']['objects'][0]['name'] = 'good'
        self.write_data_file(doc)
        result = self.migrate(
            'import container',
            '--src-cloud',
            'src',
            cloud_option='--dst-cloud',
            cloud='dst',
            expect_fail=True,
        )
        self.assertIn(
            "%s: resource 0 (openstack.object_store.Container '../%s'): "
            'field params.name: a container name has no "/" nor control '
            "characters: '../%s'" % (path, container, container),
            result.stderr,
        )
        doc['resources'][0]['params']['name'] = container
        doc['resources'][0]['params']['objects'][0]['bytes'] = 'many'
        self.write_data_file(doc)
        result = self.migrate(
            'import container',
            '--src-cloud',
            'src',
            cloud_option='--dst-cloud',
            cloud='dst',
            expect_fail=True,
        )
        self.assertIn(
            "%s: resource 0 (openstack.object_store.Container '%s'): field "
            'params.objects[0].bytes: must be a number, not a string'
            % (path, container),
            result.stderr,
        )
        self.assertEqual(
            [],
            [
                c.name
                for c in self.dst.object_store.containers()
                if c.name.startswith(self.prefix)
            ],
        )

    def test_expiry_in_versioned_containers(self):
        # Object versioning (versions_enabled) keeps X-Delete-At on its
        # link, the name, not on the version.  A versions_location container is
        # a plain one: its archived copies keep their own expiry.
        versioned, legacy = self.name('vers'), self.name('legacy')
        archive = self.name('archive')
        self.put(self.src, versioned, **{'X-Versions-Enabled': 'true'})
        self.put(self.src, archive)
        self.put(self.src, legacy, **{'X-Versions-Location': archive})
        first = int(time.time()) + 86400
        second = first + 3600
        for container in (versioned, legacy):
            for when, data in ((first, b'one'), (second, b'two')):
                self.put(
                    self.src,
                    container,
                    'o',
                    data,
                    **{'X-Delete-At': str(when), 'X-Object-Meta-V': data},
                )
        # What Swift shows: the expiry on the link only.
        self.assertNotIn('X-Delete-At', self.head(self.src, versioned, 'o'))
        self.assertEqual(
            str(second),
            self.head(self.src, versioned, 'o', symlink='get')['X-Delete-At'],
        )
        [archived] = self.listing(self.src, archive)
        self.assertEqual(
            str(first), self.head(self.src, archive, archived)['X-Delete-At']
        )

        self.export()
        records = {
            e['params']['name']: e['params']['objects']
            for e in self.data_file()['resources']
        }
        self.assertEqual(
            {
                versioned: [('o', second)],
                legacy: [('o', second)],
                archive: [(archived, first)],
            },
            {
                k: [(r['name'], r.get('delete_at')) for r in v]
                for k, v in records.items()
            },
        )
        rows, _, _ = self.import_logged()
        self.assertEqual(
            {'created'}, {a for a, _ in self.rows(rows).values()}, rows
        )
        self.assertEqual(
            (str(second), b'two'),
            (
                self.head(self.dst, versioned, 'o', symlink='get').get(
                    'X-Delete-At'
                ),
                self.get(self.dst, versioned, 'o'),
            ),
        )
        # The older version too (test_object_versions says more).
        for conn, count in ((self.src, 2), (self.dst, 2)):
            response = conn.object_store.get(
                '/' + versioned, params={'format': 'json', 'versions': ''}
            )
            self.assertEqual(count, len(response.json()))
        self.assertEqual(
            str(second), self.head(self.dst, legacy, 'o')['X-Delete-At']
        )
        self.assert_same_object(archive, archived)
        self.assertEqual(
            str(first), self.head(self.dst, archive, archived)['X-Delete-At']
        )
        # Again: nothing to write.
        rows, requests, _ = self.import_logged()
        self.assertEqual(
            {'unchanged'}, {a for a, _ in self.rows(rows).values()}, rows
        )
        self.assertEqual([], self.dst_writes(requests))

    def versions(self, conn, container):
        """The ``?versions`` listing of a container: by object name, the
        (bytes, ETag, content type, user metadata, data) of each
        version, oldest first (a delete marker: 'marker')."""
        response = conn.object_store.get(
            '/' + container, params={'format': 'json', 'versions': ''}
        )
        found = {}
        for item in reversed(response.json()):
            name = item['name']
            if item['content_type'].startswith('application/x-deleted;'):
                found.setdefault(name, []).append('marker')
                continue
            path = '/%s/%s' % (container, _quote(name))
            query = {'version-id': item['version_id']}
            head = conn.object_store.head(path, params=query).headers
            data = conn.object_store.get(path, params=query, log=False)
            found.setdefault(name, []).append(
                (
                    item['bytes'],
                    item['hash'],
                    item['content_type'],
                    {
                        k: v
                        for k, v in head.items()
                        if k.startswith('X-Object-Meta-')
                    },
                    data.content,
                )
            )
        return found

    def test_object_versions(self):
        # A versions_enabled container: an object of three versions, one
        # of two ending in a delete marker, a plain one.  The destination
        # already holds the first version of the first (an interrupted
        # import): it gets the rest, nothing twice.
        container = self.name('hist')
        for conn in (self.src, self.dst):
            self.put(conn, container, **{'X-Versions-Enabled': 'true'})
        for i, data in enumerate((b'one', b'two' * 50, b'three' * 90)):
            self.put(
                self.src,
                container,
                'doc',
                data,
                **{'Content-Type': 'text/v%d' % i, 'X-Object-Meta-N': str(i)},
            )
        for data in (b'a' * 10, b'b' * 20):
            self.put(self.src, container, 'gone', data)
        self.src.object_store.delete('/%s/gone' % container)
        self.put(
            self.src, container, 'plain', b'plain', **{'X-Object-Meta-P': 'x'}
        )
        self.put(
            self.dst,
            container,
            'doc',
            b'one',
            **{'Content-Type': 'text/v0', 'X-Object-Meta-N': '0'},
        )
        want = self.versions(self.src, container)
        self.assertEqual(
            [3, 3, 1], [len(want[n]) for n in ('doc', 'gone', 'plain')]
        )

        self.export()
        [entry] = self.data_file()['resources']
        records = {r['name']: r for r in entry['params']['objects']}
        self.assertEqual(
            (2, 2, True, None),
            (
                len(records['doc']['versions']),
                len(records['gone']['versions']),
                records['gone']['delete_marker'],
                records['plain'].get('versions'),
            ),
        )
        self.assertEqual({'n': '0'}, records['doc']['versions'][0]['metadata'])

        rows, requests, _ = self.import_logged()
        self.assertEqual(
            {
                container: (
                    'updated',
                    'objects: 1 copied (5 B), 5 version(s) made (630 B)',
                )
            },
            self.rows(rows),
        )
        # Two versions of doc, two and the marker of gone, plain.
        self.assertEqual(
            ['DELETE'] + ['PUT'] * 5,
            sorted(m for m, _ in self.dst_writes(requests)),
        )
        self.assertEqual(want, self.versions(self.dst, container))
        # Again: nothing to write, and no request per object: the
        # container's HEAD, its ?versions listing, its listing.
        rows, requests, _ = self.import_logged()
        self.assertEqual({container: ('unchanged', '')}, self.rows(rows))
        self.assertEqual([], self.dst_writes(requests))
        swift = [
            (m, u.split('/' + container, 1)[-1])
            for m, u in requests
            if (':15908/' in u or ':15808/' in u)
            and '/' + container in u
            and '?marker=' not in u
        ]
        self.assertEqual(
            [
                ('HEAD', ''),
                ('GET', '?format=json&versions=&limit=10000'),
                ('GET', '?format=json&limit=10000'),
            ],
            swift,
        )
        self.assertEqual(want, self.versions(self.dst, container))

    def test_object_versions_from_blobs_and_conflict(self):
        # The older versions' bytes kept by export --keep-blobs; an object
        # whose destination history differs is a conflict, left alone.
        container = self.name('histblobs')
        for conn in (self.src, self.dst):
            self.put(conn, container, **{'X-Versions-Enabled': 'true'})
        for name in ('o', 'p'):
            for i in (1, 2):
                self.put(
                    self.src, container, name, b'%s%d' % (name.encode(), i)
                )
        self.put(self.dst, container, 'p', b'other')
        want = self.versions(self.src, container)
        # A symbolic link among the versions: the current version only.
        self.put(
            self.src,
            container,
            'link',
            b'',
            **{'X-Symlink-Target': '%s/o' % container},
        )
        self.put(self.src, container, 'link', b'now')
        self.export('--keep-blobs')
        [entry] = self.data_file()['resources']
        [link] = [r for r in entry['params']['objects'] if r['name'] == 'link']
        self.assertEqual('%s/o' % container, link['versions'][0]['symlink'])
        result = self.migrate(
            'import container',
            cloud_option='--dst-cloud',
            cloud='dst',
            expect_fail=True,
        )
        self.assertEqual(
            {
                container: (
                    'conflict',
                    'objects: 1 copied (3 B), 2 version(s) made (4 B); '
                    'versions: 1 object(s) whose history differs in the '
                    "destination (not changed): 'p' (the destination holds "
                    '1 version(s), the file 2, and they differ); versions: '
                    '1 object(s) with a large object or link among their '
                    'versions, or in a container without versions_enabled: '
                    "older versions not migrated (first: 'link')",
                )
            },
            self.rows(json.loads(result.stdout)),
        )
        have = self.versions(self.dst, container)
        self.assertEqual(want['o'], have['o'])
        self.assertEqual([b'other'], [v[-1] for v in have['p']])
        self.assertEqual([b'now'], [v[-1] for v in have['link']])

    def test_acl_entries_by_name(self):
        container = self.name('acl')
        src_p, src_u = self.src.current_project_id, self.src.current_user_id
        dst_p, dst_u = self.dst.current_project_id, self.dst.current_user_id
        self.put(
            self.src,
            container,
            **{
                'X-Container-Read': '%s:%s,.r:*,.rlistings,%s:*'
                % (src_p, src_u, dst_p),
                'X-Container-Write': '*:%s,src:*' % src_u,
            },
        )
        # A tenant (no admin): its own project and user by name, from its
        # token; another project's id kept as it is (with a warning).
        self.export()
        [entry] = self.data_file()['resources']
        me = {'name': 'src', 'project_name': None, 'domain_name': 'Default'}
        self.assertEqual(
            (
                [
                    {
                        'entry': '%s:%s' % (src_p, src_u),
                        'project': me,
                        'user': me,
                    }
                ],
                [{'entry': '*:%s' % src_u, 'user': me}],
            ),
            (
                entry['params']['read_acl_refs'],
                entry['params']['write_acl_refs'],
            ),
        )
        doc = self.data_file()
        refs = doc['resources'][0]['params']['read_acl_refs']
        # A project the destination does not have blocks the container
        # (an admin, who may list projects, imports).
        refs[0]['project'] = dict(me, name=self.prefix + '-nowhere')
        self.write_data_file(doc)
        result = self.migrate(
            'import container',
            '--src-cloud',
            'src',
            '--dry-run',
            cloud_option='--dst-cloud',
            cloud='dst-admin',
            expect_fail=True,
        )
        self.assertIn(
            "%s: openstack.object_store.Container '%s': field "
            "params.read_acl_refs[0].project: project '%s-nowhere' (domain "
            "'Default') not found in the destination (entry '%s:%s')"
            % (
                os.path.join(self.data_dir, 'containers.yml'),
                container,
                self.prefix,
                src_p,
                src_u,
            ),
            result.stdout,
        )
        # The destination tenant's names (one Keystone serves both
        # regions here, so its names differ from the source's): its ids.
        him = dict(me, name='dst')
        refs[0]['project'] = refs[0]['user'] = him
        self.write_data_file(doc)
        rows, _, stderr = self.import_logged()
        self.assertEqual(('created', ''), self.rows(rows)[container])
        head = self.head(self.dst, container)
        self.assertEqual(
            (
                '%s:%s,.r:*,.rlistings,%s:*' % (dst_p, dst_u, dst_p),
                # user 'src' of the file: the tenant may not look it up
                '*:%s,src:*' % src_u,
            ),
            (head['X-Container-Read'], head['X-Container-Write']),
        )
        self.assertIn(
            "container '%s': write_acl entry '*:%s' written as the source "
            'has it' % (container, src_u),
            stderr,
        )
        rows, requests, _ = self.import_logged()
        self.assertEqual(('unchanged', ''), self.rows(rows)[container])
        self.assertEqual([], self.dst_writes(requests))

    def test_acl_entries_by_name_as_admin(self):
        # An admin's export looks every id up (one list per kind); its
        # own account's container, a dry run of the import.
        admin = self.conn('src-admin')
        self.addCleanup(purge, admin, self.prefix)
        container = self.name('admin-acl')
        src_p = self.src.current_project_id
        dst_u = self.dst.current_user_id
        nobody = 'f' * 32
        self.put(
            admin,
            container,
            **{'X-Container-Read': '%s:*,*:%s,%s:*' % (src_p, dst_u, nobody)},
        )
        self.migrate(
            'export container', cloud_option='--src-cloud', cloud='src-admin'
        )
        [entry] = self.data_file()['resources']
        self.assertEqual(
            [
                {
                    'entry': '%s:*' % src_p,
                    'project': {
                        'name': 'src',
                        'project_name': None,
                        'domain_name': 'Default',
                    },
                },
                {
                    'entry': '*:%s' % dst_u,
                    'user': {
                        'name': 'dst',
                        'project_name': None,
                        'domain_name': 'Default',
                    },
                },
            ],
            entry['params']['read_acl_refs'],
        )
        rows = self.migrate(
            'import container',
            '--src-cloud',
            'src-admin',
            '--dry-run',
            cloud_option='--dst-cloud',
            cloud='dst-admin',
        )
        self.assertEqual({container: ('create', '')}, self.rows(rows))
