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
"""The owners of a share's files in the copy.

Owners are numeric: a file gets its owner by a chown; a directory or a
link cannot (libnfs 4.0 opens the path for it), so each is made with its
owner's credentials (AUTH_SYS) in a staging directory and moved in place
as the migrator (the server must not squash root).  An owner the server
reports as a name (root's, often) is not known to libnfs
(:data:`~osmigrateclient.transfer.nfs.NOBODY`): the entry keeps the
server's default.  Where the server refuses an owner, the copy goes on
and the result says how many entries kept the default.
"""

import logging
import re
import typing as ty
import uuid

from osmigrateclient import exceptions
from osmigrateclient.transfer import nfs
from osmigrateclient.transfer import share_tree

LOG = logging.getLogger(__name__)

#: the directory at the destination's root where directories and links
#: are made with their owner's credentials before they are moved in place
STAGING = '.osmigrate-staging-%s'
#: the name of one (a uuid4's hex): a killed run's is removed by the next
_STAGED = re.compile(r'\.osmigrate-staging-[0-9a-f]{32}\Z')


def owner_of(node: share_tree.Node) -> tuple[int, int] | None:
    """(uid, gid) of a node, None when either is not known."""
    if nfs.NOBODY in (node.uid, node.gid):
        return None
    return node.uid, node.gid


def remove_staging(export: nfs.Export, label: str) -> None:
    """Remove the staging directories a killed run left at the root (this
    tool's alone: what is in them was never moved in place)."""

    def remove(path: str) -> None:
        if export.lstat(path).kind == 'dir':
            for name in export.listdir(path):
                remove(
                    share_tree.join(
                        path, share_tree.check_name(name, label, path)
                    )
                )
            export.rmdir(path)
        else:
            export.unlink(path)

    for name in export.listdir(''):
        if _STAGED.match(name):
            remove(name)


def set_owner(
    dst: nfs.Export, path: str, node: share_tree.Node, refused: list[str]
) -> None:
    """Give a file the source's owner when known; a refusal (a
    root-squashing server) is noted in ``refused``, not raised.  Then
    the mode again when it has setuid or setgid: a chown clears them."""
    owner = owner_of(node)
    if owner is None:
        return
    try:
        dst.chown(path, *owner)
    except nfs.NotPermitted:
        refused.append(path)
        return
    if node.mode & 0o6000:
        dst.chmod(path, node.mode)


class Maker:
    """Makes directories and symbolic links in the destination with the
    source's owner: each is made with the owner's credentials in a
    staging directory (mode 1777, made at the root when first needed),
    then moved in place.  Where the server refuses either step (a
    squashing one), it is made in place with the server's default owner
    and its path noted in ``refused``."""

    def __init__(self, dst: nfs.Export, refused: list[str]) -> None:
        self.dst, self.refused = dst, refused
        #: None: not made yet; '': cannot be
        self.stage: str | None = None

    def make(
        self, path: str, node: share_tree.Node, make: ty.Callable[[str], None]
    ) -> None:
        """``make(p)`` makes the entry at ``p``."""
        owner = owner_of(node)
        if owner is not None and self._staging():
            staged = share_tree.join(
                ty.cast(str, self.stage), uuid.uuid4().hex
            )
            try:
                with self.dst.as_user(*owner):
                    make(staged)
            except nfs.NotPermitted:
                pass
            else:
                try:
                    self.dst.rename(staged, path)
                    return
                except nfs.NotPermitted:
                    with self.dst.as_user(*owner):
                        if node.kind == 'dir':
                            self.dst.rmdir(staged)
                        else:
                            self.dst.unlink(staged)
        make(path)
        if owner is not None:
            self.refused.append(path)

    def _staging(self) -> bool:
        if self.stage is None:
            name = STAGING % uuid.uuid4().hex
            try:
                self.dst.mkdir(name, 0o1777)
                self.stage = name
            except nfs.NotPermitted:
                self.stage = ''
        return bool(self.stage)

    def close(self) -> None:
        """Remove the staging directory (once)."""
        if self.stage:
            try:
                self.dst.rmdir(self.stage)
            except exceptions.MigrateError as e:
                LOG.warning('%s: %s', self.dst.label, e)
            self.stage = ''


def owners_remark(kept: list[str], refused: list[str]) -> str:
    """'' or what says which entries kept the server's default owner."""
    if not kept and not refused:
        return ''
    why = []
    if refused:
        why.append('the server refused to change it')
    if kept:
        why.append("libnfs 4.0 cannot change an existing directory's")
    paths = sorted(kept + refused)
    return "%d entrie(s) kept the server's default owner (%s), first %r" % (
        len(paths),
        '; '.join(why),
        paths[0],
    )
