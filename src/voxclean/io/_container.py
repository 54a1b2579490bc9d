"""Streaming decoding of compressed/video containers with PyAV or the ffmpeg CLI.

PyAV (``pip install av``) is preferred; without it the ``ffmpeg`` and
``ffprobe`` programs on ``PATH`` are used through :mod:`subprocess`, with raw
``f32le`` samples piped back. Only the first audio stream is decoded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from .._typing import Audio
from ..errors import AudioFileError

__all__ = ["ContainerStream", "open_container", "probe_container"]

#: Bytes read from the ffmpeg pipe per iteration.
_PIPE_CHUNK = 1 << 16


@dataclass(frozen=True)
class _Probe:
    sample_rate: int
    channels: int
    frames: int | None
    codec: str


def _import_av() -> Any:
    """Import PyAV (separate function so tests can simulate its absence)."""
    import av

    return av


def _which(name: str) -> str | None:
    """Locate an executable on PATH (separate function so tests can hide ffmpeg)."""
    return shutil.which(name)


def _missing_backend_error(path: Path) -> AudioFileError:
    return AudioFileError(
        f"path={str(path)!r}: reading {path.suffix.lower() or 'this'} files needs PyAV or FFmpeg; "
        "install one with `pip install av` (or `pip install voxclean[video]`), "
        "or install the ffmpeg program (with ffprobe) and put it on PATH"
    )


def backend(path: Path) -> str:
    """Return ``"pyav"`` or ``"ffmpeg"``, or raise :class:`AudioFileError` naming what to install."""
    try:
        _import_av()
        return "pyav"
    except ImportError:
        pass
    if _which("ffmpeg") and _which("ffprobe"):
        return "ffmpeg"
    raise _missing_backend_error(path)


def _frames_from_seconds(seconds: float | None, sr: int) -> int | None:
    if seconds is None or not np.isfinite(seconds) or seconds < 0:
        return None
    return round(seconds * sr)


# --------------------------------------------------------------------------- PyAV


def _pyav_open(path: Path) -> tuple[Any, Any, _Probe]:
    av = _import_av()
    try:
        container = av.open(str(path), mode="r")
    except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError) as exc:
        raise AudioFileError(f"path={str(path)!r}: cannot open the file as a media container ({exc})") from exc
    try:
        if not container.streams.audio:
            raise AudioFileError(f"path={str(path)!r} has no audio stream")
        stream = container.streams.audio[0]
        cc = stream.codec_context
        sr = int(cc.sample_rate or 0)
        ch = int(cc.channels or 0)
        if sr <= 0:
            raise AudioFileError(f"path={str(path)!r}: the audio stream has no valid sample rate")
        if ch <= 0:
            raise AudioFileError(f"path={str(path)!r}: the audio stream has zero channels")
        frames: int | None = None
        if stream.duration is not None and stream.time_base is not None:
            frames = _frames_from_seconds(float(stream.duration * Fraction(stream.time_base)), sr)
        elif container.duration is not None:
            frames = _frames_from_seconds(container.duration / av.time_base, sr)
        probe = _Probe(sr, ch, frames, str(cc.name or "unknown").upper())
    except BaseException:
        container.close()
        raise
    return container, stream, probe


def _pyav_blocks(path: Path, container: Any, stream: Any, channels: int) -> Generator[Audio, None, None]:
    av = _import_av()
    converter = None
    try:
        for frame in container.decode(stream):
            if converter is None:
                # Convert to planar float at the native rate and the first frame's layout.
                converter = av.AudioResampler(format="fltp", layout=frame.layout, rate=frame.sample_rate)
            for out in converter.resample(frame):
                yield _check_block(out.to_ndarray(), channels, path)
        if converter is not None:
            for out in converter.resample(None):
                yield _check_block(out.to_ndarray(), channels, path)
    except av.FFmpegError as exc:
        raise AudioFileError(f"path={str(path)!r}: decoding failed ({exc})") from exc
    finally:
        container.close()


def _check_block(arr: np.ndarray, channels: int, path: Path) -> Audio:
    arr = np.array(arr, dtype=np.float32, copy=True, ndmin=2)
    if arr.shape[0] != channels:
        raise AudioFileError(f"path={str(path)!r}: the channel count changed mid-stream ({arr.shape[0]} != {channels})")
    return arr


# --------------------------------------------------------------------------- ffmpeg CLI


def _ff_input(path: Path) -> str:
    # "file:" stops ffmpeg from reading names such as "a:b.mp4" as protocols.
    return "file:" + os.path.abspath(path)


def _ffprobe(path: Path) -> _Probe:
    exe = _which("ffprobe")
    if exe is None:
        raise _missing_backend_error(path)
    cmd = [
        exe, "-v", "error", "-select_streams", "a:0",
        "-show_entries", "stream=sample_rate,channels,codec_name,duration:format=duration",
        "-of", "json", _ff_input(path),
    ]  # fmt: skip
    try:
        proc = subprocess.run(cmd, capture_output=True, check=False, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        raise AudioFileError(f"path={str(path)!r}: running ffprobe failed ({exc})") from exc
    err = proc.stderr.decode("utf-8", "replace").strip()
    if proc.returncode != 0:
        raise AudioFileError(f"path={str(path)!r}: ffprobe cannot read the file ({err[-300:]})")
    try:
        data = json.loads(proc.stdout.decode("utf-8", "replace") or "{}")
    except ValueError as exc:
        raise AudioFileError(f"path={str(path)!r}: unexpected ffprobe output") from exc
    streams = data.get("streams") or []
    if not streams:
        raise AudioFileError(f"path={str(path)!r} has no audio stream")
    st = streams[0]
    try:
        sr = int(st.get("sample_rate") or 0)
        ch = int(st.get("channels") or 0)
    except (TypeError, ValueError):
        sr = ch = 0
    if sr <= 0:
        raise AudioFileError(f"path={str(path)!r}: the audio stream has no valid sample rate")
    if ch <= 0:
        raise AudioFileError(f"path={str(path)!r}: the audio stream has zero channels")
    dur = st.get("duration") or (data.get("format") or {}).get("duration")
    try:
        seconds = float(dur) if dur is not None else None
    except (TypeError, ValueError):
        seconds = None
    return _Probe(sr, ch, _frames_from_seconds(seconds, sr), str(st.get("codec_name") or "unknown").upper())


def _ffmpeg_blocks(path: Path, channels: int) -> Generator[Audio, None, None]:
    exe = _which("ffmpeg")
    if exe is None:
        raise _missing_backend_error(path)
    cmd = [
        exe, "-nostdin", "-hide_banner", "-loglevel", "error",
        "-i", _ff_input(path), "-map", "0:a:0", "-vn", "-sn", "-dn",
        "-f", "f32le", "-acodec", "pcm_f32le", "-",
    ]  # fmt: skip
    frame_bytes = 4 * channels
    with tempfile.TemporaryFile() as errfile:
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errfile)
        except OSError as exc:
            raise AudioFileError(f"path={str(path)!r}: cannot start ffmpeg ({exc})") from exc
        assert proc.stdout is not None
        finished = False
        try:
            rest = b""
            while True:
                chunk = proc.stdout.read(_PIPE_CHUNK)
                if not chunk:
                    break
                buf = rest + chunk
                usable = len(buf) - len(buf) % frame_bytes
                rest = buf[usable:]
                if usable:
                    samples = np.frombuffer(buf[:usable], dtype="<f4").reshape(-1, channels)
                    yield np.ascontiguousarray(samples.T, dtype=np.float32)
            code = proc.wait()
            finished = True
            if code != 0:
                errfile.seek(0)
                msg = errfile.read().decode("utf-8", "replace").strip()
                raise AudioFileError(f"path={str(path)!r}: ffmpeg failed to decode ({msg[-300:]})")
        finally:
            if not finished:
                proc.kill()
                proc.wait()
            proc.stdout.close()


# --------------------------------------------------------------------------- public to the package


@dataclass
class ContainerStream:
    """An opened container: its properties and a one-shot iterator of ``(C, n)`` float32 blocks."""

    sample_rate: int
    channels: int
    frames: int | None
    codec: str
    blocks: Iterator[Audio]
    #: Releases the decoder even if ``blocks`` was never started (idempotent).
    close: Callable[[], None]


def probe_container(path: Path) -> _Probe:
    """Read stream properties without decoding audio."""
    if backend(path) == "pyav":
        container, _stream, probe = _pyav_open(path)
        container.close()
        return probe
    return _ffprobe(path)


def open_container(path: Path) -> ContainerStream:
    """Open ``path`` and return its properties plus a lazy block iterator.

    Errors in opening (missing backend, no audio stream, unreadable file) are
    raised here; decoding errors are raised while iterating. Blocks have the
    decoder's natural size (PyAV frames or 64 KiB pipe reads).
    """
    if backend(path) == "pyav":
        container, stream, probe = _pyav_open(path)
        blocks = _pyav_blocks(path, container, stream, probe.channels)

        def close() -> None:
            blocks.close()
            container.close()

    else:
        probe = _ffprobe(path)
        blocks = _ffmpeg_blocks(path, probe.channels)
        close = blocks.close  # the ffmpeg process only starts with the first block
    return ContainerStream(probe.sample_rate, probe.channels, probe.frames, probe.codec, blocks, close)
