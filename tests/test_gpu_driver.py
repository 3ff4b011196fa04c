"""The driver path of GPU pools: required, and checked against Alibaba's driver table per instance family."""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest
import yaml

from hybrid.errors import ConfigError
from hybrid.model import load
from hybrid.model.gpu_driver import instance_family
from tests.conftest import PROJECT, ROOT, stack_raw


def pool(raw, i=0):
    return raw["regions"][0]["gpuPools"][i]


def problems(raw) -> list[str]:
    with pytest.raises(ConfigError) as e:
        load(raw)
    return [i.render() for i in e.value.issues]


def test_family_of_instance_types():
    # hand-read from Alibaba's instance type names
    assert instance_family("ecs.gn7i-c32g1.8xlarge") == "gn7i"
    assert instance_family("ecs.gn6i-c4g1.xlarge") == "gn6i"
    assert instance_family("ecs.ebmgn7ex.32xlarge") == "ebmgn7ex"
    assert instance_family("ecs.sgn7i-vws-m2.xlarge") == "sgn7i-vws"
    assert instance_family("ecs.gn8is-2x.8xlarge") == "gn8is"


def test_a_gpu_pool_without_driver_path_names_the_field(dev_raw):
    del pool(dev_raw)["driver"]
    [line] = problems(dev_raw)
    assert line.startswith("regions[0].gpuPools[0].driver: ecs.gn7i-c8g1.2xlarge is a GPU instance type but the pool declares no NVIDIA driver path")
    assert "Fix: add driver:" in line


def test_branch_not_offered_for_the_family(dev_raw):
    pool(dev_raw)["driver"]["branch"] = "580"
    [line] = problems(dev_raw)
    # Alibaba's table: gn7i takes Tesla 470, 535 or 550
    assert line.startswith("regions[0].gpuPools[0].driver: driver branch 580 is not offered for family gn7i (Alibaba lists 470, 535, 550).")


def test_vgpu_family_is_refused(dev_raw):
    p = pool(dev_raw)
    p["instanceType"] = "ecs.sgn7i-vws-m2.xlarge"
    p["instanceSpec"] = {"vcpu": 2, "memoryGib": 8, "gpus": 1, "gpuModel": "A10", "bandwidthMbit": 1500}
    p["rateLimits"] = {"egressMbit": 500, "ingressMbit": 1000}
    p["preload"][0]["rateMbit"] = 400
    assert any("GRID 470" in line and "gpuPools[0].driver" in line for line in problems(dev_raw))


def test_install_on_a_family_missing_from_the_table_is_refused_image_accepted(dev_raw):
    p = pool(dev_raw)
    p["instanceType"] = "ecs.ebmgn7ex.32xlarge"
    p["gpuModelSeries"] = "A100"
    p["rateLimits"] = {"egressMbit": 500, "ingressMbit": 2000}
    assert any("lists no driver branch for family ebmgn7ex" in line for line in problems(copy.deepcopy(dev_raw)))
    p["driver"] = {"source": "image", "branch": "535"}
    load(dev_raw)


def test_cli_exit_2_for_a_pool_without_driver(tmp_path):
    raw = stack_raw("prod")
    del raw["regions"][0]["gpuPools"][1]["driver"]
    cfg = tmp_path / "Pulumi.bad.yaml"
    cfg.write_text(yaml.safe_dump({"config": {f"{PROJECT}:{k}": v for k, v in raw.items()}}))
    proc = subprocess.run([sys.executable, "-m", "hybrid_tools.cli", "plan", "--stack", "bad", "--config", str(cfg),
                           "--out", str(tmp_path / "plan")], capture_output=True, text=True, cwd=ROOT)
    print(proc.stderr)
    assert proc.returncode == 2
    assert "regions[0].gpuPools[1].driver: ecs.gn7e-c16g1.16xlarge is a GPU instance type" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "plan").exists()


@pytest.mark.parametrize("key,ok", [
    ("alibabacloud.com/external", True),          # the prod label
    ("topology.kubernetes.io/zone", True),        # kubeletLabels
    ("node.kubernetes.io/gpu", True),             # kubeletLabelNamespaces
    ("x.kubelet.kubernetes.io/a", True),
    ("node-role.kubernetes.io/gpu", False),       # kubernetes.io namespace, not allowed
    ("node-restriction.kubernetes.io/cloud", False),
    ("example.k8s.io/cloud", False),
])
def test_kubelet_settable_labels(key, ok):
    from hybrid.model.gpu_driver import kubelet_may_set

    assert kubelet_may_set(key) is ok


def test_cloud_node_label_the_kubelet_may_not_set_is_rejected(dev_raw):
    dev_raw["cni"]["cloudNodeLabel"]["key"] = "node-role.kubernetes.io/cloud"
    [line] = problems(dev_raw)
    assert line.startswith("cni.cloudNodeLabel.key: node-role.kubernetes.io/cloud is in the kubernetes.io / k8s.io namespace")


def test_every_label_the_join_sets_is_settable_by_the_kubelet(prod_raw):
    from hybrid.cloudinit import context_for, node_labels_arg
    from hybrid.model.gpu_driver import kubelet_may_set

    p = load(prod_raw)
    for r in p.regions:
        for pool in r.gpu_pools:
            keys = [kv.split("=", 1)[0] for kv in node_labels_arg(context_for(p, r.id, pool)).split(",")]
            assert keys and all(kubelet_may_set(k) for k in keys), keys
