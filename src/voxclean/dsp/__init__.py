"""Signal-processing building blocks: streaming STFT, windows, polyphase resampling."""

from .polyphase import PolyphaseResampler, PolyphaseState
from .stft import Stft, StftState, frame_sizes

__all__ = ["PolyphaseResampler", "PolyphaseState", "Stft", "StftState", "frame_sizes"]
