"""Placement of the stack's workloads: clusters from the model, outputs, PropagationPolicies."""

from __future__ import annotations

import pytest

from hybrid.errors import ConfigError
from hybrid.instance_types import KNOWN
from hybrid.model import load
from hybrid.placement_capacity import normalise_request
from hybrid.placement_platform import fleet_clusters, node_of, plan_placement, reserved_cpu_millicores, reserved_memory_bytes


def test_prod_clusters_and_tiers(prod_raw):
    clusters = {c.name: c.tier for c in fleet_clusters(load(prod_raw))}
    assert clusters == {"idc-bj": 0, "cn-beijing": 1, "cn-hangzhou": 1, "cn-zhangjiakou": 1, "cn-beijing-elastic": 2,
                        "cn-beijing-serverless": 3, "cn-hangzhou-serverless": 3, "cn-zhangjiakou-serverless": 3}


def test_elastic_tier_is_capacity_up_to_max_size(prod_raw):
    """llm-pretrain (24 CPU, 160 GiB, 1 GPU) after the IDC's 16 free GPUs and cn-beijing's 8 fixed slots:
    the elastic pool's smallest type, gn7i-c32g1.8xlarge (32 vCPU, 188 GiB, 1 A10), hosts one replica per
    node (by hand: 188 GiB - 10.6 GiB reserved - 1 GiB DaemonSets leaves room for one 160 GiB pod), times
    maxSize 8 -> 8 replicas on nodes that do not exist yet, placed before Serverless."""
    out = plan_placement(load(prod_raw)).output()["llm-pretrain"]
    assert out["capacity"]["cn-beijing-elastic"] == 8
    assert out["assignments"]["cn-beijing-elastic"] == 8
    serverless = sum(v for k, v in out["assignments"].items() if k.endswith("-serverless"))
    assert serverless == 48 - 16 - 8 - 8
    # raising maxSize raises the tier's capacity; the smallest type bounds it, not the first listed
    pool = prod_raw["regions"][0]["elasticPools"][0]
    pool["maxSize"] = 10
    pool["instanceTypes"] = ["ecs.gn7i-c48g1.12xlarge", "ecs.gn7i-c16g1.4xlarge"]  # c16g1: 16 vCPU, too small for 24 CPU
    out = plan_placement(load(prod_raw)).output()["llm-pretrain"]
    assert out["capacity"]["cn-beijing-elastic"] == 0
    pool["instanceTypes"] = ["ecs.gn7i-c48g1.12xlarge"]
    out = plan_placement(load(prod_raw)).output()["llm-pretrain"]
    assert out["capacity"]["cn-beijing-elastic"] == 10


def test_system_reservation():
    assert reserved_cpu_millicores(1) == 60 and reserved_cpu_millicores(4) == 80 and reserved_cpu_millicores(32) == 150
    assert reserved_memory_bytes(4) == 2**30 + 100 * 2**20
    # A gn7e 4xA100 node hosts 2 replicas of 24 CPU / 160Gi / 1 GPU: CPU binds, not GPUs.
    node = node_of(KNOWN["ecs.gn7e-c16g1.16xlarge"])
    from hybrid.placement_capacity import NodeCapacity
    assert NodeCapacity((node,)).replicas_for(normalise_request({"cpu": "24", "memory": "160Gi", "nvidia.com/gpu": 1})) == 2


def test_prod_plan_fills_idc_then_cloud_then_serverless(prod_raw):
    out = plan_placement(load(prod_raw)).output()
    llm = out["llm-pretrain"]
    assert llm["assignments"]["idc-bj"] == 16  # all 16 free IDC GPUs
    assert llm["assignments"]["cn-beijing"] == 8  # 4 A10 nodes + 2 A100 nodes x 2
    assert sum(llm["assignments"].values()) == 48 and llm["unplaced"] == 0
    # batch-infer comes second: the IDC GPUs are gone, serverless quota is what llm-pretrain left.
    bi = out["batch-infer"]
    assert bi["assignments"]["idc-bj"] == 0
    assert bi["assignments"]["cn-hangzhou-serverless"] + llm["assignments"]["cn-hangzhou-serverless"] <= 16
    assert sum(bi["assignments"].values()) + bi["unplaced"] == 24
    # The output carries the capacity that bounds each assignment (the policy pack checks it).
    for entry in out.values():
        assert set(entry["capacity"]) == set(entry["assignments"])
        assert all(entry["assignments"][c] <= entry["capacity"][c] for c in entry["capacity"])
    assert llm["capacity"]["idc-bj"] == 16 and bi["capacity"]["idc-bj"] == 0


def test_policies(prod_raw):
    # Without a FederatedHPA the weights are the plan itself (with one: tests/test_fleet.py).
    prod_raw["placement"]["workloads"][1].pop("autoscaling")
    pols = plan_placement(load(prod_raw)).policies()
    dyn = pols["manifests/default/propagationpolicy-llm-pretrain.yaml"]["spec"]["placement"]
    assert dyn["replicaScheduling"]["weightPreference"] == {"dynamicWeight": "AvailableReplicas"}
    term = dyn["clusterAffinities"][0]
    assert term["clusterNames"] == ["idc-bj"]
    # cn-beijing-elastic is a node pool of the registered (IDC) cluster: on the Fleet it is that member,
    # already in the primary group, so no separate overflow group names it
    assert [g["affinityName"] for g in term["overflowAffinities"]] == ["cloud", "serverless"]
    static = pols["manifests/default/propagationpolicy-batch-infer.yaml"]["spec"]["placement"]
    weights = {e["targetCluster"]["clusterNames"][0]: e["weight"] for e in static["replicaScheduling"]["weightPreference"]["staticWeightList"]}
    assert sum(weights.values()) == 24 and all(v > 0 for v in weights.values())


def test_static_policy_gives_the_elastic_replicas_to_the_registered_cluster(prod_raw):
    """A static llm-pretrain: 16 IDC + 8 elastic replicas both run on the registered cluster -> weight 24 there."""
    prod_raw["placement"]["workloads"][0]["strategy"] = "static"
    plan = plan_placement(load(prod_raw))
    wp = plan.workloads[0]
    assert wp.result.assignments["idc-bj"] == 16 and wp.result.assignments["cn-beijing-elastic"] == 8
    pol = plan.policies()["manifests/default/propagationpolicy-llm-pretrain.yaml"]["spec"]["placement"]
    weights = {e["targetCluster"]["clusterNames"][0]: e["weight"] for e in pol["replicaScheduling"]["weightPreference"]["staticWeightList"]}
    assert "cn-beijing-elastic" not in weights and "cn-beijing-elastic" not in pol["clusterAffinity"]["clusterNames"]
    assert weights["idc-bj"] == wp.weight_choice.weights["idc-bj"] + wp.weight_choice.weights["cn-beijing-elastic"]
    assert sum(weights.values()) == sum(wp.weight_choice.weights.values())


def test_previous_on_modelled_cluster_is_deducted(dev_raw):
    """Hand-computed: dev's cn-beijing pool is one ecs.gn7i-c8g1.2xlarge (8 vCPU, 30 GiB,
    1 A10), so it hosts exactly one replica of 6 CPU / 24Gi / 1 GPU; the Serverless quota
    is 8. Replicas already running on a modelled cluster use that room up."""
    fresh = plan_placement(load(dev_raw)).output()["finetune-7b"]
    assert fresh["capacity"]["cn-beijing"] == 1 and fresh["capacity"]["cn-beijing-serverless"] == 8
    dev_raw["placement"]["workloads"][0]["previous"] = {"cn-beijing": 1, "cn-beijing-serverless": 3}
    out = plan_placement(load(dev_raw)).output()["finetune-7b"]
    assert out["capacity"]["cn-beijing"] == 0  # the one slot holds the running replica
    assert out["capacity"]["cn-beijing-serverless"] == 5  # 8 - 3 running
    assert out["assignments"]["cn-beijing"] >= 1  # the running replica is kept
    assert sum(out["assignments"].values()) + out["unplaced"] == 6


def test_unknown_weight_cluster_and_serverless_region_are_named(prod_raw):
    prod_raw["placement"]["workloads"][1]["weights"]["idc-sh"] = 1
    with pytest.raises(ConfigError) as err:
        plan_placement(load(prod_raw))
    assert [i.path for i in err.value.issues] == ["placement.workloads[1].weights.idc-sh"]
    prod_raw["placement"]["workloads"][1]["weights"].pop("idc-sh")
    prod_raw["placement"]["serverlessReplicas"]["ap-southeast-1"] = 4
    with pytest.raises(ConfigError) as err:
        plan_placement(load(prod_raw))
    assert [i.path for i in err.value.issues] == ["placement.serverlessReplicas.ap-southeast-1"]


def test_model_rejects_bad_quantities_and_pending(prod_raw):
    bad = prod_raw["placement"]["workloads"]
    bad[0]["request"]["memory"] = "160Gb"
    with pytest.raises(ConfigError) as err:
        load(prod_raw)
    assert [i.path for i in err.value.issues] == ["placement.workloads[0].request.memory"]
    bad[0]["request"]["memory"] = "160Gi"
    bad[0]["pending"] = {"idc-bj": 2}
    with pytest.raises(ConfigError) as err:
        load(prod_raw)
    assert [i.path for i in err.value.issues] == ["placement.workloads[0]"]
    assert "pending[idc-bj] = 2" in err.value.issues[0].message


def test_reservation_tiers_by_hand():
    # CPU: 60m for core 1, 10m for core 2, 5m each for cores 3-4, 2.5m each above (rounded up).
    assert [reserved_cpu_millicores(n) for n in (2, 3, 5, 8)] == [70, 75, 83, 90]
    # Memory: 25% of 4 GiB, 20% of the next 4, 10% of the next 8, 6% of the next 112, 2% above, + 100 MiB.
    mib = 2**20
    for gib, want_mib in ((8, 1024 + 819.2 + 100), (16, 1024 + 819.2 + 819.2 + 100),
                          (128, 2662.4 + 6881.28 + 100), (256, 2662.4 + 6881.28 + 2621.44 + 100)):
        assert abs(reserved_memory_bytes(gib) - want_mib * mib) < 4, gib


def test_node_of_subtracts_the_reservation():
    node = node_of(KNOWN["ecs.gn7i-c8g1.2xlarge"])  # 8 vCPU, 30 GiB, 1 GPU
    alloc = node.allocatable
    assert alloc["cpu"] == "7910m"  # 8000m - 90m
    assert alloc["memory"] == 30 * 2**30 - reserved_memory_bytes(30) and alloc["pods"] == 110


def test_observed_idc_is_not_deducted_and_pending_replicas_are_not_running(dev_raw):
    # IDC figures are observed (they already contain what runs there); a pending replica
    # is placed but not running yet, so only previous - pending uses modelled room.
    dev_raw["placement"]["workloads"][0]["previous"] = {"idc-bj-dev": 2, "cn-beijing-serverless": 3}
    dev_raw["placement"]["workloads"][0]["pending"] = {"cn-beijing-serverless": 1}
    out = plan_placement(load(dev_raw)).output()["finetune-7b"]
    assert out["capacity"]["idc-bj-dev"] == 4 and out["capacity"]["cn-beijing-serverless"] == 6


def test_a_second_workload_sees_what_the_first_left(dev_raw):
    # finetune-7b takes idc 4, cn-beijing 1, Serverless 1 (see the fresh dev case above).
    first = dict(dev_raw["placement"]["workloads"][0])
    dev_raw["placement"]["workloads"].append({**first, "name": "finetune-7b-b"})
    out = plan_placement(load(dev_raw)).output()
    assert out["finetune-7b"]["assignments"] == {"cn-beijing": 1, "cn-beijing-serverless": 1, "idc-bj-dev": 4}
    assert out["finetune-7b-b"]["capacity"] == {"cn-beijing": 0, "cn-beijing-serverless": 7, "idc-bj-dev": 0}
