"""Deterministic vSwitch CIDR planning inside a VPC.

Pure functions over netaddr. Used where a region lists a zone without CIDRs:
each such zone gets a pod vSwitch and a node vSwitch, first-fit in address
order, aligned, never overlapping what the config already fixed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import netaddr

# Alibaba Cloud vSwitch masks must lie in /16../29.
MIN_VSWITCH_PREFIX = 16
MAX_VSWITCH_PREFIX = 29


class PlanningError(ValueError):
    """The VPC has no room left for a requested block."""


@dataclass(frozen=True)
class ZonePlan:
    zone: str
    node_cidr: str
    pod_cidr: str


def default_prefixes(vpc_prefix: int) -> tuple[int, int]:
    """Node and pod vSwitch prefixes for a VPC: pods get 1/8 of it, nodes 1/64.

    A /16 VPC gives /19 pod vSwitches (8,192 addresses, one per pod in shared
    ENI mode) and /22 node vSwitches (1,024 addresses).
    """
    pod = min(max(vpc_prefix + 3, MIN_VSWITCH_PREFIX), MAX_VSWITCH_PREFIX)
    node = min(max(vpc_prefix + 6, MIN_VSWITCH_PREFIX), MAX_VSWITCH_PREFIX)
    return node, pod


class _Allocator:
    """First-fit allocation of aligned blocks, tracking used ranges as an IPSet."""

    def __init__(self, vpc: netaddr.IPNetwork, used: Iterable[str]):
        self.vpc = vpc
        self.used = netaddr.IPSet(netaddr.IPNetwork(c) for c in used)

    def take(self, prefix: int) -> netaddr.IPNetwork:
        if prefix < self.vpc.prefixlen:
            raise PlanningError(f"a /{prefix} block does not fit in the /{self.vpc.prefixlen} VPC")
        size = 1 << (32 - prefix)
        addr = self.vpc.first
        while addr + size - 1 <= self.vpc.last:
            block = netaddr.IPNetwork(f"{netaddr.IPAddress(addr)}/{prefix}")
            clash = self.used & netaddr.IPSet([block])
            if not clash:
                self.used.add(block)
                return block
            # jump past the highest used address inside this block, re-aligned
            last_used = max(r.last for r in clash.iter_ipranges())
            addr = ((last_used + 1 + size - 1) // size) * size
        raise PlanningError(f"no free /{prefix} block left")


def plan_zones(
    vpc_cidr: str,
    zones: Sequence[str],
    used: Iterable[str] = (),
    node_prefix: int | None = None,
    pod_prefix: int | None = None,
) -> list[ZonePlan]:
    """Carve a node and a pod vSwitch for each zone, in the order given.

    ``used`` are CIDRs already taken in the VPC (explicit vSwitches). Raises
    :class:`PlanningError` when the VPC is too small.
    """
    vpc = netaddr.IPNetwork(vpc_cidr)
    d_node, d_pod = default_prefixes(vpc.prefixlen)
    node_prefix = d_node if node_prefix is None else node_prefix
    pod_prefix = d_pod if pod_prefix is None else pod_prefix
    for p in (node_prefix, pod_prefix):
        if not MIN_VSWITCH_PREFIX <= p <= MAX_VSWITCH_PREFIX:
            raise PlanningError(f"vSwitch prefix /{p} is outside /{MIN_VSWITCH_PREFIX}../{MAX_VSWITCH_PREFIX}")
    alloc = _Allocator(vpc, used)
    plans = []
    for zone in zones:
        # Larger pod blocks first keeps the layout compact and aligned.
        pod = alloc.take(pod_prefix)
        node = alloc.take(node_prefix)
        plans.append(ZonePlan(zone, str(node), str(pod)))
    return plans
