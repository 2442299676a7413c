#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

"""The copy of a share's files: names, the plan, the journal."""

import os
import shutil
import tempfile

from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient.transfer import share_files as sf

F = sf.Node('file', 0o644, 5, 100)
D = sf.Node('dir', 0o755, 4096, 7)
L = sf.Node('link', 0o777, 3, 9, '../a')


class TestNames(base.BaseTestCase):
    def test_plain_names_pass(self):
        for name in ('a', '.hidden', 'a b', '..x', 'é'):
            self.assertEqual(name, sf.check_name(name, 'share s', 'd'))

    def test_unsafe_names_fail(self):
        for name in ('', '.', '..', 'a/b', 'a\0b'):
            e = self.assertRaises(
                exceptions.MigrateError, sf.check_name, name, 'share s', 'd'
            )
            self.assertIn("share s: the directory 'd' holds an unsafe", str(e))

    def test_join(self):
        self.assertEqual('a', sf.join('', 'a'))
        self.assertEqual('a/b', sf.join('a', 'b'))


class TestPlan(base.BaseTestCase):
    def test_new_tree_copies_everything(self):
        src = {'d': D, 'd/f': F, 'l': L, 'fifo': sf.Node('other', 0, 0, 0)}
        p = sf.plan(src, {}, {})
        self.assertEqual(
            (['d'], ['d/f'], [], [], ['l'], [], [], ['fifo']), tuple(p)
        )

    def test_journalled_file_is_left_alone(self):
        p = sf.plan({'f': F}, {'f': F}, {'f': [5, 100]})
        self.assertEqual((['f'], []), (p.unchanged, p.files + p.compare))

    def test_same_size_and_mtime_without_record_is_compared(self):
        p = sf.plan({'f': F}, {'f': F}, {'f': [5, 99]})
        self.assertEqual((['f'], [], []), (p.compare, p.files, p.unchanged))

    def test_other_size_or_mtime_is_copied(self):
        for dst in (F._replace(size=4), F._replace(mtime_us=1)):
            p = sf.plan({'f': F}, {'f': dst}, {'f': [5, 100]})
            self.assertEqual((['f'], []), (p.files, p.unchanged))

    def test_mode_only(self):
        p = sf.plan({'f': F}, {'f': F._replace(mode=0o600)}, {'f': [5, 100]})
        self.assertEqual((['f'], ['f']), (p.unchanged, p.chmod))

    def test_links_by_target(self):
        self.assertEqual([], sf.plan({'l': L}, {'l': L}, {}).links)
        other = L._replace(target='b')
        self.assertEqual(['l'], sf.plan({'l': L}, {'l': other}, {}).links)
        self.assertEqual(['l'], sf.plan({'l': L}, {'l': F}, {}).links)

    def test_dir_against_file_is_a_conflict(self):
        p = sf.plan({'x': D, 'y': F}, {'x': F, 'y': D}, {})
        self.assertEqual(
            [
                ('x', 'a dir in the source, a file here'),
                ('y', 'a file in the source, a dir here'),
            ],
            p.conflicts,
        )
        self.assertEqual(([], []), (p.dirs, p.files))

    def test_existing_dir_is_left_alone(self):
        p = sf.plan({'d': D}, {'d': D._replace(mode=0o700)}, {})
        self.assertEqual(([], []), (p.dirs, p.chmod))


class TestDigest(base.BaseTestCase):
    def test_digest_follows_the_listing(self):
        tree = {'a': F, 'b': L}
        self.assertEqual(sf.tree_digest(tree), sf.tree_digest(dict(tree)))
        self.assertNotEqual(
            sf.tree_digest(tree),
            sf.tree_digest({'a': F._replace(mtime_us=101), 'b': L}),
        )


class TestJournal(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)

    def test_records_then_tree(self):
        j = sf.Journal(self.dir, 'abc-1')
        self.assertEqual({'files': {}, 'tree': ''}, j.read())
        j.verified('a', F)
        j.flush()
        self.assertEqual(
            {'share': 'abc-1', 'tree': '', 'files': {'a': [5, 100]}},
            sf.Journal(self.dir, 'abc-1').read(),
        )
        j.flush('d1')
        path = os.path.join(self.dir, 'share_files', 'abc-1.yml')
        self.assertEqual(0o600, os.stat(path).st_mode & 0o777)
        self.assertEqual('d1', j.read()['tree'])

    def test_unsafe_share_id_fails(self):
        self.assertRaises(
            exceptions.DataFileError, sf.Journal, self.dir, '../x'
        )

    def test_hostile_file_fails_clearly(self):
        os.makedirs(os.path.join(self.dir, 'share_files'))
        with open(os.path.join(self.dir, 'share_files', 's.yml'), 'w') as f:
            f.write('share: s\ntree: x\nfiles: {a: [1, "two"]}\n')
        self.assertRaises(
            exceptions.DataFileError, sf.Journal(self.dir, 's').read
        )
