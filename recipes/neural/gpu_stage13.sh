#!/usr/bin/env bash
# Stage 13 on a GPU machine: two runs of the default model from checkpoints/step70689, one after
# the other, each with all of the machine's CPU cores building batches (the device tool runs this
# in the repository root; $OUT = folder whose files come back). Needs, beside the tracked files:
# gpu_pack/corpus.pkl (recipes/neural/pack_corpus.py) and .whl/ (wheels of soundfile, cffi,
# pycparser, soxr for the machine's Python). See README.md, "Stage 13, GPU part".
#   MINUTES=3.3 bash recipes/neural/gpu_stage13.sh          (MINUTES: training time of each run)
# DEVICE=cpu MINUTES=0.2 WORKERS=2 tries the script on any machine.
set -euo pipefail
MINUTES=${MINUTES:-3.3}
DEVICE=${DEVICE:-cuda}
OUT=${OUT:-runs/gpu13}
PACK=${PACK:-gpu_pack/corpus.pkl}
if compgen -G ".whl/*.whl" > /dev/null && [ "$DEVICE" = cuda ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
    export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}$PWD/src PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
nvidia-smi -L || true
CPUS=$(python3 -c "import os; print(os.cpu_count())")  # not nproc: it obeys OMP_NUM_THREADS=1
WORKERS=${WORKERS:-$(( CPUS - 2 ))}
echo "cpus: $CPUS workers: $WORKERS minutes: $MINUTES device: $DEVICE"
for name in gpu_clean gpu; do
    mkdir -p "$OUT/$name"
    cp recipes/neural/checkpoints/step70689/checkpoint.pt "$OUT/$name/"
    python3 -m voxclean.neural.train "recipes/neural/stage13_$name.toml" --out "$OUT/$name" --device "$DEVICE" \
        --workers "$WORKERS" --corpus-pack "$PACK" \
        --fit-minutes "$MINUTES" --max-minutes "$(python3 -c "print($MINUTES + 0.4)")" > "$OUT/$name/stdout.txt" 2>&1 \
        || echo "$name failed: $(tail -3 "$OUT/$name/stdout.txt")"
    tail -2 "$OUT/$name/log.jsonl" || true
done
