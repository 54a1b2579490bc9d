"""Score ONNX model files / strength settings of the neural denoiser on the dev set.

    python recipes/neural/evaluate.py [--model PATH] [--strength 100,30] [--max-items N] [--by-noise]

Uses ``benchmarks/devset.load_devset`` (dev split only) and prints mean PESQ-WB,
STOI, SI-SDR and their paired improvements over the noisy input, overall and at
0/5/10 dB (``--by-noise``: also per noise type), and over the dry items the noise left in
the reference's pauses and the speech level change (:func:`voxclean.metrics.pause_attenuation`,
:func:`voxclean.metrics.speech_level_change`; means of per-item dB; ``--peer NAME`` also scores
a peer of ``benchmarks/peers.py`` for these two). For the official table use
``python benchmarks/quality.py --methods neural``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

from devset import load_devset  # noqa: E402

from voxclean import run_offline  # noqa: E402
from voxclean.metrics import pause_attenuation, pesq, si_sdr, speech_level_change, stoi  # noqa: E402
from voxclean.neural.runtime import NeuralEnhancer  # noqa: E402


def levels(label: str, items: list, outputs: list[np.ndarray]) -> None:
    """Print the mean pause attenuation and speech level change over the dry items, by input SNR."""
    rows = [
        (it.snr_db, pause_attenuation(it.clean, it.noisy, y), speech_level_change(it.clean, y))
        for it, y in zip(items, outputs)
        if not it.reverberant
    ]
    r = np.array(rows, dtype=float)
    snrs = sorted(set(r[:, 0]))
    by = " ".join(f"{v:+.0f}:{np.nanmean(r[r[:, 0] == v, 1]):.1f}/{np.nanmean(r[r[:, 0] == v, 2]):+.2f}" for v in snrs)
    print(
        f"  {label} dry n={len(r)}: pause attenuation {np.nanmean(r[:, 1]):.1f} dB "
        f"(n={int(np.isfinite(r[:, 1]).sum())}), speech level {np.nanmean(r[:, 2]):+.2f} dB | by SNR {by}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="", help="ONNX file ('' = packaged model)")
    ap.add_argument("--strength", default="100", help="comma list of strength_db values")
    ap.add_argument("--max-items", type=int, default=None)
    ap.add_argument("--by-noise", action="store_true", help="also print PESQ-WB and SI-SDR per noise type")
    ap.add_argument("--peer", default=None, help="also print the pause/speech levels of this peer (benchmarks/peers.py)")
    a = ap.parse_args(argv)
    items = load_devset(max_items=a.max_items)
    if a.peer:
        from peers import PEERS

        levels(a.peer, items, [PEERS[a.peer](it.noisy, 16000)[: len(it.clean)] for it in items])
    base = [(pesq(it.clean, it.noisy, 16000), stoi(it.clean, it.noisy, 16000), si_sdr(it.clean, it.noisy)) for it in items]
    for s in [float(v) for v in a.strength.split(",")]:
        enh = NeuralEnhancer(16000, model=a.model, strength_db=s)
        rows, outs = [], []
        for it, b in zip(items, base):
            y = run_offline(enh, it.noisy, 16000)
            outs.append(y)
            rows.append((it.snr_db, *b, pesq(it.clean, y, 16000), stoi(it.clean, y, 16000), si_sdr(it.clean, y)))
        r = np.array(rows, dtype=float)
        mid = np.isin(r[:, 0], [0, 5, 10])
        print(
            f"strength_db={s:g} n={len(r)}: PESQ {np.nanmean(r[:, 4]):.3f} (noisy {np.nanmean(r[:, 1]):.3f}) "
            f"STOI {np.nanmean(r[:, 5]):.3f} (noisy {np.nanmean(r[:, 2]):.3f}) "
            f"SI-SDR {np.nanmean(r[:, 6]):.2f} (noisy {np.nanmean(r[:, 3]):.2f}) | @0/5/10 dB: "
            f"dPESQ {np.nanmean(r[mid, 4] - r[mid, 1]):+.3f} dSI-SDR {np.nanmean(r[mid, 6] - r[mid, 3]):+.2f} "
            f"| @15/20 dB dSTOI {np.nanmean((r[:, 5] - r[:, 2])[np.isin(r[:, 0], [15, 20])]):+.4f}",
            flush=True,
        )
        levels(f"strength_db={s:g}", items, outs)
        if a.by_noise:
            kinds = [it.noise_type for it in items]
            for k in sorted(set(kinds)):
                m = np.array([t == k for t in kinds])
                print(
                    f"  {k:<16} n={m.sum():<3d} PESQ {np.nanmean(r[m, 4]):.3f} (noisy {np.nanmean(r[m, 1]):.3f}) "
                    f"SI-SDR {np.nanmean(r[m, 6]):6.2f} (noisy {np.nanmean(r[m, 3]):6.2f})",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
