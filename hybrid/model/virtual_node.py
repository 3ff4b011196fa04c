"""ack-virtual-node with multi-region Serverless compute."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Literal

import netaddr
from pydantic import Field, field_validator

from hybrid.errors import ConfigIssue, FieldError
from hybrid.model.base import Model, RegionId
from hybrid.virtual_node import MIN_VERSION, MIN_VERSION_TEXT, parse_version

if TYPE_CHECKING:
    from hybrid.model.platform import Platform

# Alibaba Cloud API domains resolve into this block from inside a VPC, and a VPC routes it to
# cloud services (reserved for them). source: ALIBABA-NOTES; https://www.alibabacloud.com/help/faq-detail/54484.htm
# (a VPC uses 10/8, 172.16/12, 192.168/16 and 100.64.0.0/10 for private communication);
# https://www.alibabacloud.com/help/en/eip/product-overview/security-hardening-for-eip-associating-with-nic-in-cut-through-mode-accessing-100-64-100
ALIBABA_SERVICE_BLOCK = "100.64.0.0/10"


class VirtualNodeRegion(Model):
    id: RegionId
    default: bool = False


class VirtualNode(Model):
    enabled: bool = True
    # As the CS API reports it, with the leading v: the provider compares the version as a plain
    # string, so "2.13.0" against the API's "v2.13.0" would be a diff on every preview.
    # source: aliyun/terraform-provider-alicloud alicloud/resource_alicloud_cs_kubernetes_addon_test.go
    # (ack-virtual-node "v2.2.0" -> "v2.3.0", checked after import, i.e. as read back from the API).
    version: str = Field(default="v2.13.0", max_length=32)
    credentials: Literal["addonSecret", "external"] = Field(
        default="addonSecret",
        description="addonSecret: the program writes the Secret alibaba-addon-secret (kube-system) from the secret config "
                    "addonAccessKeyId/addonAccessKeySecret; external: that Secret is managed outside this program (e.g. by onectl).",
    )
    regions: list[VirtualNodeRegion] = Field(default_factory=list)
    # Uninstall behaviour, see components/virtual_node.py for why the default is True.
    cleanup_cloud_resources: bool = True
    private_link_endpoints: bool = Field(default=False, description="PrivateLink endpoints for VPC/ACS/ECI APIs exist (needed when an IDC range is inside 100.64.0.0/10).")

    @field_validator("version")
    @classmethod
    def _min_version(cls, v: str) -> str:
        try:
            parsed = parse_version(v)
        except ValueError:
            raise FieldError(f"{v!r} is not a vMAJOR.MINOR.PATCH version.", "write it like v2.13.0.") from None
        if parsed < MIN_VERSION:
            floor = MIN_VERSION_TEXT
            raise FieldError(f"ack-virtual-node {v} has no multi-region Serverless support.", f"use v{floor} or later.")
        if not v.startswith("v"):
            raise FieldError(f"{v!r} lacks the leading v with which the CS API reports addon versions; the provider compares "
                             "the strings, so every preview would show a version change.", f"write it as v{v}.")
        return v


def check(platform: Platform) -> Iterable[ConfigIssue]:
    """Cross-field rules; called from hybrid.model.platform."""
    vn = platform.virtual_node
    if not vn.enabled:
        return
    if not vn.regions:
        yield ConfigIssue("virtualNode.regions", "the virtual node is enabled but lists no region.",
                          "list at least one region, exactly one with default: true, or set enabled: false.")
        return
    defaults = [i for i, r in enumerate(vn.regions) if r.default]
    if len(defaults) != 1:
        where = ", ".join(f"regions[{i}]" for i in defaults) or "none"
        yield ConfigIssue("virtualNode.regions", f"exactly one region must be the default; found {len(defaults)} ({where}).",
                          "set default: true on exactly one region.")
    stack_regions = {r.id for r in platform.regions}
    seen: set[str] = set()
    for i, r in enumerate(vn.regions):
        if r.id in seen:
            yield ConfigIssue(f"virtualNode.regions[{i}].id", f"region {r.id} is listed twice.", "list each region once.")
        seen.add(r.id)
        if r.id not in stack_regions:
            yield ConfigIssue(f"virtualNode.regions[{i}].id", f"{r.id} is not one of the stack's regions {sorted(stack_regions)}; Serverless pods need its VPC, vSwitches and security group.",
                              "add the region under regions (with serverlessOnly: true and a small VPC if it hosts no GPU pools).")
    block = netaddr.IPNetwork(ALIBABA_SERVICE_BLOCK)
    for field, cidr in platform.idc.ranges:
        n = netaddr.IPNetwork(cidr)
        if n.first <= block.last and block.first <= n.last and not vn.private_link_endpoints:
            yield ConfigIssue(f"idc.{field}", f"{cidr} lies in {ALIBABA_SERVICE_BLOCK}, where Alibaba Cloud API domains resolve; ack-virtual-node calls would route to the IDC over the leased line.",
                              "create PrivateLink endpoints for the VPC, ACS and ECI APIs and set virtualNode.privateLinkEndpoints: true.")
