"""Power spectral subtraction with over-subtraction and a spectral floor.

Single band: Berouti, Schwartz & Makhoul (1979), "Enhancement of speech corrupted
by acoustic noise". Multi-band: Kamath & Loizou (2002), "A multi-band spectral
subtraction method for enhancing speech corrupted by colored noise".
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..noise.base import EPS
from .spectral import SpectralEnhancer, SpectralParams, SpectralState

__all__ = ["SpectralSubtraction", "SpectralSubtractionParams", "MultiBandSubtractionParams"]


@dataclasses.dataclass(frozen=True)
class SpectralSubtractionParams(SpectralParams):
    """Parameters of (multi-band) spectral subtraction.

    Attributes
    ----------
    bands : int >= 1
        Number of linearly spaced frequency bands with their own over-subtraction
        factor; 1 is Berouti's single-band rule.
    alpha_at_0db : float
        Over-subtraction factor at 0 dB segmental SNR (Berouti: 4). The factor falls
        by 3/20 per dB of SNR and is clamped to [1, alpha_at_0db + 0.75].
    floor : float in [0, 1)
        Spectral floor ``beta``: the subtracted power never goes below
        ``floor * |Y|^2`` (Berouti: 0.002 to 0.02).
    smoothing : float in [0, 1)
        Weight of the previous frame in the recursive smoothing of ``|Y|^2`` used
        for the gain (controls musical noise).
    """

    name = "spectral-subtraction"
    strength_db: float = 20.0
    bands: int = 1
    alpha_at_0db: float = 4.0
    floor: float = 0.01
    smoothing: float = 0.5

    def _check(self) -> None:
        super()._check()
        if int(self.bands) != self.bands or self.bands < 1:
            raise ParameterError(f"bands={self.bands} must be an integer >= 1")
        if not 0 <= self.floor < 1:
            raise ParameterError(f"floor={self.floor} must be in [0, 1)")
        if not 0 <= self.smoothing < 1:
            raise ParameterError(f"smoothing={self.smoothing} must be in [0, 1)")
        if self.alpha_at_0db < 1:
            raise ParameterError(f"alpha_at_0db={self.alpha_at_0db} must be >= 1")


@dataclasses.dataclass(frozen=True)
class MultiBandSubtractionParams(SpectralSubtractionParams):
    """Multi-band spectral subtraction defaults (4 bands, Kamath & Loizou)."""

    name = "multiband-subtraction"
    bands: int = 4


class SpectralSubtraction(SpectralEnhancer):
    """Spectral subtraction with SNR-dependent over-subtraction per band.

    With ``bands > 1``, each band also gets Kamath & Loizou's weighting ``delta``:
    1 below 1 kHz, 2.5 up to 2 kHz below Nyquist, 1.5 above (more subtraction
    where speech energy is low).
    """

    Params = SpectralSubtractionParams

    def __init__(self, sample_rate: int, params: SpectralSubtractionParams | None = None, **kw: Any) -> None:
        super().__init__(sample_rate, params, **kw)
        p = self._params
        n_bins = self.stft.n_bins
        edges = np.linspace(0, n_bins, p.bands + 1).round().astype(int)
        self._band_of_bin = np.repeat(np.arange(p.bands), np.diff(edges))
        self._edges = edges[:-1]
        if p.bands > 1:
            nyquist = self.sample_rate / 2
            upper_hz = self.stft.freqs_hz[np.minimum(edges[1:], n_bins) - 1]
            delta = np.where(upper_hz <= 1000.0, 1.0, np.where(upper_hz <= nyquist - 2000.0, 2.5, 1.5))
        else:
            delta = np.ones(1)
        self._delta = delta

    def _init_gain_state(self, n_channels: int, n_bins: int) -> dict[str, Any]:
        return {"smoothed": None}

    def _gain(self, power: np.ndarray, noise: np.ndarray, state: SpectralState) -> np.ndarray:
        p = self._params
        g = state.gain
        if g["smoothed"] is None:
            g["smoothed"] = power.copy()
        else:
            g["smoothed"] = p.smoothing * g["smoothed"] + (1.0 - p.smoothing) * power
        ybar = g["smoothed"]
        band_signal = np.add.reduceat(ybar, self._edges, axis=-1)
        band_noise = np.add.reduceat(noise, self._edges, axis=-1)
        snr_db = 10.0 * np.log10((band_signal + EPS) / (band_noise + EPS))
        alpha = np.clip(p.alpha_at_0db - 0.15 * snr_db, 1.0, p.alpha_at_0db + 0.75)
        factor = (alpha * self._delta)[..., self._band_of_bin]
        cleaned = np.maximum(ybar - factor * noise, p.floor * ybar)
        return np.sqrt(cleaned / (ybar + EPS))
