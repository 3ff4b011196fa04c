"""hybrid.placement_platform: hand-worked cases from the stack files (tiers of the one hybrid cluster).

prod (stacks/Pulumi.prod.yaml) with the divided-train workload the tests add first
(tests/conftest.py DIVIDED_WORKLOAD: 48 x {24 CPU, 160Gi, 1 GPU}, dynamic, FederatedHPA 16..112),
then prod's batch-infer (24 x {4 CPU, 16Gi, 1 GPU}, static, weights idc-bj 2, cn-hangzhou 1,
cn-zhangjiakou 1, the two -serverless 1, ack-sh-infer 1; FederatedHPA 8..32). By hand:

divided-train: the IDC has 320 - 296 - 8 = 16 free GPUs (CPU 710 cores and 7 TiB memory allow more);
cn-beijing's fixed nodes take 8 (tests/test_placement_platform.py); cn-hangzhou's T4 and
cn-zhangjiakou's nodes hold no 160Gi replica; the elastic tier counts its minSize 0 nodes (a virtual node
exists); Serverless 32 + 16 + 16 = 64, of which 48 - 16 - 8 = 24 are divided by capacity 2:1:1 ->
12 / 6 / 6. The hybrid member's AvailableReplicas: 16 + 8 + 64 = 88; ack-sh-infer 12, ack-wlcb-train 16.
At 112 (maxReplicas) the calculator fills the hybrid cluster (88) and divides 24 over the members by
capacity 12:16 -> 10.29 / 13.71 -> 10 / 14; Karmada, short in the first group, divides all 112 over
the second by 88:12:16 (Webster and largest remainder agree): 84.97 / 11.59 / 15.45 -> 85 / 12 / 15.

batch-infer, after divided-train: IDC 0; tier 1 by weight: cn-beijing weight 0, cn-hangzhou 4 and
cn-zhangjiakou 2 (their capacity); Serverless hz / zjk 10 each left (weight 1 each), beijing 0 weight;
then ack-sh-infer (weight 1). At 8: 6 + 2 = 8 in the hybrid member; at 24: 6 + 18; at 32: 6 + 20 = 26 and
6 on ack-sh-infer. Static weights {idc-bj: 24} reproduce the plan from 8 to 26 replicas; 27..32 differ
(6 counts), worst at 32: |32 - 26| + |0 - 6| = 12.
"""

from __future__ import annotations

import copy

from hybrid.cloudinit import LABEL_POOL
from hybrid.model import load
from hybrid.placement_capacity import normalise_request
from hybrid.placement_platform import plan_placement
from tests.conftest import stack_raw
from tests.k8s_affinity import Node, placement

NOTE_DYNAMIC_START = "Karmada schedules into the first group that can take every replica and divides by available replicas there"
NOTE_DYNAMIC_END = "ACK documents scale-in cloud first for its form; Karmada's own scale-down divides by the current assignment."


def _out(raw, key="divided-train"):
    return plan_placement(load(raw)).output()[key]


def test_fleet_summary_of_the_dynamic_workload_by_hand(placement_raw):
    fleet = dict(_out(placement_raw)["fleet"])
    note = fleet.pop("note")
    assert note.startswith(NOTE_DYNAMIC_START) and note.endswith(NOTE_DYNAMIC_END)
    assert "elastic at minSize" in note and "discussion 7707" in note
    assert fleet == {
        "applied": True,  # prod: registration.fleet.apply
        "apiVersion": "policy.one.alibabacloud.com/v1alpha1", "karmadaVersion": "v1.18.2",
        "replicaCounts": {"min": 16, "current": 48, "max": 112},
        "intended": {"16": {"idc-bj": 16, "ack-sh-infer": 0, "ack-wlcb-train": 0},
                     "48": {"idc-bj": 48, "ack-sh-infer": 0, "ack-wlcb-train": 0},
                     "112": {"idc-bj": 88, "ack-sh-infer": 10, "ack-wlcb-train": 14}},
        "form": "ordered clusterAffinities, dynamicWeight: AvailableReplicas, autoScaling.ecsProvision",
        "groups": {"hybrid": ["idc-bj"], "members": ["idc-bj", "ack-sh-infer", "ack-wlcb-train"]},
        "availableReplicas": {"idc-bj": 88, "ack-sh-infer": 12, "ack-wlcb-train": 16},
        "engine": {"16": {"group": "hybrid", "idc-bj": 16}, "48": {"group": "hybrid", "idc-bj": 48},
                   "112": {"group": "members", "idc-bj": 85, "ack-sh-infer": 12, "ack-wlcb-train": 15}},
    }


def test_fleet_summary_of_the_static_workload_by_hand(placement_raw):
    fleet = dict(_out(placement_raw, "batch-infer")["fleet"])
    note = fleet.pop("note")
    assert note == ("Karmada divides every replica count afresh by Webster over the static weights, ignoring tiers and "
                    "capacity; the weights are the calculator's plan at 24 replicas, the closest over the range (docs/placement.md).")
    assert fleet == {
        "applied": True, "apiVersion": "policy.one.alibabacloud.com/v1alpha1", "karmadaVersion": "v1.18.2",
        "replicaCounts": {"min": 8, "current": 24, "max": 32},
        "intended": {"8": {"idc-bj": 8, "ack-sh-infer": 0, "ack-wlcb-train": 0},
                     "24": {"idc-bj": 24, "ack-sh-infer": 0, "ack-wlcb-train": 0},
                     "32": {"idc-bj": 26, "ack-sh-infer": 6, "ack-wlcb-train": 0}},
        "form": "staticWeightList", "weights": {"idc-bj": 24},
        "weightsFromReplicas": 24, "replicaRange": [8, 32], "exactAt": "8-26", "differsAt": 6, "worstDeviation": 12,
        "engine": {"8": {"idc-bj": 8}, "24": {"idc-bj": 24}, "32": {"idc-bj": 32}},
    }


def test_a_static_plan_exact_over_its_range_has_no_note(placement_raw):
    # batch-infer without its FederatedHPA: one replica count, reproduced exactly
    placement_raw["placement"]["workloads"][1].pop("autoscaling")
    fleet = _out(placement_raw, "batch-infer")["fleet"]
    assert "note" not in fleet and fleet["replicaCounts"] == {"min": 24, "current": 24, "max": 24}
    assert fleet["engine"] == {"24": {"idc-bj": 24}}


def test_other_forms_are_named_as_emitted(placement_raw):
    raw = copy.deepcopy(placement_raw)
    raw["registration"]["fleet"].update(policyApi="karmada", overflow=True)
    assert _out(raw)["fleet"]["form"] == "overflowAffinities, dynamicWeight: AvailableReplicas"
    assert _out(raw)["fleet"]["apiVersion"] == "policy.karmada.io/v1alpha1"
    raw = copy.deepcopy(placement_raw)
    raw["placement"]["workloads"][0]["strategy"] = "aggregated"
    fleet = _out(raw)["fleet"]
    assert fleet["form"] == "ordered clusterAffinities, Aggregated, autoScaling.ecsProvision"
    assert fleet["engine"]["112"]["group"] == "members"


def test_a_fleet_without_other_members_sends_every_count_to_the_hybrid_cluster(placement_raw):
    placement_raw["registration"]["fleet"]["members"] = {}
    placement_raw["placement"]["workloads"][1]["weights"].pop("ack-sh-infer")
    fleet = _out(placement_raw)["fleet"]
    assert fleet == {"applied": True, "apiVersion": "policy.one.alibabacloud.com/v1alpha1", "karmadaVersion": "v1.18.2",
                     "replicaCounts": {"min": 16, "current": 48, "max": 112},
                     "form": "every replica to the hybrid cluster idc-bj (the Fleet's only member)",
                     "engine": {"16": {"idc-bj": 16}, "48": {"idc-bj": 48}, "112": {"idc-bj": 112}}}


# --- the hybrid member's AvailableReplicas: the nodes that exist ---------------------------------

def _without_serverless(raw):
    raw["placement"]["serverlessReplicas"] = {}
    for w in raw["placement"]["workloads"]:
        w["weights"] = {k: v for k, v in w.get("weights", {}).items() if not k.endswith("-serverless")}
    return raw


def test_available_replicas_count_existing_elastic_nodes_only(placement_raw):
    """With elastic minSize 2 (one divided-train replica per gn7i-c32g1.8xlarge node):
    - with Serverless tiers the tier is counted at minSize: 16 + 8 + 64 + 2 = 90;
    - without them the calculator may plan up to maxSize 8 there, but Karmada sees only the 2 nodes
      that exist: 16 + 8 + 2 = 26."""
    placement_raw["regions"][0]["elasticPools"][0]["minSize"] = 2
    out = _out(copy.deepcopy(placement_raw))
    assert out["capacity"]["cn-beijing-elastic"] == 2
    assert out["fleet"]["availableReplicas"] == {"idc-bj": 90, "ack-sh-infer": 12, "ack-wlcb-train": 16}
    out = _out(_without_serverless(placement_raw))
    assert out["capacity"]["cn-beijing-elastic"] == 8
    assert out["fleet"]["availableReplicas"] == {"idc-bj": 26, "ack-sh-infer": 12, "ack-wlcb-train": 16}


def test_available_replicas_without_elastic_pools(placement_raw):
    placement_raw["regions"][0]["elasticPools"] = []
    out = _out(_without_serverless(placement_raw))
    assert out["fleet"]["availableReplicas"] == {"idc-bj": 24, "ack-sh-infer": 12, "ack-wlcb-train": 16}


# --- the tiering patch inside the hybrid cluster ---------------------------------------------------

PROD_CLOUD_POOLS = ["a10-overflow", "a10-train", "a100-burst", "t4-infer"]  # sorted: prod's fixed GPU pools


def _patch(raw, key="deployment-divided-train"):
    return plan_placement(load(raw)).tiering()[f"tiering/default/{key}.yaml"]


def test_the_tiering_patch_of_prod_by_hand(placement_raw):
    assert _patch(placement_raw) == {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "divided-train", "namespace": "default",
                     "annotations": {"placement.hybrid-gpu.io/tiers": "idc,cloud,serverless"}},
        "spec": {"template": {"spec": {
            "affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 100, "preference": {"matchExpressions": [
                    {"key": "alibabacloud.com/external", "operator": "DoesNotExist"},
                    {"key": "type", "operator": "NotIn", "values": ["virtual-kubelet"]}]}},
                {"weight": 50, "preference": {"matchExpressions": [{"key": LABEL_POOL, "operator": "In", "values": PROD_CLOUD_POOLS}]}},
                {"weight": 10, "preference": {"matchExpressions": [{"key": LABEL_POOL, "operator": "In", "values": ["a10-elastic"]}]}},
            ]}},
            # prod's pools taint PreferNoSchedule only: the virtual node's taint is the one to tolerate
            "tolerations": [{"key": "virtual-kubelet.io/provider", "operator": "Exists", "effect": "NoSchedule"}],
        }}},
    }


def test_blocking_pool_taints_are_tolerated_and_the_pods_admitted(placement_raw):
    pools = placement_raw["regions"][0]
    pools["gpuPools"][0]["taints"] = [{"key": "dedicated", "value": "train", "effect": "NoSchedule"},
                                      {"key": "hybrid.example.com/cloud", "value": "true", "effect": "PreferNoSchedule"}]
    pools["elasticPools"][0]["taints"] = [{"key": "burst", "value": "yes", "effect": "NoExecute"}]
    spec = _patch(placement_raw)["spec"]["template"]["spec"]
    assert spec["tolerations"] == [
        {"key": "burst", "operator": "Equal", "value": "yes", "effect": "NoExecute"},
        {"key": "dedicated", "operator": "Equal", "value": "train", "effect": "NoSchedule"},
        {"key": "virtual-kubelet.io/provider", "operator": "Exists", "effect": "NoSchedule"},
    ]
    # kube-scheduler's TaintToleration filter (tests/k8s_affinity.py) admits the pod on each tier's node
    train = Node("a10-train-1", {LABEL_POOL: "a10-train"}, pools["gpuPools"][0]["taints"])
    burst = Node("a10-elastic-1", {LABEL_POOL: "a10-elastic"}, pools["elasticPools"][0]["taints"])
    assert placement(spec, train)[0] and placement(spec, burst)[0]
    assert not placement(spec, Node("other", {}, [{"key": "dedicated", "value": "infer", "effect": "NoSchedule"}]))[0]


def test_without_serverless_or_blocking_taints_no_toleration_is_written(placement_raw):
    patch = _patch(_without_serverless(placement_raw))
    assert "tolerations" not in patch["spec"]["template"]["spec"]
    assert patch["metadata"]["annotations"] == {"placement.hybrid-gpu.io/tiers": "idc,cloud,elastic"}


def test_the_tiers_annotation_lists_tiers_that_can_host_the_workload(placement_raw, dev_raw):
    # batch-infer alone, elastic minSize 2: the elastic tier has room (2 nodes, one replica each) though
    # unweighted, so nothing is assigned there; it can still host the workload
    placement_raw["regions"][0]["elasticPools"][0]["minSize"] = 2
    placement_raw["placement"]["workloads"] = placement_raw["placement"]["workloads"][1:]
    out = _out(copy.deepcopy(placement_raw), "batch-infer")
    assert (out["capacity"]["cn-beijing-elastic"], out["assignments"]["cn-beijing-elastic"]) == (2, 0)
    patch = _patch(placement_raw, "deployment-batch-infer")
    assert patch["metadata"]["annotations"] == {"placement.hybrid-gpu.io/tiers": "idc,cloud,elastic,serverless"}
    # dev: one running replica holds cn-beijing's only slot (capacity 0, 1 kept): cloud still hosts it;
    # a workload the IDC cannot host still lists the IDC first
    dev_raw["placement"]["workloads"][0]["previous"] = {"cn-beijing": 1}
    dev_raw["placement"]["idcCapacity"]["allocated"] = dict(dev_raw["placement"]["idcCapacity"]["allocatable"])
    out = _out(copy.deepcopy(dev_raw), "finetune-7b")
    assert (out["capacity"]["cn-beijing"], out["assignments"]["cn-beijing"], out["capacity"]["idc-bj-dev"]) == (0, 1, 0)
    patch = _patch(dev_raw, "deployment-finetune-7b")
    assert patch["metadata"]["annotations"] == {"placement.hybrid-gpu.io/tiers": "idc,cloud,serverless"}


def test_a_statefulset_in_its_namespace_is_patched_as_such(placement_raw):
    w = placement_raw["placement"]["workloads"][0]
    w.update(kind="StatefulSet", namespace="training")
    pp = plan_placement(load(placement_raw))
    patch = pp.tiering()["tiering/training/statefulset-divided-train.yaml"]
    assert (patch["apiVersion"], patch["kind"], patch["metadata"]["name"], patch["metadata"]["namespace"]) == (
        "apps/v1", "StatefulSet", "divided-train", "training")
    summary = pp.output()["training/divided-train"]["hybridCluster"]
    assert summary["mechanisms"][0].endswith("tiering/training/statefulset-divided-train.yaml")


# --- the stack output per workload ---------------------------------------------------------------

def test_the_output_of_both_workloads_by_hand(placement_raw):
    pp = plan_placement(load(placement_raw))
    out = pp.output()
    assert list(out) == ["divided-train", "batch-infer"]  # declared order
    dt, bi = out["divided-train"], out["batch-infer"]
    assert dt["strategy"] == "dynamic" and bi["strategy"] == "static"
    # dynamic: every cluster weighs its capacity; tier 3 is divided 32:16:16 -> 12 / 6 / 6
    assert dt["assignments"] == {"idc-bj": 16, "cn-beijing": 8, "cn-hangzhou": 0, "cn-zhangjiakou": 0, "cn-beijing-elastic": 0,
                                 "cn-beijing-serverless": 12, "cn-hangzhou-serverless": 6, "cn-zhangjiakou-serverless": 6,
                                 "ack-sh-infer": 0, "ack-wlcb-train": 0}
    assert dt["weights"] == dt["capacity"]
    assert dt["hybridCluster"]["tiers"] == {k: v for k, v in dt["assignments"].items() if not k.startswith("ack-")}
    # static: the configured weights, unlisted clusters 0
    assert bi["weights"] == {"idc-bj": 2, "cn-beijing": 0, "cn-hangzhou": 1, "cn-zhangjiakou": 1, "cn-beijing-elastic": 0,
                             "cn-beijing-serverless": 0, "cn-hangzhou-serverless": 1, "cn-zhangjiakou-serverless": 1,
                             "ack-sh-infer": 1, "ack-wlcb-train": 0}
    assert bi["assignments"]["cn-hangzhou"] + bi["assignments"]["cn-zhangjiakou"] == 6 and bi["unplaced"] == 0
    assert dt["fleet"]["applied"] is True
    placement_raw["registration"]["fleet"]["apply"] = False
    assert plan_placement(load(placement_raw)).output()["divided-train"]["fleet"]["applied"] is False


CAVEATS = ("preferences are scores, not a fill order", "scale-in is not in reverse tier order",
           "ACK's ResourcePolicy (ordered units, reverse scale-in) runs on ACK's scheduler")
NODE_AFFINITY = ("preferred nodeAffinity by tier (idc 100, cloud pools 50, elastic pools 10, virtual node 0): "
                 "tiering/default/deployment-divided-train.yaml")


def _summary(raw):
    return _out(raw)["hybridCluster"]


def test_in_cluster_summary_with_a_virtual_node(placement_raw):
    s = _summary(placement_raw)
    assert s["mechanisms"] == [NODE_AFFINITY, "tolerations for the pools' blocking taints and the virtual node"]
    assert [c.startswith(p) for c, p in zip(s["notGuaranteed"], CAVEATS)] == [True, True, True]
    assert len(s["notGuaranteed"]) == 4 and s["notGuaranteed"][3].startswith("elastic pools grow only for Pending pods")


def test_in_cluster_summary_without_serverless(placement_raw):
    raw = _without_serverless(copy.deepcopy(placement_raw))
    s = _summary(raw)
    assert s["mechanisms"] == [NODE_AFFINITY]  # prod's pool taints are PreferNoSchedule: nothing to tolerate
    assert len(s["notGuaranteed"]) == 3 and all(c.startswith(p) for c, p in zip(s["notGuaranteed"], CAVEATS))
    raw["regions"][0]["gpuPools"][0]["taints"].append({"key": "dedicated", "value": "train", "effect": "NoSchedule"})
    assert _summary(raw)["mechanisms"] == [NODE_AFFINITY, "tolerations for the pools' blocking taints"]


# --- the PropagationPolicy, form by form ---------------------------------------------------------

SH, WLCB = "c5e7a9b1d3f5a7c9e1b3d5f7a9c1e3b5d", "c6f8b0c2e4a6b8d0f2c4e6a8b0d2f4a6c"  # prod's member clusterIds


def _policy(raw, name="divided-train", names=None):
    docs = plan_placement(load(raw)).objects(names)
    return next(d for d in docs if d["kind"] == "PropagationPolicy" and d["metadata"]["name"] == name)


def test_the_dynamic_policy_of_prod_by_hand(placement_raw):
    """ACK's IDC-first form (Alibaba Cloud help, "Elastic scheduling with multi-cluster priorities"),
    with the members named by their cluster ids as the Fleet knows them."""
    pol = _policy(placement_raw, names={"ack-sh-infer": SH, "ack-wlcb-train": WLCB})
    assert pol == {
        "apiVersion": "policy.one.alibabacloud.com/v1alpha1", "kind": "PropagationPolicy",
        "metadata": {"name": "divided-train", "namespace": "default",
                     "labels": {"app.kubernetes.io/managed-by": "pulumi", "placement.hybrid-gpu.io/strategy": "dynamic"},
                     "annotations": {
                         # the non-zero assignments, sorted (see the module doc above)
                         "placement.hybrid-gpu.io/assignments": '{"cn-beijing": 8, "cn-beijing-serverless": 12, '
                         '"cn-hangzhou-serverless": 6, "cn-zhangjiakou-serverless": 6, "idc-bj": 16}',
                         "placement.hybrid-gpu.io/unplaced": "0"}},
        "spec": {
            "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "divided-train", "namespace": "default"}],
            "placement": {
                "clusterAffinities": [{"affinityName": "hybrid", "clusterNames": ["idc-bj"]},
                                      {"affinityName": "members", "clusterNames": ["idc-bj", SH, WLCB]}],
                "replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
                                      "weightPreference": {"dynamicWeight": "AvailableReplicas"}}},
            "autoScaling": {"ecsProvision": True},
        },
    }


def test_the_overflow_and_aggregated_forms(placement_raw):
    raw = copy.deepcopy(placement_raw)
    raw["registration"]["fleet"].update(policyApi="karmada", overflow=True)
    pol = _policy(raw)
    assert pol["apiVersion"] == "policy.karmada.io/v1alpha1" and "autoScaling" not in pol["spec"]
    # karmada >= v1.18: one term, the members as its overflow (the hybrid cluster is not repeated)
    assert pol["spec"]["placement"]["clusterAffinities"] == [
        {"affinityName": "hybrid", "clusterNames": ["idc-bj"],
         "overflowAffinities": [{"affinityName": "members", "clusterNames": ["ack-sh-infer", "ack-wlcb-train"]}]}]
    raw = copy.deepcopy(placement_raw)
    raw["placement"]["workloads"][0]["strategy"] = "aggregated"
    pol = _policy(raw)
    assert pol["spec"]["placement"]["replicaScheduling"] == {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Aggregated"}
    assert pol["metadata"]["labels"]["placement.hybrid-gpu.io/strategy"] == "aggregated"
    assert [a["affinityName"] for a in pol["spec"]["placement"]["clusterAffinities"]] == ["hybrid", "members"]


def test_the_static_policy_lists_members_with_weight_hybrid_first(placement_raw):
    # batch-infer at 32 without a FederatedHPA: the plan (26 in the hybrid cluster, 6 on ack-sh-infer) is the weights
    w = placement_raw["placement"]["workloads"][1]
    w.pop("autoscaling")
    w["replicas"] = 32
    pol = _policy(placement_raw, "batch-infer", names={"idc-bj": "c-idc", "ack-sh-infer": SH})
    assert pol["spec"]["placement"] == {
        "clusterAffinity": {"clusterNames": ["c-idc", SH]},
        "replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
                              "weightPreference": {"staticWeightList": [
                                  {"targetCluster": {"clusterNames": ["c-idc"]}, "weight": 26},
                                  {"targetCluster": {"clusterNames": [SH]}, "weight": 6}]}}}
    assert pol["metadata"]["annotations"]["placement.hybrid-gpu.io/unplaced"] == "0"


def test_without_other_members_the_policy_names_the_hybrid_cluster_alone(placement_raw):
    placement_raw["registration"]["fleet"]["members"] = {}
    placement_raw["placement"]["workloads"][1]["weights"].pop("ack-sh-infer")
    for name in ("divided-train", "batch-infer"):
        pol = _policy(placement_raw, name)
        assert pol["spec"]["placement"] == {
            "clusterAffinity": {"clusterNames": ["idc-bj"]},
            "replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
                                  "weightPreference": {"staticWeightList": [{"targetCluster": {"clusterNames": ["idc-bj"]}, "weight": 1}]}}}


def test_unplaced_replicas_are_annotated(placement_raw):
    # divided-train at 112 without its FederatedHPA: 88 in the hybrid cluster + 28 members = 116 >= 112;
    # at 120: 4 unplaced (tests/test_placement_platform.py)
    w = placement_raw["placement"]["workloads"][0]
    w.pop("autoscaling")
    w["replicas"] = 120
    placement_raw["placement"]["workloads"] = [w]
    assert _policy(placement_raw)["metadata"]["annotations"]["placement.hybrid-gpu.io/unplaced"] == "4"


def test_objects_and_their_files(placement_raw):
    pp = plan_placement(load(placement_raw))
    kinds = [(d["kind"], d["metadata"]["name"]) for d in pp.objects()]
    assert kinds == [("PropagationPolicy", "divided-train"), ("FederatedHPA", "divided-train"),
                     ("PropagationPolicy", "batch-infer"), ("FederatedHPA", "batch-infer"),
                     ("PriorityClass", "gpu-batch"), ("PriorityClass", "gpu-training"),
                     ("ClusterPropagationPolicy", "hybrid-gpu-priority-classes")]
    cpp = pp.objects({"ack-sh-infer": SH, "ack-wlcb-train": WLCB})[-1]
    assert cpp["spec"]["placement"]["clusterAffinity"]["clusterNames"] == ["idc-bj", SH, WLCB]
    assert sorted(pp.policies()) == [
        "manifests/cluster/clusterpropagationpolicy-hybrid-gpu-priority-classes.yaml",
        "manifests/cluster/priorityclass-gpu-batch.yaml", "manifests/cluster/priorityclass-gpu-training.yaml",
        "manifests/default/federatedhpa-batch-infer.yaml", "manifests/default/federatedhpa-divided-train.yaml",
        "manifests/default/propagationpolicy-batch-infer.yaml", "manifests/default/propagationpolicy-divided-train.yaml"]
    assert pp.fleet_members == ["idc-bj", "ack-sh-infer", "ack-wlcb-train"]
    # without classes: no PriorityClass and no ClusterPropagationPolicy
    for w in placement_raw["placement"]["workloads"]:
        w.pop("priority")
    assert [d["kind"] for d in plan_placement(load(placement_raw)).objects()] == [
        "PropagationPolicy", "FederatedHPA", "PropagationPolicy", "FederatedHPA"]


def test_no_fleet_no_objects(dev_raw):
    pp = plan_placement(load(dev_raw))
    assert pp.objects() == [] and pp.policies() == {}
    assert pp.output()["finetune-7b"]["fleet"] is None
    assert pp.topology.output()["fleet"] is None


def test_the_topology_output_of_prod_by_hand(placement_raw):
    out = plan_placement(load(placement_raw)).topology.output()
    assert out == {
        "hybridCluster": {
            "name": "idc-bj", "registeredAs": "idc-bj",
            "tiers": [{"name": "idc-bj", "tier": "idc"}, {"name": "cn-beijing", "tier": "cloud"},
                      {"name": "cn-hangzhou", "tier": "cloud"}, {"name": "cn-zhangjiakou", "tier": "cloud"},
                      {"name": "cn-beijing-elastic", "tier": "elastic"}, {"name": "cn-beijing-serverless", "tier": "serverless"},
                      {"name": "cn-hangzhou-serverless", "tier": "serverless"},
                      {"name": "cn-zhangjiakou-serverless", "tier": "serverless"}],
            "elasticCountedAt": "minSize"},
        "fleet": {"name": "ai-fleet", "policyApi": "ack", "karmadaVersion": "v1.18.2",
                  "members": ["idc-bj", "ack-sh-infer", "ack-wlcb-train"],
                  "memberIds": {"ack-sh-infer": SH, "ack-wlcb-train": WLCB}},
    }
    out = plan_placement(load(_without_serverless(placement_raw))).topology.output()
    assert out["hybridCluster"]["elasticCountedAt"] == "maxSize"


# --- refusals: field, message and fix ------------------------------------------------------------

def _refused(raw):
    from hybrid.errors import ConfigError

    try:
        plan_placement(load(raw))
    except ConfigError as err:
        return [(i.path, i.message, i.fix) for i in err.issues]
    raise AssertionError("accepted")


def test_a_member_may_not_take_a_name_of_the_hybrid_cluster(placement_raw):
    placement_raw["registration"]["clusterName"] = "idc-bj-reg"
    placement_raw["registration"]["fleet"]["members"]["idc-bj-reg"] = {"clusterId": "c0123456789abcdef", "availableReplicas": 4}
    assert _refused(placement_raw) == [(
        "registration.fleet.members.idc-bj-reg",
        "'idc-bj-reg' is the IDC cluster, always a member, not another cluster: the IDC cluster's Fleet member already counts its nodes.",
        "drop the entry (tiers inside the hybrid cluster need no member), or name the other ACK cluster differently.")]


def test_one_member_entry_per_ack_cluster(placement_raw):
    members = placement_raw["registration"]["fleet"]["members"]
    members["ack-sh-again"] = dict(members["ack-sh-infer"])
    assert _refused(placement_raw) == [("registration.fleet.members.ack-sh-infer.clusterId",
                                        f"{SH} is already member 'ack-sh-again'.", "give each ACK cluster one member entry.")]


def test_a_serverless_quota_needs_a_virtual_node_region(placement_raw):
    placement_raw["placement"]["serverlessReplicas"]["ap-southeast-1"] = 4
    assert _refused(placement_raw) == [(
        "placement.serverlessReplicas.ap-southeast-1",
        "ap-southeast-1 is not a virtual-node region, so no Serverless pod can run there.",
        "add the region to virtualNode.regions (with virtualNode.enabled: true) or drop this entry.")]


def test_an_unknown_weight_names_the_clusters_of_the_stack(dev_raw):
    dev_raw["placement"]["workloads"][0]["weights"] = {"idc-sh": 1, "idc-bj-dev": 1}
    assert _refused(dev_raw) == [("placement.workloads[0].weights.idc-sh", "'idc-sh' is not a cluster of this stack.",
                                  "use one of ['cn-beijing', 'cn-beijing-serverless', 'idc-bj-dev'].")]


def test_an_empty_request_against_an_idc_without_a_pods_figure_is_unbounded(dev_raw):
    cap = dev_raw["placement"]["idcCapacity"]
    cap["allocatable"].pop("pods")
    cap["allocated"].pop("pods")
    dev_raw["placement"]["workloads"][0]["request"] = {}
    [(path, message, fix)] = _refused(dev_raw)
    assert (path, fix) == ("placement.workloads[0].request", "request at least cpu, memory or nvidia.com/gpu.")
    assert message.startswith("capacity is unbounded: ") and message.endswith(".")


def test_an_idc_without_figures_offers_nothing(dev_raw):
    dev_raw["placement"].pop("idcCapacity")
    out = plan_placement(load(dev_raw)).output()["finetune-7b"]
    assert out["capacity"]["idc-bj-dev"] == 0 and out["assignments"]["idc-bj-dev"] == 0


def test_kept_replicas_are_deducted_once(dev_raw):
    """dev (one A10 node on cn-beijing, Serverless quota 8, 4 free IDC GPUs): finetune-7b runs 3 replicas
    on Serverless and keeps them (3 of the quota used), then fills 3 in the IDC. A copy placed after it
    sees 1 IDC GPU, the A10 node, and 8 - 3 = 5 Serverless slots: the kept 3 are not taken twice."""
    w = dev_raw["placement"]["workloads"][0]
    second = {**copy.deepcopy(w), "name": "second"}
    w["previous"] = {"cn-beijing-serverless": 3}
    dev_raw["placement"]["workloads"].append(second)
    out = plan_placement(load(dev_raw)).output()
    assert out["finetune-7b"]["assignments"] == {"idc-bj-dev": 3, "cn-beijing": 0, "cn-beijing-serverless": 3}
    assert out["second"]["capacity"] == {"idc-bj-dev": 1, "cn-beijing": 1, "cn-beijing-serverless": 5}
    assert out["second"]["assignments"] == {"idc-bj-dev": 1, "cn-beijing": 1, "cn-beijing-serverless": 4}


def test_a_members_reported_figure_already_holds_what_runs_there(placement_raw):
    # ack-sh-infer reports 12 available: 5 replicas it runs today are inside that figure, not taken again
    placement_raw["placement"]["workloads"][0]["previous"] = {"ack-sh-infer": 5}
    assert _out(placement_raw)["capacity"]["ack-sh-infer"] == 12


def test_every_cluster_with_its_tier_host_and_kind_of_figures(placement_raw):
    from hybrid.placement_platform import fleet_clusters

    got = {c.name: (c.tier, c.host, c.observed) for c in fleet_clusters(load(placement_raw))}
    # tiers 0-3 live in the hybrid cluster idc-bj; a member is its own host. Observed: the IDC's and the
    # members' figures are reported (they hold what runs there); the modelled tiers start empty.
    assert got == {
        "idc-bj": (0, "idc-bj", True),
        "cn-beijing": (1, "idc-bj", False), "cn-hangzhou": (1, "idc-bj", False), "cn-zhangjiakou": (1, "idc-bj", False),
        "cn-beijing-elastic": (2, "idc-bj", False),
        "cn-beijing-serverless": (3, "idc-bj", False), "cn-hangzhou-serverless": (3, "idc-bj", False),
        "cn-zhangjiakou-serverless": (3, "idc-bj", False),
        "ack-sh-infer": (4, "ack-sh-infer", True), "ack-wlcb-train": (4, "ack-wlcb-train", True),
    }
    assert list(got) == ["idc-bj", "cn-beijing", "cn-hangzhou", "cn-zhangjiakou", "cn-beijing-elastic",
                         "cn-beijing-serverless", "cn-hangzhou-serverless", "cn-zhangjiakou-serverless",
                         "ack-sh-infer", "ack-wlcb-train"]


def test_a_disabled_virtual_node_offers_no_serverless_tier(placement_raw):
    placement_raw["virtualNode"]["enabled"] = False
    paths = [p for p, _, _ in _refused(placement_raw)]
    assert paths == ["placement.serverlessReplicas.cn-beijing", "placement.serverlessReplicas.cn-hangzhou",
                     "placement.serverlessReplicas.cn-zhangjiakou"]


def test_each_name_of_the_hybrid_cluster_is_refused_as_a_member_with_what_it_is(placement_raw):
    for name, what in [("cn-hangzhou", "a region whose pools join the hybrid cluster"),
                       ("cn-zhangjiakou-elastic", "an elastic tier of the hybrid cluster"),
                       ("cn-hangzhou-serverless", "a Serverless tier of the hybrid cluster"),
                       ("idc-bj", "the IDC cluster, always a member")]:
        raw = copy.deepcopy(placement_raw)
        raw["registration"]["fleet"]["members"][name] = {"clusterId": "c0123456789abcdef", "availableReplicas": 4}
        [(path, message, _)] = _refused(raw)
        assert (path, message) == (f"registration.fleet.members.{name}", f"'{name}' is {what}, not another cluster: the IDC "
                                   "cluster's Fleet member already counts its nodes."), name


def test_the_engine_for_aggregated_and_overflow_forms(placement_raw):
    """Aggregated (Karmada's division_algorithm: the fewest clusters by available replicas, then divided
    by them): at 100, short in the hybrid group (88), the members group sorted 88, 16, 12 needs
    88 + 16 = 104 >= 100, so 100 over 88:16 -> 84.6 / 15.4 -> 85 / 15 and ack-sh-infer none (dynamic
    would give all three a share: 76 / 10 / 14). The overflow form's division is not modelled."""
    raw = copy.deepcopy(placement_raw)
    raw["placement"]["workloads"][0]["strategy"] = "aggregated"
    raw["placement"]["workloads"][0]["autoscaling"]["maxReplicas"] = 100
    assert _out(raw)["fleet"]["engine"]["100"] == {"group": "members", "idc-bj": 85, "ack-wlcb-train": 15}
    raw["placement"]["workloads"][0]["strategy"] = "dynamic"
    assert _out(raw)["fleet"]["engine"]["100"] == {"group": "members", "idc-bj": 76, "ack-sh-infer": 10, "ack-wlcb-train": 14}
    raw = copy.deepcopy(placement_raw)
    raw["registration"]["fleet"].update(policyApi="karmada", overflow=True)
    assert _out(raw)["fleet"]["engine"] == {"16": {"modelled": False}, "48": {"modelled": False}, "112": {"modelled": False}}


def test_the_dynamic_note_in_full(placement_raw):
    assert _out(placement_raw)["fleet"]["note"] == (
        "Karmada schedules into the first group that can take every replica and divides by available replicas there, so "
        "once the hybrid cluster is short the members share by capacity, not after it; a binding stays in its group when "
        "capacity returns (karmada-io/karmada discussion 7707). The hybrid member's available replicas are the "
        "calculator's capacity of its tiers (elastic at minSize, Serverless at its quota: the virtual node itself "
        "advertises more). ACK documents scale-in cloud first for its form; Karmada's own scale-down divides by the "
        "current assignment.")


def test_the_caveats_in_full(placement_raw):
    assert _summary(placement_raw)["notGuaranteed"] == [
        "preferences are scores, not a fill order: kube-scheduler adds other plugins' scores (resource fit, spread, "
        "taint toleration), so a pod may land in a later tier while an earlier one has room",
        "scale-in is not in reverse tier order: the ReplicaSet controller removes pending, not-ready, lower "
        "pod-deletion-cost, then co-located and newer pods first (kubernetes/kubernetes pkg/controller/controller_utils.go "
        "ActivePodsWithRanks); pod-deletion-cost would need something to annotate each pod by the tier it runs in, "
        "which the program does not run",
        "ACK's ResourcePolicy (ordered units, reverse scale-in) runs on ACK's scheduler; for a registered cluster "
        "Alibaba documents it through ack-co-scheduler (help doc 446694), which this stack does not install",
        "elastic pools grow only for Pending pods and a pod that tolerates the virtual node is never Pending, so the "
        "elastic tier counts only its minSize nodes",
    ]


def test_a_member_with_weight_one_is_listed(placement_raw):
    # batch-infer at 27 without a FederatedHPA: 26 fit the hybrid cluster (see above), 1 goes to ack-sh-infer
    w = placement_raw["placement"]["workloads"][1]
    w.pop("autoscaling")
    w["replicas"] = 27
    weights = _policy(placement_raw, "batch-infer")["spec"]["placement"]["replicaScheduling"]["weightPreference"]["staticWeightList"]
    assert weights == [{"targetCluster": {"clusterNames": ["idc-bj"]}, "weight": 26},
                       {"targetCluster": {"clusterNames": ["ack-sh-infer"]}, "weight": 1}]


def test_other_replica_counts_keep_what_runs_and_replace_what_is_pending(placement_raw):
    """divided-train runs 4 replicas on ack-sh-infer today. At minReplicas 16 the calculator keeps them
    (scale-out keeps what runs): 12 more fill the IDC. If those 4 are Pending they are placed again,
    and all 16 fit the IDC."""
    w = placement_raw["placement"]["workloads"][0]
    w["previous"] = {"ack-sh-infer": 4}
    assert _out(copy.deepcopy(placement_raw))["fleet"]["intended"]["16"] == {"idc-bj": 12, "ack-sh-infer": 4, "ack-wlcb-train": 0}
    w["pending"] = {"ack-sh-infer": 4}
    assert _out(placement_raw)["fleet"]["intended"]["16"] == {"idc-bj": 16, "ack-sh-infer": 0, "ack-wlcb-train": 0}


def test_a_static_workload_at_zero_replicas_names_the_hybrid_cluster_with_weight_one(placement_raw):
    w = placement_raw["placement"]["workloads"][1]
    w.pop("autoscaling")
    w["replicas"] = 0
    placement = _policy(placement_raw, "batch-infer")["spec"]["placement"]
    assert placement["clusterAffinity"] == {"clusterNames": ["idc-bj"]}
    assert placement["replicaScheduling"]["weightPreference"] == {
        "staticWeightList": [{"targetCluster": {"clusterNames": ["idc-bj"]}, "weight": 1}]}


def test_every_workload_is_checked_not_only_the_first_refused(dev_raw):
    first = dev_raw["placement"]["workloads"][0]
    dev_raw["placement"]["workloads"].append({**copy.deepcopy(first), "name": "second"})
    for w in dev_raw["placement"]["workloads"]:
        w["weights"] = {"idc-sh": 1}
    assert [p for p, _, _ in _refused(copy.deepcopy(dev_raw))] == [
        "placement.workloads[0].weights.idc-sh", "placement.workloads[1].weights.idc-sh"]
    cap = dev_raw["placement"]["idcCapacity"]
    cap["allocatable"].pop("pods")
    cap["allocated"].pop("pods")
    for w in dev_raw["placement"]["workloads"]:
        w["weights"] = {}
        w["request"] = {}
    assert [p for p, _, _ in _refused(dev_raw)] == ["placement.workloads[0].request", "placement.workloads[1].request"]


def test_a_static_workload_without_weights_weighs_every_cluster_one(dev_raw):
    dev_raw["placement"]["workloads"][0]["strategy"] = "static"
    assert _out(dev_raw, "finetune-7b")["weights"] == {"idc-bj-dev": 1, "cn-beijing": 1, "cn-beijing-serverless": 1}


def test_a_named_fleet_that_is_not_enabled_declares_nothing(dev_raw):
    dev_raw["registration"]["fleet"] = {"enabled": False, "name": "ai-fleet"}
    pp = plan_placement(load(dev_raw))
    assert pp.objects() == [] and pp.topology.output()["fleet"] is None


def test_daemonsets_take_eight_pod_slots_and_memory_is_whole_bytes():
    from hybrid.placement_capacity import NodeCapacity
    from hybrid.placement_platform import node_of
    from hybrid.instance_types import KNOWN

    node = node_of(KNOWN["ecs.gn7i-c8g1.2xlarge"])
    # a 1m-CPU pod: 7910m - 500m of DaemonSets leave 7410 by CPU; the 110 pod slots less the 8 DaemonSet pods bind
    assert NodeCapacity((node,)).replicas_for(normalise_request({"cpu": "1m"})) == 102
    assert isinstance(node.allocatable["memory"], int)  # a byte count, as Kubernetes reports it


def test_a_region_without_a_virtual_node_still_owns_its_serverless_name(placement_raw):
    placement_raw["virtualNode"]["regions"] = [r for r in placement_raw["virtualNode"]["regions"] if r["id"] != "cn-zhangjiakou"]
    placement_raw["placement"]["serverlessReplicas"].pop("cn-zhangjiakou")
    for w in placement_raw["placement"]["workloads"]:
        w.get("weights", {}).pop("cn-zhangjiakou-serverless", None)
    placement_raw["registration"]["fleet"]["members"]["cn-zhangjiakou-serverless"] = {
        "clusterId": "c0123456789abcdef", "availableReplicas": 4}
    [(_, message, _)] = _refused(placement_raw)
    assert message.startswith("'cn-zhangjiakou-serverless' is a Serverless tier of the hybrid cluster, not another cluster")


def test_pending_replicas_at_the_current_count_are_placed_again(placement_raw):
    w = placement_raw["placement"]["workloads"][0]
    w["previous"] = {"ack-sh-infer": 4}
    assert _out(copy.deepcopy(placement_raw))["assignments"]["ack-sh-infer"] == 4  # kept
    w["pending"] = {"ack-sh-infer": 4}
    assert _out(placement_raw)["assignments"]["ack-sh-infer"] == 0  # not running: the hybrid cluster has room


def test_overflow_is_refused_in_acks_form(placement_raw):
    placement_raw["registration"]["fleet"]["overflow"] = True
    assert _refused(placement_raw) == [("registration.fleet.overflow", "overflowAffinities is not in ACK's documented policy fields.",
                                        "set policyApi: karmada, or drop overflow (ACK's form is ordered clusterAffinities).")]


def test_workloads_tied_between_two_clusters_do_not_all_send_their_odd_replica_to_the_same_one():
    # prod's batch-infer at 23 replicas: IDC 16, cn-hangzhou 4, cn-zhangjiakou 2 (capacities) and one left for
    # the Serverless tier, where cn-hangzhou-serverless and cn-zhangjiakou-serverless weigh 1 each: a tie.
    # The tie is broken per workload (hybrid/placement.py: a hash of the workload and the cluster name), so
    # two workloads alike but for their name need not pick the same cluster; these two pick differently.
    def odd(name: str, replicas: int = 23) -> dict[str, int]:
        raw = copy.deepcopy(stack_raw("prod"))
        raw["placement"]["workloads"][0]["name"] = name
        raw["placement"]["workloads"][0]["replicas"] = replicas
        (wp,) = plan_placement(load(raw)).workloads
        planned = {n: k for n, k in wp.result.assignments.items() if k and n.endswith("-serverless")}
        at = {n: k for n, k in wp.at(replicas).assignments.items() if k and n.endswith("-serverless")}
        assert planned == at  # the calculator at the planned count is the plan
        return planned

    first, second = odd("batch-infer"), odd("batch-infer-b")
    assert len(first) == len(second) == 1 and sum(first.values()) == sum(second.values()) == 1
    assert set(first) | set(second) == {"cn-hangzhou-serverless", "cn-zhangjiakou-serverless"}
    # and from the 24 the plan holds, at() steps back to the same tie
    raw = copy.deepcopy(stack_raw("prod"))
    raw["placement"]["workloads"][0]["name"] = "batch-infer-b"
    (wp,) = plan_placement(load(raw)).workloads
    assert {n: k for n, k in wp.at(23).assignments.items() if k and n.endswith("-serverless")} == second
