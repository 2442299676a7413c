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
"""The copy of a share's files from one NFS export to another.

How the bytes flow (through the migrator, NFSv4 in userspace on both
sides: :mod:`~osmigrateclient.transfer.nfs`)::

    source export                    migrator                  destination
    (read only)                                                export
      walk: READDIR + LOOKUP --> the tree: paths, kinds,  <-- walk
                                 modes, sizes, mtimes,
                                 owners, inodes
                                 plan (what differs,
                                 the journal's word)
      READ 1 MiB --------------> SHA-256 while sending -----> WRITE (3 KiB
                                                              requests)
                                 SHA-256 of the bytes <------ READ back
                                 equal? then owner, mode, --> SETATTR
                                 mtime
                                 journal: path verified

Directories come first (made with the source's mode; an existing one
keeps its own), then the files,
``--parallel`` at a time (each worker mounts both exports: a libnfs
context serves one thread), then the further names of files with several
(hard links of the first name, in sorted order, whose bytes were sent),
then the symbolic links (made as they are, never followed).  The trees
are read by :mod:`~osmigrateclient.transfer.share_tree`; owners are given
by :mod:`~osmigrateclient.transfer.share_owners`.

A file is sent again only when it differs: the journal
(``share_files/<destination share id>.yml`` in the data directory) keeps,
for each path verified, the source's size and mtime it had; a
destination file of that size and mtime whose record matches the source's
is left alone without a read, and one of that size and mtime without a
record (a journal lost) is hashed on both sides and left alone when the
bytes are equal.  So an interrupted copy resumes with the files not yet
verified; a re-import of an unchanged tree (the digest of its listing is
the journal's ``tree``) does not even mount the destination.  Nothing in
the destination is ever deleted (but the staging directory, once
empty, and a killed run's); special files (devices, FIFOs, sockets)
are skipped and counted.  Every name read from the source is checked: no
empty name, ``.``, ``..``, ``/`` or NUL.
"""

import concurrent.futures
import hashlib
import logging
import os
import threading
import time
import typing as ty

from osmigrateclient import datadir
from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient import record
from osmigrateclient import shapes
from osmigrateclient.transfer import nfs
from osmigrateclient.transfer import share_owners
from osmigrateclient.transfer import share_tree

LOG = logging.getLogger(__name__)

#: seconds between two progress lines of a long copy
PROGRESS_EVERY = 10.0
#: verified files between two writes of the journal
JOURNAL_EVERY = 64
JOURNAL_SHAPE = {
    'share': datafile.STR,
    'tree': datafile.STR,
    'files': datafile.MapOf([datafile.NUMBER]),
}


class Plan(ty.NamedTuple):
    """What to do in the destination, by relative path."""

    dirs: list[str]
    files: list[str]
    #: same size and mtime, no journal record: hash both sides
    compare: list[str]
    unchanged: list[str]
    links: list[str]
    #: files whose mode only differs
    chmod: list[str]
    #: (path, why) that cannot be copied
    conflicts: list[tuple[str, str]]
    #: special files of the source
    skipped: list[str]
    #: files whose owner only differs
    chown: list[str]
    #: further names of a source inode to make as hard links of the first
    #: (:func:`share_tree.hard_links`), not yet one in the destination
    hardlinks: list[str]
    #: existing directories whose known owner the destination's lacks:
    #: libnfs 4.0 cannot change it (:meth:`nfs.Export.chown`)
    owners_kept: list[str]


class Result(ty.NamedTuple):
    files: int
    bytes: int
    unchanged: int
    dirs: int
    links: int
    skipped: int
    #: hard links made
    hardlinks: int = 0
    #: '' or why some entries kept the server's default owner
    owners: str = ''


def plan(
    src: dict[str, share_tree.Node],
    dst: dict[str, share_tree.Node],
    verified: dict[str, list[int]],
) -> Plan:
    """What makes ``dst`` hold ``src`` (nothing of ``dst`` removed);
    ``verified``: the journal's [size, mtime_us] of the source when each
    path was last verified."""
    p = Plan([], [], [], [], [], [], [], [], [], [], [])
    links_of = share_tree.hard_links(src)
    for path in sorted(src):
        s, d = src[path], dst.get(path)
        owner = share_owners.owner_of(s)
        if s.kind == 'other':
            p.skipped.append(path)
        elif d is not None and (s.kind == 'dir') != (d.kind == 'dir'):
            p.conflicts.append(
                (path, 'a %s in the source, a %s here' % (s.kind, d.kind))
            )
        elif s.kind == 'dir':
            # (an existing directory keeps its mode: libnfs 4.0 cannot
            # change a directory's over NFSv4)
            # (nor its owner: made with it, or kept)
            if d is None:
                p.dirs.append(path)
            elif owner is not None and share_owners.owner_of(d) != owner:
                p.owners_kept.append(path)
        elif s.kind == 'link':
            # (a link of another owner is made again: its owner cannot
            # change either)
            if (
                d is None
                or d.kind != 'link'
                or d.target != s.target
                or (owner is not None and share_owners.owner_of(d) != owner)
            ):
                p.links.append(path)
        elif path in links_of:
            # one inode with the first name's, or made so
            first = dst.get(links_of[path])
            if d is None or first is None or d.ino != first.ino:
                p.hardlinks.append(path)
            else:
                p.unchanged.append(path)
        elif (
            d is None
            or d.kind != 'file'
            or (d.size, d.mtime_us) != (s.size, s.mtime_us)
        ):
            p.files.append(path)
        else:
            if verified.get(path) == [s.size, s.mtime_us]:
                p.unchanged.append(path)
            else:
                p.compare.append(path)
            if d.mode != s.mode:
                p.chmod.append(path)
            if owner is not None and share_owners.owner_of(d) != owner:
                p.chown.append(path)
    return p


class Journal:
    """What earlier copies verified in one destination share."""

    def __init__(self, data_dir: str, share_id: str) -> None:
        self.share_id = shapes.path_id(share_id, field='share id')
        self.record = record.Record(
            os.path.join(
                data_dir, datadir.SHARE_FILES, self.share_id + '.yml'
            ),
            check=record.shaped(JOURNAL_SHAPE),
        )
        self._pending: dict[str, list[int]] = {}
        self._lock = threading.Lock()

    def read(self) -> dict:
        doc = self.record.read()
        if doc.get('share') != self.share_id:
            return {'files': {}, 'tree': ''}
        return doc

    def verified(self, path: str, node: share_tree.Node) -> None:
        """Note ``path`` verified as the source's ``node``; written every
        :data:`JOURNAL_EVERY` files and by :meth:`flush`."""
        with self._lock:
            self._pending[path] = [node.size, node.mtime_us]
            if len(self._pending) >= JOURNAL_EVERY:
                self._flush()

    def flush(self, tree: str | None = None) -> None:
        """Write what is pending (and, with ``tree``, that the whole tree
        of that digest is copied)."""
        with self._lock:
            self._flush(tree)

    def _flush(self, tree: str | None = None) -> None:
        pending, self._pending = self._pending, {}
        if not pending and tree is None:
            return

        def change(doc: dict) -> None:
            if doc.get('share') != self.share_id:
                doc.clear()
                doc.update(share=self.share_id, tree='', files={})
            doc.setdefault('files', {}).update(pending)
            if tree is not None:
                doc['tree'] = tree

        self.record.update(change)


class _Meter:
    """Progress lines of a long copy in the log."""

    def __init__(self, label: str, files: int, total: int) -> None:
        self.label, self.files, self.total = label, files, total
        self.done_files = self.done = 0
        self.next = time.monotonic() + PROGRESS_EVERY
        self.lock = threading.Lock()

    def add(self, n: int, file_done: bool = False) -> None:
        with self.lock:
            self.done += n
            self.done_files += file_done
            if time.monotonic() >= self.next:
                self.next = time.monotonic() + PROGRESS_EVERY
                LOG.info(
                    '%s: %d of %d file(s), %d of %d byte(s) copied',
                    self.label,
                    self.done_files,
                    self.files,
                    self.done,
                    self.total,
                )


def _hash(export: nfs.Export, path: str) -> str:
    h = hashlib.sha256()
    for data in export.chunks(path):
        h.update(data)
    return h.hexdigest()


def copy_file(
    src: nfs.Export,
    dst: nfs.Export,
    path: str,
    node: share_tree.Node,
    meter: _Meter,
    refused: list[str] | None = None,
) -> None:
    """Copy one file, verify it by reading it back, then set its owner,
    mode and mtime (so that a file cut short never looks done).

    :param refused: where the paths whose owner the server refused go
    :raises osmigrateclient.exceptions.MigrateError: it failed, or the
        bytes read back differ
    """
    h = hashlib.sha256()
    fh = dst.create(path, 0o600)
    try:
        offset = 0
        for data in src.chunks(path):
            h.update(data)
            dst.pwrite(fh, offset, data, path)
            offset += len(data)
            meter.add(len(data))
    finally:
        dst.close_file(fh, path)
    if _hash(dst, path) != h.hexdigest():
        raise exceptions.MigrateError(
            '%s: %r: the bytes read back differ from those sent'
            % (dst.label, path)
        )
    # the owner first: a chown clears setuid and setgid
    share_owners.set_owner(dst, path, node, [] if refused is None else refused)
    dst.chmod(path, node.mode)
    dst.utimes(path, node.mtime_us * 1000)
    meter.add(0, file_done=True)


def make_hard_link(
    dst: nfs.Export, path: str, first: str, node: share_tree.Node
) -> None:
    """Make ``path`` a new name of the (verified) file ``first``, in place
    of whatever non-directory is there, and check that it is.

    :raises osmigrateclient.exceptions.MigrateError: it failed, or the
        name is not of that file
    """
    try:
        dst.unlink(path)
    except nfs.NotFound:
        pass
    dst.link(first, path)
    made, of = dst.lstat(path), dst.lstat(first)
    if (made.ino, made.size) != (of.ino, node.size):
        raise exceptions.MigrateError(
            '%s: %r: not a hard link of %r of %d byte(s) once made'
            % (dst.label, path, first, node.size)
        )


def copy_tree(
    open_src: ty.Callable[[], nfs.Export],
    open_dst: ty.Callable[[], nfs.Export],
    src_tree: dict[str, share_tree.Node],
    journal: Journal | None,
    workers: int,
    label: str,
) -> Result:
    """Make the destination hold the source tree ``src_tree``.

    :param open_src: a new mount of the source export (one per worker)
    :param open_dst: a new mount of the destination export
    :raises osmigrateclient.exceptions.MigrateError: some path failed
        (after every file was tried; what was verified is journalled)
    """
    doc = journal.read() if journal else {'files': {}}
    #: paths whose owner the server refused
    refused: list[str] = []
    with open_dst() as dst:
        share_owners.remove_staging(dst, label)
        the_plan = plan(
            src_tree, share_tree.walk(dst, label), doc.get('files') or {}
        )
        maker = share_owners.Maker(dst, refused)
        try:
            for path in the_plan.dirs:
                maker.make(
                    path,
                    src_tree[path],
                    lambda p, m=src_tree[path].mode: dst.mkdir(p, m),
                )
        finally:
            maker.close()
    todo = the_plan.files + the_plan.compare
    meter = _Meter(
        label,
        len(the_plan.files),
        sum(src_tree[p].size for p in the_plan.files),
    )
    failures: list[str] = []
    copied = [0, 0]
    #: files sent (a new inode: their further names follow), files that
    #: failed
    sent: set[str] = set()
    failed: set[str] = set()
    lock = threading.Lock()
    local = threading.local()
    mounts: list[nfs.Export] = []

    def mounted() -> tuple[nfs.Export, nfs.Export]:
        if not hasattr(local, 'pair'):
            local.pair = (open_src(), open_dst())
            with lock:
                mounts.extend(local.pair)
        return local.pair

    def one(path: str) -> None:
        node = src_tree[path]
        try:
            src, dst = mounted()
            if path in the_plan.compare and _hash(src, path) == _hash(
                dst, path
            ):
                LOG.debug('%s: %r: equal bytes, not sent', label, path)
            else:
                with lock:
                    sent.add(path)
                copy_file(src, dst, path, node, meter, refused)
                with lock:
                    copied[0] += 1
                    copied[1] += node.size
            if journal:
                journal.verified(path, node)
        except exceptions.MigrateError as e:
            with lock:
                failures.append(str(e))
                failed.add(path)

    links_of = share_tree.hard_links(src_tree)
    linked = 0

    try:
        if todo:
            with concurrent.futures.ThreadPoolExecutor(
                max(1, min(workers, len(todo)))
            ) as pool:
                list(pool.map(one, todo))
        # further names of a file sent again follow its new inode; none
        # of a file not there
        relink = the_plan.hardlinks + [
            path
            for path in the_plan.unchanged
            if path in links_of and links_of[path] in sent
        ]
        not_there = failed | {path for path, _ in the_plan.conflicts}
        with open_dst() as dst:
            for path in sorted(relink):
                if links_of[path] in not_there:
                    continue
                try:
                    make_hard_link(dst, path, links_of[path], src_tree[path])
                except exceptions.MigrateError as e:
                    failures.append(str(e))
                    continue
                linked += 1
                if journal:
                    journal.verified(path, src_tree[path])
            maker = share_owners.Maker(dst, refused)
            try:
                for path in the_plan.links:
                    try:
                        dst.unlink(path)
                    except nfs.NotFound:
                        pass
                    maker.make(
                        path,
                        src_tree[path],
                        lambda p, t=src_tree[path].target: dst.symlink(t, p),
                    )
            finally:
                maker.close()
            for path in the_plan.chown:
                share_owners.set_owner(dst, path, src_tree[path], refused)
            for path in the_plan.chmod:
                dst.chmod(path, src_tree[path].mode)
    finally:
        for m in mounts:
            m.close()
        if journal:
            journal.flush()
    failures += [
        '%s: %r: %s' % (label, path, why) for path, why in the_plan.conflicts
    ]
    if failures:
        raise exceptions.MigrateError(
            '%d path(s) not copied: %s'
            % (len(failures), '; '.join(failures[:5]))
        )
    if journal:
        journal.flush(share_tree.tree_digest(src_tree))
    regular = sum(1 for n in src_tree.values() if n.kind == 'file')
    return Result(
        copied[0],
        copied[1],
        regular - copied[0] - linked,
        len(the_plan.dirs),
        len(the_plan.links),
        len(the_plan.skipped),
        linked,
        share_owners.owners_remark(the_plan.owners_kept, refused),
    )
