"""Benchmark of the placement calculator. Prints its figures; exits 1 past a target.

Targets: 10,000 replicas over 1,000 clusters in < 50 ms (each strategy);
capacity from 100,000 nodes in < 1 s; memory growing linearly with the
node count (peak bytes per node at 100k within 1.5x of the figure at 25k).
Timings are the best of a few runs, so a busy shared machine does not fail CI
on one unlucky sample.
"""

from __future__ import annotations

import random
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hybrid.placement import Candidate, place  # noqa: E402
from hybrid.placement_capacity import Node, NodeCapacity, normalise_request  # noqa: E402

DIVIDE_TARGET_S = 0.050
NODES_TARGET_S = 1.0
MEMORY_SLACK = 1.5
REQUEST = normalise_request({"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": 1})


def best_of(fn, runs: int = 5) -> float:
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def fleet(n: int, seed: int = 7) -> list[Candidate]:
    rnd = random.Random(seed)
    return [Candidate(f"cluster-{i:04d}", rnd.randint(0, 40), rnd.randint(0, 2), rnd.randint(0, 9)) for i in range(n)]


def nodes(n: int, seed: int = 11) -> NodeCapacity:
    rnd = random.Random(seed)
    shapes = [("31850m", 188 * 2**30, 1), ("63200m", "480Gi", 4), ("127", "980Gi", 8), ("15900m", "58Gi", 1)]
    out = []
    for _ in range(n):
        cpu, mem, gpu = rnd.choice(shapes)
        used = rnd.randint(0, gpu)
        out.append(Node({"cpu": cpu, "memory": mem, "nvidia.com/gpu": gpu, "pods": 110},
                        {"cpu": f"{used * 4000 + 500}m", "memory": f"{used * 16 + 1}Gi", "nvidia.com/gpu": used, "pods": 8 + used}))
    return NodeCapacity(tuple(out))


def peak_bytes(n: int) -> int:
    tracemalloc.start()
    cap = nodes(n, seed=n)
    cap.replicas_for(REQUEST)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main() -> int:
    ok = True
    clusters = fleet(1000)
    for strategy in ("static", "dynamic", "aggregated"):
        r = place(10_000, clusters, strategy)
        t = best_of(lambda s=strategy: place(10_000, clusters, s))
        good = t < DIVIDE_TARGET_S
        ok &= good
        print(f"divide 10000 replicas / 1000 clusters [{strategy:10s}]: {t * 1000:7.2f} ms  (target < {DIVIDE_TARGET_S * 1000:.0f} ms) "
              f"placed={r.placed} unplaced={r.unplaced} {'ok' if good else 'SLOW'}")

    cap = nodes(100_000)
    replicas = cap.replicas_for(REQUEST)
    t = best_of(lambda: cap.replicas_for(REQUEST), runs=3)
    good = t < NODES_TARGET_S
    ok &= good
    print(f"capacity from 100000 nodes: {t * 1000:7.1f} ms  (target < {NODES_TARGET_S * 1000:.0f} ms) replicas={replicas} {'ok' if good else 'SLOW'}")

    small, large = peak_bytes(25_000), peak_bytes(100_000)
    per_small, per_large = small / 25_000, large / 100_000
    good = per_large <= per_small * MEMORY_SLACK
    ok &= good
    print(f"memory: {per_small:.0f} B/node at 25k, {per_large:.0f} B/node at 100k (peak {large / 2**20:.1f} MiB)  "
          f"(target: per-node growth < {MEMORY_SLACK}x) {'ok' if good else 'NOT LINEAR'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
