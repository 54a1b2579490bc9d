"""File-extension tables and backend selection for audio I/O.

Two backends read audio:

* ``"soundfile"`` (libsndfile) for WAV, FLAC, OGG/Vorbis, Opus, MP3, AIFF and
  friends; it also writes them.
* ``"container"`` (PyAV, else the ``ffmpeg`` command-line tool) for
  compressed or video containers such as M4A, MP4, MKV and WebM; read only.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile as sf

from .._typing import Audio
from ..errors import AudioFileError, ParameterError, SampleRateError

__all__ = [
    "SOUNDFILE_EXTENSIONS",
    "CONTAINER_EXTENSIONS",
    "SUPPORTED_EXTENSIONS",
    "is_audio_path",
    "extension",
    "read_backend",
    "write_format",
    "is_float_subtype",
    "clip_for_subtype",
    "check_codec_rate",
]

#: Extensions read (and written) through libsndfile, mapped to soundfile format names.
_SF_FORMAT_BY_EXT: dict[str, str] = {
    ".wav": "WAV",
    ".wave": "WAV",
    ".flac": "FLAC",
    ".ogg": "OGG",
    ".oga": "OGG",
    ".opus": "OGG",
    ".mp3": "MP3",
    ".aif": "AIFF",
    ".aiff": "AIFF",
    ".au": "AU",
    ".caf": "CAF",
    ".w64": "W64",
    ".rf64": "RF64",
}

#: Default subtype where the extension implies more than the format (``.opus`` is Ogg/Opus).
_SUBTYPE_BY_EXT: dict[str, str] = {".opus": "OPUS"}

#: Extensions decoded with PyAV / ffmpeg (audio-only and video containers).
CONTAINER_EXTENSIONS: tuple[str, ...] = (
    ".m4a",
    ".m4b",
    ".aac",
    ".ac3",
    ".amr",
    ".wma",
    ".mka",
    ".mp4",
    ".m4v",
    ".mov",
    ".mkv",
    ".webm",
    ".avi",
    ".wmv",
    ".flv",
    ".3gp",
    ".mpg",
    ".mpeg",
)

SOUNDFILE_EXTENSIONS: tuple[str, ...] = tuple(_SF_FORMAT_BY_EXT)

#: Every extension :func:`voxclean.io.load` accepts (lower case, with the dot).
SUPPORTED_EXTENSIONS: tuple[str, ...] = SOUNDFILE_EXTENSIONS + CONTAINER_EXTENSIONS

_FLOAT_SUBTYPES = frozenset({"FLOAT", "DOUBLE"})

#: Sample rates (Hz) the Opus encoder accepts.
_OPUS_RATES = (8000, 12000, 16000, 24000, 48000)


def extension(path: str | os.PathLike[str]) -> str:
    """Return the lower-case extension of ``path`` including the dot (``""`` if none)."""
    return Path(path).suffix.lower()


def is_audio_path(path: str | os.PathLike[str]) -> bool:
    """Tell whether ``path`` has an audio or video extension :func:`load` can read.

    Only the name is inspected; the file need not exist. Hidden temporary
    files written by :func:`save` (``.name.<random>.part``) never match.

    Parameters
    ----------
    path : str or os.PathLike
        File name or path.

    Returns
    -------
    bool
    """
    return extension(path) in SUPPORTED_EXTENSIONS


def _soundfile_can_read(ext: str) -> bool:
    """Whether the linked libsndfile handles ``ext`` (MP3 and Opus need libsndfile >= 1.1/1.0.29)."""
    fmt = _SF_FORMAT_BY_EXT[ext]
    if fmt not in sf.available_formats():
        return False
    sub = _SUBTYPE_BY_EXT.get(ext)
    return sub is None or sub in sf.available_subtypes(fmt)


def read_backend(path: str | os.PathLike[str]) -> str:
    """Choose the backend that reads ``path``: ``"soundfile"``, ``"container"`` or ``"probe"``.

    ``"probe"`` means the extension is unknown: libsndfile is tried (it detects
    formats from the header) and failure is reported as an unsupported format.
    """
    ext = extension(path)
    if ext in _SF_FORMAT_BY_EXT:
        return "soundfile" if _soundfile_can_read(ext) else "container"
    if ext in CONTAINER_EXTENSIONS:
        return "container"
    return "probe"


def is_float_subtype(subtype: str) -> bool:
    """Whether ``subtype`` stores floating-point samples (no clipping needed)."""
    return subtype.upper() in _FLOAT_SUBTYPES


def write_format(
    path: str | os.PathLike[str],
    *,
    format: str | None,
    subtype: str | None,
    like_format: str | None = None,
    like_subtype: str | None = None,
) -> tuple[str, str]:
    """Resolve the soundfile ``(format, subtype)`` used to write ``path``.

    Priority: explicit ``format``/``subtype``, then the extension, then the
    ``like_*`` values (from an input file's :class:`AudioInfo`). A ``like``
    subtype is kept only when valid for the chosen format; otherwise the
    soundfile default subtype of the format is used.

    Raises
    ------
    AudioFileError
        The extension names a read-only container, or no format can be inferred.
    ParameterError
        ``format`` or ``subtype`` is unknown or the pair is invalid.
    """
    ext = extension(path)
    if format is None:
        if ext in CONTAINER_EXTENSIONS:
            raise AudioFileError(
                f"path={os.fspath(path)!r}: writing {ext!r} containers is not supported; "
                "write .wav, .flac, .ogg, .opus or .mp3 instead"
            )
        format = _SF_FORMAT_BY_EXT.get(ext)
        if format is None and like_format and like_format.upper() in sf.available_formats():
            format = like_format
        if format is None:
            raise AudioFileError(
                f"path={os.fspath(path)!r}: cannot infer the audio format from extension {ext!r}; "
                "use a known extension or pass format='WAV' (or FLAC, OGG, ...)"
            )
    format = format.upper()
    if format not in sf.available_formats():
        raise ParameterError(f"format={format!r} is not a format soundfile can write")
    if subtype is None:
        ext_sub = _SUBTYPE_BY_EXT.get(ext)
        if ext_sub is not None and sf.check_format(format, ext_sub):
            subtype = ext_sub
        elif like_subtype and sf.check_format(format, like_subtype.upper()):
            subtype = like_subtype
        else:
            subtype = sf.default_subtype(format)
            if subtype is None:  # pragma: no cover - every listed format has a default
                raise ParameterError(f"format={format!r} has no default subtype; pass subtype=")
    subtype = subtype.upper()
    if not sf.check_format(format, subtype):
        raise ParameterError(f"subtype={subtype!r} is not valid for format={format!r}")
    return format, subtype


def clip_for_subtype(audio: Audio, subtype: str) -> Audio:
    """Clip ``audio`` to [-1, 1] unless ``subtype`` stores floats.

    libsndfile converts out-of-range floats to integer PCM with wrap-around;
    clipping first turns overs into (audible but benign) saturation.

    Parameters
    ----------
    audio : np.ndarray [shape=(C, T), dtype=float32]
    subtype : str

    Returns
    -------
    np.ndarray [shape=(C, T), dtype=float32]
        ``audio`` itself for float subtypes, else a clipped copy.
    """
    if is_float_subtype(subtype):
        return audio
    return np.clip(audio, -1.0, 1.0)


def check_codec_rate(subtype: str, sr: int) -> None:
    """Raise :class:`SampleRateError` if the codec of ``subtype`` cannot encode at ``sr`` Hz."""
    if subtype.upper() == "OPUS" and sr not in _OPUS_RATES:
        raise SampleRateError(f"sr={sr} is not supported by Opus; use one of {_OPUS_RATES}")
