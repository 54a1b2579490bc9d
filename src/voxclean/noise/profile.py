"""Noise profile measured on a noise-only clip (a fixed noise PSD)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._typing import Audio
from .._validate import valid_audio
from ..dsp.stft import Stft
from ..errors import ParameterError
from .base import EPS, NoiseState, absence_from_ratio

__all__ = ["NoiseProfile", "profile_from_clip"]


@dataclass(frozen=True)
class NoiseProfile:
    """Per-bin statistics of a noise-only recording on a given STFT grid.

    Attributes
    ----------
    psd : np.ndarray [shape=(F,)]
        Mean noise power per bin (scale of ``|X|^2``).
    log_mean_db : np.ndarray [shape=(F,)]
        Mean of ``10 log10 |X|^2`` per bin in dB.
    log_std_db : np.ndarray [shape=(F,)]
        Standard deviation of ``10 log10 |X|^2`` per bin in dB.
    """

    psd: np.ndarray
    log_mean_db: np.ndarray
    log_std_db: np.ndarray

    def init_state(self, n_channels: int, n_bins: int) -> NoiseState:
        """State holding the fixed PSD for every channel."""
        if n_bins != self.psd.shape[-1]:
            raise ParameterError(f"noise profile has {self.psd.shape[-1]} bins, the STFT has n_bins={n_bins}")
        shape = (n_channels, n_bins)
        return NoiseState(
            noise_psd=np.broadcast_to(self.psd, shape).copy(),
            absence=np.ones(shape),
            extra={"smoothed": np.zeros(shape)},
        )

    def update(self, power: np.ndarray, state: NoiseState) -> np.ndarray:
        """Return the fixed PSD; only the speech-absence probability is updated."""
        smoothed = state.extra["smoothed"]
        if state.frames == 0:
            smoothed[...] = power
        state.frames += 1
        smoothed *= 0.5
        smoothed += 0.5 * power
        state.absence = absence_from_ratio(power, smoothed, state.noise_psd)
        return state.noise_psd


def profile_from_clip(clip: Audio, stft: Stft) -> NoiseProfile:
    """Measure a :class:`NoiseProfile` from a noise-only clip.

    Parameters
    ----------
    clip : np.ndarray [shape=(T,) or (C, T)]
        Noise-only audio at ``stft.sample_rate``; channels are pooled.
    stft : Stft
        The STFT grid of the enhancer that will use the profile.

    Raises
    ------
    ParameterError
        The clip is empty, non-finite, or shorter than one window.
    """
    audio = valid_audio(clip, name="noise_clip")
    if audio.shape[1] < stft.win_length:
        raise ParameterError(
            f"noise clip has {audio.shape[1]} samples; need at least one window ({stft.win_length} samples)"
        )
    spec = stft.stft(audio)[:, stft.win_length // stft.hop :]  # skip frames that overlap the zero padding
    if spec.shape[1] == 0:
        spec = stft.stft(audio)
    power = (spec.real**2 + spec.imag**2).reshape(-1, spec.shape[-1])
    log_p = 10.0 * np.log10(power + EPS)
    return NoiseProfile(psd=power.mean(axis=0), log_mean_db=log_p.mean(axis=0), log_std_db=log_p.std(axis=0))
