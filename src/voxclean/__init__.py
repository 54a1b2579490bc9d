"""voxclean: speech enhancement that streams.

Functions first: :func:`enhance` cleans an array, :func:`load`/:func:`save` read
and write files, :mod:`voxclean.metrics` measures. Every stage is an
:class:`Enhancer` (block in, block out, explicit state, declared latency).
"""

from __future__ import annotations

from .enhance import (
    Enhancer,
    Pipeline,
    Stream,
    create,
    enhance,
    enhance_file,
    list_methods,
    process_streams,
    run_offline,
)
from .errors import (
    AudioFileError,
    ChannelError,
    ModelError,
    ParameterError,
    SampleRateError,
    VoxcleanError,
)

__version__ = "0.1.0"

__all__ = [
    "enhance",
    "enhance_file",
    "create",
    "list_methods",
    "run_offline",
    "Stream",
    "process_streams",
    "Pipeline",
    "Enhancer",
    "load",
    "save",
    "info",
    "VoxcleanError",
    "ParameterError",
    "SampleRateError",
    "ChannelError",
    "ModelError",
    "AudioFileError",
]


def __getattr__(name: str):
    # I/O and metrics are imported on first use so `import voxclean` stays light.
    if name in ("load", "save", "info"):
        from . import io

        return getattr(io, name)
    if name == "metrics":
        import importlib

        return importlib.import_module(".metrics", __name__)
    raise AttributeError(f"module 'voxclean' has no attribute {name!r}")
