"""hybrid/model/network.py: a zone's vSwitch pair, the NodePort range, the VPC mask, imported vSwitches.

Sources: Kubernetes "Ports and Protocols" (kubernetes.io/docs/reference/networking/ports-and-protocols/):
kube-apiserver 6443, etcd 2379-2380, kubelet 10250, kube-proxy 10256, kube-controller-manager 10257,
kube-scheduler 10259; NodePorts default to 30000-32767 (kube-apiserver --service-node-port-range).
An Alibaba Cloud VPC takes a /8 to /24 CIDR (VPC CreateVpc, CidrBlock), and 100.64.0.0/10 is where
Alibaba Cloud service addresses live (/work/shared/ALIBABA-NOTES.md). Expected values are read off the
stack files by hand: dev's IDC (stacks/Pulumi.dev.yaml) and prod's cn-hangzhou, an existing VPC with a
node vSwitch vsw-bp1a2b3c4d5e6f7g8h9i0 and a pod vSwitch vsw-bp1j1k2l3m4n5o6p7q8r9 in cn-hangzhou-h
(stacks/Pulumi.prod.yaml).
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hybrid.model import load
from hybrid.model.network import NodePortRange, Region
from tests.conftest import refusals

NODES_VSW, PODS_VSW = "vsw-bp1a2b3c4d5e6f7g8h9i0", "vsw-bp1j1k2l3m4n5o6p7q8r9"


def _region(**fields):
    raw = {"id": "cn-beijing", "vpcCidr": "10.40.0.0/16", "zones": ["cn-beijing-g"]}
    raw.update(fields)
    return Region.model_validate(raw)


def _refused(**fields) -> str:
    with pytest.raises(ValidationError) as info:
        _region(**fields)
    (err,) = info.value.errors()
    return f"{'.'.join(map(str, err['loc']))}: {err['msg']}"


# --- the IDC's ranges and a region's zones ---------------------------------------------

def test_idc_ranges_in_order_with_their_fields(prod_raw):
    # prod: nodeCidrs [10.0.0.0/18], podCidr 10.128.0.0/14, extraRanges [10.1.0.0/20, 10.2.0.0/24]
    assert load(prod_raw).idc.ranges == [("nodeCidrs[0]", "10.0.0.0/18"), ("podCidr", "10.128.0.0/14"),
                                         ("extraRanges[0]", "10.1.0.0/20"), ("extraRanges[1]", "10.2.0.0/24")]


def test_zone_ids_and_shorthand(prod_raw):
    assert load(prod_raw).regions[1].zone_ids == ["cn-hangzhou-h", "cn-hangzhou-i"]
    r = _region(zones=["cn-beijing-g", {"id": "cn-beijing-h", "podVswitchCidr": "10.40.8.0/22"}])
    assert [(z.id, z.node_vswitch_cidr, z.pod_vswitch_cidr) for z in r.zones] == [
        ("cn-beijing-g", None, None), ("cn-beijing-h", None, "10.40.8.0/22")]


def test_zones_that_are_not_a_list_are_refused_as_a_list():
    assert _refused(zones="cn-beijing-g") == "zones: Input should be a valid list"


def test_a_node_vswitch_without_a_pod_vswitch_is_refused(dev_raw):
    dev_raw["regions"][0]["zones"] = [{"id": "cn-beijing-g", "nodeVswitchCidr": "10.40.0.0/24"}]
    assert refusals(dev_raw) == [(
        "regions[0].zones[0]",
        "zone cn-beijing-g has a node vSwitch but no pod vSwitch, so Terway would hand out pod IPs from the node vSwitch.",
        "add podVswitchCidr to this zone, or drop both CIDRs to let the planner carve them.")]


def test_a_pod_vswitch_alone_or_both_are_accepted():
    # a pod vSwitch of its own is what Terway needs; the node vSwitch may still be carved
    assert _region(zones=[{"id": "cn-beijing-g", "podVswitchCidr": "10.40.64.0/18"}]).zones[0].node_vswitch_cidr is None
    both = _region(zones=[{"id": "cn-beijing-g", "nodeVswitchCidr": "10.40.0.0/24", "podVswitchCidr": "10.40.64.0/18"}])
    assert (both.zones[0].node_vswitch_cidr, both.zones[0].pod_vswitch_cidr) == ("10.40.0.0/24", "10.40.64.0/18")


# --- the NodePort range -------------------------------------------------------------------

def _ports(start: int, end: int):
    return NodePortRange.model_validate({"from": start, "to": end})


def _ports_refused(start: int, end: int) -> tuple[str, str]:
    with pytest.raises(ValidationError) as info:
        _ports(start, end)
    (err,) = info.value.errors()
    message, fix = str(err["ctx"]["error"]).split(" Fix: ")
    return message, fix


def test_kubernetes_default_range_and_single_ports_are_accepted():
    assert (_ports(30000, 32767).start, _ports(30000, 32767).end) == (30000, 32767)
    assert _ports(30000, 30000).end == 30000  # from == to is one port, not a reversed range


def test_reversed_range_is_refused_with_the_swap():
    assert _ports_refused(32767, 30000) == ("from 32767 is above to 30000.", "swap them, e.g. from: 30000, to: 32767.")


def test_well_known_ports_below_1024_are_refused_and_1024_is_not():
    assert _ports_refused(1023, 1100) == (
        "the range 1023-1100 covers well-known ports below 1024 (ssh 22, BGP 179, ...).",
        "keep NodePorts at 1024 or above; the Kubernetes default is 30000-32767.")
    assert _ports(1024, 2378).start == 1024  # 1024 up to etcd's 2379 is clear


def test_each_control_plane_port_is_refused_at_the_range_edges():
    # a range that starts, or ends, on the port covers it
    fix = "pick a range clear of them; the Kubernetes default is 30000-32767."
    assert _ports_refused(2379, 2379) == ("the range 2379-2379 covers control-plane ports 2379 (etcd).", fix)
    assert _ports_refused(6000, 6443) == ("the range 6000-6443 covers control-plane ports 6443 (kube-apiserver).", fix)
    assert _ports_refused(10250, 10255) == ("the range 10250-10255 covers control-plane ports 10250 (kubelet).", fix)
    assert _ports_refused(10256, 10256) == ("the range 10256-10256 covers control-plane ports 10256 (kube-proxy).", fix)
    assert _ports_refused(10257, 10258) == (
        "the range 10257-10258 covers control-plane ports 10257 (kube-controller-manager).", fix)
    assert _ports_refused(10258, 10300) == ("the range 10258-10300 covers control-plane ports 10259 (kube-scheduler).", fix)


def test_all_control_plane_ports_are_listed_in_port_order():
    assert _ports_refused(1024, 65535)[0] == (
        "the range 1024-65535 covers control-plane ports 2379 (etcd), 2380 (etcd), 6443 (kube-apiserver), "
        "10250 (kubelet), 10256 (kube-proxy), 10257 (kube-controller-manager), 10259 (kube-scheduler).")


def test_ranges_between_control_plane_ports_are_accepted():
    for start, end in ((2381, 6442), (6444, 10249), (10251, 10255), (10258, 10258), (10260, 65535)):
        assert (_ports(start, end).start, _ports(start, end).end) == (start, end)


def test_a_bad_node_port_range_is_reported_on_its_region(dev_raw):
    dev_raw["regions"][0]["nodePortRange"] = {"from": 32767, "to": 30000}
    assert refusals(dev_raw) == [("regions[0].nodePortRange", "from 32767 is above to 30000.",
                                  "swap them, e.g. from: 30000, to: 32767.")]


# --- the VPC CIDR ------------------------------------------------------------------------

def test_vpc_masks_from_8_to_24_are_accepted():
    assert _region(vpcCidr="11.0.0.0/8").vpc_cidr == "11.0.0.0/8"
    assert _region(vpcCidr="192.168.1.0/24").vpc_cidr == "192.168.1.0/24"


def test_vpc_masks_outside_8_to_24_are_refused():
    fix = "Fix: Alibaba Cloud VPCs take /8../24; use e.g. a /16."
    assert _refused(vpcCidr="10.0.0.0/7") == f"vpcCidr: Value error, VPC CIDR 10.0.0.0/7 has a /7 mask. {fix}"
    assert _refused(vpcCidr="10.40.0.0/25") == f"vpcCidr: Value error, VPC CIDR 10.40.0.0/25 has a /25 mask. {fix}"


def test_vpc_in_the_alibaba_service_block_is_refused():
    # 100.64.0.0/10 runs 100.64.0.0 - 100.127.255.255
    assert _refused(vpcCidr="100.127.255.0/24") == (
        "vpcCidr: Value error, VPC CIDR 100.127.255.0/24 overlaps 100.64.0.0/10, which Alibaba Cloud reserves for its "
        "service addresses (API domains resolve there from inside a VPC, and VPC routing sends it to cloud services). "
        "Fix: use a block inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16.")
    assert _region(vpcCidr="100.128.0.0/16").vpc_cidr == "100.128.0.0/16"
    assert _region(vpcCidr="100.63.0.0/16").vpc_cidr == "100.63.0.0/16"


# --- imported vSwitches need their CIDRs ------------------------------------------------------

def _hangzhou(raw):
    return raw["regions"][1]


def test_prod_imported_vswitches_match_their_zones(prod_raw):
    z = load(prod_raw).regions[1].zones[0]
    assert (z.id, z.node_vswitch_cidr, z.pod_vswitch_cidr) == ("cn-hangzhou-h", "10.33.0.0/22", "10.33.32.0/19")


def test_an_imported_node_vswitch_in_a_zone_without_its_cidr_is_refused(prod_raw):
    del _hangzhou(prod_raw)["zones"][0]["nodeVswitchCidr"]  # the pod CIDR alone stays: no help for the node vSwitch
    assert refusals(prod_raw) == [(
        "regions[1]",
        f"existing nodes vSwitch {NODES_VSW} is in zone cn-hangzhou-h, which has no nodeVswitchCidr in this region's zones.",
        "add zone cn-hangzhou-h with nodeVswitchCidr set to the vSwitch's CIDR.")]


def test_an_imported_pod_vswitch_in_a_zone_without_its_cidr_is_refused(prod_raw):
    zone = _hangzhou(prod_raw)["zones"][0]
    del zone["nodeVswitchCidr"], zone["podVswitchCidr"]
    _hangzhou(prod_raw)["leasedLine"]["existingVpc"]["vswitches"].reverse()  # the pod vSwitch is checked first
    assert refusals(prod_raw) == [(
        "regions[1]",
        f"existing pods vSwitch {PODS_VSW} is in zone cn-hangzhou-h, which has no podVswitchCidr in this region's zones.",
        "add zone cn-hangzhou-h with podVswitchCidr set to the vSwitch's CIDR.")]


def test_an_imported_vswitch_in_an_undeclared_zone_is_refused(prod_raw):
    _hangzhou(prod_raw)["leasedLine"]["existingVpc"]["vswitches"][1]["zone"] = "cn-hangzhou-k"
    assert refusals(prod_raw) == [(
        "regions[1]",
        f"existing pods vSwitch {PODS_VSW} is in zone cn-hangzhou-k, which has no podVswitchCidr in this region's zones.",
        "add zone cn-hangzhou-k with podVswitchCidr set to the vSwitch's CIDR.")]


def test_an_imported_pod_vswitch_needs_only_the_pod_cidr(prod_raw):
    # a zone with a pod vSwitch and no node vSwitch is valid (the pod CIDR is all Terway needs there)
    hz = _hangzhou(prod_raw)
    ll = hz["leasedLine"]
    ll["existingVpc"]["vswitches"] = [v for v in ll["existingVpc"]["vswitches"] if v["role"] == "pods"]
    r = _region(id="cn-hangzhou", vpcCidr="10.33.0.0/16", leasedLine=ll,
                zones=[{"id": "cn-hangzhou-h", "podVswitchCidr": "10.33.32.0/19"}])
    assert [(v.role, v.id) for v in r.leased_line.existing_vpc.vswitches] == [("pods", PODS_VSW)]
