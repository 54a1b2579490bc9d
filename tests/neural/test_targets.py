"""Training targets with a lowered recording floor (voxclean.neural.targets, [mix] clean_targets)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from voxclean.metrics import speech_level_change
from voxclean.metrics.pauses import _frame_powers as _powers
from voxclean.neural.data import (
    MixConfig,
    MixtureSampler,
    TrainCorpus,
    _to_int16,
    data_dir,
)
from voxclean.neural.targets import reduce_noise_floor

SR = 16000


def _frame_powers(x: np.ndarray) -> np.ndarray:
    return _powers(x.astype(np.float64), 320)  # 20 ms frames


def active_level_change_db(before: np.ndarray, after: np.ndarray) -> float:
    """The level change the guard of reduce_noise_floor measures."""
    return speech_level_change(before, after, active_db=-20.0)


def _with_floor(speech: np.ndarray, noise: np.ndarray, level_db: float) -> np.ndarray:
    """``speech`` plus ``noise`` at ``level_db`` below its active level (frames within 20 dB of the loudest)."""
    p = _frame_powers(speech)
    active = p[p > p.max() * 1e-2].mean()
    n = noise[: len(speech)]
    return (speech + n * np.sqrt(active * 10 ** (level_db / 10) / np.mean(n.astype(np.float64) ** 2))).astype(np.float32)


def test_floor_goes_down_in_pauses_and_speech_keeps_its_level(speech, noises):
    x = _with_floor(speech, noises["aircon"], -35.0)
    y, changed = reduce_noise_floor(x)
    assert changed and y.dtype == np.float32 and y.shape == x.shape
    pauses = _frame_powers(speech) < _frame_powers(speech).max() * 1e-4  # the speech's own pauses
    assert pauses.mean() > 0.1
    px, py = _frame_powers(x), _frame_powers(y)
    # the estimator's floor allows about 17 dB; ask for a third of it
    assert 10 * np.log10(py[pauses].mean() / px[pauses].mean()) < -6.0
    assert abs(active_level_change_db(x, y)) < 0.5
    # time-aligned: the output correlates best with the input at lag 0
    lags = [int(np.dot(y[SR + k : -SR + k], x[SR:-SR])) for k in (-1, 0, 1)]
    assert np.argmax(lags) == 1


def test_an_utterance_starting_with_speech_is_not_damaged(speech, noises):
    x = _with_floor(speech, noises["aircon"], -35.0)
    x = x[int(np.argmax(np.abs(speech) > 0.05)) :]  # no pause before the first word
    y, changed = reduce_noise_floor(x)
    assert changed
    assert abs(active_level_change_db(x, y)) < 0.5


def test_short_or_damaging_cases_return_the_input(speech):
    short = speech[: SR // 2]
    y, changed = reduce_noise_floor(short)
    assert not changed and y is short
    # a limit no processing can meet returns the input unchanged
    y, changed = reduce_noise_floor(speech, max_level_change_db=-1.0)
    assert not changed and y is speech


@pytest.fixture(scope="module")
def corpus():
    if not (data_dir() / "manifest.csv").is_file():
        pytest.skip(f"shared data not found at {data_dir()}")
    return TrainCorpus.load(max_speech_files=20, seed=2, clean_targets=True)


def test_clean_targets_keep_the_mixture_and_change_only_the_target(corpus):
    assert len(corpus.targets["train"]) == len(corpus.speech["train"])
    assert corpus.summary["clean_targets"]["changed"] > 0
    cfg = MixConfig(segment_s=2.0, speech_eq_prob=0.5)
    raw = MixtureSampler(corpus, "train", cfg, seed=3)
    clean = MixtureSampler(corpus, "train", replace(cfg, clean_targets=True), seed=3)
    differ = 0
    for i in range(8):
        (n1, t1), (n2, t2) = raw.example(i), clean.example(i)
        assert np.array_equal(n1, n2)
        assert np.all(np.isfinite(t2))
        if not np.array_equal(t1, t2):
            differ += 1
            # the same speech, with its floor lowered: the difference is far below the target
            assert np.sum((t1 - t2) ** 2) < 0.1 * np.sum(t1.astype(np.float64) ** 2)
    assert differ > 0
    # validation keeps the recordings as they are
    v_raw = MixtureSampler(corpus, "valid", cfg, seed=4).example(0)
    v_clean = MixtureSampler(corpus, "valid", replace(cfg, clean_targets=True), seed=4).example(0)
    assert all(np.array_equal(a, b) for a, b in zip(v_raw, v_clean))


def test_clean_targets_need_a_corpus_that_has_them():
    if not (data_dir() / "manifest.csv").is_file():
        pytest.skip(f"shared data not found at {data_dir()}")
    plain = TrainCorpus.load(max_speech_files=6, seed=2)
    with pytest.raises(ValueError, match="clean_targets"):
        MixtureSampler(plain, "train", MixConfig(clean_targets=True))


def test_trainer_switches_targets_at_clean_target_start(corpus, tmp_path):
    pytest.importorskip("torch")
    from voxclean.neural.model import ModelConfig
    from voxclean.neural.train import TrainConfig, Trainer

    mix = MixConfig(segment_s=1.0, clean_targets=True)
    base = {"seed": 9, "batch_size": 4, "max_steps": 20, "model": ModelConfig(hidden=16, layers=1)}
    tr = Trainer(TrainConfig(clean_target_start=5, mix=mix, **base), tmp_path / "a", corpus=corpus)
    ref = Trainer(TrainConfig(mix=replace(mix, clean_targets=False), **base), tmp_path / "b", corpus=corpus)
    before, before_ref = tr.batch(4), ref.batch(4)
    assert np.array_equal(before.clean, before_ref.clean) and np.array_equal(before.noisy, before_ref.noisy)
    after, after_ref = tr.batch(5), ref.batch(5)
    assert np.array_equal(after.noisy, after_ref.noisy)
    assert not np.array_equal(after.clean, after_ref.clean)


def test_pack_makes_the_same_targets_from_its_decoded_speech(corpus, tmp_path):
    """``load_pack(clean_targets=True)`` lowers the floor of the decoded speech as ``load`` does, on any workers."""
    small = TrainCorpus(
        {k: v[:4] for k, v in corpus.speech.items()},
        {k: v[:4] for k, v in corpus.speakers.items()},
        {k: v[:2] for k, v in corpus.noise.items()},
        corpus.rirs[:1],
        dict(corpus.summary),
    )
    small.save_pack(tmp_path / "c.pkl", max_utterance_s=3.0)
    plain = TrainCorpus.load_pack(tmp_path / "c.pkl")
    assert plain.targets == {}
    one = TrainCorpus.load_pack(tmp_path / "c.pkl", clean_targets=True)
    two = TrainCorpus.load_pack(tmp_path / "c.pkl", workers=2, clean_targets=True)
    # each decoded utterance through reduce_noise_floor, as TrainCorpus.load does with the originals
    lowered = [reduce_noise_floor(u.astype(np.float32) / 32768.0) for u in plain.speech["train"]]
    expected = [
        _to_int16(y) if changed else u
        for (y, changed), u in zip(lowered, plain.speech["train"])
    ]
    changed = sum(c for _, c in lowered)
    assert changed > 0 and one.summary["clean_targets"]["changed"] == two.summary["clean_targets"]["changed"] == changed
    for got in (one.targets["train"], two.targets["train"]):
        assert len(got) == len(expected) and all(np.array_equal(a, b) for a, b in zip(got, expected))
    MixtureSampler(two, "train", MixConfig(segment_s=1.0, clean_targets=True), seed=3).batch(range(2))
