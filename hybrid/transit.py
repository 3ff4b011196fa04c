"""Routes between the IDC and every cloud VPC, and between the VPCs (pure).

The leased line ends in a VBR attached to one Enterprise Edition transit router
(``idc.vbr``). A CEN transit router forwards only along route tables: an attachment
forwards by the route table it is *associated* with, and its routes reach the tables
it *propagates* into; a VPC attachment does neither until told (Alibaba
CreateTransitRouterVpcAttachment: "By default, route learning and associated forwarding
are disabled"). So, per transit-router region:

* the VPC attachment is associated with ``routeTableId`` and propagates into it;
* on the VBR's own transit router that table is the VBR's (the model insists), so the
  VBR learns the VPC CIDR and the VPC's traffic finds the IDC routes the VBR propagates;
* on any other transit router an inter-region connection (cen TransitRouterPeerAttachment)
  joins it to the VBR's; the connection is associated with and propagates into the
  region's table (the VPC learns the IDC ranges and the other VPCs) and the VBR's table
  (the IDC and the other VPCs learn this VPC);
* the VPC's own route table gets one entry per IDC range and one per other region's VPC
  CIDR, next hop the VPC attachment (a VPC sends nothing to a transit router without them).

Cross-region behaviour, one rule: every pair of regions routes both ways, and each
region's ``pods`` security group admits every other region's pod vSwitches
(components/network.py), so pods talk across regions through the VBR's transit router.

An ``existingVpc`` region reaches the line through what its network team built
(``nextHop``): the program adds the VPC route entries when ``createRoutes`` is true,
and the transit-router side of such a path is theirs (reported as ``existing``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

from hybrid.model.network import Idc, Region


@dataclass(frozen=True)
class RouteTableBinding:
    """An attachment associated with and propagating into one transit-router route table."""

    attachment: str          # "vpc" (the region's VPC attachment) or "inter-region"
    transit_router_id: str
    route_table_id: str
    region_id: str           # the region whose API (provider) manages that transit router


@dataclass(frozen=True)
class InterRegionLink:
    local_transit_router_id: str
    peer_transit_router_id: str
    peer_region_id: str
    existing_attachment_id: Optional[str]  # referenced; None: declared by the program
    bandwidth_mbps: int


@dataclass(frozen=True)
class RegionPath:
    region_id: str
    kind: str                                  # transitRouter | existingVpc
    vpc_route_table: str                       # "system" (the new VPC's) or the adopted VPC's vtb id
    next_hop: str                              # what the VPC's route entries point at
    routes_managed: bool
    idc_routes: tuple[str, ...]                # VPC route entries toward the IDC ranges
    vpc_routes: tuple[tuple[str, str], ...]    # (other region, its VPC CIDR) entries
    bindings: tuple[RouteTableBinding, ...] = ()
    inter_region: Optional[InterRegionLink] = None
    on_vbr_transit_router: bool = False


def region_path(idc: Idc, region: Region, regions: Sequence[Region]) -> Optional[RegionPath]:
    ll = region.leased_line
    if ll is None:
        return None
    idc_routes = tuple(c for _, c in idc.ranges)
    vpc_routes = tuple((o.id, o.vpc_cidr) for o in sorted(regions, key=lambda o: o.id) if o.id != region.id)
    if ll.existing_vpc is not None:
        ev = ll.existing_vpc
        return RegionPath(region.id, "existingVpc", ev.route_table_id, f"{ev.next_hop.type} {ev.next_hop.id}",
                          ev.create_routes, idc_routes, vpc_routes)
    tr = ll.transit_router
    vbr = idc.vbr
    # The model's checks (hybrid/model/leased_line.py): a leased line is an existing VPC or a transit router
    # with its route table, and a transit router needs idc.vbr.
    assert tr is not None and vbr is not None and tr.route_table_id is not None
    bindings = [RouteTableBinding("vpc", tr.transit_router_id, tr.route_table_id, region.id)]
    link = None
    hub = tr.transit_router_id == vbr.transit_router_id
    if not hub:
        ir = tr.inter_region
        link = InterRegionLink(tr.transit_router_id, vbr.transit_router_id, vbr.region_id,
                               ir.attachment_id if ir else None, ir.bandwidth_mbps if ir else 0)
        bindings += [RouteTableBinding("inter-region", tr.transit_router_id, tr.route_table_id, region.id),
                     RouteTableBinding("inter-region", vbr.transit_router_id, vbr.route_table_id, vbr.region_id)]
    return RegionPath(region.id, "transitRouter", "system", "Attachment (the VPC attachment)", True,
                      idc_routes, vpc_routes, tuple(bindings), link, hub)


def paths(idc: Idc, regions: Sequence[Region]) -> list[RegionPath]:
    return [p for r in regions if (p := region_path(idc, r, regions)) is not None]


def table(idc: Idc, regions: Sequence[Region]) -> str:
    """The per-region route plan as a Markdown table (docs, reports)."""
    vbr = idc.vbr
    rows = ["| region | TR route table | association | propagation | inter-region link | IDC -> VPC | VPC -> IDC | VPC <-> VPC |",
            "|---|---|---|---|---|---|---|---|"]
    for p in paths(idc, regions):
        if p.kind == "existingVpc":
            rows.append(f"| {p.region_id} | existing path | existing | existing | existing | existing path carries {p.region_id}'s VPC "
                        f"| VPC table {p.vpc_route_table}: {len(p.idc_routes)} IDC ranges -> {p.next_hop} "
                        f"({'managed' if p.routes_managed else 'existing'}) | "
                        + ", ".join(f"{c} ({r})" for r, c in p.vpc_routes) + f" -> {p.next_hop} |")
            continue
        assert vbr is not None  # a transit-router path exists only with idc.vbr (region_path)
        vpc_b = [b for b in p.bindings if b.attachment == "vpc"][0]
        assoc = f"VPC attachment -> {vpc_b.route_table_id}"
        prop = f"VPC attachment -> {vpc_b.route_table_id}"
        if p.inter_region is None:
            link = f"none: on the VBR's transit router {vbr.transit_router_id}"
            idc_to_vpc = f"VBR table {vbr.route_table_id} learns the VPC (VPC attachment propagation)"
        else:
            ir = p.inter_region
            how = f"referenced {ir.existing_attachment_id}" if ir.existing_attachment_id else f"declared, {ir.bandwidth_mbps} Mbit/s"
            link = f"{ir.local_transit_router_id} <-> {ir.peer_transit_router_id} ({ir.peer_region_id}), {how}"
            assoc += f"; link -> {p.bindings[1].route_table_id} and {p.bindings[2].route_table_id}"
            prop += f"; link -> {p.bindings[1].route_table_id} and {p.bindings[2].route_table_id}"
            idc_to_vpc = (f"VBR table {vbr.route_table_id} learns the VPC over the link (link propagation), "
                          f"{vpc_b.route_table_id} from the VPC attachment")
        rows.append(f"| {p.region_id} | {vpc_b.route_table_id} | {assoc} | {prop} | {link} | {idc_to_vpc} "
                    f"| VPC system table: {len(p.idc_routes)} IDC ranges -> VPC attachment | "
                    + ", ".join(f"{c} ({r})" for r, c in p.vpc_routes) + " -> VPC attachment |")
    return "\n".join(rows) + "\n"
