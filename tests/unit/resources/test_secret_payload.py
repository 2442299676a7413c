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
import base64

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient.resources import _payload_key
from osmigrateclient.resources import base
from osmigrateclient.resources import refs
from osmigrateclient.resources import secret
from tests.unit.resources import barbican_fakes
from tests.unit.resources.barbican_fakes import KEY_BYTES
from tests.unit.resources.barbican_fakes import options
from tests.unit.resources.barbican_fakes import PASSPHRASE


class TestExportPayload(barbican_fakes.SecretTestCase):
    def test_encrypted_with_the_key(self):
        self.src_secrets()
        path = self.make_key_file()
        entries = self.export(payload_key_file=_payload_key.load_key(path))
        text = datafile.dump(entries)
        self.assertNotIn('horse', text)
        self.assertNotIn(base64.b64encode(KEY_BYTES).decode(), text)
        key = _payload_key.load_key(path)
        self.assertEqual(
            [KEY_BYTES, PASSPHRASE.encode()],
            [
                key.decrypt(e['_info']['encrypted_payload'], e['_info']['id'])
                for e in entries
            ],
        )

    def test_unreadable_payload_fails_after_the_file(self):
        self.src_secrets()
        del self.src.payloads[self.passphrase.secret_id]
        lookup = refs.Lookup(
            self.src,
            options=options(
                payload_key_file=_payload_key.load_key(self.make_key_file())
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


class TestImportPayload(barbican_fakes.SecretTestCase):
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
        entries = self.export(payload_key_file=_payload_key.load_key(path))
        self.src.requests = []
        lookup = refs.Lookup(
            self.dst,
            options=options(payload_key_file=_payload_key.load_key(path)),
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
            payload_key_file=_payload_key.load_key(self.make_key_file())
        )
        other = self.make_key_file()
        lookup = self.dst_lookup(payload_key_file=_payload_key.load_key(other))
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
            payload_key_file=_payload_key.load_key(self.make_key_file())
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
