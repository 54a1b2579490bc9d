"""``voxclean`` command line: enhance (files, folders, pipes), live, serve, score, methods.

Exit codes: 0 success, 1 at least one file failed, 2 usage error.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

from ..errors import VoxcleanError

__all__ = ["main", "build_parser"]

PROG = "voxclean"
#: Files longer than this get a progress bar (seconds).
PROGRESS_MIN_S = 20.0
#: Extensions we can read but not write; their outputs default to WAV.
READ_ONLY_EXT = {".m4a", ".aac", ".mp4", ".m4v", ".mkv", ".webm", ".mov", ".avi", ".wma", ".3gp", ".ac3"}
#: Raw PCM sample formats for pipes.
PCM_CHOICES = ("s16le", "s24le", "s32le", "f32le")


def _strength(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid strength {text!r}: a number of dB is expected") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"strength={value} must be >= 0 dB")
    return value


def _time_range(text: str) -> tuple[float, float]:
    try:
        start, end = (float(v) for v in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid range {text!r}: expected START:END in seconds") from None
    if not 0 <= start < end:
        raise argparse.ArgumentTypeError(f"invalid range {text!r}: need 0 <= START < END")
    return start, end


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number {text!r}: a positive integer is expected") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be >= 1")
    return value


def _param(text: str) -> tuple[str, object]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"invalid parameter {text!r}: expected NAME=VALUE")
    name, raw = text.split("=", 1)
    try:
        value: object = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return name.strip(), value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``voxclean`` command."""
    from ..enhance.facade import DEFAULT_METHOD

    parser = argparse.ArgumentParser(prog=PROG, description="Speech enhancement: remove noise from speech recordings.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("enhance", help="enhance a file or a folder of files",
                       description="Enhance IN (a file or a folder) into OUT.")
    p.add_argument("input", metavar="IN", help="input audio/video file or folder")
    p.add_argument("output", metavar="OUT", nargs="?",
                   help="output file (or folder when IN is a folder); default: IN with '.clean' before the extension")
    p.add_argument("-o", "--output-dir", metavar="DIR", help="output folder (mirrors the input tree)")
    p.add_argument("-m", "--method", default=DEFAULT_METHOD, help=f"enhancement method (default {DEFAULT_METHOD}; see 'voxclean methods')")
    p.add_argument("-s", "--strength", type=_strength, metavar="DB", help="maximum attenuation in dB (0 = bypass)")
    noise = p.add_mutually_exclusive_group()
    noise.add_argument("--noise-clip", metavar="FILE", help="noise-only recording to take the noise profile from")
    noise.add_argument("--noise-range", type=_time_range, metavar="START:END",
                       help="noise-only time range of the input, in seconds, to take the noise profile from")
    p.add_argument("-p", "--param", type=_param, action="append", default=[], metavar="NAME=VALUE",
                   help="method parameter, e.g. -p frame_ms=20 (repeatable)")
    p.add_argument("--subtype", help="output sample format, e.g. PCM_16, PCM_24, FLOAT (default: as the input)")
    p.add_argument("--format", dest="out_format", help="output container, e.g. WAV, FLAC, OGG (default: from the extension)")
    p.add_argument("--in-place", action="store_true", help="allow OUT to be IN (overwrites the input)")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs (default: refuse)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    p.add_argument("-j", "--jobs", type=_positive_int, default=1, metavar="N",
                   help="folders: enhance N files at a time in worker processes (default 1)")
    p.add_argument("--log", metavar="FILE", help="folders: write one row per file to FILE (.csv, or .json with the summary)")
    pipe = p.add_argument_group("pipes (IN or OUT is '-': standard input/output, WAV or raw PCM)")
    pipe.add_argument("--rate", type=_positive_int, metavar="HZ", help="raw PCM input: sample rate")
    pipe.add_argument("--channels", type=_positive_int, metavar="N", help="raw PCM input: channels (default 1)")
    pipe.add_argument("--pcm", choices=PCM_CHOICES, help="raw PCM sample format (default s16le, or as the WAV input)")
    pipe.add_argument("--out-type", choices=("wav", "raw"), help="standard output as WAV or raw PCM (default: as the input; WAV for a file input)")

    lv = sub.add_parser("live", help="enhance a microphone live into a speaker or another device",
                        description="Real-time enhancement from an input device to an output device (PortAudio). "
                                    "Reports algorithmic, buffering and total latency, block processing time, "
                                    "underruns and overruns, live and at exit.")
    lv.add_argument("--list-devices", action="store_true", help="list the audio devices and exit")
    lv.add_argument("-i", "--input-device", metavar="DEV", help="input device index or name (default: system default)")
    lv.add_argument("-o", "--output-device", metavar="DEV", help="output device index or name (default: system default)")
    lv.add_argument("-r", "--rate", type=_positive_int, metavar="HZ", help="sample rate (default: the input device's)")
    lv.add_argument("-b", "--block-size", type=_positive_int, metavar="FRAMES",
                    help="frames per device callback (default: half the enhancer block)")
    lv.add_argument("-c", "--channels", type=_positive_int, default=1, metavar="N", help="channels (default 1)")
    lv.add_argument("-m", "--method", default=DEFAULT_METHOD,
                    help="method, or a pipeline of methods joined by '+', e.g. gating+omlsa (-s/-p apply to the last); "
                         "each with its low-latency defaults (neural: the 10 ms model, -p model= for another)")
    lv.add_argument("-s", "--strength", type=_strength, metavar="DB", help="maximum attenuation in dB")
    lv.add_argument("-p", "--param", type=_param, action="append", default=[], metavar="NAME=VALUE",
                    help="method parameter, e.g. -p frame_ms=16 -p hop_ms=8 for lower latency")
    lv.add_argument("--margin-ms", type=float, default=0.0, metavar="MS", help="extra output buffering against glitches")
    lv.add_argument("-t", "--duration", type=float, metavar="S", help="stop after S seconds (default: Ctrl-C)")
    lv.add_argument("--simulate", metavar="FILE", help="no sound hardware: play FILE through a simulated device in real time")
    lv.add_argument("--record", metavar="FILE", help="with --simulate: write what the device plays to FILE")
    lv.add_argument("--report", metavar="FILE", help="write the final latency report as JSON")
    lv.add_argument("-q", "--quiet", action="store_true", help="no live status line")

    sv = sub.add_parser("serve", help="run the HTTP/WebSocket enhancement service",
                        description="POST /v1/enhance (file in, file out), WebSocket /v1/stream (PCM blocks), "
                                    "/healthz, /metrics (Prometheus), /docs and /openapi.json.")
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    sv.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    sv.add_argument("--max-streams", type=_positive_int, default=64, metavar="N", help="concurrent WebSocket streams")
    sv.add_argument("--max-jobs", type=_positive_int, default=2, metavar="N", help="uploads enhanced at once")
    sv.add_argument("--max-upload-mb", type=float, default=2048.0, metavar="MB", help="largest upload")
    sv.add_argument("--max-duration-s", type=float, default=4 * 3600.0, metavar="S", help="longest uploaded audio")
    sv.add_argument("--idle-timeout-s", type=float, default=30.0, metavar="S", help="close silent streams after S")
    sv.add_argument("--stream-timeout-s", type=float, default=4 * 3600.0, metavar="S", help="longest stream")
    sv.add_argument("--request-timeout-s", type=float, default=3600.0, metavar="S", help="longest upload processing")
    sv.add_argument("--batch-window-ms", type=float, default=4.0, metavar="MS",
                    help="with 8+ neural streams of one configuration, wait up to MS for the other streams' blocks "
                         "and process them as one batch (default 4; 0: never wait)")
    sv.add_argument("--realtime", action="store_true",
                    help="process streams with real-time scheduling priority where the system allows it "
                         "(as audio servers do; uploads keep normal priority)")
    sv.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))

    s = sub.add_parser("score", help="score enhanced audio against clean references",
                       description="Score EST against REF (files, or folders matched by relative path).")
    s.add_argument("--ref", required=True, help="clean reference file or folder")
    s.add_argument("--est", required=True, help="estimate (enhanced) file or folder")
    s.add_argument("--metrics", help="comma-separated metric names (default: all that apply)")
    s.add_argument("--csv", metavar="FILE", help="also write the scores as CSV")
    s.add_argument("--json", metavar="FILE", help="also write the scores as JSON")
    s.add_argument("--no-align", action="store_true", help="do not align estimate to reference")

    sub.add_parser("methods", help="list the enhancement methods, their latency and defaults")
    return parser


def _version() -> str:
    from .. import __version__

    return __version__


def _err(msg: str) -> None:
    print(f"{PROG}: error: {msg}", file=sys.stderr)


# ----------------------------------------------------------------------------- enhance
def _default_output(path: Path) -> Path:
    ext = path.suffix.lower()
    if ext in READ_ONLY_EXT:
        ext = ".wav"
    return path.with_name(f"{path.stem}.clean{ext or '.wav'}")


def _output_for(path: Path, out: Path) -> Path:
    return out.with_suffix(".wav") if out.suffix.lower() in READ_ONLY_EXT else out


def _enhance_one(src: Path, dst: Path, args: argparse.Namespace, params: dict) -> tuple[bool, str]:
    from ..enhance.file import enhance_file
    from ..io import info

    same = dst.exists() and dst.resolve() == src.resolve()
    if same and not args.in_place:
        return False, f"output {dst} is the input file; refusing to overwrite it (use --in-place)"
    if dst.exists() and not same and not args.overwrite:
        return False, f"{dst} exists (use --overwrite to replace it)"
    bar = None
    try:
        meta = info(src)
        if not args.quiet and meta.duration_s and meta.duration_s >= PROGRESS_MIN_S:
            from tqdm import tqdm

            bar = tqdm(total=meta.frames, unit="smp", unit_scale=True, desc=src.name, file=sys.stderr, leave=False)
        last = [0]

        def progress(done: int) -> None:
            if bar is not None:
                bar.update(done - last[0])
                last[0] = done

        dst.parent.mkdir(parents=True, exist_ok=True)
        enhance_file(src, dst, method=args.method, strength_db=args.strength, noise_clip=args.noise_clip,
                     noise_range_s=args.noise_range, subtype=args.subtype, format=args.out_format,
                     in_place=args.in_place, progress=progress, **params)
    except (VoxcleanError, OSError) as exc:
        return False, str(exc)
    finally:
        if bar is not None:
            bar.close()
    return True, ""


def _cmd_enhance(args: argparse.Namespace) -> int:
    src = Path(args.input)
    params = dict(args.param)
    if args.output and args.output_dir:
        _err("give OUT or -o/--output-dir, not both")
        return 2
    if args.input == "-" or args.output == "-":
        return _cmd_pipe(args, params)
    if not src.exists():
        _err(f"input {src} does not exist")
        return 2
    if src.is_dir():
        return _cmd_batch(args, src, params)
    if args.output_dir:
        dst = _output_for(src, Path(args.output_dir) / src.name)
    elif args.output:
        dst = Path(args.output)
    else:
        dst = _default_output(src)
    t0 = time.perf_counter()
    ok, why = _enhance_one(src, dst, args, params)
    if not ok:
        _err(f"{src}: {why}")
    if not args.quiet:
        print(f"{PROG}: enhanced {int(ok)}/1 file(s) with {args.method} in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)
    return 0 if ok else 1


def _file_options(args: argparse.Namespace, params: dict) -> dict:
    return dict(method=args.method, strength_db=args.strength, noise_clip=args.noise_clip,
                noise_range_s=args.noise_range, subtype=args.subtype, format=args.out_format,
                in_place=args.in_place, **params)


def _hours(s: float) -> str:
    return f"{s / 3600:.2f} h" if s >= 360 else f"{s / 60:.1f} min"


def _cmd_batch(args: argparse.Namespace, src: Path, params: dict) -> int:
    from ..batch import plan, run_batch, write_log
    from ..registry import get_entry

    get_entry(args.method)  # an unknown method is a usage error, not N failures
    out_root = Path(args.output_dir or args.output or f"{src.as_posix().rstrip('/')}_clean")
    if out_root.resolve() == src.resolve() and not args.in_place:
        _err("output folder equals the input folder; use --in-place to overwrite inputs")
        return 2
    jobs = plan(src, out_root)
    if not jobs:
        _err(f"no audio files found in {src}")
        return 1
    if args.in_place or args.overwrite:
        overwrite = True
    else:
        overwrite = False
    bar = None
    if not args.quiet:
        from tqdm import tqdm

        from ..batch import _duration

        total = sum(_duration(f) for f, _ in jobs)
        bar = tqdm(total=total / 3600, unit="h", desc=f"0/{len(jobs)} files", file=sys.stderr, dynamic_ncols=True,
                   bar_format="{desc} {percentage:3.0f}%|{bar}| {n:.2f}/{total:.2f} h audio "
                              "[{elapsed}<{remaining}{postfix}]")
    t0 = time.perf_counter()
    counts = {"n": 0, "audio": 0.0, "failed": 0}

    def on_result(r) -> None:
        counts["n"] += 1
        counts["audio"] += r.audio_s
        if r.status == "failed":
            counts["failed"] += 1
            if bar is not None:
                bar.write(f"{PROG}: error: {r.input}: {r.error}", file=sys.stderr)
            else:
                _err(f"{r.input}: {r.error}")
        if bar is not None:
            bar.set_description_str(f"{counts['n']}/{len(jobs)} files" + (f", {counts['failed']} failed" if counts["failed"] else ""))
            wall = time.perf_counter() - t0
            bar.set_postfix_str(f"{counts['audio'] / wall:.0f}x real time" if wall > 0 else "")
            bar.update(r.audio_s / 3600)

    try:
        outcomes, summary = run_batch(jobs, _file_options(args, params), workers=args.jobs, overwrite=overwrite,
                                      on_result=on_result)
    finally:
        if bar is not None:
            bar.close()
    if args.log:
        write_log(args.log, outcomes, summary)
    if not args.quiet:
        print(f"{PROG}: {summary.files} file(s): {summary.ok} enhanced, {summary.skipped} skipped (output exists), "
              f"{summary.failed} failed; {_hours(summary.audio_hours * 3600)} of audio in {summary.wall_s:.1f} s "
              f"with {args.method} (-j {args.jobs}): {summary.speed:.0f}x real time, RTF {summary.rtf:.4f} per worker",
              file=sys.stderr)
        for path, why in summary.failures:
            print(f"  failed: {path}: {why}", file=sys.stderr)
    return 1 if summary.failed else 0


def _cmd_pipe(args: argparse.Namespace, params: dict) -> int:
    from ..enhance.facade import create
    from ..stream.pipe import open_pipe_input, write_pipe

    if args.output_dir:
        _err("pipes take no -o/--output-dir")
        return 2
    out_stream = sys.stdout.buffer
    if args.input == "-":
        src = open_pipe_input(sys.stdin.buffer, rate=args.rate, channels=args.channels, fmt=args.pcm)
        sr, ch, fmt, blocks, wav_in = src.sample_rate, src.channels, src.fmt, src.blocks, src.is_wav
    else:
        from ..io import info, read_blocks

        meta = info(args.input)
        sr, ch, fmt, wav_in = meta.sample_rate, meta.channels, args.pcm or "s16le", True
        blocks = read_blocks(args.input, block_frames=max(1, sr // 10))
    wav_out = (args.out_type or ("wav" if wav_in else "raw")) == "wav"
    clip = None
    if args.noise_clip:
        from ..io import load

        clip, _ = load(args.noise_clip, sr=sr)
    if args.noise_range:
        _err("--noise-range needs a file input")
        return 2
    enh = create(args.method, sr, strength_db=args.strength, noise_clip=clip, **params)
    if args.output not in (None, "-"):
        _err("with input '-', OUT must be '-' (standard output)")
        return 2
    try:
        res = write_pipe(out_stream, enh, blocks, channels=ch, fmt=fmt, wav=wav_out)
    except BrokenPipeError:
        return 0  # the reader went away (e.g. `| head`): not an error of ours
    if not args.quiet:
        print(f"{PROG}: enhanced {res.frames_in / sr:.1f} s ({ch} ch, {sr} Hz, {fmt}) from "
              f"{'standard input' if args.input == '-' else args.input} with {args.method}", file=sys.stderr)
    return 0


# ----------------------------------------------------------------------------- live
def _build_enhancer(spec: str, sr: int, strength: float | None, params: dict):
    from ..enhance.facade import create
    from ..enhance.pipeline import Pipeline

    names = [n.strip() for n in spec.split("+") if n.strip()]
    if not names:
        raise VoxcleanError(f"method={spec!r} names no method")
    stages = [create(n, sr, live=True) for n in names[:-1]]
    stages.append(create(names[-1], sr, strength_db=strength, live=True, **params))
    return stages[0] if len(stages) == 1 else Pipeline(stages)


def _device(text: str | None):
    return int(text) if text is not None and text.isdigit() else text


def _print_report(rep, file=sys.stderr) -> None:
    print(f"{PROG}: live: {rep.sample_rate} Hz, device block {rep.device_block}, enhancer block {rep.enhancer_block}",
          file=file)
    print(f"  latency     algorithmic {rep.algorithmic_ms:.1f} ms + buffering {rep.buffering_ms:.1f} ms "
          f"= total {rep.total_ms:.1f} ms", file=file)
    print(f"  processing  {rep.blocks} blocks, p50 {rep.block_p50_ms:.3f} ms, p99 {rep.block_p99_ms:.3f} ms, "
          f"max {rep.block_max_ms:.3f} ms (budget {rep.block_budget_ms:.1f} ms per block)", file=file)
    print(f"  glitches    {rep.underruns} underruns, {rep.overruns} overruns, {rep.nonfinite} non-finite samples",
          file=file)


def _cmd_live(args: argparse.Namespace) -> int:
    from ..stream import LiveEngine, SimulatedDevice

    if args.list_devices:
        from ..stream.device import list_devices

        for d in list_devices():
            mark = (" <in" if d["default_input"] else "") + (" <out" if d["default_output"] else "")
            print(f"{d['index']:3d}  {d['name']}  ({d['hostapi']}; in {d['max_input_channels']}, "
                  f"out {d['max_output_channels']}, {d['default_samplerate']:g} Hz){mark}")
        return 0
    if args.record and not args.simulate:
        _err("--record needs --simulate")
        return 2
    params = dict(args.param)
    signal = None
    if args.simulate:
        from ..io import load

        signal, sr = load(args.simulate, sr=args.rate)
        if signal.shape[0] != args.channels:
            signal = signal.mean(axis=0, keepdims=True).repeat(args.channels, axis=0)
    else:
        from ..stream.device import default_samplerate

        sr = args.rate or default_samplerate(_device(args.input_device), "input")
    enh = _build_enhancer(args.method, sr, args.strength, params)
    engine = LiveEngine(enh, channels=args.channels, device_block=args.block_size, margin_ms=args.margin_ms)

    def tick(rep) -> None:
        if not args.quiet:
            print(f"\r{rep.summary()}   ", end="", file=sys.stderr, flush=True)

    if signal is not None:
        dev = SimulatedDevice(signal, engine.device_block, sr, tail=engine.delay_frames + engine.device_block)
        if args.duration is not None:
            dev.signal = dev.signal[:, : int(args.duration * sr)]
        every = max(1, int(sr / engine.device_block))
        engine.start()
        try:
            played = dev.run(engine, on_block=lambda i: tick(engine.report()) if i % every == 0 else None)
        finally:
            rep = engine.stop()
        if args.record:
            from ..io import save

            save(args.record, played, sr)
    else:
        from ..stream.device import run_device

        try:
            rep = run_device(engine, input_device=_device(args.input_device), output_device=_device(args.output_device),
                             duration_s=args.duration, on_tick=tick)
        except KeyboardInterrupt:
            rep = engine.stop()
    if not args.quiet:
        print(file=sys.stderr)
    _print_report(rep)
    if args.report:
        Path(args.report).write_text(json.dumps(rep.to_dict(), indent=2))
    return 0


# ----------------------------------------------------------------------------- serve
def _cmd_serve(args: argparse.Namespace) -> int:
    try:
        from ..serve.app import serve
        from ..serve.limits import ServeConfig
    except ImportError as exc:
        _err(f'the service needs its extra: pip install "voxclean[serve]" ({exc})')
        return 2
    cfg = ServeConfig(max_streams=args.max_streams, max_jobs=args.max_jobs,
                      max_upload_bytes=int(args.max_upload_mb * 1024 * 1024), max_duration_s=args.max_duration_s,
                      idle_timeout_s=args.idle_timeout_s, stream_timeout_s=args.stream_timeout_s,
                      request_timeout_s=args.request_timeout_s, batch_window_ms=args.batch_window_ms,
                      realtime=args.realtime)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"{PROG}: warning: listening on {args.host}: other machines can reach the service "
              "(it has no authentication)", file=sys.stderr)
    serve(args.host, args.port, cfg, log_level=args.log_level)
    return 0


# ----------------------------------------------------------------------------- score
def _pairs(ref: Path, est: Path) -> list[tuple[Path, Path]]:
    from ..io import is_audio_path

    if ref.is_dir() != est.is_dir():
        raise VoxcleanError("--ref and --est must both be files or both be folders")
    if not ref.is_dir():
        return [(ref, est)]
    pairs = []
    for r in sorted(p for p in ref.rglob("*") if p.is_file() and is_audio_path(p)):
        rel = r.relative_to(ref)
        candidates = [est / rel] + sorted((est / rel.parent).glob(rel.stem + ".*"))
        match = next((c for c in candidates if c.is_file()), None)
        if match is not None:
            pairs.append((r, match))
    if not pairs:
        raise VoxcleanError(f"no file in {est} matches a reference in {ref}")
    return pairs


def _cmd_score(args: argparse.Namespace) -> int:
    from ..io import load
    from ..metrics import score

    names = [m.strip() for m in args.metrics.split(",")] if args.metrics else None
    try:
        pairs = _pairs(Path(args.ref), Path(args.est))
    except VoxcleanError as exc:
        _err(str(exc))
        return 2
    rows, failures = [], 0
    for ref_path, est_path in pairs:
        try:
            ref, sr = load(ref_path)
            est, _ = load(est_path, sr=sr)
            if est.shape[0] != ref.shape[0]:
                est = est.mean(axis=0, keepdims=True)
                ref = ref.mean(axis=0, keepdims=True)
            result = score(ref, est, sr, metrics=names, align=not args.no_align)
        except (VoxcleanError, OSError) as exc:
            failures += 1
            _err(f"{est_path}: {exc}")
            continue
        row = {"reference": str(ref_path), "estimate": str(est_path), **result.to_dict()}
        rows.append(row)
        for note in result.notes:
            print(f"{PROG}: note: {est_path.name}: {note}", file=sys.stderr)
    if not rows:
        return 1
    keys = [k for k in rows[0] if k not in ("reference", "estimate")]
    header = ["file"] + keys
    table = [[Path(r["estimate"]).name] + [f"{r[k]:.3f}" for k in keys] for r in rows]
    if len(rows) > 1:
        import math

        means = []
        for k in keys:
            vals = [r[k] for r in rows if not math.isnan(r[k])]
            means.append(f"{sum(vals) / len(vals):.3f}" if vals else "nan")
        table.append(["MEAN"] + means)
    widths = [max(len(str(c)) for c in col) for col in zip(header, *table)]
    for line in [header] + table:
        print("  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(line, widths))))
    if args.csv:
        with open(args.csv, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2, allow_nan=True))
    return 1 if failures else 0


# ----------------------------------------------------------------------------- methods
def _cmd_methods(args: argparse.Namespace) -> int:
    from ..enhance.facade import DEFAULT_METHOD, create
    from ..registry import get_entry, method_names

    for name in method_names():
        entry = get_entry(name)
        enh = create(name, 16000)
        defaults = " ".join(f"{k}={v}" for k, v in dataclasses.asdict(entry.params()).items())
        mark = " (default)" if name == DEFAULT_METHOD else ""
        print(f"{name}  latency={1000 * enh.latency / enh.sample_rate:g}ms  {defaults}  # {entry.summary}{mark}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``voxclean`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    handlers = {"enhance": _cmd_enhance, "score": _cmd_score, "methods": _cmd_methods, "live": _cmd_live,
                "serve": _cmd_serve}
    with warnings.catch_warnings():
        if getattr(args, "quiet", False):
            warnings.simplefilter("ignore")
        try:
            return handlers[args.command](args)
        except VoxcleanError as exc:
            _err(str(exc))
            return 2
        except KeyboardInterrupt:
            _err("interrupted")
            return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
