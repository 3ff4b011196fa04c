"""hybrid.placement: the CLI's JSON shape and the pending rule, on cases worked out by hand.

docs/placement.md ("Output"): `{"assignments": {cluster: n}, "capacity": {cluster: n}, "unplaced": n}`.
pending counts replicas of previous that are not running: it may equal previous, never exceed it.
"""

from __future__ import annotations

from hybrid.placement import Candidate, pending_problem, place


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
