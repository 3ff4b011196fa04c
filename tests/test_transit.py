"""Transit-router routing: every VPC reaches the IDC and every other VPC, and the IDC every VPC.

The expectation is a small model of CEN transit-router forwarding as Alibaba documents it,
written here independently of hybrid/transit.py:

* an attachment forwards by the one route table it is associated with;
* an attachment that propagates into a table adds its routes there (a VPC attachment its
  VPC CIDR; the VBR attachment the IDC ranges; an inter-region connection, on each side,
  the routes of the table it is associated with on the *other* side), learned to a fixpoint;
* a VPC sends to its transit router only what its own route table points there.

The bindings come from the program's plan (hybrid.transit) plus the leased line's own
prerequisite: the VBR attachment associated with and propagating into idc.vbr.routeTableId.
"""

from __future__ import annotations

import itertools

import netaddr
import pytest

from hybrid import transit
from hybrid.errors import ConfigError
from hybrid.model import load

VBR = "vbr"


def _fabric(p):
    """(announce, assoc, props, links) for the transit-router regions of platform p."""
    vbr = p.idc.vbr
    announce = {VBR: [c for _, c in p.idc.ranges]}
    assoc: dict[tuple[str, str], str] = {(VBR, vbr.transit_router_id): vbr.route_table_id}
    props: set[tuple[str, str, str]] = {(VBR, vbr.transit_router_id, vbr.route_table_id)}
    links: dict[str, tuple[str, str]] = {}
    tr_of: dict[str, str] = {}
    vpc_table: dict[str, list[str]] = {}
    for path in transit.paths(p.idc, p.regions):
        if path.kind != "transitRouter":
            continue
        r = p.region(path.region_id)
        att = f"vpc:{r.id}"
        tr_of[att] = r.leased_line.transit_router.transit_router_id
        announce[att] = [r.vpc_cidr]
        vpc_table[r.id] = list(path.idc_routes) + [c for _, c in path.vpc_routes]
        for b in path.bindings:
            name = att if b.attachment == "vpc" else f"link:{r.id}"
            assoc[(name, b.transit_router_id)] = b.route_table_id
            props.add((name, b.transit_router_id, b.route_table_id))
        if path.inter_region is not None:
            links[f"link:{r.id}"] = (path.inter_region.local_transit_router_id, path.inter_region.peer_transit_router_id)
    return announce, assoc, props, links, tr_of, vpc_table


def _learn(announce, assoc, props, links):
    tables: dict[str, dict[str, str]] = {}
    changed = True
    while changed:
        changed = False
        for name, tr, table in sorted(props):
            if name in links:
                a, b = links[name]
                other = b if tr == a else a
                src = tables.get(assoc.get((name, other), ""), {})
                routes = [pfx for pfx, hop in src.items() if hop != name]
            else:
                routes = announce[name]
            for pfx in routes:
                if tables.setdefault(table, {}).get(pfx) is None:
                    tables[table][pfx] = name
                    changed = True
    return tables


def _forward(tables, assoc, links, start: str, tr: str, dst: str, announce) -> str | None:
    """Follow a packet from attachment ``start`` on ``tr``; return the attachment that delivers it."""
    ip = netaddr.IPAddress(dst)
    for _ in range(8):
        table = tables.get(assoc.get((start, tr), ""), {})
        hits = [p for p in table if ip in netaddr.IPNetwork(p)]
        if not hits:
            return None
        hop = table[max(hits, key=lambda p: netaddr.IPNetwork(p).prefixlen)]
        if hop not in links:
            return hop if any(ip in netaddr.IPNetwork(c) for c in announce[hop]) else None
        a, b = links[hop]
        start, tr = hop, (b if tr == a else a)
    return None


def _reach(p):
    announce, assoc, props, links, tr_of, vpc_table = _fabric(p)
    tables = _learn(announce, assoc, props, links)
    vbr_tr = p.idc.vbr.transit_router_id
    host = {a: str(netaddr.IPNetwork(c[0])[5]) for a, c in announce.items()}
    out = {}
    for src, dst in itertools.permutations(announce, 2):
        d = host[dst]
        if src == VBR:
            got = _forward(tables, assoc, links, VBR, vbr_tr, d, announce)
        else:
            region = src.split(":")[1]
            if not any(netaddr.IPAddress(d) in netaddr.IPNetwork(c) for c in vpc_table[region]):
                got = None  # the VPC's own table does not send it to the transit router
            else:
                got = _forward(tables, assoc, links, src, tr_of[src], d, announce)
        out[(src, dst)] = got == dst
    return out


def test_prod_every_transit_router_region_reaches_the_idc_and_each_other_both_ways(prod_raw):
    p = load(prod_raw)
    reach = _reach(p)
    for (src, dst), ok in sorted(reach.items()):
        print(f"{src:22} -> {dst:22} {'reaches' if ok else 'NO ROUTE'}")
    assert {"vpc:cn-beijing", "vpc:cn-zhangjiakou"} <= {s for s, _ in reach}
    assert all(reach.values())


def test_prod_route_plan_table(prod_raw):
    p = load(prod_raw)
    print("\n" + transit.table(p.idc, p.regions))
    zj = transit.region_path(p.idc, p.region("cn-zhangjiakou"), p.regions)
    assert zj.inter_region is not None and zj.inter_region.existing_attachment_id is None
    assert {(b.route_table_id, b.region_id) for b in zj.bindings} == {
        ("vtb-8vbr4t6y8u0i2o4p6a8s0", "cn-zhangjiakou"), ("vtb-2zeyp4s1gqxxfgmt3aawi", "cn-beijing")}
    bj = transit.region_path(p.idc, p.region("cn-beijing"), p.regions)
    assert bj.on_vbr_transit_router and bj.inter_region is None
    # VPC <-> VPC: every region has an entry for every other region's VPC (prod's three, by hand).
    vpcs = {"cn-beijing": "10.32.0.0/16", "cn-hangzhou": "10.33.0.0/16", "cn-zhangjiakou": "10.34.0.0/16"}
    for path in transit.paths(p.idc, p.regions):
        assert dict(path.vpc_routes) == {r: c for r, c in vpcs.items() if r != path.region_id}


@pytest.mark.parametrize("drop", ["hub-propagation", "local-propagation", "vpc-association"])
def test_the_model_notices_a_missing_binding(prod_raw, drop, monkeypatch):
    """Break the plan on purpose: the forwarding model must then report a missing route."""
    p = load(prod_raw)
    real = transit.region_path

    def broken(idc, region, regions):
        path = real(idc, region, regions)
        if path is None or path.region_id != "cn-zhangjiakou":
            return path
        keep = {"hub-propagation": lambda b: not (b.attachment == "inter-region" and b.region_id == "cn-beijing"),
                "local-propagation": lambda b: not (b.attachment == "inter-region" and b.region_id == "cn-zhangjiakou"),
                "vpc-association": lambda b: b.attachment != "vpc"}[drop]
        return transit.RegionPath(**{**path.__dict__, "bindings": tuple(b for b in path.bindings if keep(b))})

    monkeypatch.setattr(transit, "region_path", broken)
    assert not all(_reach(p).values())


def _issues(raw):
    with pytest.raises(ConfigError) as info:
        load(raw)
    return {i.path: i for i in info.value.issues}


def test_route_table_is_required(prod_raw):
    del prod_raw["regions"][0]["leasedLine"]["transitRouter"]["routeTableId"]
    issues = _issues(prod_raw)
    assert list(issues) == ["regions[0].leasedLine.transitRouter"]
    assert "routeTableId" in issues["regions[0].leasedLine.transitRouter"].render()


@pytest.mark.parametrize("edit,path", [
    (lambda r: r["idc"].pop("vbr"), "idc.vbr"),
    (lambda r: r["regions"][2]["leasedLine"]["transitRouter"].pop("interRegion"), "regions[2].leasedLine.transitRouter.interRegion"),
    (lambda r: r["regions"][2]["leasedLine"]["transitRouter"].update(cenId="cen-other0"), "regions[2].leasedLine.transitRouter.cenId"),
    (lambda r: r["regions"][0]["leasedLine"]["transitRouter"].update(routeTableId="vtb-other0"), "regions[0].leasedLine.transitRouter.routeTableId"),
    (lambda r: r["regions"][0]["leasedLine"]["transitRouter"].update(interRegion={}), "regions[0].leasedLine.transitRouter.interRegion"),
    (lambda r: r["regions"][2]["leasedLine"]["transitRouter"].update(transitRouterId="tr-2zetyq3e6kf5b8mhm0ae1"), "regions[2].leasedLine.transitRouter.transitRouterId"),
])
def test_a_region_without_a_path_to_the_vbr_names_the_field(prod_raw, edit, path):
    edit(prod_raw)
    issues = _issues(prod_raw)
    assert list(issues) == [path], issues
    line = issues[path].render()
    assert "\n" not in line and "Fix:" in line
    print(line)


def test_idc_announcements_fit_the_vbr_route_limit(prod_raw):
    """At most 110 dynamic routes per BGP peer on a VBR (Alibaba VBR quotas): 110 ranges pass, 111 do not."""
    prod_raw["idc"]["nodeCidrs"] += [f"10.20.{i}.0/24" for i in range(63)]
    prod_raw["idc"]["extraRanges"] += [f"10.30.{i}.0/24" for i in range(43)]
    assert len(load(prod_raw).idc.ranges) == 110  # 64 node ranges, the pod CIDR, 45 extra ranges
    prod_raw["idc"]["extraRanges"].append("10.30.200.0/24")
    issues = _issues(prod_raw)
    assert list(issues) == ["idc.extraRanges"]
    assert "111" in issues["idc.extraRanges"].message and "110" in issues["idc.extraRanges"].message
    print(issues["idc.extraRanges"].render())
