"""recipes/neural/reproduce.py: following a lineage of runs, means and saved starts, resumably."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from voxclean.neural.data import data_dir  # noqa: E402

from .recipe_helpers import recipe_module  # noqa: E402

TINY = """
[train]
seed = 3
batch_size = 2
max_steps = 4
lr = 3e-3
warmup_steps = 1
log_every = 1
valid_every = 100000
checkpoint_every = 100000
max_speech_files = 12
[model]
hidden = 16
layers = 1
df_bins = 8
df_order = 2
df_hidden = 8
[mix]
segment_s = 1.0
[loss]
multires_ffts = [256, 512]
"""

LINEAGE = """
[[node]]
id = "A"
kind = "run"
config = "tiny.toml"
start = "scratch"
end = 4
log = "unused"

[[node]]
id = "B1"
kind = "run"
config = "tiny_b1.toml"
start = "A"
end = 6

[[node]]
id = "B2"
kind = "run"
config = "tiny_b2.toml"
start = "A"
end = 6

[[node]]
id = "M"
kind = "mean"
members = ["B1", "B2", "A"]

[[node]]
id = "W"
kind = "start"
config = "tiny_wide.toml"
start = "M"

[[node]]
id = "Other"
kind = "run"
config = "tiny.toml"
start = "scratch"
end = 4
"""


def _lineage(tmp_path):
    (tmp_path / "tiny.toml").write_text(TINY)
    for name, seed in (("tiny_b1.toml", 4), ("tiny_b2.toml", 5)):
        (tmp_path / name).write_text(f'base = "tiny.toml"\n[train]\nseed = {seed}\nmax_steps = 6\nrestarts_append = [4]\n')
    (tmp_path / "tiny_wide.toml").write_text('base = "tiny.toml"\n[model]\nhidden = 24\n')
    (tmp_path / "lineage.toml").write_text(LINEAGE)
    return tmp_path / "lineage.toml"


def test_plan_takes_what_the_target_needs_in_order(tmp_path):
    mod = recipe_module("reproduce")
    nodes = mod.load_lineage(_lineage(tmp_path))
    actions = mod.plan(nodes, ["W"], tmp_path / "out")
    assert [a.node for a in actions] == ["A", "B1", "B2", "M", "W"]  # not "Other"
    b1 = actions[1]
    assert b1.copy_from == tmp_path / "out" / "runs" / "A" / "checkpoint.pt"
    assert b1.copy_to == tmp_path / "out" / "runs" / "B1" / "checkpoint.pt"
    assert actions[3].commands[0][-3:] == [str(tmp_path / "out" / "runs" / r / "checkpoint.pt") for r in ("B1", "B2", "A")]
    assert "--save-start" in actions[4].commands[0]
    with pytest.raises(SystemExit, match="not in the lineage"):
        mod.plan(nodes, ["Z"], tmp_path / "out")
    # a node made already (here a mean copied in) needs nothing below it
    (tmp_path / "out" / "means").mkdir(parents=True)
    torch.save({"step": 6}, tmp_path / "out" / "means" / "M.pt")
    assert [a.node for a in mod.plan(nodes, ["W"], tmp_path / "out")] == ["M", "W"]


def test_shipped_lineage_plans_both_models(tmp_path):
    mod = recipe_module("reproduce")
    nodes = mod.load_lineage(mod.HERE / "lineage.toml")
    default = [a.node for a in mod.plan(nodes, ["M172338"], tmp_path)]
    live = [a.node for a in mod.plan(nodes, ["R25l"], tmp_path)]
    both = [a.node for a in mod.plan(nodes, ["M172338", "R25l"], tmp_path)]
    assert set(both) == set(default) | set(live) and len(both) == len(set(both))
    assert default[0] == live[0] == "R1a" and default[-1] == "M172338" and live[-1] == "R25l"
    assert "R9" in default and "R9" not in live and "R13l" in live  # the 10 ms model branches off before the lookahead


def test_follows_a_lineage_and_resumes(tmp_path):
    if not (data_dir() / "manifest.csv").is_file():
        pytest.skip(f"shared data not found at {data_dir()}")
    mod = recipe_module("reproduce")
    lineage = _lineage(tmp_path)
    out = tmp_path / "out"
    # with under a minute left nothing starts, and the call says so (exit 3: run again)
    assert mod.main([str(out), "--lineage", str(lineage), "--target", "W", "--minutes", "0.5"]) == 3
    assert not (out / "runs").exists()
    assert mod.main([str(out), "--lineage", str(lineage), "--target", "W,Other", "--jobs", "2"]) == 0
    assert torch.load(out / "runs" / "Other" / "checkpoint.pt", weights_only=False)["step"] == 4
    ck = {n: torch.load(out / p, weights_only=False) for n, p in [
        ("A", "runs/A/checkpoint.pt"), ("B1", "runs/B1/checkpoint.pt"), ("B2", "runs/B2/checkpoint.pt"),
        ("M", "means/M.pt"), ("W", "starts/W.pt")]}
    assert (ck["A"]["step"], ck["B1"]["step"], ck["B2"]["step"], ck["M"]["step"]) == (4, 6, 6, 6)
    assert "opt" in ck["A"] and ck["B1"]["config"]["seed"] == 4 and ck["B2"]["config"]["seed"] == 5
    name = "gru.weight_ih_l0" if "gru.weight_ih_l0" in ck["A"]["model"] else next(iter(ck["A"]["model"]))
    mean = sum(ck[r]["model"][name].double() for r in ("B1", "B2", "A")) / 3
    assert torch.allclose(ck["M"]["model"][name].double(), mean, atol=1e-6)
    assert [a["step"] for a in ck["M"]["averaged"]] == [6, 6, 4]
    assert ck["W"]["config"]["model"]["hidden"] == 24 and ck["W"]["step"] == 6
    # a second call finds everything made and changes nothing
    before = (out / "means" / "M.pt").stat().st_mtime_ns
    assert mod.main([str(out), "--lineage", str(lineage), "--target", "W"]) == 0
    assert (out / "means" / "M.pt").stat().st_mtime_ns == before


def test_a_failing_run_stops_with_its_log(tmp_path):
    mod = recipe_module("reproduce")
    (tmp_path / "bad.toml").write_text("[train]\nno_such_key = 1\n")
    (tmp_path / "lineage.toml").write_text(
        '[[node]]\nid = "X"\nkind = "run"\nconfig = "bad.toml"\nstart = "scratch"\nend = 2\n'
    )
    with pytest.raises(SystemExit, match="X: exit"):
        mod.main([str(tmp_path / "out"), "--lineage", str(tmp_path / "lineage.toml"), "--target", "X"])
    assert "no_such_key" in (tmp_path / "out" / "logs" / "X.log").read_text()
