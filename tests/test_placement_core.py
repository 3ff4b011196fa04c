"""Placement calculator: worked examples and the properties the issue asks for."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from hybrid.errors import ConfigError
from hybrid.placement import STRATEGIES, Candidate, place, webster

NAMES = [f"c{i:02d}" for i in range(8)]


@st.composite
def fleets(draw, max_clusters: int = 6):
    k = draw(st.integers(1, max_clusters))
    names = draw(st.permutations(NAMES))[:k]
    return [
        Candidate(
            name=n,
            capacity=draw(st.integers(0, 40)),
            tier=draw(st.integers(0, 2)),
            weight=draw(st.integers(0, 5)),
        )
        for n in names
    ]


@st.composite
def scenarios(draw):
    fleet = draw(fleets())
    strategy = draw(st.sampled_from(STRATEGIES))
    names = [c.name for c in fleet] + ["gone"]
    previous = draw(st.dictionaries(st.sampled_from(names), st.integers(0, 15), max_size=4))
    pending = {k: draw(st.integers(0, v)) for k, v in previous.items() if draw(st.booleans())}
    replicas = draw(st.integers(0, 120))
    tie_key = draw(st.sampled_from(["", "ns/app", "other"]))
    return replicas, fleet, strategy, previous, pending, tie_key


PROPS = settings(max_examples=400, deadline=None)


# --- worked examples ---------------------------------------------------------

def test_webster_is_sainte_lague():
    # 2 seats at 2:1: Hamilton-style floor+remainder gives 2:0 (karmada#6424); Webster 1:1.
    assert webster(2, [2, 1], [99, 99]) == [1, 1]
    # 7 seats over 1:1 gives the odd seat to the first-ranked cluster.
    assert webster(7, [1, 1], [99, 99], ["a", "b"]) == [4, 3]
    assert webster(10, [3, 2, 1], [99, 99, 99]) == [5, 3, 2]


def test_webster_respects_caps_and_zero_weights():
    assert webster(10, [5, 1, 0], [2, 99, 99]) == [2, 8, 0]
    assert webster(10, [1, 1], [3, 4]) == [3, 4]


def test_tiers_fill_idc_first_then_cloud():
    fleet = [Candidate("idc", 10, 0), Candidate("hz", 20, 1), Candidate("bj", 20, 1), Candidate("vk", 50, 2)]
    r = place(25, fleet, "dynamic")
    assert r.assignments == {"bj": 8, "hz": 7, "idc": 10, "vk": 0}
    r = place(60, fleet, "dynamic")
    assert r.assignments == {"bj": 20, "hz": 20, "idc": 10, "vk": 10}
    assert r.unplaced == 0


def test_unplaced_instead_of_error():
    r = place(30, [Candidate("a", 4), Candidate("b", 5)], "static")
    assert r.assignments == {"a": 4, "b": 5} and r.unplaced == 21


def test_static_weights_clamped_and_redivided():
    r = place(12, [Candidate("a", 2, weight=3), Candidate("b", 50, weight=1), Candidate("c", 50, weight=1)], "static")
    assert r.assignments == {"a": 2, "b": 5, "c": 5}


def test_static_all_zero_weights_means_equal():
    r = place(6, [Candidate("a", 50, weight=0), Candidate("b", 50, weight=0), Candidate("c", 50, weight=0)], "static")
    assert r.assignments == {"a": 2, "b": 2, "c": 2}
    assert r.weights == {"a": 1, "b": 1, "c": 1}


def test_aggregated_uses_fewest_largest_clusters():
    fleet = [Candidate("a", 5), Candidate("b", 30), Candidate("c", 12)]
    assert place(35, fleet, "aggregated").assignments == {"a": 0, "b": 30, "c": 5}
    # A cluster that already runs the workload is topped up first.
    assert place(10, fleet, "aggregated", previous={"c": 2}).assignments == {"a": 0, "b": 0, "c": 10}


def test_scale_out_keeps_previous_and_divides_delta():
    fleet = [Candidate("a", 10), Candidate("b", 10)]
    r = place(10, fleet, "dynamic", previous={"a": 7, "b": 1})
    assert r.assignments == {"a": 8, "b": 2}


def test_departed_cluster_and_pending_replicas_are_replaced():
    fleet = [Candidate("a", 10), Candidate("b", 10)]
    r = place(10, fleet, "dynamic", previous={"a": 3, "b": 3, "gone": 4}, pending={"b": 2})
    assert r.kept == {"a": 3, "b": 1}
    assert r.placed == 10 and r.assignments["a"] >= 3 and r.assignments["b"] >= 1


def test_scale_in_from_highest_tier_then_proportional():
    fleet = [Candidate("idc", 0, 0), Candidate("hz", 0, 1), Candidate("bj", 0, 1), Candidate("vk", 0, 2)]
    prev = {"idc": 10, "hz": 6, "bj": 3, "vk": 5}
    assert place(19, fleet, "dynamic", previous=prev).assignments == {"bj": 3, "hz": 6, "idc": 10, "vk": 0}
    assert place(13, fleet, "dynamic", previous=prev).assignments == {"bj": 1, "hz": 2, "idc": 10, "vk": 0}


def test_tie_key_spreads_odd_replicas_across_workloads():
    fleet = [Candidate("a", 99), Candidate("b", 99)]
    winners = {max(place(1, fleet, "static", tie_key=f"ns/app-{i}").assignments.items(), key=lambda kv: kv[1])[0] for i in range(20)}
    assert winners == {"a", "b"}
    assert place(1, fleet, "static").assignments == {"a": 1, "b": 0}


def test_bad_numbers_name_the_field():
    with pytest.raises(ConfigError) as err:
        place(-1, [Candidate("a", 1), Candidate("a", -2)], "sideways")
    paths = {i.path for i in err.value.issues}
    assert paths == {"replicas", "strategy", "clusters[1].name", "clusters[1].capacity"}


def test_huge_weights_use_exact_arithmetic():
    big = 2**60
    assert webster(3, [big, big + 1], [9, 9]) == [1, 2]


# --- properties ----------------------------------------------------------------

@PROPS
@given(scenarios())
def test_conservation_and_capacity(case):
    replicas, fleet, strategy, previous, pending, tie_key = case
    r = place(replicas, fleet, strategy, previous, pending, tie_key)
    assert r.placed + r.unplaced == replicas
    for c in fleet:
        # New replicas never exceed what the cluster can still host.
        assert r.assignments[c.name] - r.kept[c.name] <= c.capacity
        assert r.assignments[c.name] >= 0


@PROPS
@given(scenarios())
def test_house_monotone(case):
    replicas, fleet, strategy, previous, pending, tie_key = case
    a = place(replicas, fleet, strategy, previous, pending, tie_key)
    b = place(replicas + 1, fleet, strategy, previous, pending, tie_key)
    assert all(b.assignments[k] >= a.assignments[k] for k in a.assignments)
    assert b.unplaced >= a.unplaced


@PROPS
@given(scenarios())
def test_tier_order(case):
    replicas, fleet, strategy, previous, pending, tie_key = case
    r = place(replicas, fleet, strategy, previous, pending, tie_key)
    new = {c.name: r.assignments[c.name] - r.kept[c.name] for c in fleet}
    tiers = sorted({c.tier for c in fleet})
    for t in tiers:
        later_new = sum(max(new[c.name], 0) for c in fleet if c.tier > t)
        later_cut = sum(max(-new[c.name], 0) for c in fleet if c.tier > t)
        in_tier = [c for c in fleet if c.tier == t]
        if later_new:
            # Overflow only once this tier can take no more of the new replicas.
            usable = [c for c in in_tier if strategy != "static" or r.weights[c.name] > 0]
            assert all(new[c.name] == c.capacity for c in usable)
        if any(new[c.name] < 0 for c in in_tier):
            # Scale-in reached this tier only after emptying every later one.
            assert all(r.assignments[c.name] == 0 for c in fleet if c.tier > t)
        assert later_cut == 0 or all(new[c.name] <= 0 for c in fleet)


@PROPS
@given(scenarios())
def test_deterministic_and_order_free(case):
    replicas, fleet, strategy, previous, pending, tie_key = case
    a = place(replicas, fleet, strategy, previous, pending, tie_key)
    b = place(replicas, list(reversed(fleet)), strategy, dict(reversed(list(previous.items()))), pending, tie_key)
    assert a == b


@PROPS
@given(st.lists(st.integers(0, 50), min_size=1, max_size=8), st.lists(st.integers(0, 30), min_size=8, max_size=8), st.integers(0, 200))
def test_webster_house_monotone_and_quota_free(weights, caps, seats):
    caps = caps[: len(weights)]
    a = webster(seats, weights, caps)
    b = webster(seats + 1, weights, caps)
    assert all(y >= x for x, y in zip(a, b))
    room = sum(c for w, c in zip(weights, caps) if w > 0)
    assert sum(a) == min(seats, room)
    assert all(x <= c for x, c in zip(a, caps))
