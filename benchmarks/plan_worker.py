"""One measured run in a fresh process (the Pulumi runtime is process-global).

    plan_worker.py plan STACK_FILE OUT_DIR DUMP   -> time the full offline plan; dump the inputs
    plan_worker.py bare DUMP                     -> time registering the same resources as plain ones

Prints one JSON line: {"seconds": s, "resources": n, "max_rss_mb": m}. Import time is excluded
from both sides alike; everything from reading the config to the last artifact is in "plan".
"""

from __future__ import annotations

import json
import re
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pulumi  # noqa: E402
from pulumi.runtime.stack import run_pulumi_func  # noqa: E402
from pulumi.runtime.sync_await import _sync_await  # noqa: E402

import components.platform  # noqa: E402,F401  (import cost out of the timing, as for bare)
import pulumi_alicloud  # noqa: E402
import pulumi_kubernetes  # noqa: E402

# The SDKs load their modules lazily on first attribute access; load the ones the program uses
# now, so neither side of the comparison pays import time inside the timed section.
for _mod in ("vpc", "ecs", "log", "cs", "ackone", "ram", "kms"):
    getattr(pulumi_alicloud, _mod, None)
for _mod in ("core", "apps", "rbac", "yaml", "meta", "scheduling"):
    getattr(pulumi_kubernetes, _mod, None)
from hybrid_tools import plan as plan_mod  # noqa: E402
from hybrid_tools.mockrun import PlanMocks  # noqa: E402


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_plan(stack_file: str, out_dir: str, dump: str) -> dict:
    _plan_once(stack_file, out_dir)  # warm-up: lazy SDK imports, linecache for stack traces
    start = time.perf_counter()
    resources = _plan_once(stack_file, out_dir)
    seconds = time.perf_counter() - start
    custom = [{"type": r["type"], "name": r["name"], "inputs": r["inputs"]} for r in resources if r["custom"]]
    Path(dump).write_text(json.dumps(custom))
    return {"seconds": seconds, "resources": len(custom), "max_rss_mb": _rss_mb()}


def _plan_once(stack_file: str, out_dir: str) -> list[dict]:
    _, platform, run, _ = plan_mod.build_plan("bench", root=ROOT, config_file=Path(stack_file))
    _, resources = plan_mod.write_plan("bench", Path(out_dir), platform, run)
    return resources


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _sdk_class(token: str):
    """The typed SDK class behind a type token, or None (dynamic and unknown types)."""
    pkg, mod, cls = token.split(":")
    if pkg == "pulumi" and mod == "providers":
        return {"alicloud": pulumi_alicloud.Provider, "kubernetes": pulumi_kubernetes.Provider}.get(cls)
    root = {"alicloud": pulumi_alicloud, "kubernetes": pulumi_kubernetes}.get(pkg)
    if root is None:
        return None
    path = mod.split("/")[0].split(".") if pkg == "alicloud" else mod.replace("/", ".").split(".")
    obj = root
    for part in path:
        obj = getattr(obj, part, None) if part != "index" else obj
        if obj is None:
            return None
    return getattr(obj, cls, None)


def run_bare(dump: str) -> dict:
    """The same resources, as plain typed SDK resources: flat, same inputs, no model/components/applies."""
    items = json.loads(Path(dump).read_text())
    classes = {t: _sdk_class(t) for t in {i["type"] for i in items}}
    _bare_once(items, classes)  # warm-up, as for the plan
    start = time.perf_counter()
    _bare_once(items, classes)
    return {"seconds": time.perf_counter() - start, "resources": len(items), "max_rss_mb": _rss_mb()}


def _bare_once(items: list[dict], classes: dict) -> None:
    pulumi.runtime.settings.ROOT.set(None)
    pulumi.runtime.set_mocks(PlanMocks(), project="bench", stack="bench", preview=False)

    def program():
        for i, item in enumerate(items):
            cls = classes[item["type"]]
            if cls is None:
                pulumi.CustomResource(item["type"], f"r{i}", dict(item["inputs"]))
            else:
                cls(f"r{i}", **{_snake(k): v for k, v in item["inputs"].items()})

    _sync_await(run_pulumi_func(program))


if __name__ == "__main__":
    mode = sys.argv[1]
    result = run_plan(*sys.argv[2:5]) if mode == "plan" else run_bare(sys.argv[2])
    print(json.dumps(result))
