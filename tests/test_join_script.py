"""hybrid-join as the node runs it, without the network: the dev pool's rendered script in a private
mount namespace whose /etc is an overlay (everything it writes lands in the test's directory, nothing
on this machine changes) and whose /usr/local/sbin holds the token fetch, with the commands that need
the cloud (curl to the metadata service, apt, containerd, kubeadm, ...) as PATH shims that log their
calls. The network path itself (the metadata service, apt against the mirrors, kubeadm's discovery) is
tests/test_node_boot_netns.py's; this file covers the guards and what the script leaves on the node.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hybrid import cloudinit
from hybrid.model import load
from tests.conftest import stack_raw
from tests.node_standins import CONTAINERD_DEFAULT

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                                reason="needs root and unshare (a private mount namespace)")

CA_HASH = "sha256:" + "0" * 64
TOKEN = "b0dq7x.3k9m2n4p6r8t1v5w"
# What Alibaba's metadata service returns for an instance (ECS "Instance metadata" item list).
META = {"region-id": "cn-beijing", "zone-id": "cn-beijing-g", "instance-id": "i-2zejoinscript00001",
        "instance/instance-type": "ecs.gn7i-c16g1.4xlarge"}
HOST = "a10-dev-cn-beijing-g-0"
SHIMS = {
    "curl": r'''echo "curl $*" >> "$SHIM_LOG"
url=${*: -1}
case $url in
  */latest/api/token) [[ " $* " == *" -X PUT "* ]] && echo mdsessiontoken || exit 22 ;;
  */latest/meta-data/*) f="$SHIM_META/${url#*/latest/meta-data/}"; [ -f "$f" ] && cat "$f" || exit 22 ;;
  */Release.key) echo "-----BEGIN PGP PUBLIC KEY BLOCK-----" ;;
  *) exit 22 ;;
esac''',
    "gpg": 'cat > /dev/null; echo "gpg $*" >> "$SHIM_LOG"',
    "hostname": f'echo {HOST}',
    "mountpoint": 'echo "mountpoint $*" >> "$SHIM_LOG"; exit "${SHIM_UNMOUNTED:-0}"',
    "containerd": 'cat "$SHIM_CONTAINERD"',
    # kubeadm join: the configuration it reads, kept for the test (the script removes it afterwards)
    "kubeadm": 'echo "kubeadm $*" >> "$SHIM_LOG"; cp "${*: -1}" "$SHIM_JOIN_CONFIG"',
    **{c: f'echo "{c} $*" >> "$SHIM_LOG"' for c in ("swapoff", "modprobe", "sysctl", "apt-get", "apt-mark", "nvidia-ctk", "systemctl")},
}


def _ctx():
    p = load(stack_raw("dev"))
    return cloudinit.context_for(p, "cn-beijing", p.region("cn-beijing").gpu_pools[0])


class Node:
    """The node's /etc (overlay upper directory) and the run's shim log."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.etc = tmp / "etc"  # the overlay's upper directory: what the run wrote under /etc
        (self.etc / "hybrid").mkdir(parents=True)
        (self.etc / "hybrid/kubeadm-join.yaml.tmpl").write_text(cloudinit.render_join_config(_ctx(), CA_HASH))
        self.meta = tmp / "meta"
        for key, value in META.items():
            (self.meta / key).parent.mkdir(parents=True, exist_ok=True)
            (self.meta / key).write_text(value)
        self.containerd = tmp / "containerd-default.toml"
        self.containerd.write_text(CONTAINERD_DEFAULT)
        self.sbin = tmp / "sbin"  # bound over /usr/local/sbin: the token fetch
        self.sbin.mkdir()
        self.fetch(f"echo {TOKEN}")
        self.log, self.join_config = tmp / "calls.log", tmp / "kubeadm-join.seen"

    def fetch(self, body: str) -> None:
        f = self.sbin / "hybrid-join-token"
        f.write_text("#!/bin/bash\n" + body + "\n")
        f.chmod(0o755)

    def run(self, **env: str) -> tuple[subprocess.CompletedProcess, list[str]]:
        shim = self.tmp / "shim"
        shim.mkdir(exist_ok=True)
        for name, body in SHIMS.items():
            (shim / name).write_text("#!/bin/bash\n" + body + "\n")
            (shim / name).chmod(0o755)
        script = self.tmp / "hybrid-join"
        script.write_text(cloudinit.render_join_script(_ctx()))
        work = self.tmp / "work"
        work.mkdir(exist_ok=True)
        inner = (f"set -e; mount --make-rprivate /; mount -t overlay overlay -o lowerdir=/etc,upperdir={self.etc},workdir={work} /etc; "
                 f"mount --bind {self.sbin} /usr/local/sbin; exec bash {script}")
        full_env = {"PATH": f"{shim}:/usr/sbin:/usr/bin:/sbin:/bin", "SHIM_LOG": str(self.log), "SHIM_META": str(self.meta),
                    "SHIM_CONTAINERD": str(self.containerd), "SHIM_JOIN_CONFIG": str(self.join_config), **env}
        out = subprocess.run(["unshare", "--mount", "bash", "-c", inner], env=full_env, capture_output=True, text=True, timeout=120)
        return out, self.log.read_text().splitlines() if self.log.exists() else []


@pytest.fixture
def node(tmp_path):
    return Node(tmp_path)


def test_a_full_run_leaves_a_joined_node_and_no_token_on_disk(node):
    out, calls = node.run()
    assert out.returncode == 0, out.stderr
    # the kubelet's provider id: <region-id>.<instance-id> (ALIBABA-NOTES: the spec.providerID Terway-served nodes need)
    assert "joined as cn-beijing.i-2zejoinscript00001" in out.stdout
    patch = node.etc / "hybrid/kubeadm-patches/kubeletconfiguration+merge.yaml"
    assert patch.read_text() == "providerID: cn-beijing.i-2zejoinscript00001\n"
    # kubeadm read the template with the token and the instance facts in it
    seen = node.join_config.read_text()
    assert TOKEN in seen and cloudinit.JOIN_TOKEN_PLACEHOLDER not in seen
    assert "@" not in seen, seen  # every placeholder filled
    assert "topology.kubernetes.io/zone=cn-beijing-g" in seen and f"hybrid.example.com/host={HOST}" in seen
    # ... and the file holding the token is gone once joined
    assert not (node.etc / "hybrid/kubeadm-join.yaml").exists()
    assert TOKEN not in "".join(p.read_text() for p in node.etc.rglob("*") if p.is_file())
    # an unattended apt upgrade must not move the kubelet off the cluster's version
    assert "apt-mark hold kubelet kubeadm" in calls
    assert calls.index("apt-mark hold kubelet kubeadm") < next(i for i, c in enumerate(calls) if c.startswith("kubeadm join"))


def test_containerd_gets_systemd_cgroups_the_regional_pause_image_and_certs_d(node):
    out, _ = node.run()
    assert out.returncode == 0, out.stderr
    conf = (node.etc / "containerd/config.toml").read_text()
    # kubeadm configures the kubelet with cgroupDriver systemd (kubeadm >= 1.22); containerd must match
    assert "SystemdCgroup = true" in conf and "SystemdCgroup = false" not in conf
    # the pause image from the node's own region's VPC registry (no @REGION@ left for containerd to pull)
    sandbox = next(line for line in conf.splitlines() if "sandbox_image" in line)
    assert "@REGION@" not in sandbox and "cn-beijing" in sandbox and "registry.k8s.io" not in sandbox, sandbox
    assert f'config_path = "{cloudinit.CONTAINERD_CERTS_D}"' in conf


def test_a_joined_node_is_left_alone(node):
    (node.etc / "kubernetes").mkdir()
    (node.etc / "kubernetes/kubelet.conf").write_text("apiVersion: v1\nkind: Config\n")
    out, calls = node.run()
    assert out.returncode == 0, out.stderr
    assert "already joined" in out.stdout and calls == []


def test_no_data_disk_no_join(node):
    out, calls = node.run(SHIM_UNMOUNTED="1")
    assert out.returncode == 1 and "data disk not mounted" in out.stderr
    assert [c.split()[0] for c in calls] == ["mountpoint"]


@pytest.mark.parametrize("key, value", [("zone-id", "cn-beijing-g/e"), ("instance-id", "i-2ze&x"), ("region-id", "CN-BEIJING")])
def test_a_metadata_value_outside_its_shape_stops_before_the_node_changes(node, key, value):
    """'/' and '&' are sed's own syntax in the substitutions; the service's ids are lower-case."""
    (node.meta / key).write_text(value)
    out, calls = node.run()
    assert out.returncode == 1 and "unexpected metadata value" in out.stderr
    assert all(c.split()[0] in ("mountpoint", "curl") for c in calls), calls


def test_containerd_without_a_registry_config_path_is_refused(node):
    """An older containerd whose default config has no config_path: the certs.d mirrors would be
    ignored and images pulled from the internet, which the VPC does not reach."""
    node.containerd.write_text(CONTAINERD_DEFAULT.replace('    config_path = ""\n', ""))
    out, calls = node.run()
    assert out.returncode == 1 and "no registry config_path" in out.stderr
    assert not [c for c in calls if c.startswith("kubeadm")]


def test_an_elastic_node_joins_with_the_provider_id_ack_gave_it(node):
    (node.etc / "hybrid/provider-id").write_text("cn-beijing.i-2zeackgiven000001\n")
    out, _ = node.run()
    assert out.returncode == 0, out.stderr
    assert (node.etc / "hybrid/kubeadm-patches/kubeletconfiguration+merge.yaml").read_text() == "providerID: cn-beijing.i-2zeackgiven000001\n"
