"""Registration of the IDC cluster to ACK One as a registered cluster."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field, StringConstraints, model_validator

from hybrid.errors import FieldError
from hybrid.model.base import Model, Name, RegionId
from hybrid.model.elastic import Autoscaler


class Agent(Model):
    endpoint: Literal["private", "public"] = Field(default="private", description="private = agent dials the internal endpoint over the leased line.")
    mode: Literal["restricted", "admin"] = Field(default="restricted", description="AgentMode of DescribeExternalAgent; admin lets the agent act as cluster-admin.")


_ACK_CLUSTER_ID = r"^c[0-9a-z]{8,40}$"


class Fleet(Model):
    """The ACK One Fleet (Karmada) the placement is applied to.

    ``name`` creates a Fleet instance, ``id`` references an existing one. ``apply``
    declares the Karmada objects (PropagationPolicies, FederatedHPAs, PriorityClasses)
    on the Fleet through its kubeconfig, the file HYBRID_FLEET_KUBECONFIG names: that
    kubeconfig exists only once the Fleet does, so a first ``pulumi up`` creates the
    Fleet with ``apply: false`` and the next one applies. Without ``apply`` the plan
    writes the objects under ``not-applied/``.
    """

    enabled: bool = False
    name: Optional[Name] = Field(default=None, description="Create an ACK One Fleet instance of this name.")
    id: Optional[Annotated[str, StringConstraints(pattern=_ACK_CLUSTER_ID)]] = Field(
        default=None, description="Reference an existing Fleet instance by its cluster id instead of creating one.")
    apply: bool = Field(default=False, description="Declare the Karmada objects on the Fleet (needs the Fleet's kubeconfig file, HYBRID_FLEET_KUBECONFIG).")
    members: dict[Name, Annotated[str, StringConstraints(pattern=_ACK_CLUSTER_ID)]] = Field(
        default_factory=dict,
        description="Other ACK clusters to attach as Fleet members, keyed by their placement cluster name "
                    "(a region id or <region>-serverless); the IDC cluster is always a member.")

    @model_validator(mode="after")
    def _name_when_enabled(self) -> "Fleet":
        if self.enabled and not (self.name or self.id):
            raise FieldError("fleet.enabled is true but neither a fleet name nor an id is given.",
                             "set fleet.name (the ACK One fleet to create) or fleet.id (an existing one), or disable the fleet.")
        if self.name and self.id:
            raise FieldError("fleet.name and fleet.id are both set.", "set name to create a fleet, or id to reference one, not both.")
        if (self.apply or self.members) and not self.enabled:
            raise FieldError("fleet.apply or fleet.members is set but the fleet is not enabled.", "set fleet.enabled: true or drop them.")
        return self


class Registration(Model):
    cluster_name: Name
    region_id: RegionId
    agent: Agent = Agent()
    console_access: Literal["read-only", "admin"] = Field(default="read-only", description="ClusterRole bound to the agent: what the ACK console may do in the IDC cluster.")
    deletion_protection: bool = True
    fleet: Fleet = Fleet()
    autoscaler: Autoscaler = Field(default_factory=Autoscaler, description="cluster autoscaling; installed only when a region declares elasticPools")
