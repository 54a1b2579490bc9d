"""Objective speech quality and intelligibility metrics.

Every metric takes ``reference`` (clean) first and ``estimate`` second, as
float arrays of shape ``(T,)`` or ``(C, T)``; multichannel inputs are scored
per channel and the channel mean is returned. :func:`score` aligns a pair,
trims it to a common length and computes every applicable metric at once.

Note: the functions ``pesq``, ``stoi``, ``composite``, ``align`` and ``score``
share their names with the submodules that define them; attribute access on
this package gives the functions.
"""

from __future__ import annotations

from .align import AlignmentInfo, align
from .composite import composite, llr, wss
from .pauses import pause_attenuation, speech_level_change
from .pesq import pesq
from .score import METRICS, Score, available_metrics, score
from .si_sdr import si_sdr
from .snr import segmental_snr, snr
from .spectral_distance import log_spectral_distance
from .stoi import estoi, stoi

__all__ = [
    "snr",
    "segmental_snr",
    "si_sdr",
    "log_spectral_distance",
    "pause_attenuation",
    "speech_level_change",
    "pesq",
    "stoi",
    "estoi",
    "composite",
    "llr",
    "wss",
    "score",
    "Score",
    "METRICS",
    "align",
    "AlignmentInfo",
    "available_metrics",
]
