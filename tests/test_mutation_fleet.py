"""hybrid/fleet.py: Karmada's divisions, the weight choice, the policy-form checks and the objects,
each on a case worked by hand.

Sources: karmada-io/karmada@v1.18.2 pkg/util/helper/webstermethod.go (a seat goes to the largest
weight / (2 * seats + 1); equal quotients: fewer seats, then the cluster name in the UID's order),
pkg/scheduler/core/assignment.go (clusters of weight 0 are no candidates; all weights 0: equal),
pkg/scheduler/core/division_algorithm.go / scheduler.go (dynamic division: the first cluster group
whose available replicas cover the binding; Aggregated keeps the fewest clusters, largest first);
the CRDs stored under tests/data/karmada-v1.18.2/ (FederatedHPA; autoscaling/v2 MetricSpec);
kubernetes API reference scheduling.k8s.io/v1 PriorityClass. The weight choice follows
choose_static_weights' stated rule (summed deviation at the worse UID order, then the planned
count, then the nearest count, then the smaller), worked out below count by count.
"""

from __future__ import annotations

import re

import yaml

from hybrid import fleet as F
from hybrid.model.placement import Priority, Workload
from tests import karmada_reference as ref
from tests.conftest import ROOT
from tests.k8s_validate import crd_validator

KARMADA_DATA = ROOT / "tests" / "data"
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


# --- karmada_static_divisions -------------------------------------------------------

def test_no_clusters_divide_to_nothing_at_every_count():
    assert F.karmada_static_divisions(2, {}) == [{}, {}, {}]


def test_all_weights_zero_divide_equally_seat_by_seat():
    # Equal quotients: fewer seats first, then the name: ascending a, b, a; descending b, a, b.
    assert F.karmada_static_divisions(3, {"a": 0, "b": 0}) == [
        {"a": 0, "b": 0}, {"a": 1, "b": 0}, {"a": 1, "b": 1}, {"a": 2, "b": 1}]
    assert F.karmada_static_divisions(3, {"a": 0, "b": 0}, descending=True) == [
        {"a": 0, "b": 0}, {"a": 0, "b": 1}, {"a": 1, "b": 1}, {"a": 1, "b": 2}]


def test_a_cluster_of_weight_zero_next_to_a_weighted_one_is_no_candidate():
    assert F.karmada_static_divisions(2, {"a": 0, "b": 2}) == [{"b": 0}, {"b": 1}, {"b": 2}]


def test_karmadas_documented_examples():
    # assignByStaticWeightStrategy's doc comment: 9 replicas at 1:2 -> 3:6, at 1:3 -> 2:7.
    assert F.karmada_static_divisions(9, {"A": 1, "B": 2})[9] == {"A": 3, "B": 6}
    assert F.karmada_static_divisions(9, {"A": 1, "B": 3}, descending=True)[9] == {"A": 2, "B": 7}


# --- deviation, compact, summary ------------------------------------------------------

def test_deviation_counts_every_replica_placed_elsewhere():
    # a: 3 vs 0, b: 1 vs 4, c: 0 vs 2 -> 3 + 3 + 2
    assert F.deviation({"a": 3, "b": 1}, {"b": 4, "c": 2}) == 8
    assert F.deviation({"b": 4, "c": 2}, {"a": 3, "b": 1}) == 8
    assert F.deviation({"a": 2}, {"a": 2}) == 0


def test_compact_writes_runs_as_ranges_in_order():
    assert F.compact([5, 1, 2, 3]) == "1-3, 5"
    assert F.compact([7]) == "7"
    assert F.compact([1, 3]) == "1, 3"
    assert F.compact([2, 3, 9, 10, 11]) == "2-3, 9-11"
    assert F.compact([5, 8, 9]) == "5, 8-9"
    assert F.compact([]) == "none"


def test_summary_counts_the_replica_counts_that_differ():
    # range 2..8 is 7 counts, 4 of them exact (2, 3, 4, 6)
    choice = F.WeightChoice({"a": 1}, 5, (2, 3, 4, 6), (2, 8), 3)
    assert choice.summary() == {"weightsFromReplicas": 5, "replicaRange": [2, 8], "exactAt": "2-4, 6",
                                "differsAt": 3, "worstDeviation": 3}


# --- choose_static_weights --------------------------------------------------------

def test_nothing_placed_at_any_count_gives_no_weights():
    assert F.choose_static_weights({2: {"a": 0}, 3: {}, 4: {}}, 3) == F.WeightChoice({}, 3, (), (2, 4), 0)


def test_a_tie_goes_to_the_planned_counts_plan():
    # Weights {a: 1}: a takes every replica -> n=1 {a:1} (exact), n=2 {a:2} vs {a:1, b:1}: 2. Sum 2.
    # Weights {a: 1, b: 1}: n=1 ascending {a:1} exact, descending {b:1}: 2 (the worse order counts);
    # n=2 {a:1, b:1} exact. Sum 2. Equal sums: the planned count's own plan wins.
    plans = {1: {"a": 1, "b": 0}, 2: {"a": 1, "b": 1}}
    assert F.choose_static_weights(plans, 2) == F.WeightChoice({"a": 1, "b": 1}, 2, (2,), (1, 2), 2)
    assert F.choose_static_weights(plans, 1) == F.WeightChoice({"a": 1}, 1, (1,), (1, 2), 2)


def test_the_worse_uid_order_counts_whichever_it_is():
    # The mirror of the case above: at n=1 the plan is {b: 1}, which only the descending order of
    # {a: 1, b: 1} gives; the ascending {a: 1} is 2 off, and that worse order is what counts.
    plans = {1: {"a": 0, "b": 1}, 2: {"a": 1, "b": 1}}
    assert F.choose_static_weights(plans, 2) == F.WeightChoice({"a": 1, "b": 1}, 2, (2,), (1, 2), 2)


def test_a_count_with_nothing_placed_is_skipped_not_the_end():
    # The plan at 1 places nothing: no weights from it. Weights {a: 2} put 1 on a at n=1 (1 off), 2 at n=2.
    assert F.choose_static_weights({1: {}, 2: {"a": 2}}, 2) == F.WeightChoice({"a": 2}, 2, (2,), (1, 2), 1)


def _three_to_one(upto: int) -> dict[int, dict[str, int]]:
    """Karmada's division of weights 3:1 at 1..upto (tests/karmada_reference.py, the second implementation)."""
    return {n: ref.allocate_webster(n, {"a": 3, "b": 1}, False) for n in range(1, upto + 1)}


def test_up_to_64_counts_every_plan_is_tried():
    # The plans at 4, 8, ... are 3:1 and reproduce every count; the plans at 1, 2, 3 ({a:1}, {a:1, b:1},
    # {a:2, b:1}) do not ({a:2, b:1} gives {a:3, b:2} at 5 against {a:4, b:1}). Of the exact ones, 4 is
    # nearest to the planned 1.
    choice = F.choose_static_weights(_three_to_one(64), 1)
    assert (choice.weights, choice.from_replicas, choice.worst) == ({"a": 3, "b": 1}, 4, 0)


def test_above_64_counts_every_second_plan_is_tried():
    # 65 counts, at most 64 plans tried evenly spread: every second count from the first (1, 3, ..., 65),
    # plus the planned 1. Every 3:1 plan is at a multiple of 4, so none is tried and none is exact.
    choice = F.choose_static_weights(_three_to_one(65), 1)
    assert choice.from_replicas % 2 == 1 and choice.worst > 0
    assert choice.replica_range == (1, 65)


def test_a_tie_between_other_plans_goes_to_the_nearest_count():
    # Weights from 1, 2, 3 ({a: n}) put all on a: only n=4 ({b: 4}) differs, by 8.
    # Weights from 4 ({b: 4}): n=1..3 differ by 2 + 4 + 6 = 12. Of the three at 8, 3 is nearest to 4.
    plans = {1: {"a": 1}, 2: {"a": 2}, 3: {"a": 3}, 4: {"b": 4}}
    assert F.choose_static_weights(plans, 4) == F.WeightChoice({"a": 3}, 3, (1, 2, 3), (1, 4), 8)


def test_a_tie_at_equal_distance_goes_to_the_smaller_count():
    # Weights {a: 1} or {a: 3}: only n=2 differs ({a:2} vs {b:2}: 4). Weights {b: 2}: 2 + 0 + 6 = 8.
    # 1 and 3 are both one away from the planned 2: the smaller wins.
    plans = {1: {"a": 1}, 2: {"b": 2}, 3: {"a": 3}}
    assert F.choose_static_weights(plans, 2) == F.WeightChoice({"a": 1}, 1, (1, 3), (1, 3), 4)


def test_weights_of_zero_are_dropped_from_the_chosen_plan():
    assert F.choose_static_weights({4: {"a": 4, "b": 0}}, 4) == F.WeightChoice({"a": 4}, 4, (4,), (4, 4), 0)


# --- form_issues ---------------------------------------------------------------------

def _vendored() -> list[str]:
    """Karmada versions whose CRDs are stored for the schema checks (tests/data/karmada-<v>/)."""
    return sorted(p.name.removeprefix("karmada-") for p in KARMADA_DATA.glob("karmada-v*") if p.is_dir())


def _shape(issue):
    """A refusal's message is a sentence; its fix a lowercase sentence of its own (docs/testing.md)."""
    assert issue.message.endswith(".") and issue.fix[0].islower() and issue.fix.endswith("."), issue
    return issue


def test_the_stated_versions_forms_are_accepted():
    assert _vendored() == ["v1.18.2"]
    for api, overflow in (("ack", False), ("karmada", False), ("karmada", True)):
        for members in (False, True):
            assert F.form_issues(api, "v1.18.2", overflow, members) == [], (api, overflow, members)


def test_a_version_without_stored_crds_is_refused_naming_the_stored_ones():
    (issue,) = F.form_issues("ack", "v1.17.3", False, True)
    _shape(issue)
    assert issue.path == "registration.fleet.karmadaVersion"
    assert issue.message.startswith("v1.17.3 is not a Karmada version whose CRDs")
    assert f"use one of {_vendored()}" in issue.fix


def test_overflow_on_ack_is_refused():
    (issue,) = F.form_issues("ack", "v1.18.2", True, True)
    _shape(issue)
    assert issue.path == "registration.fleet.overflow"
    assert "overflowAffinities" in issue.message and "ACK" in issue.message
    assert issue.fix.startswith("set policyApi: karmada, or drop overflow")


def test_overflow_on_karmada_v1_18_0_is_not_refused_for_overflow():
    # v1.18.0 is the first release with overflowAffinities; only its missing CRDs are refused.
    assert [i.path for i in F.form_issues("karmada", "v1.18.0", True, True)] == ["registration.fleet.karmadaVersion"]


def test_overflow_on_a_karmada_before_v1_18_is_refused():
    # overflowAffinities is new in v1.18.0 (Karmada CHANGELOG-1.18).
    issues = F.form_issues("karmada", "v1.17.3", True, False)
    assert [i.path for i in issues] == ["registration.fleet.karmadaVersion", "registration.fleet.overflow"]
    overflow = _shape(issues[1])
    assert overflow.message.startswith("Karmada v1.17.3 has no overflowAffinities") and "v1.18.0" in overflow.message
    assert "v1.18.0" in overflow.fix and "Karmada version" in overflow.fix


# --- engine_division -----------------------------------------------------------------

def test_static_division_shows_where_the_uid_order_matters():
    # 3 at 1:1: ascending a, b, a; descending b, a, b.
    assert F.engine_division(3, [], {"a": 1, "b": 1}, False, static=True) == {"a": "2|1", "b": "1|2"}
    # 3 at 2:1: a (2), b (1 > 2/3), a (2/3 > 1/3) in either order.
    assert F.engine_division(3, [], {"a": 2, "b": 1}, True, static=True) == {"a": 2, "b": 1}


def test_overflow_is_not_modelled():
    assert F.engine_division(3, [("hybrid", ["a"])], {"a": 5}, True) == {"modelled": False}


def test_a_group_whose_available_replicas_equal_the_count_takes_them():
    groups = [("hybrid", ["idc"]), ("members", ["idc", "sh"])]
    assert F.engine_division(88, groups, {"idc": 88, "sh": 12}, False) == {"group": "hybrid", "idc": 88}
    assert F.engine_division(89, groups, {"idc": 88, "sh": 12}, False)["group"] == "members"


def test_zero_replicas_go_to_the_first_group_with_nothing_in_each_member():
    groups = [("hybrid", ["idc", "sh"]), ("members", ["wlcb"])]
    assert F.engine_division(0, groups, {"idc": 0, "sh": 3}, False) == {"group": "hybrid", "idc": 0, "sh": 0}


def test_a_member_with_nothing_available_gets_nothing():
    assert F.engine_division(3, [("g", ["a", "b"])], {"a": 5, "b": 0}, False) == {"group": "g", "a": 3}
    # a member the weights do not list offers nothing either
    assert F.engine_division(3, [("g", ["a", "b"])], {"a": 3}, False) == {"group": "g", "a": 3}
    assert "unschedulable" in F.engine_division(4, [("g", ["a", "b"])], {"a": 3}, False)


def test_a_member_with_one_available_replica_takes_its_seat():
    # Webster 5:1 for 6: a (5), a (5/3 > 1), b (1 = 5/5, fewer seats), a, a, a -> a 5, b 1.
    assert F.engine_division(6, [("g", ["a", "b"])], {"a": 5, "b": 1}, False) == {"group": "g", "a": 5, "b": 1}


def test_aggregated_stops_once_the_kept_members_cover_the_count():
    # 88 available in idc alone covers 88: wlcb (16) and sh (12) are not kept.
    groups = [("members", ["idc", "sh", "wlcb"])]
    assert F.engine_division(88, groups, {"idc": 88, "sh": 12, "wlcb": 16}, False, aggregated=True) == {"group": "members", "idc": 88}


def test_aggregated_keeps_a_member_for_a_single_replica():
    assert F.engine_division(1, [("g", ["a", "b"])], {"a": 2, "b": 1}, False, aggregated=True) == {"group": "g", "a": 1}


def test_aggregated_keeps_the_largest_first_and_breaks_ties_by_name():
    # x and y both offer 5: x (name first) covers 5 alone; z (1) is smallest.
    assert F.engine_division(5, [("g", ["z", "y", "x"])], {"x": 5, "y": 5, "z": 1}, False, aggregated=True) == {"group": "g", "x": 5}


def test_no_group_covering_the_count_is_unschedulable():
    assert F.engine_division(9, [("g", ["a"])], {"a": 8}, False) == {"unschedulable": "no group has 9 available replicas"}


# --- objects -------------------------------------------------------------------------

def _crd_api(name: str) -> str:
    crd = yaml.safe_load((KARMADA_DATA / "karmada-v1.18.2" / name).read_text())
    (version,) = [v["name"] for v in crd["spec"]["versions"] if v.get("served")]
    return f"{crd['spec']['group']}/{version}"


def test_federated_hpa_scales_the_workload_on_its_resource_metrics():
    w = Workload.model_validate({
        "name": "embed", "replicas": 4, "namespace": "ml", "kind": "StatefulSet",
        "autoscaling": {"minReplicas": 2, "maxReplicas": 8, "metrics": [{"resource": "cpu", "averageUtilization": 70},
                                                                        {"resource": "memory", "averageUtilization": 85}]}})
    doc = F.federated_hpa(w)
    api = _crd_api("autoscaling.karmada.io_federatedhpas.yaml")
    assert doc == {
        "apiVersion": api, "kind": "FederatedHPA",
        "metadata": {"name": "embed", "namespace": "ml", "labels": {"app.kubernetes.io/managed-by": "pulumi"}},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "embed"},
                 "minReplicas": 2, "maxReplicas": 8,
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}},
                             {"type": "Resource", "resource": {"name": "memory", "target": {"type": "Utilization", "averageUtilization": 85}}}]}}
    v = crd_validator(KARMADA_DATA / "karmada-v1.18.2" / "autoscaling.karmada.io_federatedhpas.yaml", api, "FederatedHPA")
    assert [e.message for e in v.iter_errors(doc)] == []


def test_priority_class_with_and_without_a_description():
    doc = F.priority_class(Priority(class_name="batch", value=1000, preemption_policy="Never", description="Batch; waits."))
    assert doc == {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                   "metadata": {"name": "batch", "labels": {"app.kubernetes.io/managed-by": "pulumi"}},
                   "value": 1000, "preemptionPolicy": "Never", "globalDefault": False, "description": "Batch; waits."}
    bare = F.priority_class(Priority(class_name="online", value=-5))
    assert "description" not in bare and bare["preemptionPolicy"] == "PreemptLowerPriority" and bare["value"] == -5


def test_priority_classes_are_distinct_and_sorted_by_name():
    b = {"className": "b-train", "value": 10}
    a = {"className": "a-online", "value": 20}
    ws = [Workload.model_validate({"name": n, "replicas": 1, **({"priority": p} if p else {})})
          for n, p in (("w1", b), ("w2", None), ("w3", a), ("w4", b))]
    assert [(c.class_name, c.value) for c in F.priority_classes(ws)] == [("a-online", 20), ("b-train", 10)]


def test_priority_propagation_copies_each_class_to_every_member_in_order():
    classes = [Priority(class_name="a-online", value=20), Priority(class_name="b-train", value=10)]
    doc = F.priority_propagation(classes, ["c-idc", "c-sh"], "policy.karmada.io/v1alpha1")
    assert doc["apiVersion"] == "policy.karmada.io/v1alpha1" and doc["kind"] == "ClusterPropagationPolicy"
    assert doc["spec"] == {
        "resourceSelectors": [{"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "name": "a-online"},
                              {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "name": "b-train"}],
        "placement": {"clusterAffinity": {"clusterNames": ["c-idc", "c-sh"]}}}
    assert doc["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "pulumi"}
    # Its name is a DNS subdomain, and not the jobs' policy's: two ClusterPropagationPolicies of one
    # name on the Fleet would be one object, the later overwriting the earlier.
    from hybrid.jobs import JOB_PRIORITY_PROPAGATION

    assert DNS_SUBDOMAIN.match(doc["metadata"]["name"]) and doc["metadata"]["name"] != JOB_PRIORITY_PROPAGATION
    v = crd_validator(KARMADA_DATA / "karmada-v1.18.2" / "policy.karmada.io_clusterpropagationpolicies.yaml",
                      "policy.karmada.io/v1alpha1", "ClusterPropagationPolicy")
    assert [e.message for e in v.iter_errors(doc)] == []
