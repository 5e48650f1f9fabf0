#!/usr/bin/env bash
# What `report collect` itself costs: CPU time and peak resident memory of one recording against
# the local API server (examples/local_cluster.rs: an HPA that rescales every 2 minutes, pods,
# events, metrics changing every 15 s), with watches and the default 5 s metrics polling.
#
# Usage: benches/collector_cost.sh [SECONDS]    (default 600 = the 10 minutes the README quotes)
#        PROFILE=dev benches/collector_cost.sh 60   (unoptimized build: a pessimistic bound)
set -euo pipefail
seconds=${1:-600}
profile=${PROFILE:-release}
target=${CARGO_TARGET_DIR:-target}
dir=$([ "$profile" = dev ] && echo debug || echo "$profile")

cargo build --quiet --profile "$profile" --bin report --example local_cluster
work=$(mktemp -d)
trap 'kill "$cluster" 2>/dev/null || true; rm -rf "$work"' EXIT

"$target/$dir/examples/local_cluster" "$work/kubeconfig" $((seconds + 60)) >"$work/cluster.log" &
cluster=$!
for _ in $(seq 100); do [ -s "$work/kubeconfig" ] && break; sleep 0.1; done

/usr/bin/time -v "$target/$dir/report" collect --kubeconfig "$work/kubeconfig" \
  --interval 5s --duration "${seconds}s" --data-root "$work/data" --session bench \
  2>"$work/time.txt" >/dev/null

field() { grep -F "$1" "$work/time.txt" | awk -F': ' '{print $2}'; }
user=$(field "User time (seconds)")
sys=$(field "System time (seconds)")
rss_kb=$(field "Maximum resident set size (kbytes)")
records=$(cat "$work"/data/bench/*.jsonl | wc -l)
awk -v u="$user" -v s="$sys" -v r="$rss_kb" -v t="$seconds" -v n="$records" -v p="$profile" 'BEGIN {
  cpu = u + s
  printf "profile %s, recording %d s: CPU %.2f s (user %.2f, sys %.2f) = %.3f %% of one core; peak RSS %.1f MB; %d records\n",
         p, t, cpu, u, s, 100 * cpu / t, r / 1024, n
}'
