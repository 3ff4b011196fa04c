"""Registration of the IDC cluster to ACK One as a registered cluster."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, model_validator

from hybrid.errors import FieldError
from hybrid.model.base import Model, Name, RegionId


class Agent(Model):
    endpoint: Literal["private", "public"] = Field(default="private", description="private = agent dials the internal endpoint over the leased line.")
    mode: Literal["restricted", "admin"] = Field(default="restricted", description="AgentMode of DescribeExternalAgent; admin lets the agent act as cluster-admin.")


class Fleet(Model):
    enabled: bool = False
    name: Optional[Name] = None

    @model_validator(mode="after")
    def _name_when_enabled(self) -> "Fleet":
        if self.enabled and not self.name:
            raise FieldError("fleet.enabled is true but no fleet name is given.", "set fleet.name (the ACK One fleet to create) or disable the fleet.")
        return self


class Registration(Model):
    cluster_name: Name
    region_id: RegionId
    agent: Agent = Agent()
    console_access: Literal["read-only", "admin"] = Field(default="read-only", description="ClusterRole bound to the agent: what the ACK console may do in the IDC cluster.")
    deletion_protection: bool = True
    fleet: Fleet = Fleet()

    @model_validator(mode="after")
    def _agent_mode_matches_access(self) -> "Registration":
        # An admin-mode agent is granted cluster-admin by Alibaba's manifest design; asking for a
        # read-only console at the same time is a contradiction the operator should resolve.
        if self.agent.mode == "admin" and self.console_access != "admin":
            raise FieldError("agent.mode is admin but consoleAccess is read-only.",
                             "use agent.mode: restricted for a read-only console, or set consoleAccess: admin deliberately.")
        return self
