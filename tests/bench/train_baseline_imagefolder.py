"""Baseline trainer, "the usual PyTorch recipe": ImageFolder + DataLoader over PNG files.

    /usr/bin/python3 tests/bench/train_baseline_imagefolder.py FOLDER [--test-folder DIR]
        [--epochs N] [--batch-size B] [--max-batches K] [--workers W] [--threads T] [--json]

FOLDER holds one subfolder per class, e.g. as Pipewright writes Fashion-MNIST:
FOLDER/000.t-shirt_top/00000.png ... FOLDER/009.ankle_boot/... (ImageFolder sorts
the subfolders by name, so 000.* is class 0). Each image is decoded by
torchvision's default loader (Pillow, converted to RGB), then
Grayscale(1) -> RandomHorizontalFlip -> ToTensor -> Normalize(mean, std), in a
DataLoader(batch_size, shuffle=True, num_workers=2). 10% of FOLDER is held out
as a validation split (seeded), the rest is trained on. The model, precision
(fp32), memory format (channels_last) and recipe (Adam + OneCycleLR, label
smoothing 0.1) are those of train_baseline_tensors.py.

Timed: the training loop, data loading included (the DataLoader workers start
inside the timed region, as they do in a real run). Afterwards: validation
accuracy and, with --test-folder, test accuracy.

Needs Debian's PyTorch and torchvision (python3-torch, python3-torchvision):
run with /usr/bin/python3.
"""

import argparse
import json
import os
import sys
import time

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms

MEAN, STD = 0.2860, 0.3530  # Fashion-MNIST training-set pixel mean/std (of x/255)


def make_model(head="conv"):
    """Same as train_baseline_tensors.make_model() (54,778 parameters)."""
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


@torch.no_grad()
def accuracy(model, loader, channels_last):
    model.eval()
    correct = total = 0
    for x, y in loader:
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        correct += (model(x).argmax(1) == y).sum().item()
        total += y.shape[0]
    model.train()
    return correct / max(1, total)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", help="training images, one subfolder per class")
    ap.add_argument("--test-folder", help="test images, same class subfolders")
    ap.add_argument("--epochs", type=int, default=7)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--max-batches", type=int, default=0,
                    help="stop after K training batches in all (throughput run); 0 = full run")
    ap.add_argument("--workers", type=int, default=2, help="DataLoader num_workers (default %(default)s)")
    ap.add_argument("--optimizer", choices=["adam", "sgd"], default="adam",
                    help="adam (default), or sgd: momentum 0.9, Nesterov, weight decay 5e-4 (use --lr 0.1)")
    ap.add_argument("--lr", type=float, default=4e-3, help="OneCycle peak learning rate (default %(default)s)")
    ap.add_argument("--weight-decay", type=float, default=None, help="default: 0 for adam, 5e-4 for sgd")
    ap.add_argument("--head", choices=["conv", "linear"], default="conv",
                    help="classifier: Conv2d(64,10,7) (default) or Flatten+Linear(3136,10), same function")
    ap.add_argument("--label-smoothing", type=float, default=0.1)
    ap.add_argument("--no-flip", action="store_true", help="no RandomHorizontalFlip")
    ap.add_argument("--memory-format", choices=["channels_last", "contiguous"], default="channels_last")
    ap.add_argument("--val-fraction", type=float, default=0.1)
    ap.add_argument("--eval-batch", type=int, default=1024)
    ap.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)),
                    help="torch intra-op threads in the main process (default: all cores, %(default)s)")
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

    normalize = [transforms.ToTensor(), transforms.Normalize((MEAN,), (STD,))]
    flip = [] if args.no_flip else [transforms.RandomHorizontalFlip()]
    train_tf = transforms.Compose([transforms.Grayscale(1)] + flip + normalize)
    eval_tf = transforms.Compose([transforms.Grayscale(1)] + normalize)

    t0 = time.perf_counter()
    train_full = datasets.ImageFolder(args.folder, transform=train_tf)
    eval_full = datasets.ImageFolder(args.folder, transform=eval_tf)
    scan_s = time.perf_counter() - t0
    perm = torch.randperm(len(train_full), generator=torch.Generator().manual_seed(args.seed)).tolist()
    n_val = int(round(len(train_full) * args.val_fraction))
    train_set = Subset(train_full, perm[n_val:])
    val_set = Subset(eval_full, perm[:n_val])
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=args.workers,
                              generator=torch.Generator().manual_seed(args.seed + 1))

    model = make_model(args.head)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    n = len(train_set)
    steps_per_epoch = len(train_loader)
    if args.optimizer == "adam":
        wd = 0.0 if args.weight_decay is None else args.weight_decay
        optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=wd)
    else:
        wd = 5e-4 if args.weight_decay is None else args.weight_decay
        optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True, weight_decay=wd)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr,
                                                   total_steps=args.epochs * steps_per_epoch)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)

    emit({"event": "config", "script": "train_baseline_imagefolder", "torch": torch.__version__,
          "threads": torch.get_num_threads(), "workers": args.workers, "classes": len(train_full.classes),
          "train_images": n, "val_images": len(val_set), "epochs": args.epochs,
          "batch_size": args.batch_size, "max_batches": args.max_batches, "optimizer": args.optimizer,
          "lr": args.lr, "weight_decay": wd, "head": args.head,
          "memory_format": args.memory_format, "flip": not args.no_flip,
          "label_smoothing": args.label_smoothing, "params": sum(p.numel() for p in model.parameters()),
          "scan_seconds": round(scan_s, 3)})

    model.train()
    batches = images = 0
    train_start = time.perf_counter()
    for epoch in range(args.epochs):
        epoch_start = time.perf_counter()
        epoch_images = 0
        loss_sum = torch.zeros(())
        for x, y in train_loader:
            if args.max_batches and batches >= args.max_batches:
                break
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
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

    def eval_loader(ds):
        return DataLoader(ds, batch_size=args.eval_batch, shuffle=False, num_workers=args.workers)

    val_acc = accuracy(model, eval_loader(val_set), channels_last)
    test_acc = None
    if args.test_folder:
        test_set = datasets.ImageFolder(args.test_folder, transform=eval_tf)
        if test_set.classes != train_full.classes:
            raise SystemExit("--test-folder has other class subfolders than FOLDER")
        test_acc = accuracy(model, eval_loader(test_set), channels_last)
    emit({"event": "result", "script": "train_baseline_imagefolder", "batches": batches, "images": images,
          "train_seconds": round(train_s, 3), "train_images_per_s": round(images / train_s, 1),
          "val_accuracy": round(val_acc, 4), "test_accuracy": None if test_acc is None else round(test_acc, 4),
          "threads": torch.get_num_threads(), "workers": args.workers})
    return 0


if __name__ == "__main__":
    sys.exit(main())
