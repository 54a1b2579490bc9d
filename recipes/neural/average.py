"""Average the weights of training checkpoints of one network (a "model soup").

    python recipes/neural/average.py OUT.pt CKPT.pt [CKPT.pt ...]

Checkpoints that continue one parent (the ends of two runs started from the same
checkpoint, or several steps of one run) lie in one basin of the loss, so the mean
of their weights is usually at least as good as each (Izmailov et al. 2018, SWA;
Wortsman et al. 2022, model soups), at no cost at run time. The result is a
weights-only checkpoint (no optimizer state): its ``config`` and ``corpus`` are the
first input's, its ``step`` the largest, and ``averaged`` lists the inputs. Export it
with ``python -m voxclean.neural.export OUT.pt MODEL.onnx``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from voxclean.neural.model import ModelConfig


def average(paths: list[Path]) -> dict:
    """The checkpoint whose ``model`` weights are the mean of those in ``paths``."""
    cks = [torch.load(p, map_location="cpu", weights_only=False) for p in paths]
    first = cks[0]
    # ModelConfig fills keys an older checkpoint lacks with their defaults (e.g. lookahead 0)
    network = ModelConfig(**first["config"]["model"])
    for p, ck in zip(paths[1:], cks[1:]):
        if ModelConfig(**ck["config"]["model"]) != network or ck["model"].keys() != first["model"].keys():
            raise ValueError(f"{p}: another network than {paths[0]}")
    mean = {k: sum(ck["model"][k].double() for ck in cks).div(len(cks)).to(v.dtype) for k, v in first["model"].items()}
    return {
        "model": mean,
        "step": max(int(ck["step"]) for ck in cks),
        "config": first["config"],
        "corpus": first["corpus"],
        "averaged": [{"path": str(p), "step": int(ck["step"])} for p, ck in zip(paths, cks)],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("checkpoints", type=Path, nargs="+")
    a = ap.parse_args(argv)
    ck = average(a.checkpoints)
    torch.save(ck, a.out)
    print(f"{a.out}: mean of {len(a.checkpoints)} checkpoints, steps {[c['step'] for c in ck['averaged']]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
