"""Real speech recordings from the shared data folder (skipped when it is absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voxclean.errors import AudioFileError
from voxclean.io import BlockWriter, info, load, read_blocks, save


def _first(root: Path, pattern: str) -> Path:
    found = sorted(root.glob(pattern))
    if not found:
        pytest.skip(f"no file matching {pattern} under {root}")
    return found[0]


@pytest.fixture
def arctic_flac(shared_data) -> Path:
    return _first(shared_data / "speech" / "cmu_arctic_samples", "*.flac")


@pytest.fixture
def libri_opus(shared_data) -> Path:
    return _first(shared_data / "speech" / "librispeech_mini_train-clean-5", "**/*.opus")


def test_flac_speech_load_info_and_roundtrip(arctic_flac, tmp_path):
    meta = info(arctic_flac)
    y, sr = load(arctic_flac)
    assert sr == meta.sample_rate and y.shape == (meta.channels, meta.frames)
    assert meta.format == "FLAC" and y.dtype == np.float32
    assert 0.01 < np.abs(y).max() <= 1.0 and np.sqrt(np.mean(y**2)) > 1e-3
    save(tmp_path / "copy.wav", y, sr, like=meta)
    assert info(tmp_path / "copy.wav").subtype == meta.subtype
    back, _ = load(tmp_path / "copy.wav")
    np.testing.assert_array_equal(back, y)  # same bit depth: lossless


def test_flac_speech_resampled(arctic_flac):
    y, sr = load(arctic_flac)
    y8, sr8 = load(arctic_flac, sr=8000, mono=True)
    assert sr8 == 8000 and y8.shape[0] == 1
    assert abs(y8.shape[1] - y.shape[1] * 8000 / sr) <= 1
    # Speech energy is mostly below 4 kHz: the level barely changes.
    rms, rms8 = np.sqrt(np.mean(y.mean(0) ** 2)), np.sqrt(np.mean(y8**2))
    assert 0.8 < rms8 / rms < 1.05


def test_opus_speech_load_and_blocks(libri_opus):
    meta = info(libri_opus)
    assert meta.subtype == "OPUS"
    y, sr = load(libri_opus)
    assert sr == meta.sample_rate and y.shape[0] == meta.channels
    assert abs(y.shape[1] - meta.frames) <= meta.sample_rate // 10
    assert np.abs(y).max() > 0.01
    blocks = list(read_blocks(libri_opus, block_frames=8192))
    np.testing.assert_array_equal(np.concatenate(blocks, axis=1), y)
    part, _ = load(libri_opus, offset_s=1.0, duration_s=2.0)
    # Opus seeking restarts the decoder with pre-roll: tiny differences only.
    assert part.shape == (y.shape[0], 2 * sr)
    np.testing.assert_allclose(part, y[:, sr : 3 * sr], atol=2e-3)


def test_speech_block_copy_with_resampling(libri_opus, tmp_path):
    y48, _ = load(libri_opus, sr=48000)
    with BlockWriter(tmp_path / "up.flac", 48000, 1, subtype="PCM_24") as w:
        for block in read_blocks(libri_opus, block_frames=4800, sr=48000, mono=True):
            w.write(block)
    out, sr = load(tmp_path / "up.flac")
    assert sr == 48000 and abs(out.shape[1] - y48.shape[1]) <= 2
    n = min(out.shape[1], y48.shape[1])
    np.testing.assert_allclose(out[:, :n], y48[:, :n], atol=2e-4)


def test_truncated_real_wav(arctic_flac, tmp_path):
    y, sr = load(arctic_flac)
    full = tmp_path / "speech.wav"
    save(full, y, sr)
    cut = tmp_path / "half.wav"
    data = full.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    try:
        part, sr2 = load(cut)
    except AudioFileError:
        return
    assert sr2 == sr and 0 < part.shape[1] < y.shape[1]
    np.testing.assert_allclose(part, y[:, : part.shape[1]], atol=1.0 / 2**15)
