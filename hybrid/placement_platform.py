"""Placement for the whole platform: the stack's clusters, every declared workload.

Clusters (names are what ``weights`` / ``previous`` / ``pending`` refer to):

========================  ====  ==============================================
name                      tier  capacity from
========================  ====  ==============================================
``idc.name``              0     ``placement.idcCapacity`` totals (observed)
``<region id>``           1     one node per GPU instance of the region's pools,
                                allocatable = instance shape minus the system
                                reservation below (modelled, starts empty)
``<region>-elastic``      2     the region's elastic pools at their maxSize:
                                nodes that do not exist yet, of the pool's
                                smallest instance type (ACK may pick any type
                                in the list), same reservation as tier 1
``<region>-serverless``   3     ``placement.serverlessReplicas[region]``
========================  ====  ==============================================

A region without GPU pools is no tier-1 cluster; a Serverless region must
be one of ``virtualNode.regions``.

Workloads are placed in the order they are declared. Replicas placed for
one workload are deducted before the next is placed (aggregate: counted as
allocating; nodes: bound first-fit; Serverless: taken from the quota), so
two workloads are never promised the same GPU. For modelled clusters
(cloud, Serverless) the replicas a workload already runs there are deducted
too; the IDC figures are observed, so they already contain them.

System reservation on cloud GPU nodes (what kubelet, the OS and the
node-level DaemonSets keep), a tiered rule in the style managed Kubernetes
services use, deliberately on the cautious side:

* CPU: 6% of the first core, 1% of the second, 0.5% of cores 3-4, 0.25% above.
* memory: 25% of the first 4 GiB, 20% of the next 4, 10% of the next 8,
  6% of the next 112, 2% above 128 GiB, plus 100 MiB eviction threshold.
* DaemonSets (Terway, kube-proxy, CSI, NVIDIA device plugin, log agent, ...):
  500m CPU, 1 GiB, 8 pods, counted as allocated.
* pods: 110 per node.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from hybrid.errors import ConfigError, ConfigIssue
from hybrid.fleet import (
    KARMADA_VERSION,
    PROPAGATION_POLICY_API,
    WeightChoice,
    choose_static_weights,
    federated_hpa,
    priority_class,
    priority_classes,
    priority_propagation,
)
from hybrid.instance_types import KNOWN, InstanceSpec
from hybrid.model.placement import Workload
from hybrid.placement import Candidate, PlacementResult, place
from hybrid.placement_capacity import (
    AggregateCapacity,
    CapacitySource,
    FixedCapacity,
    Node,
    NodeCapacity,
    UnboundedCapacity,
    normalise_request,
)

if TYPE_CHECKING:
    # Annotations only: the model's fleet cross check calls check_fleet, so a runtime
    # import of the model here would make the two modules import each other.
    from hybrid.model import Platform

TIER_IDC, TIER_CLOUD, TIER_ELASTIC, TIER_SERVERLESS = 0, 1, 2, 3
TIER_NAMES = {TIER_IDC: "idc", TIER_CLOUD: "cloud", TIER_ELASTIC: "elastic", TIER_SERVERLESS: "serverless"}
ELASTIC_SUFFIX = "-elastic"
SERVERLESS_SUFFIX = "-serverless"
MAX_PODS_PER_NODE = 110
DAEMONSET_OVERHEAD: dict[str, str | int | float] = {"cpu": "500m", "memory": "1Gi", "pods": 8}
GIB = 2**30
MIB = 2**20
ANNOTATION_PREFIX = "placement.hybrid-gpu.io"


def reserved_cpu_millicores(vcpu: int) -> int:
    """CPU kept for the system on a node with ``vcpu`` cores (tiered; see module doc)."""
    tiers = [(1, 60), (1, 10), (2, 5)]  # (cores, millicores reserved per core)
    left, reserved = vcpu, 0
    for cores, per_core in tiers:
        take = min(left, cores)
        reserved += take * per_core
        left -= take
    return reserved + (left * 25 + 9) // 10  # 2.5m per further core, rounded up


def reserved_memory_bytes(memory_gib: int) -> int:
    """Memory kept for the system on a node with ``memory_gib`` GiB (tiered; see module doc)."""
    tiers = [(4, 25), (4, 20), (8, 10), (112, 6)]  # (GiB, percent)
    left, reserved = memory_gib * GIB, 0
    for gib, pct in tiers:
        take = min(left, gib * GIB)
        reserved += take * pct // 100
        left -= take
    return reserved + left * 2 // 100 + 100 * MIB


def node_of(spec: InstanceSpec) -> Node:
    """A freshly joined GPU node of this shape, as the kube-scheduler would see it."""
    allocatable: dict[str, str | int | float] = {
        "cpu": f"{spec.vcpu * 1000 - reserved_cpu_millicores(spec.vcpu)}m",
        "memory": spec.memory_gib * GIB - reserved_memory_bytes(spec.memory_gib),
        "nvidia.com/gpu": spec.gpus,
        "pods": MAX_PODS_PER_NODE,
    }
    return Node(allocatable, dict(DAEMONSET_OVERHEAD))


def _smallest(instance_types: list[str]) -> InstanceSpec:
    """The instance type of the list that leaves the least room (GPUs are equal within a pool)."""
    return min((KNOWN[t] for t in instance_types), key=lambda s: (s.gpus, s.vcpu, s.memory_gib))


@dataclass(frozen=True)
class FleetCluster:
    name: str
    tier: int
    source: CapacitySource
    observed: bool  # True: figures already include what runs there today


def fleet_clusters(p: Platform) -> list[FleetCluster]:
    """The placement targets of the stack, in tier order then name."""
    issues: list[ConfigIssue] = []
    idc_cap = p.placement.idc_capacity
    # An IDC without figures offers nothing until someone reports them.
    idc_source: CapacitySource = (
        AggregateCapacity(idc_cap.allocatable, idc_cap.allocated, idc_cap.allocating) if idc_cap else FixedCapacity(0)
    )
    clusters = [FleetCluster(p.idc.name, TIER_IDC, idc_source, observed=True)]
    for region in sorted(p.regions, key=lambda r: r.id):
        nodes = tuple(node_of(pool.spec) for pool in region.gpu_pools for _ in range(pool.count))
        if region.gpu_pools:
            clusters.append(FleetCluster(region.id, TIER_CLOUD, NodeCapacity(nodes), observed=False))
    for region in sorted(p.regions, key=lambda r: r.id):
        # Capacity that does not exist until the autoscaler adds it: up to maxSize nodes per pool.
        nodes = tuple(node_of(_smallest(pool.instance_types)) for pool in region.elastic_pools for _ in range(pool.max_size))
        if region.elastic_pools:
            clusters.append(FleetCluster(region.id + ELASTIC_SUFFIX, TIER_ELASTIC, NodeCapacity(nodes), observed=False))
    vk_regions = {r.id for r in p.virtual_node.regions} if p.virtual_node.enabled else set()
    for region_id, replicas in sorted(p.placement.serverless_replicas.items()):
        if region_id not in vk_regions:
            issues.append(ConfigIssue(
                f"placement.serverlessReplicas.{region_id}",
                f"{region_id} is not a virtual-node region, so no Serverless pod can run there.",
                "add the region to virtualNode.regions (with virtualNode.enabled: true) or drop this entry.",
            ))
            continue
        clusters.append(FleetCluster(region_id + SERVERLESS_SUFFIX, TIER_SERVERLESS, FixedCapacity(replicas), observed=False))
    if issues:
        raise ConfigError(issues)
    return clusters


@dataclass(frozen=True)
class WorkloadPlacement:
    workload: Workload
    result: PlacementResult
    tiers: dict[str, int]  # cluster name -> tier

    @property
    def key(self) -> str:
        w = self.workload
        return w.name if w.namespace == "default" else f"{w.namespace}/{w.name}"

    def at(self, replicas: int) -> PlacementResult:
        """The calculator's placement of this workload at another replica count, same
        clusters, capacities (after the workloads placed before it) and previous state."""
        r, w = self.result, self.workload
        candidates = [Candidate(n, r.capacity[n], self.tiers[n], r.weights[n] if w.strategy == "static" else 1) for n in r.assignments]
        return place(replicas, candidates, w.strategy, w.previous, w.pending, tie_key=f"{w.namespace}/{w.name}")

    def replica_range(self) -> range:
        a = self.workload.autoscaling
        return range(a.min_replicas, a.max_replicas + 1) if a else range(self.workload.replicas, self.workload.replicas + 1)

    @cached_property
    def weight_choice(self) -> WeightChoice:
        """Static weights for the PropagationPolicy (static / aggregated workloads)."""
        plans = {n: (self.result if n == self.workload.replicas else self.at(n)).assignments for n in self.replica_range()}
        return choose_static_weights(plans, self.workload.replicas)


@dataclass(frozen=True)
class PlatformPlacement:
    workloads: list[WorkloadPlacement]
    applied: bool = False  # registration.fleet.apply: the Karmada objects are declared on the Fleet

    def output(self) -> dict[str, Any]:
        """Stack output ``placement``: per workload its weights, assignments, unplaced, the
        capacity (replicas each cluster could host) that bounds the assignments, and how
        the Fleet runs it (``fleet``: policy form, whether applied, where Karmada's division
        differs from the calculator's)."""
        return {
            wp.key: {
                "weights": dict(wp.result.weights),
                "assignments": dict(wp.result.assignments),
                "unplaced": wp.result.unplaced,
                "capacity": dict(wp.result.capacity),
                "fleet": fleet_summary(wp, self.applied),
            }
            for wp in self.workloads
        }

    def objects(self, names: Mapping[str, Any] | None = None, members: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Every Karmada / Kubernetes object the Fleet runs the placement with: per workload its
        PropagationPolicy and FederatedHPA, the PriorityClasses and their ClusterPropagationPolicy.
        ``names`` maps placement cluster names to Fleet member names (default: unchanged)."""
        docs: list[dict[str, Any]] = []
        for wp in self.workloads:
            docs.append(propagation_policy(wp, names))
            if wp.workload.autoscaling:
                docs.append(federated_hpa(wp.workload))
        classes = priority_classes([wp.workload for wp in self.workloads])
        if classes:
            docs.extend(priority_class(c) for c in classes)
            if not members:
                members = sorted({n for wp in self.workloads for n in wp.result.assignments})
            docs.append(priority_propagation(classes, [names.get(m, m) if names else m for m in members]))
        return docs

    def policies(self) -> dict[str, dict[str, Any]]:
        """``manifests/<ns>/<kind>-<name>.yaml`` -> document, for every object of :meth:`objects`."""
        out = {}
        for doc in self.objects():
            meta = doc["metadata"]
            out[f"manifests/{meta.get('namespace') or 'cluster'}/{doc['kind'].lower()}-{meta['name']}.yaml"] = doc
        return out


def plan_placement(p: Platform) -> PlatformPlacement:
    """Place every workload of the stack, in declared order, deducting as it goes."""
    clusters = fleet_clusters(p)
    names = {c.name for c in clusters}
    state: dict[str, CapacitySource] = {c.name: c.source for c in clusters}
    tiers = {c.name: c.tier for c in clusters}
    issues: list[ConfigIssue] = []
    done: list[WorkloadPlacement] = []
    for wi, w in enumerate(p.placement.workloads):
        base = f"placement.workloads[{wi}]"
        unknown = sorted(set(w.weights) - names)
        for name in unknown:
            issues.append(ConfigIssue(f"{base}.weights.{name}", f"{name!r} is not a cluster of this stack.",
                                      f"use one of {sorted(names)}."))
        if unknown:
            continue
        request = normalise_request(w.request)
        candidates = []
        try:
            for c in clusters:
                running = w.previous.get(c.name, 0) - w.pending.get(c.name, 0)
                if not c.observed and running > 0:
                    state[c.name] = state[c.name].consume(request, running)
                weight = w.weights.get(c.name, 0) if w.weights else 1
                candidates.append(Candidate(c.name, state[c.name].replicas_for(request), c.tier, weight))
        except UnboundedCapacity as err:
            issues.append(ConfigIssue(f"{base}.request", f"capacity is unbounded: {err}.", "request at least cpu, memory or nvidia.com/gpu."))
            continue
        result = place(w.replicas, candidates, w.strategy, w.previous, w.pending, tie_key=f"{w.namespace}/{w.name}")
        for c in clusters:
            new = result.assignments[c.name] - result.kept[c.name]
            if new > 0:
                state[c.name] = state[c.name].consume(request, new)
        done.append(WorkloadPlacement(w, result, tiers))
    if issues:
        raise ConfigError(issues)
    fleet = p.registration.fleet
    return PlatformPlacement(done, applied=fleet.enabled and fleet.apply)


# --- Karmada / ACK One Fleet PropagationPolicy -----------------------------------

def _tier_groups(tiers: Mapping[str, int], names: list[str]) -> list[tuple[str, list[str]]]:
    groups: dict[int, list[str]] = {}
    for n in names:
        groups.setdefault(tiers[n], []).append(n)
    return [(TIER_NAMES.get(t, f"tier-{t}"), sorted(groups[t])) for t in sorted(groups)]


def fleet_summary(wp: WorkloadPlacement, applied: bool) -> dict[str, Any]:
    """How the Fleet runs this workload, for the stack output."""
    w = wp.workload
    out: dict[str, Any] = {"applied": applied, "karmadaVersion": KARMADA_VERSION}
    if w.strategy == "dynamic":
        out["policy"] = "dynamicWeight: AvailableReplicas, overflowAffinities idc -> cloud -> serverless"
        out["note"] = ("Karmada divides by the member clusters' live availableReplicas and fills the idc group before "
                       "the cloud and serverless overflow groups, so its division at a replica count depends on live "
                       "capacity, not on this plan's numbers; docs/placement.md does not tabulate it.")
        return out
    choice = wp.weight_choice
    out["policy"] = "staticWeightList"
    out.update(choice.summary())
    if choice.exact_at != tuple(wp.replica_range()):
        out["note"] = ("Karmada's static weights divide every replica count in the same proportions and ignore tiers "
                       "and capacity, so it cannot follow the calculator at every count; the weights are the calculator's "
                       f"plan at {choice.from_replicas} replicas, the closest over the range (docs/placement.md).")
    return out


def propagation_policy(wp: WorkloadPlacement, names: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The PropagationPolicy that makes ACK One Fleet (Karmada) run this placement.

    ``dynamic``: ``dynamicWeight: AvailableReplicas`` with the IDC as the
    primary cluster group and cloud, then Serverless, as ``overflowAffinities``
    (Karmada >= 1.18), so the fleet keeps following capacity as it changes.

    ``static`` and ``aggregated``: Karmada accepts overflow groups only with
    dynamic weights, and its own static division ignores capacity and tiers.
    The policy therefore lists a plan of the calculator as the static weight
    list (weight = replicas; at that plan's replica count every Webster
    quotient is whole and Karmada reproduces it exactly). For a workload the
    FederatedHPA scales, the plan is the one whose division stays closest to
    the calculator over min..max (:func:`hybrid.fleet.choose_static_weights`).

    ``names`` maps placement cluster names to the Fleet's member names.
    """
    w, r = wp.workload, wp.result

    def member(n: str) -> Any:
        return names.get(n, n) if names else n

    order = sorted(r.assignments, key=lambda n: (wp.tiers[n], n))
    # Elastic pools are node pools of the registered cluster: on the Fleet their replicas are the
    # IDC member's. Its weight is the sum; a group holding only clusters already named is dropped.
    host = fleet_host(wp.tiers)
    annotations = {
        f"{ANNOTATION_PREFIX}/assignments": json.dumps({n: r.assignments[n] for n in order if r.assignments[n]}, sort_keys=True),
        f"{ANNOTATION_PREFIX}/unplaced": str(r.unplaced),
    }
    replica_scheduling: dict[str, Any] = {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted"}
    placement: dict[str, Any]
    if w.strategy == "dynamic":
        groups, named = [], set()
        for g, group in _tier_groups(wp.tiers, order):
            group = [c for c in dict.fromkeys(host(n) for n in group) if c not in named]
            named.update(group)
            if group:
                groups.append((g, group))
        primary_name, primary = groups[0]
        term: dict[str, Any] = {"affinityName": primary_name, "clusterNames": [member(n) for n in primary]}
        if len(groups) > 1:
            term["overflowAffinities"] = [{"affinityName": g, "clusterNames": [member(n) for n in group]} for g, group in groups[1:]]
        replica_scheduling["weightPreference"] = {"dynamicWeight": "AvailableReplicas"}
        placement = {"clusterAffinities": [term], "replicaScheduling": replica_scheduling}
    else:
        chosen = wp.weight_choice.weights
        weights = {n: chosen[n] for n in order if chosen.get(n, 0) > 0}
        if not weights:  # nothing placed (0 replicas or no room): keep the configured intent
            weights = {n: r.weights[n] for n in order if r.weights[n] > 0} or {n: 1 for n in order}
        merged: dict[str, int] = {}
        for n, v in weights.items():
            merged[host(n)] = merged.get(host(n), 0) + v
        weights = merged
        replica_scheduling["weightPreference"] = {"staticWeightList": [
            {"targetCluster": {"clusterNames": [member(n)]}, "weight": weights[n]} for n in weights
        ]}
        placement = {"clusterAffinity": {"clusterNames": [member(n) for n in weights]}, "replicaScheduling": replica_scheduling}
    return {
        "apiVersion": PROPAGATION_POLICY_API,
        "kind": "PropagationPolicy",
        "metadata": {
            "name": w.name,
            "namespace": w.namespace,
            "labels": {"app.kubernetes.io/managed-by": "pulumi", f"{ANNOTATION_PREFIX}/strategy": w.strategy},
            "annotations": annotations,
        },
        "spec": {
            "resourceSelectors": [{"apiVersion": "apps/v1", "kind": w.kind, "name": w.name, "namespace": w.namespace}],
            "placement": placement,
        },
    }


def fleet_host(tiers: Mapping[str, int]):
    """Placement cluster -> the placement cluster whose Fleet member runs it (elastic -> the IDC)."""
    idc = next(n for n, t in tiers.items() if t == TIER_IDC)
    return lambda n: idc if tiers[n] == TIER_ELASTIC else n


def check_fleet(p: Platform) -> list[ConfigIssue]:
    """With ``fleet.apply``, every placement cluster a policy may name must be a Fleet member."""
    fleet = p.registration.fleet
    if not fleet.enabled:
        return []
    try:
        # Elastic clusters run on the registered cluster, which is always a member.
        names = [c.name for c in fleet_clusters(p) if c.tier != TIER_ELASTIC]
    except ConfigError:
        return []  # reported by the placement checks
    issues = [ConfigIssue(f"registration.fleet.members.{m}", f"{m!r} is not a placement cluster of this stack.", f"use one of {sorted(names[1:])}.")
              for m in sorted(set(fleet.members) - set(names))]
    if fleet.apply:
        for n in names[1:]:  # the first is the IDC, the registered cluster
            if n not in fleet.members:
                issues.append(ConfigIssue(
                    "registration.fleet.members", f"placement cluster {n!r} has no Fleet member, so Karmada could not place its replicas.",
                    f"attach the ACK cluster that runs {n} as fleet.members.{n}: <cluster id>, or set fleet.apply: false."))
    return issues
