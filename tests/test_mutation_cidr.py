"""hybrid.cidr: boundaries and explicit prefixes, each case worked out by hand.

vSwitch masks /16../29: VPC CreateVSwitch, as docs/validators.md cites it (platform._regions). Addresses below are counted by hand
from the VPC's first address in block-sized steps.
"""

from __future__ import annotations

import signal
from contextlib import contextmanager

import pytest

from hybrid.cidr import PlanningError, plan_zones


@contextmanager
def _bounded(seconds: int = 5):
    """An allocator that stops advancing must fail the test, not hang it."""
    def stop(*_):
        raise TimeoutError("plan_zones did not finish")
    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _plans(*args, **kw):
    with _bounded():
        return [(p.zone, p.pod_cidr, p.node_cidr) for p in plan_zones(*args, **kw)]


def test_last_block_of_the_vpc_is_used():
    # /27 = four /29 blocks: .0 .8 .16 .24; the fourth zone block is the VPC's last one.
    assert _plans("10.0.0.0/27", ["a", "b"], node_prefix=29, pod_prefix=29) == [
        ("a", "10.0.0.0/29", "10.0.0.8/29"),
        ("b", "10.0.0.16/29", "10.0.0.24/29"),
    ]


def test_a_fifth_block_does_not_fit_and_the_error_names_its_size():
    with pytest.raises(PlanningError, match=r"no free /29 block"):
        _plans("10.0.0.0/27", ["a", "b", "c"], node_prefix=29, pod_prefix=29)


def test_explicit_node_prefix_is_used():
    # pod /19 (default for a /16) at .0.0, then the first free /24 after it: 10.0.32.0/24.
    assert _plans("10.0.0.0/16", ["a"], node_prefix=24) == [("a", "10.0.0.0/19", "10.0.32.0/24")]


def test_explicit_pod_prefix_is_used():
    # pod /20 at .0.0 (4,096 addresses), node /22 (default) right after it at 10.0.16.0.
    assert _plans("10.0.0.0/16", ["a"], pod_prefix=20) == [("a", "10.0.0.0/20", "10.0.16.0/22")]


def test_vswitch_mask_bounds_are_16_and_29_inclusive():
    assert _plans("10.0.0.0/8", ["a"], node_prefix=16, pod_prefix=16) == [("a", "10.0.0.0/16", "10.1.0.0/16")]
    assert _plans("10.0.0.0/28", ["a"], node_prefix=29, pod_prefix=29) == [("a", "10.0.0.0/29", "10.0.0.8/29")]
    with pytest.raises(PlanningError, match=r"/30 is outside /16../29"):
        plan_zones("10.0.0.0/16", ["a"], node_prefix=30)
    with pytest.raises(PlanningError, match=r"/15 is outside /16../29"):
        plan_zones("10.0.0.0/8", ["a"], pod_prefix=15)


def test_a_block_larger_than_the_vpc_is_named():
    with pytest.raises(PlanningError, match=r"a /19 block does not fit in the /20 VPC"):
        plan_zones("10.0.0.0/20", ["a"], pod_prefix=19)


def test_a_pod_block_as_large_as_the_vpc_fits_and_the_node_block_is_what_is_missing():
    # The /16 pod block takes the whole /16 VPC (a block of the VPC's own size fits); the
    # /22 node block then finds no room, and the error is about that block.
    with pytest.raises(PlanningError, match=r"no free /22 block"):
        plan_zones("10.0.0.0/16", ["a"], pod_prefix=16)


def test_an_unaligned_used_range_skips_only_the_block_it_lies_in():
    # 10.0.0.0/32 taken: the /19 at .0.0 clashes, the next /19 is 10.0.32.0; the /22 at .0.0
    # clashes, the next /22 (10.0.4.0) is free.
    assert _plans("10.0.0.0/16", ["a"], used=["10.0.0.0/32"]) == [("a", "10.0.32.0/19", "10.0.4.0/22")]
    # the same with the second address of the block taken
    assert _plans("10.0.0.0/16", ["a"], used=["10.0.0.1/32"]) == [("a", "10.0.32.0/19", "10.0.4.0/22")]
