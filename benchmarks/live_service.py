"""Live engine, streaming service, batch throughput and peak memory of voxclean.

Writes ``benchmarks/results/live_service.md``. Run from the repository root with the
project's environment active (the service needs ``pip install -e ".[serve]"``):

    python benchmarks/live_service.py [--quick] [--skip live,long,ws,batch,memory] [--serve-realtime]
        [--client-realtime]

1. Live engine: every method through :class:`voxclean.stream.LiveEngine` driven by a
   simulated duplex device at real time (real noisy speech from ../shared), default
   device block (half the enhancer block), each with its live defaults (``create(...,
   live=True)``: the neural method's 10 ms model, as ``voxclean live`` runs it): algorithmic/buffering/total latency, block
   processing time p50/p99/max, underruns. Then one long run (``--long-s``, default
   10 minutes) of the neural default (10 ms model) with 10 ms device blocks.
2. WebSocket streams: ``voxclean serve`` in a child process (127.0.0.1); N clients in
   one asyncio process each send 20 ms s16le frames at real time. An output is *late*
   when it arrives more than one frame period (20 ms) after the input frame that
   completed it was sent. N doubles until a block is late.
3. Batch: a folder of 16 kHz recordings through ``voxclean enhance IN -o OUT -j N``:
   audio hours per wall-clock hour.
4. Peak memory (max RSS): a 2-hour 16 kHz mono 16-bit WAV through
   ``voxclean enhance`` (GNU time) and through ``POST /v1/enhance`` (the server's VmHWM;
   the client streams the upload from disk and the answer to disk).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

import voxclean
from voxclean.enhance.facade import DEFAULT_METHOD
from voxclean.stream import LiveEngine, SimulatedDevice, pcm
from voxclean.stream.engine import normal_priority, try_realtime

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("VOXCLEAN_DATA", ROOT.parent / "shared" / "data"))
OUT = ROOT / "benchmarks" / "results" / "live_service.md"
SR = 16000
BEST_CLASSICAL = "mmse-lsa"  # best classical method on the dev set (benchmarks/results/quality.md)


def noisy_speech(seconds: float) -> np.ndarray:
    """Real noisy speech (VCTK noisy training pairs from ../shared), concatenated to ``seconds``."""
    files = sorted((DATA / "pairs" / "vctk_p287_noisy_train" / "noisy").glob("*.flac"))
    parts, n = [], 0
    for f in files:
        y, sr = sf.read(f, dtype="float32", always_2d=True)
        y = voxclean.io.resample(y.T[0], sr, SR) if sr != SR else y.T[0]
        parts.append(y)
        n += len(y)
        if n >= seconds * SR:
            break
    return np.concatenate(parts)[: int(seconds * SR)]


# ----------------------------------------------------------------------------- 1. live engine
def bench_live(seconds: float) -> list[str]:
    x = noisy_speech(seconds)[None]
    rows = ["| method | device block | algorithmic ms | buffering ms | total ms | block p50 ms | block p99 ms | "
            "block max ms | budget ms | underruns | overruns |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    specs = [(m, {}) for m in voxclean.list_methods()] + [("omlsa (frame 16 ms, hop 8 ms)", {"frame_ms": 16, "hop_ms": 8})]
    for name, params in specs:
        enh = voxclean.create(name.split()[0], SR, live=True, **params)
        eng = LiveEngine(enh)
        dev = SimulatedDevice(x, eng.device_block, SR, tail=eng.delay_frames)
        with eng:
            dev.run(eng)
        r = eng.report()
        rows.append(f"| {name} | {r.device_block} | {r.algorithmic_ms:.1f} | {r.buffering_ms:.1f} | {r.total_ms:.1f} | "
                    f"{r.block_p50_ms:.3f} | {r.block_p99_ms:.3f} | {r.block_max_ms:.3f} | {r.block_budget_ms:.1f} | "
                    f"{r.underruns} | {r.overruns} |")
        print(rows[-1], flush=True)
    return rows


def bench_live_long(seconds: float, method: str) -> list[str]:
    """One long real-time run: ``method`` with 10 ms device blocks (the enhancer block at 16 kHz)."""
    x = noisy_speech(60)
    x = np.tile(x, int(np.ceil(seconds * SR / x.size)))[: int(seconds * SR)][None]
    enh = voxclean.create(method, SR, live=True)
    eng = LiveEngine(enh, device_block=SR // 100)
    dev = SimulatedDevice(x, eng.device_block, SR, tail=eng.delay_frames)
    t0 = time.perf_counter()
    with eng:
        dev.run(eng)
    wall = time.perf_counter() - t0
    r = eng.report()
    rows = ["| method | audio s | wall s | device block | algorithmic ms | buffering ms | total ms | block p50 ms | "
            "block p99 ms | block max ms | blocks | underruns | overruns | device callbacks > half a block late |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
            f"| {method} | {x.shape[1] / SR:.0f} | {wall:.0f} | {r.device_block} | {r.algorithmic_ms:.1f} | "
            f"{r.buffering_ms:.1f} | {r.total_ms:.1f} | {r.block_p50_ms:.3f} | {r.block_p99_ms:.3f} | "
            f"{r.block_max_ms:.3f} | {r.blocks} | {r.underruns} | {r.overruns} | {len(dev.late_callbacks)}"
            + (f" (max {1000 * max(v for _, v in dev.late_callbacks):.1f} ms)" if dev.late_callbacks else "") + " |"]
    late = {i for i, _ in dev.late_callbacks}
    near = sum(any(j in late for j in range(u - 3, u + 1)) for u in eng.underrun_callbacks)
    rows += ["", f"Underruns within 3 callbacks after a late device callback: {near} of {len(eng.underrun_callbacks)} "
             "(a simulated device that wakes up late then runs its callbacks back to back, leaving the "
             "processing thread no time for the blocks in between)."]
    print(rows[-3], flush=True)
    print(rows[-1], flush=True)
    return rows


# ----------------------------------------------------------------------------- server helpers
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, *extra: str) -> subprocess.Popen:
    # the child starts at normal priority even when this process has real-time priority
    # (--client-realtime); `serve --realtime` raises its own
    proc = subprocess.Popen([sys.executable, "-m", "voxclean.cli.main", "serve", "--port", str(port),
                             "--log-level", "warning", *extra], preexec_fn=normal_priority)
    import httpx

    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).raise_for_status()
            return proc
        except Exception:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not start")


def vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ----------------------------------------------------------------------------- 2. websocket streams
async def _one_stream(url: str, x: np.ndarray, frame: int, t_start: float, lateness: list[float], method: str) -> None:
    from websockets.asyncio.client import connect

    async with connect(url, max_size=None, compression=None) as ws:
        sock = ws.transport.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no Nagle delay on small frames
        await ws.send(json.dumps({"type": "start", "sample_rate": SR, "format": "s16le", "method": method}))
        json.loads(await ws.recv())
        sent_at: list[float] = []  # send time of frame i
        n_frames = x.shape[0] // frame

        async def receiver() -> None:
            n_out = 0
            while n_out < n_frames * frame - 256:
                msg = await ws.recv()
                now = time.perf_counter()
                n_out += len(msg) // 2
                k = (n_out - 1) // frame  # the frame holding the last input sample this output needed
                lateness.append(now - sent_at[k])

        task = asyncio.create_task(receiver())
        for i in range(n_frames):
            due = t_start + i * frame / SR
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sent_at.append(time.perf_counter())
            await ws.send(pcm.encode(x[i * frame : (i + 1) * frame][None], "s16le"))
        await asyncio.wait_for(task, 30)


async def _streams(url: str, n: int, seconds: float, method: str) -> tuple[list[float], list[float]]:
    """Lateness of every output, and the client loop's own timer overshoot (5 ms sleeps) meanwhile."""
    x = noisy_speech(seconds)
    frame = SR // 50  # 20 ms
    lateness: list[float] = []
    overshoot: list[float] = []
    t0 = time.perf_counter() + 0.5
    offsets = np.linspace(0, frame / SR, n, endpoint=False)  # clients not in lockstep

    async def probe() -> None:  # how late the client's own event loop wakes up (machine + client jitter)
        while True:
            t = time.perf_counter()
            await asyncio.sleep(0.005)
            overshoot.append(time.perf_counter() - t - 0.005)

    task = asyncio.create_task(probe())
    await asyncio.gather(*(_one_stream(url, x, frame, t0 + o, lateness, method) for o in offsets))
    task.cancel()
    return lateness, overshoot


def bench_ws(seconds: float, max_n: int, method: str, realtime: bool = False) -> list[str]:
    port = free_port()
    proc = start_server(port, "--max-streams", "10000", *(["--realtime"] if realtime else []))
    import httpx

    rows = ["| streams | outputs | late (> 20 ms) | lateness p50 ms | p99 ms | max ms | server CPU % | blocks per batch "
            "| client timer overshoot p99 / max ms |", "|---|---|---|---|---|---|---|---|---|"]
    best = best1 = 0
    try:
        n = 1
        while n <= max_n:
            cpu0 = _cpu_s(proc.pid)
            chunks0, batches0 = _batches(httpx, port)
            t0 = time.perf_counter()
            lat, over = (np.array(v) for v in asyncio.run(_streams(f"ws://127.0.0.1:{port}/v1/stream", n, seconds,
                                                                       method)))
            cpu = 100 * (_cpu_s(proc.pid) - cpu0) / (time.perf_counter() - t0)
            chunks1, batches1 = _batches(httpx, port)
            per_batch = (chunks1 - chunks0) / max(1, batches1 - batches0)
            late = int((lat > 0.020).sum())
            rows.append(f"| {n} | {lat.size} | {late} ({100 * late / lat.size:.2f} %) | {1000 * np.median(lat):.2f} | "
                        f"{1000 * np.percentile(lat, 99):.2f} | {1000 * lat.max():.2f} | {cpu:.0f} | {per_batch:.1f} | "
                        f"{1000 * np.percentile(over, 99):.1f} / {1000 * over.max():.1f} |")
            print(rows[-1], flush=True)
            if late == 0:
                best = n
            if late <= 0.01 * lat.size:
                best1 = n
            if late > 0.05 * lat.size:
                break
            n *= 2
    finally:
        proc.terminate()
        proc.wait(10)
    rows.append("")
    rows.append(f"**Largest tested count with no late output: {best} concurrent real-time streams; with under 1 % "
                f"late: {best1}** ({method}, 16 kHz mono s16le, 20 ms frames; server "
                f"{'with real-time priority (--realtime)' if realtime else 'at normal priority'}; server and clients share "
                f"the machine's {os.cpu_count()} cores with other jobs, load average {os.getloadavg()[0]:.1f}).")
    return rows


def _batches(httpx, port: int) -> tuple[int, int]:
    """(chunks, batches) processed so far on the stream endpoint, from the server's /metrics."""
    chunks = batches = 0
    for line in httpx.get(f"http://127.0.0.1:{port}/metrics").text.splitlines():
        if line.startswith("voxclean_stream_chunks_total "):
            chunks = int(line.split()[1])
        elif line.startswith('voxclean_processing_seconds_count{endpoint="/v1/stream"}'):
            batches = int(line.split()[1])
    return chunks, batches


def _cpu_s(pid: int) -> float:
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


# ----------------------------------------------------------------------------- 3. batch
def bench_batch(tmp: Path, n_files: int, file_s: float) -> list[str]:
    src = tmp / "batch_in"
    src.mkdir()
    x = noisy_speech(min(file_s, 60))
    reps = int(np.ceil(file_s * SR / x.size))
    y = np.tile(x, reps)[: int(file_s * SR)]
    for i in range(n_files):
        sub = src / f"spk{i % 3}"
        sub.mkdir(exist_ok=True)
        sf.write(sub / f"rec{i:02d}.wav", np.roll(y, 997 * i), SR, subtype="PCM_16")
    hours = n_files * file_s / 3600
    rows = ["| workers | files | audio h | wall s | audio h per wall h |", "|---|---|---|---|---|"]
    for j in (1, 2):
        out = tmp / f"batch_out_{j}"
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "voxclean.cli.main", "enhance", str(src), "-o", str(out), "-q",
                        "-j", str(j)], check=True)
        wall = time.perf_counter() - t0
        rows.append(f"| {j} | {n_files} | {hours:.3f} | {wall:.1f} | {hours * 3600 / wall:.0f} |")
        print(rows[-1], flush=True)
    return rows


# ----------------------------------------------------------------------------- 4. memory
def make_long_wav(path: Path, hours: float) -> None:
    x = noisy_speech(60)
    x = np.tile(x, int(np.ceil(60 * SR / x.size)))[: 60 * SR]  # exactly one minute
    with sf.SoundFile(path, "w", samplerate=SR, channels=1, subtype="PCM_16") as f:
        for _ in range(int(hours * 60)):
            f.write(x)


def bench_memory(tmp: Path, hours: float) -> list[str]:
    import httpx

    big = tmp / "long.wav"
    make_long_wav(big, hours)
    size_mb = big.stat().st_size / 1e6
    rows = [f"Input: {hours:g} h, 16 kHz mono 16-bit WAV, {size_mb:.0f} MB.", "",
            "| path | peak RSS MB | wall s |", "|---|---|---|"]
    base = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-c", "import voxclean.cli.main"],
                          capture_output=True, text=True)
    rows.append(f"| `python -c 'import voxclean.cli.main'` (baseline) | {int(base.stderr.split()[-1]) / 1024:.0f} | - |")
    t0 = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-m", "voxclean.cli.main", "enhance", str(big),
                        str(tmp / "long_clean.wav"), "-q"], capture_output=True, text=True, check=True)
    rows.append(f"| `voxclean enhance long.wav long_clean.wav` | {int(r.stderr.split()[-1]) / 1024:.0f} | "
                f"{time.perf_counter() - t0:.0f} |")
    print(rows[-1], flush=True)
    (tmp / "long_clean.wav").unlink()
    port = free_port()
    proc = start_server(port)
    try:
        idle = vm_hwm_mb(proc.pid)
        t0 = time.perf_counter()
        with open(big, "rb") as fh, httpx.stream("POST", f"http://127.0.0.1:{port}/v1/enhance", content=fh,
                                                 timeout=3600) as resp, open(tmp / "post_clean.wav", "wb") as out:
            resp.raise_for_status()
            for chunk in resp.iter_bytes(1 << 16):
                out.write(chunk)
        wall = time.perf_counter() - t0
        peak = vm_hwm_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)
    ok = sf.info(tmp / "post_clean.wav").frames == sf.info(big).frames
    rows.append(f"| `voxclean serve` idle (after start-up) | {idle:.0f} | - |")
    rows.append(f"| `POST /v1/enhance` of long.wav (server peak) | {peak:.0f} | {wall:.0f} |")
    rows.append("")
    rows.append(f"Response complete and same length as the input: {ok}.")
    print(rows[-3], flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="short runs (smoke test)")
    ap.add_argument("--skip", default="", help="comma-separated sections to skip: live,long,ws,batch,memory")
    ap.add_argument("--long-s", type=float, default=600.0, help="length of the long live run (s)")
    ap.add_argument("--max-streams", type=int, default=512)
    ap.add_argument("--serve-realtime", action="store_true", help="start the server with --realtime")
    ap.add_argument("--client-realtime", action="store_true",
                    help="run the WebSocket clients with real-time priority too (they stand in for other "
                         "machines, whose scheduling would not touch the server's cores)")
    ap.add_argument("--out", type=Path, default=OUT, help=f"markdown file to write (default {OUT.relative_to(ROOT)})")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    q = args.quick
    lines = ["# Live engine, streaming service, batch and memory", "",
             "- Command: `" + " ".join(["python", "benchmarks/live_service.py", *sys.argv[1:]]) + "`",
             f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; voxclean {voxclean.__version__}; "
             f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs (shared)",
             "- Audio: real noisy speech (VCTK noisy pairs from ../shared), 16 kHz mono.", ""]
    with tempfile.TemporaryDirectory(prefix="voxclean-bench-") as d:
        tmp = Path(d)
        if "live" not in skip:
            lines += ["## Live engine (simulated duplex device at real time)", "",
                      f"{2 if q else 8} s per method; total = algorithmic + buffering (device block + the output's "
                      "initial silence: device block + enhancer block - gcd); budget = one enhancer block.", ""]
            lines += bench_live(2 if q else 8) + [""]
        if "long" not in skip:
            n = 10 if q else args.long_s
            lines += [f"## Long live run ({DEFAULT_METHOD}, {n:g} s at real time, 10 ms device blocks)", ""]
            lines += bench_live_long(n, DEFAULT_METHOD) + [""]
        if "ws" not in skip:
            rt = " --realtime" if args.serve_realtime else ""
            clients_rt = args.client_realtime and try_realtime()
            if args.client_realtime and not clients_rt:
                print("warning: clients could not get real-time priority", file=sys.stderr)
            lines += [f"## Concurrent WebSocket streams (real time, one server process: `voxclean serve{rt}`; "
                      f"clients at {'real-time' if clients_rt else 'normal'} priority)", ""]
            for method in (DEFAULT_METHOD, BEST_CLASSICAL):
                lines += [f"### {method}", ""] + bench_ws(3 if q else 10, 16 if q else args.max_streams, method,
                                                          args.serve_realtime) + [""]
            if clients_rt:
                normal_priority()  # later sections' child processes must not inherit it
        if "batch" not in skip:
            lines += ["## Batch throughput (`voxclean enhance IN -o OUT -j N`, omlsa)", ""]
            lines += bench_batch(tmp, 4 if q else 12, 30 if q else 300) + [""]
        if "memory" not in skip:
            lines += ["## Peak memory on a long file", ""]
            lines += bench_memory(tmp, 0.1 if q else 2.0) + [""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
