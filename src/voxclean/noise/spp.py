"""Noise PSD tracking by speech presence probability, after Gerkmann & Hendriks (2012).

T. Gerkmann and R. C. Hendriks, "Unbiased MMSE-based noise power estimation with
low complexity and low tracking delay", IEEE Trans. Audio Speech Lang. Process.
20(4), 2012.
"""

from __future__ import annotations

import numpy as np

from .base import EPS, NoiseState, absence_from_ratio, scaled_alpha

__all__ = ["SppNoise"]

_REF_HOP_S = 0.016  # smoothing constants below are given for a 16 ms frame advance


class SppNoise:
    """MMSE noise estimator weighted by an a posteriori speech presence probability.

    For each bin the posterior probability of speech presence is computed with a
    fixed "typical" a priori SNR under speech presence (15 dB) and equal priors; the
    noise periodogram is estimated as ``(1 - P) |Y|^2 + P * sigma_prev`` and averaged
    recursively. A stuck-at-speech guard caps ``P`` when its smoothed value stays
    near 1, so the estimate can climb after a rise of the noise level. No bias
    compensation and no minimum search are needed, so the tracking delay is short.

    Parameters
    ----------
    hop_s : float > 0
        Frame advance in seconds; smoothing constants are rescaled from 16 ms.
    xi_h1_db : float
        Fixed a priori SNR under speech presence in dB.
    prior_presence : float in (0, 1)
        A priori speech presence probability.
    init_s : float >= 0
        Length of the initial stretch (seconds) whose mean periodogram initializes
        the estimate; during it the running mean is used as the estimate.
    """

    def __init__(
        self,
        hop_s: float,
        *,
        xi_h1_db: float = 15.0,
        prior_presence: float = 0.5,
        init_s: float = 0.1,
        alpha: float = 0.8,
    ) -> None:
        self.hop_s = hop_s
        self.xi_h1 = 10.0 ** (xi_h1_db / 10.0)
        self.prior_ratio = prior_presence / (1.0 - prior_presence)
        self.alpha = scaled_alpha(alpha, hop_s, _REF_HOP_S)
        self.alpha_p = scaled_alpha(0.9, hop_s, _REF_HOP_S)
        self.init_frames = max(1, int(round(init_s / hop_s)))

    def init_state(self, n_channels: int, n_bins: int) -> NoiseState:
        """Fresh state; the first ``init_s`` seconds initialize the estimate."""
        shape = (n_channels, n_bins)
        return NoiseState(
            noise_psd=np.zeros(shape),
            absence=np.ones(shape),
            extra={"p_smooth": np.zeros(shape), "smoothed": np.zeros(shape)},
        )

    def update(self, power: np.ndarray, state: NoiseState) -> np.ndarray:
        """One frame; returns the noise PSD [shape=(C, F)]."""
        ex = state.extra
        state.frames += 1
        if state.frames <= self.init_frames:
            state.noise_psd += (power - state.noise_psd) / state.frames
            ex["smoothed"][...] = state.noise_psd
            return state.noise_psd
        sigma = state.noise_psd + EPS
        snr_post = power / sigma
        expo = np.minimum(snr_post * self.xi_h1 / (1.0 + self.xi_h1), 500.0)
        presence = 1.0 / (1.0 + (1.0 + self.xi_h1) * np.exp(-expo) / self.prior_ratio)
        p_s = ex["p_smooth"]
        p_s *= self.alpha_p
        p_s += (1.0 - self.alpha_p) * presence
        presence = np.where(p_s > 0.99, np.minimum(presence, 0.99), presence)
        noise_pg = (1.0 - presence) * power + presence * state.noise_psd
        state.noise_psd = self.alpha * state.noise_psd + (1.0 - self.alpha) * noise_pg
        smoothed = ex["smoothed"]
        smoothed *= 0.5
        smoothed += 0.5 * power
        state.absence = absence_from_ratio(power, smoothed, state.noise_psd)
        return state.noise_psd
