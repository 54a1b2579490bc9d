"""Alignment and the score() front end."""

from __future__ import annotations

import math

import numpy as np
import pytest

from voxclean.errors import ChannelError, ParameterError, SampleRateError
from voxclean.metrics import METRICS, Score, align, available_metrics, score

soxr = pytest.importorskip("soxr")


def _delayed(y: np.ndarray, lag: int, extra: int) -> np.ndarray:
    """``y`` delayed by ``lag`` samples and ``extra`` samples longer in total."""
    return np.concatenate([np.zeros(lag, np.float32), y, np.zeros(extra - lag, np.float32)])


def test_align_finds_lag_both_ways(speech, mix) -> None:  # type: ignore[no-untyped-def]
    x, sr = speech
    y = mix(10.0)
    ref, est, info = align(x, _delayed(y, 40, 100), sr)
    assert info.lag_samples == 40 and info.length_mismatch == 100
    assert ref.shape == est.shape == (len(x),) and info.length == len(x)
    np.testing.assert_array_equal(est, y)
    ref, est, info = align(_delayed(x, 25, 25), y, sr)
    assert info.lag_samples == -25 and info.length_mismatch == -25
    np.testing.assert_array_equal(ref, x)
    _, _, info = align(np.stack([x, x]), np.stack([_delayed(y, 7, 7)] * 2), sr)
    assert info.lag_samples == 7


def test_score_misaligned_reports_and_matches_aligned(speech, mix) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("pesq")
    x, sr = speech
    y = mix(10.0)
    aligned = score(x, y, sr, metrics=["pesq", "si_sdr"])
    shifted = score(x, _delayed(y, 40, 100), sr, metrics=["pesq", "si_sdr"])
    assert shifted.alignment is not None and shifted.alignment.lag_samples == 40
    assert any("+40" in note for note in shifted.notes)
    assert any("100 samples longer" in note for note in shifted.notes)
    assert shifted["pesq"] == pytest.approx(aligned["pesq"], abs=0.05)
    assert shifted["si_sdr"] == pytest.approx(aligned["si_sdr"], abs=0.01)
    assert aligned.notes == []


def test_score_without_alignment_trims(speech, mix) -> None:  # type: ignore[no-untyped-def]
    x, sr = speech
    result = score(x, np.concatenate([mix(10.0), np.zeros(160, np.float32)]), sr, metrics="snr", align=False)
    assert result.alignment is None
    assert "estimate was 160 samples longer; trimmed" in result.notes
    assert result["snr"] == pytest.approx(10.0, abs=0.01)


def test_score_all_metrics_16k(speech, mix) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("pesq")
    pytest.importorskip("pystoi")
    x, sr = speech
    result = score(x, mix(10.0), sr)
    assert isinstance(result, Score)
    assert list(result) == list(METRICS) == available_metrics(sr)
    assert all(math.isfinite(v) for v in result.values())
    assert dict(result) == result.to_dict()


@pytest.mark.parametrize("rate", [8000, 44100])
def test_score_other_rates(speech, mix, rate: int) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("pesq")
    x, sr = speech
    xr, yr = (soxr.resample(s, sr, rate).astype(np.float32) for s in (x, mix(10.0)))
    result = score(xr, yr, rate, metrics=["pesq", "covl", "stoi"])
    assert all(math.isfinite(v) for v in result.values())
    assert 1.0 < result["pesq"] < 4.6


def test_score_low_rate_skips_or_raises(speech) -> None:  # type: ignore[no-untyped-def]
    x, sr = speech
    x4 = soxr.resample(x, sr, 4000).astype(np.float32)
    result = score(x4, x4, 4000)
    assert "pesq" not in result and "snr" in result
    assert any("skipped" in note and "pesq" in note for note in result.notes)
    with pytest.raises(SampleRateError, match="pesq"):
        score(x4, x4, 4000, metrics=["pesq"])


def test_score_undefined_metric_is_nan_with_note(speech) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("pesq")
    x, sr = speech
    result = score(x, np.zeros_like(x), sr, metrics=["pesq", "csig", "snr"])
    assert math.isnan(result["pesq"]) and math.isnan(result["csig"])
    assert math.isfinite(result["snr"])
    assert any(note.startswith("pesq:") and note.endswith("-> nan") for note in result.notes)


def test_score_bad_inputs(speech) -> None:  # type: ignore[no-untyped-def]
    x, sr = speech
    bad = x.copy()
    bad[100] = np.nan
    with pytest.raises(ParameterError):
        score(x, bad, sr)
    with pytest.raises(ParameterError, match="empty"):
        score(x, np.zeros(0, np.float32), sr)
    with pytest.raises(ChannelError):
        score(np.stack([x, x]), x, sr)
    with pytest.raises(SampleRateError):
        score(x, x, 16000.5)
    with pytest.raises(SampleRateError):
        score(x, x, 0)
    with pytest.raises(ParameterError, match="unknown"):
        score(x, x, sr, metrics=["mos"])
