"""Pause attenuation and speech level change on real speech and noise."""

from __future__ import annotations

import numpy as np
import pytest

from voxclean.errors import ParameterError
from voxclean.metrics import pause_attenuation, speech_level_change


def test_known_gains_are_measured(speech, noise):
    x, sr = speech
    x = np.concatenate([np.zeros(sr // 2, np.float32), x])  # half a second of true silence first
    noisy = x + 0.03 * np.concatenate([noise[: sr // 2], noise])
    # speech kept, noise 20 dB down everywhere: the pauses hold noise only, so -20 dB there
    est = x + 0.1 * (noisy - x)
    assert pause_attenuation(x, noisy, est, sample_rate=sr) == pytest.approx(-20.0, abs=0.5)
    # passing the input through removes nothing
    assert pause_attenuation(x, noisy, noisy, sample_rate=sr) == pytest.approx(0.0, abs=1e-9)
    assert speech_level_change(x, 0.5 * x, sample_rate=sr) == pytest.approx(-6.02, abs=0.01)
    assert speech_level_change(x, x, sample_rate=sr) == pytest.approx(0.0, abs=1e-9)


def test_no_pause_gives_nan_and_bad_input_is_refused(speech, noise):
    x, sr = speech
    steady = 0.1 * noise  # a reference with no frame 50 dB below its loudest
    assert np.isnan(pause_attenuation(steady, steady + 0.01, steady, sample_rate=sr))
    with pytest.raises(ParameterError):
        speech_level_change(np.zeros(sr), np.zeros(sr), sample_rate=sr)
    with pytest.raises(ParameterError):
        pause_attenuation(x[:100], x[:100], x[:100], sample_rate=sr)
    with pytest.raises(ParameterError):
        speech_level_change(x, x[:-1], sample_rate=sr)


def test_channels_are_pooled(speech):
    x, sr = speech
    two = np.stack([x, x])
    assert speech_level_change(two, 2 * two, sample_rate=sr) == pytest.approx(6.02, abs=0.01)
