"""Offline plan: the real program under Pulumi's mock runtime, written as reviewable artifacts."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from hybrid import unconfirmed
from hybrid.ack_api import DYNAMIC_TYPE
from hybrid.model import Platform
from hybrid.stack import load_platform
from hybrid_tools import (agent_artifacts, artifacts, cen_standin, cost_artifacts, elastic_artifacts, gpu_artifacts, idc_standin,
                          placement_artifacts, reach_artifacts, vnode_artifacts)
from hybrid_tools.artifacts import Writer
from hybrid_tools import references
from hybrid_tools.mockrun import UNKNOWN, REDACTED, PlanMocks, ProgramRun, Responder, canonical_json, redact, run_program
from hybrid_tools.stackconfig import StackConfig, check_stack_name, offline_kubeconfigs, read_stack

# Every artifact beside resources.json / outputs.json / unconfirmed.json, in one place
# (tests/test_architecture.py fails on a writer that is defined but not listed).
# Read from the recorded run: what the engine would be sent.
RECORDED_WRITERS: tuple[Writer, ...] = (
    artifacts.manifests,                    # manifests/: every declared Kubernetes object
    agent_artifacts.registration_requests,  # registration/: the registered cluster's API calls
    gpu_artifacts.gpu_cloud_init,           # cloud-init/: the instances' recorded user-data
    elastic_artifacts.elastic_pools,        # elastic/: the recorded node script object, its bundles unpacked, snapshots
)
# Computed from the model; the program declares none of these as resources.
NOT_DECLARED_WRITERS: tuple[Writer, ...] = (
    placement_artifacts.propagation_policies,  # Fleet PropagationPolicies
    vnode_artifacts.serverless_examples,       # examples/: sample Serverless Deployments
    cost_artifacts.cost,                       # cost.json: the pools' price estimate
    reach_artifacts.reachability,              # reachability.json: every endpoint a cloud GPU node contacts and its path
)
WRITERS: tuple[Writer, ...] = RECORDED_WRITERS + NOT_DECLARED_WRITERS

# What the mock runtime answers, per type token, beyond echoing the inputs.
MOCK_RESPONDERS: dict[str, Responder] = {
    DYNAMIC_TYPE: agent_artifacts.registered_cluster_response,
    idc_standin.IPPOOL_PATCH: idc_standin.ippool_patch_response,
    cen_standin.VPC_ATTACHMENT: cen_standin.attachment_response,
    cen_standin.PEER_ATTACHMENT: cen_standin.attachment_response,
}


def plan_mocks() -> PlanMocks:
    return PlanMocks(MOCK_RESPONDERS)


class UnknownResourceType(RuntimeError):
    """The program declared a type whose provider answers the offline plan does not know."""


@dataclass
class PlanResult:
    stack: str
    out_dir: Path
    platform: Platform
    run: ProgramRun
    resources: list[dict[str, Any]]
    seconds: float


def resources_doc(run: ProgramRun) -> list[dict[str, Any]]:
    docs = []
    for reg in sorted(run.registrations.values(), key=lambda r: r.urn):
        doc = {
            "urn": reg.urn,
            "type": reg.type,
            "name": reg.name,
            "parent": reg.parent or None,
            "custom": reg.custom,
            "provider": reg.provider.split("::")[-2] if reg.provider else None,
            "inputs": redact(reg.inputs),
        }
        if reg.dependencies:
            doc["dependencies"] = sorted(set(reg.dependencies))
        if reg.options:
            doc["options"] = reg.options
        docs.append(doc)
    return docs


def region_of(doc: dict[str, Any]) -> str:
    prov = doc.get("provider") or ""
    if prov.startswith("alicloud-"):
        return prov[len("alicloud-"):]
    if doc["type"].startswith("kubernetes:") or (doc["provider"] or "").startswith("idc"):
        return "idc"
    return "-"


def references_line(run: ProgramRun) -> str:
    report = references.check(run.registrations, UNKNOWN)
    return f"{report.checked} checked, {len(report.findings)} wrong (hybrid_tools/references.py)"


class Progress:
    """A live resource counter on a terminal; a single closing line otherwise."""

    def __init__(self, stream: TextIO, label: str):
        self.stream, self.label = stream, label
        self.tty = stream.isatty()
        self.count = 0

    def __call__(self, count: int) -> None:
        self.count = count
        if self.tty and count % 5 == 0:
            self.stream.write(f"\r{self.label}: {count} resources registered")
            self.stream.flush()

    def done(self, seconds: float) -> None:
        prefix = "\r" if self.tty else ""
        self.stream.write(f"{prefix}{self.label}: {self.count} resources registered in {seconds:.2f}s\n")
        self.stream.flush()


def build_plan(stack: str, root: Path | None = None, config_file: Path | None = None,
               progress: Progress | None = None) -> tuple[StackConfig, Platform, ProgramRun, float]:
    cfg = read_stack(stack, root, config_file)
    # ConfigError before anything runs or is written; read_stack has the model of a valid config.
    platform = cfg.platform if cfg.platform is not None else load_platform(cfg.raw)
    start = time.perf_counter()
    mocks = plan_mocks()
    with offline_kubeconfigs():
        run = run_program(cfg.program, cfg.project, cfg.stack, cfg.engine_config, cfg.secret_keys,
                          mocks=mocks, on_register=progress)
    if mocks.unknown_types:
        # The offline world would be made up for these: each needs its entry (id form, computed
        # attributes, provider source) in hybrid_tools/provider_ids.py.
        raise UnknownResourceType("resource types without an entry in hybrid_tools/provider_ids.py: "
                                  + ", ".join(sorted(mocks.unknown_types)))
    # Every reference between resources in the form its API parameter takes; else no plan.
    references.raise_on_findings(references.check(run.registrations, UNKNOWN))
    return cfg, platform, run, time.perf_counter() - start


def write_plan(stack: str, out_root: Path, platform: Platform, run: ProgramRun) -> tuple[Path, list[dict]]:
    """Write every artifact into a temp dir, then swap it in: no partial plans."""
    files: dict[str, str] = {}
    resources = resources_doc(run)
    files["resources.json"] = canonical_json(resources)
    files["outputs.json"] = canonical_json({name: (REDACTED if secret else redact(value)) for name, (value, secret) in run.outputs.items()})
    files["unconfirmed.json"] = canonical_json(unconfirmed.table())
    for w in WRITERS:
        for rel, text in w(platform, run).items():
            if rel in files:
                raise RuntimeError(f"two artifact writers produced {rel}")
            files[rel] = text
    check_stack_name(stack)
    out_root.mkdir(parents=True, exist_ok=True)
    final = out_root / stack
    tmp = Path(tempfile.mkdtemp(prefix=f".{stack}-", dir=out_root))
    try:
        (tmp / "manifests").mkdir()
        # The plan directory resolved once and each directory made once, not per file (prod:
        # about 1,500 stat and 60 mkdir calls fewer).
        resolved = tmp.resolve()
        made = {tmp, tmp / "manifests"}
        for rel, text in sorted(files.items()):
            p = tmp / rel
            if not _inside(tmp, p, resolved):
                raise ValueError(f"artifact path {rel!r} would leave the plan directory")
            if p.parent not in made:
                p.parent.mkdir(parents=True, exist_ok=True)
                made.add(p.parent)
            p.write_text(text)
        if final.exists():
            old = out_root / f".{stack}-old-{os.getpid()}"
            final.rename(old)
            tmp.rename(final)
            shutil.rmtree(old)
        else:
            tmp.rename(final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return final, resources


def _inside(root: Path, path: Path, resolved_root: Path | None = None) -> bool:
    """``path`` stays under ``root`` once '..' and symlinks are resolved (``resolved_root``:
    ``root.resolve()`` when the caller already has it)."""
    top, resolved = resolved_root or root.resolve(), path.resolve()
    return resolved.is_relative_to(top) and resolved != top


def summary(stack: str, out_dir: Path, resources: list[dict], seconds: float, references_line: str = "not checked") -> str:
    # One count throughout: every registered resource, as the progress line and the policy gate
    # count them; split here into what the cloud or cluster gets, providers and components.
    custom = [r for r in resources if r["custom"]]
    providers = sum(1 for r in custom if r["type"].startswith("pulumi:providers:"))
    by_type = Counter(r["type"] for r in custom)
    by_region = Counter(region_of(r) for r in custom)
    width = max((len(t) for t in by_type), default=10)
    lines = [f"offline plan of stack {stack!r}: {len(resources)} resources registered in {seconds:.2f}s = "
             f"{len(custom) - providers} cloud and Kubernetes objects + {providers} providers + "
             f"{len(resources) - len(custom)} components", ""]
    lines.append(f"  {'type'.ljust(width)}  count")
    lines += [f"  {t.ljust(width)}  {n:5d}" for t, n in sorted(by_type.items())]
    components = len(resources) - len(custom)
    lines.append(f"  {'objects + providers'.ljust(width)}  {len(custom):5d}   (the {components} components group them and have no row)")
    lines.append("")
    lines.append("  by region (objects and providers): "
                 + ", ".join(f"{'no region' if r == '-' else r} {n}" for r, n in sorted(by_region.items())))
    lines.append(f"  references between resources: {references_line}")
    lines.append(f"  artifacts: {out_dir}")
    lines.append(f"  unconfirmed vendor values: {len(unconfirmed.UNCONFIRMED)} (unconfirmed.json; confirm before the first real run)")
    return "\n".join(lines)


def review_lines(out_dir: Path) -> list[str]:
    """What a reviewer needs last: unplaced replicas per workload and the monthly cost with elastic maximums,
    read back from the artifacts just written (outputs.json, cost.json)."""
    import json

    lines = []
    placement = json.loads((out_dir / "outputs.json").read_text()).get("placement") or {}
    unplaced = {wl: e.get("unplaced", 0) for wl, e in sorted(placement.items()) if isinstance(e, dict)}
    if unplaced:
        lines.append("  unplaced replicas: " + ", ".join(f"{wl} {n}" for wl, n in unplaced.items())
                     + ("" if any(unplaced.values()) else " (every replica has a place)"))
    cost_file = out_dir / "cost.json"
    if cost_file.is_file():
        cost = json.loads(cost_file.read_text())
        cur, total = cost["currency"], cost["total"]["monthly"]
        text = f"  monthly cost: {total:,.2f} {cur} (fixed pools{', spot at its limit' if cost.get('upperBound') else ''})"
        if "totalWithElasticMax" in cost:
            ex = cost["totalWithElasticMax"]
            text += f"; with elastic pools at their maximum: {ex['monthly']:,.2f} {cur}"
            unpriced = [f"{e['region']}/{e['pool']}" for e in cost.get("elastic", []) if e.get("monthly") is None]
            if unpriced:
                text += f" (no price for {', '.join(unpriced)}: add their instance types to pricing)"
        lines.append(text)
    else:
        lines.append("  monthly cost: no price table (hybrid-gpu-platform:pricing; docs/cost.md)")
    return lines


def main(stack: str, out_root: Path, config_file: Path | None = None, quiet: bool = False) -> PlanResult:
    progress = Progress(sys.stderr, f"planning {stack}")
    _, platform, run, seconds = build_plan(stack, config_file=config_file, progress=progress)
    progress.done(seconds)
    out_dir, resources = write_plan(stack, out_root, platform, run)
    if not quiet:
        print(summary(stack, out_dir, resources, seconds, references_line(run)))
    return PlanResult(stack, out_dir, platform, run, resources, seconds)
