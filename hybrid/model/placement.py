"""Workloads whose replicas the placement calculator spreads over clusters."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from hybrid.model.base import Model, Name

Quantity = str | int | float


class IdcCapacity(Model):
    allocatable: dict[str, Quantity] = Field(default_factory=dict)
    allocated: dict[str, Quantity] = Field(default_factory=dict)
    allocating: dict[str, Quantity] = Field(default_factory=dict)


class Workload(Model):
    name: Name
    replicas: int = Field(ge=0)
    strategy: Literal["static", "dynamic", "aggregated"] = "dynamic"
    request: dict[str, Quantity] = Field(default_factory=dict)
    weights: dict[str, int] = Field(default_factory=dict)
    previous: dict[str, int] = Field(default_factory=dict)
    namespace: str = "default"


class Placement(Model):
    idc_capacity: Optional[IdcCapacity] = None
    serverless_replicas: dict[str, int] = Field(default_factory=dict, description="Per virtual-node region: replicas the Serverless quota admits.")
    workloads: list[Workload] = Field(default_factory=list)
