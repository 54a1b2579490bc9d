"""How steady this machine's CPU is: the same small piece of work, timed back to back.

Real-time criteria (no late WebSocket block, no live underrun) need every block of
work to finish in time, so a machine that now and then runs the same work several
times slower limits them whatever the code does. This benchmark times three fixed
workloads back to back on one core, each for ``--seconds``:

1. ``python loop``: ``time.perf_counter()`` in a loop; any gap is the process not
   running at all (descheduled);
2. ``numpy fft``: a real FFT of 64 x 1024 samples (about 0.15 ms);
3. ``neural 20 ms``: the shipped neural enhancer on one 20 ms chunk of noisy speech
   (what the service does per WebSocket frame), the same chunk every time.

For each: calls, median, p99 and max time, the share of calls that took more than 4x the
median, and the "slow episodes" (slow calls less than 100 ms apart count as one episode)
per minute. Writes ``benchmarks/results/machine_jitter.md``. Run it on a quiet machine:

    python benchmarks/machine_jitter.py [--seconds 20] [--out PATH]
"""

# ruff: noqa: I001  (_one_thread must be imported before numpy)
from __future__ import annotations

import _one_thread  # noqa: F401  (before numpy: one BLAS/OpenMP thread; benchmarks/ is the script's folder)

import argparse
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def _time_calls(fn: Callable[[], object], seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """Start times (s) and durations (ms) of back-to-back calls of ``fn`` for ``seconds``."""
    for _ in range(50):  # warm-up
        fn()
    starts, durs = [], []
    t0 = time.perf_counter()
    while True:
        t = time.perf_counter()
        if t - t0 >= seconds:
            break
        fn()
        starts.append(t - t0)
        durs.append(time.perf_counter() - t)
    return np.array(starts), 1000 * np.array(durs)


def _loop_gaps(seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """Times (s) and lengths (ms) of the gaps between consecutive clock reads over 0.05 ms."""
    t0 = last = time.perf_counter()
    at, gaps = [], []
    while last - t0 < seconds:
        now = time.perf_counter()
        if now - last > 5e-5:
            at.append(now - t0)
            gaps.append(1000 * (now - last))
        last = now
    return np.array(at), np.array(gaps)


def _episodes(starts: np.ndarray, slow: np.ndarray) -> int:
    t = starts[slow]
    if t.size == 0:
        return 0
    return 1 + int(np.sum(np.diff(t) > 0.1))


def _neural_chunk() -> Callable[[], object]:
    import soundfile as sf

    from voxclean.enhance.base import Stream, process_streams
    from voxclean.enhance.facade import create
    from voxclean.neural.data import data_dir

    path = data_dir() / "pairs" / "vctk_p287_noisy_train" / "noisy" / "p287_001.flac"
    x, sr = sf.read(path, dtype="float32", always_2d=True)
    enh = create("neural", sr, live=True)  # the model live use and streams run
    stream = Stream(enh, 1)
    chunk = np.ascontiguousarray(x[sr : sr + sr // 50, :1].T)  # 20 ms from 1 s in
    return lambda: process_streams([stream], [chunk])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=20.0, help="per workload (default 20)")
    p.add_argument("--out", type=Path, default=RESULTS / "machine_jitter.md")
    a = p.parse_args(argv)
    rows = ["| workload | calls | median ms | p99 ms | max ms | calls > 4x median | slow episodes per minute |",
            "|---|---|---|---|---|---|---|"]
    at, gaps = _loop_gaps(a.seconds)
    rows.append(f"| python loop (gaps > 0.05 ms) | {gaps.size} gaps | | | {gaps.max() if gaps.size else 0:.2f} | "
                f"{int((gaps > 1).sum())} gaps > 1 ms | {60 * _episodes(at, gaps > 1) / a.seconds:.1f} |")
    print(rows[-1], flush=True)
    x = np.random.default_rng(0).standard_normal((64, 1024))
    for name, fn in [("numpy fft 64 x 1024", lambda: np.fft.rfft(x)), ("neural 20 ms chunk", _neural_chunk())]:
        starts, d = _time_calls(fn, a.seconds)
        med = float(np.median(d))
        slow = d > 4 * med
        rows.append(f"| {name} | {d.size} | {med:.3f} | {np.percentile(d, 99):.3f} | {d.max():.2f} | "
                    f"{int(slow.sum())} ({100 * slow.mean():.2f} %) | {60 * _episodes(starts, slow) / a.seconds:.1f} |")
        print(rows[-1], flush=True)
    head = [
        "# Machine jitter: the same work, timed back to back",
        "",
        f"- Command: `python benchmarks/machine_jitter.py --seconds {a.seconds:g}`",
        (f"- Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}; "
        f"load average {os.getloadavg()[0]:.1f} at the end; date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"),
        "",
    ]
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text("\n".join(head + rows) + "\n")
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
