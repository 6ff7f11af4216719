"""Baseline trainer fed from uint8 tensors already in memory: the model's raw speed.

    /usr/bin/python3 tests/bench/train_baseline_tensors.py [--epochs N] [--batch-size B]
        [--max-batches K] [--threads T] [--json] [--npy-images X.npy --npy-labels Y.npy]

Same model, precision (fp32), memory format (channels_last) and recipe as
train_baseline_imagefolder.py, but there is no decoding and no DataLoader: the
Fashion-MNIST training images are read once (gzip'd IDX files from --idx-dir, or
numpy .npy files) into a uint8 tensor, and each batch is indexed out of it,
converted to float, normalised ((x/255 - mean)/std) and randomly flipped
left/right. 10% of the training images are held out as a validation split with
a seeded permutation; the rest (54,000 of 60,000) are trained on.

Timed: the training loop only (batch preparation included), per epoch and in
total. Afterwards: validation and test accuracy (test: t10k from --idx-dir, or
--test-npy-images/--test-npy-labels), and inference images/s (eval mode,
no_grad, --infer-batch images per batch, over the test set; --infer-bf16: under
bf16 autocast).

Needs Debian's PyTorch (python3-torch): run with /usr/bin/python3.
"""

import argparse
import gzip
import json
import os
import struct
import sys
import time

import torch
import torch.nn as nn

MEAN, STD = 0.2860, 0.3530  # Fashion-MNIST training-set pixel mean/std (of x/255)
IDX_DIR = "/usr/share/datasets/fashion-mnist"


def make_model(head="conv"):
    """The Goal-A winner (54,778 parameters), 28x28x1 in, 10 logits out:

        conv3x3(1->16, pad 1, no bias) -> maxpool2 -> BN(16) -> ReLU     28 -> 14
        conv3x3(16->32, pad 1, no bias) -> maxpool2 -> BN(32) -> ReLU    14 -> 7
        conv3x3(32->64, pad 1, no bias) -> BN(64) -> ReLU                 7
        classifier over the whole 64x7x7 map -> 10

    head="conv": the classifier is Conv2d(64, 10, kernel 7) + Flatten, which is the
    same function (and the same default init, fan-in 3136) as Flatten + Linear(3136, 10),
    but runs in oneDNN. Debian's torch links the reference BLAS (BLAS_INFO=generic),
    so Linear goes through a slow single-threaded sgemm; with head="linear" training
    is about 1.5x slower at 2 threads on the 2-core machine."""
    def conv(cin, cout):
        return nn.Conv2d(cin, cout, 3, padding=1, bias=False)
    layers = [conv(1, 16), nn.MaxPool2d(2), nn.BatchNorm2d(16), nn.ReLU(inplace=True),
              conv(16, 32), nn.MaxPool2d(2), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
              conv(32, 64), nn.BatchNorm2d(64), nn.ReLU(inplace=True)]
    if head == "conv":
        layers += [nn.Conv2d(64, 10, 7), nn.Flatten()]
    else:
        layers += [nn.Flatten(), nn.Linear(64 * 7 * 7, 10)]
    return nn.Sequential(*layers)


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8).reshape(dims)


def load_npy(images_path, labels_path):
    import numpy as np
    x = torch.from_numpy(np.ascontiguousarray(np.load(images_path)))
    y = torch.from_numpy(np.ascontiguousarray(np.load(labels_path))).long()
    if x.dtype != torch.uint8:
        raise SystemExit(f"{images_path}: expected uint8 images, got {x.dtype}")
    if x.dim() == 4 and x.shape[1] == 1:
        x = x[:, 0]
    if x.dim() != 3 or x.shape[0] != y.shape[0]:
        raise SystemExit(f"{images_path}: expected N x H x W uint8 and N labels")
    return x, y


def prepare(xu8, channels_last, flip_gen=None):
    """uint8 N x 1 x H x W -> normalised float32, optionally flipped left/right at random."""
    x = xu8.float().div_(255).sub_(MEAN).div_(STD)
    if flip_gen is not None:
        flip = torch.rand(x.shape[0], generator=flip_gen) < 0.5
        x = torch.where(flip.view(-1, 1, 1, 1), x.flip(3), x)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    return x


@torch.no_grad()
def accuracy(model, x, y, channels_last, batch=1024):
    model.eval()
    correct = 0
    for i in range(0, x.shape[0], batch):
        correct += (model(prepare(x[i:i + batch], channels_last)).argmax(1) == y[i:i + batch]).sum().item()
    model.train()
    return correct / max(1, x.shape[0])


@torch.no_grad()
def inference_speed(model, x, channels_last, batch, passes=3, bf16=False):
    """Median images/s of `passes` passes over x (batch preparation included); bf16: under CPU autocast."""
    model.eval()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        model(prepare(x[:batch], channels_last))  # warm-up
        rates = []
        for _ in range(passes):
            start = time.perf_counter()
            for i in range(0, x.shape[0], batch):
                model(prepare(x[i:i + batch], channels_last))
            rates.append(x.shape[0] / (time.perf_counter() - start))
    model.train()
    return sorted(rates)[len(rates) // 2]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--idx-dir", default=IDX_DIR, help="folder with the gzip'd IDX files (default: %(default)s)")
    ap.add_argument("--npy-images", help="training images, .npy uint8 N x 28 x 28 (instead of the IDX files)")
    ap.add_argument("--npy-labels", help="training labels, .npy integer N")
    ap.add_argument("--test-npy-images", help="test images .npy (default with --npy-*: no test set)")
    ap.add_argument("--test-npy-labels")
    ap.add_argument("--epochs", type=int, default=7)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--max-batches", type=int, default=0,
                    help="stop after K training batches in all (throughput run); 0 = full run")
    ap.add_argument("--optimizer", choices=["adam", "sgd"], default="adam",
                    help="adam (default), or sgd: momentum 0.9, Nesterov, weight decay 5e-4 (use --lr 0.1)")
    ap.add_argument("--lr", type=float, default=4e-3, help="OneCycle peak learning rate (default %(default)s)")
    ap.add_argument("--weight-decay", type=float, default=None, help="default: 0 for adam, 5e-4 for sgd")
    ap.add_argument("--head", choices=["conv", "linear"], default="conv",
                    help="classifier: Conv2d(64,10,7) (default) or Flatten+Linear(3136,10), same function")
    ap.add_argument("--label-smoothing", type=float, default=0.1)
    ap.add_argument("--no-flip", action="store_true", help="no random left/right flip")
    ap.add_argument("--memory-format", choices=["channels_last", "contiguous"], default="channels_last")
    ap.add_argument("--val-fraction", type=float, default=0.1)
    ap.add_argument("--infer-batch", type=int, default=256)
    ap.add_argument("--infer-bf16", action="store_true", help="measure inference under bf16 autocast (CPU)")
    ap.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)),
                    help="torch intra-op threads (default: all cores, %(default)s)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print JSON lines")
    args = ap.parse_args()

    def emit(record):
        if args.json:
            print(json.dumps(record), flush=True)
        else:
            print("  ".join(f"{k}={v}" for k, v in record.items()), flush=True)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    channels_last = args.memory_format == "channels_last"

    t0 = time.perf_counter()
    if args.npy_images:
        x_all, y_all = load_npy(args.npy_images, args.npy_labels)
        x_test = y_test = None
        if args.test_npy_images:
            x_test, y_test = load_npy(args.test_npy_images, args.test_npy_labels)
    else:
        x_all = read_idx(os.path.join(args.idx_dir, "train-images-idx3-ubyte.gz"))
        y_all = read_idx(os.path.join(args.idx_dir, "train-labels-idx1-ubyte.gz")).long()
        x_test = read_idx(os.path.join(args.idx_dir, "t10k-images-idx3-ubyte.gz"))
        y_test = read_idx(os.path.join(args.idx_dir, "t10k-labels-idx1-ubyte.gz")).long()
    x_all = x_all.unsqueeze(1).contiguous()
    if x_test is not None:
        x_test = x_test.unsqueeze(1).contiguous()
    perm = torch.randperm(x_all.shape[0], generator=torch.Generator().manual_seed(args.seed))
    n_val = int(round(x_all.shape[0] * args.val_fraction))
    x_train, y_train = x_all[perm[n_val:]], y_all[perm[n_val:]]
    x_val, y_val = x_all[perm[:n_val]], y_all[perm[:n_val]]
    load_s = time.perf_counter() - t0

    model = make_model(args.head)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    n = x_train.shape[0]
    steps_per_epoch = (n + args.batch_size - 1) // args.batch_size
    if args.optimizer == "adam":
        wd = 0.0 if args.weight_decay is None else args.weight_decay
        optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=wd)
    else:
        wd = 5e-4 if args.weight_decay is None else args.weight_decay
        optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True, weight_decay=wd)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr,
                                                   total_steps=args.epochs * steps_per_epoch)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
    shuffle_gen = torch.Generator().manual_seed(args.seed + 1)
    flip_gen = None if args.no_flip else torch.Generator().manual_seed(args.seed + 2)

    emit({"event": "config", "script": "train_baseline_tensors", "torch": torch.__version__,
          "threads": torch.get_num_threads(), "train_images": n, "val_images": x_val.shape[0],
          "test_images": 0 if x_test is None else x_test.shape[0], "epochs": args.epochs,
          "batch_size": args.batch_size, "max_batches": args.max_batches, "optimizer": args.optimizer,
          "lr": args.lr, "weight_decay": wd, "head": args.head,
          "memory_format": args.memory_format, "flip": flip_gen is not None,
          "label_smoothing": args.label_smoothing, "params": sum(p.numel() for p in model.parameters()),
          "load_seconds": round(load_s, 3)})

    model.train()
    batches = images = 0
    train_start = time.perf_counter()
    for epoch in range(args.epochs):
        epoch_start = time.perf_counter()
        epoch_images = 0
        loss_sum = torch.zeros(())
        order = torch.randperm(n, generator=shuffle_gen)
        for i in range(0, n, args.batch_size):
            if args.max_batches and batches >= args.max_batches:
                break
            idx = order[i:i + args.batch_size]
            x = prepare(x_train[idx], channels_last, flip_gen)
            y = y_train[idx]
            loss = loss_fn(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            loss_sum += loss.detach() * y.shape[0]
            batches += 1
            epoch_images += y.shape[0]
        if epoch_images == 0:
            break
        images += epoch_images
        dt = time.perf_counter() - epoch_start
        emit({"event": "epoch", "epoch": epoch + 1, "batches": batches, "images": epoch_images,
              "seconds": round(dt, 3), "images_per_s": round(epoch_images / dt, 1),
              "loss": round(loss_sum.item() / epoch_images, 4)})
        if args.max_batches and batches >= args.max_batches:
            break
    train_s = time.perf_counter() - train_start

    val_acc = accuracy(model, x_val, y_val, channels_last)
    test_acc = None if x_test is None else accuracy(model, x_test, y_test, channels_last)
    infer_x = x_test if x_test is not None else x_val
    infer_ips = inference_speed(model, infer_x, channels_last, args.infer_batch, bf16=args.infer_bf16)
    emit({"event": "result", "script": "train_baseline_tensors", "batches": batches, "images": images,
          "train_seconds": round(train_s, 3), "train_images_per_s": round(images / train_s, 1),
          "val_accuracy": round(val_acc, 4), "test_accuracy": None if test_acc is None else round(test_acc, 4),
          "inference_batch": args.infer_batch, "inference_bf16": args.infer_bf16, "inference_images_per_s": round(infer_ips, 1),
          "threads": torch.get_num_threads()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
