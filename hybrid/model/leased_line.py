"""How one cloud region reaches the IDC: its VPC's attachment to the leased line.

The leased line itself (Express Connect physical connection and the Virtual
Border Router, VBR, with its BGP session to the IDC edge) is a prerequisite
that this program does not create: see docs/network.md. Each region states how
its VPC is wired to it, in one of two forms:

* ``transitRouter``: the program creates the VPC and attaches it to an existing
  CEN instance's Enterprise Edition transit router (the one the VBR is attached
  to), then adds one VPC route entry per IDC range with the attachment as next
  hop, and optionally associates the attachment with a transit-router route
  table and propagates its routes there.
* ``existingVpc``: the VPC (and optionally its vSwitches) already exists and is
  already wired to the line; the program imports it by id and never deletes it.
  ``nextHop`` names what the VPC's IDC routes point at; with
  ``createRoutes: true`` the program adds those route entries itself.
"""

from __future__ import annotations

import re
from typing import Literal, Optional

from pydantic import Field, model_validator

from hybrid import unconfirmed
from hybrid.errors import FieldError
from hybrid.model.base import Model, ZoneId

# Id shapes of the ids a stack gives, a prefix and a non-empty body of lowercase letters and digits,
# from id examples in the pulumi-alicloud 4.0.0 SDK's docs: cen-ervw0g12b5jbw*
# (cloudfirewall/vpc_firewall_control_policy_order.py:37), tr-bb81adb2d8184bc290a5
# (cloudfirewall/vpc_firewall_ips_config.py:320), vtb-bp1lj0ddg846856chpzrv (route tables, VPC and
# transit-router ones alike; cloudfirewall/firewall_vpc_firewall.py:327), vpc-abcexample
# (oss/access_point.py:258), vsw-xxxxxxxxxxxxxxxxxxxxx (nas/file_system.py:1090). The offline plan's
# reference check uses the same forms (hybrid_tools/provider_ids.py KINDS).
ID_FORMS: dict[str, str] = {
    "cen": r"cen-[a-z0-9]+",
    "transit router": r"tr-[a-z0-9]+",
    "route table": r"vtb-[a-z0-9]+",
    "vpc": r"vpc-[a-z0-9]+",
    "vswitch": r"vsw-[a-z0-9]+",
}
_CEN_ID, _TR_ID, _VTB_ID, _VPC_ID, _VSW_ID = (f"^{ID_FORMS[k]}$" for k in ("cen", "transit router", "route table", "vpc", "vswitch"))

# Next-hop types of a VPC custom route entry that lead to the leased line; the
# names are the `nexthop_type` values of pulumi-alicloud 4.0.0 `vpc.RouteEntry`.
NextHopType = Literal["Attachment", "Ecr", "RouterInterface", "VpnGateway"]


class TransitRouter(Model):
    """Attach the region's new VPC to an existing transit router of an existing CEN instance."""

    cen_id: str = Field(pattern=_CEN_ID, description="CEN instance that also holds the VBR of the leased line.")
    transit_router_id: str = Field(pattern=_TR_ID, description="Enterprise Edition transit router of this region in that CEN instance.")
    route_table_id: Optional[str] = Field(
        default=None, pattern=_VTB_ID,
        description="Transit-router route table to associate the VPC attachment with and propagate its routes to; "
                    "omit to leave the attachment on the transit router's default route table settings.")


# The id each next-hop type takes (CreateRouteEntry NextHopId): a transit-router attachment
# tr-attach-... (pulumi_alicloud 4.0.0 cen/get_child_instance_route_entry_to_attachments.py:153), a
# router interface ri-... (cloudfirewall/firewall_vpc_firewall.py:329), a VPN gateway vpn-...
# (vpn/route_entry.py:350), an Express Connect Router ecr-... (unconfirmed: hybrid/unconfirmed.py
# ids.ecrPrefix). hybrid_tools/provider_ids.py checks the plan against the same forms.
NEXT_HOP_ID: dict[str, str] = {
    "Attachment": r"tr-attach-[a-z0-9]+",
    "Ecr": unconfirmed.value("ids.ecrPrefix") + "[a-z0-9]+",
    "RouterInterface": r"ri-[a-z0-9]+",
    "VpnGateway": r"vpn-[a-z0-9]+",
}


class NextHop(Model):
    type: NextHopType
    id: str = Field(min_length=1, pattern=r"^[a-z]+-[a-z0-9-]+$", description="e.g. tr-attach-..., ecr-..., ri-...")

    @model_validator(mode="after")
    def _id_of_type(self) -> "NextHop":
        form = NEXT_HOP_ID[self.type]
        if not re.fullmatch(form, self.id):
            raise FieldError(f"next hop id {self.id} is not the id of a {self.type} next hop ({form}).",
                             f"give the id of the {self.type} the routes point at, or the type of {self.id}.")
        return self


class ExistingVswitch(Model):
    zone: ZoneId
    role: Literal["nodes", "pods"]
    id: str = Field(pattern=_VSW_ID)


class ExistingVpc(Model):
    """A VPC that is already wired to the leased line, imported by id."""

    vpc_id: str = Field(pattern=_VPC_ID)
    route_table_id: str = Field(pattern=_VTB_ID, description="The VPC route table that holds (or gets) the IDC routes.")
    next_hop: NextHop = Field(description="What the VPC's routes toward the IDC ranges point at.")
    create_routes: bool = Field(
        default=False,
        description="false: the route entries toward the IDC ranges exist already (they are reported, not managed); "
                    "true: the program adds one route entry per IDC range toward nextHop.")
    vswitches: list[ExistingVswitch] = Field(
        default_factory=list,
        description="Existing vSwitches to import instead of creating them; each zone/role needs its CIDR in zones[].")

    @model_validator(mode="after")
    def _unique(self) -> "ExistingVpc":
        seen: set[tuple[str, str]] = set()
        for v in self.vswitches:
            if (v.zone, v.role) in seen:
                raise FieldError(f"vSwitch for zone {v.zone} role {v.role} is given twice.", "list each zone/role once.")
            seen.add((v.zone, v.role))
        return self


class LeasedLine(Model):
    """Exactly one of ``transitRouter`` or ``existingVpc``."""

    transit_router: Optional[TransitRouter] = None
    existing_vpc: Optional[ExistingVpc] = None

    @model_validator(mode="after")
    def _one(self) -> "LeasedLine":
        if (self.transit_router is None) == (self.existing_vpc is None):
            raise FieldError(
                "a region's leased-line path needs exactly one of transitRouter or existingVpc.",
                "give transitRouter {cenId, transitRouterId} to attach a new VPC, or existingVpc {vpcId, routeTableId, nextHop} to adopt one.",
            )
        return self

    @property
    def kind(self) -> str:
        return "transitRouter" if self.transit_router is not None else "existingVpc"

    def existing_vswitch(self, zone: str, role: str) -> Optional[str]:
        if self.existing_vpc is None:
            return None
        for v in self.existing_vpc.vswitches:
            if v.zone == zone and v.role == role:
                return v.id
        return None
