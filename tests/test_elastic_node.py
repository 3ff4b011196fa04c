"""The elastic pools' node script, run as ACK runs it: the injected ALIBABA_CLOUD_* variables set.

Side-effecting commands (apt-get, systemctl) are PATH shims that record their arguments; the
files land under HYBRID_ROOT. The expectations are the variables' documented forms
(https://www.alibabacloud.com/help/en/ack/distributed-cloud-container-platform-for-kubernetes/user-guide/create-a-node-pool,
"Step 1 (A)") and the fixed pools' own cloud-init, not the script's constants.
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess

import pytest
import yaml

from hybrid import cloudinit, elastic
from hybrid.model import load
from tests.conftest import stack_raw

CA_HASH = "sha256:" + "ab" * 32
# As Alibaba's table shows them: system labels first, then the node pool's own.
PROVIDER_ID = "cn-beijing.i-2zeabc123def456gh789"
NODE_NAME = "cn-beijing.10.32.4.17"
LABELS = ("alibabacloud.com/nodepool-id=np0e2031e952c4492bab32f512ce142aa,ack.aliyun.com=cc3df6d939b0d4463b493b82d0d670aa,"
          "alibabacloud.com/instance-id=i-2zeabc123def456gh789,alibabacloud.com/external=true,"
          "hybrid.example.com/gpu-pool=a10-elastic,alibabacloud.com/gpu-model-series=A10,hybrid.example.com/capacity=elastic")
TAINTS = "hybrid.example.com/cloud=true:PreferNoSchedule,dedicated:NoSchedule"


@pytest.fixture(scope="module")
def platform():
    return load(stack_raw("prod"))


@pytest.fixture(scope="module")
def script(platform, tmp_path_factory):
    path = tmp_path_factory.mktemp("script") / "node.sh"
    path.write_text(elastic.render_node_script(platform, CA_HASH))
    return path


def _shims(tmp_path):
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    log = tmp_path / "calls.log"
    for name in ("apt-get", "systemctl"):
        f = bin_ / name
        f.write_text(f'#!/bin/bash\nprintf "%s\\n" "{name} $*" >> "{log}"\n')
        f.chmod(0o755)
    return bin_, log


def run(script, tmp_path, root=None, **env_over):
    bin_, log = _shims(tmp_path)
    root = root or tmp_path / "root"
    env = {"PATH": f"{bin_}:{os.environ['PATH']}", "HYBRID_ROOT": str(root),
           "ALIBABA_CLOUD_PROVIDER_ID": PROVIDER_ID, "ALIBABA_CLOUD_NODE_NAME": NODE_NAME,
           "ALIBABA_CLOUD_LABELS": LABELS, "ALIBABA_CLOUD_TAINTS": TAINTS}
    env.update({k: v for k, v in env_over.items() if v is not None})
    for k in [k for k, v in env_over.items() if v is None]:
        env.pop(k)
    out = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=60)
    calls = log.read_text().splitlines() if log.exists() else []
    return out, root, calls


def test_join_configuration_carries_the_injected_identity(script, tmp_path):
    out, root, calls = run(script, tmp_path)
    assert out.returncode == 0, out.stderr
    join = yaml.safe_load((root / "etc/hybrid/kubeadm-join.yaml.tmpl").read_text())
    reg = join["nodeRegistration"]
    assert reg["name"] == NODE_NAME
    args = reg["kubeletExtraArgs"]
    node_labels = dict(a["value"] for a in args if a["name"] == "node-labels") if isinstance(args, list) else args["node-labels"]
    labels = dict(kv.split("=", 1) for kv in node_labels.split(","))
    # every injected label, with its value
    for kv in LABELS.split(","):
        k, v = kv.split("=", 1)
        assert labels[k] == v
    # and the ones the metadata service fills at join (hybrid-join substitutes them)
    assert labels["topology.kubernetes.io/region"] == "@REGION@"
    assert reg["taints"] == [
        {"key": "hybrid.example.com/cloud", "value": "true", "effect": "PreferNoSchedule"},
        {"key": "dedicated", "value": "", "effect": "NoSchedule"},
    ]
    # no token in the script: hybrid-join fills it at boot from the region's OSS object (as on fixed
    # pools); the provider id the cluster gave is the kubelet's
    assert join["discovery"]["bootstrapToken"]["token"] == "@JOIN_TOKEN@"
    assert (root / "etc/hybrid/provider-id").read_text() == PROVIDER_ID + "\n"
    patch = yaml.safe_load((root / "etc/hybrid/kubeadm-patches/kubeletconfiguration+merge.yaml").read_text())
    assert patch == {"providerID": PROVIDER_ID}


def test_files_and_boot_order_are_the_fixed_pools_cloud_init(script, tmp_path, platform):
    """Same scripts, units and settings as a fixed pool of the same shape; same systemctl sequence as its runcmd."""
    out, root, calls = run(script, tmp_path)
    assert out.returncode == 0, out.stderr
    ref = elastic.elastic_pools(platform)[0]
    ctx = cloudinit.context_for(platform, ref.region_id, ref.pool.node_pool())
    doc = yaml.safe_load(cloudinit.render_cloud_init(ctx, CA_HASH))
    for f in doc["write_files"]:
        if f["path"].endswith("kubeadm-join.yaml.tmpl"):
            continue
        on_disk = root / f["path"].lstrip("/")
        assert on_disk.read_text() == f["content"], f["path"]
        assert oct(on_disk.stat().st_mode & 0o777) == oct(int(f["permissions"], 8)), f["path"]
    expected = [" ".join(cmd) for cmd in doc["runcmd"]]
    systemctl = [c for c in calls if c.startswith("systemctl ")]
    assert systemctl == expected
    apt = [c for c in calls if c.startswith("apt-get install")]
    assert apt == ["apt-get install -y -q " + " ".join(doc["packages"])]
    # apt uses the mirror cloud-init gives a fixed pool (primary and security), the image's sources replaced
    mirror = doc["apt"]["primary"][0]["uri"]
    assert mirror == doc["apt"]["security"][0]["uri"] == "http://mirrors.cloud.aliyuncs.com/ubuntu"
    codename = next(line.split("=", 1)[1].strip('"') for line in open("/etc/os-release").read().splitlines()
                    if line.startswith("VERSION_CODENAME="))
    assert (root / "etc/apt/sources.list").read_text().splitlines() == [
        f"deb {mirror} {codename}{suffix} main restricted universe multiverse" for suffix in ("", "-updates", "-security")]


@pytest.mark.parametrize("override, message", [
    ({"ALIBABA_CLOUD_PROVIDER_ID": None}, "ALIBABA_CLOUD_PROVIDER_ID"),
    ({"ALIBABA_CLOUD_NODE_NAME": "Bad_Name"}, "ALIBABA_CLOUD_NODE_NAME"),
    ({"ALIBABA_CLOUD_LABELS": LABELS + ",x=$(reboot)"}, "label"),
    ({"ALIBABA_CLOUD_TAINTS": "k=v:Sometimes"}, "taint"),
    ({"ALIBABA_CLOUD_LABELS": LABELS.replace("gpu-pool=a10-elastic", "gpu-pool=other")}, "no elastic pool"),
])
def test_refuses_bad_or_foreign_input_before_touching_the_node(script, tmp_path, override, message):
    out, root, calls = run(script, tmp_path, **override)
    assert out.returncode != 0
    assert message in out.stderr
    assert calls == [] and not (root / "etc").exists()


def test_rendered_script_is_shellcheck_clean(script):
    sc = shutil.which("shellcheck")
    if sc is None:
        pytest.skip("shellcheck not installed (scripts/setup-system.sh installs it)")
    out = subprocess.run([sc, "-s", "bash", str(script)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout


def test_script_is_deterministic_and_redacted_in_the_plan(platform):
    a = elastic.render_node_script(platform, CA_HASH)
    assert a == elastic.render_node_script(copy.deepcopy(platform), CA_HASH)
    red = elastic.render_node_script(platform, cloudinit.REDACTED)
    assert CA_HASH not in red and red != a


def test_the_images_own_sources_are_removed(script, tmp_path):
    """Ubuntu 24.04 images list the archive in deb822 form (/etc/apt/sources.list.d/ubuntu.sources,
    Ubuntu's "Noble release notes": the image's sources moved there). apt reads it besides
    sources.list, so if kept, apt-get update goes to archive.ubuntu.com, which the VPC does not reach."""
    image = tmp_path / "root/etc/apt/sources.list.d/ubuntu.sources"
    image.parent.mkdir(parents=True)
    image.write_text("Types: deb\nURIs: http://archive.ubuntu.com/ubuntu/\nSuites: noble noble-updates\nComponents: main\n")
    out, root, _ = run(script, tmp_path)
    assert out.returncode == 0, out.stderr
    assert not image.exists()


def test_idc_host_entries_are_added_once_however_often_the_script_runs(tmp_path):
    """A region with nodeAccess dns.hosts: the names reach /etc/hosts after the image's own lines, and
    ACK running the script again (a retried scale-out) does not repeat them."""
    raw = copy.deepcopy(stack_raw("prod"))
    hosts = {"k8s-api.idc-bj.corp.internal": "10.0.0.10", "registry.idc-bj.corp.internal": "10.1.0.30"}
    raw["nodeAccess"]["regions"]["cn-beijing"]["dns"]["hosts"] = hosts
    path = tmp_path / "node.sh"
    path.write_text(elastic.render_node_script(load(raw), CA_HASH))
    image_hosts = "127.0.0.1 localhost\n::1 localhost ip6-localhost\n"
    etc_hosts = tmp_path / "root/etc/hosts"
    etc_hosts.parent.mkdir(parents=True)
    etc_hosts.write_text(image_hosts)
    for attempt in ("first", "second"):
        (tmp_path / attempt).mkdir()
        out, _, _ = run(path, tmp_path / attempt, root=etc_hosts.parents[1])
        assert out.returncode == 0, out.stderr
    lines = etc_hosts.read_text().splitlines()
    assert lines[:2] == image_hosts.splitlines()
    for name, ip in hosts.items():
        assert lines.count(f"{ip} {name}") == 1, lines
