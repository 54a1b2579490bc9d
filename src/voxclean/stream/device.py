"""Real audio devices through ``sounddevice`` (PortAudio), imported only when used.

``pip install "voxclean[live]"`` installs sounddevice; on Linux PortAudio itself
comes from the system (``apt install libportaudio2``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from ..errors import VoxcleanError
from .engine import LatencyReport, LiveEngine

__all__ = ["import_sounddevice", "list_devices", "run_device", "DeviceError"]


class DeviceError(VoxcleanError):
    """No usable audio device, or sounddevice/PortAudio is missing."""


def import_sounddevice() -> Any:
    """Import and return the ``sounddevice`` module, or raise :class:`DeviceError` saying how to get it."""
    try:
        import sounddevice
    except ImportError as exc:
        raise DeviceError('live audio needs sounddevice: pip install "voxclean[live]"') from exc
    except OSError as exc:  # sounddevice raises OSError when the PortAudio library is missing
        raise DeviceError(f"PortAudio library not found ({exc}); install it, e.g. apt install libportaudio2") from exc
    return sounddevice


def list_devices() -> list[dict[str, Any]]:
    """The audio devices PortAudio sees: index, name, host API, channels, default rate, default flags."""
    sd = import_sounddevice()
    try:
        devices = sd.query_devices()
        default_in, default_out = sd.default.device
    except Exception as exc:  # PortAudio errors are plain exceptions
        raise DeviceError(f"cannot query audio devices ({exc})") from exc
    apis = sd.query_hostapis()
    out = []
    for i, d in enumerate(devices):
        out.append({
            "index": i,
            "name": d["name"],
            "hostapi": apis[d["hostapi"]]["name"],
            "max_input_channels": d["max_input_channels"],
            "max_output_channels": d["max_output_channels"],
            "default_samplerate": d["default_samplerate"],
            "default_input": i == default_in,
            "default_output": i == default_out,
        })
    return out


def default_samplerate(device: int | str | None, kind: str = "input") -> int:
    """The default rate of ``device`` (or the default device) in Hz."""
    sd = import_sounddevice()
    try:
        return int(sd.query_devices(device, kind)["default_samplerate"])
    except Exception as exc:
        raise DeviceError(f"audio device {device!r} not found ({exc})") from exc


def run_device(
    engine: LiveEngine,
    *,
    input_device: int | str | None = None,
    output_device: int | str | None = None,
    duration_s: float | None = None,
    stop: threading.Event | None = None,
    on_tick: Callable[[LatencyReport], Any] | None = None,
    tick_s: float = 1.0,
) -> LatencyReport:
    """Run ``engine`` on a duplex PortAudio stream until ``duration_s`` passes or ``stop`` is set.

    Parameters
    ----------
    engine : LiveEngine
        Not yet started; its sample rate, channels and device block are used.
    input_device, output_device : int, str or None
        PortAudio device index or name substring; None: the system default.
    duration_s : float or None
        Stop after this many seconds; None runs until ``stop`` is set (or KeyboardInterrupt).
    stop : threading.Event or None
    on_tick : callable or None
        Called with the current report every ``tick_s`` seconds (from this thread).

    Returns
    -------
    LatencyReport
        The final report.
    """
    sd = import_sounddevice()
    stop = stop or threading.Event()

    def callback(indata: Any, outdata: Any, frames: int, time_info: Any, status: Any) -> None:
        if status.input_overflow:
            engine._overruns += 1
        engine.callback(indata, outdata)

    try:
        stream = sd.Stream(
            samplerate=engine.sample_rate, blocksize=engine.device_block, device=(input_device, output_device),
            channels=engine.channels, dtype="float32", latency="low", callback=callback,
        )
    except Exception as exc:
        raise DeviceError(f"cannot open audio devices in={input_device!r} out={output_device!r} at "
                          f"{engine.sample_rate} Hz, {engine.channels} ch ({exc})") from exc
    lat = stream.latency
    engine.device_latency_s = float(sum(lat)) if isinstance(lat, (tuple, list)) else float(lat)
    engine.start()
    t_end = None if duration_s is None else time.monotonic() + duration_s
    try:
        with stream:
            while not stop.is_set() and (t_end is None or time.monotonic() < t_end):
                stop.wait(tick_s if t_end is None else max(0.0, min(tick_s, t_end - time.monotonic())))
                if on_tick is not None:
                    on_tick(engine.report())
    finally:
        report = engine.stop()
    return report
