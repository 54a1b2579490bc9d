"""Sample-rate conversion with soxr, one-shot and streaming."""

from __future__ import annotations

from typing import Any

import numpy as np
import soxr

from .._typing import Audio
from .._validate import as_ct, positive_int, restore_shape, valid_audio, valid_sr
from ..errors import ParameterError

__all__ = ["resample", "Resampler", "QUALITIES"]

#: soxr quality presets, lowest to highest. voxclean defaults to ``"HQ"``.
QUALITIES: tuple[str, ...] = ("QQ", "LQ", "MQ", "HQ", "VHQ")


def _valid_quality(quality: Any) -> str:
    if not isinstance(quality, str) or quality.upper() not in QUALITIES:
        raise ParameterError(f"quality={quality!r} must be one of {QUALITIES}")
    return quality.upper()


def resample(y: Any, sr_in: int, sr_out: int, *, quality: str = "HQ") -> Audio:
    """Resample a whole signal from ``sr_in`` to ``sr_out``.

    Parameters
    ----------
    y : np.ndarray [shape=(T,) or (C, T)]
        Audio, float, time last.
    sr_in : int > 0
        Input sample rate in Hz.
    sr_out : int > 0
        Output sample rate in Hz.
    quality : {"QQ", "LQ", "MQ", "HQ", "VHQ"}
        soxr quality preset.

    Returns
    -------
    np.ndarray [shape=(T',) or (C, T'), dtype=float32]
        Resampled audio with ``T' ~= round(T * sr_out / sr_in)``; same number of
        dimensions as ``y``. A copy is returned even when the rates are equal.

    Raises
    ------
    ParameterError
        ``y`` is not finite float audio, or ``quality`` is unknown.
    SampleRateError
        A sample rate is not a positive integer.
    """
    sr_in = valid_sr(sr_in, name="sr_in")
    sr_out = valid_sr(sr_out, name="sr_out")
    quality = _valid_quality(quality)
    x, was_1d = as_ct(y)
    if sr_in == sr_out:
        return restore_shape(x.copy(), was_1d)
    if x.shape[1] == 0:
        return restore_shape(np.zeros((x.shape[0], 0), dtype=np.float32), was_1d)
    out = soxr.resample(np.ascontiguousarray(x.T), sr_in, sr_out, quality=quality)
    out = np.ascontiguousarray(out.T, dtype=np.float32)
    return restore_shape(out, was_1d)


class Resampler:
    """Streaming resampler: feed blocks, get resampled blocks, then :meth:`flush`.

    Concatenating every :meth:`process` output and the :meth:`flush` output
    gives the same signal as :func:`resample` on the whole input, up to soxr's
    floating-point tolerance. Memory use is constant in the stream length.

    Parameters
    ----------
    sr_in : int > 0
        Input sample rate in Hz.
    sr_out : int > 0
        Output sample rate in Hz.
    channels : int > 0
        Number of channels ``C`` of every block.
    quality : {"QQ", "LQ", "MQ", "HQ", "VHQ"}
        soxr quality preset.

    Examples
    --------
    >>> r = Resampler(48000, 16000, 1)
    >>> out = [r.process(b) for b in blocks]  # doctest: +SKIP
    >>> out.append(r.flush())  # doctest: +SKIP
    """

    def __init__(self, sr_in: int, sr_out: int, channels: int, quality: str = "HQ") -> None:
        self.sr_in = valid_sr(sr_in, name="sr_in")
        self.sr_out = valid_sr(sr_out, name="sr_out")
        self.channels = positive_int(channels, name="channels")
        self.quality = _valid_quality(quality)
        self._stream: soxr.ResampleStream | None = None
        if self.sr_in != self.sr_out:
            self._stream = soxr.ResampleStream(
                self.sr_in, self.sr_out, self.channels, dtype="float32", quality=self.quality
            )

    @property
    def passthrough(self) -> bool:
        """True when the two rates are equal and blocks are only copied."""
        return self._stream is None

    def process(self, block: Any) -> Audio:
        """Resample the next block.

        Parameters
        ----------
        block : np.ndarray [shape=(C, n)]
            Next ``n`` input samples per channel (``n`` may be 0).

        Returns
        -------
        np.ndarray [shape=(C, m), dtype=float32]
            Output ready so far; ``m`` varies from call to call because of
            the filter delay, and may be 0.
        """
        x = valid_audio(block, channels=self.channels, name="block")
        if self._stream is None:
            return x.copy()
        out = self._stream.resample_chunk(np.ascontiguousarray(x.T), last=False)
        return np.ascontiguousarray(out.T, dtype=np.float32)

    def flush(self) -> Audio:
        """Return the samples still held in the filter and reset for a new stream.

        Returns
        -------
        np.ndarray [shape=(C, m), dtype=float32]
        """
        if self._stream is None:
            return np.zeros((self.channels, 0), dtype=np.float32)
        empty = np.zeros((0, self.channels), dtype=np.float32)
        out = self._stream.resample_chunk(empty, last=True)
        self._stream.clear()
        return np.ascontiguousarray(out.T, dtype=np.float32)

    def __repr__(self) -> str:
        return (
            f"Resampler(sr_in={self.sr_in}, sr_out={self.sr_out}, channels={self.channels}, quality={self.quality!r})"
        )
