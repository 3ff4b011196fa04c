"""hybrid/model/platform.py: the cross-checks between sections, the warnings, auto-planning and the key hints.

Sources: ACK's CIDR planning ("The Service CIDR block cannot overlap with the VPC CIDR block",
alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/user-guide/plan-cidr-blocks-for-an-ack-cluster);
CreateCluster's documented service_cidr range 10.0.0.0/16-24, 172.16-31.0.0/16-24, 192.168.0.0/16-24
(hybrid/unconfirmed.py registration.serviceCidrRange); vSwitches take /16 to /29 (VPC CreateVSwitch);
a registered cluster's node pools live in its region and VPC (ACK One "Create and manage node pools");
the terway-eniip component runs on alibabacloud.com/external=true nodes (alibabacloud.com/help/en/doc-detail/208052.html);
NodeRestriction keeps a kubelet from setting kubernetes.io / k8s.io labels except under node.kubernetes.io/.
Every expected value is worked out by hand from the stack files: dev's IDC nodeCidrs [10.8.0.0/20],
podCidr 10.244.0.0/16, extraRanges [10.9.0.0/24], serviceCidr 172.21.0.0/20, one region cn-beijing
(VPC 10.40.0.0/16, zone cn-beijing-g planned, pool a10-dev); prod's regions cn-beijing / cn-hangzhou /
cn-zhangjiakou and the elastic pool a10-elastic in cn-beijing (stacks/Pulumi.*.yaml).
"""

from __future__ import annotations

import copy

import pytest

from hybrid.model import load
from hybrid.model.platform import warnings
from tests.conftest import refusals

RANGE_FIX = "give every on-prem range its own block."


def _issue(raw, path):
    return [(m, f) for p, m, f in refusals(raw) if p == path]


def _warnings(raw):
    return [(i.path, i.message, i.fix) for i in warnings(load(raw))]


# --- the IDC's ranges --------------------------------------------------------------------

def test_overlapping_idc_ranges_name_the_later_one(dev_raw):
    dev_raw["idc"]["extraRanges"] = ["10.9.0.0/24", "10.8.15.0/24"]  # inside nodeCidrs[0] 10.8.0.0/20 (10.8.0-15.x)
    assert refusals(dev_raw) == [("idc.extraRanges[1]", "10.8.15.0/24 overlaps idc.nodeCidrs[0] 10.8.0.0/20.", RANGE_FIX)]


def test_every_pair_of_idc_ranges_is_compared(dev_raw):
    dev_raw["idc"]["extraRanges"] = ["10.9.0.0/24", "10.9.1.0/24", "10.9.1.128/25"]  # [2] in [1], not in [0]
    assert refusals(dev_raw) == [("idc.extraRanges[2]", "10.9.1.128/25 overlaps idc.extraRanges[1] 10.9.1.0/24.", RANGE_FIX)]


def test_adjacent_idc_ranges_are_accepted(dev_raw):
    dev_raw["idc"]["extraRanges"] = ["10.9.0.0/24", "10.8.16.0/24"]  # right after 10.8.0.0/20
    assert load(dev_raw).idc.extra_ranges == ["10.9.0.0/24", "10.8.16.0/24"]


def test_service_cidr_on_an_idc_range_is_refused(dev_raw):
    dev_raw["idc"]["serviceCidr"] = "10.9.0.0/20"  # 10.9.0.0-10.9.15.255 covers extraRanges[0]
    assert refusals(dev_raw) == [("idc.serviceCidr", "10.9.0.0/20 overlaps idc.extraRanges[0] 10.9.0.0/24.",
                                  "pick a Service CIDR no on-prem range uses.")]


# --- regions -------------------------------------------------------------------------------------

def test_a_region_listed_twice_is_refused(dev_raw):
    second = copy.deepcopy(dev_raw["regions"][0])
    second.update(vpcCidr="10.41.0.0/16", gpuPools=[])
    dev_raw["regions"].append(second)
    assert refusals(dev_raw) == [("regions[1].id", "region cn-beijing is listed twice (also regions[0]).", "merge the two entries.")]


def test_three_entries_of_a_region_name_the_first(dev_raw):
    for cidr in ("10.41.0.0/16", "10.42.0.0/16"):
        second = copy.deepcopy(dev_raw["regions"][0])
        second.update(vpcCidr=cidr, gpuPools=[])
        dev_raw["regions"].append(second)
    assert [(p, m) for p, m, _ in refusals(dev_raw)] == [
        ("regions[1].id", "region cn-beijing is listed twice (also regions[0])."),
        ("regions[2].id", "region cn-beijing is listed twice (also regions[0]).")]


def test_vpc_on_the_service_cidr_is_refused(dev_raw):
    dev_raw["regions"][0].update(vpcCidr="172.21.0.0/16", zones=["cn-beijing-g"])
    assert ("172.21.0.0/16 overlaps the cluster Service CIDR 172.21.0.0/20; cloud pods could not reach VPC addresses "
            "inside the Service CIDR.", "move the VPC to a block that does not contain the Service CIDR.") in _issue(
        dev_raw, "regions[0].vpcCidr")


def test_vpc_on_an_idc_range_is_refused(dev_raw):
    dev_raw["regions"][0]["vpcCidr"] = "10.9.0.0/16"  # holds extraRanges[0] 10.9.0.0/24
    assert ("10.9.0.0/16 overlaps on-prem range idc.extraRanges[0] 10.9.0.0/24, which the leased line routes.",
            "pick a VPC block disjoint from every IDC range.") in _issue(dev_raw, "regions[0].vpcCidr")


def test_vpcs_of_two_regions_overlapping_are_refused(prod_raw):
    prod_raw["regions"][2]["vpcCidr"] = "10.33.0.0/16"  # cn-hangzhou's
    assert ("10.33.0.0/16 overlaps regions[1] (cn-hangzhou) VPC 10.33.0.0/16; regions share leased-line routing.",
            "give each region a disjoint VPC block.") in _issue(prod_raw, "regions[2].vpcCidr")


def test_a_transit_router_region_needs_a_node_vswitch(dev_raw):
    dev_raw["regions"][0]["gpuPools"] = []
    dev_raw["regions"][0]["zones"] = [{"id": "cn-beijing-g", "podVswitchCidr": "10.40.64.0/18"}]
    assert ("region cn-beijing has no zone with a node vSwitch, and the transit router's VPC connection needs one vSwitch "
            "per zone.", "give at least one zone a nodeVswitchCidr (or list it by id to have one planned).") in _issue(
        dev_raw, "regions[0].leasedLine.transitRouter")


def test_one_zone_with_a_node_vswitch_is_enough_for_the_transit_router(dev_raw):
    dev_raw["regions"][0]["zones"] = ["cn-beijing-g", {"id": "cn-beijing-h", "podVswitchCidr": "10.40.128.0/18"}]
    zones = load(dev_raw).regions[0].zones
    assert [(z.id, z.pod_vswitch_cidr is not None) for z in zones] == [("cn-beijing-g", True), ("cn-beijing-h", True)]


def test_a_region_without_leased_line_path_is_refused(dev_raw):
    del dev_raw["regions"][0]["leasedLine"]
    assert ("region cn-beijing has no path to the IDC: nothing attaches its VPC to the leased line, so its nodes cannot "
            "reach the IDC apiserver or pods.",
            "add leasedLine.transitRouter {cenId, transitRouterId, routeTableId} or leasedLine.existingVpc {vpcId, "
            "routeTableId, nextHop}; see docs/network.md.") in _issue(dev_raw, "regions[0].leasedLine")


# --- regional ids ----------------------------------------------------------------------------

def test_one_transit_router_in_two_regions_is_refused_on_the_second(prod_raw):
    prod_raw["regions"][1]["leasedLine"] = {"transitRouter": {**prod_raw["regions"][2]["leasedLine"]["transitRouter"]}}
    prod_raw["regions"][1]["leasedLine"]["transitRouter"]["routeTableId"] = "vtb-hz0"
    assert ("transit router tr-8vbf3m2k1n0p9q8r7s6t5 is also given at regions[1].leasedLine.transitRouter.transitRouterId.",
            "a transit router is regional: give each region the transit router of its own region.") in _issue(
        prod_raw, "regions[2].leasedLine.transitRouter.transitRouterId")


def _existing(i, vpc, vswitches):
    return {"existingVpc": {"vpcId": vpc, "routeTableId": f"vtb-existing{i}",
                            "nextHop": {"type": "Attachment", "id": f"tr-attach-existing{i}"}, "vswitches": vswitches}}


def test_one_vpc_or_vswitch_in_two_regions_is_refused(prod_raw):
    hz = prod_raw["regions"][1]["leasedLine"]["existingVpc"]
    vsw = hz["vswitches"][0]["id"]  # vsw-bp1a2b3c4d5e6f7g8h9i0, nodes, cn-hangzhou-h
    prod_raw["regions"][2]["leasedLine"] = _existing(2, hz["vpcId"], [{"zone": "cn-zhangjiakou-a", "role": "nodes", "id": vsw}])
    prod_raw["regions"][2]["zones"] = [{"id": "cn-zhangjiakou-a", "nodeVswitchCidr": "10.34.0.0/22",
                                        "podVswitchCidr": "10.34.32.0/19"}, "cn-zhangjiakou-b"]
    got = [(p, m) for p, m, _ in refusals(prod_raw)]
    assert ("regions[2].leasedLine.existingVpc.vpcId",
            "VPC vpc-bp1k7mq9w2x3r4t5y6u7i is also given at regions[1].leasedLine.existingVpc.vpcId.") in got
    assert ("regions[2].leasedLine.existingVpc.vswitches[0].id",
            f"vSwitch {vsw} is also given at regions[1].leasedLine.existingVpc.vswitches[0].id.") in got


def test_a_vswitch_imported_twice_in_one_region_is_refused(prod_raw):
    vsw = prod_raw["regions"][1]["leasedLine"]["existingVpc"]["vswitches"]
    vsw[1]["id"] = vsw[0]["id"]
    assert _issue(prod_raw, "regions[1].leasedLine.existingVpc.vswitches[1].id") == [(
        f"vSwitch {vsw[0]['id']} is also given at regions[1].leasedLine.existingVpc.vswitches[0].id.",
        "a vSwitch has one zone and one CIDR: import each existing vSwitch once.")]


# --- zones ----------------------------------------------------------------------------------------

def test_a_zone_listed_twice_is_refused(dev_raw):
    dev_raw["regions"][0]["zones"] = ["cn-beijing-g", "cn-beijing-g"]
    assert _issue(dev_raw, "regions[0].zones[1].id") == [("zone cn-beijing-g is listed twice in region cn-beijing.",
                                                         "list each zone once.")]


def test_a_zone_of_another_region_is_refused_with_a_near_guess(dev_raw):
    dev_raw["regions"][0]["zones"] = ["cn-beijing-g", "cn-beijing-gg"]
    assert _issue(dev_raw, "regions[0].zones[1].id") == [("zone cn-beijing-gg is not in region cn-beijing. Did you mean cn-beijing-g?",
                                                         "use a zone of cn-beijing, e.g. cn-beijing-a.")]
    dev_raw["regions"][0]["zones"] = ["cn-beijing-g", "cn-hangzhou-h"]  # not close to any cn-beijing zone
    assert _issue(dev_raw, "regions[0].zones[1].id") == [("zone cn-hangzhou-h is not in region cn-beijing.",
                                                         "use a zone of cn-beijing, e.g. cn-beijing-a.")]


def test_a_zone_missing_from_the_region_list_is_refused(dev_raw):
    # hybrid/regions.py lists cn-beijing's zones c..l
    dev_raw["regions"][0]["zones"] = ["cn-beijing-g", "cn-beijing-z"]
    assert _issue(dev_raw, "regions[0].zones[1].id") == [(
        "zone cn-beijing-z is not a zone of cn-beijing (cn-beijing-c, cn-beijing-d, cn-beijing-e, cn-beijing-f, cn-beijing-g, "
        "cn-beijing-h, cn-beijing-i, cn-beijing-j, cn-beijing-k, cn-beijing-l).",
        "use one of those, or add the zone to hybrid/regions.py with its source if DescribeZones lists it.")]


def _zone(node, pod):
    return [{"id": "cn-beijing-g", "nodeVswitchCidr": node, "podVswitchCidr": pod}]


def test_vswitch_masks_from_16_to_29(dev_raw):
    dev_raw["regions"][0]["zones"] = _zone("10.40.0.0/29", "10.40.128.0/17")
    z = load(dev_raw).regions[0].zones[0]
    assert (z.node_vswitch_cidr, z.pod_vswitch_cidr) == ("10.40.0.0/29", "10.40.128.0/17")
    dev_raw["regions"][0]["zones"] = _zone("10.40.0.0/30", "10.40.0.0/16")
    got = refusals(dev_raw)
    assert ("regions[0].zones[0].nodeVswitchCidr", "10.40.0.0/30 has a /30 mask; vSwitches take /16../29.",
            "use a mask between /16 and /29.") in got
    assert ("regions[0].zones[0].podVswitchCidr", "10.40.0.0/16 overlaps regions[0].zones[0].nodeVswitchCidr 10.40.0.0/30.",
            "give every vSwitch its own block.") in got
    dev_raw["regions"][0].update(vpcCidr="10.40.0.0/15", zones=_zone("10.40.0.0/15", "10.41.0.0/16"))
    assert _issue(dev_raw, "regions[0].zones[0].nodeVswitchCidr") == [(
        "10.40.0.0/15 has a /15 mask; vSwitches take /16../29.", "use a mask between /16 and /29.")]


def test_a_vswitch_outside_the_vpc_is_refused(dev_raw):
    dev_raw["regions"][0]["zones"] = _zone("10.40.0.0/22", "10.41.0.0/19")
    assert _issue(dev_raw, "regions[0].zones[0].podVswitchCidr") == [("10.41.0.0/19 is not inside the VPC 10.40.0.0/16.",
                                                                      "pick a block inside 10.40.0.0/16.")]


def test_a_vswitch_on_an_idc_range_is_refused(dev_raw):
    dev_raw["regions"][0].update(vpcCidr="10.8.0.0/16", zones=_zone("10.8.0.0/22", "10.8.32.0/19"))
    assert _issue(dev_raw, "regions[0].zones[0].nodeVswitchCidr") == [(
        "10.8.0.0/22 overlaps on-prem range idc.nodeCidrs[0] 10.8.0.0/20.", "pick a block disjoint from every IDC range.")]


def test_vswitches_of_two_zones_overlapping_are_refused(dev_raw):
    dev_raw["regions"][0]["zones"] = _zone("10.40.0.0/22", "10.40.32.0/19") + [
        {"id": "cn-beijing-h", "nodeVswitchCidr": "10.40.4.0/22", "podVswitchCidr": "10.40.33.0/24"}]
    assert _issue(dev_raw, "regions[0].zones[1].podVswitchCidr") == [(
        "10.40.33.0/24 overlaps regions[0].zones[0].podVswitchCidr 10.40.32.0/19.", "give every vSwitch its own block.")]


# --- pools ---------------------------------------------------------------------------------------

def test_gpu_pools_in_a_serverless_region_are_refused(dev_raw):
    dev_raw["regions"][0]["serverlessOnly"] = True
    assert _issue(dev_raw, "regions[0].gpuPools") == [("region cn-beijing is serverlessOnly but declares GPU pools.",
                                                       "drop serverlessOnly or move the pools to another region.")]
    assert _issue(dev_raw, "registration.regionId") == [("cn-beijing is serverlessOnly.",
                                                         "register in a region that hosts cloud nodes.")]


def test_a_pool_name_twice_in_a_region_is_refused(dev_raw):
    dev_raw["regions"][0]["gpuPools"].append(copy.deepcopy(dev_raw["regions"][0]["gpuPools"][0]))
    assert _issue(dev_raw, "regions[0].gpuPools[1].name") == [("pool a10-dev is declared twice in cn-beijing.",
                                                               "give each pool a unique name.")]


def test_a_pool_zone_without_node_vswitch_is_refused(dev_raw):
    dev_raw["regions"][0]["gpuPools"][0]["zones"] = ["cn-beijing-g", "cn-beijing-h"]
    assert _issue(dev_raw, "regions[0].gpuPools[0].zones[1]") == [(
        "zone cn-beijing-h has no node vSwitch in region cn-beijing.",
        "use one of ['cn-beijing-g'] or add cn-beijing-h to regions[0].zones.")]


def _elastic(raw):
    return raw["regions"][0]["elasticPools"][0]


def test_elastic_pools_outside_the_registration_region_are_refused(prod_raw):
    prod_raw["regions"][2]["elasticPools"] = prod_raw["regions"][0].pop("elasticPools")
    prod_raw["regions"][2]["elasticPools"][0]["zones"] = ["cn-zhangjiakou-a"]
    assert _issue(prod_raw, "regions[2].elasticPools") == [(
        "region cn-zhangjiakou is not the registration region cn-beijing; node pools of a registered cluster live in the "
        "cluster's region and VPC.", "move the elastic pools to the region cn-beijing entry, or use gpuPools here.")]


def test_elastic_pools_in_a_serverless_region_are_refused(prod_raw):
    prod_raw["regions"][0]["serverlessOnly"] = True
    assert _issue(prod_raw, "regions[0].elasticPools") == [("region cn-beijing is serverlessOnly but declares elastic pools.",
                                                            "drop serverlessOnly or the pools.")]


def test_an_elastic_pool_named_like_a_fixed_or_elastic_pool_is_refused(prod_raw):
    msg = "pool a10-train is declared twice in cn-beijing (gpuPools and elasticPools share the pool label)."
    _elastic(prod_raw)["name"] = "a10-train"
    assert _issue(prod_raw, "regions[0].elasticPools[0].name") == [(msg, "give each pool a unique name.")]
    _elastic(prod_raw)["name"] = "a10-elastic"
    second = copy.deepcopy(_elastic(prod_raw))
    prod_raw["regions"][0]["elasticPools"].append(second)
    assert _issue(prod_raw, "regions[0].elasticPools[1].name") == [(msg.replace("a10-train", "a10-elastic"),
                                                                     "give each pool a unique name.")]


def test_an_elastic_pool_zone_without_node_vswitch_is_refused(prod_raw):
    _elastic(prod_raw)["zones"] = ["cn-beijing-h", "cn-beijing-j"]
    assert _issue(prod_raw, "regions[0].elasticPools[0].zones[1]") == [(
        "zone cn-beijing-j has no node vSwitch in region cn-beijing.",
        "use one of ['cn-beijing-g', 'cn-beijing-h', 'cn-beijing-i'] or add cn-beijing-j to regions[0].zones.")]


def test_the_pool_label_is_the_platforms(prod_raw):
    _elastic(prod_raw)["labels"]["hybrid.example.com/gpu-pool"] = "a10-elastic"  # the value the platform sets
    assert load(prod_raw).regions[0].elastic_pools[0].name == "a10-elastic"
    _elastic(prod_raw)["labels"]["hybrid.example.com/gpu-pool"] = "other"
    assert _issue(prod_raw, "regions[0].elasticPools[0].labels") == [(
        "label hybrid.example.com/gpu-pool is set by the platform to the pool name.", "drop it from labels.")]


# --- registration and the agent ---------------------------------------------------------------------

def test_registration_region_must_be_declared(dev_raw):
    dev_raw["registration"]["regionId"] = "cn-hangzhou"
    assert _issue(dev_raw, "registration.regionId") == [("cn-hangzhou is not one of the stack's regions ['cn-beijing'].",
                                                         "register the cluster in a region the stack declares.")]


def test_agent_endpoint_follows_the_leased_line(dev_raw):
    dev_raw["registration"]["agent"]["endpoint"] = "public"
    assert _issue(dev_raw, "registration.agent.endpoint") == [(
        "the agent uses the public endpoint although a leased line exists; node pools of registered clusters need the "
        "internal endpoint.", "set agent.endpoint: private.")]
    dev_raw["registration"]["agent"]["endpoint"] = "private"
    dev_raw["idc"]["leasedLine"] = False
    assert _issue(dev_raw, "registration.agent.endpoint") == [(
        "the agent is set to the private endpoint but idc.leasedLine is false, so it could never connect.",
        "set agent.endpoint: public (with an apiserver ACL) or declare the leased line.")]


def test_restricted_agent_with_cs_api_actions_is_refused(prod_raw):
    prod_raw["registration"].update(agent={"endpoint": "private", "mode": "restricted"}, consoleAccess="read-only")
    got = refusals(prod_raw)
    assert [p for p, _, _ in got] == ["registration.agent.mode"]
    assert got[0][1].startswith("is restricted, but the stack installs the components ack-virtual-node, cluster-autoscaler "
                                "and creates the node pool a10-elastic (regions[0].elasticPools[0]) through the CS API")


def test_read_only_console_with_cs_api_actions_is_refused(prod_raw):
    prod_raw["registration"]["consoleAccess"] = "read-only"
    assert _issue(prod_raw, "registration.consoleAccess") == [(
        "is read-only, but the stack installs the components ack-virtual-node, cluster-autoscaler and creates the node pool "
        "a10-elastic (regions[0].elasticPools[0]) through the agent, which needs administrator mode's cluster-admin for "
        "that; the agent holds only what the program binds (the manifest's cluster-admin binding is not applied).",
        "set registration.consoleAccess: admin.")]


def test_admin_console_with_restricted_agent_is_refused(dev_raw):
    dev_raw["virtualNode"] = {"enabled": False}
    dev_raw["registration"]["agent"]["mode"] = "restricted"
    assert refusals(dev_raw) == [(
        "registration.consoleAccess",
        "is admin, which binds the agent to cluster-admin (Alibaba's administrator mode), but registration.agent.mode is restricted.",
        "set registration.agent.mode: admin, or consoleAccess: read-only.")]


def test_without_cs_api_actions_restricted_and_read_only_is_accepted(dev_raw):
    dev_raw["virtualNode"] = {"enabled": False}
    dev_raw["registration"].update(agent={"mode": "restricted"}, consoleAccess="read-only")
    assert _warnings(dev_raw) == []


def test_admin_agent_with_read_only_console_is_a_warning(dev_raw):
    dev_raw["virtualNode"] = {"enabled": False}
    dev_raw["registration"]["consoleAccess"] = "read-only"
    assert _warnings(dev_raw) == [(
        "registration.agent.mode",
        "is admin but consoleAccess is read-only: the program binds the agent only the read-only ClusterRole (the manifest's "
        "cluster-admin binding is not applied), so ACK's administrator operations would fail.",
        "use agent.mode: restricted for a read-only console, or set consoleAccess: admin deliberately.")]


# --- BGP peers ------------------------------------------------------------------------------------

def test_bgp_peers_must_sit_in_node_or_extra_ranges(prod_raw):
    peers = prod_raw["cni"]["calico"]["bgp"]["peers"]
    peers[1]["peerIp"] = "10.128.0.1"  # inside podCidr 10.128.0.0/14: not a place for a route reflector
    assert refusals(prod_raw) == [(
        "cni.calico.bgp.peers[1].peerIp",
        "10.128.0.1 is in none of idc.nodeCidrs / idc.extraRanges ['10.0.0.0/18', '10.1.0.0/20', '10.2.0.0/24'].",
        "give the route reflector's or switch's on-prem address, or add its range to idc.extraRanges.")]


def test_bgp_peers_at_the_edges_of_the_ranges_are_accepted(prod_raw):
    peers = prod_raw["cni"]["calico"]["bgp"]["peers"]
    peers[0]["peerIp"], peers[1]["peerIp"] = "10.0.0.0", "10.2.0.255"  # first of nodeCidrs, last of extraRanges[1]
    assert [p.peer_ip for p in load(prod_raw).cni.calico.bgp.peers][:2] == ["10.0.0.0", "10.2.0.255"]


# --- Terway as an addon, the cloud-node label ----------------------------------------------------------

def test_terway_addon_in_the_registration_region_only(prod_raw):
    prod_raw["cni"]["terway"]["install"] = "addon"
    prod_raw["identity"] = {"nodeRole": True}
    got = refusals(prod_raw)
    assert ("cni.terway.install",
            "addon installs one Terway, the registered cluster's, for its region cn-beijing; regions also has cloud nodes in "
            "cn-hangzhou, cn-zhangjiakou, whose pod vSwitches and security groups that one component cannot use.",
            "keep install: manifest (one Terway per region), or run cloud nodes only in the registration region "
            "(other regions serverlessOnly: true).") in got


def test_terway_addon_with_other_regions_serverless_only(prod_raw):
    prod_raw["cni"]["terway"]["install"] = "addon"
    for r in prod_raw["regions"][1:]:
        r.update(serverlessOnly=True, gpuPools=[])
    del prod_raw["nodeAccess"]["regions"]["cn-hangzhou"], prod_raw["nodeAccess"]["regions"]["cn-zhangjiakou"]
    assert [r.id for r in load(prod_raw).regions if not r.serverless_only] == ["cn-beijing"]


def test_terway_addon_needs_instance_role_and_the_external_label(dev_raw):
    dev_raw["cni"]["terway"] = {**dev_raw["cni"].get("terway", {}), "install": "addon", "credentials": "accessKey"}
    dev_raw["cni"]["cloudNodeLabel"] = {"key": "hybrid.example.com/cloud", "value": "yes"}
    got = {p: (m, f) for p, m, f in refusals(dev_raw)}
    assert got["cni.terway.credentials"] == (
        "is accessKey, whose Secret only the self-managed Terway DaemonSet mounts; the terway-eniip component uses the nodes' "
        "RAM role (or the alibaba-addon-secret Secret registered-cluster components read).",
        "set credentials: instanceRole with identity.nodeRole: true, or keep install: manifest.")
    assert got["cni.cloudNodeLabel"] == (
        "is hybrid.example.com/cloud=yes, but the terway-eniip component runs only on alibabacloud.com/external=true nodes: "
        "cloud nodes would get no CNI.",
        "set cloudNodeLabel to key alibabacloud.com/external, value \"true\", or keep install: manifest.")


def test_a_cloud_label_the_kubelet_cannot_set_is_refused(dev_raw):
    dev_raw["cni"]["cloudNodeLabel"] = {"key": "kubernetes.io/cloud", "value": "true"}
    assert _issue(dev_raw, "cni.cloudNodeLabel.key") == [(
        "kubernetes.io/cloud is in the kubernetes.io / k8s.io namespace, which the NodeRestriction admission plugin does not "
        "let a kubelet set on its own Node; the GPU nodes would fail to register.",
        "use a key outside those namespaces (e.g. alibabacloud.com/external) or under node.kubernetes.io/.")]


def test_a_restricted_cloud_label_without_gpu_pools_is_accepted(dev_raw):
    dev_raw["cni"]["cloudNodeLabel"] = {"key": "kubernetes.io/cloud", "value": "true"}
    dev_raw["regions"][0]["gpuPools"] = []
    assert load(dev_raw).cni.cloud_node_label.key == "kubernetes.io/cloud"


# --- warnings ------------------------------------------------------------------------------------

def test_stacks_have_no_warnings(dev_raw, prod_raw):
    assert _warnings(dev_raw) == [] and _warnings(prod_raw) == []


def test_a_spot_limit_without_spot_is_a_warning(prod_raw):
    prod_raw["regions"][0]["gpuPools"][1]["billing"] = {"strategy": "PayAsYouGo", "spotPriceLimit": 3.0}
    _elastic(prod_raw)["billing"] = {"onDemandBaseCapacity": 1, "onDemandPercentageAboveBase": 100, "spotPriceLimit": 20}
    fix = "drop it, or buy spot (strategy: Spot / onDemandPercentageAboveBase below 100)."
    msg = "is set but the pool buys no spot instances, so it has no effect."
    assert _warnings(prod_raw) == [("regions[0].elasticPools[0].billing.spotPriceLimit", msg, fix),
                                   ("regions[0].gpuPools[1].billing.spotPriceLimit", msg, fix)]


def test_no_autoscaler_ram_user_with_elastic_pools_is_a_warning(prod_raw, dev_raw):
    del prod_raw["registration"]["autoscaler"]["ramUser"]
    assert _warnings(prod_raw) == [(
        "registration.autoscaler.ramUser",
        "is not set, so the cluster-autoscaler's RAM policy is created but attached to no one; the autoscaler (AccessKey in "
        "alibaba-addon-secret) cannot scale the elastic pools unless that user has the policy some other way.",
        "set ramUser to the RAM user of addonAccessKeyId.")]
    assert "ramUser" not in dev_raw["registration"].get("autoscaler", {})  # dev: no elastic pools, no warning
    assert _warnings(dev_raw) == []


@pytest.mark.parametrize("cidr,inside", [
    ("10.96.0.0/12", False), ("10.96.0.0/16", True), ("172.21.0.0/24", True), ("172.21.0.0/25", False),
    ("172.31.255.0/24", True), ("172.32.0.0/16", False), ("192.168.0.0/16", True), ("11.0.0.0/16", False)])
def test_service_cidr_outside_createclusters_range_is_a_warning(dev_raw, cidr, inside):
    dev_raw["idc"]["serviceCidr"] = cidr
    expected = [] if inside else [(
        "idc.serviceCidr",
        f"{cidr} is outside the range CreateCluster documents for clusters ACK creates (10.0.0.0/16-24, 172.16-31.0.0/16-24, "
        "192.168.0.0/16-24); for a registered cluster it is the IDC cluster's own Service CIDR and the program passes it on "
        "unchanged.",
        "keep it (it must equal kube-apiserver's --service-cluster-ip-range); `hybrid-gpu unconfirmed` says how to confirm "
        "the registration call accepts it.")]
    assert _warnings(dev_raw) == expected


# --- auto-planning, key hints, the platform's regions ------------------------------------------------

def test_zones_that_cannot_be_planned_name_the_vpc(dev_raw):
    dev_raw["regions"][0].update(vpcCidr="10.40.0.0/24", autoPlan={"nodePrefix": 24, "podPrefix": 24})
    assert _issue(dev_raw, "regions[0].vpcCidr") == [(
        "cannot plan vSwitches for zones ['cn-beijing-g']: no free /24 block left.",
        "use a larger vpcCidr, smaller autoPlan prefixes, or give the zones explicit CIDRs.")]


def test_planned_zones_keep_the_given_ones(dev_raw):
    dev_raw["regions"][0]["zones"] = [{"id": "cn-beijing-g", "nodeVswitchCidr": "10.40.0.0/22", "podVswitchCidr": "10.40.32.0/19"},
                                      "cn-beijing-h"]
    zones = load(dev_raw).regions[0].zones
    assert (zones[0].node_vswitch_cidr, zones[0].pod_vswitch_cidr) == ("10.40.0.0/22", "10.40.32.0/19")
    assert zones[1].node_vswitch_cidr and zones[1].pod_vswitch_cidr
    assert zones[1].node_vswitch_cidr not in ("10.40.0.0/22", "10.40.32.0/19")


def test_a_misspelt_key_gets_the_close_keys(dev_raw):
    dev_raw["regions"][0]["vpcCIDR"] = dev_raw["regions"][0].pop("vpcCidr")
    dev_raw["idc"]["apiserver"]["prot"] = 1
    dev_raw["regions"][0]["gpuPools"][0]["instancetype"] = "x"
    got = {p: m for p, m, _ in refusals(dev_raw) if "Extra inputs" in m}
    assert got == {"regions[0].vpcCIDR": "Extra inputs are not permitted. Did you mean vpcCidr?",
                   "idc.apiserver.prot": "Extra inputs are not permitted. Did you mean port?",
                   "regions[0].gpuPools[0].instancetype": "Extra inputs are not permitted. Did you mean instanceType or instanceSpec?"}


def test_a_misspelt_top_level_key_and_one_with_no_near_key(dev_raw):
    dev_raw["regionz"] = []
    dev_raw["idc"]["zzzzzz"] = 1
    got = {p: (m, f) for p, m, f in refusals(dev_raw)}
    fix = "remove the key or fix its spelling (keys are camelCase)."
    assert got["regionz"] == ("Extra inputs are not permitted. Did you mean regions or registration?", fix)
    assert got["idc.zzzzzz"] == ("Extra inputs are not permitted.", fix)


def test_platform_region_by_id(prod_raw):
    p = load(prod_raw)
    assert p.region("cn-hangzhou").vpc_cidr == "10.33.0.0/16"
    with pytest.raises(KeyError):
        p.region("cn-shanghai")


# --- what a field error does not hide ----------------------------------------------------------------

def test_a_field_error_and_a_cross_check_are_both_reported(dev_raw):
    dev_raw["idc"]["kubernetesVersion"] = "2.0"
    dev_raw["registration"]["regionId"] = "cn-hangzhou"
    assert [p for p, _, _ in refusals(dev_raw)] == ["idc.kubernetesVersion", "registration.regionId"]


def test_a_field_error_does_not_hide_the_planning_failure(dev_raw):
    dev_raw["regions"][0].update(vpcCidr="10.40.0.0/24", autoPlan={"nodePrefix": 24, "podPrefix": 24})
    dev_raw["regions"][0]["gpuPools"][0]["count"] = -1
    got = refusals(dev_raw)
    assert ("regions[0].vpcCidr", "cannot plan vSwitches for zones ['cn-beijing-g']: no free /24 block left.",
            "use a larger vpcCidr, smaller autoPlan prefixes, or give the zones explicit CIDRs.") in got
    assert "regions[0].gpuPools[0].count" in [p for p, _, _ in got]


def test_a_field_error_does_not_hide_a_vpc_overlap(dev_raw):
    dev_raw["idc"]["kubernetesVersion"] = "2.0"
    dev_raw["regions"][0]["vpcCidr"] = "10.8.0.0/16"
    assert [p for p, _, _ in refusals(dev_raw)] == ["idc.kubernetesVersion", "regions[0].vpcCidr",
                                                    "regions[0].zones[0].podVswitchCidr"]


def test_zones_that_do_not_validate_are_not_judged_as_missing(dev_raw):
    # the pool's zone would lack a node vSwitch, but the zone list itself is invalid: only that is reported
    dev_raw["regions"][0]["zones"] = ["cn-beijing-g", "BAD"]
    dev_raw["regions"][0]["gpuPools"][0]["zones"] = ["cn-beijing-h"]
    assert refusals(dev_raw) == [("regions[0].zones[1].id", "'BAD' is not an Alibaba Cloud zone id.",
                                  "use an id such as cn-beijing-g or ap-southeast-1a.")]


def test_a_misspelt_key_under_a_dict_key_gets_the_close_keys(dev_raw):
    # nodeAccess.regions is keyed by region id: the entry's keys are RegionAccess's (egress, registryMirrors, apt, dns)
    dev_raw["nodeAccess"]["regions"]["cn-beijing"]["egres"] = "none"
    assert refusals(dev_raw) == [("nodeAccess.regions.cn-beijing.egres", "Extra inputs are not permitted. Did you mean egress?",
                                  "remove the key or fix its spelling (keys are camelCase).")]


def test_a_value_of_the_wrong_type_points_at_the_reference(dev_raw):
    dev_raw["idc"]["apiserver"]["port"] = "6443"  # strict: a string is not an integer
    assert refusals(dev_raw) == [("idc.apiserver.port", "Input should be a valid integer.",
                                  "see the field's type and limits in docs/config.md (the stack config reference).")]


def test_cross_and_warning_checks_register_the_function(monkeypatch):
    from hybrid.model import platform as platform_model

    checks, warns = [], []
    monkeypatch.setattr(platform_model, "CROSS_CHECKS", checks)
    monkeypatch.setattr(platform_model, "WARNING_CHECKS", warns)

    def check(p):
        return []

    assert platform_model.cross_check(check) is check and checks == [check]
    assert platform_model.warning_check(check) is check and warns == [check]


def test_a_16_vswitch_is_accepted(dev_raw):
    dev_raw["regions"][0].update(vpcCidr="10.40.0.0/15", zones=_zone("10.40.0.0/24", "10.41.0.0/16"))
    assert load(dev_raw).regions[0].zones[0].pod_vswitch_cidr == "10.41.0.0/16"


def test_a_pod_vswitch_alone_is_still_checked(dev_raw):
    dev_raw["regions"][0]["gpuPools"] = []
    dev_raw["regions"][0]["zones"] = ["cn-beijing-g", {"id": "cn-beijing-h", "podVswitchCidr": "10.41.0.0/19"}]
    assert _issue(dev_raw, "regions[0].zones[1].podVswitchCidr") == [("10.41.0.0/19 is not inside the VPC 10.40.0.0/16.",
                                                                      "pick a block inside 10.40.0.0/16.")]


# --- what the survivors of the first full run showed untested ----------------------------------------------

def test_the_restricted_agents_fix_names_both_ways_out(prod_raw):
    prod_raw["registration"].update(agent={"endpoint": "private", "mode": "restricted"}, consoleAccess="read-only")
    ((_, _, fix),) = refusals(prod_raw)
    assert fix == ("set registration.agent.mode: admin with registration.consoleAccess: admin, or drop them (virtualNode.enabled: "
                   "false, cni.terway.install: manifest, no elasticPools) and install components with onectl, which grants the "
                   "agent temporary administrator permissions.")


def _unplannable(region):
    region.update(vpcCidr=region["vpcCidr"].replace("/16", "/24"), autoPlan={"nodePrefix": 24, "podPrefix": 24},
                  zones=[z["id"] if isinstance(z, dict) else z for z in region["zones"]])


def test_planning_issues_of_an_earlier_region_are_kept(prod_raw):
    # cn-beijing (10.32.0.0/24) cannot hold a /24 node and a /24 pod vSwitch; cn-hangzhou and cn-zhangjiakou plan fine
    _unplannable(prod_raw["regions"][0])
    assert [p for p, m, _ in refusals(prod_raw) if m.startswith("cannot plan")] == ["regions[0].vpcCidr"]


def test_planning_issues_of_an_earlier_region_are_kept_behind_a_field_error(prod_raw):
    _unplannable(prod_raw["regions"][0])
    prod_raw["idc"]["kubernetesVersion"] = "2.0"
    got = [p for p, _, _ in refusals(prod_raw)]
    assert "idc.kubernetesVersion" in got and "regions[0].vpcCidr" in got


def test_auto_planning_takes_both_prefixes(dev_raw):
    # dev: cn-beijing-g planned in 10.40.0.0/16; prefixes of the autoPlan block, not the defaults
    dev_raw["regions"][0]["autoPlan"] = {"nodePrefix": 26, "podPrefix": 21}
    z = load(dev_raw).regions[0].zones[0]
    assert (z.node_vswitch_cidr.split("/")[1], z.pod_vswitch_cidr.split("/")[1]) == ("26", "21")


def test_a_misspelt_key_with_three_near_keys_gets_the_two_nearest(prod_raw):
    # difflib ratios of "llocated": allocated 16/17, allocatable 14/19, allocating 12/18: the two best are shown
    prod_raw["placement"]["idcCapacity"]["llocated"] = prod_raw["placement"]["idcCapacity"].pop("allocated")
    assert _issue(prod_raw, "placement.idcCapacity.llocated") == [
        ("Extra inputs are not permitted. Did you mean allocated or allocatable?",
         "remove the key or fix its spelling (keys are camelCase).")]


def test_a_region_without_leased_line_does_not_hide_a_later_transit_router_twice(prod_raw):
    del prod_raw["regions"][0]["leasedLine"]
    prod_raw["regions"][1]["leasedLine"] = {"transitRouter": {**prod_raw["regions"][2]["leasedLine"]["transitRouter"]}}
    prod_raw["regions"][1]["leasedLine"]["transitRouter"]["routeTableId"] = "vtb-hz0"
    assert _issue(prod_raw, "regions[2].leasedLine.transitRouter.transitRouterId") == [(
        "transit router tr-8vbf3m2k1n0p9q8r7s6t5 is also given at regions[1].leasedLine.transitRouter.transitRouterId.",
        "a transit router is regional: give each region the transit router of its own region.")]


def test_one_vpc_in_two_regions_gets_the_vpc_fix(prod_raw):
    hz = prod_raw["regions"][1]["leasedLine"]["existingVpc"]
    prod_raw["regions"][2]["leasedLine"] = _existing(2, hz["vpcId"], [])
    assert _issue(prod_raw, "regions[2].leasedLine.existingVpc.vpcId") == [(
        "VPC vpc-bp1k7mq9w2x3r4t5y6u7i is also given at regions[1].leasedLine.existingVpc.vpcId.",
        "a VPC is regional: give each region its own VPC.")]


def test_a_zone_id_one_letter_off_gets_a_guess(dev_raw):
    # hybrid/regions.py: cn-beijing's zones are cn-beijing-c..l; "cn-beijing-gg" is "cn-beijing-g" with a doubled letter
    # (difflib ratio 24/25 = 0.96, above ZONE_CUTOFF 0.93)
    dev_raw["regions"][0]["zones"] = ["cn-beijing-gg"]
    dev_raw["regions"][0]["gpuPools"][0]["zones"] = ["cn-beijing-gg"]
    (msg,) = [m for m, _ in _issue(dev_raw, "regions[0].zones[0].id")]
    assert msg.endswith(" Did you mean cn-beijing-g?")


def test_platform_region_names_the_missing_id(prod_raw):
    with pytest.raises(KeyError) as info:
        load(prod_raw).region("cn-shanghai")
    assert info.value.args == ("cn-shanghai",)


def test_regions_that_do_not_validate_hide_only_what_reads_them(dev_raw):
    dev_raw["regions"] = "cn-beijing"
    assert [p for p, _, _ in refusals(dev_raw)] == ["regions"]


def test_zones_that_cannot_be_planned_for_a_field_error_are_not_judged_unplanned(dev_raw):
    # cn-beijing-g is to be planned, but with the node prefix refused (vSwitches take /16../29) it cannot be: neither
    # the pool's zone nor the transit router is judged as lacking a node vSwitch, and the region is still there for
    # the checks that read only its id (the registration region against the declared ones)
    dev_raw["regions"][0]["autoPlan"] = {"nodePrefix": 40}
    dev_raw["registration"]["regionId"] = "cn-hangzhou"
    assert [p for p, _, _ in refusals(dev_raw)] == ["regions[0].autoPlan.nodePrefix", "registration.regionId"]


def test_a_region_entry_that_is_not_an_object_is_reported_alone(dev_raw):
    dev_raw["regions"] = ["cn-beijing"]
    assert refusals(dev_raw) == [("regions[0]", "Input should be a valid dictionary or instance of Region.",
                                  "see the field's type and limits in docs/config.md (the stack config reference).")]


def test_an_unlisted_zone_of_a_region_with_long_zone_ids_gets_the_nearest_listed_ones(prod_raw):
    # hybrid/regions.py lists cn-zhangjiakou-a..c; "cn-zhangjiakou-z" differs from each in its last letter: difflib
    # ratio 30/32 = 0.9375, above ZONE_CUTOFF 0.93; get_close_matches keeps two and orders a tie by the larger string
    prod_raw["regions"][2]["zones"].append("cn-zhangjiakou-z")
    assert refusals(prod_raw) == [(
        "regions[2].zones[2].id",
        "zone cn-zhangjiakou-z is not a zone of cn-zhangjiakou (cn-zhangjiakou-a, cn-zhangjiakou-b, cn-zhangjiakou-c). "
        "Did you mean cn-zhangjiakou-c or cn-zhangjiakou-b?",
        "use one of those, or add the zone to hybrid/regions.py with its source if DescribeZones lists it.")]
