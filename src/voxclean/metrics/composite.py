"""Composite quality measures of Hu & Loizou (2008): LLR, WSS, segSNR, CSIG/CBAK/COVL.

Reference: Y. Hu and P. C. Loizou, "Evaluation of objective quality measures for
speech enhancement", IEEE Trans. Audio, Speech, Lang. Process. 16(1), 2008.
Frame analysis follows the paper's setup: 30 ms Hann frames with 75 % overlap,
and the LLR and WSS frame values are averaged over their lowest 95 %.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validate import positive_int, valid_sr
from ..errors import ParameterError, SampleRateError
from ._common import (
    Float64Array,
    analysis_window,
    channel_mean,
    check_pair,
    frame_signal,
    mean_of_lowest,
    resample,
)
from .pesq import pesq as _pesq
from .snr import segmental_snr

__all__ = ["llr", "wss", "composite", "composite_from_parts", "composite_rate"]

_FRAME_S = 0.03
_LOWEST = 0.95

# Klatt (1982) critical bands as tabulated for the WSS measure: centres and
# bandwidths in Hz (70 Hz wide up to 540 Hz, then about 0.13 of the centre).
_CENTRES_HZ = np.array([
    50.0, 120.0, 190.0, 260.0, 330.0, 400.0, 470.0, 540.0, 617.372, 703.378,
    798.717, 904.128, 1020.38, 1148.30, 1288.72, 1442.54, 1610.70, 1794.16,
    1993.93, 2211.08, 2446.71, 2701.97, 2978.04, 3276.17, 3597.63,
])
_BANDWIDTHS_HZ = np.array([
    70.0, 70.0, 70.0, 70.0, 70.0, 70.0, 70.0, 77.3724, 86.0056, 95.3398,
    105.411, 116.256, 127.914, 140.423, 153.823, 168.154, 183.457, 199.776,
    217.153, 235.631, 255.255, 276.072, 298.126, 321.465, 346.136,
])


def _frames(x: Float64Array, sr: int) -> Float64Array:
    length = int(round(_FRAME_S * sr))
    return frame_signal(x, length, max(1, length // 4)) * analysis_window(length)


# --------------------------------------------------------------------------- LLR
def _autocorrelation(frames: Float64Array, order: int) -> Float64Array:
    """Autocorrelation lags 0..order of each frame [shape=(F, order + 1)]."""
    n = frames.shape[1]
    return np.stack(
        [np.sum(frames[:, : n - k] * frames[:, k:], axis=1) for k in range(order + 1)], axis=1
    )


def _levinson(r: Float64Array) -> Float64Array:
    """LPC polynomials ``[1, a1, ..., ap]`` [shape=(F, p + 1)] from autocorrelations, batched.

    The recursion stops (reflection coefficient 0) where the prediction error
    vanishes, so silent or perfectly predictable frames stay finite.
    """
    n_frames, p1 = r.shape
    a = np.zeros((n_frames, p1))
    a[:, 0] = 1.0
    error = r[:, 0].copy()
    floor = 1e-12 * r[:, 0]
    for i in range(1, p1):
        acc = r[:, i] + np.sum(a[:, 1:i] * r[:, i - 1 : 0 : -1], axis=1)
        ok = error > np.maximum(floor, 0.0) + np.finfo(np.float64).tiny
        k = np.where(ok, -acc / np.where(ok, error, 1.0), 0.0)
        previous = a[:, 1:i].copy()
        a[:, 1:i] = previous + k[:, None] * previous[:, ::-1]
        a[:, i] = k
        error = error * (1.0 - k * k)
    return a


def _toeplitz_quadratic(a: Float64Array, r: Float64Array) -> Float64Array:
    """``a R a^T`` per frame, with ``R`` the Toeplitz matrix of the lags ``r``."""
    p1 = a.shape[1]
    total = r[:, 0] * np.sum(a * a, axis=1)
    for m in range(1, p1):
        total += 2.0 * r[:, m] * np.sum(a[:, : p1 - m] * a[:, m:], axis=1)
    return total


def _llr_frames(
    reference: Float64Array, estimate: Float64Array, sr: int, order: int
) -> Float64Array:
    r_ref = _autocorrelation(_frames(reference, sr), order)
    r_est = _autocorrelation(_frames(estimate, sr), order)
    voiced = r_ref[:, 0] > 0.0
    if not np.any(voiced):
        raise ParameterError("llr: reference is silent (all zeros)")
    r_ref, r_est = r_ref[voiced], r_est[voiced]
    a_ref = _levinson(r_ref)
    a_est = _levinson(r_est)
    numerator = _toeplitz_quadratic(a_est, r_ref)
    denominator = _toeplitz_quadratic(a_ref, r_ref)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.log(numerator / denominator)
    return np.clip(np.nan_to_num(values, nan=0.0, posinf=2.0, neginf=0.0), 0.0, 2.0)


def _default_order(sr: int) -> int:
    return 10 if sr < 10000 else 16


def llr(reference: Any, estimate: Any, sr: int, *, order: int | None = None) -> float:
    """Log-likelihood ratio between the LPC models of reference and estimate.

    Per 30 ms Hann frame (75 % overlap): ``log((a_e R_r a_e^T) / (a_r R_r a_r^T))``
    with ``a_r``, ``a_e`` the LPC polynomials of the reference and estimate and
    ``R_r`` the reference autocorrelation matrix; frame values are clipped to
    [0, 2] and averaged over the lowest 95 %. Frames where the reference is
    digitally silent are skipped.

    Parameters
    ----------
    reference : np.ndarray [shape=(T,) or (C, T)]
        Clean reference speech.
    estimate : np.ndarray [shape=(T,) or (C, T)]
        Speech under test, same shape as ``reference``.
    sr : int > 0
        Sample rate in Hz.
    order : int > 0 or None
        LPC order. ``None``: 10 below 10 kHz and 16 otherwise (the convention of
        Loizou's reference toolbox that the composite regression was fitted with).

    Returns
    -------
    float
        LLR, 0 (identical) ... 2. Multichannel input: mean over channels.

    Raises
    ------
    ParameterError
        Invalid input, or a silent reference.
    SampleRateError
        ``sr`` is not a positive integer.
    ChannelError
        Channel counts differ.
    """
    sr = valid_sr(sr)
    order = _default_order(sr) if order is None else positive_int(order, name="order")
    ref, est = check_pair(reference, estimate)
    return channel_mean(
        lambda r, e: mean_of_lowest(_llr_frames(r, e, sr, order), _LOWEST), ref, est
    )


# --------------------------------------------------------------------------- WSS
def _critical_band_filters(sr: int, n_fft: int) -> Float64Array:
    """Gaussian-shaped critical-band weights on FFT bins 0..n_fft/2-1 [shape=(25, n_fft/2)]."""
    half = n_fft // 2
    nyquist = sr / 2.0
    bins = np.arange(half)
    centres = np.floor(_CENTRES_HZ / nyquist * half)
    widths = _BANDWIDTHS_HZ / nyquist * half
    # Wider bands are attenuated so that every band has about the same area.
    gain = np.log(_BANDWIDTHS_HZ[0]) - np.log(_BANDWIDTHS_HZ)
    distance = (bins[None, :] - centres[:, None]) / widths[:, None]
    filters = np.exp(-11.0 * distance**2 + gain[:, None])
    cutoff = np.exp(-30.0 / (2.0 * 2.303))  # -30 dB point
    return np.where(filters > cutoff, filters, 0.0)


def _band_energies_db(frames: Float64Array, filters: Float64Array, n_fft: int) -> Float64Array:
    power = np.abs(np.fft.rfft(frames, n=n_fft, axis=1)[:, : n_fft // 2]) ** 2
    return 10.0 * np.log10(np.maximum(power @ filters.T, 1e-10))


def _nearest_peaks(energy: Float64Array, slope: Float64Array) -> Float64Array:
    """Energy of the nearest spectral peak, searched in the direction of rising slope."""
    n_slopes = slope.shape[1]
    rows = np.arange(energy.shape[0])
    up = np.empty(slope.shape, dtype=np.intp)  # peak reached climbing upwards from band i
    nxt = np.full(energy.shape[0], n_slopes, dtype=np.intp)
    for i in range(n_slopes - 1, -1, -1):
        nxt = np.where(slope[:, i] > 0, nxt, i)
        up[:, i] = nxt
    down = np.empty(slope.shape, dtype=np.intp)  # peak reached climbing downwards from band i
    prev = np.zeros(energy.shape[0], dtype=np.intp)
    for i in range(n_slopes):
        if i > 0:
            prev = np.where(slope[:, i - 1] <= 0, prev, i)
        down[:, i] = prev
    peak_band = np.where(slope > 0, up, down)
    return energy[rows[:, None], peak_band]


def _slope_weights(
    energy: Float64Array, slope: Float64Array, k_max: float, k_locmax: float
) -> Float64Array:
    bands = energy[:, :-1]
    global_max = energy.max(axis=1, keepdims=True)
    local_max = _nearest_peaks(energy, slope)
    return (k_max / (k_max + global_max - bands)) * (k_locmax / (k_locmax + local_max - bands))


def _wss_frames(reference: Float64Array, estimate: Float64Array, sr: int) -> Float64Array:
    length = int(round(_FRAME_S * sr))
    n_fft = 1 << int(np.ceil(np.log2(2 * length)))
    filters = _critical_band_filters(sr, n_fft)
    e_ref = _band_energies_db(_frames(reference, sr), filters, n_fft)
    e_est = _band_energies_db(_frames(estimate, sr), filters, n_fft)
    s_ref = np.diff(e_ref, axis=1)
    s_est = np.diff(e_est, axis=1)
    weights = 0.5 * (
        _slope_weights(e_ref, s_ref, 20.0, 1.0) + _slope_weights(e_est, s_est, 20.0, 1.0)
    )
    return np.sum(weights * (s_ref - s_est) ** 2, axis=1) / np.sum(weights, axis=1)


def wss(reference: Any, estimate: Any, sr: int) -> float:
    """Weighted spectral slope distance (Klatt, 1982).

    Per 30 ms Hann frame (75 % overlap) the power spectrum is summed into 25
    critical bands (50 Hz ... 3.6 kHz) in dB; the squared difference of the band
    slopes is weighted by ``Kmax / (Kmax + dBmax - E)`` times
    ``Klocmax / (Klocmax + E_peak - E)`` (Kmax = 20, Klocmax = 1, weights
    averaged over reference and estimate). Frame distances are averaged over
    the lowest 95 %.

    Parameters
    ----------
    reference : np.ndarray [shape=(T,) or (C, T)]
        Clean reference speech.
    estimate : np.ndarray [shape=(T,) or (C, T)]
        Speech under test, same shape as ``reference``.
    sr : int >= 8000
        Sample rate in Hz (the bands reach 4 kHz).

    Returns
    -------
    float
        WSS, 0 for identical signals, larger is worse (typically 20 ... 100 for
        noisy speech). Multichannel input: mean over channels.

    Raises
    ------
    ParameterError
        Invalid input.
    SampleRateError
        ``sr`` is not an integer or below 8000 Hz.
    ChannelError
        Channel counts differ.
    """
    sr = valid_sr(sr)
    if sr < 8000:
        raise SampleRateError(f"sr={sr} is too low for WSS: its critical bands need sr >= 8000")
    ref, est = check_pair(reference, estimate)
    return channel_mean(lambda r, e: mean_of_lowest(_wss_frames(r, e, sr), _LOWEST), ref, est)


# --------------------------------------------------------------------- composite
def composite_rate(sr: int) -> int:
    """Rate in Hz at which :func:`composite` works for input rate ``sr`` (16000 or 8000)."""
    sr = valid_sr(sr)
    if sr < 8000:
        raise SampleRateError(
            f"sr={sr} is too low for the composite measures: they need PESQ, i.e. sr >= 8000"
        )
    return 16000 if sr >= 16000 else 8000


def composite_from_parts(pesq: float, llr: float, wss: float, segsnr: float) -> dict[str, float]:
    """Apply the Hu & Loizou (2008) regressions to already computed measures.

    Returns
    -------
    dict
        ``csig``, ``cbak``, ``covl`` (each clipped to [1, 5], ``nan`` when
        ``pesq`` is nan) and the inputs ``llr``, ``wss``, ``segsnr``, ``pesq``.
    """
    csig = 3.093 - 1.029 * llr + 0.603 * pesq - 0.009 * wss
    cbak = 1.634 + 0.478 * pesq - 0.007 * wss + 0.063 * segsnr
    covl = 1.594 + 0.805 * pesq - 0.512 * llr - 0.007 * wss
    return {
        "csig": float(np.clip(csig, 1.0, 5.0)),
        "cbak": float(np.clip(cbak, 1.0, 5.0)),
        "covl": float(np.clip(covl, 1.0, 5.0)),
        "llr": float(llr),
        "wss": float(wss),
        "segsnr": float(segsnr),
        "pesq": float(pesq),
    }


def composite_parts(reference: Any, estimate: Any, sr: int) -> tuple[int, dict[str, float]]:
    """LLR, WSS and segSNR at the composite working rate; returns ``(rate, parts)``."""
    rate = composite_rate(sr)
    ref, est = check_pair(reference, estimate)
    ref = resample(ref, int(sr), rate)
    est = resample(est, int(sr), rate)
    parts = {
        "llr": llr(ref, est, rate),
        "wss": wss(ref, est, rate),
        "segsnr": segmental_snr(ref, est, rate),
    }
    return rate, parts


def composite(reference: Any, estimate: Any, sr: int) -> dict[str, float]:
    """Composite quality measures CSIG, CBAK and COVL (Hu & Loizou, 2008).

    ``CSIG = 3.093 - 1.029 LLR + 0.603 PESQ - 0.009 WSS`` (signal distortion),
    ``CBAK = 1.634 + 0.478 PESQ - 0.007 WSS + 0.063 segSNR`` (background
    intrusiveness), ``COVL = 1.594 + 0.805 PESQ - 0.512 LLR - 0.007 WSS``
    (overall quality), each clipped to the MOS range [1, 5].

    Working rate: inputs at 16 kHz or more are resampled to 16 kHz and use
    wideband PESQ (the usual convention of enhancement papers, e.g. on
    VoiceBank-DEMAND); inputs from 8 kHz to below 16 kHz are resampled to 8 kHz
    and use narrowband PESQ, like the paper's 8 kHz NOIZEUS setup. The paper
    fitted the regressions on raw P.862 scores, so absolute values are only
    comparable with other tools using the same PESQ variant. LLR, WSS and
    segSNR use 30 ms Hann frames with 75 % overlap at the working rate.

    Parameters
    ----------
    reference : np.ndarray [shape=(T,) or (C, T)]
        Clean reference speech.
    estimate : np.ndarray [shape=(T,) or (C, T)]
        Speech under test, same shape as ``reference``.
    sr : int >= 8000
        Sample rate in Hz.

    Returns
    -------
    dict[str, float]
        ``csig``, ``cbak``, ``covl`` (1 ... 5, higher is better) and the parts
        ``llr`` (0 ... 2), ``wss``, ``segsnr`` (dB) and ``pesq``. Multichannel
        input: every part is the mean over channels.

    Raises
    ------
    SampleRateError
        ``sr`` is not an integer or below 8000 Hz.
    ParameterError
        Invalid input, or PESQ undefined for it (see :func:`voxclean.metrics.pesq`).
    ChannelError
        Channel counts differ.
    """
    rate, parts = composite_parts(reference, estimate, sr)
    ref, est = check_pair(reference, estimate)
    score = _pesq(ref, est, int(sr), mode="wb" if rate == 16000 else "nb")
    return composite_from_parts(score, parts["llr"], parts["wss"], parts["segsnr"])
