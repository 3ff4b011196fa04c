"""dcgm-exporter on every GPU node, its scrape job and the ConfigMap: upstream facts, placement, schema."""

from __future__ import annotations

import copy

import kubernetes_validate as kv
import pulumi
import pytest
import yaml

from hybrid import gpu_metrics
from hybrid.model import load
from tests.conftest import settle
from tests.k8s_affinity import Node, placement


def enabled(raw, **metrics):
    raw = copy.deepcopy(raw)
    raw["metrics"] = {"enabled": True, **metrics}
    return raw


def by_name(raw):
    return {o["metadata"]["name"]: o for o in gpu_metrics.objects(load(raw))}


def test_off_by_default_on_in_prod(dev_raw, prod_raw):
    assert gpu_metrics.objects(load(dev_raw)) == []
    assert "dcgm-exporter-a10-train" in by_name(prod_raw)


def test_one_daemonset_per_gpu_pool_fixed_and_elastic_labelled_with_the_lease_owner(prod_raw):
    # stacks/Pulumi.prod.yaml: four fixed pools with leases, one elastic pool without.
    want = {"a10-train": "ml-platform", "a100-burst": "llm-research", "t4-infer": "inference",
            "a10-overflow": "ml-platform", "a10-elastic": None}
    objs = by_name(prod_raw)
    ds = {o["metadata"]["labels"]["hybrid.example.com/gpu-pool"]: o for o in objs.values() if o["kind"] == "DaemonSet"}
    assert set(ds) == set(want)
    p = load(prod_raw)
    for pool, owner in want.items():
        labels = ds[pool]["spec"]["template"]["metadata"]["labels"]
        assert labels.get("hybrid.example.com/lease-owner") == owner
        kv.validate(ds[pool], p.idc.kubernetes_version, strict=True)
    for o in objs.values():
        kv.validate(o, p.idc.kubernetes_version, strict=True)


def test_carries_the_upstream_chart_facts(prod_raw):
    # github:NVIDIA/dcgm-exporter deployment/values.yaml and templates/daemonset.yaml (chart 4.8.2).
    c = by_name(prod_raw)["dcgm-exporter-a10-train"]["spec"]["template"]["spec"]["containers"][0]
    assert c["image"].endswith("/dcgm-exporter:4.5.3-4.8.2-distroless")
    assert c["args"] == ["-f", "/etc/dcgm-exporter/default-counters.csv"]
    assert {e["name"]: e.get("value") for e in c["env"]}["DCGM_EXPORTER_KUBERNETES"] == "true"
    assert {e["name"]: e.get("value") for e in c["env"]}["DCGM_EXPORTER_LISTEN"] == ":9400"
    assert c["ports"] == [{"name": "metrics", "containerPort": 9400, "protocol": "TCP"}]
    assert c["volumeMounts"][0]["mountPath"] == "/var/lib/kubelet/pod-resources" and c["volumeMounts"][0]["readOnly"]
    assert c["livenessProbe"]["httpGet"]["path"] == "/health"


def test_image_registry_is_one_setting(prod_raw):
    p = load(enabled(prod_raw, exporter={"image": "10.1.0.30:5000/mirror/dcgm-exporter"}))  # the IDC registry, over the leased line
    imgs = {c["image"] for o in gpu_metrics.objects(p) if o["kind"] == "DaemonSet" for c in o["spec"]["template"]["spec"]["containers"]}
    assert imgs == {"10.1.0.30:5000/mirror/dcgm-exporter:4.5.3-4.8.2-distroless"}
    default = load(prod_raw)
    assert gpu_metrics.image(default, "cn-hangzhou") == "registry-vpc.cn-hangzhou.aliyuncs.com/acs/dcgm-exporter:4.5.3-4.8.2-distroless"


def test_runs_on_its_pools_nodes_only_and_tolerates_their_taints(prod_raw):
    spec = by_name(prod_raw)["dcgm-exporter-a10-train"]["spec"]["template"]["spec"]
    taint = {"key": "hybrid.example.com/cloud", "value": "true", "effect": "PreferNoSchedule"}
    bj = {"topology.kubernetes.io/region": "cn-beijing"}
    cases = [
        (Node("a10", {**bj, "hybrid.example.com/gpu-pool": "a10-train"}, [taint, {"key": "nvidia.com/gpu", "value": "x", "effect": "NoSchedule"}]), True),
        (Node("a100", {**bj, "hybrid.example.com/gpu-pool": "a100-burst"}), False),
        (Node("same-name-other-region", {"topology.kubernetes.io/region": "cn-hangzhou", "hybrid.example.com/gpu-pool": "a10-train"}), False),
        (Node("idc", {}), False),
    ]
    for node, want in cases:
        assert placement(spec, node)[0] is want, node.name


def test_idc_gpu_nodes_optionally(prod_raw):
    objs = by_name(enabled(prod_raw, idcNodeSelector={"nvidia.com/gpu.present": "true"}))
    spec = objs["dcgm-exporter-idc"]["spec"]["template"]["spec"]
    assert placement(spec, Node("idc-gpu", {"nvidia.com/gpu.present": "true"}))[0]
    assert not placement(spec, Node("idc-cpu", {}))[0]


def test_scrape_job_maps_the_pod_labels_the_daemonsets_carry(prod_raw):
    # Prometheus' kubernetes_sd (role pod) names a pod label __meta_kubernetes_pod_label_<name> with every
    # character outside [a-zA-Z0-9_] replaced by '_' (prometheus docs, configuration, kubernetes_sd_config).
    job = gpu_metrics.scrape_job(load(prod_raw))
    targets = {r.get("target_label"): r["source_labels"] for r in job["relabel_configs"] if r.get("target_label")}
    assert targets == {"pool": ["__meta_kubernetes_pod_label_hybrid_example_com_gpu_pool"],
                       "owner": ["__meta_kubernetes_pod_label_hybrid_example_com_lease_owner"],
                       "node": ["__meta_kubernetes_pod_node_name"]}
    assert job["kubernetes_sd_configs"] == [{"role": "pod", "namespaces": {"names": ["gpu-metrics"]}}]
    cm = by_name(prod_raw)["gpu-usage-prometheus"]["data"]
    assert yaml.safe_load(cm["gpu-scrape.yml"]) == {"scrape_configs": [job]}
    assert yaml.safe_load(cm["gpu-usage.rules.yml"])["groups"][0]["name"] == "hybrid-gpu-usage"


def test_managed_prometheus_needs_its_environment(prod_raw):
    from hybrid.errors import ConfigError

    with pytest.raises(ConfigError) as e:
        load(enabled(prod_raw, prometheus="managed"))
    assert "managed.environmentId" in e.value.render()


def test_component_declares_the_objects_and_the_arms_job_when_managed(pulumi_mocks, prod_raw):
    import pulumi_alicloud as alicloud
    import pulumi_kubernetes as k8s

    from components.gpu_metrics import GpuMetrics, GpuMetricsArgs

    raw = enabled(prod_raw, prometheus="managed", managed={"environmentId": "env-abc123"})
    rec = pulumi_mocks(raw, stack="prod")

    def program():
        opts = pulumi.ResourceOptions(providers={"kubernetes": k8s.Provider("idc", kubeconfig="x"),
                                                 "alicloud": alicloud.Provider("bj", region="cn-beijing")})
        return GpuMetrics("gpu-metrics", GpuMetricsArgs(platform=load(raw)), opts=opts)

    settle(program)
    assert len(rec.of_type("kubernetes:apps/v1:DaemonSet")) == 5
    (job,) = rec.of_type("alicloud:arms/envCustomJob:EnvCustomJob")
    assert job.inputs["environmentId"] == "env-abc123"
    assert yaml.safe_load(job.inputs["configYaml"])["scrape_configs"][0]["job_name"] == "dcgm-exporter"
