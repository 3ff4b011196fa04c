"""Where a region's GPU nodes read the kubeadm join token: names only (pure, no Pulumi).

The token never passes through Pulumi (config, state, user-data, the elastic node script):
the operator writes it (``hybrid-gpu join-token put``) into one private object per region with
GPU nodes, and a node reads it at boot with its instance RAM role over the region's
VPC-internal OSS endpoint (``hybrid/scripts/hybrid-join-token.sh``). An internal endpoint serves
only ECS instances of its own region (Alibaba OSS "Regions and endpoints":
``oss-<region-id>-internal.aliyuncs.com``), so each region has its own bucket.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hybrid.model.platform import Platform

# kubeadm's bootstrap token form (k8s.io/cluster-bootstrap token/api/types.go BootstrapTokenPattern).
TOKEN_RE = re.compile(r"^[a-z0-9]{6}\.[a-z0-9]{16}$")

# Object key of the token in each region's bucket.
TOKEN_KEY = "join-token"


def bucket_name(platform: "Platform", region_id: str) -> str:
    """Private bucket of the region's join token (OSS bucket names: 3-63 of a-z, 0-9, '-', global)."""
    return f"hybrid-{platform.environment}-{region_id}-join-{platform.registration.cluster_name}"[:63].rstrip("-")


def internal_host(bucket: str, region_id: str) -> str:
    """Virtual-hosted name of the bucket on the region's VPC-internal endpoint."""
    return f"{bucket}.oss-{region_id}-internal.aliyuncs.com"


def public_endpoint(region_id: str) -> str:
    """The region's public OSS endpoint, where the operator writes the token from outside the VPC."""
    return f"https://oss-{region_id}.aliyuncs.com"


def regions(platform: "Platform") -> list[str]:
    """Every region with GPU nodes (fixed or elastic): each has a token bucket."""
    return [r.id for r in platform.regions if r.gpu_pools or r.elastic_pools]
