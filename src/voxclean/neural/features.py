"""Input features of the neural denoiser, shared by training and inference.

numpy only: the training data pipeline (:mod:`voxclean.neural.data`) and the ONNX
runtime (:mod:`voxclean.neural.runtime`) both call these functions, so the model
sees exactly the same features in both places.

Framing is :class:`voxclean.dsp.stft.Stft` at 16 kHz with a 20 ms square-root Hann
window and a 10 ms hop (320-point FFT, 161 bins). Per frame ``t`` and bin ``k``:

* ``lp[t, k] = log10(|X[t, k]|^2 + POWER_EPS)`` (log power),
* ``mu[t, k] = a * mu[t-1, k] + (1 - a) * lp[t, k]``, a causal running mean with a
  time constant of :data:`NORM_TIME_S` (state, starting at :data:`NORM_INIT`),
* feature ``[0:161]  = (lp - mu) * FEATURE_SCALE`` (each bin against its own
  history: a running a-posteriori SNR in log units),
* feature ``[161:322] = (lp - mean_k(mu)) * FEATURE_SCALE`` (the spectral shape
  with the overall level removed).

Both halves are invariant to the input level once the running mean has settled,
so the network is trained on -40..-10 dBFS input and works at any level.

A model built with ``noise_floor`` (:class:`voxclean.neural.model.ModelConfig`) also gets
a third block, the log power against a tracked noise floor (state, per bin):

* ``s[t, k] = b * s[t-1, k] + (1 - b) * lp[t, k]``, a short smoothing (time constant
  :data:`FLOOR_SMOOTH_S`; ``s[0] = lp[0]``),
* ``n[t, k]``: the minimum of ``s[., k]`` over the current block of
  :data:`FLOOR_BLOCK_FRAMES` frames (so far) and the :data:`FLOOR_BLOCKS` - 1 blocks
  before it (frames are counted in blocks from the first frame; 1.5-1.75 s in all),
  the minimum-statistics noise estimate without its bias correction,
* feature ``[322:483] = (lp - n) * FEATURE_SCALE``: the a-posteriori SNR against that
  noise estimate, which speech cannot lift unless it fills a bin for the whole window.

The recurrent network could learn such a minimum itself; the block hands it a
noise estimate that does not depend on what its state has learnt to keep.

A model with a deep-filter head also gets, for its lowest bins, the unit phase
advance from the previous frame, ``u[t, k] = z / sqrt(|z|^2 + PHASE_EPS)`` with
``z = X[t, k] conj(X[t-1, k])`` (:func:`phase_advance`; ``X[-1] = 0``), as real and
imaginary parts (:func:`df_features`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import scipy.signal

from ..dsp.stft import Stft

__all__ = [
    "SAMPLE_RATE",
    "FRAME_MS",
    "HOP_MS",
    "N_BINS",
    "N_FEATURES",
    "n_features",
    "FeatureState",
    "FloorState",
    "make_stft",
    "model_latency",
    "init_feature_state",
    "frame_features",
    "signal_features",
    "signal_floor",
    "top_band_gain",
    "phase_advance",
    "signal_phase_advance",
    "df_features",
    "FORMAT_VERSION",
    "feature_spec",
]

#: Rate the model runs at (Hz).
SAMPLE_RATE = 16000
#: Analysis window (ms) and hop (ms); latency = FRAME_MS - HOP_MS = 10 ms.
FRAME_MS = 20.0
HOP_MS = 10.0
#: Spectrum size (rfft bins of a 320-point frame).
N_BINS = 161
#: Feature vector length per frame.
N_FEATURES = 2 * N_BINS
#: Added to |X|^2 before the log (about -140 dB re full scale per bin).
POWER_EPS = 1e-12
#: Time constant of the running log-power mean (s).
NORM_TIME_S = 1.0
#: Initial value of the running mean (log10 power; about a -40 dBFS speech spectrum).
NORM_INIT = -4.0
#: Scale of both feature halves (log10 units -> roughly unit variance).
FEATURE_SCALE = 0.5
#: Regularizes the phase advance of near-silent bins towards 0 (|z| is a power squared).
PHASE_EPS = POWER_EPS**2
#: Time constant (s) of the smoothing before the noise-floor tracker.
FLOOR_SMOOTH_S = 0.03
#: Frames per block of the noise-floor minimum (250 ms).
FLOOR_BLOCK_FRAMES = 25
#: Blocks the minimum spans: the current one and the ones before it.
FLOOR_BLOCKS = 6
#: Bins whose mean gain drives the band above 8 kHz at higher rates (6.5-8 kHz).
TOP_BAND_FIRST_BIN = 130


def n_features(noise_floor: bool = False) -> int:
    """Feature vector length per frame: :data:`N_FEATURES`, plus :data:`N_BINS` with the noise-floor block."""
    return N_FEATURES + (N_BINS if noise_floor else 0)


def make_stft() -> Stft:
    """The model's STFT (16 kHz, 20 ms window, 10 ms hop)."""
    return Stft(SAMPLE_RATE, frame_ms=FRAME_MS, hop_ms=HOP_MS)


def model_latency(lookahead: int = 0) -> int:
    """Algorithmic latency in 16 kHz samples: the STFT's (window - hop) plus ``lookahead`` hops."""
    stft = make_stft()
    return stft.latency + lookahead * stft.hop


#: Per-frame decay of the running log-power mean.
_ALPHA = float(np.exp(-HOP_MS / 1000.0 / NORM_TIME_S))
#: Per-frame decay of the smoothing before the noise-floor tracker.
_FLOOR_B = float(np.exp(-HOP_MS / 1000.0 / FLOOR_SMOOTH_S))


@dataclass
class FeatureState:
    """Per-stream feature memory, one row per channel.

    Attributes
    ----------
    mean : np.ndarray [shape=(C, N_BINS)]
        Running log-power mean.
    floor : FloorState or None
        The noise-floor tracker's memory; ``None`` for a model without that block.
    """

    mean: np.ndarray
    floor: FloorState | None = None

    @classmethod
    def concat(cls, states: list[FeatureState]) -> FeatureState:
        """The rows of ``states`` stacked into one state (each row keeps its own memory)."""
        mean = np.concatenate([st.mean for st in states], axis=0)
        if states[0].floor is None:
            return cls(mean)
        return cls(mean, FloorState.concat([st.floor for st in states]))

    def split(self, cuts: np.ndarray) -> list[FeatureState]:
        """Inverse of :meth:`concat`: the rows cut before each index of ``cuts``."""
        means = np.split(self.mean, cuts, axis=0)
        if self.floor is None:
            return [FeatureState(m) for m in means]
        return [FeatureState(m, fl) for m, fl in zip(means, self.floor.split(cuts), strict=True)]


@dataclass
class FloorState:
    """Memory of the noise-floor tracker, one row per channel.

    Attributes
    ----------
    smooth : np.ndarray [shape=(C, N_BINS)]
        Smoothed log power.
    run : np.ndarray [shape=(C, N_BINS)]
        Minimum of ``smooth`` over the current block so far.
    blocks : np.ndarray [shape=(C, FLOOR_BLOCKS - 1, N_BINS)]
        Minima of the blocks before it, oldest first (``+inf`` before the first ones).
    prior : np.ndarray [shape=(C, N_BINS)]
        The minimum over ``blocks`` (kept, as it changes once per block).
    frames : np.ndarray [shape=(C,)], int64
        Frames seen (0: the tracker starts at the next frame).
    """

    smooth: np.ndarray
    run: np.ndarray
    blocks: np.ndarray
    prior: np.ndarray
    frames: np.ndarray

    @classmethod
    def concat(cls, states: list[FloorState]) -> FloorState:
        """The rows of ``states`` stacked into one state, field by field."""
        return cls(*(np.concatenate([getattr(st, f.name) for st in states], axis=0) for f in fields(cls)))

    def split(self, cuts: np.ndarray) -> list[FloorState]:
        """Inverse of :meth:`concat`: the rows cut before each index of ``cuts``."""
        parts = [np.split(getattr(self, f.name), cuts, axis=0) for f in fields(self)]
        return [FloorState(*rows) for rows in zip(*parts, strict=True)]


def init_feature_state(n_channels: int, noise_floor: bool = False) -> FeatureState:
    """Fresh feature state for ``n_channels`` channels (with the tracker's memory for ``noise_floor``)."""
    mean = np.full((n_channels, N_BINS), NORM_INIT, np.float64)
    if not noise_floor:
        return FeatureState(mean)
    floor = FloorState(
        smooth=np.zeros((n_channels, N_BINS), np.float64),
        run=np.full((n_channels, N_BINS), np.inf),
        blocks=np.full((n_channels, FLOOR_BLOCKS - 1, N_BINS), np.inf),
        prior=np.full((n_channels, N_BINS), np.inf),
        frames=np.zeros(n_channels, np.int64),
    )
    return FeatureState(mean, floor)


def _log_power(spec: np.ndarray) -> np.ndarray:
    return np.log10(spec.real**2 + spec.imag**2 + POWER_EPS)


def _track_floor(lp: np.ndarray, state: FloorState) -> np.ndarray:
    """One frame of the noise-floor tracker: ``lp [C, N_BINS]`` -> floor ``[C, N_BINS]`` (state updated)."""
    frames = state.frames
    smooth = _FLOOR_B * state.smooth + (1.0 - _FLOOR_B) * lp
    pos = frames % FLOOR_BLOCK_FRAMES  # position in the current block
    if pos.all():  # the common case: every row inside a block
        run = np.minimum(state.run, smooth)
    else:
        fresh = frames == 0
        smooth[fresh] = lp[fresh]
        run = np.where((pos == 0)[:, None], smooth, np.minimum(state.run, smooth))
    floor = np.minimum(run, state.prior)
    ends = pos == FLOOR_BLOCK_FRAMES - 1  # the block is complete: it joins the window
    if ends.any():  # new arrays: states are replaced, never written into
        blocks = state.blocks.copy()
        blocks[ends] = np.concatenate([blocks[ends, 1:], run[ends, None]], axis=1)
        state.blocks, state.prior = blocks, blocks.min(axis=1)
    state.smooth, state.run, state.frames = smooth, run, frames + 1
    return floor


def frame_features(spec: np.ndarray, state: FeatureState) -> np.ndarray:
    """Features of one frame (streaming).

    Parameters
    ----------
    spec : np.ndarray [shape=(C, N_BINS)], complex
        One spectrum per channel from :meth:`Stft.analyze`.
    state : FeatureState
        Updated in place. A state with the tracker's memory (``init_feature_state(C,
        noise_floor=True)``) adds the noise-floor block.

    Returns
    -------
    np.ndarray [shape=(C, n_features(state.floor is not None))], float32
    """
    lp = _log_power(spec)
    a = _ALPHA
    state.mean = a * state.mean + (1.0 - a) * lp
    out = np.empty((lp.shape[0], n_features(state.floor is not None)), np.float64)
    np.subtract(lp, state.mean, out=out[:, :N_BINS])
    # the mean over bins as np.mean computes it (sum, then divide), without its per-call overhead
    np.subtract(lp, np.add.reduce(state.mean, axis=1, keepdims=True) / N_BINS, out=out[:, N_BINS:N_FEATURES])
    if state.floor is not None:
        np.subtract(lp, _track_floor(lp, state.floor), out=out[:, N_FEATURES:])
    out *= FEATURE_SCALE
    return out.astype(np.float32)


def signal_floor(lp: np.ndarray) -> np.ndarray:
    """The tracked noise floor of every frame of ``lp [shape=(..., T, N_BINS)]`` (log10 power), from a fresh state."""
    t_len = lp.shape[-2]
    if not t_len:
        return np.empty_like(lp)
    b = _FLOOR_B
    zi = b * lp[..., :1, :]  # s[0] = lp[0]
    smooth = scipy.signal.lfilter([1.0 - b], [1.0, -b], lp, axis=-2, zi=zi)[0]
    v = FLOOR_BLOCK_FRAMES
    n_blocks = -(-t_len // v)
    pad = [(0, 0)] * (lp.ndim - 2) + [(0, n_blocks * v - t_len), (0, 0)]
    blocks = np.pad(smooth, pad, constant_values=np.inf).reshape(lp.shape[:-2] + (n_blocks, v, lp.shape[-1]))
    run = np.minimum.accumulate(blocks, axis=-2)  # minimum within each block so far
    done = run[..., -1, :]  # each block's minimum [..., n_blocks, K]
    before = np.full_like(done, np.inf)  # minimum of the FLOOR_BLOCKS - 1 blocks before each block
    for d in range(1, FLOOR_BLOCKS):
        np.minimum(before[..., d:, :], done[..., :-d, :], out=before[..., d:, :])
    floor = np.minimum(run, before[..., None, :])
    return floor.reshape(lp.shape[:-2] + (n_blocks * v, lp.shape[-1]))[..., :t_len, :]


def signal_features(spec: np.ndarray, noise_floor: bool = False) -> np.ndarray:
    """Features of a whole spectrogram (training), equal to the frame loop.

    Parameters
    ----------
    spec : np.ndarray [shape=(..., T, N_BINS)], complex
        Spectrogram on the streaming frame grid (:meth:`Stft.stft`), starting from
        a fresh state.
    noise_floor : bool
        Add the noise-floor block.

    Returns
    -------
    np.ndarray [shape=(..., T, n_features(noise_floor))], float32
    """
    lp = _log_power(spec)
    a = _ALPHA
    zi = np.full(lp.shape[:-2] + (1, lp.shape[-1]), a * NORM_INIT)
    mean = scipy.signal.lfilter([1.0 - a], [1.0, -a], lp, axis=-2, zi=zi)[0]
    blocks = [lp - mean, lp - mean.mean(axis=-1, keepdims=True)]
    if noise_floor:
        blocks.append(lp - signal_floor(lp))
    return (np.concatenate(blocks, axis=-1) * FEATURE_SCALE).astype(np.float32)


def phase_advance(spec: np.ndarray, prev: np.ndarray) -> np.ndarray:
    """Unit inter-frame phase advance ``u`` of each bin (0 where both frames are silent).

    Parameters
    ----------
    spec, prev : np.ndarray [shape=(..., F)], complex
        This frame's and the previous frame's spectrum.

    Returns
    -------
    np.ndarray [shape=(..., F)], complex128, ``|u| <= 1``
    """
    z = spec.astype(np.complex128) * np.conj(prev)
    return z / np.sqrt(z.real**2 + z.imag**2 + PHASE_EPS)


def signal_phase_advance(spec: np.ndarray) -> np.ndarray:
    """:func:`phase_advance` of every frame of ``spec [shape=(..., T, F)]`` (frame -1 is silent)."""
    prev = np.zeros_like(spec)
    prev[..., 1:, :] = spec[..., :-1, :]
    return phase_advance(spec, prev)


def df_features(u: np.ndarray) -> np.ndarray:
    """Input of the deep-filter head: ``[real(u), imag(u)]`` ``[shape=(..., 2F)]`` float32."""
    return np.concatenate([u.real, u.imag], axis=-1).astype(np.float32)


def top_band_gain(gains: np.ndarray) -> np.ndarray:
    """Gain applied to the band above 8 kHz: mean gain of the top bins (6.5-8 kHz).

    Parameters
    ----------
    gains : np.ndarray [shape=(..., N_BINS)]

    Returns
    -------
    np.ndarray [shape=(...)]
    """
    return np.add.reduce(gains[..., TOP_BAND_FIRST_BIN:], axis=-1) / (N_BINS - TOP_BAND_FIRST_BIN)


#: Version of the input/output/metadata contract between export and runtime.
FORMAT_VERSION = "2"


def feature_spec(noise_floor: bool = False) -> dict:
    """The feature constants (stored in every exported model and checked by the runtime).

    The noise-floor constants are included only for a model with that block, so the
    specification of a model without it is unchanged.
    """
    spec = {
        "sample_rate": SAMPLE_RATE,
        "frame_ms": FRAME_MS,
        "hop_ms": HOP_MS,
        "n_bins": N_BINS,
        "n_features": N_FEATURES,
        "power_eps": POWER_EPS,
        "norm_time_s": NORM_TIME_S,
        "norm_init": NORM_INIT,
        "feature_scale": FEATURE_SCALE,
        "phase_eps": PHASE_EPS,
    }
    if noise_floor:
        spec.update(
            n_features=n_features(True),
            floor_smooth_s=FLOOR_SMOOTH_S,
            floor_block_frames=FLOOR_BLOCK_FRAMES,
            floor_blocks=FLOOR_BLOCKS,
        )
    return spec
