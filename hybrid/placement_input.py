"""The ``hybrid-gpu placement`` JSON contract: validated input, computed output.

Keys are camelCase like the stack config (``availableReplicas``, ``tieKey``);
the snake_case spelling (``available_replicas``, ``tie_key``) is accepted too.
Error paths use the camelCase spelling. docs/placement.md has a complete
example. A cluster's
capacity comes from the most precise source it gives: ``nodes``, else the
aggregate ``allocatable`` (minus ``allocated`` and ``allocating``), else
``availableReplicas``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from hybrid.errors import ConfigError, ConfigIssue, FieldError, validation_issues
from hybrid.model.base import ClusterName, LabelKey, PlainText
from hybrid.model.placement import Quantity
from hybrid.placement import Candidate, PlacementResult, pending_problem, place
from hybrid.placement_capacity import (
    AggregateCapacity,
    CapacitySource,
    FixedCapacity,
    Node,
    NodeCapacity,
    UnboundedCapacity,
    normalise_request,
)


# Bounds that keep the division cheap and its numbers meaningful (no fleet runs a billion replicas).
MAX_COUNT = 1_000_000
MAX_TIER = 100

Qty = Quantity  # one validator for quantities, shared with the stack config model
ResourceMap = dict[LabelKey, Qty]


class _Strict(BaseModel):
    # Strict: "7" is not a replica count and true is not 1.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, alias_generator=to_camel, populate_by_name=True)


class NodeInput(_Strict):
    allocatable: ResourceMap
    allocated: ResourceMap = Field(default_factory=dict)


class ClusterInput(_Strict):
    name: ClusterName
    tier: int = Field(default=0, ge=0, le=MAX_TIER)
    weight: int = Field(default=1, ge=0, le=MAX_COUNT)
    available_replicas: Optional[int] = Field(default=None, ge=0, le=MAX_COUNT)
    allocatable: Optional[ResourceMap] = None
    allocated: ResourceMap = Field(default_factory=dict)
    allocating: ResourceMap = Field(default_factory=dict)
    nodes: Optional[list[NodeInput]] = Field(default=None, max_length=100_000)

    @model_validator(mode="after")
    def _has_capacity(self) -> "ClusterInput":
        if self.available_replicas is None and self.allocatable is None and self.nodes is None:
            raise FieldError(
                f"cluster {self.name!r} gives no capacity.",
                "add availableReplicas, allocatable (with allocated/allocating) or nodes.",
            )
        return self

    def source(self) -> CapacitySource:
        """The most precise capacity source given."""
        if self.nodes is not None:
            return NodeCapacity(tuple(Node(n.allocatable, n.allocated) for n in self.nodes))
        if self.allocatable is not None:
            return AggregateCapacity(self.allocatable, self.allocated, self.allocating)
        assert self.available_replicas is not None  # guaranteed by _has_capacity
        return FixedCapacity(self.available_replicas)


class PlacementInput(_Strict):
    replicas: int = Field(ge=0, le=MAX_COUNT)
    strategy: Literal["static", "dynamic", "aggregated"] = "dynamic"
    request: ResourceMap = Field(default_factory=dict)
    clusters: list[ClusterInput] = Field(max_length=1_000)
    previous: dict[ClusterName, Annotated[int, Field(ge=0, le=MAX_COUNT)]] = Field(default_factory=dict)
    pending: dict[ClusterName, Annotated[int, Field(ge=0, le=MAX_COUNT)]] = Field(default_factory=dict)
    tie_key: PlainText = ""

    @model_validator(mode="after")
    def _unique(self) -> "PlacementInput":
        seen: set[str] = set()
        for c in self.clusters:
            if c.name in seen:
                raise FieldError(f"cluster {c.name!r} is listed twice in clusters.", "list each cluster once.")
            seen.add(c.name)
        problem = pending_problem(self.previous, self.pending)  # the stack model's rule (hybrid/model/placement.py)
        if problem:
            raise FieldError(*problem)
        return self


def issues_of(err: ValidationError) -> list[ConfigIssue]:
    """Pydantic errors as ConfigIssues with the field path the user wrote."""
    return validation_issues(err.errors(), key_style="camelCase", reference="docs/placement.md")


def parse_input(raw: Any) -> PlacementInput:
    try:
        return PlacementInput.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(issues_of(err)) from None


def compute(inp: PlacementInput) -> PlacementResult:
    """Capacity per cluster, then the division. Raises ConfigError with field paths."""
    request = normalise_request(inp.request)
    candidates = []
    issues = []
    for i, c in enumerate(inp.clusters):
        try:
            cap = c.source().replicas_for(request)
        except UnboundedCapacity as err:
            issues.append(ConfigIssue(f"clusters[{i}]", f"capacity of {c.name!r} is unbounded: {err}.",
                                      "request at least one resource, or give a pods limit in allocatable."))
            continue
        candidates.append(Candidate(c.name, cap, c.tier, c.weight))
    if issues:
        raise ConfigError(issues)
    return place(inp.replicas, candidates, inp.strategy, inp.previous, inp.pending, inp.tie_key)
