#!/usr/bin/env bash
# Benchmark of `report run`'s open-loop generator (not a test): achieved send rate against the
# target at 100, 1,000 and 5,000 req/s, schedule lag p50/p99 and client CPU per 1,000 requests,
# next to wrk (closed loop, as fast as it can) on the same fast local server in the same run.
#
# Usage: benches/run_rate.sh [SECONDS_PER_RATE]   (default 10). Needs wrk (apt-get install wrk)
# and python3. Builds with an optimised profile that leaves polars & co. unoptimised (they are
# not on this path) so the build takes minutes, not the 20 of a full release build.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RATE=${1:-10}
PORT=${PORT:-18599}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/report-target}
PROFILE=bench-run

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }

slow_to_build=(polars polars-arrow polars-compute polars-core polars-expr polars-io polars-lazy
  polars-mem-engine polars-ops polars-parquet polars-plan polars-row polars-stream polars-time
  polars-utils polars-sql polars-ooc kube kube-client kube-core kube-runtime k8s-openapi plotters
  plotters-bitmap tera pulldown-cmark image object_store)
config=(--config "profile.$PROFILE.inherits=\"release\"" --config "profile.$PROFILE.lto=false"
  --config "profile.$PROFILE.codegen-units=16" --config "profile.$PROFILE.incremental=true")
for crate in "${slow_to_build[@]}"; do
  config+=(--config "profile.$PROFILE.package.$crate.opt-level=0")
done
cargo build --profile "$PROFILE" "${config[@]}" --bin report --example sim_server >&2

BIN=$CARGO_TARGET_DIR/$PROFILE/report
SIM=$CARGO_TARGET_DIR/$PROFILE/examples/sim_server
WORK=$(mktemp -d)
"$SIM" "127.0.0.1:$PORT" instant > "$WORK/sim.log" 2>&1 &
SIM_PID=$!
trap 'kill $SIM_PID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do grep -q listening "$WORK/sim.log" && break; sleep 0.1; done
URL="http://127.0.0.1:$PORT"

# Fixed cost of one run (start-up, TLS roots, health check, files) with no request, subtracted
# from each run's CPU so that "per 1,000 requests" counts the requests only.
/usr/bin/time -f "%U %S" -o "$WORK/time-fixed" \
  "$BIN" run soak --url "$URL" --rps 1 --duration 0s --session "$WORK/run-fixed" --quiet
FIXED=$(awk '{print $1 + $2}' "$WORK/time-fixed")

echo "machine: $(nproc) cores, $(uname -sr); server: stand-in service answering at once (sim_server instant)"
echo "fixed CPU cost of a run without requests: ${FIXED}s (subtracted below)"
echo "| target req/s | sent | achieved req/s | achieved/target | lag p50 ms | lag p99 ms | latency p50 ms | latency p99 ms | ok | client CPU s per 1,000 |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for rate in 100 1000 5000; do
  session="$WORK/run-$rate"
  /usr/bin/time -f "%U %S" -o "$WORK/time-$rate" \
    "$BIN" run soak --url "$URL" --rps "$rate" --duration "${SECONDS_PER_RATE}s" --session "$session" --quiet
  python3 - "$session/requests.ndjson" "$rate" "$WORK/time-$rate" "$FIXED" <<'PY'
import json, sys
from datetime import datetime
path, target, timing, fixed = sys.argv[1], float(sys.argv[2]), sys.argv[3], float(sys.argv[4])
rows = [json.loads(line) for line in open(path)]
def t(s):  # RFC 3339 with up to nanoseconds
    head, frac = s.rstrip("Z").split(".") if "." in s else (s.rstrip("Z"), "0")
    return datetime.fromisoformat(head).timestamp() + float("0." + frac)
sent = sorted(t(r["sent"]) for r in rows)
achieved = (len(sent) - 1) / (sent[-1] - sent[0])
def pct(values, q):
    v = sorted(values); pos = (len(v) - 1) * q; lo = int(pos); hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)
lag = [r["latency_s"] - r["latency_from_send_s"] for r in rows]
lat = [r["latency_s"] for r in rows]
user, system = map(float, open(timing).read().split()[-2:])
ok = sum(r["ok"] for r in rows)
print(f"| {target:.0f} | {len(rows)} | {achieved:.1f} | {achieved/target:.4f} | {pct(lag,.5)*1e3:.3f} | {pct(lag,.99)*1e3:.3f} "
      f"| {pct(lat,.5)*1e3:.3f} | {pct(lat,.99)*1e3:.3f} | {ok} | {(user+system-fixed)/len(rows)*1000:.3f} |")
PY
done

cat > "$WORK/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"prompt": "Write a Python function to check if a number is prime", "max_tokens": 80}'
wrk.headers["Content-Type"] = "application/json"
LUA
echo
echo "wrk on the same server (closed loop, as fast as it goes):"
echo "| wrk | requests | req/s | latency p50 ms | latency p99 ms | wrk CPU s per 1,000 |"
echo "|---|---|---|---|---|---|"
for connections in 10 50; do
  /usr/bin/time -f "%U %S" -o "$WORK/time-wrk" \
    wrk -t2 -c"$connections" -d"${SECONDS_PER_RATE}s" --latency -s "$WORK/post.lua" "$URL/chat" > "$WORK/wrk.txt"
  python3 - "$WORK/wrk.txt" "$WORK/time-wrk" "$connections" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
user, system = map(float, open(sys.argv[2]).read().split()[-2:])
requests = int(re.search(r"(\d+) requests in", text).group(1))
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
def ms(label):
    value, unit = re.search(rf"\s{label}\s+([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 1e-3, "ms": 1, "s": 1e3}[unit]
print(f"| -t2 -c{sys.argv[3]} | {requests} | {rate:.0f} | {ms('50%'):.3f} | {ms('99%'):.3f} | {(user+system)/requests*1000:.3f} |")
PY
done
