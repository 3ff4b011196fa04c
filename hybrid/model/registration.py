"""Registration of the IDC cluster to ACK One as a registered cluster."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal, Optional

from pydantic import Field, StringConstraints, model_validator

from hybrid import unconfirmed
from hybrid.errors import FieldError
from hybrid.model.base import ClusterName, Model, Name, RegionId
from hybrid.model.cni import TERWAY_ADDON
from hybrid.model.elastic import AUTOSCALER_ADDON, Autoscaler
from hybrid.virtual_node import ADDON_NAME as VIRTUAL_NODE_ADDON

if TYPE_CHECKING:
    from hybrid.model.platform import Platform


class Agent(Model):
    endpoint: Literal["private", "public"] = Field(default="private", description="private = agent dials the internal endpoint over the leased line.")
    mode: Literal["restricted", "admin"] = Field(default="restricted", description="AgentMode of DescribeExternalAgent. restricted is refused when the stack "
                                                                                 "installs components (ack-virtual-node, terway-eniip, cluster-autoscaler) or "
                                                                                 "creates node pools through the CS API: those need admin (docs/permissions.md).")


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
    console_access: Literal["read-only", "admin"] = Field(default="read-only", description="What the agent (and so the ACK console) may do in the IDC cluster: read-only = the program's read-only "
                                                                                             "ClusterRole; admin = cluster-admin, with agent.mode: admin.")
    deletion_protection: bool = True
    fleet: Fleet = Fleet()
    autoscaler: Autoscaler = Field(default_factory=Autoscaler, description="cluster autoscaling; installed only when a region declares elasticPools")


# --- what makes ACK act in the cluster through the agent ------------------------------

# Restricted mode is not enough for these: "Additional permissions are required for specific operations:
# installing components, creating node pools", and in restricted mode components are managed with onectl,
# which grants the agent temporary administrator permissions (Alibaba, "RBAC permissions required by the
# ack-cluster-agent component", hybrid.agent.RBAC_PAGE). Installing a component creates its ClusterRoles and
# bindings, which Kubernetes allows only to a holder of every permission in them or of the escalate / bind
# verbs (ESCALATION): admin-equivalent rights for these charts. The page's YAML for those additional
# permissions is not readable here, so administrator mode is the one mode that grants them.
ADDITIONAL_PERMISSIONS = ("Alibaba's \"RBAC permissions required by the ack-cluster-agent component\": \"Additional "
                          "permissions are required for specific operations: installing components, creating node pools\"")
ESCALATION = "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping"


@dataclass(frozen=True)
class ClusterActions:
    """What the stack has ACK do in the IDC cluster through the agent (via the CS API)."""

    components: tuple[str, ...]  # addon names: cs.KubernetesAddon
    node_pools: tuple[str, ...]  # "<name> (regions[i].elasticPools[j])": cs.NodePool

    def __bool__(self) -> bool:
        return bool(self.components or self.node_pools)

    def describe(self) -> str:
        parts = []
        if self.components:
            parts.append(f"installs the component{'s' if len(self.components) > 1 else ''} {', '.join(self.components)}")
        if self.node_pools:
            parts.append(f"creates the node pool{'s' if len(self.node_pools) > 1 else ''} {', '.join(self.node_pools)}")
        return " and ".join(parts)


def cluster_actions(platform: "Platform") -> ClusterActions:
    """Every component the stack installs through the CS API and every node pool it creates.

    Components, each with the ClusterRole its install creates: ack-virtual-node (components/virtual_node.py;
    its ServiceAccount and ClusterRole come with the addon: Alibaba, "ack-virtual-node permissions and
    customization"), terway-eniip with ``cni.terway.install: addon`` (components/cni.py; the Terway chart's
    ClusterRole terway, hybrid/cni.py terway_rbac), cluster-autoscaler with elastic pools (components/elastic.py;
    kubernetes/autoscaler charts/cluster-autoscaler/templates/clusterrole.yaml). Node pools: one per elastic pool.
    """
    pools = tuple(f"{pool.name} (regions[{ri}].elasticPools[{pi}])"
                  for ri, r in enumerate(platform.regions) for pi, pool in enumerate(r.elastic_pools))
    components = []
    if platform.virtual_node.enabled:
        components.append(VIRTUAL_NODE_ADDON)
    if platform.cni.terway.install == "addon":
        components.append(TERWAY_ADDON)
    if pools:
        components.append(AUTOSCALER_ADDON)
    return ClusterActions(tuple(components), pools)
