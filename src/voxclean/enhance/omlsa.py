"""Optimally-modified log-spectral amplitude estimator (OM-LSA), after Cohen & Berdugo (2001).

I. Cohen and B. Berdugo, "Speech enhancement for non-stationary noise environments",
Signal Processing 81(11), 2001; with IMCRA noise tracking (Cohen 2003).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..noise.base import EPS
from .gains import decision_directed, lsa_gain
from .spectral import SpectralEnhancer, SpectralParams, SpectralState

__all__ = ["OmLsa", "OmLsaParams"]


@dataclasses.dataclass(frozen=True)
class OmLsaParams(SpectralParams):
    """OM-LSA parameters.

    Attributes
    ----------
    dd_alpha : float in [0, 1)
        Decision-directed weight for the a priori SNR.
    xi_min_db : float
        Floor of the a priori SNR in dB.
    q_max : float in (0, 1)
        Upper bound of the a priori speech-absence probability.
    """

    name = "omlsa"
    dd_alpha: float = 0.92
    xi_min_db: float = -25.0
    q_max: float = 0.998

    def _check(self) -> None:
        super()._check()
        if not 0 <= self.dd_alpha < 1:
            raise ParameterError(f"dd_alpha={self.dd_alpha} must be in [0, 1)")
        if not 0 < self.q_max < 1:
            raise ParameterError(f"q_max={self.q_max} must be in (0, 1)")


class OmLsa(SpectralEnhancer):
    """OM-LSA: the LSA gain weighted by the speech presence probability.

    ``G = G_H1 ** p * G_min ** (1 - p)`` where ``G_H1`` is the LSA gain under
    speech presence, ``p`` the speech presence probability from the a priori
    absence probability ``q`` of the noise tracker, and ``G_min`` the floor set by
    ``strength_db``.
    """

    Params = OmLsaParams

    def _init_gain_state(self, n_channels: int, n_bins: int) -> dict[str, Any]:
        shape = (n_channels, n_bins)
        return {"gain_h1": np.ones(shape), "gamma": np.ones(shape)}

    def _gain(self, power: np.ndarray, noise: np.ndarray, state: SpectralState) -> np.ndarray:
        p = self._params
        g = state.gain
        gamma = power / (noise + EPS)
        xi = decision_directed(
            g["gain_h1"], g["gamma"], gamma, alpha=p.dd_alpha, xi_min=10.0 ** (p.xi_min_db / 10.0)
        )
        gain_h1 = lsa_gain(xi, gamma)
        v = np.minimum(gamma * xi / (1.0 + xi), 500.0)
        q = np.minimum(state.noise.absence, p.q_max)
        presence = (1.0 - q) / ((1.0 - q) + q * (1.0 + xi) * np.exp(-v))
        g["gain_h1"] = gain_h1
        g["gamma"] = np.minimum(gamma, 1e6)
        return gain_h1**presence * self.gain_floor ** (1.0 - presence)
