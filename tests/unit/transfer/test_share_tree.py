#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

"""The tree of a share: names, entries and the digest of a listing."""

from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient.transfer import nfs
from osmigrateclient.transfer import share_tree

F = share_tree.Node('file', 0o644, 5, 100)
L = share_tree.Node('link', 0o777, 3, 9, '../a')


class TestNames(base.BaseTestCase):
    def test_plain_names_pass(self):
        for name in ('a', '.hidden', 'a b', '..x', 'é'):
            self.assertEqual(name, share_tree.check_name(name, 'share s', 'd'))

    def test_unsafe_names_fail(self):
        for name in ('', '.', '..', 'a/b', 'a\0b'):
            e = self.assertRaises(
                exceptions.MigrateError,
                share_tree.check_name,
                name,
                'share s',
                'd',
            )
            self.assertIn("share s: the directory 'd' holds an unsafe", str(e))

    def test_join(self):
        self.assertEqual('a', share_tree.join('', 'a'))
        self.assertEqual('a/b', share_tree.join('a', 'b'))


class TestNodes(base.BaseTestCase):
    def test_node_of_a_stat(self):
        st = nfs.Stat(0o104755, 3, 1_500_000_123_456_789, 1001, 1002, 42, 2)
        self.assertEqual(
            share_tree.Node(
                'file', 0o4755, 3, 1_500_000_123_456, '', 1001, 1002, 42, 2
            ),
            share_tree.node_of(st),
        )


class TestDigest(base.BaseTestCase):
    def test_digest_follows_the_listing(self):
        tree = {'a': F, 'b': L}
        self.assertEqual(
            share_tree.tree_digest(tree), share_tree.tree_digest(dict(tree))
        )
        for other in (
            F._replace(mtime_us=101),
            F._replace(uid=1001),
            F._replace(gid=1001),
            F._replace(ino=1, nlink=2),
        ):
            self.assertNotEqual(
                share_tree.tree_digest(tree),
                share_tree.tree_digest({'a': other, 'b': L}),
            )
