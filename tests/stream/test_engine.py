"""The live engine driven by a simulated real-time device with real speech + noise."""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest

import voxclean
from voxclean.errors import ParameterError
from voxclean.stream import LiveEngine, SimulatedDevice


def _check_against_offline(out, offline, delay, block, n):
    """Every device callback's block of ``out`` is the offline output delayed by ``delay``, or silence (an underrun)."""
    silent = 0
    for s in range(0, out.shape[1], block):  # the device's callback grid
        got = out[:, s : s + block]
        idx = np.arange(s, s + got.shape[1]) - delay
        ok = (idx >= 0) & (idx < n)
        if not ok.any():
            continue
        if np.allclose(got[:, ok], offline[:, idx[ok]], atol=1e-5):
            continue
        assert not got.any(), f"block at {s} is neither the offline output nor silence"
        silent += 1
    return silent


def _run(enh, x, *, speed=1.0, device_block=None, margin_ms=0.0):
    eng = LiveEngine(enh, channels=x.shape[0], device_block=device_block, margin_ms=margin_ms)
    dev = SimulatedDevice(x, eng.device_block, enh.sample_rate, speed=speed, tail=eng.delay_frames + eng.device_block)
    with eng:
        out = dev.run(eng)
    return eng, dev, out, eng.report()


def test_live_equals_offline_in_real_time(noisy_speech):
    x = noisy_speech[None, : 2 * 16000]  # 2 s of speech in aircon noise, paced at real time
    enh = voxclean.create("omlsa", 16000)
    eng, dev, out, rep = _run(enh, x)
    offline = voxclean.run_offline(enh, x, 16000)
    silent = _check_against_offline(out, offline, eng.delay_frames, eng.device_block, x.shape[1])
    assert silent <= rep.underruns
    # the callback only copies: far below one device period even on a busy machine
    assert np.median(dev.callback_s) < 1e-3
    # latency report
    assert rep.algorithmic_ms == pytest.approx(16.0)
    assert rep.total_ms == pytest.approx(rep.algorithmic_ms + rep.buffering_ms)
    assert rep.total_ms < 50.0
    assert rep.total_ms == pytest.approx(1000 * (eng.delay_frames + eng.device_block) / 16000)
    assert rep.blocks >= x.shape[1] // enh.block_size
    assert 0 < rep.block_p50_ms <= rep.block_p99_ms <= rep.block_max_ms
    assert rep.block_p50_ms < rep.block_budget_ms
    assert rep.overruns == 0
    assert "underruns" in rep.summary()


@pytest.mark.parametrize("device_block", [160, 256, 441])
def test_any_device_block_stereo_pipeline(noisy_speech, speech, device_block):
    x = np.stack([noisy_speech[:16000], speech[:16000]])
    pipe = voxclean.Pipeline([voxclean.create("gating", 16000, strength_db=6), voxclean.create("mmse-lsa", 16000)])
    eng, _, out, rep = _run(pipe, x, speed=2.0, device_block=device_block, margin_ms=8.0)
    offline = voxclean.run_offline(pipe, x, 16000)
    assert rep.algorithmic_ms == pytest.approx(32.0)
    assert _check_against_offline(out, offline, eng.delay_frames, device_block, x.shape[1]) <= rep.underruns


class _Slow:
    """An enhancer that is sometimes much slower than real time."""

    def __init__(self, inner, every=10, sleep_s=0.05):
        self.inner, self.every, self.sleep_s = inner, every, sleep_s
        self.sample_rate, self.block_size, self.latency, self.channels = (
            inner.sample_rate, inner.block_size, inner.latency, inner.channels)
        self.n = 0

    def init_state(self, n):
        return self.inner.init_state(n)

    def process(self, block, state):
        self.n += 1
        if self.n % self.every == 0:
            time.sleep(self.sleep_s)
        return self.inner.process(block, state)

    def params(self):
        return self.inner.params()


def test_late_processing_plays_silence_and_keeps_alignment(noisy_speech):
    x = noisy_speech[None, : 16000]
    inner = voxclean.create("wiener", 16000)
    eng, dev, out, rep = _run(_Slow(inner), x)
    assert rep.underruns > 0  # 50 ms stalls against a 24 ms buffer
    assert max(dev.callback_s) < 0.02  # the callback never waited for the model
    offline = voxclean.run_offline(inner, x, 16000)
    silent = _check_against_offline(out, offline, eng.delay_frames, eng.device_block, x.shape[1])
    assert 0 < silent <= rep.underruns  # late audio was dropped, not played late


def test_nonfinite_input_is_zeroed_and_counted(noisy_speech):
    x = noisy_speech[None, : 8000].copy()
    x[0, 1000:1010] = np.nan
    with pytest.warns(RuntimeWarning, match="non-finite"):
        eng, _, out, rep = _run(voxclean.create("wiener", 16000), x, speed=2.0, margin_ms=8)
    assert rep.nonfinite == 10 and np.isfinite(out).all()


def test_bad_arguments():
    enh = voxclean.create("wiener", 16000)
    with pytest.raises(ParameterError):
        LiveEngine(enh, margin_ms=-1)
    with pytest.raises(ParameterError):
        SimulatedDevice(np.zeros(10), 0, 16000)


def test_device_module_is_lazy(monkeypatch):
    from voxclean.stream import device

    monkeypatch.setitem(sys.modules, "sounddevice", None)  # as if not installed
    with pytest.raises(device.DeviceError, match="voxclean\\[live\\]"):
        device.list_devices()


def test_switch_interval_lowered_while_running_and_restored():
    before = sys.getswitchinterval()
    eng = LiveEngine(voxclean.create("wiener", 16000), switch_interval_s=0.0005)
    with eng:
        assert sys.getswitchinterval() == pytest.approx(min(before, 0.0005))
    assert sys.getswitchinterval() == before
    with LiveEngine(voxclean.create("wiener", 16000), switch_interval_s=None):
        assert sys.getswitchinterval() == before
    with pytest.raises(ParameterError):
        LiveEngine(voxclean.create("wiener", 16000), switch_interval_s=0)


def test_report_says_whether_processing_ran_with_realtime_priority(noisy_speech):
    import os

    x = noisy_speech[None, :8000]
    for want in (False, True):
        eng = LiveEngine(voxclean.create("wiener", 16000), realtime=want)
        with eng:
            SimulatedDevice(x, eng.device_block, 16000, speed=4.0, tail=eng.delay_frames, realtime=want).run(eng)
        assert eng.report().realtime is eng.realtime
        if not want:
            assert eng.realtime is False
        elif hasattr(os, "sched_setscheduler") and os.geteuid() == 0:
            assert eng.realtime is True  # root may always ask SCHED_FIFO
    if hasattr(os, "sched_getscheduler"):
        assert os.sched_getscheduler(0) == os.SCHED_OTHER  # the simulated device gave its priority back


def test_gc_frozen_at_start():
    import gc

    base = gc.get_freeze_count()
    with LiveEngine(voxclean.create("wiener", 16000)):
        assert gc.get_freeze_count() > base  # a full collection will not scan the objects made before start
    frozen = gc.get_freeze_count()
    with LiveEngine(voxclean.create("wiener", 16000), freeze_gc=False):
        assert gc.get_freeze_count() == frozen
