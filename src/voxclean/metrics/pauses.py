"""Where an enhancer's level changes go: noise removed in speech pauses, speech level kept.

Two intrusive diagnostics that explain a PESQ or CBAK difference between systems:

* :func:`pause_attenuation`: how far the output lies below the noisy input in the
  frames where the clean reference is silent (residual noise; more negative is less
  noise left);
* :func:`speech_level_change`: the output's level against the reference in the frames
  where speech is active (speech attenuation; 0 dB is none).

Frames are 20 ms without overlap; "silent" means more than ``pause_db`` below the
reference's loudest frame, "active" within ``active_db`` of it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validate import valid_sr
from ..errors import ParameterError
from ._common import EPS, Float64Array, check_pair

__all__ = ["pause_attenuation", "speech_level_change"]


def _frame_powers(x: Float64Array, frame: int) -> Float64Array:
    n = x.shape[-1] // frame
    return np.mean(x[..., : n * frame].reshape(*x.shape[:-1], n, frame) ** 2, axis=-1)


def _powers(reference: Any, others: list[Any], sample_rate: int) -> list[Float64Array]:
    frame = round(0.02 * valid_sr(sample_rate))
    ref, first = check_pair(reference, others[0])
    rest = [check_pair(reference, o)[1] for o in others[1:]]
    if ref.shape[1] < frame:
        raise ParameterError(f"signals are shorter than one 20 ms frame ({frame} samples)")
    # channels are pooled: the frames of every channel count alike
    return [_frame_powers(x, frame).ravel() for x in (ref, first, *rest)]


def pause_attenuation(
    reference: Any, noisy: Any, estimate: Any, *, sample_rate: int = 16000, pause_db: float = -50.0
) -> float:
    """Level of ``estimate`` against ``noisy`` in the reference's pauses, in dB.

    ``10 log10(sum P_estimate / sum P_noisy)`` over the 20 ms frames whose reference
    power is more than ``-pause_db`` dB below the reference's loudest frame.

    Parameters
    ----------
    reference, noisy, estimate : np.ndarray [shape=(T,) or (C, T)]
        Clean reference, the enhancer's input and its output, time-aligned, same shape.
    sample_rate : int
        Sampling rate in Hz (sets the 20 ms frame).
    pause_db : float
        Pause threshold in dB relative to the loudest reference frame (negative).

    Returns
    -------
    float
        dB (negative: noise removed); ``nan`` when the reference has no pause frame
        or the noisy input has no power there.
    """
    p_ref, p_noisy, p_est = _powers(reference, [noisy, estimate], sample_rate)
    pauses = p_ref < p_ref.max() * 10.0 ** (pause_db / 10.0)
    noise = float(p_noisy[pauses].sum())
    if not pauses.any() or noise <= 0.0:
        return float("nan")
    return float(10.0 * np.log10((float(p_est[pauses].sum()) + EPS * noise) / noise))


def speech_level_change(reference: Any, estimate: Any, *, sample_rate: int = 16000, active_db: float = -30.0) -> float:
    """Level of ``estimate`` against ``reference`` where speech is active, in dB.

    ``10 log10(sum P_estimate / sum P_reference)`` over the 20 ms frames within
    ``-active_db`` dB of the reference's loudest frame.

    Parameters
    ----------
    reference, estimate : np.ndarray [shape=(T,) or (C, T)]
        Clean reference and the enhancer's output, time-aligned, same shape.
    sample_rate : int
        Sampling rate in Hz.
    active_db : float
        Activity threshold in dB relative to the loudest reference frame (negative).

    Returns
    -------
    float
        dB (negative: speech attenuated).

    Raises
    ------
    ParameterError
        The reference is silent.
    """
    p_ref, p_est = _powers(reference, [estimate], sample_rate)
    if p_ref.max() <= 0.0:
        raise ParameterError("reference is silent (all zeros); the speech level is undefined")
    active = p_ref >= p_ref.max() * 10.0 ** (active_db / 10.0)
    ref = float(p_ref[active].sum())
    return float(10.0 * np.log10((float(p_est[active].sum()) + EPS * ref) / ref))
