"""Function-first entry points: build an enhancer by name and run it on arrays."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._typing import Audio
from .._validate import as_ct, restore_shape, valid_sr
from ..config import Params
from ..registry import get_entry, method_names
from .base import Enhancer, run_offline

__all__ = ["DEFAULT_METHOD", "create", "enhance", "list_methods"]

#: Method used when none is named.
DEFAULT_METHOD = "neural"


def list_methods() -> list[str]:
    """Names of every registered enhancement method."""
    return method_names()


def create(
    method: str = DEFAULT_METHOD,
    sample_rate: int = 16000,
    *,
    strength_db: float | None = None,
    noise_clip: Audio | None = None,
    params: Params | None = None,
    live: bool = False,
    **overrides: Any,
) -> Enhancer:
    """Build a registered enhancer.

    Parameters
    ----------
    method : str
        Registry name (see :func:`list_methods`).
    sample_rate : int
        Rate in Hz the enhancer will run at.
    strength_db : float >= 0 or None
        Maximum attenuation in dB; ``None`` keeps the method's default.
    noise_clip : np.ndarray [shape=(T,) or (C, T)] or None
        Noise-only audio at ``sample_rate`` to measure a fixed noise profile from.
    params : Params or None
        Complete parameters; ``None`` means the method's defaults.
    live : bool
        For live and streaming use: the method's low-latency defaults
        (:attr:`voxclean.registry.MethodEntry.live`, e.g. the neural method's 10 ms
        model) replace its defaults, unless ``params`` or ``overrides`` set them.
    **overrides
        Individual parameter fields to change, e.g. ``frame_ms=20``.
    """
    entry = get_entry(method)
    if live and params is None:
        overrides = {**entry.live, **overrides}
    if strength_db is not None:
        overrides["strength_db"] = strength_db
    kwargs: dict[str, Any] = dict(overrides)
    if noise_clip is not None:
        kwargs["noise_clip"] = noise_clip
    return entry.factory(valid_sr(sample_rate, name="sample_rate"), params, **kwargs)


def enhance(
    y: Audio,
    sr: int,
    *,
    method: str = DEFAULT_METHOD,
    strength_db: float | None = None,
    noise_clip: Audio | None = None,
    **params: Any,
) -> Audio:
    """Enhance speech in an array.

    Parameters
    ----------
    y : np.ndarray [shape=(T,) or (C, T)]
        Finite float audio; channels are processed independently.
    sr : int > 0
        Sample rate of ``y`` in Hz (any rate: frames are set in milliseconds).
    method : str
        Enhancement method (see :func:`list_methods`).
    strength_db : float >= 0 or None
        Maximum attenuation in dB (``0`` returns the input unchanged).
    noise_clip : np.ndarray or None
        Noise-only audio at ``sr`` used as a fixed noise profile.
    **params
        Method parameters, e.g. ``frame_ms=20``.

    Returns
    -------
    np.ndarray [shape like y], float32
        Enhanced audio aligned with ``y`` (latency compensated), same length.

    Examples
    --------
    >>> import numpy as np, voxclean
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(16000) / 16000
    >>> noisy = (0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(16000)).astype("float32")
    >>> voxclean.enhance(noisy, 16000).shape
    (16000,)
    """
    audio, was_1d = as_ct(y)
    enhancer = create(method, valid_sr(sr), strength_db=strength_db, noise_clip=noise_clip, **params)
    return restore_shape(np.asarray(run_offline(enhancer, audio, sr)), was_1d)
