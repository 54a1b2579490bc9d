"""Noise PSD estimation by minimum statistics with optimal smoothing, after Martin (2001).

R. Martin, "Noise power spectral density estimation based on optimal smoothing
and minimum statistics", IEEE Trans. Speech Audio Process. 9(5), 2001.
"""

from __future__ import annotations

import numpy as np

from .base import EPS, NoiseState, absence_from_ratio, scaled_alpha

__all__ = ["MinimumStatistics"]

_REF_HOP_S = 0.016  # Martin's constants: 8 kHz, 256-sample frames, 50 % overlap
# Tables of the minimum-search bias terms M(D) and H(D) (Martin 2001, Table III).
_D = np.array([1, 2, 5, 8, 10, 15, 20, 30, 40, 60, 80, 120, 140, 160], float)
_M = np.array([0.0, 0.26, 0.48, 0.58, 0.61, 0.668, 0.705, 0.762, 0.8, 0.841, 0.865, 0.89, 0.9, 0.91])


class MinimumStatistics:
    """Minimum statistics noise estimator.

    A periodogram smoothed with a time- and frequency-dependent optimal smoothing
    parameter is searched for its minimum over a window of about 1.5 s; the minimum
    is corrected for its bias using the estimated variance of the smoothed
    periodogram. Needs no voice activity detector.

    Parameters
    ----------
    hop_s : float > 0
        Frame advance in seconds; smoothing constants are rescaled from Martin's 16 ms.
    window_s : float > 0
        Minimum search window in seconds (Martin: 96 frames of 16 ms = 1.5 s).
    n_sub : int
        Number of sub-windows ``U`` (Martin: 8).

    Notes
    -----
    State: :class:`~voxclean.noise.base.NoiseState` with the smoothed periodogram,
    its first and second moments and the sub-window minima in ``extra``.
    """

    def __init__(self, hop_s: float, *, window_s: float = 1.536, n_sub: int = 8) -> None:
        self.hop_s = hop_s
        self.n_sub = n_sub
        self.sub_len = max(2, int(round(window_s / hop_s / n_sub)))
        self.D = self.n_sub * self.sub_len
        self.alpha_max = scaled_alpha(0.96, hop_s, _REF_HOP_S)
        self.alpha_min = min(0.3, self.alpha_max)
        self.beta_max = scaled_alpha(0.8, hop_s, _REF_HOP_S)
        self.av = 2.12
        self.m_d = float(np.interp(self.D, _D, _M))
        self.m_v = float(np.interp(self.sub_len, _D, _M))

    def init_state(self, n_channels: int, n_bins: int) -> NoiseState:
        """Fresh state; the first frame initializes the averages."""
        shape = (n_channels, n_bins)
        return NoiseState(
            noise_psd=np.zeros(shape),
            absence=np.ones(shape),
            extra={
                "P": np.zeros(shape),
                "Pbar": np.zeros(shape),
                "P2bar": np.zeros(shape),
                "alpha_c": np.ones((n_channels, 1)),
                "act_min": np.full(shape, np.inf),
                "act_min_sub": np.full(shape, np.inf),
                "pmin_u": np.full(shape, np.inf),
                "ring": np.full((self.n_sub, *shape), np.inf),
                "ring_index": 0,
                "subwc": 1,
                "lmin_flag": np.zeros(shape, bool),
                "smoothed": np.zeros(shape),
            },
        )

    def update(self, power: np.ndarray, state: NoiseState) -> np.ndarray:
        """One frame of minimum statistics; returns the noise PSD [shape=(C, F)]."""
        ex = state.extra
        if state.frames == 0:
            ex["P"][...] = power
            ex["Pbar"][...] = power
            ex["P2bar"][...] = power**2
            state.noise_psd = power.copy() + EPS
            ex["smoothed"][...] = power
        state.frames += 1
        P = ex["P"]
        sigma2 = state.noise_psd + EPS

        # optimal time-frequency dependent smoothing with a global correction factor
        ratio = P.sum(axis=-1, keepdims=True) / (power.sum(axis=-1, keepdims=True) + EPS)
        alpha_c_tilde = 1.0 / (1.0 + (ratio - 1.0) ** 2)
        ex["alpha_c"] = 0.7 * ex["alpha_c"] + 0.3 * np.maximum(alpha_c_tilde, 0.7)
        alpha = self.alpha_max * ex["alpha_c"] / (1.0 + (P / sigma2 - 1.0) ** 2)
        np.maximum(alpha, self.alpha_min, out=alpha)
        P[...] = alpha * P + (1.0 - alpha) * power

        # variance of the smoothed periodogram -> equivalent degrees of freedom -> bias
        beta = np.minimum(alpha**2, self.beta_max)
        Pbar, P2bar = ex["Pbar"], ex["P2bar"]
        Pbar[...] = beta * Pbar + (1.0 - beta) * P
        P2bar[...] = beta * P2bar + (1.0 - beta) * P**2
        var = np.maximum(P2bar - Pbar**2, 0.0)
        q_inv = np.clip(var / (2.0 * sigma2**2), EPS, 0.5)
        q_inv_mean = q_inv.mean(axis=-1, keepdims=True)
        q_eq = 1.0 / q_inv
        q_tilde = np.maximum((q_eq - 2.0 * self.m_d) / (1.0 - self.m_d), EPS)
        q_tilde_sub = np.maximum((q_eq - 2.0 * self.m_v) / (1.0 - self.m_v), EPS)
        b_min = 1.0 + (self.D - 1) * 2.0 / q_tilde
        b_min_sub = 1.0 + (self.sub_len - 1) * 2.0 / q_tilde_sub
        b_c = 1.0 + self.av * np.sqrt(q_inv_mean)

        # minimum search in sub-windows
        biased = P * b_min * b_c
        k_mod = biased < ex["act_min"]
        ex["act_min"] = np.where(k_mod, biased, ex["act_min"])
        ex["act_min_sub"] = np.where(k_mod, P * b_min_sub * b_c, ex["act_min_sub"])
        if ex["subwc"] == self.sub_len:
            flag = ex["lmin_flag"] & ~k_mod
            ex["ring"][ex["ring_index"]] = ex["act_min"]
            ex["ring_index"] = (ex["ring_index"] + 1) % self.n_sub
            pmin_u = ex["ring"].min(axis=0)
            slope = np.select(
                [q_inv_mean < 0.03, q_inv_mean < 0.05, q_inv_mean < 0.06], [8.0, 4.0, 2.0], 1.2
            )
            jump = flag & (ex["act_min_sub"] < slope * pmin_u) & (ex["act_min_sub"] > pmin_u)
            pmin_u = np.where(jump, ex["act_min_sub"], pmin_u)
            ex["ring"][:, jump] = ex["act_min_sub"][jump]
            ex["pmin_u"] = pmin_u
            ex["lmin_flag"][...] = False
            ex["subwc"] = 1
            ex["act_min"] = np.full_like(P, np.inf)
            ex["act_min_sub"] = np.full_like(P, np.inf)
            noise = pmin_u
        else:
            if ex["subwc"] > 1:
                ex["lmin_flag"] |= k_mod
            noise = np.minimum(ex["act_min_sub"], ex["pmin_u"])
            ex["pmin_u"] = noise
            ex["subwc"] += 1
        state.noise_psd = np.where(np.isfinite(noise), noise, power)

        smoothed = ex["smoothed"]
        smoothed *= 0.5
        smoothed += 0.5 * power
        state.absence = absence_from_ratio(power, smoothed, state.noise_psd)
        return state.noise_psd
