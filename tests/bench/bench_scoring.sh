#!/usr/bin/env bash
# Scoring, merge and registry/review benchmarks (run by hand):
#  1. `pipewright score` end to end (select, decode, predict, merge, queue) on 10,000 Fashion-MNIST test images
#     ingested unlabeled, beside its floor: pipewright-worker predict alone on the same decoded images.
#  2. bench_registry: MERGE PREDICTIONS of 100,000 predictions beside plain INSERTs of the same rows.
#  3. registry and review commands on that 100,000-image workspace, beside `pipewright help` (process start).
# Needs the benchmark programs: cmake -B build -DPIPEWRIGHT_BENCHMARKS=ON && cmake --build build
# Usage: tests/bench/bench_scoring.sh [BUILD_DIR (default build)] [WORK_DIR (default /tmp/pipewright-score-bench)]
set -euo pipefail
BUILD=$(realpath "${1:-build}")
WORK=${2:-/tmp/pipewright-score-bench}
PW=$BUILD/bin/pipewright
WS=$WORK/ws
mkdir -p "$WORK"
ms() { date +%s%N; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

echo "== Pipewright scoring benchmark ($(nproc) cores, $(date -u +%FT%TZ))"
if [ ! -f "$WS/catalog.db" ]; then
  echo "creating the demo workspace (Fashion-MNIST) in $WS"
  "$PW" demo "$WS" > /dev/null
fi
if ! "$PW" models list fashion --workspace "$WS" --json 2> /dev/null | grep -q '"Production"'; then
  echo "training a model for the benchmark (1 epoch) and promoting it"
  RUN=$("$PW" train --table fashion --epochs 1 --workspace "$WS" --json 2> /dev/null | json 'd["run_id"]')
  VERSION=$("$PW" models register --run "$RUN" --name fashion --workspace "$WS" --json | json 'd["version"]')
  "$PW" models transition fashion "$VERSION" Production --workspace "$WS" > /dev/null
fi
# The test split again, as new unlabeled images in their own table.
"$PW" ingest "$WS/data/fashion-mnist/test" --table incoming --labels none --workspace "$WS" --json > /dev/null

echo "-- 1. score 10,000 images end to end"
T0=$(ms)
"$PW" score --model fashion@Production --table incoming --rescore --workspace "$WS" --json > "$WORK/score.json" 2> /dev/null
T1=$(ms)
SCORE_S=$(python3 -c "print(($T1 - $T0) / 1e9)")
json '"   scored %d, queued %d; select %.2f s, decode %.2f s, predict %.2f s, merge %.2f s" % (d["scored"], d["queued_for_review"], d["seconds"]["select"], d["seconds"]["decode"], d["seconds"]["predict"], d["seconds"]["merge"])' < "$WORK/score.json"
# The floor: the worker alone on the same images, decoded once.
SHARD=$(ls -d "$WS"/shards/fashion-test-v*-28px-1ch-val0.00 2> /dev/null | head -1)
if [ -z "$SHARD" ]; then
  "$PW" evaluate --run "$("$PW" models list fashion --workspace "$WS" --json | json '[v for v in d if v["stage"] == "Production"][0]["run_id"]')" \
    --table fashion-test --workspace "$WS" > /dev/null
  SHARD=$(ls -d "$WS"/shards/fashion-test-v*-28px-1ch-val0.00 | head -1)
fi
MODEL=$("$PW" models list fashion --workspace "$WS" --json | json '[v for v in d if v["stage"] == "Production"][0]["artifact"]')
T0=$(ms)
"$BUILD/bin/pipewright-worker" predict --model "$MODEL" --images "$SHARD/train_images.npy" --out "$WORK/probs.npy" > /dev/null
T1=$(ms)
PREDICT_S=$(python3 -c "print(($T1 - $T0) / 1e9)")
printf '%-50s %7.2f s\n' "pipewright score, 10,000 images (--rescore)" "$SCORE_S"
printf '%-50s %7.2f s  ratio %.2fx\n' "  floor: pipewright-worker predict alone" "$PREDICT_S" "$(python3 -c "print($SCORE_S / $PREDICT_S)")"
python3 -c "import sys; sys.exit(0 if $SCORE_S <= 20 else 1)" && echo "PASS  scoring 10,000 images <= 20 s" || echo "FAIL  scoring 10,000 images <= 20 s"

echo "-- 2. merge 100,000 predictions"
"$BUILD/bin/bench_registry" "$WORK/registry-ws" 100000

echo "-- 3. registry and review commands on a workspace with 100,000 images (best of 5)"
RWS=$WORK/registry-ws
best() {
  local best=999999999
  for _ in 1 2 3 4 5; do
    local t0 t1
    t0=$(ms); "$@" > /dev/null 2>&1 || true; t1=$(ms)
    [ $((t1 - t0)) -lt "$best" ] && best=$((t1 - t0))
  done
  echo $((best / 1000000))
}
FLOOR=$(best "$PW" help)
printf '%-58s %5s ms\n' "pipewright help (process start: the floor)" "$FLOOR"
ID=$("$PW" review list --limit 1 --workspace "$RWS" --json | json 'd[0]["id"]')
FAIL=0
# A transition to the stage a version is in is refused: time them in pairs that each succeed.
PAIR=999999999
for _ in 1 2 3 4 5; do
  t0=$(ms)
  "$PW" models transition fashion 1 Staging --workspace "$RWS" > /dev/null
  "$PW" models transition fashion 1 Production --workspace "$RWS" > /dev/null
  t1=$(ms)
  [ $((t1 - t0)) -lt "$PAIR" ] && PAIR=$((t1 - t0))
done
T=$((PAIR / 2000000))
printf '%-58s %5s ms  (%+d ms over the floor)\n' "pipewright models transition (Staging <-> Production)" "$T" $((T - FLOOR))
[ "$T" -le 100 ] || FAIL=1
for cmd in "models list" "models list fashion" "models history fashion" "models alias fashion champion 1" \
           "review list --limit 50" "review label $ID bag" "review accept $ID" "review skip $ID"; do
  # shellcheck disable=SC2086
  T=$(best "$PW" $cmd --workspace "$RWS" --json)
  printf '%-58s %5s ms  (%+d ms over the floor)\n' "pipewright $cmd" "$T" $((T - FLOOR))
  [ "$T" -le 100 ] || FAIL=1
done
T=$(best "$PW" review list --workspace "$RWS" --json)
printf '%-58s %5s ms  (the whole queue: %s entries, as JSON)\n' "pipewright review list" "$T" \
  "$("$PW" review list --workspace "$RWS" --json | json 'len(d)')"
[ "$FAIL" = 0 ] && echo "PASS  registry and review commands <= 100 ms" || echo "FAIL  registry and review commands <= 100 ms"
