"""The Enhancer protocol and the loops that drive it.

Every stage (classical, neural, a whole :class:`~voxclean.enhance.pipeline.Pipeline`)
is a frame processor: it consumes ``block_size`` samples per channel, returns the
same number, keeps everything it remembers in an explicit ``State`` object created
by ``init_state``, and declares its algorithmic ``latency`` in samples. Offline
processing is the streaming loop plus latency compensation (:func:`run_offline`),
so offline output equals streaming output by construction.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .._typing import Audio
from .._validate import as_ct, restore_shape, valid_audio, valid_sr
from ..config import Params
from ..errors import ChannelError, SampleRateError

__all__ = ["Enhancer", "Stream", "process_many", "process_streams", "run_offline", "stream_compensated"]


@runtime_checkable
class Enhancer(Protocol):
    """A block-in, block-out speech enhancement stage with explicit state.

    Attributes
    ----------
    sample_rate : int
        The rate in Hz the stage runs at. Stages never resample; the facade does.
    block_size : int
        Samples per channel consumed and produced by each :meth:`process` call.
    latency : int
        Algorithmic delay in samples: output sample ``t`` corresponds to input
        sample ``t - latency``.
    channels : int or None
        Exact channel count required, or ``None`` for any count (each channel is
        processed independently, with its own state).
    """

    sample_rate: int
    block_size: int
    latency: int
    channels: int | None

    def init_state(self, n_channels: int) -> Any:
        """Return a fresh state for one stream of ``n_channels`` channels."""
        ...

    def process(self, block: Audio, state: Any) -> Audio:
        """Process one block ``[shape=(C, block_size)]`` and return ``[shape=(C, block_size)]``.

        Mutates ``state``.
        """
        ...

    def params(self) -> Params:
        """The stage's parameters (a frozen, serializable dataclass)."""
        ...

    # Optional (not part of the runtime check): ``process_many(blocks, states) -> list``
    # processes one block for each of several independent streams at once (a server
    # batching its streams); see :func:`process_many`.


def process_many(enhancer: Enhancer, blocks: list[Audio], states: list[Any]) -> list[Audio]:
    """Process one block for each of several streams of the same enhancer.

    Uses the enhancer's own ``process_many`` when it has one (vectorized across
    streams, e.g. one neural network call for all of them), otherwise calls
    :meth:`Enhancer.process` once per stream. Either way each output equals what
    ``process`` would return for that stream alone, and each state advances as if
    its stream had been processed alone.

    Parameters
    ----------
    enhancer : Enhancer
    blocks : list of np.ndarray [shape=(C_i, block_size)]
        One block per stream; channel counts may differ between streams.
    states : list
        The matching per-stream states (from ``enhancer.init_state``), mutated.

    Returns
    -------
    list of np.ndarray [shape=(C_i, block_size)], float32
    """
    if len(blocks) != len(states):
        raise ValueError(f"{len(blocks)} blocks for {len(states)} states")
    batched = getattr(enhancer, "process_many", None)
    if batched is not None and len(blocks) > 1:
        return list(batched(blocks, states))
    return [enhancer.process(b, s) for b, s in zip(blocks, states, strict=True)]


def check_channels(enhancer: Enhancer, n_channels: int) -> None:
    """Raise :class:`ChannelError` when ``enhancer`` cannot take ``n_channels`` channels."""
    if n_channels < 1:
        raise ChannelError(f"n_channels={n_channels} must be >= 1")
    if enhancer.channels is not None and enhancer.channels != n_channels:
        raise ChannelError(
            f"{type(enhancer).__name__} needs channels={enhancer.channels}, got {n_channels}"
        )


class Stream:
    """Drive an enhancer with blocks of any length (rebuffering to its ``block_size``).

    Parameters
    ----------
    enhancer : Enhancer
    n_channels : int >= 1
        Channel count of the stream.

    Notes
    -----
    Output lags input by ``enhancer.latency`` samples plus up to ``block_size - 1``
    samples of buffering: :meth:`process` returns only complete blocks.
    Non-finite input samples are replaced by 0 (counted in :attr:`nonfinite_count`,
    with one warning per stream) so that a live stream never stops on bad data.
    """

    def __init__(self, enhancer: Enhancer, n_channels: int) -> None:
        check_channels(enhancer, n_channels)
        self.enhancer = enhancer
        self.n_channels = n_channels
        self.state = enhancer.init_state(n_channels)
        self._pending = np.zeros((n_channels, 0), np.float32)
        self.nonfinite_count = 0

    def process(self, x: Audio) -> Audio:
        """Push samples ``[shape=(C, n)]``, any ``n >= 0``; return finished samples ``[shape=(C, m)]``."""
        blocks = self._blocks(x)
        out = np.empty((self.n_channels, len(blocks) * self.enhancer.block_size), np.float32)
        bs = self.enhancer.block_size
        for i, b in enumerate(blocks):
            out[:, i * bs : (i + 1) * bs] = self.enhancer.process(b, self.state)
        return out

    def _blocks(self, x: Audio) -> list[np.ndarray]:
        """Check and rebuffer ``x``: the complete blocks it finishes (the rest stays pending)."""
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 2 or x.shape[0] != self.n_channels:
            raise ChannelError(f"block shape {x.shape} does not match n_channels={self.n_channels}")
        bad = ~np.isfinite(x)
        if bad.any():
            if self.nonfinite_count == 0:
                warnings.warn("non-finite input samples replaced by 0", RuntimeWarning, stacklevel=3)
            self.nonfinite_count += int(bad.sum())
            x = np.where(bad, 0.0, x).astype(np.float32)
        buf = np.concatenate([self._pending, x], axis=1) if self._pending.shape[1] else x
        bs = self.enhancer.block_size
        n_blocks = buf.shape[1] // bs
        self._pending = buf[:, n_blocks * bs :].copy()
        return [buf[:, i * bs : (i + 1) * bs] for i in range(n_blocks)]


def process_streams(streams: list[Stream], xs: list[Audio]) -> list[Audio]:
    """Push one chunk into each of several streams that share one enhancer, batched.

    Equivalent to ``[s.process(x) for s, x in zip(streams, xs)]``, but the blocks
    of all streams go through :func:`process_many` together, so an enhancer with a
    vectorized ``process_many`` runs once per block index instead of once per stream.

    Parameters
    ----------
    streams : list of Stream
        Streams of the same enhancer object (``streams[i].enhancer is streams[0].enhancer``).
    xs : list of np.ndarray [shape=(C_i, n_i)]
        The new samples of each stream (any lengths).

    Returns
    -------
    list of np.ndarray [shape=(C_i, m_i)], float32
        The finished samples of each stream.

    Raises
    ------
    ValueError
        The streams do not share one enhancer, or the list lengths differ.
    ChannelError
        A chunk's channel count does not match its stream.
    """
    if len(streams) != len(xs):
        raise ValueError(f"{len(xs)} chunks for {len(streams)} streams")
    if not streams:
        return []
    enh = streams[0].enhancer
    if any(s.enhancer is not enh for s in streams):
        raise ValueError("process_streams needs streams of one shared enhancer object")
    blocks = [s._blocks(x) for s, x in zip(streams, xs, strict=True)]
    bs = enh.block_size
    outs = [np.empty((s.n_channels, len(b) * bs), np.float32) for s, b in zip(streams, blocks, strict=True)]
    for k in range(max(len(b) for b in blocks)):
        idx = [i for i, b in enumerate(blocks) if len(b) > k]
        ys = process_many(enh, [blocks[i][k] for i in idx], [streams[i].state for i in idx])
        for i, y in zip(idx, ys, strict=True):
            outs[i][:, k * bs : (k + 1) * bs] = y
    return outs


def stream_compensated(
    enhancer: Enhancer, blocks: Iterable[Audio], n_channels: int
) -> Iterator[Audio]:
    """Run ``blocks`` through ``enhancer`` and yield latency-compensated output.

    The concatenated output has exactly the input's length and is aligned with it:
    the first ``latency`` output samples are dropped and the tail is flushed with
    zeros. Memory is constant in the stream length.

    Parameters
    ----------
    enhancer : Enhancer
    blocks : iterable of np.ndarray [shape=(C, n)]
        Input blocks of any lengths.
    n_channels : int
        Channel count of every block.

    Yields
    ------
    np.ndarray [shape=(C, m)], float32
    """
    stream = Stream(enhancer, n_channels)
    to_skip = enhancer.latency
    n_in = 0
    n_out = 0

    def emit(y: Audio) -> Audio:
        nonlocal to_skip, n_out
        if to_skip:
            cut = min(to_skip, y.shape[1])
            y = y[:, cut:]
            to_skip -= cut
        n_out += y.shape[1]
        return y

    for block in blocks:
        n_in += block.shape[1]
        y = emit(stream.process(block))
        if y.shape[1]:
            yield y
    bs = enhancer.block_size
    missing = n_in - n_out
    if missing > 0:
        pad = enhancer.latency + bs  # enough to push every input sample out
        y = emit(stream.process(np.zeros((n_channels, pad), np.float32)))
        yield y[:, :missing]


def run_offline(enhancer: Enhancer, y: Audio, sr: int) -> Audio:
    """Enhance a whole signal with the streaming loop plus latency compensation.

    Parameters
    ----------
    enhancer : Enhancer
    y : np.ndarray [shape=(T,) or (C, T)]
        Finite float audio at ``enhancer.sample_rate``.
    sr : int
        Sample rate of ``y`` in Hz; must equal ``enhancer.sample_rate``
        (resampling is the facade's job, see :func:`voxclean.enhance`).

    Returns
    -------
    np.ndarray [shape like y], float32
        Output aligned with the input, same length. Empty input gives empty output.

    Raises
    ------
    SampleRateError
        ``sr`` differs from ``enhancer.sample_rate``.
    ParameterError
        ``y`` is not finite float audio.
    ChannelError
        The enhancer requires a different channel count.
    """
    sr = valid_sr(sr)
    if sr != enhancer.sample_rate:
        raise SampleRateError(
            f"sr={sr} differs from the enhancer's sample_rate={enhancer.sample_rate}; "
            "resample first or use voxclean.enhance(..., resample=True)"
        )
    audio, was_1d = as_ct(y)
    audio = valid_audio(audio)
    if audio.shape[1] == 0:
        return restore_shape(audio.copy(), was_1d)
    out = np.concatenate(list(stream_compensated(enhancer, [audio], audio.shape[0])), axis=1)
    return restore_shape(out, was_1d)
