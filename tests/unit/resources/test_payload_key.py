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
import os

import fixtures

from osmigrateclient import exceptions
from osmigrateclient.resources import _payload_key
from tests.unit.resources import barbican_fakes
from tests.unit.resources.barbican_fakes import KEY_BYTES
from tests.unit.resources.barbican_fakes import PASSPHRASE


class TestPayloadKey(barbican_fakes.KeyTestCase):
    ID = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9'
    OTHER = '11111111-2222-4333-8444-555555555555'

    def test_round_trip(self):
        key = _payload_key.load_key(self.make_key_file())
        for payload in (KEY_BYTES, PASSPHRASE.encode(), b'', b'\0x\0'):
            token = key.encrypt(self.ID, payload)
            self.assertEqual(payload, key.decrypt(token, self.ID))

    def test_the_token_holds_no_clear_text(self):
        key = _payload_key.load_key(self.make_key_file())
        token = key.encrypt(self.ID, PASSPHRASE.encode())
        self.assertNotIn('horse', token)
        self.assertNotIn(
            base64.b64encode(PASSPHRASE.encode()).decode()[:12], token
        )

    def test_another_key(self):
        token = _payload_key.load_key(self.make_key_file()).encrypt(
            self.ID, b'x'
        )
        path = self.make_key_file()
        e = self.assertRaises(
            exceptions.MigrateError,
            _payload_key.load_key(path).decrypt,
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
        key = _payload_key.load_key(self.make_key_file())
        token = key.encrypt(self.ID, b'payload')
        changed = token[:40] + ('A' if token[40] != 'A' else 'B') + token[41:]
        for bad in (changed, token[:-4], 'not a token', 'é'):
            e = self.assertRaises(
                exceptions.MigrateError, key.decrypt, bad, self.ID
            )
            self.assertIn('another key, or the value was changed', e.problem)

    def test_token_of_another_secret(self):
        key = _payload_key.load_key(self.make_key_file())
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
            argparse.ArgumentTypeError, _payload_key.load_key, missing
        )
        self.assertEqual(
            '%s: cannot read: No such file or directory' % missing, str(e)
        )
        for text in ('', 'too short', 'a' * 44, 'x' * 5000):
            path = self.make_key_file(text)
            e = self.assertRaises(
                argparse.ArgumentTypeError, _payload_key.load_key, path
            )
            self.assertEqual(
                '%s: not a Fernet key (32 url-safe base64-encoded bytes on '
                'one line); make one with: %s' % (path, _payload_key.MAKE_KEY),
                str(e),
            )
        directory = self.useFixture(fixtures.TempDir()).path
        e = self.assertRaises(
            argparse.ArgumentTypeError, _payload_key.load_key, directory
        )
        self.assertEqual('%s: cannot read: Is a directory' % directory, str(e))

    def test_a_key_others_may_read_is_taken_with_a_warning(self):
        path = self.make_key_file(mode=0o644)
        with self.assertLogs(_payload_key.LOG.name, 'WARNING') as logs:
            key = _payload_key.load_key(path)
        self.assertEqual(
            [
                'WARNING:%s:%s: others than its owner may read this key '
                '(mode 644): chmod 600 it' % (_payload_key.LOG.name, path)
            ],
            logs.output,
        )
        self.assertEqual('<payload key of %s>' % path, repr(key))
