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

"""Persisted state: one YAML document of the data directory per record.

The journals (access grants, floating IPs, volumes, servers, sync passes)
and the conversion hosts' ``hosts.yml`` are records: read with a check (a
hand-edited or hostile file gets a clear error naming the file and field,
never a crash later), written atomically at mode 0600 in a directory that
is not a planted symbolic link, and changed under a lock.

The lock is one per path for the whole process, so that threads and
several objects of one file never lose each other's writes; a *shared*
record (one that two commands may change at once: ``hosts.yml``) is also
locked across processes, through a ``.lock`` file beside it.  A journal is
written by the one command that migrates its items, so it needs no lock
file (and the data directory holds none beside it).
"""

import contextlib
import copy
import os
import threading
import typing as ty

import yaml

from osmigrateclient import datafile

#: checks a document read from ``path`` and returns it (normalized), or
#: raises :class:`~osmigrateclient.exceptions.DataFileError`
Check = ty.Callable[[ty.Any, str], ty.Any]

_LOCKS: dict[str, threading.RLock] = {}
_LOCKS_LOCK = threading.Lock()
#: the shared records whose file lock this process holds
_HELD: set[str] = set()
#: path -> how many times this process wrote it (a file written twice
#: within a clock tick may look the same to stat)
_WRITES: dict[str, int] = {}


def _lock_of(path: str) -> threading.RLock:
    with _LOCKS_LOCK:
        return _LOCKS.setdefault(path, threading.RLock())


def shaped(shape: ty.Any) -> Check:
    """The check of a document of ``shape`` (:mod:`~osmigrateclient.
    datafile`'s shapes); an empty document is ``{}``."""

    def check(doc: ty.Any, path: str) -> ty.Any:
        datafile.check_shape(doc, shape, '', path)
        return doc or {}

    return check


def _as_is(doc: ty.Any, path: str) -> ty.Any:
    return doc


class Record:
    """One YAML document of the data directory.

    :param check: what a document read from disk must pass
        (:func:`shaped` for a shape); none by default
    :param parse: the YAML text -> the document (datafile's by default)
    :param link_ok: the record's directory may be a symbolic link (the
        data directory may; a sub-directory of it may not)
    :param shared: also lock across processes (a ``.lock`` file beside)
    """

    def __init__(
        self,
        path: str,
        check: Check | None = None,
        parse: ty.Callable[[str, str], ty.Any] = datafile.parse_yaml,
        link_ok: bool = False,
        shared: bool = False,
    ) -> None:
        self.path = path
        self._check = check or _as_is
        self._parse = parse
        self._link_ok = link_ok
        self._shared = shared
        self._key = os.path.abspath(path)
        self._lock = _lock_of(self._key)
        #: (what the file was when last read, its checked document)
        self._known: tuple[tuple, ty.Any] | None = None

    @contextlib.contextmanager
    def locked(self) -> ty.Iterator[None]:
        """Hold the record's lock: for a read, change and write."""
        with self._lock:
            if not self._shared or self._key in _HELD:
                yield
                return
            with datafile.locked(self.path):
                # (held by this thread: a nested flock would wait for it)
                _HELD.add(self._key)
                try:
                    yield
                finally:
                    _HELD.discard(self._key)

    def read(self) -> ty.Any:
        """The document, checked (a copy: the caller may change it);
        ``{}`` when there is no file.

        :raises osmigrateclient.exceptions.DataFileError: it cannot be
            read, or does not pass the check
        """
        with self._lock:
            return copy.deepcopy(self._read(cached=True))

    def _read(self, cached: bool) -> ty.Any:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return {}
        except OSError:
            st = None  # read_text says why
        ident = st and (
            _WRITES.get(self._key, 0),
            st.st_ino,
            st.st_mtime_ns,
            st.st_size,
        )
        if cached and ident and self._known and self._known[0] == ident:
            return self._known[1]
        text = datafile.read_text(self.path)
        doc = self._check(self._parse(text, self.path), self.path)
        self._known = (ident, doc) if ident else None
        return doc

    def write(self, doc: ty.Any) -> None:
        """Write ``doc`` atomically, mode 0600 (its directory made 0700)."""
        with self.locked():
            self._write(doc)

    def _write(self, doc: ty.Any) -> None:
        datafile.ensure_dir(
            os.path.dirname(self.path) or '.', link_ok=self._link_ok
        )
        datafile.write_text(
            self.path, yaml.safe_dump(doc, default_flow_style=False)
        )
        _WRITES[self._key] = _WRITES.get(self._key, 0) + 1

    def update(self, change: ty.Callable[[ty.Any], None]) -> ty.Any:
        """Read the document from disk, ``change`` it in place and write
        it, all under the lock; the document written (a copy)."""
        with self.locked():
            # Never the cache: another process may have written it.
            doc = copy.deepcopy(self._read(cached=False))
            change(doc)
            self._write(doc)
            return copy.deepcopy(doc)

    def remove(self) -> None:
        """Remove the file, if any."""
        with self.locked():
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
            _WRITES[self._key] = _WRITES.get(self._key, 0) + 1


class Ledger:
    """Records by item id in one section of a record (``{section: {id:
    fields}}``): the journal of a type whose items move one by one.

    Without a path it is kept in memory only.  Ledgers of one file see
    each other's writes.
    """

    def __init__(
        self, path: str | None, section: str, item_shape: ty.Any
    ) -> None:
        self.path = path
        self.section = section
        self._record = (
            Record(path, shaped({section: datafile.MapOf(item_shape)}))
            if path
            else None
        )
        self._memory: dict[str, dict] = {}
        # A file of the wrong shape says so at once.
        self.get('')

    @property
    def records(self) -> dict[str, dict]:
        """Every item's fields, by id."""
        if self._record is None:
            return self._memory
        return self._record.read().get(self.section) or {}

    def get(self, item_id: str) -> dict:
        return dict(self.records.get(item_id) or {})

    def set(self, item_id: str, **fields: ty.Any) -> None:
        """Record ``fields`` for the item, on disk at once."""
        if self._record is None:
            self._memory.setdefault(item_id, {}).update(fields)
            return

        def change(doc: dict) -> None:
            items = doc[self.section] = doc.get(self.section) or {}
            items.setdefault(item_id, {}).update(fields)

        self._record.update(change)
