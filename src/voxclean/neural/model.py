"""The causal denoiser network (PyTorch; training and export only).

``GruMask``: per frame, 322 features (483 with the noise-floor block; :mod:`voxclean.neural.features`) -> linear
encoder (ReLU) -> 2 stacked GRUs -> linear decoder -> sigmoid gains for the 161 STFT
bins. Without lookahead (below) the algorithmic latency is that of the STFT alone
(20 ms window - 10 ms hop = 10 ms at 16 kHz). The recurrent state is explicit, so
the same weights run frame by frame (``step``) or on whole sequences (``forward``).

Optional **deep-filter head** (``df_bins > 0``): for the lowest ``df_bins`` bins
the network also predicts ``df_order`` complex coefficients ``a_i`` per bin, and
the enhanced spectrum is (:func:`apply_filter`)::

    Y[t, k] = g[t, k] X[t, k] + sum_{i < df_order} a_i[t, k] X[t-i, k] u[t, k]^i

with ``u`` the unit inter-frame phase advance of the noisy input
(:func:`voxclean.neural.features.phase_advance`). ``u^i`` turns frame ``t-i`` of a
steady partial into phase with frame ``t``, so the filter can add a harmonic
coherently over 30 ms while the noise between harmonics, whose phase does not
advance that way, averages out: finer effective frequency resolution than the
20 ms window gives, without lookahead (latency unchanged). The head sees the GRU
output and ``u`` of its bins; its output layer starts at zero, so a head added to a
trained mask model starts as exactly that model (``|a| <= 1`` by a tanh).

**Lookahead** (``lookahead = L`` frames, default 0): the outputs computed at frame
``t`` (having seen the input up to frame ``t``) are applied to frame ``t - L``
(:func:`delay_outputs`), so the network hears ``L`` hops of the future of each frame
it filters, for ``L`` hops more latency (``L = 1``: 20 ms at 16 kHz).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from .features import N_BINS, n_features

__all__ = ["ModelConfig", "GruMask", "add_input_columns", "apply_filter", "delay_outputs", "widen_state_dict"]


@dataclass(frozen=True)
class ModelConfig:
    """Network size; ``df_bins = 0`` means no deep-filter head (gains only); ``lookahead`` in frames.

    ``noise_floor`` adds the noise-floor block to the input features
    (:func:`voxclean.neural.features.n_features`).
    """

    hidden: int = 128
    layers: int = 2
    df_bins: int = 0
    df_order: int = 3
    df_hidden: int = 128
    lookahead: int = 0
    noise_floor: bool = False

    def to_dict(self) -> dict:
        """The fields as a dict, without ``noise_floor`` when it is off.

        Models from before that option carry no such key (``ModelConfig(**d)`` restores
        its default), and a re-export of their checkpoints stays byte-identical to the
        packaged files.
        """
        d = asdict(self)
        if not self.noise_floor:
            del d["noise_floor"]
        return d


class GruMask(nn.Module):
    """Features ``[shape=(B, T, n_features)]`` -> bin gains in [0, 1] ``[shape=(B, T, 161)]`` (+ filter coefficients)."""

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__()
        self.config = config or ModelConfig()
        c = self.config
        h = c.hidden
        self.encoder = nn.Linear(n_features(c.noise_floor), h)
        self.gru = nn.GRU(h, h, num_layers=c.layers, batch_first=True)
        self.decoder = nn.Linear(h, N_BINS)
        if c.df_bins:  # created last: the mask layers draw the same initial weights with or without it
            if not 0 < c.df_bins <= N_BINS or c.df_order < 1:
                raise ValueError(f"df_bins={c.df_bins} must be in 1..{N_BINS} and df_order={c.df_order} >= 1")
            self.df_hidden = nn.Linear(h + 2 * c.df_bins, c.df_hidden)
            self.df_out = nn.Linear(c.df_hidden, 2 * c.df_order * c.df_bins)
            nn.init.zeros_(self.df_out.weight)
            nn.init.zeros_(self.df_out.bias)

    def initial_state(self, batch: int) -> torch.Tensor:
        """Zero recurrent state ``[shape=(layers, B, hidden)]``."""
        return torch.zeros(self.config.layers, batch, self.config.hidden)

    def df_parameters(self) -> list[nn.Parameter]:
        """Parameters of the deep-filter head (empty without one)."""
        return [p for n, p in self.named_parameters() if n.startswith("df_")]

    def forward(
        self, features: torch.Tensor, state: torch.Tensor | None = None, df_features: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        """Run a sequence.

        Parameters
        ----------
        features : torch.Tensor [shape=(B, T, n_features)]
            322, or 483 with ``noise_floor``.
        state : torch.Tensor [shape=(layers, B, hidden)] or None (zeros)
        df_features : torch.Tensor [shape=(B, T, 2 * df_bins)] or None
            Real and imaginary parts of the phase advance ``u`` of the filtered bins;
            required with a deep-filter head.

        Returns
        -------
        gains : torch.Tensor [shape=(B, T, 161)]
        coefs : torch.Tensor [shape=(B, T, df_order, df_bins, 2)] or None
            Filter coefficients (real, imaginary), each in [-1, 1].
        state : torch.Tensor
            Final recurrent state.
        """
        if state is None:
            state = self.initial_state(features.shape[0]).to(features)
        x = torch.relu(self.encoder(features))
        x, state = self.gru(x, state)
        gains = torch.sigmoid(self.decoder(x))
        c = self.config
        if not c.df_bins:
            return gains, None, state
        if df_features is None:
            raise ValueError("this model has a deep-filter head: df_features are required")
        z = torch.relu(self.df_hidden(torch.cat([x, df_features], dim=-1)))
        coefs = torch.tanh(self.df_out(z)).reshape(*z.shape[:-1], c.df_order, c.df_bins, 2)
        return gains, coefs, state

    def step(
        self, features: torch.Tensor, state: torch.Tensor, df_features: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        """One frame: ``features [B, n_features]`` (``df_features [B, 2*df_bins]``) -> ``(gains [B, 161], coefs, state)``."""
        df = None if df_features is None else df_features[:, None, :]
        gains, coefs, state = self.forward(features[:, None, :], state, df)
        return gains[:, 0], None if coefs is None else coefs[:, 0], state

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def macs_per_frame(self) -> int:
        """Multiply-accumulates per frame (matrix products only)."""
        c = self.config
        h, layers = c.hidden, c.layers
        macs = n_features(c.noise_floor) * h + layers * 3 * (h * h + h * h) + h * N_BINS
        if c.df_bins:
            macs += (h + 2 * c.df_bins) * c.df_hidden + c.df_hidden * 2 * c.df_order * c.df_bins
        return macs


def delay_outputs(
    gains: torch.Tensor, coefs: torch.Tensor | None, lookahead: int
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The outputs for frame ``t`` are those computed at frame ``t + lookahead``.

    ``gains [B, T, 161]`` and ``coefs [B, T, ...]`` keep their shapes: the last
    ``lookahead`` frames, whose outputs would come after the end, repeat the last ones.
    """
    if lookahead < 0:
        raise ValueError(f"lookahead={lookahead} must be >= 0")
    if lookahead == 0:
        return gains, coefs

    def shift(t: torch.Tensor) -> torch.Tensor:
        tail = t[:, -1:].expand(-1, lookahead, *t.shape[2:])
        return torch.cat([t[:, lookahead:], tail], dim=1)

    return shift(gains), None if coefs is None else shift(coefs)


def apply_filter(
    noisy_spec: torch.Tensor, gains: torch.Tensor, coefs: torch.Tensor | None, df_features: torch.Tensor | None
) -> torch.Tensor:
    """Enhanced spectrum from the network outputs (see the module docstring).

    Parameters
    ----------
    noisy_spec : torch.Tensor [shape=(B, T, 161)], complex
    gains : torch.Tensor [shape=(B, T, 161)]
    coefs : torch.Tensor [shape=(B, T, K, F, 2)] or None
    df_features : torch.Tensor [shape=(B, T, 2F)] or None

    Returns
    -------
    torch.Tensor [shape=(B, T, 161)], complex
    """
    y = noisy_spec * gains
    if coefs is None:
        return y
    assert df_features is not None
    order, f = coefs.shape[-3], coefs.shape[-2]
    x = noisy_spec[..., :f]
    u = torch.complex(df_features[..., :f], df_features[..., f:])
    a = torch.complex(coefs[..., 0], coefs[..., 1])  # [B, T, K, F]
    acc = a[..., 0, :] * x
    ui = u
    for i in range(1, order):
        past = torch.zeros_like(x)  # x[t - i], silent before the start
        past[:, i:] = x[:, :-i]
        acc = acc + a[..., i, :] * past * ui
        ui = ui * u
    return torch.cat([y[..., :f] + acc, y[..., f:]], dim=-1)


def _embed(old: torch.Tensor, new: torch.Tensor, blocks: int, h_old: int, h: int, *, reads_hidden: bool) -> torch.Tensor:
    """``new`` with ``old`` written into the rows of the first ``h_old`` units of each of ``blocks`` blocks.

    Rows of the new units keep ``new``'s values. With ``reads_hidden`` (a weight whose
    columns are units of width ``hidden``), the old units' rows read the old units with
    the old weights and the new units with zero weights.
    """
    out = new.clone()
    for g in range(blocks):
        src = old[g * h_old : (g + 1) * h_old]
        rows = slice(g * h, g * h + h_old)
        if reads_hidden:
            out[rows] = 0.0
            out[rows, :h_old] = src
        else:
            out[rows] = src
    return out


def widen_state_dict(old: dict[str, torch.Tensor], model: GruMask) -> dict[str, torch.Tensor]:
    """Weights of a narrower trained model placed into ``model``, which then computes the same function.

    The first ``h_old`` units of every layer take the old weights; the new units keep
    ``model``'s initial weights for what they read, and every weight from a new unit to
    an old unit or to an output is zero, so the new units start without influence and
    grow in through training (their outgoing weights get gradients at once).
    Parameters absent from ``old`` (e.g. a deep-filter head) keep ``model``'s values.

    Parameters
    ----------
    old : dict
        State dict of a :class:`GruMask` with the same layers and a smaller ``hidden``.
    model : GruMask
        The wider model (its initial weights are used for the new units).

    Returns
    -------
    dict
        A state dict for ``model``.
    """
    h = model.config.hidden
    h_old = int(old["encoder.weight"].shape[0])
    new = model.state_dict()
    if h_old > h:
        raise ValueError(f"cannot narrow a model from {h_old} to {h} hidden units")
    out = dict(new)
    for name, w in old.items():
        if name not in new:
            raise ValueError(f"unexpected parameter {name!r}")
        if name.startswith("encoder."):
            out[name] = _embed(w, new[name], 1, h_old, h, reads_hidden=False)
        elif name.startswith("gru.weight_"):  # every GRU weight reads units of width hidden (encoder or GRU)
            out[name] = _embed(w, new[name], 3, h_old, h, reads_hidden=True)
        elif name.startswith("gru.bias_"):
            out[name] = _embed(w, new[name], 3, h_old, h, reads_hidden=False)
        elif name in ("decoder.weight", "df_hidden.weight"):  # read the last GRU layer (then the filter input)
            if w.shape[0] != new[name].shape[0] or w.shape[1] - h_old != new[name].shape[1] - h:
                raise ValueError(f"{name}: shape {tuple(w.shape)} does not fit {tuple(new[name].shape)}")
            out[name] = torch.zeros_like(new[name])
            out[name][:, :h_old] = w[:, :h_old]
            out[name][:, h:] = w[:, h_old:]
        else:
            if w.shape != new[name].shape:
                raise ValueError(f"{name}: shape {tuple(w.shape)} does not fit {tuple(new[name].shape)}")
            out[name] = w.clone()
    return out


def add_input_columns(old: dict[str, torch.Tensor], model: GruMask) -> dict[str, torch.Tensor]:
    """Weights of a model with fewer input features placed into ``model`` (e.g. adding the noise-floor block).

    The encoder's new input columns start at zero, so ``model`` computes the same
    function as the old one and the new features grow in through training.

    Parameters
    ----------
    old : dict
        State dict of a :class:`GruMask` that differs from ``model`` only in its input size.
    model : GruMask

    Returns
    -------
    dict
        A state dict for ``model``.
    """
    out = {k: v.clone() for k, v in old.items()}
    w_old, w_new = old["encoder.weight"], model.state_dict()["encoder.weight"]
    if w_old.shape[0] != w_new.shape[0] or w_old.shape[1] > w_new.shape[1]:
        raise ValueError(f"encoder.weight: shape {tuple(w_old.shape)} does not fit {tuple(w_new.shape)}")
    out["encoder.weight"] = torch.zeros_like(w_new)
    out["encoder.weight"][:, : w_old.shape[1]] = w_old
    return out
