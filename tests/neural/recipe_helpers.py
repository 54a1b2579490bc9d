"""Helpers for the tests of the training-side scripts in ``recipes/neural/`` (needs torch)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import torch

from voxclean.neural.model import GruMask, ModelConfig

from ..script_loader import load_script


def recipe_module(name: str) -> ModuleType:
    """Import ``recipes/neural/<name>.py`` (not a package) as a module."""
    return load_script(f"recipes/neural/{name}.py", f"recipe_{name}")


def weights_checkpoint(path: Path, cfg: ModelConfig, seed: int, step: int) -> Path:
    """Write a weights-only checkpoint of a freshly initialised ``GruMask(cfg)`` (seeded) at ``path``."""
    torch.manual_seed(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    ck = {"model": GruMask(cfg).state_dict(), "step": step, "config": {"model": cfg.to_dict()}, "corpus": {}}
    torch.save(ck, path)
    return path
