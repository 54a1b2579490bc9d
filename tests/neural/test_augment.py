"""Training augmentations: synthetic noise and random equalisers (numpy only)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from voxclean.neural.augment import SYNTH_KINDS, apply_eq, random_eq, synthetic_noise
from voxclean.neural.data import MixConfig, MixtureSampler, TrainCorpus, data_dir

SR = 16000


@pytest.mark.parametrize("kind", SYNTH_KINDS)
def test_synthetic_noise_is_finite_unit_rms_and_seeded(kind):
    a = synthetic_noise(np.random.default_rng(3), 24000, SR, kind)
    b = synthetic_noise(np.random.default_rng(3), 24000, SR, kind)
    assert a.shape == (24000,) and a.dtype == np.float32
    assert np.isfinite(a).all()
    assert np.sqrt(np.mean(a.astype(np.float64) ** 2)) == pytest.approx(1.0, rel=1e-3)
    assert (a == b).all()


def test_clicks_are_impulsive_and_colored_noise_is_not():
    """Crest factor (peak / RMS) over 10 draws: bursts far above Gaussian noise's ~4.5."""
    rng = np.random.default_rng(0)
    crest = {k: [float(np.abs(y).max()) for y in (synthetic_noise(rng, 32000, SR, k) for _ in range(10))]
             for k in ("clicks", "colored")}
    assert min(crest["clicks"]) > 8.0
    assert max(crest["colored"]) < 7.0


def test_hum_is_harmonic():
    """Most of a hum's energy lies in a few narrow spectral lines."""
    rng = np.random.default_rng(1)
    for _ in range(5):
        y = synthetic_noise(rng, 32000, SR, "hum")
        p = np.sort(np.abs(np.fft.rfft(y)) ** 2)[::-1]
        assert p[: len(p) // 100].sum() > 0.3 * p.sum()  # top 1 % of 2 Hz bins


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind"):
        synthetic_noise(np.random.default_rng(0), 100, SR, "thunder")


def test_random_eq_is_stable_and_bounded():
    rng = np.random.default_rng(2)
    for _ in range(100):
        sos = random_eq(rng, SR, max_gain_db=12.0, bands=(1, 3))
        assert 1 <= len(sos) <= 3
        assert (np.abs(np.roots(sos[0, 3:])) < 1).all()
        _, h = scipy.signal.sosfreqz(sos, 512, fs=SR)
        db = 20 * np.log10(np.abs(h))
        assert db.max() <= 3 * 12.0 + 1e-6 and db.min() >= -3 * 12.0 - 1e-6
    x = np.random.default_rng(0).standard_normal(SR).astype(np.float32)
    assert np.isfinite(apply_eq(sos, x)).all()


@pytest.fixture(scope="module")
def corpus():
    if not (data_dir() / "manifest.csv").is_file():
        pytest.skip(f"shared data not found at {data_dir()}")
    return TrainCorpus.load(max_speech_files=20, seed=1)


def test_augmentation_off_draws_nothing(corpus):
    """Probabilities 0 give exactly the examples of the config without the fields."""
    base = MixtureSampler(corpus, "train", MixConfig(segment_s=1.0), seed=5)
    off = MixtureSampler(corpus, "train", MixConfig(segment_s=1.0, speech_eq_prob=0.0, synth_noise_prob=0.0,
                                                     noise_eq_prob=0.0), seed=5)
    for i in range(6):
        for u, v in zip(base.example(i), off.example(i)):
            assert (u == v).all()


def test_augmented_examples_differ_and_stay_finite(corpus):
    cfg = MixConfig(segment_s=1.0, speech_eq_prob=1.0, synth_noise_prob=1.0, noise_eq_prob=1.0)
    aug = MixtureSampler(corpus, "train", cfg, seed=5)
    base = MixtureSampler(corpus, "train", cfg.without_augmentation(), seed=5)
    for i in range(6):
        noisy, target = aug.example(i)
        assert np.isfinite(noisy).all() and np.isfinite(target).all()
        assert np.abs(noisy).max() > 0
        assert not (noisy == base.example(i)[0]).all()
