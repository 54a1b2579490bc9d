"""The paired-improvement table of ``benchmarks/quality.py``."""

from __future__ import annotations

import math

import numpy as np

from ..script_loader import load_script


def _rows(system: str, values: dict[str, float], snr_db: int = 5) -> list[dict[str, object]]:
    return [
        {"id": item, "system": system, "snr_db": snr_db, "reverberant": 0, "pesq": v, "stoi": math.nan, "si_sdr": 10 * v}
        for item, v in values.items()
    ]


def test_delta_cells_are_paired_mean_and_standard_error():
    quality = load_script("benchmarks/quality.py", "bench_quality")
    noisy = {"a": 1.0, "b": 1.5, "c": 2.0, "d": 1.2}
    gains = {"a": 0.5, "b": 0.7, "c": 0.4, "d": 0.6}
    rows = _rows("noisy", noisy) + _rows("sys", {k: noisy[k] + g for k, g in gains.items()})
    # an item only the system has is not paired and must not count
    rows += _rows("sys", {"e": 9.0})
    table = quality.delta_table(rows, ["noisy", "sys"])
    g = np.array(list(gains.values()))
    mean, se = g.mean(), g.std(ddof=1) / math.sqrt(g.size)
    cells = [c.strip() for c in table.splitlines()[2].strip("|").split("|")]
    assert cells[0] == "sys"
    assert cells[1] == f"{mean:+.4f} ± {se:.4f}" == cells[2]  # all items dry: both PESQ columns agree
    assert cells[3] == "n/a"  # STOI at 15/20 dB: no items there
    assert cells[5] == f"{10 * mean:+.2f} ± {10 * se:.2f}"


def test_fmt_delta_edge_cases():
    quality = load_script("benchmarks/quality.py", "bench_quality")
    assert quality.fmt_delta(np.array([]), 4) == "n/a"
    assert quality.fmt_delta(np.array([0.25]), 4) == "+0.2500"
    assert quality.fmt_delta(np.array([-1.0, -3.0]), 2) == "-2.00 ± 1.00"
