"""Enhance a byte stream (raw PCM or WAV) into another, block by block: for ffmpeg/sox pipelines.

Memory is constant in the stream length, output starts as soon as input arrives
(after the enhancer's latency), and the output has exactly the input's length,
aligned with it (the latency is compensated as in :func:`voxclean.run_offline`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .._typing import Audio
from .._validate import positive_int, valid_sr
from ..enhance.base import Enhancer, stream_compensated
from ..errors import ParameterError
from . import pcm

__all__ = ["PipeInput", "open_pipe_input", "write_pipe", "PipeResult"]


@dataclass
class PipeInput:
    """An opened input stream: its format and a generator of ``(C, n)`` float32 blocks."""

    sample_rate: int
    channels: int
    fmt: str
    is_wav: bool
    blocks: Iterator[Audio]


@dataclass(frozen=True)
class PipeResult:
    """Frames per channel read and written, and the stream format."""

    frames_in: int
    frames_out: int
    sample_rate: int
    channels: int


def _read_some(stream: BinaryIO, n: int) -> bytes:
    read1 = getattr(stream, "read1", None)  # returns what is there now, so a live pipe is not held up
    return read1(n) if read1 is not None else stream.read(n)


def open_pipe_input(
    stream: BinaryIO,
    *,
    rate: int | None = None,
    channels: int | None = None,
    fmt: str | None = None,
    block_s: float = 0.05,
) -> PipeInput:
    """Read a WAV header if the stream starts with one, else treat it as raw PCM.

    Parameters
    ----------
    stream : binary file object
        E.g. ``sys.stdin.buffer``.
    rate, channels, fmt
        Raw PCM parameters (``rate`` required for raw input; defaults 1 channel, ``s16le``).
        For WAV input they must be None or agree with the header.
    block_s : float > 0
        Largest block read at once, in seconds.

    Raises
    ------
    ParameterError
        Raw input without ``rate``, or options contradicting the WAV header.
    AudioFileError
        A truncated or unsupported WAV header.
    """
    head = b""
    while len(head) < 12:
        chunk = stream.read(12 - len(head))
        if not chunk:
            break
        head += chunk
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        h = pcm.read_wav_header(stream, prefix=head)
        for name, want, got in (("rate", rate, h.sample_rate), ("channels", channels, h.channels), ("pcm", fmt, h.fmt)):
            if want is not None and want != got:
                raise ParameterError(f"--{name} {want} contradicts the WAV header ({got})")
        sr, ch, f, left, is_wav = h.sample_rate, h.channels, h.fmt, h.data_bytes, True
    else:
        if rate is None:
            raise ParameterError("standard input is not WAV: give --rate (and --channels, --pcm) for raw PCM")
        sr, ch = valid_sr(rate, name="rate"), positive_int(channels or 1, name="channels")
        f, left, is_wav = pcm.valid_pcm_format(fmt or "s16le"), None, False
    dec = pcm.PcmDecoder(f, ch)
    chunk_bytes = max(1, int(block_s * sr)) * dec.frame_bytes

    def blocks() -> Iterator[Audio]:
        remaining = left
        data = b"" if is_wav else head
        while True:
            if data:
                if remaining is not None:
                    data = data[:remaining]
                    remaining -= len(data)
                x = dec.push(data)
                if x.shape[1]:
                    yield x
            if remaining == 0:
                break
            data = _read_some(stream, chunk_bytes if remaining is None else min(chunk_bytes, remaining))
            if not data:
                break

    return PipeInput(sr, ch, f, is_wav, blocks())


def write_pipe(
    out: BinaryIO,
    enhancer: Enhancer,
    blocks: Iterator[Audio],
    *,
    channels: int,
    fmt: str,
    wav: bool,
) -> PipeResult:
    """Enhance ``blocks`` and write them to ``out`` as WAV (length patched in if ``out`` is seekable) or raw PCM."""
    fmt = pcm.valid_pcm_format(fmt)
    sr = enhancer.sample_rate
    seekable = False
    if wav:
        try:
            seekable = out.seekable()
            start = out.tell() if seekable else 0
        except (OSError, ValueError):
            seekable = False
        out.write(pcm.wav_header(sr, channels, fmt))
    n_in = 0
    n_out = 0

    def counted() -> Iterator[Audio]:
        nonlocal n_in
        for b in blocks:
            n_in += b.shape[1]
            yield b

    for y in stream_compensated(enhancer, counted(), channels):
        if y.shape[1]:
            out.write(pcm.encode(y, fmt))
            out.flush()
            n_out += y.shape[1]
    if wav and seekable:
        end = out.tell()
        out.seek(start)
        out.write(pcm.wav_header(sr, channels, fmt, n_out * channels * pcm.bytes_per_sample(fmt)))
        out.seek(end)
    out.flush()
    return PipeResult(n_in, n_out, sr, channels)
