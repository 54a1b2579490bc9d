"""recipes/neural/candidates.py: a stage's candidate set, its files, and its score parsing."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

from voxclean.neural.model import ModelConfig  # noqa: E402
from voxclean.neural.runtime import NeuralModel  # noqa: E402

from .recipe_helpers import recipe_module, weights_checkpoint  # noqa: E402


def test_candidate_sets_for_two_runs():
    names = [n for n, _ in recipe_module("candidates").candidate_sets(["a", "b"])]
    assert names == ["a", "b", "a+b", "a+start", "b+start", "a+b+start", "start"]
    assert len(recipe_module("candidates").candidate_sets(["a", "b", "c"])) == 2 * 7 + 1


def test_candidates_written_as_means_and_float16_models(tmp_path):
    mod = recipe_module("candidates")
    cfg = ModelConfig(hidden=16, layers=1, df_bins=8, df_order=2, df_hidden=8)
    start = weights_checkpoint(tmp_path / "start.pt", cfg, 0, 100)
    a = weights_checkpoint(tmp_path / "runA" / "checkpoint.pt", cfg, 1, 150)
    b = weights_checkpoint(tmp_path / "runB" / "checkpoint.pt", cfg, 2, 140)
    out = tmp_path / "cand"
    assert mod.main([str(out), "--start", str(start), str(a), str(b), "--no-eval"]) == 0
    assert sorted(p.name for p in out.glob("*.onnx")) == sorted(
        f"{n}.onnx" for n in ["runA", "runB", "runA+runB", "runA+start", "runB+start", "runA+runB+start", "start"]
    )
    mean = torch.load(out / "runA+runB+start.pt", weights_only=False)
    w = [torch.load(p)["model"] for p in (a, b, start)]
    for k, v in mean["model"].items():
        assert torch.allclose(v, (w[0][k] + w[1][k] + w[2][k]) / 3, atol=1e-6)
    assert mean["step"] == 150
    meta = NeuralModel(out / "runA+runB.onnx").metadata
    assert meta["training_steps"] == "150"
    assert "runA" in meta["averaged_from"] and "runB" in meta["averaged_from"]
    assert NeuralModel(out / "start.onnx").metadata["training_steps"] == "100"


def test_missing_checkpoint_is_a_clear_error(tmp_path, capsys):
    with pytest.raises(SystemExit):
        recipe_module("candidates").main([str(tmp_path / "c"), "--start", str(tmp_path / "none.pt"), str(tmp_path / "x.pt")])
    assert "no such checkpoint" in capsys.readouterr().err


def test_summary_line_parsed():
    line = (
        "strength_db=40 n=126: PESQ 2.016 (noisy 1.418) STOI 0.876 (noisy 0.818) SI-SDR 11.22 (noisy 4.48) "
        "| @0/5/10 dB: dPESQ +0.589 dSI-SDR +7.80 | @15/20 dB dSTOI +0.0291"
    )
    m = recipe_module("candidates")._SUMMARY.search(line)
    assert (m["pesq"], m["stoi"], m["sisdr"], m["dpesq"], m["dsisdr"]) == ("2.016", "0.876", "11.22", "+0.589", "+7.80")


def _eval_text(pesq: dict[str, float], sisdr: dict[str, float]) -> str:
    lines = [
        "strength_db=40 n=126: PESQ 2.000 (noisy 1.418) STOI 0.876 (noisy 0.818) SI-SDR 11.00 (noisy 4.48) "
        "| @0/5/10 dB: dPESQ +0.600 dSI-SDR +8.00 | @15/20 dB dSTOI +0.0291",
        "  strength_db=40 dry n=84: pause attenuation -24.4 dB (n=77), speech level -0.89 dB",
    ]
    lines += [f"  {t:<16} n=9   PESQ {pesq[t]:.3f} (noisy 1.253) SI-SDR {sisdr[t]:6.2f} (noisy   3.08)" for t in pesq]
    return "\n".join(lines) + "\n"


def test_per_noise_lines_parsed():
    text = _eval_text({"aircon": 1.835, "running_tap": 1.776}, {"aircon": 9.75, "running_tap": -0.5})
    assert recipe_module("candidates").by_noise(text) == {"aircon": (1.835, 9.75), "running_tap": (1.776, -0.5)}


def test_noise_tables_count_rises_and_isolate_the_largest_type():
    mod = recipe_module("candidates")
    scores = {
        "start": {"a": (2.0, 10.0), "b": (1.5, 8.0), "c": (1.8, 9.0)},
        "x": {"a": (2.1, 12.0), "b": (1.4, 8.5), "c": (1.8, 8.0)},
    }
    summary, detail = mod.noise_tables(scores)
    row = summary.splitlines()[2]
    # PESQ rose on a only; SI-SDR on a and b; the largest fall is b's -0.1;
    # SI-SDR summed +1.5, and +2.0 of it is type a, so without it -0.5
    assert row == "| x | 1/3 | 2/3 | -0.100 (b) | +1.50 | -0.50 (without a) |"
    assert "| b | 1.500 / 8.00 | -0.100 / +0.50 |" in detail.splitlines()


def test_report_only_rebuilds_tables_from_eval_files(tmp_path, capsys):
    mod = recipe_module("candidates")
    start = {"a": 2.0, "b": 1.5}
    (tmp_path / "eval_start.txt").write_text(_eval_text(start, {"a": 10.0, "b": 8.0}))
    (tmp_path / "eval_r.txt").write_text(_eval_text({"a": 2.05, "b": 1.45}, {"a": 10.5, "b": 8.5}))
    # only "r" and "start" were scored; the other names of the set have no file
    assert mod.main([str(tmp_path), "--start", "s.pt", str(tmp_path / "r.pt"), "--report-only"]) == 0
    out = capsys.readouterr().out
    assert "| r | 2.000 | 0.876 | 11.00 | +0.600 | +8.00 |" in out
    assert "| r | 1/2 | 2/2 | -0.050 (b) | +1.00 | +0.50 (without a) |" in out
    assert "| b | 1.500 / 8.00 | -0.050 / +0.50 |" in (tmp_path / "by_noise.md").read_text()
