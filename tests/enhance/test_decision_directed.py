"""The decision-directed a priori SNR options of the Wiener/MMSE family."""

from __future__ import annotations

import numpy as np

import voxclean
from voxclean.enhance.mmse import MmseLsa, MmseLsaParams, MmseStsaParams
from voxclean.enhance.omlsa import OmLsaParams
from voxclean.enhance.wiener import DecisionDirectedParams, WienerParams


def _gains_db(enh: MmseLsa, x: np.ndarray) -> np.ndarray:
    """Per-frame gains in dB [shape=(frames, F)] of ``enh`` on ``x`` [shape=(T,)]."""
    state = enh.init_state(1)
    hop = enh.block_size
    out = []
    for i in range(0, x.size - hop + 1, hop):
        spec = enh.stft.analyze(x[np.newaxis, i : i + hop], state.stft)
        power = spec.real**2 + spec.imag**2
        noise = enh.noise_estimator.update(power, state.noise)
        out.append(20 * np.log10(np.clip(enh._gain(power, noise, state), enh.gain_floor, 1.0))[0])
    return np.array(out)


def test_ml_smoothing_defaults():
    """On for mmse-lsa only; the rest of the family keeps the plain decision-directed rule."""
    for params in (DecisionDirectedParams(), WienerParams(), MmseStsaParams(), OmLsaParams()):
        assert params.ml_smoothing is False
    assert MmseLsaParams().ml_smoothing is True


def test_ml_smoothing_reduces_musical_noise(rng):
    """On white noise alone, frequency smoothing of the ML term leaves fewer open bins (tones)."""
    x = (0.05 * rng.standard_normal(16000 * 4)).astype(np.float32)
    plain = _gains_db(MmseLsa(16000, MmseLsaParams(ml_smoothing=False)), x)[100:]
    smoothed = _gains_db(MmseLsa(16000, MmseLsaParams(ml_smoothing=True)), x)[100:]
    for threshold_db in (-10.0, -6.0, -3.0):
        assert np.mean(smoothed > threshold_db) < np.mean(plain > threshold_db), threshold_db


def test_ml_smoothing_changes_only_the_ml_term(noisy_speech):
    """The option is reachable as a method parameter and changes the output."""
    a = voxclean.enhance(noisy_speech, 16000, method="mmse-lsa")
    b = voxclean.enhance(noisy_speech, 16000, method="mmse-lsa", ml_smoothing=False)
    assert np.isfinite(a).all() and a.shape == b.shape
    assert not np.array_equal(a, b)
