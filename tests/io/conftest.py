"""Fixtures for the voxclean.io tests."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

#: /work/shared/data when the repository sits at /work/main.
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def sine(freq: float, sr: int, n: int, channels: int = 1, amp: float = 0.5) -> np.ndarray:
    """Return a ``(channels, n)`` float32 sine, each channel with a slightly different phase."""
    t = np.arange(n) / sr
    rows = [amp * np.sin(2 * np.pi * freq * t + 0.3 * c) for c in range(channels)]
    return np.asarray(rows, dtype=np.float32)


def peak_freq(y: np.ndarray, sr: int) -> float:
    """Frequency in Hz of the largest FFT bin of a 1-D signal."""
    spec = np.abs(np.fft.rfft(y * np.hanning(y.size)))
    return float(np.argmax(spec) * sr / y.size)


def dir_listing(path: Path) -> list[str]:
    """Sorted file names in ``path``, hidden ones included (for leftover checks)."""
    return sorted(p.name for p in path.iterdir())


@pytest.fixture
def shared_data() -> Path:
    """Path of the shared data directory; skips the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def h() -> SimpleNamespace:
    """Helper functions (fixtures, so no test imports ``conftest`` by name)."""
    return SimpleNamespace(sine=sine, peak_freq=peak_freq, listing=dir_listing)
