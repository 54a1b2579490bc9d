"""Streaming ONNX runtime of the neural denoiser (numpy + onnxruntime only).

:class:`NeuralEnhancer` is an :class:`~voxclean.enhance.base.Enhancer`. At 16 kHz
each 10 ms block is one model frame: STFT (:mod:`voxclean.neural.features`
framing), features, one ONNX step per channel with that channel's GRU state, gains
limited to ``strength_db`` of attenuation, inverse STFT. Latency 160 samples (10 ms).

At any other rate the block goes through a streaming :class:`voxclean.io.Resampler`
to 16 kHz and back. The output is::

    y = up(enhanced_16k) + g_top * (x_delayed - up(x_16k_delayed))

where ``up`` is the resampler back to the input rate, ``x_delayed`` the input
delayed by the declared latency and ``g_top`` the model's gain of its top band
(6.5-8 kHz), also carried through ``up``. The second term is the part of the input
that the 16 kHz path cannot represent (above 8 kHz at rates > 16 kHz): it is kept
and attenuated like the top band, never silently dropped; below 16 kHz it is about
zero. Both paths are delayed by the same amount, so with ``strength_db=0`` the
output is the input. The latency at such rates is the model's delay plus a fixed
FIFO that absorbs the resamplers' buffering (found once per rate and block size by
simulating the sample counts, which do not depend on the signal), so it is exact
and constant.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .._typing import Audio
from .._validate import valid_sr
from ..config import Params
from ..errors import ModelError, ParameterError
from ..io.resample import Resampler
from . import features as F
from .features import FORMAT_VERSION, feature_spec

__all__ = ["NeuralParams", "NeuralEnhancer", "NeuralModel", "load_model", "DEFAULT_MODEL"]

#: File name of the packaged model (in ``voxclean/models``).
DEFAULT_MODEL = "gru_mask_16k.onnx"
#: soxr quality of the internal resamplers.
RESAMPLE_QUALITY = "HQ"


@dataclasses.dataclass(frozen=True)
class NeuralParams(Params):
    """Parameters of the neural denoiser.

    Attributes
    ----------
    strength_db : float >= 0
        Maximum attenuation in dB (gains are limited to ``10**(-strength_db/20)``);
        0 makes the stage an exact (delayed) identity. The default, 30 dB, scores
        the same as no limit on the dev set and leaves a faint natural noise floor.
    model : str
        Path of an ONNX model exported by :mod:`voxclean.neural.export`; ``""``
        means the packaged model (:data:`DEFAULT_MODEL`).
    """

    strength_db: float = 30.0
    model: str = ""

    def _check(self) -> None:
        if not np.isfinite(self.strength_db) or self.strength_db < 0:
            raise ParameterError(f"strength_db={self.strength_db} must be a finite number >= 0")


class NeuralModel:
    """A loaded ONNX step model and its metadata (shared, read-only)."""

    def __init__(self, path: str | Path) -> None:
        import onnxruntime as ort

        self.path = str(path)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        try:
            self.session = ort.InferenceSession(self.path, sess_options=opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(f"cannot load ONNX model {self.path!r}: {exc}") from exc
        self.metadata: dict[str, str] = dict(self.session.get_modelmeta().custom_metadata_map)
        self._check()
        shape = json.loads(self.metadata["state_shape"])
        self.state_layers, self.state_size = int(shape[0]), int(shape[2])

    def _check(self) -> None:
        meta = self.metadata
        if meta.get("format_version") != FORMAT_VERSION:
            raise ModelError(f"{self.path}: format_version={meta.get('format_version')!r}, need {FORMAT_VERSION!r}")
        spec = json.loads(meta.get("features", "{}"))
        if spec != feature_spec():
            raise ModelError(f"{self.path}: trained with features {spec}, this runtime computes {feature_spec()}")
        names = [i.name for i in self.session.get_inputs()]
        if names != ["features", "state"]:
            raise ModelError(f"{self.path}: inputs {names}, need ['features', 'state']")

    def step(self, features: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One frame: ``features [B, 322]``, ``state [layers, B, hidden]`` -> ``(gains, state)``."""
        gains, state = self.session.run(None, {"features": features, "state": state})
        return gains, state


def _packaged_model_path() -> Path:
    return Path(str(resources.files("voxclean").joinpath("models", DEFAULT_MODEL)))


@lru_cache(maxsize=8)
def load_model(path: str = "") -> NeuralModel:
    """Load (once, cached) the model at ``path``; ``""`` is the packaged model."""
    p = Path(path) if path else _packaged_model_path()
    if not p.is_file():
        raise ModelError(f"ONNX model not found: {p}")
    return NeuralModel(p)


@dataclass
class _CoreState:
    stft: Any
    feat: F.FeatureState
    rnn: list[np.ndarray]  # one [layers, 1, hidden] state per channel
    last_top: np.ndarray  # [C] top-band gain of the previous frame


class _Core:
    """The 16 kHz frame processor (block = one 160-sample hop)."""

    def __init__(self, model: NeuralModel, strength_db: float) -> None:
        self.model = model
        self.stft = F.make_stft()
        self.hop = self.stft.hop
        self.latency = self.stft.latency
        self.floor = float(10.0 ** (-strength_db / 20.0))
        self.bypass = strength_db == 0.0

    def init_state(self, n_channels: int) -> _CoreState:
        zeros = np.zeros((self.model.state_layers, 1, self.model.state_size), np.float32)
        return _CoreState(
            stft=self.stft.init_state(n_channels),
            feat=F.init_feature_state(n_channels),
            rnn=[zeros.copy() for _ in range(n_channels)],
            last_top=np.ones(n_channels),
        )

    def process(self, block: np.ndarray, state: _CoreState) -> tuple[np.ndarray, np.ndarray]:
        """``block [C, 160]`` -> ``(enhanced [C, 160] float64, top-band gain [C])``."""
        spec = self.stft.analyze(block, state.stft)
        if self.bypass:
            gains = np.ones(spec.shape, np.float64)
        else:
            feats = F.frame_features(spec, state.feat)
            gains = np.empty(spec.shape, np.float64)
            for c in range(spec.shape[0]):  # one session call per channel: channels stay bit-independent
                g, state.rnn[c] = self.model.step(feats[c : c + 1], state.rnn[c])
                gains[c] = g[0]
            np.clip(gains, self.floor, 1.0, out=gains)
        return self.stft.synthesize(spec * gains, state.stft), F.top_band_gain(gains)

    def process_many(self, blocks: list[np.ndarray], states: list[_CoreState]) -> list[np.ndarray]:
        """One block per stream, all channels of all streams in one vectorized pass.

        Equal to :meth:`process` stream by stream: the STFT and feature steps are
        row-wise, and the network's batch rows do not interact (onnxruntime gives
        the same result for a row alone or inside a batch).

        Parameters
        ----------
        blocks : list of np.ndarray [shape=(C_i, 160)]
        states : list of _CoreState (mutated)

        Returns
        -------
        list of np.ndarray [shape=(C_i, 160)], float64
        """
        sizes = [b.shape[0] for b in blocks]
        cuts = np.cumsum(sizes)[:-1]
        x = np.concatenate(blocks, axis=0)
        stft = self.stft.init_state(0)
        stft.frame = np.concatenate([st.stft.frame for st in states], axis=0)
        stft.ola = np.concatenate([st.stft.ola for st in states], axis=0)
        spec = self.stft.analyze(x, stft)
        if self.bypass:
            gains = np.ones(spec.shape, np.float64)
        else:
            feat = F.FeatureState(mean=np.concatenate([st.feat.mean for st in states], axis=0))
            feats = F.frame_features(spec, feat)
            rnn = np.concatenate([r for st in states for r in st.rnn], axis=1)
            g, rnn = self.model.step(feats, rnn)
            gains = np.clip(g.astype(np.float64), self.floor, 1.0)
            for st, mean, h in zip(states, np.split(feat.mean, cuts), np.split(rnn, cuts, axis=1), strict=True):
                st.feat.mean = mean
                st.rnn = [h[:, c : c + 1] for c in range(h.shape[1])]
        y = self.stft.synthesize(spec * gains, stft)
        top = F.top_band_gain(gains)
        for st, frame, ola in zip(states, np.split(stft.frame, cuts), np.split(stft.ola, cuts), strict=True):
            st.stft.frame, st.stft.ola = frame, ola
        return [(yy, tt) for yy, tt in zip(np.split(y, cuts), np.split(top, cuts), strict=True)]


@dataclass
class _ResampledState:
    down: Resampler
    up: Resampler
    core: _CoreState
    in16: np.ndarray  # [C, <160] 16 kHz samples waiting for a full hop
    delay16: np.ndarray  # [C, extra] extra 16 kHz delay line (enhanced and dry paths)
    dry16: np.ndarray  # [C, 160] previous 16 kHz hop (the dry path delayed like the core)
    raw: np.ndarray  # [C, latency] input delay line at the outer rate
    fifo: np.ndarray  # [3C, n] resampled (enhanced, dry, gain) waiting to be output


@lru_cache(maxsize=64)
def _fifo_prefill(sr: int, block: int, extra16: int) -> int:
    """Smallest output FIFO prefill that never runs dry (sample counts do not depend on values)."""
    down = Resampler(sr, F.SAMPLE_RATE, 1, quality=RESAMPLE_QUALITY)
    up = Resampler(F.SAMPLE_RATE, sr, 1, quality=RESAMPLE_QUALITY)
    pending = 0
    produced = 0
    need = 0
    zeros_in = np.zeros((1, block), np.float32)
    n_blocks = max(400, int(math.ceil(8.0 * sr / block)))
    for i in range(n_blocks):
        pending += down.process(zeros_in).shape[1]
        n_hops = pending // 160
        pending -= n_hops * 160
        if n_hops:
            produced += up.process(np.zeros((1, n_hops * 160), np.float32)).shape[1]
        need = max(need, (i + 1) * block - produced)
    del extra16  # the extra delay is applied inside the 16 kHz path; it does not change the counts
    return need


def _extra_delay16(sr: int) -> int:
    """Extra 16 kHz delay making the model delay a whole number of samples at ``sr``."""
    unit = F.SAMPLE_RATE // math.gcd(sr, F.SAMPLE_RATE)
    d = -(-160 // unit) * unit
    return d - 160 if d - 160 <= 640 else 0


class NeuralEnhancer:
    """Causal neural denoiser (GRU bin gains on a 20 ms / 10 ms STFT at 16 kHz), ONNX runtime.

    Parameters
    ----------
    sample_rate : int
        Rate in Hz of the audio given to :meth:`process` (any rate; resampled to
        16 kHz internally, see the module docstring).
    params : NeuralParams or None
        ``None`` means the defaults.
    **overrides
        Fields of ``params`` to change.

    Notes
    -----
    Latency: 160 samples (10 ms) at 16 kHz; at other rates 10 ms (or slightly more,
    to make it a whole number of samples) plus the resampler buffering, exact and
    declared. Block size: 10 ms (``round(sample_rate / 100)`` samples).
    State: per stream; each channel has its own STFT, feature and GRU state.
    """

    channels: int | None = None

    def __init__(self, sample_rate: int, params: NeuralParams | None = None, **overrides: Any) -> None:
        params = params if params is not None else NeuralParams()
        if not isinstance(params, NeuralParams):
            raise ParameterError(f"params must be NeuralParams, got {type(params).__name__}")
        if overrides:
            params = params.replace(**overrides)
        self._params = params
        self.sample_rate = valid_sr(sample_rate, name="sample_rate")
        self.model = load_model(params.model)
        self.core = _Core(self.model, params.strength_db)
        sr = self.sample_rate
        if sr == F.SAMPLE_RATE:
            self.block_size = self.core.hop
            self.latency = self.core.latency
            self._extra16 = 0
            self._prefill = 0
        else:
            self.block_size = max(1, int(round(sr / 100.0)))
            self._extra16 = _extra_delay16(sr)
            self._prefill = _fifo_prefill(sr, self.block_size, self._extra16)
            model_delay = (self.core.latency + self._extra16) * sr / F.SAMPLE_RATE
            self.latency = self._prefill + int(round(model_delay))

    def params(self) -> NeuralParams:
        """The frozen parameters of this stage."""
        return self._params

    def init_state(self, n_channels: int) -> _CoreState | _ResampledState:
        """Fresh state for one stream of ``n_channels`` channels."""
        core = self.core.init_state(n_channels)
        if self.sample_rate == F.SAMPLE_RATE:
            return core
        c = n_channels
        return _ResampledState(
            down=Resampler(self.sample_rate, F.SAMPLE_RATE, c, quality=RESAMPLE_QUALITY),
            up=Resampler(F.SAMPLE_RATE, self.sample_rate, 3 * c, quality=RESAMPLE_QUALITY),
            core=core,
            in16=np.zeros((c, 0), np.float32),
            delay16=np.zeros((2 * c, self._extra16), np.float64),
            dry16=np.zeros((c, self.core.hop), np.float64),
            raw=np.zeros((c, self.latency), np.float32),
            fifo=np.zeros((3 * c, self._prefill), np.float32),
        )

    def process(self, block: Audio, state: Any) -> Audio:
        """Enhance one block ``[shape=(C, block_size)]``; returns ``[shape=(C, block_size)]`` float32."""
        x = np.asarray(block, dtype=np.float32)
        if self.sample_rate == F.SAMPLE_RATE:
            return self.core.process(x, state)[0].astype(np.float32)
        return self._process_resampled(x, state)

    def process_many(self, blocks: list[Audio], states: list[Any]) -> list[Audio]:
        """Process one block for each of several streams (see :func:`voxclean.enhance.base.process_many`).

        At 16 kHz all streams go through one vectorized STFT and one network call;
        at other rates the streams are processed one by one. Each output equals
        :meth:`process` on that stream alone.
        """
        xs = [np.asarray(b, dtype=np.float32) for b in blocks]
        if self.sample_rate != F.SAMPLE_RATE:
            return [self._process_resampled(x, st) for x, st in zip(xs, states, strict=True)]
        return [y.astype(np.float32) for y, _ in self.core.process_many(xs, states)]

    def _process_resampled(self, x: np.ndarray, st: _ResampledState) -> np.ndarray:
        c = x.shape[0]
        hop = self.core.hop
        buf = np.concatenate([st.in16, st.down.process(x)], axis=1)
        n_hops = buf.shape[1] // hop
        if n_hops:
            chunk = np.empty((3 * c, n_hops * hop), np.float32)
            ramp = (np.arange(1, hop + 1) / hop)[None, :]
            for k in range(n_hops):
                h = buf[:, k * hop : (k + 1) * hop].astype(np.float64)
                enh, top = self.core.process(h, st.core)
                both = np.concatenate([enh, st.dry16], axis=0)
                st.dry16 = h
                if self._extra16:
                    line = np.concatenate([st.delay16, both], axis=1)
                    both, st.delay16 = line[:, :hop], line[:, hop:]
                gain = st.core.last_top[:, None] + (top - st.core.last_top)[:, None] * ramp
                st.core.last_top = top
                sl = slice(k * hop, (k + 1) * hop)
                chunk[: 2 * c, sl] = both
                chunk[2 * c :, sl] = gain
            st.fifo = np.concatenate([st.fifo, st.up.process(chunk)], axis=1)
        st.in16 = buf[:, n_hops * hop :]
        n = x.shape[1]
        if st.fifo.shape[1] < n:  # cannot happen: the prefill is the simulated worst case
            raise ModelError("internal resampling FIFO ran dry")
        out, st.fifo = st.fifo[:, :n], st.fifo[:, n:]
        if self.latency:
            line = np.concatenate([st.raw, x], axis=1)
            delayed, st.raw = line[:, :n], line[:, n:]
        else:
            delayed = x
        enh, dry, gain = out[:c], out[c : 2 * c], np.clip(out[2 * c :], 0.0, 1.0)
        return (enh + gain * (delayed - dry)).astype(np.float32)

    def __repr__(self) -> str:
        return f"NeuralEnhancer(sample_rate={self.sample_rate}, {self._params})"
