"""Scale-invariant signal-to-distortion ratio (Le Roux et al., 2019)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParameterError
from ._common import EPS, Float64Array, channel_mean, check_pair

__all__ = ["si_sdr"]


def si_sdr(reference: Any, estimate: Any, *, zero_mean: bool = True) -> float:
    """Scale-invariant SDR of ``estimate`` against ``reference``, in dB.

    The reference is scaled by ``alpha = <estimate, reference> / ||reference||**2``
    to form the target ``alpha * reference``; the rest of the estimate is the
    distortion. Result: ``10 log10(||target||**2 / ||estimate - target||**2)``
    (Le Roux, Wisdom, Erdogan & Hershey, "SDR - half-baked or well done?", ICASSP 2019).
    Rescaling ``estimate`` by any non-zero factor leaves the value unchanged. The
    distortion energy is floored at ``eps * ||target||**2`` (a perfect match gives
    about 156.5 dB).

    Parameters
    ----------
    reference : np.ndarray [shape=(T,) or (C, T)]
        Clean reference signal.
    estimate : np.ndarray [shape=(T,) or (C, T)]
        Signal under test, same shape as ``reference``.
    zero_mean : bool
        Remove the mean of both signals first (the usual definition).

    Returns
    -------
    float
        SI-SDR in dB. Multichannel input: the mean of the per-channel values.
        An estimate orthogonal to the reference (or silent) gives ``-inf``.

    Raises
    ------
    ParameterError
        Non-finite, empty or unequal-length input, or a silent reference channel.
    ChannelError
        Channel counts differ.
    """
    ref, est = check_pair(reference, estimate)
    if zero_mean:
        ref = ref - ref.mean(axis=1, keepdims=True)
        est = est - est.mean(axis=1, keepdims=True)

    def one(r: Float64Array, e: Float64Array) -> float:
        ref_energy = float(np.dot(r, r))
        if ref_energy == 0.0:
            raise ParameterError(
                "reference is silent (or constant with zero_mean); SI-SDR is undefined"
            )
        target = (float(np.dot(e, r)) / ref_energy) * r
        target_energy = float(np.dot(target, target))
        if target_energy == 0.0:
            return float("-inf")
        distortion = e - target
        noise = float(np.dot(distortion, distortion))
        return float(10.0 * np.log10(target_energy / (noise + EPS * target_energy)))

    return channel_mean(one, ref, est)
