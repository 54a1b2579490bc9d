"""SNR, segmental SNR, SI-SDR and log-spectral distance."""

from __future__ import annotations

import numpy as np
import pytest

from voxclean.errors import ChannelError, ParameterError, SampleRateError
from voxclean.metrics import log_spectral_distance, segmental_snr, si_sdr, snr

SR = 16000


@pytest.fixture
def tone() -> np.ndarray:
    t = np.arange(SR) / SR
    return (0.5 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 1250 * t)).astype(np.float32)


def _noise_at(x: np.ndarray, snr_db: float, seed: int = 0) -> np.ndarray:
    n = np.random.default_rng(seed).standard_normal(x.shape)
    n *= np.sqrt(np.sum(x.astype(np.float64) ** 2) / np.sum(n**2) / 10 ** (snr_db / 10))
    return n


def test_snr_known_value(tone: np.ndarray) -> None:
    n = _noise_at(tone, 12.0)
    est = (tone + n).astype(np.float32)
    expected = 10 * np.log10(np.sum(tone.astype(np.float64) ** 2) / np.sum((est - tone.astype(np.float64)) ** 2))
    assert snr(tone, est) == pytest.approx(expected, abs=1e-6)
    assert snr(tone, est) == pytest.approx(12.0, abs=0.01)


def test_snr_identical_is_large_and_finite(tone: np.ndarray) -> None:
    value = snr(tone, tone)
    assert np.isfinite(value) and value > 100


def test_snr_multichannel_is_channel_mean(tone: np.ndarray) -> None:
    a = (tone + _noise_at(tone, 5.0, 1)).astype(np.float32)
    b = (tone + _noise_at(tone, 15.0, 2)).astype(np.float32)
    both = snr(np.stack([tone, tone]), np.stack([a, b]))
    assert both == pytest.approx((snr(tone, a) + snr(tone, b)) / 2)


def test_segmental_snr_clamps(tone: np.ndarray) -> None:
    assert segmental_snr(tone, tone, SR) == pytest.approx(35.0)
    huge = (tone + _noise_at(tone, -40.0)).astype(np.float32)
    assert segmental_snr(tone, huge, SR) == pytest.approx(-10.0)
    # estimate = -reference: error 2x reference, -6.02 dB in every frame, inside the clamp range.
    assert segmental_snr(tone, -tone, SR) == pytest.approx(-6.0206, abs=1e-3)
    assert segmental_snr(tone, huge, SR, min_db=-20.0) < -10.0
    assert segmental_snr(tone, tone, SR, max_db=50.0) == pytest.approx(50.0)


def test_segmental_snr_bad_params(tone: np.ndarray) -> None:
    with pytest.raises(ParameterError):
        segmental_snr(tone, tone, SR, min_db=10, max_db=0)
    with pytest.raises(ParameterError):
        segmental_snr(tone, tone, SR, frame_s=0)
    with pytest.raises(SampleRateError):
        segmental_snr(tone, tone, 16000.5)


def test_si_sdr_identical_is_large(tone: np.ndarray) -> None:
    assert si_sdr(tone, tone) > 100


def test_si_sdr_scale_invariance(tone: np.ndarray) -> None:
    est = (tone + _noise_at(tone, 8.0)).astype(np.float32)
    assert si_sdr(tone, 3 * est) == pytest.approx(si_sdr(tone, est), abs=1e-4)
    assert si_sdr(tone, -0.1 * est) == pytest.approx(si_sdr(tone, est), abs=1e-4)
    assert si_sdr(tone, est) == pytest.approx(8.0, abs=0.1)


def test_si_sdr_silent_reference_raises(tone: np.ndarray) -> None:
    with pytest.raises(ParameterError, match="silent"):
        si_sdr(np.zeros_like(tone), tone)


def test_lsd_zero_for_identical_and_grows_with_noise(tone: np.ndarray) -> None:
    assert log_spectral_distance(tone, tone, SR) == 0.0
    lo = log_spectral_distance(tone, (tone + _noise_at(tone, 20.0)).astype(np.float32), SR)
    hi = log_spectral_distance(tone, (tone + _noise_at(tone, 0.0)).astype(np.float32), SR)
    assert 0 < lo < hi


@pytest.mark.parametrize("fn", [snr, si_sdr])
def test_bad_inputs(fn, tone: np.ndarray) -> None:  # type: ignore[no-untyped-def]
    bad = tone.copy()
    bad[10] = np.nan
    with pytest.raises(ParameterError):
        fn(tone, bad)
    with pytest.raises(ParameterError):
        fn(np.zeros(0, np.float32), np.zeros(0, np.float32))
    with pytest.raises(ParameterError, match="samples"):
        fn(tone, tone[:-1])
    with pytest.raises(ChannelError):
        fn(np.stack([tone, tone]), tone)
    with pytest.raises(ParameterError):
        fn(tone, (tone * 1000).astype(np.int16))
