"""Mock tests: RegionNetwork declares the resources with the inputs the engine will see."""

from __future__ import annotations


from hybrid.model import load
from tests.conftest import settle

SGR = "alicloud:ecs/securityGroupRule:SecurityGroupRule"


def _build(raw, rec):
    from components.network import RegionNetwork, RegionNetworkArgs

    p = load(raw)
    region = p.regions[0]
    other = region.model_copy(update={"id": "cn-shanghai", "vpc_cidr": "10.99.0.0/16",
                                      "zones": [region.zones[0].model_copy(update={"id": "cn-shanghai-l", "node_vswitch_cidr": "10.99.32.0/22",
                                                                                 "pod_vswitch_cidr": "10.99.0.0/19"})]})
    return p, RegionNetwork(region.id, RegionNetworkArgs(region=region, idc=p.idc, environment=p.environment, peers=[other]))


def _outputs(net, *names: str) -> list:
    return [getattr(net.outputs, n) for n in names]


def test_vpc_and_vswitches_get_planned_cidrs(pulumi_mocks, dev_raw):
    rec = pulumi_mocks(dev_raw)
    p = load(dev_raw)
    zone = p.regions[0].zones[0]
    vsw, pod_vsw, vpc_id = settle(lambda: _outputs(_build(dev_raw, rec)[1], "vswitch_ids", "pod_vswitch_ids", "vpc_id"))

    vpc = rec.named("alicloud:vpc/network:Network", "cn-beijing-vpc").inputs
    assert vpc["cidrBlock"] == "10.40.0.0/16"
    assert vpc["tags"]["region"] == "cn-beijing"
    nodes = rec.named("alicloud:vpc/switch:Switch", f"cn-beijing-{zone.id}-nodes").inputs
    pods = rec.named("alicloud:vpc/switch:Switch", f"cn-beijing-{zone.id}-pods").inputs
    assert (nodes["cidrBlock"], nodes["zoneId"], nodes["vpcId"]) == (zone.node_vswitch_cidr, zone.id, vpc_id)
    assert (pods["cidrBlock"], pods["zoneId"]) == (zone.pod_vswitch_cidr, zone.id)
    assert set(vsw) == set(pod_vsw) == {zone.id}
    assert vsw[zone.id].startswith("vsw-") and vsw[zone.id] != pod_vsw[zone.id]


def test_security_groups_are_least_privilege(pulumi_mocks, dev_raw):
    rec = pulumi_mocks(dev_raw)
    p = load(dev_raw)
    workers_sg, pods_sg = settle(lambda: _outputs(_build(dev_raw, rec)[1], "security_group_id", "pod_security_group_id"))

    rules = [a.inputs for a in rec.of_type(SGR)]
    assert rules, "no security group rules were declared"
    for r in rules:
        assert r["type"] == "ingress" and r["policy"] == "accept"
        assert r.get("cidrIp") not in ("0.0.0.0/0", None) or r.get("ipv6CidrIp")
        assert r.get("ipv6CidrIp") != "::/0"
        assert not (r["ipProtocol"] == "all")
        assert r["portRange"] != "-1/-1" or r["ipProtocol"] == "icmp"
    worker_rules = [r for r in rules if r["securityGroupId"] == workers_sg]
    kubelet = sorted(r["cidrIp"] for r in worker_rules if r["portRange"] == "10250/10250")
    assert kubelet == sorted([*p.idc.node_cidrs, p.idc.pod_cidr, p.regions[0].vpc_cidr])
    assert {r["portRange"] for r in worker_rules} == {"10250/10250", "-1/-1"}  # no NodePort unless configured
    assert not any(r["portRange"] in ("22/22", "179/179", "6443/6443") for r in rules)
    pod_sources = {r["cidrIp"] for r in rules if r["securityGroupId"] == pods_sg and r["ipProtocol"] != "icmp"}
    # + the cloud node vSwitches (own and the peer's): kube-proxy masquerades node traffic to Services.
    assert pod_sources == {*p.idc.node_cidrs, p.idc.pod_cidr, p.regions[0].zones[0].pod_vswitch_cidr, "10.99.0.0/19",
                           p.regions[0].zones[0].node_vswitch_cidr, "10.99.32.0/22"}
    assert p.idc.extra_ranges[0] not in pod_sources  # storage ranges never reach pods (but their ICMP does)


def test_node_port_range_and_ipv6_only_when_configured(pulumi_mocks, dev_raw):
    dev_raw["regions"][0]["nodePortRange"] = {"from": 30000, "to": 32767}
    dev_raw["regions"][0]["ipv6"] = True
    dev_raw["regions"][0]["flowLogs"] = True
    rec = pulumi_mocks(dev_raw)
    p = load(dev_raw)
    settle(lambda: _build(dev_raw, rec)[1].outputs.vpc_id)

    rules = [a.inputs for a in rec.of_type(SGR)]
    nodeports = [r for r in rules if r["portRange"] == "30000/32767"]
    assert {(r["ipProtocol"], r["cidrIp"]) for r in nodeports} == {
        (proto, c) for proto in ("tcp", "udp") for c in (*p.idc.node_cidrs, p.idc.pod_cidr, p.regions[0].vpc_cidr)}
    v6 = [r for r in rules if "ipv6CidrIp" in r]
    assert v6 and all(r["ipv6CidrIp"] == "2408:4005:3c6:8b00::/56" for r in v6)
    flow = rec.of_type("alicloud:vpc/flowLog:FlowLog")
    assert len(flow) == 1 and flow[0].inputs["resourceType"] == "VPC" and flow[0].inputs["trafficType"] == "All"


def test_icmp_from_every_idc_range_reaches_nodes_and_pods(pulumi_mocks, prod_raw):
    """Fragmentation needed (ICMP 3/4) comes from any router or host of the IDC ranges, toward
    node and pod ENIs alike; a security-group rule cannot narrow ICMP by type (PortRange -1/-1)."""
    rec = pulumi_mocks(prod_raw)
    settle(lambda: [_build(prod_raw, rec)[1].outputs.vpc_id])
    # prod's IDC ranges by hand: nodeCidrs, podCidr, extraRanges of stacks/Pulumi.prod.yaml.
    idc = {"10.0.0.0/18", "10.128.0.0/14", "10.1.0.0/20", "10.2.0.0/24"}
    for group in ("workers", "pods"):
        sg_rules = [a.inputs for a in rec.of_type(SGR) if a.inputs["ipProtocol"] == "icmp"
                    and a.name.startswith("cn-beijing-" + ("icmp" if group == "workers" else "pod-icmp"))]
        assert {r["cidrIp"] for r in sg_rules} == idc, group
        assert {r["portRange"] for r in sg_rules} == {"-1/-1"}

