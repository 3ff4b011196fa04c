"""ack-virtual-node with multi-region Serverless compute."""

from __future__ import annotations

from pydantic import Field

from hybrid.model.base import Model, RegionId


class VirtualNodeRegion(Model):
    id: RegionId
    default: bool = False


class VirtualNode(Model):
    enabled: bool = True
    version: str = Field(default="2.13.0", pattern=r"^[0-9]+\.[0-9]+\.[0-9]+$")
    regions: list[VirtualNodeRegion] = Field(default_factory=list)
    cleanup_cloud_resources: bool = True
