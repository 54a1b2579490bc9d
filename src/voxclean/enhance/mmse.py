"""Ephraim-Malah MMSE short-time spectral amplitude and log-spectral amplitude estimators."""

from __future__ import annotations

import dataclasses

import numpy as np

from .gains import lsa_gain, mmse_stsa_gain
from .wiener import DecisionDirectedEnhancer, DecisionDirectedParams

__all__ = ["MmseStsa", "MmseStsaParams", "MmseLsa", "MmseLsaParams"]


@dataclasses.dataclass(frozen=True)
class MmseStsaParams(DecisionDirectedParams):
    """MMSE-STSA defaults (Ephraim & Malah 1984)."""

    name = "mmse-stsa"


class MmseStsa(DecisionDirectedEnhancer):
    """MMSE short-time spectral amplitude estimator (Ephraim & Malah 1984)."""

    Params = MmseStsaParams

    def _rule(self, xi: np.ndarray, gamma: np.ndarray) -> np.ndarray:
        return mmse_stsa_gain(xi, gamma)


@dataclasses.dataclass(frozen=True)
class MmseLsaParams(DecisionDirectedParams):
    """MMSE log-spectral amplitude defaults (Ephraim & Malah 1985)."""

    name = "mmse-lsa"


class MmseLsa(DecisionDirectedEnhancer):
    """MMSE log-spectral amplitude estimator (Ephraim & Malah 1985)."""

    Params = MmseLsaParams

    def _rule(self, xi: np.ndarray, gamma: np.ndarray) -> np.ndarray:
        return lsa_gain(xi, gamma)
