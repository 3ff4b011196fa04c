"""The offline plan's mocks answer as the providers do (hybrid_tools/provider_ids.py).

Expectations are the providers' forms (terraform-provider-alicloud@v1.285.0 d.SetId lines,
pulumi-kubernetes fqName), worked by hand for one resource each."""

import re
from pathlib import Path

import pulumi
import pytest

from hybrid_tools import provider_ids
from hybrid_tools.mockrun import PlanMocks
from hybrid_tools.plan import UnknownResourceType, build_plan, plan_mocks

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
STACKS = [("dev", None), ("prod", None), ("prod-addon", FIXTURES / "Pulumi.prod-addon.yaml"), ("bad", FIXTURES / "Pulumi.bad.yaml")]


def _args(typ, name, inputs, resource_id=""):
    return pulumi.runtime.MockResourceArgs(typ=typ, name=name, inputs=inputs, provider="", resource_id=resource_id, custom=True)


@pytest.mark.parametrize("stack,config", STACKS, ids=[s for s, _ in STACKS])
def test_every_declared_type_has_an_entry(stack, config):
    _, _, run, _ = build_plan(stack, root=ROOT, config_file=config)  # raises on a type without an entry
    types = {r.type for r in run.registrations.values() if r.custom}
    assert types and all(provider_ids.known(t) for t in types)


def test_a_type_missing_from_the_table_fails_the_plan(monkeypatch):
    monkeypatch.delitem(provider_ids.ALICLOUD, "alicloud:ecs/ecsDisk:EcsDisk")
    with pytest.raises(UnknownResourceType, match="alicloud:ecs/ecsDisk:EcsDisk"):
        build_plan("dev", root=ROOT)


def test_transit_router_attachment_id_is_cen_colon_attachment():
    # resource_alicloud_cen_transit_router_vpc_attachment.go:283: "<CenId>:<TransitRouterAttachmentId>"
    rid, state = PlanMocks().new_resource(_args(
        "alicloud:cen/transitRouterVpcAttachment:TransitRouterVpcAttachment", "a", {"cenId": "cen-abc", "transitRouterId": "tr-x"}))
    bare = state["transitRouterAttachmentId"]
    assert re.fullmatch(r"tr-attach-[0-9a-f]{20}", bare)
    assert rid == f"cen-abc:{bare}"


def test_node_pool_id_is_cluster_colon_node_pool():
    rid, state = PlanMocks().new_resource(_args("alicloud:cs/nodePool:NodePool", "p", {"clusterId": "c" + "1" * 32}))
    assert re.fullmatch(r"np[0-9a-f]{32}", state["nodePoolId"])
    assert rid == "c" + "1" * 32 + ":" + state["nodePoolId"]


def test_route_entry_id_has_five_parts_with_the_vpcs_vrouter():
    mocks = PlanMocks()
    _, vpc = mocks.new_resource(_args("alicloud:vpc/network:Network", "v", {"cidrBlock": "10.0.0.0/16"}))
    rid, _ = mocks.new_resource(_args("alicloud:vpc/routeEntry:RouteEntry", "r", {
        "routeTableId": vpc["routeTableId"], "destinationCidrblock": "10.8.0.0/16", "nexthopType": "Attachment",
        "nexthopId": "tr-attach-abc"}))
    assert rid == f"{vpc['routeTableId']}:{vpc['routerId']}:10.8.0.0/16:Attachment:tr-attach-abc"
    assert vpc["routerId"].startswith("vrt-") and vpc["routeTableId"].startswith("vtb-")


def test_security_group_rule_id_replaces_the_ipv6_colons():
    # resource_alicloud_security_group_rule.go:159 (':' -> '_') and :270 (eight parts)
    rid, _ = PlanMocks().new_resource(_args("alicloud:ecs/securityGroupRule:SecurityGroupRule", "r", {
        "securityGroupId": "sg-1", "type": "ingress", "ipProtocol": "tcp", "portRange": "22/22", "nicType": "intranet",
        "ipv6CidrIp": "2408:4005::/56", "policy": "accept", "priority": 1.0}))
    assert rid == "sg-1:ingress:tcp:22/22:intranet:2408_4005__/56:accept:1"


def test_private_ips_are_distinct_and_outside_the_reserved_addresses():
    # A /29: eight addresses, the first and the last three reserved: .1 .2 .3 .4 are left.
    mocks = PlanMocks()
    vsw, _ = mocks.new_resource(_args("alicloud:vpc/switch:Switch", "s", {"cidrBlock": "192.168.0.0/29"}))
    ips = [mocks.new_resource(_args("alicloud:ecs/instance:Instance", f"i{n}", {"vswitchId": vsw}))[1]["privateIp"]
           for n in range(4)]
    assert sorted(ips) == ["192.168.0.1", "192.168.0.2", "192.168.0.3", "192.168.0.4"]


def test_an_imported_resource_keeps_its_id():
    rid, _ = PlanMocks().new_resource(_args("alicloud:vpc/network:Network", "v", {}, resource_id="vpc-bp1existing"))
    assert rid == "vpc-bp1existing"


def test_kubernetes_ids_are_namespace_slash_name_or_name():
    mocks = PlanMocks()
    assert mocks.new_resource(_args("kubernetes:core/v1:ConfigMap", "c", {"metadata": {"name": "x", "namespace": "kube-system"}}))[0] == "kube-system/x"
    assert mocks.new_resource(_args("kubernetes:core/v1:ConfigMap", "d", {"metadata": {"name": "y"}}))[0] == "default/y"
    assert mocks.new_resource(_args("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "r", {"metadata": {"name": "z"}}))[0] == "z"


def test_the_registered_cluster_id_is_its_cluster_id():
    from hybrid.ack_api import DYNAMIC_TYPE

    rid, state = plan_mocks().new_resource(_args(DYNAMIC_TYPE, "reg", {"region_id": "cn-beijing"}))
    assert re.fullmatch(r"c[0-9a-f]{32}", rid) and rid == state["cluster_id"]


def test_prod_outputs_carry_each_nodes_private_ip_in_its_zones_node_vswitch():
    import ipaddress

    from tests.conftest import stack_raw

    # The node vSwitch CIDRs as stacks/Pulumi.prod.yaml writes them (zones given with CIDRs).
    cidrs = {z["id"]: z["nodeVswitchCidr"] for r in stack_raw("prod")["regions"] for z in r["zones"]
             if isinstance(z, dict) and "nodeVswitchCidr" in z}
    _, _, run, _ = build_plan("prod", root=ROOT)
    nodes = [n for pool in run.outputs["gpuPools"][0].values() for n in pool["nodes"]]
    checked = [n for n in nodes if n["zone"] in cidrs]
    assert len(checked) >= 10
    for n in nodes:
        assert re.fullmatch(r"i-[0-9a-f]{20}", n["instanceId"]) and n["privateIp"]
    for n in checked:
        net = ipaddress.ip_network(cidrs[n["zone"]])
        ip = ipaddress.ip_address(n["privateIp"])
        assert ip in net and ip != net.network_address and int(ip) < int(net.broadcast_address) - 2, n
    assert len({n["privateIp"] for n in nodes}) == len(nodes)
