"""Shared machinery of the STFT-domain enhancers: STFT, noise tracking, gain floor."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .._typing import Audio
from ..config import Params
from ..dsp.stft import Stft, StftState
from ..errors import ParameterError
from ..noise import Imcra, MinimumStatistics, NoiseProfile, SppNoise, profile_from_clip
from ..noise.base import NoiseEstimator, NoiseState

__all__ = ["SpectralParams", "SpectralEnhancer", "SpectralState"]

NoiseMethod = Literal["imcra", "min_stats", "spp"]


@dataclasses.dataclass(frozen=True)
class SpectralParams(Params):
    """Parameters shared by every STFT-domain enhancer.

    Attributes
    ----------
    strength_db : float >= 0
        Maximum attenuation in dB (the gain floor is ``10**(-strength_db/20)``);
        0 makes the stage an exact (delayed) identity.
    frame_ms : float > 0
        STFT window in milliseconds.
    hop_ms : float > 0
        STFT hop in milliseconds; also the block size. Latency is ``frame_ms - hop_ms``.
    noise : {"imcra", "min_stats", "spp"}
        Noise tracker used when no noise clip is given: IMCRA (Cohen 2003),
        minimum statistics (Martin 2001) or speech-presence-probability MMSE
        tracking (Gerkmann & Hendriks 2012).
    """

    strength_db: float = 25.0
    frame_ms: float = 32.0
    hop_ms: float = 16.0
    noise: NoiseMethod = "spp"

    def _check(self) -> None:
        if not np.isfinite(self.strength_db) or self.strength_db < 0:
            raise ParameterError(f"strength_db={self.strength_db} must be a finite number >= 0")
        if not 0 < self.hop_ms <= self.frame_ms:
            raise ParameterError(f"hop_ms={self.hop_ms} must be in (0, frame_ms={self.frame_ms}]")


@dataclass
class SpectralState:
    """Per-stream state: STFT buffers, noise tracker and gain-rule memory."""

    stft: StftState
    noise: NoiseState
    gain: dict[str, Any]


class SpectralEnhancer:
    """Base of STFT-domain enhancers: analysis, noise estimate, gain, synthesis.

    Subclasses define ``Params`` and ``_gain``. Each frame: ``Y = STFT(block)``,
    ``N = noise.update(|Y|^2)``, ``G = clip(_gain(...), floor, 1)``, output
    ``ISTFT(G * Y)``.

    Parameters
    ----------
    sample_rate : int
        Rate in Hz the stage runs at (any rate; frame and hop are in milliseconds).
    params : SpectralParams or None
        ``None`` means the class defaults.
    noise_clip : np.ndarray [shape=(T,) or (C, T)] or None
        Noise-only audio at ``sample_rate``; when given, its measured noise profile
        replaces noise tracking.
    noise_estimator : NoiseEstimator or None
        A noise tracker of your own (anything with the
        :class:`~voxclean.noise.base.NoiseEstimator` methods, working on this stage's
        STFT: ``stft.n_bins`` bins every ``hop_s`` seconds); replaces
        ``params.noise``. Cannot be combined with ``noise_clip``.
    **overrides
        Fields of ``params`` to change.

    Notes
    -----
    Latency: ``win_length - hop`` samples. Block size: ``hop`` samples.
    State: :class:`SpectralState`; every channel has its own noise and gain memory.
    """

    Params: type[SpectralParams] = SpectralParams
    channels: int | None = None

    def __init__(
        self,
        sample_rate: int,
        params: SpectralParams | None = None,
        *,
        noise_clip: Audio | None = None,
        noise_estimator: NoiseEstimator | None = None,
        **overrides: Any,
    ) -> None:
        if noise_clip is not None and noise_estimator is not None:
            raise ParameterError("give noise_clip or noise_estimator, not both")
        params = params if params is not None else self.Params()
        if not isinstance(params, self.Params):
            raise ParameterError(f"params must be {self.Params.__name__}, got {type(params).__name__}")
        if overrides:
            params = params.replace(**overrides)
        self._params = params
        self.stft = Stft(sample_rate, frame_ms=params.frame_ms, hop_ms=params.hop_ms)
        self.sample_rate = self.stft.sample_rate
        self.block_size = self.stft.hop
        self.latency = self.stft.latency
        self.hop_s = self.stft.hop / self.sample_rate
        self.gain_floor = float(10.0 ** (-params.strength_db / 20.0))
        self.profile: NoiseProfile | None = (
            profile_from_clip(noise_clip, self.stft) if noise_clip is not None else None
        )
        self.noise_estimator: NoiseEstimator = (
            noise_estimator if noise_estimator is not None else self._make_noise_estimator()
        )

    def _make_noise_estimator(self) -> NoiseEstimator:
        if self.profile is not None:
            return self.profile
        if self._params.noise == "min_stats":
            return MinimumStatistics(self.hop_s)
        if self._params.noise == "spp":
            return SppNoise(self.hop_s)
        return Imcra(self.hop_s)

    def params(self) -> SpectralParams:
        """The frozen parameters of this stage."""
        return self._params

    def init_state(self, n_channels: int) -> SpectralState:
        """Fresh state for one stream of ``n_channels`` channels."""
        bins = self.stft.n_bins
        return SpectralState(
            stft=self.stft.init_state(n_channels),
            noise=self.noise_estimator.init_state(n_channels, bins),
            gain=self._init_gain_state(n_channels, bins),
        )

    def _init_gain_state(self, n_channels: int, n_bins: int) -> dict[str, Any]:
        return {}

    def _gain(self, power: np.ndarray, noise: np.ndarray, state: SpectralState) -> np.ndarray:
        raise NotImplementedError

    def process(self, block: Audio, state: SpectralState) -> Audio:
        """Enhance one hop ``[shape=(C, block_size)]``; returns ``[shape=(C, block_size)]`` float32."""
        spec = self.stft.analyze(block, state.stft)
        power = spec.real**2 + spec.imag**2
        noise = self.noise_estimator.update(power, state.noise)
        gain = self._gain(power, noise, state)
        np.clip(gain, self.gain_floor, 1.0, out=gain)
        return self.stft.synthesize(spec * gain, state.stft).astype(np.float32)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(sample_rate={self.sample_rate}, {self._params})"
