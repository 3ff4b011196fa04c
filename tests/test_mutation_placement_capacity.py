"""hybrid.placement_capacity: hand-worked capacities at the edges (full, overcommitted, one left).

Kubernetes facts used (kubernetes/apimachinery pkg/api/resource/quantity.go, the scheduler's
fit predicate in pkg/scheduler/framework/plugins/noderesources/fit.go): a quantity may carry a
sign ("+5" is 5); cpu is counted in millicores (1 = 1000m); a pod fits when every requested
resource, and one pod slot, is free after what is already taken; a node whose pods or resources
are overcommitted fits nothing.
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


# --- quantities: each refusal names the value and why (quantity.go's grammar and int64 range) -------------

def _refusal(value) -> str:
    with pytest.raises(QuantityError) as err:
        parse_quantity(value)
    return str(err.value)


def test_a_quantity_of_64_characters_parses_and_65_are_refused_quoting_the_start():
    at_limit = "0" * 63 + "1"  # 64 characters, the bound; value 1
    assert parse_quantity(at_limit) == 1
    assert _refusal("0" * 64 + "1") == f"{'0' * 20!r}... is longer than 64 characters."


def test_non_ascii_digits_are_refused_as_such():
    # Arabic-Indic five: str.isdigit() says yes, quantity.go's grammar (ASCII digits) says no.
    assert _refusal("\u0665") == "'\u0665' contains non-ASCII characters (only ASCII digits are quantities)."


@pytest.mark.parametrize("text", ["-", "+", ".", "+.", "1.2.3"])
def test_a_number_without_digits_or_with_two_points_is_not_a_quantity(text):
    assert _refusal(text) == f"{text!r} is not a Kubernetes quantity."


def test_a_trailing_sign_is_not_read_as_the_sign():
    assert _refusal("5-") == "'5-' has an unknown suffix '-'."


@pytest.mark.parametrize("text,value", [("1e3", 1000), ("2E-3", 0.002), ("3e+2", 300), ("1e18", 10**18), ("5e-18", 5e-18)])
def test_decimal_exponents_up_to_18_either_way(text, value):
    assert parse_quantity(text) == pytest.approx(value, rel=0, abs=1e-30)


@pytest.mark.parametrize("text", ["1e19", "1e-19"])
def test_an_exponent_past_18_is_refused_naming_the_bound(text):
    assert _refusal(text) == f"{text!r} has an exponent beyond +-18."


@pytest.mark.parametrize("text,suffix", [("1e", "e"), ("1E+", "E+"), ("1ex", "ex"), ("1e18k", "e18k"), ("2Kb", "Kb")])
def test_an_exponent_without_digits_is_an_unknown_suffix(text, suffix):
    assert _refusal(text) == f"{text!r} has an unknown suffix {suffix!r}."


@pytest.mark.parametrize("value,shown", [("9Ei", "'9Ei'"), ("10e18", "'10e18'"), (2**63 + 1, str(2**63 + 1)),
                                         (1e19, "1e+19")])
def test_values_above_2_to_the_63_are_refused_quoting_what_was_written(value, shown):
    # 9Ei = 9 * 2^60 > 2^63, 10e18 > 2^63 ~ 9.22e18; the int and float forms are quoted as given (int64 is
    # Kubernetes' bound).
    assert _refusal(value) == f"{shown} is above 2^63, more than Kubernetes can represent."
    assert parse_quantity(2**63) == 2**63  # the bound itself is representable here


def test_zero_is_a_quantity_and_negatives_are_refused():
    assert parse_quantity("0") == 0 and parse_quantity(0) == 0 and parse_quantity(0.0) == 0
    assert _refusal("-1") == "'-1' is negative."
    assert _refusal(-2) == "-2 is negative."
    assert _refusal(-0.5) == "-0.5 is negative."


@pytest.mark.parametrize("value,message", [(True, "True is a boolean, not a quantity."),
                                           (float("nan"), "nan is not a finite number."),
                                           (float("inf"), "inf is not a finite number."),
                                           ([1], "[1] is neither a string nor a number.")])
def test_other_types_are_refused_naming_the_value(value, message):
    assert _refusal(value) == message


def test_a_boolean_is_refused_even_after_the_same_number_was_converted():
    # True == 1 and hash(True) == hash(1): a conversion cache keyed without the type would answer
    # True with 1's millicores; Kubernetes has no boolean quantity.
    assert used("cpu", 1) == 1000 and offered("memory", 1) == 1
    for conv in (used, offered):
        with pytest.raises(QuantityError, match=r"^True is a boolean, not a quantity\.$"):
            conv("cpu", True)


def test_used_rounds_up_and_offered_down_for_every_resource():
    # 2.0007 cores = 2000.7 m; 2.5 bytes of memory: used takes the next whole unit, offered the last.
    assert (used("cpu", "2.0007"), offered("cpu", "2.0007")) == (2001, 2000)
    assert (used("memory", "2.5"), offered("memory", "2.5")) == (3, 2)
    assert (used(GPU, "3"), offered(GPU, "3")) == (3, 3)  # only cpu is scaled to milli-units


def test_a_decimal_suffix_above_2_63_names_the_text():
    # 10E = 10 * 10^18 > 2^63 - 1 (quantity.go: int64 scaled values)
    with pytest.raises(QuantityError, match=r"^'10E' is above 2\^63, more than Kubernetes can represent\.$"):
        parse_quantity("10E")


def test_an_exponent_suffix_must_be_digits_after_the_sign():
    # "1eX3": e followed by no signed integer is no exponent (quantity.go's suffix grammar), so the
    # whole rest is an unknown suffix, not a number to read
    with pytest.raises(QuantityError, match=r"^'1eX3' has an unknown suffix 'eX3'\.$"):
        parse_quantity("1eX3")


def test_an_empty_request_on_capacity_without_a_pods_limit_says_which_view():
    with pytest.raises(UnboundedCapacity, match=r"^the request is empty and allocatable has no pods limit$"):
        AggregateCapacity({"cpu": "4"}).replicas_for({})
    with pytest.raises(UnboundedCapacity, match=r"^the request is empty and a node has no pods limit$"):
        NodeCapacity([Node({"cpu": "4"})]).per_node({})
