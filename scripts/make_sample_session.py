#!/usr/bin/env python3
"""Generate data/sample/: one simulated, internally consistent test session of the user's scripts.

Scenario (seed/TESTING_EXECUTION_GUIDE.md): CodeLlama 7B on CPU behind an HPA (min 1, max 5 pods),
tested on 2026-11-20 from 14:00 (local time = UTC) in the guide's order: basic load test, spike,
stress, soak, about 5 minutes apart.

What is simulated (discrete events, Python 3.11 stdlib, deterministic):
- the service: pods with 2 generation slots each and a FIFO queue, requests routed to a random
  ready pod (kube-proxy), ~29 tokens/s per request (60-100 tokens, about 3.3 s);
- the HPA: 15 s sync, 70 % CPU target on a 30 s metrics window read 15 s late, new pods ready
  25-40 s after the decision (model load), scale-down after a 300 s stabilization window;
- the behaviour of the user's clients (as ../shared/formats.md and examples/README.md describe it): tests/benchmark.py (ThreadPoolExecutor(concurrency), all
  submitted at once) and tests/test_advanced.py (_run_sustained_load: submissions paced at 1/rps
  into ThreadPoolExecutor(min(2*rps, 50)), latency measured from when a worker picks the request
  up, results gathered with as_completed, whose already-finished futures come out in set order,
  reversed);
- one fault: during the stress test's 16 req/s step, after ~6 minutes of saturation, a pod is
  OOM-killed and restarts; while it is down the requests sent to it fail with 503. This is what
  makes that step fall below 95 % success (the breaking point).

Files written (the console logs carry `<ISO time +00:00>\\t<line>` like `report collect`):
benchmark_results.json, benchmark_console.log, advanced_test_results_<end>.json x3 (spike with
all_results kept, stress stripped, soak with all_results kept), spike/stress/soak_console.log.

Run from the repository root: python3 scripts/make_sample_session.py
"""

from __future__ import annotations

import heapq
import json
import math
import random
import shutil
import statistics
from collections import deque
from datetime import datetime, timedelta, timezone
from pathlib import Path

SEED = 20261120
START = datetime(2026, 11, 20, 14, 0, 0)  # local time; the machine runs on UTC
START_EPOCH = START.replace(tzinfo=timezone.utc).timestamp()
URL = "http://203.0.113.27"  # documentation address standing in for the user's external IP
OUT = Path(__file__).resolve().parent.parent / "data" / "sample"
ERROR_503 = "503 Server Error: Service Unavailable"

SLOTS_PER_POD = 2
MIN_PODS, MAX_PODS = 1, 5
HPA_TARGET = 70.0
HPA_SYNC = 15.0
SCALE_DOWN_WINDOW = 300.0

rng = random.Random(SEED)


# --------------------------------------------------------------------------- service model
class Pod:
    def __init__(self, ident: int, ready_at: float):
        self.ident = ident
        self.ready_at = ready_at
        self.removed = False
        self.running = 0
        self.queue: deque = deque()
        self.down_until = -1.0  # fault: not serving until then


class Request:
    __slots__ = ("idx", "submit", "pickup", "end", "ok", "tokens", "worker", "pod")

    def __init__(self, idx: int, submit: float):
        self.idx, self.submit = idx, submit
        self.pickup = self.end = None
        self.ok, self.tokens, self.worker, self.pod = True, 0, None, None


class Cluster:
    """Pods + HPA. Time is seconds since START."""

    def __init__(self):
        self.t = 0.0
        self.pods = [Pod(0, -3600.0)]
        self.next_id = 1
        self.busy = 0
        self.busy_int = 0.0
        self.pod_int = 0.0
        self.history = [(0.0, 0.0, 0.0)]  # (t, busy slot-seconds, ready pod-seconds) at HPA ticks
        self.recs: list[tuple[float, int]] = []
        self.next_tick = 7.0
        self.log: list[str] = []
        self.fault = None  # (pod, t_from, t_to)

    # bookkeeping
    def ready_pods(self, t):
        return [p for p in self.pods if not p.removed and p.ready_at <= t and p.down_until <= t]

    def desired(self):
        return len([p for p in self.pods if not p.removed])

    def acc(self, t):
        if t > self.t:
            self.busy_int += self.busy * (t - self.t)
            self.pod_int += len(self.ready_pods(self.t)) * (t - self.t)
            self.t = t

    def util_between(self, a, b):
        def at(x):
            for (t0, bi0, pi0), (t1, bi1, pi1) in zip(self.history, self.history[1:]):
                if t0 <= x <= t1:
                    f = (x - t0) / (t1 - t0) if t1 > t0 else 0
                    return bi0 + f * (bi1 - bi0), pi0 + f * (pi1 - pi0)
            return self.history[0][1:] if x < self.history[0][0] else self.history[-1][1:]

        b0, p0 = at(max(a, 0.0))
        b1, p1 = at(b)
        if p1 - p0 <= 0:
            return 0.0
        per_pod_busy = (b1 - b0) / (p1 - p0)
        return 3.0 + 46.0 * per_pod_busy  # % of the CPU request: ~95 % with both slots busy

    def hpa_tick(self, t):
        self.acc(t)
        self.history.append((t, self.busy_int, self.pod_int))
        util = self.util_between(t - 45.0, t - 15.0)
        ready = len(self.ready_pods(t))
        cur = self.desired()
        if ready and abs(util / HPA_TARGET - 1.0) > 0.1:
            rec = math.ceil(ready * util / HPA_TARGET)
        else:
            rec = cur
        rec = max(MIN_PODS, min(MAX_PODS, rec))
        self.recs.append((t, rec))
        self.recs = [(x, r) for x, r in self.recs if x >= t - SCALE_DOWN_WINDOW]
        if rec > cur:
            for _ in range(min(rec, 2 * cur + 4) - cur):
                self.pods.append(Pod(self.next_id, t + rng.uniform(25.0, 40.0)))
                self.next_id += 1
            self.log.append(f"{t:8.1f}s util {util:5.1f}% -> scale up {cur} -> {self.desired()}")
        else:
            keep = max(r for _, r in self.recs)
            if keep < cur:
                live = [p for p in self.pods if not p.removed]
                for p in sorted(live, key=lambda p: -p.ident)[: cur - keep]:
                    p.removed = True
                self.log.append(f"{t:8.1f}s util {util:5.1f}% -> scale down {cur} -> {keep}")
        self.next_tick = t + HPA_SYNC

    def idle_until(self, t):
        while self.next_tick <= t:
            self.hpa_tick(self.next_tick)
        self.acc(t)

    def pods_at(self, t):
        return len(self.ready_pods(t))


def service_time(max_tokens: int) -> tuple[float, int]:
    """Prompt evaluation + generation at ~28 tokens/s + network round trip."""
    if max_tokens >= 100:
        tokens = min(max_tokens, int(rng.uniform(58, 112)))
    else:
        tokens = min(max_tokens, int(rng.uniform(52, 96)))
    speed = rng.gauss(29.0, 1.3)
    return rng.uniform(0.28, 0.42) + tokens / speed + rng.uniform(0.035, 0.07), tokens


def run_closed_loop(cl: Cluster, submits: list[float], workers: int, max_tokens: int) -> list[Request]:
    """Requests become available at their submit time; `workers` threads take them in order,
    each sending one HTTP request at a time to a random ready pod. Returns requests with
    pickup/end times (seconds since START)."""
    reqs = [Request(i, s) for i, s in enumerate(submits)]
    heap: list = []
    seq = 0

    def push(t, kind, data):
        nonlocal seq
        heapq.heappush(heap, (t, seq, kind, data))
        seq += 1

    for r in reqs:
        push(r.submit, "avail", r)
    if cl.fault:
        push(cl.fault[1], "fault", (cl.fault[0], cl.fault[2]))
    free = list(range(workers))
    waiting: deque = deque()  # available, not picked up
    done = 0
    durations: dict[int, tuple[float, int]] = {}

    def start_on_pod(pod, r, t):
        dur, tok = service_time(max_tokens)
        durations[r.idx] = (dur, tok)
        pod.running += 1
        cl.busy += 1
        push(t + dur, "finish", (pod, r))

    def send(r, t):
        r.pickup = t + rng.uniform(0.0002, 0.0012)
        ready = cl.ready_pods(t)
        f = cl.fault
        if f and f[1] <= t < f[2] and rng.random() < 1.0 / max(1, len(ready) + 1):
            # the request landed on the pod that is restarting
            r.ok = False
            push(r.pickup + rng.uniform(0.03, 0.09), "fail", r)
            return
        pod = rng.choice(ready)
        r.pod = pod
        if pod.running < SLOTS_PER_POD:
            start_on_pod(pod, r, r.pickup)
        else:
            pod.queue.append(r)

    while done < len(reqs):
        t, _, kind, data = heapq.heappop(heap)
        if cl.next_tick <= t:
            push(t, kind, data)
            cl.hpa_tick(cl.next_tick)
            continue
        cl.acc(t)
        if kind == "avail":
            waiting.append(data)
        elif kind == "finish":
            pod, r = data
            pod.running -= 1
            cl.busy -= 1
            if r.ok:
                r.end = t + rng.uniform(0.0004, 0.0015)
                r.tokens = durations[r.idx][1]
                done += 1
                free.append(r.worker)
            if pod.queue and pod.down_until <= t:
                start_on_pod(pod, pod.queue.popleft(), t)
        elif kind == "fail":
            data.end = t
            done += 1
            free.append(data.worker)
        elif kind == "fault":
            pod, until = data
            pod.down_until = until
            # OOM kill: everything running or queued on it fails now
            victims = list(pod.queue)
            pod.queue.clear()
            for (_, _, k, d) in heap:
                if k == "finish" and d[0] is pod:
                    victims.append(d[1])
            for v in victims:
                if v.ok:
                    v.ok = False
                    push(t + rng.uniform(0.001, 0.02), "fail", v)
            cl.busy -= pod.running
            pod.running = 0
            heap[:] = [e for e in heap if not (e[2] == "finish" and e[3][0] is pod)]
            heapq.heapify(heap)
        while free and waiting:
            r = waiting.popleft()
            r.worker = free.pop()
            send(r, t)
    return reqs


# --------------------------------------------------------------------------- console & formats
class Console:
    def __init__(self):
        self.lines: list[tuple[float, str]] = []
        self.t = 0.0

    def at(self, t: float):
        self.t = max(self.t, t)

    def print(self, text: str = "", *, gap=(0.000006, 0.000030)):
        """print() as the scripts do: one log line per output line."""
        for line in text.split("\n"):
            self.t += rng.uniform(*gap)
            self.lines.append((self.t, line))

    def write(self, path: Path):
        with open(path, "w", encoding="utf-8") as f:
            for t, line in self.lines:
                stamp = (START + timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%S.%f")
                f.write(f"{stamp}+00:00\t{line}\n")


def local(t: float) -> datetime:
    return START + timedelta(seconds=round(t, 6))


def epoch(t: float) -> float:
    return START_EPOCH + t


def latency_of(r: Request) -> float:
    # time.time() - start, with both taken as float epoch seconds (same rounding as the script)
    return epoch(r.end) - epoch(r.pickup)


def analyze(results: list[dict]) -> dict:
    """A phase's analysis object with the fields and rules of formats.md: counts always, latency
    figures over successful requests only, p95/p99 picked by index (the maximum for small n)."""
    if not results:
        return {}
    ok = sorted(r["latency"] for r in results if r["success"])
    counts = {"total": len(results), "successful": len(ok), "failed": len(results) - len(ok)}
    if not ok:
        return {**counts, "success_rate": 0}

    def by_index(share: float, min_n: int) -> float:
        return ok[int(len(ok) * share)] if len(ok) > min_n else ok[-1]

    in_order = [r["latency"] for r in results if r["success"]]
    return {
        **counts,
        "success_rate": len(ok) / len(results) * 100,
        "avg_latency": statistics.mean(in_order),
        "median_latency": statistics.median(ok),
        "p95_latency": by_index(0.95, 20),
        "p99_latency": by_index(0.99, 100),
        "min_latency": ok[0],
        "max_latency": ok[-1],
        "total_tokens": sum(r["tokens"] for r in results if r["success"]),
    }


def record(r: Request) -> dict:
    ts = local(r.end).isoformat()  # Python drops a zero fraction by itself
    if r.ok:
        return {"success": True, "latency": latency_of(r), "tokens": r.tokens, "timestamp": ts}
    return {"success": False, "latency": latency_of(r), "error": ERROR_503, "timestamp": ts}


def future_hashes(n: int) -> list[int]:
    """hash() of n Future objects allocated one after the other (CPython: address >> 4)."""
    addr, hashes = rng.randrange(0x7F0000000000, 0x7F8000000000) & ~0xFFF, []
    for _ in range(n):
        addr += rng.choice((0x1A0, 0x1C0, 0x1E0, 0x200, 0x220)) + (0x1000 if rng.random() < 0.03 else 0)
        hashes.append(addr >> 4)
    return hashes


def set_iteration_order(hashes: list[int], insertion: list[int]) -> list[int]:
    """Iteration order of a CPython 3.11 set built by adding `insertion` (indices into hashes)
    one by one: linear probes then perturbation, resize to > 4x used when 3/5 full."""

    def insert(table, mask, idx):
        h = hashes[idx]
        perturb, i = h, h & mask
        while True:
            for j in range(10):
                if i + j <= mask and table[i + j] is None:
                    table[i + j] = idx
                    return
            perturb >>= 5
            i = (i * 5 + 1 + perturb) & mask

    size, table, used = 8, [None] * 8, 0
    for idx in insertion:
        insert(table, size - 1, idx)
        used += 1
        if used * 5 >= (size - 1) * 3:
            new = 8
            while new <= used * 4:
                new <<= 1
            old, table, size = table, [None] * new, new
            for e in old:
                if e is not None:
                    insert(table, size - 1, e)
    return [e for e in table if e is not None]


def as_completed_order(reqs: list[Request], loop_end: float) -> list[Request]:
    """concurrent.futures.as_completed(futures) called at loop_end: fs = set(futures);
    finished = list(set(f for f in fs if done)) is yielded popping from its end; the futures
    still pending then come out as they complete."""
    hashes = future_hashes(len(reqs))
    fs_order = set_iteration_order(hashes, list(range(len(reqs))))
    finished = set_iteration_order(hashes, [i for i in fs_order if reqs[i].end <= loop_end])
    rest = sorted((r for r in reqs if r.end > loop_end), key=lambda r: r.end)
    return [reqs[i] for i in reversed(finished)] + rest


def run_sustained(cl: Cluster, con: Console, rps: int, duration: int, name: str, every: int = 10):
    """tests/test_advanced.py _run_sustained_load: pacing, progress lines, gathering."""
    total = int(rps * duration)
    start = con.t + rng.uniform(0.000005, 0.00002)
    submits, prints = [], []
    last = start
    for i in range(total):
        target = start + i / rps
        now = target + rng.uniform(0.00004, 0.00025)  # sleep() overshoot
        submits.append(now)
        elapsed = now + rng.uniform(0.000004, 0.00002) - start
        if elapsed - (last - start) >= every:
            prints.append((start + elapsed, f"  [{name}] Progress: {i+1}/{total} "
                                             f"({(i+1)/total*100:.1f}%) - Elapsed: {elapsed:.1f}s"))
            last = start + elapsed + rng.uniform(0.00002, 0.00008)
    loop_end = submits[-1] + 0.0001
    cl.idle_until(start)
    reqs = run_closed_loop(cl, submits, min(rps * 2, 50), 100)
    for t, line in prints:
        con.at(t)
        con.print(line, gap=(0.0, 0.0))
    end = max(max(r.end for r in reqs), loop_end) + rng.uniform(0.0001, 0.0006)
    con.at(end)
    ordered = as_completed_order(reqs, loop_end)
    return [record(r) for r in ordered], start, end, reqs


# --------------------------------------------------------------------------- the tests
def basic_test(cl: Cluster, t0: float):
    con = Console()
    con.at(t0)
    con.print(f"🎯 Testing CodeLlama 7B service at: {URL}")
    con.print("🔍 Testing health endpoint first...")
    con.at(con.t + rng.uniform(0.02, 0.06))
    con.print("✅ Health check: {'status': 'healthy', 'model': 'codellama-7b-instruct-q4.gguf'}\n")
    con.print("📋 Test Plan:")
    con.print("  - Light:  20 requests, 2 at a time  (~40-60 seconds)")
    con.print("  - Medium: 50 requests, 5 at a time (~60-90 seconds)")
    con.print("  - Heavy:  100 requests, 10 at a time (~80-120 seconds)")
    con.print("  - Total estimated time: ~5-8 minutes\n")
    scenarios = [
        {"requests": 20, "concurrency": 2, "name": "Light Load (2 Concurrent)"},
        {"requests": 50, "concurrency": 5, "name": "Medium Load (5 Concurrent)"},
        {"requests": 100, "concurrency": 10, "name": "Heavy Load (10 Concurrent)"},
    ]
    all_results = []
    for sc in scenarios:
        con.print(f"\n{'='*70}")
        con.print(f"🎯 Scenario: {sc['name']}")
        con.print(f"{'='*70}")
        n, c = sc["requests"], sc["concurrency"]
        con.print(f"\n{'='*70}")
        con.print(f"🔥 Load Test: {n} requests, {c} concurrent workers")
        con.print(f"{'='*70}")
        start = con.t + rng.uniform(0.00001, 0.00005)
        cl.idle_until(start)
        reqs = run_closed_loop(cl, [start] * n, c, 80)
        reqs.sort(key=lambda r: r.end)
        for i, r in enumerate(reqs, 1):
            if i % 5 == 0 or i == n:
                con.at(r.end + rng.uniform(0.00005, 0.0002))
                con.print(f"  Progress: {i}/{n} completed...", gap=(0.0, 0.0))
        total_time = epoch(reqs[-1].end + rng.uniform(0.0001, 0.0003)) - epoch(start)
        ok = [r for r in reqs if r.ok]
        lat = [latency_of(r) for r in ok]
        tok = [r.tokens for r in ok]
        con.print("\n📊 Results:")
        con.print(f"  Total Requests:     {n}")
        con.print(f"  Successful:         {len(ok)} ({len(ok)/n*100:.1f}%)")
        con.print(f"  Failed:             {n - len(ok)}")
        con.print(f"  Total Time:         {total_time:.2f}s")
        con.print("\n⏱️  Latency Statistics:")
        con.print(f"  Average:            {statistics.mean(lat):.3f}s")
        con.print(f"  Median (P50):       {statistics.median(lat):.3f}s")
        if len(lat) > 1:
            con.print(f"  P95:                {sorted(lat)[int(len(lat)*0.95)]:.3f}s")
            con.print(f"  P99:                {sorted(lat)[max(0, int(len(lat)*0.99)-1)]:.3f}s")
        con.print(f"  Min:                {min(lat):.3f}s")
        con.print(f"  Max:                {max(lat):.3f}s")
        con.print("\n🚀 Throughput:")
        con.print(f"  Requests/sec:       {len(ok) / total_time:.2f}")
        con.print(f"  Tokens/sec:         {sum(tok) / total_time:.2f}")
        result = {
            "total_requests": n,
            "successful": len(ok),
            "failed": n - len(ok),
            "concurrency": c,
            "total_time": total_time,
            "avg_latency": statistics.mean(lat),
            "p50_latency": statistics.median(lat),
            "min_latency": min(lat),
            "max_latency": max(lat),
            "throughput": len(ok) / total_time,
            "total_tokens": sum(tok),
        }
        result["scenario"] = sc["name"]
        all_results.append(result)
        con.print(f"\n✅ {sc['name']} completed successfully!")
        if sc is not scenarios[-1]:
            con.print("\n⏸️  Waiting 10 seconds before next scenario...")
            con.at(con.t + 10.0 + rng.uniform(0.0005, 0.003))
    with open(OUT / "benchmark_results.json", "w") as f:
        json.dump(all_results, f, indent=2)
    con.print(f"\n{'='*70}")
    con.print("✅ Results saved to benchmark_results.json")
    con.print(f"{'='*70}")
    con.print("\n📈 Summary:")
    for r in all_results:
        con.print(f"\n  {r['scenario']}:")
        con.print(f"    Success Rate: {r['successful']}/{r['total_requests']} "
                  f"({r['successful']/r['total_requests']*100:.1f}%)")
        con.print(f"    Avg Latency:  {r['avg_latency']:.2f}s")
        con.print(f"    Throughput:   {r['throughput']:.2f} req/s")
    con.write(OUT / "benchmark_console.log")
    return con.t, all_results


def advanced_header(con: Console):
    con.print(f"\n🚀 Starting Advanced Load Tests against {URL}")
    con.print(f"⏰ Start time: {local(con.t).strftime('%Y-%m-%d %H:%M:%S')}\n")


def save_advanced(con: Console, payload: dict, strip: bool) -> str:
    con.at(con.t + rng.uniform(0.0002, 0.002))
    name = f"advanced_test_results_{local(con.t).strftime('%Y%m%d_%H%M%S')}.json"
    if strip:
        payload = {k: {**v, "all_results": []} if "all_results" in v else v for k, v in payload.items()}
    with open(OUT / name, "w") as f:
        json.dump(payload, f, indent=2)
    con.print(f"\n✅ Results saved to {name}")
    con.print(f"⏰ End time: {local(con.t).strftime('%Y-%m-%d %H:%M:%S')}")
    return name


def phase_summary(con: Console, results, name):
    a = analyze(results)
    con.print(f"\n📊 {name} Phase Summary:")
    con.print(f"  Total Requests: {a['total']}")
    con.print(f"  Successful: {a['successful']} ({a['success_rate']:.1f}%)")
    con.print(f"  Failed: {a['failed']}")
    con.print(f"  Avg Latency: {a['avg_latency']:.3f}s")
    con.print(f"  P95 Latency: {a['p95_latency']:.3f}s")


def spike_test(cl: Cluster, t0: float, baseline=2, spike=15, duration=30):
    con = Console()
    con.at(t0)
    advanced_header(con)
    con.print(f"\n{'='*70}")
    con.print("🔥 SPIKE TEST")
    con.print(f"{'='*70}")
    con.print(f"Baseline: {baseline} req/s for 30s")
    con.print(f"Spike: {spike} req/s for {duration}s")
    con.print(f"Recovery: {baseline} req/s for 30s")
    con.print(f"{'='*70}\n")
    con.print("📊 Phase 1: Baseline load (30s)...")
    b, *_ = run_sustained(cl, con, baseline, 30, "Baseline")
    con.print(f"\n⚡ Phase 2: SPIKE! {spike} req/s ({duration}s)...")
    s, *_ = run_sustained(cl, con, spike, duration, "Spike")
    con.print("\n🔄 Phase 3: Recovery to baseline (30s)...")
    r, *_ = run_sustained(cl, con, baseline, 30, "Recovery")
    for res, name in ((b, "Baseline"), (s, "Spike"), (r, "Recovery")):
        phase_summary(con, res, name)
    payload = {"spike": {
        "test_type": "spike",
        "baseline_results": analyze(b),
        "spike_results": analyze(s),
        "recovery_results": analyze(r),
        "all_results": b + s + r,
    }}
    name = save_advanced(con, payload, strip=False)
    con.write(OUT / "spike_console.log")
    return con.t, name, payload


def stress_test(cl: Cluster, t0: float, start_rps=1, max_rps=30, step=3, step_duration=60):
    con = Console()
    con.at(t0)
    advanced_header(con)
    con.print(f"\n{'='*70}")
    con.print("💪 STRESS TEST")
    con.print(f"{'='*70}")
    con.print(f"Start: {start_rps} req/s")
    con.print(f"Max: {max_rps} req/s")
    con.print(f"Step: +{step} req/s every {step_duration}s")
    con.print(f"{'='*70}\n")
    breaking_point = None
    steps = []
    current = start_rps
    while current <= max_rps:
        con.print(f"\n📈 Testing {current} req/s for {step_duration}s...")
        step_start = con.t
        if current == 16:
            # after ~6 minutes of saturation a pod is OOM-killed and restarts
            victim = max(cl.ready_pods(con.t + 45.0), key=lambda p: p.ident)
            fault_at = con.t + 44.0 + rng.uniform(0, 3)
            cl.fault = (victim, fault_at, fault_at + 95.0)
        res, _, end, reqs = run_sustained(cl, con, current, step_duration, f"{current}RPS")
        cl.fault = None
        a = analyze(res)
        con.print(f"  Success rate: {a['success_rate']:.1f}%")
        con.print(f"  Avg latency: {a['avg_latency']:.3f}s")
        steps.append((current, step_start, con.t, a, cl.pods_at(con.t)))
        if a["success_rate"] < 95 or a["avg_latency"] > 10:
            breaking_point = current
            con.print(f"\n⚠️  BREAKING POINT REACHED at {current} req/s!")
            con.print(f"  Success rate dropped to {a['success_rate']:.1f}%")
            con.print(f"  Avg latency: {a['avg_latency']:.3f}s")
            break
        current += step
    if breaking_point is None:
        con.print(f"\n✅ System handled max load of {max_rps} req/s successfully!")
    payload = {"stress": {
        "test_type": "stress",
        "breaking_point": breaking_point,
        "max_tested": current - step if breaking_point else max_rps,
        "all_results": [],
    }}
    name = save_advanced(con, payload, strip=True)
    con.write(OUT / "stress_console.log")
    return con.t, name, steps


def soak_test(cl: Cluster, t0: float, target_rps=5, duration_minutes=10):
    con = Console()
    con.at(t0)
    advanced_header(con)
    duration_seconds = duration_minutes * 60
    con.print(f"\n{'='*70}")
    con.print("⏱️  SOAK TEST (ENDURANCE)")
    con.print(f"{'='*70}")
    con.print(f"Load: {target_rps} req/s")
    con.print(f"Duration: {duration_minutes} minutes ({duration_seconds}s)")
    con.print(f"Total requests: ~{target_rps * duration_seconds}")
    con.print(f"{'='*70}\n")
    con.print("This will take a while... Monitor for memory leaks and degradation.")
    con.print("Press Ctrl+C to stop early.\n")
    results, start, end, reqs = run_sustained(cl, con, target_rps, duration_seconds, "Soak", every=30)
    chunk = 60 * target_rps
    chunks = [results[i:i + chunk] for i in range(0, len(results), chunk)]
    con.print("\n📊 Degradation Analysis (per minute):")
    con.print(f"{'Minute':<10} {'Avg Latency':<15} {'P95 Latency':<15} {'Success Rate':<15}")
    con.print("-" * 60)
    for i, c in enumerate(chunks):
        a = analyze(c)
        con.print(f"{i+1:<10} {a['avg_latency']:<15.3f} {a.get('p95_latency', 0):<15.3f} "
                  f"{a['success_rate']:<15.1f}%", gap=(0.0001, 0.0003))
    payload = {"soak": {
        "test_type": "soak",
        "duration_minutes": duration_minutes,
        "target_rps": target_rps,
        "overall_analysis": analyze(results),
        "per_minute_chunks": [analyze(c) for c in chunks if c],
        "all_results": results,
    }}
    name = save_advanced(con, payload, strip=False)
    con.write(OUT / "soak_console.log")
    return con.t, name, payload, (start, end)


# --------------------------------------------------------------------------- checks & main
def check(spike_name: str, stress_name: str, soak_name: str, stress_steps):
    """Independent re-reading of what was written."""
    def load(name):
        with open(OUT / name) as f:
            return json.load(f)

    def log_lines(name):
        out = []
        with open(OUT / name, encoding="utf-8") as f:
            for line in f:
                stamp, text = line.rstrip("\n").split("\t", 1)
                out.append((datetime.fromisoformat(stamp), text))
        return out

    # basic: the file's derived fields
    for r in load("benchmark_results.json"):
        assert r["throughput"] == r["successful"] / r["total_time"]
        assert r["min_latency"] <= r["p50_latency"] <= r["max_latency"]
        assert "p95_latency" not in r and "p99_latency" not in r
    # spike: each phase from its own contiguous slice of all_results
    sp = load(spike_name)["spike"]
    recs, i = sp["all_results"], 0
    for key in ("baseline_results", "spike_results", "recovery_results"):
        n = sp[key]["total"]
        assert analyze(recs[i:i + n]) == sp[key], key
        i += n
    assert i == len(recs)
    # soak: overall and 300-record blocks
    so = load(soak_name)["soak"]
    recs = so["all_results"]
    assert analyze(recs) == so["overall_analysis"]
    assert [analyze(recs[j:j + 300]) for j in range(0, len(recs), 300)] == so["per_minute_chunks"]
    assert len(recs) == 3000 and so["overall_analysis"]["success_rate"] == 100.0
    mean = so["overall_analysis"]["avg_latency"]
    assert all(abs(c["avg_latency"] / mean - 1) < 0.10 for c in so["per_minute_chunks"])
    # stress
    st = load(stress_name)["stress"]
    assert st["breaking_point"] == 16 and st["all_results"] == []
    for rps, _, _, a, _ in stress_steps:
        assert (a["success_rate"] < 95) == (rps == 16), (rps, a["success_rate"])
        assert rps == 16 or a["avg_latency"] < 10, (rps, a["avg_latency"])
    # every record's end time lies inside its phase's window on the console (local = UTC)
    for log, data, phases in (
        ("spike_console.log", sp, ("Phase 1", "Phase 2", "Phase 3", "Baseline Phase Summary")),
        ("soak_console.log", so, ("SOAK TEST", "Degradation Analysis")),
    ):
        lines = log_lines(log)
        marks = [next(t for t, x in lines if p in x) for p in phases]
        first, last = marks[0], marks[-1]
        for rec in data["all_results"]:
            ts = datetime.fromisoformat(rec["timestamp"]).replace(tzinfo=timezone.utc)
            assert first < ts <= last, (log, rec)
    # file names = local end time printed on the console
    for log, name in (("spike_console.log", spike_name), ("stress_console.log", stress_name),
                      ("soak_console.log", soak_name)):
        lines = log_lines(log)
        assert lines[-2][1] == f"✅ Results saved to {name}"
        end = lines[-1][1].removeprefix("⏰ End time: ")
        assert name == f"advanced_test_results_{end.replace('-', '').replace(':', '').replace(' ', '_')}.json"
    total = sum(p.stat().st_size for p in OUT.iterdir())
    assert total < 1_000_000, total
    return total


def main():
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    cl = Cluster()
    t, basic = basic_test(cl, 0.2 + rng.uniform(0, 0.5))
    t, spike_name, spike = spike_test(cl, t + 285 + rng.uniform(0, 10))
    t, stress_name, steps = stress_test(cl, t + 300 + rng.uniform(5, 25))
    t, soak_name, soak, (s0, s1) = soak_test(cl, t + 240 + rng.uniform(0, 10))
    size = check(spike_name, stress_name, soak_name, steps)

    print("HPA decisions:")
    for line in cl.log:
        print("  " + line)
    for r in basic:
        print(f"basic {r['scenario']}: {r['total_time']:.1f}s avg {r['avg_latency']:.2f}s "
              f"thr {r['throughput']:.2f}/s")
    for k in ("baseline_results", "spike_results", "recovery_results"):
        a = spike["spike"][k]
        print(f"spike {k}: n {a['total']} avg {a['avg_latency']:.2f} p95 {a['p95_latency']:.2f} "
              f"max {a['max_latency']:.2f}")
    for rps, a0, a1, a, pods in steps:
        print(f"stress {rps:2d} req/s: {a1 - a0:6.1f}s achieved {a['total'] / (a1 - a0):5.2f}/s "
              f"success {a['success_rate']:.1f}% avg {a['avg_latency']:.2f}s pods {pods}")
    o = soak["soak"]["overall_analysis"]
    print(f"soak: {s1 - s0:.0f}s avg {o['avg_latency']:.2f}s chunks "
          + " ".join(f"{c['avg_latency']:.2f}" for c in soak["soak"]["per_minute_chunks"]))
    print(f"files ({size} bytes):")
    for p in sorted(OUT.iterdir()):
        print(f"  {p.name} {p.stat().st_size}")


if __name__ == "__main__":
    main()
