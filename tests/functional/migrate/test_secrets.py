# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Barbican secrets and containers: ``migrate export|import secret`` and
``secret container`` by the tenant users, from region one's Barbican
(``src``) to region two's (``dst``), with the payload read from the source
or carried encrypted in the data file; and never in clear in the data
directory or in a ``--debug`` log."""

import base64
import datetime
import json
import os
import re
import secrets as pysecrets
import subprocess

from cryptography import fernet
import fixtures
from openstack import exceptions as sdk_exceptions
import yaml

from tests.functional import base

SECRETS = 'secrets.yml'
CONTAINERS = 'secret_containers.yml'
SECRET = 'openstack.key_manager.Secret'
CONTAINER = 'openstack.key_manager.Container'


def uuid_of(href):
    return href.rstrip('/').rsplit('/', 1)[-1]


def payload_of(conn, obj, content_type=None):
    """The payload bytes of a secret (openstacksdk decodes text ones)."""
    content_type = content_type or obj.content_types['default']
    response = conn.key_manager.get(
        '/secrets/%s/payload' % uuid_of(obj.secret_ref),
        headers={'Accept': content_type},
        log=False,
    )
    sdk_exceptions.raise_from_response(response)
    return response.content


def acl_of(conn, collection, href):
    response = conn.key_manager.get('/%s/%s/acl' % (collection, uuid_of(href)))
    sdk_exceptions.raise_from_response(response)
    read = response.json()['read']
    return read.get('project-access'), sorted(read.get('users') or [])


def metadata_of(conn, href):
    response = conn.key_manager.get('/secrets/%s/metadata' % uuid_of(href))
    sdk_exceptions.raise_from_response(response)
    return response.json()['metadata']


class TestSecrets(base.FunctionalTestCase):
    def setUp(self):
        super().setUp()
        self.prefix = self.unique_name('osmkm')
        self.data_dir = self.useFixture(fixtures.TempDir()).path
        keys = self.useFixture(fixtures.TempDir()).path
        self.key_file = os.path.join(keys, 'payload.key')
        self.other_key_file = os.path.join(keys, 'other.key')
        for path in (self.key_file, self.other_key_file):
            with open(path, 'w') as f:
                f.write(fernet.Fernet.generate_key().decode() + '\n')
            os.chmod(path, 0o600)
        for cloud in ('src', 'dst'):
            self.addCleanup(self.purge, self.conn(cloud))
        # Payloads of this test: unique, so that finding one means a leak.
        self.passphrase = 'horse battery %s staple' % pysecrets.token_hex(8)
        self.key_bytes = pysecrets.token_bytes(32)

    def purge(self, conn):
        # By UUID: openstacksdk's delete of a listed object puts its whole
        # href into the URL (and, ignoring the 404, deletes nothing).
        km = conn.key_manager
        for c in km.containers():
            if (c.name or '').startswith(self.prefix):
                km.delete_container(uuid_of(c.container_ref))
        for s in km.secrets():
            if (s.name or '').startswith(self.prefix):
                km.delete_secret(uuid_of(s.secret_ref))

    # -- helpers ----------------------------------------------------------

    def leaks(self, text):
        """The forms of this test's payloads that ``text`` holds."""
        forms = {
            'passphrase': self.passphrase,
            'passphrase in base64': base64.b64encode(
                self.passphrase.encode()
            ).decode(),
            'key in base64': base64.b64encode(self.key_bytes).decode(),
            'key in hex': self.key_bytes.hex(),
        }
        return [name for name, form in forms.items() if form in text]

    def run_cli(self, verb, *args, cloud, debug=False, expect_fail=False):
        """``openstack [--debug] migrate <verb> ...``: (rows or None, the
        requests it made as (method, url), stderr)."""
        side = '--src-cloud' if verb.startswith('export') else '--dst-cloud'
        argv = [self.openstack_cli] + (['--debug'] if debug else [])
        argv += ['migrate', *verb.split(), '--data-dir', self.data_dir]
        argv += [side, cloud, '--name-regex', '^' + self.prefix]
        argv += ['-f', 'json', *args]
        proc = subprocess.run(
            argv,
            env=self.cli_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=self.CLI_TIMEOUT,
        )
        if expect_fail:
            self.assertNotEqual(0, proc.returncode, proc.stdout)
        else:
            self.assertEqual(0, proc.returncode, proc.stderr[-5000:])
        # Nothing of the payloads, whatever the command printed.
        self.assertEqual([], self.leaks(proc.stdout + proc.stderr))
        requests = re.findall(r'REQ: curl .*?-X (\w+) (\S+)', proc.stderr)
        rows = json.loads(proc.stdout) if proc.stdout.strip() else None
        return rows, requests, proc.stderr

    def writes(self, requests):
        return [
            (method, url)
            for method, url in requests
            if method != 'GET' and not url.endswith('/auth/tokens')
        ]

    def load(self, name):
        path = os.path.join(self.data_dir, name)
        with open(path) as f:
            text = f.read()
        return text, yaml.safe_load(text)

    def save(self, name, doc):
        with open(os.path.join(self.data_dir, name), 'w') as f:
            yaml.safe_dump(doc, f)

    def src_secrets(self):
        """A passphrase (private: no project access) and an AES key that
        expires, and a container of both, in the source."""
        km = self.conn('src').key_manager
        p = self.prefix
        self.expiration = (
            datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=30)
        ).replace(microsecond=0, tzinfo=None)
        pass_ = km.create_secret(
            name=p + '-pass',
            secret_type='passphrase',
            payload=self.passphrase,
            payload_content_type='text/plain',
        )
        key = km.create_secret(
            name=p + '-key',
            secret_type='symmetric',
            algorithm='aes',
            bit_length=256,
            mode='cbc',
            expiration=self.expiration.isoformat(),
            payload=base64.b64encode(self.key_bytes).decode(),
            payload_content_type='application/octet-stream',
            payload_content_encoding='base64',
        )
        response = km.put(
            '/secrets/%s/acl' % uuid_of(pass_.secret_ref),
            json={'read': {'project-access': False}},
        )
        sdk_exceptions.raise_from_response(response)
        response = km.put(
            '/secrets/%s/metadata' % uuid_of(key.secret_ref),
            json={'metadata': {'use': 'disk', 'owner': 'ops'}},
        )
        sdk_exceptions.raise_from_response(response)
        km.create_container(
            name=p + '-cont',
            type='generic',
            secret_refs=[
                {'name': 'passphrase', 'secret_ref': pass_.secret_ref},
                {'name': 'key', 'secret_ref': key.secret_ref},
            ],
        )

    def by_name(self, cloud, what='secrets'):
        km = self.conn(cloud).key_manager
        listed = km.secrets() if what == 'secrets' else km.containers()
        return {
            o.name: o for o in listed if (o.name or '').startswith(self.prefix)
        }

    def assert_secrets_arrived(self):
        """Field by field, payload and ACL, ``dst`` holds ``src``'s."""
        src, dst = self.by_name('src'), self.by_name('dst')
        self.assertEqual(sorted(src), sorted(dst))
        for name, s in src.items():
            d = dst[name]
            for field in (
                'name',
                'secret_type',
                'algorithm',
                'bit_length',
                'mode',
                'expires_at',
                'content_types',
                'status',
            ):
                self.assertEqual(
                    getattr(s, field), getattr(d, field), (name, field)
                )
            self.assertEqual(
                payload_of(self.conn('src'), s),
                payload_of(self.conn('dst'), d),
                name,
            )
            self.assertEqual(
                acl_of(self.conn('src'), 'secrets', s.secret_ref)[0],
                acl_of(self.conn('dst'), 'secrets', d.secret_ref)[0],
                name,
            )
            self.assertEqual(
                metadata_of(self.conn('src'), s.secret_ref),
                metadata_of(self.conn('dst'), d.secret_ref),
                name,
            )
        p = self.prefix
        self.assertEqual(
            self.passphrase.encode(),
            payload_of(self.conn('dst'), dst[p + '-pass']),
        )
        self.assertEqual(
            self.key_bytes, payload_of(self.conn('dst'), dst[p + '-key'])
        )
        self.assertEqual(
            self.expiration.isoformat(), dst[p + '-key'].expires_at
        )
        self.assertEqual(
            (False, []),
            acl_of(self.conn('dst'), 'secrets', dst[p + '-pass'].secret_ref),
        )
        self.assertEqual(
            {'use': 'disk', 'owner': 'ops'},
            metadata_of(self.conn('dst'), dst[p + '-key'].secret_ref),
        )

    # -- the tests --------------------------------------------------------

    def test_from_the_source_cloud(self):
        self.src_secrets()
        p = self.prefix

        rows, _, stderr = self.run_cli(
            'export secret', cloud='src', debug=True
        )
        self.assertEqual([2], [r['Exported'] for r in rows])
        self.run_cli('export secret container', cloud='src')
        text, doc = self.load(SECRETS)
        self.assertEqual([], self.leaks(text))
        self.assertNotIn('encrypted_payload', text)
        entries = {e['params']['name']: e for e in doc['resources']}
        self.assertEqual(
            {
                'name': p + '-key',
                'secret_type': 'symmetric',
                'algorithm': 'aes',
                'bit_length': 256,
                'mode': 'cbc',
                'payload_content_type': 'application/octet-stream',
                'expiration': self.expiration.isoformat() + '+00:00',
                'metadata': {'owner': 'ops', 'use': 'disk'},
                'acl_project_access': True,
                'acl_user_refs': [],
            },
            entries[p + '-key']['params'],
        )
        self.assertEqual(
            (False, 'text/plain'),
            (
                entries[p + '-pass']['params']['acl_project_access'],
                entries[p + '-pass']['params']['payload_content_type'],
            ),
        )
        self.assertEqual(
            0o600,
            os.stat(os.path.join(self.data_dir, SECRETS)).st_mode & 0o777,
        )

        # A dry run reads, writes nothing.
        rows, requests, _ = self.run_cli(
            'import secret',
            '--dry-run',
            '--src-cloud',
            'src',
            cloud='dst',
            debug=True,
        )
        self.assertEqual(
            [(p + '-key', 'create'), (p + '-pass', 'create')],
            sorted((r['Name'], r['Action']) for r in rows),
        )
        self.assertEqual([], self.writes(requests))
        self.assertEqual({}, self.by_name('dst'))

        rows, requests, _ = self.run_cli(
            'import secret', '--src-cloud', 'src', cloud='dst', debug=True
        )
        self.assertEqual(
            [(p + '-key', 'created'), (p + '-pass', 'created')],
            sorted((r['Name'], r['Action']) for r in rows),
        )
        self.assert_secrets_arrived()

        rows, _, _ = self.run_cli('import secret container', cloud='dst')
        self.assertEqual(
            [(p + '-cont', 'created')],
            [(r['Name'], r['Action']) for r in rows],
        )
        dst_secrets = self.by_name('dst')
        [cont] = self.by_name('dst', 'containers').values()
        self.assertEqual('generic', cont.type)
        self.assertEqual(
            sorted(
                [
                    ('key', dst_secrets[p + '-key'].secret_ref),
                    ('passphrase', dst_secrets[p + '-pass'].secret_ref),
                ]
            ),
            sorted((r['name'], r['secret_ref']) for r in cont.secret_refs),
        )

        # Twice: nothing written (payloads compared by reading them).
        for what, extra in (
            ('secret', ('--src-cloud', 'src')),
            ('secret container', ()),
        ):
            rows, requests, _ = self.run_cli(
                'import ' + what, *extra, cloud='dst', debug=True
            )
            self.assertEqual({'unchanged'}, {r['Action'] for r in rows}, what)
            self.assertEqual([], self.writes(requests), what)

        # The destination's passphrase made another: a conflict, untouched.
        km = self.conn('dst').key_manager
        km.delete_container(uuid_of(cont.container_ref))
        km.delete_secret(uuid_of(dst_secrets[p + '-pass'].secret_ref))
        other = km.create_secret(
            name=p + '-pass',
            secret_type='passphrase',
            payload='not the same',
            payload_content_type='text/plain',
        )
        _, _, stderr = self.run_cli(
            'import secret',
            '--src-cloud',
            'src',
            cloud='dst',
            expect_fail=True,
        )
        self.assertIn(
            "secrets.yml: %s '%s-pass': conflict: payload: the destination "
            'secret %s holds another payload than the source secret %s, and '
            'a secret cannot change: rename or delete one of them'
            % (
                SECRET,
                p,
                uuid_of(other.secret_ref),
                entries[p + '-pass']['_info']['id'],
            ),
            stderr,
        )
        self.assertEqual(
            b'not the same',
            payload_of(self.conn('dst'), other, 'text/plain'),
        )

    def test_payload_key_file(self):
        self.src_secrets()
        p = self.prefix
        rows, _, _ = self.run_cli(
            'export secret',
            '--payload-key-file',
            self.key_file,
            cloud='src',
            debug=True,
        )
        self.assertEqual([2], [r['Exported'] for r in rows])
        text, doc = self.load(SECRETS)
        self.assertEqual([], self.leaks(text))
        # Only ciphertext: the operator's key opens it.
        with open(self.key_file) as f:
            key = fernet.Fernet(f.read().strip())
        opened = {}
        for e in doc['resources']:
            token = e['_info']['encrypted_payload']
            owner, _, payload = key.decrypt(token.encode()).partition(b'\0')
            self.assertEqual(e['_info']['id'].encode(), owner)
            opened[e['params']['name']] = payload
        self.assertEqual(
            {
                p + '-pass': self.passphrase.encode(),
                p + '-key': self.key_bytes,
            },
            opened,
        )

        # Another key: refused, named, nothing made.
        rows, _, stderr = self.run_cli(
            'import secret',
            '--payload-key-file',
            self.other_key_file,
            cloud='dst',
            expect_fail=True,
        )
        for name in (p + '-key', p + '-pass'):
            self.assertIn(
                "secrets.yml: %s '%s': blocked: field "
                '_info.encrypted_payload: cannot be decrypted with the key '
                'of --payload-key-file %s: another key, or the value was '
                'changed' % (SECRET, name, self.other_key_file),
                stderr,
            )
        self.assertEqual({}, self.by_name('dst'))

        # Neither key nor source: refused, nothing made.
        _, _, stderr = self.run_cli(
            'import secret', cloud='dst', expect_fail=True
        )
        self.assertIn(
            "secrets.yml: %s '%s-key': blocked: field "
            '_info.encrypted_payload: the payload is encrypted: give '
            '--payload-key-file <file> (the key of the export), or '
            '--src-cloud <cloud> to read it from the source' % (SECRET, p),
            stderr,
        )
        self.assertEqual({}, self.by_name('dst'))

        # The right key, no source cloud.
        rows, requests, _ = self.run_cli(
            'import secret',
            '--payload-key-file',
            self.key_file,
            cloud='dst',
            debug=True,
        )
        self.assertEqual({'created'}, {r['Action'] for r in rows})
        self.assertFalse(
            [u for _, u in requests if ':15311' in u],
            'the source Barbican was asked',
        )
        self.assert_secrets_arrived()

        rows, requests, _ = self.run_cli(
            'import secret',
            '--payload-key-file',
            self.key_file,
            cloud='dst',
            debug=True,
        )
        self.assertEqual({'unchanged'}, {r['Action'] for r in rows})
        self.assertEqual([], self.writes(requests))

        # A changed token is refused.
        for e in doc['resources']:
            token = e['_info']['encrypted_payload']
            e['_info']['encrypted_payload'] = token[:-8] + (
                'AAAAAAAA' if not token.endswith('AAAAAAAA') else 'BBBBBBBB'
            )
            e['params']['name'] += '-new'
        self.save(SECRETS, doc)
        _, _, stderr = self.run_cli(
            'import secret',
            '--payload-key-file',
            self.key_file,
            cloud='dst',
            expect_fail=True,
        )
        self.assertIn(
            "secrets.yml: %s '%s-key-new': blocked: field "
            '_info.encrypted_payload: cannot be decrypted with the key of '
            '--payload-key-file %s: another key, or the value was changed'
            % (SECRET, p, self.key_file),
            stderr,
        )
        self.assertNotIn(p + '-key-new', self.by_name('dst'))

    def test_missing_secret_of_a_container(self):
        self.src_secrets()
        p = self.prefix
        self.run_cli('export secret', cloud='src')
        self.run_cli('export secret container', cloud='src')
        _, doc = self.load(CONTAINERS)
        [entry] = doc['resources']
        entry['params']['secret_refs'][0]['secret_ref']['name'] = p + '-gone'
        self.save(CONTAINERS, doc)

        result = self.openstack(
            'migrate',
            'validate',
            '--data-dir',
            self.data_dir,
            '-f',
            'json',
            expect_fail=True,
        )
        problems = json.loads(result.stdout)
        self.assertIn(
            {
                'File': os.path.join(self.data_dir, CONTAINERS),
                'Resource': "resource 0 (%s '%s-cont')" % (CONTAINER, p),
                'Field': 'params.secret_refs[0].secret_ref',
                'Problem': "secret '%s-gone' (project '%%auth%%') is not in "
                'the data directory' % p,
            },
            problems,
        )

        self.run_cli('import secret', '--src-cloud', 'src', cloud='dst')
        _, _, stderr = self.run_cli(
            'import secret container', cloud='dst', expect_fail=True
        )
        self.assertIn(
            "secret_containers.yml: %s '%s-cont': blocked: "
            "secret_refs[0].secret_ref: secret '%s-gone' (project '%%auth%%') "
            'not found' % (CONTAINER, p, p),
            stderr,
        )
        self.assertEqual({}, self.by_name('dst', 'containers'))

    def test_export_import_all(self):
        self.src_secrets()
        p = self.prefix
        rows, _, _ = self.run_cli(
            'export all',
            '--payload-key-file',
            self.key_file,
            cloud='src',
        )
        exported = {r['Type']: r['Exported'] for r in rows}
        self.assertEqual(
            (2, 1), (exported['secret'], exported['secret container'])
        )
        rows, _, _ = self.run_cli(
            'import all', '--payload-key-file', self.key_file, cloud='dst'
        )
        counts = {
            r['Type']: (r['Created'], r['Unchanged'], r['Failed'])
            for r in rows
        }
        self.assertEqual((2, 0, 0), counts['secret'])
        self.assertEqual((1, 0, 0), counts['secret container'])
        # Containers come after the secrets they refer to.
        types = [r['Type'] for r in rows]
        self.assertLess(types.index('secret'), types.index('secret container'))
        self.assert_secrets_arrived()
        [cont] = self.by_name('dst', 'containers').values()
        self.assertEqual(p + '-cont', cont.name)
