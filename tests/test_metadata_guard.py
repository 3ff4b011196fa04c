"""The metadata guard, run for real: a routed "pod" namespace loses the metadata address, the node keeps it."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid

import pytest

from hybrid import metadata_guard


def sh(*cmd: str, check: bool = True) -> subprocess.CompletedProcess:
    out = subprocess.run(cmd, capture_output=True, text=True)
    if check and out.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({out.returncode}): {out.stdout}{out.stderr}")
    return out


def test_script_passes_shellcheck(tmp_path):
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck missing: run scripts/setup-system.sh")
    f = tmp_path / "hybrid-metadata-guard"
    f.write_text(metadata_guard.script())
    out = subprocess.run(["shellcheck", "-s", "sh", str(f)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout


# The TCP probe runs inside a namespace: connect to the metadata address on port 80.
_PROBE = ("import socket,sys\n"
          "s=socket.socket(); s.settimeout(2)\n"
          "try:\n s.connect((sys.argv[1], 80)); print('open')\n"
          "except ConnectionRefusedError: print('refused')\n"
          "except OSError as e: print('blocked', e)\n")
# The UDP probe: one datagram to port 80, an answer within a second or none.
_UDP_PROBE = ("import socket,sys\n"
              "s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)\n"
              "s.sendto(b'ping', (sys.argv[1], 80))\n"
              "try:\n s.recv(16); print('answered')\n"
              "except OSError: print('silent')\n")
# Every address of the metadata namespace: TCP accept on port 80, UDP echo on port 80.
_SERVER = ("import socket, threading\n"
           "def udp():\n"
           " u=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('0.0.0.0', 80))\n"
           " while True:\n  d,a=u.recvfrom(64); u.sendto(d,a)\n"
           "threading.Thread(target=udp, daemon=True).start()\n"
           "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
           "s.bind(('0.0.0.0', 80)); s.listen(8)\nwhile True:\n c,_=s.accept(); c.close()\n")
# Alibaba Cloud's VPC DNS (100.100.2.136, in 100.100.0.0/16 like the metadata address): pods need it.
VPC_DNS = "100.100.2.136"


@pytest.fixture
def topology():
    """pod ns --veth-- node ns (routes, forwards) --veth-- meta ns holding 100.100.100.200; all our own namespaces."""
    if os.geteuid() != 0:
        pytest.skip("needs root to create network namespaces (CI runs as root)")
    for tool in ("ip", "iptables"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} missing: run scripts/setup-system.sh")
    tag = uuid.uuid4().hex[:6]
    pod, node, meta = f"iam-pod-{tag}", f"iam-node-{tag}", f"iam-meta-{tag}"
    server = None
    try:
        for ns in (pod, node, meta):
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", node, "link", "add", f"vp{tag}", "type", "veth", "peer", "name", f"pp{tag}", "netns", pod)
        sh("ip", "-n", node, "link", "add", f"vm{tag}", "type", "veth", "peer", "name", f"mm{tag}", "netns", meta)
        sh("ip", "-n", node, "addr", "add", "192.0.2.1/30", "dev", f"vp{tag}")
        sh("ip", "-n", pod, "addr", "add", "192.0.2.2/30", "dev", f"pp{tag}")
        sh("ip", "-n", node, "addr", "add", "198.51.100.1/30", "dev", f"vm{tag}")
        sh("ip", "-n", meta, "addr", "add", "198.51.100.2/30", "dev", f"mm{tag}")
        sh("ip", "-n", meta, "addr", "add", f"{metadata_guard.METADATA_IP}/32", "dev", "lo")
        sh("ip", "-n", meta, "addr", "add", f"{VPC_DNS}/32", "dev", "lo")
        for ns, dev in ((node, f"vp{tag}"), (pod, f"pp{tag}"), (node, f"vm{tag}"), (meta, f"mm{tag}")):
            sh("ip", "-n", ns, "link", "set", dev, "up")
        sh("ip", "-n", pod, "route", "add", "default", "via", "192.0.2.1")
        sh("ip", "-n", node, "route", "add", f"{metadata_guard.METADATA_IP}/32", "via", "198.51.100.2")
        sh("ip", "-n", node, "route", "add", f"{VPC_DNS}/32", "via", "198.51.100.2")
        sh("ip", "-n", meta, "route", "add", "default", "via", "198.51.100.1")
        sh("ip", "netns", "exec", node, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        server = subprocess.Popen(["ip", "netns", "exec", meta, "python3", "-c", _SERVER])
        yield pod, node
    finally:
        if server is not None:
            server.kill()
            server.wait()
        for ns in (pod, node, meta):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def _probe(ns: str, addr: str = metadata_guard.METADATA_IP) -> str:
    return sh("ip", "netns", "exec", ns, "python3", "-c", _PROBE, addr).stdout.strip()


def _udp(ns: str) -> str:
    return sh("ip", "netns", "exec", ns, "python3", "-c", _UDP_PROBE, metadata_guard.METADATA_IP).stdout.strip()


def _wait_for_server(node: str) -> None:
    import time
    for _ in range(50):  # the server needs a moment to bind
        if _probe(node) == "open":
            return
        time.sleep(0.1)


def test_guard_cuts_pods_off_and_keeps_the_node(tmp_path, topology):
    pod, node = topology
    import time
    for _ in range(50):  # the server needs a moment to bind
        if _probe(node) == "open":
            break
        time.sleep(0.1)
    # Control: without the guard both reach the metadata address.
    assert _probe(node) == "open" and _probe(pod) == "open"
    script = tmp_path / "hybrid-metadata-guard"
    script.write_text(metadata_guard.script())
    for _ in range(2):  # idempotent: a second run leaves one jump and the same rules
        run = sh("ip", "netns", "exec", node, "sh", str(script))
        assert "pods cannot reach" in run.stdout
    jumps = [line for line in sh("ip", "netns", "exec", node, "iptables", "-S", "FORWARD").stdout.splitlines()
             if metadata_guard.CHAIN in line]
    assert jumps == [f"-A FORWARD -j {metadata_guard.CHAIN}"]
    assert _probe(pod).startswith("refused")  # the reset, not a hang
    assert _probe(node) == "open"  # host processes (terwayd, kubelet, cloud-init) are untouched


def test_guard_drops_every_protocol_to_the_metadata_address_only(tmp_path, topology):
    """The metadata service answers on the one address; UDP to it is dropped too, while the rest of
    100.100.0.0/16 (the VPC DNS pods resolve through) stays reachable for pods."""
    pod, node = topology
    _wait_for_server(node)
    assert _udp(pod) == "answered" and _probe(pod, VPC_DNS) == "open"  # control: before the guard
    script = tmp_path / "hybrid-metadata-guard"
    script.write_text(metadata_guard.script())
    sh("ip", "netns", "exec", node, "sh", str(script))
    assert _udp(pod) == "silent" and _udp(node) == "answered"
    assert _probe(pod, VPC_DNS) == "open"


def test_guard_comes_before_an_accept_already_in_forward_and_reruns_change_nothing(tmp_path, topology):
    """kube-proxy and the CNI put ACCEPT rules into FORWARD before the guard's timer fires: the jump
    must come first. A re-run (the timer) leaves the rule set exactly as the first run did."""
    pod, node = topology
    _wait_for_server(node)
    sh("ip", "netns", "exec", node, "iptables", "-A", "FORWARD", "-j", "ACCEPT")
    script = tmp_path / "hybrid-metadata-guard"
    script.write_text(metadata_guard.script())
    sh("ip", "netns", "exec", node, "sh", str(script))
    first = sh("ip", "netns", "exec", node, "iptables", "-S").stdout
    assert _probe(pod).startswith("refused")
    sh("ip", "netns", "exec", node, "sh", str(script))
    assert sh("ip", "netns", "exec", node, "iptables", "-S").stdout == first


def test_cloud_init_parts_pass_the_cloud_init_schema(tmp_path):
    """The write_files/runcmd the join user-data will carry, validated by cloud-init itself."""
    import yaml

    if shutil.which("cloud-init") is None:
        pytest.skip("cloud-init missing: run scripts/setup-system.sh")
    unit = metadata_guard.UNIT
    runcmd = [["systemctl", "daemon-reload"], ["systemctl", "enable", "--now", f"{unit}.service", f"{unit}.timer"]]
    doc = {"write_files": metadata_guard.cloud_init_write_files(), "runcmd": runcmd}
    f = tmp_path / "user-data"
    f.write_text("#cloud-config\n" + yaml.safe_dump(doc))
    out = subprocess.run(["cloud-init", "schema", "--config-file", str(f)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert {w["path"] for w in doc["write_files"]} >= {"/usr/local/sbin/hybrid-metadata-guard"}
