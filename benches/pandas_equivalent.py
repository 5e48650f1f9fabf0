#!/usr/bin/env python3
"""The same soak analysis written with pandas + matplotlib, for the side-by-side benchmark:
load the results file, overall and per-clock-minute count/success/mean/p50/p95/p99, latency per
10 s window, per-block table, two 1920x1080 PNG charts. Usage: pandas_equivalent.py RESULTS OUT_DIR"""

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

src, out = Path(sys.argv[1]), Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
soak = json.load(open(src))["soak"]
df = pd.DataFrame(soak["all_results"])
df["end"] = pd.to_datetime(df["timestamp"], format="ISO8601")
ok = df[df["success"]]


def stats(frame):
    lat = frame.loc[frame["success"], "latency"]
    return pd.Series({
        "requests": len(frame), "successful": int(frame["success"].sum()), "avg": lat.mean(),
        "p50": lat.quantile(0.5), "p95": lat.quantile(0.95), "p99": lat.quantile(0.99),
        "min": lat.min(), "max": lat.max(),
    })


overall = stats(df)
minutes = df.groupby(df["end"].dt.floor("60s")).apply(stats)
windows = df.groupby(df["end"].dt.floor("10s")).apply(stats)
blocks = pd.DataFrame(soak["per_minute_chunks"])

fig, ax = plt.subplots(figsize=(19.2, 10.8), dpi=100)
ax.plot(windows.index, windows["p50"], label="p50")
ax.plot(windows.index, windows["p95"], label="p95")
ax.plot(windows.index, windows["p99"], label="p99")
ax.legend()
fig.savefig(out / "latency_over_time.png")
fig, ax = plt.subplots(figsize=(19.2, 10.8), dpi=100)
ax.plot(blocks.index + 1, blocks["avg_latency"], label="average")
ax.plot(blocks.index + 1, blocks["p95_latency"], label="p95")
ax.legend()
fig.savefig(out / "soak_per_minute.png")
print(overall.to_string())
