"""``voxclean`` command line: enhance, score, methods.

Exit codes: 0 success, 1 at least one file failed, 2 usage error.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import os
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
    from ..io import is_audio_path

    src = Path(args.input)
    params = dict(args.param)
    if args.output and args.output_dir:
        _err("give OUT or -o/--output-dir, not both")
        return 2
    if not src.exists():
        _err(f"input {src} does not exist")
        return 2
    if src.is_dir():
        out_root = Path(args.output_dir or args.output or f"{src.as_posix().rstrip('/')}_clean")
        if out_root.resolve() == src.resolve() and not args.in_place:
            _err("output folder equals the input folder; use --in-place to overwrite inputs")
            return 2
        files = sorted(p for p in src.rglob("*") if p.is_file() and is_audio_path(p)
                       and not (out_root.resolve() in p.resolve().parents))
        if not files:
            _err(f"no audio files found in {src}")
            return 1
        jobs = [(f, _output_for(f, out_root / f.relative_to(src))) for f in files]
    else:
        if args.output_dir:
            dst = _output_for(src, Path(args.output_dir) / src.name)
        elif args.output:
            dst = Path(args.output)
        else:
            dst = _default_output(src)
        jobs = [(src, dst)]
    failures = []
    t0 = time.perf_counter()
    for i, (f, dst) in enumerate(jobs, 1):
        ok, why = _enhance_one(f, dst, args, params)
        if not ok:
            failures.append((f, why))
            _err(f"{f}: {why}")
        elif not args.quiet and len(jobs) > 1:
            print(f"[{i}/{len(jobs)}] {f} -> {dst}", file=sys.stderr)
    if not args.quiet:
        n_ok = len(jobs) - len(failures)
        print(f"{PROG}: enhanced {n_ok}/{len(jobs)} file(s) with {args.method} in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)
    return 1 if failures else 0


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
    handlers = {"enhance": _cmd_enhance, "score": _cmd_score, "methods": _cmd_methods}
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
