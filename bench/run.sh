#!/usr/bin/env bash
# flagctl benchmark (SPEC section 9): times `flagctl validate`, `diff` and `status` against the
# parse floor on a generated repository of N flags x 3 environments, in the same run.
#
#   bench/run.sh [N=10000] [--runs K] [--featurevisor] [--scale] [--no-build]
#
#   N               flags per environment (files = 3N); repos are cached in $BENCH_DIR/repo-N
#   --runs K        hyperfine runs per command (default 5, after 1 warm-up run)
#   --featurevisor  also time Featurevisor 1.11.1 `lint` on N features (the peer, SPEC section 9)
#   --scale         also run validate/diff/status and the floor at N = 1,000, 10,000 and 100,000
#                   and report time per flag (the "linear growth" target)
#   --no-build      use the existing binaries
#
# Environment: BENCH_DIR (default /tmp/flagctl-bench: repos, parse-floor build, results),
# SEED (generator seed, default 42), SHARED (default /work/shared), CARGO_TARGET_DIR (flagctl's).
# Keep BENCH_DIR outside any git work tree: the generated repository is not a git repository.
set -euo pipefail
export NO_COLOR=1

here=$(cd "$(dirname "$0")" && pwd)
main=$(cd "$here/.." && pwd)
shared=${SHARED:-/work/shared}
bench=${BENCH_DIR:-/tmp/flagctl-bench}
seed=${SEED:-42}
n=10000 runs=5 featurevisor=0 scale=0 build=1
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift ;;
    --runs=*) runs=${1#--runs=} ;;
    --featurevisor) featurevisor=1 ;;
    --scale) scale=1 ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *[!0-9]*|'') echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    *) n=$1 ;;
  esac
  shift
done

for tool in hyperfine python3 cargo /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is required" >&2; exit 2; }
done
mkdir -p "$bench"
bench=$(cd "$bench" && pwd)
results="$bench/results-$n"
mkdir -p "$results"

flagctl="${CARGO_TARGET_DIR:-$main/target}/release/flagctl"
floor_target="$bench/parse-floor-target"
floor="$floor_target/release/parse-floor"

# ---- build -----------------------------------------------------------------------------------
if [ "$build" = 1 ]; then
  echo "== building flagctl (cargo build --release)" >&2
  (cd "$main" && cargo build --release --quiet)
  echo "== building the parse floor ($shared/bench/parse-floor)" >&2
  (cd "$shared/bench/parse-floor" && CARGO_TARGET_DIR="$floor_target" cargo build --release --quiet)
fi
[ -x "$flagctl" ] || { echo "run.sh: no $flagctl (build it, or drop --no-build)" >&2; exit 2; }
[ -x "$floor" ] || { echo "run.sh: no $floor (build it, or drop --no-build)" >&2; exit 2; }

# ---- the generated repository (cached; regenerated when gen.py, N or the seed change) ---------
repo_for() {  # repo_for N -> prints the repository path, generating it if needed
  local n=$1 repo="$bench/repo-$1" stamp
  stamp="$(sha256sum "$here/gen.py" | cut -c1-16) n=$n seed=$seed"
  if [ ! -d "$repo" ] || [ "$(cat "$repo.stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "== generating $n flags x 3 environments into $repo" >&2
    rm -rf "$repo" "$repo.stamp" "$repo.tmp"
    python3 "$here/gen.py" "$n" "$repo.tmp" --seed "$seed" >&2
    mv "$repo.tmp" "$repo"
    echo "$stamp" > "$repo.stamp"
  fi
  echo "$repo"
}
repo=$(repo_for "$n")

# ---- which commands this flagctl has -------------------------------------------------------------
help_text=$("$flagctl" help 2>&1 || true)
has_cmd() { grep -qE "^[[:space:]]+$1([[:space:],]|$)" <<<"$help_text"; }
cmds=(validate)
for c in diff status; do
  if has_cmd "$c"; then cmds+=("$c"); else echo "== flagctl has no '$c' subcommand yet: skipped" >&2; fi
done
has_cmd validate || echo "run.sh: warning: 'validate' not found in 'flagctl help'" >&2

# ---- one plain run each: exit codes and what they report ------------------------------------
# validate must exit 0 on the generated repository; diff/status report the generated drift
# (warnings and infos: exit 0 as well). Anything else is a bug in gen.py or in flagctl.
: > "$results/exit-codes.txt"
for c in "${cmds[@]}"; do
  set +e
  "$flagctl" -C "$repo" "$c" > "$results/$c.out" 2>&1
  rc=$?
  set -e
  echo "$c $rc" >> "$results/exit-codes.txt"
  if [ "$rc" != 0 ]; then
    echo "== warning: 'flagctl $c' exited $rc on the generated repository; first lines of its output:" >&2
    head -n 15 "$results/$c.out" >&2
  fi
done

# ---- timings ------------------------------------------------------------------------------------
time_cmds() {  # time_cmds N REPO JSON RUNS
  local n=$1 repo=$2 json=$3 runs=$4 args=()
  args+=(-n floor "'$floor' '$repo/flags'")
  for c in "${cmds[@]}"; do args+=(-n "$c" "'$flagctl' -C '$repo' $c"); done
  hyperfine -w 1 -m "$runs" -N -i --export-json "$json" "${args[@]}" >&2
}
peak_kb() {  # peak_kb CMD... -> max resident set size in KB
  local f; f=$(mktemp)
  /usr/bin/time -f '%M' -o "$f" "$@" >/dev/null 2>&1 || true
  tail -n 1 "$f"; rm -f "$f"
}
memory() {  # memory REPO OUT
  local repo=$1 out=$2
  : > "$out"
  echo "floor $(peak_kb "$floor" "$repo/flags")" >> "$out"
  for c in "${cmds[@]}"; do echo "$c $(peak_kb "$flagctl" -C "$repo" "$c")" >> "$out"; done
}

echo "== timing on $repo (hyperfine: 1 warm-up, $runs runs)" >&2
time_cmds "$n" "$repo" "$results/hyperfine.json" "$runs"
memory "$repo" "$results/memory.txt"

fv_json=""
if [ "$featurevisor" = 1 ]; then
  fvdir="$shared/bench/featurevisor"
  if [ ! -x "$fvdir/node_modules/.bin/featurevisor" ]; then
    # its run.sh installs Featurevisor with `npm ci` next to itself; keep the shared folder
    # read-only and run an identical copy under $BENCH_DIR instead
    mkdir -p "$bench/featurevisor"
    for f in run.sh gen.py package.json package-lock.json; do
      cmp -s "$fvdir/$f" "$bench/featurevisor/$f" || cp "$fvdir/$f" "$bench/featurevisor/$f"
    done
    chmod u+w "$bench/featurevisor"/*
    fvdir="$bench/featurevisor"
  fi
  echo "== Featurevisor 1.11.1 lint on $n features ($fvdir/run.sh)" >&2
  fv_line=$("$fvdir/run.sh" "$n" "$bench" 2>&1 >/dev/null | tail -n 1 || true)
  echo "$fv_line" | tee "$results/featurevisor.txt" >&2
  if [ -x "$fvdir/node_modules/.bin/featurevisor" ] && [ -d "$bench/fv-$n" ]; then
    # the run.sh run above was the warm-up; the median of 3 more runs is compared
    fv_json="$results/featurevisor.json"
    hyperfine -w 0 -m 3 -i --export-json "$fv_json" \
      -n featurevisor-lint "cd '$bench/fv-$n' && '$fvdir/node_modules/.bin/featurevisor' lint" >&2
  fi
fi

scale_dir=""
if [ "$scale" = 1 ]; then
  scale_dir="$bench/scale"
  mkdir -p "$scale_dir"
  for m in 1000 10000 100000; do
    r=$(repo_for "$m")
    echo "== scaling: N=$m" >&2
    time_cmds "$m" "$r" "$scale_dir/hyperfine-$m.json" 3
    memory "$r" "$scale_dir/memory-$m.txt"
  done
fi

# ---- summary ------------------------------------------------------------------------------------
python3 - "$n" "$results" "$fv_json" "$scale_dir" "$runs" <<'PY'
import json, os, sys

n, results, fv_json, scale_dir = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
TARGET = {"validate": 1.5, "diff": 1.3, "status": 1.3}
MEM_LIMIT_KB = 100 * 1000 * 1000 // 1024          # 100 MB


def medians(path):
    with open(path) as fh:
        return {r["command"]: r for r in json.load(fh)["results"]}


def memory(path):
    out = {}
    with open(path) as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():
                out[parts[0]] = int(parts[1])
    return out


res = medians(os.path.join(results, "hyperfine.json"))
mem = memory(os.path.join(results, "memory.txt"))
codes = dict(l.split() for l in open(os.path.join(results, "exit-codes.txt")) if l.strip())
floor = res["floor"]["median"]
print(f"\nflagctl benchmark: {int(n):,} flags x 3 environments "
      f"(medians of at least {sys.argv[5]} runs each; ratios to the parse floor)")
print(f"{'command':<18}{'median':>10}{'± σ':>9}{'ratio':>8}{'target':>9}{'peak RSS':>12}  verdict")
ok_all = True
for name, r in res.items():
    med = r["median"]
    ratio = med / floor
    kb = mem.get(name)
    rss = f"{kb / 1024:.1f} MiB" if kb else "?"
    verdict = ""
    if name in TARGET:
        ok = ratio <= TARGET[name] and (kb is None or kb < MEM_LIMIT_KB)
        ok_all &= ok
        verdict = "ok" if ok else "MISSED"
        if codes.get(name, "0") != "0":
            verdict += f" (exit {codes[name]}!)"
    target = f"≤{TARGET[name]}×" if name in TARGET else ""
    label = name if name == "floor" else f"flagctl {name}"
    print(f"{label:<18}{med:>9.3f}s{r['stddev'] or 0:>8.3f}s{ratio:>7.3f}×{target:>9}{rss:>12}  {verdict}")

if fv_json:
    fv = medians(fv_json)["featurevisor-lint"]["median"]
    try:
        line = open(os.path.join(results, "featurevisor.txt")).read()
        fv_rss = f"{int(line.split(' KB peak')[0].split()[-1]) / 1024:.1f} MiB"
    except (OSError, ValueError, IndexError):
        fv_rss = "?"
    v = res["validate"]["median"]
    speedup = fv / v
    ok = speedup >= 8
    ok_all &= ok
    print(f"{'featurevisor lint':<18}{fv:>9.3f}s{'':>9}{fv / floor:>7.3f}×{'':>9}{fv_rss:>12}"
          f"  validate is {speedup:.1f}× faster (target ≥8×): {'ok' if ok else 'MISSED'}")

if scale_dir:
    print("\nscaling (median of 3; µs per flag, ratio to the floor at the same N):")
    rows = {}
    for m in (1000, 10000, 100000):
        p = os.path.join(scale_dir, f"hyperfine-{m}.json")
        if os.path.exists(p):
            rows[m] = (medians(p), memory(os.path.join(scale_dir, f"memory-{m}.txt")))
    names = list(next(iter(rows.values()))[0]) if rows else []
    print(f"{'command':<18}" + "".join(f"{f'N={m:,}':>26}" for m in rows))
    for name in names:
        cells = []
        for m, (r, mm) in rows.items():
            med = r[name]["median"]
            cells.append(f"{med / m * 1e6:>7.1f}µs {med / r['floor']['median']:>5.2f}× "
                         f"{mm.get(name, 0) / 1024:>6.1f}MiB")
        print(f"{name:<18}" + "".join(f"{c:>26}" for c in cells))
    if len(rows) == 3:
        for name in names:
            per = [rows[m][0][name]["median"] / m for m in rows]
            growth = per[-1] / per[0]
            print(f"  {name}: time per flag at 100,000 is {growth:.2f}× that at 1,000 "
                  f"({'linear' if growth <= 1.5 else 'SUPERLINEAR'})")

print(f"\nresults: {results} (hyperfine.json, memory.txt, exit-codes.txt, <command>.out)")
print("verdict:", "all targets met" if ok_all else "some targets MISSED")
PY
