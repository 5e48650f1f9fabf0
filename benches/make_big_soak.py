#!/usr/bin/env python3
"""Writes a soak results file with N per-request records in the test scripts' own format
(advanced_test_results_*.json with all_results kept), for the build benchmark.
Usage: make_big_soak.py OUT_DIR [N]"""

import json
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path

out = Path(sys.argv[1])
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
rps = 50
rng = random.Random(7)
start = datetime(2026, 11, 20, 14, 0, 0)
records = []
for i in range(n):
    ok = rng.random() > 0.002
    latency = rng.lognormvariate(1.2, 0.25)
    end = start + timedelta(seconds=i / rps + latency)
    rec = {"success": ok, "latency": latency, "timestamp": end.isoformat()}
    if ok:
        rec["tokens"] = rng.randint(60, 100)
    else:
        rec["error"] = "503 Server Error: Service Unavailable"
    records.append(rec)


def analysis(chunk):
    lat = sorted(r["latency"] for r in chunk if r["success"])
    ok = len(lat)
    return {
        "total": len(chunk), "successful": ok, "failed": len(chunk) - ok,
        "success_rate": 100 * ok / len(chunk), "avg_latency": sum(lat) / ok,
        "median_latency": lat[ok // 2], "p95_latency": lat[int(ok * 0.95)],
        "p99_latency": lat[int(ok * 0.99)], "min_latency": lat[0], "max_latency": lat[-1],
        "total_tokens": sum(r.get("tokens", 0) for r in chunk),
    }


block = 60 * rps
soak = {
    "test_type": "soak", "duration_minutes": n // block, "target_rps": rps,
    "overall_analysis": analysis(records),
    "per_minute_chunks": [analysis(records[i:i + block]) for i in range(0, n, block)],
    "all_results": records,
}
out.mkdir(parents=True, exist_ok=True)
with open(out / "advanced_test_results_20261120_150000.json", "w") as f:
    json.dump({"soak": soak}, f, indent=2)
