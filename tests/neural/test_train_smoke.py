"""Training smoke test on real data: a few steps reduce the loss; resuming gives the identical next step."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from voxclean.neural.data import MixConfig, MixtureSampler, TrainCorpus, data_dir  # noqa: E402
from voxclean.neural.losses import LossConfig  # noqa: E402
from voxclean.neural.model import ModelConfig  # noqa: E402
from voxclean.neural.train import TrainConfig, Trainer, load_config  # noqa: E402


@pytest.fixture(scope="module")
def corpus():
    if not (data_dir() / "manifest.csv").is_file():
        pytest.skip(f"shared data not found at {data_dir()}")
    return TrainCorpus.load(max_speech_files=40, seed=1)


def _cfg(**kw) -> TrainConfig:
    base = dict(
        seed=7, batch_size=4, max_steps=1000, lr=3e-3, warmup_steps=1, log_every=1000,
        valid_every=1000, checkpoint_every=1000, valid_examples=4, valid_pesq_examples=1,
        model=ModelConfig(hidden=32, layers=1), mix=MixConfig(segment_s=1.0), loss=LossConfig(multires_ffts=(256, 512)),
    )
    base.update(kw)
    return TrainConfig(**base)


def test_corpus_uses_train_split_only(corpus):
    import csv

    with open(data_dir() / "manifest.csv", newline="") as f:
        dev_speakers = {r["speaker"] for r in csv.DictReader(f) if r["split"] == "dev" and r["kind"] == "speech"}
    speakers = {s.split("/", 1)[1] for part in corpus.speakers.values() for s in part}
    assert not speakers & dev_speakers
    assert corpus.speech["valid"] and corpus.speech["train"]


def test_mixtures_are_deterministic(corpus):
    a = MixtureSampler(corpus, "train", MixConfig(segment_s=1.0), seed=5)
    b = MixtureSampler(corpus, "train", MixConfig(segment_s=1.0), seed=5)
    for i in (0, 17):
        for u, v in zip(a.example(i), b.example(i)):
            assert (u == v).all()
    assert not (a.example(1)[0] == a.example(2)[0]).all()


@pytest.mark.parametrize("lookahead", [0, 1])
def test_few_steps_reduce_loss(corpus, tmp_path, lookahead):
    tr = Trainer(_cfg(model=ModelConfig(hidden=32, layers=1, lookahead=lookahead)), tmp_path, corpus=corpus)
    fixed = tr.batch(0)
    before = tr.evaluate(fixed)
    for _ in range(12):
        tr.train_step()
    assert tr.evaluate(fixed) < before


def test_resume_gives_identical_next_step(corpus, tmp_path):
    a = Trainer(_cfg(), tmp_path / "a", corpus=corpus)
    for _ in range(2):
        a.train_step()
    a.save()
    b = Trainer(_cfg(), tmp_path / "a", corpus=corpus)  # resumes from a/checkpoint.pt
    assert b.step == a.step == 2
    la, lb = a.train_step(), b.train_step()
    assert la == lb
    for pa, pb in zip(a.model.parameters(), b.model.parameters()):
        assert torch.equal(pa, pb)


def test_delay_outputs_shifts_by_lookahead_frames():
    from voxclean.neural.model import delay_outputs

    g = torch.arange(10.0).reshape(1, 5, 2)
    c = torch.arange(20.0).reshape(1, 5, 2, 2)
    same_g, same_c = delay_outputs(g, c, 0)
    assert same_g is g and same_c is c
    dg, dc = delay_outputs(g, c, 2)
    assert dg.shape == g.shape and dc.shape == c.shape
    assert torch.equal(dg[0, :3], g[0, 2:]) and torch.equal(dg[0, 3:], g[0, 4:].expand(2, 2))
    assert torch.equal(dc[0, :3], c[0, 2:])
    with pytest.raises(ValueError):
        delay_outputs(g, None, -1)


def test_recipe_config_loads():
    from pathlib import Path

    recipes = Path(__file__).resolve().parents[2] / "recipes" / "neural"
    cfg = load_config(recipes / "config.toml")
    assert cfg.mix.snr_db == (-5.0, 25.0) and cfg.threads == 1
    for stage in sorted(recipes.glob("stage*.toml")):  # every stage's config is complete and valid
        # stage 20 widened the default to 256 units, stage 21 the 10 ms model; the configs
        # of those runs and of every later one at that width end in "_wide"
        wide = stage.stem.endswith("_wide")
        assert load_config(stage).model.hidden == (256 if wide else 192), stage.name
    assert load_config(recipes / "stage9.toml").model.lookahead == 1


def test_warm_restart_keeps_the_earlier_schedule():
    """A run extended with ``restarts`` takes the earlier run's learning rates up to the restart."""
    import types

    first = types.SimpleNamespace(cfg=TrainConfig(max_steps=1000, warmup_steps=50, lr=1e-3, lr_final=1e-5))
    longer = types.SimpleNamespace(cfg=TrainConfig(max_steps=3000, warmup_steps=50, lr=1e-3, lr_final=1e-5,
                                                   restarts=(1000,), restart_lr=2e-4))
    assert [Trainer.lr_at(first, s) for s in range(1000)] == [Trainer.lr_at(longer, s) for s in range(1000)]
    assert Trainer.lr_at(longer, 1000) < Trainer.lr_at(longer, 999) + 1e-5  # warm-up again from near zero
    assert Trainer.lr_at(longer, 1049) == pytest.approx(2e-4)  # peak of the second cycle
    assert Trainer.lr_at(longer, 2999) == pytest.approx(1e-5, rel=1e-3)  # decays to lr_final at the end
    rates = [Trainer.lr_at(longer, s) for s in range(1050, 3000)]
    assert all(a >= b for a, b in zip(rates, rates[1:], strict=False))


def test_filter_head_grows_on_a_gains_checkpoint(corpus, tmp_path):
    """The recipe's stage 4: a gains-only checkpoint resumes into a model with a deep-filter head.

    Before ``df_start`` the head is frozen, so the steps equal those of the gains-only
    run; from ``df_start`` on it trains and changes the output.
    """
    plain = Trainer(_cfg(), tmp_path / "plain", corpus=corpus)
    plain.train_step()
    plain.save()
    grown_cfg = _cfg(df_start=3, model=ModelConfig(hidden=32, layers=1, df_bins=24))
    import shutil

    shutil.copytree(tmp_path / "plain", tmp_path / "grown")
    grown = Trainer(grown_cfg, tmp_path / "grown", corpus=corpus)
    assert grown.step == 1
    head = [p.detach().clone() for p in grown.model.df_parameters()]
    for _ in range(2):  # steps 1 and 2: the head is frozen
        assert grown.train_step() == plain.train_step()
    assert all(torch.equal(a, b) for a, b in zip(head, grown.model.df_parameters()))
    grown.train_step()  # step 3: the head learns
    assert not torch.equal(head[-1], grown.model.df_parameters()[-1])
    grown.save()
    again = Trainer(grown_cfg, tmp_path / "grown", corpus=corpus)  # and its own checkpoints resume
    assert again.step == 4 and again.train_step() == grown.train_step()


def test_widening_mid_run_equals_resuming_into_the_wider_model(corpus, tmp_path):
    """``widen_step``: the run trains the narrow gains model, then widens it (same function) and goes on.

    An uninterrupted run and one stopped at the widening step and resumed take the
    same steps; before the widening the run equals a plain narrow run.
    """
    staged = _cfg(widen_step=2, widen_from=16, df_start=2, model=ModelConfig(hidden=24, layers=1, df_bins=8))
    narrow = Trainer(_cfg(model=ModelConfig(hidden=16, layers=1)), tmp_path / "narrow", corpus=corpus)
    a = Trainer(staged, tmp_path / "a", corpus=corpus)
    assert a.model.config.hidden == 16 and not a.model.config.df_bins
    for _ in range(2):
        assert a.train_step() == narrow.train_step()
    a.save()
    b = Trainer(staged, tmp_path / "a", corpus=corpus)  # resumes at the widening step: widened on load
    a.run(max_steps=4)  # widens in the loop
    assert a.model.config.hidden == b.model.config.hidden == 24
    with torch.no_grad():  # the widened model computes what the narrow one did
        feats = torch.from_numpy(a.batch(0).features[:1])
        g_narrow, _, _ = narrow.model(feats)
        g_wide, coefs, _ = b.model(feats, None, torch.zeros(1, feats.shape[1], 16))
        torch.testing.assert_close(g_wide, g_narrow, atol=1e-6, rtol=0)
        assert coefs is not None and coefs.abs().max() == 0
    for _ in range(2):
        b.train_step()
    assert b.step == a.step == 4
    for pa, pb in zip(a.model.parameters(), b.model.parameters()):
        assert torch.equal(pa, pb)


def test_saved_start_of_a_widened_run_is_the_run_s_own_start(corpus, tmp_path):
    """``save(weights_only=True)`` after loading a narrower checkpoint keeps the widened start: weights only,
    the narrow model's function, and the new units the run itself starts with."""
    narrow = Trainer(_cfg(model=ModelConfig(hidden=16, layers=1)), tmp_path / "narrow", corpus=corpus)
    narrow.train_step()
    (tmp_path / "wide").mkdir()
    narrow.save(tmp_path / "wide" / "checkpoint.pt")
    wide_cfg = _cfg(model=ModelConfig(hidden=24, layers=1))
    start = Trainer(wide_cfg, tmp_path / "wide", corpus=corpus)
    saved = torch.load(start.save(tmp_path / "start.pt", weights_only=True), weights_only=False)
    assert "opt" not in saved and saved["step"] == 1
    assert saved["model"]["encoder.weight"].shape[0] == 24
    again = Trainer(wide_cfg, tmp_path / "wide", corpus=corpus)  # the run, built again from the same files
    for name, w in again.model.state_dict().items():
        assert torch.equal(saved["model"][name], w), name
    with torch.no_grad():
        feats = torch.from_numpy(narrow.batch(0).features[:1])
        torch.testing.assert_close(again.model(feats)[0], narrow.model(feats)[0], atol=1e-6, rtol=0)


def test_weights_only_checkpoint_resumes_with_a_fresh_optimizer(corpus, tmp_path):
    """Committed checkpoints carry no optimizer state; they resume the weights and step."""
    a = Trainer(_cfg(), tmp_path / "a", corpus=corpus)
    a.train_step()
    ck = a.state_dict()
    del ck["opt"]
    (tmp_path / "b").mkdir()
    torch.save(ck, tmp_path / "b" / "checkpoint.pt")
    b = Trainer(_cfg(), tmp_path / "b", corpus=corpus)
    assert b.step == 1 and not b.opt.state
    for pa, pb in zip(a.model.parameters(), b.model.parameters()):
        assert torch.equal(pa, pb)
    b.train_step()


def test_checkpoint_without_the_noise_floor_block_resumes_into_a_model_with_it(corpus, tmp_path):
    """A trained checkpoint loads into a model that also reads the noise-floor block.

    The new encoder columns start at zero, so the first evaluation equals the old
    model's; the block's features are non-trivial and its columns learn from the next step.
    Its own checkpoints then resume as usual.
    """
    plain = Trainer(_cfg(), tmp_path / "plain", corpus=corpus)
    plain.train_step()
    plain.save()
    import shutil

    shutil.copytree(tmp_path / "plain", tmp_path / "floor")
    floor_cfg = _cfg(model=ModelConfig(hidden=32, layers=1, noise_floor=True))
    floor = Trainer(floor_cfg, tmp_path / "floor", corpus=corpus)
    assert floor.step == 1 and not floor.opt.state
    batch = floor.batch(5)
    assert batch.floor_features.shape[:2] == batch.features.shape[:2] and batch.floor_features.std() > 0.1
    assert floor.evaluate(batch) == pytest.approx(plain.evaluate(batch), rel=1e-5)
    new_cols = floor.model.encoder.weight[:, 322:]
    assert torch.equal(new_cols, torch.zeros_like(new_cols))
    floor.train_step()
    assert floor.model.encoder.weight[:, 322:].abs().max() > 0
    floor.save()
    again = Trainer(floor_cfg, tmp_path / "floor", corpus=corpus)
    assert again.step == 2 and again.train_step() == floor.train_step()


def _assert_changes_from(staged: Trainer, before: Trainer, start: int) -> None:
    """``staged`` takes ``before``'s batches up to ``start``, others from ``start`` on; validation stays the same."""
    for step in range(start):
        assert (staged.batch(step).noisy == before.batch(step).noisy).all()
    assert not (staged.batch(start).noisy == before.batch(start).noisy).all()
    assert (staged.valid_sampler.example(0)[0] == before.valid_sampler.example(0)[0]).all()


def test_augmentation_starts_at_augment_start(corpus, tmp_path):
    """Steps before ``augment_start`` get the plain mixtures, so earlier stages stay bit-exact."""
    mix = MixConfig(segment_s=1.0, speech_eq_prob=1.0, synth_noise_prob=1.0, noise_eq_prob=1.0)
    plain = Trainer(_cfg(mix=mix.without_augmentation()), tmp_path / "plain", corpus=corpus)
    staged = Trainer(_cfg(mix=mix, augment_start=2), tmp_path / "staged", corpus=corpus)
    _assert_changes_from(staged, plain, 2)


def test_recorded_typing_starts_at_keystroke_start(corpus, tmp_path):
    """Steps before ``keystroke_start`` get stage 4-5's mixtures; validation never has typing."""
    from dataclasses import replace

    rng = np.random.default_rng(0)
    strokes = [(rng.standard_normal(480) * np.exp(-np.arange(480) / 60.0)).astype(np.float32) for _ in range(3)]
    typed = replace(corpus, keyboards=[strokes])
    mix = MixConfig(segment_s=1.0, synth_noise_prob=0.5, keystroke_prob=1.0)
    before = Trainer(_cfg(mix=mix.without_keystrokes(), augment_start=1), tmp_path / "before", corpus=typed)
    staged = Trainer(_cfg(mix=mix, augment_start=1, keystroke_start=3), tmp_path / "staged", corpus=typed)
    _assert_changes_from(staged, before, 3)


def test_keystroke_dir_is_read_only_when_typing_is_on(tmp_path):
    """A config naming a missing stroke folder fails at start, with where to get it; off, it is ignored."""
    cfg = _cfg(mix=MixConfig(segment_s=1.0, keystroke_prob=0.1), keystroke_dir=str(tmp_path / "missing"),
               max_speech_files=4)
    with pytest.raises(FileNotFoundError, match="kbsim"):
        Trainer(cfg, tmp_path / "run")


def test_batches_built_by_workers_equal_the_loop(corpus, tmp_path):
    """``workers > 0`` builds the same batches ahead (batch k depends on k only): same steps, same weights."""
    a = Trainer(_cfg(), tmp_path / "a", corpus=corpus)
    b = Trainer(_cfg(), tmp_path / "b", corpus=corpus, workers=2)
    a.run(max_steps=3)
    b.run(max_steps=3)
    assert a.step == b.step == 3
    for pa, pb in zip(a.model.parameters(), b.model.parameters()):
        assert torch.equal(pa, pb)


def test_fit_to_minutes_sets_max_steps_from_the_measured_rate(corpus, tmp_path):
    tr = Trainer(_cfg(), tmp_path, corpus=corpus)
    end = tr.fit_to_minutes(0.0, probe_steps=4)  # no time left after the probe: end right there
    assert tr.step == 0 and end == 0 and tr.cfg.max_steps == 0  # the probe's steps are undone
    tr.run()
    assert tr.step == 0


def test_time_fitted_run_equals_the_run_with_its_logged_max_steps(corpus, tmp_path):
    """The probe runs under the old ``max_steps`` (here a schedule already ended, as when a
    config inherits its base's); undoing it makes the run the one its logged ``max_steps`` gives."""
    cfg = _cfg(max_steps=2, restarts=(2,), warmup_steps=3, restart_lr=1e-3)
    a = Trainer(cfg, tmp_path / "a", corpus=corpus)
    a.run()  # steps 0-1; a new cycle is to start at step 2
    a.save()
    b = Trainer(cfg, tmp_path / "a", corpus=corpus)
    end = b.fit_to_minutes(10.0 / 60.0, probe_steps=2)
    assert b.step == 2 and end > 2
    c = Trainer(replace(cfg, max_steps=end), tmp_path / "a", corpus=corpus)
    assert b.lr_at(2) == c.lr_at(2) != a.lr_at(2)
    for tr in (b, c):
        tr.run(max_steps=5)
    assert b.step == c.step == 5
    for pb, pc in zip(b.model.parameters(), c.model.parameters()):
        assert torch.equal(pb, pc)


def test_corpus_pack_round_trip(corpus, tmp_path):
    """A pack keeps every utterance (capped), speaker, noise, RIR and stroke; Opus keeps the waveform close."""
    small = TrainCorpus(
        {k: v[:6] for k, v in corpus.speech.items()},
        {k: v[:6] for k, v in corpus.speakers.items()},
        {k: v[:3] for k, v in corpus.noise.items()},
        corpus.rirs[:2],
        dict(corpus.summary),
        [[np.ones(50, np.float32)]],
        [corpus.noise["train"][0][:16000]],
    )
    info = small.save_pack(tmp_path / "c.pkl", max_utterance_s=2.0)
    assert info["bytes"] > 0
    back = TrainCorpus.load_pack(tmp_path / "c.pkl", workers=2)
    assert back.speakers == small.speakers
    assert [len(u) for u in back.speech["train"]] == [min(len(u), 32000) for u in small.speech["train"]]
    assert [len(u) for u in back.noise["valid"]] == [len(u) for u in small.noise["valid"]]
    for u, v in zip(small.speech["train"], back.speech["train"]):
        ref = u[:32000].astype(np.float64)
        err = v.astype(np.float64) - ref
        assert 10 * np.log10(np.sum(ref**2) / np.sum(err**2)) > 10  # lossy, but the same signal, not shifted
    assert all(b.dtype == np.float32 and np.allclose(a, b, atol=1e-3) for a, b in zip(back.rirs, small.rirs))
    assert back.keyboards[0][0].shape == (50,)
    assert [len(u) for u in back.extra_noise] == [16000] and back.extra_noise[0].dtype == np.int16
    assert back.summary["pack"]["max_utterance_s"] == 2.0
    MixtureSampler(back, "train", MixConfig(segment_s=1.0), seed=3).batch(range(2))  # usable for training


def test_extra_noise_starts_at_extra_noise_start(corpus, tmp_path):
    """Steps before ``extra_noise_start`` are unchanged; later ones draw the extra recordings; validation never."""
    from dataclasses import replace

    rng = np.random.default_rng(1)
    hum = np.round(8000 * np.sin(2 * np.pi * 50 * np.arange(32000) / 16000) + 300 * rng.standard_normal(32000))
    extra = replace(corpus, extra_noise=[hum.astype(np.int16)])
    mix = MixConfig(segment_s=1.0, babble_prob=0.0, second_noise_prob=0.0, extra_noise_prob=1.0)
    before = Trainer(_cfg(mix=mix.without_extra_noise()), tmp_path / "before", corpus=extra)
    staged = Trainer(_cfg(mix=mix, extra_noise_start=2), tmp_path / "staged", corpus=extra)
    _assert_changes_from(staged, before, 2)
    # every example from step 2 on has the extra noise: the 50 Hz line dominates the noise spectrum
    noisy, clean = staged.sampler.example(2 * 4)
    spec = np.abs(np.fft.rfft((noisy - clean).astype(np.float64)))
    assert np.argmax(spec[1:]) + 1 == 50  # 1 s segment: bin k = k Hz
    with pytest.raises(ValueError, match="extra noise"):
        MixtureSampler(corpus, "train", mix, seed=0).example(0)


def test_extra_noise_dir_is_read(tmp_path):
    import soundfile as sf

    from voxclean.neural.data import load_extra_noise

    (tmp_path / "a" / "b").mkdir(parents=True)
    sf.write(tmp_path / "a" / "b" / "fan.wav", np.full((4410, 2), 0.1, np.float32) * np.sin(np.arange(4410))[:, None], 44100)
    sf.write(tmp_path / "a" / "silent.flac", np.zeros(1600, np.float32), 16000)  # all zeros: skipped
    got = load_extra_noise(tmp_path)
    assert len(got) == 1 and got[0].dtype == np.float32 and abs(len(got[0]) - 1600) <= 1
    with pytest.raises(FileNotFoundError):
        load_extra_noise(tmp_path / "missing")


def test_config_base_variant(tmp_path):
    """A config with ``base`` is its base with the variant's keys replaced, table by table."""
    recipes = Path(__file__).resolve().parents[2] / "recipes" / "neural"
    (tmp_path / "base.toml").write_text(
        (recipes / "stage15.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "variant.toml").write_text(
        'base = "base.toml"\n[train]\nmax_steps = 123\n[mix]\nclean_targets = true\n', encoding="utf-8"
    )
    base, variant = load_config(tmp_path / "base.toml"), load_config(tmp_path / "variant.toml")
    assert variant.max_steps == 123 and variant.mix.clean_targets and not base.mix.clean_targets
    assert variant.seed == base.seed and variant.restarts == base.restarts
    assert variant.model == base.model and variant.loss == base.loss
    assert variant.mix.snr_db == base.mix.snr_db
    (tmp_path / "a.toml").write_text('base = "b.toml"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('base = "a.toml"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="cycle"):
        load_config(tmp_path / "a.toml")


def test_config_restarts_append(tmp_path):
    """``restarts_append`` extends the base's ``restarts`` through a chain; misuse is an error."""
    (tmp_path / "base.toml").write_text("[train]\nrestarts = [10, 20]\nmax_steps = 40\n", encoding="utf-8")
    (tmp_path / "next.toml").write_text('base = "base.toml"\n[train]\nrestarts_append = [40]\nmax_steps = 60\n', encoding="utf-8")
    (tmp_path / "seed.toml").write_text('base = "next.toml"\n[train]\nseed = 7\n', encoding="utf-8")
    (tmp_path / "after.toml").write_text('base = "next.toml"\n[train]\nrestarts_append = [60]\n', encoding="utf-8")
    assert load_config(tmp_path / "next.toml").restarts == (10, 20, 40)
    assert load_config(tmp_path / "seed.toml").restarts == (10, 20, 40)
    assert load_config(tmp_path / "after.toml").restarts == (10, 20, 40, 60)
    (tmp_path / "nobase.toml").write_text("[train]\nrestarts_append = [5]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no base"):
        load_config(tmp_path / "nobase.toml")
    (tmp_path / "both.toml").write_text('base = "base.toml"\n[train]\nrestarts = [1]\nrestarts_append = [5]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="also sets restarts"):
        load_config(tmp_path / "both.toml")
