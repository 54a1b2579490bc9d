"""Noise trackers follow real noise under real speech, with no voice-activity oracle."""

from __future__ import annotations

import numpy as np
import pytest

from voxclean.dsp.stft import Stft
from voxclean.noise import Imcra, MinimumStatistics, SppNoise, profile_from_clip

from ..conftest import mix_at_snr

TRACKERS = {"imcra": Imcra, "min_stats": MinimumStatistics, "spp": SppNoise}


def _track(tracker_cls, x: np.ndarray, stft: Stft) -> np.ndarray:
    tracker = tracker_cls(stft.hop / stft.sample_rate)
    state = tracker.init_state(1, stft.n_bins)
    power = np.abs(stft.stft(x[np.newaxis])[0]) ** 2
    return np.array([tracker.update(p[np.newaxis], state)[0].copy() for p in power])


def _true_psd(noise: np.ndarray, stft: Stft, frames: int = 60) -> np.ndarray:
    power = np.abs(stft.stft(noise[np.newaxis])[0]) ** 2
    kernel = np.ones(frames) / frames
    return np.apply_along_axis(lambda c: np.convolve(c, kernel, mode="same"), 0, power)


def _speech_band(stft: Stft) -> slice:
    return slice(int(200 / stft.sample_rate * stft.n_fft), int(6000 / stft.sample_rate * stft.n_fft))


@pytest.mark.parametrize("name", TRACKERS)
@pytest.mark.parametrize("noise_name", ["aircon", "street"])
def test_estimate_under_speech_is_close_to_true_noise(name, noise_name, speech, noises):
    stft = Stft(16000)
    noise = noises[noise_name][: speech.size]
    x = mix_at_snr(speech, noise, 5.0)
    scaled_noise = x - speech
    est = _track(TRACKERS[name], x, stft)
    true = _true_psd(scaled_noise, stft)
    start = int(2.0 * 16000 / stft.hop)  # after the trackers' start-up window
    err_db = 10 * np.log10(est[start:, _speech_band(stft)] / true[start:, _speech_band(stft)])
    assert abs(np.median(err_db)) < 4.0, np.median(err_db)


@pytest.mark.parametrize("name", TRACKERS)
def test_follows_a_rise_of_the_noise_level(name, noises):
    """+12 dB step in the noise level half-way: the estimate must follow within 2.5 s."""
    stft = Stft(16000)
    noise = np.tile(noises["aircon"], 2)[: 16000 * 10].copy()
    noise[16000 * 5 :] *= 10 ** (12 / 20)
    est = _track(TRACKERS[name], noise, stft)
    true = _true_psd(noise, stft, frames=20)
    band = _speech_band(stft)
    frame = int(7.5 * 16000 / stft.hop)
    err_db = 10 * np.log10(est[frame:, band] / true[frame:, band])
    assert abs(np.median(err_db)) < 4.0, np.median(err_db)


def test_profile_from_clip_matches_mean_power(noises):
    stft = Stft(16000)
    clip = noises["aircon"][:32000]
    prof = profile_from_clip(clip, stft)
    true = np.mean(np.abs(stft.stft(clip[np.newaxis])[0, 2:]) ** 2, axis=0)
    band = _speech_band(stft)
    assert np.allclose(prof.psd[band], true[band], rtol=0.05)
    assert np.all(prof.log_std_db[band] > 1.0)
