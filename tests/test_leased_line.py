"""Each region's path to the IDC: model checks and the resources RegionNetwork declares for it."""

from __future__ import annotations

import copy

import pytest

from hybrid.errors import ConfigError
from hybrid.model import load
from tests.conftest import settle

ROUTE = "alicloud:vpc/routeEntry:RouteEntry"
ATTACH = "alicloud:cen/transitRouterVpcAttachment:TransitRouterVpcAttachment"
VPC = "alicloud:vpc/network:Network"
SW = "alicloud:vpc/switch:Switch"

# The dev stack's IDC ranges, written out by hand: idc.nodeCidrs, podCidr, extraRanges.
DEV_IDC_RANGES = {"10.8.0.0/20", "10.244.0.0/16", "10.9.0.0/24"}

EXISTING = {
    "vpcId": "vpc-2zeexisting0001",
    "routeTableId": "vtb-2zeexisting0001",
    "nextHop": {"type": "Ecr", "id": "ecr-abc123"},
}


def _issues(raw) -> list:
    with pytest.raises(ConfigError) as info:
        load(raw)
    return info.value.issues


def test_region_without_a_path_is_rejected_naming_the_field(dev_raw):
    del dev_raw["regions"][0]["leasedLine"]
    issues = _issues(dev_raw)
    assert [i.path for i in issues] == ["regions[0].leasedLine"]
    assert "no path to the IDC" in issues[0].message and "transitRouter" in issues[0].fix


def test_both_or_neither_form_is_rejected(dev_raw):
    dev_raw["regions"][0]["leasedLine"]["existingVpc"] = EXISTING
    assert [i.path for i in _issues(dev_raw)] == ["regions[0].leasedLine"]
    dev_raw["regions"][0]["leasedLine"] = {}
    assert [i.path for i in _issues(dev_raw)] == ["regions[0].leasedLine"]


@pytest.mark.parametrize("path,value", [
    (("transitRouter", "cenId"), "cen_1"),
    (("transitRouter", "transitRouterId"), "vpc-123"),
    (("transitRouter", "routeTableId"), "rt-1"),
])
def test_ids_are_checked(dev_raw, path, value):
    dev_raw["regions"][0]["leasedLine"][path[0]][path[1]] = value
    assert [i.path for i in _issues(dev_raw)] == [f"regions[0].leasedLine.{path[0]}.{path[1]}"]


def test_transit_router_needs_a_node_vswitch(dev_raw):
    dev_raw["regions"][0]["zones"] = [{"id": "cn-beijing-g", "podVswitchCidr": "10.40.32.0/19"}]
    dev_raw["regions"][0]["gpuPools"] = []
    assert [i.path for i in _issues(dev_raw)] == ["regions[0].leasedLine.transitRouter"]


def test_imported_vswitch_needs_its_cidr(dev_raw):
    # cn-beijing-g is given as shorthand: the planner would pick a CIDR the existing vSwitch does not have.
    dev_raw["regions"][0]["leasedLine"] = {"existingVpc": {**EXISTING, "vswitches": [
        {"zone": "cn-beijing-g", "role": "nodes", "id": "vsw-2zeexisting0001"}]}}
    issues = _issues(dev_raw)
    assert [i.path for i in issues] == ["regions[0]"]
    assert "nodeVswitchCidr" in issues[0].fix


def _build(raw):
    from components.network import RegionNetwork, RegionNetworkArgs

    p = load(raw)
    region = p.regions[0]
    return RegionNetwork(region.id, RegionNetworkArgs(region=region, idc=p.idc, environment=p.environment))


def _outputs(net, *names: str) -> list:
    return [getattr(net.outputs, n) for n in names]


def test_transit_router_attachment_and_a_route_per_idc_range(pulumi_mocks, dev_raw):
    dev_raw["regions"][0]["zones"].append("cn-beijing-h")
    dev_raw["regions"][0]["leasedLine"]["transitRouter"]["routeTableId"] = "vtb-trtable0001"
    dev_raw["idc"]["vbr"]["routeTableId"] = "vtb-trtable0001"  # the VBR's transit router: its table
    rec = pulumi_mocks(dev_raw)
    vpc_id, node_vsw, routes = settle(lambda: _outputs(_build(dev_raw), "vpc_id", "vswitch_ids", "idc_routes"))

    att = rec.named(ATTACH, "cn-beijing-tr-attachment")
    assert att.inputs["cenId"] == "cen-dev0hybrid0gpu0line"
    assert att.inputs["transitRouterId"] == "tr-2zedev0hybrid0tr0001"
    assert att.inputs["vpcId"] == vpc_id
    assert {(m["zoneId"], m["vswitchId"]) for m in att.inputs["zoneMappings"]} == set(node_vsw.items())
    assert len(node_vsw) == 2
    vpc_rt = rec.named(VPC, "cn-beijing-vpc")
    entries = [a.inputs for a in rec.of_type(ROUTE)]
    assert {e["destinationCidrblock"] for e in entries} == DEV_IDC_RANGES
    assert len(entries) == len(DEV_IDC_RANGES)
    for e in entries:
        assert e["nexthopType"] == "Attachment"
        assert e["nexthopId"] == routes["nextHop"]["id"]
        assert e["routeTableId"] == routes["routeTableId"]
    # The bare attachment id (transit_router_attachment_id), not the resource's "<cen>:<attachment>" id.
    assert routes["nextHop"]["id"].startswith("tr-attach-") and ":" not in routes["nextHop"]["id"]
    assert routes["routeTableId"].startswith("vtb-") and not vpc_rt.resource_id
    assert routes["routes"] == {c: "managed" for c in DEV_IDC_RANGES}
    for kind in ("transitRouterRouteTableAssociation:TransitRouterRouteTableAssociation",
                 "transitRouterRouteTablePropagation:TransitRouterRouteTablePropagation"):
        (assoc,) = rec.of_type(f"alicloud:cen/{kind}")
        assert assoc.inputs == {"transitRouterAttachmentId": routes["nextHop"]["id"],
                                "transitRouterRouteTableId": "vtb-trtable0001"}


def test_existing_vpc_is_imported_and_routes_are_reported(pulumi_mocks, dev_raw):
    dev_raw["regions"][0]["zones"] = [{"id": "cn-beijing-g", "nodeVswitchCidr": "10.40.0.0/22", "podVswitchCidr": "10.40.32.0/19"}]
    dev_raw["regions"][0]["leasedLine"] = {"existingVpc": {**EXISTING, "vswitches": [
        {"zone": "cn-beijing-g", "role": "pods", "id": "vsw-2zeexistingpods"}]}}
    rec = pulumi_mocks(dev_raw)
    vpc_id, pod_vsw, routes = settle(lambda: _outputs(_build(dev_raw), "vpc_id", "pod_vswitch_ids", "idc_routes"))

    # The import id reaches the engine, and dependants see the existing VPC's id.
    assert rec.named(VPC, "cn-beijing-vpc").resource_id == "vpc-2zeexisting0001" == vpc_id
    assert rec.named(SW, "cn-beijing-cn-beijing-g-pods").resource_id == "vsw-2zeexistingpods" == pod_vsw["cn-beijing-g"]
    assert rec.named(SW, "cn-beijing-cn-beijing-g-nodes").resource_id == ""  # not listed: created
    assert not rec.of_type(ATTACH) and not rec.of_type(ROUTE)  # createRoutes false: the routes exist
    assert routes == {"kind": "existingVpc", "routeTableId": "vtb-2zeexisting0001",
                      "nextHop": {"type": "Ecr", "id": "ecr-abc123"},
                      "routes": {c: "existing" for c in DEV_IDC_RANGES}, "vpcRoutes": {}}


def test_existing_vpc_can_get_its_routes_created(pulumi_mocks, dev_raw):
    dev_raw["regions"][0]["leasedLine"] = {"existingVpc": {**EXISTING, "createRoutes": True}}
    rec = pulumi_mocks(dev_raw)
    (routes,) = settle(lambda: _outputs(_build(dev_raw), "idc_routes"))

    entries = [a.inputs for a in rec.of_type(ROUTE)]
    assert {(e["destinationCidrblock"], e["nexthopType"], e["nexthopId"], e["routeTableId"]) for e in entries} == {
        (c, "Ecr", "ecr-abc123", "vtb-2zeexisting0001") for c in DEV_IDC_RANGES}
    assert set(routes["routes"].values()) == {"managed"}


def test_prod_gives_every_region_a_path(prod_raw):
    p = load(copy.deepcopy(prod_raw))
    kinds = {r.id: r.leased_line.kind for r in p.regions}
    assert kinds == {"cn-beijing": "transitRouter", "cn-hangzhou": "existingVpc", "cn-zhangjiakou": "transitRouter"}
