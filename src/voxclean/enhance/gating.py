"""Spectral gating, stationary and non-stationary (in the spirit of noisereduce).

A bin is kept when it rises clearly above a noise threshold and attenuated
otherwise; the binary decision is softened by smoothing the mask over frequency
and (causally) over time, which suppresses musical noise.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import numpy as np
import scipy.ndimage

from ..errors import ParameterError
from ..noise.base import EPS
from .spectral import SpectralEnhancer, SpectralParams, SpectralState

__all__ = ["SpectralGate", "GatingParams", "NonStationaryGatingParams"]

# log-periodogram statistics of a Gaussian noise bin (|X|^2 exponentially distributed):
_LOG_BIAS_DB = 10.0 * 0.5772156649 / np.log(10.0)  # E[10 log10 |X|^2] = 10 log10 E|X|^2 - 2.51 dB
_LOG_STD_DB = 10.0 / np.log(10.0) * np.pi / np.sqrt(6.0)  # 5.57 dB


@dataclasses.dataclass(frozen=True)
class GatingParams(SpectralParams):
    """Spectral gating parameters.

    Attributes
    ----------
    mode : {"stationary", "nonstationary"}
        Stationary: threshold = noise log-mean + ``n_std`` log-std (from the noise
        clip, else from the noise tracker). Non-stationary: threshold =
        ``threshold_ratio`` times the signal's own magnitude smoothed over
        ``time_constant_s``.
    n_std : float
        Threshold above the noise log-mean in standard deviations (stationary).
    threshold_ratio : float > 0
        Magnitude ratio to the smoothed magnitude that opens the gate (non-stationary).
    time_constant_s : float > 0
        Time constant of the magnitude smoothing in seconds (non-stationary).
    slope : float > 0
        Steepness of the sigmoid that opens the gate (non-stationary).
    mask_time_ms : float >= 0
        Time constant of the causal mask smoothing in milliseconds.
    mask_freq_hz : float >= 0
        Half-width of the triangular mask smoothing over frequency in Hz.
    """

    name = "gating"
    strength_db: float = 20.0
    mode: Literal["stationary", "nonstationary"] = "stationary"
    n_std: float = 1.5
    threshold_ratio: float = 2.0
    time_constant_s: float = 2.0
    slope: float = 10.0
    mask_time_ms: float = 50.0
    mask_freq_hz: float = 250.0

    def _check(self) -> None:
        super()._check()
        for name in ("threshold_ratio", "time_constant_s", "slope"):
            if not getattr(self, name) > 0:
                raise ParameterError(f"{name}={getattr(self, name)} must be > 0")
        for name in ("mask_time_ms", "mask_freq_hz"):
            if not getattr(self, name) >= 0:
                raise ParameterError(f"{name}={getattr(self, name)} must be >= 0")


@dataclasses.dataclass(frozen=True)
class NonStationaryGatingParams(GatingParams):
    """Non-stationary spectral gating defaults."""

    name = "gating-nonstationary"
    mode: Literal["stationary", "nonstationary"] = "nonstationary"
    threshold_ratio: float = 1.5
    slope: float = 4.0


class SpectralGate(SpectralEnhancer):
    """Spectral gate with a smoothed mask; see :class:`GatingParams`."""

    Params = GatingParams

    def __init__(self, sample_rate: int, params: GatingParams | None = None, **kw: Any) -> None:
        super().__init__(sample_rate, params, **kw)
        p = self._params
        bin_hz = self.sample_rate / self.stft.n_fft
        half = int(round(p.mask_freq_hz / bin_hz))
        kernel = 1.0 - np.abs(np.arange(-half, half + 1)) / (half + 1)
        self._freq_kernel = kernel / kernel.sum()
        self._mask_alpha = float(np.exp(-self.hop_s / (p.mask_time_ms / 1000.0))) if p.mask_time_ms > 0 else 0.0
        self._level_alpha = float(np.exp(-self.hop_s / p.time_constant_s))
        if self.profile is not None:
            self._thresh_db = self.profile.log_mean_db + p.n_std * self.profile.log_std_db
        else:
            self._thresh_db = None

    def _init_gain_state(self, n_channels: int, n_bins: int) -> dict[str, Any]:
        return {"mask": None, "level": None}

    def _gain(self, power: np.ndarray, noise: np.ndarray, state: SpectralState) -> np.ndarray:
        p = self._params
        g = state.gain
        if p.mode == "stationary":
            if self._thresh_db is not None:
                thresh_db = self._thresh_db
            else:
                thresh_db = 10.0 * np.log10(noise + EPS) - _LOG_BIAS_DB + p.n_std * _LOG_STD_DB
            mask = (10.0 * np.log10(power + EPS) > thresh_db).astype(np.float64)
        else:
            mag = np.sqrt(power)
            if g["level"] is None:
                g["level"] = mag.copy()
            else:
                g["level"] = self._level_alpha * g["level"] + (1.0 - self._level_alpha) * mag
            ratio = mag / (g["level"] + EPS)
            mask = 1.0 / (1.0 + np.exp(-np.clip(p.slope * (ratio - p.threshold_ratio), -50, 50)))
        if self._freq_kernel.size > 1:
            mask = scipy.ndimage.convolve1d(mask, self._freq_kernel, axis=-1, mode="nearest")
        if g["mask"] is None:
            g["mask"] = mask
        else:
            # fast attack, smoothed release: the gate opens at once on a speech onset
            # (causal smoothing alone would clip onsets) and closes smoothly.
            released = self._mask_alpha * g["mask"] + (1.0 - self._mask_alpha) * mask
            g["mask"] = np.maximum(mask, released)
        return g["mask"].copy()
