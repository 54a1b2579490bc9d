"""Time alignment of an estimate to its reference before scoring."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.fft

from .._typing import Audio
from .._validate import positive_float, valid_sr
from ._common import check_pair

__all__ = ["AlignmentInfo", "align", "estimate_lag"]


@dataclass(frozen=True)
class AlignmentInfo:
    """What :func:`align` did.

    Attributes
    ----------
    lag_samples : int
        Estimated delay of the estimate relative to the reference, in samples at
        the input rate. Positive: the estimate lags (its first ``lag_samples``
        samples were dropped); negative: the estimate leads (the reference's
        first ``-lag_samples`` samples were dropped).
    length_mismatch : int
        ``len(estimate) - len(reference)`` before alignment, in samples.
    length : int
        Common length of the returned signals, in samples.
    correlation : float
        Normalised cross-correlation at the chosen lag (-1 ... 1).
    """

    lag_samples: int
    length_mismatch: int
    length: int
    correlation: float


def estimate_lag(reference: np.ndarray, estimate: np.ndarray, max_lag: int) -> tuple[int, float]:
    """Lag in samples maximising ``|xcorr|`` of two mono signals within ``+-max_lag``.

    Parameters
    ----------
    reference, estimate : np.ndarray [shape=(T,)]
        Mono signals, any lengths.
    max_lag : int >= 0
        Largest lag searched, in samples.

    Returns
    -------
    lag : int
        Positive when ``estimate`` is delayed against ``reference``.
    correlation : float
        Normalised cross-correlation at ``lag`` (0 when a signal is silent).
    """
    r = np.asarray(reference, dtype=np.float64)
    e = np.asarray(estimate, dtype=np.float64)
    r = r - r.mean()
    e = e - e.mean()
    norm = float(np.sqrt(np.dot(r, r) * np.dot(e, e)))
    if norm == 0.0:
        return 0, 0.0
    max_lag = int(min(max_lag, len(e) - 1, len(r) - 1))
    if max_lag <= 0:
        return 0, float(np.dot(r[: len(e)], e[: len(r)]) / norm)
    n_fft = scipy.fft.next_fast_len(len(r) + len(e) - 1, real=True)
    xcorr = scipy.fft.irfft(
        scipy.fft.rfft(e, n_fft) * np.conj(scipy.fft.rfft(r, n_fft)), n_fft
    )  # xcorr[k] = sum_n e[n + k] r[n]; negative k wrap to the end
    lags = np.arange(-max_lag, max_lag + 1)
    values = xcorr[lags % n_fft]
    best = int(np.argmax(np.abs(values)))
    return int(lags[best]), float(values[best] / norm)


def align(
    reference: Any,
    estimate: Any,
    sr: int,
    *,
    max_lag_s: float = 0.5,
) -> tuple[Audio, Audio, AlignmentInfo]:
    """Compensate a constant delay between ``estimate`` and ``reference`` and trim both.

    The lag is the peak of the absolute FFT cross-correlation of the channel
    means, searched within ``+-max_lag_s``. The leading samples of whichever
    signal is late are dropped, then both are cut to their common length.

    Parameters
    ----------
    reference : np.ndarray [shape=(T,) or (C, T)]
        Clean reference signal.
    estimate : np.ndarray [shape=(T2,) or (C, T2)]
        Signal under test; same channel count, any length.
    sr : int > 0
        Sample rate in Hz.
    max_lag_s : float >= 0
        Largest delay searched, in seconds; 0 only trims to the common length.

    Returns
    -------
    reference : np.ndarray [shape=(T',) or (C, T'), dtype=float32]
        Trimmed reference (1-D if both inputs were 1-D).
    estimate : np.ndarray [shape=(T',) or (C, T'), dtype=float32]
        Shifted and trimmed estimate, same shape as the returned reference.
    info : AlignmentInfo
        Lag, original length mismatch, common length and correlation.

    Raises
    ------
    ParameterError
        Non-finite or empty input, or invalid ``max_lag_s``.
    SampleRateError
        ``sr`` is not a positive integer.
    ChannelError
        Channel counts differ.
    """
    sr = valid_sr(sr)
    max_lag = int(round(positive_float(max_lag_s, name="max_lag_s", allow_zero=True) * sr))
    both_1d = np.ndim(reference) == 1 and np.ndim(estimate) == 1
    ref, est = check_pair(reference, estimate, same_length=False)
    mismatch = est.shape[1] - ref.shape[1]
    lag, corr = estimate_lag(ref.mean(axis=0), est.mean(axis=0), max_lag)
    if lag > 0:
        est = est[:, lag:]
    elif lag < 0:
        ref = ref[:, -lag:]
    length = min(ref.shape[1], est.shape[1])
    ref_out = np.ascontiguousarray(ref[:, :length], dtype=np.float32)
    est_out = np.ascontiguousarray(est[:, :length], dtype=np.float32)
    info = AlignmentInfo(
        lag_samples=lag, length_mismatch=int(mismatch), length=int(length), correlation=corr
    )
    if both_1d:
        return ref_out[0], est_out[0], info
    return ref_out, est_out, info
