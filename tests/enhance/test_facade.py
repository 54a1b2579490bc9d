"""The function-first API: validation, parameters, pipelines."""

from __future__ import annotations

import numpy as np
import pytest

import voxclean
from voxclean import Pipeline, Stream, create, run_offline
from voxclean.errors import ChannelError, ParameterError, SampleRateError, VoxcleanError


def test_one_d_in_one_d_out(noisy_speech):
    y = voxclean.enhance(noisy_speech, 16000)
    assert y.shape == noisy_speech.shape and y.dtype == np.float32


@pytest.mark.parametrize(
    "bad,error",
    [
        (np.array([0.1, np.nan, 0.2], np.float32), ParameterError),
        (np.array([0.1, np.inf, 0.2], np.float32), ParameterError),
        (np.zeros(100, np.int16), ParameterError),
        (np.zeros((1, 2, 100), np.float32), ParameterError),
        (np.zeros((0, 100), np.float32), ChannelError),
        ("not audio", ParameterError),
    ],
    ids=["nan", "inf", "int16", "3d", "zero-channels", "string"],
)
def test_bad_audio_raises(bad, error):
    with pytest.raises(error):
        voxclean.enhance(bad, 16000)


@pytest.mark.parametrize("sr", [0, -16000, 16000.5, "16k", None])
def test_bad_rate_raises(sr):
    with pytest.raises(SampleRateError):
        voxclean.enhance(np.zeros(100, np.float32), sr)


def test_unknown_method_and_parameter_name_the_known_ones():
    with pytest.raises(ParameterError, match="omlsa"):
        voxclean.enhance(np.zeros(100, np.float32), 16000, method="nope")
    with pytest.raises(ParameterError, match="strength_db"):
        voxclean.enhance(np.zeros(100, np.float32), 16000, method="wiener", strenght=3)


@pytest.mark.parametrize("kw", [{"strength_db": -1}, {"hop_ms": 40}, {"noise": "oracle"}, {"frame_ms": 0}])
def test_bad_parameter_values(kw):
    with pytest.raises(ParameterError):
        create("omlsa", 16000, **kw)


def test_errors_share_a_root():
    assert issubclass(ParameterError, VoxcleanError) and issubclass(ParameterError, ValueError)
    assert issubclass(SampleRateError, ParameterError) and issubclass(ChannelError, ParameterError)


def test_run_offline_refuses_rate_mismatch(noisy_speech):
    with pytest.raises(SampleRateError, match="resample"):
        run_offline(create("wiener", 16000), noisy_speech, 48000)


def test_pipeline_is_an_enhancer(noisy_speech, rng):
    stages = [create("gating", 16000, strength_db=6), create("omlsa", 16000, frame_ms=20, hop_ms=10)]
    pipe = Pipeline(stages)
    assert isinstance(pipe, voxclean.Enhancer)
    assert pipe.latency == sum(s.latency for s in stages)
    assert pipe.block_size == np.lcm(stages[0].block_size, stages[1].block_size)
    offline = run_offline(pipe, noisy_speech, 16000)
    # the same as chaining the two stages as uncompensated streams, then trimming the summed latency
    tail = np.zeros(pipe.latency + pipe.block_size, np.float32)
    x = np.concatenate([noisy_speech, tail])[np.newaxis]
    chained = Stream(stages[1], 1).process(Stream(stages[0], 1).process(x))
    np.testing.assert_allclose(offline, chained[0, pipe.latency : pipe.latency + noisy_speech.size], atol=1e-6)
    # streaming with odd block sizes gives the same samples
    stream = Stream(pipe, 1)
    x = np.concatenate([noisy_speech, np.zeros(pipe.latency + pipe.block_size, np.float32)])[np.newaxis]
    pieces, i = [], 0
    while i < x.shape[1]:
        n = int(rng.integers(1, 999))
        pieces.append(stream.process(x[:, i : i + n]))
        i += n
    live = np.concatenate(pieces, axis=1)[0, pipe.latency : pipe.latency + noisy_speech.size]
    np.testing.assert_array_equal(live, offline)
    assert pipe.params().stages[0][0] == "gating"


def test_pipeline_rejects_mixed_rates():
    with pytest.raises(SampleRateError):
        Pipeline([create("omlsa", 16000), create("omlsa", 48000)])
    with pytest.raises(ParameterError):
        Pipeline([])


def test_stream_replaces_nonfinite_and_warns():
    stream = Stream(create("omlsa", 16000), 1)
    x = np.zeros((1, 1024), np.float32)
    x[0, 10] = np.nan
    with pytest.warns(RuntimeWarning, match="non-finite"):
        y = stream.process(x)
    assert np.isfinite(y).all() and stream.nonfinite_count == 1


def test_stream_rejects_wrong_channel_count():
    stream = Stream(create("omlsa", 16000), 2)
    with pytest.raises(ChannelError):
        stream.process(np.zeros((1, 256), np.float32))


def test_noise_clip_must_be_long_enough():
    with pytest.raises(ParameterError, match="noise clip"):
        voxclean.enhance(np.zeros(16000, np.float32), 16000, noise_clip=np.zeros(10, np.float32))


def test_state_is_per_stream(noisy_speech):
    """One enhancer serves two streams; each stream's result is as if it ran alone."""
    enh = create("omlsa", 16000)
    a, b = noisy_speech[:32000][None], (0.3 * noisy_speech[16000:48000])[None]
    sa, sb = Stream(enh, 1), Stream(enh, 1)
    out_a, out_b = [], []
    for i in range(0, 32000, 500):
        out_a.append(sa.process(a[:, i : i + 500]))
        out_b.append(sb.process(b[:, i : i + 500]))
    alone = Stream(enh, 1)
    ref = np.concatenate([alone.process(a[:, i : i + 500]) for i in range(0, 32000, 500)], axis=1)
    np.testing.assert_array_equal(np.concatenate(out_a, axis=1), ref)


class _ConstantNoise:
    """A user-supplied noise tracker that always reports the same PSD."""

    def __init__(self, level: float) -> None:
        self.level = level

    def init_state(self, n_channels, n_bins):
        from voxclean.noise.base import NoiseState

        return NoiseState(noise_psd=np.full((n_channels, n_bins), self.level), absence=np.ones((n_channels, n_bins)))

    def update(self, power, state):
        state.frames += 1
        return state.noise_psd


def test_custom_noise_estimator_is_used(noisy_speech):
    from voxclean.enhance.wiener import Wiener

    x = noisy_speech[: 16000 * 2]
    # noise far above any frame's power: every Wiener gain sits at the 25 dB floor
    loud = run_offline(Wiener(16000, noise_estimator=_ConstantNoise(1e6)), x, 16000)
    ratio_db = 20 * np.log10(np.sqrt(np.mean(loud.astype(np.float64) ** 2) / np.mean(x.astype(np.float64) ** 2)))
    assert ratio_db == pytest.approx(-25.0, abs=0.5)
    # no noise at all: the gain is 1 everywhere, so the output is the input
    quiet = run_offline(Wiener(16000, noise_estimator=_ConstantNoise(0.0)), x, 16000)
    np.testing.assert_allclose(quiet, x, atol=1e-4)
    with pytest.raises(ParameterError, match="not both"):
        Wiener(16000, noise_estimator=_ConstantNoise(1.0), noise_clip=x)
