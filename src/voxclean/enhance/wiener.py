"""Wiener filtering with the decision-directed a priori SNR estimate."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..noise.base import EPS, smooth_freq
from .gains import decision_directed, wiener_gain
from .spectral import SpectralEnhancer, SpectralParams, SpectralState

__all__ = ["Wiener", "WienerParams", "DecisionDirectedParams", "DecisionDirectedEnhancer"]


@dataclasses.dataclass(frozen=True)
class DecisionDirectedParams(SpectralParams):
    """Parameters of enhancers driven by a decision-directed a priori SNR.

    Attributes
    ----------
    dd_alpha : float in [0, 1)
        Weight of the previous frame's clean-speech estimate (Ephraim & Malah: 0.98
        at short hops; 0.95 at the 16 ms default hop keeps onsets and intelligibility).
    xi_min_db : float
        Floor of the a priori SNR in dB (limits musical noise).
    two_step : bool
        Refine the a priori SNR with a second step (two-step noise reduction,
        Plapous et al. 2006).
    ml_smoothing : bool
        Smooth the a posteriori SNR over frequency (3-tap Hann kernel, one bin
        either side) before it enters the maximum-likelihood term
        ``max(gamma - 1, 0)`` of the decision-directed rule. This lowers the variance
        of that term in noise-only bins (fewer isolated outliers, i.e. less musical
        noise) while the gain itself still uses the unsmoothed ``gamma``.
    """

    dd_alpha: float = 0.95
    xi_min_db: float = -25.0
    two_step: bool = False
    ml_smoothing: bool = False

    def _check(self) -> None:
        super()._check()
        if not 0 <= self.dd_alpha < 1:
            raise ParameterError(f"dd_alpha={self.dd_alpha} must be in [0, 1)")


class DecisionDirectedEnhancer(SpectralEnhancer):
    """Base of the Wiener/MMSE/LSA/OM-LSA enhancers: tracks ``G_prev`` and ``gamma_prev``."""

    Params = DecisionDirectedParams

    def __init__(self, sample_rate: int, params: DecisionDirectedParams | None = None, **kw: Any) -> None:
        super().__init__(sample_rate, params, **kw)
        self._xi_min = 10.0 ** (self._params.xi_min_db / 10.0)

    def _init_gain_state(self, n_channels: int, n_bins: int) -> dict[str, Any]:
        shape = (n_channels, n_bins)
        return {"gain": np.ones(shape), "gamma": np.ones(shape)}

    def _a_priori_snr(self, power: np.ndarray, noise: np.ndarray, g: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """Decision-directed a priori SNR ``xi`` and a posteriori SNR ``gamma`` of one frame."""
        p = self._params
        gamma = power / (noise + EPS)
        gamma_ml = smooth_freq(gamma) if p.ml_smoothing else gamma
        xi = decision_directed(g["gain"], g["gamma"], gamma_ml, alpha=p.dd_alpha, xi_min=self._xi_min)
        if p.two_step:
            # two-step refinement (Plapous, Marro & Scalart 2006): re-estimate xi from
            # the Wiener gain of the decision-directed xi, which removes its one-frame lag
            xi = np.maximum(wiener_gain(xi) ** 2 * gamma, self._xi_min)
        return xi, gamma

    @staticmethod
    def _remember(g: dict[str, Any], gain: np.ndarray, gamma: np.ndarray) -> None:
        """Keep this frame's gain and a posteriori SNR for the next decision-directed step."""
        g["gain"] = gain
        g["gamma"] = np.minimum(gamma, 1e6)

    def _rule(self, xi: np.ndarray, gamma: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _gain(self, power: np.ndarray, noise: np.ndarray, state: SpectralState) -> np.ndarray:
        xi, gamma = self._a_priori_snr(power, noise, state.gain)
        gain = self._rule(xi, gamma)
        self._remember(state.gain, gain, gamma)
        return gain.copy()


@dataclasses.dataclass(frozen=True)
class WienerParams(DecisionDirectedParams):
    """Wiener filter defaults."""

    name = "wiener"


class Wiener(DecisionDirectedEnhancer):
    """Wiener filter ``G = xi / (1 + xi)`` with decision-directed ``xi`` (Scalart & Filho 1996)."""

    Params = WienerParams

    def _rule(self, xi: np.ndarray, gamma: np.ndarray) -> np.ndarray:
        return wiener_gain(xi)
