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


"""A tiny Barbican behind a fake cloud, and the cases that use it, for
the tests of the secret and secret container types."""

import argparse
import base64
import json
import os
import uuid

from cryptography import fernet
import fixtures
import requests
from oslotest import base

from osmigrateclient.resources import _barbican_api
from osmigrateclient.resources import refs
from osmigrateclient.resources import secret
from tests.unit import fakes


SRC = 'p-src'
DST = 'p-dst'
PASSPHRASE = 'correct horse battery staple'
KEY_BYTES = bytes(range(32))
ENDPOINT = 'http://barbican/v1/'


def response(status, body=b'', content_type='application/json'):
    r = requests.Response()
    r.status_code = status
    r._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    r.headers['content-type'] = content_type
    r.url = ENDPOINT
    r.reason = 'reason'
    return r


class BarbicanConnection(fakes.FakeConnection):
    """A fake cloud with a tiny Barbican behind the proxy's raw calls."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        #: uuid -> (content type, payload bytes)
        self.payloads = {}
        #: uuid -> (project access, user ids)
        self.acls = {}
        #: uuid -> user metadata
        self.metadata = {}
        #: (method, path) of every raw request
        self.requests = []
        #: the bodies of the secrets' creates
        self.posts = []

    def add_secret(
        self,
        name,
        payload=None,
        content_type=None,
        acl=None,
        metadata=None,
        **attrs,
    ):
        id_ = str(uuid.uuid4())
        if metadata is not None:
            self.metadata[id_] = metadata
        if payload is not None:
            self.payloads[id_] = (content_type, payload)
            attrs['content_types'] = {'default': content_type}
        if acl is not None:
            self.acls[id_] = acl
        attrs.setdefault('secret_type', 'opaque')
        href = ENDPOINT + 'secrets/' + id_
        # openstacksdk's id of a secret is its href
        return self.add('secret', id=href, secret_ref=href, name=name, **attrs)

    def raw_writes(self):
        return [r for r in self.requests if r[0] != 'GET']

    def _api_get(self, path, headers=None, log=True):
        self.requests.append(('GET', path))
        parts = path.strip('/').split('/')
        if parts[0] == 'secrets' and parts[2] == 'payload':
            assert log is False, 'a payload read must not be logged'
            if parts[1] not in self.payloads:
                return response(404, {'title': 'Not Found'})
            content_type, payload = self.payloads[parts[1]]
            assert headers == {'Accept': content_type}, headers
            return response(200, payload, content_type)
        if parts[2] == 'metadata':
            return response(200, {'metadata': self.metadata.get(parts[1], {})})
        if parts[2] == 'acl':
            access, users = self.acls.get(parts[1], (True, []))
            read = {'project-access': access}
            if users:
                read['users'] = users
            return response(200, {'read': read})
        raise AssertionError(path)

    def _api_put(self, path, json=None):
        self.requests.append(('PUT', path))
        parts = path.strip('/').split('/')
        if parts[2] == 'metadata':
            self.metadata[parts[1]] = json['metadata']
            return response(201, {'metadata_ref': ENDPOINT + path})
        assert parts[2] == 'acl', path
        read = json['read']
        self.acls[parts[1]] = (read['project-access'], read['users'])
        return response(200, {'acl_ref': ENDPOINT + path})

    def _api_post(self, path, json=None, log=True):
        self.requests.append(('POST', path))
        assert path == '/secrets' and log is False
        self.posts.append(json)
        attrs = {
            k: json.get(k) for k in ('name', 'algorithm', 'bit_length', 'mode')
        }
        when = _barbican_api.parse_time(json.get('expiration'))
        # Barbican's times: UTC, without a zone
        attrs['expiration'] = (
            when.replace(tzinfo=None).isoformat() if when else None
        )
        attrs['secret_type'] = json.get('secret_type', 'opaque')
        payload, content_type = None, None
        if 'payload' in json:
            payload = json['payload']
            if json.get('payload_content_encoding') == 'base64':
                payload = base64.b64decode(payload)
            else:
                payload = payload.encode('utf-8')
            content_type = _barbican_api.normal_type(
                json['payload_content_type']
            )
        obj = self.add_secret(
            payload=payload, content_type=content_type, **attrs
        )
        return response(201, {'secret_ref': obj.secret_ref})

    def _api_delete_secret(self, id_, ignore_missing=True):
        # By UUID only (openstacksdk's delete of an object is broken).
        assert _barbican_api.UUID.match(id_), id_
        self.requests.append(('DELETE', id_))
        self._delete('secret', ENDPOINT + 'secrets/' + id_)


def options(**values):
    values.setdefault('payload_key_file', None)
    values.setdefault('src_cloud', None)
    return argparse.Namespace(**values)


def secret_entry(**info):
    """A secret's entry of a file; ``info`` its ``_info`` but the id."""
    return {
        'type': secret.Secret.type,
        'params': {'name': 's', 'expiration': None},
        '_info': dict({'id': '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9'}, **info),
    }


class KeyTestCase(base.BaseTestCase):
    def make_key_file(self, text=None, mode=0o600):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path, 'key')
        with open(path, 'w') as f:
            f.write(
                fernet.Fernet.generate_key().decode() + '\n'
                if text is None
                else text
            )
        os.chmod(path, mode)
        return path


class SecretTestCase(KeyTestCase):
    def setUp(self):
        super().setUp()
        self.src = BarbicanConnection(project_id=SRC)
        self.dst = BarbicanConnection(project_id=DST)
        self.res = secret.RESOURCE()

    def src_secrets(self):
        self.passphrase = self.src.add_secret(
            'pass',
            PASSPHRASE.encode(),
            'text/plain',
            secret_type='passphrase',
            acl=(False, []),
        )
        self.symmetric = self.src.add_secret(
            'key',
            KEY_BYTES,
            'application/octet-stream',
            secret_type='symmetric',
            algorithm='aes',
            bit_length=256,
            mode='cbc',
            expiration='2030-01-01T00:00:00',
            metadata={'use': 'disk'},
        )

    def export(self, **opts):
        lookup = refs.Lookup(self.src, options=options(**opts))
        return self.res.export(lookup, lambda name: True)

    def dst_lookup(self, **opts):
        return refs.Lookup(
            self.dst,
            options=options(**opts),
            connect=lambda side: self.src,
        )
