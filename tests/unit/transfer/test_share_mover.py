#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

"""The share mover: which export, whose access, and why not."""

import types

from oslotest import base

from osmigrateclient.transfer import share_mover as sm


def rule(to, level='rw', state='active', kind='ip'):
    return types.SimpleNamespace(
        access_type=kind, access_to=to, access_level=level, state=state
    )


def loc(path, admin=False, preferred=False):
    return types.SimpleNamespace(
        path=path, is_admin=admin, is_preferred=preferred
    )


class TestLetsIn(base.BaseTestCase):
    def test_address_and_networks(self):
        self.assertTrue(sm.lets_in([rule('127.0.0.1')], '127.0.0.1', 'rw'))
        self.assertTrue(sm.lets_in([rule('127.0.0.0/8')], '127.0.0.1', 'rw'))
        self.assertFalse(sm.lets_in([rule('10.0.0.0/8')], '127.0.0.1', 'ro'))

    def test_levels_states_and_types(self):
        ro = [rule('127.0.0.1', 'ro')]
        self.assertTrue(sm.lets_in(ro, '127.0.0.1', 'ro'))
        self.assertFalse(sm.lets_in(ro, '127.0.0.1', 'rw'))
        for r in (
            rule('127.0.0.1', state='queued_to_apply'),
            rule('127.0.0.1', kind='user'),
            rule('not-an-address'),
        ):
            self.assertFalse(sm.lets_in([r], '127.0.0.1', 'ro'))


class TestLocation(base.BaseTestCase):
    def test_preferred_user_location_first(self):
        self.assertEqual(
            'b:/x',
            sm.location_of(
                [loc('a:/x'), loc('b:/x', preferred=True), loc('c:/x', True)]
            ),
        )
        self.assertEqual('a:/x', sm.location_of([loc('a:/x'), loc('b:/x')]))
        self.assertIsNone(sm.location_of([loc('c:/x', admin=True)]))


class TestWhyNot(base.BaseTestCase):
    def lookup(self, src_cloud):
        return types.SimpleNamespace(
            option=lambda name: src_cloud if name == 'src_cloud' else None
        )

    def entry(self, proto):
        return {'params': {'share_protocol': proto}, '_info': {'id': 's1'}}

    def test_not_nfs(self):
        e = self.assertRaises(
            sm.NotCopied,
            sm.ShareMover()._source,
            self.lookup('src'),
            self.entry('CIFS'),
        )
        self.assertEqual(
            'a CIFS share: only the files of NFS shares are copied', str(e)
        )

    def test_no_source_cloud(self):
        e = self.assertRaises(
            sm.NotCopied,
            sm.ShareMover()._source,
            self.lookup(None),
            self.entry('NFS'),
        )
        self.assertEqual(
            'import with --src-cloud to copy them over NFS', str(e)
        )

    def test_copy_says_why_not(self):
        share = types.SimpleNamespace(name='web', id='d1')
        self.assertEqual(
            'metadata only: the files of the share are not copied (import '
            'with --src-cloud to copy them over NFS)',
            sm.ShareMover().copy(self.lookup(None), share, self.entry('nfs')),
        )
