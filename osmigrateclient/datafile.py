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

"""Data files: one YAML file of resources per type in a data directory.

The format is the pioneering os-migrate tool's, so that its files load
unchanged::

    os_migrate_version: <version>
    resources:
    - type: openstack.network.Network
      params: {...}
      _info: {...}
      _migration_params: {...}
"""

import contextlib
import errno
import fcntl
import os
import stat
import tempfile
import typing as ty

import yaml

from osmigrateclient import exceptions

# The shapes of values read from files (what they are: shapes.py) are this
# module's public API: modules declare and check their values with them.
from osmigrateclient.shapes import ANY  # noqa: F401
from osmigrateclient.shapes import NUMBER  # noqa: F401
from osmigrateclient.shapes import REF  # noqa: F401
from osmigrateclient.shapes import SCALAR  # noqa: F401
from osmigrateclient.shapes import STR  # noqa: F401
from osmigrateclient.shapes import MapOf  # noqa: F401
from osmigrateclient.shapes import check_shape  # noqa: F401
from osmigrateclient.shapes import path_id  # noqa: F401
from osmigrateclient.shapes import path_id_problem  # noqa: F401
from osmigrateclient.shapes import shape_problem  # noqa: F401
from osmigrateclient.shapes import shown
from osmigrateclient.shapes import type_name

#: The version written into files.  Major 2 is this client's format; majors
#: 0 and 1 are the pioneering tool's, which has the same shape.
FORMAT_VERSION = '2.0.0'
ACCEPTED_MAJORS = (0, 1, 2)

VERSION_KEY = 'os_migrate_version'
RESOURCES_KEY = 'resources'
ENTRY_KEYS = ('type', 'params', '_info')

Entry = dict[str, ty.Any]

#: nesting deeper than this is no resource (and would exhaust the stack)
MAX_DEPTH = 64


class DataFile(ty.NamedTuple):
    path: str
    version: str
    resources: list[Entry]


def label(entry: ty.Any, index: int | None = None) -> str:
    """Describe a resource for a message: ``resource 3 (type 'name')``."""
    parts = []
    if index is not None:
        parts.append('resource %d' % index)
    if isinstance(entry, dict):
        params = entry.get('params')
        name = params.get('name') if isinstance(params, dict) else None
        kind = entry.get('type')
        desc = ' '.join(
            p
            for p in (
                kind if isinstance(kind, str) else None,
                shown(name, 200) if isinstance(name, str) and name else None,
            )
            if p
        )
        if desc:
            parts.append('(%s)' % desc if parts else desc)
    return ' '.join(parts) or 'resource'


def check_version(version: ty.Any, path: str) -> str:
    """Return the version string if this client can read it, else raise."""
    accepted = ', '.join('%d.x' % m for m in ACCEPTED_MAJORS)
    major = None
    try:
        head = str(version).split('.')[0]
    except ValueError:  # an int of more digits than str() converts
        head = ''
    # Not int() of any length: Python refuses over 4300 digits.
    if head.isascii() and head.isdigit() and len(head) < 10:
        major = int(head)
    if major not in ACCEPTED_MAJORS:
        raise exceptions.DataFileError(
            'unsupported %s %s (this client reads %s)'
            % (VERSION_KEY, shown(version), accepted),
            path=path,
            field=VERSION_KEY,
        )
    return str(version)


def parse_yaml(text: str, path: str) -> ty.Any:
    """The document of a YAML text read from ``path``, nested at most
    :data:`MAX_DEPTH` deep.

    :raises osmigrateclient.exceptions.DataFileError: it is no such YAML
    """
    try:
        doc = yaml.safe_load(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = (
            'line %d, column %d: ' % (mark.line + 1, mark.column + 1)
            if mark
            else ''
        )
        raise exceptions.DataFileError(
            'invalid YAML: %s%s' % (where, e.problem or e.context), path=path
        )
    except yaml.YAMLError as e:
        raise exceptions.DataFileError('invalid YAML: %s' % e, path=path)
    except RecursionError:
        raise exceptions.DataFileError(
            'invalid YAML: nested too deeply', path=path
        )
    except ValueError as e:
        # An integer of more digits than Python converts.
        raise exceptions.DataFileError(
            'invalid YAML: %s' % str(e).split(':')[0], path=path
        )
    if too_deep(doc):
        raise exceptions.DataFileError(
            'nested more than %d levels deep' % MAX_DEPTH, path=path
        )
    return doc


def read_yaml(path: str) -> ty.Any:
    """The document of a YAML file of the data directory (a journal).

    :raises osmigrateclient.exceptions.DataFileError: it cannot be read,
        or is no YAML
    """
    return parse_yaml(read_text(path), path)


def read_text(path: str) -> str:
    """The text of a file of the data directory: a regular file (a FIFO
    or a device would block or never end).

    :raises osmigrateclient.exceptions.DataFileError: it cannot be read
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise exceptions.DataFileError('no such file', path=path)
    except OSError as e:
        raise exceptions.DataFileError('cannot read: %s' % e, path=path)
    with os.fdopen(fd, encoding='utf-8') as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise exceptions.DataFileError('not a regular file', path=path)
        os.set_blocking(fd, True)
        try:
            return f.read()
        except (OSError, UnicodeDecodeError) as e:
            raise exceptions.DataFileError('cannot read: %s' % e, path=path)


def parse(text: str, path: str) -> DataFile:
    """Parse and check the text of a data file."""
    doc = parse_yaml(text, path)
    if doc is None:
        raise exceptions.DataFileError('the file is empty', path=path)
    if not isinstance(doc, dict) or VERSION_KEY not in doc:
        raise exceptions.DataFileError(
            'not a migration data file (no top-level %r key)' % VERSION_KEY,
            path=path,
        )
    version = check_version(doc[VERSION_KEY], path)
    resources = doc.get(RESOURCES_KEY)
    if resources is None:
        resources = []
    if not isinstance(resources, list):
        raise exceptions.DataFileError(
            'must be a list', path=path, field=RESOURCES_KEY
        )
    for index, entry in enumerate(resources):
        check_entry(entry, path, index)
    return DataFile(path, version, resources)


def too_deep(doc: ty.Any, limit: int = MAX_DEPTH) -> bool:
    """Whether lists and mappings nest in ``doc`` more than ``limit`` deep
    (found without recursion)."""
    todo = [(doc, 0)]
    while todo:
        value, depth = todo.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            if depth >= limit:
                return True
            todo.extend((v, depth + 1) for v in value)
    return False


def check_entry(entry: ty.Any, path: str, index: int) -> None:
    """Raise DataFileError unless ``entry`` has the keys every resource has."""
    if not isinstance(entry, dict):
        raise exceptions.DataFileError(
            'must be a mapping', path=path, resource=label(entry, index)
        )
    for key in ENTRY_KEYS:
        if key not in entry:
            raise exceptions.DataFileError(
                'missing', path=path, resource=label(entry, index), field=key
            )
    if not isinstance(entry['type'], str):
        raise exceptions.DataFileError(
            'must be a string, not %s' % type_name(entry['type']),
            path=path,
            resource=label(entry, index),
            field='type',
        )
    for key in ('params', '_info', '_migration_params'):
        if key in entry and not isinstance(entry[key], dict):
            raise exceptions.DataFileError(
                'must be a mapping',
                path=path,
                resource=label(entry, index),
                field=key,
            )
    # Every resource's identity: hashable, printable.
    for part, key, kinds in (
        ('params', 'name', (str,)),
        ('_info', 'id', (str, int)),
    ):
        value = entry[part].get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, kinds)
        ):
            raise exceptions.DataFileError(
                'must be a string, not %s' % type_name(value),
                path=path,
                resource=label(entry, index),
                field='%s.%s' % (part, key),
            )


def load(path: str) -> DataFile:
    """Read a data file; a missing file raises DataFileError."""
    return parse(read_text(path), path)


def load_or_empty(path: str) -> DataFile:
    """Like :func:`load`, but a file that does not exist yet is empty."""
    if not os.path.exists(path):
        return DataFile(path, FORMAT_VERSION, [])
    return load(path)


def dump(resources: list[Entry], version: str = FORMAT_VERSION) -> str:
    """The YAML text of a data file, deterministic for the same input."""
    return yaml.safe_dump(
        {VERSION_KEY: version, RESOURCES_KEY: resources},
        default_flow_style=False,
        sort_keys=True,
        allow_unicode=True,
        width=100,
    )


def ensure_dir(path: str, link_ok: bool = True) -> None:
    """Make ``path`` a directory that only its owner can enter (0700).

    Missing directories are created, each 0700 (not left to the umask);
    an existing one is tightened, as the data directory holds what may be
    secret (``user_data``, metadata).

    :param link_ok: ``path`` may be a symbolic link to a directory (the
        data directory may); a sub-directory of the data directory may
        not: a planted link would lead our writes (and chmod) elsewhere
    """
    if not link_ok and os.path.islink(path):
        raise exceptions.DataFileError(
            'is a symbolic link: refused (it must be a directory)', path=path
        )
    missing = []
    head = os.path.abspath(path)
    while not os.path.lexists(head) and head != os.path.dirname(head):
        missing.append(head)
        head = os.path.dirname(head)
    for directory in reversed(missing):
        try:
            os.mkdir(directory, 0o700)
        except FileExistsError:
            pass  # made meanwhile, or not a directory: said below
        except OSError as e:
            raise exceptions.DataFileError(
                'cannot create the data directory: %s' % e.strerror, path=path
            )
        else:
            os.chmod(directory, 0o700)
    try:
        st = os.stat(path)
    except OSError as e:
        raise exceptions.DataFileError(
            'cannot create the data directory: %s' % e.strerror, path=path
        )
    if not stat.S_ISDIR(st.st_mode):
        raise exceptions.DataFileError('not a directory', path=path)
    make_private(path, st)


def make_private(path: str, st: os.stat_result | None = None) -> None:
    """Make an existing directory 0700 if it is not.

    :raises osmigrateclient.exceptions.DataFileError: it cannot be
    """
    st = st or os.stat(path)
    if stat.S_IMODE(st.st_mode) != 0o700:
        try:
            os.chmod(path, 0o700)
        except OSError as e:
            raise exceptions.DataFileError(
                'cannot make the directory private (mode 0700): %s; it may '
                'hold secrets: make it 0700 or use another one' % e.strerror,
                path=path,
            )


def open_private(path: str, flags: int) -> int:
    """Open a file of the data directory (a log, a blob): created 0600,
    never through a symbolic link (planted, it would make us write or
    upload a file elsewhere) nor anything but a regular file (a FIFO would
    block).  Returns the descriptor, blocking.

    :raises osmigrateclient.exceptions.DataFileError: it cannot be opened
    """
    try:
        fd = os.open(
            path,
            flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
            0o600,
        )
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise exceptions.DataFileError(
                'is a symbolic link: refused', path=path
            )
        raise exceptions.DataFileError(
            'cannot open: %s' % (e.strerror or e), path=path
        )
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise exceptions.DataFileError('not a regular file', path=path)
        if flags & (os.O_WRONLY | os.O_RDWR):
            os.fchmod(fd, 0o600)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def write(
    path: str, resources: list[Entry], version: str = FORMAT_VERSION
) -> bool:
    """Atomically write a data file (mode 0600); return False if unchanged.

    The text goes to a temporary file in the same directory that is renamed
    over ``path`` only once complete, so a failure never leaves a truncated
    file behind.
    """
    return write_text(path, dump(resources, version))


@contextlib.contextmanager
def locked(path: str) -> ty.Iterator[None]:
    """Hold an exclusive lock on ``path`` (its ``.lock`` file beside it,
    0600, not followed if a link) while the block runs: a read, change and
    write of a file that two commands may write at once."""
    directory = os.path.dirname(os.path.abspath(path))
    ensure_dir(directory)
    lock_path = path + '.lock'
    try:
        fd = os.open(
            lock_path,
            os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
            0o600,
        )
    except OSError as e:
        raise exceptions.DataFileError(
            'cannot lock: %s' % (e.strerror or e), path=lock_path
        )
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def write_text(path: str, text: str) -> bool:
    """Atomically write any file of the data directory (mode 0600), as
    :func:`write` does; return False if unchanged."""
    try:
        with open(path, encoding='utf-8') as f:
            if f.read() == text:
                return False
    except OSError:
        pass
    directory = os.path.dirname(os.path.abspath(path))
    ensure_dir(directory)
    try:
        fd, tmp = tempfile.mkstemp(
            dir=directory, prefix='.' + os.path.basename(path), suffix='.tmp'
        )
    except OSError as e:
        raise exceptions.DataFileError(
            'cannot write: %s' % (e.strerror or e), path=path
        )
    try:
        # mkstemp already creates the file 0600; say so for readers.
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError as e2:
            if e2.errno != errno.ENOENT:
                raise
        raise exceptions.DataFileError(
            'cannot write: %s' % (e.strerror or e), path=path
        )
    return True


def identity(entry: Entry) -> tuple[str, ty.Any]:
    """What makes two exports of a resource the same one."""
    return entry['type'], entry['_info'].get('id')


def merge(
    existing: list[Entry],
    new: list[Entry],
    key: ty.Callable[[Entry], ty.Hashable] = identity,
) -> list[Entry]:
    """Replace existing entries with the new ones of the same key, append
    the rest in their given order; the order of the file is kept otherwise.
    """
    by_key = {key(e): e for e in new}
    merged = []
    for entry in existing:
        k = key(entry)
        merged.append(by_key.pop(k, entry))
    seen = set(key(e) for e in existing)
    merged.extend(e for e in new if key(e) not in seen)
    return merged
