#!/usr/bin/python3
"""Reads Pipewright's exported models with the Python tools users have (tst_export runs it with /usr/bin/python3).

  export_check.py onnx FILE.onnx
      onnx.checker.check_model, then the interface: input `images`, output `probabilities`, opset >= 13.
  export_check.py pytorch FILE.pt EXPORT.json IMAGES.npy EXPECTED.npy
      torch.load's the state_dict into the matching module (torchvision's for resnet18/resnet50/
      mobilenet_v3_large, strict), runs it on the uint8 N x H x W x C images normalised (and centre-cropped: torchvision's Resize + CenterCrop,
      where eval_resize is set) as EXPORT.json says, and
      compares softmax(logits / temperature) with EXPECTED.npy (the worker's probabilities) within 1e-4.
  export_check.py safetensors FILE.safetensors FILE.pt EXPORT.json
      parses the safetensors header with json and numpy only; every tensor equals the state_dict's, the
      metadata matches EXPORT.json.
Prints one JSON line of findings; exits 1 with the reason on stderr when a check fails.
"""
import json
import struct
import sys

import numpy as np


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def check_onnx(path):
    import onnx
    model = onnx.load(path)
    onnx.checker.check_model(model)
    opset = max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    inputs = [i.name for i in model.graph.input]
    outputs = [o.name for o in model.graph.output]
    if inputs != ["images"] or outputs != ["probabilities"] or opset < 13:
        fail(f"interface: inputs {inputs}, outputs {outputs}, opset {opset}")
    print(json.dumps({"checked": True, "opset": opset, "nodes": len(model.graph.node)}))


def small_cnn(torch, channels, size, classes, layers_spec):
    nn = torch.nn

    # Pipewright's small-cnn and medium-cnn under their own module names: 3x3 conv blocks (a pooling block pools
    # before its batch norm) and a convolution over the whole remaining map as the classifier.
    class SmallCnn(nn.Module):
        def __init__(self):
            super().__init__()
            layers, c = [], channels
            for width, pool in layers_spec:
                layers.append(nn.Conv2d(c, width, 3, padding=1, bias=False))
                if pool:
                    layers.append(nn.MaxPool2d(2))
                layers += [nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
                c = width
            self.features = nn.Sequential(*layers)
            self.classifier = nn.Conv2d(c, classes, size // 4)

        def forward(self, x):
            return self.classifier(self.features(x)).flatten(1)

    return SmallCnn()


CNN_LAYERS = {
    "small-cnn": ((16, True), (32, True), (64, False)),
    "medium-cnn": ((32, True), (64, False), (64, True), (128, False)),
}


def build(torch, meta):
    arch, k = meta["model"], len(meta["classes"])
    pre = meta["preprocessing"]
    if arch in CNN_LAYERS:
        return small_cnn(torch, pre["channels"], pre["input_size"], k, CNN_LAYERS[arch])
    import torchvision
    return getattr(torchvision.models, arch)(num_classes=k)


def check_pytorch(path, meta_path, images_path, expected_path):
    import torch
    meta = json.load(open(meta_path))
    pre = meta["preprocessing"]
    state = torch.load(path)
    if type(state).__name__ != "OrderedDict":
        fail(f"torch.load gave a {type(state).__name__}, not an OrderedDict")
    model = build(torch, meta)
    model.load_state_dict(state)  # strict: every key present, none unexpected, every shape equal
    model.eval()
    images = np.load(images_path)
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() * (1.0 / 255.0)
    mean = torch.tensor(pre["mean"], dtype=torch.float32).view(1, -1, 1, 1)
    std = torch.tensor(pre["std"], dtype=torch.float32).view(1, -1, 1, 1)
    x = (x - mean) * (1.0 / std)
    if pre.get("eval_resize", 0) > 0:  # the worker's centre crop, as torchvision's eval transform does it
        import torchvision.transforms as T
        x = T.CenterCrop(pre["input_size"])(T.Resize(pre["eval_resize"])(x))
    with torch.no_grad():
        logits = model(x)
        probabilities = torch.softmax(logits / pre["temperature"], dim=1).numpy()
    expected = np.load(expected_path)
    if probabilities.shape != expected.shape:
        fail(f"shape {probabilities.shape} != the worker's {expected.shape}")
    diff = float(np.abs(probabilities - expected).max())
    if not diff <= 1e-4:
        fail(f"probabilities differ from the worker's by {diff}")
    # Saturated probabilities (0 or 1) would agree whatever the network did: some must be in between.
    unsaturated = int(((expected > 1e-3) & (expected < 1 - 1e-3)).sum())
    if unsaturated == 0:
        fail("every probability is 0 or 1: the comparison would show nothing")
    print(json.dumps({"max_difference": diff, "images": int(expected.shape[0]), "unsaturated": unsaturated,
                      "tensors": len(state)}))


def check_safetensors(path, pytorch_path, meta_path):
    import torch
    meta = json.load(open(meta_path))
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        fail(f"header of {n} bytes is larger than the file")
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__")
    pre = meta["preprocessing"]
    if (json.loads(metadata["classes"]) != meta["classes"] or metadata["model"] != meta["model"]
            or int(metadata["input_size"]) != pre["input_size"] or json.loads(metadata["mean"]) != pre["mean"]
            or json.loads(metadata["std"]) != pre["std"]
            or float(metadata["temperature"]) != pre["temperature"]
            or int(metadata["eval_resize"]) != pre["eval_resize"]):
        fail(f"metadata {metadata} does not match the export {meta}")
    state = torch.load(pytorch_path)
    if list(header) != list(state):
        fail(f"tensor names differ: {sorted(set(header) ^ set(state))}")
    body, end = data[8 + n:], 0
    for name, info in header.items():
        begin, stop = info["data_offsets"]
        if begin != end:
            fail(f"{name}: offsets {begin} after {end}")
        end = stop
        dtype = {"F32": np.float32, "I64": np.int64}[info["dtype"]]
        array = np.frombuffer(body[begin:stop], dtype=dtype).reshape(info["shape"])
        if not np.array_equal(array, state[name].numpy()):
            fail(f"{name} differs from the state_dict's")
    if end != len(body):
        fail(f"the tensors end at {end}, the data at {len(body)}")
    print(json.dumps({"tensors": len(header), "metadata": sorted(metadata)}))


if __name__ == "__main__":
    commands = {"onnx": check_onnx, "pytorch": check_pytorch, "safetensors": check_safetensors}
    if len(sys.argv) < 3 or sys.argv[1] not in commands:
        fail(__doc__)
    commands[sys.argv[1]](*sys.argv[2:])
