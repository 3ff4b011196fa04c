"""What one component hands to another: one frozen output type per concern.

A component reads another concern only through these values, never through the other
component's object; providers travel through ``opts`` (``providers={...}``), never here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi


@dataclass(frozen=True)
class RegionNetworkOutputs:
    """One cloud region's network ids, as RegionNetwork declares them."""

    region_id: str
    ipv6: bool
    vpc_id: pulumi.Output[str]
    vswitch_ids: pulumi.Output[dict[str, str]]        # zone -> node vSwitch id
    pod_vswitch_ids: pulumi.Output[dict[str, str]]    # zone -> Terway pod vSwitch id
    security_group_id: pulumi.Output[str]   # workers: the instances' primary ENI
    pod_security_group_id: pulumi.Output[str]  # pods: the ENIs Terway creates
    idc_routes: pulumi.Output[dict[str, Any]]         # what each IDC range's route points at

    def exported(self) -> dict[str, pulumi.Output[Any]]:
        """The ids under their stack-output names (the component's outputs and the stack's ``networks``)."""
        return {"vpcId": self.vpc_id, "vswitchIds": self.vswitch_ids, "podVswitchIds": self.pod_vswitch_ids,
                "securityGroupId": self.security_group_id, "podSecurityGroupId": self.pod_security_group_id,
                "idcRoutes": self.idc_routes}


@dataclass(frozen=True)
class RegisteredClusterOutputs:
    """The registered cluster as the components installed on it see it."""

    cluster_id: pulumi.Output[str]
    # The agent's Deployment: pulumi-kubernetes reports it created once its pods are Ready, i.e.
    # the agent has dialled out and the cluster left "waiting", where CS API addon installs fail.
    connected: pulumi.Resource
    # The ack-agent-config ConfigMap, carrying the platform's keys (addNodeScriptPath for elastic pools).
    agent_config: pulumi.Resource
    # The Fleet memberships (empty without registration.fleet): Fleet objects wait for them.
    memberships: tuple[pulumi.Resource, ...] = ()


@dataclass(frozen=True)
class GpuPoolOutputs:
    """One fixed GPU pool's instances, for the node role and the stack's hand-off output."""

    instance_type: str
    gpus_per_node: int
    # (the pool's name and slot, e.g. "a100-cn-beijing-h-0"; the instance id) per instance
    instances: tuple[tuple[str, pulumi.Output[str]], ...]
    # instanceId, privateIp, nodeName and zone per node: what `hybrid-gpu wait-gpus` looks for
    nodes: pulumi.Output[list[dict[str, Any]]]


@dataclass(frozen=True)
class NodeRoleOutputs:
    """A region's GPU node RAM role, for other node kinds that carry it (elastic pools)."""

    role_name: pulumi.Output[str]
    # The role's policy attachment: nodes must not start before the role carries its policy.
    ready: pulumi.Resource
