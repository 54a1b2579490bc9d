"""Shared fixtures: seeded rng, synthetic signals, real speech and noise from ../shared."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

DATA = Path(os.environ.get("VOXCLEAN_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))

SPEECH_FILES = [
    "speech/cmu_arctic_samples",
    "speech/librispeech_mini_train-clean-5/7312",
]
NOISE_FILES = {
    "aircon": "noise/household_timgrau/aircon_2.flac",
    "vacuum": "noise/household_timgrau/vacuuming_2.flac",
    "street": "noise/berlin_noise/1CDCDA78-CA1D-449C-8294-E7C748BCAE99.flac",
    "keyboard": "noise/keyboard_keystrokes_zoom/key_m.flac",
}


def mix_at_snr(clean: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """Scale ``noise`` so that ``clean + noise`` has the given SNR in dB (power over the whole clip)."""
    noise = noise[..., : clean.shape[-1]]
    p_s = np.mean(clean**2)
    p_n = np.mean(noise**2) + 1e-20
    return (clean + noise * np.sqrt(p_s / (p_n * 10 ** (snr_db / 10)))).astype(np.float32)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(seed=440)


def _need_data() -> None:
    if not DATA.is_dir():
        pytest.skip(f"shared data not found at {DATA}")


def _read(path: Path) -> tuple[np.ndarray, int]:
    y, sr = sf.read(path, dtype="float32", always_2d=True)
    return y.T[0], sr


@pytest.fixture(scope="session")
def speech() -> np.ndarray:
    """About 6 s of real read speech at 16 kHz (two utterances of different speakers)."""
    _need_data()
    parts = []
    for folder in SPEECH_FILES:
        f = sorted((DATA / folder).rglob("*.flac"))[0]
        y, sr = _read(f)
        assert sr == 16000
        parts.append(y[: 3 * sr])
    y = np.concatenate(parts)
    return (0.5 * y / np.abs(y).max()).astype(np.float32)


@pytest.fixture(scope="session")
def noises() -> dict[str, np.ndarray]:
    """Real noise recordings at 16 kHz, at least 6 s each (looped if shorter)."""
    _need_data()
    out = {}
    for name, rel in NOISE_FILES.items():
        y, sr = _read(DATA / rel)
        assert sr == 16000
        reps = int(np.ceil(6.5 * sr / len(y)))
        out[name] = np.tile(y, reps)[: int(6.5 * sr)].astype(np.float32)
    return out


@pytest.fixture(scope="session")
def noisy_speech(speech, noises) -> np.ndarray:
    """Real speech + real air-conditioner noise at 5 dB SNR."""
    return mix_at_snr(speech, noises["aircon"], 5.0)
