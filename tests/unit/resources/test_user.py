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


"""Users: no passwords exported, --password-file for new users, masked logs."""

import argparse
import logging
import os
import tempfile

from oslotest import base

from osmigrateclient.resources import refs
from osmigrateclient.resources import user
from tests.unit import fakes


def cloud():
    conn = fakes.FakeConnection(project_id='p-admin', roles=['admin'])
    conn.add('domain', id='default', name='Default')
    conn.add('project', id='p1', name='proj', domain_id='default')
    return conn


class Options:
    def __init__(self, passwords=None):
        self.password_file = passwords


class TestUser(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.src = cloud()
        self.dst = cloud()
        self.res = user.RESOURCE()
        self.src.add(
            'user',
            id='u1',
            name='alice',
            domain_id='default',
            default_project_id='p1',
            email='a@example.org',
            description='A',
            is_enabled=True,
            password='never-seen',
        )
        [self.entry] = self.res.export(
            refs.Lookup(self.src), lambda name: True
        )

    def test_export(self):
        self.assertEqual('openstack.user.User', self.entry['type'])
        self.assertEqual(
            {
                'description': 'A',
                'email': 'a@example.org',
                'is_enabled': True,
                'name': 'alice',
                'domain_ref': refs.make_ref('Default'),
                'default_project_ref': refs.make_ref('proj', None, 'Default'),
            },
            self.entry['params'],
        )
        self.assertNotIn('never-seen', repr(self.entry))

    def test_create_without_password(self):
        lookup = refs.Lookup(self.dst, options=Options())
        outcome = self.res.apply(lookup, self.entry)
        self.assertEqual(
            (
                'created',
                'without a password (passwords are not migrated: see '
                '--password-file)',
            ),
            outcome[2:],
        )
        [(_, kwargs)] = self.dst.calls_to('identity.create_user')
        self.assertEqual(
            {
                'description': 'A',
                'email': 'a@example.org',
                'is_enabled': True,
                'name': 'alice',
                'domain_id': 'default',
                'default_project_id': 'p1',
            },
            kwargs,
        )
        again = self.res.apply(refs.Lookup(self.dst), self.entry)
        self.assertEqual(('unchanged', ''), again[2:])

    def test_create_with_password(self):
        passwords = user.Passwords(alice='s3cret')
        lookup = refs.Lookup(self.dst, options=Options(passwords))
        decision = self.res.decide(lookup, self.entry)
        self.assertEqual(
            ('create', 'initial password from --password-file'), decision[:2]
        )
        outcome = self.res.apply(lookup, self.entry)
        self.assertEqual('created', outcome.action)
        self.assertNotIn('s3cret', repr(outcome))
        [(_, kwargs)] = self.dst.calls_to('identity.create_user')
        self.assertEqual('s3cret', kwargs['password'])

    def test_existing_user_password_untouched(self):
        self.dst.add(
            'user',
            name='alice',
            domain_id='default',
            default_project_id='p1',
            email='old@example.org',
            description='A',
            is_enabled=True,
        )
        lookup = refs.Lookup(self.dst, options=Options({'alice': 'x'}))
        outcome = self.res.apply(lookup, self.entry)
        self.assertEqual(('updated', 'email'), outcome[2:])
        [(_, kwargs)] = self.dst.calls_to('identity.update_user')
        self.assertEqual({'email': 'a@example.org'}, kwargs)

    def test_other_domain_is_another_user(self):
        self.dst.add('domain', id='d2', name='Other')
        self.dst.add('user', name='alice', domain_id='d2')
        decision = self.res.decide(refs.Lookup(self.dst), self.entry)
        self.assertEqual('create', decision.action)


class TestPasswordFile(base.BaseTestCase):
    def write(self, text):
        fd, path = tempfile.mkstemp()
        self.addCleanup(os.unlink, path)
        with os.fdopen(fd, 'w') as f:
            f.write(text)
        return path

    def test_yaml_and_json(self):
        self.assertEqual(
            {'a': 'x y', 'b': '1'},
            user.load_passwords(self.write('a: x y\nb: "1"\n')),
        )
        loaded = user.load_passwords(self.write('{"a": "p"}'))
        self.assertEqual({'a': 'p'}, loaded)
        self.assertEqual('<passwords of 1 users>', repr(loaded))

    def test_errors_never_show_passwords(self):
        cases = [
            ('- a\n- b\n', 'must be a mapping of user names to passwords'),
            ('a: 1\nb: ""\nc: ok\n', "the password of 'a', 'b' must be"),
            ('a: "unclosed secret\n', 'not valid YAML or JSON'),
        ]
        for text, message in cases:
            path = self.write(text)
            e = self.assertRaises(
                argparse.ArgumentTypeError, user.load_passwords, path
            )
            self.assertIn(message, str(e))
            self.assertTrue(str(e).startswith(path))
            self.assertNotIn('secret', str(e))
        e = self.assertRaises(
            argparse.ArgumentTypeError, user.load_passwords, '/no/such/file'
        )
        self.assertIn('/no/such/file: cannot read', str(e))


class TestMasked(base.BaseTestCase):
    def test_masked_in_every_handler(self):
        records = []

        class Keep(logging.Handler):
            def emit(self, record):
                records.append(self.format(record))

        handler = Keep()
        log = logging.getLogger('keystoneauth.session')
        log.addHandler(handler)
        self.addCleanup(log.removeHandler, handler)
        log.setLevel(logging.DEBUG)
        self.addCleanup(log.setLevel, logging.NOTSET)
        secret = 'p"w\\d'
        with user.masked(secret):
            log.debug('-d %s', '{"password": "p\\"w\\\\d"}')
            log.debug('raw %s', secret)
        log.debug('after %s', 'visible')
        self.assertEqual(
            ['-d {"password": "***"}', 'raw ***', 'after visible'], records
        )
        self.assertEqual([], handler.filters)
