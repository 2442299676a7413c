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
                                 modes, sizes, mtimes
                                 plan (what differs,
                                 the journal's word)
      READ 1 MiB --------------> SHA-256 while sending -----> WRITE (3 KiB
                                                              requests)
                                 SHA-256 of the bytes <------ READ back
                                 equal? then mode, mtime ---> SETATTR
                                 journal: path verified

Directories come first (made with the source's mode; an existing one
keeps its own), then the files,
``--parallel`` at a time (each worker mounts both exports: a libnfs
context serves one thread), then the symbolic links (made as they are,
never followed).  A file is sent again only when it differs: the journal
(``share_files/<destination share id>.yml`` in the data directory) keeps,
for each path verified, the source's size and mtime it had; a
destination file of that size and mtime whose record matches the source's
is left alone without a read, and one of that size and mtime without a
record (a journal lost) is hashed on both sides and left alone when the
bytes are equal.  So an interrupted copy resumes with the files not yet
verified; a re-import of an unchanged tree (the digest of its listing is
the journal's ``tree``) does not even mount the destination.  Nothing in
the destination is ever deleted; special files (devices, FIFOs, sockets)
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


class Node(ty.NamedTuple):
    """One entry of a tree."""

    #: 'file', 'dir', 'link' or 'other'
    kind: str
    #: the permission bits (with setuid, setgid and sticky)
    mode: int
    size: int
    #: microseconds since the epoch: what NFS's SETATTR keeps
    mtime_us: int
    #: a link's target
    target: str = ''


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


class Result(ty.NamedTuple):
    files: int
    bytes: int
    unchanged: int
    dirs: int
    links: int
    skipped: int


def check_name(name: str, label: str, parent: str) -> str:
    """``name``, read from the directory ``parent`` of a share, once
    checked to be one plain path component.

    :raises osmigrateclient.exceptions.MigrateError: it is not
    """
    if name in ('', '.', '..') or '/' in name or '\0' in name:
        raise exceptions.MigrateError(
            '%s: the directory %r holds an unsafe name %s'
            % (label, parent or '/', shapes.shown(name))
        )
    return name


def join(parent: str, name: str) -> str:
    return '%s/%s' % (parent, name) if parent else name


def node_of(st: nfs.Stat, target: str = '') -> Node:
    return Node(
        st.kind, st.mode & 0o7777, st.size, st.mtime_ns // 1000, target
    )


def walk(export: nfs.Export, label: str) -> dict[str, Node]:
    """Every path under the export's root, with what it is."""
    tree: dict[str, Node] = {}
    todo = ['']
    while todo:
        parent = todo.pop()
        for name in sorted(export.listdir(parent)):
            path = join(parent, check_name(name, label, parent))
            st = export.lstat(path)
            node = node_of(
                st, export.readlink(path) if st.kind == 'link' else ''
            )
            if '\0' in node.target:
                raise exceptions.MigrateError(
                    '%s: the link %r has a NUL in its target' % (label, path)
                )
            tree[path] = node
            if node.kind == 'dir':
                todo.append(path)
    return tree


def tree_digest(tree: dict[str, Node]) -> str:
    """What the listing of a tree is, in one value."""
    h = hashlib.sha256()
    for path in sorted(tree):
        h.update(('%s\0%r\n' % (path, tuple(tree[path]))).encode())
    return h.hexdigest()


def plan(
    src: dict[str, Node],
    dst: dict[str, Node],
    verified: dict[str, list[int]],
) -> Plan:
    """What makes ``dst`` hold ``src`` (nothing of ``dst`` removed);
    ``verified``: the journal's [size, mtime_us] of the source when each
    path was last verified."""
    p = Plan([], [], [], [], [], [], [], [])
    for path in sorted(src):
        s, d = src[path], dst.get(path)
        if s.kind == 'other':
            p.skipped.append(path)
        elif d is not None and (s.kind == 'dir') != (d.kind == 'dir'):
            p.conflicts.append(
                (path, 'a %s in the source, a %s here' % (s.kind, d.kind))
            )
        elif s.kind == 'dir':
            # (an existing directory keeps its mode: libnfs 4.0 cannot
            # change a directory's over NFSv4)
            if d is None:
                p.dirs.append(path)
        elif s.kind == 'link':
            if d is None or d.kind != 'link' or d.target != s.target:
                p.links.append(path)
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

    def verified(self, path: str, node: Node) -> None:
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
    node: Node,
    meter: _Meter,
) -> None:
    """Copy one file, verify it by reading it back, then set its mode and
    mtime (so that a file cut short never looks done).

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
    dst.chmod(path, node.mode)
    dst.utimes(path, node.mtime_us * 1000)
    meter.add(0, file_done=True)


def copy_tree(
    open_src: ty.Callable[[], nfs.Export],
    open_dst: ty.Callable[[], nfs.Export],
    src_tree: dict[str, Node],
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
    with open_dst() as dst:
        the_plan = plan(src_tree, walk(dst, label), doc.get('files') or {})
        for path in the_plan.dirs:
            dst.mkdir(path, src_tree[path].mode)
    todo = the_plan.files + the_plan.compare
    meter = _Meter(
        label,
        len(the_plan.files),
        sum(src_tree[p].size for p in the_plan.files),
    )
    failures: list[str] = []
    copied = [0, 0]
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
                copy_file(src, dst, path, node, meter)
                with lock:
                    copied[0] += 1
                    copied[1] += node.size
            if journal:
                journal.verified(path, node)
        except exceptions.MigrateError as e:
            with lock:
                failures.append(str(e))

    try:
        if todo:
            with concurrent.futures.ThreadPoolExecutor(
                max(1, min(workers, len(todo)))
            ) as pool:
                list(pool.map(one, todo))
        with open_dst() as dst:
            for path in the_plan.links:
                try:
                    dst.unlink(path)
                except nfs.NotFound:
                    pass
                dst.symlink(src_tree[path].target, path)
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
        journal.flush(tree_digest(src_tree))
    regular = sum(1 for n in src_tree.values() if n.kind == 'file')
    return Result(
        copied[0],
        copied[1],
        regular - copied[0],
        len(the_plan.dirs),
        len(the_plan.links),
        len(the_plan.skipped),
    )
