"""Training targets with the recording's own noise floor lowered.

The training speech (``../shared``: LibriSpeech, VCTK, FLEURS) is not studio-clean: over
40 random utterances, the 10th percentile of the 20 ms frame powers lay 17-63 dB below
the active speech level (median 35.5 dB; ``recipes/neural/README.md``, "Targets with a
lowered recording floor"). A model trained to reproduce such targets learns to leave that
floor in the speech pauses; on the dev set the stage-11 model left 11 dB more noise in
the pauses than DeepFilterNet3 did (:func:`voxclean.metrics.pause_attenuation`).

:func:`reduce_noise_floor` lowers the floor of one utterance with the MMSE log-spectral
amplitude estimator (:class:`voxclean.enhance.mmse.MmseLsa`, attenuation limited to
``strength_db``). Its noise tracker starts on the first frames, and an utterance may
start with speech, so the quietest 300 ms of the utterance, four times over, is put in
front of it first and removed from the output again. An utterance whose active speech
level would change by more than ``max_level_change_db`` is returned unchanged.
"""

from __future__ import annotations

import numpy as np

from ..metrics.pauses import speech_level_change

__all__ = ["reduce_noise_floor"]

SAMPLE_RATE = 16000
_WARMUP_S = 0.3
_WARMUP_REPEATS = 4
_ACTIVE_DB = -20.0  # the active frames of the level check: within 20 dB of the loudest


def reduce_noise_floor(
    y: np.ndarray, *, strength_db: float = 20.0, max_level_change_db: float = 0.5
) -> tuple[np.ndarray, bool]:
    """Lower the recording noise floor of one speech utterance.

    Parameters
    ----------
    y : np.ndarray [shape=(samples,)], float32
        Speech at 16 kHz.
    strength_db : float
        Largest attenuation of the estimator in dB.
    max_level_change_db : float
        Largest change of the active speech level accepted
        (:func:`voxclean.metrics.speech_level_change` over the 20 ms frames within 20 dB
        of the loudest); beyond it the input is returned.

    Returns
    -------
    out : np.ndarray [shape=(samples,)], float32
        The utterance with its floor lowered, time-aligned with ``y`` (or ``y`` itself).
    changed : bool
        Whether ``out`` is the processed utterance (not for a silent or short one).
    """
    from voxclean.enhance.facade import enhance

    w = int(_WARMUP_S * SAMPLE_RATE)
    if len(y) < 2 * w or not np.any(y):
        return y, False
    x = y.astype(np.float64)
    power = np.convolve(x * x, np.ones(w) / w, mode="valid")[::160]
    start = int(np.argmin(power)) * 160
    warmup = np.tile(y[start : start + w], _WARMUP_REPEATS)
    out = enhance(np.concatenate([warmup, y]), SAMPLE_RATE, method="mmse-lsa", strength_db=strength_db)
    out = np.asarray(out[len(warmup) :], dtype=np.float32)
    if len(out) != len(y) or not np.all(np.isfinite(out)):
        return y, False
    if abs(speech_level_change(y, out, sample_rate=SAMPLE_RATE, active_db=_ACTIVE_DB)) > max_level_change_db:
        return y, False
    return out, True
