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


from openstack import exceptions as sdk_exceptions
from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient.resources import _barbican
from osmigrateclient.resources import refs
from osmigrateclient.resources import secret
from osmigrateclient.resources import secret_container
from tests.unit import fakes
from tests.unit.resources import barbican_fakes
from tests.unit.resources.barbican_fakes import PASSPHRASE


class TestCheck(base.BaseTestCase):
    def test_check_refuses_an_id_that_is_no_uuid(self):
        res = secret.RESOURCE()
        for bad in ('../../etc/passwd', 'http://evil/x', 'id-1'):
            e = self.assertRaises(
                exceptions.DataFileError,
                res.check,
                barbican_fakes.secret_entry(id=bad),
                'secrets.yml',
                0,
            )
            self.assertEqual(
                "secrets.yml: resource 0 (openstack.key_manager.Secret 's'): "
                'field _info.id: must be a Barbican id (a UUID), not %r' % bad,
                str(e),
            )


class TestAclExport(barbican_fakes.SecretTestCase):
    def test_acl_users_left_out_when_users_cannot_be_listed(self):
        self.src.add_secret('s', b'x', 'text/plain', acl=(True, ['u1']))
        self.src.add_secret('t', b'y', 'text/plain', acl=(True, ['u2']))
        self.src.fail(
            'identity.users',
            sdk_exceptions.ForbiddenException('identity:list_users'),
        )
        with self.assertLogs(_barbican.LOG.name, 'WARNING') as logs:
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
                % (_barbican.LOG.name, name)
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


class TestAclImport(barbican_fakes.SecretTestCase):
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


class TestRunState(base.BaseTestCase):
    def test_per_run_and_per_type(self):
        # One type object serves the process: what a run remembers lives
        # with the run's Lookup.
        res = secret.RESOURCE()
        a = refs.Lookup(fakes.FakeConnection())
        b = refs.Lookup(fakes.FakeConnection())
        self.assertIs(res.run_state(a), res.run_state(a))
        self.assertIsNot(res.run_state(a), res.run_state(b))
        self.assertIsNot(
            res.run_state(a), secret_container.RESOURCE().run_state(a)
        )
        # nothing of a run on the type object
        self.assertEqual({}, vars(res))
