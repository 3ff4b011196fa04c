"""JoinTokenStore: the private, encrypted OSS bucket of one region's kubeadm join token, and who may read it.

The program creates the bucket, its ACL, its encryption and the RAM policy that lets the region's
GPU node role(s) ``oss:GetObject`` the one object ``join-token``; it never writes the object. The
operator does (``hybrid-gpu join-token put``), so the token is in no stack config and no Pulumi
state, where every preview could decrypt it (docs/pipeline.md). Nodes read it at boot with their
instance RAM role over the region's VPC-internal endpoint (``hybrid/scripts/hybrid-join-token.sh``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import pulumi
import pulumi_alicloud as alicloud

from components.oss import private_bucket
from hybrid import identity
from hybrid.model import join_token


@dataclass
class JoinTokenStoreArgs:
    environment: str
    region_id: str
    bucket: str                                   # hybrid.model.join_token.bucket_name
    role_names: list[pulumi.Input[str]] = field(default_factory=list)  # every RAM role of the region's GPU nodes
    tags: dict[str, str] = field(default_factory=dict)


def read_policy(bucket: str) -> dict[str, Any]:
    """RAM policy: read the join-token object of the bucket and nothing else."""
    return {"Version": "1", "Statement": [{"Effect": "Allow", "Action": ["oss:GetObject"],
                                           "Resource": [f"acs:oss:*:*:{bucket}/{join_token.TOKEN_KEY}"]}]}


class JoinTokenStore(pulumi.ComponentResource):
    def __init__(self, name: str, args: JoinTokenStoreArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("hybrid:identity:JoinTokenStore", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = {**args.tags, "env": args.environment, "managed-by": "pulumi", "role": "join-token"}
        self.bucket_name = args.bucket
        # No versioning: a rotated token must not linger as an old version.
        self.bucket, self.bucket_acl = private_bucket(f"{name}-bucket", f"{name}-acl", args.bucket, tags, child,
                                                      versioned=False)
        self.policy = alicloud.ram.Policy(
            f"{name}-read",
            policy_name=f"hybrid-{args.environment}-{args.region_id}-join-token-read"[:128],
            policy_document=identity.policy_json(read_policy(args.bucket)),
            description=f"GPU nodes of {args.region_id} read their join token object and nothing else in the bucket.",
            rotate_strategy="DeleteOldestNonDefaultVersionWhenLimitExceeded",
            tags=tags,
            opts=child,
        )
        self.attachments = [
            alicloud.ram.RolePolicyAttachment(
                f"{name}-read-{i}", role_name=role, policy_name=self.policy.policy_name, policy_type="Custom", opts=child)
            for i, role in enumerate(args.role_names)
        ]
        self.register_outputs({"bucket": self.bucket.bucket, "key": join_token.TOKEN_KEY,
                               "internalHost": join_token.internal_host(args.bucket, args.region_id)})
