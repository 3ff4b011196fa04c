"""hybrid.placement_capacity: hand-worked capacities at the edges (full, overcommitted, one left).

Kubernetes facts used (kubernetes/apimachinery pkg/api/resource/quantity.go, the scheduler's
fit predicate in pkg/scheduler/framework/plugins/noderesources/fit.go): a quantity may carry a
sign ("+5" is 5); cpu is counted in millicores (1 = 1000m); a pod fits when every requested
resource, and one pod slot, is free after what is already taken; a node whose pods or resources
are overcommitted fits nothing. Quantity strings here are used nowhere else in the suite, so the
module's conversion caches cannot answer for the code under test.
"""

from __future__ import annotations

import pytest

from hybrid.placement_capacity import (
    AggregateCapacity, FixedCapacity, Node, NodeCapacity, QuantityError, UnboundedCapacity, fit,
    normalise_request, offered, parse_quantity, used,
)

GPU = "nvidia.com/gpu"


def test_signed_and_malformed_numbers():
    assert parse_quantity("+7") == 7
    assert parse_quantity("+0.75") == pytest.approx(0.75)
    for bad in ("+k", "X1", "+", "--3", "1..5"):
        with pytest.raises(QuantityError):
            parse_quantity(bad)


def test_cpu_is_counted_in_millicores_and_rounded_in_the_cautious_direction():
    assert offered("cpu", "1.25") == 1250
    assert used("cpu", "0.3") == 300
    # 0.0005 cores = half a millicore: offered rounds down, used rounds up.
    assert offered("cpu", "0.0005") == 0
    assert used("cpu", "0.0005") == 1
    assert offered("memory", "1.5Ki") == 1536


def test_rounding_direction_does_not_leak_between_offered_and_used():
    # the same quantity asked both ways, in both orders
    assert used("cpu", "0.0007") == 1 and offered("cpu", "0.0007") == 0
    assert offered("cpu", "0.0009") == 0 and used("cpu", "0.0009") == 1


def test_request_pods_are_ignored_whatever_sorts_after_them():
    assert normalise_request({"pods": 3, "vendor.example/fpga": 1, "cpu": "250m"}) == {
        "cpu": 250, "vendor.example/fpga": 1}


@pytest.mark.parametrize("alloc_pods,taken_pods,expected", [
    (110, 100, 10),   # ten pod slots left
    (110, 109, 1),    # exactly one
    (110, 110, 0),    # full
    (110, 115, 0),    # overcommitted: still nothing, never a negative count
])
def test_pod_slots_limit_the_fit(alloc_pods, taken_pods, expected):
    assert fit({GPU: 1}, {"pods": alloc_pods, GPU: 64}, {"pods": taken_pods}) == expected


def test_overcommitted_resource_fits_nothing():
    assert fit({GPU: 1}, {GPU: 8}, {GPU: 9}) == 0
    assert fit({GPU: 1}, {"pods": 110, GPU: 8}, {GPU: 9}) == 0


def test_taken_cpu_is_read_in_millicores():
    # 4 cores offered, 1.75 taken: 2,250m free, 1 core per replica -> 2
    assert fit({"cpu": 1000}, {"cpu": "4"}, {"cpu": "1750m"}) == 2


def test_fixed_capacity_never_below_zero():
    assert FixedCapacity(0).replicas_for({GPU: 1}) == 0
    assert FixedCapacity(-3).replicas_for({GPU: 1}) == 0
    assert FixedCapacity(2).consume({GPU: 1}, 2).replicas_for({GPU: 1}) == 0
    assert FixedCapacity(5).consume({GPU: 1}, 2).replicas_for({GPU: 1}) == 3


def test_aggregate_consume_keeps_allocated_and_adds_one_pod_per_replica():
    cap = AggregateCapacity({"pods": 10, GPU: 100, "cpu": "64"}, allocated={GPU: 4}, allocating={"cpu": "1500m"})
    req = {GPU: 1, "cpu": 500}
    after = cap.consume(req, 4)
    # pods: 10 - 4 = 6 slots; GPUs: 100 - 4 - 4 = 92; cpu: 64,000m - 1,500m - 2,000m = 60,500m -> 121
    assert after.replicas_for(req) == 6
    assert after.allocating["cpu"] == "3500m" and after.allocating["pods"] == 4
    assert after.allocated == {GPU: 4}
    gpu_only = AggregateCapacity({GPU: 8}, allocated={GPU: 4}).consume({GPU: 1}, 1)
    assert gpu_only.replicas_for({GPU: 1}) == 3


def test_node_consume_binds_first_fit_and_returns_the_new_capacity():
    nodes = NodeCapacity((Node({"pods": 110, GPU: 8}), Node({"pods": 110, GPU: 8})))
    after = nodes.consume({GPU: 2}, 1)
    assert isinstance(after, NodeCapacity)
    assert after.per_node({GPU: 2}) == [3, 4]


def test_unbounded_capacity_is_refused_with_its_reason():
    with pytest.raises(UnboundedCapacity, match="request is empty.*no pods limit"):
        AggregateCapacity({GPU: 8}).replicas_for({})
    with pytest.raises(UnboundedCapacity, match="request is empty.*no pods limit"):
        NodeCapacity((Node({GPU: 8}),)).replicas_for({})
