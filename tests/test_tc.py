"""The generated tc script, run for real inside a network namespace on a veth pair.

Two namespaces joined by a veth pair (names unique per test run): the script
shapes the "node" end. We assert what ``tc`` reports (qdiscs, classes with the
configured rates, the ingress redirect filter), that a second run changes
nothing, that a run after a qdisc was swapped restores the shaping, and we
measure TCP throughput in both directions against the configured rates.
Traffic only flows between the two test namespaces.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
import uuid

import pytest

from hybrid.cloudinit import render_tc_script

def ifb_name(dev: str) -> str:
    # The ifb device the script creates: "ifb-<dev>" cut to IFNAMSIZ - 1 = 15 characters.
    return ("ifb-" + dev)[:15]


EGRESS_MBIT = 40
INGRESS_MBIT = 24

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0,
    reason="needs root to create network namespaces (CI runs as root)",
)

_UNITS = {"bit": 1, "Kbit": 10**3, "Mbit": 10**6, "Gbit": 10**9, "Tbit": 10**12}


def rate_bits(text: str) -> int:
    m = re.fullmatch(r"([0-9.]+)([KMGT]?bit)", text)
    assert m, text
    return round(float(m.group(1)) * _UNITS[m.group(2)])


def sh(*cmd: str, check: bool = True) -> str:
    out = subprocess.run(cmd, capture_output=True, text=True)
    if check and out.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({out.returncode}): {out.stdout}{out.stderr}")
    return out.stdout


@pytest.fixture
def veth(tmp_path):
    """(node netns, node device, peer netns, node address, peer address); removed afterwards."""
    for tool in ("ip", "tc"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} missing: run scripts/setup-system.sh (iproute2)")
    tag = uuid.uuid4().hex[:6]
    node_ns, peer_ns = f"gpu-tc-n-{tag}", f"gpu-tc-p-{tag}"
    dev, peer_dev = f"vn{tag}", f"vp{tag}"
    try:
        sh("ip", "netns", "add", node_ns)
        sh("ip", "netns", "add", peer_ns)
        sh("ip", "-n", node_ns, "link", "add", dev, "type", "veth", "peer", "name", peer_dev, "netns", peer_ns)
        sh("ip", "-n", node_ns, "addr", "add", "192.0.2.1/30", "dev", dev)
        sh("ip", "-n", peer_ns, "addr", "add", "192.0.2.2/30", "dev", peer_dev)
        for ns, d in ((node_ns, dev), (peer_ns, peer_dev), (node_ns, "lo"), (peer_ns, "lo")):
            sh("ip", "-n", ns, "link", "set", d, "up")
        yield node_ns, dev, peer_ns, "192.0.2.1", "192.0.2.2"
    finally:
        for ns in (node_ns, peer_ns):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def run_script(tmp_path, ns: str, dev: str) -> subprocess.CompletedProcess:
    script = tmp_path / "hybrid-tc"
    script.write_text(render_tc_script(EGRESS_MBIT, INGRESS_MBIT))
    return subprocess.run(["ip", "netns", "exec", ns, "bash", str(script), dev], capture_output=True, text=True)


def tc_state(ns: str, dev: str) -> dict[str, str]:
    ifb = ifb_name(dev)
    x = ("ip", "netns", "exec", ns, "tc")
    return {
        "qdisc": sh(*x, "qdisc", "show", "dev", dev),
        "class": sh(*x, "class", "show", "dev", dev),
        "filter": sh(*x, "filter", "show", "dev", dev, "ingress"),
        "ifb_qdisc": sh(*x, "qdisc", "show", "dev", ifb),
        "ifb_class": sh(*x, "class", "show", "dev", ifb),
    }


def class_rates(text: str) -> list[tuple[int, int]]:
    return [(rate_bits(r), rate_bits(c)) for r, c in re.findall(r"class htb 1:10 root .*?rate (\S+) ceil (\S+)", text)]


def test_script_shapes_egress_and_ingress_at_configured_rates(veth, tmp_path):
    ns, dev, *_ = veth
    proc = run_script(tmp_path, ns, dev)
    assert proc.returncode == 0, proc.stderr
    st = tc_state(ns, dev)
    ifb = ifb_name(dev)
    # egress: HTB root on the device, one class at the egress rate
    assert re.search(r"^qdisc htb 1: root .*default 0x10", st["qdisc"], re.M), st["qdisc"]
    assert class_rates(st["class"]) == [(EGRESS_MBIT * 10**6, EGRESS_MBIT * 10**6)]
    # ingress: clsact on the device, one u32 match-all filter redirecting to the ifb ...
    assert re.search(r"^qdisc clsact ffff:", st["qdisc"], re.M), st["qdisc"]
    assert st["filter"].count(f"mirred (Egress Redirect to device {ifb})") == 1, st["filter"]
    assert "pref 65000 u32" in st["filter"] and "match 00000000/00000000 at 0" in st["filter"]
    # ... whose HTB root holds the ingress rate
    assert re.search(r"^qdisc htb 1: root", st["ifb_qdisc"], re.M), st["ifb_qdisc"]
    assert class_rates(st["ifb_class"]) == [(INGRESS_MBIT * 10**6, INGRESS_MBIT * 10**6)]
    print(f"\n{proc.stdout}" + "\n".join(f"--- tc {k}\n{v}" for k, v in st.items()))


def test_second_run_is_idempotent_and_a_later_run_repairs_drift(veth, tmp_path):
    ns, dev, *_ = veth
    assert run_script(tmp_path, ns, dev).returncode == 0
    first = tc_state(ns, dev)
    second_run = run_script(tmp_path, ns, dev)
    assert second_run.returncode == 0, second_run.stderr
    assert tc_state(ns, dev) == first  # byte-identical qdiscs, classes and filters
    # Something (Terway) swaps the root qdisc and drops the ingress hook: the timer's run restores both.
    sh("ip", "netns", "exec", ns, "tc", "qdisc", "replace", "dev", dev, "root", "pfifo")
    sh("ip", "netns", "exec", ns, "tc", "qdisc", "del", "dev", dev, "clsact")
    assert "htb" not in tc_state(ns, dev)["qdisc"]
    assert run_script(tmp_path, ns, dev).returncode == 0
    assert tc_state(ns, dev) == first


_RECEIVER = textwrap.dedent("""
    import socket, sys, time
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1)
    print("ready", flush=True)
    c, _ = s.accept(); n = 0; first = None
    while True:
        b = c.recv(1 << 16)
        if not b: break
        if first is None: first = time.monotonic()
        n += len(b)
    print(n, time.monotonic() - first, flush=True)
""")
_SENDER = "import socket,sys; s=socket.create_connection((sys.argv[1], int(sys.argv[2]))); s.sendall(b'x' * int(sys.argv[3])); s.close()"


def measure_mbit(recv_ns: str, recv_addr: str, send_ns: str, nbytes: int, port: int) -> float:
    rx = subprocess.Popen(["ip", "netns", "exec", recv_ns, sys.executable, "-c", _RECEIVER, recv_addr, str(port)],
                          stdout=subprocess.PIPE, text=True)
    try:
        assert rx.stdout.readline().strip() == "ready"
        sh("ip", "netns", "exec", send_ns, sys.executable, "-c", _SENDER, recv_addr, str(port), str(nbytes))
        got, seconds = rx.stdout.readline().split()
        assert int(got) == nbytes
        return int(got) * 8 / float(seconds) / 1e6
    finally:
        rx.kill()
        rx.wait()


def test_measured_throughput_matches_the_rates(veth, tmp_path):
    ns, dev, peer_ns, node_ip, peer_ip = veth
    assert run_script(tmp_path, ns, dev).returncode == 0
    # ~2.5 s per direction at the configured rates
    up = measure_mbit(peer_ns, peer_ip, ns, EGRESS_MBIT * 10**6 // 8 * 5 // 2, 5201)
    down = measure_mbit(ns, node_ip, peer_ns, INGRESS_MBIT * 10**6 // 8 * 5 // 2, 5202)
    print(f"\nmeasured egress {up:.1f} Mbit/s (limit {EGRESS_MBIT}), ingress {down:.1f} Mbit/s (limit {INGRESS_MBIT})")
    assert 0.8 * EGRESS_MBIT <= up <= 1.1 * EGRESS_MBIT
    assert 0.8 * INGRESS_MBIT <= down <= 1.1 * INGRESS_MBIT


def test_unshaped_link_is_much_faster(veth):
    """Control: without the script the same transfer runs far above the limits (the cap is real)."""
    ns, dev, peer_ns, node_ip, peer_ip = veth
    up = measure_mbit(peer_ns, peer_ip, ns, 50 * 10**6, 5203)
    assert up > 5 * EGRESS_MBIT
