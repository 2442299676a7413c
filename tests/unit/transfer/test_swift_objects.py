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

import hashlib
import io
import json
import os
import types
from urllib import parse

import fixtures
import testtools

from osmigrateclient import exceptions
from osmigrateclient import progress
from osmigrateclient.transfer import swift_objects as swift


def md5(data):
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


class _Response:
    def __init__(self, status, headers=None, body=b''):
        self.status_code = status
        self.headers = dict(headers or {})
        self.content = body
        self.closed = False
        self.reason = 'Reason'
        self.url = 'http://swift/v1/AUTH_x'
        self.text = body.decode('latin-1')
        self.request = None

    def json(self):
        return json.loads(self.content)

    def iter_content(self, chunk_size=1):
        for i in range(0, len(self.content), chunk_size):
            yield self.content[i : i + chunk_size]

    def close(self):
        self.closed = True


class FakeSwift:
    """One account of a Swift in memory: the object-store proxy's
    requests, counted."""

    def __init__(self, page=swift.LIST_PAGE):
        self.store = {}
        self.requests = []
        self.page = page
        self.clock = 1000
        self.fail_puts_after = None
        self.current_project_id = 'p1'

    @property
    def object_store(self):
        return self

    def containers(self):
        self.requests.append(('GET', '/'))
        return [
            types.SimpleNamespace(id=n, name=n) for n in sorted(self.store)
        ]

    def get_endpoint(self):
        return 'http://swift/v1/AUTH_x'

    def _split(self, path):
        parts = path.lstrip('/').split('/', 1)
        return (
            parse.unquote(parts[0]),
            parse.unquote(parts[1]) if len(parts) > 1 else None,
        )

    def _tick(self):
        self.clock += 1
        return '2026-01-01T00:00:%06d.000000' % self.clock

    def add(self, container, name, data, ctype='text/plain', **headers):
        objs = self.store.setdefault(container, {'headers': {}, 'o': {}})
        objs['o'][name] = {
            'data': data,
            'ctype': ctype,
            'headers': dict(headers),
            'modified': self._tick(),
        }

    def head(self, path, params=None):
        self.requests.append(('HEAD', path))
        c, o = self._split(path)
        if c not in self.store:
            return _Response(404)
        if o is None:
            return _Response(204, self.store[c]['headers'])
        obj = self.store[c]['o'].get(o)
        if obj is None:
            return _Response(404)
        headers = dict(obj['headers'], **{'Content-Type': obj['ctype']})
        headers['Etag'] = md5(obj['data'])
        return _Response(200, headers)

    def get(self, path, params=None, stream=False, log=True):
        self.requests.append(('GET', path))
        c, o = self._split(path)
        if c not in self.store:
            return _Response(404)
        if o is None:
            names = sorted(self.store[c]['o'])
            marker = (params or {}).get('marker')
            if marker:
                names = [n for n in names if n > marker]
            names = names[: min(self.page, params['limit'])]
            items = [
                {
                    'name': n,
                    'hash': md5(self.store[c]['o'][n]['data']),
                    'bytes': len(self.store[c]['o'][n]['data']),
                    'content_type': self.store[c]['o'][n]['ctype'],
                    'last_modified': self.store[c]['o'][n]['modified'],
                }
                for n in names
            ]
            return _Response(200, {}, json.dumps(items).encode())
        obj = self.store[c]['o'].get(o)
        if obj is None:
            return _Response(404)
        headers = dict(obj['headers'], **{'Content-Type': obj['ctype']})
        headers['Etag'] = md5(obj['data'])
        return _Response(200, headers, obj['data'])

    def put(self, path, data=None, headers=None, params=None):
        self.requests.append(('PUT', path))
        c, o = self._split(path)
        headers = {
            k.title(): v.decode() if isinstance(v, bytes) else v
            for k, v in (headers or {}).items()
        }
        if o is None:
            self.store.setdefault(c, {'headers': {}, 'o': {}})
            self.store[c]['headers'].update(headers)
            return _Response(201)
        if self.fail_puts_after is not None:
            if self.fail_puts_after == 0:
                return _Response(503, {}, b'injected')
            self.fail_puts_after -= 1
        body = data.read() if hasattr(data, 'read') else data
        while hasattr(data, 'read'):
            more = data.read()
            if not more:
                break
            body += more
        if headers.get('Etag') and headers['Etag'] != md5(body):
            return _Response(422, {}, b'Unprocessable Entity')
        ctype = headers.pop('Content-Type', 'application/octet-stream')
        headers.pop('Etag', None)
        headers.pop('Content-Length', None)
        self.add(c, o, body, ctype, **headers)
        return _Response(201, {'Etag': md5(body)})

    def post(self, path, headers=None):
        self.requests.append(('POST', path))
        c, o = self._split(path)
        headers = {
            k.title(): v.decode() if isinstance(v, bytes) else v
            for k, v in (headers or {}).items()
        }
        if o is None:
            self.store[c]['headers'].update(headers)
            return _Response(204)
        obj = self.store[c]['o'][o]
        if 'Content-Type' in headers:
            obj['ctype'] = headers.pop('Content-Type')
        if headers.pop('X-Remove-Delete-At', None):
            obj['headers'].pop('X-Delete-At', None)
        obj['headers'] = {
            k: v
            for k, v in obj['headers'].items()
            if not k.startswith('X-Object-Meta-')
        }
        obj['headers'].update(headers)
        obj['modified'] = self._tick()
        return _Response(202)

    def writes(self):
        return [r for r in self.requests if r[0] not in ('GET', 'HEAD')]


class TestNames(testtools.TestCase):
    def test_container_names(self):
        self.assertIsNone(swift.container_name_problem('c1 é'))
        for bad, problem in (
            ('', "must be a non-empty string, not ''"),
            (5, 'must be a non-empty string, not 5'),
            (
                'a/b',
                'a container name has no "/" nor control characters: \'a/b\'',
            ),
            (
                'a\nb',
                'a container name has no "/" nor control characters: '
                "'a\\nb'",
            ),
            ('x' * 257, 'a container name has at most 256 bytes'),
        ):
            self.assertEqual(problem, swift.container_name_problem(bad))

    def test_object_names(self):
        # '/' and '..' are fine in Swift: names never become paths.
        self.assertIsNone(swift.object_name_problem('../a/b/../c'))
        self.assertEqual(
            "an object name has no control characters: 'a\\x00'",
            swift.object_name_problem('a\x00'),
        )
        self.assertEqual(
            'an object name has at most 1024 bytes',
            swift.object_name_problem('é' * 513),
        )

    def test_record_problems(self):
        good = {'name': 'a', 'hash': md5(b''), 'bytes': 0}
        self.assertIsNone(swift.record_problem(good))
        for change, expected in (
            ({'name': ''}, ('name', "must be a non-empty string, not ''")),
            ({'bytes': -1}, ('bytes', 'must be a whole number, not -1')),
            (
                {'delete_at': 1.5},
                ('delete_at', 'must be a whole number, not 1.5'),
            ),
            (
                {'hash': 'a\r\nX-Evil: 1'},
                (
                    'hash',
                    'a header value has no line break nor NUL: '
                    "'a\\r\\nX-Evil: 1'",
                ),
            ),
            (
                {'metadata': {'a b': 'c'}},
                ('metadata', "not a header name: 'a b'"),
            ),
            (
                {'headers': {'x-auth-token': 't'}},
                (
                    'headers',
                    'not one of cache-control, content-disposition, '
                    'content-encoding, content-language, expires, '
                    "x-robots-tag: 'x-auth-token'",
                ),
            ),
        ):
            self.assertEqual(
                expected, swift.record_problem(dict(good, **change))
            )

    def test_paths_are_quoted(self):
        self.assertEqual('/a%20b', swift.container_path('a b'))
        self.assertEqual(
            '/c/d%2F..%3F%2F%C3%A9', swift.object_path('c', 'd/..?/é')
        )
        self.assertEqual('/%2E/%2E%2E', swift.object_path('.', '..'))

    def test_blob_path_stays_inside(self):
        path = swift.blob_path('/data', 'c', '../../etc/passwd')
        self.assertTrue(path.startswith('/data/container_blobs/'))
        self.assertEqual(
            ['container_blobs', 64 * 'x', 64 * 'x'],
            [
                p if p == 'container_blobs' else 64 * 'x'
                for p in os.path.relpath(path, '/data').split('/')
            ],
        )
        self.assertNotEqual(
            swift.blob_path('/d', 'c', 'a'), swift.blob_path('/d', 'c', 'a/b')
        )


class TestContainers(testtools.TestCase):
    def test_params_from_headers(self):
        params = swift.container_params(
            {
                'X-Container-Meta-Color': 'blue',
                'X-Container-Meta-Temp-Url-Key': 'secret',
                'X-Container-Read': '.r:*',
                'X-Versions-Enabled': 'True',
                'X-Storage-Policy': 'gold',
            }
        )
        self.assertEqual(
            {
                'metadata': {'color': 'blue'},
                'read_acl': '.r:*',
                'write_acl': None,
                'versions_location': None,
                'history_location': None,
                'versions_enabled': True,
                'storage_policy': 'gold',
            },
            params,
        )

    def test_headers_of_a_create(self):
        self.assertEqual(
            {
                'X-Container-Meta-color': 'blue',
                'X-Container-Read': '.r:*',
                'X-Versions-Enabled': 'true',
                'X-Storage-Policy': 'gold',
            },
            swift.container_headers(
                {
                    'metadata': {'color': 'blue'},
                    'read_acl': '.r:*',
                    'write_acl': None,
                    'versions_enabled': True,
                    'storage_policy': 'gold',
                }
            ),
        )

    def test_headers_of_an_update(self):
        self.assertEqual(
            {
                'X-Container-Meta-color': 'red',
                'X-Remove-Container-Meta-size': 'x',
                'X-Remove-Container-Read': 'x',
            },
            swift.container_headers(
                {'metadata': {'color': 'red'}, 'read_acl': None},
                {'metadata': {'color': 'blue', 'size': 'L'}, 'read_acl': 'a'},
            ),
        )


class TestRecords(testtools.TestCase):
    def test_record_of_listing_and_head(self):
        self.assertEqual(
            {
                'name': 'a',
                'hash': 'h',
                'bytes': 3,
                'content_type': 'text/plain',
                'last_modified': 't',
                'metadata': {'k': 'é'},
                'delete_at': 99,
            },
            swift.record_of(
                {
                    'name': 'a',
                    'hash': 'h',
                    'bytes': 3,
                    'content_type': 'text/plain',
                    'last_modified': 't',
                },
                {
                    'X-Object-Meta-K': 'é'.encode().decode('latin-1'),
                    'X-Delete-At': '99',
                },
            ),
        )

    def test_slo_is_known_by_its_slo_etag(self):
        rec = swift.record_of(
            {
                'name': 'big',
                'hash': 'manifest-md5; s3_etag=x',
                'slo_etag': '"segs"',
                'bytes': 10,
                'content_type': 'a/b;swift_bytes=10',
            },
            {},
            [{'path': '/s/1', 'etag': 'e', 'size_bytes': 10}],
        )
        self.assertEqual(
            ('segs', 'a/b', swift.SLO),
            (rec['hash'], rec['content_type'], swift.large_kind(rec)),
        )

    def test_export_heads_only_new_or_changed_objects(self):
        conn = FakeSwift()
        for i in range(5):
            conn.add('c', 'o%d' % i, b'x' * i, **{'X-Object-Meta-N': str(i)})
        first = swift.records(conn, 'c', {}, workers=3)
        self.assertEqual(
            [{'n': str(i)} for i in range(5)], [r['metadata'] for r in first]
        )
        self.assertEqual(6, len(conn.requests))  # a listing, 5 HEADs
        conn.requests.clear()
        conn.add('c', 'o2', b'changed')
        again = swift.records(conn, 'c', {r['name']: r for r in first})
        self.assertEqual([('GET', '/c'), ('HEAD', '/c/o2')], conn.requests)
        self.assertEqual(md5(b'changed'), again[2]['hash'])
        self.assertEqual(first[:2] + first[3:], again[:2] + again[3:])

    def test_listing_is_paged(self):
        conn = FakeSwift(page=2)
        self.useFixture(fixtures.MockPatchObject(swift, 'LIST_PAGE', 2))
        for i in range(5):
            conn.add('c', 'o%d' % i, b'')
        self.assertEqual(
            ['o0', 'o1', 'o2', 'o3', 'o4'],
            [i['name'] for i in swift.list_objects(conn, 'c')],
        )
        self.assertEqual(3, len(conn.requests))


class TestImport(testtools.TestCase):
    def setUp(self):
        super().setUp()
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        self.src, self.dst = FakeSwift(), FakeSwift()
        self.src.store['c'] = {'headers': {}, 'o': {}}
        self.dst.store['c'] = {'headers': {}, 'o': {}}
        for i in range(6):
            self.src.add(
                'c',
                'd/o%d' % i,
                os.urandom(100 * i),
                **{'X-Object-Meta-N': str(i)},
            )
        self.wanted = swift.records(self.src, 'c', {})
        self.progress = progress.Progress(io.StringIO(), bar=False)

    def run_import(self, wanted=None, workers=3):
        wanted = wanted or self.wanted
        state = swift.State(self.data_dir, self.dst.get_endpoint(), 'c')
        listing = {i['name']: i for i in swift.list_objects(self.dst, 'c')}
        work = swift.classify(wanted, listing, state.read(), now=0)
        work = swift.look(self.dst, 'c', work, workers)
        result = swift.import_objects(
            self.dst,
            swift.Source(conn=self.src),
            'c',
            work,
            workers,
            self.progress,
            state,
            {r['name'] for r in wanted},
            listing,
        )
        return work, result

    def test_copy_then_nothing(self):
        work, result = self.run_import()
        self.assertEqual(
            (6, 0, []), (result.copied, result.updated, result.failures)
        )
        for name, obj in self.src.store['c']['o'].items():
            got = self.dst.store['c']['o'][name]
            self.assertEqual(
                (obj['data'], obj['ctype'], obj['headers']),
                (got['data'], got['ctype'], got['headers']),
            )
        # Again: one listing, no HEAD, no write.
        self.dst.requests.clear()
        work, result = self.run_import()
        self.assertEqual(6, len(work.same))
        self.assertEqual([('GET', '/c')], self.dst.requests)

    def test_resumes_after_a_failure(self):
        self.dst.fail_puts_after = 2
        _, result = self.run_import(workers=1)
        self.assertEqual(2, result.copied)
        self.assertEqual(4, len(result.failures))
        self.assertIn('503', result.failures[0])
        self.dst.fail_puts_after = None
        self.dst.requests.clear()
        work, result = self.run_import()
        self.assertEqual((4, 2), (len(work.copy), len(work.same)))
        self.assertEqual(4, len([r for r in self.dst.writes()]))

    def test_metadata_changed_in_the_destination(self):
        self.run_import()
        self.dst.post('/c/d/o3', headers={'X-Object-Meta-N': 'other'})
        self.dst.requests.clear()
        work, result = self.run_import()
        self.assertEqual(['d/o3'], [r['name'] for r in work.fix])
        self.assertEqual(
            [
                ('GET', '/c'),
                ('HEAD', '/c/d%2Fo3'),
                ('POST', '/c/d%2Fo3'),
                ('GET', '/c'),
            ],
            self.dst.requests,
        )
        self.assertEqual(
            {'X-Object-Meta-N': '3'},
            self.dst.store['c']['o']['d/o3']['headers'],
        )

    def test_edited_metadata_in_the_file(self):
        self.run_import()
        wanted = [dict(r) for r in self.wanted]
        wanted[1]['metadata'] = {'n': 'edited'}
        wanted[1]['delete_at'] = 5000
        work, _ = self.run_import(wanted)
        self.assertEqual(['d/o1'], [r['name'] for r in work.fix])
        self.assertEqual(
            {'X-Object-Meta-N': 'edited', 'X-Delete-At': '5000'},
            self.dst.store['c']['o']['d/o1']['headers'],
        )

    def test_changed_source_bytes_are_refused(self):
        self.src.add('c', 'd/o2', b'not what was exported')
        _, result = self.run_import()
        self.assertEqual(1, len(result.failures))
        self.assertIn("object 'd/o2': the bytes read", result.failures[0])
        self.assertNotIn('d/o2', self.dst.store['c']['o'])

    def test_expired_objects_are_not_sent(self):
        wanted = [dict(self.wanted[0], delete_at=10)]
        state = swift.State(self.data_dir, 'x', 'c')
        work = swift.classify(wanted, {}, state.read(), now=11)
        self.assertEqual(wanted, work.expired)
        self.assertEqual([], work.copy)


class TestBlobs(testtools.TestCase):
    def test_planted_links_are_refused(self):
        data_dir = self.useFixture(fixtures.TempDir()).path
        elsewhere = self.useFixture(fixtures.TempDir()).path
        conn = FakeSwift()
        conn.add('c', 'o', b'data')
        rec = {'name': 'o', 'hash': md5(b'data'), 'bytes': 4}
        path = swift.blob_path(data_dir, 'c', 'o')
        os.symlink(elsewhere, os.path.join(data_dir, swift.BLOB_DIR))
        e = self.assertRaises(
            exceptions.DataFileError,
            swift.download_blob,
            conn,
            'c',
            rec,
            path,
            lambda n: None,
        )
        self.assertEqual(
            '%s: is a symbolic link: refused (it must be a directory)'
            % os.path.join(data_dir, swift.BLOB_DIR),
            str(e),
        )
        self.assertEqual([], os.listdir(elsewhere))
        e = self.assertRaises(
            exceptions.MigrateError,
            swift.Source(data_dir=data_dir).open,
            'c',
            'o',
        )
        self.assertIn('is a symbolic link: refused', str(e))

    def test_download_then_keep(self):
        data_dir = self.useFixture(fixtures.TempDir()).path
        conn = FakeSwift()
        conn.add('c', 'o', b'data', **{'X-Object-Meta-A': 'b'})
        rec = {'name': 'o', 'hash': md5(b'data'), 'bytes': 4}
        path = swift.blob_path(data_dir, 'c', 'o')
        headers = swift.download_blob(conn, 'c', rec, path, lambda n: None)
        self.assertEqual('b', headers['X-Object-Meta-A'])
        self.assertIsNone(
            swift.download_blob(conn, 'c', rec, path, lambda n: None)
        )
        self.assertEqual(1, len([r for r in conn.requests if r[0] == 'GET']))
        bad = dict(rec, hash=md5(b'other'))
        e = self.assertRaises(
            exceptions.MigrateError,
            swift.download_blob,
            conn,
            'c',
            bad,
            swift.blob_path(data_dir, 'c', 'x'),
            lambda n: None,
        )
        self.assertIn('downloaded 4 bytes of MD5', str(e))


class TestState(testtools.TestCase):
    def test_hostile_state_file(self):
        data_dir = self.useFixture(fixtures.TempDir()).path
        state = swift.State(data_dir, 'acct', 'c')
        os.makedirs(os.path.dirname(state.path))
        with open(state.path, 'w') as f:
            json.dump({'container': 'c', 'objects': {'a': 5}}, f)
        e = self.assertRaises(exceptions.DataFileError, state.read)
        self.assertEqual(
            '%s: field objects.a: must be a list, not a number' % state.path,
            str(e),
        )

    def test_record_and_forget(self):
        data_dir = self.useFixture(fixtures.TempDir()).path
        state = swift.State(data_dir, 'acct', 'c')
        state.record({'a': ['t', 'd'], 'b': ['t', 'd']}, set())
        state.record({'c': ['t', 'd']}, {'a'})
        self.assertEqual({'a': ['t', 'd'], 'c': ['t', 'd']}, state.read())
        self.assertEqual({}, swift.State(data_dir, 'other', 'c').read())
        self.assertEqual(0o600, os.stat(state.path).st_mode & 0o777)
