"""Service counters in the Prometheus text exposition format (no client library needed)."""

from __future__ import annotations

import threading
from collections import defaultdict

__all__ = ["Metrics"]


def _labels(**kv: str) -> str:
    inner = ",".join(f'{k}="{str(v).replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
                     for k, v in kv.items())
    return "{" + inner + "}"


class Metrics:
    """Thread-safe counters of requests, errors, streams, processing time and audio time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str], int] = defaultdict(int)
        self.errors: dict[tuple[str, str], int] = defaultdict(int)
        self.processing_s: dict[str, float] = defaultdict(float)
        self.processing_n: dict[str, int] = defaultdict(int)
        self.audio_s: dict[str, float] = defaultdict(float)
        self.active_streams = 0
        self.stream_chunks = 0
        self.active_jobs = 0

    def request(self, endpoint: str, status: int | str) -> None:
        with self._lock:
            self.requests[(endpoint, str(status))] += 1

    def error(self, endpoint: str, code: str) -> None:
        with self._lock:
            self.errors[(endpoint, code)] += 1

    def processed(self, endpoint: str, seconds: float, audio_s: float) -> None:
        with self._lock:
            self.processing_s[endpoint] += seconds
            self.processing_n[endpoint] += 1
            self.audio_s[endpoint] += audio_s

    def stream_batch(self, seconds: float, audio_s: float, n_chunks: int) -> None:
        """One batch of WebSocket chunks (``n_chunks`` streams, ``audio_s`` of audio in all) processed."""
        self.processed("/v1/stream", seconds, audio_s)
        with self._lock:
            self.stream_chunks += n_chunks

    def render(self) -> str:
        """The exposition text."""
        with self._lock:
            lines = [
                "# HELP voxclean_requests_total HTTP requests and WebSocket sessions, by endpoint and status.",
                "# TYPE voxclean_requests_total counter",
            ]
            lines += [f"voxclean_requests_total{_labels(endpoint=e, status=s)} {n}"
                      for (e, s), n in sorted(self.requests.items())]
            lines += ["# HELP voxclean_errors_total Errors answered, by endpoint and error code.",
                      "# TYPE voxclean_errors_total counter"]
            lines += [f"voxclean_errors_total{_labels(endpoint=e, code=c)} {n}"
                      for (e, c), n in sorted(self.errors.items())]
            lines += ["# HELP voxclean_active_streams WebSocket streams open now.",
                      "# TYPE voxclean_active_streams gauge", f"voxclean_active_streams {self.active_streams}",
                      "# HELP voxclean_active_jobs Uploads being enhanced now.",
                      "# TYPE voxclean_active_jobs gauge", f"voxclean_active_jobs {self.active_jobs}",
                      "# HELP voxclean_stream_chunks_total WebSocket chunks processed (several per batch under load).",
                      "# TYPE voxclean_stream_chunks_total counter", f"voxclean_stream_chunks_total {self.stream_chunks}",
                      "# HELP voxclean_processing_seconds Time spent enhancing (uploads: per file; streams: per "
                      "batch of concurrent streams' chunks).",
                      "# TYPE voxclean_processing_seconds summary"]
            for e in sorted(self.processing_s):
                lines.append(f"voxclean_processing_seconds_sum{_labels(endpoint=e)} {self.processing_s[e]:.6f}")
                lines.append(f"voxclean_processing_seconds_count{_labels(endpoint=e)} {self.processing_n[e]}")
            lines += ["# HELP voxclean_audio_seconds_total Audio enhanced, in seconds.",
                      "# TYPE voxclean_audio_seconds_total counter"]
            lines += [f"voxclean_audio_seconds_total{_labels(endpoint=e)} {v:.6f}" for e, v in sorted(self.audio_s.items())]
            lines += ["# HELP voxclean_realtime_factor Processing time over audio time (below 1: faster than real time).",
                      "# TYPE voxclean_realtime_factor gauge"]
            lines += [f"voxclean_realtime_factor{_labels(endpoint=e)} {self.processing_s[e] / v:.6f}"
                      for e, v in sorted(self.audio_s.items()) if v > 0]
        return "\n".join(lines) + "\n"
