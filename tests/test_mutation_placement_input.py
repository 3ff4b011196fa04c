"""hybrid/placement_input.py: the ``hybrid-gpu placement`` contract at its limits, worked by hand.

The contract is docs/placement.md ("CLI"): camelCase keys (snake_case accepted), strict types,
a cluster's capacity from its most precise source (nodes, else allocatable minus allocated and
allocating, else availableReplicas), tier 0 and weight 1 by default. Capacities below are
counted by hand: a replica requests 1 GPU unless said otherwise.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hybrid.errors import ConfigError
from hybrid.placement_input import compute, parse_input


def _issues(raw):
    with pytest.raises(ConfigError) as info:
        parse_input(raw)
    return [(i.path, i.message, i.fix) for i in info.value.issues]


def _run(raw):
    return compute(parse_input(raw))


GPU = {"nvidia.com/gpu": 1}


def test_each_capacity_source_by_hand_and_the_most_precise_wins():
    # nodes: 8 GPUs with 3 taken on the first and 1 on the second -> 4 free; aggregate says 16 - 2 - 1 = 13
    nodes = [{"allocatable": {"pods": 110, "nvidia.com/gpu": 4}, "allocated": {"nvidia.com/gpu": 3}},
             {"allocatable": {"pods": 110, "nvidia.com/gpu": 4}, "allocated": {"nvidia.com/gpu": 1}}]
    agg = {"allocatable": {"pods": 110, "nvidia.com/gpu": 16}, "allocated": {"nvidia.com/gpu": 2},
           "allocating": {"nvidia.com/gpu": 1}}
    raw = {"replicas": 0, "request": GPU, "clusters": [
        {"name": "n", "nodes": nodes, "availableReplicas": 50, **agg},
        {"name": "a", "availableReplicas": 50, **agg},
        {"name": "f", "availableReplicas": 50},
    ]}
    assert _run(raw).capacity == {"n": 4, "a": 13, "f": 50}


def test_a_node_without_allocated_is_free():
    raw = {"replicas": 3, "request": GPU, "clusters": [{"name": "n", "nodes": [{"allocatable": {"pods": 110, "nvidia.com/gpu": 2}}]}]}
    r = _run(raw)
    assert (r.capacity, r.assignments, r.unplaced) == ({"n": 2}, {"n": 2}, 1)


def test_a_cluster_with_only_allocated_figures_gives_no_capacity():
    raw = {"replicas": 1, "clusters": [{"name": "x", "allocated": {"nvidia.com/gpu": 1}}]}
    assert _issues(raw) == [("clusters[0]", "cluster 'x' gives no capacity.",
                             "add availableReplicas, allocatable (with allocated/allocating) or nodes.")]
    # any single source is enough
    for source in ({"availableReplicas": 0}, {"allocatable": {"pods": 1}}, {"nodes": []}):
        assert parse_input({"replicas": 1, "clusters": [{"name": "x", **source}]}).clusters[0].name == "x"


def test_tiers_fill_in_order_and_the_default_tier_is_the_first():
    # "d" without a tier is tier 0: filled before tier 1 even though listed last
    raw = {"replicas": 5, "clusters": [{"name": "t1", "tier": 1, "availableReplicas": 9}, {"name": "d", "availableReplicas": 3}]}
    assert _run(raw).assignments == {"t1": 2, "d": 3}


def test_tier_limits():
    ok = parse_input({"replicas": 1, "clusters": [{"name": "a", "tier": 100, "availableReplicas": 1}]})
    assert ok.clusters[0].tier == 100
    for bad in (-1, 101):
        assert [p for p, _, _ in _issues({"replicas": 1, "clusters": [{"name": "a", "tier": bad, "availableReplicas": 1}]})] == [
            "clusters[0].tier"]


def test_weights_default_to_one_each_and_zero_means_none():
    # static, 6 replicas over two equal clusters without weights: 3 / 3
    raw = {"replicas": 6, "strategy": "static", "clusters": [{"name": "a", "availableReplicas": 9}, {"name": "b", "availableReplicas": 9}]}
    assert _run(raw).assignments == {"a": 3, "b": 3}
    raw["clusters"][1]["weight"] = 0
    raw["clusters"][0]["weight"] = 1_000_000
    assert _run(raw).assignments == {"a": 6, "b": 0}
    raw["clusters"][0]["weight"] = 1_000_001
    assert [p for p, _, _ in _issues(raw)] == ["clusters[0].weight"]


def test_the_default_strategy_divides_by_capacity():
    # dynamic (the default): 6 replicas over free capacity 2 and 4 in one tier -> 2 / 4
    raw = {"replicas": 6, "clusters": [{"name": "a", "availableReplicas": 2}, {"name": "b", "availableReplicas": 4}]}
    assert _run(raw).assignments == {"a": 2, "b": 4}


@pytest.mark.parametrize("field", ["replicas", "availableReplicas", "previous", "pending"])
def test_counts_run_from_zero_to_a_million(field):
    def raw(v):
        base = {"replicas": 1, "clusters": [{"name": "a", "availableReplicas": 1}]}
        if field == "replicas":
            base["replicas"] = v
        elif field == "availableReplicas":
            base["clusters"][0]["availableReplicas"] = v
        else:
            base["previous"] = {"a": 1_000_000}
            base[field] = {"a": v}
        return base

    for good in (0, 1_000_000):
        parse_input(raw(good))
    for bad in (-1, 1_000_001):
        (path, _, fix), = _issues(raw(bad))
        assert path.startswith({"replicas": "replicas", "availableReplicas": "clusters[0].availableReplicas",
                                "previous": "previous", "pending": "pending"}[field]) and fix == "use a value in the allowed range."


def test_strict_types_and_camel_case_paths():
    issues = _issues({"replicas": "7", "clusters": [{"name": "a", "availableReplicas": True}], "tieKey": 1})
    assert sorted(p for p, _, _ in issues) == ["clusters[0].availableReplicas", "replicas", "tieKey"]
    assert all(fix == "see the field's type and limits in docs/placement.md." for _, _, fix in issues)
    issues = _issues({"replicas": 1, "clusters": [{"name": "a", "availableReplicas": 1, "weigth": 2}]})
    assert issues == [("clusters[0].weigth", "Extra inputs are not permitted.",
                       "remove the key or fix its spelling (keys are camelCase).")]


def test_a_cluster_listed_twice():
    raw = {"replicas": 1, "clusters": [{"name": "a", "availableReplicas": 1}, {"name": "b", "availableReplicas": 1},
                                       {"name": "a", "availableReplicas": 2}]}
    assert _issues(raw) == [("<root>", "cluster 'a' is listed twice in clusters.", "list each cluster once.")]


def test_the_input_is_frozen():
    inp = parse_input({"replicas": 1, "clusters": [{"name": "a", "availableReplicas": 1}]})
    with pytest.raises(ValidationError, match="frozen_instance"):
        inp.replicas = 2  # type: ignore[misc]


def test_every_unbounded_cluster_is_named_with_its_index():
    # an empty request against clusters without a pods limit: nothing bounds the replicas
    raw = {"replicas": 1,
           "clusters": [{"name": "ok", "availableReplicas": 1}, {"name": "u1", "allocatable": {"cpu": "4"}},
                        {"name": "u2", "nodes": [{"allocatable": {"cpu": "4"}}]}]}
    with pytest.raises(ConfigError) as info:
        _run(raw)
    got = [(i.path, i.message, i.fix) for i in info.value.issues]
    fix = "request at least one resource, or give a pods limit in allocatable."
    assert got == [("clusters[1]", "capacity of 'u1' is unbounded: the request is empty and allocatable has no pods limit.", fix),
                   ("clusters[2]", "capacity of 'u2' is unbounded: the request is empty and a node has no pods limit.", fix)]


def test_the_tie_key_orders_equal_remainders():
    """Two clusters with equal weights and 1 replica: the tie key decides which gets it, so
    different workloads do not all land on the same one; the same key gives the same answer."""
    raw = {"replicas": 1, "strategy": "static",
           "clusters": [{"name": "a", "availableReplicas": 9}, {"name": "b", "availableReplicas": 9}]}
    picks = {k: max(_run({**raw, "tieKey": k}).assignments.items(), key=lambda kv: kv[1])[0] for k in ("ns/w1", "ns/w2", "ns/w3", "ns/w4")}
    assert set(picks.values()) == {"a", "b"}
    assert picks == {k: max(_run({**raw, "tieKey": k}).assignments.items(), key=lambda kv: kv[1])[0] for k in picks}
