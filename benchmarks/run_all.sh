#!/usr/bin/env bash
# Build the dev set, then run the quality, noise-tracking, speed and machine-jitter benchmarks.
# Usage: benchmarks/run_all.sh [--quick]   (from anywhere; uses the current python)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
quick=()
if [[ "${1:-}" == "--quick" ]]; then
    quick=(--quick)
fi
python "$here/devset.py" "${quick[@]}"
python "$here/peers.py"
python "$here/quality.py" "${quick[@]}"
python "$here/noise_tracking.py" "${quick[@]}"
python "$here/speed.py" "${quick[@]}"
if [[ ${#quick[@]} -gt 0 ]]; then
    python "$here/machine_jitter.py" --seconds 2 --out "${TMPDIR:-/tmp}/machine_jitter_quick.md"
else
    python "$here/machine_jitter.py"
fi
