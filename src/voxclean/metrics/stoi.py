"""Short-time objective intelligibility (STOI / ESTOI) through ``pystoi``."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._validate import valid_sr
from ..errors import ParameterError
from ._common import Float64Array, channel_mean, check_pair, resample

__all__ = ["stoi", "estoi"]

#: Internal rate of STOI (Taal et al. 2011), in Hz.
STOI_SR = 10000


def stoi(reference: Any, estimate: Any, sr: int, *, extended: bool = False) -> float:
    """Short-time objective intelligibility (Taal et al., 2011) or its extended form.

    Both signals are resampled with soxr to STOI's internal 10 kHz and scored by
    ``pystoi`` (which removes silent frames, 40 dB dynamic range, first).

    Parameters
    ----------
    reference : np.ndarray [shape=(T,) or (C, T)]
        Clean reference speech.
    estimate : np.ndarray [shape=(T,) or (C, T)]
        Speech under test, same shape as ``reference``.
    sr : int > 0
        Sample rate in Hz.
    extended : bool
        Compute ESTOI (Jensen & Taal, 2016) instead of STOI.

    Returns
    -------
    float
        Intelligibility index, about 0 ... 1 (higher is better; ESTOI can dip
        slightly below 0). Multichannel input: mean over channels.

    Raises
    ------
    ParameterError
        Invalid input, or too little speech: STOI needs at least 30 frames of
        25.6 ms (about 0.4 s) after silent frames are removed.
    SampleRateError
        ``sr`` is not a positive integer.
    ChannelError
        Channel counts differ.
    ModuleNotFoundError
        ``pystoi`` is not installed (``pip install voxclean[metrics]``).
    """
    sr = valid_sr(sr)
    ref, est = check_pair(reference, estimate)
    try:
        import pystoi
    except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
        raise ModuleNotFoundError(
            "the 'pystoi' package is required for STOI: pip install 'voxclean[metrics]'"
        ) from exc
    ref = resample(ref, sr, STOI_SR)
    est = resample(est, sr, STOI_SR)
    name = "estoi" if extended else "stoi"

    def one(r: Float64Array, e: Float64Array) -> float:
        if not np.any(r):
            raise ParameterError(f"{name}: reference is silent (all zeros)")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = float(pystoi.stoi(r, e, STOI_SR, extended=bool(extended)))
        if any("Not enough STFT frames" in str(w.message) for w in caught):
            raise ParameterError(
                f"{name}: too little speech (needs about 0.4 s of non-silent audio)"
            )
        if not np.isfinite(value):
            raise ParameterError(f"{name}: undefined for this input (got {value})")
        return value

    return channel_mean(one, ref, est)


def estoi(reference: Any, estimate: Any, sr: int) -> float:
    """Extended STOI (Jensen & Taal, 2016): ``stoi(reference, estimate, sr, extended=True)``.

    See :func:`stoi` for parameters, shapes and errors.
    """
    return stoi(reference, estimate, sr, extended=True)
