"""Identities: the GPU nodes' RAM role per region, and the credential Secrets components read.

``NodeRole`` (``hybrid:identity:NodeRole``): one RAM role per region with the ECS trust
policy, one custom policy with exactly Terway's documented ENI actions (region-scoped,
see ``hybrid.identity``), their attachment, and one ``ecs.RamRoleAttachment`` per GPU
instance. RAM is global; the region's provider is used so the attachments (an ECS call)
go to the instances' region.

``CredentialSecret`` (``hybrid:identity:CredentialSecret``): a Kubernetes Secret whose values
come only from secret stack config, so they stay Pulumi secrets end to end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

import pulumi
import pulumi_alicloud as alicloud
import pulumi_kubernetes as k8s

from components.contracts import NodeRoleOutputs
from hybrid import identity


@dataclass
class NodeRoleArgs:
    environment: str
    region_id: str
    ipv6: bool
    scope: str = "region"  # identity.nodeRoleScope
    # (resource-name suffix, instance id) of every instance the role goes on.
    instances: Sequence[tuple[str, pulumi.Input[str]]] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)


class NodeRole(pulumi.ComponentResource):
    """The RAM role of one region's GPU nodes, its Terway policy and its instance attachments."""

    def __init__(self, name: str, args: NodeRoleArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("hybrid:identity:NodeRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.role_name = identity.node_role_name(args.environment, args.region_id)
        self.policy_document = identity.policy_json(identity.terway_policy(args.region_id, args.ipv6, args.scope))
        self.role = alicloud.ram.Role(
            f"{name}-role",
            role_name=self.role_name,
            assume_role_policy_document=identity.policy_json(identity.ECS_TRUST_POLICY),
            description=f"GPU nodes of {args.region_id} (hybrid {args.environment}): Terway's ENI calls only.",
            tags=args.tags,
            opts=child,
        )
        self.policy = alicloud.ram.Policy(
            f"{name}-policy",
            policy_name=identity.node_policy_name(args.environment, args.region_id),
            policy_document=self.policy_document,
            description=f"Terway (ENIMultiIP) ENI management in {args.region_id}; actions as terway docs/ecs.md lists them; "
                        f"resources per identity.nodeRoleScope ({args.scope}).",
            # A changed document becomes a new default version; old versions are pruned instead of piling up to the limit.
            rotate_strategy="DeleteOldestNonDefaultVersionWhenLimitExceeded",
            tags=args.tags,
            opts=child,
        )
        self.policy_attachment = alicloud.ram.RolePolicyAttachment(
            f"{name}-policy-attach",
            role_name=self.role.role_name,
            policy_name=self.policy.policy_name,
            policy_type="Custom",
            opts=child,
        )
        self.instance_attachments = [
            alicloud.ecs.RamRoleAttachment(
                f"{name}-{suffix}",
                instance_id=instance_id,
                ram_role_name=self.role.role_name,
                # The role must carry its policy before Terway on the node first asks for credentials.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.policy_attachment]),
            )
            for suffix, instance_id in args.instances
        ]
        self.outputs = NodeRoleOutputs(role_name=self.role.role_name, ready=self.policy_attachment)
        self.register_outputs({"roleName": self.role.role_name, "policyName": self.policy.policy_name})


@dataclass
class CredentialSecretArgs:
    name: str
    namespace: str
    data: Mapping[str, pulumi.Input[str]]  # every value from secret stack config
    labels: dict[str, str] = field(default_factory=dict)


class CredentialSecret(pulumi.ComponentResource):
    """A kube Secret filled only from secret config (values wrapped as secrets again)."""

    def __init__(self, name: str, args: CredentialSecretArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("hybrid:identity:CredentialSecret", name, None, opts)
        self.secret = k8s.core.v1.Secret(
            f"{name}-secret",
            metadata={"name": args.name, "namespace": args.namespace, "labels": args.labels},
            type="Opaque",
            string_data={k: pulumi.Output.secret(v) for k, v in sorted(args.data.items())},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"name": args.name})
