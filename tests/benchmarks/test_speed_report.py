"""Where ``benchmarks/speed.py`` writes its report."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..script_loader import load_script


@pytest.mark.parametrize(
    "argv",
    [
        ["--methods", "neural,mmse-lsa"],
        ["--no-memory", "--repeat", "3"],
        ["--quick"],
        ["--neural-models", ",low-latency"],
    ],
)
def test_partial_run_does_not_replace_the_full_report(argv):
    speed = load_script("benchmarks/speed.py", "bench_speed")
    assert speed.report_dir(speed.parse_args(argv)) is None


def test_full_run_and_explicit_out(tmp_path):
    speed = load_script("benchmarks/speed.py", "bench_speed")
    assert speed.report_dir(speed.parse_args([])) == speed.RESULTS
    assert speed.report_dir(speed.parse_args(["--memory-method", "neural", "--repeat", "3"])) == speed.RESULTS
    out = tmp_path / "speed_run"
    assert speed.report_dir(speed.parse_args(["--methods", "neural", "--out", str(out)])) == Path(out)
