"""hybrid-preflight for real, against stand-ins in a network namespace with no default route.

The dev stack's cn-beijing GPU nodes: every endpoint of ``hybrid.preflight.checks`` (the same
list as reachability.json) is served by a stand-in on the namespace's own addresses: the metadata
service at 100.100.100.200, Alibaba's VPC-internal mirror site and registries (names in the
namespace's /etc/hosts, as the VPC DNS would answer), the IDC apiserver, rsync source and
registry mirror. The all-good run passes every check; then one run per kind of failure (DNS,
TCP, TLS, registry manifest missing, registry wanting credentials, apt InRelease missing), each
failing at that layer with its fix. ``python -m tests.test_preflight`` prints every run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hybrid import preflight
from hybrid.model import load
from tests.conftest import stack_raw
from tests.node_standins import SIGNED, Namespace, make_certs

RUNNER = str(preflight.RUNNER)
VPC_REGISTRY, VPC_MIRROR, METADATA, OSS = "10.40.0.5", "10.40.0.6", "100.100.100.200", "10.40.0.7"
APISERVER, RSYNC, IDC_REGISTRY = "10.8.0.10", "10.9.0.20", "10.9.0.30"
NAMES = {"mirrors.cloud.aliyuncs.com": VPC_MIRROR, "registry-vpc.cn-beijing.aliyuncs.com": VPC_REGISTRY,
         "registry-cn-beijing-vpc.ack.aliyuncs.com": VPC_REGISTRY,
         # dev's join-token bucket on the region's OSS internal endpoint (hybrid.model.join_token)
         "hybrid-dev-cn-beijing-join-idc-bj-dev.oss-cn-beijing-internal.aliyuncs.com": OSS}
VPC_IMAGES = ["acs/pause:3.9", "acs/k8s-device-plugin:v0.17.4", "acs/terway:v1.16.7"]
APT_FILES = {
    "/ubuntu/dists/jammy/InRelease": SIGNED.format(suite="jammy"),
    "/kubernetes-new/core/stable/v1.30/deb/InRelease": SIGNED.format(suite="v1.30"),
    "/kubernetes-new/core/stable/v1.30/deb/Release.key": "-----BEGIN PGP PUBLIC KEY BLOCK-----\nstand-in\n",
    "/libnvidia-container/stable/deb/amd64/InRelease": SIGNED.format(suite="stable"),
    "/libnvidia-container/gpgkey": "-----BEGIN PGP PUBLIC KEY BLOCK-----\nstand-in\n",
}

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("openssl") is None,
                                reason="needs root, ip (iproute2) and openssl for network namespaces and certificates")


def listeners(tls: dict, *, mirror_images=("kube-proxy:v1.30.4",), mirror_auth=False, apt_files=None) -> dict[str, dict]:
    """The stand-ins, one process per service so a test can replace one."""
    apt = dict(APT_FILES if apt_files is None else apt_files)
    return {
        "vpc": {"listeners": [
            {"kind": "metadata", "addr": METADATA, "port": 80},
            {"kind": "registry", "addr": VPC_REGISTRY, "port": 443, "tls": tls, "images": VPC_IMAGES},
            # an unsigned HEAD gets OSS's 403: the endpoint answers (the node signs its GET)
            {"kind": "oss", "addr": OSS, "port": 443, "tls": tls, "keys": {}, "objects": []},
        ]},
        "apt": {"listeners": [
            {"kind": "apt", "addr": VPC_MIRROR, "port": 80, "files": apt},
            {"kind": "apt", "addr": VPC_MIRROR, "port": 443, "tls": tls, "files": apt},
        ]},
        "idc": {"listeners": [
            {"kind": "apiserver", "addr": APISERVER, "port": 6443, "tls": tls, "server": f"https://{APISERVER}:6443"},
            {"kind": "tcp", "addr": RSYNC, "port": 873},
        ]},
        "mirror": {"listeners": [
            {"kind": "registry", "addr": IDC_REGISTRY, "port": 5000, "tls": tls, "images": list(mirror_images), "auth": mirror_auth},
        ]},
    }


class Bench:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.certs = make_certs(tmp / "certs", sorted(NAMES), [APISERVER, IDC_REGISTRY])
        self.tls = {"cert": self.certs["cert"], "key": self.certs["key"]}
        self.ns = Namespace([VPC_REGISTRY, VPC_MIRROR, METADATA, OSS, APISERVER, RSYNC, IDC_REGISTRY], NAMES)
        self.procs: dict[str, subprocess.Popen] = {}
        p = load(stack_raw("dev"))
        self.checks = tmp / "preflight.json"
        self.checks.write_text(json.dumps({"checks": preflight.checks(p, "cn-beijing", "node")}))

    def start(self, **kw) -> None:
        for name, cfg in listeners(self.tls, **kw).items():
            self.procs[name] = self.ns.serve({**cfg, "ttl": 600}, self.tmp)

    def replace(self, name: str, **kw) -> None:
        self.ns.stop(self.procs.pop(name))
        self.procs[name] = self.ns.serve({**listeners(self.tls, **kw)[name], "ttl": 600}, self.tmp)

    def preflight_with(self, name: str, **kw) -> subprocess.CompletedProcess:
        """Run the checks with listener ``name`` rebuilt from ``kw``, then put the healthy one back."""
        self.replace(name, **kw)
        try:
            return self.preflight()
        finally:
            self.replace(name)

    def preflight(self, trust: bool = True) -> subprocess.CompletedProcess:
        env = ["env", f"SSL_CERT_FILE={self.certs['ca']}"] if trust else ["env", "SSL_CERT_FILE=/nonexistent"]
        return self.ns.exec([*env, sys.executable, RUNNER, "--checks", str(self.checks), "--codename", "jammy", "--timeout", "2"])


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    b = Bench(tmp_path_factory.mktemp("preflight"))
    with b.ns:
        b.start()
        yield b


def _lines(out: str, status: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(f"[{status}]")]


def test_all_good(bench):
    r = bench.preflight()
    assert r.returncode == 0, r.stdout + r.stderr
    assert not _lines(r.stdout, "FAIL") and not _lines(r.stdout, "SKIP")
    kinds = {line.split()[1] for line in _lines(r.stdout, "PASS")}
    assert kinds == {"dns", "tcp", "tls", "registry", "apt", "http"}
    # every image a dev GPU node runs, through the path containerd takes (kube-proxy via the IDC mirror)
    assert "registry.k8s.io (registry.k8s.io/kube-proxy:v1.30.4): kube-proxy:v1.30.4 sha256:" in r.stdout


def test_dns_failure(bench):
    bench.ns.write_hosts({k: v for k, v in NAMES.items() if k != "mirrors.cloud.aliyuncs.com"})
    try:
        r = bench.preflight()
    finally:
        bench.ns.write_hosts(NAMES)
    assert r.returncode == 1
    fails = _lines(r.stdout, "FAIL")
    assert fails and all(" dns " in f and "mirrors.cloud.aliyuncs.com does not resolve" in f for f in fails)
    assert "fix: mirrors.cloud.aliyuncs.com must resolve from the VPC" in r.stdout


def test_tcp_failure(bench):
    bench.ns.ip("-n", bench.ns.name, "addr", "del", f"{RSYNC}/32", "dev", "idc0")
    try:
        r = bench.preflight()
    finally:
        bench.ns.ip("-n", bench.ns.name, "addr", "add", f"{RSYNC}/32", "dev", "idc0")
    assert r.returncode == 1
    fails = _lines(r.stdout, "FAIL")
    assert len(fails) == 1 and " tcp " in fails[0] and "10.9.0.20:873" in fails[0] and "unreachable" in fails[0]
    assert "fix: rsync://10.9.0.20 is not reachable through the leased line" in r.stdout


def test_tls_failure(bench):
    r = bench.preflight(trust=False)
    assert r.returncode == 1
    fails = _lines(r.stdout, "FAIL")
    assert fails and all(" tls " in f and "certificate not trusted" in f for f in fails)
    assert "install its CA on the node" in r.stdout
    # the apiserver check is a handshake only (the cluster CA comes with the join): it still passes
    assert any(" tls " in p and "10.8.0.10:6443" in p for p in _lines(r.stdout, "PASS"))


def test_registry_manifest_missing(bench):
    r = bench.preflight_with("mirror", mirror_images=())
    assert r.returncode == 1
    fails = _lines(r.stdout, "FAIL")
    assert len(fails) == 1 and " registry " in fails[0] and "404" in fails[0]
    assert "/v2/kube-proxy/manifests/v1.30.4?ns=registry.k8s.io" in fails[0]
    assert "fix: make the image available at https://10.9.0.30:5000" in r.stdout
    assert "nodeAccess.regions.cn-beijing.registryMirrors[0]" in r.stdout


def test_registry_wants_credentials(bench):
    r = bench.preflight_with("mirror", mirror_auth=True)
    fails = _lines(r.stdout, "FAIL")
    assert r.returncode == 1 and len(fails) == 1 and "401" in fails[0] and "credentials" in fails[0]


def test_apt_inrelease_missing(bench):
    r = bench.preflight_with("apt", apt_files={k: v for k, v in APT_FILES.items() if not k.startswith("/ubuntu/")})
    fails = _lines(r.stdout, "FAIL")
    assert r.returncode == 1 and len(fails) == 1 and " apt " in fails[0] and "/ubuntu/dists/jammy/InRelease: HTTP 404" in fails[0]
    assert "fix: sync the repository at http://mirrors.cloud.aliyuncs.com/ubuntu" in r.stdout
    assert "nodeAccess.regions.cn-beijing.apt.ubuntu" in r.stdout


def _show(b: Bench) -> None:
    def run(title, before=None, after=None, **kw):
        if before:
            before()
        try:
            r = b.preflight(**kw)
        finally:
            if after:
                after()
        print(f"### {title} (exit {r.returncode})\n{r.stdout}")

    addr = lambda op: lambda: b.ns.ip("-n", b.ns.name, "addr", op, f"{RSYNC}/32", "dev", "idc0")  # noqa: E731
    run("all good")
    run("DNS: the VPC does not resolve mirrors.cloud.aliyuncs.com",
        lambda: b.ns.write_hosts({k: v for k, v in NAMES.items() if k != "mirrors.cloud.aliyuncs.com"}), lambda: b.ns.write_hosts(NAMES))
    run("TCP: no route to the IDC rsync source", addr("del"), addr("add"))
    run("TLS: the node does not trust the mirrors' CA", trust=False)
    run("registry: the IDC mirror lacks kube-proxy:v1.30.4", lambda: b.replace("mirror", mirror_images=()), lambda: b.replace("mirror"))
    run("registry: the IDC mirror wants credentials", lambda: b.replace("mirror", mirror_auth=True), lambda: b.replace("mirror"))
    run("apt: the Ubuntu mirror has no dists/jammy/InRelease",
        lambda: b.replace("apt", apt_files={k: v for k, v in APT_FILES.items() if not k.startswith("/ubuntu/")}), lambda: b.replace("apt"))


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        bench_ = Bench(Path(d))
        with bench_.ns:
            bench_.start()
            _show(bench_)


def test_node_bundle_is_the_runner_and_the_regions_checks(tmp_path):
    # no network: writes the files a node runs (`sudo ./hybrid-preflight --checks preflight.json`)
    from hybrid_tools.cli import main

    assert main(["preflight", "--stack", "prod", "--region", "cn-hangzhou", "--write-node-bundle", str(tmp_path)]) == 0
    assert (tmp_path / "hybrid-preflight").read_bytes() == preflight.RUNNER.read_bytes()
    doc = json.loads((tmp_path / "preflight.json").read_text())
    regs = [c for c in doc["checks"] if c["kind"] == "registry"]
    # containerd's request through the IDC mirror for each upstream: /v2/<repo>/manifests/<tag>?ns=<upstream>
    runner = preflight.runner()
    assert {runner.manifest_url(c) for c in regs if c["ns"] == "quay.io"} == {
        "https://registry.idc-bj.corp.internal:5000/v2/prometheus/node-exporter/manifests/v1.8.2?ns=quay.io"}
    # an ACR mirror whose URL carries the API root: override_path, no /v2 added
    bj = preflight.checks(load(stack_raw("prod")), "cn-beijing")
    assert {runner.manifest_url(c) for c in bj if c["kind"] == "registry" and c["ns"] == "registry.k8s.io"} == {
        "https://hybrid-prod-registry-vpc.cn-beijing.cr.aliyuncs.com/v2/k8s/kube-proxy/manifests/v1.30.4?ns=registry.k8s.io"}


def test_a_url_without_a_host_fails_its_check_not_the_run():
    # no network: "http:///x" names no host (urlsplit's hostname is None), so there is nothing to connect to;
    # the check fails with the URL named and the checks after it still run
    runner = preflight.runner()
    checks = [{"kind": "http", "url": "http:///x", "group": "a", "need": "n"},
              {"kind": "nope", "group": "b", "need": "n"}]
    first, second = runner.run(checks)
    assert (first["status"], first["message"]) == ("FAIL", "http:///x: the URL names no host")
    assert (second["status"], second["message"]) == ("FAIL", "unknown check kind 'nope'")


def test_idc_mode_checks_only_what_the_idc_serves():
    p = load(stack_raw("prod"))
    hz = preflight.checks(p, "cn-hangzhou", "idc")
    hosts = {c.get("host") or c.get("url") for c in hz}
    assert "100.100.100.200" not in hosts and not any("aliyuncs.com" in str(h) for h in hosts)
    assert {"10.0.0.10", "registry.idc-bj.corp.internal", "10.1.0.40", "10.1.0.20"} <= hosts


def test_progress_names_each_check_before_it_runs():
    # Each check can wait --timeout seconds: the CLI prints "i/n kind need" to stderr before each one.
    runner = preflight.runner()
    checks = [{"kind": "http", "url": "http:///x", "group": "a", "need": "first"},
              {"kind": "http", "url": "http:///y", "group": "a", "need": "second"},
              {"kind": "nope", "group": "b", "need": "third"}]
    seen = []
    results = runner.run(checks, on_check=lambda i, total, c: seen.append((i, total, c["need"])))
    assert seen == [(0, 3, "first"), (1, 3, "second"), (2, 3, "third")]
    assert [r["status"] for r in results] == ["FAIL", "SKIP", "FAIL"]  # the second shares the first's failed endpoint
