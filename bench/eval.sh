#!/usr/bin/env bash
# `flagctl eval --batch` against @openfeature/flagd-core (node) on the same 1,000,000 requests,
# timed in one hyperfine run (SPEC §9: at least 5x flagd-core's evaluations per second, per core).
#
#   bench/eval.sh [N] [--runs R] [--no-build]
#
# Needs cargo, python3, node (with `npm ci --prefix tests/interop` done) and hyperfine.
# BENCH_DIR (default /tmp/flagctl-bench) holds the inputs (eval-N/) and results.
set -euo pipefail
cd "$(dirname "$0")/.."
N=1000000
RUNS=5
BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    *) N="$1"; shift ;;
  esac
done
BENCH_DIR="${BENCH_DIR:-/tmp/flagctl-bench}"
DIR="$BENCH_DIR/eval-$N"
TARGET="${CARGO_TARGET_DIR:-$PWD/target}"
FLAGCTL="$TARGET/dist/flagctl"
[ "$BUILD" = 1 ] && cargo build --profile dist --locked -q
[ -d tests/interop/node_modules ] || npm ci --prefix tests/interop --no-audit --no-fund
if [ ! -f "$DIR/requests.jsonl" ] || [ bench/eval_gen.py -nt "$DIR/requests.jsonl" ]; then
  rm -rf "$DIR" && mkdir -p "$DIR"
  python3 bench/eval_gen.py "$DIR" "$N"
fi
"$FLAGCTL" -C "$DIR/repo" export --env prod > "$DIR/flags.json"
CORES=$(nproc)
EVALUATE="$PWD/tests/interop/evaluate.js"

# The answers must agree before their speed means anything.
"$FLAGCTL" -C "$DIR/repo" eval --env prod --batch "$DIR/requests.jsonl" > "$DIR/flagctl.jsonl"
node "$EVALUATE" "$DIR/flags.json" --engine core < "$DIR/requests.jsonl" > "$DIR/flagd-core.jsonl"
node - "$DIR/flagctl.jsonl" "$DIR/flagd-core.jsonl" <<'JS'
const fs = require('fs');
const [a, b] = process.argv.slice(2).map((p) => fs.readFileSync(p, 'utf8').split('\n'));
let differ = 0;
for (let i = 0; i < a.length - 1; i++) {
  const x = JSON.parse(a[i]), y = JSON.parse(b[i]);
  if (JSON.stringify([x.value, x.variant, x.reason]) !== JSON.stringify([y.value, y.variant, y.reason])) differ++;
}
console.log(`answers compared: ${a.length - 1}, differing: ${differ}`);
if (differ) process.exit(1);
JS

hyperfine -w 1 -m "$RUNS" --export-json "$DIR/hyperfine.json" \
  -n "flagctl eval --batch ($CORES cores)" "$FLAGCTL -C $DIR/repo eval --env prod --batch $DIR/requests.jsonl > /dev/null" \
  -n "flagctl eval --batch (1 core)" "RAYON_NUM_THREADS=1 taskset -c 0 $FLAGCTL -C $DIR/repo eval --env prod --batch $DIR/requests.jsonl > /dev/null" \
  -n "flagd-core 4.0.1 (node, 1 core)" "node $EVALUATE $DIR/flags.json --engine core < $DIR/requests.jsonl > /dev/null"

python3 - "$DIR/hyperfine.json" "$N" "$CORES" <<'PY'
import json, sys
results = {r["command"]: r["median"] for r in json.load(open(sys.argv[1]))["results"]}
n, cores = int(sys.argv[2]), int(sys.argv[3])
node = next(v for k, v in results.items() if k.startswith("flagd-core"))
for name, median in results.items():
    threads = cores if f"({cores} cores)" in name else 1
    print(f"{name:40s} {median:8.3f} s  {n / median:12,.0f} eval/s  {n / median / threads:12,.0f} eval/s per core")
one = next(v for k, v in results.items() if "(1 core)" in k and k.startswith("flagctl"))
print(f"per core, flagctl / flagd-core: {node / one:.2f}x (SPEC §9 wants >= 5x)")
PY
