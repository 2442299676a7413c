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

"""What a wave of server imports will copy, and how long it may take.

The bytes of a server are the sizes of the volumes its import copies: its
data volumes, its boot volume, and for an image-booted server with
``boot_disk_copy`` its flavor's root disk.  Cinder does not say how much of
a volume holds data, so the size is an upper bound: zeros and holes cost
far less to copy than data (see :mod:`osmigrateclient.transfer.blockcopy`).

The throughput is the one measured by the copies that earlier imports of
the same data directory finished (their journals: bytes of volume per
second of copy), or the operator's ``--throughput``.  A wave runs
``parallel`` servers at once; its estimate assumes each copy keeps that
throughput, which holds as long as the conversion hosts' link and disks are
not the limit (the throughput of earlier runs at the same ``--parallel`` is
the best guide).  Steps other than the copy (attach, detach, server boot)
are not counted.
"""

import typing as ty

from osmigrateclient.resources import refs
from osmigrateclient.transfer import conversion_host
from osmigrateclient.transfer import host_pool
from osmigrateclient.workload import journal as journal_mod

GiB = 1024**3
MiB = 1024**2


class Measured(ty.NamedTuple):
    #: bytes of volume copied per second, over the finished copies
    bytes_per_second: float
    #: the finished copies it comes from
    copies: int


class ServerEstimate(ty.NamedTuple):
    name: str | None
    source_id: str | None
    #: the volumes the import copies
    volumes: int
    #: their size in bytes
    size: int
    #: seconds of copy, None when no throughput is known
    seconds: float | None


def measured(data_dir: str) -> Measured | None:
    """The throughput of the copies that this data dir's imports did."""
    size = seconds = 0.0
    copies = 0
    for j in journal_mod.load_all(data_dir):
        for step in (j.get('steps') or {}).values():
            if step.get('state') != journal_mod.DONE:
                continue
            copy = step.get('copy') or {}
            if copy.get('bytes') and copy.get('seconds'):
                size += copy['bytes']
                seconds += copy['seconds']
                copies += 1
    if not copies or seconds <= 0:
        return None
    return Measured(size / seconds, copies)


def flavor_disks(lookup: refs.Lookup) -> dict[str, int]:
    """Root disk GiB of the flavors of ``lookup``'s cloud, by id and by
    name: what :func:`copied_size` takes."""
    disks = {}
    for f in lookup.all('flavor'):
        disks[f.id] = disks[f.name] = f.disk
    return disks


def copied_size(entry: dict, flavor_disks: dict[str, int]) -> list[int]:
    """The sizes in bytes of the volumes the import of ``entry`` copies.

    :param flavor_disks: root disk GiB of the source flavors, by id and name
    """
    migration = entry.get('_migration_params') or {}
    if migration.get('data_copy', True) is False:
        return []
    params, info = entry.get('params') or {}, entry.get('_info') or {}
    sizes = [
        int((v.get('params') or {}).get('size') or 0) * GiB
        for v in params.get('volumes') or []
        if isinstance(v, dict)
    ]
    boots_from_volume = any(
        (v.get('params') or {}).get('bootable')
        for v in params.get('volumes') or []
        if isinstance(v, dict)
    )
    if migration.get('boot_disk_copy') and not boots_from_volume:
        flavor = (params.get('flavor_ref') or {}).get('name')
        disk = flavor_disks.get(info.get('flavor_id') or '')
        if disk is None:
            disk = flavor_disks.get(flavor or '')
        sizes.append(int(disk or 0) * GiB)
    return sizes


def server(
    entry: dict, flavor_disks: dict[str, int], rate: float | None
) -> ServerEstimate:
    sizes = copied_size(entry, flavor_disks)
    total = sum(sizes)
    return ServerEstimate(
        (entry.get('params') or {}).get('name'),
        (entry.get('_info') or {}).get('id'),
        len(sizes),
        total,
        total / rate if rate else None,
    )


def copies_at_once(
    data_dir: str, parallel: int, per_host: int
) -> tuple[int, int]:
    """(copies at once, pairs of the pool): each of the ``parallel``
    servers copies one volume at a time, and a pair of conversion hosts
    takes ``per_host`` copies at once; a data dir without a pool yet:
    ``parallel``."""
    pairs = len(host_pool.whole_pairs(conversion_host.load_hosts(data_dir)))
    if not pairs:
        return parallel, 0
    return min(parallel, pairs * per_host), pairs


def wave_seconds(
    servers: list[ServerEstimate], rate: float | None, parallel: int
) -> float | None:
    """Seconds of copy of the whole wave, ``parallel`` copies at once
    (:func:`copies_at_once`): the bytes at ``parallel`` times the rate, but
    never less than the longest server alone."""
    if not rate:
        return None
    total = sum(s.size for s in servers)
    longest = max((s.size for s in servers), default=0)
    return max(total / (rate * max(1, parallel)), longest / rate)
