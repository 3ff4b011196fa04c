"""Offline plan cost against the bare cost of registering as many resources under the same mocks.

Targets (issue: foundation): plan/bare time ratio <= 1.25 and peak RSS < 500 MB, for the prod
stack and for a generated stack with 1,000 cloud GPU nodes. Each figure is the best of three
fresh-process runs (the machine is shared; the best run is the least disturbed one).
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKER = ROOT / "benchmarks" / "plan_worker.py"
PROJECT = "hybrid-gpu-platform"
RATIO_TARGET = 1.25
RSS_TARGET_MB = 500
RUNS = 3


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
    for i, rid in enumerate(names):
        zones = [f"{rid}-a", f"{rid}-b"]
        p = copy.deepcopy(pool)
        p["name"], p["zones"], p["count"] = "gpu", zones, per_region
        p.pop("preload", None)
        regions.append({"id": rid, "vpcCidr": f"10.{40 + i}.0.0/16", "zones": zones, "gpuPools": [p]})
    cfg[f"{PROJECT}:regions"] = regions
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
    proc = subprocess.run([sys.executable, str(WORKER), *args], capture_output=True, text=True, cwd=ROOT, timeout=900)
    if proc.returncode != 0:
        raise SystemExit(f"worker {args[0]} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(label: str, stack_file: Path, tmp: Path) -> tuple[dict, dict]:
    dump = tmp / f"{label}.json"
    plans = [_worker("plan", str(stack_file), str(tmp / f"out-{label}"), str(dump)) for _ in range(RUNS)]
    bares = [_worker("bare", str(dump)) for _ in range(RUNS)]
    plan = min(plans, key=lambda r: r["seconds"])
    plan["max_rss_mb"] = max(r["max_rss_mb"] for r in plans)
    bare = min(bares, key=lambda r: r["seconds"])
    return plan, bare


def main() -> int:
    failed = False
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        gen = tmp / "Pulumi.gen1000.yaml"
        gen.write_text(yaml.safe_dump(generated_stack()))
        cases = {"prod": ROOT / "stacks" / "Pulumi.prod.yaml", "1000-nodes": gen}
        print(f"{'stack':<12} {'resources':>9} {'plan s':>8} {'bare s':>8} {'ratio':>6} {'peak RSS MB':>12}")
        for label, path in cases.items():
            plan, bare = measure(label, path, tmp)
            ratio = plan["seconds"] / bare["seconds"]
            ok = ratio <= RATIO_TARGET and plan["max_rss_mb"] < RSS_TARGET_MB
            failed |= not ok
            print(f"{label:<12} {plan['resources']:>9} {plan['seconds']:>8.2f} {bare['seconds']:>8.2f} {ratio:>6.2f} "
                  f"{plan['max_rss_mb']:>12.0f}  {'ok' if ok else 'REGRESSION'}")
    print(f"targets: ratio <= {RATIO_TARGET}, peak RSS < {RSS_TARGET_MB} MB")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
