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


"""Barbican secrets: the type's expiration, export, import, twins and
conflicts, and its options."""

import argparse
import base64
import datetime
import os

import fixtures
from openstack import exceptions as sdk_exceptions
from oslotest import base

from osmigrateclient import alltypes
from osmigrateclient import datafile
from osmigrateclient import resources
from osmigrateclient.resources import _sdk_classes as sdk_classes
from osmigrateclient.resources import refs
from osmigrateclient.resources import secret
from tests.unit import fakes
from tests.unit.resources import barbican_fakes
from tests.unit.resources.barbican_fakes import ENDPOINT
from tests.unit.resources.barbican_fakes import KEY_BYTES
from tests.unit.resources.barbican_fakes import options
from tests.unit.resources.barbican_fakes import response


class TestShapes(base.BaseTestCase):
    def test_expiration(self):
        res = secret.RESOURCE()
        entry = barbican_fakes.secret_entry()
        for good in (
            '2030-01-01T00:00:00',
            '2030-01-01T00:00:00Z',
            '2030-01-01T02:00:00+02:00',
            datetime.datetime(2030, 1, 1),
        ):
            entry['params']['expiration'] = good
            res.check(entry, 'secrets.yml', 0)
            self.assertEqual(
                datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC),
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
        link, params = sdk_classes.Secret._get_next_link(
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
            sdk_classes.SecretContainer._get_next_link(
                '/containers', response(200), {'total': 5}, 'm', 100, 5
            ),
        )


class TestExport(barbican_fakes.SecretTestCase):
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


class TestImport(barbican_fakes.SecretTestCase):
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
        alltypes.export([self.res], lookup, path, lambda name: True)
        outcomes = alltypes.import_(
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


class TestOptions(barbican_fakes.KeyTestCase):
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
