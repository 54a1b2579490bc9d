"""Training augmentations: synthetic noise, recorded typing and random equalisers (numpy only)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
import soundfile as sf

from voxclean.neural.augment import (
    SYNTH_KINDS,
    apply_eq,
    keystroke_noise,
    random_eq,
    synthetic_noise,
)
from voxclean.neural.data import (
    MixConfig,
    MixtureSampler,
    TrainCorpus,
    data_dir,
    load_keystrokes,
)

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


def _stroke(rng: np.random.Generator, sr: int) -> np.ndarray:
    """A stand-in for a recorded key stroke: 30 ms of decaying noise."""
    m = int(0.03 * sr)
    return 0.3 * rng.standard_normal(m) * np.exp(-np.arange(m) / (0.004 * sr))


@pytest.fixture(scope="module")
def stroke_dir(tmp_path_factory):
    """Two keyboards in the layout of kbsim (``<board>/press|release/<key>``), at 44.1 kHz, one stereo."""
    root = tmp_path_factory.mktemp("strokes")
    rng = np.random.default_rng(0)
    for board, n in (("beta", 2), ("alpha", 3)):
        for i in range(n):
            kind = "press" if i % 2 == 0 else "release"
            (root / board / kind).mkdir(parents=True, exist_ok=True)
            y = _stroke(rng, 44100)
            sf.write(root / board / kind / f"K{i}.wav", np.stack([y, 0.5 * y], 1) if i == 0 else y, 44100)
    (root / "alpha" / "README.txt").write_text("not audio")
    return root


def test_load_keystrokes_groups_by_keyboard_and_resamples(stroke_dir):
    boards = load_keystrokes(stroke_dir)
    assert [len(b) for b in boards] == [3, 2]  # alpha, beta (sorted); the text file is skipped
    for s in (s for b in boards for s in b):
        assert s.dtype == np.float32 and s.ndim == 1
        assert abs(len(s) - int(0.03 * SR)) <= 2  # 30 ms at 16 kHz
        assert np.abs(s).max() == pytest.approx(1.0, abs=1e-6)


def test_load_keystrokes_missing_folder_says_where_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="kbsim"):
        load_keystrokes(tmp_path / "nowhere")
    (tmp_path / "empty" / "board").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="no key strokes"):
        load_keystrokes(tmp_path / "empty")


def test_keystroke_noise_is_seeded_unit_rms_and_impulsive(stroke_dir):
    strokes = load_keystrokes(stroke_dir)[0]
    rir = np.exp(-np.arange(4000) / 800.0) * np.random.default_rng(1).standard_normal(4000)
    rng = np.random.default_rng(3)
    for _ in range(10):
        state = rng.bit_generator.state
        y = keystroke_noise(rng, 48000, SR, strokes, [rir.astype(np.float32)])
        rng2 = np.random.default_rng()
        rng2.bit_generator.state = state
        assert (y == keystroke_noise(rng2, 48000, SR, strokes, [rir.astype(np.float32)])).all()
        assert y.shape == (48000,) and y.dtype == np.float32 and np.isfinite(y).all()
        assert np.sqrt(np.mean(y.astype(np.float64) ** 2)) == pytest.approx(1.0, rel=1e-3)
        frames = np.sqrt(np.mean(y[: 48000 // 160 * 160].reshape(-1, 160).astype(np.float64) ** 2, axis=1))
        assert np.median(frames) < 0.5 * frames.max()  # strokes stand out of the floor between them
    with pytest.raises(ValueError, match="stroke"):
        keystroke_noise(rng, 100, SR, [])


def test_keystroke_rate_follows_a_typist(stroke_dir):
    """Without room or floor masking, onsets come at 3-10 per s (fewer with pauses)."""
    strokes = [np.concatenate([[1.0], np.zeros(15)]).astype(np.float32)]  # a one-sample click
    counts = []
    for seed in range(20):
        y = keystroke_noise(np.random.default_rng(seed), 10 * SR, SR, strokes)
        hot = np.abs(y) > 0.2 * np.abs(y).max()
        onsets = np.flatnonzero(hot[1:] & ~hot[:-1])
        counts.append(len(onsets) / 10.0)
    assert 1.0 < np.median(counts) < 20.0  # presses and quieter releases, per s


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


def test_keystrokes_off_draws_nothing_and_on_needs_strokes(corpus, stroke_dir):
    base = MixtureSampler(corpus, "train", MixConfig(segment_s=1.0, synth_noise_prob=0.5), seed=5)
    off = MixtureSampler(corpus, "train", MixConfig(segment_s=1.0, synth_noise_prob=0.5, keystroke_prob=0.0), seed=5)
    for i in range(4):
        assert (base.example(i)[0] == off.example(i)[0]).all()
    on = MixtureSampler(corpus, "train", MixConfig(segment_s=1.0, keystroke_prob=1.0), seed=5)
    with pytest.raises(ValueError, match="key strokes"):
        on.example(0)
    from dataclasses import replace

    typed = replace(corpus, keyboards=load_keystrokes(stroke_dir))
    on = MixtureSampler(typed, "train", MixConfig(segment_s=1.0, keystroke_prob=1.0), seed=5)
    plain = MixtureSampler(typed, "train", MixConfig(segment_s=1.0), seed=5)
    for i in range(4):
        noisy, target = on.example(i)
        assert np.isfinite(noisy).all() and not (noisy == plain.example(i)[0]).all()
        assert np.isfinite(target).all() and np.abs(target).max() > 0
