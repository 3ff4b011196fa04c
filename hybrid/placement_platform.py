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
``<member name>``         4     ``registration.fleet.members[name].availableReplicas``
========================  ====  ==============================================

Tiers 0-3 are node groups of ONE Kubernetes cluster, the hybrid (IDC) cluster: cloud pools,
elastic pools and the virtual node join it. Only tier 4 names other clusters (ACK clusters
the stack does not build, attached to the Fleet). Inside the hybrid cluster the order is
realised with pod-level preferences (:func:`tiering_patch`); across members by the Fleet's
PropagationPolicy (:func:`propagation_policy`).

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
from typing import Any, Mapping, Sequence

from hybrid import unconfirmed
from hybrid.errors import ConfigError, ConfigIssue
from hybrid.fleet import (
    WeightChoice,
    choose_static_weights,
    engine_division,
    federated_hpa,
    form_issues,
    policy_api_version,
    priority_class,
    priority_classes,
    priority_propagation,
)
# LABEL_POOL: the node label naming a node's pool (kubelet --node-labels, hybrid/cloudinit.py).
from hybrid.cloudinit import LABEL_POOL
from hybrid.cni import VIRTUAL_KUBELET
from hybrid.instance_types import KNOWN, InstanceSpec
from hybrid.model.elastic import AnyPool
from hybrid.model.network import Region
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

from hybrid.model import Platform

TIER_IDC, TIER_CLOUD, TIER_ELASTIC, TIER_SERVERLESS, TIER_MEMBER = 0, 1, 2, 3, 4
TIER_NAMES = {TIER_IDC: "idc", TIER_CLOUD: "cloud", TIER_ELASTIC: "elastic", TIER_SERVERLESS: "serverless", TIER_MEMBER: "member"}
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


def elastic_capacity(region: "Region", at_max: bool) -> NodeCapacity:
    """A region's elastic pools as nodes of their smallest instance type: ``maxSize`` of them when pods
    that cannot run elsewhere stay Pending (the cluster autoscaler adds nodes for those), else ``minSize``."""
    return NodeCapacity(tuple(node_of(_smallest(pool.instance_types)) for pool in region.elastic_pools
                              for _ in range(pool.max_size if at_max else pool.min_size)))


@dataclass(frozen=True)
class FleetCluster:
    name: str
    tier: int
    source: CapacitySource
    observed: bool  # True: figures already include what runs there today
    host: str = ""  # the Fleet member this capacity belongs to (the IDC's name for tiers 0-3)


def elastic_counted_at_max(p: Platform) -> bool:
    """Whether the elastic tier may count nodes that do not exist yet (up to ``maxSize``).

    cluster-autoscaler adds nodes only for pods the scheduler marked unschedulable
    (kubernetes/autoscaler cluster-autoscaler/FAQ.md, "How does scale-up work?"). Where the
    hybrid cluster has a virtual node the workloads tolerate (a Serverless tier), such a pod
    is never unschedulable: it lands on the virtual node instead, so no elastic node is ever
    promised and only the pools' ``minSize`` nodes (which exist) count.
    """
    return not p.placement.serverless_replicas


def fleet_clusters(p: Platform) -> list[FleetCluster]:
    """The placement targets of the stack, in tier order then name."""
    issues: list[ConfigIssue] = []
    hybrid = p.idc.name
    idc_cap = p.placement.idc_capacity
    # An IDC without figures offers nothing until someone reports them.
    idc_source: CapacitySource = (
        AggregateCapacity(idc_cap.allocatable, idc_cap.allocated, idc_cap.allocating) if idc_cap else FixedCapacity(0)
    )
    clusters = [FleetCluster(hybrid, TIER_IDC, idc_source, observed=True, host=hybrid)]
    for region in sorted(p.regions, key=lambda r: r.id):
        nodes = tuple(node_of(pool.spec) for pool in region.gpu_pools for _ in range(pool.count))
        if region.gpu_pools:
            clusters.append(FleetCluster(region.id, TIER_CLOUD, NodeCapacity(nodes), observed=False, host=hybrid))
    at_max = elastic_counted_at_max(p)
    for region in sorted(p.regions, key=lambda r: r.id):
        if region.elastic_pools:
            clusters.append(FleetCluster(region.id + ELASTIC_SUFFIX, TIER_ELASTIC, elastic_capacity(region, at_max),
                                         observed=False, host=hybrid))
    vk_regions = {r.id for r in p.virtual_node.regions} if p.virtual_node.enabled else set()
    for region_id, replicas in sorted(p.placement.serverless_replicas.items()):
        if region_id not in vk_regions:
            issues.append(ConfigIssue(
                f"placement.serverlessReplicas.{region_id}",
                f"{region_id} is not a virtual-node region, so no Serverless pod can run there.",
                "add the region to virtualNode.regions (with virtualNode.enabled: true) or drop this entry.",
            ))
            continue
        clusters.append(FleetCluster(region_id + SERVERLESS_SUFFIX, TIER_SERVERLESS, FixedCapacity(replicas), observed=False, host=hybrid))
    fleet = p.registration.fleet
    for name, m in sorted(fleet.members.items()) if fleet.enabled else ():
        # Reported by the member's operator: it already contains what runs there.
        clusters.append(FleetCluster(name, TIER_MEMBER, FixedCapacity(m.available_replicas), observed=True, host=name))
    if issues:
        raise ConfigError(issues)
    return clusters


# --- the topology, and the checks that need it --------------------------------

def own_names(p: Platform) -> dict[str, str]:
    """Names that belong to the hybrid cluster -> what they are (a member may take none of them)."""
    names = {n: "the IDC cluster, always a member" for n in (p.idc.name, p.registration.cluster_name)}
    for r in p.regions:
        names[r.id] = "a region whose pools join the hybrid cluster"
        names[r.id + ELASTIC_SUFFIX] = "an elastic tier of the hybrid cluster"
        names[r.id + SERVERLESS_SUFFIX] = "a Serverless tier of the hybrid cluster"
    for vr in p.virtual_node.regions:
        names[vr.id + SERVERLESS_SUFFIX] = "a Serverless tier of the hybrid cluster"
    return names


def check_topology(p: Platform) -> list[ConfigIssue]:
    """Fleet members and policy form against the hybrid cluster: run after the model is built."""
    fleet = p.registration.fleet
    issues: list[ConfigIssue] = []
    own = own_names(p)
    ids: dict[str, str] = {}
    for name, m in sorted(fleet.members.items()):
        path = f"registration.fleet.members.{name}"
        if name in own:
            issues.append(ConfigIssue(path, f"{name!r} is {own[name]}, not another cluster: the IDC cluster's Fleet member "
                                            "already counts its nodes.",
                                      "drop the entry (tiers inside the hybrid cluster need no member), or name the other ACK cluster differently."))
        if m.cluster_id in ids:
            issues.append(ConfigIssue(f"{path}.clusterId", f"{m.cluster_id} is already member {ids[m.cluster_id]!r}.",
                                      "give each ACK cluster one member entry."))
        ids.setdefault(m.cluster_id, name)
    issues.extend(form_issues(fleet.policy_api, fleet.karmada_version, fleet.overflow, bool(fleet.members)))
    return issues


@dataclass(frozen=True)
class Topology:
    """The hybrid cluster with its tiers, and the Fleet's other members, as the program sees them."""

    hybrid: str  # the IDC cluster's placement name (its Fleet member)
    registered_as: str  # the registered cluster's name in ACK One
    tiers: tuple[FleetCluster, ...]  # tiers 0-3, inside the hybrid cluster
    members: tuple[FleetCluster, ...]  # tier 4, other ACK clusters
    member_ids: dict[str, str]
    fleet: str | None  # the Fleet's name or id; None: no Fleet
    policy_api: str
    karmada_version: str
    overflow: bool
    elastic_at_max: bool
    # in-cluster realisation: pool names per tier, taints of those pools, the cloud-node label
    pools: dict[int, tuple[str, ...]]
    taints: tuple[dict[str, str], ...]
    cloud_label: tuple[str, str]
    elastic_min_nodes: tuple[Node, ...]  # nodes the elastic pools keep (minSize): what exists

    def output(self) -> dict[str, Any]:
        return {
            "hybridCluster": {
                "name": self.hybrid, "registeredAs": self.registered_as,
                "tiers": [{"name": c.name, "tier": TIER_NAMES[c.tier]} for c in self.tiers],
                "elasticCountedAt": "maxSize" if self.elastic_at_max else "minSize",
            },
            "fleet": None if self.fleet is None else {
                "name": self.fleet, "policyApi": self.policy_api, "karmadaVersion": self.karmada_version,
                "members": [self.hybrid] + [m.name for m in self.members],
                "memberIds": dict(self.member_ids),
            },
        }


def topology(p: Platform, clusters: Sequence[FleetCluster]) -> Topology:
    fleet = p.registration.fleet
    pools: dict[int, tuple[str, ...]] = {
        TIER_CLOUD: tuple(sorted(pool.name for r in p.regions for pool in r.gpu_pools)),
        TIER_ELASTIC: tuple(sorted(pool.name for r in p.regions for pool in r.elastic_pools)),
    }
    gpu_pools: list[AnyPool] = [pool for r in p.regions for pool in r.gpu_pools]
    gpu_pools += [pool for r in p.regions for pool in r.elastic_pools]
    taints = {(t.key, t.value, t.effect) for pool in gpu_pools for t in pool.taints}
    label = p.cni.cloud_node_label
    return Topology(
        hybrid=p.idc.name, registered_as=p.registration.cluster_name,
        tiers=tuple(c for c in clusters if c.tier != TIER_MEMBER),
        members=tuple(c for c in clusters if c.tier == TIER_MEMBER),
        member_ids={n: m.cluster_id for n, m in sorted(fleet.members.items())} if fleet.enabled else {},
        fleet=(fleet.name or fleet.id) if fleet.enabled else None,
        policy_api=fleet.policy_api, karmada_version=fleet.karmada_version, overflow=fleet.overflow,
        elastic_at_max=elastic_counted_at_max(p),
        pools=pools,
        taints=tuple({"key": k, "value": v, "effect": e} for k, v, e in sorted(taints)),
        cloud_label=(label.key, label.value),
        elastic_min_nodes=tuple(node_of(_smallest(pool.instance_types)) for r in p.regions for pool in r.elastic_pools
                                for _ in range(pool.min_size)),
    )


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

    def by_member(self, assignments: Mapping[str, int], hybrid: str) -> dict[str, int]:
        """Assignments summed per Fleet member: the hybrid cluster's tiers are one member."""
        out: dict[str, int] = {}
        for n, v in assignments.items():
            m = n if self.tiers[n] == TIER_MEMBER else hybrid
            out[m] = out.get(m, 0) + v
        return out

    @cached_property
    def weight_choice(self) -> WeightChoice:
        """Static weights per Fleet member (static / aggregated workloads)."""
        hybrid = next(n for n, t in self.tiers.items() if t == TIER_IDC)
        plans = {n: self.by_member((self.result if n == self.workload.replicas else self.at(n)).assignments, hybrid)
                 for n in self.replica_range()}
        return choose_static_weights(plans, self.workload.replicas)


@dataclass(frozen=True)
class PlatformPlacement:
    workloads: list[WorkloadPlacement]
    topology: Topology
    applied: bool = False  # registration.fleet.apply: the Fleet objects are declared on the Fleet

    @property
    def fleet_members(self) -> list[str]:
        return [self.topology.hybrid] + [m.name for m in self.topology.members]

    def output(self) -> dict[str, Any]:
        """Stack output ``placement``: per workload the intended plan (calculator), how the hybrid
        cluster realises its tiers and what it cannot guarantee, and, with a Fleet, the policy
        emitted and the engine's division at min / current / max replicas."""
        out: dict[str, Any] = {}
        for wp in self.workloads:
            r = wp.result
            hybrid_tiers = {n: v for n, v in r.assignments.items() if wp.tiers[n] != TIER_MEMBER}
            out[wp.key] = {
                "strategy": wp.workload.strategy,
                # the calculator's plan (intended), every tier and member: policy/rules/compute.py check_placement reads it
                "assignments": dict(r.assignments), "unplaced": r.unplaced, "capacity": dict(r.capacity),
                "weights": dict(r.weights),
                "hybridCluster": {"tiers": hybrid_tiers, **in_cluster_summary(wp, self.topology)},
                "fleet": fleet_summary(wp, self.topology, self.applied) if self.topology.fleet else None,
            }
        return out

    def tiering(self) -> dict[str, dict[str, Any]]:
        """``tiering/<ns>/<kind>-<name>.yaml`` -> the pod-template patch realising the tiers in the hybrid cluster."""
        return {f"tiering/{wp.workload.namespace}/{wp.workload.kind.lower()}-{wp.workload.name}.yaml": tiering_patch(wp, self.topology)
                for wp in self.workloads}

    def objects(self, names: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every object the Fleet runs the placement with (none without a Fleet): per workload its
        PropagationPolicy and FederatedHPA, the PriorityClasses and their ClusterPropagationPolicy.
        ``names`` maps Fleet member names to the names the Fleet knows them by (cluster ids)."""
        if self.topology.fleet is None:
            return []
        t = self.topology
        docs: list[dict[str, Any]] = []
        for wp in self.workloads:
            docs.append(propagation_policy(wp, t, names))
            if wp.workload.autoscaling:
                docs.append(federated_hpa(wp.workload))
        classes = priority_classes([wp.workload for wp in self.workloads])
        if classes:
            docs.extend(priority_class(c) for c in classes)
            docs.append(priority_propagation(classes, [names.get(m, m) if names else m for m in self.fleet_members],
                                             policy_api_version(t.policy_api)))
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
    issues = check_topology(p)
    if issues:
        raise ConfigError(issues)
    clusters = fleet_clusters(p)
    names = {c.name for c in clusters}
    state: dict[str, CapacitySource] = {c.name: c.source for c in clusters}
    tiers = {c.name: c.tier for c in clusters}
    done: list[WorkloadPlacement] = []
    for wi, w in enumerate(p.placement.workloads):
        base = f"placement.workloads[{wi}]"
        # previous / pending may name a cluster that left: its replicas are placed again (docs/placement.md, Stability)
        unknown = [("weights", n) for n in sorted(set(w.weights) - names)]
        for f, name in unknown:
            issues.append(ConfigIssue(f"{base}.{f}.{name}", f"{name!r} is not a cluster of this stack.",
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
    return PlatformPlacement(done, topology(p, clusters), applied=fleet.enabled and fleet.apply)


# --- inside the hybrid cluster: pod-level tier preferences ---------------------

# Preferred node-affinity weights per tier (1-100: core/v1 PreferredSchedulingTerm.weight). The
# NodeAffinity score plugin sums the weights of the matching terms and normalises to 0-100
# (kubernetes/kubernetes@v1.30.4:pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go Score,
# NormalizeScore), so the IDC scores 100, fixed cloud pools 50, elastic pools 10, the virtual node 0.
TIER_WEIGHTS = {TIER_IDC: 100, TIER_CLOUD: 50, TIER_ELASTIC: 10}
# The virtual node's taint and label: "Virtual nodes in an ACK cluster carry a default taint:
# virtual-kubelet.io/provider=alibabacloud:NoSchedule" (Alibaba Cloud help, "Specify resource allocation
# for ECS and ECI", configure-eci-scaling); label type=virtual-kubelet (hybrid/cni.py VIRTUAL_KUBELET).
# That page's "prioritize ECS" strategy relies on ACK's kube-scheduler (managed Pro); the registered
# cluster runs upstream kube-scheduler, hence plain preferences here.
VK_TAINT_KEY = "virtual-kubelet.io/provider"
VK_LABEL = VIRTUAL_KUBELET


def _present(wp: WorkloadPlacement) -> set[int]:
    return {t for n, t in wp.tiers.items() if t != TIER_MEMBER and wp.result.capacity.get(n, 0) + wp.result.assignments.get(n, 0) > 0}


def tiering_patch(wp: WorkloadPlacement, t: Topology) -> dict[str, Any]:
    """The strategic-merge patch of the workload's pod template that orders the tiers inside the
    hybrid cluster: preferred node affinity by tier (IDC, fixed pools, elastic pools), tolerations
    for the pools' taints and, with a Serverless tier, for the virtual node (last: no preference).

    The program does not own the workload: the plan writes the patch, the workload's owner applies
    it (``kubectl patch --type strategic --patch-file``)."""
    w = wp.workload
    key, value = t.cloud_label
    terms = [{"weight": TIER_WEIGHTS[TIER_IDC], "preference": {"matchExpressions": [
        {"key": key, "operator": "DoesNotExist"}, {"key": VK_LABEL[0], "operator": "NotIn", "values": [VK_LABEL[1]]}]}}]
    for tier in (TIER_CLOUD, TIER_ELASTIC):
        if t.pools.get(tier):
            terms.append({"weight": TIER_WEIGHTS[tier], "preference": {"matchExpressions": [
                {"key": LABEL_POOL, "operator": "In", "values": list(t.pools[tier])}]}})
    # Only taints that block: an untolerated PreferNoSchedule taint on cloud pools lowers their
    # TaintToleration score, which works for the IDC-first order.
    tolerations = [{"key": x["key"], "operator": "Equal", "value": x["value"], "effect": x["effect"]}
                   for x in t.taints if x["effect"] in ("NoSchedule", "NoExecute")]
    if any(c.tier == TIER_SERVERLESS for c in t.tiers):
        tolerations.append({"key": VK_TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"})
    spec: dict[str, Any] = {"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": terms}}}
    if tolerations:
        spec["tolerations"] = tolerations
    return {
        "apiVersion": "apps/v1", "kind": w.kind,
        "metadata": {"name": w.name, "namespace": w.namespace,
                     # the tiers that can host this workload, in fill order (for review)
                     "annotations": {f"{ANNOTATION_PREFIX}/tiers": ",".join(dict.fromkeys(
                         TIER_NAMES[c.tier] for c in t.tiers if c.tier in _present(wp) or c.tier == TIER_IDC))}},
        "spec": {"template": {"spec": spec}},
    }


def in_cluster_summary(wp: WorkloadPlacement, t: Topology) -> dict[str, Any]:
    """What orders the tiers inside the hybrid cluster, and what it cannot guarantee."""
    serverless = any(c.tier == TIER_SERVERLESS for c in t.tiers)
    mechanisms = [
        f"preferred nodeAffinity by tier (idc {TIER_WEIGHTS[TIER_IDC]}, cloud pools {TIER_WEIGHTS[TIER_CLOUD]}, "
        f"elastic pools {TIER_WEIGHTS[TIER_ELASTIC]}, virtual node 0): tiering/{wp.workload.namespace}/"
        f"{wp.workload.kind.lower()}-{wp.workload.name}.yaml",
    ]
    if serverless or any(x["effect"] != "PreferNoSchedule" for x in t.taints):
        mechanisms.append("tolerations for the pools' blocking taints" + (" and the virtual node" if serverless else ""))
    caveats = [
        "preferences are scores, not a fill order: kube-scheduler adds other plugins' scores (resource fit, spread, "
        "taint toleration), so a pod may land in a later tier while an earlier one has room",
        "scale-in is not in reverse tier order: the ReplicaSet controller removes pending, not-ready, lower "
        "pod-deletion-cost, then co-located and newer pods first (kubernetes/kubernetes pkg/controller/controller_utils.go "
        "ActivePodsWithRanks); pod-deletion-cost would need something to annotate each pod by the tier it runs in, "
        "which the program does not run",
        "ACK's ResourcePolicy (ordered units, reverse scale-in) runs on ACK's scheduler; for a registered cluster "
        "Alibaba documents it through ack-co-scheduler (help doc 446694), which this stack does not install",
    ]
    if serverless:
        caveats.append("elastic pools grow only for Pending pods and a pod that tolerates the virtual node is never "
                       "Pending, so the elastic tier counts only its minSize nodes")
    return {"mechanisms": mechanisms, "notGuaranteed": caveats}


# --- at Fleet level: the PropagationPolicy ------------------------------------

def _available(wp: WorkloadPlacement, t: Topology) -> dict[str, int]:
    """Replicas each Fleet member can take as Karmada's AvailableReplicas counts them: the
    hybrid member over the nodes that exist (elastic at minSize), members as reported."""
    cap = wp.result.capacity  # what each could host for this workload, before it is placed
    hybrid = sum(cap[n] for n, tier in wp.tiers.items() if tier in (TIER_IDC, TIER_CLOUD, TIER_SERVERLESS))
    elastic = [n for n, tier in wp.tiers.items() if tier == TIER_ELASTIC]
    if elastic and not t.elastic_at_max:
        hybrid += sum(cap[n] for n in elastic)  # counted at minSize already
    elif elastic:
        hybrid += NodeCapacity(t.elastic_min_nodes).replicas_for(normalise_request(wp.workload.request))
    return {t.hybrid: hybrid, **{m.name: cap[m.name] for m in t.members}}


def fleet_summary(wp: WorkloadPlacement, t: Topology, applied: bool) -> dict[str, Any]:
    """The Fleet policy emitted for this workload and what the engine makes of it at min / current / max."""
    w = wp.workload
    counts = sorted({wp.replica_range()[0], w.replicas, wp.replica_range()[-1]})
    hybrid = t.hybrid
    out: dict[str, Any] = {"applied": applied, "apiVersion": policy_api_version(t.policy_api), "karmadaVersion": t.karmada_version,
                           "replicaCounts": {"min": counts[0], "current": w.replicas, "max": counts[-1]}}
    if not t.members:
        out["form"] = f"every replica to the hybrid cluster {hybrid} (the Fleet's only member)"
        out["engine"] = {str(n): {hybrid: n} for n in counts}
        return out
    intended = {str(n): wp.by_member((wp.result if n == w.replicas else wp.at(n)).assignments, hybrid) for n in counts}
    out["intended"] = intended
    if w.strategy in ("dynamic", "aggregated"):
        avail = _available(wp, t)
        groups = fleet_groups(t)
        out["form"] = (("overflowAffinities" if t.overflow else "ordered clusterAffinities") + ", "
                       + ("Aggregated" if w.strategy == "aggregated" else "dynamicWeight: AvailableReplicas")
                       + (", autoScaling.ecsProvision" if t.policy_api == "ack" else ""))
        out["groups"] = {g: names for g, names in groups}
        out["availableReplicas"] = avail
        out["engine"] = {str(n): engine_division(n, groups, avail, t.overflow, aggregated=w.strategy == "aggregated")
                         for n in counts}
        out["note"] = ("Karmada schedules into the first group that can take every replica and divides by available "
                       "replicas there, so once the hybrid cluster is short the members share by capacity, not after it; "
                       "a binding stays in its group when capacity returns (karmada-io/karmada discussion 7707). The hybrid member's "
                       "available replicas are the calculator's capacity of its tiers (elastic at minSize, Serverless at "
                       "its quota: the virtual node itself advertises more). ACK documents "
                       "scale-in cloud first for its form; Karmada's own scale-down divides by the current assignment.")
    else:
        choice = wp.weight_choice
        out["form"] = "staticWeightList"
        out["weights"] = dict(choice.weights)
        out.update(choice.summary())
        out["engine"] = {str(n): engine_division(n, [], choice.weights, False, static=True) for n in counts}
        if choice.exact_at != tuple(wp.replica_range()):
            out["note"] = ("Karmada divides every replica count afresh by Webster over the static weights, ignoring "
                           "tiers and capacity; the weights are the calculator's plan at "
                           f"{choice.from_replicas} replicas, the closest over the range (docs/placement.md).")
    return out


def fleet_groups(t: Topology) -> list[tuple[str, list[str]]]:
    """The cluster groups of the IDC-first form: the hybrid cluster alone, then with the members."""
    return [("hybrid", [t.hybrid]), ("members", [t.hybrid] + [m.name for m in t.members])]


def propagation_policy(wp: WorkloadPlacement, t: Topology, names: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The PropagationPolicy the Fleet runs this workload with, in the configured form.

    Without other members: the hybrid cluster alone. ``dynamic``: the IDC-first form ACK
    documents (Alibaba Cloud help, "Elastic scheduling with multi-cluster priorities"): ordered
    ``clusterAffinities`` groups (the hybrid cluster, then with the members; Karmada >= v1.5.0),
    ``dynamicWeight: AvailableReplicas`` and, with ``policyApi: ack``, ``autoScaling.ecsProvision``;
    with ``overflow`` (karmada >= v1.18.0) one term whose ``overflowAffinities`` add the members.
    ``static`` / ``aggregated``: ``staticWeightList`` over the members, chosen over the
    FederatedHPA's range (:func:`hybrid.fleet.choose_static_weights`).
    """
    w, r = wp.workload, wp.result

    def member(n: str) -> Any:
        return names.get(n, n) if names else n

    annotations = {
        f"{ANNOTATION_PREFIX}/assignments": json.dumps({n: v for n, v in sorted(r.assignments.items()) if v}, sort_keys=True),
        f"{ANNOTATION_PREFIX}/unplaced": str(r.unplaced),
    }
    replica_scheduling: dict[str, Any] = {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted"}
    spec_extra: dict[str, Any] = {}
    if not t.members:
        replica_scheduling["weightPreference"] = {"staticWeightList": [
            {"targetCluster": {"clusterNames": [member(t.hybrid)]}, "weight": 1}]}
        placement: dict[str, Any] = {"clusterAffinity": {"clusterNames": [member(t.hybrid)]}, "replicaScheduling": replica_scheduling}
    elif w.strategy in ("dynamic", "aggregated"):
        groups = fleet_groups(t)
        if w.strategy == "aggregated":
            replica_scheduling["replicaDivisionPreference"] = "Aggregated"
        else:
            replica_scheduling["weightPreference"] = {"dynamicWeight": "AvailableReplicas"}
        if t.overflow:
            term = {"affinityName": groups[0][0], "clusterNames": [member(n) for n in groups[0][1]],
                    "overflowAffinities": [{"affinityName": groups[1][0], "clusterNames": [member(n) for n in groups[1][1] if n != t.hybrid]}]}
            placement = {"clusterAffinities": [term], "replicaScheduling": replica_scheduling}
        else:
            placement = {"clusterAffinities": [{"affinityName": g, "clusterNames": [member(n) for n in group]} for g, group in groups],
                         "replicaScheduling": replica_scheduling}
        if t.policy_api == "ack":
            # Alibaba Cloud help, "Elastic scheduling with multi-cluster priorities": autoScaling.ecsProvision lets a
            # member with instant node elasticity add nodes for replicas it cannot run yet. Where autoScaling sits
            # in the spec: unconfirmed (fleet.ackAutoScalingField in hybrid/unconfirmed.py).
            spec_extra[unconfirmed.value("fleet.ackAutoScalingField").split(".")[1]] = {"ecsProvision": True}
    else:
        weights = wp.weight_choice.weights or {t.hybrid: 1}
        order = [n for n in [t.hybrid] + [m.name for m in t.members] if weights.get(n, 0) > 0]
        replica_scheduling["weightPreference"] = {"staticWeightList": [
            {"targetCluster": {"clusterNames": [member(n)]}, "weight": weights[n]} for n in order]}
        placement = {"clusterAffinity": {"clusterNames": [member(n) for n in order]}, "replicaScheduling": replica_scheduling}
    return {
        "apiVersion": policy_api_version(t.policy_api),
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
            **spec_extra,
        },
    }
