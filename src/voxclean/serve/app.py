"""The ASGI application: ``POST /v1/enhance``, ``WebSocket /v1/stream``, ``/healthz``, ``/metrics``, docs.

Uploads are spooled to a private temporary folder block by block, enhanced block
by block with :func:`voxclean.enhance_file`, and sent back block by block, so
memory does not grow with the file. The client's file name is never used as a
path: the saved upload is called ``input`` plus a suffix chosen from the file's
first bytes.
"""

from __future__ import annotations

import contextlib
import gc
import html
import json
import math
import os
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute

from ..enhance.facade import DEFAULT_METHOD
from ..errors import AudioFileError, ParameterError
from ..registry import method_names
from ..stream.engine import normal_priority, try_realtime
from .batching import EnhancerCache
from .limits import ServeConfig
from .metrics import Metrics
from .schemas import OUTPUT_FORMATS, ProtocolError, error_body, openapi
from .ws import stream_endpoint

__all__ = ["create_app"]

ENHANCE = "/v1/enhance"
CHUNK = 1 << 16
_QUERY_KEYS = {"method", "strength", "format"}


def create_app(config: ServeConfig | None = None) -> Starlette:
    """Build the service.

    Parameters
    ----------
    config : ServeConfig or None
        Limits; None: the defaults.

    Returns
    -------
    starlette.applications.Starlette
        An ASGI app; run it with ``uvicorn`` (``voxclean serve`` does).
    """
    cfg = config or ServeConfig()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        _tmp_root(app)
        # Everything imported so far lives as long as the server: freeze it, so that the
        # automatic full collections (about 20 ms with numpy and onnxruntime loaded, and
        # every stream waits meanwhile) only scan objects made while serving.
        gc.collect()
        gc.freeze()
        # the loop thread (and the worker threads it starts, see _run_job) get real-time priority
        app.state.realtime = cfg.realtime and try_realtime()
        try:
            yield
        finally:
            if app.state.realtime:
                normal_priority()
            root = app.state.tmp_root
            app.state.tmp_root = None
            if root is not None:
                shutil.rmtree(root, ignore_errors=True)

    routes = [
        Route(ENHANCE, enhance_endpoint, methods=["POST"]),
        WebSocketRoute("/v1/stream", stream_endpoint),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route("/openapi.json", openapi_endpoint, methods=["GET"]),
        Route("/docs", docs_endpoint, methods=["GET"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={HTTPException: _http_error, Exception: _server_error})
    app.state.config = cfg
    app.state.metrics = Metrics()
    app.state.enhancers = EnhancerCache(on_batch=app.state.metrics.stream_batch, window_s=cfg.batch_window_ms / 1000.0)
    app.state.tmp_root = None
    app.state.realtime = False
    return app


def _tmp_root(app: Any) -> Path:
    if app.state.tmp_root is None:
        app.state.tmp_root = Path(tempfile.mkdtemp(prefix="voxclean-serve-", dir=app.state.config.tmp_dir))
    return app.state.tmp_root


def _error(request: Request, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    m: Metrics = request.app.state.metrics
    m.request(request.url.path if request.url.path in (ENHANCE,) else "other", status)
    m.error(request.url.path if request.url.path in (ENHANCE,) else "other", code)
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return _error(request, exc.status_code, code, str(exc.detail))


async def _server_error(request: Request, exc: Exception) -> Response:
    return _error(request, 500, "internal", f"internal error ({type(exc).__name__})")


# ----------------------------------------------------------------------------- small endpoints
async def healthz(request: Request) -> Response:
    from .. import __version__

    m: Metrics = request.app.state.metrics
    return JSONResponse({"status": "ok", "version": __version__, "methods": method_names(),
                         "active_streams": m.active_streams, "active_jobs": m.active_jobs,
                         "realtime": request.app.state.realtime,
                         "limits": request.app.state.config.to_dict() | {"tmp_dir": None}})


async def metrics_endpoint(request: Request) -> Response:
    return PlainTextResponse(request.app.state.metrics.render(), media_type="text/plain; version=0.0.4")


async def openapi_endpoint(request: Request) -> Response:
    return JSONResponse(openapi(request.app.state.config))


async def docs_endpoint(request: Request) -> Response:
    spec = openapi(request.app.state.config)
    parts = [f"<h1>{html.escape(spec['info']['title'])} {html.escape(spec['info']['version'])}</h1>",
             f"<p>{html.escape(spec['info']['description'])} Machine-readable: <a href='/openapi.json'>/openapi.json</a></p>"]
    for path, ops in spec["paths"].items():
        for verb, op in ops.items():
            parts.append(f"<h2><code>{verb.upper()} {html.escape(path)}</code>: {html.escape(op['summary'])}</h2>")
            if "description" in op:
                parts.append(f"<p>{html.escape(op['description'])}</p>")
            for p in op.get("parameters", []):
                parts.append(f"<p><code>{html.escape(p['name'])}</code> ({p['in']}): "
                             f"<code>{html.escape(json.dumps(p['schema']))}</code></p>")
            codes = ", ".join(f"{c} {html.escape(r['description'])}" for c, r in op["responses"].items())
            parts.append(f"<p>Responses: {codes}</p>")
    body = "<!doctype html><html><head><meta charset='utf-8'><title>voxclean API</title></head><body>" + "".join(parts)
    return HTMLResponse(body + "</body></html>")


# ----------------------------------------------------------------------------- POST /v1/enhance
def _query(request: Request) -> tuple[str, float | None, str]:
    q = request.query_params
    unknown = set(q.keys()) - _QUERY_KEYS
    if unknown:
        raise ProtocolError("bad_query", f"unknown query parameters {sorted(unknown)}; allowed: {sorted(_QUERY_KEYS)}")
    method = q.get("method", DEFAULT_METHOD)
    if method not in method_names():
        raise ProtocolError("bad_query", f"method={method!r} must be one of {method_names()}")
    strength = None
    if "strength" in q:
        try:
            strength = float(q["strength"])
        except ValueError:
            strength = math.nan
        if not 0 <= strength <= 100:
            raise ProtocolError("bad_query", f"strength={q['strength']!r} must be a number of dB in [0, 100]")
    fmt = q.get("format", "wav").lower()
    if fmt not in OUTPUT_FORMATS:
        raise ProtocolError("bad_query", f"format={fmt!r} must be one of {list(OUTPUT_FORMATS)}")
    return method, strength, fmt


def _too_big(limit: int) -> ProtocolError:
    return ProtocolError("too_large", f"upload larger than max_upload_bytes={limit}", status=413)


async def _receive_raw(request: Request, path: Path, limit: int) -> None:
    total = 0
    with open(path, "wb") as fh:
        async for chunk in request.stream():
            total += len(chunk)
            if total > limit:
                raise _too_big(limit)
            fh.write(chunk)
    if total == 0:
        raise ProtocolError("empty", "the request body is empty: send an audio file")


async def _receive_multipart(request: Request, path: Path, limit: int) -> str:
    """Stream field ``file`` of a multipart body into ``path``; returns the client's file name (not trusted)."""
    from python_multipart.multipart import MultipartParseError, MultipartParser, parse_options_header

    _, opts = parse_options_header(request.headers.get("content-type", ""))
    boundary = opts.get(b"boundary")
    if not boundary:
        raise ProtocolError("bad_form", "multipart body without a boundary")
    st: dict[str, Any] = {"field": b"", "value": b"", "headers": {}, "target": False, "found": False,
                          "filename": "", "bytes": 0}
    fh = open(path, "wb")

    def on_part_begin() -> None:
        st["headers"] = {}
        st["target"] = False

    def on_header_field(data: bytes, start: int, end: int) -> None:
        st["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        st["value"] += data[start:end]

    def on_header_end() -> None:
        st["headers"][st["field"].lower()] = st["value"]
        st["field"], st["value"] = b"", b""

    def on_headers_finished() -> None:
        _, disp = parse_options_header(st["headers"].get(b"content-disposition", b""))
        if disp.get(b"name") == b"file" and not st["found"]:
            st["target"] = st["found"] = True
            st["filename"] = disp.get(b"filename", b"").decode("utf-8", "replace")

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if st["target"]:
            fh.write(data[start:end])
            st["bytes"] += end - start

    def on_part_end() -> None:
        st["target"] = False

    callbacks = {"on_part_begin": on_part_begin, "on_header_field": on_header_field,
                 "on_header_value": on_header_value, "on_header_end": on_header_end,
                 "on_headers_finished": on_headers_finished, "on_part_data": on_part_data,
                 "on_part_end": on_part_end}
    parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
    total = 0
    try:
        async for chunk in request.stream():
            total += len(chunk)
            if total > limit:
                raise _too_big(limit)
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as exc:
        raise ProtocolError("bad_form", f"malformed multipart body ({exc})") from None
    finally:
        fh.close()
    if not st["found"]:
        raise ProtocolError("bad_form", "the multipart form has no field 'file'")
    if st["bytes"] == 0:
        raise ProtocolError("empty", "field 'file' is empty: send an audio file")
    return str(st["filename"])


def _sniff_suffix(path: Path, client_name: str) -> str:
    """A file suffix for the upload from its first bytes (the client's name only as a hint of the extension)."""
    from ..io import is_audio_path

    with open(path, "rb") as fh:
        h = fh.read(16)
    if h[:4] == b"RIFF" and h[8:12] == b"WAVE":
        return ".wav"
    if h[:4] == b"fLaC":
        return ".flac"
    if h[:4] == b"OggS":
        return ".ogg"
    if h[:4] == b"FORM" and h[8:12] in (b"AIFF", b"AIFC"):
        return ".aiff"
    if h[:3] == b"ID3" or (len(h) > 1 and h[0] == 0xFF and (h[1] & 0xE0) == 0xE0):
        return ".mp3"
    if h[4:8] == b"ftyp":
        return ".m4a"
    if h[:4] == b"\x1a\x45\xdf\xa3":
        return ".mkv"
    ext = os.path.splitext(client_name)[1].lower()
    if ext.isascii() and ext[1:].isalnum() and is_audio_path("x" + ext):
        return ext
    raise ProtocolError("unsupported", "the upload is not an audio file voxclean can read", status=415)


def _run_job(src: Path, dst: Path, method: str, strength: float | None, fmt: str, cfg: ServeConfig,
             deadline: float) -> tuple[float, float]:
    """Enhance ``src`` into ``dst`` (in a worker thread); returns (audio seconds, processing seconds)."""
    from ..enhance.file import enhance_file
    from ..io import info

    if cfg.realtime:
        normal_priority()  # worker threads inherit the loop's real-time priority; uploads must not have it

    try:
        meta = info(src)
    except AudioFileError as exc:
        raise ProtocolError("unsupported", f"cannot read the upload as audio ({_strip_paths(str(exc), src)})",
                            status=415) from None
    duration = meta.duration_s or 0.0
    if duration > cfg.max_duration_s:
        raise ProtocolError("too_long", f"audio of {duration:.1f} s exceeds max_duration_s={cfg.max_duration_s:g}",
                            status=413)
    if meta.channels > cfg.max_channels:
        raise ProtocolError("too_many_channels", f"channels={meta.channels} exceeds max_channels={cfg.max_channels}",
                            status=413)

    def check_deadline(_: int) -> None:
        if time.monotonic() > deadline:
            raise ProtocolError("timeout", f"processing exceeded request_timeout_s={cfg.request_timeout_s:g}",
                                status=504)

    t0 = time.perf_counter()
    try:
        res = enhance_file(src, dst, method=method, strength_db=strength, format=OUTPUT_FORMATS[fmt][0],
                           progress=check_deadline)
    except AudioFileError as exc:
        raise ProtocolError("unsupported", f"cannot enhance the upload ({_strip_paths(str(exc), src, dst)})",
                            status=415) from None
    except ParameterError as exc:
        raise ProtocolError("bad_audio", _strip_paths(str(exc), src, dst), status=400) from None
    return res.frames / res.sample_rate, time.perf_counter() - t0


def _strip_paths(msg: str, *paths: Path) -> str:
    """Server paths never go back to the client."""
    for p in paths:
        msg = msg.replace(str(p), p.name)
    return msg


async def enhance_endpoint(request: Request) -> Response:
    app = request.app
    cfg: ServeConfig = app.state.config
    m: Metrics = app.state.metrics
    job_dir: Path | None = None
    counted = False
    try:
        method, strength, fmt = _query(request)
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > cfg.max_upload_bytes:
            raise _too_big(cfg.max_upload_bytes)
        if m.active_jobs >= cfg.max_jobs:
            raise ProtocolError("busy", f"{m.active_jobs} uploads in progress (max_jobs={cfg.max_jobs}); retry later",
                                status=503)
        m.active_jobs += 1
        counted = True
        job_dir = Path(tempfile.mkdtemp(prefix="job-", dir=_tmp_root(app)))
        upload = job_dir / "upload"
        deadline = time.monotonic() + cfg.request_timeout_s
        try:
            with anyio.fail_after(cfg.request_timeout_s):
                if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
                    name = await _receive_multipart(request, upload, cfg.max_upload_bytes)
                else:
                    name = ""
                    await _receive_raw(request, upload, cfg.max_upload_bytes)
        except TimeoutError:
            raise ProtocolError("timeout", f"upload exceeded request_timeout_s={cfg.request_timeout_s:g}",
                                status=408) from None
        src = upload.rename(job_dir / ("input" + _sniff_suffix(upload, name)))
        dst = job_dir / ("output" + OUTPUT_FORMATS[fmt][1])
        audio_s, proc_s = await anyio.to_thread.run_sync(_run_job, src, dst, method, strength, fmt, cfg, deadline)
        src.unlink()
    except ProtocolError as exc:
        if job_dir is not None:
            shutil.rmtree(job_dir, ignore_errors=True)
        headers = {"Retry-After": "5"} if exc.status == 503 else None
        return _error(request, exc.status, exc.code, exc.message, headers)
    except BaseException:
        if job_dir is not None:
            shutil.rmtree(job_dir, ignore_errors=True)
        raise
    finally:
        if counted:
            m.active_jobs -= 1
    m.processed(ENHANCE, proc_s, audio_s)
    m.request(ENHANCE, 200)
    headers = {
        "Content-Length": str(dst.stat().st_size),
        "Content-Disposition": f'attachment; filename="enhanced{OUTPUT_FORMATS[fmt][1]}"',
        "X-Voxclean-Method": method,
        "X-Voxclean-Audio-Seconds": f"{audio_s:.3f}",
        "X-Voxclean-Processing-Seconds": f"{proc_s:.3f}",
    }
    return StreamingResponse(_send_file(dst, job_dir), media_type=OUTPUT_FORMATS[fmt][2], headers=headers)


async def _send_file(path: Path, job_dir: Path) -> AsyncIterator[bytes]:
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk
    finally:
        shutil.rmtree(job_dir, ignore_errors=True)


def serve(host: str = "127.0.0.1", port: int = 8000, config: ServeConfig | None = None, *,
          log_level: str = "info") -> None:
    """Run the service with uvicorn until interrupted (blocking)."""
    import uvicorn

    cfg = config or ServeConfig()
    uvicorn.run(create_app(cfg), host=host, port=port, log_level=log_level, **uvicorn_options(cfg))


def uvicorn_options(cfg: ServeConfig) -> dict[str, Any]:
    """uvicorn settings that go with ``cfg`` (WebSocket message size limit)."""
    frame = int(cfg.max_frame_s * cfg.max_stream_rate * cfg.max_channels * 4)
    return {"ws_max_size": max(2 * frame, 1 << 16), "ws_per_message_deflate": False}


__all__ += ["serve", "uvicorn_options"]

