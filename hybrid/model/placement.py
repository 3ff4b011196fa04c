"""Workloads whose replicas the placement calculator spreads over clusters.

Cluster names the workloads may refer to (weights, previous, pending):
the IDC cluster (``idc.name``, tier 0), every region with GPU pools (its
region id, tier 1) and every ``serverlessReplicas`` region as
``<region>-serverless`` (tier 2). See docs/placement.md.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import BeforeValidator, Field, model_validator

from hybrid.errors import FieldError
from hybrid.model.base import Model, Name, RegionId
from hybrid.placement_capacity import QuantityError, parse_quantity


def _quantity(value: Any) -> Any:
    try:
        parse_quantity(value)
    except QuantityError as err:
        raise FieldError(str(err), "write a Kubernetes quantity such as 500m, 4, 16Gi or 1.5e3.") from None
    return value


Quantity = Annotated[str | int | float, BeforeValidator(_quantity)]
Count = Annotated[int, Field(ge=0)]


class IdcCapacity(Model):
    """Cluster totals as the IDC reports them (kubectl / Karmada resourceSummary)."""

    allocatable: dict[str, Quantity] = Field(default_factory=dict)
    allocated: dict[str, Quantity] = Field(default_factory=dict)
    allocating: dict[str, Quantity] = Field(default_factory=dict)


class Workload(Model):
    name: Name
    replicas: int = Field(ge=0)
    strategy: Literal["static", "dynamic", "aggregated"] = "dynamic"
    request: dict[str, Quantity] = Field(default_factory=dict, description="Per-replica requests, e.g. {cpu: 4, memory: 16Gi, nvidia.com/gpu: 1}.")
    weights: dict[str, Count] = Field(default_factory=dict, description="Static weights per cluster; unlisted clusters get 0; none or all zero: equal.")
    previous: dict[str, Count] = Field(default_factory=dict, description="Replicas each cluster runs today; kept on scale-out.")
    pending: dict[str, Count] = Field(default_factory=dict, description="Of previous, replicas not running (Pending); placed again.")
    namespace: Name = "default"
    kind: Literal["Deployment", "StatefulSet"] = "Deployment"

    @model_validator(mode="after")
    def _pending_within_previous(self) -> "Workload":
        for cluster, n in self.pending.items():
            if n > self.previous.get(cluster, 0):
                raise FieldError(
                    f"pending[{cluster}] = {n} is more than previous[{cluster}] = {self.previous.get(cluster, 0)}.",
                    "pending counts replicas of previous that are not running; lower it or raise previous.",
                )
        return self


class Placement(Model):
    idc_capacity: Optional[IdcCapacity] = None
    serverless_replicas: dict[RegionId, Count] = Field(default_factory=dict, description="Per virtual-node region: replicas the Serverless quota admits.")
    workloads: list[Workload] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_workloads(self) -> "Placement":
        seen: set[tuple[str, str]] = set()
        for w in self.workloads:
            key = (w.namespace, w.name)
            if key in seen:
                raise FieldError(f"workload {w.namespace}/{w.name} is declared twice.", "give each workload a unique name within its namespace.")
            seen.add(key)
        return self
