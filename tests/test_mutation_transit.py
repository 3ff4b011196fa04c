"""hybrid.transit: the route plan of prod, cell by cell, written by hand from stacks/Pulumi.prod.yaml.

prod: idc.vbr on cn-beijing's transit router tr-2zetyq3e6kf5b8mhm0ae1 (route table
vtb-2zeyp4s1gqxxfgmt3aawi); cn-zhangjiakou on tr-8vbf3m2k1n0p9q8r7s6t5 (vtb-8vbr4t6y8u0i2o4p6a8s0)
with an inter-region connection of 2000 Mbit/s to be declared; cn-hangzhou an existing VPC whose
route table vtb-bp1d4f6h8j0l2n4p6r8t0 points at tr-attach-h2kx9q4w7e1r5t8y3u (createRoutes: true).
VPCs 10.32/16 (cn-beijing), 10.33/16 (cn-hangzhou), 10.34/16 (cn-zhangjiakou); four IDC ranges.
Route entries toward a transit router use next-hop type "Attachment" (alicloud.vpc.RouteEntry
nexthop_type, terraform-provider-alicloud resource_alicloud_route_entry.go).
"""

from __future__ import annotations

from hybrid import transit
from hybrid.model import load

BJ_TR, BJ_VTB = "tr-2zetyq3e6kf5b8mhm0ae1", "vtb-2zeyp4s1gqxxfgmt3aawi"
ZJ_TR, ZJ_VTB = "tr-8vbf3m2k1n0p9q8r7s6t5", "vtb-8vbr4t6y8u0i2o4p6a8s0"
HZ_VTB, HZ_HOP = "vtb-bp1d4f6h8j0l2n4p6r8t0", "tr-attach-h2kx9q4w7e1r5t8y3u"

HEADER = ["region", "TR route table", "association", "propagation", "inter-region link", "IDC -> VPC", "VPC -> IDC",
          "VPC <-> VPC"]


def _rows(text: str) -> list[list[str]]:
    assert text.endswith("\n") and not text.endswith("\n\n")
    lines = text[:-1].split("\n")
    assert lines[1] == "|" + "---|" * len(HEADER)
    rows = []
    for line in [lines[0]] + lines[2:]:
        assert line.startswith("| ") and line.endswith(" |"), line
        rows.append(line[2:-2].split(" | "))
    return rows


def test_prod_route_plan_table_cell_by_cell(prod_raw):
    p = load(prod_raw)
    rows = _rows(transit.table(p.idc, p.regions))
    assert rows[0] == HEADER
    assert rows[1:] == [
        ["cn-beijing", BJ_VTB, f"VPC attachment -> {BJ_VTB}", f"VPC attachment -> {BJ_VTB}",
         f"none: on the VBR's transit router {BJ_TR}",
         f"VBR table {BJ_VTB} learns the VPC (VPC attachment propagation)",
         "VPC system table: 4 IDC ranges -> VPC attachment",
         "10.33.0.0/16 (cn-hangzhou), 10.34.0.0/16 (cn-zhangjiakou) -> VPC attachment"],
        ["cn-hangzhou", "existing path", "existing", "existing", "existing", "existing path carries cn-hangzhou's VPC",
         f"VPC table {HZ_VTB}: 4 IDC ranges -> Attachment {HZ_HOP} (managed)",
         f"10.32.0.0/16 (cn-beijing), 10.34.0.0/16 (cn-zhangjiakou) -> Attachment {HZ_HOP}"],
        ["cn-zhangjiakou", ZJ_VTB, f"VPC attachment -> {ZJ_VTB}; link -> {ZJ_VTB} and {BJ_VTB}",
         f"VPC attachment -> {ZJ_VTB}; link -> {ZJ_VTB} and {BJ_VTB}",
         f"{ZJ_TR} <-> {BJ_TR} (cn-beijing), declared, 2000 Mbit/s",
         f"VBR table {BJ_VTB} learns the VPC over the link (link propagation), {ZJ_VTB} from the VPC attachment",
         "VPC system table: 4 IDC ranges -> VPC attachment",
         "10.32.0.0/16 (cn-beijing), 10.33.0.0/16 (cn-hangzhou) -> VPC attachment"],
    ]


def test_existing_vpc_path_uses_the_network_teams_table_and_hop(prod_raw):
    p = load(prod_raw)
    hz = transit.region_path(p.idc, p.region("cn-hangzhou"), p.regions)
    assert (hz.kind, hz.vpc_route_table, hz.next_hop, hz.routes_managed) == (
        "existingVpc", HZ_VTB, f"Attachment {HZ_HOP}", True)
    assert hz.bindings == () and hz.inter_region is None


def test_existing_vpc_without_create_routes_leaves_the_routes_to_the_network_team(prod_raw):
    hz = next(r for r in prod_raw["regions"] if r["id"] == "cn-hangzhou")
    hz["leasedLine"]["existingVpc"]["createRoutes"] = False
    p = load(prod_raw)
    assert transit.region_path(p.idc, p.region("cn-hangzhou"), p.regions).routes_managed is False
    row = [r for r in _rows(transit.table(p.idc, p.regions)) if r[0] == "cn-hangzhou"][0]
    assert row[6] == f"VPC table {HZ_VTB}: 4 IDC ranges -> Attachment {HZ_HOP} (existing)"


def test_new_vpc_paths_point_the_system_table_at_the_attachment(prod_raw):
    p = load(prod_raw)
    for rid in ("cn-beijing", "cn-zhangjiakou"):
        path = transit.region_path(p.idc, p.region(rid), p.regions)
        assert (path.kind, path.vpc_route_table, path.routes_managed) == ("transitRouter", "system", True)
        assert path.next_hop.startswith("Attachment ")


def test_declared_link_goes_to_the_vbrs_region_with_the_configured_bandwidth(prod_raw):
    p = load(prod_raw)
    link = transit.region_path(p.idc, p.region("cn-zhangjiakou"), p.regions).inter_region
    assert link == transit.InterRegionLink(ZJ_TR, BJ_TR, "cn-beijing", None, 2000)


def test_referenced_link_keeps_its_id_and_the_table_says_so(prod_raw):
    zj = next(r for r in prod_raw["regions"] if r["id"] == "cn-zhangjiakou")
    zj["leasedLine"]["transitRouter"]["interRegion"] = {"attachmentId": "tr-attach-0a1b2c3d4e5f6g7h8i"}
    p = load(prod_raw)
    link = transit.region_path(p.idc, p.region("cn-zhangjiakou"), p.regions).inter_region
    assert link.existing_attachment_id == "tr-attach-0a1b2c3d4e5f6g7h8i"
    row = [r for r in _rows(transit.table(p.idc, p.regions)) if r[0] == "cn-zhangjiakou"][0]
    assert row[4] == f"{ZJ_TR} <-> {BJ_TR} (cn-beijing), referenced tr-attach-0a1b2c3d4e5f6g7h8i"
