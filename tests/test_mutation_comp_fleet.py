"""components.fleet.FleetPlacement under Pulumi's mocks: what the engine receives on the Fleet.

Worked by hand from stacks/Pulumi.prod.yaml (registration.fleet, placement.workloads): the IDC
cluster idc-bj and members ack-sh-infer (c5e7a9b1d3f5a7c9e1b3d5f7a9c1e3b5d) and ack-wlcb-train
(c6f8b0c2e4a6b8d0f2c4e6a8b0d2f4a6c), policyApi ack; the one workload batch-infer (namespace
default) with a FederatedHPA and the class gpu-batch (value 1000, preemptionPolicy Never, its
description). ACK One names members by cluster id in clusterNames (Alibaba Cloud help, "Propagation
policies and override policies"). The PriorityClass schema: kubernetes scheduling.k8s.io/v1
(value, preemptionPolicy, globalDefault, description)."""

from __future__ import annotations

import copy

import pulumi

from hybrid.model import load
from hybrid.placement_platform import plan_placement
from tests.component_graph import provider_urn, watch
from tests.conftest import settle

COMP = "hybrid:fleet:Placement"
API = "policy.one.alibabacloud.com/v1alpha1"
PP = f"kubernetes:{API}:PropagationPolicy"
CPP = f"kubernetes:{API}:ClusterPropagationPolicy"
PC = "kubernetes:scheduling.k8s.io/v1:PriorityClass"
SH, WLCB, IDC = "c5e7a9b1d3f5a7c9e1b3d5f7a9c1e3b5d", "c6f8b0c2e4a6b8d0f2c4e6a8b0d2f4a6c", "cidc0000000000000000000000000000a"


def _program(raw, members=None):
    import pulumi_kubernetes as k8s

    from components.contracts import RegisteredClusterOutputs
    from components.fleet import FleetPlacement, FleetPlacementArgs

    p = load(raw)
    fleet = k8s.Provider("fleet", kubeconfig="x")
    agent = pulumi.ComponentResource("test:ack:Agent", "agent")
    m1 = pulumi.CustomResource("test:ack:Membership", "m1")
    m2 = pulumi.CustomResource("test:ack:Membership", "m2")
    cluster = RegisteredClusterOutputs(cluster_id=pulumi.Output.from_input(IDC), connected=agent, agent_config=agent,
                                       memberships=(m1, m2))
    if members is None:
        members = {n: m.cluster_id for n, m in p.registration.fleet.members.items()}
    fp = FleetPlacement("fleet", FleetPlacementArgs(placement=plan_placement(p), cluster=cluster, idc_name=p.idc.name,
                                                    members=members),
                        opts=pulumi.ResourceOptions(providers={"kubernetes": fleet}))
    return {"fp": fp, "fleet": fleet.urn, "m": [m1.urn, m2.urn]}


def test_prod_objects_land_on_the_fleet_with_member_ids_after_the_memberships(pulumi_mocks, prod_raw):
    mon = watch(pulumi_mocks, prod_raw, stack="prod")
    got = settle(lambda: _program(prod_raw))
    comp = mon.one(COMP, "fleet")
    kids = mon.children(comp.urn)
    assert [(k.type, k.name) for k in kids] == [
        ("kubernetes:autoscaling.karmada.io/v1alpha1:FederatedHPA", "fleet-federatedhpa-default-batch-infer"),
        (CPP, "fleet-clusterpropagationpolicy-cluster-hybrid-gpu-priority-classes"),
        (PP, "fleet-propagationpolicy-default-batch-infer"),
        (PC, "fleet-priorityclass-cluster-gpu-batch"),
    ]
    memberships = sorted(got["m"])
    pc = mon.one(PC, "fleet-priorityclass-cluster-gpu-batch")
    for k in kids:
        assert provider_urn(k.provider) == got["fleet"]
        # each waits for the memberships; the ClusterPropagationPolicy also for the classes it propagates
        want = sorted([*memberships, pc.urn]) if k.type == CPP else memberships
        assert k.dependencies == want, k.name

    assert pc.inputs["metadata"]["name"] == "gpu-batch"
    assert (pc.inputs["value"], pc.inputs["preemptionPolicy"], pc.inputs["globalDefault"]) == (1000, "Never", False)
    assert pc.inputs["description"] == "Batch inference; yields to training, never preempts."

    cpp = mon.one(CPP, "fleet-clusterpropagationpolicy-cluster-hybrid-gpu-priority-classes").inputs
    assert (cpp["apiVersion"], cpp["kind"]) == (API, "ClusterPropagationPolicy")
    # every member, the IDC cluster by the registered cluster's id, the others by theirs
    assert sorted(cpp["spec"]["placement"]["clusterAffinity"]["clusterNames"]) == sorted([IDC, SH, WLCB])
    assert cpp["spec"]["resourceSelectors"] == [
        {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "name": "gpu-batch"}]

    pp = mon.one(PP, "fleet-propagationpolicy-default-batch-infer").inputs
    assert (pp["kind"], pp["metadata"]["name"], pp["metadata"]["namespace"]) == ("PropagationPolicy", "batch-infer", "default")
    placement = pp["spec"]["placement"]
    named = set(placement["clusterAffinity"]["clusterNames"]) if "clusterAffinity" in placement else {
        n for t in placement["clusterAffinities"] for g in [t, *t.get("overflowAffinities", [])] for n in g["clusterNames"]}
    # Fleet members by cluster id (the IDC cluster by the registered cluster's), never a placement name
    assert IDC in named and named <= {IDC, SH}
    hpa = mon.one("kubernetes:autoscaling.karmada.io/v1alpha1:FederatedHPA", "fleet-federatedhpa-default-batch-infer").inputs
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (8, 32)
    assert len(got["fp"].objects) == 4
    assert mon.outputs_of(COMP, "fleet") == {"objects": 4}


def test_a_class_without_description_declares_none(pulumi_mocks, prod_raw):
    raw = copy.deepcopy(prod_raw)
    del raw["placement"]["workloads"][0]["priority"]["description"]
    mon = watch(pulumi_mocks, raw, stack="prod")
    settle(lambda: _program(raw))
    pc = mon.one(PC, "fleet-priorityclass-cluster-gpu-batch")
    assert "description" not in pc.inputs
    assert pc.inputs["value"] == 1000
