#!/usr/bin/env bash
# flagctl benchmark (SPEC section 9): times `flagctl validate`, `diff` and `status` against the
# parse floor and Featurevisor `lint`, all in one hyperfine run, on generated git repositories of
# N flags x 3 environments: one where no two files are byte-identical (0%: the case SPEC section 9
# is judged on), the same flags with no top-level entry shared between copies either (0u: each
# copy is parsed whole, not only where it differs from the copy before it), and one where 84% of
# the flags are identical in all environments, side by side.
#
#   bench/run.sh [N=10000] [--runs K] [--scale] [--no-featurevisor] [--no-build]
#
#   N                  flags per environment (files = 3N); repos are cached in $BENCH_DIR
#   --runs K           hyperfine runs per command (default 5, after 1 warm-up run)
#   --scale            also time the floor and validate/diff/status at N = 1,000 and 100,000
#                      (and take N from the main run) and report time and memory per flag
#   --no-featurevisor  leave the peer out (it needs node and npm)
#   --no-build         use the existing binaries
#
# Environment: BENCH_DIR (default /tmp/flagctl-bench: repos, parse-floor build, results),
# SEED (generator seed, default 42), SHARED (default /work/shared), CARGO_TARGET_DIR (flagctl's),
# PROFILE (cargo profile flagctl is built with, default dist: what ships).
set -euo pipefail
export NO_COLOR=1

here=$(cd "$(dirname "$0")" && pwd)
main=$(cd "$here/.." && pwd)
shared=${SHARED:-/work/shared}
bench=${BENCH_DIR:-/tmp/flagctl-bench}
seed=${SEED:-42}
profile=${PROFILE:-dist}
shares=(0 0u 84)
n=10000 runs=5 featurevisor=1 scale=0 build=1
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift ;;
    --runs=*) runs=${1#--runs=} ;;
    --featurevisor) featurevisor=1 ;;
    --no-featurevisor) featurevisor=0 ;;
    --scale) scale=1 ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *[!0-9]*|'') echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    *) n=$1 ;;
  esac
  shift
done

for tool in hyperfine python3 cargo git /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is required" >&2; exit 2; }
done
mkdir -p "$bench"
bench=$(cd "$bench" && pwd)
results="$bench/results-$n"
rm -rf "$results"
mkdir -p "$results"

profile_dir=$profile
[ "$profile" = dev ] && profile_dir=debug
flagctl="${CARGO_TARGET_DIR:-$main/target}/$profile_dir/flagctl"
floor_target="$bench/parse-floor-target"
floor="$floor_target/release/parse-floor"

# ---- build -----------------------------------------------------------------------------------
if [ "$build" = 1 ]; then
  echo "== building flagctl (cargo build --profile $profile)" >&2
  (cd "$main" && cargo build --profile "$profile" --quiet)
  echo "== building the parse floor ($shared/bench/parse-floor)" >&2
  (cd "$shared/bench/parse-floor" && CARGO_TARGET_DIR="$floor_target" cargo build --release --quiet)
fi
[ -x "$flagctl" ] || { echo "run.sh: no $flagctl (build it, or drop --no-build)" >&2; exit 2; }
[ -x "$floor" ] || { echo "run.sh: no $floor (build it, or drop --no-build)" >&2; exit 2; }
echo "flagctl $("$flagctl" --version 2>/dev/null | head -n 1), profile $profile, $(git -C "$main" rev-parse --short HEAD)" > "$results/build.txt"

# ---- the generated repositories (cached; regenerated when gen.py, N, the share or the seed change)
repo_for() {  # repo_for N SHARE -> prints the repository path, generating and committing it if needed
  # SHARE: the percentage of identical flags, with a `u` for copies that share no entry
  local n=$1 share=$2 repo="$bench/repo-$1-$2" stamp identical=${2%u} unshared=()
  [ "$share" != "$identical" ] && unshared=(--unshared)
  stamp="$(sha256sum "$here/gen.py" | cut -c1-16) git n=$n identical=$share seed=$seed"
  if [ ! -d "$repo/.git" ] || [ "$(cat "$repo.stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "== generating $n flags x 3 environments, $share% identical, into $repo" >&2
    rm -rf "$repo" "$repo.stamp" "$repo.tmp"
    python3 "$here/gen.py" "$n" "$repo.tmp" --seed "$seed" --identical "$identical" "${unshared[@]}" >&2
    # one commit, as a repository fresh from a clone: diff and status read ages from git
    (
      cd "$repo.tmp"
      export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
      export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
      export GIT_AUTHOR_DATE="2026-01-05T10:00:00Z" GIT_COMMITTER_DATE="2026-01-05T10:00:00Z"
      git init -q -b main . && git add -A && git commit -q -m "Generated flags"
    )
    mv "$repo.tmp" "$repo"
    echo "$stamp" > "$repo.stamp"
  fi
  echo "$repo"
}

# ---- which commands this flagctl has -------------------------------------------------------------
help_text=$("$flagctl" help 2>&1 || true)
has_cmd() { grep -qE "^[[:space:]]+$1([[:space:],]|$)" <<<"$help_text"; }
cmds=(validate)
for c in diff status; do
  if has_cmd "$c"; then cmds+=("$c"); else echo "== flagctl has no '$c' subcommand yet: skipped" >&2; fi
done

# ---- one plain run each: exit codes and what they report ------------------------------------
# validate must exit 0 on a generated repository; diff/status report the generated drift
# (warnings and infos: exit 0 as well). Anything else is a bug in gen.py or in flagctl.
check_exits() {  # check_exits REPO TAG
  local repo=$1 tag=$2 c rc
  for c in "${cmds[@]}"; do
    set +e
    "$flagctl" -C "$repo" "$c" > "$results/$c-$tag.out" 2>&1
    rc=$?
    set -e
    echo "$c-$tag $rc" >> "$results/exit-codes.txt"
    if [ "$rc" != 0 ]; then
      echo "== warning: 'flagctl $c' exited $rc on $repo; first lines of its output:" >&2
      head -n 15 "$results/$c-$tag.out" >&2
    fi
  done
}

peak_kb() {  # peak_kb CMD... -> maximum resident set size in KB (GNU time -v)
  local f; f=$(mktemp)
  /usr/bin/time -v -o "$f" "$@" >/dev/null 2>&1 || true
  sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$f"; rm -f "$f"
}

# ---- Featurevisor (the peer), installed once -------------------------------------------------------
fv_cmd=()
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
  echo "== Featurevisor 1.11.1: installing and generating $n features ($fvdir/run.sh)" >&2
  "$fvdir/run.sh" "$n" "$bench" 2>&1 >/dev/null | tail -n 1 >&2 || true
  if [ -x "$fvdir/node_modules/.bin/featurevisor" ] && [ -d "$bench/fv-$n" ]; then
    fv_cmd=(env -C "$bench/fv-$n" "$fvdir/node_modules/.bin/featurevisor" lint)
  else
    echo "== Featurevisor could not be installed: left out" >&2
  fi
fi

# ---- timings: everything of one N in one hyperfine run ----------------------------------------------
time_all() {  # time_all N RUNS WITH_PEER -> results in $results/hyperfine-N.json, memory-N.txt
  local n=$1 runs=$2 peer=$3 share repo args=() mem="$results/memory-$1.txt"
  : > "$mem"
  for share in "${shares[@]}"; do
    repo=$(repo_for "$n" "$share")
    check_exits "$repo" "$n-$share"
    args+=(-n "floor@$share" "'$floor' '$repo/flags'")
    echo "floor@$share $(peak_kb "$floor" "$repo/flags")" >> "$mem"
    for c in "${cmds[@]}"; do
      args+=(-n "$c@$share" "'$flagctl' -C '$repo' $c")
      echo "$c@$share $(peak_kb "$flagctl" -C "$repo" "$c")" >> "$mem"
    done
  done
  if [ "$peer" = 1 ] && [ ${#fv_cmd[@]} -gt 0 ]; then
    args+=(-n "featurevisor-lint" "$(printf "'%s' " "${fv_cmd[@]}")")
    echo "featurevisor-lint $(peak_kb "${fv_cmd[@]}")" >> "$mem"
  fi
  echo "== timing N=$n (hyperfine: 1 warm-up, $runs runs, one run for every command)" >&2
  hyperfine -w 1 -m "$runs" -N -i --export-json "$results/hyperfine-$n.json" "${args[@]}" >&2
}

time_all "$n" "$runs" 1
scale_ns=()
if [ "$scale" = 1 ]; then
  for m in 1000 100000; do
    [ "$m" = "$n" ] && continue
    time_all "$m" 3 0
  done
  scale_ns=(1000 "$n" 100000)
fi

# ---- summary ------------------------------------------------------------------------------------
python3 - "$n" "$results" "$runs" "${scale_ns[@]}" <<'PY'
import json, os, sys

n, results, runs = int(sys.argv[1]), sys.argv[2], sys.argv[3]
scale = [int(x) for x in sys.argv[4:]]
TARGET = {"validate": 1.5, "diff": 1.3, "status": 1.3}
MEM_LIMIT_KB = {10000: 100_000, 100000: 200_000}   # SPEC: 100 MB at 10,000 flags, 200 MB at 100,000


def load(m):
    with open(os.path.join(results, f"hyperfine-{m}.json")) as fh:
        res = {r["command"]: r for r in json.load(fh)["results"]}
    mem = {}
    with open(os.path.join(results, f"memory-{m}.txt")) as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():
                mem[parts[0]] = int(parts[1])
    return res, mem


codes = dict(l.split() for l in open(os.path.join(results, "exit-codes.txt")) if l.strip())
print(open(os.path.join(results, "build.txt")).read().strip())
res, mem = load(n)
ok_all = True
print(f"\n{n:,} flags x 3 environments, git repository (one commit); medians of {runs} runs "
      f"after a warm-up, one hyperfine run; ratios to the parse floor of the same repository")
print(f"{'command':<26}{'median':>9}{'σ':>8}{'ratio':>8}{'target':>8}{'peak RSS':>10}  verdict")
for name, r in res.items():
    if name == "featurevisor-lint":
        continue
    cmd, share = name.split("@")
    floor = res[f"floor@{share}"]["median"]
    med, kb = r["median"], mem.get(name)
    verdict = ""
    if cmd in TARGET:
        ok = med / floor <= TARGET[cmd]
        if n in MEM_LIMIT_KB and kb is not None:
            ok &= kb < MEM_LIMIT_KB[n]
        if share == "0":           # the judged case
            ok_all &= ok
        verdict = ("ok" if ok else "MISSED") + ("" if share == "0" else " (not judged)")
        rc = codes.get(f"{cmd}-{n}-{share}", "0")
        if rc != "0":
            verdict += f" (exit {rc}!)"
    shown = "0% unshared" if share == "0u" else f"{share}%"
    label = f"{'floor' if cmd == 'floor' else 'flagctl ' + cmd} {shown}"
    target = f"≤{TARGET[cmd]}×" if cmd in TARGET else ""
    rss = f"{kb / 1000:.1f} MB" if kb else "?"
    print(f"{label:<26}{med:>8.3f}s{r['stddev'] or 0:>7.3f}s{med / floor:>7.3f}×{target:>8}{rss:>10}  {verdict}")
if "featurevisor-lint" in res:
    fv = res["featurevisor-lint"]["median"]
    kb = mem.get("featurevisor-lint")
    rss = f"{kb / 1000:.1f} MB" if kb else "?"
    print(f"{'featurevisor lint':<26}{fv:>8.3f}s{res['featurevisor-lint']['stddev'] or 0:>7.3f}s"
          f"{'':>8}{'':>8}{rss:>10}")
    for share in ("0", "84"):
        if f"validate@{share}" in res:
            speedup = fv / res[f"validate@{share}"]["median"]
            ok = speedup >= 8
            if share == "0":
                ok_all &= ok
            print(f"  validate {share}% is {speedup:.1f}× faster than Featurevisor lint "
                  f"(target ≥8×): {'ok' if ok else 'MISSED'}")

if scale:
    rows = {m: load(m) for m in scale}
    print("\nscaling (µs per flag, ratio to the floor at the same N, peak RSS):")
    names = [k for k in rows[scale[0]][0] if k != "featurevisor-lint"]
    print(f"{'command':<16}" + "".join(f"{f'N={m:,}':>30}" for m in scale))
    for name in names:
        share = name.split("@")[1]
        cells = []
        for m in scale:
            r, mm = rows[m]
            med = r[name]["median"]
            cells.append(f"{med / m * 1e6:>6.1f}µs {med / r[f'floor@{share}']['median']:>6.3f}× "
                         f"{mm.get(name, 0) / 1000:>6.1f}MB")
        print(f"{name:<16}" + "".join(f"{c:>30}" for c in cells))
    for name in names:
        per = [rows[m][0][name]["median"] / m for m in scale]
        growth = per[-1] / per[0]
        kb = rows[scale[-1]][1].get(name, 0)
        flat = growth <= 1.2
        mem_ok = name.startswith("floor") or kb < MEM_LIMIT_KB[100000]
        if name.endswith("@0") and not name.startswith("floor"):
            ok_all &= flat and mem_ok
        print(f"  {name}: time per flag at {scale[-1]:,} is {growth:.2f}× that at {scale[0]:,} "
              f"({'flat' if flat else 'NOT FLAT'}); {kb / 1000:.0f} MB at {scale[-1]:,}"
              f"{'' if mem_ok else ' (over 200 MB)'}")

print(f"\nresults: {results}")
print("verdict (0% identical):", "all targets met" if ok_all else "some targets MISSED")
PY
