"""The causal denoiser network (PyTorch; training and export only).

``GruMask``: per frame, 322 features (:mod:`voxclean.neural.features`) -> linear
encoder (ReLU) -> 2 stacked GRUs -> linear decoder -> sigmoid gains for the 161 STFT
bins. Nothing looks ahead, so the algorithmic latency is that of the STFT alone
(20 ms window - 10 ms hop = 10 ms at 16 kHz). The recurrent state is explicit, so
the same weights run frame by frame (``step``) or on whole sequences (``forward``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from .features import N_BINS, N_FEATURES

__all__ = ["ModelConfig", "GruMask"]


@dataclass(frozen=True)
class ModelConfig:
    """Network size."""

    hidden: int = 128
    layers: int = 2

    def to_dict(self) -> dict:
        return asdict(self)


class GruMask(nn.Module):
    """Features ``[shape=(B, T, 322)]`` -> bin gains in [0, 1] ``[shape=(B, T, 161)]``."""

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__()
        self.config = config or ModelConfig()
        h = self.config.hidden
        self.encoder = nn.Linear(N_FEATURES, h)
        self.gru = nn.GRU(h, h, num_layers=self.config.layers, batch_first=True)
        self.decoder = nn.Linear(h, N_BINS)

    def initial_state(self, batch: int) -> torch.Tensor:
        """Zero recurrent state ``[shape=(layers, B, hidden)]``."""
        return torch.zeros(self.config.layers, batch, self.config.hidden)

    def forward(self, features: torch.Tensor, state: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Run a sequence; returns ``(gains [B, T, 161], final state)``."""
        if state is None:
            state = self.initial_state(features.shape[0]).to(features)
        x = torch.relu(self.encoder(features))
        x, state = self.gru(x, state)
        return torch.sigmoid(self.decoder(x)), state

    def step(self, features: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One frame: ``features [B, 322]``, ``state [layers, B, hidden]`` -> ``(gains [B, 161], state)``."""
        gains, state = self.forward(features[:, None, :], state)
        return gains[:, 0, :], state

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def macs_per_frame(self) -> int:
        """Multiply-accumulates per frame (matrix products only)."""
        h, layers = self.config.hidden, self.config.layers
        return N_FEATURES * h + layers * 3 * (h * h + h * h) + h * N_BINS
