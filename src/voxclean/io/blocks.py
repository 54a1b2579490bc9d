"""Constant-memory block I/O for long files: :func:`read_blocks` and :class:`BlockWriter`."""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Any

import numpy as np
import soundfile as sf

from .._typing import Audio
from .._validate import positive_int, valid_audio, valid_sr
from ..errors import AudioFileError, VoxcleanError
from ._atomic import AtomicTarget, check_output_path
from ._formats import check_codec_rate, clip_for_subtype, write_format
from ._source import Rebuffer, Source, open_source
from .audio import RESAMPLE_QUALITY, AudioInfo
from .resample import Resampler

__all__ = ["read_blocks", "BlockWriter"]

PathLike = str | os.PathLike[str]


def read_blocks(
    path: PathLike,
    *,
    block_frames: int,
    sr: int | None = None,
    mono: bool = False,
) -> Iterator[Audio]:
    """Read a file as a stream of ``(C, n)`` float32 blocks with constant memory.

    The file is opened (and checked) when this function is called, so a
    missing or corrupt file raises here, not at the first ``next()``. It is
    closed when the iterator is exhausted, closed or garbage-collected.

    Parameters
    ----------
    path : str or os.PathLike
        Audio or video file (any format :func:`voxclean.io.load` reads;
        containers are decoded frame by frame).
    block_frames : int > 0
        Frames per block at the *output* rate.
    sr : int > 0 or None
        Output sample rate in Hz; if it differs from the file's, blocks are
        resampled on the fly with :class:`~voxclean.io.Resampler` (soxr
        ``"HQ"``). None keeps the file's rate (see :func:`voxclean.io.info`).
    mono : bool
        If True, average the channels: blocks are ``(1, n)``.

    Yields
    ------
    np.ndarray [shape=(C, n), dtype=float32]
        ``n == block_frames`` except for the last block, which may be shorter
        (never empty). Concatenated, the blocks equal :func:`voxclean.io.load`
        with the same ``sr`` and ``mono`` (within soxr's tolerance when
        resampling). A file with zero frames yields nothing.

    Raises
    ------
    AudioFileError
        Missing, empty, corrupt or unsupported file.
    ParameterError
        Invalid ``block_frames`` or ``sr``.
    """
    block_frames = positive_int(block_frames, name="block_frames")
    target_sr = None if sr is None else valid_sr(sr)
    src = open_source(path)
    return _iter_blocks(src, block_frames, target_sr, bool(mono))


def _iter_blocks(src: Source, block_frames: int, target_sr: int | None, mono: bool) -> Iterator[Audio]:
    try:
        channels = 1 if mono else src.channels
        resampler = None
        read_frames = block_frames
        if target_sr is not None and target_sr != src.sample_rate:
            resampler = Resampler(src.sample_rate, target_sr, channels, quality=RESAMPLE_QUALITY)
            read_frames = max(1, math.ceil(block_frames * src.sample_rate / target_sr))

        def native() -> Iterator[Audio]:
            while True:
                block = src.read(read_frames)
                if block.shape[1] == 0:
                    break
                if mono and block.shape[0] > 1:
                    block = block.mean(axis=0, keepdims=True, dtype=np.float32)
                if resampler is None:
                    yield block
                else:
                    yield resampler.process(block)
                if block.shape[1] < read_frames:  # short read: end of file
                    break
            if resampler is not None:
                yield resampler.flush()

        yield from Rebuffer(channels).iter_blocks(native(), block_frames)
    finally:
        src.close()


class BlockWriter:
    """Write a file block by block; it appears at ``path`` only when complete.

    Blocks go to a hidden temporary file in the destination directory. A clean
    exit from the ``with`` block (or :meth:`close`) renames it over ``path``
    atomically; an exception inside the ``with`` block (or :meth:`abort`)
    deletes it, leaving any existing ``path`` untouched.

    Parameters
    ----------
    path : str or os.PathLike
        Destination; format from the extension unless ``format`` is given.
    sr : int > 0
        Sample rate in Hz.
    channels : int > 0
        Channel count ``C`` of every block.
    subtype, format : str or None
        As in :func:`voxclean.io.save` (default subtype: the format's soundfile
        default, e.g. ``PCM_16`` for WAV).
    protect : iterable of path-like
        Input paths that must not be overwritten...
    in_place : bool
        ...unless this is True.
    overwrite : bool
        If False, raise when ``path`` already exists.
    like : AudioInfo or None
        Keep this input file's subtype where valid, as in :func:`~voxclean.io.save`.

    Examples
    --------
    >>> with BlockWriter("out.wav", 16000, 1) as w:  # doctest: +SKIP
    ...     for block in read_blocks("in.wav", block_frames=4096):
    ...         w.write(process(block))
    """

    def __init__(
        self,
        path: PathLike,
        sr: int,
        channels: int,
        *,
        subtype: str | None = None,
        format: str | None = None,
        protect: Iterable[PathLike] = (),
        in_place: bool = False,
        overwrite: bool = True,
        like: AudioInfo | None = None,
    ) -> None:
        self.sr = valid_sr(sr)
        self.channels = positive_int(channels, name="channels")
        self.format, self.subtype = write_format(
            path,
            format=format,
            subtype=subtype,
            like_format=None if like is None else like.format,
            like_subtype=None if like is None else like.subtype,
        )
        check_codec_rate(self.subtype, self.sr)
        self.path = check_output_path(path, overwrite=overwrite, protect=protect, in_place=in_place)
        self.frames_written = 0
        self._target = AtomicTarget(self.path)
        try:
            self._file: sf.SoundFile | None = sf.SoundFile(
                str(self._target.tmp_path),
                "w",
                samplerate=self.sr,
                channels=self.channels,
                subtype=self.subtype,
                format=self.format,
            )
        except (sf.SoundFileError, RuntimeError, TypeError, ValueError, OSError) as exc:
            self._target.abort()
            raise AudioFileError(
                f"path={str(self.path)!r}: cannot write {self.format}/{self.subtype} at sr={self.sr} ({exc})"
            ) from exc

    @property
    def closed(self) -> bool:
        """True after :meth:`close` or :meth:`abort`."""
        return self._file is None

    def write(self, block: Any) -> None:
        """Append a block.

        Parameters
        ----------
        block : np.ndarray [shape=(C, n)]
            Finite float samples (a ``(n,)`` array is accepted when ``C == 1``).
            Clipped to [-1, 1] for integer subtypes.

        Raises
        ------
        ParameterError
            Non-finite or non-float samples.
        ChannelError
            ``C`` differs from ``channels``.
        AudioFileError
            The writer is closed or the write failed.
        """
        if self._file is None:
            raise AudioFileError(f"path={str(self.path)!r}: BlockWriter is closed")
        x = valid_audio(block, channels=self.channels, name="block")
        if x.shape[1] == 0:
            return
        try:
            self._file.write(np.ascontiguousarray(clip_for_subtype(x, self.subtype).T))
        except (sf.SoundFileError, RuntimeError, OSError) as exc:
            if isinstance(exc, VoxcleanError):
                raise
            raise AudioFileError(f"path={str(self.path)!r}: write failed ({exc})") from exc
        self.frames_written += x.shape[1]

    def close(self) -> None:
        """Finish the file and move it into place (idempotent)."""
        if self._file is None:
            return
        f, self._file = self._file, None
        try:
            f.close()
        except BaseException as exc:
            self._target.abort()
            if isinstance(exc, (sf.SoundFileError, RuntimeError, OSError)) and not isinstance(exc, VoxcleanError):
                raise AudioFileError(f"path={str(self.path)!r}: finishing the file failed ({exc})") from exc
            raise
        self._target.commit()

    def abort(self) -> None:
        """Discard everything written; ``path`` is left as it was (idempotent)."""
        if self._file is not None:
            f, self._file = self._file, None
            with contextlib.suppress(Exception):  # the file is discarded anyway
                f.close()
        self._target.abort()

    def __enter__(self) -> BlockWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def __del__(self) -> None:
        # Never publish a file that was not closed explicitly; just clean up.
        if getattr(self, "_target", None) is not None and getattr(self, "_file", None) is not None:
            self.abort()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return (
            f"BlockWriter(path={str(self.path)!r}, sr={self.sr}, channels={self.channels}, "
            f"format={self.format!r}, subtype={self.subtype!r}, {state})"
        )
