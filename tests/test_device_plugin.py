"""The NVIDIA device plugin DaemonSets: upstream facts, placement on cloud GPU nodes only, schema."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate as kv
import pulumi
import pytest
import yaml

from hybrid import device_plugin
from tests.k8s_affinity import Node, placement
from hybrid.model import load
from tests.conftest import settle

UPSTREAM = yaml.safe_load((Path(__file__).parent / "data" / "nvidia-k8s-device-plugin-v0.17.4" / "nvidia-device-plugin.yml").read_text())


def objs(raw):
    return {o["metadata"]["name"]: o for o in device_plugin.render(load(raw))}


def test_one_daemonset_per_region_with_pools_valid_for_the_cluster_version(prod_raw):
    p = load(prod_raw)
    got = objs(prod_raw)
    assert sorted(got) == ["nvidia-device-plugin-cn-beijing", "nvidia-device-plugin-cn-hangzhou", "nvidia-device-plugin-cn-zhangjiakou"]
    for o in got.values():
        kv.validate(o, p.idc.kubernetes_version, strict=True)


def test_carries_the_upstream_manifest_facts(prod_raw):
    up = UPSTREAM["spec"]["template"]["spec"]
    up_ctr = up["containers"][0]
    ds = objs(prod_raw)["nvidia-device-plugin-cn-hangzhou"]
    spec = ds["spec"]["template"]["spec"]
    ctr = spec["containers"][0]
    assert spec["priorityClassName"] == up["priorityClassName"]
    assert up["tolerations"][0] in spec["tolerations"]
    assert ctr["env"] == up_ctr["env"]
    assert ctr["volumeMounts"][0]["mountPath"] == up_ctr["volumeMounts"][0]["mountPath"]
    assert spec["volumes"][0]["hostPath"] == up["volumes"][0]["hostPath"]
    for key, value in up_ctr["securityContext"].items():
        assert ctr["securityContext"][key] == value
    # prod names NVIDIA's own image; its nodes reach nvcr.io through their nodeAccess mirror
    assert ctr["image"] == up_ctr["image"] == "nvcr.io/nvidia/k8s-device-plugin:v0.17.4"
    assert ds["spec"]["updateStrategy"] == UPSTREAM["spec"]["updateStrategy"]


def test_default_image_is_the_regions_vpc_registry(prod_raw):
    del prod_raw["gpu"]["devicePlugin"]["image"]
    for r in prod_raw["nodeAccess"]["regions"].values():
        r["registryMirrors"] = [m for m in r.get("registryMirrors", []) if m["upstream"] != "nvcr.io"]
    ctr = objs(prod_raw)["nvidia-device-plugin-cn-hangzhou"]["spec"]["template"]["spec"]["containers"][0]
    assert ctr["image"] == "registry-vpc.cn-hangzhou.aliyuncs.com/acs/k8s-device-plugin:v0.17.4"


def test_a_tag_is_never_appended_to_a_tagged_image(prod_raw):
    from hybrid.errors import ConfigError

    prod_raw["gpu"]["devicePlugin"]["image"] = "nvcr.io/nvidia/k8s-device-plugin:v0.17.4"
    with pytest.raises(ConfigError, match=r"gpu\.devicePlugin\.image: .*already carries a tag"):
        load(prod_raw)


def test_elastic_only_region_gets_a_plugin_tolerating_the_elastic_taints(prod_raw):
    # cn-beijing without fixed pools: only the elastic pool's nodes are GPU nodes there.
    prod_raw["regions"][0]["gpuPools"] = []
    prod_raw["placement"]["workloads"] = [w for w in prod_raw["placement"]["workloads"] if "cn-beijing" not in w.get("weights", {})]
    taint = {"key": "hybrid.example.com/elastic", "value": "true", "effect": "NoSchedule"}
    prod_raw["regions"][0]["elasticPools"][0]["taints"] = [taint]
    ds = objs(prod_raw)["nvidia-device-plugin-cn-beijing"]
    node = Node("elastic", {"alibabacloud.com/external": "true", "topology.kubernetes.io/region": "cn-beijing",
                            "hybrid.example.com/gpu-pool": "a10-elastic"}, [taint])
    assert placement(ds["spec"]["template"]["spec"], node) == (True, "")


def test_runs_only_on_cloud_gpu_nodes_of_its_region_and_tolerates_the_pool_taints(prod_raw):
    prod_raw["regions"][0]["gpuPools"][0]["taints"] = [{"key": "hybrid.example.com/cloud", "value": "true", "effect": "NoSchedule"}]
    spec = objs(prod_raw)["nvidia-device-plugin-cn-beijing"]["spec"]["template"]["spec"]
    gpu_taint = {"key": "hybrid.example.com/cloud", "value": "true", "effect": "NoSchedule"}
    cloud = {"alibabacloud.com/external": "true", "topology.kubernetes.io/region": "cn-beijing"}
    cases = [
        (Node("gpu", {**cloud, "hybrid.example.com/gpu-pool": "a10-train"}, [gpu_taint]), (True, "")),
        (Node("gpu-nvidia-tainted", {**cloud, "hybrid.example.com/gpu-pool": "a10-train"},
             [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}]), (True, "")),
        (Node("cloud-no-pool", cloud), (False, "nodeAffinity")),
        (Node("other-region", {**cloud, "topology.kubernetes.io/region": "cn-hangzhou", "hybrid.example.com/gpu-pool": "t4-infer"}), (False, "nodeAffinity")),
        (Node("idc", {"topology.kubernetes.io/region": "cn-beijing", "hybrid.example.com/gpu-pool": "x"}), (False, "nodeAffinity")),
        (Node("gpu-foreign-taint", {**cloud, "hybrid.example.com/gpu-pool": "a10-train"},
             [{"key": "dedicated", "value": "x", "effect": "NoSchedule"}]), (False, "taint dedicated:NoSchedule")),
    ]
    for node, want in cases:
        assert placement(spec, node) == want, node.name


def test_gpu_operator_mode_renders_no_daemonset(prod_raw):
    prod_raw["gpu"] = {"provider": "gpu-operator"}
    assert objs(prod_raw) == {}


def test_device_plugin_settings_with_gpu_operator_are_refused(prod_raw):
    from hybrid.errors import ConfigError

    prod_raw["gpu"] = {"provider": "gpu-operator", "devicePlugin": {"version": "v0.17.4"}}
    with pytest.raises(ConfigError, match="gpu: devicePlugin is set but provider is gpu-operator"):
        load(prod_raw)


def test_component_declares_daemonsets_or_reads_the_operators_cluster_policy(pulumi_mocks, prod_raw):
    import pulumi_kubernetes as k8s

    from components.device_plugin import GpuDevicePlugin, GpuDevicePluginArgs

    rec = pulumi_mocks(prod_raw, stack="prod")

    def program():
        provider = k8s.Provider("idc", kubeconfig="x")
        on_idc = pulumi.ResourceOptions(providers={"kubernetes": provider})
        plugin = GpuDevicePlugin("gpu", GpuDevicePluginArgs(platform=load(prod_raw)), opts=on_idc)
        op_raw = {**prod_raw, "gpu": {"provider": "gpu-operator"}}
        operator = GpuDevicePlugin("gpu-op", GpuDevicePluginArgs(platform=load(op_raw)), opts=on_idc)
        return plugin, operator

    plugin, operator = settle(program)
    ds = rec.of_type("kubernetes:apps/v1:DaemonSet")
    assert [a.name for a in ds] == ["gpu-nvidia-device-plugin-cn-beijing", "gpu-nvidia-device-plugin-cn-hangzhou",
                                    "gpu-nvidia-device-plugin-cn-zhangjiakou"]
    assert operator.daemonsets == {} and plugin.cluster_policy is None
    read = rec.of_type("kubernetes:nvidia.com/v1:ClusterPolicy")
    assert [(a.name, a.resource_id) for a in read] == [("gpu-op-cluster-policy", "cluster-policy")]
