#!/usr/bin/env bash
# Times flagctl's history commands on a generated repository of COMMITS commits (default 20,000)
# against git itself, in the same run (SPEC §9):
#   log FLAG   vs  git log --oneline -- PATH        (target: within 2x)
#   events     vs  git log --name-status            (target: within 3x; one walk for all flags)
#   audit      (one walk for the whole history)
# usage: bench/history.sh [COMMITS] [--no-build]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
commits=${1:-20000}
work=${BENCH_DIR:-/tmp/flagctl-bench}
repo="$work/history-$commits"
flagctl="${CARGO_TARGET_DIR:-$root/target}/dist/flagctl"
[[ " $* " == *" --no-build "* ]] || (cd "$root" && cargo build --profile dist -q)
if [ ! -d "$repo/.git" ]; then
  rm -rf "$repo"
  python3 "$here/history.py" "$repo" --commits "$commits"
fi
flag=feature_bench_0042
path=flags/prod/g2/$flag.yaml
cd "$repo"
hyperfine -w 1 -m 5 -N \
  "git log --oneline -- $path" \
  "$flagctl log $flag --env prod" \
  "git log --name-status" \
  "$flagctl events" \
  "$flagctl audit --env prod" \
  --export-json "$work/history-$commits.json"
for c in "log $flag --env prod" events "audit --env prod"; do
  /usr/bin/time -f "flagctl $c: %M KB peak" "$flagctl" $c >/dev/null
done
