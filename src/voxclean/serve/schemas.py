"""Wire formats of the service: the stream handshake, error bodies, close codes and the OpenAPI document."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..enhance.facade import DEFAULT_METHOD
from ..registry import method_names
from ..stream.pcm import PCM_FORMATS
from .limits import ServeConfig

__all__ = ["ProtocolError", "StreamConfig", "parse_stream_config", "error_body", "CLOSE", "OUTPUT_FORMATS",
           "openapi"]

#: WebSocket close codes used by ``/v1/stream``.
CLOSE = {
    "normal": 1000,
    "bad_data": 1007,  # malformed binary frame (not whole PCM frames), non-JSON text
    "protocol": 1008,  # wrong or missing handshake, unknown method, invalid parameters
    "too_big": 1009,  # binary frame longer than max_frame_s
    "internal": 1011,
    "busy": 1013,  # max_streams reached: try again later
    "idle_timeout": 4408,
    "session_timeout": 4410,
}

#: ``format`` query values of ``POST /v1/enhance`` -> (soundfile format, file suffix, media type).
OUTPUT_FORMATS = {
    "wav": ("WAV", ".wav", "audio/wav"),
    "flac": ("FLAC", ".flac", "audio/flac"),
    "ogg": ("OGG", ".ogg", "audio/ogg"),
}


class ProtocolError(Exception):
    """A client mistake: sent back as a JSON error, then (for streams) a close code."""

    def __init__(self, code: str, message: str, *, status: int = 400, close: int = CLOSE["protocol"]) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.close = close


def error_body(code: str, message: str) -> dict[str, Any]:
    """The JSON body of every error: ``{"type": "error", "error": {"code", "message"}}``."""
    return {"type": "error", "error": {"code": code, "message": message}}


@dataclass(frozen=True)
class StreamConfig:
    """The first (text) message of a stream, e.g. ``{"sample_rate": 16000, "format": "s16le"}``."""

    sample_rate: int = 16000
    channels: int = 1
    format: str = "s16le"
    method: str = DEFAULT_METHOD
    strength: float | None = None
    params: dict[str, Any] = field(default_factory=dict)


_STREAM_KEYS = {"type", "sample_rate", "channels", "format", "method", "strength", "params"}


def parse_stream_config(text: str, limits: ServeConfig) -> StreamConfig:
    """Validate the handshake message; raises :class:`ProtocolError` with the reason."""
    try:
        msg = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProtocolError("bad_json", f"the first message must be a JSON object ({exc})",
                            close=CLOSE["bad_data"]) from None
    if not isinstance(msg, dict):
        raise ProtocolError("bad_config", "the first message must be a JSON object")
    unknown = set(msg) - _STREAM_KEYS
    if unknown:
        raise ProtocolError("bad_config", f"unknown keys {sorted(unknown)}; allowed: {sorted(_STREAM_KEYS)}")
    if msg.get("type", "start") != "start":
        raise ProtocolError("bad_config", f"type={msg.get('type')!r}: the first message must be type='start'")
    sr = msg.get("sample_rate", 16000)
    if not isinstance(sr, int) or isinstance(sr, bool) or not 8000 <= sr <= limits.max_stream_rate:
        raise ProtocolError("bad_config", f"sample_rate={sr!r} must be an integer in [8000, {limits.max_stream_rate}]")
    ch = msg.get("channels", 1)
    if not isinstance(ch, int) or isinstance(ch, bool) or not 1 <= ch <= limits.max_channels:
        raise ProtocolError("bad_config", f"channels={ch!r} must be an integer in [1, {limits.max_channels}]")
    fmt = msg.get("format", "s16le")
    if fmt not in PCM_FORMATS:
        raise ProtocolError("bad_config", f"format={fmt!r} must be one of {list(PCM_FORMATS)}")
    method = msg.get("method", DEFAULT_METHOD)
    if method not in method_names():
        raise ProtocolError("bad_config", f"method={method!r} must be one of {method_names()}")
    strength = msg.get("strength")
    if strength is not None and (isinstance(strength, bool) or not isinstance(strength, (int, float))
                                 or not 0 <= strength <= 100):
        raise ProtocolError("bad_config", f"strength={strength!r} must be a number of dB in [0, 100]")
    params = msg.get("params", {})
    if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
        raise ProtocolError("bad_config", "params must be an object of method parameters")
    return StreamConfig(sr, ch, fmt, method, None if strength is None else float(strength), params)


def openapi(limits: ServeConfig) -> dict[str, Any]:
    """The OpenAPI 3.1 description of the service (served at ``/openapi.json``)."""
    err = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    methods = method_names()
    return {
        "openapi": "3.1.0",
        "info": {"title": "voxclean", "version": _version(),
                 "description": "Speech enhancement service: upload a recording or stream PCM over a WebSocket."},
        "paths": {
            "/v1/enhance": {"post": {
                "summary": "Enhance an audio file",
                "description": (
                    "The body is the audio file itself (any Content-Type except multipart) or a multipart form "
                    f"with the file in field `file`. At most {limits.max_upload_bytes} bytes and "
                    f"{limits.max_duration_s:g} s of audio. The enhanced file keeps the rate and channels."),
                "parameters": [
                    {"name": "method", "in": "query", "schema": {"type": "string", "enum": methods,
                                                                 "default": DEFAULT_METHOD}},
                    {"name": "strength", "in": "query", "description": "maximum attenuation in dB",
                     "schema": {"type": "number", "minimum": 0, "maximum": 100}},
                    {"name": "format", "in": "query", "schema": {"type": "string", "enum": list(OUTPUT_FORMATS),
                                                                 "default": "wav"}},
                ],
                "requestBody": {"required": True, "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                    "multipart/form-data": {"schema": {"type": "object", "properties": {
                        "file": {"type": "string", "format": "binary"}}, "required": ["file"]}}}},
                "responses": {
                    "200": {"description": "the enhanced file", "content": {
                        v[2]: {"schema": {"type": "string", "format": "binary"}} for v in OUTPUT_FORMATS.values()}},
                    "400": {"description": "bad query parameter or form", "content": err},
                    "413": {"description": "upload too large or too long", "content": err},
                    "415": {"description": "not a readable audio file", "content": err},
                    "503": {"description": "too many uploads in progress", "content": err},
                    "504": {"description": "processing timed out", "content": err},
                }}},
            "/v1/stream": {"get": {
                "summary": "WebSocket: stream PCM in, enhanced PCM out",
                "description": (
                    "Upgrade to a WebSocket. First send a text message "
                    "`{\"type\": \"start\", \"sample_rate\": 16000, \"channels\": 1, \"format\": \"s16le\", "
                    "\"method\": \"omlsa\", \"strength\": 20, \"params\": {}}` (all optional; a method's "
                    "low-latency defaults apply, e.g. the neural method's 10 ms model unless `params` names "
                    "another `model`); the reply is "
                    "`{\"type\": \"ready\", \"latency_samples\", \"latency_ms\", \"block_size\", ...}`. Then send "
                    "binary frames of whole interleaved PCM frames "
                    f"(formats {', '.join(PCM_FORMATS)}; at most {limits.max_frame_s:g} s each); each is "
                    "answered with the enhanced frames completed so far (the output lags by the declared "
                    "latency). Send `{\"type\": \"end\"}` to flush: the rest of the audio follows, then "
                    "`{\"type\": \"end\", \"samples_in\", \"samples_out\"}` and close 1000. Errors are a JSON "
                    "`{\"type\": \"error\"}` message and a close code: " + ", ".join(
                        f"{v} {k}" for k, v in CLOSE.items()) + "."),
                "responses": {"101": {"description": "switching protocols"}}}},
            "/healthz": {"get": {"summary": "Liveness", "responses": {"200": {"description": "ok"}}}},
            "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {
                "200": {"description": "text exposition format", "content": {"text/plain": {}}}}}},
        },
        "components": {"schemas": {"Error": {"type": "object", "properties": {
            "type": {"const": "error"},
            "error": {"type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}}}},
    }


def _version() -> str:
    from .. import __version__

    return __version__
