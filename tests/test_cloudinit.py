"""The rendered cloud-init: valid for Debian's `cloud-init schema`, deterministic, secrets only where meant."""

from __future__ import annotations

import os
import subprocess

import pytest
import yaml

from hybrid.cloudinit import REDACTED, context_for, kubeadm_api_version, render_cloud_init, static_node_labels
from hybrid.model import load
from tests.conftest import require_tool

CA_HASH = "sha256:" + "ab" * 32


def contexts(raw):
    p = load(raw)
    return [context_for(p, r.id, pool) for r in p.regions for pool in r.gpu_pools]


@pytest.fixture(scope="module")
def cloud_init_bin():
    return require_tool("cloud-init")


def schema(bin_: str, path) -> subprocess.CompletedProcess:
    return subprocess.run([bin_, "schema", "--config-file", str(path)], capture_output=True, text=True)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_pool_passes_cloud_init_schema(cloud_init_bin, tmp_path, stack, request):
    raw = request.getfixturevalue(f"{stack}_raw")
    ctxs = contexts(raw)
    assert ctxs
    for ctx in ctxs:
        for variant, text in (("real", render_cloud_init(ctx, CA_HASH)), ("redacted", render_cloud_init(ctx, REDACTED))):
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


SCRIPTS = {"/usr/local/sbin/hybrid-tc", "/usr/local/sbin/hybrid-join", "/usr/local/sbin/hybrid-join-token", "/usr/local/sbin/hybrid-data-disk",
           "/usr/local/sbin/hybrid-gpu-driver"}
PRELOAD_SCRIPTS = {"/usr/local/sbin/hybrid-preload", "/usr/local/sbin/hybrid-preload-run"}


@pytest.fixture(scope="module")
def shellcheck_bin():
    return require_tool("shellcheck")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_script_of_every_pool_is_valid_bash_and_shellcheck_clean(stack, request, tmp_path, shellcheck_bin):
    raw = request.getfixturevalue(f"{stack}_raw")
    for ctx in contexts(raw):
        doc = yaml.safe_load(render_cloud_init(ctx, CA_HASH))
        scripts = [f for f in doc["write_files"] if f["content"].startswith("#!/bin/bash")]
        assert {f["path"] for f in scripts} == SCRIPTS | (PRELOAD_SCRIPTS if ctx.pool.preload else set())
        paths = []
        for f in scripts:
            p = tmp_path / f"{ctx.region_id}-{ctx.pool.name}-{os.path.basename(f['path'])}"
            p.write_text(f["content"])
            paths.append(str(p))
            out = subprocess.run(["bash", "-n", str(p)], capture_output=True, text=True)
            assert out.returncode == 0, f"{f['path']}: {out.stderr}"
            assert f["permissions"] == "0755"
        out = subprocess.run([shellcheck_bin, "--severity=style", *paths], capture_output=True, text=True)
        assert out.returncode == 0, out.stdout + out.stderr
        print(f"shellcheck clean: {stack} {ctx.region_id}/{ctx.pool.name}: {len(paths)} scripts")


def test_shellcheck_is_real(shellcheck_bin, tmp_path):
    """Control: the same call flags an unquoted expansion."""
    p = tmp_path / "bad.sh"
    p.write_text("#!/bin/bash\nrm -rf $1/x\n")
    out = subprocess.run([shellcheck_bin, "--severity=style", str(p)], capture_output=True, text=True)
    assert out.returncode != 0 and "SC2086" in out.stdout


def test_metadata_reads_carry_a_session_token(prod_raw):
    """Security-hardening mode: every metadata read sends the token a PUT obtained first
    (Alibaba ECS "Instance metadata": PUT /latest/api/token with X-aliyun-ecs-metadata-token-ttl-seconds,
    then GET with X-aliyun-ecs-metadata-token)."""
    for ctx in contexts(prod_raw):
        doc = yaml.safe_load(render_cloud_init(ctx, CA_HASH))
        callers = []
        for f in doc["write_files"]:
            text = f["content"].replace("\\\n", " ")  # join continuation lines
            if "100.100.100.200" not in text and "$METADATA" not in text:
                continue
            curls = [line for line in text.splitlines() if "curl" in line and ("METADATA" in line or "100.100.100.200" in line)]
            if not curls:  # mentions the address without calling it (the metadata guard's firewall rules)
                continue
            callers.append(f["path"])
            token_put = [c for c in curls if "-X PUT" in c]
            assert len(token_put) == 1 and "/latest/api/token" in token_put[0]
            for c in curls:
                if c not in token_put:
                    # on the command line, or from a private header file (curl -H @file) that carries it
                    assert "X-aliyun-ecs-metadata-token: $MD_TOKEN" in c or (
                        '-H @"$WORK/md-headers"' in c and "printf 'X-aliyun-ecs-metadata-token: %s\\n' \"$md_token\" > \"$WORK/md-headers\"" in text), c
            assert "X-aliyun-ecs-metadata-token-ttl-seconds: 300" in text
        assert callers == ["/usr/local/sbin/hybrid-join", "/usr/local/sbin/hybrid-join-token"]


def test_join_config_labels_provider_id_and_taints(prod_raw):
    p = load(prod_raw)
    ctx = next(c for c in contexts(prod_raw) if c.pool.name == "a10-train")
    doc = yaml.safe_load(render_cloud_init(ctx, CA_HASH))
    files = {f["path"]: f for f in doc["write_files"]}
    join = yaml.safe_load(files["/etc/hybrid/kubeadm-join.yaml.tmpl"]["content"])
    assert files["/etc/hybrid/kubeadm-join.yaml.tmpl"]["permissions"] == "0600"
    assert join["kind"] == "JoinConfiguration" and join["apiVersion"] == "kubeadm.k8s.io/v1beta3"  # IDC runs 1.30
    boot = join["discovery"]["bootstrapToken"]
    # the token is read at boot (hybrid-join-token), never rendered
    assert boot == {"apiServerEndpoint": "10.0.0.10:6443", "token": "@JOIN_TOKEN@", "caCertHashes": [CA_HASH]}
    args = join["nodeRegistration"]["kubeletExtraArgs"]
    # providerID through KubeletConfiguration: a kubeadm patch the join script writes at boot
    assert "provider-id" not in args and join["patches"] == {"directory": "/etc/hybrid/kubeadm-patches"}
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
    # <region>.<instance-id> from the metadata service, unless the elastic node script left the
    # provider id ACK gave the node in $CONF_DIR/provider-id.
    assert 'PROVIDER_ID="$REGION.$INSTANCE_ID"' in script
    assert 'if [ -s "$CONF_DIR/provider-id" ]; then PROVIDER_ID=$(<"$CONF_DIR/provider-id"); fi' in script
    assert "printf 'providerID: %s\\n' \"$PROVIDER_ID\" > \"$CONF_DIR/kubeadm-patches/kubeletconfiguration+merge.yaml\"" in script
    assert "KUBE_VERSION=1.30.4\n" in script and "KUBE_MINOR=1.30\n" in script
    # kubeadm < 1.32 preflight requires conntrack (checks_linux.go addExecChecks)
    assert "PREFLIGHT_PACKAGES=(conntrack ebtables ethtool iproute2 iptables socat util-linux)" in script
    assert "nvidia-ctk runtime configure --runtime=containerd --set-as-default" in script
    # untainted pool: an explicit empty list (kubeadm's "no taints")
    t4 = next(c for c in contexts(prod_raw) if c.pool.name == "t4-infer")
    assert yaml.safe_load(yaml.safe_load(render_cloud_init(t4, CA_HASH))["write_files"][0]["content"])["nodeRegistration"]["taints"] == []


def test_runcmd_order_and_preload_units(prod_raw):
    ctx = next(c for c in contexts(prod_raw) if c.pool.name == "a10-train")
    doc = yaml.safe_load(render_cloud_init(ctx, CA_HASH))
    flat = [" ".join(c) for c in doc["runcmd"]]
    order = [next(i for i, c in enumerate(flat) if key in c) for key in ("hybrid-tc.timer", "hybrid-data-disk", "hybrid-metadata-guard.timer",
                                                                         "hybrid-gpu-driver.service hybrid-join.service", "hybrid-preload@")]
    assert order == sorted(order)
    assert "hybrid-preload@imagenet-1k.service" in flat[-1]
    files = {f["path"]: f["content"] for f in doc["write_files"]}
    # the metadata guard is installed and started before any pod can run (before the join)
    assert "/usr/local/sbin/hybrid-metadata-guard" in files and "/etc/systemd/system/hybrid-metadata-guard.timer" in files
    env = files["/etc/hybrid/preload/imagenet-1k.env"]
    assert env == "NAME=imagenet-1k\nSOURCE=rsync://10.1.0.20/datasets/imagenet-1k/\nTARGET=/data/datasets/imagenet-1k\nRATE_MBIT=3000\n"
    assert "EGRESS_MBIT=4000" in files["/usr/local/sbin/hybrid-tc"] and "INGRESS_MBIT=10000" in files["/usr/local/sbin/hybrid-tc"]
    # every IDC range of prod: node CIDRs, pod CIDR, extra ranges
    assert "IDC_RANGES=(10.0.0.0/18 10.128.0.0/14 10.1.0.0/20 10.2.0.0/24)" in files["/usr/local/sbin/hybrid-tc"]
    assert 'KERNEL=="eth*"' in files["/etc/udev/rules.d/90-hybrid-tc.rules"]
    assert f"SIZE_BYTES={2048 * 1024 ** 3}" in files["/usr/local/sbin/hybrid-data-disk"]
    assert "OnUnitActiveSec" in files["/etc/systemd/system/hybrid-tc.timer"]  # re-asserted after Terway


def test_redaction_and_determinism(prod_raw):
    for ctx in contexts(prod_raw):
        real = render_cloud_init(ctx, CA_HASH)
        redacted = render_cloud_init(ctx, REDACTED)
        assert CA_HASH in real
        assert CA_HASH not in redacted and "ab" * 32 not in redacted
        assert redacted.count(REDACTED) == 1
        # The same document otherwise: every file equal but the join template, whose secrets differ only.
        r_files = {f["path"]: f for f in yaml.safe_load(real)["write_files"]}
        x_files = {f["path"]: f for f in yaml.safe_load(redacted)["write_files"]}
        tmpl = "/etc/hybrid/kubeadm-join.yaml.tmpl"
        assert {k: v for k, v in r_files.items() if k != tmpl} == {k: v for k, v in x_files.items() if k != tmpl}
        r_join, x_join = (yaml.safe_load(f[tmpl]["content"]) for f in (r_files, x_files))
        r_join["discovery"]["bootstrapToken"].update(caCertHashes=[REDACTED])
        assert r_join == x_join
        assert render_cloud_init(ctx, CA_HASH) == real  # byte-identical on re-render


def test_malformed_ca_hash_is_rejected(dev_raw):
    ctx = contexts(dev_raw)[0]
    with pytest.raises(ValueError, match="caCertHash"):
        render_cloud_init(ctx, "md5:abc")


def test_kubeadm_api_follows_cluster_version():
    assert kubeadm_api_version("1.30.4") == "kubeadm.k8s.io/v1beta3"
    assert kubeadm_api_version("1.31.0") == "kubeadm.k8s.io/v1beta4"


def test_v1beta4_uses_named_extra_args(dev_raw):
    dev_raw["idc"]["kubernetesVersion"] = "1.31.2"
    ctx = contexts(dev_raw)[0]
    doc = yaml.safe_load(render_cloud_init(ctx, CA_HASH))
    join = yaml.safe_load(doc["write_files"][0]["content"])
    assert join["apiVersion"] == "kubeadm.k8s.io/v1beta4"
    assert [a["name"] for a in join["nodeRegistration"]["kubeletExtraArgs"]] == ["node-labels"]
