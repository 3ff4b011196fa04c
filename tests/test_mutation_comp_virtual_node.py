"""components.virtual_node.VirtualNode under Pulumi's mocks: the addon, what it waits for, its config.

Worked by hand from stacks/Pulumi.prod.yaml: the IDC apiserver 10.0.0.10:6443, virtualNode version
v2.13.0 with regions cn-beijing (default), cn-hangzhou, cn-zhangjiakou. The config keys are
ack-virtual-node's (Alibaba Cloud help, "Use ack-virtual-node in registered clusters": APIServerHost,
APIServerPort as a string, EnableMultiRegion, EnableVpcInternalEndpoint, Regions[] with RegionId, VpcId,
VSwitchIds, SecurityGroupId, IsDefaultRegion); alicloud_cs_kubernetes_addon's cleanup_cloud_resources
(terraform-provider-alicloud website/docs/r/cs_kubernetes_addon.html.markdown)."""

from __future__ import annotations

import copy
import json

import pulumi

from hybrid.model import load
from tests.component_graph import provider_urn, watch
from tests.conftest import settle

COMP = "hybrid:vnode:VirtualNode"
ADDON = "alicloud:cs/kubernetesAddon:KubernetesAddon"
# region -> (vpc, pod vSwitches by zone in an order that is not the zones', pod security group)
NETS = {
    "cn-beijing": ("vpc-bj", {"cn-beijing-h": "vsw-bj-h", "cn-beijing-g": "vsw-bj-g"}, "sg-bj-pods"),
    "cn-hangzhou": ("vpc-hz", {"cn-hangzhou-k": "vsw-hz-k", "cn-hangzhou-j": "vsw-hz-j"}, "sg-hz-pods"),
    "cn-zhangjiakou": ("vpc-zjk", {"cn-zhangjiakou-c": "vsw-zjk-c"}, "sg-zjk-pods"),
}
EXPECTED = {
    "APIServerHost": "10.0.0.10", "APIServerPort": "6443", "EnableMultiRegion": True, "EnableVpcInternalEndpoint": True,
    "Regions": [
        {"RegionId": "cn-beijing", "VpcId": "vpc-bj", "VSwitchIds": ["vsw-bj-g", "vsw-bj-h"],
         "SecurityGroupId": "sg-bj-pods", "IsDefaultRegion": True},
        {"RegionId": "cn-hangzhou", "VpcId": "vpc-hz", "VSwitchIds": ["vsw-hz-j", "vsw-hz-k"],
         "SecurityGroupId": "sg-hz-pods", "IsDefaultRegion": False},
        {"RegionId": "cn-zhangjiakou", "VpcId": "vpc-zjk", "VSwitchIds": ["vsw-zjk-c"],
         "SecurityGroupId": "sg-zjk-pods", "IsDefaultRegion": False},
    ],
}


def _program(raw):
    import pulumi_alicloud as alicloud

    from components.contracts import RegionNetworkOutputs, RegisteredClusterOutputs
    from components.virtual_node import VirtualNode, VirtualNodeArgs

    p = load(raw)
    known = pulumi.Output.from_input
    nets = {rid: RegionNetworkOutputs(
        region_id=rid, ipv6=False, vpc_id=known(vpc), vswitch_ids=known({z: v.replace("vsw-", "vsw-node-") for z, v in vsw.items()}),
        pod_vswitch_ids=known(vsw), security_group_id=known(sg.replace("-pods", "-workers")), pod_security_group_id=known(sg),
        idc_routes=known({})) for rid, (vpc, vsw, sg) in NETS.items()}
    agent = pulumi.CustomResource("test:index:Agent", "agent")
    cfg = pulumi.CustomResource("test:index:AgentConfig", "agent-config")
    secret = pulumi.CustomResource("test:index:Secret", "addon-secret")
    cluster = RegisteredClusterOutputs(cluster_id=known("c-registered"), connected=agent, agent_config=cfg)
    # the registration region's provider: the addon is a CS API call in the registered cluster's region
    bj = alicloud.Provider("cn-beijing", region="cn-beijing")
    vn = VirtualNode("vnode", VirtualNodeArgs(settings=p.virtual_node, idc=p.idc, cluster=cluster, networks=nets,
                                              depends_on=[secret]), opts=pulumi.ResourceOptions(providers={"alicloud": bj}))
    return {"config": vn.config, "addon_id": vn.addon.id, "agent": agent.urn, "secret": secret.urn, "bj": bj.urn}


def test_the_addon_waits_for_the_connected_agent_and_the_secret_with_each_regions_pod_network(pulumi_mocks, prod_raw):
    mon = watch(pulumi_mocks, prod_raw, stack="prod")
    got = settle(lambda: _program(prod_raw))
    comp = mon.one(COMP, "vnode")
    addon = mon.one(ADDON, "vnode-addon")
    assert addon.parent == comp.urn and provider_urn(addon.provider) == got["bj"]
    assert addon.dependencies == sorted([got["agent"], got["secret"]])
    assert addon.inputs["name"] == "ack-virtual-node"
    assert addon.inputs["version"] == "v2.13.0"
    assert addon.inputs["clusterId"] == "c-registered"
    assert addon.inputs["cleanupCloudResources"] is True
    assert json.loads(addon.inputs["config"]) == EXPECTED
    assert json.loads(got["config"]) == EXPECTED
    assert mon.outputs_of(COMP, "vnode") == {"config": got["config"], "addonId": got["addon_id"]}


def test_cleanup_off_is_passed_through(pulumi_mocks, prod_raw):
    raw = copy.deepcopy(prod_raw)
    raw["virtualNode"]["cleanupCloudResources"] = False
    mon = watch(pulumi_mocks, raw, stack="prod")
    settle(lambda: _program(raw))
    assert mon.one(ADDON, "vnode-addon").inputs["cleanupCloudResources"] is False
