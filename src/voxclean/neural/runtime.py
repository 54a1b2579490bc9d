"""Streaming ONNX runtime of the neural denoiser (numpy + onnxruntime only).

:class:`NeuralEnhancer` is an :class:`~voxclean.enhance.base.Enhancer`. At 16 kHz
each 10 ms block is one model frame: STFT (:mod:`voxclean.neural.features`
framing), features, one ONNX step per channel with that channel's GRU state, gains
limited to ``strength_db`` of attenuation, the deep filter of the lowest bins when
the model has one (:mod:`voxclean.neural.model`; its output limited to the same
attenuation), inverse STFT. Latency 160 samples (10 ms), plus one 160-sample hop
per frame of the model's lookahead (its metadata ``model_config``): the outputs
computed at frame ``t`` filter the spectrum of frame ``t - lookahead``, kept until then.

At any other rate the block goes through a low-delay streaming polyphase resampler
(:class:`voxclean.dsp.PolyphaseResampler`, about 1 ms of delay each way) to 16 kHz
and back. The output is::

    y = up(enhanced_16k) + g_top * (x_delayed - up(x_16k_delayed))

where ``up`` is the resampler back to the input rate, ``x_delayed`` the input
delayed by the declared latency and ``g_top`` the model's gain of its top band
(6.5-8 kHz), also carried through ``up``. The second term is the part of the input
that the 16 kHz path does not carry (above about 6.9 kHz, the resamplers' cutoff,
at rates > 16 kHz): it is kept and attenuated like the top band, never silently
dropped. Both paths are delayed by the same amount, so with ``strength_db=0`` the
output is the input.

Latency at such rates, in input-rate samples, is exact and constant::

    latency = prefill + (d_down + core) * sr / 16000 + d_up

``d_down`` (16 kHz samples) and ``d_up`` (input-rate samples) are the two
resamplers' group delays and ``core`` the 16 kHz latency (160 or, with lookahead,
more); ``d_up`` is chosen (within one input-rate sample of its
minimum) so that the sum is a whole number of samples. ``prefill`` is a FIFO of
silence at the output that covers the model's 160-sample hop rebuffering: the
resamplers output exactly ``floor(n * ratio)`` samples after ``n`` inputs, so the
sample counts per block do not depend on the signal and the smallest prefill that
never runs dry is computed exactly (:func:`_fifo_prefill`; 0 when a 10 ms block is
exactly one hop, as at 8, 24, 32, 44.1 and 48 kHz).
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .._typing import Audio
from .._validate import valid_sr
from ..config import Params
from ..dsp.polyphase import PolyphaseResampler, PolyphaseState
from ..errors import ModelError, ParameterError
from . import features as F
from .features import FORMAT_VERSION, feature_spec

__all__ = ["NeuralParams", "NeuralEnhancer", "NeuralModel", "load_model", "PACKAGED_MODELS"]

#: Packaged models (files in ``voxclean/models``) by the name :attr:`NeuralParams.model` takes:
#: ``""`` the default (20 ms at 16 kHz: one 10 ms frame of lookahead), ``"low-latency"``
#: the 10 ms model without lookahead (the default of live and streaming use).
PACKAGED_MODELS = {"": "gru_mask_16k.onnx", "low-latency": "gru_mask_16k_low_latency.onnx"}


@dataclasses.dataclass(frozen=True)
class NeuralParams(Params):
    """Parameters of the neural denoiser.

    Attributes
    ----------
    strength_db : float >= 0
        Maximum attenuation in dB (gains are limited to ``10**(-strength_db/20)``);
        0 makes the stage an exact (delayed) identity. The default, 40 dB, leaves a
        faint natural noise floor; on the dev set it scores within 0.003 PESQ-WB of
        the highest limit measured (60 or 100 dB) with the packaged models, and
        0.006-0.021 above 30 dB, the default up to the tenth session
        (``recipes/neural/README.md``).
    model : str
        The name of a packaged model (:data:`PACKAGED_MODELS`: ``""``, the default,
        20 ms; ``"low-latency"``, 10 ms) or the path of an ONNX model exported by
        :mod:`voxclean.neural.export`.
    """

    strength_db: float = 40.0
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
        names = [i.name for i in self.session.get_inputs()]
        cfg = json.loads(meta.get("model_config", "{}"))
        #: Whether the model reads the noise-floor feature block.
        self.noise_floor = bool(cfg.get("noise_floor", False))
        spec = json.loads(meta.get("features", "{}"))
        if spec != feature_spec(self.noise_floor):
            raise ModelError(
                f"{self.path}: trained with features {spec}, this runtime computes {feature_spec(self.noise_floor)}"
            )
        #: Bins and order of the deep filter (0 bins: gains only).
        self.df_bins, self.df_order = int(cfg.get("df_bins", 0)), int(cfg.get("df_order", 1))
        #: Frames between the newest input frame and the frame its outputs filter.
        self.lookahead = int(cfg.get("lookahead", 0))
        if self.lookahead < 0:
            raise ModelError(f"{self.path}: lookahead={self.lookahead} must be >= 0")
        #: Algorithmic latency in 16 kHz samples.
        self.latency = F.model_latency(self.lookahead)
        if meta.get("latency_samples") != str(self.latency):
            raise ModelError(
                f"{self.path}: latency_samples={meta.get('latency_samples')!r}, this runtime gives {self.latency}"
            )
        need = ["features", "df_features", "state"] if self.df_bins else ["features", "state"]
        if names != need:
            raise ModelError(f"{self.path}: inputs {names}, need {need}")

    def step(
        self, features: np.ndarray, state: np.ndarray, df_features: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """One frame.

        Parameters
        ----------
        features : np.ndarray [shape=(B, n_features)], float32
            :func:`~voxclean.neural.features.frame_features` (with this model's ``noise_floor``).
        state : np.ndarray [shape=(layers, B, hidden)], float32
        df_features : np.ndarray [shape=(B, 2 * df_bins)], float32 or None
            Required when the model has a deep-filter head.

        Returns
        -------
        gains : np.ndarray [shape=(B, 161)]
        coefs : np.ndarray [shape=(B, df_order, df_bins, 2)] or None
        state : np.ndarray [shape=(layers, B, hidden)]
        """
        if self.df_bins:
            gains, coefs, state = self.session.run(None, {"features": features, "df_features": df_features, "state": state})
            return gains, coefs, state
        gains, state = self.session.run(None, {"features": features, "state": state})
        return gains, None, state


def _packaged_model_path(name: str = "") -> Path:
    return Path(str(resources.files("voxclean").joinpath("models", PACKAGED_MODELS[name])))


@lru_cache(maxsize=8)
def load_model(path: str = "") -> NeuralModel:
    """Load (once, cached) the model at ``path``, or the packaged model of that name (:data:`PACKAGED_MODELS`)."""
    p = _packaged_model_path(path) if path in PACKAGED_MODELS else Path(path)
    if not p.is_file():
        raise ModelError(f"ONNX model not found: {p}")
    return NeuralModel(p)


@dataclass
class _CoreState:
    stft: Any
    feat: F.FeatureState
    rnn: list[np.ndarray]  # one [layers, 1, hidden] state per channel
    last_top: np.ndarray  # [C] top-band gain of the previous frame
    hist: np.ndarray  # [C, max(1, K-1), F] complex: spectra of frames s-1, s-2, ... of the filtered bins
    ahead: np.ndarray  # [C, L, 161 + F] complex: frames s .. t-1 waiting (oldest first), each with its
    #                   phase advance u in the last F columns; s = t - L is filtered at t


class _Core:
    """The 16 kHz frame processor (block = one 160-sample hop)."""

    def __init__(self, model: NeuralModel, strength_db: float) -> None:
        self.model = model
        self.stft = F.make_stft()
        self.hop = self.stft.hop
        self.lookahead = model.lookahead
        self.latency = model.latency
        self.floor = float(10.0 ** (-strength_db / 20.0))
        self.bypass = strength_db == 0.0
        #: Linear ramp over one hop ``[shape=(1, hop)]``: the top-band gain glides from frame to frame.
        self.ramp = (np.arange(1, self.hop + 1) / self.hop)[None, :]
        self.df_bins, self.df_order = model.df_bins, model.df_order

    def init_state(self, n_channels: int) -> _CoreState:
        zeros = np.zeros((self.model.state_layers, 1, self.model.state_size), np.float32)
        return _CoreState(
            stft=self.stft.init_state(n_channels),
            feat=F.init_feature_state(n_channels, self.model.noise_floor),
            rnn=[zeros.copy() for _ in range(n_channels)],
            last_top=np.ones(n_channels),
            hist=np.zeros((n_channels, max(1, self.df_order - 1), self.df_bins), np.complex128),
            ahead=np.zeros((n_channels, self.lookahead, self.stft.n_bins + self.df_bins), np.complex128),
        )

    def _delay(self, spec: np.ndarray, u: np.ndarray | None, ahead: np.ndarray) -> tuple[np.ndarray, ...]:
        """Put the newest frame in the delay line; returns ``(frame to filter now, its u, the frames still waiting)``.

        ``spec [C, 161]``, ``u [C, F]`` (its phase advance; ``None``: not needed, zeros are kept).
        """
        if not self.lookahead:
            return spec, u, ahead
        n = spec.shape[1]
        u = np.zeros((spec.shape[0], self.df_bins), spec.dtype) if u is None else u
        line = np.concatenate([ahead, np.concatenate([spec, u], axis=1)[:, None, :]], axis=1)
        return line[:, 0, :n], line[:, 0, n:], line[:, 1:]

    def _filter(self, spec: np.ndarray, y: np.ndarray, u: np.ndarray, coefs: np.ndarray, hist: np.ndarray) -> np.ndarray:
        """Add the deep filter to ``y = gains * spec`` (in place) and return the next history.

        Parameters
        ----------
        spec, y : np.ndarray [shape=(C, 161)], complex
        u : np.ndarray [shape=(C, F)], complex
            Phase advance of this frame.
        coefs : np.ndarray [shape=(C, K, F, 2)]
        hist : np.ndarray [shape=(C, max(1, K-1), F)], complex

        Returns
        -------
        np.ndarray [shape=(C, max(1, K-1), F)]
            The history after this frame.
        """
        f = self.df_bins
        x = spec[:, :f]
        # (re, im) pairs of float32 -> complex128, one conversion (same values as re + 1j * im)
        a = coefs.astype(np.float64).view(np.complex128)[..., 0]
        acc = a[:, 0] * x
        ui = u
        for i in range(1, self.df_order):
            acc += a[:, i] * hist[:, i - 1] * ui
            if i + 1 < self.df_order:
                ui = ui * u
        yf = y[:, :f] + acc
        # the attenuation limit of the gains, for the filtered bins: |Y| >= floor |X|
        need = self.floor * np.abs(x)
        got = np.abs(yf)
        low = got < need * (1.0 - 1e-9)
        if low.any():
            scaled = np.where(got > 0, yf * (need / np.maximum(got, 1e-300)), self.floor * x)
            yf = np.where(low, scaled, yf)
        y[:, :f] = yf
        return np.concatenate([x[:, None, :], hist[:, :-1]], axis=1) if self.df_order > 2 else x[:, None, :].copy()

    def _enhance(
        self, spec: np.ndarray, feat: F.FeatureState, hist: np.ndarray, ahead: np.ndarray, network: Any
    ) -> tuple[np.ndarray, ...]:
        """One frame's features, network call, gains and filter (shared by :meth:`process` and :meth:`process_many`).

        Parameters
        ----------
        spec : np.ndarray [shape=(C, 161)], complex
            The newest frame ``t``.
        feat : F.FeatureState
            Updated in place.
        hist : np.ndarray [shape=(C, max(1, K-1), F)], complex
            Frames before the one filtered now, ``s = t - lookahead``.
        ahead : np.ndarray [shape=(C, lookahead, 161 + F)], complex
            Frames ``s .. t-1`` with their phase advances.
        network : callable
            ``network(features [C, n_features], df_features [C, 2F] or None) -> (gains [C, 161], coefs or None)``;
            it keeps the recurrent state.

        Returns
        -------
        y : np.ndarray [shape=(C, 161)], complex
            Enhanced spectrum of frame ``s``.
        gains : np.ndarray [shape=(C, 161)]
            Gains, limited to ``[floor, 1]``.
        hist, ahead : np.ndarray
            The filter history and the waiting frames after this frame.
        """
        f = self.df_bins
        feats = F.frame_features(spec, feat)
        newest_prev = ahead[:, -1, :f] if self.lookahead else hist[:, 0]
        u_new = F.phase_advance(spec[:, :f], newest_prev) if f else None
        g, coefs = network(feats, None if u_new is None else F.df_features(u_new))
        target, u, ahead = self._delay(spec, u_new, ahead)
        gains = g.astype(np.float64)  # limited to [floor, 1] as np.clip does, in place
        np.minimum(np.maximum(gains, self.floor, out=gains), 1.0, out=gains)
        y = target * gains
        if f:
            hist = self._filter(target, y, u, coefs, hist)
        return y, gains, hist, ahead

    def process(self, block: np.ndarray, state: _CoreState) -> tuple[np.ndarray, np.ndarray]:
        """``block [C, 160]`` -> ``(enhanced [C, 160] float64, top-band gain [C])``."""
        spec = self.stft.analyze(block, state.stft)
        if self.bypass:
            target, _, state.ahead = self._delay(spec, None, state.ahead)
            return self.stft.synthesize(target, state.stft), np.ones(spec.shape[0])

        def per_channel(feats: np.ndarray, df_in: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
            # one session call per channel: channels stay bit-independent
            outs = [self.model.step(feats[c : c + 1], state.rnn[c], None if df_in is None else df_in[c : c + 1])
                    for c in range(feats.shape[0])]
            state.rnn = [o[2] for o in outs]
            coefs = np.concatenate([o[1] for o in outs]) if self.df_bins else None
            return np.concatenate([o[0] for o in outs]), coefs

        y, gains, state.hist, state.ahead = self._enhance(spec, state.feat, state.hist, state.ahead, per_channel)
        return self.stft.synthesize(y, state.stft), F.top_band_gain(gains)

    def process_many(self, blocks: list[np.ndarray],
                     states: list[_CoreState]) -> list[tuple[np.ndarray, np.ndarray]]:
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
        list of (np.ndarray [shape=(C_i, 160)] float64, np.ndarray [shape=(C_i,)])
            Per stream, as :meth:`process`: the enhanced block and the top-band gain.
        """
        sizes = [b.shape[0] for b in blocks]
        cuts = np.cumsum(sizes)[:-1]
        x = np.concatenate(blocks, axis=0)
        stft = self.stft.init_state(0)
        stft.frame = np.concatenate([st.stft.frame for st in states], axis=0)
        stft.ola = np.concatenate([st.stft.ola for st in states], axis=0)
        spec = self.stft.analyze(x, stft)
        ahead = np.concatenate([st.ahead for st in states], axis=0)
        if self.bypass:
            gains = np.ones(spec.shape, np.float64)
            y, _, ahead = self._delay(spec, None, ahead)
        else:
            feat = F.FeatureState.concat([st.feat for st in states])
            rnn = [np.concatenate([r for st in states for r in st.rnn], axis=1)]

            def batched(feats: np.ndarray, df_in: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
                g, coefs, rnn[0] = self.model.step(feats, rnn[0], df_in)
                return g, coefs

            y, gains, hist, ahead = self._enhance(
                spec, feat, np.concatenate([st.hist for st in states], axis=0), ahead, batched
            )
            for st, ff, h, hh in zip(
                states, feat.split(cuts), np.split(rnn[0], cuts, axis=1), np.split(hist, cuts), strict=True
            ):
                st.feat = ff
                st.rnn = [h[:, c : c + 1] for c in range(h.shape[1])]
                st.hist = hh
        y = self.stft.synthesize(y, stft)
        top = F.top_band_gain(gains)
        for st, frame, ola, aa in zip(
            states, np.split(stft.frame, cuts), np.split(stft.ola, cuts), np.split(ahead, cuts), strict=True
        ):
            st.stft.frame, st.stft.ola, st.ahead = frame, ola, aa
        return [(yy, tt) for yy, tt in zip(np.split(y, cuts), np.split(top, cuts), strict=True)]


@dataclass
class _ResampledState:
    down: PolyphaseState  # input rate -> 16 kHz, C channels
    up: PolyphaseState  # 16 kHz -> input rate, 3C channels (enhanced, dry, gain)
    core: _CoreState
    in16: np.ndarray  # [C, <160] 16 kHz samples waiting for a full hop
    dry16: np.ndarray  # [C, core latency] 16 kHz delay line of the dry path (delayed like the core)
    raw: np.ndarray  # [C, latency] input delay line at the outer rate
    fifo: np.ndarray  # [3C, n] resampled (enhanced, dry, gain) waiting to be output


@lru_cache(maxsize=64)
def _fifo_prefill(sr: int, block: int) -> int:
    """Smallest output FIFO prefill (samples at ``sr``) that never runs dry with ``block``-sample blocks.

    After ``i`` blocks the down resampler has produced ``floor(i * block * 16000 / sr)``
    samples, the core ``H = floor(that / 160)`` hops, and the up resampler
    ``floor(160 * H * sr / 16000)`` samples; the output needs ``i * block``. The
    deficit is periodic in ``i * block`` with period ``S = sr / gcd(sr, 100)`` (one
    period adds exactly ``100 / gcd(sr, 100)`` hops and ``S`` output samples), so its
    maximum over one period of blocks is exact for the whole stream.
    """
    hop = F.SAMPLE_RATE // 100
    period_samples = sr // math.gcd(sr, 100)
    n_blocks = period_samples // math.gcd(block, period_samples)
    q = np.arange(1, n_blocks + 1, dtype=np.int64) * block
    hops = (q * F.SAMPLE_RATE // sr) // hop
    produced = hops * hop * sr // F.SAMPLE_RATE
    return int(max(0, int(np.max(q - produced))))


def _resamplers(sr: int, core_delay: int) -> tuple[PolyphaseResampler, PolyphaseResampler, int]:
    """Down and up resamplers for ``sr`` and the delay of the whole chain.

    Parameters
    ----------
    sr : int
        Outer sample rate in Hz.
    core_delay : int
        Delay of the 16 kHz core in 16 kHz samples (160, plus 160 per frame of lookahead).

    Returns
    -------
    down, up : PolyphaseResampler
        ``sr`` -> 16 kHz at its minimum delay, and 16 kHz -> ``sr`` with its
        minimum delay plus the fraction of a sample at ``sr`` (a whole number of
        steps of its intermediate rate ``lcm(sr, 16000)``) that makes the sum whole.
    delay : int
        ``(d_down + core_delay) * sr / 16000 + d_up`` in samples at ``sr``.
    """
    down = PolyphaseResampler(sr, F.SAMPLE_RATE, delay=PolyphaseResampler(sr, F.SAMPLE_RATE).min_delay)
    lead = (down.delay + core_delay) * Fraction(sr, F.SAMPLE_RATE)  # samples at sr, a multiple of 1/up.down
    up_min = PolyphaseResampler(F.SAMPLE_RATE, sr).min_delay
    up = PolyphaseResampler(F.SAMPLE_RATE, sr, delay=up_min + (-(lead + up_min)) % 1)
    total = lead + up.delay
    if total.denominator != 1:  # cannot happen: both terms are multiples of 1/up.down
        raise ModelError(f"resampling chain delay {total} at {sr} Hz is not a whole number of samples")
    return down, up, int(total)


class NeuralEnhancer:
    """Causal neural denoiser (GRU bin gains + deep filter of the low bins on a 20 ms / 10 ms STFT at 16 kHz), ONNX runtime.

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
    Latency: 10 ms at 16 kHz plus 10 ms per frame of the model's lookahead (the
    packaged default has one: 320 samples; ``"low-latency"`` none: 160); at other
    rates that plus the two resamplers' delays (about 1 ms each, 2 ms each between
    8 and 16 kHz) plus a FIFO prefill for the hop rebuffering (0 where a 10 ms block
    is exactly one model hop), exact and declared: with the default model e.g. 1054
    samples (21.96 ms) at 48 kHz, 967 (21.9 ms) at 44.1 kHz, 703 (31.9 ms) at
    22.05 kHz; 10 ms less with ``"low-latency"``. Block size: 10 ms
    (``round(sample_rate / 100)`` samples).
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
        self._down: PolyphaseResampler | None = None
        self._up: PolyphaseResampler | None = None
        if sr == F.SAMPLE_RATE:
            self.block_size = self.core.hop
            self.latency = self.core.latency
            self._prefill = 0
        else:
            self.block_size = max(1, int(round(sr / 100.0)))
            self._down, self._up, chain_delay = _resamplers(sr, self.core.latency)
            self._prefill = _fifo_prefill(sr, self.block_size)
            self.latency = self._prefill + chain_delay

    def params(self) -> NeuralParams:
        """The frozen parameters of this stage."""
        return self._params

    def init_state(self, n_channels: int) -> _CoreState | _ResampledState:
        """Fresh state for one stream of ``n_channels`` channels."""
        core = self.core.init_state(n_channels)
        if self.sample_rate == F.SAMPLE_RATE:
            return core
        c = n_channels
        assert self._down is not None and self._up is not None  # set for every rate but 16 kHz
        return _ResampledState(
            down=self._down.init_state(c),
            up=self._up.init_state(3 * c),
            core=core,
            in16=np.zeros((c, 0), np.float64),
            dry16=np.zeros((c, self.core.latency), np.float64),
            raw=np.zeros((c, self.latency), np.float32),
            fifo=np.zeros((3 * c, self._prefill), np.float64),
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
        assert self._down is not None and self._up is not None  # set for every rate but 16 kHz
        c = x.shape[0]
        hop = self.core.hop
        buf = np.concatenate([st.in16, self._down.process(x, st.down)], axis=1)
        n_hops = buf.shape[1] // hop
        if n_hops:
            chunk = np.empty((3 * c, n_hops * hop), np.float64)
            ramp = self.core.ramp
            for k in range(n_hops):
                h = buf[:, k * hop : (k + 1) * hop]
                enh, top = self.core.process(h, st.core)
                sl = slice(k * hop, (k + 1) * hop)
                chunk[:c, sl] = enh
                line = np.concatenate([st.dry16, h], axis=1)  # delayed like the core's output
                chunk[c : 2 * c, sl], st.dry16 = line[:, :hop], line[:, hop:]
                chunk[2 * c :, sl] = st.core.last_top[:, None] + (top - st.core.last_top)[:, None] * ramp
                st.core.last_top = top
            st.fifo = np.concatenate([st.fifo, self._up.process(chunk, st.up)], axis=1)
        st.in16 = buf[:, n_hops * hop :]
        n = x.shape[1]
        if st.fifo.shape[1] < n:  # cannot happen: the prefill is the exact worst case
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
