"""Helpers shared by the metric modules: pair validation, framing, resampling."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from .._validate import valid_audio
from ..errors import ChannelError, ParameterError

__all__ = [
    "EPS",
    "check_pair",
    "channel_mean",
    "frame_signal",
    "analysis_window",
    "resample",
    "mean_of_lowest",
]

Float64Array = npt.NDArray[np.float64]

#: Relative floor used by ratio metrics; caps a perfect match at about 156.5 dB.
EPS = float(np.finfo(np.float64).eps)


def check_pair(
    reference: Any,
    estimate: Any,
    *,
    same_length: bool = True,
) -> tuple[Float64Array, Float64Array]:
    """Validate a reference/estimate pair and return both as ``(C, T)`` float64.

    Parameters
    ----------
    reference, estimate : array_like [shape=(T,) or (C, T)]
        Clean reference and the signal under test, time last.
    same_length : bool
        If True, differing lengths raise :class:`ParameterError`.

    Raises
    ------
    ParameterError
        Non-float, non-finite, empty, or (with ``same_length``) unequal lengths.
    ChannelError
        The two signals have different channel counts.
    """
    ref = valid_audio(reference, name="reference")
    est = valid_audio(estimate, name="estimate")
    if ref.shape[1] == 0:
        raise ParameterError("reference is empty (0 samples)")
    if est.shape[1] == 0:
        raise ParameterError("estimate is empty (0 samples)")
    if ref.shape[0] != est.shape[0]:
        raise ChannelError(
            f"reference has {ref.shape[0]} channels but estimate has {est.shape[0]}; "
            "they must match"
        )
    if same_length and ref.shape[1] != est.shape[1]:
        raise ParameterError(
            f"reference has {ref.shape[1]} samples but estimate has {est.shape[1]}; "
            "trim them first (voxclean.metrics.align or voxclean.metrics.score do this)"
        )
    return ref.astype(np.float64), est.astype(np.float64)


def channel_mean(
    fn: Callable[[Float64Array, Float64Array], float],
    reference: Float64Array,
    estimate: Float64Array,
) -> float:
    """Apply ``fn`` to each channel pair of ``(C, T)`` arrays and return the mean."""
    values = [fn(r, e) for r, e in zip(reference, estimate, strict=True)]
    return float(np.mean(values))


def frame_signal(x: Float64Array, frame: int, hop: int) -> Float64Array:
    """Cut ``x`` [shape=(T,)] into frames [shape=(F, frame)], without padding.

    A signal shorter than one frame is zero-padded to a single frame.
    """
    if x.shape[-1] < frame:
        x = np.pad(x, (0, frame - x.shape[-1]))
    n_frames = 1 + (x.shape[-1] - frame) // hop
    view = np.lib.stride_tricks.sliding_window_view(x, frame)
    return np.ascontiguousarray(view[: n_frames * hop : hop][:n_frames])


def analysis_window(n: int) -> Float64Array:
    """Hann window without zero end points, ``0.5 (1 - cos(2 pi k / (n + 1)))``, k = 1..n."""
    return np.hanning(n + 2)[1:-1]


def resample(x: Float64Array, sr_in: int, sr_out: int) -> Float64Array:
    """Resample ``(C, T)`` or ``(T,)`` audio from ``sr_in`` to ``sr_out`` Hz with soxr (HQ)."""
    if sr_in == sr_out:
        return x
    import soxr

    if x.ndim == 1:
        return np.asarray(soxr.resample(x, sr_in, sr_out, quality="HQ"), dtype=np.float64)
    out = soxr.resample(np.ascontiguousarray(x.T), sr_in, sr_out, quality="HQ")
    return np.ascontiguousarray(np.asarray(out, dtype=np.float64).reshape(-1, x.shape[0]).T)


def mean_of_lowest(values: Float64Array, fraction: float = 0.95) -> float:
    """Mean of the lowest ``fraction`` of ``values`` (at least one value), as in Hu & Loizou."""
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    keep = max(1, int(round(fraction * ordered.size)))
    return float(np.mean(ordered[:keep]))
