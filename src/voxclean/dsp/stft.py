"""Streaming short-time Fourier transform with perfect reconstruction.

The analysis window is a periodic square-root Hann window; the synthesis window is
the same window divided by the overlap-added squared window, so analysis followed by
synthesis (weighted overlap-add) reproduces the input exactly, delayed by
``win_length - hop`` samples.

Frames are processed one hop at a time: :meth:`Stft.analyze` takes ``hop`` new
samples and returns one spectrum; :meth:`Stft.synthesize` takes one (modified)
spectrum and returns ``hop`` finished output samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.fft

from .._typing import Audio
from .._validate import positive_float, valid_sr
from ..errors import ParameterError

__all__ = ["Stft", "StftState", "frame_sizes"]


def frame_sizes(sr: int, *, frame_ms: float, hop_ms: float) -> tuple[int, int, int]:
    """Convert frame and hop durations to sample counts.

    The hop is rounded to whole samples first and the window is made an integer
    multiple of it (``round(frame_ms / hop_ms)`` hops), which keeps overlap-add
    reconstruction exact at every sample rate (8 kHz to 48 kHz and 22.05/44.1 kHz).

    Parameters
    ----------
    sr : int > 0
        Sample rate in Hz.
    frame_ms : float > 0
        Analysis window length in milliseconds.
    hop_ms : float > 0
        Hop (frame advance) in milliseconds; ``hop_ms <= frame_ms``.

    Returns
    -------
    win_length, hop, n_fft : int
        Window length and hop in samples, and the FFT size (the window length
        rounded up to a fast FFT length; the frame is zero-padded to it).
    """
    sr = valid_sr(sr)
    frame_ms = positive_float(frame_ms, name="frame_ms")
    hop_ms = positive_float(hop_ms, name="hop_ms")
    if hop_ms > frame_ms:
        raise ParameterError(f"hop_ms={hop_ms} must not exceed frame_ms={frame_ms}")
    hop = max(1, int(round(hop_ms * sr / 1000.0)))
    ratio = max(1, int(round(frame_ms / hop_ms)))
    win_length = hop * ratio
    if win_length < 8:
        raise ParameterError(f"frame_ms={frame_ms} at sr={sr} gives a {win_length}-sample window; need >= 8")
    n_fft = scipy.fft.next_fast_len(win_length, real=True)
    return win_length, hop, n_fft


@lru_cache(maxsize=64)
def _windows(win_length: int, hop: int) -> tuple[np.ndarray, np.ndarray]:
    """Analysis and synthesis windows (cached, read-only) for exact WOLA reconstruction."""
    n = np.arange(win_length)
    analysis = np.sqrt(0.5 - 0.5 * np.cos(2.0 * np.pi * n / win_length))
    if win_length == hop:  # no overlap: rectangular analysis, identity synthesis
        analysis = np.ones(win_length)
    power = analysis**2
    ola = np.zeros(win_length)
    for shift in range(-win_length + hop, win_length, hop):
        lo, hi = max(0, shift), min(win_length, win_length + shift)
        ola[lo:hi] += power[lo - shift : hi - shift]
    synthesis = analysis / ola
    analysis.setflags(write=False)
    synthesis.setflags(write=False)
    return analysis, synthesis


@dataclass
class StftState:
    """Per-stream STFT buffers.

    Attributes
    ----------
    frame : np.ndarray [shape=(C, win_length)]
        The most recent ``win_length`` input samples.
    ola : np.ndarray [shape=(C, win_length)]
        Overlap-add accumulator of synthesized frames.
    """

    frame: np.ndarray
    ola: np.ndarray


class Stft:
    """Frame-by-frame STFT/ISTFT pair with perfect reconstruction.

    Parameters
    ----------
    sample_rate : int > 0
        Sample rate in Hz.
    frame_ms : float > 0
        Window length in milliseconds (default 32 ms).
    hop_ms : float > 0
        Hop in milliseconds (default 16 ms, 50 % overlap).

    Notes
    -----
    Latency: ``win_length - hop`` samples (16 ms with the defaults).
    State: :class:`StftState`, one per stream, shape ``(C, win_length)`` buffers.
    """

    def __init__(self, sample_rate: int, *, frame_ms: float = 32.0, hop_ms: float = 16.0) -> None:
        self.sample_rate = valid_sr(sample_rate, name="sample_rate")
        self.frame_ms = float(frame_ms)
        self.hop_ms = float(hop_ms)
        self.win_length, self.hop, self.n_fft = frame_sizes(
            self.sample_rate, frame_ms=frame_ms, hop_ms=hop_ms
        )
        self.analysis_window, self.synthesis_window = _windows(self.win_length, self.hop)
        self.n_bins = self.n_fft // 2 + 1
        self.freqs_hz = np.fft.rfftfreq(self.n_fft, 1.0 / self.sample_rate)

    @property
    def latency(self) -> int:
        """Algorithmic delay in samples (``win_length - hop``)."""
        return self.win_length - self.hop

    def init_state(self, n_channels: int) -> StftState:
        """Fresh zeroed buffers for a stream of ``n_channels`` channels."""
        shape = (n_channels, self.win_length)
        return StftState(frame=np.zeros(shape, np.float64), ola=np.zeros(shape, np.float64))

    def analyze(self, block: Audio, state: StftState) -> np.ndarray:
        """Push ``hop`` new samples and return the spectrum of the latest window.

        Parameters
        ----------
        block : np.ndarray [shape=(C, hop)]
        state : StftState

        Returns
        -------
        np.ndarray [shape=(C, n_bins), dtype=complex128]
        """
        hop = self.hop
        frame = state.frame
        frame[:, :-hop] = frame[:, hop:]
        frame[:, -hop:] = block
        return scipy.fft.rfft(frame * self.analysis_window, n=self.n_fft, axis=-1)

    def synthesize(self, spectrum: np.ndarray, state: StftState) -> np.ndarray:
        """Overlap-add one spectrum and return the next ``hop`` finished samples.

        Parameters
        ----------
        spectrum : np.ndarray [shape=(C, n_bins)], complex
        state : StftState

        Returns
        -------
        np.ndarray [shape=(C, hop), dtype=float64]
        """
        hop = self.hop
        frame = scipy.fft.irfft(spectrum, n=self.n_fft, axis=-1)[:, : self.win_length]
        ola = state.ola
        ola += frame * self.synthesis_window
        out = ola[:, :hop].copy()
        ola[:, :-hop] = ola[:, hop:]
        ola[:, -hop:] = 0.0
        return out

    def stft(self, y: np.ndarray) -> np.ndarray:
        """Whole-signal STFT computed with the streaming frame grid.

        Parameters
        ----------
        y : np.ndarray [shape=(C, T)]

        Returns
        -------
        np.ndarray [shape=(C, n_frames, n_bins)]
            Frame ``k`` ends at sample ``(k + 1) * hop`` (the first frames see zeros
            before the signal start), ``n_frames = ceil(T / hop)``.
        """
        y = np.atleast_2d(y)
        n_frames = -(-y.shape[-1] // self.hop)
        padded = np.zeros((y.shape[0], self.win_length - self.hop + n_frames * self.hop))
        padded[:, self.win_length - self.hop : self.win_length - self.hop + y.shape[-1]] = y
        idx = np.arange(n_frames)[:, None] * self.hop + np.arange(self.win_length)[None, :]
        frames = padded[:, idx] * self.analysis_window
        return scipy.fft.rfft(frames, n=self.n_fft, axis=-1)
