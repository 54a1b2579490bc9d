"""A single-producer single-consumer ring buffer of audio frames that never locks.

One thread writes (:meth:`RingBuffer.write`), one other thread reads
(:meth:`RingBuffer.read`, :meth:`RingBuffer.skip`). Each side owns one counter
(``_written`` / ``_read``); a side only publishes its counter *after* copying
samples, and a counter is a single Python int assignment, which is atomic.
So neither side takes a lock, waits or allocates on the audio thread's path
(reads return views into a preallocated scratch buffer).
"""

from __future__ import annotations

import numpy as np

from .._typing import Audio
from .._validate import positive_int
from ..errors import ChannelError

__all__ = ["RingBuffer"]


class RingBuffer:
    """Fixed-capacity FIFO of ``(C, n)`` float32 frames for one writer and one reader.

    Parameters
    ----------
    capacity : int > 0
        Maximum frames held.
    channels : int > 0

    Notes
    -----
    ``write`` never blocks: frames that do not fit are dropped and counted in
    :attr:`dropped` (an overrun). ``read`` never blocks: it returns None when
    fewer frames than asked for are available.
    """

    def __init__(self, capacity: int, channels: int) -> None:
        self.capacity = positive_int(capacity, name="capacity")
        self.channels = positive_int(channels, name="channels")
        self._buf = np.zeros((self.channels, self.capacity), np.float32)
        self._scratch = np.zeros((self.channels, self.capacity), np.float32)
        self._written = 0  # total frames ever written (owned by the writer)
        self._read = 0  # total frames ever read or skipped (owned by the reader)
        self.dropped = 0  # frames refused by write (writer side)

    @property
    def available(self) -> int:
        """Frames that can be read now."""
        return self._written - self._read

    @property
    def free(self) -> int:
        """Frames that can be written now."""
        return self.capacity - (self._written - self._read)

    def write(self, x: Audio) -> int:
        """Append ``[shape=(C, n)]`` frames; returns how many were stored (the rest are dropped)."""
        if x.ndim != 2 or x.shape[0] != self.channels:
            raise ChannelError(f"block shape {x.shape} does not match channels={self.channels}")
        n = min(x.shape[1], self.free)
        if n < x.shape[1]:
            self.dropped += x.shape[1] - n
        if n:
            start = self._written % self.capacity
            first = min(n, self.capacity - start)
            self._buf[:, start : start + first] = x[:, :first]
            if first < n:
                self._buf[:, : n - first] = x[:, first:n]
            self._written += n  # publish after the copy
        return n

    def read(self, n: int, out: Audio | None = None) -> Audio | None:
        """Remove and return ``n`` frames ``[shape=(C, n)]``, or None if fewer are available.

        The returned array is a view into a scratch buffer that the next ``read``
        overwrites, unless ``out`` (shape ``(C, n)``) is given to receive the frames.
        """
        if n > self.available:
            return None
        dst = self._scratch[:, :n] if out is None else out
        start = self._read % self.capacity
        first = min(n, self.capacity - start)
        dst[:, :first] = self._buf[:, start : start + first]
        if first < n:
            dst[:, first:n] = self._buf[:, : n - first]
        self._read += n  # publish after the copy
        return dst

    def skip(self, n: int) -> int:
        """Discard up to ``n`` frames from the read side; returns how many were discarded."""
        n = min(n, self.available)
        self._read += n
        return n
