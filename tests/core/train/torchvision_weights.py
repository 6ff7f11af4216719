# Fixtures for tst_weights, written by Debian's python3-torch/python3-torchvision (run with /usr/bin/python3):
# torchvision networks with seeded random weights (batch norm statistics included) saved as torch.save'd
# state_dicts and as safetensors (written with numpy), their eval-mode probabilities on a small shard, and
# weights files that must be refused. Usage: torchvision_weights.py OUT_DIR
import json
import os
import struct
import sys
import zipfile

import numpy as np
import torch
import torchvision
import torchvision.transforms as T

SIZE = 64
CLASSES = ["cat", "dog", "fox"]
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def head(model):
    return model.fc if hasattr(model, "fc") else model.classifier[3]


def randomised(arch, num_classes, seed, x):
    torch.manual_seed(seed)
    model = getattr(torchvision.models, arch)(num_classes=num_classes)
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        for m in bns:
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.2, 0.2)
            m.momentum = None  # running statistics: the average over the calibration passes
            m.reset_running_stats()
        # Running statistics from the data (random ones would shrink the signal layer by layer).
        model.train()
        model(x)
        for m in bns:
            m.num_batches_tracked.fill_(7)
        # Logits that vary about 1 between images, centred: torchvision's small head init gives near-uniform
        # probabilities, and a deep random network near-constant ones; either would hide differences.
        model.eval()
        out = model(x)
        scale = 1.0 / (out - out.mean(0)).std().item()
        head(model).weight.mul_(scale)
        head(model).bias.sub_(model(x).mean(0))
    return model


def write_safetensors(path, state):
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    names = {torch.float32: "F32", torch.int64: "I64"}
    for key, t in state.items():
        data = t.detach().contiguous().numpy().tobytes()
        header[key] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def write_shard(out, rng):
    shard = os.path.join(out, "shard")
    os.makedirs(shard, exist_ok=True)
    for split, n in (("train", 16), ("val", 6)):
        # Smooth colour fields (a 4x4 grid of random colours, upsampled), which random networks tell apart far
        # better than pixel noise.
        grid = rng.uniform(0, 255, size=(n, 4, 4, 3))
        images = np.kron(grid, np.ones((1, SIZE // 4, SIZE // 4, 1))).astype(np.uint8)
        np.save(os.path.join(shard, split + "_images.npy"), images)
        np.save(os.path.join(shard, split + "_labels.npy"), np.arange(n, dtype=np.int64) % len(CLASSES))
    with open(os.path.join(shard, "classes.txt"), "w") as f:
        f.write("\n".join(CLASSES) + "\n")
    return np.load(os.path.join(shard, "val_images.npy"))


def write_refused(out):
    # A pickle that would run a shell command if unpickled by Python: GLOBAL os system, REDUCE ('touch MARKER',).
    marker = os.path.join(out, "pwned")
    command = ("touch " + marker).encode()
    evil = b"\x80\x02cos\nsystem\nX" + struct.pack("<I", len(command)) + command + b"\x85R."
    with zipfile.ZipFile(os.path.join(out, "evil.pth"), "w", zipfile.ZIP_STORED) as z:
        z.writestr("evil/data.pkl", evil)
    whole = open(os.path.join(out, "resnet18.pth"), "rb").read()
    open(os.path.join(out, "truncated.pth"), "wb").write(whole[: len(whole) // 2])
    body = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
    open(os.path.join(out, "header_too_large.safetensors"), "wb").write(struct.pack("<Q", 1 << 20) + body)
    body = json.dumps({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
                       "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}}).encode()
    open(os.path.join(out, "overlap.safetensors"), "wb").write(struct.pack("<Q", len(body)) + body + bytes(24))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    images = write_shard(out, np.random.default_rng(5))
    x = torch.from_numpy(((images.astype(np.float32) / 255.0 - MEAN) / STD).transpose(0, 3, 1, 2).copy())
    for seed, arch in enumerate(("resnet18", "resnet50", "mobilenet_v3_large")):
        model = randomised(arch, len(CLASSES), seed, x)
        torch.save(model.state_dict(), os.path.join(out, arch + ".pth"))
        write_safetensors(os.path.join(out, arch + ".safetensors"), model.state_dict())
        # The worker evaluates a photo model on its centre crop: torchvision's eval transform, Resize(S / 0.875)
        # + CenterCrop(S), on the S x S input. The fixture must tell the crop from the whole image.
        crop = T.Compose([T.Resize(SIZE * 8 // 7), T.CenterCrop(SIZE)])
        with torch.no_grad():
            probs = torch.softmax(model(crop(x)), 1).numpy().astype(np.float32)
            whole = torch.softmax(model(x), 1).numpy()
        assert np.abs(probs - whole).max() > 1e-2, "the centre crop changes nothing on these images"
        np.save(os.path.join(out, arch + "_probs.npy"), probs)
    torch.save(randomised("resnet18", 10, 9, x).state_dict(), os.path.join(out, "resnet18_10classes.pth"))
    write_refused(out)


if __name__ == "__main__":
    main()
