"""Training loop of the neural denoiser (PyTorch; never imported by the library at run time).

Usage (from the repository root)::

    python -m voxclean.neural.train recipes/neural/config.toml [--out DIR] [--max-steps N]

The run is fully determined by the config: batch ``k`` is built from examples
``k * batch_size ... (k + 1) * batch_size - 1`` of a seeded
:class:`~voxclean.neural.data.MixtureSampler`, so a run resumed from a checkpoint
takes exactly the steps the uninterrupted run would have taken. Checkpoints
(``checkpoint.pt``, written atomically every ``checkpoint_every`` steps) hold the
model, optimizer and step; ``log.jsonl`` gets one line per logged step and per
validation (SI-SDR and PESQ-WB on a fixed held-out part of the train split).
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import sys
import time
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import numpy as np
import torch

from .data import Batch, MixConfig, MixtureSampler, TrainCorpus
from .features import df_features
from .losses import LossConfig, istft, si_sdr, total_loss
from .model import GruMask, ModelConfig, add_input_columns, apply_filter, delay_outputs, widen_state_dict

__all__ = ["TrainConfig", "Trainer", "load_config", "main"]


@dataclass(frozen=True)
class TrainConfig:
    """Everything a run depends on (the ``[train]``, ``[model]``, ``[mix]`` and ``[loss]`` TOML tables)."""

    seed: int = 0
    batch_size: int = 16
    max_steps: int = 20000
    lr: float = 1e-3
    lr_final: float = 5e-5
    warmup_steps: int = 200
    restarts: tuple[int, ...] = ()
    restart_lr: float = 3e-4
    df_start: int = 0
    widen_step: int = 0
    widen_from: int = 0
    augment_start: int = 0
    keystroke_start: int = 0
    keystroke_dir: str | None = None
    extra_noise_start: int = 0
    extra_noise_dir: str | None = None
    clean_target_start: int = 0
    weight_decay: float = 1e-4
    grad_clip: float = 1.0
    threads: int = 1
    log_every: int = 25
    valid_every: int = 500
    valid_examples: int = 48
    valid_pesq_examples: int = 12
    checkpoint_every: int = 100
    max_speech_files: int | None = None
    model: ModelConfig = field(default_factory=ModelConfig)
    mix: MixConfig = field(default_factory=MixConfig)
    loss: LossConfig = field(default_factory=LossConfig)


def _build(cls, table: dict):
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ValueError(f"unknown keys {unknown} for {cls.__name__}")
    kw = {k: tuple(v) if isinstance(v, list) else v for k, v in table.items()}
    return cls(**kw)


def _read_tables(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    """The tables of a TOML config, with those of its ``base`` file (if any) underneath.

    A top-level ``base = "other.toml"`` (relative to this file) makes this file a variant:
    each of its keys replaces the base's key of the same table, every other key is the
    base's. Bases may chain; a cycle is an error. One key extends instead of replacing:
    ``[train] restarts_append = [...]`` is the base's ``restarts`` with these steps after
    them (a new stage's cycle, without repeating every earlier one); it needs a ``base``
    and cannot stand beside ``restarts`` in the same file.
    """
    path = path.resolve()
    if path in seen:
        raise ValueError(f"config base cycle: {' -> '.join(str(p) for p in (*seen, path))}")
    with open(path, "rb") as f:
        data = tomllib.load(f)
    base = data.pop("base", None)
    train = data.get("train", {})
    if "restarts_append" in train and (base is None or "restarts" in train):
        why = "has no base to append to" if base is None else "also sets restarts"
        raise ValueError(f"{path}: [train] restarts_append {why}")
    if base is None:
        return data
    merged = _read_tables(path.parent / base, (*seen, path))
    for name, table in data.items():
        if name == "train" and "restarts_append" in table:
            table = {k: v for k, v in table.items() if k != "restarts_append"}
            table["restarts"] = [*merged.get("train", {}).get("restarts", []), *train["restarts_append"]]
        merged[name] = {**merged.get(name, {}), **table}
    return merged


def load_config(path: str | Path | None = None, **overrides) -> TrainConfig:
    """Read a TOML config (tables ``train``, ``model``, ``mix``, ``loss``, and an optional
    top-level ``base`` file it varies, see ``_read_tables``); ``None`` = defaults."""
    data: dict = {} if path is None else _read_tables(Path(path))
    train = dict(data.get("train", {}))
    train.update(overrides)
    return TrainConfig(
        **{k: v for k, v in _build(TrainConfig, train).__dict__.items() if k not in ("model", "mix", "loss")},
        model=_build(ModelConfig, data.get("model", {})),
        mix=_build(MixConfig, data.get("mix", {})),
        loss=_build(LossConfig, data.get("loss", {})),
    )


def config_dict(cfg: TrainConfig) -> dict:
    """Plain nested dict of a config (stored in checkpoints and model metadata)."""
    from dataclasses import asdict

    return asdict(cfg)


def _tensors(batch: Batch, config: ModelConfig) -> tuple[torch.Tensor, ...]:
    """``(features, df_features or None, noisy_spec, clean_spec, clean)`` of a batch for a network of ``config``."""
    df_bins = config.df_bins
    feats = np.concatenate([batch.features, batch.floor_features], axis=-1) if config.noise_floor else batch.features
    return (
        torch.from_numpy(feats),
        torch.from_numpy(df_features(batch.phase[..., :df_bins])) if df_bins else None,
        torch.from_numpy(batch.noisy_spec),
        torch.from_numpy(batch.clean_spec),
        torch.from_numpy(batch.clean),
    )


class _StepBatches(torch.utils.data.Dataset):
    """Item ``k``: the tensors of batch ``k`` (built in DataLoader worker processes)."""

    def __init__(self, trainer: Trainer) -> None:
        self.batch = trainer.batch
        self.config = trainer.cfg.model

    def __len__(self) -> int:
        return 1 << 40

    def __getitem__(self, step: int) -> tuple[torch.Tensor | None, ...]:
        return _tensors(self.batch(step), self.config)


class Trainer:
    """One training run in ``out_dir`` (resumes from ``out_dir/checkpoint.pt`` when present).

    Parameters
    ----------
    cfg : TrainConfig
    out_dir : str or Path
    corpus : TrainCorpus or None
        ``None`` reads ``../shared/data`` (:meth:`TrainCorpus.load`).
    device : str
        Torch device of the model (``"cpu"``, ``"cuda"``); batches are built on the CPU.
    workers : int
        Processes that build batches ahead (0: built in the training loop). The
        batches are the same either way (batch ``k`` depends on ``k`` only).
    """

    def __init__(
        self,
        cfg: TrainConfig,
        out_dir: str | Path,
        corpus: TrainCorpus | None = None,
        *,
        device: str = "cpu",
        workers: int = 0,
    ) -> None:
        self.cfg = cfg
        self.device = torch.device(device)
        self.workers = int(workers)
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        torch.set_num_threads(cfg.threads)
        torch.manual_seed(cfg.seed)
        self.corpus = corpus or TrainCorpus.load(
            max_speech_files=cfg.max_speech_files,
            seed=cfg.seed,
            keystroke_dir=Path(cfg.keystroke_dir) if cfg.keystroke_dir and cfg.mix.keystroke_prob > 0 else None,
            extra_noise_dir=Path(cfg.extra_noise_dir) if cfg.extra_noise_dir and cfg.mix.extra_noise_prob > 0 else None,
            clean_targets=cfg.mix.clean_targets,
        )
        self.sampler = MixtureSampler(self.corpus, "train", cfg.mix, seed=cfg.seed)
        # the samplers of the earlier stages' [mix] settings (mix_at), made when first needed
        self._samplers: dict[MixConfig, MixtureSampler] = {cfg.mix: self.sampler}
        self.valid_sampler = MixtureSampler(self.corpus, "valid", cfg.mix.without_augmentation(), seed=cfg.seed + 1)
        self.step = 0
        self._build(0)
        self._valid: Batch | None = None
        self._ahead: tuple[int, object] | None = None  # (step of its next batch, DataLoader iterator)
        ckpt = self.out / "checkpoint.pt"
        if ckpt.exists():
            self.load(ckpt)

    # -- model, schedule, checkpoints -----------------------------------------
    def model_config_at(self, step: int) -> ModelConfig:
        """Network of ``step``: before ``widen_step`` the gains-only model with ``widen_from`` units."""
        c = self.cfg
        if c.widen_step and step < c.widen_step:
            return ModelConfig(hidden=c.widen_from, layers=c.model.layers, noise_floor=c.model.noise_floor)
        return c.model

    def _build(self, step: int, narrow: dict | None = None) -> None:
        """Fresh model (and optimizer) for ``step``; ``narrow``: weights of a smaller model to widen.

        The model is drawn right after seeding with ``seed``, so a network built at
        the start and one built when widening at ``widen_step`` (or when resuming there)
        get the same initial weights for their new units.
        """
        torch.manual_seed(self.cfg.seed)
        self.model = GruMask(self.model_config_at(step))
        if narrow is not None:
            self.model.load_state_dict(widen_state_dict({k: v.cpu() for k, v in narrow.items()}, self.model))
        self.model.to(self.device)
        df_ids = {id(p) for p in self.model.df_parameters()}
        groups = [{"params": [p for p in self.model.parameters() if id(p) not in df_ids]}]
        if df_ids:  # a group of its own, so a checkpoint of the model without the head still loads
            groups.append({"params": self.model.df_parameters()})
        self.opt = torch.optim.AdamW(groups, lr=self.cfg.lr, weight_decay=self.cfg.weight_decay)

    def lr_at(self, step: int) -> float:
        """Learning rate of ``step``: linear warm-up, then cosine decay to ``lr_final``.

        Each step in ``restarts`` starts a new cycle (warm-up to ``restart_lr``, cosine
        decay to ``lr_final`` at the next restart or ``max_steps``), so a longer run that
        continues an earlier one keeps the earlier steps' schedule exactly.
        """
        c = self.cfg
        bounds = [0, *sorted(r for r in c.restarts if 0 < r < c.max_steps), c.max_steps]
        i = max(k for k in range(len(bounds) - 1) if bounds[k] <= step) if step < c.max_steps else len(bounds) - 2
        start, end = bounds[i], bounds[i + 1]
        peak = c.lr if i == 0 else c.restart_lr
        local = step - start
        if local < c.warmup_steps:
            return peak * (local + 1) / c.warmup_steps
        t = min(1.0, (local - c.warmup_steps) / max(1, end - start - c.warmup_steps))
        return c.lr_final + 0.5 * (peak - c.lr_final) * (1 + math.cos(math.pi * t))

    def state_dict(self) -> dict:
        return {
            "model": {k: v.cpu() for k, v in self.model.state_dict().items()},
            "opt": _to_cpu(self.opt.state_dict()),
            "step": self.step,
            "config": config_dict(self.cfg),
            "corpus": self.corpus.summary,
        }

    def save(self, path: str | Path | None = None, *, weights_only: bool = False) -> Path:
        """Write the checkpoint (atomically) to ``path`` (default: the run folder's ``checkpoint.pt``).

        ``weights_only``: without the optimizer state, as the committed checkpoints are. Used to
        keep a run's start as loaded (``--save-start``): a checkpoint widened on load has new
        units drawn from this run's seed, so averaging the saved start with the run's end
        (``recipes/neural/average.py``) averages two states of one network.
        """
        path = Path(path) if path is not None else self.out / "checkpoint.pt"
        ck = self.state_dict()
        if weights_only:
            del ck["opt"]
        tmp = path.with_suffix(".tmp")
        torch.save(ck, tmp)
        os.replace(tmp, path)
        return path

    def load(self, path: Path) -> None:
        """Resume from a checkpoint.

        A checkpoint of the same network without the deep-filter head (an earlier
        stage of the recipe) also loads: the head keeps its initial weights (an
        output layer of zeros, so the model computes what the checkpoint computed)
        and fresh optimizer state. So does one with fewer hidden units
        (:func:`~voxclean.neural.model.widen_state_dict`; the same function again,
        with a fresh optimizer), as at ``widen_step`` in an uninterrupted run.
        So does one with fewer input features, e.g. without the noise-floor block
        (:func:`~voxclean.neural.model.add_input_columns`: new encoder columns of zeros,
        the same function again, with a fresh optimizer).
        A checkpoint without optimizer state (``"opt"``; the committed ones, kept
        small) resumes the weights with a fresh optimizer.
        """
        ck = torch.load(path, map_location="cpu", weights_only=False)
        step = int(ck["step"])
        self.step = step
        if int(ck["model"]["encoder.weight"].shape[0]) < self.model_config_at(step).hidden:  # narrower: widen it
            self._build(step, narrow=ck["model"])  # the optimizer starts afresh (its moments have the old shapes)
            return
        if self.model.config != self.model_config_at(step):
            self._build(step)
        if int(ck["model"]["encoder.weight"].shape[1]) < int(self.model.encoder.weight.shape[1]):
            self.model.load_state_dict(add_input_columns(ck["model"], self.model))
            return  # the optimizer starts afresh (its moments have the old shapes)
        missing, unexpected = self.model.load_state_dict(ck["model"], strict=False)
        if unexpected or any(not k.startswith("df_") for k in missing):
            raise ValueError(f"{path}: checkpoint does not fit the model (missing {missing}, unexpected {unexpected})")
        if "opt" not in ck:  # a weights-only checkpoint (as committed): the optimizer starts afresh
            return
        opt = ck["opt"]
        if missing:  # add the head's group to the optimizer state of the checkpoint
            fresh = self.opt.state_dict()
            opt = {"state": opt["state"], "param_groups": [opt["param_groups"][0], fresh["param_groups"][1]]}
        self.opt.load_state_dict(opt)

    # -- training --------------------------------------------------------------
    def mix_at(self, step: int) -> MixConfig:
        """The ``[mix]`` settings of batch ``step``.

        Augmented from ``augment_start`` on, with recorded typing from ``keystroke_start`` on
        and extra noise recordings from ``extra_noise_start`` on; with ``[mix] clean_targets``,
        targets with a lowered recording floor from ``clean_target_start`` on (the noisy
        input is the same either way).
        """
        cfg = self.cfg
        mix = cfg.mix if step >= cfg.clean_target_start else replace(cfg.mix, clean_targets=False)
        if step < cfg.augment_start:
            return mix.without_augmentation()
        if step < cfg.keystroke_start:
            return mix.without_keystrokes()
        if step < cfg.extra_noise_start:
            return mix.without_extra_noise()
        return mix

    def batch(self, step: int) -> Batch:
        """Batch of ``step``: examples ``step * B .. (step + 1) * B - 1``, mixed as :meth:`mix_at` says."""
        mix = self.mix_at(step)
        if mix not in self._samplers:
            self._samplers[mix] = MixtureSampler(self.corpus, "train", mix, seed=self.cfg.seed)
        b = self.cfg.batch_size
        return self._samplers[mix].batch(range(step * b, (step + 1) * b))

    def train_step(self, tensors: tuple[torch.Tensor | None, ...] | None = None) -> dict[str, float]:
        """Take the next step (on ``tensors``, the batch's, when given); returns the loss components."""
        if tensors is None:
            tensors = _tensors(self.batch(self.step), self.model.config)
        feats, df, noisy_spec, clean_spec, clean = self._on_device(tensors)
        for g in self.opt.param_groups:
            g["lr"] = self.lr_at(self.step)
        self.model.train()
        loss, parts = total_loss(self._estimate(feats, df, noisy_spec), clean_spec, clean, self.cfg.loss)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        if self.step < self.cfg.df_start:  # the head is not trained yet: the earlier stages stay bit-exact
            for p in self.model.df_parameters():
                p.grad = None
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.grad_clip)
        self.opt.step()
        self.step += 1
        parts["loss"] = float(loss.detach())
        return parts

    def _estimate(
        self, feats: torch.Tensor, df: torch.Tensor | None, noisy_spec: torch.Tensor
    ) -> torch.Tensor:
        """Enhanced spectrum ``[B, T, 161]``: the network's outputs, delayed by its lookahead, applied to ``noisy_spec``."""
        gains, coefs, _ = self.model(feats, None, df)
        gains, coefs = delay_outputs(gains, coefs, self.model.config.lookahead)
        return apply_filter(noisy_spec, gains, coefs, df)

    def _on_device(self, tensors: tuple[torch.Tensor | None, ...]) -> tuple[torch.Tensor | None, ...]:
        return tuple(None if t is None else t.to(self.device, non_blocking=True) for t in tensors)

    @torch.no_grad()
    def evaluate(self, batch: Batch) -> float:
        """Loss of the current model on ``batch`` (no update)."""
        feats, df, noisy_spec, clean_spec, clean = self._on_device(_tensors(batch, self.model.config))
        self.model.eval()
        return float(total_loss(self._estimate(feats, df, noisy_spec), clean_spec, clean, self.cfg.loss)[0])

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        """SI-SDR (and PESQ-WB on the first examples) on the fixed validation set."""
        if self._valid is None:
            self._valid = self.valid_sampler.batch(range(self.cfg.valid_examples))
        feats, df, noisy_spec, clean_spec, clean = self._on_device(_tensors(self._valid, self.model.config))
        self.model.eval()
        est_spec = self._estimate(feats, df, noisy_spec)
        est = istft(est_spec)
        ref = clean[:, : est.shape[1]]
        noisy = istft(noisy_spec)
        out = {
            "valid_loss": float(total_loss(est_spec, clean_spec, clean, self.cfg.loss)[0]),
            "valid_si_sdr": float(si_sdr(ref, est).mean()),
            "valid_si_sdr_noisy": float(si_sdr(ref, noisy).mean()),
        }
        est, ref, noisy = est.cpu(), ref.cpu(), noisy.cpu()
        try:
            from ..metrics import pesq
        except ImportError:  # the metrics extra is not installed
            return out

        def safe_pesq(a: torch.Tensor, b: torch.Tensor) -> float:
            try:
                return float(pesq(a.numpy(), b.numpy(), 16000))
            except Exception:  # undefined, e.g. no utterance detected in a quiet reference
                return float("nan")

        pairs = [(safe_pesq(ref[i], est[i]), safe_pesq(ref[i], noisy[i])) for i in range(self.cfg.valid_pesq_examples)]
        ok = [p for p in pairs if np.isfinite(p[0]) and np.isfinite(p[1])]
        if ok:
            out["valid_pesq"] = float(np.mean([p[0] for p in ok]))
            out["valid_pesq_noisy"] = float(np.mean([p[1] for p in ok]))
            out["valid_pesq_n"] = len(ok)
        return out

    def log(self, record: dict) -> None:
        with open(self.out / "log.jsonl", "a") as f:
            f.write(json.dumps(record) + "\n")
        print(json.dumps(record), flush=True)

    def _next_tensors(self) -> tuple[torch.Tensor | None, ...] | None:
        """The tensors of batch ``self.step`` built ahead by ``workers`` processes (None without workers).

        One DataLoader serves consecutive steps (:meth:`fit_to_minutes`, then :meth:`run`);
        a new one starts only when the step is not the one it has next.
        """
        if not self.workers:
            return None
        if self._ahead is None or self._ahead[0] != self.step:
            loader = torch.utils.data.DataLoader(
                _StepBatches(self),
                batch_size=None,
                sampler=range(self.step, 1 << 40),
                num_workers=self.workers,
                prefetch_factor=4,
                pin_memory=self.device.type == "cuda",
            )
            self._ahead = (self.step, iter(loader))
        step, batches = self._ahead
        self._ahead = (step + 1, batches)
        return next(batches)

    def fit_to_minutes(self, minutes: float, *, probe_steps: int = 100) -> int:
        """Set ``max_steps`` so that the run ends after about ``minutes`` of wall time.

        The learning-rate schedule decays to ``lr_final`` at ``max_steps``, so a run
        cut by time would stop at a high rate. This takes ``probe_steps`` steps,
        times the second half of them, undoes them (weights, optimizer state and
        step return to the start, :meth:`state_dict`) and sets ``max_steps`` (in
        this trainer's config, logged) to the step that the same rate reaches at
        ``minutes`` after the start. The probe's updates ran under the schedule of
        the ``max_steps`` before, so undoing them makes the run that follows the
        same, step for step, as one started with the logged ``max_steps`` in its
        config. Returns the new ``max_steps``.
        """
        t0 = time.time()
        start = copy.deepcopy(self.state_dict())  # the tensors are the live ones: copy them
        half = probe_steps // 2
        for k in range(probe_steps):
            if k == half:
                t_half = time.time()
            self.train_step(self._next_tensors())
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        rate = (probe_steps - half) / (time.time() - t_half)
        self.step = start["step"]
        self.model.load_state_dict(start["model"])
        self.opt.load_state_dict(start["opt"])
        left = 60 * minutes - (time.time() - t0)
        end = self.step + max(0, int(rate * left))
        self.cfg = replace(self.cfg, max_steps=end)
        self.log({"event": "fit_to_minutes", "step": self.step, "steps_per_s": round(rate, 3), "max_steps": end})
        return end

    def run(self, max_steps: int | None = None, max_minutes: float | None = None) -> None:
        """Train until ``max_steps`` (default: the config's) or ``max_minutes`` of wall time."""
        end = min(self.cfg.max_steps, max_steps or self.cfg.max_steps)
        t0 = time.time()
        acc: dict[str, float] = {}
        n = 0
        while self.step < end:
            if self.model.config != self.model_config_at(self.step):  # widen_step: grow the network
                self._build(self.step, narrow=self.model.state_dict())
            parts = self.train_step(self._next_tensors())
            for k, v in parts.items():
                acc[k] = acc.get(k, 0.0) + v
            n += 1
            if self.step % self.cfg.log_every == 0:
                rec = {"step": self.step, "lr": self.lr_at(self.step - 1), "elapsed_s": round(time.time() - t0, 1)}
                rec.update({k: round(v / n, 5) for k, v in acc.items()})
                self.log(rec)
                acc, n = {}, 0
            if self.step % self.cfg.checkpoint_every == 0:
                self.save()
            if self.step % self.cfg.valid_every == 0:
                self.log({"step": self.step, **self.validate()})
            if max_minutes is not None and time.time() - t0 > 60 * max_minutes:
                break
        self.save()


def _to_cpu(obj):
    """``obj`` (nested dicts/lists of tensors) with every tensor on the CPU."""
    if isinstance(obj, torch.Tensor):
        return obj.cpu()
    if isinstance(obj, dict):
        return {k: _to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_cpu(v) for v in obj)
    return obj


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m voxclean.neural.train", description=__doc__.splitlines()[0])
    p.add_argument("config", help="TOML config (recipes/neural/config.toml)")
    p.add_argument("--out", default="runs/neural", help="run folder (checkpoints, log)")
    p.add_argument("--max-steps", type=int, default=None, help="stop after this step (resumable)")
    p.add_argument("--max-minutes", type=float, default=None, help="stop after this wall time (resumable)")
    p.add_argument("--export", default=None, help="write the ONNX model here at the end")
    p.add_argument("--device", default="cpu", help="torch device of the model, e.g. cuda (default cpu)")
    p.add_argument("--workers", type=int, default=0, help="processes that build batches ahead (default 0)")
    p.add_argument("--corpus-pack", default=None, help="read the corpus from this pack (TrainCorpus.save_pack)")
    p.add_argument(
        "--fit-minutes", type=float, default=None,
        help="set max_steps so the run (its schedule included) ends after about this wall time",
    )
    p.add_argument("--seed", type=int, default=None, help="replace the config's [train] seed (another draw of batches)")
    p.add_argument(
        "--save-start", default=None, metavar="PATH",
        help="write the run's starting weights (as loaded, e.g. widened) to PATH as a weights-only checkpoint and stop",
    )
    a = p.parse_args(argv)
    cfg = load_config(a.config, **({} if a.seed is None else {"seed": a.seed}))
    corpus = (
        TrainCorpus.load_pack(a.corpus_pack, workers=max(1, a.workers), clean_targets=cfg.mix.clean_targets)
        if a.corpus_pack
        else None
    )
    trainer = Trainer(cfg, a.out, corpus, device=a.device, workers=a.workers)
    if a.save_start:
        print(f"wrote {trainer.save(a.save_start, weights_only=True)} (step {trainer.step}, {trainer.model.n_params()} parameters)")
        return 0
    trainer.log({"event": "start", "step": trainer.step, "params": trainer.model.n_params(), "corpus": trainer.corpus.summary,
                 "device": str(trainer.device), "workers": trainer.workers})
    if a.fit_minutes is not None:
        trainer.fit_to_minutes(a.fit_minutes)
    trainer.run(a.max_steps, a.max_minutes)
    if a.export:
        from .export import export_onnx

        export_onnx(trainer.model, a.export, train_config=config_dict(cfg), corpus=trainer.corpus.summary, steps=trainer.step)
    return 0


if __name__ == "__main__":
    sys.exit(main())
