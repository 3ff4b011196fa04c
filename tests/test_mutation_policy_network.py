"""The network rules (policy/rules/network.py) over resources shaped as prod's plan sends them.

Security-group rules carry the provider's inputs (alicloud_security_group_rule: type, ipProtocol,
portRange FROM/TO with -1/-1 for "all", cidrIp / ipv6CidrIp, policy defaulting to accept), flow logs
their resourceType/resourceId, VPCs and vSwitches their cidrBlock, as in
build/plan/prod/resources.json; ranges are prod's (policy/config/prod.json: IDC 10.0.0.0/18,
Service CIDR 172.21.0.0/20). Expectations come from those documents and the ports' owners (SSH 22,
Kubernetes API 6443, etcd 2379, BGP 179: each project's documented default).
"""

from __future__ import annotations

import json

import pytest

from tests import policy_harness  # noqa: E402
from pulumi_policy import PolicyResource  # noqa: E402
from tests.policy_harness import ROOT, UNKNOWN, res, sentence, stack  # noqa: E402

SG_RULE, VPC, VSWITCH = "alicloud:ecs/securityGroupRule:SecurityGroupRule", "alicloud:vpc/network:Network", "alicloud:vpc/switch:Switch"
FLOW_LOG, INSTANCE, CM = "alicloud:vpc/flowLog:FlowLog", "alicloud:ecs/instance:Instance", "kubernetes:core/v1:ConfigMap"
PROD_POLICY = json.loads((ROOT / "policy" / "config" / "prod.json").read_text())
OVERLAP = PROD_POLICY["vpc-no-cidr-overlap"]  # serviceCidr 172.21.0.0/20, idcRanges from 10.0.0.0/18


def run(policy: str, props: dict, config: dict | None = None) -> list[str]:
    return policy_harness.run(policy, SG_RULE, props, config)


def rule(**changes) -> dict:
    """prod's shape of an ingress rule (cn-beijing workers SG), from the internet instead of the IDC."""
    r = {"type": "ingress", "ipProtocol": "tcp", "portRange": "22/22", "cidrIp": "0.0.0.0/0", "policy": "accept",
         "nicType": "intranet", "priority": 1, "securityGroupId": "sg-0d62e30953e00b469af8"}
    for k, v in changes.items():
        if v is None:
            r.pop(k, None)
        else:
            r[k] = v
    return r


ADMIN, ALL = "sg-no-public-admin-ports", "sg-no-public-all-ports"


# --- sg-no-public-admin-ports ---------------------------------------------------------------------

def test_an_ipv6_anywhere_source_is_read_when_there_is_no_ipv4_source():
    (msg,) = run(ADMIN, rule(cidrIp=None, ipv6CidrIp="::/0"))
    sentence(msg)
    assert "tcp 22/22 from ipv6CidrIp ::/0 exposes 22 (SSH)" in msg


def test_an_unknown_ipv4_source_does_not_hide_an_ipv6_anywhere_source():
    (msg,) = run(ADMIN, rule(cidrIp=UNKNOWN, ipv6CidrIp="::/0"))
    assert msg.startswith("Remove this ingress rule or narrow its source") and "ipv6CidrIp ::/0" in msg


def test_a_rule_without_policy_is_an_accept_rule():
    # alicloud_security_group_rule: policy defaults to accept
    assert run(ADMIN, rule(policy=None))
    assert run(ADMIN, rule(policy="drop")) == []


def test_an_unknown_type_or_policy_is_not_passed():
    for change in ({"type": UNKNOWN}, {"policy": UNKNOWN}):
        (msg,) = run(ADMIN, rule(**change))
        assert "Make the rule's type and policy known" in msg


def test_a_malformed_port_range_is_named_with_the_sources():
    (msg,) = run(ADMIN, rule(portRange="22", ipv6CidrIp="::/0"))
    sentence(msg)
    assert msg.startswith("Fix portRange '22': it is not FROM/TO, so the rule from cidrIp 0.0.0.0/0, ipv6CidrIp ::/0 cannot")


@pytest.mark.parametrize("change,unknown", [
    ({"ipProtocol": UNKNOWN}, True),  # from anywhere: must be known
    ({"portRange": UNKNOWN}, True),
    ({"ipProtocol": UNKNOWN, "cidrIp": "10.0.0.0/18"}, False),  # from the IDC only: nothing to judge
    ({"ipProtocol": UNKNOWN, "cidrIp": UNKNOWN}, True),  # the source unknown as well
])
def test_an_unknown_protocol_or_port_matters_only_for_a_wide_or_unknown_source(change, unknown):
    got = run(ADMIN, rule(**change))
    assert bool(got) is unknown
    if unknown:
        assert "Make ipProtocol and portRange known" in got[0]


def test_unknown_sources_are_named():
    (msg,) = run(ADMIN, rule(cidrIp=UNKNOWN, ipv6CidrIp=UNKNOWN))
    assert "Make cidrIp and ipv6CidrIp known" in msg


def test_udp_and_all_ports_reach_the_admin_ports():
    (msg,) = run(ADMIN, rule(ipProtocol="udp", portRange="-1/-1"))
    # -1/-1 is every port: shown as the range it stands for, every named port listed
    assert "udp 1/65535 from cidrIp 0.0.0.0/0 exposes 22 (SSH), 179 (BGP), 2375 (Docker API)," in msg
    assert msg.endswith("; admit the IDC and VPC ranges only.")


def test_the_stack_s_extra_ports_are_named_as_listed_by_it():
    (msg,) = run(ADMIN, rule(portRange="9100/9100"), {"extraPorts": [9100]})
    assert "exposes 9100 (stack-listed port) to the internet" in msg
    assert run(ADMIN, rule(portRange="9100/9100")) == []


# --- sg-no-public-all-ports -----------------------------------------------------------------------

def test_protocol_all_with_every_port_names_both_reasons_and_both_sources():
    (msg,) = run(ALL, rule(ipProtocol="all", portRange="-1/-1", ipv6CidrIp="::/0"))
    sentence(msg)
    assert "it admits protocol all and port range -1/-1 from cidrIp 0.0.0.0/0, ipv6CidrIp ::/0; list the" in msg


def test_icmp_and_icmpv6_use_minus_one_as_their_normal_form():
    assert run(ALL, rule(ipProtocol="icmp", portRange="-1/-1")) == []
    assert run(ALL, rule(ipProtocol="icmpv6", portRange="-1/-1", cidrIp=None, ipv6CidrIp="::/0")) == []


@pytest.mark.parametrize("proto,ports,hit", [("tcp", "1/65535", True), ("udp", "1/65535", True), ("tcp", "2/65535", False)])
def test_every_port_of_tcp_or_udp_is_reported_and_one_short_is_not(proto, ports, hit):
    got = run(ALL, rule(ipProtocol=proto, portRange=ports))
    assert bool(got) is hit
    if hit:
        assert f"every {proto} port (1/65535)" in got[0]


def test_the_stack_s_prefix_floor_decides_what_counts_as_anywhere():
    wide = rule(portRange="1/65535", cidrIp="10.0.0.0/8")
    assert run(ALL, wide) == []  # /8 is not broader than the default floor (8)
    assert run(ALL, wide, {"minSourcePrefixV4": 16})


# --- vpc-flow-logs --------------------------------------------------------------------------------

FLOW_CFG = {"requireFlowLogs": True}


def vpc(name: str, vpc_id: str | None) -> PolicyResource:
    props = {"cidrBlock": "10.32.0.0/16", "vpcName": f"hybrid-prod-{name}"}
    if vpc_id is not None:
        props["id"] = vpc_id
    return res(VPC, name, props)


def flow_log(name: str, kind, target=None, deps=None) -> PolicyResource:
    props = {"flowLogName": name, "resourceType": kind, "trafficType": "All"}
    if target is not None:
        props["resourceId"] = target
    return res(FLOW_LOG, name, props, deps=deps)


def test_every_vpc_without_a_flow_log_is_reported_after_covered_ones():
    bj, hz = vpc("cn-beijing", "vpc-e2c52f1f233eba060234"), vpc("cn-hangzhou", "vpc-hz")
    got = stack("vpc-flow-logs", [bj, hz, flow_log("bj", "VPC", "vpc-e2c52f1f233eba060234")], FLOW_CFG)
    assert [u for _, u in got] == [hz.urn]
    sentence(got[0][0])
    assert got[0][0].startswith("Add a VPC flow log for cn-hangzhou")


def test_logs_of_other_kinds_or_unknown_kinds_before_the_vpc_s_own_do_not_stop_the_search():
    bj = vpc("cn-beijing", "vpc-1")
    vsw_log = flow_log("vsw", "VSwitch", "vsw-1")
    unknown_kind = flow_log("u", UNKNOWN, "vpc-1")
    assert stack("vpc-flow-logs", [bj, vsw_log, unknown_kind, flow_log("ok", "VPC", deps=[bj])], FLOW_CFG) == []


def test_an_unknown_kind_or_target_is_not_passed():
    bj = vpc("cn-beijing", "vpc-1")
    for log in (flow_log("u", UNKNOWN, "vpc-1"), flow_log("t", "VPC", UNKNOWN)):
        ((msg, urn),) = stack("vpc-flow-logs", [bj, log], FLOW_CFG)
        assert "Make the flow logs' resourceType/resourceId known" in msg and urn == bj.urn


def test_a_log_of_another_vpc_or_without_a_target_covers_nothing():
    assert stack("vpc-flow-logs", [vpc("a", "vpc-1"), flow_log("other", "VPC", "vpc-2")], FLOW_CFG)
    assert stack("vpc-flow-logs", [vpc("a", None), flow_log("blank", "VPC")], FLOW_CFG)


# --- vpc-pod-vswitches-distinct -------------------------------------------------------------------

def eni_cm(name: str, vswitches: dict, region: str = "cn-beijing") -> PolicyResource:
    conf = {"region_id": region, "vswitches": vswitches, "max_pool_size": 5}
    return res(CM, name, {"metadata": {"name": name, "namespace": "kube-system"}, "data": {"eni_conf": json.dumps(conf)}})


def test_a_pod_vswitch_shared_with_a_node_is_reported_with_the_node_after_other_configmaps():
    node = res(INSTANCE, "cn-beijing-a10-train-cn-beijing-g-0", {"vswitchId": "vsw-nodes-g"})
    other = res(CM, "kube-proxy", {"metadata": {"name": "kube-proxy"}, "data": {"config.conf": "x"}})
    cm = eni_cm("eni-config-cn-beijing", {"cn-beijing-g": ["vsw-nodes-g"]})
    ((msg, urn),) = stack("vpc-pod-vswitches-distinct", [node, other, cm])
    sentence(msg)
    assert urn == cm.urn
    assert "pod vSwitch in cn-beijing-g: vsw-nodes-g is also the node vSwitch of cn-beijing-a10-train-cn-beijing-g-0" in msg


def test_unknowns_are_not_passed_and_do_not_stop_the_reading():
    node = res(INSTANCE, "n", {"vswitchId": UNKNOWN})
    unknown_cm = res(CM, "eni-config-u", {"metadata": {"name": "eni-config-u"}, "data": {"eni_conf": UNKNOWN}})
    cm = eni_cm("eni-config-cn-beijing", {"cn-beijing-g": [UNKNOWN]})
    got = stack("vpc-pod-vswitches-distinct", [node, unknown_cm, cm])
    assert [u for _, u in got] == [node.urn, unknown_cm.urn, cm.urn]
    assert "Make the instance's vswitchId known" in got[0][0]
    assert "Make eni-config data.eni_conf known" in got[1][0]
    assert "Make the pod vSwitch id of zone cn-beijing-g known" in got[2][0]


# --- vpc-no-cidr-overlap --------------------------------------------------------------------------

def test_overlaps_name_the_kind_the_resource_and_the_range_it_hits():
    inst = res(INSTANCE, "n", {"instanceType": "ecs.g7.large"})
    bad_vpc = res(VPC, "cn-beijing", {"cidrBlock": "172.16.0.0/12"})
    bad_sw = res(VSWITCH, "cn-beijing-g-nodes", {"cidrBlock": "10.0.4.0/24"})
    got = stack("vpc-no-cidr-overlap", [inst, bad_vpc, bad_sw], OVERLAP)
    assert [u for _, u in got] == [bad_vpc.urn, bad_sw.urn]
    sentence(got[0][0])
    assert got[0][0].startswith("Move VPC cn-beijing off 172.21.0.0/20: its 172.16.0.0/12 overlaps the Service CIDR 172.21.0.0/20")
    assert got[1][0].startswith("Move vSwitch cn-beijing-g-nodes off 10.0.0.0/18: its 10.0.4.0/24 overlaps IDC range 10.0.0.0/18")


def test_without_a_service_cidr_only_the_idc_ranges_are_reserved():
    cfg = {"idcRanges": OVERLAP["idcRanges"]}
    assert stack("vpc-no-cidr-overlap", [res(VPC, "v", {"cidrBlock": "172.16.0.0/12"})], cfg) == []


def test_unknown_or_empty_blocks_do_not_stop_the_reading():
    unknown = res(VSWITCH, "u", {"cidrBlock": UNKNOWN})
    empty = res(VSWITCH, "e", {"cidrBlock": ""})
    bad = res(VSWITCH, "b", {"cidrBlock": "10.0.4.0/24"})
    got = stack("vpc-no-cidr-overlap", [unknown, empty, bad], OVERLAP)
    assert [u for _, u in got] == [unknown.urn, bad.urn]
    assert "Make cidrBlock known" in got[0][0]


# --- k8s-terway-eni-config-zones ------------------------------------------------------------------

ZONES = "k8s-terway-eni-config-zones"
ADDON = "alicloud:cs/kubernetesAddon:KubernetesAddon"
ADDON_CFG = PROD_POLICY["k8s-terway-eni-config-zones"]  # terwayAddonName terway-eniip, key PodVswitchId


def node(name: str, zone, vswitch: str = "vsw-nodes-g") -> PolicyResource:
    props = {"instanceType": "ecs.gn7i-c32g1.8xlarge", "vswitchId": vswitch}
    if zone is not None:
        props["availabilityZone"] = zone
    return res(INSTANCE, name, props)


def terway_addon(config) -> PolicyResource:
    return res(ADDON, "terway-addon", {"name": "terway-eniip", "clusterId": "c",
                                       "config": config if isinstance(config, str) else json.dumps(config)})


def test_an_empty_zone_is_resolved_through_the_node_s_vswitch():
    sw = res(VSWITCH, "g-nodes", {"id": "vsw-nodes-g", "zoneId": "cn-beijing-g"})
    assert stack(ZONES, [sw, node("n", ""), eni_cm("eni-config", {"cn-beijing-g": ["vsw-pod-g"]})]) == []


def test_an_unresolvable_zone_is_not_passed_and_later_nodes_are_still_read():
    got = stack(ZONES, [node("u", None, vswitch="vsw-undeclared"), node("h0", "cn-beijing-h"),
                        eni_cm("eni-config", {"cn-beijing-g": ["vsw-pod-g"]})])
    assert "Make the instance's zone (availabilityZone or a known vswitchId) known" in got[0][0]
    assert got[1][0].startswith("Add zone cn-beijing-h to eni_conf.vswitches of eni-config: nodes h0 run there")


def test_without_any_terway_config_every_zone_is_named():
    ((msg, urn),) = stack(ZONES, [node("g0", "cn-beijing-g"), node("h0", "cn-beijing-h")])
    sentence(msg)
    assert "cloud nodes run in cn-beijing-g, cn-beijing-h but neither is declared" in msg and urn is None


def test_an_uncovered_zone_names_all_its_nodes_and_the_sentence_ends():
    got = stack(ZONES, [node("h1", "cn-beijing-h"), node("h0", "cn-beijing-h"), eni_cm("eni-config", {"cn-beijing-g": ["p"]})])
    ((msg, _),) = got
    sentence(msg)
    assert "nodes h0, h1 run there" in msg


def test_a_zone_listed_without_vswitches_or_under_another_region_is_not_covered():
    bj = eni_cm("eni-config-cn-beijing", {"cn-beijing-g": [], "cn-hangzhou-h": ["vsw-pod-h"]})
    got = stack(ZONES, [node("g0", "cn-beijing-g"), node("hz0", "cn-hangzhou-h"), bj])
    assert sorted(m.split(" to ")[0] for m, _ in got) == ["Add zone cn-beijing-g", "Add zone cn-hangzhou-h"]


def test_a_node_in_a_region_without_an_eni_config_gets_the_generic_place_and_no_urn():
    ((msg, urn),) = stack(ZONES, [node("g0", "cn-beijing-g"), eni_cm("eni-config-cn-hangzhou", {"cn-hangzhou-h": ["p"]}, "cn-hangzhou")])
    assert "Add zone cn-beijing-g to an eni-config ConfigMap for its region:" in msg and urn is None


def test_the_region_s_configmap_is_named_before_the_addon_and_the_addon_s_key_otherwise():
    cm = eni_cm("eni-config-cn-beijing", {"cn-beijing-g": ["p"]})
    addon = terway_addon({"PodVswitchId": []})
    ((msg, urn),) = stack(ZONES, [node("h0", "cn-beijing-h"), cm, addon], ADDON_CFG)
    assert "to eni_conf.vswitches of eni-config-cn-beijing" in msg and urn == cm.urn
    ((msg, urn),) = stack(ZONES, [node("h0", "cn-beijing-h"), addon], ADDON_CFG)
    assert "to the terway-eniip addon's PodVswitchId list" in msg and urn == addon.urn
    ((msg, _),) = stack(ZONES, [node("h0", "cn-beijing-h"), addon], {"terwayAddonName": "terway-eniip"})
    assert "to the terway-eniip addon's pod vSwitch list" in msg


def test_the_addon_s_unknown_or_broken_config_and_unknown_ids_are_reported():
    n = node("g0", "cn-beijing-g")
    got = stack(ZONES, [n, terway_addon(UNKNOWN)], ADDON_CFG)
    assert "Make terway-eniip config known" in got[0][0]
    got = stack(ZONES, [n, terway_addon("{PodVswitchId")], ADDON_CFG)
    assert got[0][0] == "Fix the terway-eniip addon's config: it is not valid JSON."
    got = stack(ZONES, [n, terway_addon({"PodVswitchId": [UNKNOWN, "vsw-not-in-stack"]})], ADDON_CFG)
    unknown = [m for m, _ in got if m.startswith("Make ")]  # the undeclared vSwitch is known, only not in this stack
    assert len(unknown) == 1 and unknown[0].startswith("Make a pod vSwitch id in the addon config known")


def test_an_unknown_or_broken_eni_conf_is_reported_and_the_next_configmap_still_read():
    n = node("g0", "cn-beijing-g")
    unknown = res(CM, "eni-config-u", {"metadata": {"name": "eni-config-u"}, "data": {"eni_conf": UNKNOWN}})
    broken = res(CM, "eni-config-b", {"metadata": {"name": "eni-config-b"}, "data": {"eni_conf": "{\"vswitches\": "}})
    good = eni_cm("eni-config", {"cn-beijing-g": ["p"]})
    got = stack(ZONES, [n, unknown, broken, good])
    assert [u for _, u in got] == [unknown.urn, broken.urn]
    assert "Make eni-config data.eni_conf known" in got[0][0]
    assert got[1][0] == "Fix eni-config data.eni_conf: it is not valid JSON."


# --- stack-gpu-cloud-node-label -------------------------------------------------------------------

LABEL = "stack-gpu-cloud-node-label"


def test_the_stack_s_label_is_the_one_looked_for():
    ud = "#cloud-config\nnode-labels: node-role.example.com/cloud=yes\n"
    n = res(INSTANCE, "g0", {"instanceType": "ecs.gn7i-c32g1.8xlarge", "userData": ud})
    assert stack(LABEL, [n], {"labelKey": "node-role.example.com/cloud", "labelValue": "yes"}) == []
    ((msg, urn),) = stack(LABEL, [n], PROD_POLICY[LABEL])
    sentence(msg)
    assert msg.startswith("Label GPU node g0 alibabacloud.com/external=true in its kubelet config (userData)")


def test_unknown_type_or_user_data_is_not_passed_and_later_nodes_are_still_read():
    u_type = res(INSTANCE, "u", {"instanceType": UNKNOWN})
    cpu = res(INSTANCE, "bastion", {"instanceType": "ecs.g7.large"})
    u_ud = res(INSTANCE, "v", {"instanceType": "ecs.gn7i-c32g1.8xlarge", "userData": UNKNOWN})
    bare = res(INSTANCE, "w", {"instanceType": "ecs.gn7i-c32g1.8xlarge", "userData": "#cloud-config\n"})
    got = stack(LABEL, [u_type, cpu, u_ud, bare])
    assert [u for _, u in got] == [u_type.urn, u_ud.urn, bare.urn]
    assert "Make instanceType known" in got[0][0]
    assert "Make userData (the kubelet config) known" in got[1][0]


def test_a_malformed_ipv4_source_does_not_hide_an_ipv6_anywhere_source():
    (msg,) = run(ADMIN, rule(cidrIp="anywhere", ipv6CidrIp="::/0"))
    assert "from ipv6CidrIp ::/0 exposes 22 (SSH)" in msg


def test_both_anywhere_sources_are_named():
    (msg,) = run(ADMIN, rule(ipv6CidrIp="::/0"))
    assert "tcp 22/22 from cidrIp 0.0.0.0/0, ipv6CidrIp ::/0 exposes 22 (SSH)" in msg


def test_an_addon_without_config_lists_no_vswitch_and_is_not_broken():
    # the CS addon's config is optional (alicloud_cs_kubernetes_addon config): empty or absent is valid
    for props in ({"name": "terway-eniip", "clusterId": "c", "config": ""}, {"name": "terway-eniip", "clusterId": "c"}):
        ((msg, _),) = stack(ZONES, [node("g0", "cn-beijing-g"), res(ADDON, "terway-addon", props)], ADDON_CFG)
        assert msg.startswith("Add zone cn-beijing-g to the terway-eniip addon's PodVswitchId list")


def test_a_known_vswitch_id_outside_the_stack_is_no_unknown():
    got = stack(ZONES, [node("g0", "cn-beijing-g"), terway_addon({"PodVswitchId": ["vsw-not-in-stack"]})], ADDON_CFG)
    assert [m for m, _ in got if m.startswith("Make ")] == []


@pytest.mark.parametrize("cidr", ["10.0.0.0/33", "10.32.0.0-16"])
def test_a_malformed_block_is_reported_by_field_not_raised(cidr):
    # the pack must answer with a finding, never a traceback that fails the whole preview
    bad = res(VSWITCH, "cn-beijing-g-nodes", {"cidrBlock": cidr})
    good = res(VPC, "cn-beijing", {"cidrBlock": "10.32.0.0/16"})
    overlapping = res(VPC, "cn-hangzhou", {"cidrBlock": "172.16.0.0/12"})  # still read after the malformed one
    got = stack("vpc-no-cidr-overlap", [bad, good, overlapping], OVERLAP)
    (msg, urn), (_, later) = got
    assert later == overlapping.urn
    sentence(msg)
    assert urn == bad.urn and f"Fix the cidrBlock of vSwitch cn-beijing-g-nodes: {cidr!r} is not" in msg
