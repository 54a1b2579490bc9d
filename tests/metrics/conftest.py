"""Fixtures for the metrics tests: short real speech and household noise clips."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
SPEECH_DIR = DATA / "speech" / "cmu_arctic_samples"
NOISE_DIR = DATA / "noise" / "household_timgrau"
CLIP_S = 3.5


def _first_flac(folder: Path) -> Path:
    files = sorted(folder.glob("*.flac")) if folder.is_dir() else []
    if not files:
        pytest.skip(f"shared test data missing: {folder}")
    return files[0]


@pytest.fixture(scope="session")
def speech() -> tuple[np.ndarray, int]:
    """Mono clean speech [shape=(T,)], float32, about 3.5 s, and its rate in Hz."""
    sf = pytest.importorskip("soundfile")
    x, sr = sf.read(_first_flac(SPEECH_DIR), dtype="float32", always_2d=True)
    return np.ascontiguousarray(x[: int(CLIP_S * sr), 0]), int(sr)


@pytest.fixture(scope="session")
def noise(speech: tuple[np.ndarray, int]) -> np.ndarray:
    """Household noise at the speech rate, as long as the speech clip [shape=(T,)]."""
    sf = pytest.importorskip("soundfile")
    import soxr

    x, sr = speech
    n, nsr = sf.read(_first_flac(NOISE_DIR), dtype="float32", always_2d=True)
    n = n[:, 0]
    if nsr != sr:
        n = soxr.resample(n, nsr, sr).astype(np.float32)
    if len(n) < len(x):
        n = np.tile(n, int(np.ceil(len(x) / len(n))))
    return np.ascontiguousarray(n[: len(x)])


@pytest.fixture(scope="session")
def mix(speech: tuple[np.ndarray, int], noise: np.ndarray) -> Callable[[float], np.ndarray]:
    """``mix(snr_db)`` -> speech plus noise scaled to that global SNR [shape=(T,)]."""
    x, _ = speech

    def make(snr_db: float) -> np.ndarray:
        gain = np.sqrt(np.sum(x.astype(np.float64) ** 2) / np.sum(noise.astype(np.float64) ** 2))
        gain /= 10.0 ** (snr_db / 20.0)
        return (x + gain * noise).astype(np.float32)

    return make
