"""Cloud identities the platform creates, and the credential paths its components need."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Iterator, Literal

from pydantic import Field

from hybrid.errors import ConfigIssue
from hybrid.model.base import Model

if TYPE_CHECKING:
    from hybrid.model.platform import Platform


class Identity(Model):
    node_role: bool = Field(
        default=True,
        description="Create one RAM role per region (ECS trust, Terway's documented ENI actions only) and attach it to "
                    "every GPU instance of the region's pools that sets no ramRole of its own.",
    )
    node_role_scope: Literal["region", "all"] = Field(
        default="region",
        description="Resources of the node role's policy. region: acs:<service>:<region>:*:* (narrower than Terway's doc); "
                    "all: Resource \"*\" exactly as Terway documents it, which the ram-policy-no-wildcards policy rejects "
                    "unless a stack waives it.",
    )


# Secret stack config that a setting turns on: key -> what it holds. Never in clear in the stack file.
CONDITIONAL_SECRET_KEYS = {
    "addonAccessKeyId": "AccessKey id of the RAM user of ack-virtual-node (Secret alibaba-addon-secret)",
    "addonAccessKeySecret": "AccessKey secret of that RAM user",
    "terwayAccessKeyId": "AccessKey id of Terway's RAM user (cni.terway.credentials: accessKey)",
    "terwayAccessKeySecret": "AccessKey secret of Terway's RAM user",
    "terwayCredentialFile": "Terway's encrypted credential file (cni.terway.credentials: credentialFile)",
}


def required_secrets(platform: Platform) -> list[str]:
    """The conditional secret keys this platform's settings need."""
    keys = []
    vn = platform.virtual_node
    elastic = any(r.elastic_pools for r in platform.regions)
    # alibaba-addon-secret also carries the cluster-autoscaler's AccessKey for elastic pools.
    if (vn.enabled and vn.credentials == "addonSecret") or elastic:
        keys += ["addonAccessKeyId", "addonAccessKeySecret"]
    mode = platform.cni.terway.credentials
    if mode == "accessKey":
        keys += ["terwayAccessKeyId", "terwayAccessKeySecret"]
    elif mode == "credentialFile":
        keys.append("terwayCredentialFile")
    return keys


def _pools_without_role(platform: Platform) -> Iterator[tuple[str, str, str]]:
    """(path of the ramRole field, pool name, region id) of every fixed pool with nodes and no ramRole of its own."""
    for ri, region in enumerate(platform.regions):
        for pi, pool in enumerate(region.gpu_pools):
            if pool.count and not pool.ram_role:
                yield f"regions[{ri}].gpuPools[{pi}].ramRole", pool.name, region.id


def check(platform: Platform) -> Iterable[ConfigIssue]:
    """Every region whose nodes run Terway has a credential path (called from hybrid.model.platform).

    terwayd tries an AccessKey, then a credential file, then the instance RAM role; with none,
    every ENI call fails and no pod on that node gets an IP.
    """
    if platform.cni.terway.credentials != "instanceRole" or platform.identity.node_role:
        return
    for path, name, region_id in _pools_without_role(platform):
        yield ConfigIssue(
            path,
            f"Terway on the nodes of pool {name} ({region_id}) has no credentials: cni.terway.credentials is "
            "instanceRole, identity.nodeRole is false and the pool names no ramRole.",
            "set identity.nodeRole: true (recommended), give the pool a ramRole with Terway's actions, "
            "or set cni.terway.credentials to accessKey or credentialFile with its secret config.",
        )
    for ri, region in enumerate(platform.regions):
        for ei, epool in enumerate(region.elastic_pools):
            # Elastic nodes get the node pool's role: without identity.nodeRole that is the elastic
            # component's own role, which may read the node script and nothing else (components/elastic.py).
            yield ConfigIssue(
                "cni.terway.credentials",
                f"Terway on the nodes of elastic pool {epool.name} ({region.id}, regions[{ri}].elasticPools[{ei}]) has no credentials: "
                "cni.terway.credentials is instanceRole and identity.nodeRole is false, so the node pool's RAM role only reads the node script.",
                "set identity.nodeRole: true (the node pool then uses the GPU node role), or cni.terway.credentials: accessKey or "
                "credentialFile with its secret config.",
            )


def check_join_token_role(platform: Platform) -> Iterable[ConfigIssue]:
    """Every fixed GPU node has a RAM role to read its region's join token with (hybrid.model.join_token).

    A node reads the token at boot with its instance role's STS credentials; an instance without
    a role gets none from the metadata service and never joins. Elastic nodes always have one (the
    node pool's: the GPU node role, or the elastic component's own).
    """
    if platform.identity.node_role:
        return
    for path, name, region_id in _pools_without_role(platform):
        yield ConfigIssue(
            path,
            f"the nodes of pool {name} ({region_id}) have no RAM role to read the join token with "
            "(identity.nodeRole is false and the pool names no ramRole).",
            "set identity.nodeRole: true (recommended), or give the pool a ramRole (the program grants it the token read).",
        )
