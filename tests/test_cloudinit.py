"""The rendered cloud-init: valid for Debian's `cloud-init schema`, deterministic, secrets only where meant."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml

from hybrid.cloudinit import REDACTED, context_for, kubeadm_api_version, render_cloud_init, static_node_labels
from hybrid.model import load

TOKEN = "q7w8e9.0a1b2c3d4e5f6a7b"
CA_HASH = "sha256:" + "ab" * 32


def contexts(raw):
    p = load(raw)
    return [context_for(p, r.id, pool) for r in p.regions for pool in r.gpu_pools]


@pytest.fixture(scope="module")
def cloud_init_bin():
    path = shutil.which("cloud-init")
    if path is None:
        if os.geteuid() != 0:
            pytest.skip("cloud-init not installed and not root (CI installs it via scripts/setup-system.sh)")
        pytest.fail("cloud-init missing: run scripts/setup-system.sh")
    return path


def schema(bin_: str, path) -> subprocess.CompletedProcess:
    return subprocess.run([bin_, "schema", "--config-file", str(path)], capture_output=True, text=True)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_pool_passes_cloud_init_schema(cloud_init_bin, tmp_path, stack, request):
    raw = request.getfixturevalue(f"{stack}_raw")
    ctxs = contexts(raw)
    assert ctxs
    for ctx in ctxs:
        for variant, text in (("real", render_cloud_init(ctx, TOKEN, CA_HASH)), ("redacted", render_cloud_init(ctx, REDACTED, REDACTED))):
            f = tmp_path / f"{ctx.region_id}-{ctx.pool.name}-{variant}.yaml"
            f.write_text(text)
            out = schema(cloud_init_bin, f)
            assert out.returncode == 0 and "Valid cloud-config" in out.stdout, out.stdout + out.stderr


def test_schema_check_is_real(cloud_init_bin, tmp_path):
    """Control: the same checker rejects a document with a wrong type and a missing key."""
    f = tmp_path / "bad.yaml"
    f.write_text("#cloud-config\nruncmd: 5\nwrite_files:\n- content: x\n")
    out = schema(cloud_init_bin, f)
    assert out.returncode != 0 and "runcmd" in out.stderr and "'path' is a required property" in out.stderr


def test_embedded_scripts_are_valid_bash(prod_raw, tmp_path):
    for ctx in contexts(prod_raw):
        doc = yaml.safe_load(render_cloud_init(ctx, TOKEN, CA_HASH))
        scripts = [f for f in doc["write_files"] if f["content"].startswith("#!/bin/bash")]
        want = {"/usr/local/sbin/hybrid-tc", "/usr/local/sbin/hybrid-join", "/usr/local/sbin/hybrid-data-disk"}
        if ctx.pool.preload:
            want.add("/usr/local/sbin/hybrid-preload")
        assert {f["path"] for f in scripts} == want
        for f in scripts:
            p = tmp_path / os.path.basename(f["path"])
            p.write_text(f["content"])
            out = subprocess.run(["bash", "-n", str(p)], capture_output=True, text=True)
            assert out.returncode == 0, f"{f['path']}: {out.stderr}"
            assert f["permissions"] == "0755"


def test_join_config_labels_provider_id_and_taints(prod_raw):
    p = load(prod_raw)
    ctx = next(c for c in contexts(prod_raw) if c.pool.name == "a10-train")
    doc = yaml.safe_load(render_cloud_init(ctx, TOKEN, CA_HASH))
    files = {f["path"]: f for f in doc["write_files"]}
    join = yaml.safe_load(files["/etc/hybrid/kubeadm-join.yaml.tmpl"]["content"])
    assert files["/etc/hybrid/kubeadm-join.yaml.tmpl"]["permissions"] == "0600"
    assert join["kind"] == "JoinConfiguration" and join["apiVersion"] == "kubeadm.k8s.io/v1beta3"  # IDC runs 1.30
    boot = join["discovery"]["bootstrapToken"]
    assert boot == {"apiServerEndpoint": "10.0.0.10:6443", "token": TOKEN, "caCertHashes": [CA_HASH]}
    args = join["nodeRegistration"]["kubeletExtraArgs"]
    assert args["provider-id"] == "@REGION@.@INSTANCE_ID@"  # <region>.<instance-id>, filled from metadata at boot
    labels = dict(kv.split("=", 1) for kv in args["node-labels"].split(","))
    cloud = p.cni.cloud_node_label
    assert labels[cloud.key] == cloud.value == "true"
    assert labels["topology.kubernetes.io/region"] == "@REGION@"
    assert labels["topology.kubernetes.io/zone"] == "@ZONE@"
    assert labels["node.kubernetes.io/instance-type"] == "@INSTANCE_TYPE@"
    assert labels["alibabacloud.com/gpu-model-series"] == "A10"
    assert labels["hybrid.example.com/gpu-pool"] == "a10-train"
    assert static_node_labels(ctx).items() <= labels.items()
    assert join["nodeRegistration"]["taints"] == [{"key": "hybrid.example.com/cloud", "value": "true", "effect": "PreferNoSchedule"}]
    script = files["/usr/local/sbin/hybrid-join"]["content"]
    for key in ("region-id", "zone-id", "instance-id", "instance/instance-type"):
        assert f'meta {key})' in script
    assert "kubelet=1.30.4-* kubeadm=1.30.4-*" in script and "/v1.30/deb/" in script
    # untainted pool: an explicit empty list (kubeadm's "no taints")
    t4 = next(c for c in contexts(prod_raw) if c.pool.name == "t4-infer")
    assert yaml.safe_load(yaml.safe_load(render_cloud_init(t4, TOKEN, CA_HASH))["write_files"][0]["content"])["nodeRegistration"]["taints"] == []


def test_runcmd_order_and_preload_units(prod_raw):
    ctx = next(c for c in contexts(prod_raw) if c.pool.name == "a10-train")
    doc = yaml.safe_load(render_cloud_init(ctx, TOKEN, CA_HASH))
    flat = [" ".join(c) for c in doc["runcmd"]]
    order = [next(i for i, c in enumerate(flat) if key in c) for key in ("hybrid-tc.timer", "hybrid-data-disk", "hybrid-join", "hybrid-preload@")]
    assert order == sorted(order)
    assert "hybrid-preload@imagenet-1k.service" in flat[-1]
    files = {f["path"]: f["content"] for f in doc["write_files"]}
    env = files["/etc/hybrid/preload/imagenet-1k.env"]
    assert 'SOURCE="rsync://10.1.0.20/datasets/imagenet-1k/"' in env and 'TARGET="/data/datasets/imagenet-1k"' in env
    assert 'RATE_MBIT="3000"' in env
    assert "EGRESS_MBIT=4000" in files["/usr/local/sbin/hybrid-tc"] and "INGRESS_MBIT=10000" in files["/usr/local/sbin/hybrid-tc"]
    assert f"SIZE_BYTES={2048 * 1024 ** 3}" in files["/usr/local/sbin/hybrid-data-disk"]
    assert "OnUnitActiveSec" in files["/etc/systemd/system/hybrid-tc.timer"]  # re-asserted after Terway


def test_redaction_and_determinism(prod_raw):
    for ctx in contexts(prod_raw):
        real = render_cloud_init(ctx, TOKEN, CA_HASH)
        redacted = render_cloud_init(ctx, REDACTED, REDACTED)
        assert TOKEN in real and CA_HASH in real
        assert TOKEN not in redacted and CA_HASH not in redacted and "ab" * 32 not in redacted
        assert redacted.count(REDACTED) == 2
        # The same document otherwise: every file equal but the join template, whose secrets differ only.
        r_files = {f["path"]: f for f in yaml.safe_load(real)["write_files"]}
        x_files = {f["path"]: f for f in yaml.safe_load(redacted)["write_files"]}
        tmpl = "/etc/hybrid/kubeadm-join.yaml.tmpl"
        assert {k: v for k, v in r_files.items() if k != tmpl} == {k: v for k, v in x_files.items() if k != tmpl}
        r_join, x_join = (yaml.safe_load(f[tmpl]["content"]) for f in (r_files, x_files))
        r_join["discovery"]["bootstrapToken"].update(token=REDACTED, caCertHashes=[REDACTED])
        assert r_join == x_join
        assert render_cloud_init(ctx, TOKEN, CA_HASH) == real  # byte-identical on re-render


def test_malformed_secrets_are_rejected(dev_raw):
    ctx = contexts(dev_raw)[0]
    with pytest.raises(ValueError, match="bootstrapToken"):
        render_cloud_init(ctx, "not-a-token", CA_HASH)
    with pytest.raises(ValueError, match="caCertHash"):
        render_cloud_init(ctx, TOKEN, "md5:abc")


def test_kubeadm_api_follows_cluster_version():
    assert kubeadm_api_version("1.30.4") == "kubeadm.k8s.io/v1beta3"
    assert kubeadm_api_version("1.31.0") == "kubeadm.k8s.io/v1beta4"


def test_v1beta4_uses_named_extra_args(dev_raw):
    dev_raw["idc"]["kubernetesVersion"] = "1.31.2"
    ctx = contexts(dev_raw)[0]
    doc = yaml.safe_load(render_cloud_init(ctx, TOKEN, CA_HASH))
    join = yaml.safe_load(doc["write_files"][0]["content"])
    assert join["apiVersion"] == "kubeadm.k8s.io/v1beta4"
    assert [a["name"] for a in join["nodeRegistration"]["kubeletExtraArgs"]] == ["node-labels", "provider-id"]
