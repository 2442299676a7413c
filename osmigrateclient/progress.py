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

"""The progress display of long transfers (image bytes, volume copies):
one line per transfer on stderr, a bar across a wave where stderr is a
terminal."""

import sys
import threading
import time
import typing as ty

#: seconds between two redraws of a progress bar
_REDRAW = 0.1


def _size(n: float) -> str:
    for unit in ('B', 'KiB', 'MiB', 'GiB'):
        if abs(n) < 1024 or unit == 'GiB':
            return ('%d %s' if unit == 'B' else '%.1f %s') % (n, unit)
        n /= 1024
    return '%.1f TiB' % n  # pragma: no cover


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    return '%d:%02d:%02d' % (seconds // 3600, seconds // 60 % 60, seconds % 60)


class Progress:
    """Where transfers report how far they are: stderr.

    :param bar: draw a live bar; default: when the stream is a terminal.
        Without it, each transfer writes one line once finished.  Several
        transfers at once (``--parallel``) share one line, each meter
        shortened to its label, percentage and rate.
    """

    def __init__(
        self, stream: ty.TextIO | None = None, bar: bool | None = None
    ):
        self.stream = stream if stream is not None else sys.stderr
        if bar is None:
            isatty = getattr(self.stream, 'isatty', None)
            bar = bool(isatty and isatty())
        self.bar = bar
        self._active: list[Meter] = []
        self._lock = threading.Lock()
        #: bytes the whole run will move (:meth:`expect`), and those of
        #: the transfers finished so far
        self._wave_total: int | None = None
        self._wave_done = 0
        self._wave_started = 0.0

    def expect(self, total: int) -> None:
        """Show the whole run's progress too: ``total`` bytes in all."""
        with self._lock:
            self._wave_total = total
            self._wave_done = 0
            self._wave_started = time.monotonic()

    def _wave(self) -> str:
        """``all 31% 3.1 GiB/10.0 GiB 45.0 MiB/s ETA 0:02:31``, or ''."""
        total = self._wave_total
        if not total:
            return ''
        done = min(total, self._wave_done + sum(m.done for m in self._active))
        elapsed = time.monotonic() - self._wave_started
        rate = done / elapsed if elapsed > 0 else 0.0
        text = 'all %d%% %s/%s %s/s' % (
            100 * done // total,
            _size(done),
            _size(total),
            _size(rate),
        )
        if rate > 0:
            text += ' ETA %s' % _duration((total - done) / rate)
        return text

    def start(self, label: str, total: int | None, done: int = 0) -> 'Meter':
        meter = Meter(self, label, total, done)
        with self._lock:
            self._active.append(meter)
        return meter

    def write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass

    def _line(self) -> str:
        if len(self._active) == 1 and not self._wave_total:
            return self._active[0].line()
        return ' | '.join(
            [self._wave()] * bool(self._wave_total)
            + [m.short() for m in self._active]
        )

    def draw(self) -> None:
        with self._lock:
            if self._active:
                self.write('\r' + self._line() + '\x1b[K')

    def done(self, meter: 'Meter', text: str) -> None:
        """A transfer's closing line; the others' line drawn again."""
        with self._lock:
            if meter in self._active:
                self._active.remove(meter)
                self._wave_done += max(meter.done, meter.total or 0)
            if self._wave_total:
                text += ' [%s]' % self._wave()
            if not self.bar:
                self.write(text + '\n')
                return
            self.write('\r' + text + '\x1b[K\n')
            if self._active:
                self.write('\r' + self._line() + '\x1b[K')


class Meter:
    """The progress of one transfer."""

    def __init__(
        self, progress: Progress, label: str, total: int | None, done: int
    ) -> None:
        self.progress = progress
        self.label = label
        self.total = total
        self.done = done
        #: bytes already there before this run (a resumed download)
        self.initial = done
        self.started = time.monotonic()
        self._drawn = 0.0

    def update(self, n: int) -> None:
        self.done += n
        if not self.progress.bar:
            return
        now = time.monotonic()
        if now - self._drawn >= _REDRAW:
            self._drawn = now
            self.progress.draw()

    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        moved = self.done - self.initial
        return moved / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        rate = self.rate()
        parts = [self.label]
        if self.total:
            parts.append('%3d%%' % (100 * self.done // self.total))
            parts.append('%s/%s' % (_size(self.done), _size(self.total)))
        else:
            parts.append(_size(self.done))
        parts.append('%s/s' % _size(rate))
        if self.total and rate > 0:
            parts.append('ETA %s' % _duration((self.total - self.done) / rate))
        return '  '.join(parts)

    def short(self) -> str:
        """The meter in a shared line: label, percentage (or bytes), rate."""
        if self.total:
            done = '%d%%' % (100 * self.done // self.total)
        else:
            done = _size(self.done)
        return '%s %s %s/s' % (self.label, done, _size(self.rate()))

    def finish(self, note: str = '') -> None:
        elapsed = time.monotonic() - self.started
        text = '%s: %s in %.1f s (%s/s)' % (
            self.label,
            _size(self.done - self.initial),
            elapsed,
            _size(self.rate()),
        )
        if note:
            text += ', ' + note
        self.progress.done(self, text)


# -- download ----------------------------------------------------------------
