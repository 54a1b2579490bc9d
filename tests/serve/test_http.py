"""POST /v1/enhance, /healthz, /metrics and the docs, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import io
import os
import threading

import httpx
import numpy as np
import pytest
import soundfile as sf

import voxclean


def _wav(y, sr=16000, subtype="PCM_16", fmt="WAV") -> bytes:
    buf = io.BytesIO()
    sf.write(buf, np.asarray(y).T, sr, subtype=subtype, format=fmt)
    return buf.getvalue()


def test_raw_body_equals_offline(server, noisy_speech):
    x = noisy_speech[:32000]
    body = _wav(x, subtype="FLOAT")
    r = httpx.post(f"{server.http}/v1/enhance", params={"method": "mmse-lsa", "strength": 15}, content=body,
                   headers={"Content-Type": "audio/wav"}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "audio/wav"
    assert r.headers["x-voxclean-method"] == "mmse-lsa"
    y, sr = sf.read(io.BytesIO(r.content), dtype="float32")
    assert sr == 16000 and y.shape == x.shape
    ref = voxclean.enhance(x, 16000, method="mmse-lsa", strength_db=15)
    np.testing.assert_allclose(y, ref, atol=1e-5)


def test_multipart_flac_out_stereo(server, noisy_speech, speech):
    x = np.stack([noisy_speech[:16000], speech[:16000]])
    files = {"file": ("../../etc/passwd", _wav(x, sr=16000, fmt="FLAC", subtype="PCM_16"), "audio/flac")}
    r = httpx.post(f"{server.http}/v1/enhance?format=flac", files=files, data={"note": "x"}, timeout=30)
    assert r.status_code == 200, r.text
    y, sr = sf.read(io.BytesIO(r.content), dtype="float32", always_2d=True)
    assert r.headers["content-type"] == "audio/flac" and y.shape == (16000, 2)
    assert "passwd" not in r.headers["content-disposition"]


@pytest.mark.parametrize("query,status,code", [
    ({"method": "nope"}, 400, "bad_query"),
    ({"strength": "loud"}, 400, "bad_query"),
    ({"strength": "-3"}, 400, "bad_query"),
    ({"format": "exe"}, 400, "bad_query"),
    ({"path": "/tmp/x"}, 400, "bad_query"),
])
def test_bad_query(server, query, status, code):
    r = httpx.post(f"{server.http}/v1/enhance", params=query, content=b"RIFF")
    assert r.status_code == status
    assert r.json()["error"]["code"] == code


def test_bad_uploads(server, noisy_speech):
    url = f"{server.http}/v1/enhance"
    r = httpx.post(url, content=b"")
    assert (r.status_code, r.json()["error"]["code"]) == (400, "empty")
    r = httpx.post(url, content=b"this is not audio" * 100)
    assert (r.status_code, r.json()["error"]["code"]) == (415, "unsupported")
    r = httpx.post(url, content=b"RIFF\x10\x00\x00\x00WAVEgarbage-garbage")  # a WAV header, then nothing valid
    assert r.status_code == 415 and "/" not in r.json()["error"]["message"].split("(")[-1]  # no server paths
    r = httpx.post(url, content=b"\0" * 2_000_001)
    assert (r.status_code, r.json()["error"]["code"]) == (413, "too_large")

    def chunks():  # no Content-Length: the limit is enforced while streaming
        for _ in range(40):
            yield b"\0" * 100_000

    r = httpx.post(url, content=chunks())
    assert r.status_code == 413
    long = _wav(np.zeros(31 * 8000, np.float32), sr=8000)
    r = httpx.post(url, content=long)
    assert (r.status_code, r.json()["error"]["code"]) == (413, "too_long")
    r = httpx.post(url, files={"other": ("a.wav", _wav(noisy_speech[:1600]), "audio/wav")})
    assert (r.status_code, r.json()["error"]["code"]) == (400, "bad_form")
    r = httpx.post(url, content=b"--x\r\nbroken", headers={"Content-Type": "multipart/form-data"})
    assert (r.status_code, r.json()["error"]["code"]) == (400, "bad_form")
    r = httpx.get(url)
    assert r.status_code == 405 and r.json()["type"] == "error"
    # the server is still fine
    assert httpx.get(f"{server.http}/healthz").json()["status"] == "ok"


def test_health_metrics_docs(server, noisy_speech):
    httpx.post(f"{server.http}/v1/enhance", content=_wav(noisy_speech[:8000]), timeout=30).raise_for_status()
    h = httpx.get(f"{server.http}/healthz").json()
    assert h["status"] == "ok" and "omlsa" in h["methods"] and h["limits"]["max_streams"] == 3
    text = httpx.get(f"{server.http}/metrics").text
    assert 'voxclean_requests_total{endpoint="/v1/enhance",status="200"}' in text
    assert "voxclean_active_streams 0" in text
    assert 'voxclean_realtime_factor{endpoint="/v1/enhance"}' in text
    assert 'voxclean_errors_total{endpoint="/v1/enhance",code="bad_query"}' in text or "# TYPE voxclean_errors_total" in text
    spec = httpx.get(f"{server.http}/openapi.json").json()
    assert {"/v1/enhance", "/v1/stream", "/healthz", "/metrics"} <= set(spec["paths"])
    assert "/v1/enhance" in httpx.get(f"{server.http}/docs").text
    assert httpx.get(f"{server.http}/nothing-here").status_code == 404


def _realtime_allowed() -> bool:
    """Whether this process may give a thread SCHED_FIFO priority (probed in a throw-away thread)."""
    from voxclean.stream.engine import normal_priority, try_realtime

    got: list[bool] = []

    def probe() -> None:
        got.append(try_realtime())
        if got[0]:
            normal_priority()

    t = threading.Thread(target=probe)
    t.start()
    t.join()
    return got[0]


@pytest.mark.skipif(not hasattr(os, "sched_getscheduler"), reason="needs Linux scheduling calls")
def test_realtime_loop_normal_uploads(noisy_speech, monkeypatch):
    import voxclean.serve.app as app_module
    from voxclean.serve import ServeConfig

    from .conftest import Server

    policies: list[int] = []
    run_job = app_module._run_job

    def spy(*args, **kw):
        out = run_job(*args, **kw)
        policies.append(os.sched_getscheduler(0))  # the worker thread's policy after the job
        return out

    monkeypatch.setattr(app_module, "_run_job", spy)
    with Server(ServeConfig(realtime=True, max_duration_s=30.0)) as s:
        assert httpx.get(f"{s.http}/healthz").json()["realtime"] is _realtime_allowed()
        r = httpx.post(f"{s.http}/v1/enhance", params={"method": "wiener"}, content=_wav(noisy_speech[:16000]),
                       timeout=30)
        assert r.status_code == 200, r.text
    assert policies == [os.SCHED_OTHER]
