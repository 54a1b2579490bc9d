"""Properties every registered enhancer must have, on real speech and noise."""

from __future__ import annotations

import numpy as np
import pytest

import voxclean
from voxclean import Stream, create, run_offline
from voxclean.enhance.base import process_streams, stream_compensated

METHODS = voxclean.list_methods()


@pytest.fixture(params=METHODS)
def method(request) -> str:
    return request.param


def _stream_random_blocks(enhancer, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    blocks, i = [], 0
    while i < x.shape[1]:
        n = int(rng.integers(1, 2000))
        blocks.append(x[:, i : i + n])
        i += n
    return np.concatenate(list(stream_compensated(enhancer, blocks, x.shape[0])), axis=1)


def test_stream_equals_offline(method, noisy_speech, noises, rng):
    x = np.stack([noisy_speech, noises["street"][: noisy_speech.size]])
    enh = create(method, 16000)
    offline = run_offline(enh, x, 16000)
    streamed = _stream_random_blocks(enh, x, rng)
    assert streamed.shape == x.shape
    np.testing.assert_array_equal(streamed, offline)


def test_raw_stream_output_is_offline_delayed(method, noisy_speech, rng):
    """Without compensation, a live stream emits the offline output delayed by the declared latency."""
    enh = create(method, 16000)
    x = noisy_speech[np.newaxis, :32000]
    stream = Stream(enh, 1)
    outs, i = [], 0
    while i < x.shape[1]:
        n = int(rng.integers(1, 700))
        outs.append(stream.process(x[:, i : i + n]))
        i += n
    live = np.concatenate(outs, axis=1)
    offline = run_offline(enh, x, 16000)
    lat = enh.latency
    n = live.shape[1] - lat
    np.testing.assert_array_equal(live[:, lat:], offline[:, :n])


@pytest.mark.parametrize("sr", [16000, 44100])
def test_batched_streams_equal_separate_streams(method, sr, noisy_speech, noises, rng):
    """Streams of one enhancer pushed together (a server batching its sessions) equal separate streams."""
    enh = create(method, sr)
    base = noisy_speech[:24000] if sr == 16000 else voxclean.io.resample(noisy_speech[:24000], 16000, sr)
    other = noises["street"][: base.size]
    signals = [base[None], np.stack([other, base]), np.roll(base, 999)[None], (0.3 * other)[None]]
    alone = [Stream(enh, x.shape[0]) for x in signals]
    together = [Stream(enh, x.shape[0]) for x in signals]
    pos = [0] * len(signals)
    got_alone: list[list[np.ndarray]] = [[] for _ in signals]
    got_together: list[list[np.ndarray]] = [[] for _ in signals]
    while min(pos) < base.size:
        chunks = [x[:, p : p + int(rng.integers(0, 1200))] for x, p in zip(signals, pos, strict=True)]
        for i, (s, c) in enumerate(zip(alone, chunks, strict=True)):
            got_alone[i].append(s.process(c))
        for i, y in enumerate(process_streams(together, chunks)):
            got_together[i].append(y)
        pos = [p + c.shape[1] for p, c in zip(pos, chunks, strict=True)]
    for a, b in zip(got_alone, got_together, strict=True):
        np.testing.assert_array_equal(np.concatenate(b, axis=1), np.concatenate(a, axis=1))
        assert np.concatenate(a, axis=1).shape[1] > base.size // 2


@pytest.mark.parametrize("sr", [8000, 44100])
def test_declared_latency_equals_measured(method, sr):
    enh = create(method, sr, strength_db=10.0)
    x = np.zeros((1, sr), np.float32)
    x[0, sr // 2] = 1.0
    stream = Stream(enh, 1)
    y = stream.process(np.concatenate([x, np.zeros((1, enh.latency + enh.block_size), np.float32)], axis=1))
    assert int(np.argmax(np.abs(y[0]))) - sr // 2 == enh.latency


def test_silence_in_silence_out(method):
    y = voxclean.enhance(np.zeros((2, 16000), np.float32), 16000, method=method)
    assert y.shape == (2, 16000)
    assert np.max(np.abs(y)) == 0.0


@pytest.mark.parametrize(
    "kind", ["full_scale_square", "dc", "tiny", "clipped_noise", "impulses", "huge", "speech_then_silence"]
)
def test_finite_output_for_finite_input(method, kind, rng, speech):
    n = 16000
    t = np.arange(n)
    x = {
        "full_scale_square": np.sign(np.sin(2 * np.pi * 100 * t / 16000)),
        "dc": np.full(n, 0.7),
        "tiny": rng.standard_normal(n) * 1e-30,
        "clipped_noise": np.clip(rng.standard_normal(n) * 3, -1, 1),
        "impulses": (rng.random(n) > 0.999).astype(float),
        "huge": rng.standard_normal(n) * 1e6,
        "speech_then_silence": np.concatenate([speech[: n // 2], np.zeros(n // 2)]),
    }[kind].astype(np.float32)
    y = voxclean.enhance(x, 16000, method=method)
    assert np.isfinite(y).all()
    assert np.max(np.abs(y)) <= 2.0 * np.max(np.abs(x)) + 1e-30


def test_bypass_is_identity(method, noisy_speech):
    y = voxclean.enhance(noisy_speech, 16000, method=method, strength_db=0.0)
    np.testing.assert_allclose(y, noisy_speech, atol=1e-6)


def test_channels_are_independent(method, noisy_speech, noises):
    other = noises["keyboard"][: noisy_speech.size] * 0.3
    stereo = voxclean.enhance(np.stack([noisy_speech, other]), 16000, method=method)
    left = voxclean.enhance(noisy_speech, 16000, method=method)
    right = voxclean.enhance(other, 16000, method=method)
    np.testing.assert_allclose(stereo[0], left, atol=1e-6)
    np.testing.assert_allclose(stereo[1], right, atol=1e-6)


@pytest.mark.parametrize("sr", [8000, 16000, 22050, 24000, 32000, 44100, 48000])
def test_every_rate_runs(method, sr, rng):
    x = (0.1 * rng.standard_normal(sr // 2)).astype(np.float32)
    y = voxclean.enhance(x, sr, method=method)
    assert y.shape == x.shape and y.dtype == np.float32


def test_empty_input_gives_empty_output(method):
    for shape in [(0,), (2, 0)]:
        y = voxclean.enhance(np.zeros(shape, np.float32), 16000, method=method)
        assert y.shape == shape


def test_short_input(method):
    y = voxclean.enhance(np.full(1, 0.5, np.float32), 16000, method=method)
    assert y.shape == (1,) and np.isfinite(y).all()


def test_params_round_trip(method):
    enh = create(method, 16000)
    p = enh.params()
    assert type(p).from_dict(p.to_dict()) == p
