"""Limits of the enhancement service (all in one frozen dataclass)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ..errors import ParameterError

__all__ = ["ServeConfig"]


@dataclass(frozen=True)
class ServeConfig:
    """What the service accepts and for how long.

    Attributes
    ----------
    max_upload_bytes : int
        Largest ``POST /v1/enhance`` body (413 above it).
    max_duration_s : float
        Longest uploaded audio in seconds (413 above it).
    request_timeout_s : float
        Wall-clock limit for enhancing one upload (504 after it).
    max_jobs : int
        Uploads enhanced at the same time; more are refused with 503.
    max_streams : int
        Concurrent WebSocket streams; more are refused with close code 1013.
    idle_timeout_s : float
        A stream that sends nothing for this long is closed (4408).
    stream_timeout_s : float
        Longest WebSocket session in seconds (4410).
    max_frame_s : float
        Longest audio in one WebSocket binary frame in seconds (1009 above it).
    max_stream_rate : int
        Highest sample rate a stream may declare, in Hz.
    max_channels : int
        Most channels a stream or upload may have.
    batch_window_ms : float >= 0
        When at least 8 streams share one enhancer that can process them together
        (the neural model), a chunk waits up to this long
        for other streams' chunks so that they are processed as one batch (adds at
        most this much latency; 0: never wait).
    tmp_dir : str or None
        Where uploads are spooled (a private folder is made inside); None: the system default.
    realtime : bool
        Run the event loop, which processes every WebSocket stream, with real-time
        (``SCHED_FIFO``) priority where the system allows it, as audio servers do, so
        that other processes on the machine cannot delay stream blocks by a time
        slice; upload jobs still run at normal priority. Linux keeps 5 % of every
        second for normal tasks, so the machine stays usable.
    """

    max_upload_bytes: int = 2 * 1024**3
    max_duration_s: float = 4 * 3600.0
    request_timeout_s: float = 3600.0
    max_jobs: int = 2
    max_streams: int = 64
    idle_timeout_s: float = 30.0
    stream_timeout_s: float = 4 * 3600.0
    max_frame_s: float = 1.0
    max_stream_rate: int = 48000
    max_channels: int = 8
    batch_window_ms: float = 4.0
    tmp_dir: str | None = None
    realtime: bool = False

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.name == "batch_window_ms":
                if not (isinstance(v, (int, float)) and v >= 0):
                    raise ParameterError(f"{f.name}={v!r} must be >= 0")
            elif f.name == "realtime":
                if not isinstance(v, bool):
                    raise ParameterError(f"realtime={v!r} must be True or False")
            elif f.name != "tmp_dir" and not (isinstance(v, (int, float)) and v > 0):
                raise ParameterError(f"{f.name}={v!r} must be > 0")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
