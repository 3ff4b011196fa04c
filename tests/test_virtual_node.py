"""ack-virtual-node: addon config JSON (exact), model rules, pod labels, schema-valid examples."""

from __future__ import annotations

import json

import kubernetes_validate
import pulumi
import pytest

from hybrid.errors import ConfigError
from hybrid.model import load
from tests.conftest import settle
from hybrid.virtual_node import (
    ADDON_KEYS, RegionEntry, addon_config, addon_config_json, example_deployment, examples, pod_labels,
)

ADDON = "alicloud:cs/kubernetesAddon:KubernetesAddon"


def _build(raw, rec):
    from components.contracts import RegisteredClusterOutputs
    from components.network import RegionNetwork, RegionNetworkArgs
    from components.virtual_node import VirtualNode, VirtualNodeArgs

    p = load(raw)
    nets = {r.id: RegionNetwork(r.id, RegionNetworkArgs(region=r, idc=p.idc, environment=p.environment)).outputs
            for r in p.regions}
    agent = pulumi.CustomResource("test:index:Agent", "agent")
    cluster = RegisteredClusterOutputs(cluster_id=pulumi.Output.from_input("c-registered"), connected=agent, agent_config=agent)
    vn = VirtualNode("vnode", VirtualNodeArgs(settings=p.virtual_node, idc=p.idc, cluster=cluster, networks=nets))
    return p, nets, vn


def _expected(p, ids) -> str:
    """The config written out by hand from the mock ids, key by key."""
    regions = []
    for r in sorted(p.virtual_node.regions, key=lambda r: (not r.default, r.id)):
        vpc, pod_vsw, sg = ids[r.id]
        regions.append({"IsDefaultRegion": r.default, "RegionId": r.id, "SecurityGroupId": sg,
                        "VSwitchIds": [pod_vsw[z] for z in sorted(pod_vsw)], "VpcId": vpc})
    doc = {"APIServerHost": p.idc.apiserver.host, "APIServerPort": str(p.idc.apiserver.port),
           "EnableMultiRegion": len(regions) > 1, "EnableVpcInternalEndpoint": True, "Regions": regions}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


def _addon_config(rec, raw) -> str:
    """Builds the virtual node, checks the addon the engine got against the hand-written
    config, returns that config."""
    def program():
        p, nets, vn = _build(raw, rec)
        per_region = {rid: pulumi.Output.all(n.vpc_id, n.pod_vswitch_ids, n.pod_security_group_id) for rid, n in nets.items()}
        return p, per_region, vn.config

    p, ids, config = settle(program)
    addon = rec.named(ADDON, "vnode-addon").inputs
    assert addon["name"] == "ack-virtual-node"
    assert addon["version"] == p.virtual_node.version
    assert addon["clusterId"] == "c-registered"
    assert addon["cleanupCloudResources"] is True
    assert addon["config"] == config == _expected(p, ids)
    return config


def test_addon_config_one_region(pulumi_mocks, dev_raw):
    rec = pulumi_mocks(dev_raw)
    assert json.loads(_addon_config(rec, dev_raw))["EnableMultiRegion"] is False


def test_addon_config_three_regions(pulumi_mocks, prod_raw):
    rec = pulumi_mocks(prod_raw, stack="prod")
    doc = json.loads(_addon_config(rec, prod_raw))
    p = load(prod_raw)
    assert [r["RegionId"] for r in doc["Regions"]] == ["cn-beijing", "cn-hangzhou", "cn-zhangjiakou"]
    assert [r["IsDefaultRegion"] for r in doc["Regions"]] == [True, False, False]
    assert doc["EnableMultiRegion"] is True
    assert all(len(r["VSwitchIds"]) == len(p.region(r["RegionId"]).zones) for r in doc["Regions"])


def test_config_requires_exactly_one_default():
    r = dict(vpc_id="vpc-1", vswitch_ids=("vsw-1",), security_group_id="sg-1")
    with pytest.raises(ValueError, match="exactly one default"):
        addon_config("10.0.0.10", 6443, [RegionEntry("cn-beijing", **r), RegionEntry("cn-hangzhou", **r)])
    with pytest.raises(ValueError, match="exactly one default"):
        addon_config("10.0.0.10", 6443, [RegionEntry("cn-beijing", default=True, **r), RegionEntry("cn-hangzhou", default=True, **r)])
    with pytest.raises(ValueError, match="at least one vSwitch"):
        addon_config("10.0.0.10", 6443, [RegionEntry("cn-beijing", "vpc-1", (), "sg-1", True)])
    one = addon_config_json("10.0.0.10", 6443, [RegionEntry("cn-beijing", default=True, **r)])
    assert one == ('{"APIServerHost":"10.0.0.10","APIServerPort":"6443","EnableMultiRegion":false,'
                   '"EnableVpcInternalEndpoint":true,"Regions":[{"IsDefaultRegion":true,"RegionId":"cn-beijing",'
                   '"SecurityGroupId":"sg-1","VSwitchIds":["vsw-1"],"VpcId":"vpc-1"}]}')


def test_unconfirmed_keys_are_kept_in_one_table():
    assert {k.json for k in ADDON_KEYS.values() if k.confirmed} == {"APIServerHost", "APIServerPort"}
    assert "Regions" in {k.json for k in ADDON_KEYS.values() if not k.confirmed}


@pytest.mark.parametrize("edit,field,word", [
    (lambda vn: vn["regions"].append({"id": "cn-hangzhou", "default": True}), "virtualNode.regions", "exactly one"),
    (lambda vn: vn["regions"][0].update(default=False), "virtualNode.regions", "exactly one"),
    (lambda vn: vn.update(version="2.12.4"), "virtualNode.version", "multi-region"),
    (lambda vn: vn.update(version="latest"), "virtualNode.version", "MAJOR.MINOR.PATCH"),
    (lambda vn: vn["regions"].append({"id": "cn-shanghai"}), "virtualNode.regions[1].id", "not one of the stack's regions"),
    (lambda vn: vn["regions"].append({"id": "cn-beijing"}), "virtualNode.regions[1].id", "listed twice"),
])
def test_model_rules(dev_raw, edit, field, word):
    edit(dev_raw["virtualNode"])
    with pytest.raises(ConfigError) as info:
        load(dev_raw)
    assert any(i.path == field and word in i.message and i.fix for i in info.value.issues), info.value.render()


def test_idc_range_in_alibaba_service_block_is_flagged(dev_raw):
    dev_raw["idc"]["extraRanges"].append("100.100.0.0/16")  # beside the range of dev's IDC mirror and rsync source
    with pytest.raises(ConfigError) as info:
        load(dev_raw)
    assert any(i.path == "idc.extraRanges[1]" and "PrivateLink" in i.fix for i in info.value.issues)
    dev_raw["virtualNode"]["privateLinkEndpoints"] = True
    assert load(dev_raw).virtual_node.private_link_endpoints


def test_serverless_only_region_is_accepted(dev_raw):
    dev_raw["regions"].append({"id": "cn-shanghai", "vpcCidr": "10.50.0.0/20", "serverlessOnly": True, "zones": ["cn-shanghai-l"],
                               "leasedLine": {"transitRouter": {"cenId": "cen-dev0hybrid0gpu0line", "transitRouterId": "tr-shanghai",
                                                                  "routeTableId": "vtb-shanghai", "interRegion": {}}}})
    dev_raw["virtualNode"]["regions"].append({"id": "cn-shanghai"})
    p = load(dev_raw)
    assert p.region("cn-shanghai").serverless_only


def test_pod_labels():
    regions = ["cn-beijing", "cn-hangzhou"]
    assert pod_labels("gpu", "default", "A10", "cn-hangzhou", regions) == {
        "alibabacloud.com/acs": "true", "alibabacloud.com/compute-class": "gpu", "alibabacloud.com/compute-qos": "default",
        "alibabacloud.com/gpu-model-series": "A10", "alibabacloud.com/serverless-region-id": "cn-hangzhou"}
    assert "alibabacloud.com/serverless-region-id" not in pod_labels("general-purpose", regions=regions)
    for bad in (dict(compute_class="gpu"), dict(compute_class="general-purpose", gpu_model_series="A10"),
                dict(compute_class="tpu"), dict(compute_class="general-purpose", region="us-west-1", regions=regions),
                dict(compute_class="general-purpose", compute_qos="gold")):
        with pytest.raises(ValueError):
            pod_labels(**bad)


def test_examples_are_schema_valid_and_keep_compute_labels_out_of_selectors(prod_raw):
    p = load(prod_raw)
    regions = [r.id for r in p.virtual_node.regions]
    objs = [example_deployment(ex, regions, "cn-beijing") for ex in examples("cn-beijing", regions[1:], "A10")]
    assert len(objs) == 4
    version = ".".join(p.idc.kubernetes_version.split(".")[:2])
    for obj in objs:
        kubernetes_validate.validate(obj, version, strict=True)
        assert set(obj["spec"]["selector"]["matchLabels"]) == {"app"}
    pinned = {o["metadata"]["name"]: o["spec"]["template"]["metadata"]["labels"].get("alibabacloud.com/serverless-region-id") for o in objs}
    assert pinned == {"serverless-cpu-default": None, "serverless-cpu-cn-hangzhou": "cn-hangzhou",
                      "serverless-gpu-default": None, "serverless-gpu-cn-hangzhou": "cn-hangzhou"}
    with pytest.raises(kubernetes_validate.ValidationError):
        broken = objs[0] | {"spec": {**objs[0]["spec"], "replicas": "one"}}
        kubernetes_validate.validate(broken, version, strict=True)
