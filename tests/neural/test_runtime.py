"""The shipped neural models through their numpy + onnxruntime runtime (no torch needed).

Two models are packaged: the default (20 ms: one frame of lookahead) and ``"low-latency"``
(10 ms), the default of live and streaming use (``create(..., live=True)``).
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import voxclean
from voxclean import Stream, create, run_offline
from voxclean.enhance.base import stream_compensated
from voxclean.neural import features as F
from voxclean.neural.runtime import PACKAGED_MODELS, NeuralEnhancer, load_model

#: Frames of lookahead of each packaged model.
LOOKAHEAD = {"": 1, "low-latency": 0}


@pytest.mark.parametrize("name", sorted(PACKAGED_MODELS))
def test_packaged_model_metadata(name):
    meta = load_model(name).metadata
    assert int(meta["sample_rate"]) == 16000
    assert int(meta["hop"]) == 160 and int(meta["win_length"]) == 320
    assert json.loads(meta["model_config"]).get("lookahead", 0) == LOOKAHEAD[name]
    assert int(meta["latency_samples"]) == 160 * (1 + LOOKAHEAD[name]) <= 320
    assert int(meta["n_params"]) <= 1_500_000
    data = json.loads(meta["training_data"])
    assert "train" in data["split"]
    assert meta["name"] and meta["format_version"] and meta["weights"] == "float16"


def test_packaged_models_are_small():
    from pathlib import Path

    assert sum(Path(load_model(name).path).stat().st_size for name in PACKAGED_MODELS) <= 5 * 1024 * 1024


def test_live_use_picks_the_low_latency_model():
    assert create("neural", 16000).model is load_model("")
    assert create("neural", 16000, live=True).model is load_model("low-latency")
    assert create("neural", 16000, live=True, model="").model is load_model("")  # an explicit choice wins


def test_import_does_not_load_torch():
    code = "import sys, voxclean; voxclean.create('neural', 16000); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("noise_floor", [False, True], ids=["base", "noise_floor"])
def test_signal_features_equal_frame_loop(rng, noise_floor):
    x = (0.1 * rng.standard_normal((2, 8000))).astype(np.float32)
    x[:, 3000:5000] *= 30.0  # a loud stretch: the floor must rise slowly, then drop at once
    stft = F.make_stft()
    whole = F.signal_features(stft.stft(x), noise_floor)
    assert whole.shape == (2, 50, F.n_features(noise_floor))
    st, fs = stft.init_state(2), F.init_feature_state(2, noise_floor)
    loop = np.stack(
        [F.frame_features(stft.analyze(x[:, i : i + 160], st), fs) for i in range(0, 8000, 160)], axis=1
    )
    np.testing.assert_allclose(whole, loop, atol=1e-5)
    if noise_floor:
        np.testing.assert_array_equal(whole[..., : F.N_FEATURES], F.signal_features(stft.stft(x)))


def test_noise_floor_tracks_the_noise_under_speech(speech, noises):
    """On real speech in real noise (5 dB SNR), the tracked floor stays near the noise alone.

    The floor is a windowed minimum, so it never exceeds the smoothed power seen so far;
    speech must lift it by less than 3 dB over the floor of the same noise without speech,
    while the speech peaks stand well above it; after the silent first frame of the
    streaming STFT it recovers once that frame has left the window, to a level below the
    noise's median (a minimum statistic, its bias uncorrected) and far above the silence.
    """
    stft = F.make_stft()
    lead = 32000  # 2 s of noise alone (longer than the floor's window), then 4 s of speech in it
    n = lead + 64000
    clean = np.zeros(n)
    clean[lead:] = speech[: n - lead]
    noise = noises["aircon"][:n].astype(np.float64)
    noise *= np.sqrt(np.mean(clean[lead:] ** 2) / np.mean(noise**2) / 10 ** (5.0 / 10))
    lp_noise = np.log10(np.abs(stft.stft(noise[None]))[0] ** 2 + F.POWER_EPS)
    lp_noisy = np.log10(np.abs(stft.stft((noise + clean)[None]))[0] ** 2 + F.POWER_EPS)
    floor, floor_noise = F.signal_floor(lp_noisy), F.signal_floor(lp_noise)
    assert (floor <= np.maximum.accumulate(lp_noisy, axis=0) + 1e-12).all()
    window = F.FLOOR_BLOCKS * F.FLOOR_BLOCK_FRAMES
    speech_part = slice(lead // 160, floor.shape[0])
    lift_db = 10 * np.median(floor[speech_part] - floor_noise[speech_part])
    assert 0.0 <= lift_db < 3.0, lift_db
    peak_db = 10 * (np.percentile(lp_noisy[speech_part], 95, axis=0) - np.median(floor[speech_part], axis=0))
    assert np.median(peak_db) > 10.0, np.median(peak_db)
    assert floor[0].max() == np.log10(F.POWER_EPS)  # the silent first frame
    noise_only = slice(window, lead // 160)
    recovered_db = 10 * (np.median(floor_noise[noise_only]) - np.median(lp_noise[noise_only]))
    assert -20.0 < recovered_db < 0.0, recovered_db


def _streamed(enh, x: np.ndarray, rng: np.random.Generator, max_block: int) -> np.ndarray:
    """``x`` through ``enh`` in random block sizes below ``max_block``, latency-compensated."""
    blocks, i = [], 0
    while i < x.shape[1]:
        n = int(rng.integers(1, max_block))
        blocks.append(x[:, i : i + n])
        i += n
    return np.concatenate(list(stream_compensated(enh, blocks, x.shape[0])), axis=1)


@pytest.mark.parametrize("name", sorted(PACKAGED_MODELS))
def test_streaming_equals_whole_file(name, noisy_speech, rng):
    enh = create("neural", 16000, model=name)
    x = noisy_speech[np.newaxis]
    whole = run_offline(enh, x, 16000)
    np.testing.assert_array_equal(_streamed(enh, x, rng, 1500), whole)


@pytest.mark.parametrize("name", sorted(PACKAGED_MODELS))
@pytest.mark.parametrize("sr", [16000, 48000])
@pytest.mark.parametrize("kind", ["silence", "dc", "clipped", "full_scale_square"])
def test_no_nan(name, sr, kind, rng):
    n = sr
    t = np.arange(n) / sr
    x = {
        "silence": np.zeros(n),
        "dc": np.full(n, 0.9),
        "clipped": np.clip(3 * rng.standard_normal(n), -1, 1),
        "full_scale_square": np.sign(np.sin(2 * np.pi * 200 * t)),
    }[kind].astype(np.float32)
    y = voxclean.enhance(x, sr, method="neural", model=name)
    assert np.isfinite(y).all() and y.shape == x.shape
    if kind == "silence":
        assert np.max(np.abs(y)) == 0.0


def test_strength_limits_attenuation(noises):
    noise = noises["aircon"][:32000] * 0.3
    for strength in (3.0, 12.0):
        y = voxclean.enhance(noise, 16000, method="neural", strength_db=strength)
        loss_db = 10 * np.log10(np.mean(noise[3200:] ** 2) / np.mean(y[3200:] ** 2))
        assert loss_db <= strength + 1.0, (strength, loss_db)
    strong = voxclean.enhance(noise, 16000, method="neural", strength_db=40.0)
    weak = voxclean.enhance(noise, 16000, method="neural", strength_db=3.0)
    assert np.mean(strong**2) < np.mean(weak**2)


@pytest.mark.parametrize("sr", [8000, 22050, 44100, 48000])
def test_bypass_is_identity_at_any_rate(sr, rng):
    x = (0.1 * rng.standard_normal(sr)).astype(np.float32)
    y = voxclean.enhance(x, sr, method="neural", strength_db=0.0)
    np.testing.assert_allclose(y, x, atol=1e-4)


#: Declared latency (samples) of the neural stage per rate and packaged model (at 16 kHz 20 ms and
#: 10 ms), with the polyphase resamplers.
LATENCY = {
    "": {8000: 192, 11025: 361, 16000: 320, 22050: 703, 24000: 527, 32000: 703, 44100: 967, 48000: 1054},
    "low-latency": {8000: 112, 11025: 251, 16000: 160, 22050: 483, 24000: 287, 32000: 383, 44100: 526, 48000: 574},
}


@pytest.mark.parametrize("name", sorted(LATENCY))
@pytest.mark.parametrize("sr", sorted(LATENCY[""]))
def test_declared_latency_at_every_rate(name, sr):
    enh = create("neural", sr, strength_db=10.0, model=name)
    assert enh.latency == LATENCY[name][sr]
    # 10 ms per frame + resamplers (+ one block at 22.05k)
    assert enh.latency / sr < (0.015 if sr % 100 == 0 else 0.023) + 0.010 * LOOKAHEAD[name]
    x = np.zeros((1, sr), np.float32)
    x[0, sr // 2] = 1.0
    y = Stream(enh, 1).process(np.concatenate([x, np.zeros((1, enh.latency + enh.block_size), np.float32)], axis=1))
    assert int(np.argmax(np.abs(y[0]))) - sr // 2 == enh.latency


@pytest.mark.parametrize("sr", [8000, 11025, 22050, 44100, 48000, 12345])
@pytest.mark.parametrize("block", [None, 97, 1000])
def test_fifo_prefill_matches_a_simulation_of_the_sample_counts(sr, block):
    """The closed-form prefill equals the worst deficit of a block-by-block simulation (over 4 periods)."""
    from voxclean.dsp import PolyphaseResampler
    from voxclean.neural.runtime import _fifo_prefill

    block = block or max(1, round(sr / 100))
    down, up = PolyphaseResampler(sr, 16000), PolyphaseResampler(16000, sr)
    period = (sr // np.gcd(sr, 100)) // np.gcd(block, sr // np.gcd(sr, 100))
    n_in = got16 = used16 = out = need = 0
    for _ in range(4 * period):
        n_in += block
        got16 = down.output_length(n_in)
        hops = (got16 - used16) // 160
        used16 += 160 * hops
        out = up.output_length(used16)
        need = max(need, n_in - out)
    assert _fifo_prefill(sr, block) == need


@pytest.mark.parametrize("sr", [22050, 48000])
def test_streaming_equals_whole_file_at_other_rates(sr, noisy_speech, rng):
    from voxclean.io import resample

    enh = create("neural", sr)
    x = resample(noisy_speech[: 3 * 16000], 16000, sr)[np.newaxis]
    whole = run_offline(enh, x, sr)
    np.testing.assert_array_equal(_streamed(enh, x, rng, 3000), whole)


def test_48k_quality_close_to_16k(noisy_speech, speech):
    """Real speech + real noise at 48 kHz scores (PESQ-WB) within 0.15 of the same audio at 16 kHz."""
    from voxclean.io import resample
    from voxclean.metrics import pesq

    pytest.importorskip("pesq")
    y16 = voxclean.enhance(noisy_speech, 16000, method="neural")
    y48 = voxclean.enhance(resample(noisy_speech, 16000, 48000), 48000, method="neural")
    p16 = pesq(speech, y16, 16000)
    p48 = pesq(speech, resample(y48, 48000, 16000)[: speech.size], 16000)
    assert p48 > p16 - 0.15, (p16, p48)
    assert p48 > pesq(speech, noisy_speech, 16000) + 0.2


def test_band_above_8k_is_kept_and_attenuated(speech, noises, rng):
    """At 48 kHz the band above 8 kHz follows the top band's gain: kept with speech, reduced in noise."""
    import scipy.signal

    from voxclean.io import resample

    sr = 48000
    s = resample(speech, 16000, sr)
    hiss = scipy.signal.sosfilt(scipy.signal.butter(8, 9000, "high", fs=sr, output="sos"), rng.standard_normal(s.size))
    x = (s + 0.02 * hiss).astype(np.float32)
    y = voxclean.enhance(x, sr, method="neural", strength_db=0.0)
    sos = scipy.signal.butter(8, 9000, "high", fs=sr, output="sos")
    hi_in = np.mean(scipy.signal.sosfilt(sos, x) ** 2)
    np.testing.assert_allclose(np.mean(scipy.signal.sosfilt(sos, y) ** 2), hi_in, rtol=1e-3)
    y = voxclean.enhance(x, sr, method="neural")
    hi_out = np.mean(scipy.signal.sosfilt(sos, y) ** 2)
    assert 0.0 < hi_out < hi_in  # attenuated, not removed


def test_channels_have_own_state(noisy_speech, noises):
    enh = NeuralEnhancer(16000)
    x = np.stack([noisy_speech, noises["street"][: noisy_speech.size]])
    both = run_offline(enh, x, 16000)
    np.testing.assert_array_equal(both[1], run_offline(enh, x[1:], 16000)[0])


def test_noise_clip_is_rejected():
    with pytest.raises(voxclean.ParameterError):
        create("neural", 16000, noise_clip=np.zeros(1600, np.float32))


def test_bad_model_path_raises(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(voxclean.ModelError):
        NeuralEnhancer(16000, model=str(bad))
    with pytest.raises(voxclean.ModelError):
        NeuralEnhancer(16000, model=str(tmp_path / "missing.onnx"))

