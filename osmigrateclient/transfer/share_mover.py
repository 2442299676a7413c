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

"""The share mover: what the import of a Manila share asks to copy its
files (:mod:`osmigrateclient.transfer.share_files`).

The files are copied when the share is NFS, the import has
``--src-cloud``, libnfs is installed and both shares have an export
location whose server answers on port 2049 from here.  The migrator
mounts each export as the address it reaches the server from
(``--nfs-client-address``, else the local address the system routes to
the server); a share whose access rules do not let that address in (read
for the source, read and write for the destination) gets a temporary
``ip`` rule for it, removed once the copy is done (Manila keeps one rule
per address: a read-only rule for that address is replaced meanwhile, and
put back).
"""

import contextlib
import ipaddress
import socket
import time
import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient import clouds
from osmigrateclient import exceptions
from osmigrateclient import progress
from osmigrateclient.transfer import nfs
from osmigrateclient.transfer import share_files
from osmigrateclient.transfer import share_tree

#: the NFS port: what "reachable" means
NFS_PORT = 2049
#: seconds to wait for the server's answer, and for a new rule
CONNECT_TIMEOUT = 5
RULE_WAIT = 60
#: mounts tried while a new rule reaches the server
MOUNT_TRIES = 5
NOT_COPIED = 'metadata only: the files of the share are not copied (%s)'
#: the states of an access rule on its way out
GONE = ('queued_to_deny', 'denying', 'deleting', 'deleted')


class NotCopied(Exception):
    """Why the files of a share cannot be copied (a remark, not a
    failure)."""


def location_of(locations: ty.Iterable[ty.Any]) -> str | None:
    """The export location to mount: a preferred one for users, else any
    one for users."""
    users = [e for e in locations if not getattr(e, 'is_admin', False)]
    users.sort(key=lambda e: (not getattr(e, 'is_preferred', False), e.path))
    return users[0].path if users else None


def client_address(host: str) -> str:
    """The local address the system uses to reach ``host`` (no packet
    is sent)."""
    info = socket.getaddrinfo(host, NFS_PORT, proto=socket.IPPROTO_UDP)[0]
    with socket.socket(info[0], socket.SOCK_DGRAM) as s:
        s.connect(info[4])
        return s.getsockname()[0]


def reachable(host: str) -> bool:
    try:
        with socket.create_connection((host, NFS_PORT), CONNECT_TIMEOUT):
            return True
    except OSError:
        return False


def lets_in(rules: ty.Iterable[ty.Any], address: str, level: str) -> bool:
    """Whether an active ``ip`` rule lets ``address`` in at ``level``
    ('ro': either level will do)."""
    addr = ipaddress.ip_address(address)
    for r in rules:
        if r.access_type != 'ip' or r.state != 'active':
            continue
        if level == 'rw' and r.access_level != 'rw':
            continue
        try:
            if addr in ipaddress.ip_network(r.access_to, strict=False):
                return True
        except ValueError:
            continue
    return False


@contextlib.contextmanager
def _api(what: str) -> ty.Iterator[None]:
    """API errors of the share ``what`` as MigrateError."""
    try:
        yield
    except sdk_exceptions.SDKException as e:
        raise exceptions.MigrateError('%s: %s' % (what, e)) from None


class ShareMover:
    """The share mover of one run."""

    def __init__(self) -> None:
        #: source share id -> (location, tree) walked in this run
        self._trees: dict[str, tuple[str, dict]] = {}

    # -- whether, and what -------------------------------------------------

    def _source(self, lookup: ty.Any, entry: dict) -> tuple[ty.Any, str]:
        """(source connection, source share id).

        :raises NotCopied: no --src-cloud, or not an NFS share
        """
        proto = (entry['params'].get('share_protocol') or '').upper()
        if proto != 'NFS':
            raise NotCopied(
                'a %s share: only the files of NFS shares are copied'
                % (proto or 'protocol-less')
            )
        if not lookup.option('src_cloud'):
            raise NotCopied('import with --src-cloud to copy them over NFS')
        try:
            nfs.library()
        except nfs.LibraryMissing as e:
            raise NotCopied(str(e)) from None
        return lookup.other_side(clouds.SOURCE), entry['_info']['id']

    def _location(self, conn: ty.Any, share_id: str, side: str) -> str:
        where = location_of(conn.shared_file_system.export_locations(share_id))
        if where is None:
            raise NotCopied('the %s share has no export location' % side)
        host = nfs.host_of(where)
        if not reachable(host):
            raise NotCopied(
                'the %s export %s does not answer on port %d from here'
                % (side, where, NFS_PORT)
            )
        return where

    def _address(self, lookup: ty.Any, location: str) -> str:
        return lookup.option('nfs_client_address') or client_address(
            nfs.host_of(location)
        )

    def _access(
        self, conn: ty.Any, share_id: str, address: str, level: str
    ) -> ty.Callable[[], None]:
        """Let ``address`` in at ``level`` for a while: what undoes it.

        A share that lets it in already is left alone; one with a rule of
        a lower level for that very address (Manila keeps one rule per
        address) has it replaced until the undo puts it back.
        """
        proxy = conn.shared_file_system
        rules = list(proxy.access_rules(share_id))
        if lets_in(rules, address, level):
            return lambda: None
        same = [
            r
            for r in rules
            if r.access_type == 'ip'
            and r.access_to == address
            and r.state not in GONE
        ]
        for r in same:
            proxy.delete_access_rule(r.id, share_id)
            self._wait_rule(proxy, share_id, r.id, None)
        rule = proxy.create_access_rule(
            share_id, access_type='ip', access_to=address, access_level=level
        )
        self._wait_rule(proxy, share_id, rule.id, 'active')

        def undo() -> None:
            proxy.delete_access_rule(rule.id, share_id)
            if same:
                self._wait_rule(proxy, share_id, rule.id, None)
            for r in same:
                proxy.create_access_rule(
                    share_id,
                    access_type='ip',
                    access_to=address,
                    access_level=r.access_level,
                )

        return undo

    def _wait_rule(
        self, proxy: ty.Any, share_id: str, rule_id: str, state: str | None
    ) -> None:
        """Wait until the rule is in ``state`` (None: gone).

        :raises osmigrateclient.exceptions.MigrateError: it went to an
            error state, or did not get there in time
        """
        deadline = time.monotonic() + RULE_WAIT
        while True:
            now = {r.id: r.state for r in proxy.access_rules(share_id)}.get(
                rule_id
            )
            if now == state:
                return
            if (now or '').startswith('error') or time.monotonic() > deadline:
                raise exceptions.MigrateError(
                    'share %s: the access rule %s for the migrator is %s, '
                    'not %s' % (share_id, rule_id, now, state or 'gone')
                )
            time.sleep(0.5)

    def _mount(self, location: str, label: str) -> nfs.Export:
        for attempt in range(MOUNT_TRIES):
            try:
                return nfs.Export(nfs.url_of(location), label)
            except nfs.LibraryMissing:
                raise
            except exceptions.MigrateError:
                # a new rule may not have reached the server yet
                if attempt == MOUNT_TRIES - 1:
                    raise
                time.sleep(1)
        raise AssertionError('unreachable')  # pragma: no cover

    def _tree(
        self, lookup: ty.Any, entry: dict, label: str
    ) -> tuple[str, dict]:
        """(location, tree) of the source share, walked once per run."""
        conn, share_id = self._source(lookup, entry)
        if share_id not in self._trees:
            where = self._location(conn, share_id, 'source')
            undo = self._access(
                conn, share_id, self._address(lookup, where), 'ro'
            )
            try:
                with self._mount(where, 'source %s' % label) as src:
                    tree = share_tree.walk(src, 'source %s' % label)
            finally:
                undo()
            self._trees[share_id] = (where, tree)
        return self._trees[share_id]

    def _journal(
        self, lookup: ty.Any, share: ty.Any
    ) -> share_files.Journal | None:
        if not lookup.data_dir:
            return None
        return share_files.Journal(lookup.data_dir, share.id)

    def pending(self, lookup: ty.Any, share: ty.Any, entry: dict) -> str:
        """'' when the destination ``share`` holds the source's files as
        the last copy verified them (or they cannot be copied); else what
        differs, as a change's detail.

        :raises osmigrateclient.exceptions.MigrateError: the source
            cannot be read
        """
        if lookup.option('dry_run'):
            return ''
        try:
            with _api('the source of share %r' % share.name):
                _, tree = self._tree(lookup, entry, repr(share.name))
        except NotCopied:
            return ''
        journal = self._journal(lookup, share)
        digest = share_tree.tree_digest(tree)
        if journal is not None and journal.read().get('tree') == digest:
            return ''
        return 'files to check or copy'

    # -- the copy -----------------------------------------------------------

    def copy(self, lookup: ty.Any, share: ty.Any, entry: dict) -> str:
        """Copy the files of the entry's source share into the destination
        ``share`` (available); what was done, or why not, as a remark.

        :raises osmigrateclient.exceptions.MigrateError: the copy failed
        """
        label = repr(share.name)
        try:
            where, tree = self._tree(lookup, entry, label)
            dst_where = self._location(lookup.conn, share.id, 'destination')
        except NotCopied as e:
            return NOT_COPIED % e
        undo = self._access(
            lookup.conn, share.id, self._address(lookup, dst_where), 'rw'
        )
        try:
            result = share_files.copy_tree(
                lambda: self._mount(where, 'source %s' % label),
                lambda: self._mount(dst_where, 'share %s' % label),
                tree,
                self._journal(lookup, share),
                lookup.option('parallel') or 1,
                'share %s' % label,
            )
        finally:
            undo()
        text = 'files: %d copied (%s) and verified, %d unchanged' % (
            result.files,
            progress._size(result.bytes),
            result.unchanged,
        )
        if result.hardlinks:
            text += ', %d hard link(s) made' % result.hardlinks
        if result.skipped:
            text += ', %d special file(s) skipped' % result.skipped
        if result.owners:
            text += '; ' + result.owners
        return text
