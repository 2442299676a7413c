#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

"""The libnfs binding: export locations, the missing library."""

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
