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


"""A Swift in memory, for the tests of transfer/swift/ and of the
container type."""

import hashlib
import json
import types
from urllib import parse

from osmigrateclient.transfer.swift import records
from osmigrateclient.transfer.swift import state as swift_state
from osmigrateclient.transfer.swift import stream
from osmigrateclient.transfer.swift import work as swift_work


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

    def __init__(self, page=records.LIST_PAGE):
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


def import_into(dst, src, data_dir, wanted, workers, progress, now=None):
    """(work, result) of one import of the ``wanted`` records of
    container ``c`` into ``dst``, from ``src`` (None: no source Swift),
    as the container mover makes it: classify, look, copy."""
    state = swift_state.State(data_dir, dst.get_endpoint(), 'c')
    listing = {i['name']: i for i in records.list_objects(dst, 'c')}
    work = swift_work.classify(wanted, listing, state.read(), now=now)
    work = swift_work.look(dst, 'c', work, workers, src)
    result = stream.import_objects(
        dst,
        stream.Source(conn=src),
        'c',
        work,
        workers,
        progress,
        state,
        {r['name'] for r in wanted},
        listing,
    )
    return work, result
