"""Exception hierarchy of voxclean.

Every error raised on purpose by the library derives from :class:`VoxcleanError`,
so callers can catch one type. Messages use the ``name=value`` form.
"""

from __future__ import annotations

__all__ = [
    "VoxcleanError",
    "ParameterError",
    "SampleRateError",
    "ChannelError",
    "ModelError",
    "AudioFileError",
]


class VoxcleanError(Exception):
    """Root of every error voxclean raises on purpose."""


class ParameterError(VoxcleanError, ValueError):
    """A parameter or an input array is invalid (wrong type, range, shape or non-finite)."""


class SampleRateError(ParameterError):
    """A sample rate is invalid or does not match what a stage requires."""


class ChannelError(ParameterError):
    """A channel count is invalid or does not match what a stage requires."""


class ModelError(VoxcleanError):
    """A model file is missing, corrupt or incompatible."""


class AudioFileError(VoxcleanError, OSError):
    """An audio file cannot be read or written (missing, corrupt, unsupported, or unsafe path)."""
