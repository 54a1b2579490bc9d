"""Optimally-modified log-spectral amplitude estimator (OM-LSA), after Cohen & Berdugo (2001).

I. Cohen and B. Berdugo, "Speech enhancement for non-stationary noise environments",
Signal Processing 81(11), 2001; with IMCRA noise tracking (Cohen 2003).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..errors import ParameterError
from .gains import lsa_gain
from .spectral import SpectralState
from .wiener import DecisionDirectedEnhancer, DecisionDirectedParams

__all__ = ["OmLsa", "OmLsaParams"]


@dataclasses.dataclass(frozen=True)
class OmLsaParams(DecisionDirectedParams):
    """OM-LSA parameters (the decision-directed ones, Cohen's weight 0.92, plus ``q_max``).

    Attributes
    ----------
    q_max : float in (0, 1)
        Upper bound of the a priori speech-absence probability.
    """

    name = "omlsa"
    dd_alpha: float = 0.92
    q_max: float = 0.998

    def _check(self) -> None:
        super()._check()
        if not 0 < self.q_max < 1:
            raise ParameterError(f"q_max={self.q_max} must be in (0, 1)")


class OmLsa(DecisionDirectedEnhancer):
    """OM-LSA: the LSA gain weighted by the speech presence probability.

    ``G = G_H1 ** p * G_min ** (1 - p)`` where ``G_H1`` is the LSA gain under
    speech presence, ``p`` the speech presence probability from the a priori
    absence probability ``q`` of the noise tracker, and ``G_min`` the floor set by
    ``strength_db``. The decision-directed step remembers ``G_H1``.
    """

    Params = OmLsaParams

    def _gain(self, power: np.ndarray, noise: np.ndarray, state: SpectralState) -> np.ndarray:
        xi, gamma = self._a_priori_snr(power, noise, state.gain)
        gain_h1 = lsa_gain(xi, gamma)
        v = np.minimum(gamma * xi / (1.0 + xi), 500.0)
        q = np.minimum(state.noise.absence, self._params.q_max)
        presence = (1.0 - q) / ((1.0 - q) + q * (1.0 + xi) * np.exp(-v))
        self._remember(state.gain, gain_h1, gamma)
        return gain_h1**presence * self.gain_floor ** (1.0 - presence)
