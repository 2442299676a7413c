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

"""The log file of one migrated item (a server, a volume) in the data
directory: ``<directory>/<item id>.log``, appended, timestamped, mode 0600,
never opened through a symbolic link, in a directory (0700) that is not
one either; the item id, read from a data file, must be a plain id."""

import contextlib
import logging
import os
import typing as ty

from osmigrateclient import datafile

FORMAT = '%(asctime)s %(levelname)s %(message)s'


def path_of(directory: str, item_id: str) -> str:
    """The log file of an item.

    :raises osmigrateclient.exceptions.DataFileError: the id is no plain id
    """
    return os.path.join(directory, '%s.log' % datafile.path_id(item_id))


class Handler(logging.FileHandler):
    """Appends to a log file of the data directory: 0600, never through a
    symbolic link, nothing but a regular file."""

    def __init__(self, path: str) -> None:
        super().__init__(path, mode='a', encoding='utf-8')

    def _open(self) -> ty.TextIO:
        fd = datafile.open_private(
            self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND
        )
        return open(fd, self.mode, encoding=self.encoding)


@contextlib.contextmanager
def opened(
    directory: str, item_id: str, parent: logging.Logger | None = None
) -> ty.Iterator[logging.Logger]:
    """A logger (INFO) that writes to the item's log file, closed at the
    end of the block.

    :param parent: its records also go to this logger's handlers (the
        command's log); by default they go to the file only
    :raises osmigrateclient.exceptions.DataFileError: the id is no plain
        id, the directory or the file cannot be made safely
    """
    path = path_of(directory, item_id)
    datafile.ensure_dir(directory, link_ok=False)
    handler = Handler(path)
    try:
        handler.setFormatter(logging.Formatter(FORMAT))
        # Not registered with logging: the item's logger goes with its
        # file, where a registered one would live as long as the process.
        logger = logging.Logger(  # noqa: LOG001
            '%s.%s' % (parent.name if parent else __name__, item_id),
            logging.INFO,
        )
        logger.parent = parent
        logger.addHandler(handler)
        yield logger
    finally:
        handler.close()


def say(
    module_log: logging.Logger,
    item_log: logging.Logger | None,
    msg: str,
    *args: ty.Any,
) -> None:
    """A step of an item's work: to the module's log, and to the item's
    log if it has one."""
    module_log.info(msg, *args)
    if item_log is not None:
        item_log.info(msg, *args)
