"""Enhancers, the Enhancer protocol, pipelines and the offline/streaming drivers."""

from .base import Enhancer, Stream, process_streams, run_offline, stream_compensated
from .facade import create, enhance, list_methods
from .file import FileResult, enhance_file
from .gating import SpectralGate
from .mmse import MmseLsa, MmseStsa
from .omlsa import OmLsa
from .pipeline import Pipeline
from .spectral_subtraction import SpectralSubtraction
from .wiener import Wiener

__all__ = [
    "Enhancer",
    "Stream",
    "process_streams",
    "run_offline",
    "stream_compensated",
    "create",
    "enhance",
    "list_methods",
    "enhance_file",
    "FileResult",
    "Pipeline",
    "OmLsa",
    "MmseLsa",
    "MmseStsa",
    "Wiener",
    "SpectralSubtraction",
    "SpectralGate",
]
