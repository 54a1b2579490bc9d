"""Composite measures of Hu & Loizou (2008): LLR, WSS, CSIG/CBAK/COVL."""

from __future__ import annotations

import numpy as np
import pytest

from voxclean.errors import SampleRateError
from voxclean.metrics import composite, llr, wss

pytest.importorskip("pesq")


def test_identical_is_perfect(speech) -> None:  # type: ignore[no-untyped-def]
    x, sr = speech
    assert llr(x, x, sr) == pytest.approx(0.0, abs=1e-9)
    assert wss(x, x, sr) == pytest.approx(0.0, abs=1e-9)
    result = composite(x, x, sr)
    assert set(result) == {"csig", "cbak", "covl", "llr", "wss", "segsnr", "pesq"}
    assert result["csig"] >= 4.8 and result["covl"] >= 4.8 and result["cbak"] >= 4.8


def test_monotone_over_snr(speech, mix) -> None:  # type: ignore[no-untyped-def]
    x, sr = speech
    results = [composite(x, mix(db), sr) for db in (0.0, 10.0, 20.0)]
    for key in ("csig", "cbak", "covl", "pesq", "segsnr"):
        values = [r[key] for r in results]
        assert values[0] < values[1] < values[2], key
    for key in ("llr", "wss"):
        values = [r[key] for r in results]
        assert values[0] > values[1] > values[2] > 0, key
    assert all(1.0 <= r[k] <= 5.0 for r in results for k in ("csig", "cbak", "covl"))
    assert all(0.0 <= r["llr"] <= 2.0 for r in results)


def test_composite_rates(speech, mix) -> None:  # type: ignore[no-untyped-def]
    soxr = pytest.importorskip("soxr")
    x, sr = speech
    y = mix(10.0)
    x8, y8 = (soxr.resample(s, sr, 8000).astype(np.float32) for s in (x, y))
    narrow = composite(x8, y8, 8000)
    assert 1.0 <= narrow["covl"] <= 5.0
    x4 = soxr.resample(x, sr, 4000).astype(np.float32)
    with pytest.raises(SampleRateError):
        composite(x4, x4, 4000)
    with pytest.raises(SampleRateError):
        wss(x4, x4, 4000)


def test_multichannel_is_channel_mean(speech, mix) -> None:  # type: ignore[no-untyped-def]
    x, sr = speech
    a, b = mix(5.0), mix(15.0)
    both = llr(np.stack([x, x]), np.stack([a, b]), sr)
    assert both == pytest.approx((llr(x, a, sr) + llr(x, b, sr)) / 2)
