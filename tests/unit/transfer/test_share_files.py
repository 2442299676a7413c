#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

"""The copy of a share's files: names, the plan, the journal, and the
copy itself between two exports kept in memory."""

import contextlib
import os
import shutil
import stat
import tempfile

from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient.transfer import nfs
from osmigrateclient.transfer import share_files as sf
from osmigrateclient.transfer import share_owners
from osmigrateclient.transfer import share_tree

F = share_tree.Node('file', 0o644, 5, 100)
D = share_tree.Node('dir', 0o755, 4096, 7)
L = share_tree.Node('link', 0o777, 3, 9, '../a')
#: a file of uid 1001, gid 1002, of two names (inode 7)
OWN = F._replace(uid=1001, gid=1002)
H = OWN._replace(ino=7, nlink=2)


class TestPlan(base.BaseTestCase):
    def test_new_tree_copies_everything(self):
        src = {
            'd': D,
            'd/f': F,
            'l': L,
            'fifo': share_tree.Node('other', 0, 0, 0),
        }
        p = sf.plan(src, {}, {})
        self.assertEqual(
            (['d'], ['d/f'], [], [], ['l'], [], [], ['fifo'], [], [], []),
            tuple(p),
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

    def test_owner_only(self):
        p = sf.plan({'f': OWN}, {'f': F}, {'f': [5, 100]})
        self.assertEqual((['f'], ['f'], []), (p.unchanged, p.chown, p.chmod))
        p = sf.plan({'f': OWN}, {'f': OWN}, {'f': [5, 100]})
        self.assertEqual((['f'], []), (p.unchanged, p.chown))

    def test_unknown_owner_is_not_compared(self):
        # (root's: the server names it, libnfs reports NOBODY)
        for dst in (OWN, OWN._replace(uid=0, gid=0)):
            p = sf.plan({'f': F}, {'f': dst}, {'f': [5, 100]})
            self.assertEqual([], p.chown)
        half = OWN._replace(gid=nfs.NOBODY)
        self.assertEqual([], sf.plan({'f': half}, {'f': F}, {}).chown)

    def test_existing_dir_of_another_owner_is_kept(self):
        d = D._replace(uid=1001, gid=1002)
        p = sf.plan({'d': d, 'e': D}, {'d': D, 'e': D}, {})
        self.assertEqual((['d'], []), (p.owners_kept, p.dirs))
        p = sf.plan({'d': d}, {'d': d}, {})
        self.assertEqual([], p.owners_kept)
        # a new one is made with it
        p = sf.plan({'d': d}, {}, {})
        self.assertEqual((['d'], []), (p.dirs, p.owners_kept))

    def test_link_of_another_owner_is_made_again(self):
        mine = L._replace(uid=1001, gid=1002)
        self.assertEqual(['l'], sf.plan({'l': mine}, {'l': L}, {}).links)
        self.assertEqual([], sf.plan({'l': mine}, {'l': mine}, {}).links)

    def test_hard_links(self):
        tree = {
            'b': H,
            'a': H,
            'c': H._replace(ino=8),
            'd': F._replace(ino=7),
            'e': H._replace(ino=9),
            'f': H._replace(ino=9),
            'g': H._replace(ino=9),
        }
        # the first name of each inode, and a file of one name, are files
        self.assertEqual(
            {'b': 'a', 'f': 'e', 'g': 'e'}, share_tree.hard_links(tree)
        )

    def test_further_names_are_linked_not_copied(self):
        src = {'a': H, 'b': H}
        p = sf.plan(src, {}, {})
        self.assertEqual((['a'], ['b']), (p.files, p.hardlinks))
        # one inode in the destination too: unchanged, whatever its number
        there = {'a': H._replace(ino=50), 'b': H._replace(ino=50)}
        p = sf.plan(src, there, {'a': [5, 100]})
        self.assertEqual(
            (['a', 'b'], [], []), (p.unchanged, p.files, p.hardlinks)
        )
        # two files there: the second made a link again
        apart = {'a': OWN._replace(ino=50), 'b': OWN._replace(ino=51)}
        p = sf.plan(src, apart, {'a': [5, 100]})
        self.assertEqual((['a'], ['b']), (p.unchanged, p.hardlinks))


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

    def test_journal_of_the_earlier_version_is_read(self):
        # (its shape did not change: records of [size, mtime])
        os.makedirs(os.path.join(self.dir, 'share_files'))
        with open(os.path.join(self.dir, 'share_files', 's.yml'), 'w') as f:
            f.write("share: s\ntree: '0f1e'\nfiles: {a: [5, 100]}\n")
        self.assertEqual(
            {'share': 's', 'tree': '0f1e', 'files': {'a': [5, 100]}},
            sf.Journal(self.dir, 's').read(),
        )

    def test_hostile_file_fails_clearly(self):
        os.makedirs(os.path.join(self.dir, 'share_files'))
        with open(os.path.join(self.dir, 'share_files', 's.yml'), 'w') as f:
            f.write('share: s\ntree: x\nfiles: {a: [1, "two"]}\n')
        self.assertRaises(
            exceptions.DataFileError, sf.Journal(self.dir, 's').read
        )


class Inode:
    def __init__(self, ino, kind, mode, uid, gid, data=b'', target=''):
        self.ino, self.kind, self.mode = ino, kind, mode
        self.uid, self.gid = uid, gid
        self.data, self.target = bytearray(data), target
        self.mtime_ns = 0


class FakeFS:
    """An export in memory: path -> inode (one inode for hard links).
    ``squash``: a root-squashing server (chown and moves refused, what
    root makes owned by nobody)."""

    KINDS = {'file': stat.S_IFREG, 'dir': stat.S_IFDIR, 'link': stat.S_IFLNK}

    def __init__(self, squash=False):
        self.paths = {}
        self.squash = squash
        self.next_ino = 100
        #: (operation, path) of every change
        self.writes = []

    def add(self, path, kind, mode=0o644, owner=(0, 0), data=b'', target=''):
        self.next_ino += 1
        node = Inode(self.next_ino, kind, mode, *owner, data, target)
        node.mtime_ns = 1_600_000_000 * 10**9
        self.paths[path] = node
        return node

    def nlink(self, node):
        return sum(1 for n in self.paths.values() if n is node)


class FakeExport:
    def __init__(self, fs, label='share s'):
        self.fs, self.label = fs, label
        self.creds = (0, 0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        pass

    def _get(self, path):
        if path not in self.fs.paths:
            raise nfs.NotFound('%s: %r' % (self.label, path))
        return self.fs.paths[path]

    def _write(self, op, path):
        self.fs.writes.append((op, path))

    def _new(self, path, kind, mode, target=''):
        if path in self.fs.paths:
            raise exceptions.MigrateError('%r exists' % path)
        owner = self.creds
        if self.fs.squash and owner == (0, 0):
            owner = (nfs.NOBODY, nfs.NOBODY)
        self.fs.add(path, kind, mode, owner, target=target)

    # reading
    def listdir(self, parent):
        prefix = parent + '/' if parent else ''
        return [
            p[len(prefix) :]
            for p in self.fs.paths
            if p.startswith(prefix) and '/' not in p[len(prefix) :]
        ]

    def lstat(self, path):
        n = self._get(path)
        uid, gid = (
            (nfs.NOBODY, nfs.NOBODY)
            if (n.uid, n.gid) == (0, 0)
            else (n.uid, n.gid)
        )
        size = len(n.data) if n.kind == 'file' else len(n.target)
        mode = self.fs.KINDS[n.kind] | n.mode
        return nfs.Stat(
            mode, size, n.mtime_ns, uid, gid, n.ino, self.fs.nlink(n)
        )

    def readlink(self, path):
        return self._get(path).target

    def chunks(self, path):
        data = bytes(self._get(path).data)
        for i in range(0, len(data), 4):
            yield data[i : i + 4]

    # writing
    def create(self, path, mode):
        self.fs.paths.pop(path, None)
        self._new(path, 'file', mode)
        self._write('create', path)
        return path

    def pwrite(self, fh, offset, data, path):
        self._get(fh).data[offset : offset + len(data)] = data
        self._write('write', path)

    def close_file(self, fh, path):
        pass

    def mkdir(self, path, mode):
        self._new(path, 'dir', mode)
        self._write('mkdir', path)

    def symlink(self, target, path):
        self._new(path, 'link', 0o777, target)
        self._write('symlink', path)

    def chmod(self, path, mode):
        self._get(path).mode = mode
        self._write('chmod', path)

    def chown(self, path, uid, gid):
        assert self._get(path).kind == 'file', path
        if self.fs.squash:
            raise nfs.NotPermitted('%s: chown %r' % (self.label, path))
        n = self._get(path)
        n.uid, n.gid = uid, gid
        n.mode &= ~0o6000
        self._write('chown', path)

    def utimes(self, path, mtime_ns):
        self._get(path).mtime_ns = mtime_ns
        self._write('utimes', path)

    def unlink(self, path):
        assert self._get(path).kind != 'dir'
        del self.fs.paths[path]
        self._write('unlink', path)

    def rmdir(self, path):
        assert not self.listdir(path)
        self._get(path)
        del self.fs.paths[path]
        self._write('rmdir', path)

    def link(self, existing, path):
        self.fs.paths[path] = self._get(existing)
        self._write('link', path)

    def rename(self, old, new):
        if self.fs.squash:
            raise nfs.NotPermitted('%s: rename %r' % (self.label, old))
        for p in sorted(self.fs.paths):
            if p == old or p.startswith(old + '/'):
                self.fs.paths[new + p[len(old) :]] = self.fs.paths.pop(p)
        self._write('rename', new)

    @contextlib.contextmanager
    def as_user(self, uid, gid):
        self.creds = (uid, gid)
        try:
            yield
        finally:
            self.creds = (0, 0)


class TestCopy(base.BaseTestCase):
    """copy_tree between two exports in memory."""

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)
        src = self.src = FakeFS()
        src.add('top', 'file', 0o640, data=b'hello')
        src.add('pub', 'dir', 0o1777)
        src.add('pub/home', 'dir', 0o750, (1001, 1002))
        src.add('pub/home/own', 'file', 0o4750, (1001, 1002), b'mine')
        src.add('pub/home/link', 'link', owner=(1001, 1002), target='own')
        src.paths['pub/hard'] = src.paths['pub/home/own']
        self.dst = FakeFS()

    def copy(self, dst=None):
        dst = dst or self.dst
        tree = share_tree.walk(FakeExport(self.src), 'source')
        return sf.copy_tree(
            lambda: FakeExport(self.src),
            lambda: FakeExport(dst),
            tree,
            sf.Journal(self.dir, 'abc-1'),
            2,
            'share s',
        )

    def owners(self, fs):
        return {
            p: (n.uid, n.gid)
            for p, n in sorted(fs.paths.items())
            if (n.uid, n.gid) != (0, 0)
        }

    def test_owners_and_hard_links_then_nothing(self):
        result = self.copy()
        self.assertEqual(sf.Result(2, 9, 0, 2, 1, 0, 1, ''), result)
        self.assertEqual(
            {
                'pub/hard': (1001, 1002),
                'pub/home': (1001, 1002),
                'pub/home/link': (1001, 1002),
                'pub/home/own': (1001, 1002),
            },
            self.owners(self.dst),
        )
        self.assertIs(
            self.dst.paths['pub/hard'], self.dst.paths['pub/home/own']
        )
        own = self.dst.paths['pub/hard']
        # the setuid bit set after the chown that clears it
        self.assertEqual((0o4750, b'mine'), (own.mode, bytes(own.data)))
        self.assertEqual(
            sorted(self.src.paths),
            sorted(self.dst.paths),
        )
        # made with the owner's credentials, then moved in place
        self.assertEqual(
            [('rename', 'pub/home'), ('rename', 'pub/home/link')],
            [w for w in self.dst.writes if w[0] == 'rename'],
        )
        self.assertEqual(
            [('link', 'pub/home/own')],
            [w for w in self.dst.writes if w[0] == 'link'],
        )
        del self.dst.writes[:]
        result = self.copy()
        self.assertEqual(sf.Result(0, 0, 3, 0, 0, 0, 0, ''), result)
        self.assertEqual([], self.dst.writes)

    def test_a_killed_runs_staging_is_removed(self):
        stale = share_owners.STAGING % ('ab' * 16)
        self.dst.add(stale, 'dir', 0o1777)
        self.dst.add(stale + '/d', 'dir', 0o750, (1001, 1002))
        self.dst.add(stale + '/d/l', 'link', owner=(1001, 1002), target='x')
        self.dst.add('.osmigrate-staging-mine', 'dir', 0o755)
        self.copy()
        self.assertEqual(
            sorted([*self.src.paths, '.osmigrate-staging-mine']),
            sorted(self.dst.paths),
        )

    def test_owner_fixed_alone(self):
        self.copy()
        self.dst.paths['pub/hard'].uid = 3003
        del self.dst.writes[:]
        self.assertEqual(sf.Result(0, 0, 3, 0, 0, 0, 0, ''), self.copy())
        self.assertEqual(
            [('chown', 'pub/hard'), ('chmod', 'pub/hard')], self.dst.writes
        )
        self.assertEqual((1001, 1002), self.owners(self.dst)['pub/hard'])

    def test_two_files_made_one_again(self):
        self.copy()
        self.dst.paths['pub/home/own'] = Inode(
            999, 'file', 0o4750, 1001, 1002, b'mine'
        )
        self.dst.paths['pub/home/own'].mtime_ns = self.dst.paths[
            'pub/hard'
        ].mtime_ns
        del self.dst.writes[:]
        self.assertEqual(sf.Result(0, 0, 2, 0, 0, 0, 1, ''), self.copy())
        self.assertEqual(
            [('unlink', 'pub/home/own'), ('link', 'pub/home/own')],
            self.dst.writes,
        )
        self.assertIs(
            self.dst.paths['pub/hard'], self.dst.paths['pub/home/own']
        )

    def test_first_name_sent_again_takes_the_others(self):
        self.copy()
        # the first name of another size: sent again (a new inode), and
        # its further name follows
        del self.dst.paths['pub/hard'].data[2:]
        self.assertEqual(sf.Result(1, 4, 1, 0, 0, 0, 1, ''), self.copy())
        self.assertIs(
            self.dst.paths['pub/hard'], self.dst.paths['pub/home/own']
        )
        self.assertEqual(b'mine', bytes(self.dst.paths['pub/hard'].data))

    def test_squashing_server_keeps_its_owner(self):
        dst = FakeFS(squash=True)
        result = self.copy(dst)
        self.assertEqual(
            sf.Result(
                2,
                9,
                0,
                2,
                1,
                0,
                1,
                "3 entrie(s) kept the server's default owner (the server "
                "refused to change it), first 'pub/hard'",
            ),
            result,
        )
        self.assertEqual(sorted(self.src.paths), sorted(dst.paths))
        self.assertEqual(
            {(nfs.NOBODY, nfs.NOBODY)},
            {(n.uid, n.gid) for n in dst.paths.values()},
        )

    def test_existing_dir_of_another_owner(self):
        self.dst.add('pub', 'dir', 0o1777)
        self.dst.add('pub/home', 'dir', 0o750, (5, 5))
        result = self.copy()
        self.assertEqual(
            "1 entrie(s) kept the server's default owner (libnfs 4.0 "
            "cannot change an existing directory's), first 'pub/home'",
            result.owners,
        )
        self.assertEqual((5, 5), self.owners(self.dst)['pub/home'])
