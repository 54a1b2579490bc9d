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

__all__ = ["active_level_change_db", "reduce_noise_floor"]

SAMPLE_RATE = 16000
_FRAME = 320  # 20 ms
_WARMUP_S = 0.3
_WARMUP_REPEATS = 4


def _frame_powers(y: np.ndarray) -> np.ndarray:
    n = len(y) // _FRAME
    return np.mean(y[: n * _FRAME].astype(np.float64).reshape(n, _FRAME) ** 2, axis=1)


def active_level_change_db(before: np.ndarray, after: np.ndarray) -> float:
    """Level change in dB of ``after`` against ``before`` over the active frames of ``before``.

    Parameters
    ----------
    before, after : np.ndarray [shape=(samples,)]
        The same utterance before and after processing (16 kHz).

    Returns
    -------
    float
        ``10 log10`` of the power ratio over the 20 ms frames of ``before`` within 20 dB of
        its loudest frame; 0.0 when ``before`` has no whole frame or no power.
    """
    p0, p1 = _frame_powers(before), _frame_powers(after)
    if p0.size == 0 or p0.max() <= 0:
        return 0.0
    active = p0 > p0.max() * 1e-2
    return float(10.0 * np.log10((p1[active].sum() + 1e-30) / p0[active].sum()))


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
        Largest change of the active speech level (:func:`active_level_change_db`)
        accepted; beyond it the input is returned.

    Returns
    -------
    out : np.ndarray [shape=(samples,)], float32
        The utterance with its floor lowered, time-aligned with ``y`` (or ``y`` itself).
    changed : bool
        Whether ``out`` is the processed utterance.
    """
    from voxclean.enhance.facade import enhance

    w = int(_WARMUP_S * SAMPLE_RATE)
    if len(y) < 2 * w:
        return y, False
    x = y.astype(np.float64)
    power = np.convolve(x * x, np.ones(w) / w, mode="valid")[::160]
    start = int(np.argmin(power)) * 160
    warmup = np.tile(y[start : start + w], _WARMUP_REPEATS)
    out = enhance(np.concatenate([warmup, y]), SAMPLE_RATE, method="mmse-lsa", strength_db=strength_db)
    out = np.asarray(out[len(warmup) :], dtype=np.float32)
    if len(out) != len(y) or not np.all(np.isfinite(out)):
        return y, False
    if abs(active_level_change_db(y, out)) > max_level_change_db:
        return y, False
    return out, True
