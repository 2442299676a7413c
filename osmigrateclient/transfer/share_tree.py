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
"""The tree of a share's export, as the copy of its files sees it: one
:class:`Node` by relative path (kind, mode, size, mtime, link target,
numeric owner, inode and its count of names), read by :func:`walk` with a
READDIR of each directory and a LOOKUP of each name, never following a
link.  Every name read is checked (:func:`check_name`): no empty name,
``.``, ``..``, ``/`` or NUL.
"""

import hashlib
import typing as ty

from osmigrateclient import exceptions
from osmigrateclient import shapes
from osmigrateclient.transfer import nfs


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
    #: the numeric owner (:data:`~osmigrateclient.transfer.nfs.NOBODY`:
    #: not known)
    uid: int = nfs.NOBODY
    gid: int = nfs.NOBODY
    #: the inode number and its count of names: hard links
    ino: int = 0
    nlink: int = 1


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
        st.kind,
        st.mode & 0o7777,
        st.size,
        st.mtime_ns // 1000,
        target,
        st.uid,
        st.gid,
        st.ino,
        st.nlink,
    )


def hard_links(tree: dict[str, Node]) -> dict[str, str]:
    """Each further name of a file with several names in ``tree`` -> its
    first name (in sorted order): the one whose bytes are copied."""
    first: dict[int, str] = {}
    names: dict[str, str] = {}
    for path in sorted(tree):
        node = tree[path]
        if node.kind != 'file' or node.nlink < 2:
            continue
        if node.ino in first:
            names[path] = first[node.ino]
        else:
            first[node.ino] = path
    return names


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
