"""Real-time streaming: the live engine, its ring buffer, PCM coding and audio devices.

* :class:`LiveEngine`, :class:`SimulatedDevice`, :class:`LatencyReport` -- device callback
  to enhancer to device, with a latency report.
* :class:`RingBuffer` -- lock-free single-producer single-consumer frame FIFO.
* :mod:`voxclean.stream.pcm` -- raw PCM / streaming WAV coding for pipes and sockets.
* :mod:`voxclean.stream.device` -- real devices via sounddevice (imported lazily).
"""

from __future__ import annotations

from .engine import LatencyReport, LiveEngine, SimulatedDevice, default_device_block
from .ringbuffer import RingBuffer

__all__ = ["LiveEngine", "LatencyReport", "SimulatedDevice", "RingBuffer", "default_device_block"]
