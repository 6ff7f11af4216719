#!/usr/bin/env bash
# Inference benchmark (run by hand): `pipewright-worker predict` of the default Fashion-MNIST model over the
# 10,000 test images beside PyTorch from tensors in memory (train_baseline_tensors.py's inference measurement),
# in ROUNDS rounds taken in turns, with the per-round ratios and their medians.
# Usage: tests/bench/bench_predict.sh [BUILD_DIR (default build)] [WORK_DIR (default /tmp/pipewright-train-bench)]
# Env: ROUNDS (default 5), PYTHON (an interpreter with torch, default /usr/bin/python3)
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

printf '%-6s %12s %12s %12s %12s %12s %8s %8s\n' round worker worker-fp32 torch-fp32 torch-1024 torch-bf16 ratio fp32
RATIOS=() FP32_RATIOS=() BF16_RATIOS=()
for r in $(seq 1 "$ROUNDS"); do
  read -r W PREC <<< "$(worker_ips)"
  read -r W32 _ <<< "$(worker_ips --precision fp32)"
  T256=$(torch_ips --infer-batch 256)
  T1024=$(torch_ips --infer-batch 1024)
  TB=$(torch_ips --infer-batch 256 --infer-bf16)
  T=$(( T256 > T1024 ? T256 : T1024 ))
  R=$($PY -c "print(f'{$W/$T:.2f}')")
  R32=$($PY -c "print(f'{$W32/$T:.2f}')")
  RB=$($PY -c "print(f'{$W/$TB:.2f}')")
  RATIOS+=("$R") FP32_RATIOS+=("$R32") BF16_RATIOS+=("$RB")
  printf '%-6s %12s %12s %12s %12s %12s %8s %8s\n' "$r" "$W ($PREC)" "$W32" "$T256" "$T1024" "$TB" "${R}x" "${R32}x"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo
echo "median ratio, worker predict (auto precision: $PREC) / PyTorch fp32 (best of batch 256, 1024): $(median "${RATIOS[@]}")x"
echo "median ratio, worker predict --precision fp32 / PyTorch fp32:                          $(median "${FP32_RATIOS[@]}")x"
echo "median ratio, worker predict ($PREC) / PyTorch under bf16 autocast (batch 256):          $(median "${BF16_RATIOS[@]}")x"
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
