"""A cloud pod reaches ClusterIP Services (apiserver, CoreDNS) through a cloud node built in network namespaces.

Four namespaces, names unique per run, traffic only between them:

* ``pod``: the Terway pod, eth0 = 10.32.32.10/32, default route via 169.254.1.1 (Terway's veth
  datapath, plugin/driver/veth) with a permanent neighbour for it;
* ``node``: the cloud node. The pod's host veth is named ``cali`` + 11 hex digits (terway
  release-1.16 plugin/terway/cni.go defaultVethPrefix). The primary ENI carries the node IP
  10.32.0.5/22; a secondary ENI carries the node IP as /32 (Terway's HostIPSet) and a policy
  route table: ``to <pod> lookup main`` at 512, ``from <pod> lookup <eni table>`` at 2048, the eni
  table's default route via the vSwitch gateway (plugin/datapath/policy_router_linux.go,
  consts_linux.go). kube-proxy's iptables rules for the two Services are written as
  pkg/proxy/iptables/proxier.go writes them, with the masquerade match from the cloud
  kube-proxy config (hybrid.cni.kube_proxy_cloud_config) or from kubeadm's default
  (detectLocalMode ClusterCIDR, clusterCIDR = the IDC pod CIDR);
* ``vpc``: the VPC fabric, with the ENI source/destination check: a packet from an ENI whose
  source the ENI does not own is dropped (the secondary ENI owns the pod IP only);
* ``idc``: the apiserver 10.0.0.10:6443 and a CoreDNS pod 10.128.1.5:53, echo servers that
  report the source address they see.

The packet's source is printed at each hop: as the pod sends it, as it reaches the VPC from the
ENI (counted by iptables rules per candidate source), as the endpoint sees it, and the address
the reply comes from in the pod.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import uuid

import pytest

from hybrid import cni as plan
from hybrid.model.cni import Cni
from tests.kube_proxy_model import masquerade_match

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to create network namespaces (CI runs as root)")

POD, NODE, GW_NODES, GW_PODS = "10.32.32.10", "10.32.0.5", "10.32.0.253", "10.32.32.253"
IDC_POD_CIDR = "10.128.0.0/14"  # kubeadm's clusterCIDR: the IDC pod CIDR (prod's idc.podCidr)
SERVICES = {  # name: (ClusterIP, port, protocol, endpoint IP, endpoint port)
    "kubernetes": ("172.21.0.1", 443, "tcp", "10.0.0.10", 6443),
    "kube-dns": ("172.21.0.10", 53, "udp", "10.128.1.5", 53),
}
ENI_TABLE = 1001


def sh(*cmd: str, check: bool = True) -> str:
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    if check and out.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({out.returncode}): {out.stdout}{out.stderr}")
    return out.stdout


def kube_proxy_rules(masq_match: list[str]) -> str:
    """iptables-restore input for the nat table, in kube-proxy's chain layout (iptables proxier)."""
    lines = ["*nat", ":KUBE-SERVICES - [0:0]", ":KUBE-MARK-MASQ - [0:0]", ":KUBE-POSTROUTING - [0:0]"]
    body = [
        "-A PREROUTING -j KUBE-SERVICES",
        "-A OUTPUT -j KUBE-SERVICES",
        "-A POSTROUTING -j KUBE-POSTROUTING",
        "-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000",
        "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN",
        "-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000",
        "-A KUBE-POSTROUTING -j MASQUERADE",
    ]
    for i, (_name, (vip, port, proto, ep, ep_port)) in enumerate(sorted(SERVICES.items())):
        svc, sep = f"KUBE-SVC-{i}", f"KUBE-SEP-{i}"
        lines += [f":{svc} - [0:0]", f":{sep} - [0:0]"]
        body += [
            f"-A KUBE-SERVICES -d {vip}/32 -p {proto} -m {proto} --dport {port} -j {svc}",
            # The service chain: off-"local" traffic is marked for masquerade, then load-balanced.
            f"-A {svc} -d {vip}/32 -p {proto} -m {proto} --dport {port} {' '.join(masq_match)} -j KUBE-MARK-MASQ",
            f"-A {svc} -j {sep}",
            f"-A {sep} -s {ep}/32 -j KUBE-MARK-MASQ",
            f"-A {sep} -p {proto} -m {proto} -j DNAT --to-destination {ep}:{ep_port}",
        ]
    return "\n".join(lines + body + ["COMMIT", ""])


SERVER = textwrap.dedent("""
    import socket, threading
    tcp_sock = socket.socket(); tcp_sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp_sock.bind(("10.0.0.10", 6443)); tcp_sock.listen(4)
    udp_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); udp_sock.bind(("10.128.1.5", 53))
    def tcp():
        while True:
            c, a = tcp_sock.accept(); data = c.recv(100)
            print(f"apiserver 10.0.0.10:6443 saw source {a[0]}", flush=True); c.sendall(b"ok " + data); c.close()
    def udp():
        while True:
            data, a = udp_sock.recvfrom(100)
            print(f"coredns 10.128.1.5:53 saw source {a[0]}", flush=True); udp_sock.sendto(b"ok " + data, a)
    threading.Thread(target=tcp, daemon=True).start(); threading.Thread(target=udp, daemon=True).start()
    print("ready", flush=True)
    threading.Event().wait(60)
""")

CLIENT = textwrap.dedent("""
    import socket, sys
    vip, port, proto = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    try:
        if proto == "tcp":
            s = socket.create_connection((vip, port), timeout=2); s.sendall(b"hello"); s.settimeout(2)
            print(f"reply {s.recv(100).decode()!r} from {s.getpeername()[0]}:{s.getpeername()[1]}")
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2); s.sendto(b"hello", (vip, port))
            data, a = s.recvfrom(100); print(f"reply {data.decode()!r} from {a[0]}:{a[1]}")
    except OSError as e:
        print(f"no reply: {e}"); sys.exit(1)
""")


@pytest.fixture
def site():
    for tool in ("ip", "iptables", "iptables-restore"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} missing: run scripts/setup-system.sh")
    tag = uuid.uuid4().hex[:11]
    ns = {k: f"gpu-cip-{k}-{tag[:6]}" for k in ("pod", "node", "vpc", "idc")}
    veth = f"cali{tag}"  # host side of the pod: Terway's prefix + 11 hex digits (15 characters)
    eth0, eni1, vn0, vn1, vi, iv = (f"{p}{tag[:6]}" for p in ("ne", "ni", "vn", "vs", "vi", "iv"))
    server = None
    try:
        for n in ns.values():
            sh("ip", "netns", "add", n)
        x = {k: ["ip", "netns", "exec", n] for k, n in ns.items()}
        for n in ns.values():
            sh("ip", "-n", n, "link", "set", "lo", "up")
            for knob in ("all", "default"):
                sh(*["ip", "netns", "exec", n], "sysctl", "-qw", f"net.ipv4.conf.{knob}.rp_filter=0")
        for k in ("node", "vpc"):
            sh(*x[k], "sysctl", "-qw", "net.ipv4.ip_forward=1")
        # pod <-> node (the Terway veth)
        sh("ip", "-n", ns["node"], "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns["pod"])
        sh("ip", "-n", ns["pod"], "addr", "add", f"{POD}/32", "dev", "eth0")
        for n, d in ((ns["pod"], "eth0"), (ns["node"], veth)):
            sh("ip", "-n", n, "link", "set", d, "up")
        mac = sh("ip", "-n", ns["node"], "-br", "link", "show", veth).split()[2]
        sh("ip", "-n", ns["pod"], "route", "add", "169.254.1.1", "dev", "eth0", "scope", "link")
        sh("ip", "-n", ns["pod"], "route", "add", "default", "via", "169.254.1.1", "dev", "eth0", "onlink")
        sh("ip", "-n", ns["pod"], "neigh", "add", "169.254.1.1", "lladdr", mac, "dev", "eth0", "nud", "permanent")
        sh("ip", "-n", ns["node"], "route", "add", f"{POD}/32", "dev", veth, "scope", "link")
        # node <-> vpc: the primary ENI and the pod's secondary ENI
        sh("ip", "-n", ns["node"], "link", "add", eth0, "type", "veth", "peer", "name", vn0, "netns", ns["vpc"])
        sh("ip", "-n", ns["node"], "link", "add", eni1, "type", "veth", "peer", "name", vn1, "netns", ns["vpc"])
        sh("ip", "-n", ns["node"], "addr", "add", f"{NODE}/22", "dev", eth0)
        sh("ip", "-n", ns["node"], "addr", "add", f"{NODE}/32", "dev", eni1)
        sh("ip", "-n", ns["vpc"], "addr", "add", f"{GW_NODES}/22", "dev", vn0)
        sh("ip", "-n", ns["vpc"], "addr", "add", f"{GW_PODS}/32", "dev", vn1)
        for n, d in ((ns["node"], eth0), (ns["node"], eni1), (ns["vpc"], vn0), (ns["vpc"], vn1)):
            sh("ip", "-n", n, "link", "set", d, "up")
        sh("ip", "-n", ns["node"], "route", "add", "default", "via", GW_NODES, "dev", eth0)
        sh("ip", "-n", ns["node"], "route", "add", "default", "via", GW_PODS, "dev", eni1, "onlink", "table", str(ENI_TABLE))
        sh("ip", "-n", ns["node"], "rule", "add", "to", f"{POD}/32", "lookup", "main", "pref", "512")
        sh("ip", "-n", ns["node"], "rule", "add", "from", f"{POD}/32", "lookup", str(ENI_TABLE), "pref", "2048")
        sh("ip", "-n", ns["vpc"], "route", "add", f"{POD}/32", "dev", vn1, "scope", "link")
        # The VPC knows which ENI owns an address (no ARP in a VPC): the pod IP maps to the secondary ENI's MAC.
        eni_mac = sh("ip", "-n", ns["node"], "-br", "link", "show", eni1).split()[2]
        sh("ip", "-n", ns["vpc"], "neigh", "add", POD, "lladdr", eni_mac, "dev", vn1, "nud", "permanent")
        # vpc <-> idc
        sh("ip", "-n", ns["vpc"], "link", "add", vi, "type", "veth", "peer", "name", iv, "netns", ns["idc"])
        sh("ip", "-n", ns["vpc"], "addr", "add", "10.255.0.1/30", "dev", vi)
        sh("ip", "-n", ns["idc"], "addr", "add", "10.255.0.2/30", "dev", iv)
        for n, d in ((ns["vpc"], vi), (ns["idc"], iv)):
            sh("ip", "-n", n, "link", "set", d, "up")
        for ip in ("10.0.0.10", "10.128.1.5"):
            sh("ip", "-n", ns["idc"], "addr", "add", f"{ip}/32", "dev", "lo")
        for cidr in ("10.0.0.0/18", IDC_POD_CIDR):
            sh("ip", "-n", ns["vpc"], "route", "add", cidr, "via", "10.255.0.2")
        sh("ip", "-n", ns["idc"], "route", "add", "default", "via", "10.255.0.1")
        # The ENI source/destination check, with a counter per candidate source.
        for src in (POD, NODE):
            sh(*x["vpc"], "iptables", "-t", "raw", "-A", "PREROUTING", "-i", vn1, "-s", src)
        sh(*x["vpc"], "iptables", "-t", "raw", "-A", "PREROUTING", "-i", vn1, "!", "-s", POD, "-j", "DROP")
        sh(*x["vpc"], "iptables", "-t", "raw", "-A", "PREROUTING", "-i", vn0, "!", "-s", NODE, "-j", "DROP")
        sh(*x["pod"], "iptables", "-t", "raw", "-A", "OUTPUT", "-s", POD)
        server = subprocess.Popen([*x["idc"], sys.executable, "-c", SERVER], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        # Both sockets are bound before the first packet is sent (the server prints "ready" after binding).
        assert server.stdout.readline().strip() == "ready"
        yield {"ns": ns, "x": x, "vn1": vn1, "server": server}
    finally:
        if server is not None:
            server.kill()
            server.wait(timeout=10)
        for n in ns.values():
            sh("ip", "netns", "del", n, check=False)


def _count(x, table: str, chain: str, src: str) -> int:
    """Packets counted by the rule that only matches ``-s src`` (no target) in ``chain``."""
    out = sh(*x, "iptables", "-t", table, "-S", chain, "-v")
    total = 0
    for line in out.splitlines():
        parts = line.split()
        if parts[:2] == ["-A", chain] and f"{src}/32" in parts and "-j" not in parts:
            total += int(parts[parts.index("-c") + 1])
    return total


def _run(site, masq_match: list[str]) -> dict[str, tuple[bool, list[str]]]:
    x = site["x"]
    restore = subprocess.run([*x["node"], "iptables-restore"], input=kube_proxy_rules(masq_match), text=True, capture_output=True)
    assert restore.returncode == 0, restore.stderr
    print(f"node nat masquerade match for ClusterIPs: {' '.join(masq_match)}")
    results = {}
    for name, (vip, port, proto, _ep, _ep_port) in sorted(SERVICES.items()):
        sh(*x["vpc"], "iptables", "-t", "raw", "-Z")
        sh(*x["pod"], "iptables", "-t", "raw", "-Z")
        res = subprocess.run([*x["pod"], sys.executable, "-c", CLIENT, vip, str(port), proto], capture_output=True, text=True, timeout=20)
        hops = [f"  1 pod eth0 out        : source {POD if _count(x['pod'], 'raw', 'OUTPUT', POD) else '?'} -> {vip}:{port}/{proto}"]
        at_vpc = [s for s in (POD, NODE) if _count(x["vpc"], "raw", "PREROUTING", s)]
        hops.append(f"  2 node ENI -> VPC     : source {', '.join(at_vpc) or 'none'}"
                    + ("  (dropped: the ENI does not own it)" if NODE in at_vpc else ""))
        ok = res.returncode == 0
        hops.append(f"  4 pod eth0 in         : {res.stdout.strip()}")
        results[name] = (ok, hops)
    return results


def _server_lines(site) -> list[str]:
    site["server"].kill()
    out, _ = site["server"].communicate(timeout=10)
    return [ln for ln in out.splitlines() if "saw source" in ln]


def test_cloud_pod_reaches_apiserver_and_coredns_with_the_cloud_kube_proxy_config(site):
    config = plan.kube_proxy_cloud_config(Cni())
    results = _run(site, masquerade_match(config))
    seen = _server_lines(site)
    for name, (ok, hops) in results.items():
        print(f"{name}: {'reached' if ok else 'FAILED'}")
        print("\n".join(hops[:2]))
        print("  3 endpoint            : " + "; ".join(ln for ln in seen if SERVICES[name][3] in ln))
        print(hops[2])
    assert all(ok for ok, _ in results.values())
    # The endpoints saw the pod's own address, and the replies came from the ClusterIPs.
    assert sorted(seen) == [f"apiserver 10.0.0.10:6443 saw source {POD}", f"coredns 10.128.1.5:53 saw source {POD}"]
    assert "from 172.21.0.1:443" in results["kubernetes"][1][2] and "from 172.21.0.10:53" in results["kube-dns"][1][2]


def test_kubeadms_cluster_cidr_mode_breaks_cloud_pods(site):
    """The control: kubeadm's detectLocalMode ClusterCIDR with the IDC pod CIDR masquerades the
    Terway pod to the node's address on the secondary ENI, and the VPC drops it."""
    results = _run(site, masquerade_match({"detectLocalMode": "ClusterCIDR", "clusterCIDR": IDC_POD_CIDR}))
    seen = _server_lines(site)
    for name, (ok, hops) in results.items():
        print(f"{name}: {'reached' if ok else 'FAILED'}")
        print("\n".join(hops))
    assert not any(ok for ok, _ in results.values())
    assert all(any(f"source {NODE}" in h for h in hops) for _, hops in results.values())
    assert seen == []
