"""WebSocket /v1/stream with a real websockets client on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import time

import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

import voxclean
from voxclean.stream import pcm


def _connect(server):
    return connect(f"{server.ws}/v1/stream", open_timeout=5)


def _hello(ws, **cfg):
    ws.send(json.dumps({"type": "start", **cfg}))
    return json.loads(ws.recv(timeout=30))  # generous: the first start builds the model (slow on a loaded machine)


def _closed(ws):
    """Read until the server closes; returns (json messages, close code)."""
    msgs = []
    try:
        while True:
            m = ws.recv(timeout=30)
            msgs.append(json.loads(m) if isinstance(m, str) else m)
    except ConnectionClosed as exc:
        return msgs, exc.rcvd.code if exc.rcvd else None


@pytest.mark.parametrize("fmt,channels", [("s16le", 1), ("f32le", 2)])
def test_stream_equals_offline(server, noisy_speech, speech, fmt, channels):
    x = noisy_speech[:24000] if channels == 1 else np.stack([noisy_speech[:24000], speech[:24000]])
    x = np.atleast_2d(x)
    with _connect(server) as ws:
        ready = _hello(ws, sample_rate=16000, channels=channels, format=fmt, method="wiener", strength=12)
        assert ready["type"] == "ready" and ready["latency_samples"] == 256 and ready["latency_ms"] == 16.0
        rng = np.random.default_rng(1)
        i = 0
        while i < x.shape[1]:  # frames of random size, like a real client
            n = int(rng.integers(1, 900))
            ws.send(pcm.encode(x[:, i : i + n], fmt))
            i += n
        ws.send(json.dumps({"type": "end"}))
        msgs, code = _closed(ws)
    assert code == 1000
    end = msgs[-1]
    assert end["type"] == "end" and end["samples_in"] == x.shape[1]
    y = pcm.decode(b"".join(m for m in msgs if isinstance(m, bytes)), fmt, channels)
    assert y.shape[1] == end["samples_out"] == x.shape[1] + 256
    tol = 1e-6 if fmt == "f32le" else 2 / 32768
    inp = x if fmt == "f32le" else pcm.decode(pcm.encode(x, fmt), fmt, channels)
    ref = pcm.decode(pcm.encode(voxclean.run_offline(voxclean.create("wiener", 16000, strength_db=12), inp, 16000),
                                fmt), fmt, channels)
    np.testing.assert_allclose(y[:, 256:], ref, atol=tol)


@pytest.mark.parametrize("first,code,err", [
    ("not json", 1007, "bad_json"),
    (json.dumps([1, 2]), 1008, "bad_config"),
    (json.dumps({"sample_rate": 1}), 1008, "bad_config"),
    (json.dumps({"sample_rate": 16000, "format": "mp3"}), 1008, "bad_config"),
    (json.dumps({"method": "magic"}), 1008, "bad_config"),
    (json.dumps({"params": {"frame_ms": -5}}), 1008, "bad_config"),
    (json.dumps({"params": {"no_such_param": 1}}), 1008, "bad_config"),
    (json.dumps({"path": "/etc/passwd"}), 1008, "bad_config"),
    (b"\x00\x01", 1008, "bad_config"),
])
def test_bad_handshake(server, first, code, err):
    with _connect(server) as ws:
        ws.send(first)
        msgs, got = _closed(ws)
    assert got == code
    assert msgs[0]["type"] == "error" and msgs[0]["error"]["code"] == err


def test_bad_frames_and_messages(server):
    with _connect(server) as ws:
        _hello(ws, format="s16le")
        ws.send(json.dumps({"type": "dance"}))  # unknown type: an error message, the stream goes on
        assert json.loads(ws.recv(timeout=5))["error"]["code"] == "unknown_message"
        ws.send(json.dumps({"type": "ping"}))
        assert json.loads(ws.recv(timeout=5))["type"] == "pong"
        ws.send(b"\x00\x00\x00")  # 1.5 samples
        msgs, code = _closed(ws)
        assert code == 1007 and msgs[-1]["error"]["code"] == "bad_frame"
    with _connect(server) as ws:
        ready = _hello(ws, format="s16le")
        ws.send(b"\x00" * (ready["max_frame_bytes"] + 2))
        msgs, code = _closed(ws)
        assert code == 1009 and msgs[-1]["error"]["code"] == "frame_too_large"
    with _connect(server) as ws:
        _hello(ws)
        ws.send("{{{")
        msgs, code = _closed(ws)
        assert code == 1007


def test_idle_timeout(server):
    with _connect(server) as ws:
        _hello(ws)
        t0 = time.monotonic()
        msgs, code = _closed(ws)
    assert code == 4408 and msgs[-1]["error"]["code"] == "idle_timeout"
    assert time.monotonic() - t0 < 4


def test_max_streams_refused_clearly():
    import httpx

    from voxclean.serve import ServeConfig

    from .conftest import Server

    # its own server: with the shared fixture's 1 s idle timeout, a slow (loaded) machine could
    # close an idle stream before the count is read
    with Server(ServeConfig(max_streams=3, idle_timeout_s=60.0)) as srv, contextlib.ExitStack() as stack:
        for _ in range(3):  # a light method: the limit, not the model, is under test
            assert _hello(stack.enter_context(_connect(srv)), method="omlsa")["type"] == "ready"
        assert httpx.get(f"{srv.http}/healthz").json()["active_streams"] == 3
        with _connect(srv) as ws:
            msgs, code = _closed(ws)
        assert code == 1013 and msgs[0]["error"]["code"] == "busy"
        assert "voxclean_active_streams 3" in httpx.get(f"{srv.http}/metrics").text
        stack.close()
        time.sleep(0.2)
        with _connect(srv) as ws:  # a slot is free again
            assert _hello(ws, method="omlsa")["type"] == "ready"


def test_two_streams_keep_separate_state(server, noisy_speech, noises):
    xs = [noisy_speech[:12000], (0.3 * noises["street"][:12000]).astype(np.float32)]
    outs = [[], []]
    with _connect(server) as a, _connect(server) as b:
        for ws in (a, b):
            _hello(ws, format="f32le", method="omlsa")
        for i in range(0, 12000, 500):  # interleaved
            for k, ws in enumerate((a, b)):
                ws.send(pcm.encode(xs[k][None, i : i + 500], "f32le"))
        for k, ws in enumerate((a, b)):
            ws.send(json.dumps({"type": "end"}))
            msgs, code = _closed(ws)
            assert code == 1000
            outs[k] = pcm.decode(b"".join(m for m in msgs if isinstance(m, bytes)), "f32le", 1)
    for k in range(2):
        ref = voxclean.run_offline(voxclean.create("omlsa", 16000), xs[k], 16000)
        np.testing.assert_allclose(outs[k][0, 256:], ref, atol=1e-6)


def test_concurrent_neural_streams_are_batched_and_exact(noisy_speech, speech, noises):
    """Eight sessions of the neural default share one enhancer; their blocks are batched, outputs stay exact."""
    import re

    import httpx

    from voxclean.serve import ServeConfig

    from .conftest import Server

    n = 16000
    xs = [noisy_speech[:n], speech[:n], (0.3 * noises["street"][:n]).astype(np.float32),
          np.roll(noisy_speech, 4000)[:n], (noisy_speech[:n] * 0.1).astype(np.float32), np.zeros(n, np.float32),
          np.roll(speech, 2500)[:n], (0.5 * noises["keyboard"][:n]).astype(np.float32)]
    with Server(ServeConfig(max_streams=8, batch_window_ms=5.0)) as srv, contextlib.ExitStack() as stack:
        socks = [stack.enter_context(_connect(srv)) for _ in xs]
        for ws in socks:
            ready = _hello(ws, format="f32le")
            assert ready["method"] == "neural" and ready["latency_samples"] == 160  # streams: the 10 ms model
        for i in range(0, n, 320):  # interleaved 20 ms frames, as concurrent real-time clients send them
            for x, ws in zip(xs, socks, strict=True):
                ws.send(pcm.encode(x[None, i : i + 320], "f32le"))
        outs = []
        for ws in socks:
            ws.send(json.dumps({"type": "end"}))
            msgs, code = _closed(ws)
            assert code == 1000
            outs.append(pcm.decode(b"".join(m for m in msgs if isinstance(m, bytes)), "f32le", 1))
        text = httpx.get(f"{srv.http}/metrics").text
    enh = voxclean.create("neural", 16000, live=True)
    for x, y in zip(xs, outs, strict=True):
        np.testing.assert_allclose(y[0, enh.latency :], voxclean.run_offline(enh, x, 16000), atol=1e-6)
    chunks = int(re.search(r"voxclean_stream_chunks_total (\d+)", text).group(1))
    batches = int(re.search(r'voxclean_processing_seconds_count\{endpoint="/v1/stream"\} (\d+)', text).group(1))
    assert chunks >= len(xs) * n // 320 and batches < chunks / 2  # most blocks went through in shared batches


def test_only_vectorized_enhancers_wait_for_a_batch():
    from voxclean.serve.batching import StreamBatcher

    assert StreamBatcher(voxclean.create("neural", 16000), window_s=0.004).window_s == 0.004
    assert StreamBatcher(voxclean.create("mmse-lsa", 16000), window_s=0.004).window_s == 0.0
