"""Workloads whose replicas the placement calculator spreads over the topology.

Cluster names the workloads may refer to (weights, previous, pending): the tiers of the
hybrid (IDC) cluster, i.e. the IDC (``idc.name``), every region with GPU pools (its region
id), ``<region>-elastic`` and ``<region>-serverless``, and the other Fleet members
(``registration.fleet.members`` keys). See docs/placement.md, "The topology".
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import BeforeValidator, Field, model_validator

from hybrid.errors import FieldError
from hybrid.model.base import ClusterName, LabelKey, Model, Name, RegionId
from hybrid.placement import pending_problem
from hybrid.placement_capacity import QuantityError, parse_quantity


def _quantity(value: Any) -> Any:
    try:
        parse_quantity(value)
    except QuantityError as err:
        raise FieldError(str(err), "write a Kubernetes quantity such as 500m, 4, 16Gi or 1.5e3.") from None
    return value


Quantity = Annotated[str | int | float, BeforeValidator(_quantity)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]
# Resource names (cpu, memory, nvidia.com/gpu) follow the label-key grammar.
Resources = dict[LabelKey, Quantity]


class IdcCapacity(Model):
    """Cluster totals as the IDC reports them (kubectl / Karmada resourceSummary)."""

    allocatable: Resources = Field(default_factory=dict)
    allocated: Resources = Field(default_factory=dict)
    allocating: Resources = Field(default_factory=dict)


class ResourceMetric(Model):
    """A FederatedHPA resource metric: average utilization of the pods' requests."""

    resource: Literal["cpu", "memory"]
    average_utilization: int = Field(ge=1, le=1000, description="Target percent of the request, e.g. 70.")


class Autoscaling(Model):
    """A Karmada FederatedHPA for the workload (applied on the Fleet)."""

    min_replicas: int = Field(ge=1)
    max_replicas: int = Field(ge=1, le=1000)
    metrics: list[ResourceMetric] = Field(min_length=1)

    @model_validator(mode="after")
    def _range(self) -> "Autoscaling":
        if self.min_replicas > self.max_replicas:
            raise FieldError(f"minReplicas {self.min_replicas} is more than maxReplicas {self.max_replicas}.",
                             "lower minReplicas or raise maxReplicas.")
        return self


class Priority(Model):
    """The PriorityClass the workload's pods use (declared on the Fleet, propagated to every member)."""

    class_name: Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    value: int = Field(ge=-(10**9), le=10**9, description="Pod priority; above 1e9 is reserved for system classes.")
    preemption_policy: Literal["PreemptLowerPriority", "Never"] = "PreemptLowerPriority"
    description: str = ""


class Workload(Model):
    name: Name
    replicas: int = Field(ge=0, le=1_000_000)
    strategy: Literal["static", "dynamic", "aggregated"] = "dynamic"
    request: Resources = Field(default_factory=dict, description="Per-replica requests, e.g. {cpu: 4, memory: 16Gi, nvidia.com/gpu: 1}.")
    weights: dict[ClusterName, Count] = Field(default_factory=dict, description="Static weights per tier or member, dividing replicas inside a tier; unlisted clusters get 0; none or all zero: equal.")
    previous: dict[ClusterName, Count] = Field(default_factory=dict, description="Replicas each cluster runs today; kept on scale-out.")
    pending: dict[ClusterName, Count] = Field(default_factory=dict, description="Of previous, replicas not running (Pending); placed again.")
    namespace: Name = "default"
    kind: Literal["Deployment", "StatefulSet"] = "Deployment"
    autoscaling: Optional[Autoscaling] = Field(default=None, description="A FederatedHPA scales the workload between minReplicas and maxReplicas.")
    priority: Optional[Priority] = Field(default=None, description="PriorityClass of the workload's pods.")

    @model_validator(mode="after")
    def _pending_within_previous(self) -> "Workload":
        problem = pending_problem(self.previous, self.pending)
        if problem:
            raise FieldError(*problem)
        if self.autoscaling and not self.autoscaling.min_replicas <= self.replicas <= self.autoscaling.max_replicas:
            raise FieldError(f"replicas {self.replicas} is outside autoscaling [{self.autoscaling.min_replicas}, {self.autoscaling.max_replicas}].",
                             "plan for a replica count the FederatedHPA can reach.")
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
        classes: dict[str, Priority] = {}
        for w in self.workloads:
            if w.priority is None:
                continue
            other = classes.setdefault(w.priority.class_name, w.priority)
            if other != w.priority:
                raise FieldError(f"PriorityClass {w.priority.class_name} is given two different definitions.",
                                 "give every workload that shares a class the same value, preemptionPolicy and description.")
        return self
