"""hybrid/model/placement.py: the workloads' limits at both sides, their cross-field rules, the defaults.

Sources: Kubernetes PriorityClass (k8s.io/api scheduling/v1 types.go): ``preemptionPolicy``
"defaults to PreemptLowerPriority if unset"; user classes may not exceed 1,000,000,000
(pkg/apis/scheduling/types.go HighestUserDefinablePriority). HorizontalPodAutoscaler v2
(pkg/apis/autoscaling/validation/validation.go, the rules Karmada's FederatedHPA reuses):
minReplicas >= 1, a resource target's averageUtilization > 0. The other bounds are the documented
ones of docs/config.md (Workload, Autoscaling). Each case edits prod's batch-infer
(stacks/Pulumi.prod.yaml: 24 replicas, FederatedHPA 8..32, class gpu-batch 1000, Never) or the
divided-train workload the tests add before it (tests/conftest.py DIVIDED_WORKLOAD: 48, 16..112,
gpu-training 100000).
"""

from __future__ import annotations

import copy

import pytest

from hybrid.fleet import priority_class
from hybrid.model import load
from hybrid.placement_platform import plan_placement
from tests.conftest import refusals

W = "placement.workloads"


def _bi(raw):
    w = raw["placement"]["workloads"][1]
    assert w["name"] == "batch-infer"
    return w


def _dt(raw):
    w = raw["placement"]["workloads"][0]
    assert w["name"] == "divided-train"
    return w


# --- quantities -------------------------------------------------------------------------

def test_a_bad_quantity_is_refused_with_the_quantity_fix(placement_raw):
    _dt(placement_raw)["request"]["memory"] = "160GB"
    [(path, message, fix)] = refusals(placement_raw)
    assert path == f"{W}[0].request.memory" and "'160GB'" in message
    assert fix == "write a Kubernetes quantity such as 500m, 4, 16Gi or 1.5e3."


def test_a_good_quantity_is_kept_as_written(placement_raw):
    _dt(placement_raw)["request"]["memory"] = "1.5e3"
    assert load(placement_raw).placement.workloads[0].request["memory"] == "1.5e3"


# --- replica counts and weights at their limits -----------------------------------------

@pytest.mark.parametrize("field", ["weights", "previous", "pending"])
def test_counts_per_cluster_run_from_zero_to_a_million(placement_raw, field):
    w = _dt(placement_raw)
    w.pop("autoscaling")
    w["replicas"] = 1_000_000
    w["previous"] = {"idc-bj": 1_000_000}  # pending may not exceed previous
    w[field] = {"idc-bj": 1_000_000}
    load(placement_raw)
    w[field] = {"idc-bj": 0}
    load(placement_raw)
    for bad, word in ((1_000_001, "less than or equal to 1000000"), (-1, "greater than or equal to 0")):
        w[field] = {"idc-bj": bad}
        [(path, message, _)] = refusals(copy.deepcopy(placement_raw))
        assert path == f"{W}[0].{field}.idc-bj" and word in message


def test_replicas_run_from_zero_to_a_million(placement_raw):
    w = _dt(placement_raw)
    w.pop("autoscaling")
    for good in (0, 1_000_000):
        w["replicas"] = good
        assert load(placement_raw).placement.workloads[0].replicas == good
    for bad in (-1, 1_000_001):
        w["replicas"] = bad
        [(path, _, _)] = refusals(copy.deepcopy(placement_raw))
        assert path == f"{W}[0].replicas"


# --- the FederatedHPA range ---------------------------------------------------------------

def test_autoscaling_bounds(placement_raw):
    a = _bi(placement_raw)["autoscaling"]
    # HPA: minReplicas >= 1; the documented maxReplicas <= 1000
    a.update(minReplicas=1, maxReplicas=1000)
    assert load(placement_raw).placement.workloads[1].autoscaling.max_replicas == 1000
    a.update(minReplicas=0)
    assert [p for p, _, _ in refusals(copy.deepcopy(placement_raw))] == [f"{W}[1].autoscaling.minReplicas"]
    a.update(minReplicas=1, maxReplicas=1001)
    assert [p for p, _, _ in refusals(copy.deepcopy(placement_raw))] == [f"{W}[1].autoscaling.maxReplicas"]


def test_a_range_of_one_count_is_accepted_and_an_inverted_one_refused(placement_raw):
    w = _bi(placement_raw)
    w["replicas"] = 20
    w["autoscaling"].update(minReplicas=20, maxReplicas=20)
    assert load(placement_raw).placement.workloads[1].autoscaling.min_replicas == 20
    w["autoscaling"].update(minReplicas=21)
    assert refusals(placement_raw) == [(f"{W}[1].autoscaling", "minReplicas 21 is more than maxReplicas 20.",
                                        "lower minReplicas or raise maxReplicas.")]


def test_replicas_must_lie_in_the_range_both_ends_included(placement_raw):
    w = _bi(placement_raw)  # FederatedHPA 8..32
    for good in (8, 32):
        w["replicas"] = good
        assert load(placement_raw).placement.workloads[1].replicas == good
    for bad in (7, 33):
        w["replicas"] = bad
        assert refusals(copy.deepcopy(placement_raw)) == [
            (f"{W}[1]", f"replicas {bad} is outside autoscaling [8, 32].", "plan for a replica count the FederatedHPA can reach.")]


def test_utilization_targets(placement_raw):
    m = _bi(placement_raw)["autoscaling"]["metrics"]
    m[0]["averageUtilization"] = 1  # HPA: > 0
    m.append({"resource": "memory", "averageUtilization": 1000})
    got = load(placement_raw).placement.workloads[1].autoscaling.metrics
    assert [(x.resource, x.average_utilization) for x in got] == [("cpu", 1), ("memory", 1000)]
    for bad in (0, 1001):
        m[0]["averageUtilization"] = bad
        assert [p for p, _, _ in refusals(copy.deepcopy(placement_raw))] == [f"{W}[1].autoscaling.metrics[0].averageUtilization"]
    m[0]["averageUtilization"] = 70
    _bi(placement_raw)["autoscaling"]["metrics"] = []
    assert [p for p, _, _ in refusals(placement_raw)] == [f"{W}[1].autoscaling.metrics"]


# --- PriorityClass --------------------------------------------------------------------------

def test_priority_value_at_the_user_limit(placement_raw):
    pr = _bi(placement_raw)["priority"]
    for good in (10**9, -(10**9)):
        pr["value"] = good
        assert load(copy.deepcopy(placement_raw)).placement.workloads[1].priority.value == good
    for bad in (10**9 + 1, -(10**9) - 1):
        pr["value"] = bad
        assert [p for p, _, _ in refusals(copy.deepcopy(placement_raw))] == [f"{W}[1].priority.value"]


def test_class_names_are_dns_labels(placement_raw):
    pr = _bi(placement_raw)["priority"]
    for good in ("a", "b" * 63, "gpu-batch-2"):
        pr["className"] = good
        assert load(copy.deepcopy(placement_raw)).placement.workloads[1].priority.class_name == good
    for bad in ("b" * 64, "-gpu", "gpu-", "GPU"):
        pr["className"] = bad
        assert [p for p, _, _ in refusals(copy.deepcopy(placement_raw))] == [f"{W}[1].priority.className"], bad


def test_an_unset_preemption_policy_is_kubernetes_default(placement_raw):
    pr = _bi(placement_raw)["priority"]
    pr.pop("preemptionPolicy")
    pr.pop("description")
    doc = priority_class(load(placement_raw).placement.workloads[1].priority)
    assert doc["preemptionPolicy"] == "PreemptLowerPriority"
    assert "description" not in doc  # no description given: none written


def test_a_shared_class_needs_one_definition(placement_raw):
    dt, bi = _dt(placement_raw), _bi(placement_raw)
    dt["priority"] = copy.deepcopy(bi["priority"])
    assert load(copy.deepcopy(placement_raw)).placement.workloads[0].priority.class_name == "gpu-batch"
    dt["priority"]["value"] = 999
    assert refusals(copy.deepcopy(placement_raw)) == [
        ("placement", "PriorityClass gpu-batch is given two different definitions.",
         "give every workload that shares a class the same value, preemptionPolicy and description.")]


def test_a_workload_without_a_class_does_not_end_the_class_check(placement_raw):
    dt, bi = _dt(placement_raw), _bi(placement_raw)
    dt.pop("priority")  # first without a class, then two that disagree
    third = copy.deepcopy(bi)
    third["name"] = "batch-infer-b"
    third["priority"]["description"] = "another text"
    placement_raw["placement"]["workloads"].append(third)
    assert [p for p, _, _ in refusals(placement_raw)] == ["placement"]


# --- one workload per namespace and name ------------------------------------------------------

def test_a_name_is_unique_within_its_namespace_only(placement_raw):
    again = copy.deepcopy(_bi(placement_raw))
    placement_raw["placement"]["workloads"].append(again)
    assert refusals(copy.deepcopy(placement_raw)) == [
        ("placement", "workload default/batch-infer is declared twice.", "give each workload a unique name within its namespace.")]
    again["namespace"] = "inference"
    names = [(w.namespace, w.name) for w in load(placement_raw).placement.workloads]
    assert names == [("default", "divided-train"), ("default", "batch-infer"), ("inference", "batch-infer")]


def test_defaults_are_a_dynamic_deployment_in_the_default_namespace(placement_raw):
    """docs/placement.md: a workload without strategy is divided dynamically; without namespace it is
    in Kubernetes' "default" namespace; without kind it is a Deployment: the policy selects it so."""
    dt = _dt(placement_raw)
    dt.pop("strategy")
    pol = plan_placement(load(placement_raw)).policies()["manifests/default/propagationpolicy-divided-train.yaml"]
    assert pol["spec"]["resourceSelectors"] == [
        {"apiVersion": "apps/v1", "kind": "Deployment", "name": "divided-train", "namespace": "default"}]
    assert pol["spec"]["placement"]["replicaScheduling"]["weightPreference"] == {"dynamicWeight": "AvailableReplicas"}


def test_pending_is_a_part_of_previous(placement_raw):
    """pending counts replicas of previous that are not running (docs/placement.md, Stability): 3
    running on idc-bj of which 3 pending is accepted, 4 pending is not."""
    w = _dt(placement_raw)
    w.update(previous={"idc-bj": 3}, pending={"idc-bj": 3})
    assert load(copy.deepcopy(placement_raw)).placement.workloads[0].pending == {"idc-bj": 3}
    w["pending"] = {"idc-bj": 4}
    assert refusals(placement_raw) == [(f"{W}[0]", "pending[idc-bj] = 4 is more than previous[idc-bj] = 3.",
                                        "pending counts replicas of previous that are not running; lower it or raise previous.")]
