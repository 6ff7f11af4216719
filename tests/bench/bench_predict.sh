#!/usr/bin/env bash
# Inference benchmark (run by hand): `pipewright-worker predict` of the default Fashion-MNIST model over the
# 10,000 test images beside PyTorch from tensors in memory (train_baseline_tensors.py's inference measurement),
# in ROUNDS rounds taken in turns, with the per-round ratios and their medians.
# Usage: tests/bench/bench_predict.sh [BUILD_DIR (default build)] [WORK_DIR (default /tmp/pipewright-train-bench)]
# Env: ROUNDS (default 5), PYTHON (an interpreter with torch, default /usr/bin/python3), MODEL (a model file
# instead of the workspace's latest), OLD_WORKER (another pipewright-worker to time beside, e.g. a build before
# a change)
set -euo pipefail
BUILD=$(realpath "${1:-build}")
WORK=${2:-/tmp/pipewright-train-bench}
ROUNDS=${ROUNDS:-5}
PY=${PYTHON:-/usr/bin/python3}
HERE=$(cd "$(dirname "$0")" && pwd)
PW=$BUILD/bin/pipewright
WORKER=$BUILD/bin/pipewright-worker
WS=$WORK/ws
OUT=$WORK/predict
mkdir -p "$OUT"
json() { $PY -c "import json,sys; print($1)"; }

echo "== Pipewright inference benchmark ($(nproc) cores, $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg))"
if [ ! -f "$WS/catalog.db" ]; then
  echo "creating the demo workspace (Fashion-MNIST) in $WS"
  "$PW" demo "$WS" > /dev/null
fi
# The model: the latest run of the default recipe in this workspace (bench_train.sh's), else one trained now.
MODEL=${MODEL:-}
if [ -z "$MODEL" ]; then
  MODEL=$(ls -t "$WS"/artifacts/*/model.pt 2> /dev/null | head -1 || true)
fi
if [ -z "$MODEL" ]; then
  echo "training the default model (pipewright train --table fashion, every default)"
  RUN=$("$PW" train --table fashion --workspace "$WS" --json 2> /dev/null | json 'json.load(sys.stdin)["run_id"]')
  MODEL=$WS/artifacts/$RUN/model.pt
fi
TEST_SHARD=$(ls -d "$WS"/shards/fashion-test-v*-28px-1ch-val0.00 2> /dev/null | head -1 || true)
if [ -z "$TEST_SHARD" ]; then
  RUN=$(basename "$(dirname "$MODEL")")
  "$PW" evaluate --run "$RUN" --table fashion-test --workspace "$WS" --json > /dev/null
  TEST_SHARD=$(ls -d "$WS"/shards/fashion-test-v*-28px-1ch-val0.00 | head -1)
fi
IMAGES=$TEST_SHARD/train_images.npy
echo "model $MODEL; images $IMAGES"

worker_ips() { # extra predict flags; prints images/s and the started event's precision
  "$WORKER" predict --model "$MODEL" --images "$IMAGES" --out "$OUT/probs.npy" "$@" > "$OUT/predict.jsonl"
  local ips precision
  ips=$(grep '"finished"' "$OUT/predict.jsonl" | json 'round(json.loads(sys.stdin.read())["images_per_second"])')
  precision=$(grep '"started"' "$OUT/predict.jsonl" | json 'json.loads(sys.stdin.read())["precision"]')
  echo "$ips $precision"
}
torch_ips() { # extra baseline flags
  "$PY" "$HERE/train_baseline_tensors.py" --max-batches 1 --json "$@" 2> /dev/null | grep '"result"' |
    json 'round(json.loads(sys.stdin.read())["inference_images_per_s"])'
}

best() { local m=0 v; for v in "$@"; do m=$(( v > m ? v : m )); done; echo "$m"; }
ratio() { $PY -c "print(f'{$1/$2:.2f}')"; }
printf '%-5s %13s %11s %11s %11s %11s %11s %11s | %6s %6s %6s %6s\n' round worker worker-fp32 worker-T1 \
  torch-fp32 torch-bf16 torch-T1 worker-old ratio fp32 bf16 T1
R_ALL=() R_FP32=() R_BF16=() R_T1=()
for r in $(seq 1 "$ROUNDS"); do
  read -r W PREC <<< "$(worker_ips)"
  read -r W32 _ <<< "$(worker_ips --precision fp32)"
  read -r W1 _ <<< "$(worker_ips --threads 1)"
  OLD=-
  if [ -n "${OLD_WORKER:-}" ]; then
    "$OLD_WORKER" predict --model "$MODEL" --images "$IMAGES" --out "$OUT/probs-old.npy" > "$OUT/predict-old.jsonl"
    OLD=$(grep '"finished"' "$OUT/predict-old.jsonl" | json 'round(json.loads(sys.stdin.read())["images_per_second"])')
  fi
  # PyTorch's best of: batches of 256 and 1024 with libgomp's default (spinning) waits, and 256 with passive waits
  # (what the worker runs with; better when another process wants the cores).
  T=$(best "$(torch_ips --infer-batch 256)" "$(torch_ips --infer-batch 1024)" \
    "$(OMP_WAIT_POLICY=PASSIVE torch_ips --infer-batch 256)")
  TB=$(best "$(torch_ips --infer-batch 256 --infer-bf16)" "$(OMP_WAIT_POLICY=PASSIVE torch_ips --infer-batch 256 --infer-bf16)")
  T1=$(torch_ips --infer-batch 256 --threads 1)
  R_ALL+=("$(ratio "$W" "$T")") R_FP32+=("$(ratio "$W32" "$T")") R_BF16+=("$(ratio "$W" "$TB")") R_T1+=("$(ratio "$W1" "$T1")")
  printf '%-5s %13s %11s %11s %11s %11s %11s %11s | %6s %6s %6s %6s\n' "$r" "$W ($PREC)" "$W32" "$W1" "$T" "$TB" "$T1" \
    "$OLD" "${R_ALL[-1]}" "${R_FP32[-1]}" "${R_BF16[-1]}" "${R_T1[-1]}"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo
echo "median ratios over $ROUNDS rounds (images/s of the worker / PyTorch's, same round):"
echo "  ratio: worker predict ($PREC, the model's precision) / PyTorch fp32, best configuration   $(median "${R_ALL[@]}")x"
echo "  fp32:  worker predict --precision fp32 / PyTorch fp32, best configuration              $(median "${R_FP32[@]}")x"
echo "  bf16:  worker predict ($PREC) / PyTorch under bf16 autocast, best configuration         $(median "${R_BF16[@]}")x"
echo "  T1:    worker predict --threads 1 / PyTorch --threads 1, fp32, batch 256                $(median "${R_T1[@]}")x"
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
