"""Registration of the IDC cluster to ACK One as a registered cluster."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field, StringConstraints, model_validator

from hybrid import unconfirmed
from hybrid.errors import FieldError
from hybrid.model.base import ClusterName, Model, Name, RegionId
from hybrid.model.elastic import Autoscaler


class Agent(Model):
    endpoint: Literal["private", "public"] = Field(default="private", description="private = agent dials the internal endpoint over the leased line.")
    mode: Literal["restricted", "admin"] = Field(default="restricted", description="AgentMode of DescribeExternalAgent; admin lets the agent act as cluster-admin.")


_ACK_CLUSTER_ID = r"^c[0-9a-z]{8,40}$"
AckClusterId = Annotated[str, StringConstraints(pattern=_ACK_CLUSTER_ID)]
_KARMADA_VERSION = r"^v[0-9]{1,3}[.][0-9]{1,3}[.][0-9]{1,3}$"


class FleetMember(Model):
    """An ACK cluster the stack does not build, attached to the Fleet as a member of its own.

    Cloud pools, elastic pools and virtual nodes of this platform are nodes of the hybrid (IDC)
    cluster, so they are never members: the IDC member's available replicas include them.
    """

    cluster_id: AckClusterId = Field(description="The member's ACK cluster id (the Fleet names members by cluster id).")
    available_replicas: int = Field(ge=0, le=1_000_000,
                                    description="Replicas of a workload the member can host, as its operator reports them "
                                                "(the program does not build the member, so it does not model it).")


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
    members: dict[ClusterName, FleetMember] = Field(
        default_factory=dict,
        description="Other ACK clusters attached as Fleet members, by a name of your choice (not the IDC's name, nor a "
                    "region or tier of the hybrid cluster); the registered IDC cluster is always a member.")
    policy_api: Literal["ack", "karmada"] = Field(
        default="ack", description="Policy form: ack = policy.one.alibabacloud.com/v1alpha1, ACK's IDC-first groups with "
                                   "autoScaling.ecsProvision; karmada = policy.karmada.io/v1alpha1 at karmadaVersion.")
    karmada_version: Annotated[str, StringConstraints(pattern=_KARMADA_VERSION)] = Field(
        default=unconfirmed.value("fleet.karmadaVersion"),
        description="Karmada version the Fleet runs; a form it lacks is refused.")
    overflow: bool = Field(default=False, description="policyApi karmada: overflowAffinities (Karmada >= v1.18.0) instead of "
                                                      "ordered clusterAffinities groups.")

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
