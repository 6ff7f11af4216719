#!/usr/bin/env bash
# resnet18 at 224 px, batch 32 (run by hand): pipewright-worker's training and inference images/s beside
# torchvision's resnet18 from tensors in memory (resnet18_baseline.py), same precision, channels-last, in turns.
# Usage: tests/bench/bench_resnet18.sh [BUILD_DIR (build)] [WORK_DIR (/tmp/pipewright-resnet18-bench)]
# Env: ROUNDS (3), PRECISION (bf16 | fp32; default bf16), IMAGES (images per split, 128), PYTHON (/usr/bin/python3)
set -euo pipefail
BUILD=$(realpath "${1:-build}")
WORK=${2:-/tmp/pipewright-resnet18-bench}
ROUNDS=${ROUNDS:-3}
PRECISION=${PRECISION:-bf16}
PY=${PYTHON:-/usr/bin/python3}
HERE=$(cd "$(dirname "$0")" && pwd)
WORKER=$BUILD/bin/pipewright-worker
mkdir -p "$WORK"
json() { $PY -c "import json,sys; print($1)"; }
last() { grep "\"$1\"" "$2" | tail -1 | json "round(json.loads(sys.stdin.read())['$3'], 1)"; }

echo "== resnet18 224 px batch 32 $PRECISION ($(nproc) cores, $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg))"
[ -f "$WORK/resnet18.pth" ] || "$PY" "$HERE/resnet18_baseline.py" fixture "$WORK" --images "${IMAGES:-128}"
# The model predict runs: torchvision's weights as they are (--epochs 0).
"$WORKER" train --model resnet18 --shards "$WORK/shard" --out "$WORK/init" --init "$WORK/resnet18.pth" --epochs 0 \
  > "$WORK/init.jsonl"
BF=() ; [ "$PRECISION" = bf16 ] && BF=(--bf16)
printf '%-5s %14s %14s %14s %14s | %6s %6s\n' round worker-train torch-train worker-infer torch-infer train infer
RT=() RI=()
for r in $(seq 1 "$ROUNDS"); do
  "$WORKER" train --model resnet18 --shards "$WORK/shard" --out "$WORK/run" --init "$WORK/resnet18.pth" --epochs 1 \
    --batch-size 32 --precision "$PRECISION" --flip 0 --crop 0 > "$WORK/train.jsonl"
  WT=$(last finished "$WORK/train.jsonl" images_per_second)
  "$WORKER" predict --model "$WORK/init/model.pt" --images "$WORK/shard/val_images.npy" --out "$WORK/probs.npy" \
    --batch-size 32 --precision "$PRECISION" > "$WORK/predict.jsonl"
  WI=$(last finished "$WORK/predict.jsonl" images_per_second)
  "$PY" "$HERE/resnet18_baseline.py" measure "$WORK" --batch 32 "${BF[@]}" > "$WORK/torch.json"
  TT=$(json 'round(json.load(sys.stdin)["train_images_per_s"], 1)' < "$WORK/torch.json")
  TI=$(json 'round(json.load(sys.stdin)["inference_images_per_s"], 1)' < "$WORK/torch.json")
  RT+=("$($PY -c "print(f'{$WT/$TT:.2f}')")") RI+=("$($PY -c "print(f'{$WI/$TI:.2f}')")")
  printf '%-5s %14s %14s %14s %14s | %6s %6s\n' "$r" "$WT" "$TT" "$WI" "$TI" "${RT[-1]}" "${RI[-1]}"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo "median ratios (worker / torchvision, same round): training $(median "${RT[@]}")x, inference $(median "${RI[@]}")x"
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
