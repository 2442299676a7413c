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


"""The journal of one server's import: what each step made.

``<data-dir>/workload_logs/<source server id>.yml`` (0600) is rewritten
atomically after every change, so that a run killed at any point leaves
a journal saying which steps finished (their results are kept and not
redone) and which one was running (what it made is removed and the step
redone).  ``migrate workload status`` reads it, and so does ``--report``.

Layout::

    name: <server name>
    source_id: <source server id>
    phase: running | done | failed
    step: <the step running or that failed>
    error: <why it failed>
    dest_id: <destination server id>
    source: {status: <power state found>, stopped: <stopped by us>,
             down_from: <when the server was stopped (or found SHUTOFF)>,
             detached: [{volume: <id>, device: </dev/vdb>}]}
    downtime_seconds: <from down_from to the destination server ACTIVE>
    steps:
      <step>: {state: started | done, seconds: <float>, ...results}
"""

import datetime
import os
import typing as ty

from osmigrateclient import datadir
from osmigrateclient import datafile
from osmigrateclient import itemlog
from osmigrateclient import record

RUNNING, DONE, FAILED = 'running', 'done', 'failed'
STARTED = 'started'

STR = datafile.STR
_ATTACHED = [{'side': STR, 'server': STR, 'volume': STR}]
#: what a journal read from disk must look like (a hand-edited or hostile
#: one gets a clear error, not a crash in the middle of an import)
SHAPE = {
    'name': STR,
    'source_id': STR,
    'phase': STR,
    'step': STR,
    'dest_id': STR,
    'started_at': STR,
    'finished_at': STR,
    'downtime_seconds': datafile.NUMBER,
    'remarks': [STR],
    'revert_errors': [STR],
    'source': {
        'down_from': STR,
        'detached': [{'volume': STR, 'device': STR}],
    },
    # every step's
    'steps': datafile.MapOf(
        {
            'state': STR,
            'seconds': datafile.NUMBER,
            'copy': {
                'bytes': datafile.NUMBER,
                'bytes_sent': datafile.NUMBER,
                'seconds': datafile.NUMBER,
                'algo': STR,
                'digest': STR,
                'delta': (bool,),
            },
            'attached': _ATTACHED,
            'dest_volume': STR,
            'synced_volume': STR,
            'temp_volume': STR,
            'snapshot': STR,
            'image': STR,
        }
    ),
}
#: what steps of these names hold besides
STEP_SHAPES = {
    'server_group': {'created': STR},
    'ports': {
        'created': datafile.MapOf(STR),
        'adopted': [STR],
        # source port id -> the trunk made (or found) on its twin
        'trunks': datafile.MapOf(STR),
    },
    'server': {'id': STR},
    'floating_ips': {'ips': datafile.MapOf({})},
}


def directory(data_dir: str) -> str:
    return os.path.join(data_dir, datadir.WORKLOAD_LOGS)


def path_of(data_dir: str, source_id: str) -> str:
    """The journal of a server; its id comes from a data file.

    :raises osmigrateclient.exceptions.DataFileError: it is no plain id
    """
    return os.path.join(
        directory(data_dir), '%s.yml' % datafile.path_id(source_id)
    )


def log_path(data_dir: str, source_id: str) -> str:
    return itemlog.path_of(directory(data_dir), source_id)


def _checked(data: ty.Any, path: str) -> dict[str, ty.Any]:
    """A journal read from ``path``, checked; null parts empty."""
    data = data or {}
    datafile.check_shape(data, SHAPE, '', path)
    datafile.check_shape(data.get('steps'), STEP_SHAPES, 'steps', path)
    # Null parts are empty ones.
    for key in ('steps', 'source'):
        data[key] = data.get(key) or {}
    return data


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%dT%H:%M:%SZ')


_STAMP = '%Y-%m-%dT%H:%M:%S.%fZ'


def stamp() -> str:
    """Now, to the microsecond (a downtime of seconds is measured with
    it, across runs: a monotonic clock does not survive a kill)."""
    return datetime.datetime.now(datetime.UTC).strftime(_STAMP)


def seconds_since(when: str) -> float | None:
    """Seconds from a :func:`stamp` to now; None for a value that is no
    stamp (a hand-edited journal)."""
    try:
        then = datetime.datetime.strptime(when, _STAMP)
    except (TypeError, ValueError):
        return None
    now_ = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    return round((now_ - then).total_seconds(), 3)


class Journal:
    """One server's journal; every change is on disk when a call returns."""

    def __init__(self, data_dir: str, source_id: str, name: str) -> None:
        self.path = path_of(data_dir, source_id)
        self._record = record.Record(self.path, _checked)
        #: the journal as on disk (this object writes every change)
        self.data: dict[str, ty.Any] = self._record.read()
        self.data.setdefault('source_id', source_id)
        self.data['name'] = name
        self.data.setdefault('steps', {})
        self.data.setdefault('source', {})

    # -- reading ------------------------------------------------------------

    @property
    def phase(self) -> str | None:
        return self.data.get('phase')

    def step(self, name: str) -> dict:
        return dict(self.data['steps'].get(name) or {})

    def done(self, name: str) -> bool:
        return self.step(name).get('state') == DONE

    @property
    def source(self) -> dict:
        return dict(self.data['source'])

    # -- writing ------------------------------------------------------------

    def _save(self) -> None:
        self._record.write(self.data)

    def set(self, **fields: ty.Any) -> None:
        """Top-level fields (phase, step, error, dest_id, ...)."""
        with self._record.locked():
            self.data.update(fields)
            self._save()

    def set_source(self, **fields: ty.Any) -> None:
        with self._record.locked():
            self.data['source'].update(fields)
            self._save()

    def update_step(self, name: str, **fields: ty.Any) -> None:
        with self._record.locked():
            self.data['steps'].setdefault(name, {}).update(fields)
            self._save()

    def forget_step(self, name: str) -> None:
        with self._record.locked():
            self.data['steps'].pop(name, None)
            self._save()

    def reset(self) -> None:
        """Start over: a failed run was reverted, nothing of it is kept."""
        with self._record.locked():
            self.data['steps'] = {}
            self.data['source'] = {}
            for key in (
                'error',
                'dest_id',
                'step',
                'finished_at',
                'remarks',
                'downtime_seconds',
            ):
                self.data.pop(key, None)
            self._save()


def load_all(data_dir: str) -> list[dict]:
    """Every journal of the data dir, by server name."""
    found = []
    folder = directory(data_dir)
    if not os.path.isdir(folder):
        return []
    for name in sorted(os.listdir(folder)):
        if not name.endswith('.yml'):
            continue
        path = os.path.join(folder, name)
        data = datafile.read_yaml(path)
        if isinstance(data, dict) and data.get('source_id'):
            _checked(data, path)
            found.append(data)
    return sorted(found, key=lambda d: (d.get('name') or '', d['source_id']))
