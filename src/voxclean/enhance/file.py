"""Enhance audio files block by block, with constant memory."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import AudioFileError, ParameterError
from ..io import BlockWriter, info, load, read_blocks
from .base import stream_compensated
from .facade import DEFAULT_METHOD, create

__all__ = ["enhance_file", "FileResult"]

#: Read/write block length in seconds.
BLOCK_S = 1.0


@dataclass(frozen=True)
class FileResult:
    """Summary of one enhanced file.

    Attributes
    ----------
    input, output : Path
    sample_rate : int
        Rate of input and output in Hz.
    channels : int
    frames : int
        Samples per channel written.
    latency : int
        Algorithmic latency of the enhancer in samples (compensated in the output).
    """

    input: Path
    output: Path
    sample_rate: int
    channels: int
    frames: int
    latency: int


def enhance_file(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    method: str = DEFAULT_METHOD,
    strength_db: float | None = None,
    noise_clip: str | os.PathLike[str] | None = None,
    noise_range_s: tuple[float, float] | None = None,
    subtype: str | None = None,
    format: str | None = None,
    in_place: bool = False,
    progress: Callable[[int], Any] | None = None,
    **params: Any,
) -> FileResult:
    """Enhance one audio file into another, streaming in blocks.

    The output keeps the input's sample rate, channel count and (where the output
    format allows) sample subtype. It is written to a temporary file and renamed into
    place only when complete; an output path equal to the input is refused unless
    ``in_place=True``.

    Parameters
    ----------
    input_path, output_path : path-like
    method : str
        Enhancement method.
    strength_db : float or None
        Maximum attenuation in dB; ``None`` keeps the method default.
    noise_clip : path-like or None
        A noise-only recording; its noise profile replaces noise tracking.
    noise_range_s : (start_s, end_s) or None
        A noise-only time range of the input itself, in seconds, used the same way.
    subtype, format : str or None
        soundfile output subtype/format; ``None`` derives them from the input and
        the output extension.
    in_place : bool
        Allow ``output_path`` to be the input file.
    progress : callable or None
        Called with the number of input samples (per channel) consumed after each block.
    **params
        Method parameters.

    Returns
    -------
    FileResult

    Raises
    ------
    AudioFileError
        Unreadable input or unwritable output (no partial output is left).
    ParameterError
        Bad parameters, an empty noise clip or range.
    """
    src = info(input_path)
    sr = src.sample_rate
    clip = None
    if noise_clip is not None and noise_range_s is not None:
        raise ParameterError("give noise_clip or noise_range_s, not both")
    if noise_clip is not None:
        clip, _ = load(noise_clip, sr=sr)
    elif noise_range_s is not None:
        start, end = noise_range_s
        if not (0 <= start < end):
            raise ParameterError(f"noise_range_s={noise_range_s} must satisfy 0 <= start < end")
        clip, _ = load(input_path, offset_s=start, duration_s=end - start)
        if clip.shape[1] == 0:
            raise ParameterError(f"noise_range_s={noise_range_s} lies outside the input ({src.duration_s} s)")
    enhancer = create(method, sr, strength_db=strength_db, noise_clip=clip, **params)
    block = max(1, int(BLOCK_S * sr))
    written = 0
    done = 0

    def blocks():
        nonlocal done
        for b in read_blocks(input_path, block_frames=block):
            if not np.isfinite(b).all():
                bad = int(np.argmax(~np.isfinite(b).all(axis=0)))
                raise ParameterError(f"{input_path}: non-finite sample (NaN or Inf) at frame {done + bad}")
            done += b.shape[1]
            yield b
            if progress is not None:
                progress(done)

    with BlockWriter(
        output_path, sr, src.channels, subtype=subtype, format=format, like=src,
        protect=(input_path,), in_place=in_place,
    ) as writer:
        for out in stream_compensated(enhancer, blocks(), src.channels):
            if not np.isfinite(out).all():  # pragma: no cover - enhancers keep finite output
                raise AudioFileError(f"non-finite output while enhancing {input_path}")
            writer.write(out)
            written += out.shape[1]
    return FileResult(Path(input_path), Path(output_path), sr, src.channels, written, enhancer.latency)
