"""Terway the vendor's way (cni.terway.install: addon) beside the self-managed DaemonSets (manifest).

Expectations are upstream facts written out by hand (the CS API's addon name, the provider's
documented config keys, the chart's paths) or hand-built networks, never the renderer's own tables.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest
import yaml

from hybrid import cni as plan
from tests import cni_declared
from hybrid.errors import ConfigError
from hybrid.model import load

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "Pulumi.prod-addon.yaml"
NS = "hybrid-gpu-platform:"
HEADER = """\
# prod in Terway addon mode (cni.terway.install: addon), for tests and `hybrid-gpu plan --config`.
# Generated from stacks/Pulumi.prod.yaml by `python tests/test_terway_addon.py` (a test fails on drift):
# the same stack, except that one addon serves one region, so cloud nodes run only in the registration
# region: the other regions stay as serverlessOnly VPCs for ack-virtual-node, without their GPU pools,
# Fleet members and placement weights. prod itself in addon mode is rejected naming cni.terway.install.
"""


def prod_addon(doc: dict) -> dict:
    """prod's stack file turned into the addon-mode fixture."""
    doc = copy.deepcopy(doc)
    c = doc["config"]
    reg = c[NS + "registration"]["regionId"]
    gone = set()
    for r in c[NS + "regions"]:
        if r["id"] != reg:
            r["serverlessOnly"] = True
            r.pop("gpuPools", None)
            gone.add(r["id"])
    c[NS + "cni"]["terway"]["install"] = "addon"
    members = c[NS + "registration"].get("fleet", {}).get("members", {})
    for rid in gone:
        members.pop(rid, None)
        c.get(NS + "nodeAccess", {}).get("regions", {}).pop(rid, None)
    for w in c[NS + "placement"].get("workloads", []):
        for rid in gone:
            (w.get("weights") or {}).pop(rid, None)
    return doc


def _prod_doc() -> dict:
    return yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())


def _raw(doc: dict) -> dict:
    return {k[len(NS):]: v for k, v in doc["config"].items() if k.startswith(NS)}


def test_fixture_is_prod_in_addon_mode():
    assert yaml.safe_load(FIXTURE.read_text()) == prod_addon(_prod_doc()), \
        "tests/fixtures/Pulumi.prod-addon.yaml drifted from prod: run `python tests/test_terway_addon.py`"


def _addon_raw() -> dict:
    return _raw(yaml.safe_load(FIXTURE.read_text()))


def _region(p, rid):
    """Plain ids as the network hands them over: one made-up pod vSwitch per zone."""
    r = p.region(rid)
    return plan.TerwayRegion(r.id, {z.id: f"vsw-pods-{z.id}" for z in r.zones}, [f"sg-pods-{r.id}"], r.ipv6)


# --- the model ----------------------------------------------------------------

def test_prod_in_addon_mode_is_one_problem_naming_the_field():
    raw = _raw(_prod_doc())
    raw["cni"]["terway"]["install"] = "addon"
    with pytest.raises(ConfigError) as err:
        load(raw)
    issues = err.value.issues
    assert [i.path for i in issues] == ["cni.terway.install"]
    assert "cn-hangzhou" in issues[0].message and "cn-zhangjiakou" in issues[0].message
    assert "cn-beijing," not in issues[0].message  # the registration region is the one it can serve


def test_manifest_is_the_default_and_prod_keeps_it():
    assert load(_raw(_prod_doc())).cni.terway.install == "manifest"
    minimal = _raw(_prod_doc())
    minimal["cni"]["terway"].pop("install", None)
    assert load(minimal).cni.terway.install == "manifest"


def test_ipvlan_is_refused_while_the_guard_and_tc_need_the_veth_datapath():
    """The metadata guard (FORWARD chain) and tc shaping see pod traffic only on the veth datapath."""
    raw = _raw(_prod_doc())
    raw["cni"]["terway"]["ipvlan"] = True
    with pytest.raises(ConfigError) as err:
        load(raw)
    assert [i.path for i in err.value.issues] == ["cni.terway.ipvlan"]
    assert "metadata guard" in err.value.issues[0].message
    addon = _addon_raw()  # the registration region runs GPU pools: guard and tc on its nodes
    addon["cni"]["terway"]["ipvlan"] = True
    with pytest.raises(ConfigError) as err:
        load(addon)
    (issue,) = err.value.issues
    assert issue.path == "cni.terway.ipvlan" and "metadata guard" in issue.message and "\n" not in issue.render()
    print(issue.render())
    # Without cloud GPU nodes (serverless only) nothing relies on the veth path: IPVlan is the addon's choice.
    from types import SimpleNamespace

    from hybrid.model import cni as cni_model

    addon["cni"]["terway"]["ipvlan"] = False
    p = load(addon)
    with_ipvlan = p.cni.model_copy(update={"terway": p.cni.terway.model_copy(update={"ipvlan": True})})
    serverless = [r.model_copy(update={"gpu_pools": [], "elastic_pools": []}) for r in p.regions]
    assert list(cni_model.check(SimpleNamespace(cni=with_ipvlan, regions=serverless))) == []
    assert list(cni_model.check(SimpleNamespace(cni=with_ipvlan, regions=p.regions)))


def test_addon_mode_needs_the_label_the_component_schedules_on():
    raw = _addon_raw()
    raw["cni"]["cloudNodeLabel"] = {"key": "hybrid.example.com/cloud", "value": "true"}
    with pytest.raises(ConfigError) as err:
        load(raw)
    assert [i.path for i in err.value.issues] == ["cni.cloudNodeLabel"]
    # Alibaba's doc: the component runs on alibabacloud.com/external=true nodes.
    assert "alibabacloud.com/external=true" in err.value.issues[0].message
    manifest = copy.deepcopy(raw)
    manifest["cni"]["terway"]["install"] = "manifest"
    assert load(manifest).cni.cloud_node_label.key == "hybrid.example.com/cloud"


@pytest.mark.parametrize("mode", ["accessKey", "credentialFile"])
def test_addon_mode_takes_the_node_role_not_the_manifest_secrets(mode):
    raw = _addon_raw()
    raw["cni"]["terway"]["credentials"] = mode
    with pytest.raises(ConfigError) as err:
        load(raw)
    assert [i.path for i in err.value.issues] == ["cni.terway.credentials"]
    assert load(_addon_raw()).cni.terway.credentials == "instanceRole" and load(_addon_raw()).identity.node_role


# --- rendering ------------------------------------------------------------------

def test_addon_mode_declares_no_terway_object_of_its_own(pulumi_mocks):
    _, objs, _ = cni_declared.declared(pulumi_mocks, _addon_raw())
    # calico-node's affinity patch and the cloud nodes' kube-proxy (both install modes need it), nothing of Terway.
    assert sorted((o["kind"], o["metadata"]["name"]) for o in objs) == [
        ("ConfigMap", "kube-proxy-cloud"), ("DaemonSet", "calico-node"), ("DaemonSet", "kube-proxy"), ("DaemonSet", "kube-proxy-cloud")]
    # The same stack in manifest mode does declare them: the difference is the install mode alone.
    manifest = {**_addon_raw(), "cni": {**_addon_raw()["cni"], "terway": {**_addon_raw()["cni"]["terway"], "install": "manifest"}}}
    names = {o["metadata"]["name"] for o in cni_declared.declared(pulumi_mocks, manifest)[1]}
    assert {"terway-eniip-cn-beijing", "eni-config-cn-beijing", "terway"} <= names


def test_addon_config_has_every_zones_pod_vswitch_and_the_documented_flags():
    p = load(_addon_raw())
    conf = json.loads(plan.addon_config_json(p.cni, _region(p, "cn-beijing")))
    # Spellings and value types as aliyun/terraform-provider-alicloud writes them for terway-eniip
    # (website/docs/r/cs_managed_kubernetes.html.markdown, resource_alicloud_cs_kubernetes_addon_test.go).
    assert conf["IPVlan"] == "false" and conf["NetworkPolicy"] == "false" and conf["ENITrunking"] == "false"
    assert conf["MaxPoolSize"] == 5
    vsw_key, sg_key = plan.addon_keys()["pod_vswitches"].json, plan.addon_keys()["security_groups"].json
    # prod's registration region has three zones (stacks/Pulumi.prod.yaml), each with its pod vSwitch.
    assert conf[vsw_key] == ["vsw-pods-cn-beijing-g", "vsw-pods-cn-beijing-h", "vsw-pods-cn-beijing-i"]
    assert conf[sg_key] == ["sg-pods-cn-beijing"]
    assert set(conf) == {"IPVlan", "NetworkPolicy", "ENITrunking", "MaxPoolSize", vsw_key, sg_key}


def test_unconfirmed_addon_keys_come_from_the_one_table():
    from hybrid import unconfirmed

    keys = plan.addon_keys()
    assert unconfirmed.value("terway.addonConfigKeys").split(",") == [keys["pod_vswitches"].json, keys["security_groups"].json]
    for name, key in keys.items():
        assert key.source, name


def test_addon_zone_added_reaches_the_config():
    raw = _addon_raw()
    raw["regions"][0]["zones"].append("cn-beijing-j")
    p = load(raw)
    before = json.loads(plan.addon_config_json(load(_addon_raw()).cni, _region(load(_addon_raw()), "cn-beijing")))
    after = json.loads(plan.addon_config_json(p.cni, _region(p, "cn-beijing")))
    key = plan.addon_keys()["pod_vswitches"].json
    assert set(after[key]) - set(before[key]) == {"vsw-pods-cn-beijing-j"}


def test_addon_version_is_the_stack_version_in_the_cs_form():
    raw = _addon_raw()
    raw["cni"]["terway"]["version"] = "v1.16.8"
    assert plan.addon_version(load(raw).cni) == "v1.16.8"


def test_addon_config_refuses_a_region_without_pod_vswitches():
    p = load(_addon_raw())
    with pytest.raises(ValueError, match="no pod vSwitches"):
        plan.addon_config(p.cni, plan.TerwayRegion("cn-beijing", {}, ["sg-1"]))


# --- the registered cluster -------------------------------------------------------

def test_create_cluster_body_carries_the_pod_vswitches_the_sdk_knows():
    from alibabacloud_cs20151215 import models

    from hybrid.ack_api import ClusterSpec

    spec = ClusterSpec(name="idc-bj", region_id="cn-beijing", vpc_id="vpc-1", service_cidr="172.21.0.0/20",
                       pod_vswitch_ids=("vsw-pods-g", "vsw-pods-h"))
    body = spec.create_body()
    assert body["pod_vswitch_ids"] == ["vsw-pods-g", "vsw-pods-h"]
    # The official SDK keeps the field through its own model (an unknown key would be dropped).
    assert models.CreateClusterRequest().from_map(body).to_map()["pod_vswitch_ids"] == ["vsw-pods-g", "vsw-pods-h"]
    assert "pod_vswitch_ids" not in ClusterSpec(name="x", region_id="cn-beijing", vpc_id="vpc-1").create_body()


def test_pod_vswitches_are_create_only_on_the_registered_cluster():
    """A later change (a zone added, or a stack switched to addon mode) never replaces the cluster."""
    from components.registered_cluster import RegisteredClusterProvider

    olds = {"cluster_name": "idc-bj", "region_id": "cn-beijing", "vpc_id": "vpc-1", "service_cidr": "172.21.0.0/20",
            "deletion_protection": True, "agent_endpoint": "private", "agent_mode": "restricted",
            "pod_vswitch_ids": ["vsw-g", "vsw-h"]}
    for news in ({**olds, "pod_vswitch_ids": ["vsw-g", "vsw-h", "vsw-j"]}, {k: v for k, v in olds.items() if k != "pod_vswitch_ids"}):
        d = RegisteredClusterProvider().diff("c1", olds, news)
        assert not d.changes and not d.replaces
    # ... while the Service CIDR, also fixed at creation, does force a new cluster.
    assert RegisteredClusterProvider().diff("c1", olds, {**olds, "service_cidr": "172.22.0.0/20"}).replaces == ["service_cidr"]


# --- the whole program under the mock runtime (hybrid-gpu plan) ---------------------

SWITCH = "alicloud:vpc/switch:Switch"
ADDON = "alicloud:cs/kubernetesAddon:KubernetesAddon"


def _plan(doc: dict, tmp: Path):
    from hybrid_tools.plan import build_plan

    path = tmp / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    _, platform, run, _ = build_plan("prod", root=ROOT, config_file=path)
    return platform, list(run.registrations.values()), run


def _pod_vswitch_ids(regs, region: str) -> dict[str, str]:
    """zone -> the id the mock runtime gives that zone's pod vSwitch (hybrid_tools.mockrun.fake_id)."""
    from hybrid_tools.mockrun import fake_id

    # The mock keys its ids on "<type>::<name>" (PlanMocks.new_resource).
    return {r.inputs["zoneId"]: fake_id(SWITCH, f"{SWITCH}::{r.name}") for r in regs
            if r.type == SWITCH and r.name.startswith(f"{region}-") and r.name.endswith("-pods")}


@pytest.fixture(scope="module")
def addon_plans(tmp_path_factory):
    doc = yaml.safe_load(FIXTURE.read_text())
    grown = copy.deepcopy(doc)
    grown["config"][NS + "regions"][0]["zones"].append("cn-beijing-j")  # auto-planned pod and node vSwitch
    bumped = copy.deepcopy(doc)
    bumped["config"][NS + "cni"]["terway"]["version"] = "v1.16.8"
    return (_plan(doc, tmp_path_factory.mktemp("addon")), _plan(grown, tmp_path_factory.mktemp("grown")),
            _plan(bumped, tmp_path_factory.mktemp("bumped")))


def test_prod_addon_plan_has_the_addon_with_every_zone_and_no_terway_object(addon_plans):
    (p, regs, _), _, _ = addon_plans
    addons = [r for r in regs if r.type == ADDON and r.inputs.get("name") == "terway-eniip"]
    assert len(addons) == 1
    addon = addons[0]
    conf = json.loads(addon.inputs["config"])
    pods = _pod_vswitch_ids(regs, "cn-beijing")
    assert sorted(pods) == ["cn-beijing-g", "cn-beijing-h", "cn-beijing-i"]
    assert conf[plan.addon_keys()["pod_vswitches"].json] == [pods[z] for z in sorted(pods)]
    assert addon.inputs["version"] == "v1.16.7"
    # Installed once the agent is running (addon installs on a "waiting" cluster fail).
    assert any(d.endswith("kubernetes:apps/v1:Deployment::ack-agent") for d in addon.dependencies)
    # The registered cluster is created with the same pod vSwitches (CreateCluster pod_vswitch_ids).
    cluster = next(r for r in regs if r.type == "pulumi-python:dynamic/ack:RegisteredCluster")
    assert cluster.inputs["pod_vswitch_ids"] == [pods[z] for z in sorted(pods)]
    # No Terway object of the program's own: no DaemonSet, ConfigMap, ServiceAccount or RBAC named for it.
    k8s = [r for r in regs if r.type.startswith("kubernetes:") and not r.type.startswith("pulumi:providers")]
    terway = [r.name for r in k8s if "terway" in r.name or "eni-config" in r.name]
    assert terway == []
    # (the NVIDIA device plugin DaemonSets, gpu-*, are the GPU component's, not the CNI's)
    assert [r.name for r in k8s if r.type == "kubernetes:apps/v1:DaemonSet" and not r.name.startswith("gpu-")] == [
        "cni-daemonset-kube-system-kube-proxy-cloud"]
    assert sorted(r.name for r in k8s if r.type == "kubernetes:apps/v1:DaemonSetPatch") == [
        "cni-calico-node-affinity", "cni-kube-proxy-affinity"]


def test_prod_addon_zone_added_reaches_the_addon_config(addon_plans):
    _, (p, regs, _), _ = addon_plans
    addon = next(r for r in regs if r.type == ADDON and r.inputs.get("name") == "terway-eniip")
    pods = _pod_vswitch_ids(regs, "cn-beijing")
    assert "cn-beijing-j" in pods
    listed = json.loads(addon.inputs["config"])[plan.addon_keys()["pod_vswitches"].json]
    assert pods["cn-beijing-j"] in listed and len(listed) == 4


def test_addon_upgrade_is_a_version_bump_shown_by_diff(addon_plans, tmp_path):
    from hybrid_tools import diff
    from hybrid_tools.plan import write_plan

    (p0, _, run0), _, (p1, _, run1) = addon_plans
    base, _ = write_plan("prod", tmp_path / "base", p0, run0)
    head, _ = write_plan("prod", tmp_path / "head", p1, run1)
    d = diff.compute(base, head)
    changed = [(c.kind, c.type, c.name) for c in d.resources]
    assert changed == [("changed", ADDON, "terway-addon")] and d.manifests == {}
    (prop,) = d.resources[0].props
    assert (prop.path, prop.old, prop.new, prop.effect) == ("version", "v1.16.7", "v1.16.8", "upgrade")


def test_addon_zone_added_in_diff_changes_the_config_and_never_the_cluster(addon_plans, tmp_path):
    from hybrid_tools import diff
    from hybrid_tools.plan import write_plan

    (p0, _, run0), (p1, regs1, run1), _ = addon_plans
    d = diff.compute(write_plan("prod", tmp_path / "base", p0, run0)[0], write_plan("prod", tmp_path / "head", p1, run1)[0])
    by_name = {c.name: c for c in d.resources}
    new_vsw = _pod_vswitch_ids(regs1, "cn-beijing")["cn-beijing-j"]
    (config,) = [pc for pc in by_name["terway-addon"].props if pc.path == "config"]
    assert new_vsw not in config.old and new_vsw in config.new
    cluster = by_name["ack-cluster"]
    assert {pc.path: pc.effect for pc in cluster.props if pc.path.startswith("pod_vswitch_ids")} == {
        "pod_vswitch_ids[3]": "creation only, not applied"}
    assert not any(pc.effect == "replace" for c in d.resources for pc in c.props)


if __name__ == "__main__":  # regenerate the fixture
    FIXTURE.write_text(HEADER + yaml.safe_dump(prod_addon(_prod_doc()), sort_keys=False, width=120))
    sys.exit(0)
