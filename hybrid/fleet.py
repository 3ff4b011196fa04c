"""The Karmada objects the ACK One Fleet runs the placement with, and how far Karmada follows it.

Pure code. For every workload of ``placement.workloads``:

* a PropagationPolicy (rendered in :mod:`hybrid.placement_platform`), whose static
  weights are chosen here for workloads that scale (see :func:`choose_static_weights`);
* a FederatedHPA when the workload asks for ``autoscaling``;
* the PriorityClass of ``priority``, plus one ClusterPropagationPolicy that copies the
  classes to every member cluster (the pods run there, and a PriorityClass on the Fleet
  alone is not seen by the members' schedulers).

Karmada's static-weight division, as the Fleet applies it (source:
karmada-io/karmada@v1.18.2:pkg/scheduler/core/assignment.go ``assignByStaticWeightStrategy``,
pkg/util/helper/binding.go ``Dispenser.AllocateByWeight``, pkg/util/helper/webstermethod.go):
the binding's replicas are divided afresh, without the previous result, by Webster over
the weights of the candidate clusters with a weight above 0, seat by seat to the largest
``weight / (2 * seats + 1)``; equal priorities go to fewer seats, then by cluster name,
ascending or descending depending on the parity of the FNV-32a hash of the workload's UID.
Capacity plays no part. The UID exists only once the workload is created, so both
orders are considered here.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from hybrid import unconfirmed
from hybrid.errors import ConfigIssue
from hybrid.model.placement import Priority, Workload

KARMADA_VERSION = unconfirmed.value("fleet.karmadaVersion")
# The two policy forms a Fleet accepts. ack: Alibaba Cloud help, "Propagation policies and override
# policies" (application-distribution-policy): apiVersion policy.one.alibabacloud.com/v1alpha1, the
# Karmada PropagationPolicy fields. karmada: Karmada's own group, served by the Fleet unconfirmed.
POLICY_APIS = {"ack": "policy.one.alibabacloud.com/v1alpha1",
               "karmada": unconfirmed.value("fleet.propagationPolicyApiVersion")}
# First Karmada release with each placement field the forms use. clusterAffinities: v1.5.0 release
# notes ("Multiple Scheduling Groups"); overflowAffinities: v1.18.0 (CHANGELOG-1.18).
FIELD_SINCE = {"clusterAffinities": (1, 5, 0), "overflowAffinities": (1, 18, 0)}
# Karmada versions whose CRDs the program's objects are checked against (tests/data/karmada-<v>/).
SCHEMA_VERSIONS = ("v1.18.2",)
FEDERATED_HPA_API = unconfirmed.value("fleet.federatedHpaApiVersion")
# source: kubernetes API reference, scheduling.k8s.io/v1 PriorityClass (GA since 1.14)
PRIORITY_CLASS_API = "scheduling.k8s.io/v1"
PRIORITY_PROPAGATION_NAME = "hybrid-gpu-priority-classes"
MANAGED_BY = {"app.kubernetes.io/managed-by": "pulumi"}
# Plans tried as weights, at most (evenly spread over the FederatedHPA's range, plus the planned count's).
_MAX_TRIED = 64


def karmada_static_divisions(upto: int, weights: Mapping[str, int], descending: bool = False) -> list[dict[str, int]]:
    """What Karmada assigns under a ``staticWeightList`` of these weights, for every replica
    count 0..``upto`` (index = count).

    Same seat order as Karmada: largest ``weight / (2 * seats + 1)`` (as float64), then
    fewer seats, then the name in the UID's order. Karmada divides every count afresh, but
    its seat order does not depend on the count, so the division at n + 1 is the one at n
    plus one seat and one pass gives them all. Clusters of weight 0 are not candidates;
    all weights 0 means equal weights.
    """
    positive = sorted(n for n, w in weights.items() if w > 0)
    names = positive or sorted(weights)
    votes = [weights[n] for n in names] if positive else [1] * len(names)
    seats = [0] * len(names)
    out = [dict.fromkeys(names, 0)]
    if not names:
        return out * (upto + 1)
    heap = [(-float(v), 0, -i if descending else i) for i, v in enumerate(votes)]
    heapq.heapify(heap)
    for _ in range(upto):
        _, s, rank = heap[0]
        i = -rank if descending else rank
        seats[i] = s + 1
        heapq.heapreplace(heap, (-(float(votes[i]) / float(2 * seats[i] + 1)), seats[i], rank))
        out.append(dict(zip(names, seats)))
    return out


def deviation(a: Mapping[str, int], b: Mapping[str, int]) -> int:
    """Replicas placed differently: the L1 distance of two assignments."""
    total = 0
    for k in a.keys() | b.keys():
        total += abs(a.get(k, 0) - b.get(k, 0))
    return total


@dataclass(frozen=True)
class WeightChoice:
    """The static weights emitted for a workload, and how Karmada's division of them compares."""

    weights: dict[str, int]        # placement cluster -> weight (> 0 only)
    from_replicas: int             # the calculator's plan at this replica count gave the weights
    exact_at: tuple[int, ...]      # replica counts where Karmada's division equals the calculator's, for either UID order
    replica_range: tuple[int, int]
    worst: int                     # largest deviation over the range

    def summary(self) -> dict[str, Any]:
        lo, hi = self.replica_range
        return {
            "weightsFromReplicas": self.from_replicas,
            "replicaRange": [lo, hi],
            "exactAt": compact(self.exact_at),
            "differsAt": (hi - lo + 1) - len(self.exact_at),
            "worstDeviation": self.worst,
        }


def compact(values: Iterable[int]) -> str:
    """``1,2,3,5`` -> ``"1-3, 5"``."""
    out: list[str] = []
    run: list[int] = []
    for v in sorted(values):
        if run and v == run[-1] + 1:
            run.append(v)
            continue
        if run:
            out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
        run = [v]
    if run:
        out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return ", ".join(out) or "none"


def choose_static_weights(plans: Mapping[int, Mapping[str, int]], planned: int) -> WeightChoice:
    """Pick the weights whose Karmada division stays closest to the calculator over the range.

    ``plans`` maps every replica count the workload can run at (the FederatedHPA's
    min..max, or only the planned count) to the calculator's assignment there. Each
    plan is a candidate weight list (at most ``_MAX_TRIED``, evenly spread, plus the
    planned count's). Score: the summed deviation over the range, Karmada taken at its
    worse UID order; ties go to the planned count's own plan, then to the nearest
    count. The planned count's plan reproduces itself exactly (every Webster quotient
    is whole), so without autoscaling the choice is exact.
    """
    counts = sorted(plans)
    step = max(1, -(-len(counts) // _MAX_TRIED))
    tried = sorted(set(counts[::step]) | {planned} & set(counts))
    best: tuple[Any, ...] | None = None
    for source in tried:
        weights = {k: v for k, v in plans[source].items() if v > 0}
        if not weights:
            continue
        ascending, descending = (karmada_static_divisions(counts[-1], weights, d) for d in (False, True))
        devs = {}
        for n in counts:
            # The two UID orders divide alike at most counts: one deviation then serves both.
            dev = deviation(ascending[n], plans[n])
            devs[n] = dev if ascending[n] == descending[n] else max(dev, deviation(descending[n], plans[n]))
        score = (sum(devs.values()), source != planned, abs(source - planned), source)
        if best is None or score < best[0]:
            best = (score, source, weights, devs)
    if best is None:  # nothing placed at any count: no weights to derive
        return WeightChoice({}, planned, (), (counts[0], counts[-1]), 0)
    _, source, weights, devs = best
    return WeightChoice(weights, source, tuple(n for n in counts if devs[n] == 0), (counts[0], counts[-1]),
                        max(devs.values()))


def policy_api_version(policy_api: str) -> str:
    return POLICY_APIS[policy_api]


def _version(v: str) -> tuple[int, int, int]:
    major, minor, patch = (int(x) for x in v.lstrip("v").split("."))
    return major, minor, patch


def form_issues(policy_api: str, karmada_version: str, overflow: bool, has_members: bool) -> list[ConfigIssue]:
    """The configured policy form against what the stated Karmada version and the chosen API have."""
    path = "registration.fleet"
    issues = []
    if karmada_version not in SCHEMA_VERSIONS:
        issues.append(ConfigIssue(f"{path}.karmadaVersion", f"{karmada_version} is not a Karmada version whose CRDs the "
                                                            "program checks its objects against.",
                                  f"use one of {list(SCHEMA_VERSIONS)} (or vendor that version's CRDs under tests/data/)."))
    elif has_members and _version(karmada_version) < FIELD_SINCE["clusterAffinities"]:
        issues.append(ConfigIssue(f"{path}.karmadaVersion", f"Karmada {karmada_version} has no clusterAffinities (v1.5.0+).",
                                  "state the Fleet's real Karmada version (v1.5.0 or later)."))
    if overflow and policy_api != "karmada":
        issues.append(ConfigIssue(f"{path}.overflow", "overflowAffinities is not in ACK's documented policy fields.",
                                  "set policyApi: karmada, or drop overflow (ACK's form is ordered clusterAffinities)."))
    elif overflow and _version(karmada_version) < FIELD_SINCE["overflowAffinities"]:
        issues.append(ConfigIssue(f"{path}.overflow", f"Karmada {karmada_version} has no overflowAffinities (v1.18.0+).",
                                  "drop overflow, or state a Karmada version of v1.18.0 or later."))
    return issues


def _webster(n: int, weights: Mapping[str, int], descending: bool) -> dict[str, int]:
    return karmada_static_divisions(n, weights, descending)[n]


def _both(n: int, weights: Mapping[str, int]) -> dict[str, Any]:
    """Webster division at ``n`` for both UID orders: an int where they agree, ``"a|b"`` where not."""
    a, d = _webster(n, weights, False), _webster(n, weights, True)
    return {k: a[k] if a[k] == d[k] else f"{a[k]}|{d[k]}" for k in sorted(a)}


def engine_division(n: int, groups: Sequence[tuple[str, Sequence[str]]], weights: Mapping[str, int], overflow: bool,
                    static: bool = False, aggregated: bool = False) -> dict[str, Any]:
    """What Karmada v1.18.2 assigns for a fresh binding of ``n`` replicas.

    static: Webster over the weights (assignment.go ``assignByStaticWeightStrategy``).
    Otherwise ``weights`` are the members' available replicas and the groups are tried in order
    (scheduler.go ``scheduleResourceBindingWithClusterAffinities``): the first group whose
    available replicas cover ``n`` takes them all (assignment.go ``dynamicDivideReplicas``
    refuses a group short of replicas), divided by Webster over the available replicas
    (``helper.SpreadReplicasByTargetClusters``); Aggregated first keeps the fewest clusters that
    cover ``n``, largest available first (``resortAvailableClusters``). No group covers ``n``:
    the binding is unschedulable and keeps its previous result. ``overflow`` is not modelled.
    """
    if static:
        return _both(n, weights)
    if overflow:
        return {"modelled": False}
    for name, members in groups:
        avail = {m: weights.get(m, 0) for m in members}
        if sum(avail.values()) < n:
            continue
        if aggregated:
            kept, total = {}, 0
            for m in sorted(avail, key=lambda m: (-avail[m], m)):
                if total >= n:
                    break
                kept[m] = avail[m]
                total += avail[m]
            avail = kept
        positive = {m: v for m, v in avail.items() if v > 0}
        return {"group": name, **(_both(n, positive) if n else dict.fromkeys(sorted(avail), 0))}
    return {"unschedulable": f"no group has {n} available replicas"}


# --- objects -----------------------------------------------------------------

def federated_hpa(w: Workload) -> dict[str, Any]:
    """Karmada FederatedHPA (schema: karmada-io/karmada@v1.18.2:charts/karmada/_crds/bases/autoscaling/
    autoscaling.karmada.io_federatedhpas.yaml; metrics are autoscaling/v2 MetricSpecs)."""
    a = w.autoscaling
    assert a is not None
    return {
        "apiVersion": FEDERATED_HPA_API,
        "kind": "FederatedHPA",
        "metadata": {"name": w.name, "namespace": w.namespace, "labels": dict(MANAGED_BY)},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": w.kind, "name": w.name},
            "minReplicas": a.min_replicas,
            "maxReplicas": a.max_replicas,
            "metrics": [
                {"type": "Resource",
                 "resource": {"name": m.resource, "target": {"type": "Utilization", "averageUtilization": m.average_utilization}}}
                for m in a.metrics
            ],
        },
    }


def priority_class(pr: Priority) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "apiVersion": PRIORITY_CLASS_API,
        "kind": "PriorityClass",
        "metadata": {"name": pr.class_name, "labels": dict(MANAGED_BY)},
        "value": pr.value,
        "preemptionPolicy": pr.preemption_policy,
        "globalDefault": False,
    }
    if pr.description:
        doc["description"] = pr.description
    return doc


def priority_classes(workloads: Sequence[Workload]) -> list[Priority]:
    """The distinct classes, sorted by name (the model holds shared classes identical)."""
    return sorted({w.priority.class_name: w.priority for w in workloads if w.priority}.values(), key=lambda p: p.class_name)


def priority_propagation(classes: Sequence[Priority], members: Sequence[Any], api_version: str) -> dict[str, Any]:
    """ClusterPropagationPolicy copying the PriorityClasses to every member cluster."""
    return {
        "apiVersion": api_version,
        "kind": "ClusterPropagationPolicy",
        "metadata": {"name": PRIORITY_PROPAGATION_NAME, "labels": dict(MANAGED_BY)},
        "spec": {
            "resourceSelectors": [{"apiVersion": PRIORITY_CLASS_API, "kind": "PriorityClass", "name": c.class_name} for c in classes],
            "placement": {"clusterAffinity": {"clusterNames": list(members)}},
        },
    }
