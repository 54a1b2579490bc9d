"""Improved minima controlled recursive averaging (IMCRA), after Cohen (2003).

I. Cohen, "Noise spectrum estimation in adverse environments: improved minima
controlled recursive averaging", IEEE Trans. Speech Audio Process. 11(5), 2003.
"""

from __future__ import annotations

import numpy as np
import scipy.special

from .base import EPS, MinimumTracker, NoiseState, scaled_alpha, smooth_freq

__all__ = ["Imcra"]

_REF_HOP_S = 0.008  # Cohen's constants are given for a 8 ms frame advance


class Imcra:
    """IMCRA noise estimator with speech-presence-controlled recursive averaging.

    Two passes of minimum tracking over a time-frequency smoothed periodogram: the
    first gives a rough speech/noise decision, the second smooths only the frames
    and bins judged noise, and their minimum yields the a priori speech-absence
    probability ``q``. The noise PSD is then averaged recursively with a rate that
    slows down where speech is likely.

    Parameters
    ----------
    hop_s : float > 0
        Frame advance in seconds; time constants are rescaled from Cohen's 8 ms.
    window_s : float > 0
        Length of the minimum search window in seconds (Cohen: 120 frames of 8 ms).
    n_sub : int
        Number of sub-windows of the minimum search (Cohen: U = 8).
    bias : float
        Bias of the minimum search ``Bmin`` (Cohen: 1.66).
    overestimate : float
        Bias compensation of the final estimate ``beta`` (Cohen: 1.47).
    dd_alpha : float
        Decision-directed weight used for the internal a priori SNR.

    Notes
    -----
    State: :class:`~voxclean.noise.base.NoiseState` with the smoothed spectra,
    two minimum trackers and the previous gain in ``extra``.
    """

    def __init__(
        self,
        hop_s: float,
        *,
        window_s: float = 0.96,
        n_sub: int = 8,
        bias: float = 1.66,
        overestimate: float = 1.47,
        gamma0: float = 4.6,
        gamma1: float = 3.0,
        zeta0: float = 1.67,
        dd_alpha: float = 0.92,
        xi_min_db: float = -25.0,
    ) -> None:
        self.hop_s = hop_s
        self.alpha_s = scaled_alpha(0.9, hop_s, _REF_HOP_S)
        self.alpha_d = scaled_alpha(0.85, hop_s, _REF_HOP_S)
        self.dd_alpha = scaled_alpha(dd_alpha, hop_s, _REF_HOP_S)
        sub_len = max(1, int(round(window_s / hop_s / n_sub)))
        self.tracker = MinimumTracker(n_sub, sub_len)
        self.bias = bias
        self.overestimate = overestimate
        self.gamma0 = gamma0
        self.gamma1 = gamma1
        self.zeta0 = zeta0
        self.xi_min = 10.0 ** (xi_min_db / 10.0)

    def init_state(self, n_channels: int, n_bins: int) -> NoiseState:
        """Fresh state; the first frame initializes every average."""
        shape = (n_channels, n_bins)
        return NoiseState(
            noise_psd=np.zeros(shape),
            absence=np.ones(shape),
            extra={
                "first": self.tracker.init(shape),
                "second": self.tracker.init(shape),
                "S": np.zeros(shape),
                "S2": np.zeros(shape),
                "lambda": np.zeros(shape),
                "gain_h1": np.ones(shape),
                "gamma_prev": np.ones(shape),
                "presence": np.zeros(shape),
                "xi": np.zeros(shape),
                "gamma": np.zeros(shape),
            },
        )

    def update(self, power: np.ndarray, state: NoiseState) -> np.ndarray:
        """One frame of IMCRA; returns the bias-compensated noise PSD [shape=(C, F)]."""
        ex = state.extra
        sf = smooth_freq(power)
        if state.frames == 0:
            ex["S"][...] = sf
            ex["S2"][...] = sf
            ex["lambda"][...] = power
            state.noise_psd[...] = power
        state.frames += 1
        noise_prev = state.noise_psd

        # a posteriori and a priori SNR against the previous noise estimate
        gamma = power / (noise_prev + EPS)
        xi = self.dd_alpha * ex["gain_h1"] ** 2 * ex["gamma_prev"] + (1.0 - self.dd_alpha) * np.maximum(
            gamma - 1.0, 0.0
        )
        np.maximum(xi, self.xi_min, out=xi)
        v = np.maximum(gamma * xi / (1.0 + xi), 1e-10)

        # first iteration: rough voice activity from the minimum of the smoothed periodogram
        S = ex["S"]
        S *= self.alpha_s
        S += (1.0 - self.alpha_s) * sf
        s_min = self.tracker.update(S, ex["first"])
        b_min = self.bias * s_min + EPS
        noise_like = (power / b_min < self.gamma0) & (S / b_min < self.zeta0)

        # second iteration: smooth only the noise-like bins, track their minimum
        ind = noise_like.astype(np.float64)
        num = smooth_freq(ind * power)
        den = smooth_freq(ind)
        S2 = ex["S2"]
        sf2 = np.where(den > 0, num / np.maximum(den, EPS), S2)
        S2 *= self.alpha_s
        S2 += (1.0 - self.alpha_s) * sf2
        # The smoothed noise-only power cannot sit below the minimum of the smoothed
        # total power; bounding it there stops the second pass from freezing for a
        # whole extra window after the noise level rises (e.g. after leading silence).
        np.maximum(S2, s_min, out=S2)
        s2_min = np.maximum(self.tracker.update(S2, ex["second"]), s_min)
        b2 = self.bias * s2_min + EPS
        gamma_min = power / b2
        zeta = S / b2
        q = np.clip((self.gamma1 - gamma_min) / (self.gamma1 - 1.0), 0.0, 1.0)
        q[zeta >= self.zeta0] = 0.0

        # speech presence probability and presence-controlled averaging
        presence = (1.0 - q) / ((1.0 - q) + q * (1.0 + xi) * np.exp(-np.minimum(v, 500.0)))
        alpha_tilde = self.alpha_d + (1.0 - self.alpha_d) * presence
        lam = ex["lambda"]
        lam *= alpha_tilde
        lam += (1.0 - alpha_tilde) * power
        state.noise_psd = self.overestimate * lam
        state.absence = q

        gain_h1 = xi / (1.0 + xi) * np.exp(0.5 * scipy.special.exp1(v))
        ex["gain_h1"] = np.minimum(gain_h1, 1.0)
        ex["gamma_prev"] = gamma
        ex["presence"] = presence
        ex["xi"] = xi
        ex["gamma"] = gamma
        return state.noise_psd
