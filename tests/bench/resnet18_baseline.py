"""torchvision's resnet18 at 224 px from uint8 tensors in memory: training and inference images/s, channels-last,
fp32 or bf16 (CPU autocast), the same recipe as bench_resnet18.sh times in pipewright-worker.

    /usr/bin/python3 tests/bench/resnet18_baseline.py fixture DIR [--images N]   # shard + seeded weights
    /usr/bin/python3 tests/bench/resnet18_baseline.py measure DIR [--batch 32] [--bf16] [--threads T] [--steps S]

`fixture` writes DIR/shard (train/val uint8 N x 224 x 224 x 3 smooth colour fields, 10 classes) and DIR/resnet18.pth
(torchvision's resnet18, seeded random weights). `measure` prints one JSON line: training images/s (SGD, S steps
after 2 warm-up steps) and inference images/s (eval, no_grad, over the val images after a warm-up batch).
"""
import argparse
import json
import os
import time

import numpy as np
import torch
import torchvision

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def fixture(out, n):
    shard = os.path.join(out, "shard")
    os.makedirs(shard, exist_ok=True)
    rng = np.random.default_rng(3)
    for split in ("train", "val"):
        grid = rng.uniform(0, 255, size=(n, 4, 4, 3))
        np.save(os.path.join(shard, split + "_images.npy"), np.kron(grid, np.ones((1, 56, 56, 1))).astype(np.uint8))
        np.save(os.path.join(shard, split + "_labels.npy"), np.arange(n, dtype=np.int64) % 10)
    with open(os.path.join(shard, "classes.txt"), "w") as f:
        f.write("\n".join(f"c{i}" for i in range(10)) + "\n")
    torch.manual_seed(0)
    torch.save(torchvision.models.resnet18(num_classes=10).state_dict(), os.path.join(out, "resnet18.pth"))


def prepare(u8):
    x = u8.permute(0, 3, 1, 2).float().div_(255)
    x = (x - torch.from_numpy(MEAN).view(1, 3, 1, 1)) / torch.from_numpy(STD).view(1, 3, 1, 1)
    return x.contiguous(memory_format=torch.channels_last)


def measure(out, batch, bf16, steps):
    shard = os.path.join(out, "shard")
    x = torch.from_numpy(np.load(os.path.join(shard, "val_images.npy")))
    y = torch.from_numpy(np.load(os.path.join(shard, "val_labels.npy")))
    model = torchvision.models.resnet18(num_classes=10).to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()
    done = 0
    for step in range(steps + 2):
        if step == 2:
            start = time.perf_counter()
        i = (step * batch) % (x.shape[0] - batch + 1)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = loss_fn(model(prepare(x[i:i + batch])), y[i:i + batch])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        done += batch if step >= 2 else 0
    train_ips = done / (time.perf_counter() - start)
    model.eval()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        model(prepare(x[:batch]))
        start = time.perf_counter()
        for i in range(0, x.shape[0], batch):
            model(prepare(x[i:i + batch]))
        infer_ips = x.shape[0] / (time.perf_counter() - start)
    print(json.dumps({"batch": batch, "bf16": bf16, "threads": torch.get_num_threads(),
                      "train_images_per_s": round(train_ips, 2), "inference_images_per_s": round(infer_ips, 2)}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=["fixture", "measure"])
    ap.add_argument("dir")
    ap.add_argument("--images", type=int, default=128)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--bf16", action="store_true")
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.command == "fixture":
        fixture(args.dir, args.images)
    else:
        measure(args.dir, args.batch, args.bf16, args.steps)


if __name__ == "__main__":
    main()
