"""Speed and memory benchmark for voxclean.

1. **Streaming real-time factor.** For every method in
   :func:`voxclean.list_methods` (default parameters) at 16 kHz and 48 kHz:
   60 s of real noisy speech (dev-set mixtures, resampled with soxr for 48 kHz)
   is fed through :class:`voxclean.Stream` in 10 ms blocks, single-threaded.
   RTF = total processing time / audio duration; the 99th percentile and the
   maximum of the time spent per 10 ms block are reported too (a live stream
   needs them below 10 ms). One warm-up second runs through a separate stream
   first.
2. **The neural model** (when ``neural`` is among the methods): parameters and
   multiply-accumulates per frame from the model's metadata, MAC/s, and at 16 kHz
   the frame-by-frame RTF with per-frame p50/p99 times next to the whole-file RTF
   (:func:`voxclean.run_offline` on the same 60 s), single-threaded.
3. **Peak memory of the file path.** A 1-hour, 48 kHz stereo, 16-bit WAV
   (about 690 MB; built from the same speech, written block by block into a
   temporary folder that is deleted afterwards) is enhanced in a child process
   by ``voxclean.io.read_blocks`` -> ``voxclean.enhance.stream_compensated`` ->
   ``voxclean.io.BlockWriter`` (and, when the ``voxclean enhance`` command
   exists, by ``voxclean enhance in.wav out.wav`` too). The peak resident set
   size of each child is measured with GNU ``time -f %M`` (or ``/proc`` ``VmHWM``
   polling where that is missing); a child that
   only imports the same modules and builds the enhancer gives the baseline.

Writes ``benchmarks/results/speed.md`` (a full run) or ``--out DIR/speed.md``; a
partial run (``--quick``, ``--methods``, ``--no-memory``, ``--neural-models``)
without ``--out`` only prints its report, so that it cannot replace the full one.

Usage::

    python benchmarks/speed.py [--quick] [--methods a,b] [--memory-method omlsa]
"""

from __future__ import annotations

import os

import _one_thread  # noqa: E402,F401  (before numpy: single-threaded timings)

import argparse  # noqa: E402
import datetime as _dt  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402
import soxr  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

import voxclean  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
BLOCK_MS = 10
RATES = (16000, 48000)
FILE_SR = 48000
FILE_CHANNELS = 2
READ_BLOCK_FRAMES = 4800  # 100 ms at 48 kHz per read_blocks() block


# ------------------------------------------------------------------------ input


def noisy_speech(seconds: float, sr: int) -> np.ndarray:
    """``seconds`` of concatenated dev-set mixtures at ``sr`` (float32, 1-D)."""
    from devset import load_devset

    parts, total = [], 0
    for item in load_devset():
        parts.append(item.noisy)
        total += item.noisy.shape[0]
        if total >= seconds * item.sr:
            break
    x = np.concatenate(parts)[: int(seconds * 16000)]
    if sr != 16000:
        x = soxr.resample(x, 16000, sr, quality="VHQ")
    return np.ascontiguousarray(x, dtype=np.float32)


# -------------------------------------------------------------------- streaming


@dataclass
class StreamTiming:
    """Streaming timing of one method at one sample rate."""

    method: str
    sr: int
    rtf: float
    p99_ms: float
    max_ms: float
    block_size: int
    latency: int
    rtfs: tuple[float, ...] = ()  # of every repeat


def _rtf_cell(rtf: float, rtfs: Sequence[float]) -> str:
    """``0.0427`` or, over several repeats, the median run and the range: ``0.0427 (0.0398-0.0530)``."""
    return f"{rtf:.4f}" if len(rtfs) <= 1 else f"{rtf:.4f} ({min(rtfs):.4f}-{max(rtfs):.4f})"


def stream_blocks(enhancer: voxclean.Enhancer, x: np.ndarray, block: int) -> np.ndarray:
    """Per-call processing times (s) of feeding ``x`` through a Stream in ``block`` samples."""
    stream = voxclean.Stream(enhancer, 1)
    x2 = x[None, :]
    n = x.shape[0] // block
    times = np.empty(n)
    for k in range(n):
        chunk = x2[:, k * block : (k + 1) * block]
        t0 = time.perf_counter()
        stream.process(chunk)
        times[k] = time.perf_counter() - t0
    return times


def stream_repeated(
    enhancer: voxclean.Enhancer, x: np.ndarray, block: int, sr: int, repeat: int
) -> tuple[np.ndarray, list[float]]:
    """:func:`stream_blocks` ``repeat`` times: the per-call times of the median run, and every run's RTF."""
    runs = [stream_blocks(enhancer, x, block) for _ in range(max(1, repeat))]
    dur = runs[0].size * block / sr
    rtfs = [float(r.sum() / dur) for r in runs]
    return runs[int(np.argsort(rtfs)[(len(runs) - 1) // 2])], rtfs


def time_stream(method: str, x: np.ndarray, sr: int, repeat: int = 1) -> StreamTiming:
    """Streaming RTF of ``method`` on ``x`` at ``sr`` with 10 ms blocks.

    With ``repeat`` > 1 the whole signal is streamed that many times (a fresh stream
    each time); the run with the median total is reported, with the range of RTFs.
    """
    enhancer = voxclean.create(method, sr)
    block = sr * BLOCK_MS // 1000
    stream_blocks(enhancer, x[:sr], block)  # warm-up on its own stream
    times, rtfs = stream_repeated(enhancer, x, block, sr, repeat)
    dur = times.shape[0] * block / sr
    return StreamTiming(
        method=method,
        sr=sr,
        rtf=float(times.sum() / dur),
        p99_ms=float(np.percentile(times, 99) * 1e3),
        max_ms=float(times.max() * 1e3),
        block_size=int(enhancer.block_size),
        latency=int(enhancer.latency),
        rtfs=tuple(rtfs),
    )


def streaming_table(timings: Sequence[StreamTiming], seconds: float, repeat: int = 1) -> str:
    """Markdown table: one row per method, columns per sample rate."""
    methods = list(dict.fromkeys(t.method for t in timings))
    get = {(t.method, t.sr): t for t in timings}
    header = ["method"]
    for sr in RATES:
        k = sr // 1000
        header += [f"RTF {k} kHz", f"p99 / max per 10 ms block, {k} kHz (ms)"]
    header += ["block / latency @16 kHz (samples)"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for m in methods:
        cells = [m]
        for sr in RATES:
            t = get[(m, sr)]
            cells += [_rtf_cell(t.rtf, t.rtfs), f"{t.p99_ms:.2f} / {t.max_ms:.2f}"]
        t16 = get[(m, 16000)]
        cells.append(f"{t16.block_size} / {t16.latency}")
        lines.append("| " + " | ".join(cells) + " |")
    runs = "" if repeat <= 1 else (f" Each signal streamed {repeat} times: the RTF of the median run "
                                   "(the range over the runs); p99/max of that run.")
    return f"{seconds:.0f} s of noisy speech per rate, 10 ms blocks, one thread.{runs}\n\n" + "\n".join(lines)


def neural_table(x16: np.ndarray, repeat: int = 1, models: Sequence[str] = ("",)) -> str:
    """Size, cost and frame-by-frame vs whole-file speed of neural models at 16 kHz.

    ``models``: ONNX files or packaged model names (``""`` = the default), timed in turn in each of
    ``max(1, repeat)`` rounds, so a change of the machine's speed during the run
    falls on every model alike; the median round is reported, with the range.
    """
    enhancers = [voxclean.create("neural", 16000, model=m) for m in models]
    frames: list[list[np.ndarray]] = [[] for _ in models]
    frame_rtfs: list[list[float]] = [[] for _ in models]
    whole_rtfs: list[list[float]] = [[] for _ in models]
    dur = x16.shape[0] / 16000
    for enhancer in enhancers:
        stream_blocks(enhancer, x16[:16000], 160)  # warm-up
    for _ in range(max(1, repeat)):
        for i, enhancer in enumerate(enhancers):
            f, r = stream_repeated(enhancer, x16, 160, 16000, 1)
            frames[i].append(f)
            frame_rtfs[i] += r
            t0 = time.perf_counter()
            voxclean.run_offline(enhancer, x16[None, :], 16000)
            whole_rtfs[i].append((time.perf_counter() - t0) / dur)
    rows = [
        "| model | latency (ms) | parameters | MACs / frame | MAC/s | RTF frame by frame | per-frame p50 / p99 (ms) "
        "| RTF whole file |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for i, enhancer in enumerate(enhancers):
        meta = enhancer.model.metadata
        hop_s = int(meta["hop"]) / int(meta["sample_rate"])
        macs = int(meta["macs_per_frame"])
        med = int(np.argsort(frame_rtfs[i])[len(frame_rtfs[i]) // 2])
        ft = frames[i][med]
        rows.append(
            f"| {meta['name']} (step {meta.get('training_steps', '?')}) | {float(meta['latency_ms']):g} | "
            f"{int(meta['n_params']):,} | {macs:,} | {macs / hop_s / 1e6:.1f} M | "
            f"{_rtf_cell(frame_rtfs[i][med], frame_rtfs[i])} | "
            f"{np.percentile(ft, 50) * 1e3:.3f} / {np.percentile(ft, 99) * 1e3:.3f} | "
            f"{_rtf_cell(float(np.median(whole_rtfs[i])), whole_rtfs[i])} |"
        )
    return (f"{dur:.0f} s of noisy speech at 16 kHz, one thread; frames of 10 ms; MACs are the matrix "
            "products of the network (metadata `macs_per_frame`).\n\n" + "\n".join(rows))


# ----------------------------------------------------------------------- memory


def write_long_file(path: Path, seconds: float, x48: np.ndarray) -> None:
    """Write a stereo 48 kHz PCM_16 WAV of ``seconds`` by looping ``x48`` block by block."""
    n_total = int(seconds * FILE_SR)
    shift = x48.shape[0] // 3
    with sf.SoundFile(path, "w", FILE_SR, FILE_CHANNELS, subtype="PCM_16", format="WAV") as fh:
        done = 0
        while done < n_total:
            n = min(x48.shape[0], n_total - done)
            left = x48[:n]
            right = 0.8 * np.roll(x48, shift)[:n]
            fh.write(np.stack([left, right], axis=1))
            done += n


def child_enhance(src: str, dst: str, method: str) -> None:
    """Child process body: constant-memory file enhancement through the library API."""
    from voxclean.enhance import stream_compensated
    from voxclean.io import BlockWriter, info, read_blocks

    meta = info(src)
    enhancer = voxclean.create(method, meta.sample_rate)
    blocks = read_blocks(src, block_frames=READ_BLOCK_FRAMES)
    with BlockWriter(dst, meta.sample_rate, meta.channels, subtype="PCM_16") as writer:
        for y in stream_compensated(enhancer, blocks, meta.channels):
            writer.write(y)


def child_baseline(method: str) -> None:
    """Child process body: the same imports and enhancer construction, no audio."""
    from voxclean.enhance import stream_compensated  # noqa: F401
    from voxclean.io import BlockWriter, read_blocks  # noqa: F401

    voxclean.create(method, FILE_SR)


@dataclass
class ChildRun:
    """Resource usage of one child process."""

    label: str
    command: str
    rc: int
    peak_rss_mb: float
    wall_s: float


def peak_rss_polled(proc: subprocess.Popen[bytes]) -> float:
    """Poll ``VmHWM`` of a running child until it exits; last value in KiB."""
    status = Path(f"/proc/{proc.pid}/status")
    peak = 0.0
    while proc.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, float(line.split()[1]))
        except OSError:
            pass
        time.sleep(0.05)
    return peak


def run_child(label: str, cmd: Sequence[str]) -> ChildRun:
    """Run ``cmd`` and return its exit code, peak RSS (MiB) and wall time.

    The peak comes from GNU ``/usr/bin/time -f %M`` when present (its own tiny
    process forks the child, so the child's ``ru_maxrss`` is not inflated by
    this process's memory, as a direct fork/exec from here would be on Linux);
    otherwise ``VmHWM`` is polled from ``/proc``.
    """
    gnu_time = Path("/usr/bin/time")
    # stderr goes to a file, not a pipe: a progress bar would fill a pipe and block the child.
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss_file, tempfile.TemporaryFile() as err_file:
        full = [str(gnu_time), "-f", "%M", "-o", rss_file.name, *cmd] if gnu_time.exists() else list(cmd)
        t0 = time.perf_counter()
        proc = subprocess.Popen(full, stdout=subprocess.DEVNULL, stderr=err_file)
        polled = peak_rss_polled(proc)
        wall = time.perf_counter() - t0
        err_file.seek(0)
        err = err_file.read().decode(errors="replace")
        text = rss_file.read().split()
        peak_kib = float(text[-1]) if gnu_time.exists() and text else polled
    if proc.returncode:
        print(f"[speed] {label} failed (rc={proc.returncode}): {err[-2000:]}", file=sys.stderr)
    shown = " ".join(Path(c).name if "/" in c else c for c in cmd)
    return ChildRun(label, shown, int(proc.returncode), peak_kib / 1024, wall)


def cli_available() -> str | None:
    """Path of a working ``voxclean`` command with an ``enhance`` subcommand, or None.

    The one installed beside the running interpreter comes first (the environment
    being benchmarked), then the one on ``PATH``.
    """
    beside = Path(sys.executable).with_name("voxclean")
    exe = str(beside) if beside.exists() else (shutil.which("voxclean") or str(beside))
    if not Path(exe).exists():
        return None
    try:
        out = subprocess.run([exe, "enhance", "--help"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return exe if out.returncode == 0 else None


def check_output(src: Path, dst: Path) -> str:
    """Compare frame counts and channels of input and output files."""
    if not dst.exists():
        return "no output file"
    a, b = sf.info(str(src)), sf.info(str(dst))
    ok = a.frames == b.frames and a.channels == b.channels and a.samplerate == b.samplerate
    return "output matches input length/channels/rate" if ok else f"mismatch: {a.frames} vs {b.frames} frames"


def measure_memory(seconds: float, method: str, x48: np.ndarray) -> tuple[list[ChildRun], list[str]]:
    """Build the long file, run the children, delete the file; return runs and notes."""
    me = [sys.executable, str(Path(__file__).resolve())]
    runs: list[ChildRun] = []
    notes: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="voxclean_speed_"))
    try:
        src = tmp / "big.wav"
        write_long_file(src, seconds, x48)
        notes.append(f"input: {seconds / 3600:.2f} h, 48 kHz stereo PCM_16 WAV, {src.stat().st_size / 2**20:.0f} MiB")
        runs.append(run_child("baseline (imports + enhancer)", [*me, "--child-baseline", method]))
        dst = tmp / "out_api.wav"
        runs.append(run_child(f"API: read_blocks -> stream_compensated -> BlockWriter ({method})", [*me, "--child-enhance", str(src), str(dst), method]))
        notes.append(f"API path: {check_output(src, dst)}")
        dst.unlink(missing_ok=True)
        exe = cli_available()
        if exe:
            dst = tmp / "out_cli.wav"
            runs.append(run_child(f"CLI: voxclean enhance -m {method} big.wav out.wav", [exe, "enhance", "-m", method, str(src), str(dst)]))
            notes.append(f"CLI path: {check_output(src, dst)}")
        else:
            notes.append("CLI `voxclean enhance` not available at run time (voxclean.cli.main missing); not measured")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return runs, notes


def memory_table(runs: Sequence[ChildRun], seconds: float) -> str:
    """Markdown table of the child runs."""
    lines = ["| run | peak RSS (MiB) | wall (s) | RTF (wall / audio) | rc |", "|---|---|---|---|---|"]
    for r in runs:
        rtf = "" if r.label.startswith("baseline") else f"{r.wall_s / seconds:.4f}"
        lines.append(f"| {r.label} | {r.peak_rss_mb:.1f} | {r.wall_s:.1f} | {rtf} | {r.rc} |")
    return "\n".join(lines)


# -------------------------------------------------------------------------- CLI


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options (plus the hidden child modes)."""
    ap = argparse.ArgumentParser(description="voxclean speed and memory benchmark")
    ap.add_argument("--quick", action="store_true", help="10 s streaming, 2-minute file")
    ap.add_argument("--methods", default=None, help="comma list of methods")
    ap.add_argument("--memory-method", default="omlsa")
    ap.add_argument("--no-memory", action="store_true", help="skip the long-file memory test")
    ap.add_argument("--repeat", type=int, default=1,
                    help="time each streaming run N times; report the median run and the range (the VM's speed varies)")
    ap.add_argument("--neural-models", default="",
                    help="comma list of ONNX files or packaged model names (e.g. ',low-latency'; empty item = the default)")
    ap.add_argument("--out", type=Path, default=None,
                    help="folder for speed.md (default: benchmarks/results for a full run; "
                         "a partial run writes nothing unless this is given)")
    ap.add_argument("--child-enhance", nargs=3, metavar=("SRC", "DST", "METHOD"), help=argparse.SUPPRESS)
    ap.add_argument("--child-baseline", metavar="METHOD", help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def header(command: str) -> list[str]:
    """Provenance lines."""
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return [
        "# Speed and memory benchmark",
        "",
        f"- Command: `{command}`",
        f"- Date: {now}; voxclean {voxclean.__version__}; Python {platform.python_version()} "
        f"on {platform.machine()} ({platform.processor() or 'cpu'}), {os.cpu_count()} CPUs; "
        "BLAS/OpenMP pinned to 1 thread",
        "- Load average at start (1/5/15 min): " + " / ".join(f"{v:.2f}" for v in os.getloadavg())
        + " (other processes on the machine slow the timings down)",
        "",
    ]


def report_dir(args: argparse.Namespace) -> Path | None:
    """Folder that ``speed.md`` goes to, or None when the run writes no file.

    ``benchmarks/results/speed.md`` is the full run's report (with rows added by hand
    from partial runs), so a partial run (``--quick``, ``--methods``, ``--no-memory``
    or ``--neural-models``) only prints its report, unless ``--out`` names a folder.
    """
    if args.out is not None:
        return args.out
    partial = args.quick or args.methods is not None or args.no_memory or args.neural_models != ""
    return None if partial else RESULTS


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark (or a child mode) and write ``speed.md``."""
    args = parse_args(argv)
    if args.child_enhance:
        child_enhance(*args.child_enhance)
        return 0
    if args.child_baseline:
        child_baseline(args.child_baseline)
        return 0
    command = "python benchmarks/speed.py" + "".join(f" {a}" for a in (sys.argv[1:] if argv is None else argv))
    methods = args.methods.split(",") if args.methods else voxclean.list_methods()
    seconds = 10.0 if args.quick else 60.0
    file_seconds = 120.0 if args.quick else 3600.0
    signals = {sr: noisy_speech(seconds, sr) for sr in RATES}
    timings = []
    for m in methods:
        for sr in RATES:
            timings.append(time_stream(m, signals[sr], sr, args.repeat))
            t = timings[-1]
            print(f"[speed] {m:24s} {sr:5d} Hz RTF {t.rtf:.4f} p99 {t.p99_ms:.2f} ms", file=sys.stderr)
    parts = [*header(command), "## Streaming real-time factor", "", streaming_table(timings, seconds, args.repeat), ""]
    if "neural" in methods:
        parts += ["## Neural model", "", neural_table(signals[16000], args.repeat, args.neural_models.split(",")), ""]
    if not args.no_memory:
        print("[speed] memory test on a long file", file=sys.stderr)
        runs, notes = measure_memory(file_seconds, args.memory_method, signals[48000])
        parts += ["## Peak memory, file enhancement", "", memory_table(runs, file_seconds), ""]
        parts += [f"- {n}" for n in notes]
        parts += [f"- read block: {READ_BLOCK_FRAMES} frames; peak RSS of each child from GNU `time -f %M` (max resident set size)", ""]
    print("\n".join(parts))
    out = report_dir(args)
    if out is None:
        print("[speed] partial run: speed.md not written (pass --out DIR to keep it)", file=sys.stderr)
    else:
        out.mkdir(parents=True, exist_ok=True)
        (out / "speed.md").write_text("\n".join(parts) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
