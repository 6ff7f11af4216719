#!/usr/bin/env bash
# Benchmark: 12-megapixel JPEG photos decoded into 224 px training shards, Pipewright (`bench_shards`, the code
# `pipewright train` runs) against a Pillow + numpy script (bench_photos_baseline.py, Image.draft allowed), in
# the same run. Run by hand; see tests/bench/README.md.
#
#   cmake -B build -DPIPEWRIGHT_BENCHMARKS=ON && cmake --build build --target pipewright bench_shards
#   tests/bench/bench_photos.sh [BUILD_DIR (build)] [WORK_DIR (/tmp/pipewright-bench-photos)]
#   ROUNDS=5 COUNT=96 SIZE=224 THREADS=0 PYTHON=/usr/bin/python3 tests/bench/bench_photos.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
work=${2:-/tmp/pipewright-bench-photos}
rounds=${ROUNDS:-3}
count=${COUNT:-48}
size=${SIZE:-224}
threads=${THREADS:-0} # Pipewright's decoding threads; 0: one per core
python=${PYTHON:-/usr/bin/python3}
pw="$build/bin/pipewright"
shards="$build/bin/bench_shards"

[ -x "$pw" ] || { echo "bench_photos: no $pw (build the pipewright target)" >&2; exit 2; }
[ -x "$shards" ] || {
  echo "bench_photos: no $shards: cmake -B $build -DPIPEWRIGHT_BENCHMARKS=ON && cmake --build $build --target bench_shards" >&2
  exit 2
}
"$python" -c 'import PIL, numpy' 2>/dev/null || { echo "bench_photos: $python lacks Pillow or numpy (python3-pil, python3-numpy)" >&2; exit 2; }
[ -f /usr/share/backgrounds/mate/nature/Aqua.jpg ] || { echo "bench_photos: apt-get install mate-backgrounds" >&2; exit 2; }

# 1. COUNT JPEGs of 4000 x 3000 from the twelve photographs (shifted, mirrored, with sensor-like noise so that
#    the files are as large as a camera's), in one folder per photograph. Made once per COUNT.
photos="$work/photos-$count"
if [ ! -f "$photos/.complete" ]; then
  rm -rf "$photos"
  "$python" - "$photos" "$count" <<'EOF'
import os, sys, numpy as np
from PIL import Image, ImageOps
out, count = sys.argv[1], int(sys.argv[2])
folder = "/usr/share/backgrounds/mate/nature"
names = sorted(n for n in os.listdir(folder) if n.endswith(".jpg"))
rng = np.random.default_rng(7)
for i in range(count):
    name = names[i % len(names)]
    im = Image.open(os.path.join(folder, name)).convert("RGB")
    w, h = im.size
    dx, dy = int(w * 0.04 * (i // len(names) % 3)), int(h * 0.03 * (i // len(names) % 2))
    im = im.crop((dx, dy, w - dx // 2, h - dy // 2)).resize((4000, 3000), Image.BICUBIC)
    if (i // len(names)) % 2:
        im = ImageOps.mirror(im)
    a = np.asarray(im).astype(np.int16) + rng.normal(0, 3, (3000, 4000, 1)).astype(np.int16)
    os.makedirs(os.path.join(out, name[:-4].lower()), exist_ok=True)
    Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(os.path.join(out, name[:-4].lower(), "%03d.jpg" % i), quality=92)
EOF
  touch "$photos/.complete"
fi
echo "bench_photos: $count JPEGs of 4000x3000, $(du -sm "$photos" | cut -f1) MB, in $photos" >&2

# 2. Ingest them once (thumbnails through the reduced decode too); the shards below read this catalog.
ws="$work/ws-$count"
rm -rf "$ws" "$work/runs"
mkdir -p "$work/runs"
start=$(date +%s%N)
"$pw" ingest "$photos" --workspace "$ws" --table photos --labels folder --json >"$work/runs/ingest.json"
ingest_ms=$((($(date +%s%N) - start) / 1000000))
cat "$photos"/*/*.jpg >/dev/null # the page cache holds every file before anything is timed

# 3. Rounds: Pipewright on all cores (THREADS), Pipewright on one thread, the baseline; each reads the same files.
for r in $(seq "$rounds"); do
  "$shards" "$ws" photos "$size" 3 0 "$threads" >"$work/runs/pw-$r.json"
  "$shards" "$ws" photos "$size" 3 0 1 >"$work/runs/pw1-$r.json"
  "$python" "$here/bench_photos_baseline.py" "$photos" "$size" "$work/runs/baseline-out" >"$work/runs/baseline-$r.json"
done

"$python" - "$work/runs" "$rounds" "$count" "$size" "$ingest_ms" <<'EOF'
import json, statistics, sys
runs, rounds, count, size, ingest_s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], float(sys.argv[5]) / 1e3
load = lambda name, r: json.load(open(f"{runs}/{name}-{r}.json"))
rows = []
for r in range(1, rounds + 1):
    pw, pw1, base = load("pw", r), load("pw1", r), load("baseline", r)
    assert pw["train"] + pw["val"] == count and pw["skipped"] == 0, pw
    assert base["images"] == count, base
    rows.append((count / pw["build_seconds"], count / pw1["build_seconds"], count / base["seconds"],
                 pw1["build_cpu_seconds"] / count * 1e3, base["cpu_seconds"] / count * 1e3))
print(f"{count} JPEGs 4000x3000 -> {size} px shards; ingest (thumbnails) {ingest_s:.2f} s ({count / ingest_s:.1f} images/s)")
print("round  pipewright img/s  pipewright 1-thread img/s  baseline img/s  ratio  1-thread ratio  CPU ms/img pw1 / baseline")
for i, (a, b, c, d, e) in enumerate(rows, 1):
    print(f"{i:5}  {a:16.1f}  {b:25.1f}  {c:14.1f}  {a / c:5.2f}  {b / c:14.2f}  {d:6.1f} / {e:.1f}")
med = lambda k: statistics.median(row[k] for row in rows)
ratio = statistics.median(a / c for a, _, c, _, _ in rows)
print(f"median: pipewright {med(0):.1f} img/s, 1 thread {med(1):.1f}, baseline {med(2):.1f}; "
      f"ratio {ratio:.2f}x (target >= 2x: {'PASS' if ratio >= 2 else 'FAIL'}); "
      f"CPU per image {med(3):.1f} ms vs {med(4):.1f} ms ({med(4) / med(3):.2f}x)")
EOF
