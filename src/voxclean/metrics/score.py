"""One call that aligns a pair of signals and computes every applicable metric."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .._validate import valid_sr
from ..errors import ParameterError, SampleRateError
from ._common import check_pair
from .align import AlignmentInfo
from .align import align as align_signals
from .composite import composite, composite_from_parts, composite_parts
from .pesq import MIN_PESQ_SR
from .pesq import pesq as pesq_metric
from .si_sdr import si_sdr
from .snr import segmental_snr, snr
from .spectral_distance import log_spectral_distance
from .stoi import estoi, stoi

__all__ = ["Score", "METRICS", "available_metrics", "score"]

MetricFn = Callable[[Any, Any, int], float]


def _composite_value(name: str) -> MetricFn:
    def metric(reference: Any, estimate: Any, sr: int) -> float:
        return composite(reference, estimate, sr)[name]

    metric.__name__ = name
    metric.__doc__ = f"``{name}`` of :func:`voxclean.metrics.composite` (computed at 16 or 8 kHz)."
    return metric


def _composite_part(name: str) -> MetricFn:
    def metric(reference: Any, estimate: Any, sr: int) -> float:
        return composite_parts(reference, estimate, sr)[1][name]

    metric.__name__ = name
    metric.__doc__ = f"``{name}`` as used by :func:`voxclean.metrics.composite` (16 or 8 kHz)."
    return metric


#: Metric name -> ``fn(reference, estimate, sr) -> float``. Higher is better
#: except for ``lsd``, ``llr`` and ``wss`` (distances). ``segsnr`` here runs at
#: the input rate; ``llr``, ``wss`` and the composite scores at 16 or 8 kHz.
METRICS: dict[str, MetricFn] = {
    "snr": lambda reference, estimate, sr: snr(reference, estimate),
    "segsnr": lambda reference, estimate, sr: segmental_snr(reference, estimate, sr),
    "si_sdr": lambda reference, estimate, sr: si_sdr(reference, estimate),
    "lsd": lambda reference, estimate, sr: log_spectral_distance(reference, estimate, sr),
    "pesq": lambda reference, estimate, sr: pesq_metric(reference, estimate, sr),
    "stoi": lambda reference, estimate, sr: stoi(reference, estimate, sr),
    "estoi": lambda reference, estimate, sr: estoi(reference, estimate, sr),
    "csig": _composite_value("csig"),
    "cbak": _composite_value("cbak"),
    "covl": _composite_value("covl"),
    "llr": _composite_part("llr"),
    "wss": _composite_part("wss"),
}

_COMPOSITE = ("csig", "cbak", "covl")
# name -> (required package or None, minimum sample rate in Hz)
_REQUIREMENTS: dict[str, tuple[str | None, int]] = {
    "pesq": ("pesq", MIN_PESQ_SR),
    "csig": ("pesq", MIN_PESQ_SR),
    "cbak": ("pesq", MIN_PESQ_SR),
    "covl": ("pesq", MIN_PESQ_SR),
    "llr": (None, MIN_PESQ_SR),
    "wss": (None, MIN_PESQ_SR),
    "stoi": ("pystoi", 1),
    "estoi": ("pystoi", 1),
}


def _unmet(name: str, sr: int | None) -> str | None:
    """Why metric ``name`` cannot run at ``sr`` here, or None."""
    package, min_sr = _REQUIREMENTS.get(name, (None, 1))
    if package is not None and importlib.util.find_spec(package) is None:
        return f"package '{package}' is not installed"
    if sr is not None and sr < min_sr:
        return f"sr={sr} < {min_sr} Hz"
    return None


def available_metrics(sr: int | None = None) -> list[str]:
    """Names of the metrics that can run here (optionally at sample rate ``sr`` in Hz)."""
    if sr is not None:
        sr = valid_sr(sr)
    return [name for name in METRICS if _unmet(name, sr) is None]


@dataclass
class Score(Mapping[str, float]):
    """Result of :func:`score`: a read-only mapping metric name -> value.

    Attributes
    ----------
    scores : dict[str, float]
        Metric values, also reachable through the mapping interface; ``nan``
        where a metric was undefined for the input (the reason is in ``notes``).
    notes : list[str]
        Human-readable remarks: alignment, trimming, skipped or failed metrics.
    alignment : AlignmentInfo or None
        What the alignment did (None with ``align=False``).
    sr : int
        Sample rate of the scored signals in Hz.
    """

    scores: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    alignment: AlignmentInfo | None = None
    sr: int = 0

    def __getitem__(self, name: str) -> float:
        return self.scores[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.scores)

    def __len__(self) -> int:
        return len(self.scores)

    def to_dict(self) -> dict[str, float]:
        """Plain ``dict`` copy of the values."""
        return dict(self.scores)

    def __repr__(self) -> str:
        body = ", ".join(f"{k}={v:.4g}" for k, v in self.scores.items())
        return f"Score({body}; notes={self.notes!r})"


def _select(metrics: str | Iterable[str] | None, sr: int, notes: list[str]) -> list[str]:
    if metrics is None:
        names: list[str] = []
        skipped: dict[str, list[str]] = {}
        for name in METRICS:
            reason = _unmet(name, sr)
            if reason is None:
                names.append(name)
            else:
                skipped.setdefault(reason, []).append(name)
        for reason, group in skipped.items():
            notes.append(f"{', '.join(group)} skipped: {reason}")
        return names
    requested = [metrics] if isinstance(metrics, str) else list(metrics)
    unknown = [n for n in requested if n not in METRICS]
    if unknown:
        raise ParameterError(f"metrics={unknown!r} unknown; available: {sorted(METRICS)}")
    for name in requested:
        _, min_sr = _REQUIREMENTS.get(name, (None, 1))
        if sr < min_sr:
            raise SampleRateError(
                f"metric {name!r} needs sr >= {min_sr} Hz but sr={sr}; resample the input"
            )
    return list(dict.fromkeys(requested))


def _describe_alignment(info: AlignmentInfo, notes: list[str]) -> None:
    if info.length_mismatch > 0:
        notes.append(f"estimate was {info.length_mismatch} samples longer; trimmed")
    elif info.length_mismatch < 0:
        notes.append(f"estimate was {-info.length_mismatch} samples shorter; reference trimmed")
    if info.lag_samples > 0:
        notes.append(f"aligned by +{info.lag_samples} samples (estimate lagged the reference)")
    elif info.lag_samples < 0:
        notes.append(f"aligned by {info.lag_samples} samples (estimate led the reference)")
    if abs(info.correlation) < 0.1:
        notes.append(f"alignment uncertain: peak correlation {info.correlation:.3f}")
    if info.lag_samples or info.length_mismatch:
        notes.append(f"scored {info.length} common samples")


def _failure_note(name: str, exc: Exception) -> str:
    message = str(exc)
    if not message.startswith(f"{name}:"):
        message = f"{name}: {message}"
    return f"{message} -> nan"


def score(
    reference: Any,
    estimate: Any,
    sr: int,
    *,
    metrics: str | Iterable[str] | None = None,
    align: bool = True,
    max_lag_s: float = 0.5,
) -> Score:
    """Align ``estimate`` to ``reference`` and compute quality metrics.

    Parameters
    ----------
    reference : np.ndarray [shape=(T,) or (C, T)]
        Clean reference signal.
    estimate : np.ndarray [shape=(T2,) or (C, T2)]
        Signal under test, same channel count; its length may differ.
    sr : int > 0
        Sample rate of both signals in Hz.
    metrics : str, iterable of str, or None
        Names from :data:`METRICS`. ``None``: every metric that applies
        (``pesq``, ``csig``, ``cbak``, ``covl`` need the ``pesq`` package and,
        like ``llr`` and ``wss``, sr >= 8000 Hz; ``stoi``/``estoi`` need
        ``pystoi``); skipped ones are listed in ``notes``.
    align : bool
        Estimate and remove a constant delay (:func:`voxclean.metrics.align`)
        before scoring. Either way both signals are trimmed to a common length.
    max_lag_s : float >= 0
        Largest delay searched, in seconds.

    Returns
    -------
    Score
        Mapping name -> float plus ``notes`` and ``alignment``. A metric that is
        undefined for the input (e.g. PESQ finds no utterance, the reference
        is silent) is ``nan`` with the reason in ``notes``; it never raises.
        Multichannel metrics are channel means.

    Raises
    ------
    ParameterError
        NaN/Inf or empty input, unknown metric names, invalid ``max_lag_s``.
    ChannelError
        Reference and estimate have different channel counts.
    SampleRateError
        ``sr`` is not a positive integer, or an explicitly requested metric
        needs a higher rate (``pesq`` and the composite measures: 8000 Hz).
    """
    sr = valid_sr(sr)
    ref, est = check_pair(reference, estimate, same_length=False)
    notes: list[str] = []
    names = _select(metrics, sr, notes)
    info: AlignmentInfo | None = None
    if align:
        ref, est, info = align_signals(ref, est, sr, max_lag_s=max_lag_s)
        _describe_alignment(info, notes)
    elif ref.shape[1] != est.shape[1]:
        mismatch = est.shape[1] - ref.shape[1]
        length = min(ref.shape[1], est.shape[1])
        which = "longer; trimmed" if mismatch > 0 else "shorter; reference trimmed"
        notes.append(f"estimate was {abs(mismatch)} samples {which}")
        ref, est = ref[:, :length], est[:, :length]

    values: dict[str, float] = {}
    cache: dict[str, Any] = {}

    def cached(key: str, compute: Callable[[], Any]) -> Any:
        # Shared results (PESQ, composite parts) are computed once; failures are cached too.
        if key not in cache:
            try:
                cache[key] = compute()
            except ParameterError as exc:
                cache[key] = exc
        if isinstance(cache[key], Exception):
            raise cache[key]
        return cache[key]

    def get_pesq() -> float:
        return cached("pesq", lambda: pesq_metric(ref, est, sr))

    def get_parts() -> dict[str, float]:
        return cached("parts", lambda: composite_parts(ref, est, sr)[1])

    for name in names:
        try:
            if name == "pesq":
                values[name] = get_pesq()
            elif name in ("llr", "wss"):
                values[name] = get_parts()[name]
            elif name in _COMPOSITE:
                p = get_parts()
                try:
                    quality = get_pesq()
                except ParameterError as exc:
                    raise ParameterError(f"needs pesq, which is undefined here ({exc})") from exc
                values[name] = composite_from_parts(quality, p["llr"], p["wss"], p["segsnr"])[name]
            else:
                values[name] = float(METRICS[name](ref, est, sr))
        except ParameterError as exc:
            values[name] = float("nan")
            notes.append(_failure_note(name, exc))
    return Score(scores=values, notes=notes, alignment=info, sr=sr)
