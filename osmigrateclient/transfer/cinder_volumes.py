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

"""The Cinder volumes of a copy: made, grown and deleted, each waited for,
so that a killed run's next run can find what it made (a volume created
is recorded at once, and one whose create call never answered is found
by its name); and the wait for a status that every step of a copy polls.
"""

import logging
import threading
import time
import typing as ty

from osmigrateclient import itemlog
from osmigrateclient import exceptions

LOG = logging.getLogger(__name__)

#: the first pause of a wait, its growth factor and its most (seconds): a
#: cloud operation is noticed at most POLL_MAX seconds after it finished
POLL_FIRST, POLL_FACTOR, POLL_MAX = 0.2, 1.5, 2.0
#: seconds of a wait whose pauses stay POLL_FIRST: the stops, attaches and
#: detaches of a cutover take a second or two each, and each one noticed
#: late is downtime (a few more GETs per wait)
POLL_QUICK = 2.0


def wait(
    what: str,
    get: ty.Callable[[], ty.Any],
    ready: ty.Callable[[ty.Any], bool],
    failed: ty.Callable[[ty.Any], bool],
    timeout: float,
    clock: ty.Callable[[], float] = time.monotonic,
    pause: ty.Callable[[float], None] = time.sleep,
) -> ty.Any:
    """Poll ``get()`` until ``ready``; the object it returned then.

    :raises osmigrateclient.exceptions.MigrateError: ``failed`` (``<what>:
        status <status>``) or ``timeout`` seconds passed (``<what>: still
        <status> after <timeout> s``)
    """
    deadline = clock() + timeout
    delay, quick = POLL_FIRST, round(POLL_QUICK / POLL_FIRST)
    while True:
        obj = get()
        if ready(obj):
            return obj
        if failed(obj):
            raise exceptions.MigrateError(
                '%s: status %s' % (what, getattr(obj, 'status', None))
            )
        if clock() >= deadline:
            status = getattr(obj, 'status', None)
            raise exceptions.MigrateError(
                '%s: still %s after %d s'
                % (what, 'not there' if status is None else status, timeout)
            )
        pause(delay)
        quick -= 1
        if quick <= 0:
            delay = min(delay * POLL_FACTOR, POLL_MAX)


# One volume create at a time in a process: the volumes of a name listed
# just before a create call are then all but the one it makes.
_CREATE_LOCK = threading.Lock()


def _named(conn: ty.Any, name: str | None) -> list:
    """The volumes named ``name`` (unnamed ones for no name)."""
    found = (
        conn.block_storage.volumes(name=name)
        if name
        else conn.block_storage.volumes()
    )
    return [v for v in found if (v.name or '') == (name or '')]


def start_create(
    conn: ty.Any,
    attrs: dict,
    record: ty.Callable[[str], None] | None = None,
    pending: ty.Callable[[dict], None] | None = None,
) -> ty.Any:
    """Ask Cinder for a volume (``create_volume(**attrs)``); the volume,
    not waited for.

    ``pending(note)`` is called before the create call with what
    :func:`delete_unrecorded` needs to find the volume if the answer never
    comes (the run is killed, the connection breaks): the name and the
    volumes of that name then.  ``record(volume id)`` is called as soon as
    the answer came.
    """
    with _CREATE_LOCK:
        if pending is not None:
            pending(
                {
                    'name': attrs.get('name'),
                    'size': attrs.get('size'),
                    'before': sorted(
                        v.id for v in _named(conn, attrs.get('name'))
                    ),
                }
            )
        volume = conn.block_storage.create_volume(**attrs)
        if record is not None:
            record(volume.id)
    return volume


def delete_unrecorded(
    conn: ty.Any,
    note: dict | None,
    timeout: float,
    clock: ty.Callable[[], float] = time.monotonic,
    pause: ty.Callable[[float], None] = time.sleep,
    log: logging.Logger | None = None,
) -> list[str]:
    """Delete the volume a create call made whose answer never came (see
    :func:`start_create`): named so, not there before the call, attached
    to nothing, of that size; the ids deleted."""
    if not note:
        return []
    before = set(note.get('before') or [])
    size = note.get('size')
    found = [
        v.id
        for v in _named(conn, note.get('name'))
        if v.id not in before
        and not v.attachments
        and (size is None or v.size == size)
    ]
    for volume_id in found:
        itemlog.say(
            LOG,
            log,
            'Deleting volume %s, made by an unanswered create',
            volume_id,
        )
        # Cinder refuses to delete a volume still being created.
        wait(
            'volume %s' % volume_id,
            lambda v=volume_id: conn.block_storage.find_volume(v),
            lambda v: v is None or v.status != 'creating',
            lambda v: False,
            timeout,
            clock,
            pause,
        )
        delete_volume(conn, volume_id, timeout, clock, pause)
    return found


def create_volume(
    conn: ty.Any,
    attrs: dict,
    timeout: float,
    record: ty.Callable[[str], None] | None = None,
    clock: ty.Callable[[], float] = time.monotonic,
    pause: ty.Callable[[float], None] = time.sleep,
    pending: ty.Callable[[dict], None] | None = None,
) -> ty.Any:
    """Create a volume (``create_volume(**attrs)``) and wait until it is
    available; the volume.

    ``record(volume id)`` is called as soon as the volume exists, before the
    wait, so that a killed run knows what to delete; ``pending`` as in
    :func:`start_create`.

    :raises osmigrateclient.exceptions.MigrateError: it went to an error
        status, or is not available after ``timeout`` seconds
    """
    volume = start_create(conn, attrs, record, pending)
    return wait(
        'volume %s' % volume.id,
        lambda: conn.block_storage.get_volume(volume.id),
        lambda v: v.status == 'available',
        lambda v: v.status.startswith('error'),
        timeout,
        clock,
        pause,
    )


def grow(
    conn: ty.Any,
    volume_id: str,
    size: int,
    timeout: float,
    clock: ty.Callable[[], float] = time.monotonic,
    pause: ty.Callable[[float], None] = time.sleep,
) -> bool:
    """Extend an available volume to ``size`` GiB when it is smaller (its
    source grew since it was made) and wait until it is; whether it grew.

    :raises osmigrateclient.exceptions.MigrateError: the extend failed
        (error_extending), or did not end within ``timeout`` seconds
    """
    volume = conn.block_storage.get_volume(volume_id)
    if volume.size >= size:
        return False
    # A killed run's extend may still be under way: wait for it first.
    if volume.status != 'extending':
        conn.block_storage.extend_volume(volume, size)
    wait(
        'extending volume %s to %d GiB' % (volume_id, size),
        lambda: conn.block_storage.get_volume(volume_id),
        lambda v: v.status == 'available' and v.size >= size,
        lambda v: v.status.startswith('error'),
        timeout,
        clock,
        pause,
    )
    return True


def delete_volume(
    conn: ty.Any,
    volume_id: str,
    timeout: float,
    clock: ty.Callable[[], float] = time.monotonic,
    pause: ty.Callable[[float], None] = time.sleep,
) -> None:
    """Delete a volume (a missing one is fine) and wait until it is gone.

    :raises osmigrateclient.exceptions.MigrateError: it went to
        error_deleting, or is still there after ``timeout`` seconds
    """
    conn.block_storage.delete_volume(volume_id, ignore_missing=True)
    wait(
        'deleting volume %s' % volume_id,
        lambda: conn.block_storage.find_volume(volume_id),
        lambda v: v is None,
        lambda v: v.status == 'error_deleting',
        timeout,
        clock,
        pause,
    )
