#!/usr/bin/env bash
# Times `flagctl report -o DIR` against `flagctl events` on the same generated history (SPEC §9,
# issue target: report within 1.5x of events, both one walk of the whole history), and reports
# the size of the page it writes.
#   bench/report.sh [FLAGS=10000] [COMMITS=20000] [--no-build]
# The repository (FLAGS flags x 3 environments, COMMITS commits after the import, made by
# history.py with git fast-import) is cached in $BENCH_DIR/report-FLAGS-COMMITS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
flags=${1:-10000}
commits=${2:-20000}
work=${BENCH_DIR:-/tmp/flagctl-bench}
repo="$work/report-$flags-$commits"
site="$work/report-site-$flags-$commits"
flagctl="${CARGO_TARGET_DIR:-$root/target}/dist/flagctl"
[[ " $* " == *" --no-build "* ]] || (cd "$root" && cargo build --profile dist -q)
mkdir -p "$work"
if [ ! -d "$repo/.git" ]; then
  rm -rf "$repo"
  python3 "$here/history.py" "$repo" --commits "$commits" --flags "$flags"
fi
cd "$repo"
hyperfine -w 1 -m 5 -N -i \
  "$flagctl events" \
  "$flagctl report -o $site" \
  --export-json "$work/report-$flags-$commits.json"
for c in events "report -o $site"; do
  /usr/bin/time -f "flagctl $c: %M KB peak" "$flagctl" $c >/dev/null 2>"$work/time.txt" || true
  tail -1 "$work/time.txt"
done
ls -l "$site/index.html" "$site/report.json" | awk '{print $5, $9}'
gzip -c "$site/index.html" | wc -c | awk '{print $1, "index.html gzipped"}'
