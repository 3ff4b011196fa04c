"""hybrid.placement: the CLI's JSON shape and the pending rule, on cases worked out by hand.

docs/placement.md ("Output"): `{"assignments": {cluster: n}, "capacity": {cluster: n}, "unplaced": n}`.
pending counts replicas of previous that are not running: it may equal previous, never exceed it.
"""

from __future__ import annotations

import pytest

from hybrid.errors import ConfigError
from hybrid.placement import Candidate, pending_problem, place, tie_ranks, webster


def test_contract_is_the_documented_shape():
    # 5 replicas, IDC (tier 0) holds 3, the cloud (tier 1) takes the other 2.
    got = place(5, [Candidate("idc", 3, tier=0), Candidate("cloud", 10, tier=1)]).contract()
    assert got == {"assignments": {"cloud": 2, "idc": 3}, "unplaced": 0, "capacity": {"cloud": 10, "idc": 3}}


def test_pending_may_equal_previous():
    assert pending_problem({"a": 2}, {"a": 2}) is None
    assert pending_problem({"a": 5, "b": 1}, {"a": 1}) is None


def test_pending_above_previous_is_named_with_both_numbers():
    message, fix = pending_problem({"a": 2}, {"a": 3})
    assert message == "pending[a] = 3 is more than previous[a] = 2."
    assert "lower it or raise previous" in fix


def test_pending_for_a_cluster_without_previous_counts_previous_as_zero():
    message, _ = pending_problem({"a": 5}, {"b": 1})
    assert message == "pending[b] = 1 is more than previous[b] = 0."


# --- Webster's divisors, on cases worked by hand -------------------------------------------------
# Webster gives each cluster its quota seats * w / sum(w) rounded to the nearest whole number when
# those roundings already add up (no divisor adjustment needed).

def test_webster_rounds_quotas_to_nearest():
    assert webster(5, [5, 2], [99, 99]) == [4, 1]  # quotas 3.57 and 1.43
    assert webster(2, [1, 4], [99, 99]) == [0, 2]  # quotas 0.4 and 1.6


def test_webster_is_the_same_on_weights_past_the_float_bound():
    # Scaling every weight by the same factor changes no quota; 2**50 puts w * (2s + 1) past the bound
    # where the divisions switch to exact fractions.
    k = 2**50
    assert webster(5, [5 * k, 2 * k], [99, 99]) == [4, 1]
    assert webster(2, [1 * k, 4 * k], [99, 99]) == [0, 2]


def test_webster_tells_apart_priorities_a_float_cannot():
    k = 2**50
    # The 9th seat: the first cluster's priority (17k + 1) / 17 = k + 1/17 beats the second's k, by
    # less than half a float step at 2**50 (0.125): in floats they would tie and the seat would go
    # to the cluster with fewer seats.
    assert webster(9, [17 * k + 1, k], [99, 99]) == [9, 0]
    # 39a - 41b = 1: the quotas of 40 seats are 20.5 + e and 19.5 - e (e = 1 / (2 (a + b)), about
    # 2.4e-16), which round to 21 and 19; the deciding priorities a/41 and b/39 (about 2**44.5) differ
    # by 1/1599, below half a float step there (2**-9), so in floats they would tie and the tie rule
    # would give 20 : 20. a stays below 2**50 while a * 81 is past the bound, as in a real 40-seat run.
    a, b = 1050501758252417, 999257770044982
    assert 39 * a - 41 * b == 1 and a < 2**50
    assert webster(40, [a, b], [99, 99]) == [21, 19]
    # 2**53 + 1 has no float of its own (it rounds to 2**53): the larger weight still wins the seat.
    assert webster(1, [2**53, 2**53 + 1], [9, 9]) == [0, 1]


def test_webster_gives_no_seat_for_a_negative_count():
    assert webster(-3, [1, 1], [5, 5]) == [0, 0]


def test_without_a_tie_key_ties_go_to_the_smaller_name():
    assert webster(1, [1, 1], [9, 9], tie_ranks(["a", "b"])) == [1, 0]
    assert webster(1, [1, 1], [9, 9], tie_ranks(["b", "a"])) == [0, 1]


# --- scale-in ---------------------------------------------------------------------------------------

def test_scale_in_by_one_removes_one():
    assert place(2, [Candidate("a", 10)], previous={"a": 3}).assignments == {"a": 2}
    assert place(4, [Candidate("a", 10, tier=0), Candidate("b", 10, tier=1)],
                 previous={"a": 3, "b": 2}).assignments == {"a": 3, "b": 1}


def test_scale_in_ties_go_to_the_smaller_name_in_any_input_order():
    # One replica each, one to remove: the tie goes to the smaller name, whatever the list order.
    got = place(1, [Candidate("b", 5), Candidate("a", 5)], previous={"a": 1, "b": 1})
    assert got.assignments == {"a": 1, "b": 0}


def test_result_lists_clusters_by_name_and_names_the_strategy():
    got = place(3, [Candidate("c", 5), Candidate("a", 5), Candidate("b", 5)], "static")
    for table in (got.assignments, got.capacity, got.weights, got.kept):
        assert list(table) == ["a", "b", "c"]
    assert got.strategy == "static"
    assert list(got.contract()["assignments"]) == ["a", "b", "c"]


# --- refusals: the field, the value, the fix ----------------------------------------------------

def _issues(*args, **kwargs):
    with pytest.raises(ConfigError) as info:
        place(*args, **kwargs)
    for issue in info.value.issues:
        # Each problem renders as "<path>: <message> Fix: <fix>", both sentences.
        assert issue.message.endswith(".") and issue.fix[:1].islower() and issue.fix.endswith("."), issue
    return {i.path: (i.message, i.fix) for i in info.value.issues}


@pytest.mark.parametrize("replicas", [-1, True, 2.5])
def test_replicas_must_be_a_whole_number(replicas):
    (message, fix), = _issues(replicas, [Candidate("a", 1)]).values()
    assert message.startswith(repr(replicas)) and "non-negative integer" in message
    assert "whole number of replicas" in fix


def test_an_unknown_strategy_lists_the_three():
    message, fix = _issues(1, [Candidate("a", 1)], "sideways")["strategy"]
    assert message.startswith("'sideways'")
    assert fix == "use one of static, dynamic, aggregated."  # docs/placement.md, the `strategy` field


def test_a_cluster_listed_twice_names_the_second():
    message, fix = _issues(1, [Candidate("a", 1), Candidate("b", 1), Candidate("a", 2)])["clusters[2].name"]
    assert "'a'" in message and "twice" in message
    assert "once" in fix


@pytest.mark.parametrize("attr", ["capacity", "tier", "weight"])
@pytest.mark.parametrize("value", [-1, True])
def test_cluster_numbers_must_be_whole(attr, value):
    fields = {"name": "a", "capacity": 1, "tier": 0, "weight": 1, attr: value}
    issues = _issues(1, [Candidate("z", 1), Candidate(**fields)])
    message, fix = issues[f"clusters[1].{attr}"]
    assert message.startswith(repr(value)) and len(issues) == 1
    assert attr in fix and "whole number" in fix


@pytest.mark.parametrize("field", ["previous", "pending"])
@pytest.mark.parametrize("value", [-1, True])
def test_previous_and_pending_counts_must_be_whole(field, value):
    issues = _issues(1, [Candidate("a", 1)], **{field: {"a": value}})
    message, fix = issues[f"{field}.a"]
    assert message.startswith(repr(value)) and len(issues) == 1
    assert "whole number of replicas" in fix


def test_pending_fix_is_a_sentence():
    _, fix = pending_problem({"a": 2}, {"a": 3})
    assert fix[:1].islower() and fix.endswith(".")
