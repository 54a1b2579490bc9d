#!/usr/bin/env bash
# Stage 7 on a GPU machine (the workplace's device tool runs this in the repository root, $OUT = folder
# whose files come back). Needs, beside the tracked files: gpu_pack/corpus.pkl (recipes/neural/pack_corpus.py)
# and .whl/ (wheels of soundfile, cffi, pycparser, soxr for the machine's Python). See README.md, "Stage 7".
set -euo pipefail
MINUTES=${MINUTES:-8}
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/src PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
nvidia-smi -L || true
CPUS=$(python3 -c "import os; print(os.cpu_count())")  # not nproc: it obeys OMP_NUM_THREADS=1
echo "cpus: $CPUS"
mkdir -p "$OUT/stage7"
cp recipes/neural/checkpoints/step30000/checkpoint.pt "$OUT/stage7/"
python3 -m voxclean.neural.train recipes/neural/stage7_gpu.toml --out "$OUT/stage7" --device cuda \
    --workers "${WORKERS:-$(( CPUS - 2 ))}" --corpus-pack gpu_pack/corpus.pkl \
    --fit-minutes "$MINUTES" --max-minutes "$(python3 -c "print($MINUTES + 0.75)")" 2>&1 | tee "$OUT/stage7/stdout.txt"
