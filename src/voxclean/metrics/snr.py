"""Signal-to-noise ratio: global and segmental (Hu & Loizou 2008)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validate import positive_float, valid_sr
from ..errors import ParameterError
from ._common import EPS, Float64Array, analysis_window, channel_mean, check_pair, frame_signal

__all__ = ["snr", "segmental_snr"]


def _snr_1d(reference: Float64Array, estimate: Float64Array) -> float:
    signal = float(np.dot(reference, reference))
    if signal == 0.0:
        raise ParameterError("reference is silent (all zeros); SNR is undefined")
    residual = reference - estimate
    noise = float(np.dot(residual, residual))
    return float(10.0 * np.log10(signal / (noise + EPS * signal)))


def snr(reference: Any, estimate: Any) -> float:
    """Signal-to-noise ratio of ``estimate`` against ``reference``, in dB.

    ``10 log10(sum(reference**2) / sum((reference - estimate)**2))``. The noise
    energy is floored at ``eps * signal`` so an exact match gives about 156.5 dB
    instead of infinity.

    Parameters
    ----------
    reference : np.ndarray [shape=(T,) or (C, T)]
        Clean reference signal.
    estimate : np.ndarray [shape=(T,) or (C, T)]
        Signal under test, same shape as ``reference``.

    Returns
    -------
    float
        SNR in dB. Multichannel input: the mean of the per-channel values.

    Raises
    ------
    ParameterError
        Non-finite, empty or unequal-length input, or a silent reference channel.
    ChannelError
        Channel counts differ.
    """
    ref, est = check_pair(reference, estimate)
    return channel_mean(_snr_1d, ref, est)


def segmental_snr(
    reference: Any,
    estimate: Any,
    sr: int,
    *,
    frame_s: float = 0.03,
    hop_s: float = 0.0075,
    min_db: float = -10.0,
    max_db: float = 35.0,
) -> float:
    """Segmental SNR in dB, Hu & Loizou (2008) style.

    Both signals are cut into Hann-windowed frames; each frame's SNR is clamped
    to ``[min_db, max_db]`` and the clamped values are averaged. A frame that the
    estimate reproduces exactly scores ``max_db``; a silent reference frame with
    a non-zero error scores ``min_db``.

    Parameters
    ----------
    reference : np.ndarray [shape=(T,) or (C, T)]
        Clean reference signal.
    estimate : np.ndarray [shape=(T,) or (C, T)]
        Signal under test, same shape as ``reference``.
    sr : int > 0
        Sample rate in Hz.
    frame_s : float > 0
        Frame length in seconds (default 30 ms).
    hop_s : float > 0
        Hop in seconds (default 7.5 ms, i.e. 75 % overlap).
    min_db, max_db : float
        Clamp range of the per-frame SNR in dB, ``min_db < max_db``.

    Returns
    -------
    float
        Mean clamped frame SNR in dB. Multichannel input: mean over channels.

    Raises
    ------
    ParameterError
        Invalid input or parameters.
    SampleRateError
        ``sr`` is not a positive integer.
    ChannelError
        Channel counts differ.
    """
    sr = valid_sr(sr)
    frame = max(1, int(round(positive_float(frame_s, name="frame_s") * sr)))
    hop = max(1, int(round(positive_float(hop_s, name="hop_s") * sr)))
    if not (np.isfinite(min_db) and np.isfinite(max_db) and min_db < max_db):
        raise ParameterError(f"min_db={min_db!r}, max_db={max_db!r}: need finite min_db < max_db")
    ref, est = check_pair(reference, estimate)
    window = analysis_window(frame)

    def one(r: Float64Array, e: Float64Array) -> float:
        rf = frame_signal(r, frame, hop) * window
        ef = frame_signal(e, frame, hop) * window
        signal = np.sum(rf * rf, axis=1)
        noise = np.sum((rf - ef) ** 2, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            frame_db = 10.0 * np.log10(signal / noise)
        frame_db = np.where(noise == 0.0, max_db, frame_db)
        return float(np.mean(np.clip(frame_db, min_db, max_db)))

    return channel_mean(one, ref, est)
