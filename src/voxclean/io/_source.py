"""A uniform reader over soundfile and container backends, used by load/info/read_blocks."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from .._typing import Audio
from ..errors import AudioFileError, ParameterError
from . import _container
from ._formats import extension, read_backend

__all__ = ["Source", "open_source", "check_input_path", "Rebuffer"]

#: Exceptions from libsndfile/soundfile that mean "cannot read this file".
_SF_ERRORS: tuple[type[BaseException], ...] = (sf.SoundFileError, RuntimeError, OSError, ValueError, TypeError)


def check_input_path(path: Any) -> Path:
    """Return ``path`` as :class:`Path` after checking it names a non-empty regular file.

    Raises
    ------
    ParameterError
        ``path`` is not a str or path-like object.
    AudioFileError
        Missing, a directory, unreadable or 0 bytes.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise ParameterError(f"path={path!r} must be a str or os.PathLike")
    p = Path(os.fspath(path))
    try:
        st = p.stat()
    except FileNotFoundError:
        raise AudioFileError(f"path={str(p)!r} does not exist") from None
    except OSError as exc:
        raise AudioFileError(f"path={str(p)!r} cannot be accessed ({exc})") from exc
    if p.is_dir():
        raise AudioFileError(f"path={str(p)!r} is a directory, not an audio file")
    if st.st_size == 0:
        raise AudioFileError(f"path={str(p)!r} is empty (0 bytes)")
    return p


class Source:
    """An open audio file read sequentially as ``(C, n)`` float32 blocks at its native rate.

    Attributes
    ----------
    path : pathlib.Path
    sample_rate : int
        Native rate in Hz.
    channels : int
    frames : int or None
        Frame count per channel if known (container files: estimated from the
        stream duration, or None).
    format, subtype : str
        soundfile names (``"WAV"``, ``"PCM_16"``) or, for containers, the
        upper-case extension and codec (``"M4A"``, ``"AAC"``).
    """

    path: Path
    sample_rate: int
    channels: int
    frames: int | None
    format: str
    subtype: str

    def read(self, n: int) -> Audio:
        """Return up to ``n`` frames as ``(C, m)``; ``m < n`` only at the end. ``n < 0`` reads all."""
        raise NotImplementedError

    def skip(self, n: int) -> None:
        """Advance ``n`` frames (fewer at the end of the file) by reading and discarding."""
        while n > 0:
            got = self.read(min(n, 1 << 16)).shape[1]
            if got == 0:
                break
            n -= got

    def close(self) -> None:
        """Release the file; idempotent."""

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _SoundFileSource(Source):
    def __init__(self, path: Path, *, probe: bool) -> None:
        self.path = path
        try:
            self._f = sf.SoundFile(str(path), mode="r")
        except _SF_ERRORS as exc:
            if probe:
                raise AudioFileError(
                    f"path={str(path)!r}: unsupported format {extension(path) or '(no extension)'!r} "
                    f"(not recognised by libsndfile; supported: wav, flac, ogg, opus, mp3, aiff, "
                    f"and m4a/mp4/mkv/webm/... with PyAV or ffmpeg)"
                ) from exc
            raise AudioFileError(f"path={str(path)!r}: corrupt or unreadable audio file ({exc})") from exc
        f = self._f
        if f.channels <= 0 or f.samplerate <= 0:
            f.close()
            raise AudioFileError(
                f"path={str(path)!r}: invalid header (channels={f.channels}, sample_rate={f.samplerate})"
            )
        self.sample_rate = int(f.samplerate)
        self.channels = int(f.channels)
        self.frames = int(f.frames) if f.frames >= 0 else None
        self.format = str(f.format)
        self.subtype = str(f.subtype)

    def read(self, n: int) -> Audio:
        try:
            data = self._f.read(frames=n, dtype="float32", always_2d=True)
        except _SF_ERRORS as exc:
            raise AudioFileError(f"path={str(self.path)!r}: reading failed, file corrupt? ({exc})") from exc
        return np.ascontiguousarray(data.T)

    def skip(self, n: int) -> None:
        if n <= 0:
            return
        if self._f.seekable() and self.frames is not None:
            try:
                self._f.seek(min(n, self.frames), sf.SEEK_CUR)
                return
            except _SF_ERRORS:
                pass  # fall back to reading
        super().skip(n)

    def close(self) -> None:
        self._f.close()


class _ContainerSource(Source):
    def __init__(self, path: Path) -> None:
        self.path = path
        stream = _container.open_container(path)
        self.sample_rate = stream.sample_rate
        self.channels = stream.channels
        self.frames = stream.frames
        self.format = extension(path).lstrip(".").upper()
        self.subtype = stream.codec
        self._blocks = stream.blocks
        self._close = stream.close
        self._buf = Rebuffer(self.channels)
        self._eof = False

    def _fill(self, n: int) -> None:
        while not self._eof and (n < 0 or self._buf.size < n):
            try:
                block = next(self._blocks)
            except StopIteration:
                self._eof = True
                break
            self._buf.push(block)

    def read(self, n: int) -> Audio:
        self._fill(n)
        return self._buf.pop(n if n >= 0 else self._buf.size)

    def close(self) -> None:
        self._close()


def open_source(path: Any) -> Source:
    """Open ``path`` with the right backend.

    Raises
    ------
    AudioFileError
        Missing, empty, corrupt or unsupported file, or no decoder installed.
    """
    p = check_input_path(path)
    kind = read_backend(p)
    if kind == "container":
        return _ContainerSource(p)
    return _SoundFileSource(p, probe=(kind == "probe"))


class Rebuffer:
    """FIFO of ``(C, n)`` blocks that hands out blocks of a requested size.

    Parameters
    ----------
    channels : int
        Channel count ``C`` of every block.
    """

    def __init__(self, channels: int) -> None:
        self.channels = channels
        self._chunks: deque[Audio] = deque()
        self.size = 0

    def push(self, block: Audio) -> None:
        """Append a ``(C, n)`` block (``n`` may be 0)."""
        if block.shape[1]:
            self._chunks.append(block)
            self.size += block.shape[1]

    def pop(self, n: int) -> Audio:
        """Remove and return the first ``min(n, size)`` frames as ``(C, m)`` float32."""
        n = min(n, self.size)
        if n <= 0:
            return np.zeros((self.channels, 0), dtype=np.float32)
        out: list[Audio] = []
        need = n
        while need:
            head = self._chunks[0]
            if head.shape[1] <= need:
                out.append(head)
                self._chunks.popleft()
                need -= head.shape[1]
            else:
                out.append(head[:, :need])
                self._chunks[0] = head[:, need:]
                need = 0
        self.size -= n
        if len(out) == 1:
            return np.ascontiguousarray(out[0])
        return np.concatenate(out, axis=1)

    def iter_blocks(self, blocks: Iterator[Audio], block_frames: int) -> Iterator[Audio]:
        """Re-cut ``blocks`` into blocks of exactly ``block_frames`` (the last may be shorter)."""
        for b in blocks:
            self.push(b)
            while self.size >= block_frames:
                yield self.pop(block_frames)
        if self.size:
            yield self.pop(self.size)
