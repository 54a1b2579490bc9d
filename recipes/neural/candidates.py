"""Make, export and score the candidates of a stage: its runs' ends and their means.

    python recipes/neural/candidates.py OUT_DIR --start START.pt RUN.pt [RUN.pt ...] [--jobs 2]

A stage trains one or more runs from the shipped checkpoint ``START.pt``. The
candidates for shipping are every non-empty set of the runs' ends, alone or averaged
(:func:`average.average`), each also averaged with the start, plus the start itself as
the reference: for two runs ``a`` and ``b`` that is ``a``, ``b``, ``a+b``, ``a+start``,
``b+start``, ``a+b+start`` and ``start``. Each is written to ``OUT_DIR`` as a checkpoint
(the means) and a float16 ONNX file (``python -m voxclean.neural.export ... --float16``,
the form that is shipped), then scored on the dev set by ``evaluate.py --strength 40
--by-noise`` (``--jobs`` at a time, one thread each), whose output goes to
``OUT_DIR/eval_NAME.txt``. The last lines printed are one table row per candidate,
then a table of how each candidate moved the start's scores per noise type (how many
types rose in PESQ-WB and in SI-SDR, the largest PESQ-WB fall, and the SI-SDR rise
without the largest single type, the share one short recording can hold), also
written with every type's change to ``OUT_DIR/by_noise.md``. ``--report-only``
rebuilds both tables from the ``eval_*.txt`` files already in ``OUT_DIR``.
To start it when training ends, e.g.::

    while pgrep -f "neural.train recipes/neural/stage19" > /dev/null; do sleep 30; done
    python recipes/neural/candidates.py runs/cand19 --start recipes/neural/checkpoints/step123770/checkpoint.pt \\
        runs/stage19a/checkpoint.pt runs/stage19s/checkpoint.pt

Training-side tool: needs torch and onnx (``pip install -e ".[train]"``).
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from average import average  # noqa: E402

from voxclean.neural.export import export_checkpoint  # noqa: E402

_BY_NOISE = re.compile(
    r"^\s+(?P<noise>\S+)\s+n=\d+\s+PESQ (?P<pesq>[\d.]+) \(noisy [\d.]+\) SI-SDR\s+(?P<sisdr>[-\d.]+) ", re.M
)
_SUMMARY = re.compile(
    r"PESQ (?P<pesq>[\d.]+) .*?STOI (?P<stoi>[\d.]+) .*? SI-SDR (?P<sisdr>[-\d.]+) .*?"
    r"dPESQ (?P<dpesq>[-+\d.]+) dSI-SDR (?P<dsisdr>[-+\d.]+)"
)


def candidate_sets(runs: list[str]) -> list[tuple[str, list[int]]]:
    """Names and members of the candidates; member ``-1`` is the start, ``i`` is ``runs[i]``.

    Parameters
    ----------
    runs : list of str
        Short names of the runs, in order (e.g. the stems of their folders).

    Returns
    -------
    list of (str, list of int)
        Every non-empty set of runs alone and with the start, then the start alone.
    """
    out = []
    for with_start in (False, True):
        for k in range(1, len(runs) + 1):
            for combo in itertools.combinations(range(len(runs)), k):
                members = list(combo) + ([-1] if with_start else [])
                out.append(("+".join(runs[i] if i >= 0 else "start" for i in members), members))
    out.append(("start", [-1]))
    return out


def make_candidates(out_dir: Path, start: Path, runs: list[Path], names: list[str]) -> list[tuple[str, Path]]:
    """Write each candidate's checkpoint (means only) and float16 ONNX file; return (name, onnx path)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    made = []
    for name, members in candidate_sets(names):
        paths = [start if i < 0 else runs[i] for i in members]
        ckpt = paths[0]
        if len(paths) > 1:
            ckpt = out_dir / f"{name}.pt"
            torch.save(average(paths), ckpt)
        onnx_path, _, ck = export_checkpoint(ckpt, out_dir / f"{name}.onnx", float16=True)
        made.append((name, onnx_path))
        print(f"{onnx_path}: step {ck.get('step')}", flush=True)
    return made


def _evaluate(name: str, model: Path, out_dir: Path, max_items: int | None) -> None:
    cmd = [sys.executable, str(HERE / "evaluate.py"), "--model", str(model), "--strength", "40", "--by-noise"]
    if max_items:
        cmd += ["--max-items", str(max_items)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    text = res.stdout + res.stderr
    if res.returncode != 0:
        text += f"\nevaluate.py failed (exit {res.returncode})\n"
    (out_dir / f"eval_{name}.txt").write_text(text)


def summary_row(name: str, text: str) -> str:
    """One markdown row of the overall scores in an ``evaluate.py`` output."""
    m = _SUMMARY.search(text)
    if m is None:
        return f"| {name} | no summary line; see eval_{name}.txt |"
    return f"| {name} | {m['pesq']} | {m['stoi']} | {m['sisdr']} | {m['dpesq']} | {m['dsisdr']} |"


def by_noise(text: str) -> dict[str, tuple[float, float]]:
    """``{noise type: (PESQ-WB, SI-SDR dB)}`` from the ``--by-noise`` lines of an ``evaluate.py`` output."""
    return {m["noise"]: (float(m["pesq"]), float(m["sisdr"])) for m in _BY_NOISE.finditer(text)}


def noise_tables(scores: dict[str, dict[str, tuple[float, float]]], ref: str = "start") -> tuple[str, str]:
    """Per-noise-type changes of each candidate against ``ref``, as two markdown tables.

    Parameters
    ----------
    scores : dict
        ``{candidate: {noise type: (PESQ-WB, SI-SDR dB)}}``, as :func:`by_noise` gives; it
        must hold ``ref``.
    ref : str
        The candidate the others are compared with (the stage's start).

    Returns
    -------
    summary : str
        One row per other candidate: the types where PESQ-WB and SI-SDR rose (out of the
        types both have), the largest PESQ-WB fall with its type, the summed SI-SDR change
        and that sum without the type of the largest single change.
    detail : str
        Every type's PESQ-WB and SI-SDR change, one column per candidate.
    """
    base = scores[ref]
    others = [c for c in scores if c != ref]
    summary = [
        "| candidate | PESQ-WB up | SI-SDR up | largest PESQ-WB fall | summed dSI-SDR dB | without the largest type |",
        "|---|---|---|---|---|---|",
    ]
    for cand in others:
        common = [t for t in base if t in scores[cand]]
        dp = {t: scores[cand][t][0] - base[t][0] for t in common}
        ds = {t: scores[cand][t][1] - base[t][1] for t in common}
        if not common:
            summary.append(f"| {cand} | no noise types in common with {ref} |")
            continue
        worst = min(common, key=lambda t: dp[t])
        top = max(common, key=lambda t: abs(ds[t]))
        total = sum(ds.values())
        summary.append(
            f"| {cand} | {sum(v > 0 for v in dp.values())}/{len(common)} | {sum(v > 0 for v in ds.values())}/{len(common)} "
            f"| {dp[worst]:+.3f} ({worst}) | {total:+.2f} | {total - ds[top]:+.2f} (without {top}) |"
        )
    types = list(base)
    detail = [
        f"| noise type | {ref} PESQ-WB / SI-SDR | " + " | ".join(others) + " |",
        "|---|---|" + "---|" * len(others),
    ]
    for t in types:
        cells = [
            f"{scores[c][t][0] - base[t][0]:+.3f} / {scores[c][t][1] - base[t][1]:+.2f}" if t in scores[c] else "n/a"
            for c in others
        ]
        detail.append(f"| {t} | {base[t][0]:.3f} / {base[t][1]:.2f} | " + " | ".join(cells) + " |")
    return "\n".join(summary), "\n".join(detail)


def report(out_dir: Path, names: list[str]) -> None:
    """Print the overall and per-noise tables from ``OUT_DIR/eval_NAME.txt`` and write ``by_noise.md``."""
    texts = {n: (out_dir / f"eval_{n}.txt").read_text() if (out_dir / f"eval_{n}.txt").is_file() else "" for n in names}
    print("| candidate | PESQ-WB | STOI | SI-SDR dB | dPESQ @0/5/10 | dSI-SDR @0/5/10 |")
    print("|---|---|---|---|---|---|")
    print("\n".join(summary_row(n, texts[n]) for n in names))
    scores = {n: by_noise(t) for n, t in texts.items()}
    if not scores.get("start"):
        print("\n(no per-noise scores for the start: no per-noise tables)")
        return
    summary, detail = noise_tables({n: s for n, s in scores.items() if s})
    print("\nPer noise type, against the start (evaluate.py --by-noise):\n")
    print(summary)
    (out_dir / "by_noise.md").write_text(
        "# Candidates per noise type, against the start\n\n"
        "Changes in PESQ-WB and SI-SDR (dB) per dev-set noise type, from `eval_*.txt`.\n\n"
        + summary + "\n\n" + detail + "\n"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("runs", type=Path, nargs="+", help="the runs' final checkpoints")
    ap.add_argument("--start", type=Path, required=True, help="the checkpoint the runs started from")
    ap.add_argument("--jobs", type=int, default=2, help="evaluations at a time")
    ap.add_argument("--max-items", type=int, default=None, help="score only the first N dev items")
    ap.add_argument("--no-eval", action="store_true", help="make the files only")
    ap.add_argument("--report-only", action="store_true", help="only rebuild the tables from OUT_DIR/eval_*.txt")
    a = ap.parse_args(argv)
    names = [p.parent.name if p.name == "checkpoint.pt" else p.stem for p in a.runs]
    if len(set(names)) != len(names) or "start" in names:
        names = [f"r{i}" for i in range(len(a.runs))]
    cand_names = [name for name, _ in candidate_sets(names)]
    if a.report_only:
        report(a.out_dir, cand_names)
        return 0
    for p in [a.start, *a.runs]:
        if not p.is_file():
            ap.error(f"{p}: no such checkpoint")
    made = make_candidates(a.out_dir, a.start, a.runs, names)
    if a.no_eval:
        return 0
    with ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        list(pool.map(lambda nm: _evaluate(nm[0], nm[1], a.out_dir, a.max_items), made))
    report(a.out_dir, cand_names)
    return 0


if __name__ == "__main__":
    sys.exit(main())
