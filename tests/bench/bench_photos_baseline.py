#!/usr/bin/env python3
"""The Pillow + numpy script a user would write instead of Pipewright's shards: every JPEG under SOURCE
(class folders) decoded with Image.draft (libjpeg's reduced decode), resized to SIZE x SIZE, stacked into one
uint8 N x SIZE x SIZE x 3 array with an int64 label array, both saved with numpy.

    python3 bench_photos_baseline.py SOURCE SIZE OUT_DIR

Prints {"images", "classes", "seconds", "cpu_seconds"} as one line of JSON (wall and CPU time of the decoding
and saving, not of the interpreter's start)."""
import json
import os
import sys
import time

import numpy as np
from PIL import Image


def main():
    source, size, out_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    files = []
    for root, _dirs, names in os.walk(source):
        for name in names:
            if name.lower().endswith((".jpg", ".jpeg")):
                files.append(os.path.join(root, name))
    files.sort()
    classes = sorted({os.path.relpath(f, source).split(os.sep)[0] for f in files})
    index = {c: i for i, c in enumerate(classes)}

    wall, cpu = time.perf_counter(), time.process_time()
    images = np.empty((len(files), size, size, 3), dtype=np.uint8)
    labels = np.empty(len(files), dtype=np.int64)
    for i, path in enumerate(files):
        with Image.open(path) as im:
            im.draft("RGB", (size, size))  # decode at 1/2, 1/4 or 1/8 when that still covers SIZE
            images[i] = np.asarray(im.convert("RGB").resize((size, size), Image.BILINEAR))
        labels[i] = index[os.path.relpath(path, source).split(os.sep)[0]]
    os.makedirs(out_dir, exist_ok=True)
    np.save(os.path.join(out_dir, "train_images.npy"), images)
    np.save(os.path.join(out_dir, "train_labels.npy"), labels)
    print(json.dumps({"images": len(files), "classes": len(classes),
                      "seconds": time.perf_counter() - wall, "cpu_seconds": time.process_time() - cpu}))


if __name__ == "__main__":
    main()
