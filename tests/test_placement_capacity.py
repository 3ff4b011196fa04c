"""Capacity from quantities, cluster aggregates and nodes."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from hybrid.placement_capacity import (
    AggregateCapacity,
    FixedCapacity,
    Node,
    NodeCapacity,
    QuantityError,
    UnboundedCapacity,
    normalise_request,
    offered,
    parse_quantity,
    used,
)

GPU = "nvidia.com/gpu"


@pytest.mark.parametrize("text,value", [
    ("500m", Fraction(1, 2)), ("64", 64), ("1Gi", 2**30), ("1.5Gi", 3 * 2**29), ("40Ti", 40 * 2**40),
    ("2k", 2000), ("1e3", 1000), ("2E-3", Fraction(2, 1000)), ("100M", 10**8), (8, 8), (0.25, Fraction(1, 4)),
])
def test_quantities_as_kubernetes_writes_them(text, value):
    assert parse_quantity(text) == value


@pytest.mark.parametrize("bad", ["", "Gi", "1..5", "5x", "-1", True, float("nan"), None, "1 Gi"])
def test_bad_quantities_are_rejected(bad):
    with pytest.raises(QuantityError):
        parse_quantity(bad)


def test_rounding_is_cautious():
    assert offered("cpu", "0.0015") == 1 and used("cpu", "0.0015") == 2  # millicores
    assert offered("memory", "1.0000001") == 1 and used("memory", "1.0000001") == 2


def test_aggregate_is_min_over_resources_and_pod_limit():
    req = normalise_request({"cpu": "500m", "memory": "1Gi", GPU: 1})
    cap = AggregateCapacity({"pods": 110, "cpu": "64", "memory": "512Gi", GPU: 8},
                            {"pods": 100, "cpu": "10", GPU: 2}, {"pods": 5, GPU: 1})
    assert cap.replicas_for(req) == 5  # pods: 110-100-5
    cap = AggregateCapacity({"pods": 110, "cpu": "64", "memory": "512Gi", GPU: 8}, {GPU: 2}, {GPU: 1})
    assert cap.replicas_for(req) == 5  # GPUs: 8-2-1


def test_missing_resource_fits_nothing_and_empty_request_needs_pod_limit():
    assert AggregateCapacity({"cpu": "64"}).replicas_for(normalise_request({GPU: 1})) == 0
    with pytest.raises(UnboundedCapacity):
        AggregateCapacity({"cpu": "64"}).replicas_for({})
    assert AggregateCapacity({"pods": 7}).replicas_for({}) == 7


def test_nodes_see_gpu_fragmentation_the_aggregate_misses():
    req = normalise_request({"cpu": "8", "memory": "32Gi", GPU: 2})
    nodes = [Node({"cpu": "32", "memory": "256Gi", GPU: 4, "pods": 110}, {GPU: 3}) for _ in range(8)]
    aggregate = AggregateCapacity({"cpu": "256", "memory": "2048Gi", GPU: 32, "pods": 880}, {GPU: 24})
    assert aggregate.replicas_for(req) == 4  # 8 free GPUs / 2
    assert NodeCapacity(nodes).replicas_for(req) == 0  # one free GPU per node


def test_consume_deducts_from_every_source():
    req = normalise_request({"cpu": "1", GPU: 1})
    assert FixedCapacity(5).consume(req, 3).replicas_for(req) == 2
    agg = AggregateCapacity({"cpu": "8", GPU: 4, "pods": 10})
    assert agg.consume(req, 3).replicas_for(req) == 1
    nodes = NodeCapacity((Node({"cpu": "4", GPU: 2}), Node({"cpu": "4", GPU: 2})))
    after = nodes.consume(req, 3)
    assert after.per_node(req) == [0, 1]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 64), st.integers(0, 8), st.integers(0, 8)), min_size=1, max_size=20),
       st.integers(1, 8), st.integers(0, 4))
def test_node_view_never_exceeds_aggregate(shapes, cpu_req, gpu_req):
    """Per-node capacity is at most the aggregate figure (fragmentation only loses room)."""
    req = normalise_request({"cpu": cpu_req, GPU: gpu_req})
    nodes = [Node({"cpu": c, GPU: g}, {GPU: min(u, g)}) for c, g, u in shapes]
    total = AggregateCapacity({"cpu": sum(c for c, _, _ in shapes), GPU: sum(g for _, g, _ in shapes)},
                              {GPU: sum(min(u, g) for _, g, u in shapes)})
    assert NodeCapacity(nodes).replicas_for(req) <= total.replicas_for(req)
