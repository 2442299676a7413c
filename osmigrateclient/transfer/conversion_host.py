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

"""Conversion hosts: the servers that move volume bytes, a pool of pairs
(:mod:`~osmigrateclient.transfer.host_pool`), one host per side in each.

``deploy`` makes, idempotently, per host: the SSH key pairs of the data
directory (``<data-dir>/conversion/ssh.key`` and the pair's link key,
0600), a Nova keypair, a security group admitting tcp/22 only from the
migrator's address (and, on a source host, from its pair's destination
host) and nothing else, and the server.  It then pins the host key from
the console log, waits for SSH, checks the tools and links the hosts of
each pair: the destination host gets the private half of the pair's link
key and the source host's pinned key, the source host the public half in
``authorized_keys``, restricted to the destination host's address, the
copy's one command and its one reverse forwarding
(:func:`~osmigrateclient.transfer.host_scripts.link_key_line`).

What ``deploy`` made is recorded in ``<data-dir>/conversion/hosts.yml``
(0600), so that ``delete`` removes exactly that.  A host brought by the
user (``server`` given) is used as it is and never deleted; ``delete``
takes the link key off it.  ``hosts.yml`` is checked when read: values
that reach ssh or a shell must be plain (addresses, user names, keys).
"""

import copy
import logging
import os
import shlex
import time
import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient import datadir
from osmigrateclient import exceptions
from osmigrateclient import record as record_mod
from osmigrateclient.transfer import blockcopy
from osmigrateclient.transfer import host_cloud
from osmigrateclient.transfer import host_pool
from osmigrateclient.transfer import host_records
from osmigrateclient.transfer import host_scripts
from osmigrateclient.transfer import ssh

LOG = logging.getLogger(__name__)

SIDES = host_pool.SIDES
SRC, DST = SIDES
DEFAULT_NAMES = {side: datadir.CONVERSION_HOST_PREFIX + side for side in SIDES}
DEFAULT_IMAGE = 'os_migrate_conv'
#: seconds for the server to go ACTIVE, its host key to show, SSH to answer
TIMEOUT = 600.0
SSH_TIMEOUT = 300.0


def hosts_path(data_dir: str) -> str:
    return os.path.join(ssh.conversion_dir(data_dir), datadir.HOSTS)


def hosts_record(data_dir: str) -> record_mod.Record:
    """``hosts.yml``: two commands (deploys of either side) may write it
    at once."""
    return record_mod.Record(
        hosts_path(data_dir),
        host_records.check_file,
        parse=host_records.parse,
        link_ok=True,
        shared=True,
    )


def load_hosts(data_dir: str) -> dict:
    """key (:func:`~osmigrateclient.transfer.host_pool.key`: ``src`` and
    ``dst`` for pair 1) -> record of ``hosts.yml`` (empty when none).

    :raises osmigrateclient.exceptions.DataFileError: it cannot be read,
        or is not of the shape ``deploy`` writes (the message names the
        host and the field)
    """
    return hosts_record(data_dir).read().get('hosts') or {}


def check_complete(data_dir: str, key: str, record: dict) -> None:
    """:raises osmigrateclient.exceptions.DataFileError: the host of
    ``key`` lacks what a copy needs (its deploy did not finish)"""
    for field in ('server_id', 'address'):
        if not record.get(field):
            raise exceptions.DataFileError(
                'missing: deploy the conversion host again',
                path=hosts_path(data_dir),
                resource='host %s' % key,
                field=field,
            )


def save_hosts(data_dir: str, hosts: dict) -> None:
    hosts_record(data_dir).write({'hosts': hosts})


def ssh_host(data_dir: str, record: dict) -> ssh.Host:
    return ssh.Host(
        record['address'],
        ssh.key_path(data_dir),
        ssh.known_hosts_path(data_dir),
        user=record.get('user') or 'root',
        name=record.get('name') or '',
    )


def link_of(record: dict) -> blockcopy.Link:
    """How the destination host reaches the source host ``record``."""
    return blockcopy.Link(record.get('link_address') or record['address'])


def _copies(conn: ty.Any, server: ty.Any) -> int:
    """The volumes attached to a conversion host's ``server``, its own
    boot volume aside: one list of its attachments."""
    found = list(conn.compute.volume_attachments(server.id))
    devices = [a.device for a in found if isinstance(a.device, str)]
    if _image_id(server) or not devices:
        return len(found)
    # Booted from a volume: the one at its root device, which Nova shows
    # to admins only; else at its first device name (the boot volume's:
    # later attachments get the next ones).
    boot = getattr(server, 'root_device_name', None) or min(devices)
    return len([a for a in found if a.device != boot])


def _image_id(server: ty.Any) -> str | None:
    image = getattr(server, 'image', None)
    if isinstance(image, str):
        return image or None
    if isinstance(image, dict):
        return image.get('id') or None
    return getattr(image, 'id', None) or None


# -- the work -----------------------------------------------------------------


class Options(ty.NamedTuple):
    name: str
    image: str = DEFAULT_IMAGE
    flavor: str | None = None
    network: str | None = None
    allowed_cidrs: tuple[str, ...] = ()
    floating_ip: bool = False
    floating_network: str = 'public'
    server: str | None = None
    user: str = 'root'
    install_tools: bool = False
    #: where Nova puts the server (its default when None)
    availability_zone: str | None = None


class Status(ty.NamedTuple):
    pair: int
    side: str
    name: str
    id: str
    address: str
    status: str
    #: volumes attached to the host now (its copies, during a run); '-'
    #: when its server is not there
    copies: int | str
    ready: str


class Hosts:
    """Deploys, checks and deletes the conversion hosts of a data dir.

    A host is named by its key in ``hosts.yml`` (``src``, ``dst``,
    ``src-2``, ...: :mod:`~osmigrateclient.transfer.host_pool`).
    """

    def __init__(
        self,
        data_dir: str,
        runner: ssh.Runner | None = None,
        clock: ty.Callable[[], float] = time.monotonic,
        pause: ty.Callable[[float], None] = time.sleep,
        timeout: float = TIMEOUT,
        ssh_timeout: float = SSH_TIMEOUT,
    ) -> None:
        self.data_dir = data_dir
        self.runner = runner or ssh.Runner()
        self.clock = clock
        self.pause = pause
        self.timeout = timeout
        self.ssh_timeout = ssh_timeout
        self.records = load_hosts(data_dir)
        #: what the file held when last read or written, by key
        self._known = copy.deepcopy(self.records)

    def _save(self) -> None:
        """Write the hosts this object changed; keep what another command
        (a deploy of the other side, say) wrote to the others since."""

        def merge(doc: dict) -> None:
            on_disk = doc.get('hosts') or {}
            for key in set(self.records) | set(self._known) | set(on_disk):
                ours = self.records.get(key)
                if ours == self._known.get(key) and ours != on_disk.get(key):
                    # unchanged here, changed by another command: theirs
                    if key in on_disk:
                        self.records[key] = on_disk[key]
                    else:
                        self.records.pop(key, None)
            doc.clear()
            doc['hosts'] = self.records

        hosts_record(self.data_dir).update(merge)
        self._known = copy.deepcopy(self.records)

    def _poll(self, what: str, fn: ty.Callable[[], ty.Any], timeout: float):
        deadline = self.clock() + timeout
        delay = 0.5
        while True:
            value = fn()
            if value:
                return value
            if self.clock() >= deadline:
                raise exceptions.MigrateError(
                    'timed out after %d s waiting for %s' % (timeout, what)
                )
            self.pause(delay)
            delay = min(delay * 2, 5.0)

    # -- the pool -----------------------------------------------------------

    def keys(self) -> list[str]:
        """The keys of the recorded hosts, by pair, the source first."""
        return host_pool.ordered(self.records)

    def pair_numbers(self, count: int) -> list[int]:
        """The pair numbers of a pool of ``count`` pairs.

        :raises osmigrateclient.exceptions.MigrateError: the pool has more
            (:func:`~osmigrateclient.transfer.host_pool.pair_numbers`)
        """
        return host_pool.pair_numbers(
            self.records, count, hosts_path(self.data_dir)
        )

    def named(self, names: ty.Iterable[str]) -> list[str]:
        """The keys of the hosts of these names (or server IDs).

        :raises osmigrateclient.exceptions.MigrateError: one is unknown
        """
        return host_pool.named(self.records, names, hosts_path(self.data_dir))

    # -- deploy -------------------------------------------------------------

    def deploy(self, key: str, conn: ty.Any, opts: Options) -> dict:
        """Make (or find) the host of ``key``; its record."""
        if not host_records.USER_NAME.match(opts.user):
            raise exceptions.MigrateError(
                'not a user name: %r (letters, digits, _ . -)' % opts.user
            )
        public = ssh.ensure_key(self.runner, ssh.key_path(self.data_dir))
        ssh.ensure_key(
            self.runner,
            host_pool.link_key_path(self.data_dir, host_pool.pair_of(key)),
        )
        record = dict(self.records.get(key) or {})
        record.update(name=opts.name, user=opts.user)
        record.setdefault('created', {})
        self.records[key] = record
        if opts.server:
            server = conn.compute.find_server(
                opts.server, ignore_missing=False
            )
            record.update(server_id=server.id, owned=False, name=server.name)
            self._save()
        else:
            record['owned'] = True
            server = host_cloud.make_server(
                conn,
                opts,
                record,
                public,
                ssh.key_path(self.data_dir),
                self._save,
            )
        server = self._poll(
            'server %s to be ACTIVE' % record['name'],
            lambda: host_cloud.active(conn, record['server_id']),
            self.timeout,
        )
        if getattr(server, 'availability_zone', None):
            record['availability_zone'] = server.availability_zone
        record['address'] = host_cloud.fixed_address(
            conn, server, opts.network
        )
        record['link_address'] = record['address']
        if opts.floating_ip and not opts.server:
            record['address'] = host_cloud.floating_ip(
                conn, server, opts, record, self._save
            )
        self._save()
        if record['owned']:
            record['migrator_cidrs'] = list(opts.allowed_cidrs) or [
                host_cloud.as_cidr(
                    ssh.local_address(self.runner, record['address'])
                )
            ]
            self.admit(conn, key)
        self._pin(conn, record)
        host = ssh_host(self.data_dir, record)
        self._poll(
            'SSH on %s (%s)' % (record['name'], record['address']),
            lambda: (
                ssh.run(self.runner, host, 'true', check=False).returncode == 0
            ),
            self.ssh_timeout,
        )
        missing = self.missing_tools(host)
        if missing and opts.install_tools:
            ssh.run(
                self.runner, host, host_scripts.install_script(), timeout=1800
            )
            missing = self.missing_tools(host)
        if missing:
            raise exceptions.MigrateError(
                'conversion host %s lacks: %s (install them, or deploy with '
                '--install-tools)' % (record['name'], ', '.join(missing))
            )
        return record

    def admit(self, conn, key: str) -> None:
        """Make the security group of ``key``'s host admit exactly tcp/22
        from the migrator (and, on a source host, from its pair's
        destination host): other ingress rules are deleted.  Records what
        it then admits."""
        record = self.records[key]
        group_id = record['created'].get('security_group')
        if not group_id:
            return
        # (Records of older versions hold the migrator's CIDRs only.)
        want = set(
            record.get('migrator_cidrs', record.get('allowed_cidrs')) or []
        )
        other = self.records.get(host_pool.partner(key))
        if (
            host_pool.side_of(key) == SRC
            and other
            and other.get('link_address')
        ):
            want.add(host_cloud.as_cidr(other['link_address']))
        record['allowed_cidrs'] = host_cloud.admit_ssh(conn, group_id, want)
        self._save()

    def _pin(self, conn, record: dict) -> list[str]:
        def keys():
            out = conn.compute.get_server_console_output(record['server_id'])
            return ssh.host_keys_from_console((out or {}).get('output', ''))

        found = self._poll(
            'the host keys of %s in its console log' % record['name'],
            keys,
            self.timeout,
        )
        record['host_keys'] = found
        known = ssh.known_hosts_path(self.data_dir)
        ssh.pin_host_keys(known, record['address'], found)
        if record.get('link_address') != record['address']:
            ssh.pin_host_keys(known, record['link_address'], found)
        self._save()
        return found

    def missing_tools(self, host: ssh.Host) -> list[str]:
        done = ssh.run(
            self.runner, host, host_scripts.tools_script(), timeout=60
        )
        return [w for w in done.stdout.splitlines() if w.strip()]

    def link(self, src_conn: ty.Any | None, pair: int = 1) -> None:
        """Let ``pair``'s destination host log into its source host."""
        src_key = host_pool.key(SRC, pair)
        src = self.records.get(src_key)
        dst = self.records.get(host_pool.key(DST, pair))
        if not (src and dst and src.get('address') and dst.get('address')):
            return
        if src_conn is not None and src.get('owned'):
            self.admit(src_conn, src_key)
        link = link_of(src)
        src_host = ssh_host(self.data_dir, src)
        dst_host = ssh_host(self.data_dir, dst)
        key_path = host_pool.link_key_path(self.data_dir, pair)
        with open(key_path, encoding='utf-8') as f:
            private = f.read()
        public = host_scripts.link_public(key_path)
        # Recorded first: delete takes the key off even after a failure.
        src['link_from'] = dst.get('link_address') or dst['address']
        dst['link_key'] = True
        self._save()
        line = host_scripts.link_key_line(public, src['link_from'])
        ssh.run(
            self.runner,
            src_host,
            host_scripts.authorize_script(line, public),
            timeout=60,
        )
        host_scripts.put(self.runner, dst_host, link.key_file, private)
        known = '\n'.join(
            ssh.known_hosts_lines(link.address, src.get('host_keys') or [])
        )
        host_scripts.put(self.runner, dst_host, link.known_hosts, known + '\n')
        done = ssh.run(
            self.runner,
            dst_host,
            host_scripts.link_check_argv(link),
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise exceptions.MigrateError(
                'the destination host %s cannot log into the source host %s: '
                '%s' % (dst['name'], link.address, done.stderr.strip())
            )

    def _unlink(self, key: str) -> list[str]:
        """Take the link key off the hosts that stay when ``key``'s host
        goes: its pair's source host's authorized_keys (unless that server
        is deleted), a brought-in destination host's key files.  A host
        that cannot be reached keeps it (logged)."""
        done = []
        side, pair = host_pool.side_of(key), host_pool.pair_of(key)
        src_key, dst_key = host_pool.key(SRC, pair), host_pool.key(DST, pair)
        src, dst = self.records.get(src_key), self.records.get(dst_key)
        todo = []
        if src and src.get('link_from'):
            if not (side == SRC and src.get('owned')):
                public = host_scripts.link_public(
                    host_pool.link_key_path(self.data_dir, pair)
                )
                todo.append((src_key, host_scripts.unauthorize_script(public)))
        if (
            side == DST
            and dst
            and dst.get('link_key')
            and not dst.get('owned')
        ):
            link = link_of(src) if src else blockcopy.Link('')
            files = ' '.join(
                shlex.quote(p) for p in (link.key_file, link.known_hosts)
            )
            todo.append((dst_key, 'rm -f %s' % files))
        for where, script in todo:
            record = self.records[where]
            host = ssh_host(self.data_dir, record)
            try:
                ssh.run(self.runner, host, script, timeout=60)
            except exceptions.MigrateError as e:
                LOG.warning(
                    'cannot take the link key off %s: %s', host.label, e
                )
                continue
            field = 'link_from' if where == src_key else 'link_key'
            record.pop(field, None)
            self._save()
            done.append('link key on %s' % host.label)
        return done

    # -- list ---------------------------------------------------------------

    def status(self, key: str, conn: ty.Any) -> Status:
        side, pair = host_pool.side_of(key), host_pool.pair_of(key)
        record = self.records.get(key)
        if not record:
            return Status(pair, side, '', '', '', 'not deployed', '-', 'no')
        copies: int | str = '-'
        try:
            if not record.get('server_id'):
                raise sdk_exceptions.NotFoundException('no server')
            server = conn.compute.get_server(record['server_id'])
            status = server.status
            copies = _copies(conn, server)
        except sdk_exceptions.NotFoundException:
            status = 'missing'
        ready = 'no'
        if status == 'ACTIVE' and record.get('address'):
            host = ssh_host(self.data_dir, record)
            try:
                if self.missing_tools(host):
                    ready = 'no: tools missing'
                else:
                    ready = 'yes'
            except exceptions.MigrateError:
                ready = 'no: SSH fails'
        return Status(
            pair,
            side,
            record.get('name', ''),
            record.get('server_id', ''),
            record.get('address', ''),
            status,
            copies,
            ready,
        )

    # -- delete -------------------------------------------------------------

    def delete(self, key: str, conn: ty.Any) -> list[str]:
        """Remove what ``deploy`` made for ``key``'s host; what was
        removed."""
        record = self.records.get(key)
        if not record:
            return []
        created = record.get('created') or {}
        done = self._unlink(key)
        if created.get('floating_ip'):
            conn.network.delete_ip(created['floating_ip'], ignore_missing=True)
            done.append('floating IP %s' % created['floating_ip'])
        if created.get('server'):
            server_id = created['server']
            conn.compute.delete_server(server_id, ignore_missing=True)
            self._poll(
                'server %s to be deleted' % server_id,
                lambda: (
                    conn.compute.find_server(server_id, ignore_missing=True)
                    is None
                ),
                self.timeout,
            )
            done.append('server %s' % server_id)
        if created.get('security_group'):
            group_id = created['security_group']

            def delete_group():
                # The server's port may hold the group for a moment.
                try:
                    conn.network.delete_security_group(
                        group_id, ignore_missing=True
                    )
                except sdk_exceptions.ConflictException:
                    return False
                return True

            self._poll(
                'security group %s to be deleted' % group_id,
                delete_group,
                self.timeout,
            )
            done.append('security group %s' % created['security_group'])
        if created.get('keypair'):
            conn.compute.delete_keypair(
                created['keypair'], ignore_missing=True
            )
            done.append('keypair %s' % created['keypair'])
        del self.records[key]
        self._save()
        return done
