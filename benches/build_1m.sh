#!/usr/bin/env bash
# Benchmark (not a test): `report build` against the same soak analysis written with pandas +
# matplotlib, on one results file holding N per-request records in the scripts' own format
# (default 1,000,000, about 150 MB). Both run back to back in this one run, 3 times each; the
# median wall time and the peak resident memory are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${N:-1000000}"
WORK="${WORK:-/tmp/report-bench}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/report-target}"

cargo build --release --quiet
python3 -c "import pandas, matplotlib" 2>/dev/null || pip install --quiet pandas matplotlib
session="$WORK/big-soak"
file="$session/advanced_test_results_20261120_150000.json"
[ -f "$file" ] || python3 benches/make_big_soak.py "$session" "$N"
echo "input: $(du -h "$file" | cut -f1) with $N records"

measure() { # label, command...
  local label=$1; shift
  local runs=()
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >/dev/null 2>"$WORK/stderr" || { cat "$WORK/stderr"; exit 1; }
    runs+=("$(cat "$WORK/time")")
  done
  printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p | awk -v l="$label" '{printf "%-22s median %6.2f s   peak RSS %6.0f MB\n", l, $1, $2/1024}'
}
REPORT_TIMINGS=1 "$CARGO_TARGET_DIR/release/report" build "$session" --out "$WORK/out" >/dev/null
measure "report build" "$CARGO_TARGET_DIR/release/report" build "$session" --out "$WORK/out"
measure "pandas + matplotlib" python3 benches/pandas_equivalent.py "$file" "$WORK/pandas-out"
