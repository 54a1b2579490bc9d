"""Input validation at the library boundary."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ._typing import Audio
from .errors import ChannelError, ParameterError, SampleRateError

__all__ = ["valid_audio", "valid_sr", "as_ct", "restore_shape", "positive_int", "positive_float"]


def valid_sr(sr: Any, *, name: str = "sr") -> int:
    """Check that ``sr`` is a positive integer sample rate in Hz and return it as ``int``."""
    if isinstance(sr, bool) or not isinstance(sr, numbers.Real):
        raise SampleRateError(f"{name}={sr!r} must be a positive integer sample rate in Hz")
    if float(sr) != int(sr) or int(sr) <= 0:
        raise SampleRateError(f"{name}={sr!r} must be a positive integer sample rate in Hz")
    return int(sr)


def positive_int(value: Any, *, name: str) -> int:
    """Return ``value`` as int, raising :class:`ParameterError` unless it is a positive integer."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) <= 0:
        raise ParameterError(f"{name}={value!r} must be a positive integer")
    return int(value)


def positive_float(value: Any, *, name: str, allow_zero: bool = False) -> float:
    """Return ``value`` as float, raising :class:`ParameterError` unless it is finite and > 0 (or >= 0)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ParameterError(f"{name}={value!r} must be a finite number")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ParameterError(f"{name}={value!r} must be {bound}")
    return float(value)


def valid_audio(
    y: Any,
    *,
    sr: int | None = None,
    channels: int | None = None,
    allow_nonfinite: bool = False,
    name: str = "y",
) -> Audio:
    """Validate an audio buffer and return it as a ``(C, T)`` float32 array.

    Parameters
    ----------
    y : array_like [shape=(T,) or (C, T)]
        Audio samples, time last. Integer arrays are rejected: convert PCM with
        :func:`voxclean.load` or divide by the full-scale value first.
    sr : int > 0 or None
        Sample rate in Hz, checked when given.
    channels : int > 0 or None
        Required channel count; ``None`` accepts any count >= 1.
    allow_nonfinite : bool
        If False (offline processing), NaN or Inf raises :class:`ParameterError`.
    name : str
        Name used in error messages.

    Returns
    -------
    np.ndarray [shape=(C, T), dtype=float32]
        A 1-D input becomes ``(1, T)``; see :func:`restore_shape` to undo.

    Raises
    ------
    ParameterError
        Not an array of real floats, more than 2 dimensions, zero channels, or non-finite values.
    ChannelError
        The channel count differs from ``channels``.
    SampleRateError
        ``sr`` is not a positive integer.
    """
    if sr is not None:
        valid_sr(sr)
    if not isinstance(y, np.ndarray):
        try:
            y = np.asarray(y)
        except Exception as exc:  # pragma: no cover - exotic objects
            raise ParameterError(f"{name} must be array-like, got {type(y).__name__}") from exc
    if y.dtype.kind not in "f":
        raise ParameterError(
            f"{name}.dtype={y.dtype} must be floating-point (convert integer PCM to float in [-1, 1])"
        )
    if y.ndim == 1:
        y = y[np.newaxis, :]
    elif y.ndim != 2:
        raise ParameterError(f"{name}.ndim={y.ndim} must be 1 (T,) or 2 (C, T)")
    if y.shape[0] == 0:
        raise ChannelError(f"{name}.shape={y.shape}: zero channels")
    if channels is not None and y.shape[0] != channels:
        raise ChannelError(f"{name} has {y.shape[0]} channels, channels={channels} required")
    y = np.ascontiguousarray(y, dtype=np.float32)
    if not allow_nonfinite and y.size and not np.isfinite(y).all():
        raise ParameterError(f"{name} is not finite everywhere (contains NaN or Inf)")
    return y


def as_ct(y: Any, **kwargs: Any) -> tuple[Audio, bool]:
    """Validate ``y`` like :func:`valid_audio` and also return whether it was 1-D."""
    was_1d = np.ndim(y) == 1
    return valid_audio(y, **kwargs), was_1d


def restore_shape(y: Audio, was_1d: bool) -> Audio:
    """Undo :func:`as_ct`: return ``y[0]`` for inputs that were 1-D."""
    return y[0] if was_1d else y
