"""The live engine: audio device callback -> ring buffer -> processing thread -> ring buffer -> device.

The device callback (PortAudio's thread, or :class:`SimulatedDevice`) only copies
samples: captured frames go into an input :class:`~voxclean.stream.ringbuffer.RingBuffer`,
and the frames to play are taken from an output ring buffer. A processing thread
moves complete ``enhancer.block_size`` blocks from one to the other through the
enhancer. When processed audio is late, the callback plays silence instead of
waiting (an *underrun*), and the late frames are dropped when they arrive, so
the end-to-end delay never drifts.

Latency
-------
For a device block of ``D`` frames and an enhancer block of ``B`` frames, the
output ring starts with ``P = D + B - gcd(D, B) + margin`` frames of silence:
the least that lets every block be processed within one device period. Input
sample ``t`` is played at ``t + L + P + D`` (plus the device's own converter
latency), with ``L`` the enhancer's algorithmic latency. :meth:`LiveEngine.report`
gives the three parts separately.
"""

from __future__ import annotations

import gc
import math
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .._typing import Audio
from .._validate import positive_int
from ..enhance.base import Enhancer, Stream, check_channels
from ..errors import ParameterError
from .ringbuffer import RingBuffer

__all__ = ["LiveEngine", "LatencyReport", "SimulatedDevice", "default_device_block"]


def default_device_block(enhancer: Enhancer) -> int:
    """A device block that keeps latency low: half the enhancer block when it is even, else the block."""
    b = enhancer.block_size
    return b // 2 if b % 2 == 0 and b >= 64 else b


#: Real-time (SCHED_FIFO) priority asked for the processing thread and the simulated device.
REALTIME_PRIORITY = 10


def try_realtime(priority: int = REALTIME_PRIORITY) -> bool:
    """Give the calling thread real-time (``SCHED_FIFO``) scheduling priority, if allowed.

    Audio servers do the same for their audio threads: other processes can then not
    delay the thread by a scheduler time slice (Linux still keeps 5 % of each second
    for normal tasks, so a thread that cannot keep up does not freeze the machine).
    Needs Linux and permission (``CAP_SYS_NICE``, root, or an rtprio limit); returns
    False, changing nothing, where it is not allowed.
    """
    if not hasattr(os, "sched_setscheduler"):
        return False
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
    except (OSError, ValueError):
        return False
    return True


def normal_priority() -> None:
    """Return the calling thread to normal (``SCHED_OTHER``) scheduling."""
    if hasattr(os, "sched_setscheduler"):
        try:
            os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
        except (OSError, ValueError):
            pass


@dataclass(frozen=True)
class LatencyReport:
    """Latency and timing of a live engine (milliseconds unless stated).

    Attributes
    ----------
    sample_rate : int
    device_block : int
        Frames per device callback.
    enhancer_block : int
        Frames per enhancer call.
    algorithmic_ms : float
        The enhancer's declared latency.
    buffering_ms : float
        Device block, rebuffering/processing margin (the silence the output starts
        with) and the device's reported converter latency.
    total_ms : float
        ``algorithmic_ms + buffering_ms``: input-to-output delay.
    block_p50_ms, block_p99_ms, block_max_ms : float
        Processing time of one enhancer block (NaN before the first block).
    block_budget_ms : float
        Duration of one enhancer block: processing must stay below it.
    blocks : int
        Enhancer blocks processed.
    underruns : int
        Device callbacks that played silence because processed audio was late.
    overruns : int
        Device callbacks whose input did not fit in the input ring buffer (frames lost).
    nonfinite : int
        Non-finite input samples replaced by 0.
    realtime : bool
        Whether the processing thread runs with real-time scheduling priority.
    """

    sample_rate: int
    device_block: int
    enhancer_block: int
    algorithmic_ms: float
    buffering_ms: float
    total_ms: float
    block_p50_ms: float
    block_p99_ms: float
    block_max_ms: float
    block_budget_ms: float
    blocks: int
    underruns: int
    overruns: int
    nonfinite: int
    realtime: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        """One line of text (the caller decides where it goes)."""
        return (
            f"latency {self.total_ms:.1f} ms (algorithmic {self.algorithmic_ms:.1f} + buffering "
            f"{self.buffering_ms:.1f}) | block {self.block_p50_ms:.3f}/{self.block_p99_ms:.3f} ms p50/p99 "
            f"of {self.block_budget_ms:.1f} | blocks {self.blocks} | underruns {self.underruns} "
            f"| overruns {self.overruns}{' | real-time priority' if self.realtime else ''}"
        )


class LiveEngine:
    """Run an enhancer in real time between an audio input and an audio output.

    Parameters
    ----------
    enhancer : Enhancer
        Any enhancer or pipeline; it runs at its own ``sample_rate``, which the
        device must use too.
    channels : int > 0
        Channels captured and played.
    device_block : int > 0 or None
        Frames per device callback; None: :func:`default_device_block`.
    margin_ms : float >= 0
        Extra output buffering against scheduling jitter (adds to the latency).
    ring_s : float > 0
        Capacity of each ring buffer in seconds.
    stats_blocks : int > 0
        Processing times kept for the percentiles (the most recent ones).
    switch_interval_s : float > 0 or None
        While the engine runs, the interpreter's thread switch interval
        (:func:`sys.setswitchinterval`) is lowered to this, so that a thread holding
        the GIL delays the device and processing threads by at most about this much
        (Python's default is 5 ms, half of a 10 ms block); restored by :meth:`stop`.
        None leaves it alone.
    realtime : bool
        Ask real-time scheduling priority for the processing thread (see
        :func:`try_realtime`; ignored where not allowed, reported in :meth:`report`).
    freeze_gc : bool
        At start, run a full garbage collection and freeze what survives
        (:func:`gc.freeze`; not undone: it only exempts objects that existed at
        start, and :func:`gc.unfreeze` would undo other callers' freezes too), so that the interpreter's
        automatic full collections only scan objects made later. With numpy and
        onnxruntime loaded a full collection takes about 20 ms here, two 10 ms
        blocks, and it stops every thread while it runs.

    Notes
    -----
    Call :meth:`start`, then have the device call :meth:`callback` (duplex) for every
    block, then :meth:`stop`. One engine serves one stream; it owns the stream's state.
    """

    def __init__(
        self,
        enhancer: Enhancer,
        *,
        channels: int = 1,
        device_block: int | None = None,
        margin_ms: float = 0.0,
        ring_s: float = 2.0,
        stats_blocks: int = 100_000,
        switch_interval_s: float | None = 0.001,
        realtime: bool = True,
        freeze_gc: bool = True,
    ) -> None:
        self.channels = positive_int(channels, name="channels")
        check_channels(enhancer, self.channels)
        if not margin_ms >= 0:
            raise ParameterError(f"margin_ms={margin_ms} must be >= 0")
        self.enhancer = enhancer
        self.sample_rate = int(enhancer.sample_rate)
        self.device_block = positive_int(device_block or default_device_block(enhancer), name="device_block")
        eb = enhancer.block_size
        margin = int(round(margin_ms * self.sample_rate / 1000))
        #: Frames of silence the output starts with (rebuffering + one period of processing time + margin).
        self.prefill = self.device_block + eb - math.gcd(self.device_block, eb) + margin
        cap = max(int(ring_s * self.sample_rate), 4 * (self.prefill + self.device_block + eb))
        self.in_ring = RingBuffer(cap, self.channels)
        self.out_ring = RingBuffer(cap, self.channels)
        #: Converter latency reported by the audio device in seconds (input + output), set by the device.
        self.device_latency_s = 0.0
        self._stream = Stream(enhancer, self.channels)
        self._times = np.full(positive_int(stats_blocks, name="stats_blocks"), np.nan)
        self._n_blocks = 0
        self._underruns = 0
        self._callbacks = 0
        #: Indices (0-based, in device callbacks) of the first 1000 underruns.
        self.underrun_callbacks: list[int] = []
        self._overruns = 0
        self._debt = 0  # frames of silence played for late audio; dropped from the output when it arrives
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        if switch_interval_s is not None and not switch_interval_s > 0:
            raise ParameterError(f"switch_interval_s={switch_interval_s} must be > 0 or None")
        self._switch_interval = switch_interval_s
        self._saved_switch: float | None = None
        self._want_realtime = bool(realtime)
        self._freeze_gc = bool(freeze_gc)
        #: Whether the processing thread got real-time priority (set when it starts).
        self.realtime = False
        self._ready = threading.Event()  # set by the callback when a whole enhancer block is waiting
        self._poll_s = max(0.002, self.device_block / self.sample_rate)  # safety timeout of the wait

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> LiveEngine:
        """Fill the output with the initial silence and start the processing thread."""
        if self._thread is not None:
            return self
        self.out_ring.write(np.zeros((self.channels, self.prefill), np.float32))
        if self._freeze_gc:
            gc.collect()
            gc.freeze()
        if self._switch_interval is not None:
            self._saved_switch = sys.getswitchinterval()
            sys.setswitchinterval(min(self._saved_switch, self._switch_interval))
        self._thread = threading.Thread(target=self._run, name="voxclean-live", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> LatencyReport:
        """Stop the processing thread; returns the final report. Re-raises an error of the thread."""
        self._halt(timeout)
        if self._error is not None:
            raise self._error
        return self.report()

    def __enter__(self) -> LiveEngine:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self._halt(2.0)

    def _halt(self, timeout: float) -> None:
        self._stop.set()
        self._ready.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._saved_switch is not None:
            sys.setswitchinterval(self._saved_switch)
            self._saved_switch = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # ------------------------------------------------------------------ audio thread
    def callback(self, indata: Audio, outdata: Audio) -> None:
        """Device callback: ``indata`` and ``outdata`` are ``[shape=(frames, C)]`` float32.

        Copies ``indata`` into the input ring and fills ``outdata`` from the output
        ring, or with silence when processed audio is late. Never blocks and never
        runs the enhancer.
        """
        if indata is not None and indata.shape[0]:
            if self.in_ring.write(indata.T) < indata.shape[0]:
                self._overruns += 1
            if self.in_ring.available >= self.enhancer.block_size:
                self._ready.set()  # wake the processing thread now (no polling delay)
        if outdata is None:
            return
        n = outdata.shape[0]
        if self._debt:
            self._debt -= self.out_ring.skip(self._debt)
        block = self.out_ring.read(n) if not self._debt else None
        if block is None:
            outdata.fill(0.0)
            self._underruns += 1
            if len(self.underrun_callbacks) < 1000:
                self.underrun_callbacks.append(self._callbacks)
            self._debt += n
        else:
            outdata[:] = block.T
        self._callbacks += 1

    # ------------------------------------------------------------------ processing thread
    def _run(self) -> None:
        eb = self.enhancer.block_size
        buf = np.zeros((self.channels, eb), np.float32)
        size = self._times.shape[0]
        if self._want_realtime:
            self.realtime = try_realtime()
        try:
            while not self._stop.is_set():
                if self.in_ring.read(eb, out=buf) is None:
                    self._ready.clear()
                    if self.in_ring.available < eb:  # nothing arrived between the read and the clear
                        self._ready.wait(self._poll_s)
                    continue
                t0 = time.perf_counter()
                y = self._stream.process(buf)
                self._times[self._n_blocks % size] = time.perf_counter() - t0
                self._n_blocks += 1
                if self.out_ring.write(y) < y.shape[1]:
                    self._overruns += 1
        except BaseException as exc:  # surfaced by stop()
            self._error = exc

    # ------------------------------------------------------------------ report
    def report(self) -> LatencyReport:
        """Latency, processing-time percentiles and glitch counts so far."""
        sr = self.sample_rate
        ms = 1000.0 / sr
        alg = self.enhancer.latency * ms
        buffering = (self.prefill + self.device_block) * ms + 1000.0 * self.device_latency_s
        t = self._times[: min(self._n_blocks, self._times.shape[0])]
        t = t[np.isfinite(t)]
        p50, p99, mx = (float("nan"),) * 3 if t.size == 0 else (
            1000 * float(np.percentile(t, 50)), 1000 * float(np.percentile(t, 99)), 1000 * float(t.max()))
        return LatencyReport(
            sample_rate=sr, device_block=self.device_block, enhancer_block=self.enhancer.block_size,
            algorithmic_ms=alg, buffering_ms=buffering, total_ms=alg + buffering,
            block_p50_ms=p50, block_p99_ms=p99, block_max_ms=mx, block_budget_ms=self.enhancer.block_size * ms,
            blocks=self._n_blocks, underruns=self._underruns, overruns=self._overruns,
            nonfinite=self._stream.nonfinite_count, realtime=self.realtime,
        )

    @property
    def delay_frames(self) -> int:
        """Input-to-output delay in frames inside the engine (algorithmic + initial silence)."""
        return self.enhancer.latency + self.prefill


class SimulatedDevice:
    """A duplex audio device made of arrays, for tests and benchmarks without sound hardware.

    It calls ``engine.callback`` every ``block`` frames of ``signal``, paced at
    ``speed`` times real time (``speed=1``: a real device), and records what the
    engine plays.

    Parameters
    ----------
    signal : np.ndarray [shape=(C, T)] or [shape=(T,)]
        What the microphone captures.
    block : int > 0
        Frames per callback.
    sample_rate : int > 0
    speed : float > 0
        Pace relative to real time.
    tail : int >= 0
        Frames of silence captured after ``signal`` (to hear the end of it).
    realtime : bool
        Run the callbacks with real-time scheduling priority, as a sound card
        driver's audio thread has (see :func:`try_realtime`; ignored where not
        allowed); the calling thread returns to normal priority afterwards.
    """

    def __init__(self, signal: Audio, block: int, sample_rate: int, *, speed: float = 1.0, tail: int = 0,
                 realtime: bool = True) -> None:
        x = np.asarray(signal, dtype=np.float32)
        self.signal = x[None] if x.ndim == 1 else x
        self.block = positive_int(block, name="block")
        self.sample_rate = positive_int(sample_rate, name="sample_rate")
        if not speed > 0:
            raise ParameterError(f"speed={speed} must be > 0")
        self.speed = float(speed)
        self.tail = int(tail)
        self.realtime = bool(realtime)
        #: Callbacks that started more than half a block after their due time, as
        #: ``(index, seconds late)``: a real device would have glitched there itself.
        self.late_callbacks: list[tuple[int, float]] = []
        #: Wall-clock seconds spent inside each callback.
        self.callback_s: list[float] = []

    def run(self, engine: LiveEngine, on_block: Callable[[int], Any] | None = None) -> Audio:
        """Drive ``engine`` (already started) through the whole signal; returns the played ``(C, T + tail)``."""
        c = self.signal.shape[0]
        total = self.signal.shape[1] + self.tail
        x = np.concatenate([self.signal, np.zeros((c, self.tail), np.float32)], axis=1)
        out = np.zeros((c, total), np.float32)
        period = self.block / self.sample_rate / self.speed
        raised = self.realtime and try_realtime()
        try:
            return self._run(engine, on_block, x, out, total, period)
        finally:
            if raised:
                normal_priority()

    def _run(self, engine: LiveEngine, on_block: Callable[[int], Any] | None, x: np.ndarray, out: np.ndarray,
             total: int, period: float) -> Audio:
        c = x.shape[0]
        t0 = time.perf_counter()
        for i, start in enumerate(range(0, total, self.block)):
            due = t0 + i * period
            now = time.perf_counter()
            if due > now:
                time.sleep(due - now)
            elif now - due > period / 2:
                self.late_callbacks.append((i, now - due))
            stop = min(start + self.block, total)
            indata = np.ascontiguousarray(x[:, start:stop].T)
            outdata = np.empty((stop - start, c), np.float32)
            tc = time.perf_counter()
            engine.callback(indata, outdata)
            self.callback_s.append(time.perf_counter() - tc)
            out[:, start:stop] = outdata.T
            if on_block is not None:
                on_block(i)
        return out
