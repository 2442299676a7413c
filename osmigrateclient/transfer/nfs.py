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

"""An NFS export as the migrator reads and writes it: a small binding of
libnfs's synchronous API (``libnfs.so.13``, libnfs 4), in userspace, so
that copying a share's files needs neither a kernel mount nor root.

One :class:`Export` is one NFSv4 mount and is used by one thread at a
time (a libnfs context is not thread-safe): parallel copies mount the
export once per worker.  Paths are relative to the export's root, with
``/`` between components.  Every failure is a
:class:`~osmigrateclient.exceptions.MigrateError` naming the share and
the path; :class:`NotFound` when the path does not exist.
"""

import contextlib
import ctypes
import ctypes.util
import errno
import os
import stat as stat_mod
import threading
import typing as ty
import uuid

from osmigrateclient import exceptions

#: the soname of libnfs 4 (Debian 12, Ubuntu 22.04 and later)
SONAME = 'libnfs.so.13'
MISSING = 'libnfs is not installed (Debian/Ubuntu: libnfs13)'
#: bytes per read request
CHUNK = 1024 * 1024
#: bytes per write request: libnfs 4.0 encodes an NFSv4 WRITE in a 4 KiB
#: buffer (fixed upstream in 2020, after the release Debian 12 carries),
#: so a larger one fails ("Failed to encode COMPOUND4args")
WRITE_CHUNK = 3 * 1024
#: milliseconds before a request to the server fails
TIMEOUT_MS = 60000

O_RDONLY, O_WRONLY = os.O_RDONLY, os.O_WRONLY
O_CREAT, O_TRUNC = os.O_CREAT, os.O_TRUNC
#: the uid and gid libnfs 4.0 reports for an owner the server names (as
#: ``root@domain``) rather than numbers: the owner is not known
NOBODY = 65534


class LibraryMissing(exceptions.MigrateError):
    """libnfs cannot be loaded."""


class NotFound(exceptions.MigrateError):
    """The path does not exist."""


class NotPermitted(exceptions.MigrateError):
    """The server refuses the change (EPERM or EACCES: a root-squashing
    export refuses a chown)."""


class _Stat64(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_uint64)
        for name in (
            'dev',
            'ino',
            'mode',
            'nlink',
            'uid',
            'gid',
            'rdev',
            'size',
            'blksize',
            'blocks',
            'atime',
            'mtime',
            'ctime',
            'atime_nsec',
            'mtime_nsec',
            'ctime_nsec',
            'used',
        )
    ]


class _Dirent(ctypes.Structure):
    # only the leading fields that are read: the next entry and the name
    _fields_ = [('next', ctypes.c_void_p), ('name', ctypes.c_char_p)]


class _Url(ctypes.Structure):
    _fields_ = [
        ('server', ctypes.c_char_p),
        ('path', ctypes.c_char_p),
        ('file', ctypes.c_char_p),
    ]


class _Timeval(ctypes.Structure):
    _fields_ = [('sec', ctypes.c_long), ('usec', ctypes.c_long)]


class Stat(ty.NamedTuple):
    """What :meth:`Export.lstat` tells of a path."""

    mode: int
    size: int
    #: nanoseconds since the epoch
    mtime_ns: int
    #: the numeric owner (:data:`NOBODY`: not known)
    uid: int = NOBODY
    gid: int = NOBODY
    #: the inode number, and how many names it has (hard links)
    ino: int = 0
    nlink: int = 1

    @property
    def kind(self) -> str:
        """'file', 'dir', 'link' or 'other'."""
        if stat_mod.S_ISREG(self.mode):
            return 'file'
        if stat_mod.S_ISDIR(self.mode):
            return 'dir'
        if stat_mod.S_ISLNK(self.mode):
            return 'link'
        return 'other'


_LIB: ty.Any = None
_LIB_LOCK = threading.Lock()

_P = ctypes.c_void_p
_S = ctypes.c_char_p
_I = ctypes.c_int
_U64 = ctypes.c_uint64
_SIGNATURES: dict[str, tuple[ty.Any, list[ty.Any]]] = {
    'nfs_init_context': (_P, []),
    'nfs_destroy_context': (None, [_P]),
    'nfs_get_error': (_S, [_P]),
    'nfs_set_version': (_I, [_P, _I]),
    'nfs_set_timeout': (None, [_P, _I]),
    'nfs4_set_client_name': (None, [_P, _S]),
    'nfs4_set_verifier': (None, [_P, _S]),
    'nfs_set_uid': (None, [_P, _I]),
    'nfs_set_gid': (None, [_P, _I]),
    'nfs_parse_url_dir': (ctypes.POINTER(_Url), [_P, _S]),
    'nfs_destroy_url': (None, [ctypes.POINTER(_Url)]),
    'nfs_mount': (_I, [_P, _S, _S]),
    'nfs_umount': (_I, [_P]),
    'nfs_lstat64': (_I, [_P, _S, ctypes.POINTER(_Stat64)]),
    'nfs_open2': (_I, [_P, _S, _I, _I, ctypes.POINTER(_P)]),
    'nfs_close': (_I, [_P, _P]),
    'nfs_pread': (_I, [_P, _P, _U64, _U64, _P]),
    'nfs_pwrite': (_I, [_P, _P, _U64, _U64, _P]),
    'nfs_mkdir2': (_I, [_P, _S, _I]),
    'nfs_opendir': (_I, [_P, _S, ctypes.POINTER(_P)]),
    'nfs_readdir': (ctypes.POINTER(_Dirent), [_P, _P]),
    'nfs_closedir': (None, [_P, _P]),
    'nfs_symlink': (_I, [_P, _S, _S]),
    'nfs_readlink': (_I, [_P, _S, ctypes.c_char_p, _I]),
    'nfs_chmod': (_I, [_P, _S, _I]),
    'nfs_chown': (_I, [_P, _S, _I, _I]),
    'nfs_lchown': (_I, [_P, _S, _I, _I]),
    'nfs_link': (_I, [_P, _S, _S]),
    'nfs_rename': (_I, [_P, _S, _S]),
    'nfs_utimes': (_I, [_P, _S, ctypes.POINTER(_Timeval)]),
    'nfs_unlink': (_I, [_P, _S]),
    'nfs_rmdir': (_I, [_P, _S]),
    'nfs_truncate': (_I, [_P, _S, _U64]),
}


def library() -> ty.Any:
    """libnfs, loaded once.

    :raises LibraryMissing: it is not installed
    """
    global _LIB
    with _LIB_LOCK:
        if _LIB is None:
            try:
                lib = ctypes.CDLL(SONAME)
            except OSError:
                found = ctypes.util.find_library('nfs')
                try:
                    lib = ctypes.CDLL(found) if found else None
                except OSError:
                    lib = None
            if lib is None:
                raise LibraryMissing(MISSING)
            try:
                for name, (restype, argtypes) in _SIGNATURES.items():
                    fn = getattr(lib, name)
                    fn.restype, fn.argtypes = restype, argtypes
            except AttributeError as e:
                raise LibraryMissing('%s: %s' % (MISSING, e)) from None
            _LIB = lib
        return _LIB


def url_of(location: str) -> str:
    """The libnfs URL of an NFS export location (``host:/path``, or
    ``[v6addr]:/path``), version 4.

    :raises osmigrateclient.exceptions.MigrateError: not such a location
    """
    host, sep, path = location.rpartition(':/')
    if not sep or not host or '?' in location or '\0' in location:
        raise exceptions.MigrateError(
            'not an NFS export location: %r' % location
        )
    return 'nfs://%s/%s?version=4' % (host, path)


def host_of(location: str) -> str:
    """The server's address or name of an export location."""
    host = location.rpartition(':/')[0]
    return host[1:-1] if host.startswith('[') else host


def _c(path: str) -> bytes:
    return ('/' + path.lstrip('/')).encode('utf-8', 'surrogateescape')


class Export:
    """One mounted NFS export.

    :param url: what :func:`url_of` makes of the export location
    :param label: what errors name (``share 'web'``)
    :raises LibraryMissing: libnfs is not installed
    :raises osmigrateclient.exceptions.MigrateError: the mount failed
    """

    def __init__(self, url: str, label: str) -> None:
        self.lib = library()
        self.label = label
        self.ctx = self.lib.nfs_init_context()
        if not self.ctx:
            raise exceptions.MigrateError('%s: no NFS context' % label)
        self.lib.nfs_set_timeout(self.ctx, TIMEOUT_MS)
        # A client of its own per mount: several mounts of one server in
        # one process would otherwise share NFSv4 open sequence numbers.
        self.lib.nfs4_set_client_name(
            self.ctx, ('osmigrate-%s' % uuid.uuid4()).encode()
        )
        self.lib.nfs4_set_verifier(self.ctx, os.urandom(8))
        parsed = self.lib.nfs_parse_url_dir(self.ctx, url.encode())
        if not parsed:
            err = self._error()
            self.close()
            raise exceptions.MigrateError('%s: %s: %s' % (label, url, err))
        try:
            rc = self.lib.nfs_mount(
                self.ctx, parsed.contents.server, parsed.contents.path
            )
        finally:
            self.lib.nfs_destroy_url(parsed)
        if rc < 0:
            err = self._error()
            self.close()
            raise exceptions.MigrateError(
                '%s: cannot mount %s: %s' % (label, url, err)
            )

    def __enter__(self) -> 'Export':
        return self

    def __exit__(self, *exc: ty.Any) -> None:
        self.close()

    def close(self) -> None:
        """Unmount and free the context (once)."""
        if self.ctx:
            self.lib.nfs_destroy_context(self.ctx)
            self.ctx = None

    def _error(self) -> str:
        msg = self.lib.nfs_get_error(self.ctx) if self.ctx else None
        return (msg or b'unknown error').decode('utf-8', 'replace')

    def _check(self, rc: int, what: str, path: str) -> int:
        if rc >= 0:
            return rc
        msg = '%s: %s %r: %s' % (self.label, what, path, self._error())
        if -rc == errno.ENOENT:
            raise NotFound(msg)
        if -rc in (errno.EPERM, errno.EACCES):
            raise NotPermitted(msg)
        raise exceptions.MigrateError(msg)

    # -- reading ------------------------------------------------------------

    def lstat(self, path: str) -> Stat:
        """The path itself (a symbolic link is not followed)."""
        st = _Stat64()
        self._check(
            self.lib.nfs_lstat64(self.ctx, _c(path), ctypes.byref(st)),
            'stat',
            path,
        )
        return Stat(
            int(st.mode),
            int(st.size),
            st.mtime * 10**9 + st.mtime_nsec,
            int(st.uid),
            int(st.gid),
            int(st.ino),
            int(st.nlink),
        )

    def listdir(self, path: str) -> list[str]:
        """The names in a directory, without ``.`` and ``..``."""
        handle = ctypes.c_void_p()
        self._check(
            self.lib.nfs_opendir(self.ctx, _c(path), ctypes.byref(handle)),
            'list',
            path,
        )
        names = []
        try:
            while True:
                ent = self.lib.nfs_readdir(self.ctx, handle)
                if not ent:
                    break
                name = ent.contents.name.decode('utf-8', 'surrogateescape')
                if name not in ('.', '..'):
                    names.append(name)
        finally:
            self.lib.nfs_closedir(self.ctx, handle)
        return names

    def readlink(self, path: str) -> str:
        buf = ctypes.create_string_buffer(4097)
        self._check(
            self.lib.nfs_readlink(self.ctx, _c(path), buf, len(buf) - 1),
            'read the link',
            path,
        )
        return buf.value.decode('utf-8', 'surrogateescape')

    def open(
        self, path: str, flags: int = O_RDONLY, mode: int = 0o600
    ) -> ty.Any:
        """A file handle for :meth:`pread` / :meth:`pwrite`; close it with
        :meth:`close_file`."""
        fh = ctypes.c_void_p()
        self._check(
            self.lib.nfs_open2(
                self.ctx, _c(path), flags, mode, ctypes.byref(fh)
            ),
            'open',
            path,
        )
        return fh

    def create(self, path: str, mode: int) -> ty.Any:
        """A new empty file at ``path`` (one there is removed first:
        libnfs's NFSv4 open with O_CREAT fails on an existing file),
        opened for writing."""
        try:
            self.unlink(path)
        except NotFound:
            pass
        return self.open(path, O_WRONLY | O_CREAT, mode)

    def close_file(self, fh: ty.Any, path: str) -> None:
        self._check(self.lib.nfs_close(self.ctx, fh), 'close', path)

    def pread(self, fh: ty.Any, offset: int, count: int, path: str) -> bytes:
        """Up to ``count`` bytes at ``offset`` (fewer at the end)."""
        buf = ctypes.create_string_buffer(count)
        n = self._check(
            self.lib.nfs_pread(self.ctx, fh, offset, count, buf),
            'read',
            path,
        )
        return buf.raw[:n]

    def pwrite(self, fh: ty.Any, offset: int, data: bytes, path: str) -> None:
        """All of ``data`` at ``offset``."""
        done = 0
        while done < len(data):
            chunk = data[done : done + WRITE_CHUNK]
            n = self._check(
                self.lib.nfs_pwrite(
                    self.ctx, fh, offset + done, len(chunk), chunk
                ),
                'write',
                path,
            )
            if n == 0:
                raise exceptions.MigrateError(
                    '%s: write %r: nothing written' % (self.label, path)
                )
            done += n

    def chunks(self, path: str) -> ty.Iterator[bytes]:
        """The bytes of a file, :data:`CHUNK` at a time."""
        fh = self.open(path)
        try:
            offset = 0
            while True:
                data = self.pread(fh, offset, CHUNK, path)
                if not data:
                    return
                offset += len(data)
                yield data
        finally:
            self.close_file(fh, path)

    # -- writing ------------------------------------------------------------

    def mkdir(self, path: str, mode: int) -> None:
        self._check(
            self.lib.nfs_mkdir2(self.ctx, _c(path), mode), 'mkdir', path
        )

    def symlink(self, target: str, path: str) -> None:
        self._check(
            self.lib.nfs_symlink(
                self.ctx,
                target.encode('utf-8', 'surrogateescape'),
                _c(path),
            ),
            'make the link',
            path,
        )

    def chmod(self, path: str, mode: int) -> None:
        self._check(
            self.lib.nfs_chmod(self.ctx, _c(path), mode), 'chmod', path
        )

    def chown(self, path: str, uid: int, gid: int) -> None:
        """Set the numeric owner of a file.

        libnfs 4.0 does it over NFSv4 by opening the path for writing: a
        directory fails (EISDIR) and a symbolic link is followed (by
        ``nfs_lchown`` too, in that version), so neither is given here:
        they are made with their owner (:meth:`as_user`).

        :raises NotPermitted: the server refuses it
        """
        self._check(
            self.lib.nfs_chown(self.ctx, _c(path), uid, gid), 'chown', path
        )

    @contextlib.contextmanager
    def as_user(self, uid: int, gid: int) -> ty.Iterator[None]:
        """Requests made meanwhile carry the credentials ``uid`` and
        ``gid`` (AUTH_SYS): what they create is owned so by a server that
        does not squash them.  Then the process's own again (libnfs's
        default)."""
        self.lib.nfs_set_uid(self.ctx, uid)
        self.lib.nfs_set_gid(self.ctx, gid)
        try:
            yield
        finally:
            self.lib.nfs_set_uid(self.ctx, os.getuid())
            self.lib.nfs_set_gid(self.ctx, os.getgid())

    def rename(self, old: str, new: str) -> None:
        self._check(
            self.lib.nfs_rename(self.ctx, _c(old), _c(new)), 'rename', old
        )

    def link(self, existing: str, path: str) -> None:
        """A new name ``path`` for the file ``existing`` (a hard link)."""
        self._check(
            self.lib.nfs_link(self.ctx, _c(existing), _c(path)),
            'make the hard link',
            path,
        )

    def utimes(self, path: str, mtime_ns: int) -> None:
        """Set the access and modification times to ``mtime_ns``."""
        sec, nsec = divmod(mtime_ns, 10**9)
        times = (_Timeval * 2)(
            _Timeval(sec, nsec // 1000), _Timeval(sec, nsec // 1000)
        )
        self._check(
            self.lib.nfs_utimes(self.ctx, _c(path), times), 'set times', path
        )

    def unlink(self, path: str) -> None:
        self._check(self.lib.nfs_unlink(self.ctx, _c(path)), 'unlink', path)

    def rmdir(self, path: str) -> None:
        self._check(self.lib.nfs_rmdir(self.ctx, _c(path)), 'rmdir', path)

    def truncate(self, path: str, length: int) -> None:
        self._check(
            self.lib.nfs_truncate(self.ctx, _c(path), length),
            'truncate',
            path,
        )
