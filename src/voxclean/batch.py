"""Enhance many files: parallel workers, resumable, one failure never stops the rest.

* :func:`plan` -- the (input, output) pairs of a folder, mirroring its tree.
* :func:`run_batch` -- enhance them in ``workers`` processes; completed outputs are skipped.
* :class:`FileOutcome`, :class:`BatchSummary`, :func:`write_log`.

Every file goes through :func:`voxclean.enhance_file` (blocks of 1 s, output written to a
hidden temporary file and renamed into place when complete), so memory is constant in the
file length and an interrupted run never leaves a partial output under its final name;
hidden ``.part`` files left by a killed run are removed when the batch starts again.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import VoxcleanError

__all__ = ["plan", "run_batch", "FileOutcome", "BatchSummary", "write_log", "READ_ONLY_EXT", "output_for"]

#: Extensions read but not written; their outputs become WAV.
READ_ONLY_EXT = {".m4a", ".aac", ".mp4", ".m4v", ".mkv", ".webm", ".mov", ".avi", ".wma", ".3gp", ".ac3"}


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file.

    Attributes
    ----------
    input, output : str
    status : {"ok", "skipped", "failed"}
        ``skipped``: the output already existed (a completed earlier run).
    audio_s : float
        Duration of the input in seconds (0 when unknown).
    seconds : float
        Wall-clock processing time.
    error : str
        Why it failed ("" otherwise).
    """

    input: str
    output: str
    status: str
    audio_s: float = 0.0
    seconds: float = 0.0
    error: str = ""


@dataclass(frozen=True)
class BatchSummary:
    """Totals of a batch run (real-time factor = processing seconds / audio seconds, per worker)."""

    files: int
    ok: int
    skipped: int
    failed: int
    audio_hours: float
    wall_s: float
    processing_s: float
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def rtf(self) -> float:
        """Processing time over audio time of the files enhanced in this run."""
        done = self.audio_hours * 3600
        return self.processing_s / done if done else float("nan")

    @property
    def speed(self) -> float:
        """Audio hours enhanced per wall-clock hour (all workers together)."""
        return self.audio_hours * 3600 / self.wall_s if self.wall_s > 0 else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"rtf": self.rtf, "speed": self.speed}


def output_for(src: Path, out: Path) -> Path:
    """The output path for ``src`` at ``out`` (video/AAC inputs give WAV outputs)."""
    return out.with_suffix(".wav") if out.suffix.lower() in READ_ONLY_EXT else out


def plan(src_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str]) -> list[tuple[Path, Path]]:
    """Every audio/video file under ``src_dir`` (recursively, sorted) with its output under ``out_dir``.

    Files already inside ``out_dir`` (when it lies within ``src_dir``) are left out.
    """
    from .io import is_audio_path

    src, out = Path(src_dir), Path(out_dir)
    out_res = out.resolve()
    files = sorted(p for p in src.rglob("*") if p.is_file() and is_audio_path(p) and out_res not in p.resolve().parents)
    return [(f, output_for(f, out / f.relative_to(src))) for f in files]


def _remove_partials(dst: Path) -> None:
    """Delete hidden temporary files of ``dst`` left by a killed run."""
    if dst.parent.is_dir():
        for p in dst.parent.glob(f".{dst.name}.*.part"):
            try:
                p.unlink()
            except OSError:
                pass


def _duration(path: Path) -> float:
    from .io import info

    try:
        return float(info(path).duration_s or 0.0)
    except (VoxcleanError, OSError):
        return 0.0


def process_one(src: Path, dst: Path, options: dict[str, Any], overwrite: bool = False) -> FileOutcome:
    """Enhance one file into ``dst`` (creating folders); never raises for a bad file."""
    from .enhance.file import enhance_file

    t0 = time.perf_counter()
    audio_s = 0.0
    try:
        if dst.exists() and not overwrite:
            return FileOutcome(str(src), str(dst), "skipped", _duration(src), 0.0)
        _remove_partials(dst)
        dst.parent.mkdir(parents=True, exist_ok=True)
        res = enhance_file(src, dst, **options)
        audio_s = res.frames / res.sample_rate
    except Exception as exc:  # noqa: BLE001 - one bad file fails alone, whatever the reason
        return FileOutcome(str(src), str(dst), "failed", audio_s, time.perf_counter() - t0, str(exc) or type(exc).__name__)
    return FileOutcome(str(src), str(dst), "ok", audio_s, time.perf_counter() - t0)


def run_batch(
    jobs: Sequence[tuple[Path, Path]],
    options: dict[str, Any],
    *,
    workers: int = 1,
    overwrite: bool = False,
    on_result: Callable[[FileOutcome], Any] | None = None,
) -> tuple[list[FileOutcome], BatchSummary]:
    """Enhance ``jobs`` with ``workers`` processes.

    Parameters
    ----------
    jobs : sequence of (input, output) paths
    options : dict
        Keyword arguments of :func:`voxclean.enhance_file` (method, strength_db, ...).
    workers : int >= 1
        Worker processes; 1 runs in this process.
    overwrite : bool
        Re-enhance files whose output exists (default: skip them, which makes a re-run resume).
    on_result : callable or None
        Called with each :class:`FileOutcome` as it completes (in this process).

    Returns
    -------
    (list of FileOutcome in job order, BatchSummary)
    """
    t0 = time.perf_counter()
    results: dict[int, FileOutcome] = {}

    def done(i: int, r: FileOutcome) -> None:
        results[i] = r
        if on_result is not None:
            on_result(r)

    if workers <= 1 or len(jobs) <= 1:
        for i, (src, dst) in enumerate(jobs):
            done(i, process_one(src, dst, options, overwrite))
    else:
        ctx = multiprocessing.get_context("spawn")  # no fork of a process with threads (progress bar)
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            pending: dict[Future[FileOutcome], int] = {}
            queue = list(enumerate(jobs))[::-1]
            while queue or pending:
                while queue and len(pending) < 2 * workers:  # bounded submission
                    i, (src, dst) = queue.pop()
                    pending[pool.submit(process_one, src, dst, options, overwrite)] = i
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    i = pending.pop(fut)
                    src, dst = jobs[i]
                    try:
                        r = fut.result()
                    except BrokenProcessPool:
                        r = FileOutcome(str(src), str(dst), "failed", error="worker process died (out of memory?)")
                    except Exception as exc:  # noqa: BLE001 - one file fails alone
                        r = FileOutcome(str(src), str(dst), "failed", error=f"{type(exc).__name__}: {exc}")
                    done(i, r)
    outcomes = [results[i] for i in range(len(jobs))]
    return outcomes, summarize(outcomes, time.perf_counter() - t0)


def summarize(outcomes: Iterable[FileOutcome], wall_s: float) -> BatchSummary:
    """Totals of ``outcomes`` (audio hours and processing time count enhanced files only)."""
    outs = list(outcomes)
    ok = [o for o in outs if o.status == "ok"]
    return BatchSummary(
        files=len(outs), ok=len(ok), skipped=sum(o.status == "skipped" for o in outs),
        failed=sum(o.status == "failed" for o in outs), audio_hours=sum(o.audio_s for o in ok) / 3600,
        wall_s=wall_s, processing_s=sum(o.seconds for o in ok),
        failures=[(o.input, o.error) for o in outs if o.status == "failed"],
    )


def write_log(path: str | os.PathLike[str], outcomes: Sequence[FileOutcome], summary: BatchSummary | None = None) -> None:
    """Write one row per file as CSV (``.csv``) or JSON (any other extension, with the summary)."""
    p = Path(path)
    rows = [asdict(o) | {"rtf": (o.seconds / o.audio_s if o.audio_s and o.status == "ok" else None)} for o in outcomes]
    if p.suffix.lower() == ".csv":
        with open(p, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=["input", "output", "status", "audio_s", "seconds", "rtf", "error"])
            w.writeheader()
            w.writerows(rows)
    else:
        p.write_text(json.dumps({"summary": None if summary is None else summary.to_dict(), "files": rows}, indent=2))
