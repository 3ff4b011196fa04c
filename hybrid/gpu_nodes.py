"""Where a pool's instances go and what the cluster calls them: pure, shared by the pool
component (resource and host names) and `hybrid-gpu wait-gpus` (which nodes to wait for)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hybrid.model import Platform
    from hybrid.model.gpu import GpuPool


# The GPU pool component's Pulumi type token (components/gpu_pool.py registers it); the policy pack
# reads it in an instance's parent chain: only GPU pool instances carry the node role.
POOL_TYPE = "hybrid:gpu:GpuNodePool"


@dataclass(frozen=True)
class Slot:
    """One instance position: the zone and its index within the zone."""

    zone: str
    index: int

    @property
    def suffix(self) -> str:
        return f"{self.zone}-{self.index}"


def plan_slots(zones: list[str], count: int) -> list[Slot]:
    """Spread ``count`` instances round-robin over ``zones``.

    Instance i goes to zone i mod len(zones) with index i div len(zones), so
    raising or lowering the count only adds or removes the highest indexes:
    existing instances keep their names (and their data disks).
    """
    return [Slot(zones[i % len(zones)], i // len(zones)) for i in range(count)]


def host_name(pool: "GpuPool", slot: Slot) -> str:
    """ECS host name of the slot's instance; kubeadm registers the node under it."""
    return f"{pool.name}-{slot.suffix}"


@dataclass(frozen=True)
class ExpectedNode:
    pool: str  # "<region>/<pool>"
    name: str
    gpus: int


def expected_nodes(platform: "Platform") -> list[ExpectedNode]:
    return [ExpectedNode(f"{r.id}/{p.name}", host_name(p, s), p.spec.gpus)
            for r in platform.regions for p in r.gpu_pools for s in plan_slots(p.zones, p.count)]
