#!/usr/bin/env bash
# CUDA check of pipewright-worker on a GPU host: build the worker alone against the PyTorch installed
# there, then train, predict and report on CUDA. Writes logs to $OUT (or ./gpu-check). Run by hand:
#   tests/gpu/cuda_check.sh
set -uo pipefail
OUT=${OUT:-$PWD/gpu-check}
mkdir -p "$OUT"
exec > >(tee "$OUT/log.txt") 2>&1
PY=${PYTHON:-python3}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
$PY -c 'import torch,sys; print("torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.version.cuda)' || exit 1
PREFIX=$($PY -c 'import torch; print(torch.utils.cmake_prefix_path)')
GEN=; command -v ninja >/dev/null && GEN="-G Ninja"
start=$(date +%s)
cmake -S . -B /tmp/pw-worker $GEN -DPIPEWRIGHT_WORKER_ONLY=ON -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$PREFIX" > "$OUT/configure.txt" 2>&1 || { tail -30 "$OUT/configure.txt"; exit 1; }
cmake --build /tmp/pw-worker -j "$(nproc)" > "$OUT/build.txt" 2>&1 || { grep -E "error" "$OUT/build.txt" | head -40; exit 1; }
echo "worker built in $(( $(date +%s) - start )) s"
W=/tmp/pw-worker/bin/pipewright-worker
$W info
# A synthetic 3-class shard (stripes / stripes / square, 28x28 gray) and a large random one for throughput.
$PY - <<'PYEOF'
import numpy as np, os
rng = np.random.default_rng(0)
def shard(d, n, nv):
    os.makedirs(d, exist_ok=True)
    for split, m in (("train", n), ("val", nv)):
        y = np.arange(m) % 3
        x = np.zeros((m, 28, 28, 1), np.uint8)
        yy, xx = np.mgrid[0:28, 0:28]
        pats = [((yy // 2) % 2 == 0), ((xx // 2) % 2 == 0), ((xx > 7) & (xx < 21) & (yy > 7) & (yy < 21))]
        for c in range(3):
            x[y == c, :, :, 0] = np.where(pats[c], 180, 20)
        x = np.clip(x.astype(np.int16) + rng.integers(0, 60, x.shape), 0, 255).astype(np.uint8)
        np.save(f"{d}/{split}_images.npy", x); np.save(f"{d}/{split}_labels.npy", y.astype(np.int64))
    open(f"{d}/classes.txt", "w").write("h\nv\nsquare\n")
shard("/tmp/pw-shard", 3000, 600)
os.makedirs("/tmp/pw-big", exist_ok=True)
np.save("/tmp/pw-big/train_images.npy", rng.integers(0, 255, (54000, 28, 28, 1), dtype=np.uint8))
np.save("/tmp/pw-big/train_labels.npy", rng.integers(0, 10, 54000).astype(np.int64))
np.save("/tmp/pw-big/val_images.npy", rng.integers(0, 255, (6000, 28, 28, 1), dtype=np.uint8))
np.save("/tmp/pw-big/val_labels.npy", rng.integers(0, 10, 6000).astype(np.int64))
open("/tmp/pw-big/classes.txt", "w").write("\n".join(str(i) for i in range(10)) + "\n")
PYEOF
echo "== train on cuda (fp32)"
$W train --shards /tmp/pw-shard --out /tmp/pw-run1 --epochs 3 --batch-size 64 --device cuda --precision fp32 > "$OUT/train_cuda_fp32.jsonl"; echo "exit $?"
grep -E '"started"|val_accuracy|finished' "$OUT/train_cuda_fp32.jsonl"
echo "== train, device auto, precision auto"
$W train --shards /tmp/pw-shard --out /tmp/pw-run2 --epochs 3 --batch-size 64 > "$OUT/train_auto.jsonl"; echo "exit $?"
grep -E '"started"|val_accuracy|finished' "$OUT/train_auto.jsonl"
echo "== predict on cuda"
$W predict --model /tmp/pw-run1/model.pt --images /tmp/pw-shard/val_images.npy --out /tmp/pw-probs.npy --device cuda; echo "exit $?"
$PY -c 'import numpy as np; p=np.load("/tmp/pw-probs.npy"); y=np.load("/tmp/pw-shard/val_labels.npy"); print("predict accuracy", (p.argmax(1)==y).mean(), p.shape)'
echo "== SIGTERM on cuda -> checkpoint, exit 3, then --resume"
$W train --shards /tmp/pw-big --out /tmp/pw-run3 --epochs 40 --device cuda > "$OUT/train_term.jsonl" & pid=$!
# Stop it once the first epoch's checkpoint is on disk.
for i in $(seq 1 100); do grep -q '"event":"checkpoint"' "$OUT/train_term.jsonl" && break; sleep 0.1; done
kill -TERM $pid; wait $pid; echo "exit $? (expect 3)"; tail -2 "$OUT/train_term.jsonl" | cut -c1-300
$W train --shards /tmp/pw-big --out /tmp/pw-run3 --epochs 3 --device cuda --resume > "$OUT/train_resume.jsonl"; echo "resume exit $?"; grep -E '"started"|finished' "$OUT/train_resume.jsonl" | cut -c1-400
echo "== resnet18 on 3-channel 32 px, flips and crops, bf16"
$PY - <<'PYEOF'
import numpy as np, os
rng = np.random.default_rng(1); d = "/tmp/pw-rgb"; os.makedirs(d, exist_ok=True)
for split, m in (("train", 2000), ("val", 400)):
    y = np.arange(m) % 2
    x = rng.integers(0, 80, (m, 32, 32, 3), dtype=np.uint8)
    x[y == 1, :, :, 0] += 150  # class 1 is red
    np.save(f"{d}/{split}_images.npy", x); np.save(f"{d}/{split}_labels.npy", y.astype(np.int64))
open(f"{d}/classes.txt", "w").write("grey\nred\n")
PYEOF
$W train --shards /tmp/pw-rgb --out /tmp/pw-rn --model resnet18 --epochs 2 --device cuda > "$OUT/resnet.jsonl"; echo "exit $?"
grep -E '"started"|val_accuracy|finished' "$OUT/resnet.jsonl" | cut -c1-400
echo "== throughput: 54,000 28x28 images, 2 epochs, batch 256, fp32 and bf16"
for prec in fp32 bf16; do
  $W train --shards /tmp/pw-big --out /tmp/pw-tp-$prec --epochs 2 --batch-size 256 --device cuda --precision $prec --patience 9 > "$OUT/tp_$prec.jsonl"
  echo "$prec: $(grep '"key":"images_per_second"' "$OUT/tp_$prec.jsonl" | tail -1)"
done
echo "== a bad request: unknown model"
$W train --shards /tmp/pw-shard --out /tmp/pw-bad --model vgg99 --device cuda | tail -1; echo "exit $?"
