#!/usr/bin/env bash
# Training benchmark (run by hand): `pipewright train` with every default on Fashion-MNIST's 60,000
# training images, `pipewright evaluate` on the 10,000 test images, and, side by side in the same run,
# the PyTorch baselines on the same data and architecture:
#   - train_baseline_imagefolder.py: torchvision ImageFolder + DataLoader(num_workers=2) over the PNG folders
#   - train_baseline_tensors.py: the same model fed from tensors already in memory
# Usage: tests/bench/bench_train.sh [BUILD_DIR (default build)] [WORK_DIR (default /tmp/pipewright-train-bench)]
# Env: BATCHES (baseline throughput batches, default 150), PYTHON (an interpreter with torch, default /usr/bin/python3)
set -euo pipefail
BUILD=$(realpath "${1:-build}")
WORK=${2:-/tmp/pipewright-train-bench}
BATCHES=${BATCHES:-150}
PY=${PYTHON:-/usr/bin/python3}
HERE=$(cd "$(dirname "$0")" && pwd)
PW=$BUILD/bin/pipewright
WS=$WORK/ws
mkdir -p "$WORK"
export TIMEFORMAT=%R

echo "== Pipewright training benchmark ($(nproc) cores, $(date -u +%FT%TZ))"
if [ ! -f "$WS/catalog.db" ]; then
  echo "creating the demo workspace (Fashion-MNIST) in $WS"
  "$PW" demo "$WS" > /dev/null
fi
rm -rf "$WS"/shards/fashion-* # time the shards too

echo "-- pipewright train (all defaults), shards included"
/usr/bin/time -f '%e %M' -o "$WORK/train.time" "$PW" train --table fashion --workspace "$WS" --json > "$WORK/train.json" 2> "$WORK/train.err"
read -r TRAIN_S TRAIN_RSS < "$WORK/train.time"
RUN=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["run_id"])' "$WORK/train.json")
TRAIN_IPS=$($PY -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["images_per_second"]))' "$WORK/train.json")
echo "   run $RUN: wall ${TRAIN_S} s, peak RSS $((TRAIN_RSS / 1024)) MB (the CLI and its worker), ${TRAIN_IPS} training images/s"
"$PW" evaluate --run "$RUN" --table fashion-test --workspace "$WS" --json > "$WORK/eval.json"
ACC=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["accuracy"])' "$WORK/eval.json")
echo "   test accuracy (fashion-test, 10,000 images): $ACC"

echo "-- worker alone: peak RSS of one training epoch and inference speed"
SHARD=$(ls -d "$WS"/shards/fashion-v*-28px-1ch-val0.10 | head -1)
/usr/bin/time -f '%e %M' -o "$WORK/worker.time" "$BUILD/bin/pipewright-worker" train --shards "$SHARD" --out "$WORK/worker-run" --epochs 1 > "$WORK/worker.jsonl"
read -r _ WORKER_RSS < "$WORK/worker.time"
WORKER_IPS=$(grep '"finished"' "$WORK/worker.jsonl" | $PY -c 'import json,sys; print(round(json.loads(sys.stdin.read())["images_per_second"]))')
TEST_SHARD=$(ls -d "$WS"/shards/fashion-test-v*-28px-1ch-val0.00 2>/dev/null | head -1)
"$BUILD/bin/pipewright-worker" predict --model "$WS/artifacts/$RUN/model.pt" --images "$TEST_SHARD/train_images.npy" --out "$WORK/probs.npy" > "$WORK/predict.jsonl"
INFER_IPS=$(grep '"finished"' "$WORK/predict.jsonl" | $PY -c 'import json,sys; print(round(json.loads(sys.stdin.read())["images_per_second"]))')
echo "   worker peak RSS $((WORKER_RSS / 1024)) MB; one epoch at ${WORKER_IPS} training images/s; inference ${INFER_IPS} images/s"

echo "-- PyTorch baselines (${BATCHES} batches each)"
"$PY" "$HERE/train_baseline_imagefolder.py" "$WS/data/fashion-mnist/train" --max-batches "$BATCHES" --json > "$WORK/base_folder.jsonl" 2> "$WORK/base_folder.err"
"$PY" "$HERE/train_baseline_tensors.py" --max-batches "$BATCHES" --json > "$WORK/base_tensors.jsonl" 2> "$WORK/base_tensors.err"
# Inference speed depends on the batch (activations in cache or not): PyTorch's is taken at the worker's
# default (256 at 28 px) and at 1024, and the faster of the two is the baseline.
"$PY" "$HERE/train_baseline_tensors.py" --max-batches 1 --infer-batch 1024 --json > "$WORK/base_infer1024.jsonl" 2> "$WORK/base_infer1024.err"
pick() { grep -h "\"$2\"" "$1" | tail -1 | $PY -c "import json,sys; print(round(json.loads(sys.stdin.read())['$2']))"; }
FOLDER_IPS=$(pick "$WORK/base_folder.jsonl" train_images_per_s)
TENSOR_IPS=$(pick "$WORK/base_tensors.jsonl" train_images_per_s)
TENSOR_INFER=$(pick "$WORK/base_tensors.jsonl" inference_images_per_s)
TENSOR_INFER_1024=$(pick "$WORK/base_infer1024.jsonl" inference_images_per_s)
TENSOR_INFER=$(( TENSOR_INFER > TENSOR_INFER_1024 ? TENSOR_INFER : TENSOR_INFER_1024 ))
ratio() { $PY -c "print(f'{$1/$2:.2f}x')"; }
echo
# The baselines are short runs (BATCHES batches of one epoch): the like-for-like figure is the worker's own
# one-epoch run; the average over the whole 7-epoch `pipewright train` is shown beside it.
printf '%-52s %10s\n' "training images/s: pipewright-worker, one epoch" "$WORKER_IPS"
printf '%-52s %10s\n' "  (average over the whole pipewright train run)" "$TRAIN_IPS"
printf '%-52s %10s  ratio %s (whole run %s)\n' "  PyTorch ImageFolder + DataLoader(2 workers)" "$FOLDER_IPS" "$(ratio "$WORKER_IPS" "$FOLDER_IPS")" "$(ratio "$TRAIN_IPS" "$FOLDER_IPS")"
printf '%-52s %10s  ratio %s (whole run %s)\n' "  PyTorch, tensors in memory" "$TENSOR_IPS" "$(ratio "$WORKER_IPS" "$TENSOR_IPS")" "$(ratio "$TRAIN_IPS" "$TENSOR_IPS")"
printf '%-52s %10s\n' "inference images/s: pipewright-worker predict" "$INFER_IPS"
printf '%-52s %10s  ratio %s\n' "  PyTorch, tensors in memory (best of batch 256, 1024)" "$TENSOR_INFER" "$(ratio "$INFER_IPS" "$TENSOR_INFER")"
echo
check() { if $PY -c "import sys; sys.exit(0 if ($1) else 1)"; then echo "PASS  $2"; else echo "FAIL  $2"; fi; }
check "$ACC >= 0.92" "test accuracy >= 92.0%: $ACC"
check "$TRAIN_S <= 120" "pipewright train (shards included) <= 120 s: ${TRAIN_S} s"
check "$WORKER_IPS >= 3 * $FOLDER_IPS" "training >= 3x ImageFolder recipe"
check "$WORKER_IPS >= $TENSOR_IPS" "training >= 1.0x tensors in memory"
check "$INFER_IPS >= $TENSOR_INFER" "inference >= 1.0x tensors in memory"
check "$WORKER_RSS <= 1.5 * 1024 * 1024" "worker peak RSS <= 1.5 GB: $((WORKER_RSS / 1024)) MB"
