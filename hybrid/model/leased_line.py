"""How one cloud region reaches the IDC: its VPC's attachment to the leased line.

The leased line itself (Express Connect physical connection and the Virtual
Border Router, VBR, with its BGP session to the IDC edge) is a prerequisite
that this program does not create: see docs/network.md. Each region states how
its VPC is wired to it, in one of two forms:

* ``transitRouter``: the program creates the VPC and attaches it to this
  region's Enterprise Edition transit router of the CEN instance that holds the
  VBR (``idc.vbr``), associates the attachment with the transit-router route
  table ``routeTableId`` and propagates its routes there (route learning and
  associated forwarding are off until then: Alibaba CreateTransitRouterVpcAttachment),
  and adds one VPC route entry per IDC range and per other region's VPC with the
  attachment as next hop. A region whose transit router is not the VBR's also
  needs the inter-region connection to it (``interRegion``).
* ``existingVpc``: the VPC (and optionally its vSwitches) already exists and is
  already wired to the line; the program imports it by id and never deletes it.
  ``nextHop`` names what the VPC's IDC routes point at; with
  ``createRoutes: true`` the program adds those route entries itself.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Literal, Optional

from pydantic import Field, model_validator

from hybrid import unconfirmed
from hybrid.errors import ConfigIssue, FieldError
from hybrid.model.base import Model, RegionId, ZoneId

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


_TR_ATTACH_ID = r"^tr-attach-[a-z0-9]+$"


class Vbr(Model):
    """Where the leased line's Virtual Border Router is attached: the transit router every region reaches."""

    region_id: RegionId = Field(description="Region of the transit router the VBR is attached to.")
    cen_id: str = Field(pattern=_CEN_ID, description="CEN instance that holds the VBR's attachment.")
    transit_router_id: str = Field(pattern=_TR_ID, description="Enterprise Edition transit router the VBR is attached to.")
    route_table_id: str = Field(
        pattern=_VTB_ID,
        description="Route table of that transit router which the VBR attachment is associated with and propagates "
                    "the IDC routes into (set up with the leased line, see docs/network.md).")


class InterRegion(Model):
    """The inter-region connection from this region's transit router to the VBR's (cen TransitRouterPeerAttachment)."""

    attachment_id: Optional[str] = Field(
        default=None, pattern=_TR_ATTACH_ID,
        description="An existing inter-region connection to reference (its bare tr-attach id); omit to have the program "
                    "create one. Either way its route-table association and propagation on both transit routers are declared here.")
    # pulumi-alicloud 4.0.0 cen.TransitRouterPeerAttachment: bandwidth (Mbit/s) is the throttling
    # threshold when bandwidth_type is DataTransfer (pay by data transfer, no bandwidth plan needed).
    bandwidth_mbps: int = Field(default=1000, ge=1, le=100000,
                                description="Bandwidth limit of a created connection (pay by data transfer), Mbit/s.")


class TransitRouter(Model):
    """Attach the region's new VPC to this region's transit router in the VBR's CEN instance."""

    cen_id: str = Field(pattern=_CEN_ID, description="CEN instance that also holds the VBR of the leased line (idc.vbr.cenId).")
    transit_router_id: str = Field(pattern=_TR_ID, description="Enterprise Edition transit router of this region in that CEN instance.")
    route_table_id: Optional[str] = Field(
        default=None, pattern=_VTB_ID,
        description="Required. Transit-router route table to associate the VPC attachment (and the inter-region "
                    "connection) with and propagate their routes to; on the VBR's transit router, idc.vbr.routeTableId.")
    inter_region: Optional[InterRegion] = Field(
        default=None,
        description="Required when transitRouterId is not idc.vbr.transitRouterId: the connection to the VBR's transit router.")

    @model_validator(mode="after")
    def _route_table(self) -> "TransitRouter":
        if self.route_table_id is None:
            raise FieldError(
                "routeTableId is missing: a VPC attachment learns and forwards no route until it is associated with and "
                "propagates into a transit-router route table (Alibaba CreateTransitRouterVpcAttachment: route learning "
                "and associated forwarding are disabled by default).",
                "set routeTableId to the transit router's route table that carries the leased line's routes (vtb-...).")
        return self


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
                "give transitRouter {cenId, transitRouterId, routeTableId} to attach a new VPC, or existingVpc {vpcId, routeTableId, nextHop} to adopt one.",
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


# A VBR accepts at most 110 dynamic (BGP) routes per BGP peer and denies the rest (Alibaba Express
# Connect, VBR quotas; ALIBABA-NOTES "Found in the second round's review").
VBR_ROUTES_PER_PEER = 110


def check(p: Any) -> Iterable[ConfigIssue]:
    """The IDC's announcements fit the VBR, and every transit-router region has a path from its VPC to the VBR
    (duck-typed Platform: idc, regions)."""
    if p.idc.leased_line and len(p.idc.ranges) > VBR_ROUTES_PER_PEER:
        yield ConfigIssue("idc.extraRanges", f"the IDC would announce {len(p.idc.ranges)} ranges to the VBR "
                                             f"(nodeCidrs, podCidr, extraRanges), above its limit of {VBR_ROUTES_PER_PEER} "
                                             "dynamic routes per BGP peer; routes beyond it are denied.",
                          "merge adjacent ranges into aggregates (the IDC edge announces aggregates, never Calico's per-node blocks).")
    tr_regions = [(i, r) for i, r in enumerate(p.regions) if r.leased_line is not None and r.leased_line.transit_router is not None]
    vbr = p.idc.vbr
    if tr_regions and vbr is None:
        yield ConfigIssue("idc.vbr", f"regions {[r.id for _, r in tr_regions]} attach to transit routers, but the transit router "
                                     "the leased line's VBR is attached to is not given, so no path from their VPCs to the IDC can be declared.",
                          "add idc.vbr {regionId, cenId, transitRouterId, routeTableId}; see docs/network.md.")
        return
    for i, r in tr_regions:
        tr = r.leased_line.transit_router
        base = f"regions[{i}].leasedLine.transitRouter"
        if tr.cen_id != vbr.cen_id:
            yield ConfigIssue(f"{base}.cenId", f"{tr.cen_id} is not the CEN instance of the VBR ({vbr.cen_id}): transit routers of "
                                               "different CEN instances exchange no routes, so this VPC has no path to the IDC.",
                              f"attach the region to its transit router in {vbr.cen_id}.")
            continue
        if tr.transit_router_id == vbr.transit_router_id:
            if r.id != vbr.region_id:
                yield ConfigIssue(f"{base}.transitRouterId", f"{tr.transit_router_id} is the VBR's transit router in {vbr.region_id}, "
                                                             f"but a transit router only attaches VPCs of its own region ({r.id}).",
                                  f"give this region's own transit router in {vbr.cen_id} and an interRegion connection.")
                continue
            if tr.route_table_id != vbr.route_table_id:
                yield ConfigIssue(f"{base}.routeTableId", f"{tr.route_table_id} is not the route table the VBR attachment uses "
                                                          f"({vbr.route_table_id}): the VPC would learn no IDC route and the VBR no VPC route.",
                                  f"set routeTableId: {vbr.route_table_id} (idc.vbr.routeTableId).")
            if tr.inter_region is not None:
                yield ConfigIssue(f"{base}.interRegion", "the region is on the VBR's own transit router: there is no inter-region connection to make.",
                                  "drop interRegion.")
        else:
            if r.id == vbr.region_id:
                yield ConfigIssue(f"{base}.transitRouterId", f"{tr.transit_router_id} is not the VBR's transit router {vbr.transit_router_id}, "
                                                             f"which is this region's ({r.id}): a CEN instance has one transit router per region.",
                                  f"set transitRouterId: {vbr.transit_router_id}.")
            elif tr.inter_region is None:
                yield ConfigIssue(f"{base}.interRegion", f"region {r.id}'s transit router {tr.transit_router_id} is not the VBR's "
                                                         f"({vbr.transit_router_id} in {vbr.region_id}) and no inter-region connection joins them, "
                                                         "so this VPC has no path to the IDC.",
                                  "add interRegion: {} to have the connection created, or interRegion: {attachmentId: tr-attach-...} to reference one.")
