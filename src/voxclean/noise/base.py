"""Shared pieces of the noise estimators: the protocol, state, smoothing helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

__all__ = ["NoiseEstimator", "NoiseState", "MinimumTracker", "smooth_freq", "scaled_alpha", "EPS"]

#: Floor on power values (|X|^2 of float audio in [-1, 1]) to keep ratios finite.
EPS = 1e-12


@dataclass
class NoiseState:
    """State common to all estimators.

    Attributes
    ----------
    noise_psd : np.ndarray [shape=(C, F)]
        Current noise power estimate per bin (same scale as ``|X|^2``).
    absence : np.ndarray [shape=(C, F)]
        A priori speech-absence probability ``q`` in [0, 1] per bin.
    frames : int
        Frames seen so far.
    """

    noise_psd: np.ndarray
    absence: np.ndarray
    frames: int = 0
    extra: dict = field(default_factory=dict)


class NoiseEstimator(Protocol):
    """Frame-recursive noise PSD estimator (configuration only; state is separate)."""

    def init_state(self, n_channels: int, n_bins: int) -> NoiseState:
        """Fresh state for ``n_channels`` channels and ``n_bins`` frequency bins."""
        ...

    def update(self, power: np.ndarray, state: NoiseState) -> np.ndarray:
        """Take one frame's periodogram ``|Y|^2`` [shape=(C, F)] and return the noise PSD [shape=(C, F)]."""
        ...


def scaled_alpha(alpha_ref: float, hop_s: float, ref_hop_s: float) -> float:
    """Rescale a first-order smoothing constant defined at ``ref_hop_s`` to ``hop_s``.

    Keeps the time constant ``-ref_hop_s / ln(alpha_ref)`` seconds fixed.
    """
    return float(alpha_ref ** (hop_s / ref_hop_s))


def smooth_freq(power: np.ndarray) -> np.ndarray:
    """Smooth along frequency with the normalized 3-tap Hann kernel (0.25, 0.5, 0.25).

    Edges reuse the edge value, so a flat spectrum stays flat.
    """
    out = 0.5 * power
    out[..., 1:] += 0.25 * power[..., :-1]
    out[..., :-1] += 0.25 * power[..., 1:]
    out[..., 0] += 0.25 * power[..., 0]
    out[..., -1] += 0.25 * power[..., -1]
    return out


class MinimumTracker:
    """Running minimum over the last ``n_sub * sub_len`` frames, tracked in sub-windows.

    The window is split into ``n_sub`` sub-windows of ``sub_len`` frames; the
    minimum of each finished sub-window is kept, so the search costs O(1) per frame
    and a minimum leaves the window at most ``sub_len`` frames late (Martin 2001,
    Cohen 2003).
    """

    def __init__(self, n_sub: int, sub_len: int) -> None:
        self.n_sub = n_sub
        self.sub_len = sub_len

    def init(self, shape: tuple[int, ...]) -> dict:
        """Fresh tracker state for arrays of ``shape``."""
        return {
            "ring": np.full((self.n_sub, *shape), np.inf),
            "ring_min": np.full(shape, np.inf),
            "current": np.full(shape, np.inf),
            "count": 0,
            "index": 0,
        }

    def update(self, value: np.ndarray, st: dict) -> np.ndarray:
        """Add one frame and return the minimum over the window [same shape as value]."""
        np.minimum(st["current"], value, out=st["current"])
        minimum = np.minimum(st["ring_min"], st["current"])
        st["count"] += 1
        if st["count"] == self.sub_len:
            st["ring"][st["index"]] = st["current"]
            st["index"] = (st["index"] + 1) % self.n_sub
            st["ring_min"] = st["ring"].min(axis=0)
            st["current"] = np.full_like(value, np.inf)
            st["count"] = 0
        return minimum


def absence_from_ratio(
    power: np.ndarray, smoothed: np.ndarray, noise: np.ndarray, *, gamma1: float = 3.0, zeta0: float = 1.67
) -> np.ndarray:
    """A priori speech-absence probability from local SNR ratios (Cohen 2003, eq. 28-style).

    Parameters
    ----------
    power : np.ndarray [shape=(C, F)]
        Periodogram ``|Y|^2`` of the frame.
    smoothed : np.ndarray [shape=(C, F)]
        Time-frequency smoothed power.
    noise : np.ndarray [shape=(C, F)]
        Noise PSD estimate (bias compensated).

    Returns
    -------
    np.ndarray [shape=(C, F)], in [0, 1]
        1 where both ratios say "noise only", 0 where the smoothed ratio says speech.
    """
    gamma_min = power / (noise + EPS)
    zeta = smoothed / (noise + EPS)
    q = np.clip((gamma1 - gamma_min) / (gamma1 - 1.0), 0.0, 1.0)
    q[zeta >= zeta0] = 0.0
    return q
