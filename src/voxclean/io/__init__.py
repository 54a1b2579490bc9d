"""Audio file I/O: whole-file and block-wise reading/writing, and resampling.

Arrays are ``(channels, samples)`` float32, time last.

* :func:`load`, :func:`save`, :func:`info` / :class:`AudioInfo` -- whole files.
* :func:`read_blocks`, :class:`BlockWriter` -- constant-memory streaming.
* :func:`resample`, :class:`Resampler` -- soxr sample-rate conversion.
* :data:`SUPPORTED_EXTENSIONS`, :func:`is_audio_path` -- for walking folders.

WAV, FLAC, OGG, Opus, MP3 and AIFF go through soundfile (libsndfile); M4A,
AAC, MP4, MKV, WebM and other containers are read with PyAV
(``pip install av``) or, failing that, the ``ffmpeg`` program.
"""

from __future__ import annotations

from ._formats import SUPPORTED_EXTENSIONS, is_audio_path
from .audio import AudioInfo, info, load, save
from .blocks import BlockWriter, read_blocks
from .resample import Resampler, resample

__all__ = [
    "load",
    "save",
    "info",
    "AudioInfo",
    "read_blocks",
    "BlockWriter",
    "resample",
    "Resampler",
    "SUPPORTED_EXTENSIONS",
    "is_audio_path",
]
