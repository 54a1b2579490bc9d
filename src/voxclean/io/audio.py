"""Whole-file audio I/O: :func:`load`, :func:`save` and :func:`info`."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import soundfile as sf
import soxr

from .._validate import positive_float, valid_audio, valid_sr
from ..errors import AudioFileError, ParameterError, VoxcleanError
from ._atomic import AtomicTarget, check_output_path
from ._formats import check_codec_rate, clip_for_subtype, write_format
from ._source import open_source

__all__ = ["AudioInfo", "info", "load", "save", "RESAMPLE_QUALITY"]

#: soxr preset used when :func:`load` and :func:`~voxclean.io.read_blocks` resample.
RESAMPLE_QUALITY = "HQ"

PathLike = str | os.PathLike[str]

#: Exceptions from soundfile/libsndfile or the OS that mean "the write failed".
_WRITE_ERRORS: tuple[type[BaseException], ...] = (sf.SoundFileError, RuntimeError, TypeError, ValueError, OSError)


@dataclass(frozen=True)
class AudioInfo:
    """Properties of an audio file, as returned by :func:`info`.

    Attributes
    ----------
    sample_rate : int
        Sample rate in Hz.
    channels : int
        Number of channels.
    frames : int or None
        Samples per channel. For container files (M4A, MP4, ...) this is
        estimated from the stream duration and may be off by a few frames, or
        None when the container does not store a duration.
    duration_s : float or None
        ``frames / sample_rate`` in seconds (None when ``frames`` is None).
    format : str
        soundfile format name (``"WAV"``, ``"FLAC"``, ``"OGG"``, ``"MP3"``...);
        for containers the upper-case extension (``"M4A"``, ``"MP4"``...).
    subtype : str
        soundfile subtype (``"PCM_16"``, ``"PCM_24"``, ``"FLOAT"``, ``"VORBIS"``,
        ``"OPUS"``...); for containers the upper-case codec name (``"AAC"``...).
    """

    sample_rate: int
    channels: int
    frames: int | None
    duration_s: float | None
    format: str
    subtype: str


def info(path: PathLike) -> AudioInfo:
    """Read the properties of an audio file without decoding it.

    Parameters
    ----------
    path : str or os.PathLike
        Audio or video file.

    Returns
    -------
    AudioInfo

    Raises
    ------
    AudioFileError
        Missing, empty, corrupt or unsupported file.
    """
    with open_source(path) as src:
        frames = src.frames
        duration = None if frames is None else frames / src.sample_rate
        return AudioInfo(src.sample_rate, src.channels, frames, duration, src.format, src.subtype)


def _valid_dtype(dtype: Any) -> np.dtype[Any]:
    try:
        dt: np.dtype[Any] = np.dtype(dtype)
    except TypeError as exc:
        raise ParameterError(f"dtype={dtype!r} must be float32 or float64") from exc
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ParameterError(f"dtype={dtype!r} must be float32 or float64")
    return dt


def load(
    path: PathLike,
    *,
    sr: int | None = None,
    mono: bool = False,
    offset_s: float = 0.0,
    duration_s: float | None = None,
    dtype: npt.DTypeLike = np.float32,
) -> tuple[npt.NDArray[np.floating], int]:
    """Load an audio (or video) file as a ``(C, T)`` float array.

    WAV, FLAC, OGG/Vorbis, Opus, MP3, AIFF... are read with soundfile; M4A,
    AAC, MP4, MKV, WebM and other containers with PyAV, or the ``ffmpeg``
    program when PyAV is not installed.

    Parameters
    ----------
    path : str or os.PathLike
        File to read.
    sr : int > 0 or None
        Target sample rate in Hz. If given and different from the file's rate,
        the audio is resampled with soxr (quality ``"HQ"``). None keeps the
        file's rate.
    mono : bool
        If True, average the channels into one: shape ``(1, T)``.
    offset_s : float >= 0
        Start reading this many seconds into the file (at the file's rate).
        An offset past the end gives ``T = 0``.
    duration_s : float >= 0 or None
        Read at most this many seconds; None reads to the end.
    dtype : {np.float32, np.float64}
        Output sample type.

    Returns
    -------
    audio : np.ndarray [shape=(C, T), dtype=dtype]
        Samples, time last, always 2-D. Integer PCM (16/24/32-bit) is scaled to
        [-1, 1); float files are returned as stored (not clipped). A valid file
        with zero frames gives shape ``(C, 0)``.
    sr : int
        Sample rate of ``audio`` in Hz (``sr`` if given, else the file's).

    Raises
    ------
    AudioFileError
        The file is missing, empty (0 bytes), corrupt, truncated beyond
        repair, in an unsupported format, has no audio stream, or needs PyAV /
        ffmpeg that are not installed (the message says what to install).
    ParameterError
        An argument is invalid.

    Notes
    -----
    A truncated WAV whose header claims more data than the file holds loads
    the samples that are present.
    """
    target_sr = None if sr is None else valid_sr(sr)
    offset_s = positive_float(offset_s, name="offset_s", allow_zero=True)
    if duration_s is not None:
        duration_s = positive_float(duration_s, name="duration_s", allow_zero=True)
    out_dtype = _valid_dtype(dtype)
    with open_source(path) as src:
        file_sr = src.sample_rate
        start = round(offset_s * file_sr)
        count = -1 if duration_s is None else round(duration_s * file_sr)
        src.skip(start)
        y = src.read(count) if count != 0 else np.zeros((src.channels, 0), dtype=np.float32)
    if mono and y.shape[0] > 1:
        y = y.mean(axis=0, keepdims=True, dtype=np.float32)
    out_sr = file_sr
    if target_sr is not None and target_sr != file_sr:
        if y.shape[1]:
            y = soxr.resample(np.ascontiguousarray(y.T), file_sr, target_sr, quality=RESAMPLE_QUALITY).T
        out_sr = target_sr
    return np.ascontiguousarray(y, dtype=out_dtype), out_sr


def save(
    path: PathLike,
    audio: Any,
    sr: int,
    *,
    subtype: str | None = None,
    format: str | None = None,
    overwrite: bool = True,
    like: AudioInfo | None = None,
    protect: Iterable[PathLike] = (),
    in_place: bool = False,
) -> None:
    """Write audio to a file atomically.

    The data go to a hidden temporary file in the destination directory which
    is then renamed over ``path`` (:func:`os.replace`), so an interrupted or
    failed write never leaves a partial file and never alters an existing one.

    Parameters
    ----------
    path : str or os.PathLike
        Destination. The format follows the extension (``.wav``, ``.flac``,
        ``.ogg``, ``.opus``, ``.mp3``, ``.aiff``...) unless ``format`` is given.
    audio : np.ndarray [shape=(T,) or (C, T)]
        Float samples, time last; must be finite. Values outside [-1, 1] are
        clipped when the subtype is not floating-point (no wrap-around).
    sr : int > 0
        Sample rate in Hz.
    subtype : str or None
        soundfile subtype such as ``"PCM_16"``, ``"PCM_24"``, ``"FLOAT"``. None
        uses ``like.subtype`` when valid for the format, else the format's
        soundfile default (``PCM_16`` for WAV and FLAC, ``VORBIS`` for OGG,
        ``OPUS`` for ``.opus``).
    format : str or None
        soundfile format name (``"WAV"``, ``"FLAC"``...); None infers it from
        the extension (then from ``like.format``).
    overwrite : bool
        If False, raise when ``path`` exists.
    like : AudioInfo or None
        Info of an input file whose subtype (and format, when the extension
        does not decide it) should be kept.
    protect : iterable of path-like
        Input paths that must not be overwritten. Writing to one of them (same
        file after resolving links) raises :class:`AudioFileError`...
    in_place : bool
        ...unless this is True.

    Raises
    ------
    ParameterError
        ``audio`` is not finite float audio, or ``format``/``subtype`` invalid.
    SampleRateError
        ``sr`` is invalid (or unsupported by the codec, e.g. Opus).
    AudioFileError
        Refused destination (protected input, existing file with
        ``overwrite=False``, missing directory) or the write failed.
    """
    sr = valid_sr(sr)
    y = valid_audio(audio, name="audio")
    fmt, sub = write_format(
        path,
        format=format,
        subtype=subtype,
        like_format=None if like is None else like.format,
        like_subtype=None if like is None else like.subtype,
    )
    check_codec_rate(sub, sr)
    out = check_output_path(path, overwrite=overwrite, protect=protect, in_place=in_place)
    try:
        with AtomicTarget(out) as target:
            data = clip_for_subtype(y, sub)
            with sf.SoundFile(str(target.tmp_path), "w", samplerate=sr, channels=y.shape[0], subtype=sub, format=fmt) as f:
                f.write(np.ascontiguousarray(data.T))
    except BaseException as exc:
        if isinstance(exc, _WRITE_ERRORS) and not isinstance(exc, VoxcleanError):
            raise AudioFileError(f"path={str(out)!r}: writing {fmt}/{sub} at sr={sr} failed ({exc})") from exc
        raise
