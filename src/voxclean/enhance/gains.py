"""Spectral gain rules (pure functions of a priori / a posteriori SNR).

All inputs are arrays of equal shape; outputs are gains in [0, 1] to multiply
the noisy STFT with.
"""

from __future__ import annotations

import numpy as np
import scipy.special

__all__ = ["decision_directed", "wiener_gain", "mmse_stsa_gain", "lsa_gain"]


def decision_directed(
    prev_gain: np.ndarray, prev_gamma: np.ndarray, gamma: np.ndarray, *, alpha: float, xi_min: float
) -> np.ndarray:
    """A priori SNR by the decision-directed rule (Ephraim & Malah 1984, eq. 51).

    ``xi = alpha * G_prev^2 * gamma_prev + (1 - alpha) * max(gamma - 1, 0)``,
    floored at ``xi_min`` (linear). The floor and the heavy smoothing are what keep
    musical noise down.
    """
    xi = alpha * prev_gain**2 * prev_gamma + (1.0 - alpha) * np.maximum(gamma - 1.0, 0.0)
    return np.maximum(xi, xi_min)


def wiener_gain(xi: np.ndarray) -> np.ndarray:
    """Wiener gain ``xi / (1 + xi)``."""
    return xi / (1.0 + xi)


def mmse_stsa_gain(xi: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """MMSE short-time spectral amplitude gain (Ephraim & Malah 1984, eq. 7).

    Uses exponentially scaled Bessel functions so large ``v`` cannot overflow.
    """
    gamma = np.maximum(gamma, 1e-10)
    v = xi / (1.0 + xi) * gamma
    half = 0.5 * v
    gain = (
        0.5
        * np.sqrt(np.pi)
        * np.sqrt(v)
        / gamma
        * ((1.0 + v) * scipy.special.i0e(half) + v * scipy.special.i1e(half))
    )
    return np.minimum(gain, 1.0)


def lsa_gain(xi: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """MMSE log-spectral amplitude gain (Ephraim & Malah 1985, eq. 20)."""
    v = np.maximum(xi / (1.0 + xi) * gamma, 1e-10)
    return np.minimum(xi / (1.0 + xi) * np.exp(0.5 * scipy.special.exp1(v)), 1.0)
