"""Quality benchmark: voxclean methods and peer denoisers on the dev set.

Systems: ``noisy`` (passthrough), every method in :func:`voxclean.list_methods`
with default parameters (and, as ``<method>-live``, with the low-latency defaults
that live use picks, where a method has them: ``neural-live`` is the 10 ms model),
and every peer in :mod:`peers`. For each dev-set item
(:mod:`devset`) and system the enhanced signal is scored against the clean
reference with :func:`voxclean.metrics.score` (no re-alignment: every system
returns aligned output, so misalignment counts against it): PESQ-WB, STOI,
ESTOI, SI-SDR, CSIG/CBAK/COVL, SNR and segmental SNR.

The real-time factor (processing time / audio duration) is measured in the
main process after the scoring pool has finished, single-threaded (BLAS/OpenMP
pools are pinned to one thread before numpy is imported), on a fixed subset of
:data:`RTF_ITEMS` items after one warm-up call; only the enhancement call is
timed.

Outputs ``benchmarks/results/quality.md`` (tables) and
``benchmarks/results/quality.csv`` (one row per item and system).

Usage::

    python benchmarks/quality.py [--quick] [--max-items N] [--methods a,b] [--jobs N]
"""

from __future__ import annotations

import os

import _one_thread  # noqa: E402,F401  (before numpy: single-threaded timings)

import argparse  # noqa: E402
import csv  # noqa: E402
import datetime as _dt  # noqa: E402
import math  # noqa: E402
import multiprocessing as mp  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

import voxclean  # noqa: E402
import voxclean.metrics  # noqa: E402
from devset import Item, load_devset  # noqa: E402
from peers import PEERS  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
METRICS = ("pesq", "stoi", "estoi", "si_sdr", "csig", "cbak", "covl", "snr", "segsnr")
TABLE_METRICS = ("pesq", "stoi", "estoi", "si_sdr", "csig", "cbak", "covl")
LABELS = {
    "pesq": "PESQ-WB",
    "stoi": "STOI",
    "estoi": "ESTOI",
    "si_sdr": "SI-SDR",
    "csig": "CSIG",
    "cbak": "CBAK",
    "covl": "COVL",
    "snr": "SNR",
    "segsnr": "segSNR",
}
RTF_ITEMS = 12
DELTA_PESQ_SNRS = (0.0, 5.0, 10.0)
DELTA_STOI_SNRS = (15.0, 20.0)

System = Callable[[np.ndarray, int], np.ndarray]


# ---------------------------------------------------------------------- systems


def passthrough(noisy: np.ndarray, sr: int) -> np.ndarray:
    """The unprocessed mixture."""
    return noisy


def voxclean_system(method: str, **params: object) -> System:
    """``voxclean.enhance`` with ``method`` and default parameters, except ``params``."""

    def run(noisy: np.ndarray, sr: int) -> np.ndarray:
        return voxclean.enhance(noisy, sr, method=method, **params)

    run.__name__ = method
    return run


def all_systems() -> dict[str, System]:
    """Every system in table order: noisy, voxclean methods (and their live defaults), peers."""
    from voxclean.registry import get_entry

    systems: dict[str, System] = {"noisy": passthrough}
    for method in voxclean.list_methods():
        systems[method] = voxclean_system(method)
        live = get_entry(method).live
        if live:
            systems[f"{method}-live"] = voxclean_system(method, **live)
    for name, peer in PEERS.items():
        systems[name] = peer
    return systems


def pick_systems(spec: str | None) -> list[str]:
    """System names from ``--methods`` (comma list); ``noisy`` is always included."""
    names = list(all_systems())
    if not spec:
        return names
    wanted = [s.strip() for s in spec.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in names]
    if unknown:
        raise SystemExit(f"unknown systems {unknown}; choose from {names}")
    return ["noisy", *[s for s in wanted if s != "noisy"]]


# ---------------------------------------------------------------------- scoring


def score_one(item: Item, name: str, system: System) -> dict[str, object]:
    """Enhance one item with one system and score it; never raises."""
    row: dict[str, object] = {
        "id": item.id,
        "system": name,
        "snr_db": item.snr_db,
        "noise_type": item.noise_type,
        "noise_category": item.noise_category,
        "speaker": item.speaker,
        "reverberant": int(item.reverberant),
        "duration_s": round(item.duration_s, 3),
    }
    try:
        t0 = time.perf_counter()
        est = np.asarray(system(item.noisy.copy(), item.sr), dtype=np.float32)
        row["enhance_s"] = round(time.perf_counter() - t0, 4)
        if est.shape != item.noisy.shape:
            raise ValueError(f"output shape {est.shape} != input {item.noisy.shape}")
        s = voxclean.metrics.score(item.clean, est, item.sr, metrics=METRICS, align=False)
        row.update({k: float(s[k]) for k in METRICS})
        row["notes"] = "; ".join(s.notes)
    except Exception as exc:  # a failing system must not stop the benchmark
        row.update({k: math.nan for k in METRICS})
        row["notes"] = f"error: {type(exc).__name__}: {exc}"
    return row


def score_item(args: tuple[Item, Sequence[str]]) -> list[dict[str, object]]:
    """All rows of one item (the unit of work of the process pool)."""
    item, names = args
    systems = all_systems()
    return [score_one(item, name, systems[name]) for name in names]


def run_scoring(items: Sequence[Item], names: Sequence[str], jobs: int) -> list[dict[str, object]]:
    """Score every item with every system, in ``jobs`` processes."""
    rows: list[dict[str, object]] = []
    work = [(it, list(names)) for it in items]
    t0 = time.perf_counter()
    if jobs <= 1:
        results: Iterable[list[dict[str, object]]] = map(score_item, work)
        for k, r in enumerate(results, 1):
            rows.extend(r)
            progress(k, len(work), t0)
    else:
        with mp.get_context("fork").Pool(jobs) as pool:
            for k, r in enumerate(pool.imap_unordered(score_item, work), 1):
                rows.extend(r)
                progress(k, len(work), t0)
    order = {it.id: k for k, it in enumerate(items)}
    rank = {n: k for k, n in enumerate(names)}
    rows.sort(key=lambda r: (order[str(r["id"])], rank[str(r["system"])]))
    return rows


def progress(done: int, total: int, t0: float) -> None:
    """One progress line on stderr."""
    el = time.perf_counter() - t0
    eta = el / done * (total - done)
    print(f"[quality] {done}/{total} items, {el:.0f} s elapsed, ~{eta:.0f} s left", file=sys.stderr, flush=True)


# -------------------------------------------------------------------------- RTF


def measure_rtf(items: Sequence[Item], names: Sequence[str]) -> dict[str, float]:
    """Single-threaded real-time factor of each system on ``items`` (after a warm-up)."""
    systems = all_systems()
    total_s = sum(it.duration_s for it in items)
    rtf: dict[str, float] = {}
    for name in names:
        system = systems[name]
        system(items[0].noisy.copy(), items[0].sr)  # warm-up: imports, plans, caches
        elapsed = 0.0
        for it in items:
            x = it.noisy.copy()
            t0 = time.perf_counter()
            system(x, it.sr)
            elapsed += time.perf_counter() - t0
        rtf[name] = elapsed / total_s
    return rtf


# ----------------------------------------------------------------------- tables


def fmt(v: float, metric: str = "") -> str:
    """Format a table cell."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if metric in ("si_sdr", "snr", "segsnr", "delta_sisdr"):
        return f"{v:.2f}"
    if metric == "rtf":
        return f"{v:.4f}"
    return f"{v:.3f}"


def md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def mean_of(rows: Iterable[dict[str, object]], metric: str) -> float:
    """NaN-ignoring mean of ``metric`` over ``rows`` (NaN if none)."""
    vals = np.array([float(r[metric]) for r in rows], dtype=float)  # type: ignore[arg-type]
    vals = vals[~np.isnan(vals)]
    return float(vals.mean()) if vals.size else math.nan


def by_system(rows: Sequence[dict[str, object]], name: str, cond: Callable[[dict[str, object]], bool] = lambda r: True) -> list[dict[str, object]]:
    """Rows of system ``name`` that satisfy ``cond``."""
    return [r for r in rows if r["system"] == name and cond(r)]


def overall_table(rows: Sequence[dict[str, object]], names: Sequence[str], rtf: dict[str, float]) -> str:
    """Mean of every metric per system, plus RTF."""
    header = ["system", *[LABELS[m] for m in TABLE_METRICS], "RTF (1 thread)"]
    body = []
    for name in names:
        sel = by_system(rows, name)
        body.append([name, *[fmt(mean_of(sel, m), m) for m in TABLE_METRICS], fmt(rtf.get(name, math.nan), "rtf")])
    return md_table(header, body)


def split_table(rows: Sequence[dict[str, object]], names: Sequence[str], metric: str, key: str, values: Sequence[object], label: Callable[[object], str]) -> str:
    """Rows = systems, columns = values of ``key``; cells = mean ``metric``."""
    header = ["system", *[label(v) for v in values]]
    body = []
    for name in names:
        cells = [fmt(mean_of(by_system(rows, name, lambda r, v=v: r[key] == v), metric), metric) for v in values]
        body.append([name, *cells])
    return md_table(header, body)


def paired_deltas(rows: Sequence[dict[str, object]], name: str, metric: str, cond: Callable[[dict[str, object]], bool]) -> np.ndarray:
    """Per-item ``metric(system) - metric(noisy)`` over the items satisfying ``cond``, NaN dropped.

    Returns
    -------
    numpy.ndarray, shape (n_items,)
        One difference per item the system and the noisy input share (PESQ in MOS units,
        STOI as a fraction, SI-SDR in dB).
    """
    base = {r["id"]: float(r[metric]) for r in by_system(rows, "noisy", cond)}  # type: ignore[arg-type]
    diffs = [float(r[metric]) - base[r["id"]] for r in by_system(rows, name, cond) if r["id"] in base]  # type: ignore[arg-type]
    arr = np.array(diffs, dtype=float)
    return arr[~np.isnan(arr)]


def fmt_delta(diffs: np.ndarray, decimals: int) -> str:
    """``"+mean ± standard error"`` of paired differences, both to ``decimals`` places.

    The standard error is ``std(ddof=1) / sqrt(n)``; with fewer than two items only the
    mean is given, and ``"n/a"`` with none.
    """
    if diffs.size == 0:
        return "n/a"
    mean = f"{float(diffs.mean()):+.{decimals}f}"
    if diffs.size < 2:
        return mean
    se = float(diffs.std(ddof=1)) / math.sqrt(diffs.size)
    return f"{mean} ± {se:.{decimals}f}"


def delta_table(rows: Sequence[dict[str, object]], names: Sequence[str]) -> str:
    """PESQ gain at 0/5/10 dB and STOI change at 15/20 dB, all items and dry only.

    Each cell is the mean paired difference ± its standard error over items, PESQ and
    STOI to four places and SI-SDR (dB) to two, so that systems a few thousandths apart
    can be told apart (or not) from the report alone.
    """
    def at(snrs: Sequence[float], dry_only: bool) -> Callable[[dict[str, object]], bool]:
        return lambda r: float(r["snr_db"]) in snrs and (not dry_only or not r["reverberant"])  # type: ignore[arg-type]

    header = [
        "system",
        "ΔPESQ-WB @0/5/10 dB",
        "ΔPESQ-WB @0/5/10 dB (dry)",
        "ΔSTOI @15/20 dB",
        "ΔSTOI @15/20 dB (dry)",
        "ΔSI-SDR @0/5/10 dB",
    ]
    cells = [
        ("pesq", DELTA_PESQ_SNRS, False, 4),
        ("pesq", DELTA_PESQ_SNRS, True, 4),
        ("stoi", DELTA_STOI_SNRS, False, 4),
        ("stoi", DELTA_STOI_SNRS, True, 4),
        ("si_sdr", DELTA_PESQ_SNRS, False, 2),
    ]
    body = []
    for name in names:
        if name == "noisy":
            continue
        body.append([name, *(fmt_delta(paired_deltas(rows, name, m, at(snrs, dry)), d) for m, snrs, dry, d in cells)])
    return md_table(header, body)


def ordered_values(rows: Sequence[dict[str, object]], key: str) -> list[object]:
    """Distinct values of ``key`` in first-seen order (sorted for numbers)."""
    seen = list(dict.fromkeys(r[key] for r in rows))
    return sorted(seen) if all(isinstance(v, (int, float)) for v in seen) else sorted(seen, key=str)


# ----------------------------------------------------------------------- output


def git_commit() -> str:
    """Short commit hash of the checkout, or ``"unknown"``."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def header_lines(command: str, items: Sequence[Item], elapsed_s: float, jobs: int) -> list[str]:
    """Provenance lines at the top of the report."""
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    dur = sum(it.duration_s for it in items) / 60
    n_rev = sum(it.reverberant for it in items)
    return [
        "# Quality benchmark",
        "",
        f"- Command: `{command}`",
        f"- Date: {now}; voxclean {voxclean.__version__} (commit {git_commit()}); "
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs",
        f"- Dev set: {len(items)} items ({dur:.1f} min; {n_rev} reverberant), "
        f"see `benchmarks/devset.py`; scoring with {jobs} process(es) took {elapsed_s / 60:.1f} min",
        "- Metrics: `voxclean.metrics.score(clean, enhanced, 16000, align=False)`; means over items, "
        "NaN (metric undefined) ignored. PESQ is wide-band (P.862.2). SI-SDR, SNR in dB.",
        f"- RTF: enhancement time / audio duration, one thread, main process, first {min(RTF_ITEMS, len(items))} "
        "items after one warm-up call. Peers include their own resampling/int16 conversion.",
        "- Reverberant items use the direct path + 50 ms early reflections as reference, so every "
        "system is also charged for the late reverberation it leaves; see the dry/reverberant table.",
        "",
    ]


def report(rows: Sequence[dict[str, object]], names: Sequence[str], rtf: dict[str, float], head: list[str]) -> str:
    """The whole markdown report."""
    snrs = ordered_values(rows, "snr_db")
    ntypes = ordered_values(rows, "noise_type")
    cats = ordered_values(rows, "noise_category")
    snr_label = lambda v: f"{float(v):+.0f} dB"  # noqa: E731
    parts = [*head, "## Overall (mean over all items)", "", overall_table(rows, names, rtf), ""]
    parts += ["## Improvement over the noisy input (paired by item)", "",
              "Mean difference ± standard error over the items at those input SNRs.", "", delta_table(rows, names), ""]
    parts += ["## Dry vs reverberant items", ""]
    for metric in ("pesq", "stoi", "si_sdr"):
        parts += [f"### {LABELS[metric]}", "", split_table(rows, names, metric, "reverberant", [0, 1], lambda v: "reverberant" if v else "dry"), ""]
    parts += ["## Per input SNR", ""]
    for metric in ("pesq", "stoi", "estoi", "si_sdr", "covl"):
        parts += [f"### {LABELS[metric]}", "", split_table(rows, names, metric, "snr_db", snrs, snr_label), ""]
    parts += ["## Per noise category", ""]
    for metric in ("pesq", "stoi", "si_sdr"):
        parts += [f"### {LABELS[metric]}", "", split_table(rows, names, metric, "noise_category", cats, str), ""]
    parts += ["## Per noise type", ""]
    for metric in ("pesq", "stoi", "si_sdr"):
        parts += [f"### {LABELS[metric]}", "", split_table(rows, names, metric, "noise_type", ntypes, str), ""]
    failures = [r for r in rows if str(r.get("notes", "")).startswith("error")]
    if failures:
        parts += ["## Failures", "", *[f"- {r['system']} on {r['id']}: {r['notes']}" for r in failures], ""]
    return "\n".join(parts)


def write_csv(rows: Sequence[dict[str, object]], path: Path) -> None:
    """Per-item results."""
    fields = ["id", "system", "snr_db", "noise_type", "noise_category", "speaker", "reverberant", "duration_s", "enhance_s", *METRICS, "notes"]
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.5g}" if isinstance(v, float) else v) for k, v in r.items()})


# -------------------------------------------------------------------------- CLI


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    ap = argparse.ArgumentParser(description="voxclean quality benchmark on the dev set")
    ap.add_argument("--quick", action="store_true", help="24-item subset")
    ap.add_argument("--max-items", type=int, default=None)
    ap.add_argument("--methods", default=None, help="comma list of systems (noisy is always added)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes for scoring")
    ap.add_argument("--out", type=Path, default=RESULTS, help="output folder")
    ap.add_argument("--reuse", type=Path, default=None, metavar="DIR",
                    help="also report the systems of DIR/quality.csv that this run does not score (their "
                         "per-item rows and, from DIR/quality.md, their RTF), e.g. peers that did not change")
    return ap.parse_args(argv)


def reuse_rows(folder: Path, items: Sequence[Item], skip: Sequence[str]) -> tuple[list[dict[str, object]], dict[str, float], list[str]]:
    """Rows, RTFs and names of the systems in an earlier report that are not in ``skip``.

    Only rows of the current dev-set items are taken, and every item must be there
    (the earlier run must have used the same dev set).
    """
    ids = {it.id for it in items}
    rows: list[dict[str, object]] = []
    with open(folder / "quality.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            if r["system"] in skip or r["id"] not in ids:
                continue
            row: dict[str, object] = dict(r)
            row["snr_db"] = int(float(r["snr_db"]))
            row["reverberant"] = int(r["reverberant"])
            row["speaker"] = r["speaker"]
            for k in ("duration_s", "enhance_s", *METRICS):
                row[k] = float(r[k]) if r.get(k) not in (None, "", "nan") else math.nan
            rows.append(row)
    names = list(dict.fromkeys(str(r["system"]) for r in rows))
    for n in names:
        got = {r["id"] for r in rows if r["system"] == n}
        if got != ids:
            raise SystemExit(f"--reuse: {n} has {len(got)} of the {len(ids)} dev-set items in {folder}")
    rtf: dict[str, float] = {}
    md = (folder / "quality.md").read_text().splitlines()
    start = md.index("## Overall (mean over all items)")
    for line in md[start:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) > 2 and cells[0] in names:
            rtf[cells[0]] = float(cells[-1]) if cells[-1] != "n/a" else math.nan
        if line.startswith("## ") and line != md[start]:
            break
    return rows, rtf, names


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and write the report."""
    args = parse_args(argv)
    command = "python benchmarks/quality.py" + "".join(f" {a}" for a in (sys.argv[1:] if argv is None else argv))
    names = pick_systems(args.methods)
    items = load_devset(args.quick, max_items=args.max_items)
    print(f"[quality] {len(items)} items x {len(names)} systems, jobs={args.jobs}", file=sys.stderr)
    t0 = time.perf_counter()
    rows = run_scoring(items, names, args.jobs)
    elapsed = time.perf_counter() - t0
    print("[quality] measuring RTF (single thread)", file=sys.stderr)
    rtf = measure_rtf(items[:RTF_ITEMS], names)
    head = header_lines(command, items, elapsed, args.jobs)
    if args.reuse is not None:
        old_rows, old_rtf, old_names = reuse_rows(args.reuse, items, names)
        if old_names:
            rows = rows + old_rows
            rtf.update(old_rtf)
            canon = list(all_systems())
            names = sorted([*names, *old_names], key=lambda n: canon.index(n) if n in canon else len(canon))
            order = {it.id: k for k, it in enumerate(items)}
            rank = {n: k for k, n in enumerate(names)}
            rows.sort(key=lambda r: (order[str(r["id"])], rank[str(r["system"])]))
            head.insert(-1, f"- Reused from the earlier run in `{args.reuse}` (not re-run here; same dev set): "
                            + ", ".join(old_names))
    args.out.mkdir(parents=True, exist_ok=True)
    write_csv(rows, args.out / "quality.csv")
    text = report(rows, names, rtf, head)
    (args.out / "quality.md").write_text(text + "\n")
    print(text.split("## Improvement")[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
