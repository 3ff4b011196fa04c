"""Measured runs in a fresh process (the Pulumi runtime is process-global).

    plan_worker.py plan  STACK_FILE OUT_DIR DUMP WARMUP_STACK  -> one full offline plan; dump its graph; peak RSS
    plan_worker.py bare  DUMP WARMUP_DUMP                       -> one replay of that graph as plain resources; peak RSS
    plan_worker.py pairs STACK_FILE OUT_DIR DUMP WARMUP_STACK WARMUP_DUMP N
                                                                -> N interleaved (plan, bare) timings in this process

Prints one JSON line. Both sides run through the same runner, hybrid_tools.mockrun.run_program:
the same mock runtime (PlanMocks behind the recording monitor), the program file executed
with runpy as the Pulumi language host does, stack outputs resolved, the event loop closed.
The plan's program is __main__.py; bare's is replay_program.py, which registers the recorded
resources at module level. SDK modules are imported up front and gc.freeze()d (the imported
modules are never garbage, so neither side's collections rescan them), and each side gets a
warm-up run on the dev stack (lazy imports, linecache for the SDK's stack traces).
"plan" covers everything from reading the stack file to the last artifact written.
"""

from __future__ import annotations

import asyncio
import gc
import json
import re
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pulumi  # noqa: E402

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
from hybrid_tools.mockrun import PlanMocks, redact, run_program, secret_payload  # noqa: E402

REPLAY_PROGRAM = ROOT / "benchmarks" / "replay_program.py"
# What replay_program.py registers: set by _bare_once before each run.
REPLAY: dict = {"graph": [], "classes": {}}

gc.freeze()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(fn) -> tuple[float, object]:
    gc.collect()  # the previous run's garbage is not this run's cost
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _plan_once(stack_file: str, out_dir: str):
    _, platform, run, _ = plan_mod.build_plan("bench", root=ROOT, config_file=Path(stack_file))
    plan_mod.write_plan("bench", Path(out_dir), platform, run)
    LAST_PLAN["platform"], LAST_PLAN["run"] = platform, run
    return run


# The last plan's model and recorded run, for the policy gate measured right after it.
LAST_PLAN: dict = {}


def _cpu() -> float:
    """CPU seconds of this process and of its waited-for children (the policy pack process)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _gate_once(out_dir: str) -> None:
    """The policy gate as `hybrid-gpu plan` runs it after the plan: its own pack process
    (started and stopped: every PR pays the start-up), the pack's default config for the stack."""
    import io

    from hybrid_tools import policy_gate

    report = policy_gate.gate_run("bench", LAST_PLAN["platform"], LAST_PLAN["run"], Path(out_dir) / "gate",
                                  stream=io.StringIO())
    if report.resources != len(LAST_PLAN["run"].registrations) + 1:
        raise SystemExit(f"gate analyzed {report.resources} resources, the plan registered {len(LAST_PLAN['run'].registrations)}")


# A top-level secret input is replayed as a secret of the same (offline placeholder) value, so
# the bare program carries what the plan carries: the instances' user-data is ~26 KB each, and
# replaying it as "[secret]" would book its whole memory cost to the plan tool.
_SECRET_KEY = "__replay_secret__"


def _replayable(inputs: dict) -> dict:
    return {k: ({_SECRET_KEY: redact(secret_payload(v))} if secret_payload(v) is not None else redact(v))
            for k, v in inputs.items()}


def _dump_graph(run, dump: str) -> int:
    graph = [
        {"urn": r.urn, "type": r.type, "name": r.name, "parent": r.parent, "custom": r.custom,
         "provider": r.provider.rsplit("::", 1)[0] if r.provider else "", "inputs": _replayable(r.inputs),
         "edges": r.property_dependencies}
        for r in run.registrations.values()  # registration order: parents before children
    ]
    Path(dump).write_text(json.dumps(graph))
    return sum(1 for g in graph if g["custom"])


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


def _load_graph(dump: str) -> tuple[list[dict], dict]:
    graph = json.loads(Path(dump).read_text())
    return graph, {t: _sdk_class(t) for t in {g["type"] for g in graph if g["custom"]}}


def _bare_once(graph: list[dict], classes: dict) -> None:
    REPLAY["graph"], REPLAY["classes"] = graph, classes
    run = run_program(REPLAY_PROGRAM, "bench", "bench", {}, [], mocks=PlanMocks())
    if len(run.registrations) != len(graph):
        raise SystemExit(f"bare replay registered {len(run.registrations)} of {len(graph)} resources")


def replay() -> None:
    """The bare program: the recorded resources, typed SDK classes, parents, providers and
    inputs, and the same edges (an input that came from other resources waits for them, as
    it must for the engine), but none of the program's own work (config, model, component
    plumbing, renderers, stack outputs, artifacts)."""
    graph, classes = REPLAY["graph"], REPLAY["classes"]
    made: dict[str, pulumi.Resource] = {}
    shared: dict[tuple, pulumi.Output] = {}

    def value(g: dict, key: str):
        urns = tuple(u for u in g["edges"].get(key, ()) if u in made)
        literal = g["inputs"][key]
        if isinstance(literal, dict) and _SECRET_KEY in literal:
            payload = literal[_SECRET_KEY]
            if not urns:
                return pulumi.Output.secret(payload)
            return pulumi.Output.secret(pulumi.Output.all(*[made[u].urn for u in urns]).apply(lambda _, v=payload: v))
        if not urns:
            return literal
        # One Output per (sources, value), shared by every consumer, as a program shares
        # e.g. one security group id: the cheapest way to carry the edge.
        cache_key = (urns, json.dumps(literal, sort_keys=True))
        if cache_key not in shared:
            shared[cache_key] = pulumi.Output.all(*[made[u].urn for u in urns]).apply(lambda _, v=literal: v)
        return shared[cache_key]

    for g in graph:
        opts = pulumi.ResourceOptions(parent=made.get(g["parent"]), provider=made.get(g["provider"]))
        inputs = {k: value(g, k) for k in g["inputs"]}
        if not g["custom"]:
            res = pulumi.ComponentResource(g["type"], g["name"], None, opts)
        elif classes[g["type"]] is None:
            res = pulumi.CustomResource(g["type"], g["name"], inputs, opts)
        else:
            res = classes[g["type"]](g["name"], opts=opts, **{_snake(k): v for k, v in inputs.items()})
        made[g["urn"]] = res


def run_plan(stack_file: str, out_dir: str, dump: str, warmup: str) -> dict:
    _plan_once(warmup, out_dir + "-warmup")
    seconds, run = _timed(lambda: _plan_once(stack_file, out_dir))
    return {"seconds": seconds, "resources": _dump_graph(run, dump), "max_rss_mb": _rss_mb()}


def run_bare(dump: str, warmup: str) -> dict:
    small, graph = _load_graph(warmup), _load_graph(dump)
    _bare_once(*small)
    seconds, _ = _timed(lambda: _bare_once(*graph))
    return {"seconds": seconds, "resources": sum(1 for g in graph[0] if g["custom"]), "max_rss_mb": _rss_mb()}


def run_pairs(stack_file: str, out_dir: str, dump: str, warmup: str, warmup_dump: str, n: str) -> dict:
    """n interleaved (plan, bare) runs in one process: a load spike on the shared machine hits
    a pair rather than one side, and both sides share one interpreter's memory state.

    After each plan, the policy gate over it, in CPU seconds (this process plus the pack
    process) against the plan's own CPU seconds: CPU, not wall time, because the gate's two
    processes take turns and the machine's other load would otherwise count as gate cost."""
    small, graph = _load_graph(warmup_dump), _load_graph(dump)
    _plan_once(warmup, out_dir + "-warmup")
    _gate_once(out_dir + "-warmup")
    _bare_once(*small)
    plans, bares, plan_cpu, gate_cpu = [], [], [], []
    for _ in range(int(n)):
        c0 = _cpu()
        plans.append(_timed(lambda: _plan_once(stack_file, out_dir))[0])
        c1 = _cpu()
        _gate_once(out_dir)
        c2 = _cpu()
        plan_cpu.append(c1 - c0)
        gate_cpu.append(c2 - c1)
        bares.append(_timed(lambda: _bare_once(*graph))[0])
    return {"plan": plans, "bare": bares, "plan_cpu": plan_cpu, "gate_cpu": gate_cpu}


if __name__ == "__main__":
    sys.modules.setdefault("plan_worker", sys.modules["__main__"])  # replay_program.py imports this module
    mode, args = sys.argv[1], sys.argv[2:]
    result = {"plan": run_plan, "bare": run_bare, "pairs": run_pairs}[mode](*args)
    # run_program leaves a fresh loop set for the next run: close it now, not in interpreter
    # teardown (where its self-pipe may already be gone and asyncio prints a stray error).
    asyncio.get_event_loop().close()
    print(json.dumps(result))
