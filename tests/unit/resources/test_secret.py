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

"""Barbican secrets: the payload key, id shapes, export without the clear
payload, import from the key or the source, twins, conflicts, ACLs."""

import argparse
import base64
import datetime
import json
import os
import uuid

from cryptography import fernet
import fixtures
from openstack import exceptions as sdk_exceptions
import requests
import testtools

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient import plan
from osmigrateclient import resources
from osmigrateclient.resources import base
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
        when = secret.parse_time(json.get('expiration'))
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
            content_type = secret.normal_type(json['payload_content_type'])
        obj = self.add_secret(
            payload=payload, content_type=content_type, **attrs
        )
        return response(201, {'secret_ref': obj.secret_ref})

    def _api_delete_secret(self, id_, ignore_missing=True):
        # By UUID only (openstacksdk's delete of an object is broken).
        assert secret.UUID.match(id_), id_
        self.requests.append(('DELETE', id_))
        self._delete('secret', ENDPOINT + 'secrets/' + id_)


def options(**values):
    values.setdefault('payload_key_file', None)
    values.setdefault('src_cloud', None)
    return argparse.Namespace(**values)


class KeyTestCase(testtools.TestCase):
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


class TestPayloadKey(KeyTestCase):
    ID = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9'
    OTHER = '11111111-2222-4333-8444-555555555555'

    def test_round_trip(self):
        key = secret.load_key(self.make_key_file())
        for payload in (KEY_BYTES, PASSPHRASE.encode(), b'', b'\0x\0'):
            token = key.encrypt(self.ID, payload)
            self.assertEqual(payload, key.decrypt(token, self.ID))

    def test_the_token_holds_no_clear_text(self):
        key = secret.load_key(self.make_key_file())
        token = key.encrypt(self.ID, PASSPHRASE.encode())
        self.assertNotIn('horse', token)
        self.assertNotIn(
            base64.b64encode(PASSPHRASE.encode()).decode()[:12], token
        )

    def test_another_key(self):
        token = secret.load_key(self.make_key_file()).encrypt(self.ID, b'x')
        path = self.make_key_file()
        e = self.assertRaises(
            exceptions.MigrateError,
            secret.load_key(path).decrypt,
            token,
            self.ID,
        )
        self.assertEqual('_info.encrypted_payload', e.field)
        self.assertEqual(
            'cannot be decrypted with the key of --payload-key-file %s: '
            'another key, or the value was changed' % path,
            e.problem,
        )

    def test_changed_token(self):
        key = secret.load_key(self.make_key_file())
        token = key.encrypt(self.ID, b'payload')
        changed = token[:40] + ('A' if token[40] != 'A' else 'B') + token[41:]
        for bad in (changed, token[:-4], 'not a token', 'é'):
            e = self.assertRaises(
                exceptions.MigrateError, key.decrypt, bad, self.ID
            )
            self.assertIn('another key, or the value was changed', e.problem)

    def test_token_of_another_secret(self):
        key = secret.load_key(self.make_key_file())
        token = key.encrypt(self.OTHER, b'payload')
        e = self.assertRaises(
            exceptions.MigrateError, key.decrypt, token, self.ID
        )
        self.assertEqual(
            'is the payload of another secret (source id %s), not of this '
            'one (%s)' % (self.OTHER, self.ID),
            e.problem,
        )

    def test_bad_key_files(self):
        missing = os.path.join(self.useFixture(fixtures.TempDir()).path, 'x')
        e = self.assertRaises(
            argparse.ArgumentTypeError, secret.load_key, missing
        )
        self.assertEqual(
            '%s: cannot read: No such file or directory' % missing, str(e)
        )
        for text in ('', 'too short', 'a' * 44, 'x' * 5000):
            path = self.make_key_file(text)
            e = self.assertRaises(
                argparse.ArgumentTypeError, secret.load_key, path
            )
            self.assertEqual(
                '%s: not a Fernet key (32 url-safe base64-encoded bytes on '
                'one line); make one with: %s' % (path, secret.MAKE_KEY),
                str(e),
            )
        directory = self.useFixture(fixtures.TempDir()).path
        e = self.assertRaises(
            argparse.ArgumentTypeError, secret.load_key, directory
        )
        self.assertEqual('%s: cannot read: Is a directory' % directory, str(e))

    def test_a_key_others_may_read_is_taken_with_a_warning(self):
        path = self.make_key_file(mode=0o644)
        with self.assertLogs(secret.LOG.name, 'WARNING') as logs:
            key = secret.load_key(path)
        self.assertEqual(
            [
                'WARNING:%s:%s: others than its owner may read this key '
                '(mode 644): chmod 600 it' % (secret.LOG.name, path)
            ],
            logs.output,
        )
        self.assertEqual('<payload key of %s>' % path, repr(key))


class TestShapes(testtools.TestCase):
    def test_href_uuid(self):
        id_ = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9'
        self.assertEqual(id_, secret.href_uuid(ENDPOINT + 'secrets/' + id_))
        self.assertEqual(id_, secret.href_uuid(id_))
        for bad in (
            None,
            5,
            ENDPOINT + 'secrets/../x',
            id_.upper(),
            id_ + '/..',
            'http://evil/' + id_ + '?x=1',
        ):
            self.assertIsNone(secret.href_uuid(bad), bad)

    def test_checked_uuid(self):
        for bad in ('../../x', 'http://evil/x', 'abc', 5):
            e = self.assertRaises(
                exceptions.MigrateError, secret.checked_uuid, bad
            )
            self.assertEqual('_info.id', e.field)
            self.assertIn('must be a Barbican id (a UUID)', e.problem)
        e = self.assertRaises(
            exceptions.MigrateError, secret.checked_uuid, None
        )
        self.assertEqual(
            'missing: the source secret is read by its id', e.problem
        )

    def entry(self, **info):
        return {
            'type': secret.Secret.type,
            'params': {'name': 's', 'expiration': None},
            '_info': dict(
                {'id': '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9'}, **info
            ),
        }

    def test_check_refuses_an_id_that_is_no_uuid(self):
        res = secret.RESOURCE()
        for bad in ('../../etc/passwd', 'http://evil/x', 'id-1'):
            e = self.assertRaises(
                exceptions.DataFileError,
                res.check,
                self.entry(id=bad),
                'secrets.yml',
                0,
            )
            self.assertEqual(
                "secrets.yml: resource 0 (openstack.key_manager.Secret 's'): "
                'field _info.id: must be a Barbican id (a UUID), not %r' % bad,
                str(e),
            )

    def test_expiration(self):
        res = secret.RESOURCE()
        entry = self.entry()
        for good in (
            '2030-01-01T00:00:00',
            '2030-01-01T00:00:00Z',
            '2030-01-01T02:00:00+02:00',
            datetime.datetime(2030, 1, 1),
        ):
            entry['params']['expiration'] = good
            res.check(entry, 'secrets.yml', 0)
            self.assertEqual(
                datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc),
                res.expiration(entry),
            )
        entry['params']['expiration'] = 'next tuesday'
        outcome = res.apply(refs.Lookup(fakes.FakeConnection()), entry)
        self.assertEqual(
            (
                'blocked',
                "field params.expiration: not an ISO 8601 time "
                "(2030-01-31T12:00:00Z): 'next tuesday'",
            ),
            outcome[2:],
        )

    def test_pages_follow_barbicans_next_only(self):
        data = {'secrets': [], 'total': 250, 'next': ENDPOINT + 'x'}
        link, params = refs.Secret._get_next_link(
            '/secrets',
            response(200),
            {**data, 'next': ENDPOINT + 'secrets?limit=100&offset=100'},
            'm',
            100,
            100,
        )
        self.assertEqual(ENDPOINT + 'secrets', link)
        self.assertEqual({'limit': ['100'], 'offset': ['100']}, params)
        # The last page: no guess of one more.
        self.assertEqual(
            (None, {}),
            refs.SecretContainer._get_next_link(
                '/containers', response(200), {'total': 5}, 'm', 100, 5
            ),
        )


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


class TestExport(SecretTestCase):
    def test_metadata_and_acl_never_the_payload(self):
        self.src_secrets()
        entries = self.export()
        self.assertEqual(
            [
                {
                    'name': 'key',
                    'secret_type': 'symmetric',
                    'algorithm': 'aes',
                    'bit_length': 256,
                    'mode': 'cbc',
                    'payload_content_type': 'application/octet-stream',
                    'expiration': '2030-01-01T00:00:00+00:00',
                    'metadata': {'use': 'disk'},
                    'acl_project_access': True,
                    'acl_user_refs': [],
                },
                {
                    'name': 'pass',
                    'secret_type': 'passphrase',
                    'algorithm': None,
                    'bit_length': None,
                    'mode': None,
                    'payload_content_type': 'text/plain',
                    'expiration': None,
                    'metadata': {},
                    'acl_project_access': False,
                    'acl_user_refs': [],
                },
            ],
            [e['params'] for e in entries],
        )
        self.assertEqual(
            [self.symmetric.secret_id, self.passphrase.secret_id],
            [e['_info']['id'] for e in entries],
        )
        text = datafile.dump(entries)
        self.assertNotIn('horse', text)
        self.assertNotIn(base64.b64encode(KEY_BYTES).decode(), text)
        self.assertNotIn('encrypted_payload', text)
        # No payload was read.
        self.assertFalse(
            [r for r in self.src.requests if r[1].endswith('/payload')]
        )

    def test_encrypted_with_the_key(self):
        self.src_secrets()
        path = self.make_key_file()
        entries = self.export(payload_key_file=secret.load_key(path))
        text = datafile.dump(entries)
        self.assertNotIn('horse', text)
        self.assertNotIn(base64.b64encode(KEY_BYTES).decode(), text)
        key = secret.load_key(path)
        self.assertEqual(
            [KEY_BYTES, PASSPHRASE.encode()],
            [
                key.decrypt(e['_info']['encrypted_payload'], e['_info']['id'])
                for e in entries
            ],
        )

    def test_acl_users_left_out_when_users_cannot_be_listed(self):
        self.src.add_secret('s', b'x', 'text/plain', acl=(True, ['u1']))
        self.src.add_secret('t', b'y', 'text/plain', acl=(True, ['u2']))
        self.src.fail(
            'identity.users',
            sdk_exceptions.ForbiddenException('identity:list_users'),
        )
        with self.assertLogs(secret.LOG.name, 'WARNING') as logs:
            entries = self.export()
        self.assertEqual(
            [None, None], [e['params']['acl_user_refs'] for e in entries]
        )
        self.assertEqual(
            [['u1'], ['u2']], [e['_info']['acl_user_ids'] for e in entries]
        )
        self.assertEqual(
            [
                "WARNING:%s:secret '%s': the users of its ACL are left out: "
                'the source cloud does not let the caller look users up '
                '(identity:list_users); export as an admin to keep them'
                % (secret.LOG.name, name)
                for name in ('s', 't')
            ],
            logs.output,
        )
        # Asked once, not once per secret.
        self.assertEqual(1, len(self.src.calls_to('identity.users')))

    def test_acl_users_by_name(self):
        domain = self.src.add('domain', name='Default', id='default')
        user = self.src.add('user', name='alice', domain_id=domain.id)
        self.src.add_secret('s', b'x', 'text/plain', acl=(True, [user.id]))
        [entry] = self.export()
        self.assertEqual(
            [
                {
                    'name': 'alice',
                    'project_name': None,
                    'domain_name': 'Default',
                }
            ],
            entry['params']['acl_user_refs'],
        )

    def test_duplicate_names_are_reported(self):
        a = self.src.add_secret('twice', b'a', 'text/plain')
        b = self.src.add_secret('twice', b'b', 'text/plain')
        with self.assertLogs(secret.LOG.name, 'WARNING') as logs:
            self.export()
        ids = sorted([a.secret_id, b.secret_id])
        self.assertEqual(
            [
                "WARNING:%s:2 secrets named 'twice' (%s): an import makes the "
                'first and reports the others as duplicates; rename them'
                % (secret.LOG.name, ', '.join(ids))
            ],
            logs.output,
        )

    def test_unreadable_payload_fails_after_the_file(self):
        self.src_secrets()
        del self.src.payloads[self.passphrase.secret_id]
        lookup = refs.Lookup(
            self.src,
            options=options(
                payload_key_file=secret.load_key(self.make_key_file())
            ),
        )
        entries = self.res.export(lookup, lambda name: True)
        self.assertEqual(
            [True, False],
            ['encrypted_payload' in e['_info'] for e in entries],
        )
        e = self.assertRaises(
            exceptions.MigrateError, self.res.after_export, lookup, entries
        )
        self.assertIn(
            "the payloads of 1 secret(s) were not exported (their metadata "
            "was): secret 'pass' (%s): " % self.passphrase.secret_id,
            str(e),
        )


class TestImport(SecretTestCase):
    def test_from_the_source(self):
        self.src_secrets()
        entries = self.export()
        lookup = self.dst_lookup(src_cloud='src')
        outcomes = [self.res.apply(lookup, e) for e in entries]
        self.assertEqual(
            [('key', 'created', ''), ('pass', 'created', '')],
            [o[1:] for o in outcomes],
        )
        self.assertEqual(
            [
                ('application/octet-stream', KEY_BYTES),
                ('text/plain', PASSPHRASE.encode()),
            ],
            sorted(self.dst.payloads.values()),
        )
        # The private one's ACL was set; the other has Barbican's default.
        self.assertEqual([(False, [])], list(self.dst.acls.values()))
        # ... and the key's metadata.
        self.assertEqual(
            ['POST', 'POST', 'PUT', 'PUT'],
            sorted(m for m, _ in self.dst.raw_writes()),
        )
        self.assertEqual([{'use': 'disk'}], list(self.dst.metadata.values()))
        # Sent as Barbican wants: text as text, bytes base64-encoded.
        self.assertEqual(
            {
                'name': 'pass',
                'secret_type': 'passphrase',
                'payload_content_type': 'text/plain',
                'payload': PASSPHRASE,
            },
            self.dst.posts[1],
        )
        # Twice: nothing written, and the payloads were compared.
        self.dst.requests = []
        again = self.dst_lookup(src_cloud='src')
        outcomes = [self.res.apply(again, e) for e in entries]
        self.assertEqual(
            ['unchanged', 'unchanged'], [o.action for o in outcomes]
        )
        self.assertEqual([], self.dst.raw_writes())
        self.assertEqual(
            2, len([p for _, p in self.dst.requests if p.endswith('/payload')])
        )

    def test_with_the_key_file_no_source(self):
        self.src_secrets()
        path = self.make_key_file()
        entries = self.export(payload_key_file=secret.load_key(path))
        self.src.requests = []
        lookup = refs.Lookup(
            self.dst, options=options(payload_key_file=secret.load_key(path))
        )
        outcomes = [self.res.apply(lookup, e) for e in entries]
        self.assertEqual(['created', 'created'], [o.action for o in outcomes])
        self.assertEqual(
            {
                'name': 'key',
                'secret_type': 'symmetric',
                'algorithm': 'aes',
                'bit_length': 256,
                'mode': 'cbc',
                'expiration': '2030-01-01T00:00:00+00:00',
                'payload_content_type': 'application/octet-stream',
                'payload': base64.b64encode(KEY_BYTES).decode(),
                'payload_content_encoding': 'base64',
            },
            self.dst.posts[0],
        )
        self.assertEqual(
            [
                ('application/octet-stream', KEY_BYTES),
                ('text/plain', PASSPHRASE.encode()),
            ],
            sorted(self.dst.payloads.values()),
        )
        self.assertEqual([], self.src.requests)

    def test_wrong_key_blocks_and_makes_nothing(self):
        self.src_secrets()
        entries = self.export(
            payload_key_file=secret.load_key(self.make_key_file())
        )
        other = self.make_key_file()
        lookup = self.dst_lookup(payload_key_file=secret.load_key(other))
        outcome = self.res.apply(lookup, entries[0])
        self.assertEqual(
            base.Outcome(
                secret.Secret.type,
                'key',
                'blocked',
                'field _info.encrypted_payload: cannot be decrypted with the '
                'key of --payload-key-file %s: another key, or the value was '
                'changed' % other,
            ),
            outcome,
        )
        self.assertEqual([], self.dst.raw_writes())

    def test_neither_key_nor_source(self):
        self.src_secrets()
        [entry, _] = self.export()
        outcome = self.res.apply(self.dst_lookup(), entry)
        self.assertEqual(
            (
                'blocked',
                'field _info.encrypted_payload: the file holds no payload: '
                'give --src-cloud <cloud> to read it from the source, or '
                'export with --payload-key-file and import with the same',
            ),
            outcome[2:],
        )
        self.assertEqual([], self.dst.raw_writes())

    def test_encrypted_but_no_key(self):
        self.src_secrets()
        [entry, _] = self.export(
            payload_key_file=secret.load_key(self.make_key_file())
        )
        outcome = self.res.apply(self.dst_lookup(), entry)
        self.assertEqual(
            'field _info.encrypted_payload: the payload is encrypted: give '
            '--payload-key-file <file> (the key of the export), or '
            '--src-cloud <cloud> to read it from the source',
            outcome.detail,
        )

    def test_a_bad_source_id_is_never_asked_for(self):
        self.src_secrets()
        [entry, _] = self.export()
        entry['_info']['id'] = '../../v3/auth/tokens'
        self.src.requests = []
        outcome = self.res.apply(self.dst_lookup(src_cloud='src'), entry)
        self.assertEqual(
            "field _info.id: must be a Barbican id (a UUID), not "
            "'../../v3/auth/tokens'",
            outcome.detail,
        )
        self.assertEqual([], self.src.requests)

    def test_twin_with_another_payload_is_a_conflict(self):
        self.src_secrets()
        entries = self.export()
        twin = self.dst.add_secret(
            'pass', b'another', 'text/plain', secret_type='passphrase'
        )
        outcome = self.res.apply(self.dst_lookup(src_cloud='src'), entries[1])
        self.assertEqual(
            (
                'conflict',
                'payload: the destination secret %s holds another payload '
                'than the source secret %s, and a secret cannot change: '
                'rename or delete one of them'
                % (twin.secret_id, self.passphrase.secret_id),
            ),
            outcome[2:],
        )
        self.assertEqual([], self.dst.raw_writes())

    def test_twin_with_other_metadata_is_a_conflict(self):
        self.src_secrets()
        entries = self.export()
        self.dst.add_secret(
            'key',
            KEY_BYTES,
            'application/octet-stream',
            secret_type='symmetric',
            algorithm='aes',
            bit_length=128,
            mode='cbc',
            expiration='2030-01-01T00:00:00',
        )
        outcome = self.res.apply(self.dst_lookup(src_cloud='src'), entries[0])
        self.assertEqual(
            (
                'conflict',
                'cannot change bit_length of an existing resource: '
                'bit_length is 128, the file says 256',
            ),
            outcome[2:],
        )
        self.assertEqual([], self.dst.raw_writes())

    def test_a_file_without_a_type_means_barbicans_default(self):
        self.src.add_secret('s', b'x', 'text/plain')
        [entry] = self.export()
        entry['params']['secret_type'] = None
        lookup = self.dst_lookup(src_cloud='src')
        self.assertEqual('created', self.res.apply(lookup, entry).action)
        self.assertNotIn('secret_type', self.dst.posts[0])
        again = secret.RESOURCE().apply(
            self.dst_lookup(src_cloud='src'), entry
        )
        self.assertEqual('unchanged', again.action)

    def test_twin_with_another_acl_is_updated(self):
        self.src_secrets()
        entries = self.export()
        twin = self.dst.add_secret(
            'pass', PASSPHRASE.encode(), 'text/plain', secret_type='passphrase'
        )
        outcome = self.res.apply(self.dst_lookup(src_cloud='src'), entries[1])
        self.assertEqual(('updated', 'acl_project_access'), outcome[2:])
        self.assertEqual(
            [('PUT', '/secrets/%s/acl' % twin.secret_id)],
            self.dst.raw_writes(),
        )
        self.assertEqual((False, []), self.dst.acls[twin.secret_id])

    def test_twin_with_other_metadata_is_updated(self):
        self.src_secrets()
        entries = self.export()
        entries[0]['params']['metadata'] = {'Use': 'disk', 'n': 1}
        twin = self.dst.add_secret(
            'key',
            KEY_BYTES,
            'application/octet-stream',
            secret_type='symmetric',
            algorithm='aes',
            bit_length=256,
            mode='cbc',
            expiration='2030-01-01T00:00:00',
            metadata={'use': 'tape'},
        )
        outcome = self.res.apply(self.dst_lookup(src_cloud='src'), entries[0])
        self.assertEqual(('updated', 'metadata'), outcome[2:])
        self.assertEqual(
            [('PUT', '/secrets/%s/metadata' % twin.secret_id)],
            self.dst.raw_writes(),
        )
        # As Barbican keeps it: lower-case keys, strings.
        self.assertEqual(
            {'use': 'disk', 'n': '1'}, self.dst.metadata[twin.secret_id]
        )
        again = secret.RESOURCE().apply(
            self.dst_lookup(src_cloud='src'), entries[0]
        )
        self.assertEqual('unchanged', again.action)

    def test_unknown_acl_users_are_left_alone(self):
        self.src_secrets()
        entries = self.export()
        entries[1]['params']['acl_user_refs'] = None
        twin = self.dst.add_secret(
            'pass',
            PASSPHRASE.encode(),
            'text/plain',
            secret_type='passphrase',
            acl=(True, ['someone']),
        )
        outcome = self.res.apply(self.dst_lookup(src_cloud='src'), entries[1])
        self.assertEqual('updated', outcome.action)
        self.assertEqual((False, ['someone']), self.dst.acls[twin.secret_id])

    def test_expired(self):
        self.src_secrets()
        [entry, _] = self.export()
        entry['params']['expiration'] = '2020-01-01T00:00:00Z'
        outcome = self.res.apply(self.dst_lookup(src_cloud='src'), entry)
        self.assertEqual(
            (
                'blocked',
                'expiration: 2020-01-01T00:00:00+00:00 is in the past: '
                'Barbican makes no expired secret (edit or remove it in the '
                'file)',
            ),
            outcome[2:],
        )

    def test_duplicate_name_in_the_file(self):
        a = self.src.add_secret('twice', b'a', 'text/plain')
        self.src.add_secret('twice', b'b', 'text/plain')
        entries = self.export()
        lookup = self.dst_lookup(src_cloud='src')
        outcomes = [self.res.apply(lookup, e) for e in entries]
        first = entries[0]['_info']['id']
        self.assertEqual('created', outcomes[0].action)
        self.assertEqual(
            (
                'conflict',
                'duplicate: this run imported another secret of this name '
                '(source id %s) already; secret names are not unique in '
                'Barbican, but an import finds a secret by its name: rename '
                'one of them in the file' % first,
            ),
            outcomes[1][2:],
        )
        self.assertEqual(['twice'], [s.name for s in self.dst.store['secret']])
        self.assertIn(a.secret_id, [e['_info']['id'] for e in entries])

    def test_plan_is_a_dry_run(self):
        self.src_secrets()
        path = os.path.join(self.useFixture(fixtures.TempDir()).path, 'd')
        lookup = refs.Lookup(self.src, data_dir=path, options=options())
        plan.export([self.res], lookup, path, lambda name: True)
        outcomes = plan.import_(
            [self.res],
            self.dst_lookup(src_cloud='src'),
            path,
            lambda name: True,
            dry_run=True,
        )
        self.assertEqual(['create', 'create'], [o.action for o in outcomes])
        self.assertEqual([], self.dst.raw_writes())
        with open(os.path.join(path, 'secrets.yml')) as f:
            text = f.read()
        self.assertNotIn('horse', text)

    def test_half_made_is_deleted(self):
        self.src_secrets()
        entries = self.export()
        self.dst.fail(
            'key_manager.put', sdk_exceptions.ForbiddenException('no')
        )
        outcome = self.res.apply(self.dst_lookup(src_cloud='src'), entries[1])
        self.assertEqual(('failed', 'no'), outcome[2:])
        self.assertEqual([], self.dst.store.get('secret', []))

    def test_migrate_plan_does_not_check_the_payload(self):
        # "migrate plan" has neither --src-cloud nor --payload-key-file.
        self.src_secrets()
        entries = self.export()
        lookup = refs.Lookup(self.dst, options=argparse.Namespace())
        outcomes = [self.res.apply(lookup, e, dry_run=True) for e in entries]
        self.assertEqual(
            [('create', secret.UNCHECKED)] * 2,
            [o[2:] for o in outcomes],
        )
        self.assertEqual([], self.dst.requests)


class TestOptions(KeyTestCase):
    def test_import_all_takes_the_options_of_images_and_secrets(self):
        parser = argparse.ArgumentParser()
        for name in ('image', 'secret'):
            resources.get(name).add_arguments(parser, 'import')
        path = self.make_key_file()
        args = parser.parse_args(
            ['--src-cloud', 'old', '--payload-key-file', path, '--direct']
        )
        self.assertEqual('old', args.src_cloud)
        self.assertEqual(path, args.payload_key_file.path)

    def test_export_takes_the_key_only(self):
        parser = argparse.ArgumentParser()
        secret.RESOURCE().add_arguments(parser, 'export')
        self.assertEqual(
            ['--payload-key-file'],
            [
                o
                for o in parser._option_string_actions
                if o != '-h' and o != '--help'
            ],
        )
