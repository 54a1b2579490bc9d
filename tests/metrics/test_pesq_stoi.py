"""PESQ and STOI/ESTOI on real speech."""

from __future__ import annotations

import numpy as np
import pytest

from voxclean.errors import ParameterError, SampleRateError
from voxclean.metrics import estoi, pesq, stoi

pytest.importorskip("pesq")
pytest.importorskip("pystoi")
soxr = pytest.importorskip("soxr")


def test_pesq_identical_is_high(speech) -> None:  # type: ignore[no-untyped-def]
    x, sr = speech
    assert pesq(x, x, sr) > 4.0


def test_pesq_decreases_with_noise(speech, mix) -> None:  # type: ignore[no-untyped-def]
    x, sr = speech
    assert pesq(x, mix(0.0), sr) < pesq(x, mix(20.0), sr) < pesq(x, x, sr)


def test_pesq_narrowband_at_8k_and_resampling_from_44k(speech, mix) -> None:  # type: ignore[no-untyped-def]
    x, sr = speech
    y = mix(10.0)
    x8, y8 = (soxr.resample(s, sr, 8000).astype(np.float32) for s in (x, y))
    nb = pesq(x8, y8, 8000)  # mode None -> nb
    assert nb == pytest.approx(pesq(x8, y8, 8000, mode="nb"))
    assert 1.0 < nb < 4.6
    x44, y44 = (soxr.resample(s, sr, 44100).astype(np.float32) for s in (x, y))
    assert pesq(x44, y44, 44100) == pytest.approx(pesq(x, y, sr), abs=0.15)


def test_pesq_rate_errors(speech) -> None:  # type: ignore[no-untyped-def]
    x, sr = speech
    x4 = soxr.resample(x, sr, 4000).astype(np.float32)
    with pytest.raises(SampleRateError, match="8000"):
        pesq(x4, x4, 4000)
    x8 = soxr.resample(x, sr, 8000).astype(np.float32)
    with pytest.raises(SampleRateError, match="wideband"):
        pesq(x8, x8, 8000, mode="wb")
    with pytest.raises(ParameterError):
        pesq(x, x, sr, mode="xx")


def test_pesq_undefined_input_raises_parameter_error(speech) -> None:  # type: ignore[no-untyped-def]
    x, sr = speech
    with pytest.raises(ParameterError, match="pesq: .*silent"):
        pesq(x, np.zeros_like(x), sr)
    with pytest.raises(ParameterError, match="pesq: "):
        pesq(x[:2000], x[:2000], sr)  # shorter than 0.25 s


def test_stoi_monotone_in_snr(speech, mix) -> None:  # type: ignore[no-untyped-def]
    x, sr = speech
    values = [stoi(x, mix(db), sr) for db in (-5.0, 0.0, 10.0, 20.0)]
    assert values == sorted(values)
    assert stoi(x, x, sr) == pytest.approx(1.0, abs=1e-6)
    ext = [estoi(x, mix(db), sr) for db in (-5.0, 0.0, 10.0)]
    assert ext == sorted(ext)
    assert estoi(x, mix(0.0), sr) == pytest.approx(stoi(x, mix(0.0), sr, extended=True))


def test_stoi_too_short_raises(speech) -> None:  # type: ignore[no-untyped-def]
    x, sr = speech
    with pytest.raises(ParameterError, match="too little speech"):
        stoi(x[: sr // 10], x[: sr // 10], sr)
