import numpy as np
import pytest

from voxclean.dsp.stft import Stft, frame_sizes
from voxclean.errors import ParameterError, SampleRateError

RATES = [8000, 16000, 22050, 24000, 32000, 44100, 48000]


def _roundtrip(stft: Stft, y: np.ndarray) -> np.ndarray:
    st = stft.init_state(y.shape[0])
    n = y.shape[1] // stft.hop
    out = [stft.synthesize(stft.analyze(y[:, i * stft.hop : (i + 1) * stft.hop], st), st) for i in range(n)]
    return np.concatenate(out, axis=1)


@pytest.mark.parametrize("sr", RATES)
@pytest.mark.parametrize("frame_ms,hop_ms", [(32, 16), (32, 8), (20, 10), (25, 5)])
def test_perfect_reconstruction(sr, frame_ms, hop_ms, rng):
    stft = Stft(sr, frame_ms=frame_ms, hop_ms=hop_ms)
    y = rng.standard_normal((2, stft.hop * 40))
    out = _roundtrip(stft, y)
    lat = stft.latency
    np.testing.assert_allclose(out[:, lat:], y[:, : y.shape[1] - lat], atol=1e-6)


@pytest.mark.parametrize("sr", RATES)
def test_frame_sizes_in_ms(sr):
    win, hop, n_fft = frame_sizes(sr, frame_ms=32, hop_ms=16)
    assert win == 2 * hop
    assert abs(hop / sr - 0.016) < 1 / sr
    assert n_fft >= win


def test_offline_stft_matches_streaming(rng):
    stft = Stft(16000)
    y = rng.standard_normal((1, stft.hop * 10))
    st = stft.init_state(1)
    frames = np.stack([stft.analyze(y[:, i * stft.hop : (i + 1) * stft.hop], st) for i in range(10)], axis=1)
    np.testing.assert_allclose(stft.stft(y), frames, atol=1e-10)


def test_bad_parameters():
    with pytest.raises(ParameterError):
        Stft(16000, frame_ms=10, hop_ms=20)
    with pytest.raises(ParameterError):
        Stft(16000, frame_ms=-1)
    with pytest.raises(SampleRateError):
        Stft(0)
    with pytest.raises(SampleRateError):
        Stft(16000.5)
