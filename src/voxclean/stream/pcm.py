"""Raw PCM and streaming WAV coding for pipes and sockets.

Integer PCM exists only here and in :mod:`voxclean.io`: everything else sees
``(C, n)`` float32 blocks.

* :func:`decode` / :func:`encode` -- interleaved little-endian PCM bytes <-> ``(C, n)`` float32.
* :class:`PcmDecoder` -- decodes a byte stream split at arbitrary points (keeps partial frames).
* :func:`read_wav_header` / :func:`wav_header` -- WAV headers on non-seekable streams.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO, Literal, get_args

import numpy as np

from .._typing import Audio
from .._validate import positive_int, valid_sr
from ..errors import AudioFileError, ParameterError

__all__ = [
    "PcmFormat",
    "PCM_FORMATS",
    "valid_pcm_format",
    "bytes_per_sample",
    "decode",
    "encode",
    "PcmDecoder",
    "WavHeader",
    "read_wav_header",
    "wav_header",
]

#: Interleaved little-endian sample formats.
PcmFormat = Literal["s16le", "s24le", "s32le", "f32le"]
PCM_FORMATS: tuple[str, ...] = get_args(PcmFormat)

_BYTES = {"s16le": 2, "s24le": 3, "s32le": 4, "f32le": 4}
#: Size of the unknown-length marker written in WAV headers on pipes.
_UNKNOWN = 0xFFFFFFFF


def valid_pcm_format(fmt: object) -> str:
    """Return ``fmt`` if it names a PCM format, else raise :class:`ParameterError`."""
    if fmt not in PCM_FORMATS:
        raise ParameterError(f"format={fmt!r} must be one of {', '.join(PCM_FORMATS)}")
    return str(fmt)


def bytes_per_sample(fmt: str) -> int:
    """Bytes of one sample of one channel in ``fmt``."""
    return _BYTES[valid_pcm_format(fmt)]


def decode(data: bytes | bytearray | memoryview, fmt: str, channels: int) -> Audio:
    """Decode interleaved PCM bytes into ``[shape=(C, n)]`` float32.

    Parameters
    ----------
    data : bytes-like
        A whole number of frames (``len(data) % (channels * bytes_per_sample(fmt)) == 0``).
    fmt : {"s16le", "s24le", "s32le", "f32le"}
    channels : int > 0

    Raises
    ------
    ParameterError
        Unknown format, or ``data`` is not a whole number of frames.
    """
    channels = positive_int(channels, name="channels")
    width = bytes_per_sample(fmt)
    frame = width * channels
    if len(data) % frame:
        raise ParameterError(f"len(data)={len(data)} is not a multiple of the frame size {frame} ({fmt} x {channels} ch)")
    n = len(data) // frame
    buf = np.frombuffer(data, dtype=np.uint8)
    if fmt == "s16le":
        x = buf.view("<i2").astype(np.float32) * np.float32(1 / 32768)
    elif fmt == "s32le":
        x = (buf.view("<i4").astype(np.float64) * (1 / 2147483648)).astype(np.float32)
    elif fmt == "f32le":
        x = buf.view("<f4").astype(np.float32)
    else:  # s24le: sign-extend three bytes into the top of an int32
        b = buf.reshape(-1, 3).astype(np.int32)
        v = (b[:, 0] << 8) | (b[:, 1] << 16) | (b[:, 2] << 24)
        x = (v.astype(np.float64) * (1 / 2147483648)).astype(np.float32)
    return np.ascontiguousarray(x.reshape(n, channels).T)


def encode(audio: Audio, fmt: str) -> bytes:
    """Encode ``[shape=(C, n)]`` float audio as interleaved PCM bytes (integers clipped to [-1, 1])."""
    fmt = valid_pcm_format(fmt)
    x = np.asarray(audio, dtype=np.float32)
    if x.ndim == 1:
        x = x[None]
    inter = x.T.reshape(-1)
    if fmt == "f32le":
        return inter.astype("<f4").tobytes()
    inter = np.clip(inter, -1.0, 1.0).astype(np.float64)
    if fmt == "s16le":
        return np.clip(np.round(inter * 32768), -32768, 32767).astype("<i2").tobytes()
    v = np.clip(np.round(inter * 2147483648), -2147483648, 2147483647).astype("<i4")
    if fmt == "s32le":
        return v.tobytes()
    b = v.view(np.uint8).reshape(-1, 4)[:, 1:]  # s24le: the three high bytes
    return np.ascontiguousarray(b).tobytes()


class PcmDecoder:
    """Decode a PCM byte stream cut at arbitrary byte positions.

    Bytes that do not complete a frame are kept for the next :meth:`push`.

    Parameters
    ----------
    fmt : {"s16le", "s24le", "s32le", "f32le"}
    channels : int > 0
    """

    def __init__(self, fmt: str, channels: int) -> None:
        self.fmt = valid_pcm_format(fmt)
        self.channels = positive_int(channels, name="channels")
        self.frame_bytes = bytes_per_sample(self.fmt) * self.channels
        self._rest = b""

    @property
    def pending_bytes(self) -> int:
        """Bytes held back because they do not complete a frame."""
        return len(self._rest)

    def push(self, data: bytes) -> Audio:
        """Append ``data``; return the complete frames as ``(C, n)`` float32."""
        if self._rest:
            data = self._rest + data
        cut = len(data) - len(data) % self.frame_bytes
        self._rest = bytes(data[cut:])
        return decode(data[:cut], self.fmt, self.channels)


@dataclass(frozen=True)
class WavHeader:
    """What a WAV header says about the sample data that follows it.

    Attributes
    ----------
    sample_rate : int
    channels : int
    fmt : str
        PCM format name (see :data:`PCM_FORMATS`).
    data_bytes : int or None
        Size of the data chunk, or None when unknown (streamed WAV).
    """

    sample_rate: int
    channels: int
    fmt: str
    data_bytes: int | None


def _read_exact(stream: BinaryIO, n: int, what: str) -> bytes:
    out = b""
    while len(out) < n:
        chunk = stream.read(n - len(out))
        if not chunk:
            raise AudioFileError(f"WAV stream ended inside the {what}")
        out += chunk
    return out


def read_wav_header(stream: BinaryIO, *, prefix: bytes = b"") -> WavHeader:
    """Read a WAV header from a (possibly non-seekable) stream, stopping at the sample data.

    Parameters
    ----------
    stream : binary file object
        Positioned at the start of the file, or just after ``prefix``.
    prefix : bytes
        Bytes already consumed from the stream (e.g. for format sniffing), at most 12.

    Raises
    ------
    AudioFileError
        Not a RIFF/WAVE stream, an unsupported sample format, or a truncated header.
    """
    head = prefix + _read_exact(stream, 12 - len(prefix), "RIFF header") if len(prefix) < 12 else prefix[:12]
    if head[:4] not in (b"RIFF", b"RIFX") or head[8:12] != b"WAVE":
        raise AudioFileError("input is not a WAV stream (no RIFF/WAVE header); for raw PCM give --rate")
    if head[:4] == b"RIFX":
        raise AudioFileError("big-endian WAV (RIFX) is not supported on pipes")
    fmt_info: tuple[int, int, int, int] | None = None
    for _ in range(64):  # a WAV header has a handful of chunks
        cid, size = struct.unpack("<4sI", _read_exact(stream, 8, "chunk header"))
        if cid == b"fmt ":
            body = _read_exact(stream, size + (size & 1), "fmt chunk")
            tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
            if tag == 0xFFFE and size >= 26:  # WAVE_FORMAT_EXTENSIBLE: the subformat GUID starts with the tag
                tag = struct.unpack("<H", body[24:26])[0]
            fmt_info = (tag, channels, rate, bits)
        elif cid == b"data":
            if fmt_info is None:
                raise AudioFileError("WAV stream has a data chunk before its fmt chunk")
            tag, channels, rate, bits = fmt_info
            names = {(1, 16): "s16le", (1, 24): "s24le", (1, 32): "s32le", (3, 32): "f32le"}
            if (tag, bits) not in names:
                raise AudioFileError(f"WAV sample format tag={tag} bits={bits} is not supported on pipes "
                                     f"(use 16/24/32-bit PCM or 32-bit float)")
            if channels < 1 or rate < 1:
                raise AudioFileError(f"WAV header has channels={channels} sample_rate={rate}")
            data = None if size in (0, _UNKNOWN, 0x7FFFFFFF) else size
            return WavHeader(rate, channels, names[(tag, bits)], data)
        else:  # skip unknown chunks in small pieces (constant memory)
            left = size + (size & 1)
            while left:
                left -= len(_read_exact(stream, min(left, 65536), f"{cid!r} chunk"))
    raise AudioFileError("WAV stream has no data chunk in its first 64 chunks")


def wav_header(sample_rate: int, channels: int, fmt: str, data_bytes: int | None = None) -> bytes:
    """A 44-byte (PCM) or 58-byte (float) WAV header; ``data_bytes=None`` marks the length unknown."""
    sample_rate = valid_sr(sample_rate, name="sample_rate")
    channels = positive_int(channels, name="channels")
    width = bytes_per_sample(fmt)
    tag = 3 if fmt == "f32le" else 1
    fmt_body = struct.pack("<HHIIHH", tag, channels, sample_rate, sample_rate * channels * width,
                           channels * width, 8 * width)
    extra = b""
    if tag == 3:
        fmt_body += struct.pack("<H", 0)
        extra = b"fact" + struct.pack("<II", 4, 0 if data_bytes is None else data_bytes // (channels * width))
    size = _UNKNOWN if data_bytes is None else data_bytes
    riff = _UNKNOWN if data_bytes is None else 4 + 8 + len(fmt_body) + len(extra) + 8 + data_bytes
    return (b"RIFF" + struct.pack("<I", riff) + b"WAVE" + b"fmt " + struct.pack("<I", len(fmt_body)) + fmt_body
            + extra + b"data" + struct.pack("<I", size))
