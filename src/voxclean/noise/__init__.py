"""Noise power spectral density estimators that track non-stationary noise."""

from .base import NoiseEstimator, NoiseState
from .imcra import Imcra
from .min_stats import MinimumStatistics
from .profile import NoiseProfile, profile_from_clip
from .spp import SppNoise

__all__ = [
    "NoiseEstimator",
    "NoiseState",
    "Imcra",
    "MinimumStatistics",
    "SppNoise",
    "NoiseProfile",
    "profile_from_clip",
]
