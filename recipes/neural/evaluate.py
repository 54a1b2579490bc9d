"""Score ONNX model files / strength settings of the neural denoiser on the dev set.

    python recipes/neural/evaluate.py [--model PATH] [--strength 100,30] [--max-items N] [--by-noise]

Uses ``benchmarks/devset.load_devset`` (dev split only) and prints mean PESQ-WB,
STOI, SI-SDR and their paired improvements over the noisy input, overall and at
0/5/10 dB (``--by-noise``: also per noise type). For the official table use ``python benchmarks/quality.py --methods neural``.
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
from voxclean.metrics import pesq, si_sdr, stoi  # noqa: E402
from voxclean.neural.runtime import NeuralEnhancer  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="", help="ONNX file ('' = packaged model)")
    ap.add_argument("--strength", default="100", help="comma list of strength_db values")
    ap.add_argument("--max-items", type=int, default=None)
    ap.add_argument("--by-noise", action="store_true", help="also print PESQ-WB and SI-SDR per noise type")
    a = ap.parse_args(argv)
    items = load_devset(max_items=a.max_items)
    base = [(pesq(it.clean, it.noisy, 16000), stoi(it.clean, it.noisy, 16000), si_sdr(it.clean, it.noisy)) for it in items]
    for s in [float(v) for v in a.strength.split(",")]:
        enh = NeuralEnhancer(16000, model=a.model, strength_db=s)
        rows = []
        for it, b in zip(items, base):
            y = run_offline(enh, it.noisy, 16000)
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
