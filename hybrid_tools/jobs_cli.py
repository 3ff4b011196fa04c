"""``hybrid-gpu jobs --stack S``: one row per AI workload of the stack, as the plan declared it.

workload | kind | tier/cluster | gang | queue/quota | priority | failover | autoscaling, read from the
recorded plan directory (``build/plan/<stack>/``, written by ``hybrid-gpu plan``): the objects of the
``hybrid:jobs:AiJobs`` component in ``resources.json`` (workloads, PodGroups, quotas, PriorityClasses,
PropagationPolicies, FederatedHPAs, CronFederatedHPAs) and, from ``outputs.json``, the Fleet members'
names and the tier each job was placed in (the pods carry only that tier's node affinity). Nothing is
recomputed from the stack config: the table shows what a ``pulumi up`` of that plan would declare.
A plan directory that is missing, hand-edited or truncated is one line naming the file: exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Optional

from hybrid import tables, unconfirmed
from hybrid.jobs import PODGROUP_LABEL, QUOTA_GPU
from hybrid_tools.diff import bad_artifact, load_plan
from hybrid_tools.errors import InputError

COMPONENT = "hybrid:jobs:AiJobs"
WORKLOAD_KINDS = ("PyTorchJob", "TFJob", "SparkApplication", "Job", "Deployment")
# ACK's policy fields for the Fleet's gang and Kube Queue (one home: hybrid/unconfirmed.py, which hybrid.jobs renders from).
GANG_FIELD, QUEUE_FIELD = unconfirmed.value("jobs.ackPolicyFields").split(",")
COLUMNS = ("workload", "kind", "tier/cluster", "gang", "queue/quota", "priority", "failover", "autoscaling")


class _Plan:
    """The jobs component's objects of one plan directory, with shape checks that name the file."""

    def __init__(self, plan_dir: Path):
        self.dir = plan_dir
        self.res_file, self.out_file = plan_dir / "resources.json", plan_dir / "outputs.json"
        resources, self.outputs, _, _ = load_plan(plan_dir)
        self.objects: list[tuple[str, dict[str, Any]]] = []
        for urn, r in resources.items():
            parent = r.get("parent")
            # A URN ends in ``<type chain>::<name>``; the parent's own type is the chain's last link.
            if r.get("custom") and isinstance(parent, str) and parent.rsplit("::", 1)[0].split("$")[-1] == COMPONENT:
                doc = r.get("inputs") or {}
                for key in ("kind", "apiVersion"):
                    if not isinstance(doc.get(key), str):
                        raise bad_artifact(self.res_file, f"{urn}: inputs.{key} is not a string")
                meta = self.get(urn, doc, "metadata", dict)
                self.get(urn, meta, "name", str, "metadata.")
                self.objects.append((urn, doc))

    def get(self, urn: str, doc: dict[str, Any], key: str, kind: type, where: str = "", required: bool = True) -> Any:
        value = doc.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, kind) or isinstance(value, bool) is not (kind is bool):
            raise bad_artifact(self.res_file, f"{urn}: inputs.{where}{key} is not a {kind.__name__}")
        return value

    def path(self, urn: str, doc: dict[str, Any], dotted: str, kind: type, required: bool = True, at: str = "") -> Any:
        """``doc`` at ``a.b.c``; None when an optional step is missing, an InputError when a step has the wrong shape.
        ``at``: where ``doc`` itself sits in the object's inputs (``spec.x.``), for the message."""
        *steps, last = dotted.split(".")
        where = at
        for step in steps:
            doc = self.get(urn, doc, step, dict, where, required)
            if doc is None:
                return None
            where += step + "."
        return self.get(urn, doc, last, kind, where, required)

    def output(self, key: str, kind: type) -> Any:
        value = self.outputs.get(key)
        if value is not None and not isinstance(value, kind):
            raise bad_artifact(self.out_file, f"{key} is not a {kind.__name__}")
        return value

    def of_kind(self, kind: str, namespace: Optional[str] = None) -> list[tuple[str, dict[str, Any]]]:
        return [(u, d) for u, d in self.objects if d["kind"] == kind and (namespace is None or d["metadata"].get("namespace") == namespace)]


def _pods(plan: _Plan, urn: str, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The pod specs a workload declares (for a SparkApplication, its driver and executor sections)."""
    kind = doc["kind"]
    if kind == "SparkApplication":
        return [plan.path(urn, doc, f"spec.{role}", dict) for role in ("driver", "executor")]
    if kind in ("Job", "Deployment"):
        return [plan.path(urn, doc, "spec.template.spec", dict)]
    spec = plan.get(urn, doc, "spec", dict)
    specs = [k for k in spec if k.endswith("ReplicaSpecs")]  # pytorchReplicaSpecs / tfReplicaSpecs
    if len(specs) != 1:
        raise bad_artifact(plan.res_file, f"{urn}: inputs.spec has no single *ReplicaSpecs")
    roles = plan.get(urn, spec, specs[0], dict, "spec.")
    return [plan.path(urn, doc, f"spec.{specs[0]}.{role}.template.spec", dict) for role in sorted(roles)]


def _one(plan: _Plan, urn: str, values: list[Any], what: str) -> Any:
    distinct = sorted({json.dumps(v, sort_keys=True) for v in values})
    if len(distinct) > 1:
        raise bad_artifact(plan.res_file, f"{urn}: its pods differ in {what}")
    return json.loads(distinct[0]) if distinct else None


def _policy(plan: _Plan, doc: dict[str, Any]) -> Optional[tuple[str, dict[str, Any]]]:
    """The PropagationPolicy that selects this workload by name in its namespace."""
    ns, name = doc["metadata"].get("namespace"), doc["metadata"]["name"]
    for urn, pp in plan.of_kind("PropagationPolicy", ns):
        for i, sel in enumerate(plan.path(urn, pp, "spec.resourceSelectors", list)):
            if not isinstance(sel, dict):
                raise bad_artifact(plan.res_file, f"{urn}: inputs.spec.resourceSelectors[{i}] is not a dict")
            if (sel.get("apiVersion"), sel.get("kind"), sel.get("name")) == (doc["apiVersion"], doc["kind"], name):
                return urn, pp
    return None


def _names(plan: _Plan, urn: str, group: Any, where: str) -> list[str]:
    names = group.get("clusterNames") if isinstance(group, dict) else None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise bad_artifact(plan.res_file, f"{urn}: inputs.spec.placement.{where}.clusterNames is not a list of strings")
    return names


def row(plan: _Plan, urn: str, doc: dict[str, Any], recorded: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One workload as data: every fact from an object of the plan or a value the plan recorded."""
    meta = doc["metadata"]
    ns, name, kind = meta.get("namespace"), meta["name"], doc["kind"]
    workload = f"{ns}/{name}"
    pods = _pods(plan, urn, doc)
    rec = recorded.get(workload)
    if rec is None:
        raise bad_artifact(plan.out_file, f"jobs has no row for {workload}, which resources.json declares")

    # Where: the tier the plan placed a job in (recorded), the member the Fleet's policy names.
    affinity = _one(plan, urn, [p.get("affinity") for p in pods], "affinity")
    tier = rec.get("tier")
    if affinity is not None and not isinstance(tier, str):
        raise bad_artifact(plan.out_file, f"jobs row {workload} has no tier, but its pods carry a node affinity")
    members = (plan.output("fleet", dict) or {}).get("members", {})
    if not isinstance(members, dict):
        raise bad_artifact(plan.out_file, "fleet.members is not a dict")
    ids = {v: k for k, v in members.items() if isinstance(v, str)}
    found = _policy(plan, doc)
    pp_urn, pp = found if found else (urn, {})
    placement = plan.path(pp_urn, pp, "spec.placement", dict) if found else {}
    groups = placement.get("clusterAffinities")
    if found and groups is not None:
        if not isinstance(groups, list) or not groups:
            raise bad_artifact(plan.res_file, f"{pp_urn}: inputs.spec.placement.clusterAffinities is not a non-empty list")
        first, rest = _names(plan, pp_urn, groups[0], "clusterAffinities[0]"), groups[1:]
    elif found:
        first, rest = _names(plan, pp_urn, placement.get("clusterAffinity"), "clusterAffinity"), []
    else:
        first, rest = [], []
    if found:
        cluster = ", ".join(ids.get(i, i) for i in first)
    else:
        hybrid = (plan.output("placementTopology", dict) or {}).get("hybridCluster") or {}
        if not isinstance(hybrid, dict):
            raise bad_artifact(plan.out_file, "placementTopology.hybridCluster is not a dict")
        cluster = f"{hybrid.get('name', 'the hybrid cluster')} (declared in it, no Fleet policy)"

    # Gang: the PodGroup behind the pods (the training-operator's, or the plan's own for a Job).
    sched = _one(plan, urn, [p.get("schedulerName") for p in pods], "schedulerName")
    gang: Optional[dict[str, Any]] = None
    if kind in ("PyTorchJob", "TFJob"):
        n = plan.path(urn, doc, "spec.runPolicy.schedulingPolicy.minAvailable", int, required=False)
        if n is not None:
            gang = {"mechanism": "PodGroup", "createdBy": "training-operator", "size": n, "scheduler": sched}
    elif kind == "Job":
        labels = plan.path(urn, doc, "spec.template.metadata.labels", dict, required=False) or {}
        group = labels.get(PODGROUP_LABEL)
        for pg_urn, pg in plan.of_kind("PodGroup", ns):
            if group is not None and pg["metadata"]["name"] == group:
                gang = {"mechanism": "PodGroup", "createdBy": "the plan", "size": plan.path(pg_urn, pg, "spec.minMember", int),
                        "scheduler": sched}
    if found:
        spread = placement.get("spreadConstraints") or []
        fleet_gang = pp["spec"].get(GANG_FIELD) == "Gang"
        one_member = any(isinstance(s, dict) and s.get("spreadByField") == "cluster" and s.get("maxGroups") == 1 for s in spread)
        if gang is not None or fleet_gang:
            gang = {**(gang or {"mechanism": None}), "fleetGang": fleet_gang, "oneMember": one_member}

    # Queue (Kube Queue on the Fleet, ACK's policy field) and the namespace's GPU quota.
    queued = found is not None and plan.path(pp_urn, pp, f"spec.{QUEUE_FIELD}", bool, required=False) is True
    quota = None
    for qkind, field in (("FederatedResourceQuota", "spec.overall"), ("ResourceQuota", "spec.hard")):
        for q_urn, q in plan.of_kind(qkind, ns):
            hard = plan.path(q_urn, q, field, dict)
            if QUOTA_GPU in hard:
                if not str(hard[QUOTA_GPU]).isdigit():
                    raise bad_artifact(plan.res_file, f"{q_urn}: inputs.{field}.{QUOTA_GPU} is not a whole number")
                quota = {"kind": qkind, "name": f"{ns}/{q['metadata']['name']}", "maxGpus": int(str(hard[QUOTA_GPU]))}

    # Priority: the pods' PriorityClass, and what the Fleet's policy says.
    cls = _one(plan, urn, [p.get("priorityClassName") for p in pods], "priorityClassName")
    priority: Optional[dict[str, Any]] = None
    if cls is not None:
        match = [(u, d) for u, d in plan.of_kind("PriorityClass") if d["metadata"]["name"] == cls]
        if not match:
            raise bad_artifact(plan.res_file, f"{urn}: its pods name PriorityClass {cls}, which the plan does not declare")
        pc_urn, pc = match[0]
        priority = {"class": cls, "value": plan.get(pc_urn, pc, "value", int),
                    "preempts": plan.get(pc_urn, pc, "preemptionPolicy", str) != "Never"}
    fleet_priority = None
    if found:
        fleet_priority = {"schedulePriority": plan.path(pp_urn, pp, "spec.schedulePriority.priorityClassName", str, required=False),
                          "policyPriority": pp["spec"].get("priority"), "preemption": pp["spec"].get("preemption")}

    # Failover: Karmada application failover on the policy; the targets are its later cluster groups.
    failover: dict[str, Any]
    app = plan.path(pp_urn, pp, "spec.failover.application", dict, required=False) if found else None
    if app is not None:
        targets = [ids.get(i, i) for k, g in enumerate(rest, 1) for i in _names(plan, pp_urn, g, f"clusterAffinities[{k}]")]
        at = "spec.failover.application."
        failover = {"to": targets, "tolerationSeconds": plan.path(pp_urn, app, "decisionConditions.tolerationSeconds", int, at=at),
                    "purgeMode": plan.get(pp_urn, app, "purgeMode", str, at), "propagateDeps": pp["spec"].get("propagateDeps") is True}
    else:
        text = rec.get("failover")
        failover = {"none": "no Fleet policy" if not found else
                    text[len("none ("):-1] if isinstance(text, str) and text.startswith("none (") else "not declared"}

    # Autoscaling: the FederatedHPA that targets the Deployment, the CronFederatedHPA that targets it.
    autoscaling = None
    for h_urn, h in plan.of_kind("FederatedHPA", ns):
        ref = plan.path(h_urn, h, "spec.scaleTargetRef", dict)
        if (ref.get("kind"), ref.get("name")) != (kind, name):
            continue
        metrics = []
        for i, m in enumerate(plan.path(h_urn, h, "spec.metrics", list)):
            mtype = m.get("type") if isinstance(m, dict) else None
            body = m.get(str(mtype).lower()) if isinstance(m, dict) else None
            if not isinstance(body, dict):
                raise bad_artifact(plan.res_file, f"{h_urn}: inputs.spec.metrics[{i}] has no {str(mtype).lower()} section")
            at = f"spec.metrics[{i}].{str(mtype).lower()}."
            metrics.append({"type": mtype, "name": plan.path(h_urn, body, "metric.name", str, at=at),
                            "averageValue": plan.path(h_urn, body, "target.averageValue", str, at=at)})
        cron = []
        for c_urn, c in plan.of_kind("CronFederatedHPA", ns):
            cref = plan.path(c_urn, c, "spec.scaleTargetRef", dict)
            if (cref.get("kind"), cref.get("name")) == ("FederatedHPA", h["metadata"]["name"]):
                for i, r in enumerate(plan.path(c_urn, c, "spec.rules", list)):
                    if not isinstance(r, dict):
                        raise bad_artifact(plan.res_file, f"{c_urn}: inputs.spec.rules[{i}] is not a dict")
                    cron.append({k: r.get(k) for k in ("name", "schedule", "timeZone", "targetMinReplicas", "targetMaxReplicas")})
        autoscaling = {"minReplicas": plan.path(h_urn, h, "spec.minReplicas", int),
                       "maxReplicas": plan.path(h_urn, h, "spec.maxReplicas", int), "metrics": metrics, "cron": cron}

    return {"workload": workload, "kind": kind, "tier": tier, "cluster": cluster, "gang": gang,
            "queued": queued, "quota": quota, "priority": priority, "fleetPriority": fleet_priority,
            "failover": failover, "autoscaling": autoscaling}


def rows(plan_dir: Path) -> list[dict[str, Any]]:
    plan = _Plan(plan_dir)
    recorded_rows = plan.output("jobs", list) or []
    recorded: dict[str, dict[str, Any]] = {}
    for i, r in enumerate(recorded_rows):
        if not isinstance(r, dict) or not isinstance(r.get("workload"), str):
            raise bad_artifact(plan.out_file, f"jobs[{i}] has no workload")
        recorded[r["workload"]] = r
    out = [row(plan, u, d, recorded) for u, d in plan.objects if d["kind"] in WORKLOAD_KINDS]
    missing = sorted(set(recorded) - {r["workload"] for r in out})
    if missing:
        raise bad_artifact(plan.res_file, f"outputs.json's jobs name {', '.join(missing)}, which no object of the plan declares")
    order = list(recorded)  # the stack's order: jobs, then services
    return sorted(out, key=lambda r: order.index(r["workload"]))


# --- text ---------------------------------------------------------------------------------------

def cells(r: dict[str, Any]) -> dict[str, str]:
    """A row's data as the table's text cells."""
    where = f"tier {r['tier']}" if r["tier"] else "any tier (no node affinity)"
    g = r["gang"]
    if g is None:
        gang = "none"
    else:
        parts = []
        if g.get("mechanism"):
            by = "operator's" if g["createdBy"] == "training-operator" else "the plan's"
            parts.append(f"PodGroup of {g['size']} ({by}, {g['scheduler']})")
        if "fleetGang" in g:
            parts.append("Fleet: " + ", ".join(x for x in ("Gang" if g["fleetGang"] else "", "one member" if g["oneMember"] else "") if x))
        gang = "; ".join(parts)
    q = r["quota"]
    quota = f"{q['kind']} {q['name']} max {q['maxGpus']} GPU" if q else "no GPU quota"
    p, fp = r["priority"], r["fleetPriority"]
    priority = f"{p['class']} {p['value']} {'preempts' if p['preempts'] else 'never preempts'}" if p else "-"
    if fp:
        fleet = [f"schedulePriority {fp['schedulePriority']}"] if fp["schedulePriority"] else []
        if fp["policyPriority"] is not None:
            fleet.append(f"policy priority {fp['policyPriority']}" + (f" preemption {fp['preemption']}" if fp["preemption"] else ""))
        priority += "; Fleet: " + ", ".join(fleet) if fleet else ""
    f = r["failover"]
    if "none" in f:
        failover = f"none ({f['none']})"
    else:
        dest = f"to {', '.join(f['to'])}" if f["to"] else f"within {r['cluster']} (no other member named)"
        failover = f"{dest} after {f['tolerationSeconds']}s, purgeMode {f['purgeMode']}"
    a = r["autoscaling"]
    auto = "-"
    if a:
        auto = f"FederatedHPA {a['minReplicas']}..{a['maxReplicas']} on " + ", ".join(
            f"{m['name']} ({m['type']}, avg {m['averageValue']})" for m in a["metrics"])
        if a["cron"]:
            auto += "; CronFederatedHPA " + ", ".join(
                f"{c['name']} \"{c['schedule']}\" {c['timeZone']} -> {c['targetMinReplicas']}..{c['targetMaxReplicas']}" for c in a["cron"])
    return {"workload": r["workload"], "kind": r["kind"], "tier/cluster": f"{where} / {r['cluster']}", "gang": gang,
            "queue/quota": f"{'queued (Kube Queue)' if r['queued'] else 'not queued'}; {quota}",
            "priority": priority, "failover": failover, "autoscaling": auto}


def render_table(data: list[dict[str, Any]]) -> str:
    return "".join(line + "\n" for line in tables.text(COLUMNS, [[cells(r)[c] for c in COLUMNS] for r in data]))


def render_md(data: list[dict[str, Any]]) -> str:
    return "\n".join(tables.md(COLUMNS, [[cells(r)[c] for c in COLUMNS] for r in data])) + "\n"


def _cmd(args: argparse.Namespace) -> int:
    plan_dir = Path(args.plan_dir) if args.plan_dir else Path("build/plan") / args.stack
    if not plan_dir.is_dir():
        config = f" --config {args.config}" if args.config else ""
        raise InputError(f"{plan_dir}: no such plan directory. Fix: run `hybrid-gpu plan --stack {args.stack}{config}` first.")
    data = rows(plan_dir)
    if args.format == "json":
        sys.stdout.write(json.dumps({"stack": args.stack, "planDir": str(plan_dir), "workloads": data}, indent=2, sort_keys=True) + "\n")
    elif not data:
        print(f"{plan_dir}: the plan declares no AI jobs or services (hybrid-gpu-platform:jobs).")
    else:
        sys.stdout.write(render_md(data) if args.format == "md" else render_table(data))
    return 0


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("jobs", help="one row per AI job and service as the offline plan declared it: tier/cluster, gang, "
                                    "queue/quota, priority, failover, autoscaling")
    from hybrid_tools.formats import add_format, add_stack

    add_stack(p, config_help="the stack config file the plan was made from (named in the fix when the plan is missing); "
                             "the table itself is read from the plan")
    p.add_argument("--plan-dir", help="the plan directory to read; default build/plan/<stack>")
    add_format(p, "table: one row per workload; json: the rows as data; md: a Markdown table", native=("table", "json", "md"))
    p.set_defaults(func=_cmd)
