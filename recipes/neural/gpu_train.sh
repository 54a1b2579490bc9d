#!/usr/bin/env bash
# Training runs on a GPU machine, one after the other, each from the same committed checkpoint and
# with all of the machine's CPU cores building batches (the device tool runs this in the
# repository root). Needs, beside the tracked files: a corpus pack (recipes/neural/pack_corpus.py)
# and .whl/ (wheels of soundfile, cffi, pycparser, soxr for the machine's Python).
# See README.md, "Stage 7", "Stage 13, GPU part" and "Stage 16, GPU part".
#   START=91770 CONFIGS="stage16_gpu_clean stage16_gpu" PACK=gpu_pack/corpus16.pkl \
#       MINUTES=3.7 bash recipes/neural/gpu_train.sh                      (stage 16)
#   START=70689 CONFIGS="stage13_gpu_clean stage13_gpu" PACK=gpu_pack/corpus.pkl \
#       MINUTES=3.3 bash recipes/neural/gpu_train.sh                      (stage 13)
#   START=30000 CONFIGS=stage7_gpu PACK=gpu_pack/corpus.pkl MINUTES=8 MARGIN=0.75 \
#       bash recipes/neural/gpu_train.sh                                  (stage 7)
# MINUTES: training time of each run (--fit-minutes); MARGIN: minutes more before --max-minutes
# stops a run that is slower than its rate probe said. OUT: folder of the runs (the device tool sets
# it to the folder whose files come back). DEVICE=cpu MINUTES=0.2 WORKERS=2 OUT=runs/try tries the
# script on any machine.
set -euo pipefail
: "${START:?checkpoint step to start from (recipes/neural/checkpoints/stepN)}"
: "${CONFIGS:?config names (recipes/neural/NAME.toml), run one after the other}"
MINUTES=${MINUTES:-3.3}
MARGIN=${MARGIN:-0.4}
DEVICE=${DEVICE:-cuda}
OUT=${OUT:-runs/gpu}
PACK=${PACK:-gpu_pack/corpus.pkl}
if compgen -G ".whl/*.whl" > /dev/null && [ "$DEVICE" = cuda ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
    export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}$PWD/src PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
nvidia-smi -L || true
CPUS=$(python3 -c "import os; print(os.cpu_count())")  # not nproc: it obeys OMP_NUM_THREADS=1
WORKERS=${WORKERS:-$(( CPUS - 2 ))}
echo "cpus: $CPUS workers: $WORKERS minutes: $MINUTES device: $DEVICE start: $START"
for name in $CONFIGS; do
    mkdir -p "$OUT/$name"
    cp "recipes/neural/checkpoints/step$START/checkpoint.pt" "$OUT/$name/"
    python3 -m voxclean.neural.train "recipes/neural/$name.toml" --out "$OUT/$name" --device "$DEVICE" \
        --workers "$WORKERS" --corpus-pack "$PACK" \
        --fit-minutes "$MINUTES" --max-minutes "$(python3 -c "print($MINUTES + $MARGIN)")" > "$OUT/$name/stdout.txt" 2>&1 \
        || echo "$name failed: $(tail -3 "$OUT/$name/stdout.txt")"
    tail -2 "$OUT/$name/log.jsonl" || true
done
