"""Cloud identities of the platform as plain values: RAM role, trust and permission policies.

Pure (no ``pulumi``). ``components/identity.py`` turns these into RAM resources;
``docs/permissions.md`` lists every identity with the source of each permission.

GPU nodes get one RAM role per region (an ECS instance RAM role, attached to every
instance of every pool of that region). Its only consumer is Terway's daemon, which
falls back to the instance role when it has neither an AccessKey nor a credential
file (terway release-1.16, ``daemon/builder.go``: access key -> encrypted credential
file -> ECS metadata). The role's policy holds exactly the actions Terway documents
for shared-ENI (ENIMultiIP) nodes, and nothing else.
"""

from __future__ import annotations

import json
from typing import Any

from hybrid import unconfirmed

# source: AliyunContainerService/terway@release-1.16:docs/ecs.md ("RAM" section), the branch
# whose chart pins image v1.16.7 (charts/terway/values.yaml). Order as documented.
TERWAY_ECS_ACTIONS: tuple[str, ...] = (
    "ecs:CreateNetworkInterface",
    "ecs:DescribeNetworkInterfaces",
    "ecs:AttachNetworkInterface",
    "ecs:DetachNetworkInterface",
    "ecs:DeleteNetworkInterface",
    "ecs:DescribeInstanceTypes",
    "ecs:AssignPrivateIpAddresses",
    "ecs:UnassignPrivateIpAddresses",
)
# source: terway@release-1.16:docs/ipv6.md (the two extra actions dual-stack needs; docs/ecs.md
# lists them too). Granted only in regions with ipv6: true, where eni_conf sets ip_stack dual.
TERWAY_IPV6_ACTIONS: tuple[str, ...] = ("ecs:AssignIpv6Addresses", "ecs:UnassignIpv6Addresses")
# source: terway@release-1.16:docs/ecs.md (second statement).
TERWAY_VPC_ACTIONS: tuple[str, ...] = ("vpc:DescribeVSwitches",)

# The trust policy of an ECS instance RAM role: only the ECS service may assume it.
# source: pulumi-alicloud 4.0.0 ecs/ram_role_attachment.py (example role document).
ECS_TRUST_POLICY: dict[str, Any] = {
    "Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": ["ecs.aliyuncs.com"]}}],
    "Version": "1",
}


def terway_actions(ipv6: bool) -> dict[str, tuple[str, ...]]:
    """Actions per RAM service code for one region's Terway."""
    ecs = TERWAY_ECS_ACTIONS + (TERWAY_IPV6_ACTIONS if ipv6 else ())
    return {"ecs": ecs, "vpc": TERWAY_VPC_ACTIONS}


def region_resource(service: str, region_id: str) -> str:
    """Every resource of ``service`` in one region (any account id)."""
    return unconfirmed.value("ram.regionResource").replace("@SERVICE@", service).replace("@REGION@", region_id)


def terway_policy(region_id: str, ipv6: bool, scope: str = "region") -> dict[str, Any]:
    """The node role's permission policy: Terway's documented actions, limited to one region.

    Terway documents ``Resource: "*"``; the role of region R only ever acts on ENIs, instances
    and vSwitches in R, so each statement is narrowed to R's resources (scope ``region``).
    Scope ``all`` keeps Terway's ``"*"`` (identity.nodeRoleScope).
    """
    if scope not in ("region", "all"):
        raise ValueError(f"unknown node role scope {scope!r}")
    return {
        "Statement": [
            {"Action": list(actions), "Effect": "Allow",
             "Resource": [region_resource(service, region_id) if scope == "region" else "*"]}
            for service, actions in sorted(terway_actions(ipv6).items())
        ],
        "Version": "1",
    }


def policy_json(doc: dict[str, Any]) -> str:
    """Canonical JSON: same document, same bytes, no spurious diffs."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


def node_role_name(environment: str, region_id: str) -> str:
    # RAM role names: 1-64 characters of letters, digits, '.', '-' and '_'.
    return f"hybrid-{environment}-gpu-node-{region_id}"


def node_policy_name(environment: str, region_id: str) -> str:
    # RAM policy names: 1-128 characters of letters, digits and '-'.
    return f"hybrid-{environment}-terway-eni-{region_id}"


# --- Kubernetes Secrets that carry Alibaba Cloud credentials --------------------------------

# Components of registered clusters read their AccessKey pair from this Secret in kube-system
# (Alibaba help "Manage registered clusters with onectl", section "RAM users for cluster components":
# https://www.alibabacloud.com/help/en/doc-detail/469900.htm). Key names as Terway reads the mounted
# files: terway@release-1.16:types/daemon/config.go (addonSecretKeyID / addonSecretKeySecret).
ADDON_SECRET = "alibaba-addon-secret"
ADDON_SECRET_NAMESPACE = "kube-system"
ACCESS_KEY_ID = "access-key-id"
ACCESS_KEY_SECRET = "access-key-secret"
# Terway's own AccessKey, kept apart from the addon one: Terway tries an AccessKey before the
# instance role, so a shared Secret would hand it the virtual node's permissions.
TERWAY_AK_SECRET = "terway-credential"
TERWAY_AK_MOUNT = "/var/alibaba-addon-secret"  # source: terway@release-1.16:types/daemon/config.go (addonSecretPath)
# Terway's encrypted credential file: chart Secret, key and mount.
# source: terway@release-1.16:charts/terway/templates/terwayd/daemonset.yaml (volume addon-token).
TERWAY_TOKEN_SECRET = "addon.network.token"
TERWAY_TOKEN_KEY = "addon.token.config"
TERWAY_TOKEN_MOUNT = "/var/addon"
TERWAY_TOKEN_PATH = f"{TERWAY_TOKEN_MOUNT}/token-config"

# RAM policies of the RAM user whose AccessKey fills ADDON_SECRET for ack-virtual-node.
# The operator creates that user (its AccessKey never passes through this program's state).
VNODE_RAM_POLICIES: tuple[str, ...] = tuple(unconfirmed.value("vnode.ramPolicy").split(","))
