"""Log-spectral distance between two signals."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validate import positive_float, valid_sr
from ..errors import ParameterError
from ._common import Float64Array, channel_mean, check_pair, frame_signal

__all__ = ["log_spectral_distance"]


def log_spectral_distance(
    reference: Any,
    estimate: Any,
    sr: int,
    *,
    frame_s: float = 0.032,
    hop_s: float = 0.016,
    floor_db: float = -100.0,
) -> float:
    """Log-spectral distance (LSD) in dB.

    For each Hann-windowed frame, the power spectra of both signals are taken in
    dB (floored at ``floor_db``, relative to a full-scale sine of amplitude 1);
    the frame distance is the root-mean-square over frequency bins of their
    difference, and the LSD is the mean over frames::

        LSD = mean_t sqrt(mean_f (10 log10 P_ref(t, f) - 10 log10 P_est(t, f))**2)

    Parameters
    ----------
    reference : np.ndarray [shape=(T,) or (C, T)]
        Clean reference signal.
    estimate : np.ndarray [shape=(T,) or (C, T)]
        Signal under test, same shape as ``reference``.
    sr : int > 0
        Sample rate in Hz.
    frame_s : float > 0
        Frame (and FFT) length in seconds, default 32 ms.
    hop_s : float > 0
        Hop in seconds, default 16 ms.
    floor_db : float
        Power floor in dB, so silent bins do not dominate.

    Returns
    -------
    float
        LSD in dB (0 for identical signals). Multichannel: mean over channels.

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
    frame = max(2, int(round(positive_float(frame_s, name="frame_s") * sr)))
    hop = max(1, int(round(positive_float(hop_s, name="hop_s") * sr)))
    if isinstance(floor_db, bool) or not isinstance(floor_db, (int, float)):
        raise ParameterError(f"floor_db={floor_db!r} must be a finite number")
    if not np.isfinite(floor_db):
        raise ParameterError(f"floor_db={floor_db!r} must be a finite number")
    ref, est = check_pair(reference, estimate)
    window = np.hanning(frame)
    # Normalise so a full-scale sine (amplitude 1) has a peak bin at 0 dB.
    scale = 2.0 / float(np.sum(window))
    floor = 10.0 ** (floor_db / 10.0)

    def spectrum_db(x: Float64Array) -> Float64Array:
        frames = frame_signal(x, frame, hop) * window
        power = np.abs(np.fft.rfft(frames, axis=1) * scale) ** 2
        return 10.0 * np.log10(np.maximum(power, floor))

    def one(r: Float64Array, e: Float64Array) -> float:
        diff = spectrum_db(r) - spectrum_db(e)
        return float(np.mean(np.sqrt(np.mean(diff * diff, axis=1))))

    return channel_mean(one, ref, est)
