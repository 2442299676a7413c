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

"""The record of each detached volume's copy: its journal entry and its log.

The journal, ``volume_logs/journal.yml`` in the data directory, maps a
source volume id to what its copy did: its state (``started``, then
``done``), the destination volume's id (recorded as soon as it is
created, or a note of a create whose answer never came), the temporary
images of ``--transfer-method image``, the attachments to the conversion
hosts (recorded before they are made) and the copy's hash.  A killed
run's next run reads there what to remove.  Each volume's steps,
progress and summary go to ``volume_logs/<source volume id>.log``.

The copy that writes both is :mod:`osmigrateclient.workload.volumes`.
"""

import contextlib
import os

from osmigrateclient import datadir
from osmigrateclient import datafile
from osmigrateclient import itemlog
from osmigrateclient import record

#: where the journal is, in the data directory
JOURNAL = os.path.join(datadir.VOLUME_LOGS, datadir.JOURNAL)
# Journal states of a volume.
STARTED, DONE = 'started', 'done'


def journal_path(data_dir: str) -> str:
    """The volumes' journal in ``data_dir``."""
    return os.path.join(data_dir, JOURNAL)


class Journal(record.Ledger):
    """Source volume id -> what its import did, kept in the data dir.

    Thread-safe; Journal objects of one file see each other's writes.
    """

    def __init__(self, data_dir: str | None) -> None:
        super().__init__(
            journal_path(data_dir) if data_dir else None,
            'volumes',
            {
                'state': datafile.STR,
                'dest_id': datafile.STR,
                'src_image_id': datafile.STR,
                'dst_image_id': datafile.STR,
                'attached': [
                    {
                        'side': datafile.STR,
                        'server': datafile.STR,
                        'volume': datafile.STR,
                    }
                ],
            },
        )


def log_path(data_dir: str, source_id: str) -> str:
    """The log of one volume's import: its steps and progress.

    :raises osmigrateclient.exceptions.DataFileError: the id (from a data
        file) is no plain id: it could lead out of the directory
    """
    return itemlog.path_of(
        os.path.join(data_dir, datadir.VOLUME_LOGS), source_id
    )


@contextlib.contextmanager
def volume_log(data_dir: str | None, source_id: str):
    """A logger that writes to the volume's log file (0600, appended,
    timestamped); None without a data dir."""
    if not data_dir:
        yield None
        return
    with itemlog.opened(
        os.path.join(data_dir, datadir.VOLUME_LOGS), source_id
    ) as log:
        yield log
