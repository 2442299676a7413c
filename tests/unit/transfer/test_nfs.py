#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

"""The libnfs binding: export locations, the missing library, the calls
of an export."""

import errno
import os
from unittest import mock

import fixtures
from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient.transfer import nfs


class TestLocations(base.BaseTestCase):
    def test_url_of(self):
        self.assertEqual(
            'nfs://127.0.0.11/abc-1?version=4', nfs.url_of('127.0.0.11:/abc-1')
        )
        self.assertEqual(
            'nfs://[fd00::1]/a/b?version=4', nfs.url_of('[fd00::1]:/a/b')
        )

    def test_not_a_location(self):
        for bad in ('share', ':/x', 'h:/x?uid=0', '//h/x'):
            e = self.assertRaises(exceptions.MigrateError, nfs.url_of, bad)
            self.assertEqual('not an NFS export location: %r' % bad, str(e))

    def test_host_of(self):
        self.assertEqual('10.0.0.1', nfs.host_of('10.0.0.1:/x'))
        self.assertEqual('fd00::1', nfs.host_of('[fd00::1]:/x'))


class TestStat(base.BaseTestCase):
    def test_kinds(self):
        for mode, kind in (
            (0o100644, 'file'),
            (0o40755, 'dir'),
            (0o120777, 'link'),
            (0o10644, 'other'),
        ):
            self.assertEqual(kind, nfs.Stat(mode, 0, 0).kind)

    def test_owner_unknown_by_default(self):
        st = nfs.Stat(0o100644, 0, 0)
        self.assertEqual((65534, 65534, 0, 1), st[3:])


class TestCalls(base.BaseTestCase):
    """What an export asks of libnfs (a mount of nothing)."""

    def setUp(self):
        super().setUp()
        self.export = nfs.Export.__new__(nfs.Export)
        self.export.lib = self.lib = mock.Mock()
        self.export.label = "share 's'"
        self.export.ctx = 'ctx'
        self.lib.nfs_get_error.return_value = b'NFS4ERR_PERM'

    def test_declared(self):
        for name, argtypes in (
            ('nfs_chown', [nfs._P, nfs._S, nfs._I, nfs._I]),
            ('nfs_lchown', [nfs._P, nfs._S, nfs._I, nfs._I]),
            ('nfs_link', [nfs._P, nfs._S, nfs._S]),
            ('nfs_rename', [nfs._P, nfs._S, nfs._S]),
            ('nfs_set_uid', [nfs._P, nfs._I]),
            ('nfs_set_gid', [nfs._P, nfs._I]),
        ):
            self.assertEqual(argtypes, nfs._SIGNATURES[name][1], name)

    def test_chown_link_rename(self):
        self.lib.nfs_chown.return_value = 0
        self.lib.nfs_link.return_value = 0
        self.lib.nfs_rename.return_value = 0
        self.export.chown('a/b', 1001, 1002)
        self.export.link('a/b', 'c')
        self.export.rename('x', 'a/y')
        self.lib.nfs_chown.assert_called_once_with('ctx', b'/a/b', 1001, 1002)
        self.lib.nfs_link.assert_called_once_with('ctx', b'/a/b', b'/c')
        self.lib.nfs_rename.assert_called_once_with('ctx', b'/x', b'/a/y')

    def test_refusals_are_not_permitted(self):
        for rc in (-errno.EPERM, -errno.EACCES):
            self.lib.nfs_chown.return_value = rc
            e = self.assertRaises(
                nfs.NotPermitted, self.export.chown, 'f', 1, 2
            )
            self.assertEqual("share 's': chown 'f': NFS4ERR_PERM", str(e))
        self.lib.nfs_link.return_value = -errno.EEXIST
        e = self.assertRaises(
            exceptions.MigrateError, self.export.link, 'f', 'g'
        )
        self.assertNotIsInstance(e, nfs.NotPermitted)
        self.assertEqual(
            "share 's': make the hard link 'g': NFS4ERR_PERM", str(e)
        )

    def test_as_user_then_own_credentials(self):
        calls = []
        self.lib.nfs_set_uid.side_effect = lambda c, u: calls.append(('u', u))
        self.lib.nfs_set_gid.side_effect = lambda c, g: calls.append(('g', g))
        with self.export.as_user(1001, 1002):
            self.assertEqual([('u', 1001), ('g', 1002)], calls)
            del calls[:]
        self.assertEqual([('u', os.getuid()), ('g', os.getgid())], calls)
        del calls[:]
        try:
            with self.export.as_user(5, 6):
                raise ValueError('x')
        except ValueError:
            pass
        self.assertEqual(
            [('u', 5), ('g', 6), ('u', os.getuid()), ('g', os.getgid())],
            calls,
        )


class TestLibrary(base.BaseTestCase):
    def test_missing_library(self):
        self.useFixture(
            fixtures.MonkeyPatch('osmigrateclient.transfer.nfs._LIB', None)
        )
        with mock.patch.object(nfs.ctypes, 'CDLL', side_effect=OSError):
            with mock.patch.object(
                nfs.ctypes.util, 'find_library', return_value=None
            ):
                e = self.assertRaises(nfs.LibraryMissing, nfs.library)
        self.assertEqual(
            'libnfs is not installed (Debian/Ubuntu: libnfs13)', str(e)
        )
