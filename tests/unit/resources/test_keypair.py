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


"""Keypairs: the caller's or every user's; a different key is a conflict."""

from openstack import exceptions as sdk_exceptions
from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient.resources import keypair
from osmigrateclient.resources import refs
from tests.unit import fakes

KEY = (
    'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyFakeKeyFakeKeyFakeKeyFake0 me'
)
OTHER = (
    'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtherOtherOtherOtherOtherOther0 me'
)


class Options:
    def __init__(self, all_users=False):
        self.all_users = all_users


def cloud(user_id='me'):
    conn = fakes.FakeConnection(user_id=user_id)
    conn.add('domain', id='default', name='Default')
    conn.add('user', id='u-bob', name='bob', domain_id='default')
    conn.add('user', id=user_id, name='me', domain_id='default')

    def get_keypair(name, user_id=None):
        for k in conn.store.get('keypair', []):
            if k.name == name and (k.user_id or conn.current_user_id) == (
                user_id or conn.current_user_id
            ):
                return k
        raise sdk_exceptions.NotFoundException('no keypair %s' % name)

    conn._api_get_keypair = get_keypair
    return conn


class TestKeypair(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.src = cloud('me-src')
        self.dst = cloud('me-dst')
        self.res = keypair.RESOURCE()

    def test_export_own(self):
        self.src.add('keypair', name='k1', public_key=KEY, fingerprint='f')
        [entry] = self.res.export(
            refs.Lookup(self.src, options=Options()), lambda name: True
        )
        self.assertEqual(
            {
                'name': 'k1',
                'public_key': KEY,
                'type': 'ssh',
                'user_ref': {
                    'name': '%auth%',
                    'project_name': None,
                    'domain_name': '%auth%',
                },
            },
            entry['params'],
        )
        self.assertEqual('me-src', entry['_info']['user_id'])
        self.assertEqual(
            'openstack.compute.Keypair:k1:%auth%:%auth%',
            self.res.import_identity(entry),
        )

    def test_export_all_users(self):
        self.src.add('keypair', name='k1', public_key=KEY, user_id='u-bob')
        self.src.add('keypair', name='k1', public_key=OTHER, user_id='me-src')
        lookup = refs.Lookup(self.src, options=Options(all_users=True))
        entries = self.res.export(lookup, lambda name: True)
        self.assertEqual(
            [
                ('k1', '%auth%', '%auth%', 'me-src', OTHER),
                ('k1', 'bob', 'Default', 'u-bob', KEY),
            ],
            [
                (
                    e['params']['name'],
                    e['params']['user_ref']['name'],
                    e['params']['user_ref']['domain_name'],
                    e['_info']['user_id'],
                    e['params']['public_key'],
                )
                for e in entries
            ],
        )
        self.assertNotEqual(
            self.res.export_key(entries[0]), self.res.export_key(entries[1])
        )
        self.assertEqual('k1 (user bob)', self.res.label_of(entries[1]))

    def test_all_users_needs_admin(self):
        self.src.fail(
            'identity.users', sdk_exceptions.ForbiddenException('forbidden')
        )
        lookup = refs.Lookup(self.src, options=Options(all_users=True))
        e = self.assertRaises(
            exceptions.MigrateError, self.res.export, lookup, lambda name: True
        )
        self.assertIn('--all-users needs admin rights', str(e))

    def entry(self, user_ref=None, key=KEY):
        params = {'name': 'k1', 'public_key': key, 'type': 'ssh'}
        params['user_ref'] = user_ref or dict(keypair.AUTH_USER)
        return {
            'type': keypair.Keypair.type,
            'params': params,
            '_info': {'id': 'k1'},
            '_migration_params': {},
        }

    def test_import_own_then_unchanged(self):
        lookup = refs.Lookup(self.dst)
        self.assertEqual(
            'created', self.res.apply(lookup, self.entry()).action
        )
        [(_, kwargs)] = self.dst.calls_to('compute.create_keypair')
        self.assertEqual(
            {'name': 'k1', 'public_key': KEY, 'type': 'ssh'}, kwargs
        )
        again = self.res.apply(refs.Lookup(self.dst), self.entry())
        self.assertEqual('unchanged', again.action)
        # Another comment is the same key.
        comment = self.entry(key=KEY.replace(' me', ' other comment'))
        self.assertEqual(
            'unchanged', self.res.apply(refs.Lookup(self.dst), comment).action
        )

    def test_import_for_user(self):
        ref = refs.make_ref('bob', None, 'Default')
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry(ref))
        self.assertEqual(('k1 (user bob)', 'created'), outcome[1:3])
        [(_, kwargs)] = self.dst.calls_to('compute.create_keypair')
        self.assertEqual('u-bob', kwargs['user_id'])
        [(args, kwargs)] = self.dst.calls_to('compute.get_keypair')
        self.assertEqual((('k1',), {'user_id': 'u-bob'}), (args, kwargs))

    def test_unknown_user_blocks(self):
        ref = refs.make_ref('carol', None, 'Default')
        decision = self.res.decide(refs.Lookup(self.dst), self.entry(ref))
        self.assertEqual(
            ('blocked', "user_ref: user 'carol' not found"), decision[:2]
        )

    def test_other_key_is_a_conflict(self):
        self.dst.add('keypair', name='k1', public_key=OTHER, fingerprint='ab')
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry())
        self.assertEqual('conflict', outcome.action)
        self.assertEqual(
            'field public_key: the destination already has a keypair of '
            'this name with another key (fingerprint ab; the file\'s key '
            'has fingerprint %s); keypairs cannot be changed: delete or '
            'rename one of them' % keypair.fingerprint(KEY),
            outcome.detail,
        )
        self.assertEqual([], self.dst.write_calls())

    def test_fingerprint(self):
        # As ``ssh-keygen -l -E md5`` and Nova say.
        key = (
            'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF0Mcwzotr7I7RQMufjBIWvqs4P'
            'KIO5g3IktNC+K3JSO me'
        )
        self.assertEqual(
            'f6:91:18:04:6b:f6:a5:be:5b:a5:40:7e:e0:94:02:b6',
            keypair.fingerprint(key),
        )
        self.assertEqual('?', keypair.fingerprint('garbage'))
        self.assertEqual('?', keypair.fingerprint('ssh-rsa !!!'))
