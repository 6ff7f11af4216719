#!/usr/bin/env bash
# Ingest benchmark: Pipewright vs. the script a user would otherwise write.
#
#   tests/bench/bench_ingest.sh [BUILD_DIR] [WORK_DIR]
#
#   BUILD_DIR  build folder holding bin/pipewright (default: build, i.e. the
#              repository's build/ when it is not found from the current folder)
#   WORK_DIR   scratch folder for data, workspaces and databases
#              (default: /tmp/pipewright-bench)
#
# Environment: ROUNDS (default 3), PYTHON (an interpreter that can import PIL;
# default: the first of python3, /usr/bin/python3 that can), KEEP=1 keeps every
# round's workspace and database (default: each is removed after its round).
#
# Targets (from the issue): all 70,000 Fashion-MNIST PNGs (both splits, one
# source folder) ingested in <= 2 s wall, warm cache, peak RSS <= 300 MB; a
# rerun with nothing new <= 0.5 s; >= 2.5x faster than ingest_baseline.py.
#
# This is a report, not a test: it exits 0 whatever PASS/FAIL says, and
# non-zero only when something failed to run (a command failed, or the counts
# it reported are not the 70,000 expected, which makes its timing meaningless).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"

BUILD="${1:-build}"
if [[ ! -d "$BUILD" && "$BUILD" != /* && -d "$REPO/$BUILD" ]]; then
    BUILD="$REPO/$BUILD"
fi
BUILD="$(cd "$BUILD" && pwd)"
WORK="${2:-/tmp/pipewright-bench}"
ROUNDS="${ROUNDS:-3}"
KEEP="${KEEP:-0}"
PW="$BUILD/bin/pipewright"
BASELINE="$HERE/ingest_baseline.py"
SRC="$WORK/fashion-mnist"
RUNS="$WORK/runs"

die() { echo "bench_ingest: $*" >&2; exit 1; }

[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer, got '$ROUNDS'"

# The binary may briefly be missing while it is being relinked: wait for it.
wait_for_pw() {
    local i
    for i in $(seq 1 60); do
        [[ -x "$PW" ]] && return 0
        sleep 2
    done
    die "$PW not found (waited 120 s)"
}

# Python with Pillow for the baseline.
if [[ -n "${PYTHON:-}" ]]; then
    "$PYTHON" -c 'import PIL' 2>/dev/null || die "PYTHON=$PYTHON cannot import PIL"
else
    for candidate in python3 /usr/bin/python3; do
        if command -v "$candidate" >/dev/null && "$candidate" -c 'import PIL' 2>/dev/null; then
            PYTHON="$(command -v "$candidate")"
            break
        fi
    done
    [[ -n "${PYTHON:-}" ]] || die "no python3 can import PIL (Debian: apt-get install python3-pil)"
fi

# Timing: /usr/bin/time gives wall seconds and peak RSS; without it, bash's
# time keyword gives wall seconds only.
if [[ -x /usr/bin/time ]]; then
    HAVE_TIME=1
else
    HAVE_TIME=0
    echo "bench_ingest: /usr/bin/time is missing (Debian package 'time'):" \
         "measuring wall time with bash's time keyword, peak RSS not measured" >&2
fi

# measure NAME CMD...: runs CMD with stdout to $RUNS/NAME.out and stderr to
# $RUNS/NAME.err; sets WALL (seconds) and RSS_KB (or "-").
measure() {
    local name="$1"; shift
    local tfile="$RUNS/$name.time" rc=0
    if (( HAVE_TIME )); then
        /usr/bin/time -f '%e %M' -o "$tfile" "$@" >"$RUNS/$name.out" 2>"$RUNS/$name.err" || rc=$?
    else
        local TIMEFORMAT='%R -'
        { time "$@" >"$RUNS/$name.out" 2>"$RUNS/$name.err" ; } 2>"$tfile" || rc=$?
    fi
    if (( rc != 0 )); then
        echo "bench_ingest: '$*' failed (exit $rc); last lines of its stderr:" >&2
        tail -n 20 "$RUNS/$name.err" >&2 || true
        exit 1
    fi
    read -r WALL RSS_KB < <(tail -n 1 "$tfile")
}

# json_get FILE KEY: prints the value of a top-level key of the JSON in FILE.
json_get() {
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

count_pngs() {
    if [[ -d "$1" ]]; then find "$1" -type f -name '*.png' | wc -l; else echo 0; fi
}

echo "== Pipewright ingest benchmark"
echo "binary:   $PW"
echo "baseline: $PYTHON $BASELINE ($("$PYTHON" -c 'import sys, PIL; print("Python", sys.version.split()[0], "Pillow", PIL.__version__)'))"
echo "work dir: $WORK   rounds: $ROUNDS   cores: $(nproc)"
echo

mkdir -p "$WORK" "$RUNS"

# (a) One source folder holding both splits.
for split in train test; do
    expected=60000; [[ "$split" == test ]] && expected=10000
    have="$(count_pngs "$SRC/$split")"
    if [[ "$have" -eq "$expected" ]]; then
        echo "data: $SRC/$split has $have PNGs, reusing"
    else
        echo "data: creating $SRC/$split ($expected PNGs; found $have)"
        rm -rf "${SRC:?}/$split"
        wait_for_pw
        "$PW" demo-data fashion-mnist --out "$SRC/$split" --split "$split" --json \
            >"$RUNS/demo-data-$split.json" 2>"$RUNS/demo-data-$split.err" \
            || { tail -n 20 "$RUNS/demo-data-$split.err" >&2; die "demo-data --split $split failed"; }
    fi
done
total="$(count_pngs "$SRC")"
[[ "$total" -eq 70000 ]] || die "$SRC holds $total PNGs, expected 70000"

# (b) Warm cache: every source file, the binary and its libraries, Python and Pillow.
echo "warming the page cache ($total files)"
find "$SRC" -type f -print0 | xargs -0 cat >/dev/null
wait_for_pw
"$PW" help ingest >/dev/null 2>&1 || true
"$PYTHON" -c 'import hashlib, io, json, os, sqlite3; from PIL import Image, PngImagePlugin' \
    || die "$PYTHON cannot import the baseline's modules"
echo

# (c) Rounds, alternating Pipewright and the baseline.
RESULTS="$RUNS/results.tsv"
: >"$RESULTS"
checks_failed=0
check() {  # check WHAT ACTUAL EXPECTED
    if [[ "$2" != "$3" ]]; then
        echo "CHECK FAILED: $1 is $2, expected $3" >&2
        checks_failed=1
    fi
}

for round in $(seq 1 "$ROUNDS"); do
    echo "round $round/$ROUNDS"
    ws="$RUNS/workspace-$round"
    db="$RUNS/baseline-$round.sqlite"
    rm -rf "$ws" "$db"

    wait_for_pw
    measure "pw-$round" "$PW" ingest "$SRC" --workspace "$ws" --labels folder --json
    pw_wall="$WALL"; pw_rss="$RSS_KB"
    f="$RUNS/pw-$round.out"
    check "round $round: ingest discovered" "$(json_get "$f" discovered)" 70000
    check "round $round: ingest added"      "$(json_get "$f" added)" 70000
    check "round $round: ingest rejected"   "$(json_get "$f" rejected)" 0
    echo "  pipewright ingest   ${pw_wall} s  peak RSS ${pw_rss} KB"

    wait_for_pw
    measure "pw-rerun-$round" "$PW" ingest "$SRC" --workspace "$ws" --labels folder --json
    re_wall="$WALL"; re_rss="$RSS_KB"
    f="$RUNS/pw-rerun-$round.out"
    check "round $round: rerun discovered" "$(json_get "$f" discovered)" 70000
    check "round $round: rerun unchanged"  "$(json_get "$f" unchanged)" 70000
    check "round $round: rerun added"      "$(json_get "$f" added)" 0
    echo "  pipewright rerun    ${re_wall} s  peak RSS ${re_rss} KB"

    measure "baseline-$round" "$PYTHON" "$BASELINE" "$SRC" "$db"
    base_wall="$WALL"; base_rss="$RSS_KB"
    f="$RUNS/baseline-$round.out"
    check "round $round: baseline rows"   "$(json_get "$f" rows)" 70000
    check "round $round: baseline errors" "$(json_get "$f" errors)" 0
    echo "  python baseline     ${base_wall} s  peak RSS ${base_rss} KB"

    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$pw_wall" "$pw_rss" \
        "$re_wall" "$re_rss" "$base_wall" "$base_rss" >>"$RESULTS"
    if [[ "$KEEP" != 1 ]]; then
        rm -rf "$ws" "$db"
    fi
done
echo

# (e) Table, medians and the verdict against the targets.
python3 - "$RESULTS" <<'EOF'
import statistics, sys

MB = 1000 * 1000  # RSS in MB of 10^6 bytes (GNU time's %M is in KiB)

def num(s):
    return None if s == "-" else float(s)

rows = []
for line in open(sys.argv[1]):
    r, pw, pw_rss, re, re_rss, base, base_rss = line.rstrip("\n").split("\t")
    rows.append(dict(round=int(r), pw=num(pw), pw_rss=num(pw_rss), re=num(re),
                     re_rss=num(re_rss), base=num(base), base_rss=num(base_rss)))
for row in rows:
    row["ratio"] = row["base"] / row["pw"] if row["pw"] > 0 else float("inf")

def mb(kb):
    return None if kb is None else kb * 1024 / MB

def fmt(v, spec):
    width = int(spec.split(".")[0] or 0)
    return "-".rjust(width) if v is None else format(v, spec)

def median(key):
    vals = [row[key] for row in rows if row[key] is not None]
    return statistics.median(vals) if vals else None

head = f"{'round':>6} | {'pw ingest s':>11} {'RSS MB':>7} | {'rerun s':>7} {'RSS MB':>7} | {'baseline s':>10} {'RSS MB':>7} | {'base/pw':>7}"
print(head)
print("-" * len(head))
def line(label, d):
    print(f"{label:>6} | {fmt(d['pw'], '11.2f')} {fmt(mb(d['pw_rss']), '7.1f')} | "
          f"{fmt(d['re'], '7.2f')} {fmt(mb(d['re_rss']), '7.1f')} | "
          f"{fmt(d['base'], '10.2f')} {fmt(mb(d['base_rss']), '7.1f')} | {fmt(d['ratio'], '6.2f')}x")
for row in rows:
    line(str(row["round"]), row)
print("-" * len(head))
med = {k: median(k) for k in ("pw", "pw_rss", "re", "re_rss", "base", "base_rss", "ratio")}
line("median", med)
print()
print("ratio = baseline wall / pipewright first-ingest wall, median of per-round ratios;")
print("wall includes process start-up for both; RSS MB = 10^6 bytes")
print()

def verdict(ok, text):
    print(f"{'PASS' if ok else 'FAIL'}  {text}")

verdict(med["pw"] <= 2.0, f"first ingest of 70,000 PNGs <= 2 s wall: {med['pw']:.2f} s")
if med["pw_rss"] is None:
    print("SKIP  first ingest peak RSS <= 300 MB: not measured (no /usr/bin/time)")
else:
    verdict(mb(med["pw_rss"]) <= 300, f"first ingest peak RSS <= 300 MB: {mb(med['pw_rss']):.1f} MB")
verdict(med["re"] <= 0.5, f"rerun with nothing new <= 0.5 s wall: {med['re']:.2f} s")
verdict(med["ratio"] >= 2.5, f"baseline / pipewright >= 2.5x: {med['ratio']:.2f}x")
EOF

if (( checks_failed )); then
    echo
    echo "bench_ingest: some reported counts were not as expected (see CHECK FAILED above);" \
         "the timings above are not valid" >&2
    exit 1
fi
echo
echo "counts checked: discovered/added 70000, rerun unchanged 70000, baseline rows 70000"
echo "logs: $RUNS"
