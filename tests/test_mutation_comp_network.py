"""components/network.py under Pulumi's mocks: prod's three regions, each path to the IDC worked by
hand from stacks/Pulumi.prod.yaml (cn-beijing: its own transit router, the VBR's, with a route table;
cn-hangzhou: an existing VPC adopted, routes created; cn-zhangjiakou: another transit router, joined
to the VBR's by an inter-region connection), checked resource by resource."""

from __future__ import annotations

import json

from hybrid.model import load
from tests.component_graph import record
from tests.conftest import settle

VPC = "alicloud:vpc/network:Network"
VSW = "alicloud:vpc/switch:Switch"
SG = "alicloud:ecs/securityGroup:SecurityGroup"
SGR = "alicloud:ecs/securityGroupRule:SecurityGroupRule"
ROUTE = "alicloud:vpc/routeEntry:RouteEntry"
TR_VPC = "alicloud:cen/transitRouterVpcAttachment:TransitRouterVpcAttachment"
TR_PEER = "alicloud:cen/transitRouterPeerAttachment:TransitRouterPeerAttachment"
ASSOC = "alicloud:cen/transitRouterRouteTableAssociation:TransitRouterRouteTableAssociation"
PROP = "alicloud:cen/transitRouterRouteTablePropagation:TransitRouterRouteTablePropagation"
NET = "hybrid:network:RegionNetwork"

# prod's IDC ranges in idc.ranges order, with the field each comes from
IDC = [("nodeCidrs[0]", "10.0.0.0/18"), ("podCidr", "10.128.0.0/14"), ("extraRanges[0]", "10.1.0.0/20"),
       ("extraRanges[1]", "10.2.0.0/24")]
VPCS = {"cn-beijing": "10.32.0.0/16", "cn-hangzhou": "10.33.0.0/16", "cn-zhangjiakou": "10.34.0.0/16"}
VBR_TR, VBR_RT = "tr-2zetyq3e6kf5b8mhm0ae1", "vtb-2zeyp4s1gqxxfgmt3aawi"  # idc.vbr


def _prod(pulumi_mocks, prod_raw):
    _, mon = record(pulumi_mocks, prod_raw, stack="prod")

    def program():
        from components.network import RegionNetwork, RegionNetworkArgs

        p = load(prod_raw)
        return {r.id: RegionNetwork(r.id, RegionNetworkArgs(region=r, idc=p.idc, environment=p.environment,
                                                             peers=[o for o in p.regions if o.id != r.id],
                                                             tags={"stack": "prod"})).outputs
                for r in p.regions}

    nets = settle(lambda: {rid: (n, n.vpc_id, n.vswitch_ids, n.pod_vswitch_ids, n.security_group_id, n.pod_security_group_id,
                                 n.idc_routes) for rid, n in program().items()})
    return mon, nets


def _dev(pulumi_mocks, dev_raw):
    """The monitor after dev's one region network (as configured in dev_raw) was built and settled."""
    _, mon = record(pulumi_mocks, dev_raw)

    def program():
        from components.network import RegionNetwork, RegionNetworkArgs

        p = load(dev_raw)
        r = p.regions[0]
        return RegionNetwork(r.id, RegionNetworkArgs(region=r, idc=p.idc, environment=p.environment)).outputs.vpc_id

    settle(program)
    return mon


def _routes(mon, region, table, hop):
    want = {f"{region}-idc-route-{c.replace('.', '-').replace('/', '-')}": (c, f"IDC idc.{f} over the leased line") for f, c in IDC}
    want |= {f"{region}-vpc-route-{c.replace('.', '-').replace('/', '-')}": (c, f"VPC of {peer} through the transit routers")
             for peer, c in VPCS.items() if peer != region}
    got = {r.name: r for r in mon.of_type(ROUTE) if r.name.startswith(region + "-")}
    assert sorted(got) == sorted(want)
    for name, (cidr, why) in want.items():
        assert got[name].inputs == {"routeTableId": table, "destinationCidrblock": cidr, "nexthopType": "Attachment",
                                    "nexthopId": hop, "description": why}


def test_prod_networks_by_hand(pulumi_mocks, prod_raw):
    mon, nets = _prod(pulumi_mocks, prod_raw)

    for rid, (outputs, vpc_id, vsw, pod_vsw, sg, pod_sg, routes) in nets.items():
        comp = mon.one(NET, rid)
        tags = {"stack": "prod", "region": rid}
        vpc = mon.one(VPC, f"{rid}-vpc")
        assert vpc.inputs == {"vpcName": f"hybrid-prod-{rid}", "cidrBlock": VPCS[rid], "enableIpv6": False,
                              "description": "Cloud GPU nodes of the idc-bj cluster (prod).", "tags": tags}
        assert vpc.parent == comp.urn
        for z in vsw:
            for role, ids, what in (("nodes", vsw, "Node ENIs"), ("pods", pod_vsw, "Terway pod IPs")):
                s = mon.one(VSW, f"{rid}-{z}-{role}")
                assert ids[z] == mon.ids[s.urn]  # each zone's output is that zone's vSwitch of that role
                assert {k: s.inputs[k] for k in ("vpcId", "zoneId", "vswitchName", "description", "tags")} == {
                    "vpcId": vpc_id, "zoneId": z, "vswitchName": f"hybrid-prod-{z}-{role}", "description": f"{what} in {z}.",
                    "tags": {**tags, "zone": z, "role": role}}
                assert "enableIpv6" not in s.inputs and "ipv6CidrBlockMask" not in s.inputs
                assert s.parent == comp.urn
        assert vpc_id == mon.ids[vpc.urn]
        for suffix, gid, text in (("workers", sg, "Cloud GPU workers: kubelet from the IDC and the VPC only; no SSH, no BGP, "
                                                  "nothing from the internet."),
                                  ("pods", pod_sg, "Terway pod ENIs: pod traffic from IDC nodes and pods and from pod vSwitches only.")):
            g = mon.one(SG, f"{rid}-{suffix}-sg")
            assert gid == mon.ids[g.urn]
            assert g.inputs == {"vpcId": vpc_id, "securityGroupName": f"hybrid-prod-{rid}-{suffix}", "description": text,
                                "innerAccessPolicy": "Drop", "tags": {**tags, "role": suffix}}
            assert g.parent == comp.urn
        # every rule: ingress, accept, priority 1 (the highest), on the intranet NIC, a child of its group
        groups = {mon.one(SG, f"{rid}-workers-sg").urn: sg, mon.one(SG, f"{rid}-pods-sg").urn: pod_sg}
        node_vsw = {"10.32.0.0/22", "10.32.4.0/22", "10.32.8.0/22", "10.33.0.0/22", "10.33.4.0/22", "10.34.32.0/22", "10.34.36.0/22"}
        for r in (r for r in mon.of_type(SGR) if r.name.startswith(rid + "-")):
            i = r.inputs
            assert (i["type"], i["policy"], i["priority"], i["nicType"]) == ("ingress", "accept", 1, "intranet")
            assert i["securityGroupId"] == groups[r.parent]
            workers = groups[r.parent] == sg
            if i["ipProtocol"] == "icmp":
                key, why = ("icmp" if workers else "pod-icmp",
                            "ICMP (fragmentation needed, path-MTU discovery) from the IDC over the leased line")
            elif i["portRange"] == "10250/10250":
                key, why = "kubelet", "kubelet API for the IDC apiserver, metrics and logs"
            elif workers:
                key, why = "nodeport", "NodePort Services, reachable from the IDC and the VPC only"
            elif i["cidrIp"] in node_vsw:
                key, why = "pod-from-node", ("cloud nodes' own traffic to Services whose endpoints are Terway pods "
                                             "(kube-proxy masquerades it)")
            else:
                key, why = "pod", "pod-to-pod and node-to-pod traffic inside the hybrid cluster"
            assert workers == (key in ("icmp", "kubelet", "nodeport"))
            assert (r.name, i["description"]) == (f"{rid}-{key}-{i['ipProtocol']}-{i['cidrIp'].replace('.', '-').replace('/', '-')}", why)
        # flow logs (prod: flowLogs on every region)
        proj = mon.one("alicloud:log/project:Project", f"{rid}-flowlog-project")
        assert proj.inputs == {"projectName": f"hybrid-prod-{rid}-flowlog", "description": f"VPC flow logs of {rid} (prod).", "tags": tags}
        store = mon.one("alicloud:log/store:Store", f"{rid}-flowlog-store")
        assert store.inputs == {"projectName": f"hybrid-prod-{rid}-flowlog", "logstoreName": "vpc-flowlog", "retentionPeriod": 180,
                                "shardCount": 2}
        assert store.parent == proj.urn and proj.parent == comp.urn  # the region's provider comes through the parent
        flow = mon.one("alicloud:vpc/flowLog:FlowLog", f"{rid}-flowlog")
        assert flow.inputs == {"flowLogName": f"hybrid-prod-{rid}", "resourceType": "VPC", "resourceId": vpc_id, "trafficType": "All",
                               "projectName": f"hybrid-prod-{rid}-flowlog", "logStoreName": "vpc-flowlog",
                               "aggregationInterval": "10", "tags": tags}
        assert flow.parent == comp.urn and store.urn in flow.dependencies
        # what the component registers: the outputs under their stack-output names
        assert mon.outputs[comp.urn] == {"vpcId": vpc_id, "vswitchIds": vsw, "podVswitchIds": pod_vsw, "securityGroupId": sg,
                                         "podSecurityGroupId": pod_sg, "idcRoutes": routes}
        assert (outputs.region_id, outputs.ipv6) == (rid, False)
        assert set(vsw) == set(pod_vsw) == {z["id"] if isinstance(z, dict) else z
                                            for z in next(r for r in prod_raw["regions"] if r["id"] == rid)["zones"]}


def test_prod_paths_to_the_idc_by_hand(pulumi_mocks, prod_raw):
    mon, nets = _prod(pulumi_mocks, prod_raw)
    managed = {c: "managed" for _, c in IDC}

    # cn-beijing: the VPC attached to the VBR's own transit router, bound to its route table
    bj = mon.one(TR_VPC, "cn-beijing-tr-attachment")
    _, vpc_id, vsw, *_ , routes = nets["cn-beijing"]
    assert bj.inputs == {
        "cenId": "cen-7qthudw0ll6jmc9cb2", "transitRouterId": VBR_TR, "vpcId": vpc_id,
        "zoneMappings": [{"zoneId": z, "vswitchId": vsw[z]} for z in ("cn-beijing-g", "cn-beijing-h", "cn-beijing-i")],
        "transitRouterVpcAttachmentName": "hybrid-prod-cn-beijing",
        "transitRouterAttachmentDescription": "VPC of cn-beijing to the leased line of idc-bj.",
        "tags": {"stack": "prod", "region": "cn-beijing"}}
    hop = routes["nextHop"]["id"]
    assert hop.startswith("tr-attach-") and routes["attachmentId"] == f"cen-7qthudw0ll6jmc9cb2:{hop}"
    for typ, suffix in ((ASSOC, "association"), (PROP, "propagation")):
        b = mon.one(typ, f"cn-beijing-tr-{suffix}")
        assert b.inputs == {"transitRouterAttachmentId": hop, "transitRouterRouteTableId": VBR_RT}
        assert b.parent == bj.urn and b.provider == ""  # the region's own (default) provider
    table = routes["routeTableId"]
    assert routes == {"kind": "transitRouter", "routeTableId": table, "nextHop": {"type": "Attachment", "id": hop},
                      "routes": managed, "vpcRoutes": {"10.33.0.0/16": "managed", "10.34.0.0/16": "managed"},
                      "attachmentId": f"cen-7qthudw0ll6jmc9cb2:{hop}"}
    _routes(mon, "cn-beijing", table, hop)

    # cn-hangzhou: the team's VPC and its two vSwitches of zone h adopted, never changed or deleted
    for typ, name, import_id, ignore in (
            (VPC, "cn-hangzhou-vpc", "vpc-bp1k7mq9w2x3r4t5y6u7i", ["description", "enableIpv6", "tags", "vpcName"]),
            (VSW, "cn-hangzhou-cn-hangzhou-h-nodes", "vsw-bp1a2b3c4d5e6f7g8h9i0", ["description", "tags", "vswitchName"]),
            (VSW, "cn-hangzhou-cn-hangzhou-h-pods", "vsw-bp1j1k2l3m4n5o6p7q8r9", ["description", "tags", "vswitchName"])):
        r = mon.one(typ, name)
        assert r.options == {"protect": True, "import": import_id, "ignoreChanges": ignore, "retainOnDelete": True}
        assert r.parent == mon.one(NET, "cn-hangzhou").urn
    assert mon.one(VSW, "cn-hangzhou-cn-hangzhou-i-nodes").options == {}
    hz = nets["cn-hangzhou"][-1]
    assert hz == {"kind": "existingVpc", "routeTableId": "vtb-bp1d4f6h8j0l2n4p6r8t0",
                  "nextHop": {"type": "Attachment", "id": "tr-attach-h2kx9q4w7e1r5t8y3u"},
                  "routes": managed, "vpcRoutes": {"10.32.0.0/16": "managed", "10.34.0.0/16": "managed"}}
    _routes(mon, "cn-hangzhou", "vtb-bp1d4f6h8j0l2n4p6r8t0", "tr-attach-h2kx9q4w7e1r5t8y3u")
    assert not [r for r in mon.of_type(TR_VPC) if r.name.startswith("cn-hangzhou")]

    # cn-zhangjiakou: its own transit router, joined to the VBR's (cn-beijing) by a peer attachment
    zj = mon.one(TR_VPC, "cn-zhangjiakou-tr-attachment")
    assert zj.inputs["transitRouterId"] == "tr-8vbf3m2k1n0p9q8r7s6t5"
    peer = mon.one(TR_PEER, "cn-zhangjiakou-inter-region")
    assert peer.inputs == {
        "cenId": "cen-7qthudw0ll6jmc9cb2", "transitRouterId": "tr-8vbf3m2k1n0p9q8r7s6t5", "peerTransitRouterId": VBR_TR,
        "peerTransitRouterRegionId": "cn-beijing", "bandwidthType": "DataTransfer", "bandwidth": 2000,
        "transitRouterPeerAttachmentName": "hybrid-prod-cn-zhangjiakou-to-cn-beijing",
        "transitRouterAttachmentDescription": "cn-zhangjiakou to the leased line's transit router in cn-beijing.",
        "tags": {"stack": "prod", "region": "cn-zhangjiakou"}}
    assert peer.parent == mon.one(NET, "cn-zhangjiakou").urn
    vbr_provider = mon.one("pulumi:providers:alicloud", "cn-zhangjiakou-vbr-region")
    assert vbr_provider.inputs == {"region": "cn-beijing"} and vbr_provider.parent == mon.one(NET, "cn-zhangjiakou").urn
    zj_routes = nets["cn-zhangjiakou"][-1]
    zj_hop = zj_routes["nextHop"]["id"]
    # the VPC attachment in zhangjiakou's table; the link in both tables, the VBR's through cn-beijing's API
    for typ, suffix in ((ASSOC, "association"), (PROP, "propagation")):
        vpc_b = mon.one(typ, f"cn-zhangjiakou-tr-{suffix}")
        assert vpc_b.inputs == {"transitRouterAttachmentId": zj_hop, "transitRouterRouteTableId": "vtb-8vbr4t6y8u0i2o4p6a8s0"}
        assert vpc_b.parent == zj.urn
        local = mon.one(typ, f"cn-zhangjiakou-link-cn-zhangjiakou-{suffix}")
        remote = mon.one(typ, f"cn-zhangjiakou-link-cn-beijing-{suffix}")
        link = local.inputs["transitRouterAttachmentId"]
        assert link.startswith("tr-attach-") and link != zj_hop
        assert local.inputs == {"transitRouterAttachmentId": link, "transitRouterRouteTableId": "vtb-8vbr4t6y8u0i2o4p6a8s0"}
        assert remote.inputs == {"transitRouterAttachmentId": link, "transitRouterRouteTableId": VBR_RT}
        assert local.parent == remote.parent == peer.urn
        assert local.provider == "" and remote.provider.rsplit("::", 1)[0] == vbr_provider.urn
    _routes(mon, "cn-zhangjiakou", zj_routes["routeTableId"], zj_hop)
    # NodePorts (cn-zhangjiakou only): tcp and udp from the IDC node and pod ranges and the VPC
    nodeports = sorted((r.inputs["ipProtocol"], r.inputs["cidrIp"]) for r in mon.of_type(SGR) if r.inputs["portRange"] == "30000/32767")
    assert nodeports == sorted((p, c) for p in ("tcp", "udp") for c in ("10.0.0.0/18", "10.128.0.0/14", "10.34.0.0/16"))
    assert all(r.name.startswith("cn-zhangjiakou-nodeport-") for r in mon.of_type(SGR) if r.inputs["portRange"] == "30000/32767")


def test_a_referenced_inter_region_connection_binds_under_the_vpc_attachment(pulumi_mocks, prod_raw):
    # cn-zhangjiakou's connection to the VBR's transit router referenced by id (interRegion.attachmentId):
    # nothing declared for it; its bindings in both tables take that id, under the region's VPC attachment.
    link = "tr-attach-0a1b2c3d4e5f6g7h8i"
    prod_raw["regions"][2]["leasedLine"]["transitRouter"]["interRegion"] = {"attachmentId": link}
    mon, _ = _prod(pulumi_mocks, prod_raw)
    assert not mon.of_type(TR_PEER)
    zj = mon.one(TR_VPC, "cn-zhangjiakou-tr-attachment")
    for typ, suffix in ((ASSOC, "association"), (PROP, "propagation")):
        for table_region, table in (("cn-zhangjiakou", "vtb-8vbr4t6y8u0i2o4p6a8s0"), ("cn-beijing", VBR_RT)):
            b = mon.one(typ, f"cn-zhangjiakou-link-{table_region}-{suffix}")
            assert b.inputs == {"transitRouterAttachmentId": link, "transitRouterRouteTableId": table}
            assert b.parent == zj.urn


def test_existing_vpc_without_route_creation_reports_existing_routes(pulumi_mocks, prod_raw):
    prod_raw["regions"][1]["leasedLine"]["existingVpc"]["createRoutes"] = False
    mon, nets = _prod(pulumi_mocks, prod_raw)
    assert not [r for r in mon.of_type(ROUTE) if r.name.startswith("cn-hangzhou-")]
    routes = nets["cn-hangzhou"][-1]
    assert routes["routes"] == {c: "existing" for _, c in IDC}
    assert routes["vpcRoutes"] == {"10.32.0.0/16": "existing", "10.34.0.0/16": "existing"}


def test_ipv6_masks_and_rules(pulumi_mocks, dev_raw):
    dev_raw["regions"][0]["ipv6"] = True
    dev_raw["regions"][0]["zones"].append("cn-beijing-h")
    mon = _dev(pulumi_mocks, dev_raw)
    assert mon.one(VPC, "cn-beijing-vpc").inputs["enableIpv6"] is True
    # the VPC's /56 split into /64s by zone order: nodes 2k, pods 2k+1
    masks = {s.name: (s.inputs["enableIpv6"], s.inputs["ipv6CidrBlockMask"]) for s in mon.of_type(VSW)}
    assert masks == {"cn-beijing-cn-beijing-g-nodes": (True, 0), "cn-beijing-cn-beijing-g-pods": (True, 1),
                     "cn-beijing-cn-beijing-h-nodes": (True, 2), "cn-beijing-cn-beijing-h-pods": (True, 3)}
    v6 = {r.name: r.inputs for r in mon.of_type(SGR) if "ipv6CidrIp" in r.inputs}
    assert sorted(v6) == ["cn-beijing-kubelet-tcp-vpc-ipv6", "cn-beijing-pod-tcp-vpc-ipv6", "cn-beijing-pod-udp-vpc-ipv6"]
    assert v6["cn-beijing-kubelet-tcp-vpc-ipv6"]["description"] == "kubelet API (IPv6, VPC block only)"
    assert v6["cn-beijing-kubelet-tcp-vpc-ipv6"]["portRange"] == "10250/10250"
    assert v6["cn-beijing-pod-udp-vpc-ipv6"]["description"] == "pod traffic inside the VPC (IPv6, VPC block only)"
    assert v6["cn-beijing-pod-udp-vpc-ipv6"]["portRange"] == "1/65535" and "cidrIp" not in v6["cn-beijing-pod-udp-vpc-ipv6"]


def test_the_networks_options_reach_its_children(pulumi_mocks, dev_raw):
    # As components/platform.py builds it: under a parent, with the region's alicloud provider. Every
    # child (VPC, route entries, flow log) is the network's and goes through that provider.
    dev_raw["regions"][0]["flowLogs"] = True
    _, mon = record(pulumi_mocks, dev_raw)

    def program():
        import pulumi
        import pulumi_alicloud as alicloud

        from components.network import RegionNetwork, RegionNetworkArgs

        p = load(dev_raw)
        r = p.regions[0]
        provider = alicloud.Provider("alicloud-cn-beijing", region="cn-beijing")
        return RegionNetwork(r.id, RegionNetworkArgs(region=r, idc=p.idc, environment=p.environment),
                             opts=pulumi.ResourceOptions(providers={"alicloud": provider})).outputs.idc_routes

    settle(program)
    comp = mon.one(NET, "cn-beijing")
    provider = mon.one("pulumi:providers:alicloud", "alicloud-cn-beijing").urn
    # dev: the VPC attachment to regions[0].leasedLine.transitRouter; idc.nodeCidrs[0], podCidr and
    # extraRanges[0] routed over the line; the flow log and its project
    attachment = mon.one(TR_VPC, "cn-beijing-tr-attachment")
    children = [mon.one(VPC, "cn-beijing-vpc"), attachment, *mon.of_type(ROUTE),
                mon.one("alicloud:log/project:Project", "cn-beijing-flowlog-project"), mon.one("alicloud:vpc/flowLog:FlowLog", "cn-beijing-flowlog")]
    assert len(children) == 7
    for child in children:
        assert child.parent == comp.urn and child.provider.rsplit("::", 1)[0] == provider, child.name
    # the attachment's route-table bindings (the VBR's table, same region) under it, through the same provider
    for binding in (mon.one(ASSOC, "cn-beijing-tr-association"), mon.one(PROP, "cn-beijing-tr-propagation")):
        assert binding.parent == attachment.urn and binding.provider.rsplit("::", 1)[0] == provider


def test_without_a_leased_line_the_network_has_no_path(pulumi_mocks, dev_raw):
    # idc.leasedLine: false and no leasedLine on the region: a VPC of its own, no route, no attachment.
    # (Then nothing in the region may need the IDC: no GPU pool, a NAT gateway, the agent on the public endpoint.)
    dev_raw["idc"]["leasedLine"] = False
    del dev_raw["idc"]["vbr"], dev_raw["regions"][0]["leasedLine"]
    dev_raw["regions"][0]["gpuPools"] = []
    dev_raw["nodeAccess"]["regions"]["cn-beijing"] = {"egress": "natGateway"}
    dev_raw["registration"]["agent"]["endpoint"] = "public"
    _, mon = record(pulumi_mocks, dev_raw)

    def program():
        from components.network import RegionNetwork, RegionNetworkArgs

        p = load(dev_raw)
        r = p.regions[0]
        return RegionNetwork(r.id, RegionNetworkArgs(region=r, idc=p.idc, environment=p.environment)).outputs.idc_routes

    assert settle(program) == {"kind": "none", "routes": {}}
    assert "importId" not in json.dumps(mon.one(VPC, "cn-beijing-vpc").options)
    assert not mon.of_type(ROUTE) and not mon.of_type(TR_VPC)


def test_dev_security_group_rules_by_hand(pulumi_mocks, dev_raw):
    # Alibaba AuthorizeSecurityGroup: IpProtocol tcp, udp, icmp, gre or all; PortRange 1/65535 for every tcp/udp port,
    # -1/-1 for icmp. Kubernetes "Ports and Protocols": the kubelet API on 10250/tcp.
    mon = _dev(pulumi_mocks, dev_raw)
    # dev: idc.nodeCidrs[0] 10.8.0.0/20, podCidr 10.244.0.0/16, extraRanges[0] 10.9.0.0/24; vpcCidr 10.40.0.0/16;
    # one zone (cn-beijing-g) with a node and a pod vSwitch
    node_vsw = mon.one(VSW, "cn-beijing-cn-beijing-g-nodes").inputs["cidrBlock"]
    pod_vsw = mon.one(VSW, "cn-beijing-cn-beijing-g-pods").inputs["cidrBlock"]
    icmp = {("icmp", "-1/-1", c) for c in ("10.8.0.0/20", "10.244.0.0/16", "10.9.0.0/24")}
    want = {
        "cn-beijing-workers-sg": icmp | {("tcp", "10250/10250", c) for c in ("10.8.0.0/20", "10.244.0.0/16", "10.40.0.0/16")},
        "cn-beijing-pods-sg": icmp | {(p, "1/65535", c) for p in ("tcp", "udp") for c in ("10.8.0.0/20", "10.244.0.0/16", pod_vsw, node_vsw)},
    }
    got: dict[str, set] = {name: set() for name in want}
    for r in mon.of_type(SGR):
        group = mon.registrations[r.parent].name
        got[group].add((r.inputs["ipProtocol"], r.inputs["portRange"], r.inputs["cidrIp"]))
    assert got == want
    assert len(mon.of_type(SGR)) == 17  # no rule twice
