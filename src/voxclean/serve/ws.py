"""``WebSocket /v1/stream``: one enhancer state per connection, PCM blocks in and out.

Protocol (see :func:`voxclean.serve.schemas.openapi` for the text shown to users):

1. client: text ``{"type": "start", "sample_rate", "channels", "format", "method", "strength", "params"}``
2. server: text ``{"type": "ready", "latency_samples", "latency_ms", "block_size", ...}``
3. client: binary frames of whole interleaved PCM frames; server: binary enhanced frames (possibly
   none for a short input frame), lagging by ``latency_samples`` plus less than one block.
4. client: text ``{"type": "end"}``; server: the remaining audio, then text
   ``{"type": "end", "samples_in", "samples_out"}`` and close 1000. The first ``latency_samples``
   output samples of the session are the enhancer's delay: dropping them aligns output with input.

Sessions with the same method, rate, strength and parameters share one enhancer,
and their chunks are processed in batches (:mod:`voxclean.serve.batching`); each
session's output is the same as if it were alone.

Any client mistake is answered with a JSON ``{"type": "error"}`` message and a close code
(:data:`voxclean.serve.schemas.CLOSE`); the server never stops for it.
"""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

import anyio
import numpy as np
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..enhance.base import Stream
from ..errors import VoxcleanError
from ..stream import pcm
from .batching import StreamBatcher
from .limits import ServeConfig
from .metrics import Metrics
from .schemas import CLOSE, ProtocolError, StreamConfig, error_body, parse_stream_config

__all__ = ["stream_endpoint"]

STREAM = "/v1/stream"


async def _receive(ws: WebSocket, cfg: ServeConfig, session_deadline: float) -> dict[str, Any] | None:
    """Next message, None when the client left; idle and session limits raise :class:`ProtocolError`."""
    left = session_deadline - time.monotonic()
    idle = cfg.idle_timeout_s <= left
    try:
        with anyio.fail_after(max(0.0, min(cfg.idle_timeout_s, left))):
            msg = await ws.receive()
    except TimeoutError:
        if idle:
            raise ProtocolError("idle_timeout", f"nothing received for idle_timeout_s={cfg.idle_timeout_s:g}",
                                close=CLOSE["idle_timeout"]) from None
        raise ProtocolError("session_timeout", f"session longer than stream_timeout_s={cfg.stream_timeout_s:g}",
                            close=CLOSE["session_timeout"]) from None
    if msg["type"] == "websocket.disconnect":
        return None
    return msg


async def _fail(ws: WebSocket, code: str, message: str, close: int) -> None:
    with contextlib.suppress(Exception):  # the client may already be gone
        await ws.send_json(error_body(code, message))
        await ws.close(close, reason=message[:120])


async def stream_endpoint(ws: WebSocket) -> None:
    cfg: ServeConfig = ws.app.state.config
    m: Metrics = ws.app.state.metrics
    await ws.accept()
    if m.active_streams >= cfg.max_streams:
        m.request(STREAM, "busy")
        m.error(STREAM, "busy")
        await _fail(ws, "busy", f"{m.active_streams} streams open (max_streams={cfg.max_streams}); retry later",
                    CLOSE["busy"])
        return
    m.active_streams += 1
    status = "ok"
    deadline = time.monotonic() + cfg.stream_timeout_s
    try:
        await _session(ws, cfg, m, deadline)
    except ProtocolError as exc:
        status = exc.code
        m.error(STREAM, exc.code)
        await _fail(ws, exc.code, exc.message, exc.close)
    except WebSocketDisconnect:
        status = "disconnected"
    except Exception as exc:  # never let one stream take the server down
        status = "internal"
        m.error(STREAM, "internal")
        await _fail(ws, "internal", f"internal error ({type(exc).__name__})", CLOSE["internal"])
    finally:
        m.active_streams -= 1
        m.request(STREAM, status)


async def _session(ws: WebSocket, cfg: ServeConfig, m: Metrics, deadline: float) -> None:
    msg = await _receive(ws, cfg, deadline)
    if msg is None:
        return
    if msg.get("text") is None:
        raise ProtocolError("bad_config", "the first message must be the JSON start message, not binary audio")
    sc = parse_stream_config(msg["text"], cfg)
    try:
        batcher = ws.app.state.enhancers.get(sc.method, sc.sample_rate, sc.strength, sc.params)
        enh = batcher.enhancer
        stream = Stream(enh, sc.channels)
    except (VoxcleanError, TypeError, ValueError) as exc:
        raise ProtocolError("bad_config", f"cannot build method={sc.method!r}: {exc}") from None
    batcher.attach()
    try:
        await _stream_loop(ws, cfg, m, deadline, batcher, stream, sc)
    finally:
        batcher.detach()


async def _stream_loop(ws: WebSocket, cfg: ServeConfig, m: Metrics, deadline: float, batcher: StreamBatcher,
                       stream: Stream, sc: StreamConfig) -> None:
    enh = batcher.enhancer
    sr, ch, fmt = sc.sample_rate, sc.channels, sc.format
    frame_bytes = pcm.bytes_per_sample(fmt) * ch
    max_bytes = max(1, int(cfg.max_frame_s * sr)) * frame_bytes
    await ws.send_json({
        "type": "ready", "sample_rate": sr, "channels": ch, "format": fmt, "method": sc.method,
        "latency_samples": enh.latency, "latency_ms": 1000 * enh.latency / sr,
        "block_size": enh.block_size, "max_buffering_samples": enh.block_size - 1,
        "max_frame_bytes": max_bytes, "idle_timeout_s": cfg.idle_timeout_s,
    })
    n_in = n_out = 0
    while True:
        msg = await _receive(ws, cfg, deadline)
        if msg is None:
            return
        data = msg.get("bytes")
        if data is not None:
            if len(data) > max_bytes:
                raise ProtocolError("frame_too_large", f"binary frame of {len(data)} bytes exceeds {max_bytes} "
                                    f"(max_frame_s={cfg.max_frame_s:g})", close=CLOSE["too_big"])
            if len(data) % frame_bytes:
                raise ProtocolError("bad_frame", f"binary frame of {len(data)} bytes is not a whole number of "
                                    f"{frame_bytes}-byte frames ({fmt} x {ch} ch)", close=CLOSE["bad_data"])
            x = pcm.decode(data, fmt, ch)
            y = await batcher.process(stream, x)  # batched with other sessions' chunks; metrics per batch
            n_in += x.shape[1]
            if y.shape[1]:
                n_out += y.shape[1]
                await ws.send_bytes(pcm.encode(y, fmt))
            continue
        text = msg.get("text") or ""
        try:
            obj = json.loads(text)
        except json.JSONDecodeError:
            raise ProtocolError("bad_json", "text messages must be JSON objects", close=CLOSE["bad_data"]) from None
        kind = obj.get("type") if isinstance(obj, dict) else None
        if kind == "end":
            want = n_in + enh.latency - n_out  # every input sample out, with the declared delay in front
            if want > 0:
                y = (await batcher.process(stream, np.zeros((ch, enh.latency + enh.block_size), np.float32)))[:, :want]
                n_out += y.shape[1]
                await ws.send_bytes(pcm.encode(y, fmt))
            await ws.send_json({"type": "end", "samples_in": n_in, "samples_out": n_out,
                                "latency_samples": enh.latency})
            await ws.close(CLOSE["normal"])
            return
        if kind == "ping":
            await ws.send_json({"type": "pong", "samples_in": n_in, "samples_out": n_out})
            continue
        # an unknown message is answered, not fatal
        m.error(STREAM, "unknown_message")
        await ws.send_json(error_body("unknown_message", f"type={kind!r}: expected 'end' or 'ping'"))
