"""Training losses (PyTorch): compressed complex spectra, multi-resolution magnitude, SI-SDR.

All losses are computed on signals divided by the RMS of the clean target of each
example, so loud and quiet examples weigh the same (the model is trained on input
levels from -40 to -10 dBFS).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .features import make_stft

__all__ = ["LossConfig", "istft", "si_sdr", "total_loss"]


@dataclass(frozen=True)
class LossConfig:
    """Loss weights; ``compress`` is the magnitude exponent (0.3 as in PHASEN/DeepFilterNet)."""

    complex_weight: float = 1.0
    mag_weight: float = 1.0
    multires_weight: float = 1.0
    si_sdr_weight: float = 0.02
    compress: float = 0.3
    multires_ffts: tuple[int, ...] = (256, 512, 1024)


_STFT = make_stft()
assert _STFT.win_length == 2 * _STFT.hop == _STFT.n_fft


def istft(spec: torch.Tensor) -> torch.Tensor:
    """Weighted overlap-add of ``spec [B, T, 161]`` on the :class:`voxclean.dsp.stft.Stft` grid.

    Returns ``[B, (T - 1) * hop]``: input samples ``0 .. (T-1)*hop``, aligned with the
    signal the spectrogram came from (no latency), the part every frame reconstructs.
    """
    hop = _STFT.hop
    window = torch.tensor(np.array(_STFT.synthesis_window), dtype=torch.float32, device=spec.device)
    frames = torch.fft.irfft(spec, n=_STFT.n_fft, dim=-1) * window
    out = frames[:, :-1, hop:] + frames[:, 1:, :hop]
    return out.reshape(spec.shape[0], -1)


def si_sdr(ref: torch.Tensor, est: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Scale-invariant SDR in dB per example ``[B]``."""
    ref = ref - ref.mean(dim=-1, keepdim=True)
    est = est - est.mean(dim=-1, keepdim=True)
    scale = (est * ref).sum(-1, keepdim=True) / (ref.pow(2).sum(-1, keepdim=True) + eps)
    target = scale * ref
    return 10 * torch.log10(target.pow(2).sum(-1) / ((est - target).pow(2).sum(-1) + eps) + eps)


def _compressed(spec: torch.Tensor, c: float) -> tuple[torch.Tensor, torch.Tensor]:
    mag = (spec.real.pow(2) + spec.imag.pow(2) + 1e-12).sqrt()
    cmag = mag.pow(c)
    return cmag, spec * (cmag / mag)


def total_loss(
    est_spec: torch.Tensor, clean_spec: torch.Tensor, clean: torch.Tensor, cfg: LossConfig
) -> tuple[torch.Tensor, dict[str, float]]:
    """Loss of an enhanced spectrum; returns ``(loss, components)``.

    ``est_spec``/``clean_spec`` are complex ``[B, T, 161]`` (the estimate from
    :func:`voxclean.neural.model.apply_filter`); ``clean`` is the target waveform
    ``[B, samples]``.
    """
    n = (clean_spec.shape[1] - 1) * _STFT.hop
    ref = clean[:, :n]
    scale = 1.0 / (ref.pow(2).mean(-1).sqrt() + 1e-5)  # [B]
    s3 = scale[:, None, None]
    est_c, est_cc = _compressed(est_spec * s3, cfg.compress)
    ref_c, ref_cc = _compressed(clean_spec * s3, cfg.compress)
    l_mag = (est_c - ref_c).pow(2).mean()
    l_cplx = (est_cc - ref_cc).abs().pow(2).mean()
    est = istft(est_spec)
    est_n, ref_n = est * scale[:, None], ref * scale[:, None]
    l_mr = est.new_zeros(())
    for n_fft in cfg.multires_ffts:
        win = torch.hann_window(n_fft, device=est.device)
        e = torch.stft(est_n, n_fft, n_fft // 4, window=win, return_complex=True)
        r = torch.stft(ref_n, n_fft, n_fft // 4, window=win, return_complex=True)
        ec, _ = _compressed(e, cfg.compress)
        rc, _ = _compressed(r, cfg.compress)
        l_mr = l_mr + (ec - rc).pow(2).mean() / len(cfg.multires_ffts)
    sdr = si_sdr(ref_n, est_n).mean()
    loss = (
        cfg.complex_weight * l_cplx + cfg.mag_weight * l_mag + cfg.multires_weight * l_mr - cfg.si_sdr_weight * sdr
    )
    parts = {k: float(v.detach()) for k, v in [("complex", l_cplx), ("mag", l_mag), ("multires", l_mr), ("si_sdr", sdr)]}
    return loss, parts
