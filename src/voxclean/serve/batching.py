"""Cross-stream batching for the WebSocket service.

Every WebSocket session owns a :class:`~voxclean.enhance.base.Stream` (its own
state), but sessions that asked for the same method, rate, strength and
parameters share one enhancer object (:class:`EnhancerCache`). A
:class:`StreamBatcher` per shared enhancer collects the chunks that sessions
submit during one turn of the event loop and runs them together through
:func:`~voxclean.enhance.base.process_streams`, so an enhancer with a vectorized
``process_many`` (the neural model: one STFT and one network call for all
streams) costs little more for 16 streams than for one.

Batches run on the event loop, one at a time per enhancer. With fewer than
``window_min_streams`` sessions on an enhancer (or an enhancer without a vectorized
``process_many``, such as the classical methods) nothing waits: a chunk is processed
in the loop turn that received it, together with whatever other chunks arrived in
that turn. With more, the first chunk of a batch waits ``window_s`` (a few ms) for
the chunks other sessions send meanwhile, so batches grow with the number of
streams and the cost per chunk falls, which is what keeps many streams real-time
on few cores (measured in ``benchmarks/live_service.py``). Each stream's output is
the same as processing it alone.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import OrderedDict
from typing import Any

import numpy as np

from ..enhance.base import Enhancer, Stream, process_streams
from ..enhance.facade import create

__all__ = ["EnhancerCache", "StreamBatcher"]


class StreamBatcher:
    """Batch the chunks of concurrent streams that share one enhancer (event-loop only).

    Parameters
    ----------
    enhancer : Enhancer
        The shared enhancer; every stream given to :meth:`process` must use it.
    on_batch : callable or None
        Called as ``on_batch(seconds, audio_seconds, n_chunks)`` after each batch
        (processing time, total input audio, chunks in the batch), e.g. for metrics.
    window_s : float >= 0
        How long the first chunk of a batch waits for others, in seconds, when at
        least ``window_min_streams`` sessions use this batcher. Only enhancers with a
        vectorized ``process_many`` wait (for the others batching saves nothing, so
        waiting would only add latency).
    window_min_streams : int
    """

    def __init__(self, enhancer: Enhancer, on_batch: Any = None, window_s: float = 0.0,
                 window_min_streams: int = 8) -> None:
        self.enhancer = enhancer
        self.window_s = window_s if hasattr(enhancer, "process_many") else 0.0
        self.window_min_streams = window_min_streams
        #: Sessions currently using this batcher (see :meth:`attach`).
        self.streams = 0
        self._pending: list[tuple[Stream, np.ndarray, asyncio.Future[np.ndarray]]] = []
        self._scheduled = False  # a batch run is scheduled on the loop
        self._on_batch = on_batch
        #: Number of batches run and chunks processed (for tests and benchmarks).
        self.batches = 0
        self.chunks = 0

    async def process(self, stream: Stream, x: np.ndarray) -> np.ndarray:
        """Push ``x [shape=(C, n)]`` into ``stream``; return its finished samples ``[shape=(C, m)]``.

        The chunk is processed later in the same event-loop turn, batched with the
        chunks other sessions submit meanwhile. A session must await one call before
        making the next (chunks of one stream stay in order).
        """
        if stream.enhancer is not self.enhancer:
            raise ValueError("the stream's enhancer is not this batcher's enhancer")
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[np.ndarray] = loop.create_future()
        self._pending.append((stream, x, fut))
        if not self._scheduled:
            self._scheduled = True
            if self.window_s > 0 and self.streams >= self.window_min_streams:
                loop.call_later(self.window_s, self._run)  # gather the chunks of the next few ms
            else:
                loop.call_soon(self._run)  # after the other chunks received in this loop turn
        return await fut

    def attach(self) -> None:
        """A session starts using this batcher."""
        self.streams += 1

    def detach(self) -> None:
        """A session stops using this batcher."""
        self.streams -= 1

    def _run(self) -> None:
        """Process every pending chunk as one batch and hand each session its output."""
        self._scheduled = False
        batch, self._pending = self._pending, []
        t0 = time.perf_counter()
        try:
            outs = process_streams([b[0] for b in batch], [b[1] for b in batch])
        except Exception as exc:  # reported to every waiting session; the server goes on
            for _, _, fut in batch:
                if not fut.done():
                    fut.set_exception(exc)
            return
        seconds = time.perf_counter() - t0
        self.batches += 1
        self.chunks += len(batch)
        if self._on_batch is not None:
            audio_s = sum(b[1].shape[1] for b in batch) / self.enhancer.sample_rate
            self._on_batch(seconds, audio_s, len(batch))
        for (_, _, fut), y in zip(batch, outs, strict=True):
            if not fut.done():  # a session that went away has a cancelled future
                fut.set_result(y)


class EnhancerCache:
    """Shared enhancer objects and their batchers, keyed by the stream configuration.

    Enhancers keep no per-stream state (that lives in each :class:`Stream`), so one
    object serves any number of sessions. The least recently used entries beyond
    ``max_entries`` are dropped (sessions still using them keep their reference).

    Parameters
    ----------
    max_entries : int >= 1
    on_batch : callable or None
        Passed to every :class:`StreamBatcher`.
    window_s : float >= 0
        Passed to every :class:`StreamBatcher`.
    """

    def __init__(self, max_entries: int = 32, on_batch: Any = None, window_s: float = 0.0) -> None:
        self.max_entries = max_entries
        self.window_s = window_s
        self._on_batch = on_batch
        self._entries: OrderedDict[str, StreamBatcher] = OrderedDict()

    def get(self, method: str, sample_rate: int, strength: float | None, params: dict[str, Any]) -> StreamBatcher:
        """The batcher (and, as its ``enhancer``, the enhancer) for this configuration.

        Raises what :func:`voxclean.create` raises for a bad configuration.
        """
        key = json.dumps([method, sample_rate, strength, params], sort_keys=True, default=str)
        hit = self._entries.get(key)
        if hit is not None:
            self._entries.move_to_end(key)
            return hit
        enh = create(method, sample_rate, strength_db=strength, live=True, **params)
        batcher = StreamBatcher(enh, self._on_batch, self.window_s)
        self._entries[key] = batcher
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return batcher
