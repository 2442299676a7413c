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

"""The pieces of a changed-block pass sent while the source is still
being hashed (:class:`Batches`), so that the pass ends with the send of
what was found last, not of everything::

    source host hashes ......................................... done
    destination hashes a chunk's pieces  |  |   |  |  |    |  |
    batches sent                         [ 1  ][   2   ][  3  ]  [last]

A batch is the pieces found since the one before, once they are
:data:`BATCH` bytes or more: one read-only NBD server of them on the
source host and one push, as the last batch is sent
(:meth:`delta.DeltaCopy._send`), each under a name of its own that
begins with the pass's (a stop of the pass ends them all).  Only pieces
of chunks whose pieces both hosts have hashed are sent: the destination
host never reads again what a batch writes.  The last batch does not
wait for the one being sent when the hash ends: both go at once (their
pieces are apart; a gap merged into a run is the source's bytes too).
"""

import threading
import typing as ty

from osmigrateclient.transfer import chunks

#: bytes of pieces found that make a batch (smaller: each batch costs a
#: server and a push, about 0.3 s on the development cloud)
BATCH = 16 * 1024 * 1024


class Batches:
    """Sends the pieces found, a batch at a time, in a thread of its own.

    :param send: sends a batch (sorted piece indexes, the batch's number
        from 1); the bytes sent or None
    :param piece: bytes a piece
    :param end: ends what a batch runs (its processes), from another
        thread
    """

    def __init__(
        self,
        send: ty.Callable[[list[int], int], int | None],
        piece: int,
        end: ty.Callable[[], None],
    ) -> None:
        self._send = send
        self._end = end
        self._least = max(1, BATCH // piece)
        self._pending: list[int] = []
        self._taken: set[int] = set()
        self._done = False
        self._cond = threading.Condition()
        self.error: BaseException | None = None
        #: bytes the batches sent (None: no batch said)
        self.sent: int | None = None
        self.batches = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def found(self, src_pieces: list[str], dst_pieces: list[str], first: int):
        """The pieces of one chunk on both hosts (``first``: the index of
        its first piece): those that differ and are not zeros go."""
        new = [
            first + k
            for k, (a, b) in enumerate(
                zip(src_pieces, dst_pieces, strict=True)
            )
            if a != b and a != chunks.ZERO
        ]
        if new:
            with self._cond:
                self._pending.extend(new)
                self._cond.notify()

    def _run(self) -> None:
        try:
            while True:
                with self._cond:
                    self._cond.wait_for(
                        lambda: self._done or len(self._pending) >= self._least
                    )
                    if self._done:
                        return
                    batch = sorted(self._pending)
                    self._pending = []
                    self._taken.update(batch)
                self.batches += 1
                sent = self._send(batch, self.batches)
                if sent is not None:
                    self.sent = (self.sent or 0) + sent
        except BaseException as e:
            self.error = e

    def finish(self, pieces: list[int]) -> list[int]:
        """After the hash: no batch from now on; of ``pieces`` (all those
        to send), the ones no batch took (the one being sent goes on:
        :meth:`wait`)."""
        with self._cond:
            self._done = True
            self._cond.notify()
            return [i for i in pieces if i not in self._taken]

    def wait(self) -> None:
        """Wait for the batch being sent, if any.

        :raises: what made a batch fail
        """
        self._thread.join()
        if self.error is not None:
            raise self.error

    def abort(self) -> None:
        """End the batch being sent, if any, and the thread."""
        with self._cond:
            self._done = True
            self._cond.notify()
        self._end()
        self._thread.join(timeout=60)
