"""recipes/neural/lineage.toml: how the shipped models were made, checked against the evidence.

The lineage names, for every run, its config, its start and its end step; these tests hold it
to the run logs committed beside the checkpoints (every logged learning rate must be the one
the config's schedule gives at that step) and to the checkpoints in the tree (a mean's
``averaged`` members and their steps).
"""

from __future__ import annotations

import json
import tomllib
import types
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from voxclean.neural.train import Trainer, load_config  # noqa: E402

RECIPES = Path(__file__).resolve().parents[2] / "recipes" / "neural"
MODELS = Path(__file__).resolve().parents[2] / "src" / "voxclean" / "models"


def _nodes() -> dict[str, dict]:
    with open(RECIPES / "lineage.toml", "rb") as f:
        return {n["id"]: n for n in tomllib.load(f)["node"]}


def _step(nodes: dict[str, dict], nid: str) -> int:
    """The training step of a node's weights (a mean's is its latest member's)."""
    if nid == "scratch":
        return 0
    n = nodes[nid]
    if n["kind"] == "run":
        return n["end"]
    if n["kind"] == "start":
        return _step(nodes, n["start"])
    return max(_step(nodes, m) for m in n["members"])


def _first_run(nodes: dict[str, dict], nid: str) -> dict:
    n = nodes[nid]
    while n["kind"] != "run":
        n = nodes[n["members"][0]] if n["kind"] == "mean" else nodes[n["start"]]
    return n


def test_lineage_is_in_order_and_complete():
    nodes = _nodes()
    seen: set[str] = set()
    for nid, n in nodes.items():
        assert n["kind"] in ("run", "mean", "start"), nid
        deps = n["members"] if n["kind"] == "mean" else [n["start"]]
        assert all(d == "scratch" or d in seen for d in deps), f"{nid} needs a node listed before it"
        if n["kind"] != "mean":
            assert (RECIPES / n["config"]).is_file(), nid
        if n["kind"] == "run":
            assert (RECIPES / "checkpoints" / n["log"]).is_file(), nid
            assert n.get("exact", True) or n.get("why"), f"{nid}: say why it does not repeat exactly"
        seen.add(nid)
    shipped = {n["shipped"] for n in nodes.values() if "shipped" in n}
    assert shipped == {p.name for p in MODELS.glob("gru_mask_16k*.onnx")}


def test_every_run_follows_its_logged_learning_rates():
    nodes = _nodes()
    for nid, n in nodes.items():
        if n["kind"] != "run":
            continue
        cfg = load_config(RECIPES / n["config"])
        if "--max-steps" in n.get("args", []):
            assert int(n["args"][n["args"].index("--max-steps") + 1]) == n["end"] <= cfg.max_steps, nid
        else:
            assert cfg.max_steps == n["end"], f"{nid}: {n['config']} ends at {cfg.max_steps}, the run at {n['end']}"
        begin = _step(nodes, n["start"])
        with open(RECIPES / "checkpoints" / n["log"]) as f:
            rows = [r for r in map(json.loads, f) if "lr" in r and begin < r["step"] <= n["end"]]
        assert rows, f"{nid}: no logged steps in ({begin}, {n['end']}]"
        trainer = types.SimpleNamespace(cfg=cfg)
        for r in rows:
            want = Trainer.lr_at(trainer, r["step"] - 1)
            assert want == pytest.approx(r["lr"], rel=1e-9), f"{nid} step {r['step']}: config {want}, log {r['lr']}"


@pytest.mark.parametrize("folder", sorted(p.parent.name for p in (RECIPES / "checkpoints").glob("step*/checkpoint.pt")))
def test_checkpoints_in_the_tree_are_their_lineage_nodes(folder):
    nodes = _nodes()
    ck = torch.load(RECIPES / "checkpoints" / folder / "checkpoint.pt", map_location="cpu", weights_only=False)
    kind = "mean" if ck.get("averaged") and len(ck["averaged"]) > 1 else "run"
    matches = [nid for nid, n in nodes.items() if n["kind"] == kind and _step(nodes, nid) == ck["step"]]
    assert len(matches) == 1, f"{folder}: lineage nodes {matches}"
    nid = matches[0]
    if kind == "mean":
        assert [a["step"] for a in ck["averaged"]] == [_step(nodes, m) for m in nodes[nid]["members"]]
    assert ck["config"]["seed"] == load_config(RECIPES / _first_run(nodes, nid)["config"]).seed
