"""Placement of the stack's workloads: clusters from the model, outputs, PropagationPolicies."""

from __future__ import annotations

import pytest

from hybrid.errors import ConfigError
from hybrid.instance_types import KNOWN
from hybrid.model import load
from hybrid.placement_capacity import normalise_request
from hybrid.placement_platform import fleet_clusters, node_of, plan_placement, reserved_cpu_millicores, reserved_memory_bytes


def test_prod_clusters_and_tiers(placement_raw):
    clusters = {c.name: c.tier for c in fleet_clusters(load(placement_raw))}
    # tiers 0-3 are inside the hybrid (IDC) cluster; only the other ACK clusters are members (tier 4)
    assert clusters == {"idc-bj": 0, "cn-beijing": 1, "cn-hangzhou": 1, "cn-zhangjiakou": 1, "cn-beijing-elastic": 2,
                        "cn-beijing-serverless": 3, "cn-hangzhou-serverless": 3, "cn-zhangjiakou-serverless": 3,
                        "ack-sh-infer": 4, "ack-wlcb-train": 4}
    hosts = {c.name: c.host for c in fleet_clusters(load(placement_raw))}
    assert {h for n, h in hosts.items() if not n.startswith("ack-")} == {"idc-bj"}


def test_elastic_tier_counts_existing_nodes_when_a_virtual_node_takes_pending_pods(placement_raw):
    """prod has Serverless tiers: a pod that tolerates the virtual node never stays Pending, so
    cluster-autoscaler adds no elastic node for it; the tier counts its minSize (0) nodes only."""
    out = plan_placement(load(placement_raw)).output()["divided-train"]
    assert out["capacity"]["cn-beijing-elastic"] == 0 and out["assignments"]["cn-beijing-elastic"] == 0
    placement_raw["regions"][0]["elasticPools"][0]["minSize"] = 2
    out = plan_placement(load(placement_raw)).output()["divided-train"]
    assert out["capacity"]["cn-beijing-elastic"] == 2  # one replica per node (see below), 2 nodes exist


def test_elastic_tier_is_capacity_up_to_max_size(placement_raw):
    """Without Serverless tiers (pods can stay Pending and make the autoscaler add nodes): divided-train (24 CPU, 160 GiB, 1 GPU) after the IDC's 16 free GPUs and cn-beijing's 8 fixed slots:
    the elastic pool's smallest type, gn7i-c32g1.8xlarge (32 vCPU, 188 GiB, 1 A10), hosts one replica per
    node (by hand: 188 GiB - 10.6 GiB reserved - 1 GiB DaemonSets leaves room for one 160 GiB pod), times
    maxSize 8 -> 8 replicas on nodes that do not exist yet, placed before the other Fleet members."""
    placement_raw["placement"]["serverlessReplicas"] = {}
    for w in placement_raw["placement"]["workloads"]:
        w["weights"] = {k: v for k, v in w.get("weights", {}).items() if not k.endswith("-serverless")}
    out = plan_placement(load(placement_raw)).output()["divided-train"]
    assert out["capacity"]["cn-beijing-elastic"] == 8
    assert out["assignments"]["cn-beijing-elastic"] == 8
    assert out["assignments"]["ack-sh-infer"] + out["assignments"]["ack-wlcb-train"] == 48 - 16 - 8 - 8
    # raising maxSize raises the tier's capacity; the smallest type bounds it, not the first listed
    pool = placement_raw["regions"][0]["elasticPools"][0]
    pool["maxSize"] = 10
    pool["instanceTypes"] = ["ecs.gn7i-c48g1.12xlarge", "ecs.gn7i-c16g1.4xlarge"]  # c16g1: 16 vCPU, too small for 24 CPU
    out = plan_placement(load(placement_raw)).output()["divided-train"]
    assert out["capacity"]["cn-beijing-elastic"] == 0
    pool["instanceTypes"] = ["ecs.gn7i-c48g1.12xlarge"]
    out = plan_placement(load(placement_raw)).output()["divided-train"]
    assert out["capacity"]["cn-beijing-elastic"] == 10


def test_system_reservation():
    assert reserved_cpu_millicores(1) == 60 and reserved_cpu_millicores(4) == 80 and reserved_cpu_millicores(32) == 150
    assert reserved_memory_bytes(4) == 2**30 + 100 * 2**20
    # A gn7e 4xA100 node hosts 2 replicas of 24 CPU / 160Gi / 1 GPU: CPU binds, not GPUs.
    node = node_of(KNOWN["ecs.gn7e-c16g1.16xlarge"])
    from hybrid.placement_capacity import NodeCapacity
    assert NodeCapacity((node,)).replicas_for(normalise_request({"cpu": "24", "memory": "160Gi", "nvidia.com/gpu": 1})) == 2


def test_prod_plan_fills_idc_then_cloud_then_serverless(placement_raw):
    out = plan_placement(load(placement_raw)).output()
    llm = out["divided-train"]
    assert llm["assignments"]["idc-bj"] == 16  # all 16 free IDC GPUs
    assert llm["assignments"]["cn-beijing"] == 8  # 4 A10 nodes + 2 A100 nodes x 2
    assert sum(llm["assignments"].values()) == 48 and llm["unplaced"] == 0
    # Serverless (64 quota) takes the rest before any other Fleet member
    assert sum(v for k, v in llm["assignments"].items() if k.endswith("-serverless")) == 48 - 16 - 8
    assert llm["assignments"]["ack-sh-infer"] == llm["assignments"]["ack-wlcb-train"] == 0
    # batch-infer comes second: the IDC GPUs are gone, serverless quota is what divided-train left.
    bi = out["batch-infer"]
    assert bi["assignments"]["idc-bj"] == 0
    assert bi["assignments"]["cn-hangzhou-serverless"] + llm["assignments"]["cn-hangzhou-serverless"] <= 16
    assert sum(bi["assignments"].values()) + bi["unplaced"] == 24
    # The output carries the capacity that bounds each assignment (the policy pack checks it).
    for entry in out.values():
        assert set(entry["capacity"]) == set(entry["assignments"])
        assert all(entry["assignments"][c] <= entry["capacity"][c] for c in entry["capacity"])
    assert llm["capacity"]["idc-bj"] == 16 and bi["capacity"]["idc-bj"] == 0


def test_policies_name_fleet_members_only(placement_raw):
    # Without a FederatedHPA the weights are the plan itself (with one: tests/test_fleet.py).
    placement_raw["placement"]["workloads"][1].pop("autoscaling")
    pp = plan_placement(load(placement_raw))
    pols = pp.policies()
    dyn = pols["manifests/default/propagationpolicy-divided-train.yaml"]["spec"]
    assert dyn["placement"]["replicaScheduling"]["weightPreference"] == {"dynamicWeight": "AvailableReplicas"}
    assert dyn["autoScaling"] == {"ecsProvision": True}
    named = {n for t in dyn["placement"]["clusterAffinities"] for n in t["clusterNames"]}
    assert named == {"idc-bj", "ack-sh-infer", "ack-wlcb-train"}  # never a region or a tier
    static = pols["manifests/default/propagationpolicy-batch-infer.yaml"]["spec"]["placement"]
    weights = {e["targetCluster"]["clusterNames"][0]: e["weight"] for e in static["replicaScheduling"]["weightPreference"]["staticWeightList"]}
    # batch-infer at 24: every replica inside the hybrid cluster (cloud pools + Serverless), one member weight
    assert weights == {"idc-bj": 24}
    cpp = pols["manifests/cluster/clusterpropagationpolicy-hybrid-gpu-priority-classes.yaml"]["spec"]["placement"]
    assert cpp["clusterAffinity"]["clusterNames"] == ["idc-bj", "ack-sh-infer", "ack-wlcb-train"]


def test_static_weights_sum_the_hybrid_tiers_into_one_member(placement_raw):
    """A static divided-train at 48: 16 IDC + 8 cn-beijing + 24 Serverless replicas all run in the
    hybrid cluster -> one weight of 48 there; at 120 (by hand: 16 + 8 + 64 Serverless = 88 in the
    hybrid cluster, 12 + 16 on the members, 4 unplaced) the members appear."""
    w = placement_raw["placement"]["workloads"][0]
    w["strategy"] = "static"
    w.pop("autoscaling")
    plan = plan_placement(load(placement_raw))
    assert plan.workloads[0].weight_choice.weights == {"idc-bj": 48}
    w["replicas"] = 120
    w["weights"] = {}
    placement_raw["placement"]["workloads"] = [w]
    plan = plan_placement(load(placement_raw))
    wp = plan.workloads[0]
    assert wp.by_member(wp.result.assignments, "idc-bj") == {"idc-bj": 88, "ack-sh-infer": 12, "ack-wlcb-train": 16}
    assert wp.result.unplaced == 4


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


def test_unknown_weight_cluster_and_serverless_region_are_named(placement_raw):
    placement_raw["placement"]["workloads"][1]["weights"]["idc-sh"] = 1
    with pytest.raises(ConfigError) as err:
        plan_placement(load(placement_raw))
    assert [i.path for i in err.value.issues] == ["placement.workloads[1].weights.idc-sh"]
    # previous / pending may name a cluster that left: its replicas are placed again
    placement_raw["placement"]["workloads"][1]["weights"].pop("idc-sh")
    placement_raw["placement"]["workloads"][1]["previous"] = {"cn-shanghai": 2}
    placement_raw["placement"]["workloads"][1]["pending"] = {"cn-shanghai": 1}
    assert sum(plan_placement(load(placement_raw)).output()["batch-infer"]["assignments"].values()) == 24
    placement_raw["placement"]["workloads"][1]["previous"] = {}
    placement_raw["placement"]["workloads"][1]["pending"] = {}
    placement_raw["placement"]["serverlessReplicas"]["ap-southeast-1"] = 4
    with pytest.raises(ConfigError) as err:
        plan_placement(load(placement_raw))
    assert [i.path for i in err.value.issues] == ["placement.serverlessReplicas.ap-southeast-1"]


def test_model_rejects_bad_quantities_and_pending(placement_raw):
    bad = placement_raw["placement"]["workloads"]
    bad[0]["request"]["memory"] = "160Gb"
    with pytest.raises(ConfigError) as err:
        load(placement_raw)
    assert [i.path for i in err.value.issues] == ["placement.workloads[0].request.memory"]
    bad[0]["request"]["memory"] = "160Gi"
    bad[0]["pending"] = {"idc-bj": 2}
    with pytest.raises(ConfigError) as err:
        load(placement_raw)
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
    # 30 GiB less 1,024 + 819.2 + 819.2 + 6 % of 14 GiB (860.16) + 100 MiB = 3,622.56 MiB reserved
    assert abs(alloc["memory"] - (30 * 1024 - 3622.56) * 2**20) < 4 and alloc["pods"] == 110


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


def test_tiering_patch_ranks_the_tiers_of_the_hybrid_cluster_in_order(placement_raw):
    """The patch's preferred node-affinity terms, scored as kube-scheduler's NodeAffinity plugin
    sums them (the weights of the matching terms), on nodes labelled as they join: an IDC node
    (no cloud label), a fixed-pool and an elastic-pool node (cloud label + pool label, set by the
    kubelet's --node-labels), the virtual node (type=virtual-kubelet, tainted). Every one of them
    must also admit the pod (tolerations), or the tier could never be used."""
    from hybrid.cloudinit import LABEL_POOL
    from tests.k8s_affinity import Node, placement, term_matches

    pp = plan_placement(load(placement_raw))
    patch = pp.tiering()["tiering/default/deployment-divided-train.yaml"]
    spec = patch["spec"]["template"]["spec"]
    terms = spec["affinity"]["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    pool_taint = {"key": "hybrid.example.com/cloud", "value": "true", "effect": "PreferNoSchedule"}
    nodes = {
        "idc": Node("idc-gpu-01", {"kubernetes.io/os": "linux"}),
        "cloud": Node("cloud-a10", {"alibabacloud.com/external": "true", LABEL_POOL: "a10-train"}, [pool_taint]),
        "elastic": Node("elastic-a10", {"alibabacloud.com/external": "true", LABEL_POOL: "a10-elastic"}, [pool_taint]),
        "virtual": Node("virtual-kubelet-cn-beijing-g", {"type": "virtual-kubelet"},
                        [{"key": "virtual-kubelet.io/provider", "value": "alibabacloud", "effect": "NoSchedule"}]),
    }
    score = {k: sum(t["weight"] for t in terms if term_matches(t["preference"], n)) for k, n in nodes.items()}
    assert score["idc"] > score["cloud"] > score["elastic"] > score["virtual"] == 0, score
    assert all(placement(spec, n)[0] for n in nodes.values())
    # the pools' PreferNoSchedule taint stays untolerated: it lowers cloud nodes' score, IDC-first
    assert all(t["effect"] != "PreferNoSchedule" for t in spec["tolerations"])
    # dev (no elastic pools): no elastic term, still IDC before cloud before the virtual node
    from tests.conftest import stack_raw
    dev = plan_placement(load(stack_raw("dev"))).tiering()["tiering/default/deployment-finetune-7b.yaml"]
    dev_terms = dev["spec"]["template"]["spec"]["affinity"]["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    assert [t["weight"] for t in dev_terms] == [100, 50]
