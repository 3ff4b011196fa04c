"""Registration of the IDC cluster to ACK One as a registered cluster."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from hybrid.model.base import Model, Name, RegionId


class Agent(Model):
    endpoint: Literal["private", "public"] = Field(default="private", description="private = agent dials the internal endpoint over the leased line.")
    mode: Literal["restricted", "admin"] = "restricted"


class Fleet(Model):
    enabled: bool = False
    name: Optional[Name] = None


class Registration(Model):
    cluster_name: Name
    region_id: RegionId
    agent: Agent = Agent()
    console_access: Literal["read-only", "admin"] = "read-only"
    deletion_protection: bool = True
    fleet: Fleet = Fleet()
