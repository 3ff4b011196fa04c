"""hybrid/model/leased_line.py: each region's path to the VBR, the VBR's route limit, imported vSwitches.

Sources: a VBR accepts at most 110 dynamic routes per BGP peer (Alibaba Express Connect, VBR quotas;
/work/shared/ALIBABA-NOTES.md). A CEN instance has one Enterprise Edition transit router per region,
which attaches VPCs of its own region only; transit routers of different CEN instances exchange no
routes; regions reach the VBR's transit router through an inter-region connection (Alibaba CEN,
"Transit routers" and CreateTransitRouterPeerAttachment). Prod, written out by hand
(stacks/Pulumi.prod.yaml): idc.vbr cn-beijing / cen-7qthudw0ll6jmc9cb2 / tr-2zetyq3e6kf5b8mhm0ae1 /
vtb-2zeyp4s1gqxxfgmt3aawi; regions[0] cn-beijing on that transit router; regions[1] cn-hangzhou an
existing VPC; regions[2] cn-zhangjiakou on tr-8vbf3m2k1n0p9q8r7s6t5 with an inter-region connection.
"""

from __future__ import annotations

import pytest

from hybrid.model import load
from tests.conftest import refusals

CEN, VBR_TR, VBR_RT = "cen-7qthudw0ll6jmc9cb2", "tr-2zetyq3e6kf5b8mhm0ae1", "vtb-2zeyp4s1gqxxfgmt3aawi"
ZJK_TR = "tr-8vbf3m2k1n0p9q8r7s6t5"
BJ, ZJK = "regions[0].leasedLine.transitRouter", "regions[2].leasedLine.transitRouter"


def _tr(raw, i):
    return raw["regions"][i]["leasedLine"]["transitRouter"]


# --- the VBR's route limit ----------------------------------------------------------

def _ranges(raw, extra: int):
    # prod announces 1 node range, the pod CIDR and 2 extra ranges: 4. Add 63 node /24s (64 at most)
    # and the rest as extra /24s to reach 4 + extra.
    assert len(raw["idc"]["nodeCidrs"]) + 1 + len(raw["idc"]["extraRanges"]) == 4
    raw["idc"]["nodeCidrs"] += [f"10.20.{i}.0/24" for i in range(63)]
    raw["idc"]["extraRanges"] += [f"10.30.{i}.0/24" for i in range(extra - 63)]


def test_110_announced_ranges_fit(prod_raw):
    _ranges(prod_raw, 106)
    idc = load(prod_raw).idc
    assert (len(idc.node_cidrs), len(idc.extra_ranges)) == (64, 45)


def test_111_announced_ranges_are_refused_naming_the_limit(prod_raw):
    _ranges(prod_raw, 107)
    assert refusals(prod_raw) == [(
        "idc.extraRanges",
        "the IDC would announce 111 ranges to the VBR (nodeCidrs, podCidr, extraRanges), above its limit of 110 dynamic "
        "routes per BGP peer; routes beyond it are denied.",
        "merge adjacent ranges into aggregates (the IDC edge announces aggregates, never Calico's per-node blocks).")]


def test_without_a_leased_line_the_vbr_limit_does_not_apply(prod_raw):
    _ranges(prod_raw, 107)
    prod_raw["idc"]["leasedLine"] = False
    assert "idc.extraRanges" not in [path for path, _, _ in refusals(prod_raw)]


# --- the path of each transit-router region ---------------------------------------------

def test_prod_paths_are_accepted(prod_raw):
    p = load(prod_raw)
    assert [r.leased_line.kind for r in p.regions] == ["transitRouter", "existingVpc", "transitRouter"]


def test_no_vbr_names_the_transit_router_regions_and_stops_there(prod_raw):
    del prod_raw["idc"]["vbr"]
    _tr(prod_raw, 2)["cenId"] = "cen-other0"  # would be refused against a VBR, but there is none to compare with
    assert refusals(prod_raw) == [(
        "idc.vbr",
        "regions ['cn-beijing', 'cn-zhangjiakou'] attach to transit routers, but the transit router the leased line's "
        "VBR is attached to is not given, so no path from their VPCs to the IDC can be declared.",
        "add idc.vbr {regionId, cenId, transitRouterId, routeTableId}; see docs/network.md.")]


def test_existing_vpc_regions_need_no_vbr(prod_raw):
    del prod_raw["idc"]["vbr"]
    for i in (0, 2):  # both transit-router regions become existing VPCs
        prod_raw["regions"][i]["leasedLine"] = {"existingVpc": {
            "vpcId": f"vpc-existing{i}", "routeTableId": f"vtb-existing{i}",
            "nextHop": {"type": "Attachment", "id": f"tr-attach-existing{i}"}}}
    assert [r.leased_line.kind for r in load(prod_raw).regions] == ["existingVpc"] * 3


def test_another_cen_is_refused_alone(prod_raw):
    _tr(prod_raw, 2)["cenId"] = "cen-other0"
    del _tr(prod_raw, 2)["interRegion"]  # not reported: in another CEN nothing else about the path matters
    assert refusals(prod_raw) == [(
        f"{ZJK}.cenId",
        f"cen-other0 is not the CEN instance of the VBR ({CEN}): transit routers of different CEN instances exchange "
        "no routes, so this VPC has no path to the IDC.",
        f"attach the region to its transit router in {CEN}.")]


def test_the_vbrs_transit_router_in_another_region_is_refused_alone(prod_raw):
    _tr(prod_raw, 2)["transitRouterId"] = VBR_TR  # keeps its interRegion and its own route table: not reported
    assert refusals(prod_raw) == [(
        f"{ZJK}.transitRouterId",
        f"{VBR_TR} is the VBR's transit router in cn-beijing, but a transit router only attaches VPCs of its own region "
        "(cn-zhangjiakou).",
        f"give this region's own transit router in {CEN} and an interRegion connection.")]


def test_on_the_vbrs_transit_router_another_route_table_and_an_inter_region_are_both_refused(prod_raw):
    _tr(prod_raw, 0).update(routeTableId="vtb-other0", interRegion={})
    assert refusals(prod_raw) == [
        (f"{BJ}.interRegion", "the region is on the VBR's own transit router: there is no inter-region connection to make.",
         "drop interRegion."),
        (f"{BJ}.routeTableId", f"vtb-other0 is not the route table the VBR attachment uses ({VBR_RT}): the VPC would "
                               "learn no IDC route and the VBR no VPC route.",
         f"set routeTableId: {VBR_RT} (idc.vbr.routeTableId)."),
    ]


def test_another_transit_router_in_the_vbrs_region_is_refused_alone(prod_raw):
    _tr(prod_raw, 0)["transitRouterId"] = "tr-other0"  # and no interRegion: not reported on top
    assert refusals(prod_raw) == [(
        f"{BJ}.transitRouterId",
        f"tr-other0 is not the VBR's transit router {VBR_TR}, which is this region's (cn-beijing): a CEN instance has "
        "one transit router per region.",
        f"set transitRouterId: {VBR_TR}.")]


def test_another_region_without_an_inter_region_connection(prod_raw):
    del _tr(prod_raw, 2)["interRegion"]
    assert refusals(prod_raw) == [(
        f"{ZJK}.interRegion",
        f"region cn-zhangjiakou's transit router {ZJK_TR} is not the VBR's ({VBR_TR} in cn-beijing) and no inter-region "
        "connection joins them, so this VPC has no path to the IDC.",
        "add interRegion: {} to have the connection created, or interRegion: {attachmentId: tr-attach-...} to reference one.")]


def test_each_region_is_checked(prod_raw):
    # the first region's refusal does not hide the third's
    _tr(prod_raw, 0)["routeTableId"] = "vtb-other0"
    del _tr(prod_raw, 2)["interRegion"]
    assert [path for path, _, _ in refusals(prod_raw)] == [f"{BJ}.routeTableId", f"{ZJK}.interRegion"]


# --- imported vSwitches ----------------------------------------------------------------

def test_imported_vswitches_by_zone_and_role(prod_raw):
    p = load(prod_raw)
    hz = p.regions[1].leased_line
    assert hz.existing_vswitch("cn-hangzhou-h", "nodes") == "vsw-bp1a2b3c4d5e6f7g8h9i0"
    assert hz.existing_vswitch("cn-hangzhou-h", "pods") == "vsw-bp1j1k2l3m4n5o6p7q8r9"
    assert hz.existing_vswitch("cn-hangzhou-i", "nodes") is None  # created by the program
    assert p.regions[0].leased_line.existing_vswitch("cn-beijing-g", "nodes") is None  # a transit-router region


def test_a_region_in_another_cen_does_not_hide_the_next_regions_problem(prod_raw):
    _tr(prod_raw, 0)["cenId"] = "cen-other0"
    del _tr(prod_raw, 2)["interRegion"]
    assert [path for path, _, _ in refusals(prod_raw)] == [f"{BJ}.cenId", f"{ZJK}.interRegion"]


def test_a_region_on_anothers_transit_router_does_not_hide_the_next_regions_problem(prod_raw):
    # cn-zhangjiakou first (regions[0]) on the VBR's transit router; cn-beijing, now regions[2], on another route table
    prod_raw["regions"].insert(0, prod_raw["regions"].pop(2))
    prod_raw["regions"].insert(2, prod_raw["regions"].pop(1))
    assert [r["id"] for r in prod_raw["regions"]] == ["cn-zhangjiakou", "cn-hangzhou", "cn-beijing"]
    _tr(prod_raw, 0)["transitRouterId"] = VBR_TR
    _tr(prod_raw, 2)["routeTableId"] = "vtb-other0"
    assert [path for path, _, _ in refusals(prod_raw)] == ["regions[0].leasedLine.transitRouter.transitRouterId",
                                                          "regions[2].leasedLine.transitRouter.routeTableId"]


# --- an existing VPC's next hop and vSwitches ---------------------------------------------
# Next-hop id forms (CreateRouteEntry NextHopId): tr-attach-... (pulumi-alicloud 4.0.0
# cen/get_child_instance_route_entry_to_attachments.py), ri-... (cloudfirewall/firewall_vpc_firewall.py),
# vpn-... (vpn/route_entry.py).

HZ = "regions[1].leasedLine.existingVpc"


@pytest.mark.parametrize("kind,hop", [("RouterInterface", "vpn-abc123"), ("RouterInterface", "ri-abc-123"),
                                      ("VpnGateway", "ri-abc123"), ("Attachment", "tr-abc123")])
def test_a_next_hop_id_of_another_kind_is_refused(prod_raw, kind, hop):
    prod_raw["regions"][1]["leasedLine"]["existingVpc"]["nextHop"] = {"type": kind, "id": hop}
    ((path, msg, fix),) = refusals(prod_raw)
    assert path == f"{HZ}.nextHop"
    assert msg.startswith(f"next hop id {hop} is not the id of a {kind} next hop (")
    assert fix == f"give the id of the {kind} the routes point at, or the type of {hop}."


@pytest.mark.parametrize("kind,hop", [("RouterInterface", "ri-abc123"), ("VpnGateway", "vpn-abc123")])
def test_a_next_hop_id_of_its_kind_is_accepted(prod_raw, kind, hop):
    prod_raw["regions"][1]["leasedLine"]["existingVpc"]["nextHop"] = {"type": kind, "id": hop}
    nh = load(prod_raw).regions[1].leased_line.existing_vpc.next_hop
    assert (nh.type, nh.id) == (kind, hop)


def test_a_zone_and_role_given_twice_is_refused(prod_raw):
    vsws = prod_raw["regions"][1]["leasedLine"]["existingVpc"]["vswitches"]
    vsws.append({**vsws[0], "id": "vsw-bp1other0"})
    assert refusals(prod_raw) == [(HZ, "vSwitch for zone cn-hangzhou-h role nodes is given twice.", "list each zone/role once.")]


def test_a_transit_router_without_a_route_table_is_refused(prod_raw):
    del _tr(prod_raw, 2)["routeTableId"]
    ((path, msg, fix),) = refusals(prod_raw)
    assert path == ZJK
    assert msg.startswith("routeTableId is missing: a VPC attachment learns and forwards no route until")
    # the reason names the API whose defaults cause it, so the user can look it up: Alibaba's
    # CreateTransitRouterVpcAttachment reference, route learning and associated forwarding off by default
    assert msg.endswith("until it is associated with and propagates into a transit-router route table "
                        "(Alibaba CreateTransitRouterVpcAttachment: route learning and associated forwarding are "
                        "disabled by default).")
    assert fix == "set routeTableId to the transit router's route table that carries the leased line's routes (vtb-...)."


@pytest.mark.parametrize("both", [True, False])
def test_exactly_one_form_of_path(prod_raw, both):
    ll = prod_raw["regions"][0]["leasedLine"]
    if both:
        ll["existingVpc"] = prod_raw["regions"][1]["leasedLine"]["existingVpc"]
    else:
        del ll["transitRouter"]
    assert refusals(prod_raw) == [("regions[0].leasedLine",
                                  "a region's leased-line path needs exactly one of transitRouter or existingVpc.",
                                  "give transitRouter {cenId, transitRouterId, routeTableId} to attach a new VPC, or "
                                  "existingVpc {vpcId, routeTableId, nextHop} to adopt one.")]
