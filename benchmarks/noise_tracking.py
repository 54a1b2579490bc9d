"""How much of the classical enhancers' shortfall is the noise tracker's?

Runs the MMSE log-spectral amplitude estimator (``mmse-lsa``, default
parameters; ``--method wiener`` for the Wiener filter) on the dev set's 0/5/10 dB
items with each blind noise tracker of :mod:`voxclean.noise` and with *oracle*
trackers that read the true
interference (``noisy - reference``: the noise, plus late reverberation on
reverberant items) through the same STFT:

* ``oracle-150ms``: its power spectrum averaged recursively with a 150 ms time
  constant, i.e. a perfect tracker of the noise's short-term mean;
* ``oracle-frame``: its power spectrum in the current frame, a bound no tracker
  of the mean can reach on fluctuating noise;
* ``spp+oracle-noise-bins``: ``oracle-150ms`` in the bins where the reference
  speech's power is below that noise mean, the default SPP tracker in the
  others: how much is lost where the noise dominates, i.e. where a blind tracker
  can observe it.

Everything else (STFT, decision-directed a priori SNR, gain rule, gain floor)
is the shipped method. For every tracker the table gives the mean paired
PESQ-WB and SI-SDR improvement over the noisy input, overall and per noise
category, and how far the blind trackers' estimates sit from ``oracle-150ms``
(median over all time-frequency bins of the error in dB, and the share of bins
under-estimated by more than 6 dB).

Output: ``benchmarks/results/noise_tracking.md`` (``noise_tracking_wiener.md``
with ``--method wiener``). Single process, about 3 min.

Usage::

    python benchmarks/noise_tracking.py [--quick | --max-items N] [--method mmse-lsa|wiener]
"""

from __future__ import annotations

import _one_thread  # noqa: F401  (before numpy)

import argparse  # noqa: E402
import datetime as _dt  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from devset import Item, load_devset  # noqa: E402

from voxclean.dsp.stft import Stft  # noqa: E402
from voxclean.enhance.base import run_offline  # noqa: E402
from voxclean.enhance.mmse import MmseLsa  # noqa: E402
from voxclean.enhance.spectral import SpectralEnhancer  # noqa: E402
from voxclean.enhance.wiener import Wiener  # noqa: E402
from voxclean.metrics import pesq, si_sdr  # noqa: E402
from voxclean.noise import Imcra, MinimumStatistics, SppNoise  # noqa: E402
from voxclean.noise.base import NoiseEstimator, NoiseState  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
SNRS_DB = (0.0, 5.0, 10.0)
BLIND = {"spp": SppNoise, "imcra": Imcra, "min_stats": MinimumStatistics}
ORACLES = {"oracle-150ms": 0.150, "oracle-frame": 0.0}
HYBRID = "spp+oracle-noise-bins"
METHODS: dict[str, type[SpectralEnhancer]] = {"mmse-lsa": MmseLsa, "wiener": Wiener}
UNDER_DB = 6.0


class OracleNoise:
    """Noise "tracker" that reads the true interference signal.

    Parameters
    ----------
    stft : Stft
        The enhancer's STFT (same frame, hop and window).
    interference : np.ndarray [shape=(T,)]
        The true interference at the enhancer's rate; frames past its end are zero.
    tau_s : float >= 0
        Time constant of the recursive average of its power spectrum in seconds;
        0 gives the current frame's power spectrum.
    """

    def __init__(self, stft: Stft, interference: np.ndarray, tau_s: float) -> None:
        self.stft = stft
        self.signal = np.asarray(interference, np.float32)
        hop_s = stft.hop / stft.sample_rate
        self.alpha = float(np.exp(-hop_s / tau_s)) if tau_s > 0 else 0.0

    def init_state(self, n_channels: int, n_bins: int) -> NoiseState:
        """Fresh state (one channel: the interference is mono)."""
        return NoiseState(noise_psd=np.zeros((n_channels, n_bins)), absence=np.ones((n_channels, n_bins)),
                          extra={"stft": self.stft.init_state(1), "pos": 0})

    def update(self, power: np.ndarray, state: NoiseState) -> np.ndarray:
        """The next frame of the interference's (averaged) power spectrum [shape=(C, F)]."""
        ex, hop = state.extra, self.stft.hop
        block = self.signal[ex["pos"]: ex["pos"] + hop]
        block = np.pad(block, (0, hop - block.size))[None]
        ex["pos"] += hop
        spec = self.stft.analyze(block, ex["stft"])
        true = spec.real**2 + spec.imag**2
        first = state.frames == 0
        state.frames += 1
        state.noise_psd = true if first or self.alpha == 0 else self.alpha * state.noise_psd + (1 - self.alpha) * true
        return state.noise_psd


class NoiseBinsOracle:
    """``oracle-150ms`` where the reference speech is below it, SPP tracking elsewhere.

    Parameters
    ----------
    stft : Stft
    interference, reference : np.ndarray [shape=(T,)]
        True interference and reference speech.
    """

    def __init__(self, stft: Stft, interference: np.ndarray, reference: np.ndarray) -> None:
        self.noise = OracleNoise(stft, interference, ORACLES["oracle-150ms"])
        self.speech = OracleNoise(stft, reference, 0.0)
        self.spp = SppNoise(stft.hop / stft.sample_rate)

    def init_state(self, n_channels: int, n_bins: int) -> NoiseState:
        """SPP state carrying the two oracles' states."""
        state = self.spp.init_state(n_channels, n_bins)
        state.extra["oracles"] = (self.noise.init_state(n_channels, n_bins),
                                  self.speech.init_state(n_channels, n_bins))
        return state

    def update(self, power: np.ndarray, state: NoiseState) -> np.ndarray:
        """One frame [shape=(C, F)]."""
        noise_state, speech_state = state.extra["oracles"]
        mean = self.noise.update(power, noise_state)
        speech = self.speech.update(power, speech_state)
        tracked = self.spp.update(power, state)
        return np.where(speech < mean, mean, tracked)


def tracker(name: str, ref: SpectralEnhancer, item: Item) -> NoiseEstimator:
    """A fresh tracker ``name`` for one item, on the STFT of the enhancer ``ref``."""
    interference = item.noisy - item.clean
    if name == HYBRID:
        return NoiseBinsOracle(ref.stft, interference, item.clean)
    if name in ORACLES:
        return OracleNoise(ref.stft, interference, ORACLES[name])
    return BLIND[name](ref.hop_s)


class ErrorRecorder:
    """A blind tracker that also records its error against ``oracle-150ms``.

    Wraps the tracker the enhancer runs, so the error is measured on the very
    estimates the enhancer used. One row per frame whose hop lies inside the item
    (the padding frames of latency compensation are left out).

    Parameters
    ----------
    tracker : NoiseEstimator
    stft : Stft
        The enhancer's STFT.
    interference : np.ndarray [shape=(T,)]
    """

    def __init__(self, tracker: NoiseEstimator, stft: Stft, interference: np.ndarray) -> None:
        self.tracker = tracker
        self.oracle = OracleNoise(stft, interference, ORACLES["oracle-150ms"])
        self.frames = interference.size // stft.hop
        #: Error in dB of every recorded frame [shape=(F,)] each.
        self.errors: list[np.ndarray] = []

    def init_state(self, n_channels: int, n_bins: int) -> NoiseState:
        """The tracker's state, carrying the oracle's."""
        state = self.tracker.init_state(n_channels, n_bins)
        state.extra["error_oracle"] = self.oracle.init_state(n_channels, n_bins)
        return state

    def update(self, power: np.ndarray, state: NoiseState) -> np.ndarray:
        """The tracker's estimate [shape=(C, F)]; records its error while inside the item."""
        est = self.tracker.update(power, state)
        true = self.oracle.update(power, state.extra["error_oracle"])
        if len(self.errors) < self.frames:
            self.errors.append(10 * np.log10((est[0] + 1e-20) / (true[0] + 1e-20)))
        return est


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="only the quick subset of the dev set")
    ap.add_argument("--max-items", type=int, default=None, help="use only the first N dev items")
    ap.add_argument("--method", choices=sorted(METHODS), default="mmse-lsa",
                    help="the enhancer around the trackers (default parameters)")
    ap.add_argument("--out", type=Path, default=None,
                    help="report path (default benchmarks/results/noise_tracking[_METHOD].md)")
    a = ap.parse_args()
    cls = METHODS[a.method]
    out_path = a.out or RESULTS / ("noise_tracking.md" if a.method == "mmse-lsa" else f"noise_tracking_{a.method}.md")
    items = [it for it in load_devset(a.quick, max_items=a.max_items) if it.snr_db in SNRS_DB]
    names = [*BLIND, *ORACLES, HYBRID]
    t0 = time.time()
    delta: dict[str, dict[str, list[tuple[float, float]]]] = {n: defaultdict(list) for n in names}
    err: dict[str, list[np.ndarray]] = {n: [] for n in BLIND}
    for it in items:
        p0, s0 = pesq(it.clean, it.noisy, it.sr), si_sdr(it.clean, it.noisy)
        ref = cls(it.sr)
        for name in names:
            est = tracker(name, ref, it)
            if name in BLIND:
                est = ErrorRecorder(est, ref.stft, it.noisy - it.clean)
            out = run_offline(cls(it.sr, noise_estimator=est), it.noisy, it.sr)
            d = (pesq(it.clean, out, it.sr) - p0, si_sdr(it.clean, out) - s0)
            delta[name]["all"].append(d)
            delta[name][it.noise_category].append(d)
            if isinstance(est, ErrorRecorder):
                err[name].append(np.concatenate(est.errors))
    cats = sorted({it.noise_category for it in items})
    counts = {c: sum(it.noise_category == c for it in items) for c in cats}
    lines = [
        f"# Noise tracking: blind trackers against oracles ({a.method})", "",
        "- Command: `python benchmarks/noise_tracking.py" + (" --quick" if a.quick else "")
        + ("" if a.max_items is None else f" --max-items {a.max_items}")
        + ("" if a.method == "mmse-lsa" else f" --method {a.method}") + "`",
        f"- Date: {_dt.datetime.now(_dt.timezone.utc):%Y-%m-%d %H:%M} UTC; {len(items)} dev items at 0/5/10 dB "
        f"({sum(it.reverberant for it in items)} reverberant); took {(time.time() - t0) / 60:.1f} min",
        "- Oracles read the true interference (`noisy - reference`); everything but the tracker is the "
        f"default `{a.method}`. Paired improvement over the noisy input, mean over items.", "",
        "| tracker | ΔPESQ-WB | ΔSI-SDR dB | " + " | ".join(f"ΔPESQ {c} (n={counts[c]})" for c in cats)
        + " | median error dB | bins under > 6 dB |",
        "|---|---|---|" + "---|" * len(cats) + "---|---|",
    ]
    for name in names:
        d = np.array(delta[name]["all"])
        per = " | ".join(f"{np.mean([x[0] for x in delta[name][c]]):+.3f}" for c in cats)
        if name in BLIND:
            e = np.concatenate(err[name])
            tail = f"{np.median(e):+.1f} | {100 * np.mean(e < -UNDER_DB):.0f} %"
        else:
            tail = "- | -"
        lines.append(f"| {name} | {d[:, 0].mean():+.3f} | {d[:, 1].mean():+.2f} | {per} | {tail} |")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
