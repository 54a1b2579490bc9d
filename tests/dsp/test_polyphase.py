"""Low-delay streaming polyphase resampler: response, exact delay, stream parity, counts."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from voxclean.dsp import PolyphaseResampler
from voxclean.dsp.polyphase import _design
from voxclean.errors import ChannelError, ParameterError

RATES = [8000, 11025, 22050, 24000, 32000, 44100, 48000]
PAIRS = [(sr, 16000) for sr in RATES] + [(16000, sr) for sr in RATES]


def _pair_id(pair: tuple[int, int]) -> str:
    return f"{pair[0]}to{pair[1]}"


def _fit_sine(y: np.ndarray, f: float, sr: int, delay: float) -> tuple[float, float, float]:
    """Fit ``a*sin + b*cos`` of the delayed tone; return (gain in dB, delay error in samples, residual RMS)."""
    m = np.arange(y.size) - delay
    w = 2 * np.pi * f / sr
    basis = np.stack([np.sin(w * m), np.cos(w * m)], axis=1)
    (a, b), *_ = np.linalg.lstsq(basis, y, rcond=None)
    gain_db = 20 * np.log10(np.hypot(a, b))
    delay_error = np.arctan2(b, a) / w  # extra phase lag of the output, in samples
    resid = float(np.sqrt(np.mean((y - basis @ np.array([a, b])) ** 2)))
    return float(gain_db), float(-delay_error), resid


@pytest.mark.parametrize("pair", PAIRS, ids=_pair_id)
def test_sine_below_cutoff_passes_with_the_declared_delay(pair):
    sr_in, sr_out = pair
    rs = PolyphaseResampler(sr_in, sr_out)
    f_low = min(sr_in, sr_out)
    for f in (0.05 * f_low, 0.3 * f_low, 0.37 * f_low):  # up to 0.74 of the lower Nyquist frequency
        x = np.sin(2 * np.pi * f * np.arange(sr_in // 2) / sr_in)
        y = rs.resample(x)
        skip = int(rs.delay) + 2 * rs.taps  # past the start-up transient
        gain_db, delay_error, _ = _fit_sine(y[skip:], f, sr_out, float(rs.delay) - skip)
        assert abs(gain_db) < 0.1, (f, gain_db)
        assert abs(delay_error) < 1e-3, (f, delay_error)


@pytest.mark.parametrize("pair", [(48000, 16000), (16000, 44100), (11025, 16000)], ids=_pair_id)
def test_fractional_delay_is_exact(pair):
    sr_in, sr_out = pair
    base = PolyphaseResampler(sr_in, sr_out)
    rs = PolyphaseResampler(sr_in, sr_out, delay=base.min_delay + Fraction(4, base.down))
    assert rs.delay == base.min_delay + Fraction(4, base.down) and rs.delay.denominator > 1
    f = 0.2 * min(sr_in, sr_out)
    x = np.sin(2 * np.pi * f * np.arange(sr_in // 4) / sr_in)
    y = rs.resample(x)
    skip = int(rs.delay) + 2 * rs.taps
    _, delay_error, _ = _fit_sine(y[skip:], f, sr_out, float(rs.delay) - skip)
    assert abs(delay_error) < 1e-3


DECIMATORS = [(48000, 16000), (44100, 16000), (22050, 16000), (32000, 16000), (16000, 8000)]


@pytest.mark.parametrize("pair", DECIMATORS, ids=_pair_id)
def test_tone_above_lower_nyquist_is_attenuated(pair):
    sr_in, sr_out = pair
    rs = PolyphaseResampler(sr_in, sr_out)
    nyq = sr_out / 2
    for f in (1.03 * nyq, 1.3 * nyq, 0.95 * sr_in / 2):
        x = np.sin(2 * np.pi * f * np.arange(sr_in // 2) / sr_in)
        y = rs.resample(x)[2 * rs.taps :]
        level_db = 20 * np.log10(np.sqrt(2 * np.mean(y**2)))
        assert level_db < -50.0, (f, level_db)


@pytest.mark.parametrize("pair", [(16000, 48000), (16000, 44100), (16000, 22050), (8000, 16000)], ids=_pair_id)
def test_interpolation_images_are_attenuated(pair):
    """Upsampling a tone leaves nothing but the tone: images above the input Nyquist are < -50 dB."""
    sr_in, sr_out = pair
    rs = PolyphaseResampler(sr_in, sr_out)
    for f in (0.1 * sr_in, 0.37 * sr_in):
        x = np.sin(2 * np.pi * f * np.arange(sr_in // 2) / sr_in)
        y = rs.resample(x)
        skip = int(rs.delay) + 2 * rs.taps
        _, _, resid = _fit_sine(y[skip:], f, sr_out, float(rs.delay) - skip)
        assert 20 * np.log10(resid * np.sqrt(2)) < -50.0, (f, resid)


def test_measured_stopband_of_every_design():
    """The numbers stated in the module docstring."""
    for sr_in, sr_out in PAIRS:
        rs = PolyphaseResampler(sr_in, sr_out)
        h = rs.prototype / rs.up
        rate = sr_in * rs.up
        nfft = 1 << 20
        resp = np.abs(np.fft.rfft(h, nfft))
        f = np.arange(resp.size) * rate / nfft
        f_low = min(sr_in, sr_out)
        assert -20 * np.log10(resp[f >= f_low / 2].max()) > 70.0
        passband = f <= 0.75 * f_low / 2
        assert np.max(np.abs(20 * np.log10(resp[passband]))) < 0.1
        assert float(rs.delay_s) < (2.1e-3 if f_low < 16000 else 1.1e-3)


def test_round_trip_on_real_speech(speech):
    """16 -> 48 -> 16 kHz keeps real speech below 6 kHz (> 40 dB SNR against the delayed original)."""
    import scipy.signal

    up, down = PolyphaseResampler(16000, 48000), PolyphaseResampler(48000, 16000)
    y = down.resample(up.resample(speech))
    total = up.delay / 3 + down.delay  # in 16 kHz samples
    assert total.denominator == 1
    d = int(total)
    sos = scipy.signal.butter(10, 5500, fs=16000, output="sos")
    ref = scipy.signal.sosfiltfilt(sos, speech[: speech.size - d])
    got = scipy.signal.sosfiltfilt(sos, y[d:])
    snr = 10 * np.log10(np.sum(ref**2) / np.sum((got - ref) ** 2))
    assert snr > 40.0, snr


STREAM_PAIRS = [(48000, 16000), (16000, 48000), (44100, 16000), (16000, 22050), (11025, 16000), (7919, 16000)]


@pytest.mark.parametrize("pair", STREAM_PAIRS, ids=_pair_id)
def test_streaming_equals_one_shot(pair, noisy_speech, noises, rng):
    sr_in, sr_out = pair
    rs = PolyphaseResampler(sr_in, sr_out)
    x = np.stack([noisy_speech, noises["street"][: noisy_speech.size]]).astype(np.float64)
    whole = rs.resample(x)
    st = rs.init_state(2)
    outs, i = [], 0
    while i < x.shape[1]:
        n = int(rng.integers(0, 2500))
        outs.append(rs.process(x[:, i : i + n], st))
        i += n
        assert st.n_out == (min(i, x.shape[1]) * rs.up) // rs.down
    streamed = np.concatenate(outs, axis=1)
    np.testing.assert_array_equal(streamed, whole)


@pytest.mark.parametrize("pair", [(48000, 16000), (16000, 44100), (22050, 16000), (8000, 16000)], ids=_pair_id)
def test_output_count_is_floor_without_drift(pair, rng):
    sr_in, sr_out = pair
    rs = PolyphaseResampler(sr_in, sr_out)
    st = rs.init_state(1)
    total_in = total_out = 0
    for _ in range(300):
        n = int(rng.integers(0, 700))
        total_out += rs.process(np.zeros((1, n)), st).shape[1]
        total_in += n
        assert total_out == (total_in * sr_out) // sr_in == rs.output_length(total_in)
    # the history stays bounded (constant memory)
    assert st.history.shape[1] <= rs.taps + rs.down // rs.up + 700


def test_channels_are_independent(noisy_speech, noises):
    rs = PolyphaseResampler(16000, 44100)
    x = np.stack([noisy_speech, noises["keyboard"][: noisy_speech.size], np.zeros(noisy_speech.size)])
    both = rs.resample(x)
    for c in range(3):
        np.testing.assert_array_equal(both[c], rs.resample(x[c]))
    assert np.max(np.abs(both[2])) == 0.0


def test_constant_input_gives_constant_output():
    for sr_in, sr_out in [(16000, 44100), (44100, 16000), (16000, 48000)]:
        rs = PolyphaseResampler(sr_in, sr_out)
        y = rs.resample(np.full(4000, 0.5))
        np.testing.assert_allclose(y[rs.output_length(rs.taps + 1) :], 0.5, rtol=0, atol=1e-12)


def test_design_is_cached_and_shared():
    a, b = PolyphaseResampler(48000, 16000), PolyphaseResampler(48000, 16000, delay=20)
    assert _design(1, 3) is _design(1, 3)
    assert a.prototype is b.prototype
    assert isinstance(a.delay, Fraction) and a.delay.denominator == 1 and a.delay >= a.min_delay
    assert b.delay == 20


def test_bad_arguments_raise():
    with pytest.raises(ParameterError):
        PolyphaseResampler(48000, 16000, delay=1)  # below the minimum
    with pytest.raises(ParameterError):
        PolyphaseResampler(48000, 16000, delay=Fraction(100, 7))  # not a multiple of 1/3
    with pytest.raises(ParameterError):
        PolyphaseResampler(48000, 16000, delay=16.5)  # type: ignore[arg-type]
    rs = PolyphaseResampler(48000, 16000)
    with pytest.raises(ChannelError):
        rs.process(np.zeros((2, 10)), rs.init_state(1))
