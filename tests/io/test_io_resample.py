"""One-shot and streaming resampling."""

from __future__ import annotations

import numpy as np
import pytest

from voxclean.errors import ChannelError, ParameterError, SampleRateError
from voxclean.io import Resampler, resample


@pytest.mark.parametrize(("sr_in", "sr_out"), [(48000, 16000), (16000, 48000), (44100, 22050), (22050, 16000)])
def test_resample_length_and_frequency(h, sr_in, sr_out):
    y = h.sine(1000, sr_in, sr_in * 2, channels=2)
    out = resample(y, sr_in, sr_out)
    assert out.dtype == np.float32 and out.shape[0] == 2
    assert abs(out.shape[1] - 2 * sr_out) <= 1
    assert abs(h.peak_freq(out[1], sr_out) - 1000) < 1


def test_resample_one_dimensional_in_out(h):
    y = h.sine(440, 44100, 4410)[0]
    out = resample(y, 44100, 8000)
    assert out.ndim == 1 and abs(out.size - 800) <= 1


def test_resample_same_rate_copies(h):
    y = h.sine(440, 8000, 100)
    out = resample(y, 8000, 8000)
    np.testing.assert_array_equal(out, y)
    assert out is not y


def test_resample_empty(h):
    assert resample(np.zeros((2, 0), np.float32), 8000, 16000).shape == (2, 0)
    assert resample(np.zeros(0, np.float32), 8000, 16000).shape == (0,)


def test_resample_rejects_bad_input(h):
    y = h.sine(440, 8000, 100)
    with pytest.raises(SampleRateError):
        resample(y, 0, 8000)
    with pytest.raises(SampleRateError):
        resample(y, 8000, 1.5)
    with pytest.raises(ParameterError):
        resample(y, 8000, 16000, quality="best")
    bad = y.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ParameterError):
        resample(bad, 8000, 16000)


@pytest.mark.parametrize("block", [1, 100, 1024, 7777])
@pytest.mark.parametrize(("sr_in", "sr_out"), [(48000, 16000), (16000, 44100)])
def test_stream_matches_one_shot(rng, block, sr_in, sr_out):
    y = rng.uniform(-0.5, 0.5, (2, sr_in)).astype(np.float32)
    r = Resampler(sr_in, sr_out, 2)
    pieces = [r.process(y[:, i : i + block]) for i in range(0, y.shape[1], block)]
    pieces.append(r.flush())
    streamed = np.concatenate(pieces, axis=1)
    ref = resample(y, sr_in, sr_out)
    assert abs(streamed.shape[1] - ref.shape[1]) <= 2
    n = min(streamed.shape[1], ref.shape[1])
    np.testing.assert_allclose(streamed[:, :n], ref[:, :n], atol=1e-4)


def test_resampler_reusable_after_flush(h):
    y = h.sine(440, 48000, 4800, channels=1)
    r = Resampler(48000, 16000, 1)
    first = np.concatenate([r.process(y), r.flush()], axis=1)
    second = np.concatenate([r.process(y), r.flush()], axis=1)
    np.testing.assert_allclose(first, second, atol=1e-6)


def test_resampler_passthrough_and_errors(h):
    r = Resampler(16000, 16000, 2)
    assert r.passthrough
    y = h.sine(440, 16000, 100, channels=2)
    np.testing.assert_array_equal(r.process(y), y)
    assert r.flush().shape == (2, 0)
    with pytest.raises(ChannelError):
        Resampler(16000, 8000, 2).process(h.sine(440, 16000, 100, channels=3))
    with pytest.raises(ParameterError):
        Resampler(16000, 8000, 0)
    assert "sr_out=8000" in repr(Resampler(16000, 8000, 1, quality="VHQ"))
