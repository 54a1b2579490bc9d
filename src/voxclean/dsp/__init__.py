"""Signal-processing building blocks: streaming STFT, windows."""

from .stft import Stft, StftState, frame_sizes

__all__ = ["Stft", "StftState", "frame_sizes"]
