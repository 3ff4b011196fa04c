"""components.gpu_metrics.GpuMetrics under Pulumi's mocks: what the engine receives.

Worked by hand from stacks/Pulumi.prod.yaml: metrics enabled (namespace gpu-metrics by default), GPU
pools a10-train, a100-burst, t4-infer, a10-overflow (fixed) and a10-elastic (elastic), no IDC node
selector. alicloud_arms_env_custom_job's schema (terraform-provider-alicloud
website/docs/r/arms_env_custom_job.html.markdown): env_custom_job_name, environment_id, config_yaml,
status run|stop, aliyun_lang zh|en."""

from __future__ import annotations

import copy

import pulumi
import pytest
import yaml

from hybrid.model import load
from tests.component_graph import provider_urn, watch
from tests.conftest import settle

COMP = "hybrid:metrics:GpuMetrics"
NS = "kubernetes:core/v1:Namespace"
DS = "kubernetes:apps/v1:DaemonSet"
CM = "kubernetes:core/v1:ConfigMap"
JOB = "alicloud:arms/envCustomJob:EnvCustomJob"
POOLS = ["a10-elastic", "a10-overflow", "a10-train", "a100-burst", "t4-infer"]


def metrics(raw, **kw):
    raw = copy.deepcopy(raw)
    raw["metrics"] = kw
    return raw


def _program(raw):
    import pulumi_alicloud as alicloud
    import pulumi_kubernetes as k8s

    from components.gpu_metrics import GpuMetrics, GpuMetricsArgs

    idc = k8s.Provider("idc", kubeconfig="x")
    bj = alicloud.Provider("bj", region="cn-beijing")
    gm = GpuMetrics("gm", GpuMetricsArgs(platform=load(raw)),
                    opts=pulumi.ResourceOptions(providers={"kubernetes": idc, "alicloud": bj}))
    return {"gm": gm, "idc": idc.urn, "bj": bj.urn}


def test_namespace_first_then_one_exporter_per_pool_and_the_scrape_configmap_in_it(pulumi_mocks, prod_raw):
    mon = watch(pulumi_mocks, prod_raw, stack="prod")
    got = settle(lambda: _program(prod_raw))
    comp = mon.one(COMP, "gm")

    ns = mon.one(NS, "gm-ns")
    assert ns.inputs["metadata"]["name"] == "gpu-metrics"
    assert ns.parent == comp.urn and ns.dependencies == []
    ds = mon.of_type(DS)
    assert [d.name for d in ds] == [f"gm-dcgm-exporter-{p}" for p in POOLS]
    cm = mon.one(CM, "gm-gpu-usage-prometheus")
    for child in (*ds, cm):
        assert child.parent == comp.urn
        # created in the namespace only once it exists
        assert child.dependencies == [ns.urn]
        assert child.inputs["metadata"]["namespace"] == "gpu-metrics"
    for child in (ns, *ds, cm):
        assert provider_urn(child.provider) == got["idc"]
    for pool, d in zip(POOLS, ds):
        assert d.inputs["metadata"]["name"] == f"dcgm-exporter-{pool}"
        assert d.inputs["spec"]["template"]["spec"]["containers"][0]["name"] == "exporter"
    assert yaml.safe_load(cm.inputs["data"]["gpu-scrape.yml"])["scrape_configs"][0]["job_name"] == "dcgm-exporter"
    assert "gpu-usage.rules.yml" in cm.inputs["data"]
    # in-cluster Prometheus: no ARMS job
    assert mon.of_type(JOB) == [] and got["gm"].custom_job is None
    assert sorted(got["gm"].daemonsets) == [f"dcgm-exporter-{p}" for p in POOLS]
    assert mon.outputs_of(COMP, "gm") == {"daemonSets": [f"dcgm-exporter-{p}" for p in POOLS]}


def test_managed_prometheus_gets_the_same_scrape_job_as_a_running_arms_custom_job(pulumi_mocks, prod_raw):
    raw = metrics(prod_raw, enabled=True, prometheus="managed", managed={"environmentId": "env-abc123"})
    mon = watch(pulumi_mocks, raw, stack="prod")
    got = settle(lambda: _program(raw))
    comp = mon.one(COMP, "gm")

    job = mon.one(JOB, "gm-scrape")
    assert job.parent == comp.urn and provider_urn(job.provider) == got["bj"]
    assert job.inputs["envCustomJobName"] == "dcgm-exporter"
    assert job.inputs["environmentId"] == "env-abc123"
    assert job.inputs["status"] == "run"
    assert job.inputs["aliyunLang"] == "en"
    cm = mon.one(CM, "gm-gpu-usage-prometheus")
    # the job ARMS runs is the scrape file the in-cluster Prometheus would mount
    assert yaml.safe_load(job.inputs["configYaml"]) == yaml.safe_load(cm.inputs["data"]["gpu-scrape.yml"])
    assert yaml.safe_load(job.inputs["configYaml"])["scrape_configs"][0]["job_name"] == "dcgm-exporter"
    assert got["gm"].custom_job is not None


def test_disabled_metrics_declare_nothing_not_even_a_managed_job(pulumi_mocks, prod_raw):
    raw = metrics(prod_raw, enabled=False, prometheus="managed", managed={"environmentId": "env-abc123"})
    mon = watch(pulumi_mocks, raw, stack="prod")
    got = settle(lambda: _program(raw))
    comp = mon.one(COMP, "gm")
    assert mon.children(comp.urn) == []
    assert got["gm"].custom_job is None and got["gm"].daemonsets == {}
    assert mon.outputs_of(COMP, "gm") == {"daemonSets": []}


def test_a_kind_without_a_resource_is_refused_by_name(pulumi_mocks, prod_raw, monkeypatch):
    from hybrid import gpu_metrics

    real = gpu_metrics.objects
    monkeypatch.setattr(gpu_metrics, "objects", lambda p: [*real(p), {"kind": "Service", "metadata": {"name": "s"}}])
    watch(pulumi_mocks, prod_raw, stack="prod")
    with pytest.raises(TypeError) as e:
        settle(lambda: _program(prod_raw))
    assert str(e.value) == "gpu metrics: no resource for kind Service"
