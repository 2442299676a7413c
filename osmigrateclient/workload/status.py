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

"""Where each server's migration stands, from the data directory's journals
(``migrate workload status``)."""

import typing as ty

from osmigrateclient.workload import journal
from osmigrateclient.workload import sync
from osmigrateclient.workload import sync_journal


class Standing(ty.NamedTuple):
    """One server's migration, as its journals record it."""

    name: str | None
    source_id: str
    #: running, done, failed; synced for a server synced and not imported
    phase: str | None
    #: the step running, or the one that failed
    step: str | None
    #: bytes of the volumes copied
    copied: int
    #: bytes sent between the conversion hosts for them
    sent: int
    sync_passes: int
    #: when the last sync pass ended
    last_sync: str | None
    #: seconds the server was down during its import
    downtime: float | None
    dest_id: str | None
    error: str | None


def copied(steps: dict | None, key: str = 'bytes') -> int:
    """The sum of ``key`` of the copies of a server's finished steps:
    ``bytes`` (the volumes' sizes) or ``bytes_sent`` (what crossed the link
    between the conversion hosts: zeros and holes do not)."""
    return sum(
        (v.get('copy') or {}).get(key) or 0
        for v in (steps or {}).values()
        if v.get('state') == journal.DONE
    )


def standings(
    data_dir: str, match: ty.Callable[[str | None], bool]
) -> list[Standing]:
    """The servers of the import and sync journals whose names ``match``,
    by name."""
    synced = sync_journal.load_all(data_dir)
    imports = {j['source_id']: j for j in journal.load_all(data_dir)}
    for source_id, data in synced.items():
        imports.setdefault(
            source_id,
            {
                'source_id': source_id,
                'name': data.get('name'),
                'phase': sync.SYNCED,
            },
        )
    return [
        Standing(
            j.get('name'),
            j['source_id'],
            # (a journal without a phase: a sync made ports ahead)
            j.get('phase')
            or (sync.SYNCED if j['source_id'] in synced else None),
            j.get('step'),
            copied(j.get('steps')),
            copied(j.get('steps'), 'bytes_sent'),
            *sync_journal.passes(synced.get(j['source_id']) or {}),
            j.get('downtime_seconds'),
            j.get('dest_id'),
            j.get('error'),
        )
        for j in sorted(
            imports.values(),
            key=lambda d: (d.get('name') or '', d['source_id']),
        )
        if match(j.get('name'))
    ]
