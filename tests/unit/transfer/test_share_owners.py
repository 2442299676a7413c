#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

"""The owners of a share's files: who owns a node, and the remark on
those kept at the server's default (the copy that sets owners is tested
with the copy, in test_share_files)."""

from oslotest import base

from osmigrateclient.transfer import nfs
from osmigrateclient.transfer import share_owners
from osmigrateclient.transfer import share_tree

F = share_tree.Node('file', 0o644, 5, 100)
OWN = F._replace(uid=1001, gid=1002)


class TestOwnerOf(base.BaseTestCase):
    def test_owner_of(self):
        self.assertEqual((1001, 1002), share_owners.owner_of(OWN))
        self.assertEqual(
            (0, 0), share_owners.owner_of(OWN._replace(uid=0, gid=0))
        )
        self.assertIsNone(share_owners.owner_of(F))
        self.assertIsNone(share_owners.owner_of(OWN._replace(uid=nfs.NOBODY)))


class TestRemark(base.BaseTestCase):
    def test_none(self):
        self.assertEqual('', share_owners.owners_remark([], []))

    def test_refused(self):
        self.assertEqual(
            "2 entrie(s) kept the server's default owner (the server "
            "refused to change it), first 'a/b'",
            share_owners.owners_remark([], ['c', 'a/b']),
        )

    def test_both(self):
        self.assertEqual(
            "3 entrie(s) kept the server's default owner (the server "
            "refused to change it; libnfs 4.0 cannot change an existing "
            "directory's), first 'a'",
            share_owners.owners_remark(['d', 'a'], ['c']),
        )
