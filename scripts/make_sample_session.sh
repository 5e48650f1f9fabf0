#!/usr/bin/env bash
# Record data/sample/: the guide's four tests against `report sim`, recorded by `report collect`.
#
# The sim stands in for the user's deployment (CodeLlama 7B on CPU, 2 CPU / 4 GiB per pod, HPA
# min 1 max 5 at 70 % CPU, scale-down window 300 s); see docs/sim.md. One `report collect` wraps
# the whole test plan, so the session holds the HPA, its events, the pods and their metrics for
# all four tests, and the per-request records of `report run`:
#   basic (5x1,10x2,15x3) · 1 min pause · spike 0.5 → 3 → 0.5 req/s (60/120/60 s) · 6 min pause
#   (the scale-down window) · stress from 0.5 req/s in 0.5 steps of 90 s until it breaks ·
#   6 min pause · soak 1 req/s for 10 min · 6 min linger.
#
# SPEED=1 (the default) runs in real time, about 50 minutes, so that latencies are the model's
# real seconds. SPEED=10 rehearses the same plan in 5 minutes (durations in the report are then
# real seconds, a tenth of the simulated ones).
#
# Run from the repository root: scripts/make_sample_session.sh [SESSION_NAME]
set -euo pipefail

speed=${SPEED:-1}
name=${1:-sample}
service_port=${SERVICE_PORT:-18000}
report=${REPORT:-target/release/report}
work=$(mktemp -d)
trap 'kill "$sim_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

# Simulated seconds → real duration; simulated rate → real rate.
real() { awk -v s="$1" -v x="$speed" 'BEGIN { printf "%dms", s * 1000 / x }'; }
rate() { awk -v r="$1" -v x="$speed" 'BEGIN { printf "%g", r * x }'; }

"$report" sim --speed "$speed" --port "$service_port" --dir "$work/sim" >"$work/sim.log" 2>&1 &
sim_pid=$!
until [ -s "$work/sim/kubeconfig" ]; do sleep 0.2; done
url="http://127.0.0.1:$service_port"

# The test plan, as the user runs it from one shell; REPORT_SESSION (set by collect) routes
# every `report run` into the session.
plan="$work/plan.sh"
cat >"$plan" <<EOF
set -e
"$report" run basic --url $url --pause $(real 10)
sleep $(awk -v x="$speed" 'BEGIN { print 60 / x }')
"$report" run spike --url $url --baseline $(rate 0.5) --rps $(rate 3) \
  --baseline-duration $(real 60) --duration $(real 120) --recovery-duration $(real 60)
sleep $(awk -v x="$speed" 'BEGIN { print 360 / x }')
"$report" run stress --url $url --start $(rate 0.5) --step $(rate 0.5) --max $(rate 5) \
  --step-duration $(real 90)
sleep $(awk -v x="$speed" 'BEGIN { print 360 / x }')
"$report" run soak --url $url --rps $(rate 1) --duration $(real 600)
EOF

rm -rf "data/$name"
"$report" collect --kubeconfig "$work/sim/kubeconfig" -n llm-inference \
  --interval "$(real 5)" --linger "$(real 360)" --session "$name" --data-root data \
  -- bash "$plan"
cp "$work/sim/ground_truth.jsonl" "data/$name/sim_ground_truth.jsonl"
du -sh "data/$name"
