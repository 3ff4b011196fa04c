"""hybrid/device_plugin.py rendered for prod, checked against NVIDIA's static manifest (v0.17.4) and the API's rules."""

from __future__ import annotations

from pathlib import Path

import yaml

from hybrid import device_plugin
from hybrid.cni import waivers
from hybrid.model import load
from tests.test_mutation_cni import _api_rules, _quantity

UPSTREAM = yaml.safe_load((Path(__file__).parent / "data" / "nvidia-k8s-device-plugin-v0.17.4" / "nvidia-device-plugin.yml").read_text())
UP_CTR = UPSTREAM["spec"]["template"]["spec"]["containers"][0]


def test_container_and_volume_are_nvidias(prod_raw):
    p = load(prod_raw)
    ds = device_plugin.daemonset(p, "cn-hangzhou")
    _api_rules(ds)  # mounts name volumes, requests within limits, quantities parse, no privileged/no-escalation mix
    spec = ds["spec"]["template"]["spec"]
    (ctr,) = spec["containers"]
    assert ctr["name"] == UP_CTR["name"]
    assert ctr["volumeMounts"] == UP_CTR["volumeMounts"]
    assert spec["volumes"] == UPSTREAM["spec"]["template"]["spec"]["volumes"]
    assert ctr["securityContext"]["privileged"] is False and ctr["imagePullPolicy"] == "IfNotPresent"
    # The plugin's limits leave the node its cores and memory: within the smallest prod GPU instance,
    # ecs.gn6i-c16g1.4xlarge (16 vCPUs, 62 GiB: Alibaba "GPU-accelerated compute-optimized instance families", gn6i).
    assert set(ctr["resources"]["limits"]) == {"cpu", "memory"}
    assert _quantity(ctr["resources"]["limits"]["cpu"]) <= 16
    assert _quantity(ctr["resources"]["limits"]["memory"]) <= 62 * 2**30
    assert ds["metadata"]["name"] == "nvidia-device-plugin-cn-hangzhou"
    labels = {"app.kubernetes.io/name": "nvidia-device-plugin", "app.kubernetes.io/managed-by": "pulumi",
              "topology.kubernetes.io/region": "cn-hangzhou"}
    assert ds["metadata"]["labels"] == labels and ds["spec"]["selector"]["matchLabels"] == labels
    assert ds["metadata"]["namespace"] == p.gpu.device_plugin.namespace


def test_node_terms_select_the_regions_cloud_gpu_nodes(prod_raw):
    p = load(prod_raw)
    assert device_plugin.node_terms(p, "cn-beijing") == [
        {"key": "alibabacloud.com/external", "operator": "In", "values": ["true"]},
        {"key": "topology.kubernetes.io/region", "operator": "In", "values": ["cn-beijing"]},
        {"key": "hybrid.example.com/gpu-pool", "operator": "Exists"}]


def test_image_fills_the_region_into_the_repository(prod_raw):
    prod_raw["gpu"]["devicePlugin"]["image"] = "registry-vpc.{region}.aliyuncs.com/acs/k8s-device-plugin"
    p = load(prod_raw)
    assert device_plugin.image(p, "cn-zhangjiakou") == "registry-vpc.cn-zhangjiakou.aliyuncs.com/acs/k8s-device-plugin:v0.17.4"


def test_every_region_with_either_kind_of_gpu_pool_gets_a_plugin(prod_raw):
    # prod: cn-beijing (fixed and elastic), cn-hangzhou and cn-zhangjiakou (fixed).
    prod_raw["regions"][1]["gpuPools"] = []
    prod_raw["placement"]["workloads"] = [w for w in prod_raw["placement"]["workloads"] if "cn-hangzhou" not in w.get("weights", {})]
    p = load(prod_raw)
    assert [r.id for r in device_plugin.gpu_regions(p)] == ["cn-beijing", "cn-zhangjiakou"]


def test_waivers_speak_of_the_device_plugin(prod_raw):
    ds = device_plugin.daemonset(load(prod_raw), "cn-beijing")
    reasons = {check: reason for _, check, reason in waivers(ds)}
    assert set(reasons) == {"CKV_K8S_8", "CKV_K8S_9", "CKV_K8S_15", "CKV_K8S_22", "CKV_K8S_23", "CKV_K8S_40",
                            "CKV_K8S_43", "CKV2_K8S_6"}
    # The shared CNI reasons, reworded for this DaemonSet: nothing about CNI pods or cni.* config.
    assert "the device plugin must restart from the node's image cache while the registry is unreachable" in reasons["CKV_K8S_15"]
    assert "(gpu.devicePlugin.version)" in reasons["CKV_K8S_43"]
    assert not any("CNI" in r or "cni." in r for r in reasons.values())
