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

"""A pool of conversion hosts: pairs numbered from 1, each a source host
and a destination host linked by a key of their own.

In ``hosts.yml`` a host's record is under its *key*: ``src`` and ``dst``
for pair 1 (so that the one pair of earlier versions reads as a pool of
one, and a pool of one is written as before), ``src-<n>`` and ``dst-<n>``
for pair ``n`` from 2.  Pair 1's link key is ``conversion/link-ssh.key``,
pair ``n``'s ``conversion/link-ssh-<n>.key``.

A pool of ``count`` pairs keeps the pairs it has (whatever their numbers,
after ``delete --host``) and takes the lowest free numbers for the ones it
adds; it never drops a pair by itself.

The copies of a run share the pool through one :class:`Scheduler` per
data directory and process (:func:`scheduler`): each copy takes a free
pair in its volumes' availability zones if there is one (Nova may refuse
to attach a volume across zones), else any free pair; of those, the one
with the fewest copies running, at most ``per_host`` on each, and gives it
back when done.  A pair whose host failed leaves the pool for the rest of
the process (the run): it is never handed out again.
"""

import contextlib
import os
import re
import threading
import typing as ty

from osmigrateclient import datadir
from osmigrateclient import exceptions
from osmigrateclient.transfer import ssh

SIDES = ('src', 'dst')
_SIDE_WORDS = {'src': 'source', 'dst': 'destination'}
#: the most pairs a pool may have (the keys of hosts.yml are checked
#: against it)
MAX_COUNT = 100
_KEY = re.compile(r'(src|dst)(?:-([2-9]|[1-9][0-9]{1,2}))?\Z')
#: what a key may be, for a message
KEYS_HELP = 'src, dst, or src-<n>, dst-<n> for pair n from 2 to %d' % (
    MAX_COUNT
)


def key(side: str, pair: int) -> str:
    """The key in ``hosts.yml`` of the host of ``side`` in ``pair``."""
    return side if pair == 1 else '%s-%d' % (side, pair)


def parse_key(text: ty.Any) -> tuple[str, int] | None:
    """(side, pair) of a key of ``hosts.yml``, or None if it is not one."""
    found = _KEY.match(text) if isinstance(text, str) else None
    if not found or int(found.group(2) or 1) > MAX_COUNT:
        return None
    return found.group(1), int(found.group(2) or 1)


def side_of(host_key: str) -> str:
    return ty.cast(tuple, parse_key(host_key))[0]


def pair_of(host_key: str) -> int:
    return ty.cast(tuple, parse_key(host_key))[1]


def partner(host_key: str) -> str:
    """The key of the other host of the same pair."""
    side, pair = ty.cast(tuple, parse_key(host_key))
    return key(SIDES[1 - SIDES.index(side)], pair)


def pairs(records: ty.Mapping[str, ty.Any]) -> list[int]:
    """The numbers of the pairs that have a host, in order."""
    return sorted({pair_of(k) for k in records})


def whole_pairs(records: ty.Mapping[str, ty.Any]) -> list[int]:
    """The numbers of the pairs that have both their hosts: the ones a
    copy can use."""
    return [
        p for p in pairs(records) if all(key(s, p) in records for s in SIDES)
    ]


def missing_sides(records: ty.Mapping[str, ty.Any]) -> list[str]:
    """The sides a copy lacks a host of: none when a pair has both hosts;
    else the sides no pair has a host of (both, when the hosts there are
    belong to different pairs)."""
    if whole_pairs(records):
        return []
    have = {side_of(k) for k in records}
    return [s for s in SIDES if s not in have] or list(SIDES)


def ordered(records: ty.Mapping[str, ty.Any]) -> list[str]:
    """The keys of ``records`` by pair, the source host first."""
    return sorted(records, key=lambda k: (pair_of(k), SIDES.index(side_of(k))))


def pair_numbers(
    records: ty.Mapping[str, dict], count: int, hosts_file: str
) -> list[int]:
    """The numbers of the ``count`` pairs of a pool that has ``records``:
    those it has, then the lowest free ones.

    :raises osmigrateclient.exceptions.MigrateError: ``count`` is out of
        range, or the pool has more pairs (they are never deleted
        implicitly)
    """
    if not 1 <= count <= MAX_COUNT:
        raise exceptions.MigrateError(
            '--count must be from 1 to %d, not %d' % (MAX_COUNT, count)
        )
    have = pairs(records)
    if len(have) > count:
        names = [records[k].get('name') or k for k in ordered(records)]
        raise exceptions.MigrateError(
            'the pool of %s has %d pairs of conversion hosts, more than '
            '--count %d: remove the ones you no longer want with '
            '"openstack migrate conversion host delete --host NAME" '
            '(hosts: %s)' % (hosts_file, len(have), count, ', '.join(names))
        )
    free = (n for n in range(1, MAX_COUNT + 1) if n not in have)
    return sorted(have + [next(free) for _ in range(count - len(have))])


def host_name(
    records: ty.Mapping[str, dict], host_key: str, base: str, count: int
) -> str:
    """The name of the host of ``host_key``: the one it has, else ``base``
    for the one pair of a pool of one, else ``<base>-<pair>``."""
    recorded = (records.get(host_key) or {}).get('name')
    if recorded:
        return recorded
    pair = pair_of(host_key)
    return base if count == 1 and pair == 1 else '%s-%d' % (base, pair)


def zone(pair: int, zones: ty.Sequence[str]) -> str | None:
    """The availability zone of ``pair``'s hosts: ``zones`` in turn."""
    return zones[(pair - 1) % len(zones)] if zones else None


class Zones(ty.NamedTuple):
    """The availability zones of a copy's two ends, or of a pair's two
    hosts (None: not known)."""

    src: str | None = None
    dst: str | None = None


#: zones not known
NO_ZONES = Zones()


def zone_of(value: ty.Any) -> str | None:
    """An availability zone read from a cloud or a file, None unless it is
    a name."""
    return value if isinstance(value, str) and value else None


def zones_of(records: ty.Mapping[str, dict]) -> dict[int, Zones]:
    """pair -> the zones of its hosts, of the whole pairs of ``records``
    (``availability_zone``, which deploy records)."""
    return {
        p: Zones(
            *(
                zone_of(records[key(s, p)].get('availability_zone'))
                for s in SIDES
            )
        )
        for p in whole_pairs(records)
    }


def link_key_path(data_dir: str, pair: int) -> str:
    """The private key of ``pair``'s destination host to its source
    host."""
    if pair == 1:
        return ssh.link_key_path(data_dir)
    stem, ext = os.path.splitext(datadir.LINK_SSH_KEY)
    return os.path.join(
        ssh.conversion_dir(data_dir), '%s-%d%s' % (stem, pair, ext)
    )


def named(
    records: ty.Mapping[str, dict], names: ty.Iterable[str], hosts_file: str
) -> list[str]:
    """The keys of the hosts of these names (or server IDs), in order.

    :raises osmigrateclient.exceptions.MigrateError: one is unknown
    """
    found = set()
    for name in names:
        keys = {
            k
            for k, record in records.items()
            if name in (record.get('name'), record.get('server_id'))
        }
        if not keys:
            known = [records[k].get('name') or k for k in ordered(records)]
            raise exceptions.MigrateError(
                'no conversion host named %s in %s (hosts: %s)'
                % (name, hosts_file, ', '.join(known) or 'none')
            )
        found |= keys
    return ordered({k: None for k in found})


class Scheduler:
    """Hands the pairs of a pool out to copies: of the pairs with a free
    place, those whose source host is in the zone of the copy's source
    volume first, of them those whose destination host is in the zone of
    its destination volume; then the one with the fewest copies running
    (of those, the one handed out least); at most ``per_host`` at once on
    each.  A copy waits for a place only when every pair is full: never
    for a busy pair of its zones while another pair is free.  A pair
    marked failed (:meth:`fail`) is never handed out again."""

    def __init__(
        self,
        pairs: ty.Iterable[int],
        per_host: int,
        zones: ty.Mapping[int, Zones] | None = None,
    ) -> None:
        self.per_host = max(1, per_host)
        #: pair -> copies running on it
        self.active = {pair: 0 for pair in pairs}
        #: pair -> the zones of its hosts
        self.zones = {p: (zones or {}).get(p, NO_ZONES) for p in self.active}
        #: pair -> copies it was given, so that copies one after the other
        #: take the pairs in turn
        self.given = dict.fromkeys(self.active, 0)
        #: pair -> why it left the pool (for the rest of the process)
        self.failed: dict[int, str] = {}
        self._changed = threading.Condition()

    def fail(self, pair: int, why: str) -> None:
        """Take ``pair`` out of the pool (the first ``why`` stays); the
        copies waiting for a place are woken: they take another pair, or
        fail when none is left."""
        with self._changed:
            self.failed.setdefault(pair, why)
            self._changed.notify_all()

    def healthy(self) -> list[int]:
        """The pairs not marked failed."""
        return [p for p in self.active if p not in self.failed]

    def misses(self, pair: int, wanted: Zones) -> list[str]:
        """The sides whose host in ``pair`` is not in the zone ``wanted``
        there (a zone not known, of the volume or of the host, is no miss:
        a host deployed by an earlier version has none recorded)."""
        return [
            side
            for side, want, have in zip(
                SIDES, wanted, self.zones[pair], strict=True
            )
            if None not in (want, have) and want != have
        ]

    def off_zones(self, pair: int, wanted: Zones) -> str:
        """How ``pair``'s hosts miss the ``wanted`` zones, for a log (''
        when they do not)."""
        return '; '.join(
            'its %s host is in %s, the volume in %s'
            % (
                _SIDE_WORDS[side],
                getattr(self.zones[pair], side),
                getattr(wanted, side),
            )
            for side in self.misses(pair, wanted)
        )

    @contextlib.contextmanager
    def take(
        self, held: int | None = None, wanted: Zones = NO_ZONES
    ) -> ty.Iterator[int]:
        """A pair, for the time of the ``with`` block.

        :param held: the pair a volume of the copy is attached to already
            (a late attach of an earlier run): that one, whatever its load,
            unless it failed
        :param wanted: the zones of the copy's volumes: a free pair there
            is preferred (the source side first)
        :raises osmigrateclient.exceptions.MigrateError: every pair failed
            (the message says which hosts and why)
        """
        with self._changed:
            if held in self.failed:
                held = None
            while held not in self.active:
                healthy = self.healthy()
                if not healthy:
                    raise exceptions.MigrateError(self.none_left())
                free = [p for p in healthy if self.active[p] < self.per_host]
                if free:
                    held = min(
                        free,
                        key=lambda p: (
                            [s in self.misses(p, wanted) for s in SIDES],
                            self.active[p],
                            self.given[p],
                            p,
                        ),
                    )
                    break
                self._changed.wait()
            self.active[held] += 1
            self.given[held] += 1
        try:
            yield held
        finally:
            with self._changed:
                self.active[held] -= 1
                self._changed.notify_all()

    def none_left(self) -> str:
        """The message of a copy that finds no pair left."""
        return 'no pair of conversion hosts left in the pool: %s' % (
            '; '.join(
                'pair %d: %s' % (p, why)
                for p, why in sorted(self.failed.items())
            )
        )


_SCHEDULERS: dict[tuple, Scheduler] = {}
_SCHEDULERS_LOCK = threading.Lock()


def scheduler(
    hosts_file: str,
    pairs: ty.Iterable[int],
    per_host: int,
    zones: ty.Mapping[int, Zones] | None = None,
) -> Scheduler:
    """The scheduler that every copier of this process shares for the pool
    of ``hosts_file`` (its ``pairs``, ``per_host``, the ``zones`` of its
    hosts): so that the parallel copies of a run, each with a copier of its
    own, share the pool."""
    key = (
        os.path.abspath(hosts_file),
        tuple(sorted(pairs)),
        per_host,
        tuple(sorted((zones or {}).items())),
    )
    with _SCHEDULERS_LOCK:
        if key not in _SCHEDULERS:
            _SCHEDULERS[key] = Scheduler(key[1], per_host, zones)
        return _SCHEDULERS[key]
