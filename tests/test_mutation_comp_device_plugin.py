"""components.device_plugin.GpuDevicePlugin under Pulumi's mocks: what the engine receives.

Worked by hand from stacks/Pulumi.prod.yaml: GPU pools (fixed or elastic) in cn-beijing, cn-hangzhou and
cn-zhangjiakou, gpu.provider device-plugin. Upstream: github:NVIDIA/k8s-device-plugin
deployments/static/nvidia-device-plugin.yml (container nvidia-device-plugin-ctr, hostPath
/var/lib/kubelet/device-plugins); github:NVIDIA/gpu-operator api/nvidia/v1/clusterpolicy_types.go
(ClusterPolicy, group nvidia.com, version v1, cluster-scoped)."""

from __future__ import annotations

import copy

import pulumi

from hybrid.model import load
from tests.component_graph import provider_urn, watch
from tests.conftest import settle

DS = "kubernetes:apps/v1:DaemonSet"
COMP = "hybrid:gpu:DevicePlugin"
REGIONS = ["cn-beijing", "cn-hangzhou", "cn-zhangjiakou"]


def _program(raw, name):
    import pulumi_kubernetes as k8s

    from components.device_plugin import GpuDevicePlugin, GpuDevicePluginArgs

    idc = k8s.Provider("idc", kubeconfig="x")
    plugin = GpuDevicePlugin(name, GpuDevicePluginArgs(platform=load(raw)),
                             opts=pulumi.ResourceOptions(providers={"kubernetes": idc}))
    return {"plugin": plugin, "urn": plugin.urn, "idc": idc.urn}


def test_one_daemonset_per_gpu_region_under_the_component_through_the_idc_provider(pulumi_mocks, prod_raw):
    mon = watch(pulumi_mocks, prod_raw, stack="prod")
    got = settle(lambda: _program(prod_raw, "gpu"))

    comp = mon.one(COMP, "gpu")
    assert got["urn"] == comp.urn
    ds = mon.of_type(DS)
    assert [d.name for d in ds] == [f"gpu-nvidia-device-plugin-{r}" for r in REGIONS]
    for region, d in zip(REGIONS, ds):
        assert d.parent == comp.urn
        assert provider_urn(d.provider) == got["idc"]
        meta, spec = d.inputs["metadata"], d.inputs["spec"]
        assert meta["name"] == f"nvidia-device-plugin-{region}"
        assert meta["labels"]["topology.kubernetes.io/region"] == region
        pod = spec["template"]["spec"]
        (ctr,) = pod["containers"]
        assert ctr["name"] == "nvidia-device-plugin-ctr"
        assert {"name": "kubelet-device-plugins-dir",
                "hostPath": {"path": "/var/lib/kubelet/device-plugins", "type": "Directory"}} in pod["volumes"]
        # it selects the region's nodes (the nodes of another region get another DaemonSet)
        terms = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
        assert {"key": "topology.kubernetes.io/region", "operator": "In", "values": [region]} in terms[0]["matchExpressions"]
    # the component's handles: region id -> DaemonSet, and its registered outputs
    plugin = got["plugin"]
    assert sorted(plugin.daemonsets) == REGIONS and plugin.cluster_policy is None
    assert mon.outputs_of(COMP, "gpu") == {"daemonSets": REGIONS}
    assert mon.reads == {}


def test_with_the_gpu_operator_the_component_reads_its_cluster_policy_and_declares_nothing(pulumi_mocks, prod_raw):
    raw = copy.deepcopy(prod_raw)
    raw["gpu"] = {"provider": "gpu-operator", "gpuOperatorClusterPolicy": "cluster-policy-prod"}
    mon = watch(pulumi_mocks, raw, stack="prod")
    got = settle(lambda: _program(raw, "gpu-op"))

    comp = mon.one(COMP, "gpu-op")
    assert mon.of_type(DS) == []
    (key,) = mon.reads
    read = mon.reads[key]
    assert key == ("kubernetes:nvidia.com/v1:ClusterPolicy", "gpu-op-cluster-policy")
    assert read["id"] == "cluster-policy-prod"
    assert read["parent"] == comp.urn
    assert provider_urn(read["provider"]) == got["idc"]
    assert got["plugin"].daemonsets == {} and got["plugin"].cluster_policy is not None
    assert mon.outputs_of(COMP, "gpu-op") == {"daemonSets": []}
