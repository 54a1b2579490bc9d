"""PESQ (ITU-T P.862 / P.862.2) through the ``pesq`` package."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from .._validate import valid_sr
from ..errors import ParameterError, SampleRateError
from ._common import Float64Array, channel_mean, check_pair, resample

__all__ = ["pesq", "pesq_rate", "resolve_pesq_mode"]

PesqMode = Literal["wb", "nb"]

#: Lowest input sample rate accepted by :func:`pesq`, in Hz.
MIN_PESQ_SR = 8000


def resolve_pesq_mode(sr: int, mode: str | None) -> PesqMode:
    """Return the PESQ mode used for input rate ``sr`` (``None``: wb if sr >= 16 kHz else nb).

    Raises
    ------
    SampleRateError
        ``sr`` < 8000 Hz, or ``mode="wb"`` with ``sr`` < 16000 Hz.
    ParameterError
        ``mode`` is not ``"wb"``, ``"nb"`` or ``None``.
    """
    sr = valid_sr(sr)
    if mode not in ("wb", "nb", None):
        raise ParameterError(f"mode={mode!r} must be 'wb', 'nb' or None")
    if sr < MIN_PESQ_SR:
        raise SampleRateError(
            f"sr={sr} is too low for PESQ: it needs at least {MIN_PESQ_SR} Hz "
            "(narrowband PESQ works on 8 kHz telephone-band speech)"
        )
    if mode is None:
        return "wb" if sr >= 16000 else "nb"
    if mode == "wb" and sr < 16000:
        raise SampleRateError(
            f"sr={sr} is too low for wideband PESQ (mode='wb' needs sr >= 16000); use mode='nb'"
        )
    return mode  # type: ignore[return-value]


def pesq_rate(mode: PesqMode) -> int:
    """Sample rate in Hz at which PESQ runs for ``mode`` (16000 for wb, 8000 for nb)."""
    return 16000 if mode == "wb" else 8000


def pesq(reference: Any, estimate: Any, sr: int, *, mode: str | None = None) -> float:
    """Perceptual evaluation of speech quality, MOS-LQO scale.

    Both signals are resampled with soxr to 16 kHz (``mode="wb"``, ITU-T P.862.2)
    or 8 kHz (``mode="nb"``, P.862 with the P.862.1 mapping) and scored by the
    ``pesq`` package. Identical clean speech scores about 4.64 (wb) / 4.55 (nb).

    Parameters
    ----------
    reference : np.ndarray [shape=(T,) or (C, T)]
        Clean reference speech.
    estimate : np.ndarray [shape=(T,) or (C, T)]
        Speech under test, same shape as ``reference``.
    sr : int >= 8000
        Sample rate of both signals in Hz; any rate is resampled as needed.
    mode : {"wb", "nb", None}
        Wideband or narrowband PESQ. ``None`` picks ``"wb"`` when ``sr >= 16000``
        and ``"nb"`` otherwise. ``"wb"`` below 16 kHz is refused.

    Returns
    -------
    float
        PESQ score (about -0.5 ... 4.64). Multichannel input: mean over channels.

    Raises
    ------
    SampleRateError
        ``sr`` is not an integer, is below 8000 Hz, or too low for ``mode="wb"``.
    ParameterError
        Invalid input, or PESQ is undefined for it: a silent reference or
        estimate, less than 0.25 s of audio, or no utterance detected. The
        message starts with ``"pesq: "``; :func:`voxclean.metrics.score` turns
        these into ``nan`` with a note instead of raising.
    ChannelError
        Channel counts differ.
    ModuleNotFoundError
        The ``pesq`` package is not installed (``pip install voxclean[metrics]``).
    """
    mode_ = resolve_pesq_mode(sr, mode)
    sr = int(sr)
    ref, est = check_pair(reference, estimate)
    try:
        import pesq as pesq_package
    except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
        raise ModuleNotFoundError(
            "the 'pesq' package is required for PESQ: pip install 'voxclean[metrics]'"
        ) from exc
    rate = pesq_rate(mode_)
    ref = resample(ref, sr, rate)
    est = resample(est, sr, rate)

    def one(r: Float64Array, e: Float64Array) -> float:
        if not np.any(r):
            raise ParameterError("pesq: reference is silent (all zeros)")
        if not np.any(e):
            raise ParameterError("pesq: estimate is silent (all zeros)")
        try:
            return float(pesq_package.pesq(rate, r, e, mode_))
        except pesq_package.PesqError as exc:
            reason = exc.args[0] if exc.args else type(exc).__name__
            if isinstance(reason, bytes):
                reason = reason.decode(errors="replace")
            raise ParameterError(f"pesq: {str(reason).strip().lower()}") from exc

    return channel_mean(one, ref, est)
